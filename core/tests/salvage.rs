//! Documents that are not valid JSON: a file cut off while it was written, one damaged byte, a
//! writer's raw tabs or bare `NaN`. Every span that is whole in them is kept, with its service,
//! and what was lost is named. The real sample (tests/fixtures/order-e2e.json, 33 spans,
//! pretty-printed) is cut and damaged here.

mod common;

use std::collections::HashMap;

use common::fixture;
use sightline_core::{decode_file, Session};

/// What a span decodes to, for comparing a salvaged span with the same span read whole.
#[derive(Debug, PartialEq)]
struct Seen {
    name: String,
    service: String,
    start: u64,
    end: u64,
    attributes: usize,
    events: usize,
}

fn seen(session: &Session) -> HashMap<String, Seen> {
    session
        .spans
        .iter()
        .map(|s| {
            (
                s.span_id.to_string(),
                Seen {
                    name: session.strings.get(s.name).to_string(),
                    service: session.service_of(s).to_string(),
                    start: s.start,
                    end: s.end,
                    attributes: s.attributes.len(),
                    events: s.events.len(),
                },
            )
        })
        .collect()
}

fn decode(name: &str, bytes: &[u8]) -> (Session, sightline_core::FileSummary) {
    let mut session = Session::default();
    let summary = decode_file(&mut session, name, bytes);
    (session, summary)
}

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

