//! Spans are converted while the parser reads the document: resources and scopes that come after
//! their spans, progress reported from inside one big document, and documents read again after
//! an error without counting anything twice.

use sightline_core::{decode_file, decode_file_with_progress, Session};

fn span(i: usize, parent: Option<usize>) -> serde_json::Value {
    let mut s = serde_json::json!({
        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
        "spanId": format!("{:016x}", i + 1),
        "name": format!("span {i}"),
        "startTimeUnixNano": (1_700_000_000_000_000_000u64 + i as u64 * 1000).to_string(),
        "endTimeUnixNano": (1_700_000_000_000_000_000u64 + i as u64 * 1000 + 500).to_string(),
        "attributes": [{"key": "i", "value": {"intValue": i.to_string()}}],
    });
    if let Some(p) = parent {
        s["parentSpanId"] = format!("{:016x}", p + 1).into();
    }
    s
}

#[test]
fn resource_and_scope_written_after_their_spans_still_apply() {
    let doc = serde_json::json!({"resourceSpans": [{
        "scopeSpans": [{
            "spans": [span(0, None), span(1, Some(0))],
            "scope": {"name": "late-scope", "version": "2"},
        }],
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "late-service"}}]},
    }]});
    let mut session = Session::default();
    let summary = decode_file(&mut session, "late.json", doc.to_string().as_bytes());
    assert_eq!(summary.format, "OTLP/JSON");
    assert_eq!(session.spans.len(), 2);
    for s in &session.spans {
        assert_eq!(session.service_of(s), "late-service");
        let scope = &session.scopes[s.scope as usize];
        assert_eq!(session.strings.get(scope.name), "late-scope");
    }
    assert!(session.warnings.is_empty(), "{:?}", session.warnings);
}

#[test]
fn progress_is_reported_from_inside_one_document() {
    let spans: Vec<_> = (0..20_000)
        .map(|i| span(i, i.checked_sub(1).map(|p| p / 2)))
        .collect();
    let doc = serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
        "scopeSpans": [{"scope": {"name": "s"}, "spans": spans}],
    }]})
    .to_string();
    let mut reports = Vec::new();
    let mut session = Session::default();
    let summary = decode_file_with_progress(
        &mut session,
        "big.json",
        doc.as_bytes(),
        &mut |at, s: &Session| {
            reports.push((at, s.spans.len()));
        },
    );
    assert_eq!(summary.spans, 20_000);
    // Several reports before the end, each further into the file with more spans.
    let mid: Vec<_> = reports.iter().filter(|(at, _)| *at < doc.len()).collect();
    assert!(mid.len() >= 4, "{reports:?}");
    assert!(
        reports
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1),
        "{reports:?}"
    );
    assert_eq!(reports.last(), Some(&(doc.len(), 20_000)));
    // A report's offset points at the span it counts: the text there names a span near it.
    let (at, n) = *mid[0];
    let name = &doc[at..at + 12];
    assert!(name.starts_with("span "), "{name}");
    let index: usize = name[5..]
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .expect("index");
    assert_eq!(index + 1, n);
}

#[test]
fn progress_is_reported_while_a_damaged_document_is_salvaged() {
    // 20 batches of 1,000 spans, the first span's name missing its closing quote: the fast and
    // typed readers stop there, and the salvaging walk reads the rest.
    // Written by hand in the order OTLP writers use (ids first), which the salvage relies on.
    let batches: Vec<String> = (0..20)
        .map(|b| {
            let spans: Vec<String> = (b * 1000..(b + 1) * 1000)
                .map(|i| {
                    format!(
                        r#"{{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"{:016x}","name":"span {i}","startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}"#,
                        i + 1,
                        1_700_000_000_000_000_000u64 + i as u64 * 1000,
                        1_700_000_000_000_000_000u64 + i as u64 * 1000 + 500
                    )
                })
                .collect();
            format!(
                r#"{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"api"}}}}]}},"scopeSpans":[{{"scope":{{"name":"s"}},"spans":[{}]}}]}}"#,
                spans.join(",")
            )
        })
        .collect();
    let doc = format!(r#"{{"resourceSpans":[{}]}}"#, batches.join(",")).replacen(
        "\"span 0\"",
        "\"span 0",
        1,
    );
    let mut reports = Vec::new();
    let mut session = Session::default();
    let summary = decode_file_with_progress(
        &mut session,
        "damaged.json",
        doc.as_bytes(),
        &mut |at, s: &Session| reports.push((at, s.spans.len())),
    );
    assert_eq!(summary.spans, 19_999);
    let mid: Vec<_> = reports
        .iter()
        .filter(|&&(at, n)| at < doc.len() && n > 0)
        .collect();
    assert!(mid.len() >= 4, "{reports:?}");
    assert!(
        mid.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
        "{reports:?}"
    );
}

