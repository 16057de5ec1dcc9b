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
    let resource = session.resources.get(span.resource as usize);
    let scope = session.scopes.get(span.scope as usize);
    let doc = json!({ "resourceSpans": [{
        "resource": { "attributes": resource.map(|r| attributes(session, &r.attributes)).unwrap_or_default() },
        "scopeSpans": [{
            "scope": {
                "name": scope.map_or("", |s| text(s.name)),
                "version": scope.map_or("", |s| text(s.version)),
                "attributes": scope.map(|s| attributes(session, &s.attributes)).unwrap_or_default(),
            },
            "spans": [out],
        }],
    }]});
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
