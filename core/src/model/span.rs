//! Spans and what they hold: kinds, status, attribute values, events, links, their resource
//! and scope, and the warnings decoding gives.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::intern::{Interner, Sym};
use crate::model::{SpanId, TraceId};

/// OTLP span kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SpanKind {
    #[default]
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    /// From the OTLP enum number; unknown numbers read as unspecified.
    pub fn from_number(n: i64) -> SpanKind {
        match n {
            1 => SpanKind::Internal,
            2 => SpanKind::Server,
            3 => SpanKind::Client,
            4 => SpanKind::Producer,
            5 => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        }
    }

    /// From an enum name as protobuf JSON or Jaeger/Zipkin write it (`SPAN_KIND_SERVER`, `server`).
    pub fn from_name(name: &str) -> Option<SpanKind> {
        let n = name.trim().to_ascii_uppercase();
        let n = n.strip_prefix("SPAN_KIND_").unwrap_or(&n);
        Some(match n {
            "UNSPECIFIED" => SpanKind::Unspecified,
            "INTERNAL" => SpanKind::Internal,
            "SERVER" => SpanKind::Server,
            "CLIENT" => SpanKind::Client,
            "PRODUCER" => SpanKind::Producer,
            "CONSUMER" => SpanKind::Consumer,
            _ => return None,
        })
    }

    /// Lower-case label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// OTLP status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum StatusCode {
    #[default]
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    /// From the OTLP enum number; unknown numbers read as unset.
    pub fn from_number(n: i64) -> StatusCode {
        match n {
            1 => StatusCode::Ok,
            2 => StatusCode::Error,
            _ => StatusCode::Unset,
        }
    }

    /// From an enum name (`STATUS_CODE_ERROR`, `Error`, `ok`).
    pub fn from_name(name: &str) -> Option<StatusCode> {
        let n = name.trim().to_ascii_uppercase();
        let n = n.strip_prefix("STATUS_CODE_").unwrap_or(&n);
        Some(match n {
            "UNSET" => StatusCode::Unset,
            "OK" => StatusCode::Ok,
            "ERROR" => StatusCode::Error,
            _ => return None,
        })
    }

    /// Upper-case label shown to users, as the spec names it.
    pub fn label(self) -> &'static str {
        match self {
            StatusCode::Unset => "UNSET",
            StatusCode::Ok => "OK",
            StatusCode::Error => "ERROR",
        }
    }
}

/// A span's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Status {
    pub code: StatusCode,
    pub message: Sym,
}

/// An attribute value (OTLP AnyValue). `Empty` is the valid AnyValue with nothing set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Empty,
    Str(Sym),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    KvList(Vec<KeyValue>),
}

impl Value {
    /// The value as display text (strings as they are, compound values as compact JSON-like text).
    pub fn display(&self, strings: &Interner) -> String {
        let mut out = String::new();
        self.write_display(strings, &mut out, true);
        out
    }

    fn write_display(&self, strings: &Interner, out: &mut String, top: bool) {
        use std::fmt::Write;
        match self {
            Value::Empty => out.push_str(if top { "" } else { "null" }),
            Value::Str(s) if top => out.push_str(strings.get(*s)),
            Value::Str(s) => {
                let _ = write!(out, "{:?}", strings.get(*s));
            }
            Value::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Double(d) => {
                let _ = write!(out, "{d}");
            }
            Value::Bytes(b) => {
                for byte in b {
                    let _ = write!(out, "{byte:02x}");
                }
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_display(strings, out, false);
                }
                out.push(']');
            }
            Value::KvList(kvs) => {
                out.push('{');
                for (i, kv) in kvs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "{:?}: ", strings.get(kv.key));
                    kv.value.write_display(strings, out, false);
                }
                out.push('}');
            }
        }
    }

    /// The interned string, when the value is a string.
    pub fn as_str(&self) -> Option<Sym> {
        match self {
            Value::Str(s) => Some(*s),
            _ => None,
        }
    }

    /// Short type name shown next to raw attribute values.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Empty => "empty",
            Value::Str(_) => "string",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Double(_) => "double",
            Value::Bytes(_) => "bytes",
            Value::Array(_) => "array",
            Value::KvList(_) => "kvlist",
        }
    }
}

/// An attribute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyValue {
    pub key: Sym,
    pub value: Value,
}

/// A span event (an exception, a log line).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub time: u64,
    pub name: Sym,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes: u32,
}

/// A link to another span, possibly in another trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub trace_state: Sym,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes: u32,
}

/// The entity that produced spans (a service process).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Resource {
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes: u32,
    /// `service.name`, or "unknown_service" when absent, as the SDKs default it.
    pub service: Sym,
}

/// The instrumentation scope (library) that produced spans.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Scope {
    pub name: Sym,
    pub version: Sym,
    pub attributes: Vec<KeyValue>,
}

/// One span as decoded. Times are nanoseconds since the epoch; 0 means the file gave none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_id: Option<SpanId>,
    pub trace_state: Sym,
    pub flags: u32,
    pub name: Sym,
    pub kind: SpanKind,
    pub start: u64,
    pub end: u64,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes: u32,
    pub events: Vec<Event>,
    pub dropped_events: u32,
    pub links: Vec<Link>,
    pub dropped_links: u32,
    pub status: Status,
    /// Index into [`Session::resources`].
    pub resource: u32,
    /// Index into [`Session::scopes`].
    pub scope: u32,
}

impl Span {
    /// A span with these ids and name and nothing else: no parent, no times, no attributes,
    /// events or links, status unset, the first resource and scope. Decoders fill in the rest
    /// with struct update syntax (`Span { start, end, ..Span::new(t, s, name) }`).
    pub fn new(trace_id: TraceId, span_id: SpanId, name: Sym) -> Span {
        Span {
            trace_id,
            span_id,
            parent_id: None,
            trace_state: Sym::EMPTY,
            flags: 0,
            name,
            kind: SpanKind::Unspecified,
            start: 0,
            end: 0,
            attributes: Vec::new(),
            dropped_attributes: 0,
            events: Vec::new(),
            dropped_events: 0,
            links: Vec::new(),
            dropped_links: 0,
            status: Status::default(),
            resource: 0,
            scope: 0,
        }
    }

    /// Duration in nanoseconds; 0 when a time is missing or the end precedes the start.
    pub fn duration(&self) -> u64 {
        if self.start == 0 || self.end == 0 {
            0
        } else {
            self.end.saturating_sub(self.start)
        }
    }

    /// The attribute named `key`, if any.
    pub fn attribute(&self, key: Sym) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|kv| kv.key == key)
            .map(|kv| &kv.value)
    }
}

/// Something a decoder skipped or repaired, with where and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The file (or artifact entry) it came from.
    pub source: String,
    /// Where in that file: "line 3, column 7", "byte 1024", or a JSON path.
    pub location: String,
    /// What was wrong and what was done about it.
    pub reason: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}: {}", self.source, self.reason)
        } else {
            write!(f, "{} ({}): {}", self.source, self.location, self.reason)
        }
    }
}
