//! One named fixture per hazard (tests/fixtures/edge): what the tree shows and what is reported.

mod common;

use std::collections::HashSet;

use common::{fixture, load, outline, span_names};
use sightline_core::view::rows::visible_rows;
use sightline_core::view::window::{bar, Window};

fn edge(name: &str) -> std::path::PathBuf {
    fixture(&format!("edge/{name}"))
}

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

#[test]
fn only_matches_keeps_each_match_with_its_ancestors() {
    let (_, _, forest) = load(&[edge("own_ancestor.json")]);
    let tree = &forest.traces[0];
    // b > c > (d, a); e alone. A match on d keeps b and c above it.
    assert_eq!(
        sightline_core::view::rows::rows_with_ancestors(tree, &[2]),
        [0, 1, 2]
    );
    assert_eq!(
        sightline_core::view::rows::rows_with_ancestors(tree, &[2, 3, 4]),
        [0, 1, 2, 3, 4]
    );
    assert!(sightline_core::view::rows::rows_with_ancestors(tree, &[]).is_empty());
}

#[test]
fn critical_path_follows_the_last_finishing_children() {
    let (session, _, forest) = load(&[edge("critical_path.json")]);
    let tree = &forest.traces[0];
    let path = span_names(
        &session,
        tree,
        &sightline_core::trace::critical::critical_path(&session, tree),
    );
    // e (clipped to 95-100) ends last; before 95, b ends at 90; inside b, c ends at 60; before c
    // starts (35), d ends at 34; back in the root before b starts (30), f ends at 25. a ends at 40,
    // after b started: not on the path.
    let mut want = vec![
        "root",
        "f: before b starts, 5-25",
        "b: ends last, at 90",
        "d: inside b, 31-34",
        "c: inside b, ends at 60",
        "e: overruns root, 95-130",
    ];
    let mut got = path.clone();
    want.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, want, "{path:?}");
}

#[test]
fn skew_is_measured_against_the_parent() {
    let (session, _, forest) = load(&[edge("child_longer_than_parent.json")]);
    let tree = &forest.traces[0];
    assert_eq!(
        sightline_core::trace::outliers::skew(&session, tree, 0),
        None,
        "a root has no parent"
    );
    // The child ends 800 ms after its parent.
    assert_eq!(
        sightline_core::trace::outliers::skew(&session, tree, 1),
        Some((0, 800_000_000))
    );
    let (session, _, forest) = load(&[edge("critical_path.json")]);
    let tree = &forest.traces[0];
    let skewed: Vec<u32> = (0..tree.nodes.len() as u32)
        .filter(|&i| sightline_core::trace::outliers::skew(&session, tree, i).is_some())
        .collect();
    assert_eq!(skewed.len(), 1, "only e overruns the root");
}

#[test]
fn a_sibling_ten_times_slower_than_the_median_is_an_outlier() {
    let (session, _, forest) = load(&[edge("critical_path.json")]);
    let tree = &forest.traces[0];
    // Root's children last 30, 60, 35, 20 ms: none is ten times the median.
    assert!(sightline_core::trace::outliers::duration_outliers(&session, tree).is_empty());

    // Four retries of 1 ms and one of 20 ms under one parent: the slow one stands out.
    let span = |id: u8, start_ms: u64, dur_ms: u64| {
        let start = 1_700_000_000_000_000_000u64 + start_ms * 1_000_000;
        format!(
            r#"{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00000000000000{id:02x}","parentSpanId":"0000000000000001","name":"call {id}","startTimeUnixNano":"{start}","endTimeUnixNano":"{}"}}"#,
            start + dur_ms * 1_000_000
        )
    };
    let json = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"0000000000000001","name":"parent","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"}},{},{},{},{},{}]}}]}}]}}"#,
        span(2, 0, 1),
        span(3, 2, 1),
        span(4, 4, 1),
        span(5, 6, 20),
        span(6, 30, 1)
    );
    let mut session = sightline_core::Session::default();
    sightline_core::decode_file(&mut session, "retries.json", json.as_bytes());
    let forest = sightline_core::Forest::build(&session);
    let tree = &forest.traces[0];
    let outliers = span_names(
        &session,
        tree,
        &sightline_core::trace::outliers::duration_outliers(&session, tree),
    );
    assert_eq!(outliers, ["call 5"]);
}