/// Where each element of the array at `path` (keys and indexes from the top; `None` for every
/// element of an array on the way) ends: the byte after its closing brace. For JSON known valid.
fn element_ends(text: &[u8], array_key: Option<&str>) -> Vec<usize> {
    // The array: the top-level one, or the value of the first `"array_key":` member.
    let open = match array_key {
        None => text.iter().position(|&b| b == b'[').expect("an array"),
        Some(key) => {
            let needle = format!("\"{key}\"");
            let at = text
                .windows(needle.len())
                .position(|w| w == needle.as_bytes())
                .expect("the key");
            at + text[at..]
                .iter()
                .position(|&b| b == b'[')
                .expect("its array")
        }
    };
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut ends = Vec::new();
    for (i, &b) in text.iter().enumerate().skip(open) {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                match depth {
                    0 => return ends,
                    1 => ends.push(i + 1),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    ends
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(common::repo_root().join("tests/fixtures/corpus").join(name))
        .expect("corpus file")
}

#[test]
fn a_zipkin_file_cut_off_anywhere_reads_as_its_whole_spans_would() {
    // 175 real spans, 8 services, pretty-printed: cut at every 211th byte.
    let bytes =
        corpus("openzipkin__zipkin__zipkin-lens_testdata_smartthings-oauth-authorization.json");
    let items: Vec<serde_json::Value> = serde_json::from_slice(&bytes).expect("valid");
    let ends = element_ends(&bytes, None);
    assert_eq!(ends.len(), items.len());
    let mut cuts = 0;
    for cut in (1..bytes.len()).step_by(211) {
        let whole = ends.iter().filter(|&&e| e <= cut).count();
        let (session, summary) = decode("cut.json", &bytes[..cut]);
        // The oracle: the same decoder on an array of the whole spans alone.
        let reference = serde_json::to_vec(&items[..whole]).expect("json");
        let (expected, _) = decode("whole.json", &reference);
        assert_eq!(seen(&session), seen(&expected), "cut at {cut}");
        if whole == 0 {
            assert!(
                summary.not_a_trace,
                "cut at {cut}: nothing whole, nothing read"
            );
            continue;
        }
        cuts += 1;
        assert_eq!(summary.format, "Zipkin v2 JSON");
        let warning = session
            .warnings
            .iter()
            .find(|w| w.reason.contains("not valid JSON"))
            .expect("the cut is reported");
        assert!(
            warning.reason.contains(&format!(
                "the document stops at byte {cut} before it is complete (the file looks cut off); the {} whole span",
                expected.spans.len()
            )),
            "cut at {cut}: {}",
            warning.reason
        );
    }
    assert!(cuts > 500, "{cuts} cuts read");
}

#[test]
fn zipkins_list_of_traces_reads_as_its_spans_do_whole_cut_or_damaged() {
    // Zipkin's trace search (`/api/v2/traces`) answers a list of traces, each a list of spans.
    let bytes = corpus("openzipkin__zipkin__zipkin-lens_testdata_yelp.json");
    let items: Vec<serde_json::Value> = serde_json::from_slice(&bytes).expect("valid");
    let (flat, _) = decode("flat.json", &bytes);
    let half = items.len() / 2;
    let nested = serde_json::to_vec_pretty(&serde_json::json!([&items[..half], &items[half..]]))
        .expect("json");
    let (session, summary) = decode("traces.json", &nested);
    assert_eq!(summary.format, "Zipkin v2 JSON");
    assert_eq!(seen(&session), seen(&flat));
    assert!(session.warnings.is_empty(), "{:?}", session.warnings);
    // A span that does not read is named by its list and its place in it.
    let mut lists = serde_json::json!([&items[..half], &items[half..]]);
    lists[1][2]["id"] = serde_json::json!("not hex");
    let (session, _) = decode("traces.json", &serde_json::to_vec(&lists).expect("json"));
    let places: Vec<&str> = session
        .warnings
        .iter()
        .map(|w| w.location.as_str())
        .collect();
    assert_eq!(places, ["[1][2]"], "{:?}", session.warnings);
    // Cut inside the second list: the first list and the whole spans of the second.
    let text = String::from_utf8(nested.clone()).expect("utf-8");
    let second = text.find("],\n  [").expect("the second list");
    let cut = second + text[second..].find("\"name\"").expect("a name");
    let (session, _) = decode("cut.json", &nested[..cut]);
    let (expected, _) = decode(
        "half.json",
        &serde_json::to_vec(&items[..half]).expect("json"),
    );
    assert_eq!(seen(&session), seen(&expected));
    // A quote lost inside the first list: every span but that one.
    let at = text.find("\"name\"").expect("a name");
    let mut damaged = nested.clone();
    damaged.remove(at);
    let (session, _) = decode("damaged.json", &damaged);
    let (expected, _) = decode(
        "others.json",
        &serde_json::to_vec(&items[1..]).expect("json"),
    );
    assert_eq!(seen(&session), seen(&expected), "{:?}", session.warnings);
}

#[test]
fn jaeger_read_by_the_typed_structs_reads_as_its_tree_does() {
    // Every Jaeger file of the corpus, the bare-array fixture, and a trace with a span whose
    // tags are not a list (the typed reader gives up on the document, the tree reader skips
    // that span alone): each reads the same both ways, and the first ones do take the typed path.
    let mut files: Vec<(String, Vec<u8>)> =
        std::fs::read_dir(common::repo_root().join("tests/fixtures/corpus"))
            .expect("corpus")
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("jaegertracing__"))
            })
            .map(|p| (p.display().to_string(), std::fs::read(&p).expect("read")))
            .collect();
    assert!(files.len() >= 2, "{} Jaeger files", files.len());
    let name = "jaegertracing__jaeger__internal_uimodel_converter_v1_json_fixtures_ui_01.json";
    let mut bad: serde_json::Value = serde_json::from_slice(&corpus(name)).expect("valid");
    let trace = match bad.get_mut("data") {
        Some(data) => &mut data[0],
        None => &mut bad,
    };
    trace["spans"][1]["tags"] = serde_json::json!("not a list");
    files.push((
        "bad.json".into(),
        serde_json::to_vec_pretty(&bad).expect("json"),
    ));
    for (name, bytes) in &files {
        sightline_core::fuzzing::typed_paths_agree(bytes);
        let before = sightline_core::fuzzing::typed_reads();
        let (_, summary) = decode(name, bytes);
        let typed = sightline_core::fuzzing::typed_reads() - before;
        if summary.format == "Jaeger JSON" && bytes.first() == Some(&b'{') {
            // An envelope or a trace: read by the typed structs unless they reject a part.
            assert_eq!(typed, usize::from(name != "bad.json"), "{name}");
        }
    }
    let (session, _) = decode("bad.json", &files.last().expect("bad").1);
    assert!(
        session
            .warnings
            .iter()
            .any(|w| w.reason.contains("span skipped")),
        "the tree reader still reads the bad trace: {:?}",
        session.warnings
    );
}

