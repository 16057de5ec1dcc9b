//! `sightline context` on the real sample and on the recorded runs, against snapshots kept in
//! cli/tests/snapshots (run with `UPDATE_SNAPSHOTS=1` to rewrite them after a deliberate change).

mod common;

use common::{fixture, sightline};
use std::path::PathBuf;

fn snapshot(name: &str, text: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, text).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("snapshot (UPDATE_SNAPSHOTS=1 writes it)");
    assert_eq!(text, expected, "differs from {}", path.display());
}

#[test]
fn the_samples_failure_with_its_whole_context() {
    let (code, out, err) = sightline(&["context", &fixture("order-e2e.json")]);
    assert_eq!(code, 0, "{err}");
    // What an assistant needs, each in its place.
    for needed in [
        "# Failing test `test_orders.py::test_bulk_order`",
        "**ValueError: cannot reserve 250 x TEAPOT-XL: exceeds warehouse limit of 100**",
        "  - raised at `/builds/acme/order-demo/order_demo/worker.py:42` in `reserve`",
        "| 6 | order-worker | reserve TEAPOT-XL | internal |",
        "\"quantity\":250",
        "- `order-api` calls `order-worker` (2 spans)",
        "reserve TEAPOT-XL (1.29ms) ERROR ← this span",
    ] {
        assert!(out.contains(needed), "missing {needed:?}:\n{out}");
    }
    snapshot("context-order-e2e.md", &out);
}

#[test]
fn a_flaky_test_is_compared_with_its_passing_run() {
    let (code, out, err) = sightline(&[
        "context",
        "--test",
        "test_express_order",
        &fixture("runs.zip"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("- History: flaky, 50% failed (3 passed, 3 failed over 6 runs)"),
        "{out}"
    );
    assert!(
        out.contains("## Compared with a passing execution"),
        "{out}"
    );
    assert!(
        out.contains("order-worker › carrier quote attempt 1: +2.35s"),
        "{out}"
    );
    snapshot("context-runs-express.md", &out);
}

#[test]
fn unknown_tests_and_passing_files_say_so() {
    let (code, _, err) = sightline(&[
        "context",
        "--test",
        "no_such_test",
        &fixture("order-e2e.json"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no test is named \"no_such_test\""), "{err}");
    let (code, _, err) = sightline(&[
        "context",
        "--test",
        "test_orders",
        &fixture("order-e2e.json"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("names 3 tests"), "{err}");
    // A test that passed: its own context, with no cause.
    let (code, out, _) = sightline(&[
        "context",
        "--test",
        "test_create_order",
        &fixture("order-e2e.json"),
    ]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("# The test `test_orders.py::test_create_order`"),
        "{out}"
    );
}
