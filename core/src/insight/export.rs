//! One span written back as OTLP/JSON (the spec's form: hex ids, integer enums, int64 as strings),
//! with its resource and scope, for "Copy span as JSON".

use serde_json::{json, Value as J};

use crate::model::{KeyValue, Session, Span, SpanKind, StatusCode, Value};

fn any_value(session: &Session, v: &Value) -> J {
    match v {
        Value::Empty => json!({}),
        Value::Str(s) => json!({ "stringValue": session.strings.get(*s) }),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::Int(n) => json!({ "intValue": n.to_string() }),
        Value::Double(x) => json!({ "doubleValue": x }),
        Value::Bytes(b) => {
            use base64::Engine;
            json!({ "bytesValue": base64::engine::general_purpose::STANDARD.encode(b) })
        }
        Value::Array(items) => json!({ "arrayValue": { "values":
            items.iter().map(|i| any_value(session, i)).collect::<Vec<_>>() } }),
        Value::KvList(kvs) => json!({ "kvlistValue": { "values": attributes(session, kvs) } }),
    }
}

fn attributes(session: &Session, kvs: &[KeyValue]) -> Vec<J> {
    kvs.iter()
        .map(|kv| json!({ "key": session.strings.get(kv.key), "value": any_value(session, &kv.value) }))
        .collect()
}

fn kind_number(kind: SpanKind) -> u8 {
    match kind {
        SpanKind::Unspecified => 0,
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn status_number(code: StatusCode) -> u8 {
    match code {
        StatusCode::Unset => 0,
        StatusCode::Ok => 1,
        StatusCode::Error => 2,
    }
}

/// The span as an OTLP/JSON `ExportTraceServiceRequest` holding only it, pretty-printed.
pub fn span_as_otlp_json(session: &Session, span: &Span) -> String {
    serde_json::to_string_pretty(&request(session, &[span])).unwrap_or_default()
}

/// Spans as one OTLP/JSON `ExportTraceServiceRequest`, grouped by resource and scope (compact).
pub fn spans_as_otlp_json(session: &Session, spans: &[&Span]) -> String {
    serde_json::to_string(&request(session, spans)).unwrap_or_default()
}

fn request(session: &Session, spans: &[&Span]) -> J {
    let text = |s| session.strings.get(s);
    // (resource, scope) groups in order of first appearance.
    let mut groups: Vec<((u32, u32), Vec<J>)> = Vec::new();
    for span in spans {
        let key = (span.resource, span.scope);
        let item = span_json(session, span);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(item),
            None => groups.push((key, vec![item])),
        }
    }
    let resource_spans: Vec<J> = groups
        .into_iter()
        .map(|((r, sc), list)| {
            let resource = session.resources.get(r as usize);
            let scope = session.scopes.get(sc as usize);
            json!({
                "resource": { "attributes": resource.map(|r| attributes(session, &r.attributes)).unwrap_or_default() },
                "scopeSpans": [{
                    "scope": {
                        "name": scope.map_or("", |s| text(s.name)),
                        "version": scope.map_or("", |s| text(s.version)),
                        "attributes": scope.map(|s| attributes(session, &s.attributes)).unwrap_or_default(),
                    },
                    "spans": list,
                }],
            })
        })
        .collect();
    json!({ "resourceSpans": resource_spans })
}

fn span_json(session: &Session, span: &Span) -> J {
    let text = |s| session.strings.get(s);
    let mut out = json!({
        "traceId": span.trace_id.to_string(),
        "spanId": span.span_id.to_string(),
        "name": text(span.name),
        "kind": kind_number(span.kind),
        "startTimeUnixNano": span.start.to_string(),
        "endTimeUnixNano": span.end.to_string(),
        "attributes": attributes(session, &span.attributes),
        "events": span.events.iter().map(|e| json!({
            "timeUnixNano": e.time.to_string(),
            "name": text(e.name),
            "attributes": attributes(session, &e.attributes),
        })).collect::<Vec<_>>(),
        "links": span.links.iter().map(|l| json!({
            "traceId": l.trace_id.to_string(),
            "spanId": l.span_id.to_string(),
            "attributes": attributes(session, &l.attributes),
        })).collect::<Vec<_>>(),
        "status": { "code": status_number(span.status.code), "message": text(span.status.message) },
    });
    if let Some(p) = span.parent_id {
        out["parentSpanId"] = p.to_string().into();
    }
    if !text(span.trace_state).is_empty() {
        out["traceState"] = text(span.trace_state).into();
    }
    for (key, n) in [
        ("droppedAttributesCount", span.dropped_attributes),
        ("droppedEventsCount", span.dropped_events),
        ("droppedLinksCount", span.dropped_links),
    ] {
        if n > 0 {
            out[key] = n.into();
        }
    }
    out
}

/// The longest inline trace a link carries, in characters of its `data=` value.
pub const INLINE_LIMIT: usize = 32 * 1024;

/// Trace `trace` of the forest as a link's `data=` value: its spans as OTLP/JSON, gzipped,
/// base64url without padding. `Err(size)` when that is longer than [`INLINE_LIMIT`].
pub fn inline_trace(
    session: &Session,
    forest: &crate::trace::tree::Forest,
    trace: usize,
) -> Result<String, usize> {
    use base64::Engine;
    use std::io::Write;
    let Some(tree) = forest.tree(trace) else {
        return Err(0);
    };
    let spans: Vec<&Span> = tree
        .nodes
        .iter()
        .filter(|n| !n.flags.placeholder)
        .map(|n| &session.spans[n.span as usize])
        .collect();
    let json = spans_as_otlp_json(session, &spans);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let bytes = gz
        .write_all(json.as_bytes())
        .and_then(|()| gz.finish())
        .map_err(|_| 0usize)?;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    if text.len() > INLINE_LIMIT {
        Err(text.len())
    } else {
        Ok(text)
    }
}

/// The bytes of a link's `data=` value (gzipped OTLP/JSON, which the decoders recognise).
pub fn inline_bytes(data: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(data.trim_end_matches('='))
        .ok()
}
