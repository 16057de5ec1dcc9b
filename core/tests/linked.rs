//! Traces that link to each other are shown together: the test trace and the worker trace it
//! enqueued (recorded with the real OpenTelemetry SDK), and a batch consumer linking to two
//! producers.

mod common;

use common::{fixture, load, outline};
use sightline_core::trace::open_at::open_on_failure;
use sightline_core::trace::outliers::skew;

#[test]
fn the_test_trace_and_the_worker_trace_it_enqueued_open_together() {
    let (session, _, forest) = load(&[fixture("linked-traces.json")]);
    assert_eq!(forest.traces.len(), 2);
    assert_eq!(forest.linked.len(), 1);
    let view = forest.first_view();
    assert_eq!(view, 2, "the session opens on the two traces together");
    let joined = forest.tree(view).expect("joined view");
    assert_eq!(joined.members.len(), 2);
    assert_eq!(
        forest.traces[joined.members[0]].trace_id, joined.trace_id,
        "drawn from the test's trace"
    );
    assert_eq!(forest.linked_view_of(0), Some(view));
    assert_eq!(forest.linked_view_of(1), Some(view));
    assert_eq!(
        outline(&session, &forest, view),
        [
            "test_order_is_fulfilled",
            "  POST /orders",
            "    POST /orders",
            "      orders publish",
            "        orders process (linked)",
            "          fulfil_order",
            "            reserve stock",
            "  GET /orders/{order_id}",
            "    GET /orders/{order_id}",
        ]
    );
    assert_eq!(joined.span_count(), 9);
    assert_eq!(
        joined.error_count,
        forest.traces.iter().map(|t| t.error_count).sum::<usize>()
    );
    assert_eq!(
        joined.start,
        forest.traces.iter().map(|t| t.start).min().unwrap()
    );
    assert_eq!(
        joined.end,
        forest.traces.iter().map(|t| t.end).max().unwrap()
    );
    // Pre-order bookkeeping holds: every subtree is contiguous and counts its children.
    for (i, n) in joined.nodes.iter().enumerate() {
        let kids = joined.nodes[i + 1..n.subtree_end as usize]
            .iter()
            .filter(|c| c.parent == Some(i as u32))
            .count();
        assert_eq!(kids, n.children as usize, "children of node {i}");
    }
    // The failure's cause is in the worker's trace: the view opens there, and the test's
    // ancestors of it say errors are below.
    let open = open_on_failure(&session, joined).expect("a span to open on");
    assert_eq!(
        session.display_name(&session.spans[joined.nodes[open as usize].span as usize]),
        "reserve stock"
    );
    assert!(
        joined.nodes[3].flags.error_below,
        "orders publish contains the worker's failure"
    );
    // The worker's link to the publish span is followed inside the view; from one trace alone
    // it leads to the other trace.
    let consumer = &session.spans[joined.nodes[4].span as usize];
    let link = &consumer.links[0];
    assert_eq!(
        forest.locate_from(&session, view, link.trace_id, link.span_id),
        Some((view, 3))
    );
    let alone = joined.members[1];
    assert_eq!(
        forest
            .locate_from(&session, alone, link.trace_id, link.span_id)
            .map(|(t, _)| t),
        Some(joined.members[0])
    );
    // The job runs after the publish span ended: that is no clock skew.
    assert_eq!(skew(&session, joined, 4), None);
}

#[test]
fn a_batch_linking_two_producers_hangs_from_the_earliest() {
    let (session, _, forest) = load(&[fixture("edge/linked_batch.json")]);
    assert_eq!(forest.traces.len(), 4);
    assert_eq!(forest.linked.len(), 1, "the unrelated trace is in no group");
    let view = forest.traces.len();
    assert_eq!(
        outline(&session, &forest, view),
        [
            "request A",
            "  publish A",
            "    process batch (linked)",
            "      request B (linked)",
            "        publish B",
            "      write",
        ]
    );
    let unrelated = forest
        .traces
        .iter()
        .position(|t| t.nodes.len() == 1)
        .expect("the unrelated trace");
    assert_eq!(forest.linked_view_of(unrelated), None);
    // The batch failed, so its trace comes first, and the session opens on its group.
    assert_eq!(forest.first_view(), view);
}

#[test]
fn traces_without_links_between_them_are_not_joined() {
    let (_, _, forest) = load(&[fixture("order-e2e.json")]);
    assert!(forest.linked.is_empty());
    assert_eq!(forest.first_view(), 0);
}

#[test]
fn a_link_to_traces_shown_together_opens_them_together() {
    use sightline_core::session::permalink::{describe, locate, View};
    use sightline_core::view::url_state::HashState;
    use sightline_core::Loaded;
    let bytes = std::fs::read(fixture("linked-traces.json")).expect("fixture");
    let snapshot = Loaded::decode(vec![("linked-traces.json".into(), bytes)]);
    let view = View {
        trace: snapshot.forest.first_view(),
        selected: Some(6),
        ..View::default()
    };
    let mut state = HashState::default();
    describe(&snapshot, &view, &mut state);
    assert!(state.linked);
    let hash = state.to_hash();
    assert!(hash.contains("linked=1"), "{hash}");
    let found = locate(&snapshot, &HashState::parse(&hash));
    assert!(found.missing.is_empty(), "{:?}", found.missing);
    assert_eq!(found.view.trace, view.trace);
    assert_eq!(found.view.selected, Some(6));

    // One trace alone is written without the flag; a flag the session cannot honour is said.
    let mut alone = HashState::default();
    describe(&snapshot, &View::default(), &mut alone);
    assert!(!alone.linked);
    let sample = Loaded::decode(vec![(
        "order-e2e.json".into(),
        std::fs::read(fixture("order-e2e.json")).expect("sample"),
    )]);
    let found = locate(&sample, &HashState::parse("#linked=1"));
    assert_eq!(found.view.trace, 0);
    assert_eq!(found.missing.len(), 1, "{:?}", found.missing);
    assert!(found.missing[0].starts_with("no trace linked to trace "));
}

