//! The stack-trace parsers on real output of each runtime (tests/fixtures/tracebacks).

mod common;

use sightline_core::insight::stacktrace::{parse, Language, StackTrace};

fn trace(name: &str) -> StackTrace {
    let path = common::fixture(&format!("tracebacks/{name}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse(&text).unwrap_or_else(|| panic!("{name} not recognised"))
}

/// (kind, message) of each exception, in the order printed.
fn summary(t: &StackTrace) -> Vec<(String, String)> {
    t.exceptions
        .iter()
        .map(|e| (e.kind.clone(), e.message.clone()))
        .collect()
}

const LIMIT: &str = "cannot reserve 250 x TEAPOT-XL: exceeds warehouse limit of 100";

#[test]
fn python_with_a_chained_cause() {
    let t = trace("python.txt");
    assert_eq!(t.language, Language::Python);
    assert_eq!(
        summary(&t),
        [
            ("ValueError".into(), LIMIT.into()),
            (
                "RuntimeError".into(),
                "fulfilment failed for cus_2077".into()
            )
        ]
    );
    let cause = &t.exceptions[0];
    assert_eq!(cause.frames.len(), 3);
    let raised = cause.raising_frame(t.innermost_last()).expect("frame");
    assert_eq!(raised.function, "reserve");
    assert_eq!(raised.line, Some(8));
    assert!(raised.file.ends_with("orders.py"));
    assert_eq!(
        raised.source.as_deref(),
        Some(
            r#"raise ValueError(f"cannot reserve {quantity} x {sku}: exceeds warehouse limit of 100")"#
        )
    );
    assert_eq!(
        t.exceptions[1].relation.as_deref(),
        Some("The above exception was the direct cause of the following exception")
    );
    assert_eq!(t.exceptions[1].frames[0].function, "<module>");
}

#[test]
fn python_library_frames_are_marked() {
    let text = "Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n    go()\n  File \"/usr/lib/python3.11/json/__init__.py\", line 346, in loads\n    return _default_decoder.decode(s)\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/venv/lib/python3.11/site-packages/httpx/_client.py\", line 10, in send\n    raise exc\njson.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)\n";
    let t = parse(text).expect("python");
    let e = &t.exceptions[0];
    assert_eq!(e.kind, "json.decoder.JSONDecodeError");
    assert_eq!(e.message, "Expecting value: line 1 column 1 (char 0)");
    let library: Vec<bool> = e.frames.iter().map(|f| f.library).collect();
    assert_eq!(library, [false, true, true]);
    // The caret line is not taken for source.
    assert_eq!(
        e.frames[1].source.as_deref(),
        Some("return _default_decoder.decode(s)")
    );
    // The frame that raised, for the reader, is the innermost of the application's own.
    assert_eq!(e.raising_frame(true).map(|f| f.line), Some(Some(3)));
}

#[test]
fn node_with_a_cause() {
    let t = trace("node.txt");
    assert_eq!(t.language, Language::JavaScript);
    assert_eq!(
        summary(&t),
        [
            ("Error".into(), "fulfilment failed for cus_2077".into()),
            ("RangeError".into(), LIMIT.into())
        ]
    );
    let cause = &t.exceptions[1];
    assert_eq!(cause.relation.as_deref(), Some("Caused by"));
    let raised = cause.raising_frame(false).expect("frame");
    assert_eq!(
        (raised.function.as_str(), raised.line, raised.column),
        ("reserve", Some(4), Some(29))
    );
    assert!(raised.file.ends_with("orders.cjs"));
    assert!(cause
        .frames
        .iter()
        .any(|f| f.library && f.file.starts_with("node:internal")));
    assert!(cause
        .frames
        .iter()
        .any(|f| f.function == "Array.forEach" && f.library));
    // The last frame before the cause ends with " {" in util.inspect's output: not in the file name.
    assert!(t.exceptions[0].frames.iter().all(|f| !f.file.contains('{')));
}

#[test]
fn java_with_caused_by() {
    let t = trace("java.txt");
    assert_eq!(t.language, Language::Java);
    assert_eq!(
        summary(&t),
        [
            (
                "java.lang.IllegalStateException".into(),
                "fulfilment failed for cus_2077".into()
            ),
            ("java.lang.IllegalArgumentException".into(), LIMIT.into())
        ]
    );
    let cause = &t.exceptions[1];
    let raised = cause.raising_frame(false).expect("frame");
    assert_eq!(
        (raised.function.as_str(), raised.file.as_str(), raised.line),
        ("Orders.reserve", "Orders.java", Some(7))
    );
    let lib: Vec<&str> = cause
        .frames
        .iter()
        .filter(|f| f.library)
        .map(|f| f.function.as_str())
        .collect();
    assert_eq!(lib, ["java.lang.Iterable.forEach"]);
}

#[test]
fn rust_panic_with_backtrace() {
    let t = trace("rust.txt");
    assert_eq!(t.language, Language::Rust);
    assert_eq!(summary(&t), [("panic".into(), LIMIT.into())]);
    let e = &t.exceptions[0];
    let raised = e.raising_frame(false).expect("frame");
    assert_eq!(
        (raised.function.as_str(), raised.line, raised.column),
        ("orders::reserve", Some(4), Some(9))
    );
    assert!(e.frames[0].library && e.frames[1].library);
}

#[test]
fn go_panic() {
    let t = trace("go.txt");
    assert_eq!(t.language, Language::Go);
    assert_eq!(summary(&t), [("panic".into(), LIMIT.into())]);
    let e = &t.exceptions[0];
    let funcs: Vec<&str> = e.frames.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(
        funcs,
        ["main.(*Ledger).Reserve", "main.reserveLines", "main.main"]
    );
    assert_eq!(
        e.frames[0].location(),
        "/builds/acme/order-demo/worker/ledger.go:21"
    );
    assert_eq!(e.frames[1].line, Some(14));
}

#[test]
fn dotnet_with_an_inner_exception() {
    let t = trace("dotnet.txt");
    assert_eq!(t.language, Language::DotNet);
    assert_eq!(
        summary(&t),
        [
            (
                "System.InvalidOperationException".into(),
                "fulfilment failed for cus_2077".into()
            ),
            (
                "System.ArgumentOutOfRangeException".into(),
                format!("{LIMIT} (Parameter 'quantity')")
            )
        ]
    );
    let (outer, inner) = (&t.exceptions[0], &t.exceptions[1]);
    assert_eq!(inner.relation.as_deref(), Some("Inner exception"));
    assert_eq!(inner.frames.len(), 2);
    assert_eq!(inner.frames[0].line, Some(21));
    assert!(inner.frames[0].file.ends_with("Ledger.cs"));
    assert_eq!(outer.frames.len(), 3);
    assert!(outer.frames[2].library);
}

#[test]
fn unknown_text_is_not_parsed() {
    assert_eq!(parse("something went wrong"), None);
    assert_eq!(parse(""), None);
    assert_eq!(parse("ValueError: no traceback here"), None);
}