#[test]
fn arrays_and_envelopes_read_by_the_typed_structs_read_as_their_trees_do() {
    // Zipkin files as they are and as a list of traces, Jaeger traces and spans as bare
    // arrays, Jaeger envelopes: read by the typed structs, and the same as by the tree readers.
    // With one record the typed structs reject (or an array where a record should be), the
    // whole file goes to the tree readers, which skip that record alone.
    let mut arrays: Vec<(String, Vec<u8>, bool)> = Vec::new();
    for name in [
        "openzipkin__zipkin__zipkin-lens_testdata_skew.json",
        "openzipkin__zipkin__zipkin-lens_testdata_smartthings-oauth-authorization.json",
        "openzipkin__zipkin__zipkin-lens_testdata_yelp.json",
    ] {
        let spans: Vec<serde_json::Value> = serde_json::from_slice(&corpus(name)).expect("json");
        arrays.push((name.into(), corpus(name), true));
        let list: Vec<Vec<serde_json::Value>> =
            spans.chunks(3).map(<[serde_json::Value]>::to_vec).collect();
        arrays.push((
            format!("{name} as a list of traces"),
            serde_json::to_vec(&list).expect("json"),
            true,
        ));
        let mut bad = spans.clone();
        bad[1]["annotations"] = serde_json::json!("not a list");
        arrays.push((
            format!("{name}, a bad span"),
            serde_json::to_vec(&bad).expect("json"),
            false,
        ));
        let mut mixed = spans.clone();
        mixed.insert(1, serde_json::json!([spans[0].clone(), [1, 2]]));
        arrays.push((
            format!("{name}, a span as an array"),
            serde_json::to_vec(&mixed).expect("json"),
            false,
        ));
    }
    for name in [
        "jaegertracing__jaeger__internal_uimodel_converter_v1_json_fixtures_ui_01.json",
        "jaegertracing__jaeger__cmd_jaeger_internal_extension_jaegerquery_internal_fixture_otlp2jaeger-out.json",
    ] {
        let doc: serde_json::Value = serde_json::from_slice(&corpus(name)).expect("json");
        let traces = doc["data"].as_array().cloned().unwrap_or_else(|| vec![doc.clone()]);
        arrays.push((format!("{name} as an array"), serde_json::to_vec(&traces).expect("json"), true));
        let spans: Vec<serde_json::Value> = traces
            .iter()
            .flat_map(|t| t["spans"].as_array().cloned().unwrap_or_default())
            .collect();
        arrays.push((format!("{name} as spans"), serde_json::to_vec(&spans).expect("json"), true));
        let mut bad = traces.clone();
        bad[0]["spans"][1]["logs"] = serde_json::json!(7);
        arrays.push((format!("{name}, a bad span"), serde_json::to_vec(&bad).expect("json"), false));
        let mut bad = spans.clone();
        bad[0]["references"] = serde_json::json!({"x": 1});
        arrays.push((format!("{name} as spans, a bad one"), serde_json::to_vec(&bad).expect("json"), false));
        // A first trace that also has Zipkin's keys (after a long first span, past what is
        // looked at to tell the kind of array) is a Zipkin span to the tree reader.
        let mut zipkin_keys = traces.clone();
        zipkin_keys[0]["spans"][0]["operationName"] = serde_json::json!("x".repeat(70_000));
        zipkin_keys[0]["traceId"] = serde_json::Value::Null;
        zipkin_keys[0]["id"] = serde_json::json!("1");
        let zipkin_keys = serde_json::to_vec(&zipkin_keys).expect("json");
        let at = |key: &[u8]| zipkin_keys.windows(key.len()).position(|w| w == key);
        assert!(at(b"\"spans\"") < Some(65_536) && at(b"\"traceId\"") > Some(65_536));
        arrays.push((format!("{name}, with Zipkin's keys"), zipkin_keys, false));
        // Envelopes too: with Jaeger's own members only (read before the OTLP reader sees
        // them), with one more (read after it found no OTLP in them), and two in a row.
        let envelope = serde_json::json!({"data": traces, "total": 0, "errors": null});
        let mut more = envelope.clone();
        more["x"] = serde_json::json!({"resourceSpans": 1});
        for (what, doc) in [("an envelope", &envelope), ("an envelope with more", &more)] {
            arrays.push((format!("{name} as {what}"), serde_json::to_vec(doc).expect("json"), true));
        }
        let mut two = serde_json::to_vec(&envelope).expect("json");
        two.extend(b"\n");
        two.extend(serde_json::to_vec(&envelope).expect("json"));
        arrays.push((format!("{name} as two envelopes"), two, true));
        let mut positional = traces.clone();
        positional.push(serde_json::json!(["0af7651916cd43dd8448eb211c80319c", []]));
        arrays.push((format!("{name}, a trace as an array"), serde_json::to_vec(&positional).expect("json"), false));
    }
    for (name, bytes, typed) in &arrays {
        sightline_core::fuzzing::typed_paths_agree(bytes);
        let before = sightline_core::fuzzing::typed_reads();
        let (session, summary) = decode(name, bytes);
        let reads = sightline_core::fuzzing::typed_reads() - before;
        let expected = usize::from(*typed)
            * if name.ends_with("two envelopes") {
                2
            } else {
                1
            };
        assert_eq!(reads, expected, "{name}");
        // (With Zipkin's keys, the first trace is a Zipkin span without a readable traceId.)
        assert!(summary.spans > 0 || name.ends_with("keys"), "{name}");
        if name.contains("bad") {
            assert!(
                !session.warnings.is_empty(),
                "{name}: the bad record is reported"
            );
        }
    }
}

