//! Writes a deterministic OTLP/JSON trace for benchmarks (scripts/bench); the generator itself is
//! `sightline_core::synthetic`, which the decoder worker also uses to warm up.
//!
//! `cargo run --release -p sightline-core --example generate -- SPANS PROFILE OUT`, PROFILE one of
//! rich, lean, rich-lines, rich-traces, lean-traces, rich-jaeger, rich-zipkin, linked-jobs, orphans,
//! cycles, services.
//!
//! `rich-lines` writes the rich trace as JSON Lines the way the Collector's file exporter does
//! with small batches: one `ExportTraceServiceRequest` per span, each with its resource and scope.
//! `*-traces` gives each test its own trace (a test suite whose runner starts a trace per test):
//! the suite's root span goes, each test span becomes a root, and its spans take its trace id.
//! `linked-jobs` is a suite where each test enqueues a job that a worker runs in a trace of its
//! own, linked back to the test (OpenTelemetry's messaging conventions): half the spans are
//! tests, half jobs, every tenth pair failing.
//!
//! `rich-jaeger` and `rich-zipkin` write the rich trace in Jaeger's JSON (the `{data: [...]}`
//! envelope of Jaeger UI's download, a process per resource) and as a Zipkin v2 list of spans,
//! converted from what Sightline reads of the OTLP file: times in microseconds, tags typed (Zipkin's
//! as text), events as logs or annotations, links as FOLLOWS_FROM references.
//!
//! Three messy shapes, not in the default run (`scripts/bench 100000:orphans`): `orphans`, one
//! trace whose spans each name a different parent that is not in the file (an export of one
//! service's spans); `cycles`, spans in pairs that name each other as parent; `services`, a
//! chain of spans each from a service (a resource) of its own.

use serde_json::{json, Value};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(count), Some(profile), Some(out)) = (
        args.first().and_then(|n| n.parse::<usize>().ok()),
        args.get(1),
        args.get(2),
    ) else {
        eprintln!(
            "usage: generate SPANS rich|lean|rich-lines|rich-traces|lean-traces|rich-jaeger|rich-zipkin|linked-jobs|orphans|cycles|services OUT"
        );
        std::process::exit(2);
    };
    let messy = match profile.as_str() {
        "linked-jobs" => Some(linked_jobs(count)),
        p if p.starts_with("runs") => Some(runs(
            count,
            p.trim_start_matches("runs").parse().unwrap_or(50),
        )),
        "orphans" | "cycles" | "services" => Some(messy(count, profile)),
        _ => None,
    };
    if let Some(body) = messy {
        std::fs::write(out, &body).expect("write");
        eprintln!("{out}: {count} spans, {} bytes", body.len());
        return;
    }
    let rich = profile.starts_with("rich");
    // The trace per test drops the suite's root: one span more keeps the count.
    let traces = profile.ends_with("-traces");
    let mut body = sightline_core::synthetic::otlp_json(count + usize::from(traces), rich);
    if profile == "rich-lines" {
        body = lines(&body);
    } else if profile == "rich-jaeger" || profile == "rich-zipkin" {
        let mut session = sightline_core::Session::default();
        sightline_core::decode_file(&mut session, "rich.json", body.as_bytes());
        body = if profile == "rich-jaeger" {
            jaeger(&session)
        } else {
            zipkin(&session)
        };
    } else if traces {
        body = trace_per_test(&body);
    }
    std::fs::write(out, &body).expect("write");
    eprintln!(
        "{out}: {count} spans, {} bytes ({} bytes a span)",
        body.len(),
        body.len() / count.max(1)
    );
}

/// One request per span, a line each.
fn lines(document: &str) -> String {
    let doc: Value = serde_json::from_str(document).expect("the generator writes JSON");
    let mut out = String::new();
    let none = Vec::new();
    let list = |v: &Value, key: &str| v.get(key).and_then(Value::as_array).cloned();
    for rs in list(&doc, "resourceSpans").unwrap_or_default() {
        for ss in list(&rs, "scopeSpans").unwrap_or_default() {
            for span in list(&ss, "spans").as_ref().unwrap_or(&none) {
                let request = json!({"resourceSpans": [{
                    "resource": rs.get("resource").cloned().unwrap_or(Value::Null),
                    "scopeSpans": [{
                        "scope": ss.get("scope").cloned().unwrap_or(Value::Null),
                        "spans": [span],
                    }],
                }]});
                out.push_str(&request.to_string());
                out.push('\n');
            }
        }
    }
    out
}