#[test]
fn collapse_to_depth_shows_that_many_levels() {
    use sightline_core::view::rows::{collapse_to_depth, visible_ancestor};
    let (_, _, forest) = load(&[edge("own_ancestor.json")]);
    let tree = &forest.traces[0];
    // b > c > (d, a); e alone.
    assert_eq!(visible_rows(tree, &collapse_to_depth(tree, 1)), [0, 4]);
    assert_eq!(visible_rows(tree, &collapse_to_depth(tree, 2)), [0, 1, 4]);
    assert_eq!(
        visible_rows(tree, &collapse_to_depth(tree, 3)),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(
        visible_rows(tree, &collapse_to_depth(tree, 0)),
        [0, 1, 2, 3, 4]
    );
    // d, hidden at one level, is represented by b.
    assert_eq!(visible_ancestor(tree, &collapse_to_depth(tree, 1), 2), 0);
    assert_eq!(visible_ancestor(tree, &collapse_to_depth(tree, 2), 2), 1);
    assert_eq!(visible_ancestor(tree, &HashSet::new(), 2), 2);
}

#[test]
fn spans_that_last_exactly_their_reported_timeout_are_found() {
    use sightline_core::insight::timeout::timeout_match;
    let (session, _, _) = load(&[edge("timeouts.json")]);
    let found: Vec<(String, Option<u64>)> = session
        .spans
        .iter()
        .map(|s| {
            (
                session.strings.get(s.name).to_string(),
                timeout_match(&session, s).map(|t| t.limit),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("test_checkout_page".to_string(), Some(30_000_000_000)),
            ("GET /api/cart".to_string(), Some(250_000_000)),
            ("GET /api/user".to_string(), None),
        ]
    );
}

#[test]
fn broken_json_lines_are_reported_where_they_are() {
    // Broken documents among good ones, on lines of their own and indented: each report names
    // the document's line and where the reader stopped, counted in the whole file.
    let text = concat!(
        "{\"resourceSpans\":[]}\n",
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"01\"\n",
        "{\"resourceSpans\":[]}\n",
        "  {\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\n",
        "\n",
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\",\"name\":\"ok\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\",\"kind\":\"SPAN_KIND_WRONG\"}]}]}]}\n",
        "{\"a\":\n",
    );
    let mut session = sightline_core::Session::default();
    let summary = sightline_core::decode_file(&mut session, "broken.jsonl", text.as_bytes());
    assert_eq!(summary.spans, 1);
    let said: Vec<String> = session.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        said,
        [
            "broken.jsonl (line 2): not valid JSON (expected `,` or `}` at line 3, column 1); skipped to the next document",
            "broken.jsonl (line 4): not valid JSON (expected `,` or `}` at line 7, column 1); skipped to the next document",
            "broken.jsonl (line 6, resourceSpans[0].scopeSpans[0].spans[0]): unknown span kind \"SPAN_KIND_WRONG\": unspecified",
            "broken.jsonl (line 7): not valid JSON (EOF while parsing a value at line 7, column 6); skipped to the next document",
        ]
    );
}

#[test]
fn null_fields_read_as_left_out() {
    // A span with `"links": null` (or `"attributes": null`, ...) was skipped whole.
    let (session, summaries, forest) = load(&[edge("nulls.json")]);
    assert!(session.warnings.is_empty(), "{:?}", session.warnings);
    assert_eq!(summaries[0].spans, 2);
    assert_eq!(outline(&session, &forest, 0), ["root", "  child"]);
    let child = session
        .spans
        .iter()
        .find(|s| session.strings.get(s.name) == "child")
        .expect("the child");
    let keys: Vec<&str> = child
        .attributes
        .iter()
        .map(|kv| session.strings.get(kv.key))
        .collect();
    assert_eq!(
        keys,
        ["a", "b", "c"],
        "attributes with null values are kept"
    );
    assert_eq!(child.events.len(), 1);
    assert_eq!(child.links.len(), 1);
    assert_eq!(session.service_of(child), "api");
}

#[test]
fn the_legend_lists_each_service_once_and_its_search_keeps_that_service_alone() {
    use sightline_core::view::legend::{service_hue, service_legend, LegendEntry};
    use sightline_core::view::search::{service_query, Query};
    let (session, _, forest) = load(&[edge("similar_services.json")]);
    let tree = &forest.traces[0];
    assert_eq!(
        outline(&session, &forest, 0),
        [
            "POST /orders",
            "  GET /stock",
            "    SELECT stock",
            "  cleanup"
        ]
    );
    // In the order the tree meets them (pre-order), each with the hue its bars have.
    let (legend, more) = service_legend(&session, tree, 10);
    let names: Vec<&str> = legend.iter().map(|e| e.service.as_str()).collect();
    assert_eq!(names, ["order-api", "api", "API", "unknown_service"]);
    assert_eq!(more, 0);
    // A trace of many services lists the first few and counts the rest.
    let (first, rest) = service_legend(&session, tree, 2);
    assert_eq!(first, legend[..2]);
    assert_eq!(rest, 2);
    assert!(legend
        .iter()
        .all(|LegendEntry { service, hue }| *hue == service_hue(service)));
    // A legend entry's search keeps its own service's spans: not those whose service contains
    // the name, nor those that differ in case.
    let services_found = |query: &str| -> Vec<&str> {
        Query::parse(query)
            .matches_in(&session, tree)
            .iter()
            .map(|&i| session.service_of(&session.spans[tree.nodes[i as usize].span as usize]))
            .collect()
    };
    for name in names {
        assert_eq!(services_found(&service_query(name)), [name], "{name}");
    }
    // The plain `service=` search still finds every service holding the text, in any case.
    assert_eq!(services_found("service=api"), ["order-api", "api", "API"]);
}

/// A trace of `n` spans whose parents were all left out of the file (an export of one service's
/// spans, say): span `i` names the missing parent `i / share`, so `share` spans share each one,
/// and starts at `(n - i) ms` (the last span first). Every third missing parent is instead
/// the id of the span before it, so some spans do find their parent.
fn orphans(n: u64, share: u64) -> Vec<u8> {
    one_trace((0..n).map(|i| {
        let parent = if i % 3 == 2 {
            i
        } else {
            0xf000_0000_0000_0000 + i / share
        };
        (parent, (n - i) * 1_000_000)
    }))
}

/// An OTLP document of one trace whose span `i` (id `i + 1`) has the given (parent id, start
/// offset in ns) and lasts 500 ns.
fn one_trace(spans: impl Iterator<Item = (u64, u64)>) -> Vec<u8> {
    let spans: Vec<String> = spans
        .enumerate()
        .map(|(i, (parent, offset))| {
            let start = 1_700_000_000_000_000_000 + offset;
            format!(
                r#"{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"{:016x}","parentSpanId":"{parent:016x}","name":"s{i}","startTimeUnixNano":"{start}","endTimeUnixNano":"{}"}}"#,
                i + 1,
                start + 500,
            )
        })
        .collect();
    format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
    .into_bytes()
}

#[test]
fn thousands_of_missing_parents_each_get_one_row_where_their_first_span_starts() {
    use sightline_core::{decode_file, Forest, Session};
    for share in [1, 2] {
        let n = 3_000;
        let mut session = Session::default();
        decode_file(&mut session, "orphans.json", &orphans(n, share));
        let forest = Forest::build(&session);
        let tree = &forest.traces[0];
        assert_eq!(forest.span_count(), n as usize);
        // One placeholder row per missing id that a span names (the spans that find their
        // parent hang under it instead).
        let named: std::collections::HashSet<u64> =
            (0..n).filter(|i| i % 3 != 2).map(|i| i / share).collect();
        let placeholders: Vec<usize> = (0..tree.nodes.len())
            .filter(|&i| tree.nodes[i].flags.placeholder)
            .collect();
        assert_eq!(placeholders.len(), named.len(), "share {share}");
        assert_eq!(
            forest.missing_parents,
            (0..n).filter(|i| i % 3 != 2).count()
        );
        // Each placeholder is a root holding exactly the spans that name its id, and the
        // placeholders come in the order of their earliest span's start.
        let mut last_start = 0;
        for &p in &placeholders {
            let node = tree.nodes[p];
            assert_eq!((node.depth, node.parent), (0, None));
            let kids: Vec<u32> = (p + 1..node.subtree_end as usize)
                .filter(|&k| tree.nodes[k].parent == Some(p as u32))
                .map(|k| tree.nodes[k].span)
                .collect();
            assert_eq!(kids.len() as u32, node.children);
            let missing = session.spans[kids[0] as usize].parent_id;
            assert!(kids
                .iter()
                .all(|&k| session.spans[k as usize].parent_id == missing));
            let start = kids
                .iter()
                .map(|&k| session.spans[k as usize].start)
                .min()
                .unwrap_or_default();
            assert!(start >= last_start, "placeholders out of order");
            last_start = start;
        }
    }
}

#[test]
fn thousands_of_parent_cycles_are_each_cut_once() {
    use sightline_core::{decode_file, Forest, Session};
    // Spans 2k and 2k+1 name each other as parent.
    let n = 4_000u64;
    let file = one_trace((0..n).map(|i| ((i ^ 1) + 1, i * 1_000)));
    let mut session = Session::default();
    decode_file(&mut session, "cycles.json", &file);
    let forest = Forest::build(&session);
    assert_eq!(forest.cycles_broken, (n / 2) as usize);
    let tree = &forest.traces[0];
    assert_eq!(tree.nodes.len(), n as usize);
    // Each pair is cut at its earlier span, which becomes a root with the other below it.
    for pair in tree.nodes.chunks(2) {
        assert!(pair[0].flags.cycle_broken && pair[0].depth == 0);
        assert_eq!(pair[1].depth, 1);
        assert_eq!(pair[0].span + 1, pair[1].span);
    }
}

#[test]
fn a_resource_or_scope_met_again_is_kept_once_and_different_ones_apart() {
    use sightline_core::{decode_file, Session};
    let batch = |service: &str, zone: &str, scope: &str, id: u32| {
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}},{{"key":"cloud.zone","value":{{"stringValue":"{zone}"}}}},{{"key":"weight","value":{{"doubleValue":{w}}}}}]}},"scopeSpans":[{{"scope":{{"name":"{scope}"}},"spans":[{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"{id:016x}","name":"s","startTimeUnixNano":"1","endTimeUnixNano":"2"}}]}}]}}]}}"#,
            // 0.0 and -0.0 compare equal, so they are one resource.
            w = if id.is_multiple_of(2) { "0.0" } else { "-0.0" },
        )
    };
    let lines = [
        batch("api", "a", "http", 1),
        batch("api", "a", "http", 2),
        batch("api", "b", "http", 3),
        batch("worker", "a", "jobs", 4),
        batch("api", "a", "jobs", 5),
        batch("worker", "a", "jobs", 6),
    ]
    .join("\n");
    let mut session = Session::default();
    decode_file(&mut session, "batches.jsonl", lines.as_bytes());
    assert_eq!(session.spans.len(), 6);
    // api in zone a, api in zone b, worker in zone a.
    assert_eq!(session.resources.len(), 3);
    assert_eq!(session.scopes.len(), 2);
    let resource_of: Vec<u32> = session.spans.iter().map(|s| s.resource).collect();
    assert_eq!(resource_of, [0, 0, 1, 2, 0, 2]);
    let scope_of: Vec<u32> = session.spans.iter().map(|s| s.scope).collect();
    assert_eq!(scope_of, [0, 0, 0, 1, 1, 1]);
    // A second file meets the same resources and scopes again.
    decode_file(
        &mut session,
        "more.jsonl",
        batch("worker", "a", "jobs", 7).as_bytes(),
    );
    assert_eq!((session.resources.len(), session.scopes.len()), (3, 2));
    assert_eq!(session.spans[6].resource, 2);
}
