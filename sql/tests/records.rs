//! The `records` table on the real sample (tests/fixtures/order-e2e.json, recorded with the
//! Logfire and OpenTelemetry SDKs), the documented queries, and what a query may not do.

use sightline_core::Loaded;
use sightline_sql::{CellKind, Engine, QueryOutput, COLUMNS, EXAMPLES};

fn sample() -> Loaded {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/order-e2e.json"
    ))
    .expect("sample");
    Loaded::decode(vec![("order-e2e.json".into(), bytes)])
}

fn engine() -> (Loaded, Engine) {
    let loaded = sample();
    let engine = Engine::new(&loaded).expect("table");
    (loaded, engine)
}

fn run(engine: &Engine, sql: &str) -> QueryOutput {
    engine
        .query(sql)
        .unwrap_or_else(|e| panic!("{sql}\n-> {e}"))
}

fn column<'a>(out: &'a QueryOutput, name: &str) -> Vec<Option<&'a str>> {
    let i = out.columns.iter().position(|c| c.name == name).expect(name);
    out.rows.iter().map(|r| r[i].as_deref()).collect()
}

fn single(engine: &Engine, sql: &str) -> String {
    let out = run(engine, sql);
    assert_eq!(out.rows.len(), 1, "{sql}");
    out.rows[0][0].clone().unwrap_or_default()
}

#[test]
fn one_row_per_span_with_every_documented_column() {
    let (loaded, engine) = engine();
    assert_eq!(engine.rows(), loaded.session.spans.len());
    let out = run(&engine, "SELECT * FROM records LIMIT 1");
    let names: Vec<&str> = out.columns.iter().map(|c| c.name.as_str()).collect();
    let documented: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(names, documented);
    let count = single(&engine, "SELECT count(*) FROM records");
    assert_eq!(count, loaded.session.spans.len().to_string());
}

#[test]
fn columns_hold_what_the_session_holds() {
    let (loaded, engine) = engine();
    let s = &loaded.session;
    // Exceptions: the spans with an exception event.
    let exc = s.strings.lookup("exception");
    let with_events = s
        .spans
        .iter()
        .filter(|sp| exc.is_some_and(|e| sp.events.iter().any(|ev| ev.name == e)))
        .count();
    assert!(with_events > 0);
    assert_eq!(
        single(&engine, "SELECT count(*) FROM records WHERE is_exception"),
        with_events.to_string()
    );
    // Services, and every row has one.
    let services = run(
        &engine,
        "SELECT DISTINCT service_name FROM records ORDER BY 1",
    );
    let mut expected: Vec<String> = s
        .spans
        .iter()
        .map(|sp| s.service_of(sp).to_string())
        .collect();
    expected.sort();
    expected.dedup();
    let got: Vec<String> = services
        .rows
        .iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect();
    assert_eq!(got, expected);
    // Roots have no parent; durations are seconds.
    let roots = loaded
        .session
        .spans
        .iter()
        .filter(|sp| sp.parent_id.is_none())
        .count();
    assert_eq!(
        single(
            &engine,
            "SELECT count(*) FROM records WHERE parent_span_id IS NULL"
        ),
        roots.to_string()
    );
    let longest = s.spans.iter().map(|sp| sp.duration()).max().unwrap_or(0) as f64 / 1e9;
    let got: f64 = single(&engine, "SELECT max(duration) FROM records")
        .parse()
        .expect("number");
    assert!((got - longest).abs() < 1e-9, "{got} vs {longest}");
    // Logfire's rendered message, and the test each span ran under.
    assert_eq!(
        single(
            &engine,
            "SELECT count(*) FROM records WHERE message = 'order 6085f5e63d1f reserved'"
        ),
        "1"
    );
    let tests = run(
        &engine,
        "SELECT DISTINCT test_name FROM records WHERE test_name IS NOT NULL ORDER BY 1",
    );
    assert!(column(&tests, "test_name").contains(&Some("test_orders.py::test_bulk_order")));
    assert_eq!(
        single(&engine, "SELECT DISTINCT source_file FROM records"),
        "order-e2e.json"
    );
}

#[test]
fn json_operators_reach_into_attributes_and_nested_payloads() {
    let (_, engine) = engine();
    let out = run(
        &engine,
        "SELECT span_name FROM records WHERE attributes->>'order_id' = '6085f5e63d1f'",
    );
    assert_eq!(
        column(&out, "span_name"),
        [Some("order {order_id} reserved")]
    );
    // `order` is a JSON string with a schema: nested as JSON.
    let out = run(
        &engine,
        "SELECT attributes->'order'->>'customer_id' AS customer FROM records \
         WHERE attributes->'order' IS NOT NULL ORDER BY 1",
    );
    assert!(
        column(&out, "customer").contains(&Some("cus_2077")),
        "{out:?}"
    );
    assert_eq!(
        single(&engine, "SELECT count(*) FROM records WHERE otel_resource_attributes->>'service.name' = service_name"),
        engine.rows().to_string()
    );
}

