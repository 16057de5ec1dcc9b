//! Documents that are not valid JSON: a file cut off while it was written, one damaged byte, a
//! writer's raw tabs or bare `NaN`. Every span that is whole in them is kept, with its service,
//! and what was lost is named. The real sample (tests/fixtures/order-e2e.json, 33 spans,
//! pretty-printed) is cut and damaged here.

mod common;

use std::collections::HashMap;

use common::{decode, fixture, seen, Seen};

fn sample() -> Vec<u8> {
    std::fs::read(fixture("order-e2e.json")).expect("the sample")
}

/// The sample's bytes, its text, and its spans read whole.
fn whole_sample() -> (Vec<u8>, String, HashMap<String, Seen>) {
    let bytes = sample();
    let text = String::from_utf8(bytes.clone()).expect("UTF-8");
    let (session, _) = decode("order-e2e.json", &bytes);
    (bytes, text, seen(&session))
}

/// Byte offsets where each span of the pretty-printed sample ends (after its closing brace):
/// a span opens on a line `      {` followed by its `"traceId"` and closes at the next line
/// `      }` at the same indentation.
fn span_ends(text: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut offset = 0;
    let mut open = false;
    let mut previous = "";
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        if previous == "      {" && bare.starts_with("       \"traceId\"") {
            open = true;
        }
        if open && (bare == "      }" || bare == "      },") {
            ends.push(offset + "      }".len());
            open = false;
        }
        previous = bare;
        offset += line.len();
    }
    ends
}

#[test]
fn a_file_cut_off_anywhere_keeps_every_span_that_ended_before_the_cut() {
    let (bytes, text, whole) = whole_sample();
    let ends = span_ends(&text);
    assert_eq!(ends.len(), 33, "the oracle finds every span of the sample");
    let mut kept_before = 0;
    // 400 cuts across the file, and one just after each span's closing brace.
    let mut cuts: Vec<usize> = (1..400)
        .map(|k| bytes.len() * k / 400)
        .chain(ends.iter().copied())
        .chain([bytes.len() - 1])
        .collect();
    cuts.sort_unstable();
    for cut in cuts {
        if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes[..cut]).is_ok() {
            // Only white space was cut.
            continue;
        }
        let (session, summary) = decode("cut.json", &bytes[..cut]);
        let expected = ends.iter().filter(|&&e| e <= cut).count();
        assert_eq!(
            session.spans.len(),
            expected,
            "cut at byte {cut}: {:?}",
            session.warnings
        );
        for (id, span) in seen(&session) {
            assert_eq!(Some(&span), whole.get(&id), "span {id}, cut at byte {cut}");
        }
        if expected > 0 {
            assert_eq!(summary.format, "OTLP/JSON");
            let report = session
                .warnings
                .iter()
                .find(|w| w.reason.starts_with("not valid JSON"))
                .expect("the damage is reported");
            assert!(
                report.reason.contains(&format!(
                    "{expected} span{} kept",
                    if expected == 1 { "" } else { "s" }
                )),
                "{report}"
            );
            assert!(report.reason.contains("cut off"), "{report}");
        } else {
            assert!(summary.not_a_trace, "cut at byte {cut}");
        }
        assert!(expected >= kept_before);
        kept_before = expected;
    }
}

