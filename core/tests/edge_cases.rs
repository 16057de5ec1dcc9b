//! One named fixture per hazard (tests/fixtures/edge): what the tree shows and what is reported.

mod common;

use std::collections::HashSet;

use common::{edge, load, outline};
use sightline_core::view::rows::visible_rows;
use sightline_core::view::window::{bar, Window};

#[test]
fn duplicate_span_is_kept_once_and_counted() {
    let (session, summaries, forest) = load(&[edge("duplicate_span.json")]);
    assert_eq!(session.spans.len(), 2, "the copy is not stored");
    assert_eq!(summaries[0].spans, 2);
    assert_eq!(forest.span_count(), 2);
    assert_eq!(forest.duplicates, 1);
    assert_eq!(outline(&session, &forest, 0), ["root", "  child"]);
}

#[test]
fn missing_parent_becomes_a_placeholder_row_above_the_orphan_and_its_children() {
    let (session, _, forest) = load(&[edge("missing_parent.json")]);
    assert_eq!(
        outline(&session, &forest, 0),
        [
            "root",
            "missing parent deadbeefdeadbeef",
            "  orphan",
            "    orphan child"
        ]
    );
    let tree = &forest.traces[0];
    let nodes = &tree.nodes;
    assert!(nodes[1].flags.placeholder);
    assert_eq!(
        tree.missing_parent_id(&session, 1).map(|id| id.to_string()),
        Some("deadbeefdeadbeef".into())
    );
    assert!(nodes[2].flags.missing_parent && !nodes[2].flags.placeholder);
    assert_eq!(nodes[2].parent, Some(1));
    assert_eq!(nodes[1].subtree_end, 4);
    assert!(!nodes[3].flags.missing_parent);
    assert_eq!(forest.missing_parents, 1);
    // The placeholder is no span: not counted, not found by id or search, not raised on.
    assert_eq!(forest.span_count(), 3);
    assert_eq!(
        tree.find(&session, tree.trace_id, session.spans[1].span_id),
        Some(2)
    );
    let orphan_search =
        sightline_core::view::search::Query::parse("orphan").matches_in(&session, tree);
    assert_eq!(orphan_search, [2, 3]);
    // Its bar covers the spans that name it: 100 ms to 200 ms of a 500 ms trace.
    let b = sightline_core::view::window::bar(
        &session,
        tree,
        1,
        sightline_core::view::window::Window::of_trace(tree),
    );
    assert!(
        (b.left - 0.2).abs() < 1e-9 && (b.width - 0.2).abs() < 1e-9,
        "{b:?}"
    );
    // Orphans under the same missing id share one placeholder; the skew of the second is not
    // measured against the first.
    assert_eq!(
        sightline_core::trace::outliers::skew(&session, tree, 2),
        None
    );
}

#[test]
fn child_longer_than_parent_keeps_its_own_times_and_widens_the_trace() {
    let (session, _, forest) = load(&[edge("child_longer_than_parent.json")]);
    let tree = &forest.traces[0];
    assert_eq!(tree.end - tree.start, 900_000_000);
    let w = Window::of_trace(tree);
    let parent = bar(&session, tree, 0, w);
    let child = bar(&session, tree, 1, w);
    assert!((parent.width - 100.0 / 900.0).abs() < 1e-9);
    assert!((child.left - 50.0 / 900.0).abs() < 1e-9);
    assert!(
        (child.left + child.width - 1.0).abs() < 1e-9,
        "the child is drawn to its own end"
    );
}

#[test]
fn zero_and_missing_times_sit_at_the_parent_start() {
    let (session, _, forest) = load(&[edge("zero_times.json")]);
    let tree = &forest.traces[0];
    assert_eq!(tree.nodes.len(), 4);
    assert_eq!(
        tree.end - tree.start,
        100_000_000,
        "untimed spans do not stretch the trace"
    );
    let w = Window::of_trace(tree);
    let untimed: Vec<_> = (0..4)
        .map(|i| (i, bar(&session, tree, i, w)))
        .filter(|(_, b)| b.no_time)
        .collect();
    assert_eq!(untimed.len(), 2);
    for (_, b) in untimed {
        assert_eq!((b.left, b.width), (0.0, 0.0));
    }
    let inverted = tree
        .nodes
        .iter()
        .find(|n| {
            session.strings.get(session.spans[n.span as usize].name) == "ends before it starts"
        })
        .expect("inverted span kept");
    assert_eq!(session.spans[inverted.span as usize].duration(), 0);
}

#[test]
fn a_span_that_is_its_own_ancestor_is_cut_and_every_span_shown() {
    let (session, _, forest) = load(&[edge("own_ancestor.json")]);
    let tree = &forest.traces[0];
    assert_eq!(tree.nodes.len(), 5, "no span lost to a cycle");
    assert_eq!(forest.cycles_broken, 2);
    // The a->c->b->a cycle is cut at b, its earliest span; the self-parent span stands alone.
    assert_eq!(
        outline(&session, &forest, 0),
        [
            "b",
            "  c",
            "    d under the cycle",
            "    a",
            "its own parent"
        ]
    );
    assert!(tree.nodes[0].flags.cycle_broken);
    assert!(tree.nodes[4].flags.cycle_broken);
    assert_eq!(tree.nodes[0].subtree_end, 4);
}