/// Each test span (a child of the suite's root) becomes the root of a trace of its own, with the
/// spans under it; the suite's root goes. A link keeps pointing at its span, in that span's new
/// trace.
fn trace_per_test(document: &str) -> String {
    use std::collections::HashMap;
    let mut doc: Value = serde_json::from_str(document).expect("the generator writes JSON");
    let spans = || {
        let doc: &Value = &doc;
        doc["resourceSpans"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|rs| rs["scopeSpans"].as_array().into_iter().flatten())
            .flat_map(|ss| ss["spans"].as_array().into_iter().flatten())
            .map(|s| {
                let text = |k: &str| s[k].as_str().unwrap_or_default().to_string();
                (text("spanId"), text("parentSpanId"))
            })
            .collect::<Vec<_>>()
    };
    let parents: HashMap<String, String> = spans().into_iter().collect();
    let root = parents
        .iter()
        .find(|(_, p)| p.is_empty())
        .map(|(id, _)| id.clone())
        .expect("a root");
    // The test a span belongs to: its ancestor just under the root.
    let test_of = |id: &str| {
        let mut at = id.to_string();
        loop {
            match parents.get(&at) {
                Some(p) if *p == root => return Some(at),
                Some(p) if !p.is_empty() => at = p.clone(),
                _ => return None,
            }
        }
    };
    let trace_of = |id: &str| test_of(id).map(|t| format!("{:0>32}", t));
    for rs in doc["resourceSpans"].as_array_mut().into_iter().flatten() {
        for ss in rs["scopeSpans"].as_array_mut().into_iter().flatten() {
            let list = ss["spans"].as_array_mut().expect("spans");
            list.retain(|s| s["spanId"].as_str() != Some(root.as_str()));
            for span in list.iter_mut() {
                let id = span["spanId"].as_str().unwrap_or_default().to_string();
                if let Some(trace) = trace_of(&id) {
                    span["traceId"] = Value::String(trace);
                }
                if span["parentSpanId"].as_str() == Some(root.as_str()) {
                    span["parentSpanId"] = Value::String(String::new());
                }
                let links = span.get_mut("links").and_then(Value::as_array_mut);
                for link in links.into_iter().flatten() {
                    let target = link["spanId"].as_str().unwrap_or_default().to_string();
                    if let Some(trace) = trace_of(&target) {
                        link["traceId"] = Value::String(trace);
                    }
                }
            }
        }
    }
    doc.to_string()
}

/// `count / 2` test traces of one span, each with the trace of the job it enqueued: a consumer
/// span linking to the test's span; every tenth test fails with the job's exception.
fn linked_jobs(count: usize) -> String {
    let base: u64 = 1_763_769_600_000_000_000;
    let mut tests = Vec::new();
    let mut jobs = Vec::new();
    for i in 0..(count / 2) as u64 {
        let start = base + i * 2_000_000;
        let failed = i % 10 == 0;
        let status = |message: &str| {
            if failed {
                json!({"code": 2, "message": message})
            } else {
                json!({"code": 1})
            }
        };
        let (test_trace, test_span) = (format!("{:032x}", i + 1), format!("{:016x}", i + 1));
        tests.push(json!({
            "traceId": test_trace, "spanId": test_span, "name": format!("test_order_{i}"),
            "kind": 1, "startTimeUnixNano": start.to_string(),
            "endTimeUnixNano": (start + 1_500_000).to_string(),
            "attributes": [
                {"key": "test.case.name", "value": {"stringValue": format!("test_order_{i}")}},
                {"key": "test.case.result.status", "value": {"stringValue": if failed { "fail" } else { "pass" }}},
            ],
            "status": status("AssertionError: order is 'failed'"),
        }));
        let mut job = json!({
            "traceId": format!("{:032x}", (1u128 << 100) + u128::from(i)),
            "spanId": format!("{:016x}", (1u64 << 60) + i), "name": "orders process",
            "kind": 5, "startTimeUnixNano": (start + 200_000).to_string(),
            "endTimeUnixNano": (start + 1_200_000).to_string(),
            "attributes": [{"key": "messaging.system", "value": {"stringValue": "redis"}}],
            "links": [{"traceId": test_trace, "spanId": test_span}],
            "status": status("InsufficientStock: wanted 5, 3 in stock"),
        });
        if failed {
            job["events"] = json!([{"name": "exception", "timeUnixNano": (start + 1_100_000).to_string(),
            "attributes": [
                {"key": "exception.type", "value": {"stringValue": "InsufficientStock"}},
                {"key": "exception.message", "value": {"stringValue": "wanted 5, 3 in stock"}},
            ]}]);
        }
        jobs.push(job);
    }
    json!({"resourceSpans": [resource_spans("e2e-tests", tests), resource_spans("order-worker", jobs)]})
        .to_string()
}