#[test]
fn the_failing_test_is_explained_by_the_exception_in_the_worker_trace_it_enqueued() {
    let bytes = std::fs::read(fixture("linked-traces.json")).expect("fixture");
    let snapshot = sightline_core::Loaded::decode(vec![("linked.json".into(), bytes)]);
    let failures = &snapshot.failures;
    assert!(failures.tests);
    assert_eq!(
        failures.total, 1,
        "the test, once, though two traces hold parts of it"
    );
    let failed = &failures.listed[0];
    assert_eq!(failed.name, "test_order_is_fulfilled");
    assert_eq!(
        (failed.kind.as_str(), failed.message.as_str()),
        ("AssertionError", "order ord-1 is 'failed'")
    );
    // Found in the joint view, so the cause is the worker's deepest exception, not the test's.
    assert_eq!(failed.trace, snapshot.forest.first_view());
    let cause = &failed.cause;
    assert_eq!(
        (cause.service.as_str(), cause.span.as_str()),
        ("order-worker", "reserve stock")
    );
    assert_eq!(cause.kind, "__main__.InsufficientStock");
    assert_eq!(cause.message, "TEAPOT-XL: wanted 5, 3 in stock");
    let tree = snapshot.forest.tree(failed.trace).expect("view");
    let span = &snapshot.session.spans[tree.nodes[cause.node as usize].span as usize];
    assert_eq!(snapshot.session.display_name(span), "reserve stock");
}

#[test]
fn many_tests_each_with_the_job_it_enqueued_make_as_many_joint_views() {
    // 300 test traces, each linked from the worker trace of the job it enqueued, and one trace
    // alone: each group is joined with its own links only.
    let mut test_spans = Vec::new();
    let mut job_spans = Vec::new();
    for i in 0..300u64 {
        let start = 1_700_000_000_000_000_000 + i * 1_000_000;
        test_spans.push(format!(
            r#"{{"traceId":"{:032x}","spanId":"{:016x}","name":"test_{i}","startTimeUnixNano":"{start}","endTimeUnixNano":"{}"}}"#,
            i + 1,
            i + 1,
            start + 500_000
        ));
        job_spans.push(format!(
            r#"{{"traceId":"{:032x}","spanId":"{:016x}","name":"job_{i}","startTimeUnixNano":"{}","endTimeUnixNano":"{}","links":[{{"traceId":"{:032x}","spanId":"{:016x}"}}]}}"#,
            i + 10_001,
            i + 10_001,
            start + 100_000,
            start + 400_000,
            i + 1,
            i + 1
        ));
    }
    test_spans.push(
        r#"{"traceId":"ffffffffffffffffffffffffffffffff","spanId":"ffffffffffffffff","name":"alone","startTimeUnixNano":"1","endTimeUnixNano":"2"}"#
            .into(),
    );
    let json = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}},{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        test_spans.join(","),
        job_spans.join(",")
    );
    let snapshot = sightline_core::Loaded::decode(vec![("many.json".into(), json.into_bytes())]);
    let forest = &snapshot.forest;
    assert_eq!(forest.traces.len(), 601);
    assert_eq!(forest.linked.len(), 300);
    let views = forest.linked_views();
    for (i, tree) in forest.linked.iter().enumerate() {
        assert_eq!(tree.members.len(), 2);
        assert_eq!(tree.nodes.len(), 2, "the test span, the job under it");
        let name = |n: usize| {
            snapshot
                .session
                .display_name(&snapshot.session.spans[tree.nodes[n].span as usize])
        };
        let number = name(0).strip_prefix("test_").expect("a test on top");
        assert_eq!(
            name(1),
            format!("job_{number}"),
            "its own job, not another's"
        );
        assert_eq!(tree.nodes[1].parent, Some(0));
        for &m in &tree.members {
            assert_eq!(views[m], Some(forest.traces.len() + i));
            assert_eq!(forest.linked_view_of(m), views[m]);
        }
    }
    let alone = forest
        .traces
        .iter()
        .position(|t| {
            t.nodes.len() == 1
                && snapshot
                    .session
                    .display_name(&snapshot.session.spans[t.nodes[0].span as usize])
                    == "alone"
        })
        .expect("the trace alone");
    assert_eq!(views[alone], None);
}

#[test]
fn traces_shown_together_and_their_failures_reach_the_page_whole() {
    use sightline_core::{Assembler, Loaded};
    // The trees' head is written from borrowed trees (not a copy of them); the page reads it as
    // the owned form, so both must agree field for field.
    let bytes = std::fs::read(fixture("linked-traces.json")).expect("fixture");
    let original = Loaded::decode(vec![("linked-traces.json".into(), bytes)]);
    assert_eq!(original.forest.linked.len(), 1);
    assert!(original.failures.total > 0);
    for per_part in [1, 4, 10_000] {
        let mut assembler = Assembler::new();
        for part in original.to_parts(per_part) {
            assembler.add(&part).expect("part");
        }
        let copy = assembler.finish().expect("assembled");
        assert_eq!(copy.forest, original.forest);
        assert_eq!(copy.failures, original.failures);
        assert_eq!(copy.files, original.files);
    }
}