#[test]
fn corrupt_json_line_is_reported_and_the_other_lines_join_across_lines() {
    let (session, summaries, forest) = load(&[edge("corrupt_line.jsonl")]);
    assert_eq!(session.spans.len(), 2);
    assert_eq!(summaries[0].warnings, 1);
    let w = &session.warnings[0];
    assert_eq!(w.source, "corrupt_line.jsonl");
    assert_eq!(w.location, "line 2", "{w}");
    assert!(w.reason.contains("at line 2, column"), "{w}");
    assert!(w.reason.contains("not valid JSON"), "{w}");
    // The child (line 1) found its parent (line 3); enum names and numeric times were read.
    assert_eq!(
        outline(&session, &forest, 0),
        ["parent in line 3", "  child in line 1"]
    );
    assert_eq!(forest.error_count(), 1);
    assert!(forest.traces[0].nodes[0].flags.error);
}

#[test]
fn one_bad_span_costs_only_itself() {
    let (session, _, forest) = load(&[edge("bad_span.json")]);
    assert_eq!(session.spans.len(), 2);
    // The first span was read before the bad one was met; reading again did not count it twice.
    assert_eq!(session.duplicates, 0);
    assert_eq!(outline(&session, &forest, 0), ["good", "  also good"]);
    assert!(session
        .warnings
        .iter()
        .any(|w| w.location.contains("spans[1]") && w.reason.starts_with("span skipped")));
}

#[test]
fn collapsing_hides_exactly_the_subtree() {
    let (_, _, forest) = load(&[edge("own_ancestor.json")]);
    let tree = &forest.traces[0];
    assert_eq!(visible_rows(tree, &HashSet::new()), [0, 1, 2, 3, 4]);
    assert_eq!(visible_rows(tree, &HashSet::from([1])), [0, 1, 4]);
    assert_eq!(visible_rows(tree, &HashSet::from([0, 1])), [0, 4]);
}

