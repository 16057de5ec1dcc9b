//! The command-line report on the real sample: what a CI log shows, and the exit status.

use std::path::PathBuf;
use std::process::Command;

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/order-e2e.json")
}

fn sightline(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(args)
        .output()
        .expect("run sightline");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn the_sample_fails_with_the_worker_exception_and_a_link_to_it() {
    let sample = sample();
    let (code, text) = sightline(&[
        "--base-url",
        "https://acme.github.io/sightline/",
        "--src",
        "https://artifacts.example.com/runs/7/order-e2e.json",
        sample.to_str().expect("path"),
    ]);
    assert_eq!(code, 1, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("sightline: 1 failing test in "),
        "{text}"
    );
    assert!(lines[0].ends_with("(33 spans, 5 traces)"), "{text}");
    let at = lines
        .iter()
        .position(|l| *l == "FAILED test_orders.py::test_bulk_order")
        .expect(&text);
    assert_eq!(lines[at + 1], "  cause: order-worker › reserve TEAPOT-XL");
    assert_eq!(
        lines[at + 2],
        "  ValueError: cannot reserve 250 x TEAPOT-XL: exceeds warehouse limit of 100"
    );
    let link = lines[at + 3].trim();
    assert!(
        link.starts_with("https://acme.github.io/sightline/#src=https://artifacts.example.com/runs/7/order-e2e.json&trace="),
        "{link}"
    );
    assert!(link.contains("&span="), "{link}");
}

#[test]
fn a_passing_run_exits_zero_and_unreadable_input_exits_two() {
    let dir = std::env::temp_dir().join(format!("sightline-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let ok = dir.join("ok.json");
    std::fs::write(
        &ok,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"test_ok","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"test.outcome","value":{"stringValue":"passed"}}]}]}]}]}"#,
    )
    .expect("write");
    let (code, text) = sightline(&[ok.to_str().expect("path")]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("sightline: no failing tests in "),
        "{text}"
    );
    let junk = dir.join("junk.txt");
    std::fs::write(&junk, "not a trace").expect("write");
    let (code, text) = sightline(&[junk.to_str().expect("path")]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no spans found"), "{text}");
    let (code, _) = sightline(&[]);
    assert_eq!(code, 2);
    std::fs::remove_dir_all(&dir).ok();
}
