//! Links into the sample: a view written into a page address and found again, links that name
//! local files by their content or carry a small trace inside them, and the command-line
//! report's links to the span that caused each failure.

mod common;

use common::fixture;

#[test]
fn a_view_written_into_a_link_is_found_again() {
    use sightline_core::session::permalink::{describe, locate, View};
    use sightline_core::view::url_state::HashState;
    use sightline_core::view::window::Window;
    let bytes = std::fs::read(fixture("order-e2e.json")).expect("sample");
    let snapshot = sightline_core::Loaded::decode(vec![("order-e2e.json".into(), bytes)]);
    let tree = &snapshot.forest.traces[0];
    let view = View {
        trace: 0,
        selected: Some(5),
        zoom: Some(Window::new(tree.start + 1_000_000, tree.start + 9_000_000)),
        search: "teapot".into(),
        folded: [1u32, 3].into_iter().collect(),
    };
    let mut link = HashState {
        sources: vec!["https://bucket.example/order-e2e.json".into()],
        ..HashState::default()
    };
    describe(&snapshot, &view, &mut link);
    assert_eq!(link.zoom, Some((1_000_000, 9_000_000)));
    let again = HashState::parse(&link.to_hash());
    assert_eq!(again, link);
    let found = locate(&snapshot, &again);
    assert!(found.missing.is_empty(), "{:?}", found.missing);
    assert_eq!(found.view, view);

    // A broken link opens what it can and says what is missing.
    let mut broken = again.clone();
    broken.span = Some("00000000000000aa".into());
    let found = locate(&snapshot, &broken);
    assert_eq!(found.view.selected, None);
    assert_eq!(found.view.zoom, view.zoom);
    assert_eq!(
        found.missing,
        ["span 00000000000000aa is not in this trace"]
    );
    broken.trace = Some("ffffffffffffffffffffffffffffffff".into());
    let found = locate(&snapshot, &broken);
    assert_eq!(found.view.trace, 0);
    assert_eq!(found.missing.len(), 2);
}

#[test]
fn the_report_names_the_failing_test_and_the_worker_span_that_caused_it() {
    use sightline_core::insight::report::{failing_tests, permalink};
    let bytes = std::fs::read(fixture("order-e2e.json")).expect("sample");
    let snapshot = sightline_core::Loaded::decode(vec![("order-e2e.json".into(), bytes)]);
    let failing = failing_tests(&snapshot.session, &snapshot.forest);
    let names: Vec<&str> = failing.iter().map(|f| f.name.as_str()).collect();
    // The 422 test passed (it expects the rejection); the bulk order failed.
    assert_eq!(names, ["test_orders.py::test_bulk_order"]);
    // The test's own error: the assertion the CI log shows, which the cause explains.
    assert_eq!(failing[0].kind, "AssertionError");
    assert!(
        failing[0].message.starts_with("assert 500 == 200\n"),
        "{}",
        failing[0].message
    );
    // The page gets the same list with the snapshot.
    assert!(snapshot.failures.tests);
    assert_eq!(snapshot.failures.total, 1);
    assert_eq!(snapshot.failures.listed, failing);
    let cause = &failing[0].cause;
    assert_eq!(cause.service, "order-worker");
    assert_eq!(cause.span, "reserve TEAPOT-XL");
    assert_eq!(cause.kind, "ValueError");
    assert_eq!(
        cause.message,
        "cannot reserve 250 x TEAPOT-XL: exceeds warehouse limit of 100"
    );
    let link = permalink(
        "https://ci.example.com/sightline/",
        Some("https://artifacts.example.com/run 7/traces.json"),
        cause,
    );
    assert_eq!(
        link,
        format!(
            "https://ci.example.com/sightline/#src=https://artifacts.example.com/run%207/traces.json&trace={}&span={}",
            cause.trace_id, cause.span_id
        )
    );
    // The link finds the span again.
    let found = sightline_core::session::permalink::locate(
        &snapshot,
        &sightline_core::view::url_state::HashState::parse(link.split_once('#').expect("hash").1),
    );
    assert!(found.missing.is_empty());
    assert_eq!(found.view.selected, Some(cause.node));
}

