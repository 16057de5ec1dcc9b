//! Across CI runs, on the recorded multi-run fixture (tests/fixtures/runs: the order demo's
//! suite run six times with the real SDKs, see tests/fixtures/generate/runs.py): run identity,
//! test history and verdicts, exception groups, and a failing run compared with a passing one.

mod common;

use common::fixture;
use sightline_core::insight::runs::compare::Change;
use sightline_core::insight::runs::{CiRuns, Verdict};
use sightline_core::session::Loaded;

fn six_files() -> Loaded {
    let files = (1..=6)
        .map(|n| {
            let name = format!("run-{n}/traces.json");
            let bytes = std::fs::read(fixture("runs").join(&name)).expect("fixture");
            (name, bytes)
        })
        .collect();
    Loaded::decode(files)
}

fn zipped() -> Loaded {
    let bytes = std::fs::read(fixture("runs.zip")).expect("fixture");
    Loaded::decode(vec![("runs.zip".into(), bytes)])
}

fn verdicts(runs: &CiRuns) -> Vec<(String, Verdict, u32)> {
    runs.tests
        .iter()
        .map(|t| (t.name.clone(), t.verdict, t.failure_rate()))
        .collect()
}

#[test]
fn six_runs_are_told_apart_by_their_pipeline_run_id_and_ordered_by_start() {
    for loaded in [six_files(), zipped()] {
        let runs = &loaded.runs;
        let labels: Vec<&str> = runs.runs.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "e2e #5201",
                "e2e #5202",
                "e2e #5203",
                "e2e #5204",
                "e2e #5205",
                "e2e #5206"
            ]
        );
        let first = &runs.runs[0];
        assert_eq!(first.by, "cicd.pipeline.run.id");
        assert_eq!(
            first.url,
            "https://ci.example.com/acme/order-demo/-/pipelines/5201"
        );
        assert_eq!(
            first.job_url,
            "https://ci.example.com/acme/order-demo/-/jobs/91001"
        );
        assert_eq!(first.branch, "main");
        assert_eq!(first.short_revision(), "3f9c2d1e8a7b");
        assert_eq!(runs.runs[3].short_revision(), "8b1e4f2a9c3d");
        assert!(runs.runs.windows(2).all(|w| w[0].start <= w[1].start));
        assert!(runs.runs.iter().all(|r| r.outcome() == "failed"));
        // Every trace is in a run, and every run has its traces.
        assert_eq!(runs.trace_run.len(), loaded.forest.traces.len());
        assert!(runs.runs.iter().all(|r| !r.traces.is_empty()));
        assert!(runs.notes.is_empty(), "{:?}", runs.notes);
    }
}

#[test]
fn the_history_puts_the_broken_test_first_then_the_flaky_ones() {
    let loaded = six_files();
    let got = verdicts(&loaded.runs);
    let name = |i: usize| got[i].0.rsplit("::").next().unwrap_or_default().to_string();
    assert_eq!(name(0), "test_bulk_order");
    assert_eq!((got[0].1, got[0].2), (Verdict::Broken, 100));
    assert_eq!(name(1), "test_express_order");
    assert_eq!((got[1].1, got[1].2), (Verdict::Flaky, 50));
    assert_eq!(name(2), "test_create_order");
    assert_eq!((got[2].1, got[2].2), (Verdict::Flaky, 17));
    assert_eq!(name(3), "test_rejects_order_without_lines");
    assert_eq!(got[3].1, Verdict::Passing);
    // The API's start-up log is a trace of its own, with no test: listed by its root span.
    assert!(loaded.runs.tests[4..].iter().all(|t| t.by_root), "{got:?}");
    let express = &loaded.runs.tests[1];
    let cells: Vec<&str> = (0..6)
        .map(|r| express.in_run(r).next().map_or("–", |e| e.outcome.word()))
        .collect();
    assert_eq!(cells, ["pass", "fail", "pass", "fail", "fail", "pass"]);
    assert_eq!(express.suite, "", "pytest's node id holds the file");
    assert_eq!(express.name, "test_orders.py::test_express_order");
}