#[test]
fn a_damaged_span_costs_only_itself_and_names_its_place() {
    let (bytes, text, whole) = whole_sample();
    // A quote lost from a key in the middle of the file: the brackets no longer match inside
    // that span.
    let span = text[text.len() / 2..].find("\"traceId\"").expect("a span") + text.len() / 2;
    let at = text[span..].find("\"name\"").expect("a name") + span;
    let mut damaged = bytes.clone();
    damaged.remove(at);
    let (session, summary) = decode("damaged.json", &damaged);
    assert_eq!(summary.format, "OTLP/JSON");
    assert_eq!(session.spans.len(), 32, "{:?}", session.warnings);
    for (id, span) in seen(&session) {
        assert_eq!(Some(&span), whole.get(&id), "span {id}");
    }
    let skipped: Vec<_> = session
        .warnings
        .iter()
        .filter(|w| w.reason.starts_with("span skipped"))
        .collect();
    assert_eq!(skipped.len(), 1, "{:?}", session.warnings);
    let span_start = text[..at].rfind("      {\n").expect("the span's start");
    let line = text[..span_start].matches('\n').count() + 1;
    assert_eq!(
        skipped[0].location,
        format!("line {line}, byte {}", span_start + "      ".len()),
        "{}",
        skipped[0]
    );
    assert!(session
        .warnings
        .iter()
        .any(|w| w.reason.contains("32 spans kept, 1 skipped")));
}

#[test]
fn a_damaged_span_in_a_document_with_sorted_keys_costs_only_itself() {
    // Tools that rewrite JSON through a map sorted by key (`jq -S`, Python's `sort_keys=True`,
    // `serde_json::Value`) put a span's `attributes` first and its ids last.
    let (_, text, whole) = whole_sample();
    let value: serde_json::Value = serde_json::from_str(&text).expect("valid");
    let sorted = serde_json::to_string_pretty(&value).expect("json");
    assert!(
        sorted.contains("{\n              \"attributes\": ["),
        "sorted keys"
    );
    for nth in [1, 10, 20, 30] {
        // A quote lost from a span's name.
        let at = sorted
            .match_indices("\"name\": \"")
            .filter(|(i, _)| sorted[..*i].ends_with("          "))
            .nth(nth)
            .map(|(i, _)| i + "\"name\": \"".len() - 1)
            .expect("a span's name");
        let mut damaged = sorted.clone().into_bytes();
        damaged.remove(at);
        let (session, _) = decode("sorted.json", &damaged);
        assert!(
            session.spans.len() >= 32,
            "span {nth}: {} spans, {:?}",
            session.spans.len(),
            session.warnings
        );
        for (id, span) in seen(&session) {
            assert_eq!(Some(&span), whole.get(&id), "span {id}");
        }
    }
}

