//! Writes a deterministic OTLP/JSON trace for benchmarks (scripts/bench); the generator itself is
//! `sightline_core::synthetic`, which the decoder worker also uses to warm up.
//!
//! `cargo run --release -p sightline-core --example generate -- SPANS PROFILE OUT`, PROFILE one of
//! rich, lean, rich-lines, rich-traces, lean-traces.
//!
//! `rich-lines` writes the rich trace as JSON Lines the way the Collector's file exporter does
//! with small batches: one `ExportTraceServiceRequest` per span, each with its resource and scope.
//! `*-traces` gives each test its own trace (a test suite whose runner starts a trace per test):
//! the suite's root span goes, each test span becomes a root, and its spans take its trace id.

use serde_json::{json, Value};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(count), Some(profile), Some(out)) = (
        args.first().and_then(|n| n.parse::<usize>().ok()),
        args.get(1),
        args.get(2),
    ) else {
        eprintln!("usage: generate SPANS rich|lean|rich-lines|rich-traces|lean-traces OUT");
        std::process::exit(2);
    };
    let rich = profile.starts_with("rich");
    // The trace per test drops the suite's root: one span more keeps the count.
    let traces = profile.ends_with("-traces");
    let mut body = sightline_core::synthetic::otlp_json(count + usize::from(traces), rich);
    if profile == "rich-lines" {
        body = lines(&body);
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
