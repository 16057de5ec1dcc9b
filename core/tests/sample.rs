//! The bundled sample, recorded from the order demo with the real SDKs, decodes into the scenario.

mod common;

use common::{fixture, load};
use sightline_core::{SpanKind, StatusCode};

#[test]
fn sample_holds_the_failing_e2e_run() {
    let (session, summaries, forest) = load(&[fixture("order-e2e.json")]);
    assert_eq!(summaries[0].format, "OTLP/JSON");
    assert!(session.warnings.is_empty(), "{:?}", session.warnings);
    assert_eq!(forest.duplicates, 0);
    let services: Vec<&str> = {
        let mut s: Vec<&str> = session
            .resources
            .iter()
            .map(|r| session.strings.get(r.service))
            .collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    assert_eq!(services, ["e2e-tests", "order-api", "order-worker"]);

    // The failing trace comes first: the pytest session, with the three tests under it.
    let tree = &forest.traces[0];
    assert!(tree.error_count > 0);
    let root = &session.spans[tree.nodes[0].span as usize];
    assert_eq!(session.display_name(root), "pytest: e2e");
    let tests: Vec<&str> = tree
        .nodes
        .iter()
        .filter(|n| n.depth == 1)
        .map(|n| session.display_name(&session.spans[n.span as usize]))
        .collect();
    assert_eq!(
        tests,
        [
            "test_orders.py::test_create_order",
            "test_orders.py::test_rejects_order_without_lines",
            "test_orders.py::test_bulk_order"
        ]
    );
    // The test, the API and the worker are one trace: the worker span that raised sits under
    // the API's server span, under the test's HTTP client span.
    let raised = tree
        .nodes
        .iter()
        .filter(|n| n.flags.error)
        .max_by_key(|n| n.depth)
        .expect("an error span");
    let span = &session.spans[raised.span as usize];
    assert_eq!(session.service_of(span), "order-worker");
    assert_eq!(session.display_name(span), "reserve TEAPOT-XL");
    assert_eq!(span.status.code, StatusCode::Error);
    let mut chain = Vec::new();
    let mut at = Some(raised);
    while let Some(n) = at {
        let s = &session.spans[n.span as usize];
        chain.push((session.service_of(s), s.kind));
        at = n.parent.map(|p| &tree.nodes[p as usize]);
    }
    assert!(
        chain.contains(&("order-api", SpanKind::Server)),
        "{chain:?}"
    );
    assert!(
        chain.contains(&("e2e-tests", SpanKind::Client)),
        "{chain:?}"
    );
    assert_eq!(chain.last().map(|c| c.0), Some("e2e-tests"));

    // CI attributes came through OTEL_RESOURCE_ATTRIBUTES.
    let key = session
        .strings
        .lookup("ci.job.url")
        .expect("ci.job.url interned");
    assert!(session
        .resources
        .iter()
        .all(|r| r.attributes.iter().any(|kv| kv.key == key)));
}

#[test]
fn the_sample_opens_on_the_worker_span_that_raised() {
    let (session, _, forest) = load(&[fixture("order-e2e.json")]);
    let tree = &forest.traces[0];
    let open = sightline_core::layout::open_on_failure(&session, tree).expect("a node");
    let span = &session.spans[tree.nodes[open as usize].span as usize];
    assert_eq!(session.display_name(span), "reserve TEAPOT-XL");
    assert_eq!(session.service_of(span), "order-worker");
    // A trace without errors opens on its root.
    let calm = forest
        .traces
        .iter()
        .find(|t| t.error_count == 0)
        .expect("a trace without errors");
    assert_eq!(
        sightline_core::layout::open_on_failure(&session, calm),
        Some(0)
    );
}

#[test]
fn search_finds_spans_by_text_attribute_and_id() {
    use sightline_core::search::Query;
    let (session, _, forest) = load(&[fixture("order-e2e.json")]);
    let tree = &forest.traces[0];
    let names = |q: &str| -> Vec<String> {
        Query::parse(q)
            .matches_in(&session, tree)
            .iter()
            .map(|&i| {
                session
                    .display_name(&session.spans[tree.nodes[i as usize].span as usize])
                    .to_string()
            })
            .collect()
    };
    // Every span that mentions the failing reservation: the span, the ones whose exception or
    // response body carries its message.
    assert_eq!(
        names("teapot-xl reserve"),
        [
            "fulfil order for cus_2077",
            "reserve TEAPOT-XL",
            "fulfilment failed for cus_2077",
            "Reading response body"
        ]
    );
    assert_eq!(names("sku=TEAPOT"), ["reserve TEAPOT-XL"]);
    assert_eq!(
        names("http.route=/orders").len(),
        3,
        "the three server spans"
    );
    assert!(names("order-worker").len() >= 10, "service names match");
    assert!(names("").is_empty());
    assert!(names("no-such-thing-anywhere").is_empty());
    // A span id finds its span; a trace id finds the whole trace.
    let first = &session.spans[tree.nodes[3].span as usize];
    assert_eq!(names(&first.span_id.to_string()).len(), 1);
    assert_eq!(names(&tree.trace_id.to_string()).len(), tree.nodes.len());
}

#[test]
fn the_minimap_draws_every_span_and_marks_the_failures() {
    use sightline_core::layout::minimap;
    let (session, _, forest) = load(&[fixture("order-e2e.json")]);
    let tree = &forest.traces[0];
    let runs = minimap(&session, tree, 200, 40);
    // The root spans the whole width in the first pixel row.
    assert!(
        runs.iter().any(|r| r.y == 0 && r.x0 == 0 && r.x1 == 200),
        "{runs:?}"
    );
    // Every span lights a pixel in its row: as many rows lit as spans, when rows outnumber spans.
    let n = tree.nodes.len();
    assert!(n <= 40);
    let mut rows: Vec<u16> = runs.iter().map(|r| r.y).collect();
    rows.dedup();
    assert_eq!(rows.len(), n);
    // Failed spans are drawn as failures, in the rows of failed nodes.
    let failed_rows: Vec<u16> = runs.iter().filter(|r| r.error).map(|r| r.y).collect();
    assert!(!failed_rows.is_empty());
    for y in failed_rows {
        let node = usize::from(y) * n / 40;
        let covering: Vec<usize> = (0..n).filter(|i| i * 40 / n == usize::from(y)).collect();
        assert!(
            covering.iter().any(|&i| tree.nodes[i].flags.error),
            "row {y} node {node}"
        );
    }
    // Runs stay inside the picture.
    assert!(runs.iter().all(|r| r.x0 < r.x1 && r.x1 <= 200 && r.y < 40));
}
