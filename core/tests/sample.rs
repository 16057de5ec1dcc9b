//! The bundled sample, recorded from the order demo with the real SDKs, decodes into the scenario.

mod common;

use common::{fixture, load};
use sightline_core::{Session, SpanKind, StatusCode};

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
    let open = sightline_core::trace::open_at::open_on_failure(&session, tree).expect("a node");
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
        sightline_core::trace::open_at::open_on_failure(&session, calm),
        Some(0)
    );
}

/// The sample's search: the display names of the spans of its first trace a query matches.
fn sample_search() -> impl Fn(&str) -> Vec<String> {
    use sightline_core::view::search::Query;
    let (session, _, forest) = load(&[fixture("order-e2e.json")]);
    move |q| {
        let tree = &forest.traces[0];
        Query::parse(q)
            .matches_in(&session, tree)
            .iter()
            .map(|&i| {
                session
                    .display_name(&session.spans[tree.nodes[i as usize].span as usize])
                    .to_string()
            })
            .collect()
    }
}

#[test]
fn search_finds_spans_by_text_attribute_and_id() {
    let names = sample_search();
    let (session, _, forest) = load(&[fixture("order-e2e.json")]);
    let tree = &forest.traces[0];
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
    use sightline_core::view::minimap::minimap;
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

#[test]
fn the_failing_call_reads_as_http_and_the_resource_links_to_its_ci_job() {
    use sightline_core::insight::semantic::{ci_links, sections, session_ci_job, FieldKind};
    let (session, _, forest) = load(&[fixture("order-e2e.json")]);
    let tree = &forest.traces[0];
    let client = tree
        .nodes
        .iter()
        .map(|n| &session.spans[n.span as usize])
        .rfind(|s| {
            session.display_name(s).starts_with("POST 127.0.0.1")
                && s.status.code == sightline_core::StatusCode::Error
        })
        .expect("the failing client call of test_bulk_order (the 422 one comes first)");
    let http = sections(&session, client)
        .into_iter()
        .find(|s| s.title == "HTTP")
        .expect("an HTTP section");
    let field = |label: &str| http.fields.iter().find(|f| f.label == label).cloned();
    assert_eq!(field("Method").map(|f| f.value).as_deref(), Some("POST"));
    assert_eq!(
        field("Status").map(|f| (f.value, f.kind)),
        Some(("500".into(), FieldKind::Status("server-error")))
    );
    assert_eq!(field("URL").map(|f| f.kind), Some(FieldKind::Link));

    let job = session_ci_job(&session).expect("a CI job");
    assert_eq!(
        job.url,
        "https://ci.example.com/acme/order-demo/-/jobs/4711"
    );
    let links = ci_links(
        &session,
        &session.resources[client.resource as usize].attributes,
    );
    let labels: Vec<&str> = links.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(labels, ["CI job", "Commit 3f9c2d1e8a7b", "Repository"]);
    assert_eq!(
        links[1].url,
        "https://git.example.com/acme/order-demo/commit/3f9c2d1e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d"
    );

    // The test span reads as a test, the worker's query as a database call with its SQL.
    let test = tree
        .nodes
        .iter()
        .map(|n| &session.spans[n.span as usize])
        .find(|s| session.display_name(s) == "test_orders.py::test_bulk_order")
        .expect("test span");
    let t = sections(&session, test);
    assert_eq!(t[0].title, "Test");
    assert!(t[0]
        .fields
        .iter()
        .any(|f| f.label == "Outcome" && f.value == "failed"));
    assert!(t
        .iter()
        .any(|s| s.title == "Code" && s.fields[0].value == "test_orders.py:41"));
    let query = tree
        .nodes
        .iter()
        .map(|n| &session.spans[n.span as usize])
        .find(|s| session.display_name(s).starts_with("SELECT"))
        .expect("a query");
    let db = sections(&session, query)
        .into_iter()
        .find(|s| s.title == "Database")
        .expect("db");
    assert!(db
        .fields
        .iter()
        .any(|f| f.kind == FieldKind::Code && f.value.starts_with("SELECT")));
}

#[test]
fn only_http_and_https_urls_are_links() {
    use sightline_core::view::url_state::is_http_url;
    for bad in [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>",
        "vbscript:x",
        "file:///etc/passwd",
        "http://",
        "https://x\u{0}y",
        "//evil.example",
    ] {
        assert!(!is_http_url(bad), "{bad:?}");
    }
    for good in [
        "http://example.com",
        "HTTPS://ci.example.com/jobs/1",
        " https://x.example/a b",
    ] {
        assert!(is_http_url(good), "{good:?}");
    }
}

#[test]
fn a_span_copied_as_otlp_json_reads_back_the_same() {
    use sightline_core::insight::export::span_as_otlp_json;
    let (session, _, forest) = load(&[fixture("order-e2e.json")]);
    let tree = &forest.traces[0];
    for node in &tree.nodes {
        let span = &session.spans[node.span as usize];
        let text = span_as_otlp_json(&session, span);
        let mut again = Session::default();
        let summary = sightline_core::decode_file(&mut again, "copy.json", text.as_bytes());
        assert_eq!(summary.spans, 1);
        assert!(again.warnings.is_empty(), "{:?}", again.warnings);
        let back = &again.spans[0];
        // Same span, field by field (strings compared as text: the sessions intern differently).
        assert_eq!(
            (back.trace_id, back.span_id, back.parent_id),
            (span.trace_id, span.span_id, span.parent_id)
        );
        assert_eq!(
            (back.start, back.end, back.kind, back.status.code),
            (span.start, span.end, span.kind, span.status.code)
        );
        let show = |s: &Session, sp: &sightline_core::Span| {
            sp.attributes
                .iter()
                .map(|kv| format!("{}={}", s.strings.get(kv.key), kv.value.display(&s.strings)))
                .collect::<Vec<_>>()
        };
        assert_eq!(show(&again, back), show(&session, span));
        assert_eq!(back.events.len(), span.events.len());
        assert_eq!(again.service_of(back), session.service_of(span));
    }
}

#[test]
fn what_the_decoder_precomputes_is_what_the_page_would_compute() {
    let bytes = std::fs::read(fixture("order-e2e.json")).expect("sample");
    let snapshot = sightline_core::Loaded::decode(vec![("order-e2e.json".into(), bytes)]);
    for tree in &snapshot.forest.traces {
        let p = tree.precomputed.clone().expect("precomputed by decode");
        assert_eq!(
            p.outliers,
            sightline_core::trace::outliers::duration_outliers(&snapshot.session, tree)
        );
        assert_eq!(
            p.open_at,
            sightline_core::trace::open_at::open_on_failure(&snapshot.session, tree)
        );
        assert_eq!(
            p.spans,
            tree.nodes.iter().filter(|n| !n.flags.placeholder).count()
        );
        assert!(!tree.minimap.is_empty());
    }
}

#[test]
fn search_compares_numbers_durations_and_the_span_fields() {
    let names = sample_search();
    // The failing request, client and server side: the only 5xx responses.
    assert_eq!(
        names("http.status_code>=500"),
        ["POST 127.0.0.1/orders", "POST /orders"]
    );
    // The 422 of the rejected order, client and server side, is a 4xx: in a 4xx search.
    assert_eq!(
        names("http.status_code>=400 http.status_code<500"),
        ["POST 127.0.0.1/orders", "POST /orders"]
    );
    assert_eq!(names("status=error").len(), 7, "the trace's seven errors");
    assert_eq!(
        names("status=error kind=server"),
        ["POST /orders"],
        "the API span that failed"
    );
    // Words of the status message: the exception's message, as the spans it went through
    // report it.
    assert_eq!(
        names("status=warehouse"),
        [
            "fulfil order for cus_2077",
            "reserve TEAPOT-XL",
            "fulfilment failed for cus_2077"
        ]
    );
    assert_eq!(
        names("duration>100ms"),
        [
            "pytest: e2e",
            "test_orders.py::test_create_order",
            "test_orders.py::test_bulk_order"
        ]
    );
    assert!(names("duration>10m").is_empty());
    assert_eq!(names(r#"name="POST /orders""#).len(), 3);
    assert_eq!(names("kind=server").len(), 3);
    // Negation: the worker's quick spans that did not fail.
    let quick = names("service=worker duration<1ms -status=error");
    assert_eq!(quick.len(), 8);
    assert!(quick.iter().all(|n| n != "reserve TEAPOT-XL"));
    assert_eq!(
        names("service=worker -status=error").len() + names("service=worker status=error").len(),
        names("service=worker").len()
    );
}

#[test]
fn the_sample_legend_follows_the_test_into_the_api_and_the_worker() {
    use sightline_core::view::legend::{service_hue, service_legend};
    let (session, _, forest) = load(&[fixture("order-e2e.json")]);
    let (legend, more) = service_legend(&session, &forest.traces[0], 24);
    assert_eq!(more, 0);
    let names: Vec<&str> = legend.iter().map(|e| e.service.as_str()).collect();
    assert_eq!(names, ["e2e-tests", "order-api", "order-worker"]);
    assert_eq!(legend[2].hue, service_hue("order-worker"));
}

#[test]
fn a_whole_subtree_folds_and_unfolds_at_once_and_the_rest_keeps_its_folds() {
    use sightline_core::view::rows::{collapse_subtree, expand_subtree, visible_rows};
    use std::collections::HashSet;
    let (_, _, forest) = load(&[fixture("order-e2e.json")]);
    let tree = &forest.traces[0];
    let node = |i: u32| tree.nodes[i as usize];
    let inside = |top: u32| top..node(top).subtree_end;
    let tests: Vec<u32> = (0..tree.nodes.len() as u32)
        .filter(|&i| node(i).depth == 1)
        .collect();
    // The first test and the last (the failing bulk order, the deepest).
    let (first, second) = (tests[0], tests[tests.len() - 1]);

    // Folding the first test folds every node with children below it, and nothing else.
    let mut folded = HashSet::new();
    collapse_subtree(tree, &mut folded, first);
    let parents_in =
        |top: u32| -> HashSet<u32> { inside(top).filter(|&i| node(i).children > 0).collect() };
    assert_eq!(folded, parents_in(first));
    assert!(folded.len() > 2, "{folded:?}");
    let hidden = node(first).subtree_end - first - 1;
    assert_eq!(
        visible_rows(tree, &folded).len(),
        tree.nodes.len() - hidden as usize
    );
    // Unfolded by one level, it shows its children, themselves still folded.
    folded.remove(&first);
    let shown: Vec<u32> = visible_rows(tree, &folded)
        .into_iter()
        .filter(|&i| inside(first).contains(&i))
        .collect();
    let children: Vec<u32> = inside(first)
        .filter(|&i| node(i).parent == Some(first))
        .collect();
    assert_eq!(shown[1..], children[..]);

    // With the last test folded whole too, unfolding the first whole leaves the last folded
    // (the folded set is smaller than the first's subtree here).
    collapse_subtree(tree, &mut folded, second);
    expand_subtree(tree, &mut folded, first);
    assert_eq!(folded, parents_in(second));
    // A small subtree inside the last, unfolded whole (the set is larger than it here): only
    // its own folds go.
    let small = inside(second)
        .rfind(|&i| node(i).children > 0)
        .expect("the last test has a span with children below it");
    assert!(folded.len() > (node(small).subtree_end - small) as usize);
    expand_subtree(tree, &mut folded, small);
    assert_eq!(
        folded,
        parents_in(second)
            .into_iter()
            .filter(|i| !inside(small).contains(i))
            .collect()
    );
    // Out of range: nothing happens.
    let before = folded.clone();
    expand_subtree(tree, &mut folded, 10_000);
    collapse_subtree(tree, &mut folded, 10_000);
    assert_eq!(folded, before);
}