#[test]
fn sorted_links_and_events_are_not_taken_for_spans() {
    // The benchmark's rich spans (links, events, JSON payloads in strings), keys sorted: a
    // link's members (`spanId`, `traceId`) end before its span's `name`.
    let value: serde_json::Value =
        serde_json::from_str(&sightline_core::synthetic::otlp_json(2_000, true)).expect("json");
    let sorted = value.to_string();
    assert!(sorted.contains(r#""links":[{"spanId""#), "sorted links");
    let (whole_session, _) = decode("sorted.json", sorted.as_bytes());
    let whole = seen(&whole_session);
    assert_eq!(whole.len(), 2_000);
    // A quote lost from the name of a span in the middle.
    let at = sorted[sorted.len() / 2..]
        .find(r#","name":""#)
        .map(|i| sorted.len() / 2 + i + r#","name":""#.len() - 1)
        .expect("a name");
    let mut damaged = sorted.into_bytes();
    damaged.remove(at);
    let (session, _) = decode("sorted.json", &damaged);
    let got = seen(&session);
    assert_eq!(got.len(), 1_999, "{:?}", session.warnings);
    for (id, span) in got {
        assert_eq!(Some(&span), whole.get(&id), "span {id}");
    }
}

#[test]
fn a_damaged_scope_or_resource_loses_only_itself() {
    let (_, text, whole) = whole_sample();
    for (key, lost_service) in [("\"scope\": {", false), ("\"resource\": {", true)] {
        // A quote lost from the first key inside the second scope (or resource).
        let second = text.match_indices(key).nth(1).expect("a second one").0;
        let at = second + key.len() + text[second + key.len()..].find('"').expect("a key");
        let mut damaged = text.clone();
        damaged.remove(at);
        let (session, _) = decode("damaged.json", damaged.as_bytes());
        assert_eq!(session.spans.len(), 33, "{key}: {:?}", session.warnings);
        let said = session
            .warnings
            .iter()
            .find(|w| {
                w.reason
                    .ends_with("not valid JSON: its spans are kept without it")
            })
            .unwrap_or_else(|| panic!("{key}: {:?}", session.warnings));
        let line = damaged[..at].matches('\n').count() + 1;
        assert!(
            said.location.starts_with(&format!("line {}", line - 1)),
            "{said}"
        );
        let mut unknown = 0;
        for (id, span) in seen(&session) {
            let before = &whole[&id];
            assert_eq!(
                (&span.name, span.start, span.attributes),
                (&before.name, before.start, before.attributes)
            );
            if span.service == before.service {
                continue;
            }
            assert!(lost_service, "{key}: span {id} changed service");
            assert_eq!(span.service, "unknown_service", "{key}: span {id}");
            unknown += 1;
        }
        assert_eq!(unknown > 0, lost_service, "{key}");
    }
}

#[test]
fn raw_tabs_bare_nan_and_bad_escapes_are_repaired_and_said() {
    let (_, text, whole) = whole_sample();
    // A raw tab inside a span's name, a bare NaN as a double, a Windows path unescaped.
    let first_span = text.find("\"traceId\"").expect("a span");
    let name = first_span
        + text[first_span..].find("\"name\": \"").expect("a name")
        + "\"name\": \"".len();
    let mut damaged = text.clone();
    damaged.insert(name, '\t');
    let damaged = damaged.replacen(
        "\"attributes\": [",
        "\"attributes\": [{\"key\": \"ratio\", \"value\": {\"doubleValue\": NaN}}, {\"key\": \"path\", \"value\": {\"stringValue\": \"C:\\build\"}},",
        3,
    );
    let (session, summary) = decode("repaired.json", damaged.as_bytes());
    assert_eq!(summary.format, "OTLP/JSON");
    assert_eq!(session.spans.len(), 33, "{:?}", session.warnings);
    let report = session
        .warnings
        .iter()
        .find(|w| w.reason.starts_with("not valid JSON"))
        .expect("reported");
    assert!(report.reason.contains("33 spans kept"), "{report}");
    assert!(report.reason.contains("repaired"), "{report}");
    assert!(!report.reason.contains("skipped"), "{report}");
    let repaired = seen(&session);
    let tabbed = repaired
        .values()
        .filter(|s| s.name.starts_with('\t'))
        .count();
    assert_eq!(tabbed, 1, "the tab is kept in the name it was written in");
    for (id, span) in &repaired {
        let before = &whole[id];
        assert_eq!(span.service, before.service, "span {id}");
        assert_eq!(span.start, before.start);
    }
    // The NaN reads as a double NaN.
    let nan = session
        .spans
        .iter()
        .flat_map(|s| &s.attributes)
        .find(|kv| session.strings.get(kv.key) == "ratio");
    assert!(
        matches!(nan.map(|kv| &kv.value), Some(sightline_core::Value::Double(d)) if d.is_nan()),
        "{nan:?}"
    );
}

#[test]
fn a_cut_json_lines_file_keeps_its_whole_lines_and_the_whole_spans_of_the_last() {
    let bytes = sample();
    let one_line: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    let line = serde_json::to_string(&one_line).expect("line");
    // The second copy is the same spans: kept once, so the count says what was read whole.
    let mut text = format!("{line}\n{line}\n");
    let half = text.len() - line.len() / 2;
    text.truncate(half);
    let (session, summary) = decode("cut.jsonl", text.as_bytes());
    assert_eq!(summary.spans, 33);
    assert!(
        session.duplicates > 0,
        "the second line's whole spans were read"
    );
    let report = session
        .warnings
        .iter()
        .find(|w| w.reason.starts_with("not valid JSON"))
        .expect("reported");
    assert_eq!(report.location, "line 2", "{report}");
    assert!(report.reason.contains("cut off"), "{report}");
}