#[test]
fn not_a_trace_says_so() {
    let mut session = sightline_core::Session::default();
    let summary =
        sightline_core::decode_file(&mut session, "notes.txt", b"hello, this is not JSON");
    assert!(summary.not_a_trace);
    assert_eq!(session.warnings.len(), 1);
    assert_eq!(
        session.warnings[0].reason,
        "not a trace file: neither JSON (OTLP, Jaeger, Zipkin) nor gzip, zstd, zip or tar; it begins \"hello, this is not JSON\""
    );
    let summary = sightline_core::decode_file(&mut session, "package.json", br#"{"name":"x"}"#);
    assert!(summary.not_a_trace);
    assert!(
        session.warnings[1].reason.contains("not a trace"),
        "{}",
        session.warnings[1]
    );
    // A CI log: one warning for the file, not one per line; a long first line is cut.
    let mut session = sightline_core::Session::default();
    let log = "\u{feff}  ============================= test session starts ==============================\nE   assert 500 == 200\n{ not json\n";
    let summary = sightline_core::decode_file(&mut session, "ci.log", log.as_bytes());
    assert!(summary.not_a_trace);
    assert_eq!(session.warnings.len(), 1, "{:?}", session.warnings);
    assert!(
        session.warnings[0]
            .reason
            .ends_with("it begins \"============================= test sessi…\""),
        "{}",
        session.warnings[0]
    );
    // Broken JSON keeps its line-by-line report (it may be a damaged trace).
    let mut session = sightline_core::Session::default();
    let summary = sightline_core::decode_file(&mut session, "cut.json", br#"{"resourceSpans":[{"#);
    assert!(summary.not_a_trace);
    assert!(
        session.warnings[0].reason.contains("not valid JSON"),
        "{}",
        session.warnings[0]
    );
}

#[test]
fn logfire_pending_spans_fold_into_their_span_or_stand_in_for_it() {
    let (session, _, forest) = load(&[edge("logfire_pending.json")]);
    assert_eq!(session.spans.len(), 6);
    assert_eq!(forest.pending_folded, 2);
    assert_eq!(
        forest.missing_parents, 0,
        "the stand-in is the parent the log record names"
    );
    assert_eq!(
        outline(&session, &forest, 0),
        [
            "run suite",
            "  load fixtures",
            "  import orders",
            "    row 42 rejected"
        ]
    );
    let nodes = &forest.traces[0].nodes;
    assert!(nodes[2].flags.pending && !nodes[1].flags.pending);
    assert!(nodes[3].flags.log && !nodes[2].flags.log);
}

#[test]
fn open_on_failure_prefers_the_raising_span_over_deeper_error_statuses() {
    let (session, _, forest) = load(&[edge("corrupt_line.jsonl")]);
    // No exception events: the deepest span with status ERROR is chosen (the parent here).
    let tree = &forest.traces[0];
    assert_eq!(
        sightline_core::trace::open_at::open_on_failure(&session, tree),
        Some(0)
    );
    let (session, _, forest) = load(&[edge("missing_parent.json")]);
    assert_eq!(
        sightline_core::trace::open_at::open_on_failure(&session, &forest.traces[0]),
        Some(0),
        "no errors: the root"
    );
}

#[test]
fn writer_variants_each_decode_to_the_same_model() {
    let (session, summaries, forest) = load(&[edge("writer_variants.jsonl")]);
    assert_eq!(summaries[0].format, "OTLP/JSON");
    assert!(session.warnings.is_empty(), "{:?}", session.warnings);
    assert_eq!(
        outline(&session, &forest, 0),
        [
            "snake case",
            "  base64 ids and long times",
            "  tempo v2 wrapper"
        ]
    );
    let by_name = |n: &str| {
        session
            .spans
            .iter()
            .find(|s| session.strings.get(s.name) == n)
            .expect(n)
    };
    let snake = by_name("snake case");
    assert_eq!(snake.kind, sightline_core::SpanKind::Server);
    assert_eq!(snake.status.code, sightline_core::StatusCode::Ok);
    assert_eq!(snake.duration(), 200_000_000);
    assert_eq!(session.service_of(snake), "snake");
    assert_eq!(snake.attributes[0].value, sightline_core::Value::Int(42));
    let scope = &session.scopes[snake.scope as usize];
    assert_eq!(session.strings.get(scope.name), "old-lib");
    let js = by_name("base64 ids and long times");
    assert_eq!(js.span_id.to_string(), "0000000000000002");
    assert_eq!(js.trace_id.to_string(), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(
        js.start, 1_700_000_000_050_000_000,
        "{{low, high}} read as one u64"
    );
    assert_eq!(js.dropped_attributes, 3);
    assert_eq!(js.attributes[1].value, sightline_core::Value::Empty);
    let tempo = by_name("tempo v2 wrapper");
    assert_eq!(tempo.status.code, sightline_core::StatusCode::Error);
    assert_eq!(session.strings.get(tempo.status.message), "boom");
}

#[test]
fn concatenated_pretty_documents_both_load() {
    let (session, _, forest) = load(&[edge("concatenated.json")]);
    assert!(session.warnings.is_empty(), "{:?}", session.warnings);
    assert_eq!(
        outline(&session, &forest, 0),
        ["first document", "  second document"]
    );
}

#[test]
fn json_array_of_otlp_documents_loads_each_and_reports_what_it_skips() {
    let (session, summaries, forest) = load(&[edge("otlp_array.json")]);
    assert_eq!(summaries[0].format, "OTLP/JSON");
    assert!(!summaries[0].not_a_trace);
    assert_eq!(
        outline(&session, &forest, 0),
        ["test_checkout", "  POST /checkout"]
    );
    let services: Vec<_> = session
        .spans
        .iter()
        .map(|s| session.service_of(s))
        .collect();
    assert_eq!(services, ["runner", "api"]);
    let found: Vec<_> = session
        .warnings
        .iter()
        .map(|w| {
            (
                w.location.as_str(),
                w.reason.split(':').next().unwrap_or(""),
            )
        })
        .collect();
    // The documents are read one by one, as concatenated ones are (no tree of the whole array
    // is built): warnings name lines.
    assert_eq!(
        found,
        [
            ("line 13, column 59", "unexpected structure (invalid type"),
            (
                "line 7, resourceSpans[0].scopeSpans[0].spans[1]",
                "span skipped"
            ),
            (
                "line 15",
                "JSON document without resourceSpans, Jaeger data or spans"
            )
        ]
    );
    // Cut off inside its second document: the first document's span and the second's whole
    // span are kept.
    let bytes = std::fs::read(edge("otlp_array.json")).expect("fixture");
    let text = String::from_utf8(bytes).expect("utf-8");
    let cut = text.find("\"bad attributes\"").expect("the bad span");
    let mut session = sightline_core::Session::default();
    let summary = sightline_core::decode_file(&mut session, "cut.json", &text.as_bytes()[..cut]);
    assert_eq!(summary.format, "OTLP/JSON");
    let names: Vec<_> = session
        .spans
        .iter()
        .map(|s| session.strings.get(s.name))
        .collect();
    assert_eq!(names, ["test_checkout", "POST /checkout"]);
    assert!(
        session
            .warnings
            .iter()
            .any(|w| w.reason.contains("cut off")),
        "{:?}",
        session.warnings
    );
}

#[test]
fn jaeger_bare_array_of_traces() {
    let (session, summaries, forest) = load(&[edge("jaeger_trace_array.json")]);
    assert_eq!(summaries[0].format, "Jaeger JSON");
    assert_eq!(forest.span_count(), 1);
    let span = &session.spans[0];
    assert_eq!(session.service_of(span), "health");
    assert_eq!(span.kind, sightline_core::SpanKind::Server);
    assert_eq!(span.duration(), 1_500_000);
}