/// `count` spans in `runs` CI runs of one suite (`runs50`: 50 runs), one document a run with
/// its `cicd.pipeline.run.id`, revision and service on the resources. Each run is a trace of ten
/// tests, each test a client, a server and a worker span, the worker's database calls below it:
/// `test_0` always fails (an exception with a Python stack trace in the worker), `test_1`
/// fails in every third run with its worker call 40 ms slower (a flaky test), the rest pass;
/// every worker call retries once after a handled 503. With `runs2`, the two runs each hold
/// one test of `count / 2` spans, failing in the second: the comparison of two large
/// executions.
fn runs(count: usize, runs: usize) -> String {
    let base: u64 = 1_763_769_600_000_000_000;
    let runs = runs.max(1);
    let per_run = (count / runs).max(2);
    let tests = if runs == 2 { 1 } else { 10 };
    let per_test = (per_run / tests).max(2);
    let attr = |k: &str, v: &str| json!({"key": k, "value": {"stringValue": v}});
    let mut docs = Vec::new();
    for r in 0..runs as u64 {
        let trace = format!("{:016x}{:016x}", r + 1, 0xabcd_u64);
        let run_start = base + r * 3_600_000_000_000;
        let mut spans_by_service: [Vec<Value>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        let mut next_id = 1u64;
        for t in 0..tests as u64 {
            let failing = if runs == 2 {
                r == 1
            } else {
                t == 0 || (t == 1 && r % 3 == 2)
            };
            let slow = if failing && (t == 1 || runs == 2) {
                40_000_000
            } else {
                0
            };
            let test_start = run_start + t * 1_000_000_000;
            let test_id = next_id;
            next_id += 1;
            let inner = per_test as u64 - 1;
            let test_end = test_start + 10_000_000 + inner * 20_000 + slow;
            spans_by_service[0].push(json!({
                "traceId": trace, "spanId": format!("{test_id:016x}"), "name": format!("test_{t}"),
                "kind": 1, "startTimeUnixNano": test_start.to_string(), "endTimeUnixNano": test_end.to_string(),
                "attributes": [attr("test.case.name", &format!("test_{t}")), attr("test.suite.name", "suite"),
                    attr("test.case.result.status", if failing { "fail" } else { "pass" })],
                "status": if failing { json!({"code": 2, "message": "assert 500 == 200"}) } else { json!({"code": 1}) },
            }));
            // A chain below the test: client, server, worker, then calls, 20 µs each.
            let mut parent = test_id;
            for k in 0..inner {
                let id = next_id;
                next_id += 1;
                let start = test_start + 1_000_000 + k * 20_000;
                let (service, name, kind) = match k {
                    0 => (0, "POST /orders".to_string(), 3),
                    1 => (1, "POST /orders".to_string(), 2),
                    2 => (2, "fulfil order".to_string(), 5),
                    _ => (2, format!("SELECT stock {}", k % 7), 3),
                };
                let end = test_end
                    .saturating_sub(1_000_000 + k * 10)
                    .max(start + 1_000);
                let mut span = json!({
                    "traceId": trace, "spanId": format!("{id:016x}"), "parentSpanId": format!("{parent:016x}"),
                    "name": name, "kind": kind, "startTimeUnixNano": start.to_string(), "endTimeUnixNano": end.to_string(),
                    "attributes": [attr("db.system", "sqlite"), attr("order.id", &format!("ord_{r}_{t}_{k}"))],
                });
                if k == 2 && failing && t == 0 {
                    span["status"] = json!({"code": 2});
                    span["events"] = json!([{"name": "exception", "timeUnixNano": end.to_string(), "attributes": [
                        attr("exception.type", "ValueError"),
                        attr("exception.message", &format!("cannot reserve {} x TEAPOT-XL", 200 + r)),
                        attr("exception.stacktrace", "Traceback (most recent call last):\n  File \"/app/worker.py\", line 40, in fulfil\n    reserve(order)\n  File \"/app/worker.py\", line 12, in reserve\n    raise ValueError(msg)\nValueError: cannot reserve"),
                    ]}]);
                }
                spans_by_service[service].push(span);
                // Every worker call retries once after a 503 (a sibling that failed, handled).
                if k == 2 {
                    let retry = next_id;
                    next_id += 1;
                    spans_by_service[2].push(json!({
                        "traceId": trace, "spanId": format!("{retry:016x}"), "parentSpanId": format!("{id:016x}"),
                        "name": "carrier quote", "kind": 3, "startTimeUnixNano": (start + 1_000).to_string(),
                        "endTimeUnixNano": (start + 2_000).to_string(), "status": {"code": 2},
                        "events": [{"name": "exception", "timeUnixNano": (start + 2_000).to_string(), "attributes": [
                            attr("exception.type", "httpx.HTTPStatusError"), attr("exception.message", &format!("Server error '503' for url 'http://127.0.0.1:{}/quotes'", 40_000 + r)),
                        ]}],
                    }));
                    spans_by_service[2].push(json!({
                        "traceId": trace, "spanId": format!("{:016x}", next_id), "parentSpanId": format!("{id:016x}"),
                        "name": "carrier quote", "kind": 3, "startTimeUnixNano": (start + 3_000).to_string(),
                        "endTimeUnixNano": (start + 4_000 + slow).to_string(),
                    }));
                    next_id += 1;
                }
                if k <= 2 {
                    parent = id;
                }
            }
        }
        let ci = |service: &str| {
            json!({"resource": {"attributes": [attr("service.name", service),
                attr("cicd.pipeline.run.id", &(1000 + r).to_string()), attr("cicd.pipeline.name", "e2e"),
                attr("vcs.ref.head.revision", if r < runs as u64 / 2 { "aaaa1111" } else { "bbbb2222" })]}})
        };
        let resource_spans: Vec<Value> = ["e2e-tests", "order-api", "order-worker"]
            .iter()
            .zip(spans_by_service)
            .map(|(service, spans)| {
                let mut rs = ci(service);
                rs["scopeSpans"] = json!([{"scope": {"name": "bench"}, "spans": spans}]);
                rs
            })
            .collect();
        docs.push(json!({"resourceSpans": resource_spans}).to_string());
    }
    docs.join("\n")
}

/// One `ResourceSpans`: `spans` of the service `name`, in one scope.
fn resource_spans(name: &str, spans: Vec<Value>) -> Value {
    json!({"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": name}}]},
        "scopeSpans": [{"scope": {"name": "bench"}, "spans": spans}]})
}