#[test]
fn a_jaeger_trace_cut_off_keeps_its_whole_spans_and_says_their_processes_were_lost() {
    for name in [
        "jaegertracing__jaeger__internal_uimodel_converter_v1_json_fixtures_ui_01.json",
        "jaegertracing__jaeger__cmd_jaeger_internal_extension_jaegerquery_internal_fixture_otlp2jaeger-out.json",
    ] {
        let bytes = corpus(name);
        let (whole_session, _) = decode(name, &bytes);
        let whole = seen(&whole_session);
        let ends = element_ends(&bytes, Some("spans"));
        let processes = bytes
            .windows(11)
            .position(|w| w == b"\"processes\"")
            .expect("processes");
        // Every cut before the closing brace (after it, the document is whole).
        let last = bytes.iter().rposition(|&b| b == b'}').expect("closing brace");
        for cut in 1..=last {
            let (session, summary) = decode(name, &bytes[..cut]);
            let complete = ends.iter().filter(|&&e| e <= cut).count();
            if complete == 0 {
                assert!(summary.not_a_trace, "{name} cut at {cut}");
                continue;
            }
            // The oracle: the same decoder on the whole document with only the whole spans,
            // and without its processes while they are not reached.
            let mut reference: serde_json::Value = serde_json::from_slice(&bytes).expect("valid");
            let trace = match reference.get_mut("data") {
                Some(data) => &mut data[0],
                None => &mut reference,
            };
            trace["spans"].as_array_mut().expect("spans").truncate(complete);
            if cut <= processes {
                trace.as_object_mut().expect("trace").remove("processes");
            } else {
                // A process names its service once its serviceName is whole.
                let find = |from: usize, needle: &[u8]| {
                    from + bytes[from..]
                        .windows(needle.len())
                        .position(|w| w == needle)
                        .expect("in the file")
                };
                let map = trace["processes"].as_object_mut().expect("processes");
                map.retain(|id, _| {
                    let key = find(processes, format!("\"{id}\"").as_bytes());
                    let value = find(key, b"\"serviceName\"") + 13;
                    let open = find(value, b"\"");
                    find(open + 1, b"\"") < cut
                });
            }
            let (expected, _) = decode(name, &serde_json::to_vec(&reference).expect("json"));
            assert_eq!(seen(&session), seen(&expected), "{name} cut at {cut}");
            assert_eq!(summary.format, "Jaeger JSON", "{name} cut at {cut}");
            for (id, span) in seen(&session) {
                let Some(full) = whole.get(&id) else { continue };
                assert_eq!(
                    (&span.name, span.start, span.end),
                    (&full.name, full.start, full.end),
                    "{name} cut at {cut}: span {id}"
                );
            }
            let reasons: Vec<&str> = session.warnings.iter().map(|w| w.reason.as_str()).collect();
            assert!(
                reasons.iter().any(|r| r.contains("the file looks cut off")),
                "{name} cut at {cut}: {reasons:?}"
            );
            if cut <= processes {
                // One warning per process the spans name, not one per span.
                let missing = reasons.iter().filter(|r| r.contains("is not in the trace's processes")).count();
                assert!((1..=2).contains(&missing), "{name} cut at {cut}: {reasons:?}");
            }
        }
        // Cut in the processes: every span is kept.
        let (session, _) = decode(name, &bytes[..bytes.len() - 3]);
        assert_eq!(session.spans.len(), whole_session.spans.len(), "{name}");
    }
}