/// The five queries of Logfire's troubleshooting workflow and its "exceptions with context"
/// query, unchanged apart from the ids.
#[test]
fn the_logfire_workflow_runs_unchanged() {
    let (_, engine) = engine();
    // 1. Any span tied to the failing entity.
    let found = run(
        &engine,
        "SELECT trace_id, span_id, span_name, start_timestamp FROM records \
         WHERE attributes->>'order_id' = '6085f5e63d1f' ORDER BY start_timestamp",
    );
    let trace = column(&found, "trace_id")[0].expect("trace").to_string();
    // 2. The trace tree.
    let tree = run(
        &engine,
        &format!(
            "SELECT span_id, parent_span_id, span_name, service_name, start_timestamp, duration, \
             otel_status_code FROM records WHERE trace_id = '{trace}' ORDER BY start_timestamp"
        ),
    );
    assert!(tree.rows.len() > 1);
    // 3. Across attempts: does it fail the same way?
    let attempts = run(
        &engine,
        "SELECT span_name, exception_type, exception_message, count(*) AS attempts \
         FROM records WHERE is_exception GROUP BY span_name, exception_type, exception_message \
         ORDER BY attempts DESC",
    );
    assert!(!attempts.rows.is_empty());
    // 4. The structured inputs and outputs.
    let io = run(
        &engine,
        "SELECT span_name, attributes->>'http.request.body.text' AS request, \
         attributes->>'http.response.body.text' AS response FROM records \
         WHERE attributes->>'http.request.body.text' IS NOT NULL",
    );
    assert!(
        column(&io, "request")
            .iter()
            .any(|r| r.is_some_and(|r| r.contains("MUG-BLUE"))),
        "{io:?}"
    );
    // 5. Siblings compared.
    let parent = single(
        &engine,
        &format!("SELECT parent_span_id FROM records WHERE trace_id = '{trace}' AND parent_span_id IS NOT NULL LIMIT 1"),
    );
    let siblings = run(
        &engine,
        &format!(
            "SELECT span_name, duration, otel_status_code FROM records \
             WHERE trace_id = '{trace}' AND parent_span_id = '{parent}' ORDER BY start_timestamp"
        ),
    );
    assert!(!siblings.rows.is_empty());
    // Logfire's documented "exceptions with context".
    let context = run(
        &engine,
        "SELECT message, otel_status_message, attributes->>'exception.type' AS exception_type, \
         span_name FROM records WHERE is_exception",
    );
    assert!(!context.rows.is_empty());
}

#[test]
fn every_saved_example_runs_and_finds_rows() {
    let (_, engine) = engine();
    for example in EXAMPLES {
        let out = run(&engine, example.sql);
        assert!(!out.rows.is_empty(), "{}: no rows", example.title);
    }
    let stats = run(&engine, EXAMPLES[2].sql);
    assert!(stats
        .columns
        .iter()
        .any(|c| c.name == "self_total" && c.kind == CellKind::Number));
}

#[test]
fn a_bad_query_says_where() {
    let (_, engine) = engine();
    let e = engine
        .query("SELECT span_name\nFROM records WHER x")
        .expect_err("bad");
    // "WHER" reads as an alias; the parser stops at the `x` after it.
    assert_eq!((e.line, e.column), (Some(2), Some(19)), "{e}");
    assert!(e.message.contains("found: x"), "{e}");
    let e = engine
        .query("SELECT no_such_column FROM records")
        .expect_err("bad");
    assert!(e.message.contains("no_such_column"), "{e}");
    assert!(engine.query("   ").is_err());
}

#[test]
fn queries_only_read_the_loaded_data() {
    let (_, engine) = engine();
    // A file the engine would write, in this run's temporary folder.
    let out = std::env::temp_dir().join(format!("sightline-sql-test-{}.csv", std::process::id()));
    let copy = format!("COPY (SELECT 1) TO '{}'", out.display());
    let refused = [
        "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/passwd'".to_string(),
        copy.clone(),
        format!("EXPLAIN ANALYZE {copy}"),
        "INSERT INTO records (span_name) VALUES ('x')".into(),
        "DROP TABLE records".into(),
        "CREATE TABLE t AS SELECT 1".into(),
        "SET datafusion.execution.batch_size = 1".into(),
        "SELECT * FROM '/etc/passwd'".into(),
        "SELECT 1; DROP TABLE records".into(),
    ];
    for sql in &refused {
        assert!(engine.query(sql).is_err(), "{sql} was allowed");
    }
    assert!(!out.exists());
    assert_eq!(single(&engine, "SELECT count(*) > 0 FROM records"), "true");
    let long = format!("SELECT {}", "1+".repeat(20_000) + "1");
    assert!(engine
        .query(&long)
        .expect_err("too long")
        .message
        .contains("limit"));
}

#[test]
fn output_as_json_and_csv() {
    let (_, engine) = engine();
    let out = run(
        &engine,
        "SELECT 'a,\"b\"' AS t, 2 AS n, true AS b, CAST(NULL AS VARCHAR) AS z",
    );
    assert_eq!(
        out.to_json(),
        serde_json::json!([{"t": "a,\"b\"", "n": 2, "b": true, "z": null}])
    );
    assert_eq!(out.to_csv(), "t,n,b,z\r\n\"a,\"\"b\"\"\",2,true,\r\n");
}

#[test]
fn a_deep_expression_runs_on_the_query_threads_stack() {
    let (_, engine) = engine();
    let sql = format!("SELECT {}1 AS n", "1+".repeat(500));
    assert_eq!(single(&engine, &sql), "501");
}

#[test]
fn docs_list_every_column_as_the_engine_has_it() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/sql.md"))
        .expect("docs/sql.md");
    for c in COLUMNS {
        let row = format!("| `{}` | {} | {} |", c.name, c.sql_type, c.about);
        assert!(
            docs.contains(&row),
            "docs/sql.md lacks (or differs on) {row}"
        );
    }
    let rows = docs.lines().filter(|l| l.starts_with("| `")).count();
    assert_eq!(
        rows,
        COLUMNS.len(),
        "docs/sql.md lists columns the table does not have"
    );
}
