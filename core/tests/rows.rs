//! What the page says about a span, computed by the core: a waterfall row's name, duration
//! label, marks and tooltips (`insight::row`), the details' summary (`insight::summary`),
//! captured headers, bodies and exceptions (`insight::payload`), and the trace list's options
//! (`view::trace_list`), on the fixtures that carry each case.

mod common;

use common::{fixture, load};
use sightline_core::insight::payload::{exception_events, headers, offset, response_body};
use sightline_core::insight::row::{label_limit, marks, row_info, skew_text, Mark, RowInfo};
use sightline_core::insight::summary::{missing_parent_text, summary};
use sightline_core::view::trace_list::{entries_of, texts, Linked};
use sightline_core::view::window::Window;
use sightline_core::{Forest, Session};

/// Every row of trace `trace`, in tree order (all expanded).
fn rows(session: &Session, forest: &Forest, trace: usize) -> Vec<RowInfo> {
    let tree = forest.tree(trace).expect("a trace");
    (0..tree.nodes.len() as u32)
        .map(|i| {
            row_info(session, tree, Window::of_trace(tree), 7, i, i as usize + 1).expect("a row")
        })
        .collect()
}

fn texts_of(marks: &[Mark]) -> Vec<&str> {
    marks.iter().map(|m| m.text.as_str()).collect()
}

/// The node of the span with this hex id in trace `trace`.
fn node_of(session: &Session, forest: &Forest, trace: usize, id: &str) -> u32 {
    let tree = forest.tree(trace).expect("a trace");
    let id = sightline_core::model::ids::parse_hex_span_id(id).expect("an id");
    tree.nodes
        .iter()
        .position(|n| session.spans[n.span as usize].span_id == id)
        .expect("the span") as u32
}

#[test]
fn a_span_that_lasted_its_timeout_says_which_timeout() {
    let (session, _, forest) = load(&[fixture("edge/timeouts.json")]);
    let rows = rows(&session, &forest, 0);
    let found: Vec<(&str, Option<&str>, &str)> = rows
        .iter()
        .map(|r| (r.name.as_str(), r.timeout.as_deref(), r.duration.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "test_checkout_page",
                Some("Lasted 30.05s, the 30s timeout it reports (Timeout 30000ms exceeded.)"),
                "30.05s"
            ),
            (
                "GET /api/cart",
                Some("Lasted 251ms, the 250ms timeout it reports (http.client.timeout_ms)"),
                "251ms"
            ),
            ("GET /api/user", None, "2s"),
        ]
    );
    assert_eq!(texts_of(&marks(Some(&rows[1]), false, false)), ["timeout"]);
}

#[test]
fn a_child_outside_its_parent_says_by_how_much() {
    let (session, _, forest) = load(&[fixture("edge/critical_path.json")]);
    let skewed: Vec<(String, String)> = rows(&session, &forest, 0)
        .into_iter()
        .filter_map(|r| Some((r.name, r.skew?)))
        .collect();
    assert_eq!(
        skewed,
        [(
            "e: overruns root, 95-130".to_string(),
            "Drawn where its own clock put it: it ends 30ms after its parent".to_string()
        )]
    );
    assert_eq!(
        skew_text(2_000_000, 5_000_000),
        "Drawn where its own clock put it: it starts 2ms before its parent and ends 5ms after its parent"
    );
}

#[test]
fn orphans_hang_under_a_placeholder_row_that_says_so() {
    let (session, _, forest) = load(&[fixture("edge/missing_parent.json")]);
    let rows = rows(&session, &forest, 0);
    let shown: Vec<(&str, &str, Vec<String>)> = rows
        .iter()
        .map(|r| {
            let marks: Vec<String> = marks(Some(r), false, false)
                .into_iter()
                .map(|m| m.text)
                .collect();
            (r.name.as_str(), r.duration.as_str(), marks)
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("root", "500ms", vec![]),
            (
                "missing parent deadbeefdeadbeef",
                "",
                vec!["not loaded".to_string()]
            ),
            (
                "orphan",
                "100ms",
                vec!["missing parent deadbeef".to_string()]
            ),
            ("orphan child", "30ms", vec![]),
        ]
    );
    assert!(rows[1].placeholder && rows[2].missing_parent.is_some());
    assert_eq!(rows[2].key, (7, rows[2].key.1, 3), "load, span, position");
}

#[test]
fn folded_failures_and_slow_spans_come_last_among_the_marks() {
    let (session, _, forest) = load(&[fixture("edge/missing_parent.json")]);
    let orphan = &rows(&session, &forest, 0)[2];
    assert_eq!(
        texts_of(&marks(Some(orphan), true, true)),
        ["missing parent deadbeef", "contains errors", "slow"]
    );
    assert_eq!(texts_of(&marks(None, false, true)), ["slow"]);
    // Duration labels go before the bar past 85% of a wide timeline, earlier on a narrow one.
    assert!((label_limit(0.0) - 85.0).abs() < 1e-9);
    assert!((label_limit(1000.0) - 85.0).abs() < 1e-9);
    assert!((label_limit(200.0) - 72.0).abs() < 1e-9);
    assert!(label_limit(40.0).abs() < 1e-9);
}