/// `bytes` with the first comma of the first object opening after `from` turned into a space:
/// the damage a lost comma does, inside that object (its first member's value is an id, without
/// commas).
fn lose_a_comma(bytes: &[u8], from: usize) -> Vec<u8> {
    let open = from
        + bytes[from..]
            .iter()
            .position(|&b| b == b'{')
            .expect("a brace");
    let at = open
        + bytes[open..]
            .iter()
            .position(|&b| b == b',')
            .expect("a comma");
    let mut damaged = bytes.to_vec();
    damaged[at] = b' ';
    damaged
}

#[test]
fn a_damaged_zipkin_file_loses_only_the_damaged_span() {
    let bytes = corpus("openzipkin__zipkin__zipkin-lens_testdata_yelp.json");
    let items: Vec<serde_json::Value> = serde_json::from_slice(&bytes).expect("valid");
    let ends = element_ends(&bytes, None);
    for k in 0..items.len() {
        let damaged = lose_a_comma(&bytes, if k == 0 { 0 } else { ends[k - 1] });
        let (session, summary) = decode("damaged.json", &damaged);
        // The oracle: the same decoder on the spans but the damaged one.
        let mut others = items.clone();
        others.remove(k);
        let (expected, _) = decode("others.json", &serde_json::to_vec(&others).expect("json"));
        assert_eq!(summary.format, "Zipkin v2 JSON", "span {k}");
        assert_eq!(seen(&session), seen(&expected), "span {k}");
        let warning = session
            .warnings
            .iter()
            .find(|w| w.reason.contains("not valid JSON"))
            .expect("reported");
        let kept = items.len() - 1;
        let next = bytes[ends[k]..]
            .iter()
            .position(|&b| b == b'{')
            .map(|n| ends[k] + n);
        let expected_words = match next {
            Some(next) => format!("{kept} whole spans kept in all, the span written only in part where it stops was dropped; reading went on past the damage at byte {next}"),
            // The last span: nothing follows it.
            None => format!("the {kept} whole spans before that point are kept, the span written only in part where it stops was dropped; what follows it was not read"),
        };
        assert!(
            warning.reason.contains(&expected_words),
            "span {k}: {}",
            warning.reason
        );
        if next.is_some() {
            assert!(
                warning
                    .reason
                    .contains(&format!("read {} more span record", items.len() - k - 1)),
                "span {k}: {}",
                warning.reason
            );
        }
    }
}

#[test]
fn a_damaged_jaeger_trace_loses_only_the_damaged_span_and_keeps_its_processes() {
    for name in [
        "jaegertracing__jaeger__internal_uimodel_converter_v1_json_fixtures_ui_01.json",
        "jaegertracing__jaeger__cmd_jaeger_internal_extension_jaegerquery_internal_fixture_otlp2jaeger-out.json",
    ] {
        let bytes = corpus(name);
        let ends = element_ends(&bytes, Some("spans"));
        let spans_open = {
            let at = bytes.windows(7).position(|w| w == b"\"spans\"").expect("spans");
            at + bytes[at..].iter().position(|&b| b == b'[').expect("[")
        };
        for k in 0..ends.len() {
            let damaged = lose_a_comma(&bytes, if k == 0 { spans_open } else { ends[k - 1] });
            let (session, summary) = decode(name, &damaged);
            let mut reference: serde_json::Value = serde_json::from_slice(&bytes).expect("valid");
            let trace = match reference.get_mut("data") {
                Some(data) => &mut data[0],
                None => &mut reference,
            };
            trace["spans"].as_array_mut().expect("spans").remove(k);
            let (expected, _) = decode(name, &serde_json::to_vec(&reference).expect("json"));
            assert_eq!(summary.format, "Jaeger JSON", "{name}, span {k}");
            assert_eq!(seen(&session), seen(&expected), "{name}, span {k}");
            let reasons: Vec<&str> = session.warnings.iter().map(|w| w.reason.as_str()).collect();
            assert!(
                reasons.iter().any(|r| r.contains("reading went on past the damage")),
                "{name}, span {k}: {reasons:?}"
            );
            assert!(
                !reasons.iter().any(|r| r.contains("is not in the trace's processes")),
                "{name}, span {k}: the processes after the damage are read: {reasons:?}"
            );
        }
    }
}
