//! Writes a deterministic OTLP/JSON trace for benchmarks (scripts/bench); the generator itself is
//! `sightline_core::synthetic`, which the decoder worker also uses to warm up.
//!
//! `cargo run --release -p sightline-core --example generate -- SPANS rich|lean|rich-lines OUT`
//!
//! `rich-lines` writes the rich trace as JSON Lines the way the Collector's file exporter does
//! with small batches: one `ExportTraceServiceRequest` per span, each with its resource and scope.

use serde_json::{json, Value};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(count), Some(profile), Some(out)) = (
        args.first().and_then(|n| n.parse::<usize>().ok()),
        args.get(1),
        args.get(2),
    ) else {
        eprintln!("usage: generate SPANS rich|lean|rich-lines OUT");
        std::process::exit(2);
    };
    let mut body = sightline_core::synthetic::otlp_json(count, profile != "lean");
    if profile == "rich-lines" {
        body = lines(&body);
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