#[test]
fn exceptions_group_by_fingerprint_and_the_carrier_retry_reads_handled() {
    let loaded = six_files();
    let groups = &loaded.runs.exceptions;
    for g in groups {
        eprintln!(
            "{} | {} | {} | occ {} spans {} runs {:?} handled {} svc {:?} tests {:?}",
            g.kind,
            g.pattern,
            g.frame,
            g.occurrences.len(),
            g.spans,
            g.runs,
            g.handled,
            g.services,
            g.tests
        );
    }
    let warehouse = groups
        .iter()
        .find(|g| g.kind == "ValueError" && g.frame.contains("worker.py"))
        .expect("the warehouse limit");
    assert_eq!(
        warehouse.pattern,
        "cannot reserve <n> x TEAPOT-XL: exceeds warehouse limit of <n>"
    );
    assert_eq!(
        warehouse.occurrences.len(),
        6,
        "once per run, not once per span it unwound"
    );
    assert!(warehouse.spans > 6);
    assert_eq!(warehouse.runs, [0, 1, 2, 3, 4, 5]);
    assert!(!warehouse.all_handled());
    let busy = groups
        .iter()
        .find(|g| g.kind == "httpx.HTTPStatusError")
        .expect("the carrier's 503");
    // Each order's first quote is answered 503 and retried with success: handled, in every
    // run. In run 4 the carrier stayed down: all three attempts of two orders failed.
    assert_eq!(busy.occurrences.len(), 5 * 2 + 2 * 3);
    assert_eq!(busy.handled, 10);
    assert!(busy.occurrences.iter().all(|o| o.handled == (o.run != 3)));
    let first_handled = groups
        .iter()
        .position(|g| g.all_handled())
        .unwrap_or(groups.len());
    assert!(
        groups[first_handled..].iter().all(|g| g.all_handled()),
        "handled last"
    );
}

#[test]
fn the_flaky_test_compares_on_its_slow_carrier_not_on_the_handled_503() {
    let loaded = six_files();
    let runs = &loaded.runs;
    let test = runs
        .tests
        .iter()
        .position(|t| t.name.ends_with("test_express_order"))
        .expect("express");
    let (failing, passing) = runs.default_pair(test).expect("a pair");
    // The latest failure (run 5), against the passing run nearest in time on its revision (6).
    assert_eq!((failing.run, passing.run), (4, 5));
    let c = runs
        .compare_default(&loaded.session, &loaded.forest, test)
        .expect("comparison");
    for d in &c.differences {
        let r = &c.rows[d.row as usize];
        eprintln!(
            "{:?} {} › {} | {} | crit {}",
            d.change, r.service, r.name, d.text, d.critical
        );
    }
    let first = &c.differences[0];
    let row = &c.rows[first.row as usize];
    assert!(
        matches!(first.change, Change::Status | Change::NewException),
        "{first:?}"
    );
    assert_eq!(row.service, "e2e-tests");
    assert!(first.text.contains("ERROR"), "{}", first.text);
    let slow = c
        .differences
        .iter()
        .find(|d| d.change == Change::Duration && c.rows[d.row as usize].name.starts_with("POST"))
        .expect("the carrier's slow quote");
    assert!(slow.delta > 1_500_000_000, "{slow:?}");
    assert_eq!(c.means.len(), c.rows.len());
    assert_eq!(c.means[0].failing_runs, 3);
    assert_eq!(c.means[0].passing_runs, 3);
}

/// A small OTLP/JSON document: one resource with `resource` attributes, one span per
/// (trace, span, name, attributes, status code).
fn doc(resource: &str, spans: &[(u32, u32, &str, &str, u8)]) -> Vec<u8> {
    let spans: Vec<String> = spans
        .iter()
        .map(|(t, s, name, attrs, code)| {
            format!(
                r#"{{"traceId":"{t:032x}","spanId":"{s:016x}","name":"{name}","startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{attrs}],"status":{{"code":{code}}}}}"#,
                1_000_000_000 * u64::from(*t),
                1_000_000_000 * u64::from(*t) + 5_000_000
            )
        })
        .collect();
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{resource}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
    .into_bytes()
}