/// The messy shapes (see the module's doc): lean spans of one trace, 10 µs apart.
fn messy(count: usize, profile: &str) -> String {
    let base: u64 = 1_763_769_600_000_000_000;
    let span = |i: u64, parent: Option<u64>| {
        let start = base + i * 10_000;
        let mut span = json!({
            "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": format!("{:016x}", i + 1),
            "name": format!("call {}", i % 50), "kind": 3,
            "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 5_000).to_string(),
        });
        if let Some(p) = parent {
            span["parentSpanId"] = json!(format!("{p:016x}"));
        }
        span
    };
    let n = count as u64;
    let resources: Vec<Value> = match profile {
        // Parents 0xf000… + i: never a span's id.
        "orphans" => vec![resource_spans(
            "db",
            (0..n)
                .map(|i| span(i, Some(0xf000_0000_0000_0000 + i)))
                .collect(),
        )],
        // Span ids are i + 1: 2k and 2k + 1 name each other.
        "cycles" => vec![resource_spans(
            "db",
            (0..n).map(|i| span(i, Some((i ^ 1) + 1))).collect(),
        )],
        _ => (0..n)
            .map(|i| resource_spans(&format!("svc-{i}"), vec![span(i, (i > 0).then_some(i))]))
            .collect(),
    };
    json!({ "resourceSpans": resources }).to_string()
}

/// Microseconds of a nanosecond time.
fn micros(nanos: u64) -> u64 {
    nanos / 1_000
}

/// A Jaeger tag, typed as Jaeger types it.
fn jaeger_tag(session: &sightline_core::Session, kv: &sightline_core::KeyValue) -> Value {
    use sightline_core::Value as V;
    let key = session.strings.get(kv.key);
    match &kv.value {
        V::Bool(b) => json!({"key": key, "type": "bool", "value": b}),
        V::Int(i) => json!({"key": key, "type": "int64", "value": i}),
        V::Double(d) => json!({"key": key, "type": "float64", "value": d}),
        other => json!({"key": key, "type": "string", "value": other.display(&session.strings)}),
    }
}

