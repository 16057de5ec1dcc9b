//! The OTLP reader's fast path (a hand-written scanner) must read every document exactly as the
//! typed reader does: the same spans, attributes, resources, scopes, warnings and duplicates.
//! Each file is decoded both ways and compared field by field, strings resolved.

mod common;

use std::path::{Path, PathBuf};

use sightline_core::fuzzing::{canonical, decode_file_typed_only};
use sightline_core::{decode_file, Session};

/// Decodes `bytes` both ways and asserts the results are the same; returns the span count.
fn same_both_ways(name: &str, bytes: &[u8]) -> usize {
    let mut fast = Session::default();
    let fast_summary = decode_file(&mut fast, name, bytes);
    let mut typed = Session::default();
    let typed_summary = decode_file_typed_only(&mut typed, name, bytes);
    assert_eq!(fast_summary, typed_summary, "{name}: summaries differ");
    let (a, b) = (canonical(&fast), canonical(&typed));
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "{name}: line {i} differs");
    }
    assert_eq!(a.len(), b.len(), "{name}: different line counts");
    fast.spans.len()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "jsonl" || e == "txt")
        {
            out.push(path);
        }
    }
}

#[test]
fn every_corpus_file_and_fixture_reads_the_same_on_both_paths() {
    let root = common::repo_root();
    let mut paths = Vec::new();
    files_under(&root.join("tests/fixtures/corpus"), &mut paths);
    files_under(&root.join("tests/fixtures/edge"), &mut paths);
    paths.extend(["order-e2e.json", "linked-traces.json"].map(common::fixture));
    assert!(paths.len() > 20, "found only {paths:?}");
    let mut spans = 0;
    for path in &paths {
        let bytes = std::fs::read(path).expect("read");
        let before = sightline_core::fuzzing::fast_path_bails();
        spans += same_both_ways(&path.display().to_string(), &bytes);
        // Only files broken on purpose need the typed reader, so real exports stay fast.
        let bails = sightline_core::fuzzing::fast_path_bails() - before;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let broken_on_purpose = [
            "CtrlSpice__otel-desktop-viewer__.github_workflows_span.json", // "anyValue"
            "bad_span.json",
            "corrupt_line.jsonl",
            "otlp_array.json", // "attributes": "not a list"
            "writer_variants.jsonl",
        ];
        let expected = name.is_some_and(|n| broken_on_purpose.contains(&n.as_str()));
        assert_eq!(
            bails > 0,
            expected,
            "{}: {bails} documents left the fast path",
            path.display()
        );
    }
    assert!(spans > 100, "{spans} spans in all");
}

/// One span with the given fields merged in (`null` removes a field).
fn doc_with(span_fields: serde_json::Value) -> String {
    let mut span = serde_json::json!({
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": "EEE19B7EC3C1B174",
        "parentSpanId": "EEE19B7EC3C1B173",
        "name": "GET /orders",
        "kind": 2,
        "startTimeUnixNano": "1544712660000000000",
        "endTimeUnixNano": "1544712661000000000",
        "attributes": [{"key": "http.method", "value": {"stringValue": "GET"}}],
        "status": {"code": 2, "message": "boom"},
    });
    for (k, v) in span_fields.as_object().expect("object") {
        if v.is_null() {
            span.as_object_mut().expect("object").remove(k);
        } else {
            span[k] = v.clone();
        }
    }
    serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
        "scopeSpans": [{"scope": {"name": "s", "version": "1"}, "spans": [span]}],
    }]})
    .to_string()
}