#[test]
fn a_document_read_again_after_an_error_counts_nothing_twice() {
    // Line 1 is fine; line 2 fails the typed reader halfway (attributes is not a list) after
    // two of its spans were already read, and is then read span by span; line 3 repeats line 1.
    let good = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [span(0, None)]}]}]});
    let mut bad_span = span(3, Some(0));
    bad_span["attributes"] = "not a list".into();
    let bad = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [
        span(1, Some(0)), span(2, Some(1)), bad_span, span(4, Some(0))
    ]}]}]});
    let text = format!("{good}\n{bad}\n{good}\n");
    let mut session = Session::default();
    let summary = decode_file(&mut session, "lines.jsonl", text.as_bytes());
    assert_eq!(summary.spans, 4);
    assert_eq!(session.duplicates, 1, "line 3 repeats line 1");
    let names: Vec<_> = session
        .spans
        .iter()
        .map(|s| session.strings.get(s.name))
        .collect();
    assert_eq!(names, ["span 0", "span 1", "span 2", "span 4"]);
    let reasons: Vec<_> = session.warnings.iter().map(|w| format!("{w}")).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].contains("line 2") && reasons[0].contains("read span by span"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("line 2, resourceSpans[0].scopeSpans[0].spans[2]"),
        "{reasons:?}"
    );
}

/// The decoder worker sends spans while it decodes ([`Streamer`]); when a document is read again
/// another way (here: its last span's name is a number, which sends the fast path back), the
/// spans already sent are taken back, and the page ends with exactly the decoded session.
#[test]
fn spans_sent_while_decoding_are_taken_back_when_a_document_is_read_again() {
    use sightline_core::{forest_parts, Assembler, Forest, Streamer};
    let mut spans: Vec<_> = (0..10_000).map(|i| span(i, i.checked_sub(1))).collect();
    spans[9_999]["name"] = 5.into();
    let doc = serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "late-service"}}]},
        "scopeSpans": [{"scope": {"name": "s"}, "spans": spans}],
    }]})
    .to_string();
    let mut session = Session::default();
    let mut streamer = Streamer::new();
    let mut assembler = Assembler::new();
    let mut sent_before_end = 0;
    decode_file_with_progress(
        &mut session,
        "late.json",
        doc.as_bytes(),
        &mut |_, s: &Session| {
            for part in streamer.parts(s, 1_000, 10_000) {
                assembler.add(&part).expect("part");
                sent_before_end += 1;
            }
        },
    );
    assert!(
        !session.rollbacks.is_empty(),
        "the document was not read again"
    );
    assert!(sent_before_end > 0, "nothing was sent while decoding");
    for part in streamer.finish(&session, 1_000) {
        assembler.add(&part).expect("part");
    }
    let forest = Forest::build(&session);
    for part in forest_parts(
        &forest,
        &[],
        &Default::default(),
        &Default::default(),
        1_000,
    ) {
        assembler.add(&part).expect("part");
    }
    let received = assembler.finish().expect("assembled");
    assert_eq!(received.session.spans, session.spans);
    assert_eq!(received.session.strings.len(), session.strings.len());
    assert!(received
        .session
        .spans
        .iter()
        .all(|s| received.session.service_of(s) == "late-service"));
}

/// The page keeps what it reads for as long as the trace is open, and its wasm memory never
/// shrinks: the trees' lists are read into vectors of their exact size, not grown by doubling.
#[test]
fn the_page_reads_a_session_of_many_small_traces_into_lists_of_their_exact_size() {
    use sightline_core::{Assembler, Loaded};
    let spans: Vec<_> = (0..12_000)
        .map(|i| {
            let mut s = span(i, None);
            s["traceId"] = format!("{:032x}", i + 1).into();
            s
        })
        .collect();
    let doc = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]});
    let snapshot = Loaded::decode(vec![("many.json".into(), doc.to_string().into_bytes())]);
    assert_eq!(snapshot.forest.traces.len(), 12_000);
    let mut assembler = Assembler::new();
    for part in snapshot.to_parts(1_000) {
        assembler.add(&part).expect("part");
    }
    let received = assembler.finish().expect("assembled");
    assert_eq!(received.forest, snapshot.forest);
    assert_eq!(received.forest.traces.capacity(), 12_000);
    let whole = Loaded::from_bytes(&snapshot.to_bytes()).expect("whole");
    assert_eq!(whole.forest.traces.capacity(), 12_000);
}

/// The page makes room for the spans the decoder expects: a quarter more for a small session
/// (outgrowing it costs a short copy), twice as many for a big one (whose copy would block the
/// page).
#[test]
fn the_page_makes_room_for_the_expected_spans_with_a_margin_that_grows_with_the_session() {
    use sightline_core::{forest_parts, Assembler, Forest, Streamer};
    let spans: Vec<_> = (0..4_000).map(|i| span(i, i.checked_sub(1))).collect();
    let doc = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]});
    let mut session = Session::default();
    decode_file(
        &mut session,
        "four-thousand.json",
        doc.to_string().as_bytes(),
    );
    let forest = Forest::build(&session);
    for (expected, room) in [(4_000, 5_000), (40_000, 50_000), (200_000, 400_000)] {
        let mut streamer = Streamer::new();
        let mut assembler = Assembler::new();
        let mut parts = streamer.parts(&session, 1_000, expected);
        parts.extend(streamer.finish(&session, 1_000));
        parts.extend(forest_parts(
            &forest,
            &[],
            &Default::default(),
            &Default::default(),
            1_000,
        ));
        for part in parts {
            assembler.add(&part).expect("part");
        }
        let received = assembler.finish().expect("assembled");
        assert_eq!(received.session.spans.len(), 4_000);
        assert_eq!(
            received.session.spans.capacity(),
            room,
            "{expected} expected"
        );
    }
}