/// The session as Jaeger's JSON: an envelope of traces, each with a process per resource.
fn jaeger(session: &sightline_core::Session) -> String {
    use sightline_core::{SpanKind, StatusCode};
    let mut traces: Vec<(sightline_core::TraceId, Vec<Value>)> = Vec::new();
    let mut by_id = std::collections::HashMap::new();
    for span in &session.spans {
        let trace = span.trace_id.to_string();
        let mut references = Vec::new();
        if let Some(parent) = span.parent_id {
            references.push(
                json!({"refType": "CHILD_OF", "traceID": trace, "spanID": parent.to_string()}),
            );
        }
        for link in &span.links {
            references.push(json!({"refType": "FOLLOWS_FROM", "traceID": link.trace_id.to_string(), "spanID": link.span_id.to_string()}));
        }
        let mut tags: Vec<Value> = span
            .attributes
            .iter()
            .map(|kv| jaeger_tag(session, kv))
            .collect();
        if span.kind != SpanKind::Unspecified {
            tags.push(json!({"key": "span.kind", "type": "string", "value": span.kind.label().to_ascii_lowercase()}));
        }
        if span.status.code == StatusCode::Error {
            tags.push(json!({"key": "error", "type": "bool", "value": true}));
            tags.push(json!({"key": "otel.status_description", "type": "string", "value": session.strings.get(span.status.message)}));
        }
        let logs: Vec<Value> = span
            .events
            .iter()
            .map(|e| {
                let mut fields = vec![
                    json!({"key": "event", "type": "string", "value": session.strings.get(e.name)}),
                ];
                fields.extend(e.attributes.iter().map(|kv| jaeger_tag(session, kv)));
                json!({"timestamp": micros(e.time), "fields": fields})
            })
            .collect();
        let record = json!({
            "traceID": trace,
            "spanID": span.span_id.to_string(),
            "operationName": session.strings.get(span.name),
            "references": references,
            "startTime": micros(span.start),
            "duration": micros(span.end.saturating_sub(span.start)),
            "tags": tags,
            "logs": logs,
            "processID": format!("p{}", span.resource),
        });
        let at = *by_id.entry(span.trace_id).or_insert_with(|| {
            traces.push((span.trace_id, Vec::new()));
            traces.len() - 1
        });
        traces[at].1.push(record);
    }
    let processes: serde_json::Map<String, Value> = session
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let tags: Vec<Value> = r
                .attributes
                .iter()
                .map(|kv| jaeger_tag(session, kv))
                .collect();
            (
                format!("p{i}"),
                json!({"serviceName": session.strings.get(r.service), "tags": tags}),
            )
        })
        .collect();
    let data: Vec<Value> = traces
        .into_iter()
        .map(|(id, spans)| json!({"traceID": id.to_string(), "spans": spans, "processes": processes, "warnings": null}))
        .collect();
    serde_json::to_string(
        &json!({"data": data, "total": 0, "limit": 0, "offset": 0, "errors": null}),
    )
    .expect("json")
}

/// The session as a Zipkin v2 list of spans.
fn zipkin(session: &sightline_core::Session) -> String {
    use sightline_core::{SpanKind, StatusCode};
    let spans: Vec<Value> = session
        .spans
        .iter()
        .map(|span| {
            let mut tags: serde_json::Map<String, Value> = span
                .attributes
                .iter()
                .map(|kv| {
                    (
                        session.strings.get(kv.key).to_string(),
                        json!(kv.value.display(&session.strings)),
                    )
                })
                .collect();
            if span.status.code == StatusCode::Error {
                tags.insert(
                    "error".into(),
                    json!(session.strings.get(span.status.message)),
                );
            }
            let annotations: Vec<Value> = span
                .events
                .iter()
                .map(|e| json!({"timestamp": micros(e.time), "value": session.strings.get(e.name)}))
                .collect();
            let mut record = json!({
                "traceId": span.trace_id.to_string(),
                "id": span.span_id.to_string(),
                "name": session.strings.get(span.name),
                "timestamp": micros(span.start),
                "duration": micros(span.end.saturating_sub(span.start)),
                "localEndpoint": {"serviceName": session.service_of(span)},
                "tags": tags,
                "annotations": annotations,
            });
            if let Some(parent) = span.parent_id {
                record["parentId"] = json!(parent.to_string());
            }
            if matches!(
                span.kind,
                SpanKind::Client | SpanKind::Server | SpanKind::Producer | SpanKind::Consumer
            ) {
                record["kind"] = json!(span.kind.label().to_ascii_uppercase());
            }
            record
        })
        .collect();
    serde_json::to_string(&spans).expect("json")
}
