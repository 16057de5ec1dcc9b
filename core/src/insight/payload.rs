//! What a span carries beyond its own fields, as the details panel shows it: attribute text,
//! captured headers and bodies (also a response body on the child span where Logfire's httpx
//! instrumentation puts it), and `exception` events with where they fall in the span.

use crate::insight::structured::{from_attribute, Json};
use crate::model::{KeyValue, Session, Span, Value};
use crate::trace::tree::TraceTree;
use crate::view::format::format_duration;

/// An `exception` event, read for display.
#[derive(Clone, Debug, PartialEq)]
pub struct ExceptionEvent {
    pub kind: String,
    pub message: String,
    pub stacktrace: String,
    /// `exception.escaped`, when the event says.
    pub escaped: Option<String>,
    /// When it was recorded, from the span's start ("+12.3ms"); empty without times.
    pub offset: String,
}

/// The string value of attribute `key`.
pub fn attr_text<'a>(session: &'a Session, attrs: &[KeyValue], key: &str) -> Option<&'a str> {
    let sym = session.strings.lookup(key)?;
    attrs
        .iter()
        .find(|kv| kv.key == sym)
        .and_then(|kv| match kv.value {
            Value::Str(s) => Some(session.strings.get(s)),
            _ => None,
        })
}

/// Headers captured as `prefix<name>` attributes, as (name, value) pairs.
pub fn headers(session: &Session, attrs: &[KeyValue], prefix: &str) -> Vec<(String, String)> {
    let mut out: Vec<_> = attrs
        .iter()
        .filter_map(|kv| {
            let k = session.strings.get(kv.key);
            k.strip_prefix(prefix).map(|name| {
                let v = match from_attribute(session, &kv.value) {
                    Some(Json::Array(items)) if items.len() == 1 => match &items[0] {
                        Json::Str(s) => s.clone(),
                        other => other.to_json(),
                    },
                    _ => kv.value.display(&session.strings),
                };
                (name.to_string(), v)
            })
        })
        .collect();
    out.sort();
    out
}

/// The response body of a client span: on the span itself, or on its "Reading response body"
/// child (where Logfire's httpx instrumentation puts it).
pub fn response_body(s: &Session, tree: &TraceTree, index: u32) -> Option<String> {
    let node = tree.nodes.get(index as usize)?;
    let span = &s.spans[node.span as usize];
    if let Some(b) = attr_text(s, &span.attributes, "http.response.body.text") {
        return Some(b.to_string());
    }
    tree.nodes[index as usize + 1..]
        .iter()
        .take_while(|n| n.depth > node.depth)
        .filter(|n| n.parent == Some(index))
        .find_map(|n| {
            attr_text(
                s,
                &s.spans[n.span as usize].attributes,
                "http.response.body.text",
            )
        })
        .map(str::to_string)
}

/// The span's `exception` events, in order.
pub fn exception_events(s: &Session, span: &Span) -> Vec<ExceptionEvent> {
    span.events
        .iter()
        .filter(|e| s.strings.get(e.name) == "exception")
        .map(|e| {
            let get = |k: &str| {
                attr_text(s, &e.attributes, k)
                    .unwrap_or_default()
                    .to_string()
            };
            let escaped = s.strings.lookup("exception.escaped").and_then(|k| {
                e.attributes
                    .iter()
                    .find(|kv| kv.key == k)
                    .map(|kv| kv.value.display(&s.strings))
            });
            ExceptionEvent {
                kind: get("exception.type"),
                message: get("exception.message"),
                stacktrace: get("exception.stacktrace"),
                escaped,
                offset: offset(span, e.time),
            }
        })
        .collect()
}

/// Where an event falls within its span, from 0 (start) to 1 (end).
pub fn event_position(span: &Span, time: u64) -> f64 {
    let d = span.duration();
    if d == 0 || time < span.start {
        return 0.0;
    }
    let f = (time - span.start) as f64 / d as f64;
    f.clamp(0.0, 1.0)
}

/// When `time` falls after the span's start, as "+12.3ms"; empty before it or without times.
pub fn offset(span: &Span, time: u64) -> String {
    if time >= span.start && span.start > 0 {
        format!("+{}", format_duration(time - span.start))
    } else {
        String::new()
    }
}