#[test]
fn writer_variants_and_broken_fields_read_the_same_on_both_paths() {
    use serde_json::json;
    let variants = [
        json!({}),
        json!({"traceId": "W47/95gDgQPSabYzgT/GDA==", "spanId": "7uGbfsPBsXQ="}),
        json!({"traceId": "00000000000000ff"}),
        json!({"traceId": ""}),
        json!({"traceId": null}),
        json!({"spanId": "zz"}),
        json!({"parentSpanId": ""}),
        json!({"parentSpanId": "0000000000000000"}),
        json!({"parentSpanId": "nothex"}),
        json!({"kind": "SPAN_KIND_CLIENT"}),
        json!({"kind": "client"}),
        json!({"kind": "3"}),
        json!({"kind": "weird"}),
        json!({"kind": 2.5}),
        json!({"kind": -0}),
        json!({"startTimeUnixNano": 1_544_712_660_000_000_000u64}),
        json!({"startTimeUnixNano": {"low": 1, "high": 2}}),
        json!({"startTimeUnixNano": " 12 "}),
        json!({"startTimeUnixNano": ""}),
        json!({"startTimeUnixNano": -5}),
        json!({"startTimeUnixNano": 1.5}),
        json!({"startTimeUnixNano": "abc"}),
        json!({"flags": 257, "traceState": "a=b", "droppedAttributesCount": 3}),
        json!({"droppedEventsCount": "4", "droppedLinksCount": 99_999_999_999u64}),
        json!({"name": "caf\u{e9} \"quoted\" \\ \n\t \u{1F600}"}),
        json!({"name": 42}),
        json!({"name": null}),
        json!({"status": {"code": "STATUS_CODE_ERROR", "message": "m"}}),
        json!({"status": {"code": "Error"}}),
        json!({"status": {}}),
        json!({"status": null}),
        json!({"attributes": null}),
        json!({"attributes": "not a list"}),
        json!({"attributes": [
            {"key": "s", "value": {"stringValue": "x"}},
            {"key": "s_null", "value": {"stringValue": null}},
            {"key": "i", "value": {"intValue": "-42"}},
            {"key": "i_num", "value": {"intValue": 42}},
            {"key": "i_float", "value": {"intValue": 4.0}},
            {"key": "i_bad", "value": {"intValue": "x"}},
            {"key": "b", "value": {"boolValue": true}},
            {"key": "b_str", "value": {"boolValue": "TRUE"}},
            {"key": "d", "value": {"doubleValue": 1.25}},
            {"key": "d_int", "value": {"doubleValue": 3}},
            {"key": "d_exp", "value": {"doubleValue": 1.0e300}},
            {"key": "d_nan", "value": {"doubleValue": "NaN"}},
            {"key": "d_str", "value": {"doubleValue": "2.5"}},
            {"key": "bytes", "value": {"bytesValue": "AQID"}},
            {"key": "bytes_bad", "value": {"bytesValue": "!!"}},
            {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}, {}]}}},
            {"key": "arr_empty", "value": {"arrayValue": {}}},
            {"key": "kv", "value": {"kvlistValue": {"values": [{"key": "inner", "value": {"boolValue": false}}]}}},
            {"key": "empty", "value": {}},
            {"key": "null", "value": null},
            {"key": "missing"},
            {"key": "unknown", "value": {"anyValue": "x"}},
            {"key": "two", "value": {"stringValue": "a", "intValue": "1"}},
            {"key": "bare", "value": "bare"},
            {"value": {"stringValue": "no key"}},
            {"key": "snake", "value": {"string_value": "s", "extra": 1}},
        ]}),
        json!({"events": [{"timeUnixNano": "1544712660500000000", "name": "exception",
            "attributes": [{"key": "exception.type", "value": {"stringValue": "ValueError"}}],
            "droppedAttributesCount": 1}]}),
        json!({"events": [{"time_unix_nano": 5, "name": null}, {}]}),
        json!({"events": null}),
        json!({"links": [{"traceId": "5B8EFFF798038103D269B633813FC60D", "spanId": "EEE19B7EC3C1B175",
            "traceState": "x=y", "attributes": [], "droppedAttributesCount": 2}]}),
        json!({"links": [{"traceId": "bad", "spanId": "EEE19B7EC3C1B175"}]}),
        json!({"links": [{"spanId": "EEE19B7EC3C1B175"}]}),
        json!({"unknownField": {"nested": [1, 2, {"a": null}], "s": "\u{1}"}}),
        json!({"trace_id": "5b8efff798038103d269b633813fc60c", "span_id": "eee19b7ec3c1b174",
            "start_time_unix_nano": "1", "end_time_unix_nano": "2"}),
    ];
    for (i, fields) in variants.into_iter().enumerate() {
        let doc = doc_with(fields.clone());
        same_both_ways(&format!("variant {i}: {fields}"), doc.as_bytes());
    }
}