#[test]
fn the_details_summary_says_what_the_file_gave_and_what_it_left_out() {
    let (session, _, forest) = load(&[fixture("edge/missing_parent.json")]);
    let tree = forest.tree(0).expect("a trace");
    let orphan = summary(&session, tree, 2).expect("a summary");
    assert_eq!(orphan.name, "orphan");
    assert_eq!(orphan.parent, "deadbeefdeadbeef (not in the loaded files)");
    assert_eq!(orphan.duration, "100ms");
    assert!(
        orphan.start.ends_with("(+100ms from trace start)"),
        "{}",
        orphan.start
    );
    assert_eq!(
        summary(&session, tree, 0).expect("root").parent,
        "none (root)"
    );
    assert!(summary(&session, tree, 99).is_none());
    assert_eq!(
        missing_parent_text("deadbeefdeadbeef", 1),
        "No span with id deadbeefdeadbeef is in the loaded files, but 1 span below names it as \
         parent. Its service may not export traces, or its spans are in a file not loaded."
    );
    assert!(missing_parent_text("ab", 2).contains("but 2 spans below name it as parent"));
    let (session, _, forest) = load(&[fixture("edge/zero_times.json")]);
    let tree = forest.tree(0).expect("a trace");
    let untimed = (0..tree.nodes.len() as u32)
        .filter_map(|i| summary(&session, tree, i))
        .find(|s| s.start == "unknown")
        .expect("a span without times");
    assert_eq!(untimed.duration, "unknown (no times in the file)");
}

#[test]
fn a_client_span_shows_its_request_headers_and_the_body_its_child_read() {
    let (session, _, forest) = load(&[fixture("order-e2e.json")]);
    let id = sightline_core::model::ids::parse_hex_span_id("991beee2666f5f85").expect("an id");
    let trace = (0..forest.traces.len())
        .find(|&t| {
            forest.traces[t]
                .nodes
                .iter()
                .any(|n| session.spans[n.span as usize].span_id == id)
        })
        .expect("the trace of the failing call");
    let node = node_of(&session, &forest, trace, "991beee2666f5f85");
    let tree = forest.tree(trace).expect("a trace");
    let span = &session.spans[tree.nodes[node as usize].span as usize];
    let request = headers(&session, &span.attributes, "http.request.header.");
    let names: Vec<&str> = request.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        names.contains(&"host") && names.contains(&"user-agent"),
        "{names:?}"
    );
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "sorted: {names:?}");
    let body = response_body(&session, tree, node).expect("the body its child read");
    assert!(body.starts_with('{'), "{body}");
    // The child that read the body holds it itself.
    let child = node_of(&session, &forest, trace, "caa453a36035f906");
    assert_eq!(
        response_body(&session, tree, child).as_deref(),
        Some(body.as_str())
    );
}

#[test]
fn exceptions_are_read_with_where_they_happened() {
    let (session, _, forest) = load(&[fixture("order-e2e.json")]);
    let raised = session
        .spans
        .iter()
        .find(|s| {
            !exception_events(&session, s).is_empty()
                && session.strings.get(s.name).starts_with("reserve")
        })
        .expect("the worker's span that raised");
    let events = exception_events(&session, raised);
    assert_eq!(events[0].kind, "ValueError");
    assert!(
        events[0].message.starts_with("cannot reserve"),
        "{}",
        events[0].message
    );
    assert!(
        events[0].stacktrace.contains("Traceback"),
        "{}",
        events[0].stacktrace
    );
    assert!(events[0].offset.starts_with('+'), "{}", events[0].offset);
    assert_eq!(offset(raised, raised.start.saturating_sub(1)), "");
    let _ = forest;
}

#[test]
fn the_trace_list_says_what_each_option_holds() {
    let (session, _, forest) = load(&[fixture("linked-traces.json")]);
    let entries = entries_of(&forest, 3);
    // The joint view comes first, before the two traces it shows together.
    let linked: Vec<Linked> = entries.iter().map(|e| e.linked).collect();
    assert_eq!(
        linked,
        [Linked::Together(2), Linked::Member, Linked::Member]
    );
    assert_eq!(
        entries[0].linked_text().as_deref(),
        Some("2 linked traces together · ")
    );
    assert_eq!(entries[1].linked_text().as_deref(), Some("linked · "));
    assert!(entries.iter().all(|e| e.generation == 3));
    let joint = texts(&session, &forest, entries[0].index);
    assert!(joint.title.contains(" + "), "{}", joint.title);
    assert_eq!(joint.trace_ids.split(' ').count(), 2);
    let (errors, meta) = entries[1].meta();
    assert!(meta.contains(" spans · "), "{meta}");
    assert_eq!(errors.is_some(), entries[1].errors > 0);
    let (time, tooltip) = entries[1].started().expect("a start time");
    assert!(
        time.starts_with(" · ") && tooltip.starts_with("Started "),
        "{time} {tooltip}"
    );
}
