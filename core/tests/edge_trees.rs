//! What the trees and the view make of the edge fixtures (search matches with their ancestors,
//! the critical path, skew, outliers, folding, the legend), and messy shapes at scale: thousands
//! of missing parents or parent cycles, a resource per span.

mod common;

use std::collections::HashSet;

use common::{edge, load, outline, span_names};
use sightline_core::view::rows::visible_rows;

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