fn attr(key: &str, value: &str) -> String {
    format!(r#"{{"key":"{key}","value":{{"stringValue":"{value}"}}}}"#)
}

#[test]
fn runs_without_ci_attributes_fall_back_to_their_file_and_one_run_in_two_files_joins() {
    let case = |suite: &str, outcome: &str| {
        format!(
            "{},{},{}",
            attr("test.case.name", "test_login"),
            attr("test.suite.name", suite),
            attr("test.case.result.status", outcome)
        )
    };
    let run_id = attr("cicd.pipeline.run.id", "77");
    let loaded = Loaded::decode(vec![
        // Two files of run 77: they join.
        (
            "a.json".into(),
            doc(&run_id, &[(1, 1, "login", &case("web", "pass"), 0)]),
        ),
        (
            "b.json".into(),
            doc(&run_id, &[(2, 2, "login", &case("api", "fail"), 2)]),
        ),
        // No CI attribute: its own file is its run; its trace has no test span.
        ("c.json".into(), doc("", &[(3, 3, "GET /health/42", "", 0)])),
    ]);
    let runs = &loaded.runs;
    let keys: Vec<&str> = runs.runs.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["cicd.pipeline.run.id=77", "file=c.json"]);
    assert_eq!(runs.runs[0].sources, ["a.json", "b.json"]);
    assert_eq!(runs.runs[1].label, "c.json");
    // Said in the alert: one trace was put in a run by its file.
    assert_eq!(runs.notes.len(), 1, "{:?}", runs.notes);
    assert!(
        runs.notes[0].starts_with("1 trace carries no CI run attribute"),
        "{:?}",
        runs.notes
    );
    // One name in two suites stays two tests; the trace without a test is listed by its root.
    let rows: Vec<(String, String, Verdict, bool)> = runs
        .tests
        .iter()
        .map(|t| (t.suite.clone(), t.name.clone(), t.verdict, t.by_root))
        .collect();
    assert_eq!(
        rows,
        [
            ("api".into(), "test_login".into(), Verdict::Broken, false),
            ("web".into(), "test_login".into(), Verdict::Passing, false),
            (
                "unknown_service".into(),
                "GET /health/<n>".into(),
                Verdict::Passing,
                true
            ),
        ]
    );
}

#[test]
fn a_test_that_failed_then_passed_on_a_retry_in_one_run_is_flaky() {
    let run = attr("ci.pipeline.id", "9");
    let case = |outcome: &str| {
        format!(
            "{},{}",
            attr("test.case.name", "test_pay"),
            attr("test.outcome", outcome)
        )
    };
    let loaded = Loaded::decode(vec![(
        "retry.json".into(),
        doc(
            &run,
            &[
                (1, 1, "pay", &case("failed"), 2),
                (2, 2, "pay", &case("passed"), 0),
            ],
        ),
    )]);
    let t = &loaded.runs.tests[0];
    assert_eq!((t.verdict, t.failure_rate()), (Verdict::Flaky, 50));
    assert_eq!(loaded.runs.runs[0].label, "#9");
    assert_eq!(loaded.runs.runs[0].by, "ci.pipeline.id");
}

#[test]
fn a_flaky_tests_cause_is_not_the_503_the_worker_retried_with_success() {
    let loaded = six_files();
    let express: Vec<_> = loaded
        .failures
        .listed
        .iter()
        .filter(|f| f.name.ends_with("test_express_order"))
        .collect();
    assert_eq!(express.len(), 3, "runs 2, 4 and 5");
    // Runs 2 and 5: the client's deadline, not the carrier's first 503 (retried, then fine).
    let timeouts = express
        .iter()
        .filter(|f| f.cause.kind == "httpx.ReadTimeout")
        .count();
    assert_eq!(timeouts, 2);
    // Run 4: the carrier was down; the worker's last attempt got the 503 that made it give up.
    let down: Vec<_> = express
        .iter()
        .filter(|f| f.cause.kind == "httpx.HTTPStatusError")
        .collect();
    assert_eq!(down.len(), 1);
    assert_eq!(down[0].cause.span, "carrier quote attempt 3");
}

#[test]
fn a_search_with_no_match_in_view_finds_the_matches_of_other_traces() {
    use sightline_core::view::search::Query;
    let loaded = six_files();
    let (session, forest) = (&loaded.session, &loaded.forest);
    let query = Query::parse("carrier busy");
    // The API's start-up log trace has no carrier span; five runs' traces have two each, run 4's
    // four.
    let start_log = forest
        .traces
        .iter()
        .position(|t| {
            t.nodes.first().is_some_and(|n| {
                session
                    .display_name(&session.spans[n.span as usize])
                    .starts_with("order-api ready")
            })
        })
        .expect("start-up trace");
    assert!(query
        .matches_in(session, &forest.traces[start_log])
        .is_empty());
    let found = query.elsewhere(session, forest, start_log);
    assert_eq!(found.matches, 5 * 2 + 4);
    assert_eq!(found.traces.len(), 6);
    for &(view, node) in &found.traces {
        let tree = forest.tree(view).expect("view");
        let span = &session.spans[tree.nodes[node as usize].span as usize];
        assert!(session.display_name(span).starts_with("carrier busy"));
    }
    // From a trace that has matches, the others are the five remaining runs.
    let (view, _) = found.traces[0];
    assert_eq!(query.elsewhere(session, forest, view).traces.len(), 5);
}