#[test]
fn a_link_made_from_a_local_file_names_it_by_content() {
    use sightline_core::session::permalink::{check_files, describe, Files, View};
    use sightline_core::view::url_state::HashState;
    let bytes = std::fs::read(fixture("order-e2e.json")).expect("sample");
    let snapshot = sightline_core::Loaded::decode(vec![("order-e2e.json".into(), bytes.clone())]);
    let mut link = HashState::default();
    describe(
        &snapshot,
        &View {
            selected: Some(3),
            ..View::default()
        },
        &mut link,
    );
    assert_eq!(
        link.files,
        [(
            sightline_core::fingerprint(&bytes),
            "order-e2e.json".to_string()
        )]
    );
    let link = HashState::parse(&link.to_hash());
    assert_eq!(check_files(&snapshot, &link), Files::Match);
    // The same name with other content is another file.
    let mut edited = bytes.clone();
    edited.extend_from_slice(b"\n");
    let other = sightline_core::Loaded::decode(vec![("order-e2e.json".into(), edited)]);
    assert!(matches!(check_files(&other, &link), Files::Missing(m) if m[0].0 == "order-e2e.json"));
    // Links with sources name no files: the sources fetch them.
    let mut with_src = HashState {
        sources: vec!["https://x.example/t.json".into()],
        ..HashState::default()
    };
    describe(&snapshot, &View::default(), &mut with_src);
    assert!(with_src.files.is_empty());
    // Fingerprints tell content apart, whatever the length.
    let fps: std::collections::HashSet<String> = (0..200)
        .map(|n| sightline_core::fingerprint(&bytes[..n * 7 % bytes.len()]))
        .collect();
    assert!(fps.len() >= 190);
}

#[test]
fn a_small_trace_travels_inside_a_link_and_decodes_to_the_same_spans() {
    use sightline_core::insight::export::{inline_bytes, inline_trace, INLINE_LIMIT};
    let bytes = std::fs::read(fixture("order-e2e.json")).expect("sample");
    let snapshot = sightline_core::Loaded::decode(vec![("order-e2e.json".into(), bytes)]);
    let data =
        inline_trace(&snapshot.session, &snapshot.forest, 0).expect("the sample's main trace fits");
    assert!(data.len() <= INLINE_LIMIT);
    assert!(
        data.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "base64url"
    );
    let back = sightline_core::Loaded::decode(vec![(
        "linked trace".into(),
        inline_bytes(&data).expect("base64url"),
    )]);
    assert!(
        back.session.warnings.is_empty(),
        "{:?}",
        back.session.warnings
    );
    assert_eq!(back.files[0].format, "gzip: OTLP/JSON");
    assert_eq!(back.forest.traces.len(), 1);
    let (a, b) = (&snapshot.forest.traces[0], &back.forest.traces[0]);
    assert_eq!(a.trace_id, b.trace_id);
    assert_eq!(a.span_count(), b.span_count());
    assert_eq!(a.error_count, b.error_count);
    let names = |s: &sightline_core::Loaded, t: &sightline_core::TraceTree| {
        t.nodes
            .iter()
            .map(|n| {
                s.session
                    .display_name(&s.session.spans[n.span as usize])
                    .to_string()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&snapshot, a), names(&back, b));
}

#[test]
fn a_trace_too_large_for_a_link_says_how_large() {
    use sightline_core::insight::export::{inline_trace, INLINE_LIMIT};
    // 3,000 spans with distinct random-looking attributes do not compress under the limit.
    let spans: Vec<String> = (0..3000u64)
        .map(|i| {
            let noise = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15)) ^ (i << 17);
            format!(
                r#"{{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"{:016x}","name":"s{i}","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{{"key":"n","value":{{"stringValue":"{noise:x}{:x}"}}}}]}}"#,
                i + 1,
                noise.rotate_left(13)
            )
        })
        .collect();
    let doc = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    );
    let snapshot = sightline_core::Loaded::decode(vec![("big.json".into(), doc.into_bytes())]);
    let err = inline_trace(&snapshot.session, &snapshot.forest, 0).expect_err("too large");
    assert!(err > INLINE_LIMIT);
}

#[test]
fn links_stay_short_when_many_subtrees_are_folded() {
    use sightline_core::session::permalink::{describe, View, MAX_FOLDED};
    use sightline_core::view::url_state::HashState;
    let bytes = std::fs::read(fixture("order-e2e.json")).expect("sample");
    let snapshot = sightline_core::Loaded::decode(vec![("order-e2e.json".into(), bytes)]);
    let all: std::collections::HashSet<u32> = (0..MAX_FOLDED as u32 + 1).collect();
    let mut link = HashState::default();
    describe(
        &snapshot,
        &View {
            folded: all,
            ..View::default()
        },
        &mut link,
    );
    assert!(link.folded.is_empty());
    describe(
        &snapshot,
        &View {
            folded: [1, 2].into_iter().collect(),
            ..View::default()
        },
        &mut link,
    );
    assert_eq!(link.folded.len(), 2);
}
