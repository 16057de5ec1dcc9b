//! `sightline sql` on the real sample: a table, JSON, CSV, and a bad query's exit status.

mod common;

use common::{fixture, sightline};

#[test]
fn a_query_prints_an_aligned_table() {
    let sample = fixture("order-e2e.json");
    let (code, out, err) = sightline(&[
        "sql",
        "SELECT service_name, count(*) AS spans FROM records GROUP BY 1 ORDER BY 2 DESC, 1",
        &sample,
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "service_name | spans");
    assert_eq!(lines[1], "-------------+------");
    assert_eq!(lines[2], "order-worker |    16");
    assert_eq!(lines.last(), Some(&"(3 rows)"));
}

#[test]
fn json_and_csv_keep_types_and_quote_fields() {
    let sample = fixture("order-e2e.json");
    let sql = "SELECT span_name, attributes->>'order_id' AS order_id, is_exception \
               FROM records WHERE attributes->>'order_id' IS NOT NULL";
    let (code, out, _) = sightline(&["sql", "--json", sql, &sample]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        rows,
        serde_json::json!([{"span_name": "order {order_id} reserved", "order_id": "6085f5e63d1f", "is_exception": false}])
    );
    let (code, out, _) = sightline(&["sql", "--csv", sql, &sample]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "span_name,order_id,is_exception\r\norder {order_id} reserved,6085f5e63d1f,false\r\n"
    );
}

#[test]
fn a_bad_query_exits_two_with_the_engine_message() {
    let (code, out, err) = sightline(&["sql", "SELEC 1", &fixture("order-e2e.json")]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(
        err.trim(),
        "sightline sql: SQL error: Expected: an SQL statement, found: SELEC at Line: 1, Column: 1"
    );
    let (code, _, err) = sightline(&["sql", "DROP TABLE records", &fixture("order-e2e.json")]);
    assert_eq!(code, 2);
    assert!(err.contains("not supported"), "{err}");
    let (code, _, _) = sightline(&["sql", "SELECT 1"]);
    assert_eq!(code, 2);
}