#[test]
fn document_shapes_read_the_same_on_both_paths() {
    let span = r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"a","startTimeUnixNano":"1","endTimeUnixNano":"2"}"#;
    let other = r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","name":"b","startTimeUnixNano":"1","endTimeUnixNano":"2"}"#;
    let resource = r#"{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]}"#;
    let docs = [
        format!(r#"{{"resourceSpans":[{{"resource":{resource},"scopeSpans":[{{"scope":{{"name":"s"}},"spans":[{span},{other}]}}]}}]}}"#),
        // Resource and scope written after their spans; none at all.
        format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{span}],"scope":{{"name":"late"}}}}],"resource":{resource}}}]}}"#),
        format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{span}]}}]}}]}}"#),
        // Wrappers, old names, snake_case, nulls.
        format!(r#"{{"batches":[{{"resource":{resource},"instrumentationLibrarySpans":[{{"instrumentationLibrary":{{"name":"old"}},"spans":[{span}]}}]}}]}}"#),
        format!(r#"{{"trace":{{"resource_spans":[{{"resource":{resource},"scope_spans":[{{"scope":{{}},"spans":[{span}]}}]}}]}}}}"#),
        format!(r#"{{"result":{{"resourceSpans":[{{"resource":{resource},"scopeSpans":[{{"scope":{{"name":"s"}},"spans":null}},{{"scope":{{"name":"s"}},"spans":[{span}]}}]}}]}}}}"#),
        r#"{"trace":null,"resourceSpans":null}"#.to_string(),
        // The same span twice (a duplicate), and a different span reusing its id.
        format!(r#"{{"resourceSpans":[{{"resource":{resource},"scopeSpans":[{{"scope":{{"name":"s"}},"spans":[{span},{span},{}]}}]}}]}}"#, span.replace(r#""name":"a""#, r#""name":"changed""#)),
        // JSON Lines, concatenated and pretty-printed documents, garbage between them.
        format!("{{\"resourceSpans\":[{{\"resource\":{resource},\"scopeSpans\":[{{\"scope\":{{}},\"spans\":[{span}]}}]}}]}}\n{{\"resourceSpans\":[{{\"resource\":{resource},\"scopeSpans\":[{{\"scope\":{{}},\"spans\":[{other}]}}]}}]}}\n"),
        format!("{{\"resourceSpans\":[]}}{{\"resourceSpans\":[{{\"resource\":{resource},\"scopeSpans\":[{{\"scope\":{{}},\"spans\":[{other}]}}]}}]}}"),
        format!("{{\n  \"resourceSpans\" : [ {{ \"resource\" : {resource} ,\n \"scopeSpans\" : [ {{ \"scope\" : {{ }} , \"spans\" : [ {span} ] }} ] }} ]\n}}\n garbage \n{{\"resourceSpans\":[]}}"),
        // Truncated, a duplicate key, an object that is not OTLP, a Jaeger object.
        format!(r#"{{"resourceSpans":[{{"resource":{resource},"scopeSpans":[{{"scope":{{}},"spans":[{span},{other}"#),
        format!(r#"{{"resourceSpans":[{{"resource":{resource},"resource":{resource},"scopeSpans":[{{"scope":{{}},"spans":[{span}]}}]}}]}}"#),
        r#"{"hello":"world"}"#.to_string(),
        r#"{"data":[{"traceID":"abc","spans":[{"traceID":"abc","spanID":"def","operationName":"op","startTime":1,"duration":2,"processID":"p1"}],"processes":{"p1":{"serviceName":"svc"}}}]}"#.to_string(),
        "\u{feff}{\"resourceSpans\":[]}".to_string(),
        String::new(),
    ];
    for (i, doc) in docs.iter().enumerate() {
        same_both_ways(&format!("document {i}"), doc.as_bytes());
    }
    // Invalid UTF-8 inside a string.
    let mut bytes = docs[0].clone().into_bytes();
    let at = bytes.windows(3).position(|w| w == b"api").expect("api");
    bytes[at] = 0xff;
    same_both_ways("invalid utf-8", &bytes);
}

#[test]
fn synthetic_traces_stay_on_the_fast_path() {
    for rich in [true, false] {
        let text = sightline_core::synthetic::otlp_json(3_000, rich);
        assert_eq!(text, sightline_core::synthetic::otlp_json(3_000, rich));
        let before = sightline_core::fuzzing::fast_path_bails();
        assert_eq!(same_both_ways("synthetic", text.as_bytes()), 3_000);
        assert_eq!(
            sightline_core::fuzzing::fast_path_bails(),
            before,
            "rich: {rich}"
        );
    }
}
