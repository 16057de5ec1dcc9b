//! Ids, spans, resources and the session that holds them.

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::fmt;
use std::hash::BuildHasher;

use serde::{Deserialize, Serialize};

use crate::model::intern::{Interner, Sym};

/// A 16-byte W3C trace id. A 64-bit id (Jaeger, Zipkin) is kept in the low 8 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct SpanId(pub [u8; 8]);

impl TraceId {
    /// True for the all-zero id, which the spec calls invalid.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }
}

impl SpanId {
    /// True for the all-zero id, which the spec calls invalid.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }
}

/// Lowercase hex of an id (at most 16 bytes), written at once: a `write!` per byte was slow
/// enough to show when a load test's session formats tens of thousands of trace ids.
fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let bytes = &bytes[..bytes.len().min(16)];
    let mut text = [0u8; 32];
    for (pair, b) in text.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
    f.write_str(std::str::from_utf8(&text[..bytes.len() * 2]).map_err(|_| fmt::Error)?)
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

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

/// What a span without a name is shown as ([`Session::shown_name`]).
pub const UNNAMED: &str = "(no name)";

/// The service of a span whose resource names none, as the OpenTelemetry SDKs default it.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// Sessions of up to this many spans grow their span list straight to the estimate of the
/// spans to come ([`Session::push_span`]).
pub const SMALL_SESSION: usize = 100_000;

/// Everything loaded into one viewing session, from one or several files.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Session {
    pub strings: Interner,
    pub resources: Vec<Resource>,
    pub scopes: Vec<Scope>,
    pub spans: Vec<Span>,
    /// What was skipped or repaired while decoding, in file order.
    pub warnings: Vec<Warning>,
    /// Names of the files loaded, in order.
    pub files: Vec<String>,
    /// Spans dropped because the very same span had been loaded already.
    pub duplicates: usize,
    /// The span counts this session was cut back to while decoding (a document read again
    /// another way), in order: lets a reader that is sent spans as they are decoded take back
    /// those that were removed. Does not travel.
    #[serde(skip)]
    pub rollbacks: Vec<usize>,
    /// Where each (trace id, span id) sits in `spans`, for decoding. It does not travel with a
    /// snapshot; [`Session::rebuild_index`] restores it when more files are to be decoded into a
    /// received session.
    #[serde(skip)]
    pub span_index: SpanIndex,
    /// The spans a decoder expects this session to hold once the file is read (0: no
    /// estimate), from the share of the file read so far; guides how the span list grows
    /// ([`Session::push_span`]). Does not travel.
    #[serde(skip)]
    pub expected_spans: usize,
}

/// Where each (trace id, span id) sits in [`Session::spans`]: a hash table of 4-byte span
/// indices that reads the ids from the spans themselves, a fraction of what a map holding the
/// ids as keys would take.
#[derive(Clone, Default)]
pub struct SpanIndex {
    table: HashTable<u32>,
}

impl fmt::Debug for SpanIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanIndex({} spans)", self.table.len())
    }
}

fn key_hash(trace: TraceId, span: SpanId) -> u64 {
    FxBuildHasher.hash_one((trace, span))
}

/// Whether the entry `i` of a [`SpanIndex`] names the span with these ids.
fn names(spans: &[Span], trace: TraceId, span: SpanId) -> impl Fn(&u32) -> bool + '_ {
    move |&i| {
        spans
            .get(i as usize)
            .is_some_and(|s| s.trace_id == trace && s.span_id == span)
    }
}

impl SpanIndex {
    /// The index of the span with these ids, if `spans` holds one.
    pub fn get(&self, spans: &[Span], trace: TraceId, span: SpanId) -> Option<u32> {
        self.table
            .find(key_hash(trace, span), names(spans, trace, span))
            .copied()
    }

    /// Records that `spans[index]` (already pushed) is where its ids sit.
    pub fn insert(&mut self, spans: &[Span], index: u32) {
        let Some(s) = spans.get(index as usize) else {
            return;
        };
        self.table
            .insert_unique(key_hash(s.trace_id, s.span_id), index, |&i| {
                spans
                    .get(i as usize)
                    .map_or(0, |s| key_hash(s.trace_id, s.span_id))
            });
    }

    /// Makes room for `more` spans.
    pub fn reserve(&mut self, spans: &[Span], more: usize) {
        self.table.reserve(more, |&i| {
            spans
                .get(i as usize)
                .map_or(0, |s| key_hash(s.trace_id, s.span_id))
        });
    }

    /// Forgets the entry of this (trace id, span id), looked up in `spans`.
    pub fn remove(&mut self, spans: &[Span], trace: TraceId, span: SpanId) {
        let found = self
            .table
            .find_entry(key_hash(trace, span), names(spans, trace, span));
        if let Ok(entry) = found {
            entry.remove();
        }
    }

    /// Number of spans indexed.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when no span is indexed.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

impl Session {
    /// Rebuilds the (trace id, span id) index, which is not part of the binary form.
    pub fn rebuild_index(&mut self) {
        let mut index = SpanIndex {
            table: HashTable::with_capacity(self.spans.len()),
        };
        for i in 0..self.spans.len() {
            index.insert(&self.spans, u32::try_from(i).unwrap_or(u32::MAX));
        }
        self.span_index = index;
    }

    /// Makes room for `more` spans in the span index (about 5 bytes a span, so an estimate that
    /// runs high costs little; the span list itself grows as spans come, since reserving it
    /// from an estimate raised the decoder's peak memory by a quarter of the file), and notes
    /// the count as [`Session::expected_spans`] for the list's growth.
    pub fn reserve_spans(&mut self, more: usize) {
        self.span_index.reserve(&self.spans, more);
        self.expected_spans = self.spans.len().saturating_add(more);
    }

    /// Appends a span. A full list grows to the expected count ([`Session::expected_spans`])
    /// when that is well under doubling it (and by at least an eighth), else it doubles: a list
    /// that doubles near its end holds the copy and the unused room at the decoder's peak.
    /// Doubling stays when the estimate is near it: a short estimate costs a second copy of the
    /// whole list, which for a million-span file raises the peak more than doubling does.
    ///
    /// A session of up to [`SMALL_SESSION`] spans grows straight to an estimate beyond doubling
    /// too: many tiny traces would otherwise double and then grow to their estimate, two copies
    /// of which the last sets the decoder's peak. For bigger sessions an early estimate is less
    /// sure than doubling's last step, and growing to it raised the peak.
    pub fn push_span(&mut self, span: Span) {
        let len = self.spans.len();
        if len == self.spans.capacity() && self.expected_spans > len {
            let doubled = len.saturating_mul(2).max(4);
            let expected = self.expected_spans;
            let beyond = expected > doubled && expected <= SMALL_SESSION;
            if beyond || expected.saturating_mul(100) < doubled.saturating_mul(85) {
                let to = self.expected_spans.max(len + len / 8 + 1);
                self.spans.reserve_exact(to - len);
            }
        }
        self.spans.push(span);
    }

    /// The service name of a span.
    pub fn service_of(&self, span: &Span) -> &str {
        self.resources
            .get(span.resource as usize)
            .map_or(UNKNOWN_SERVICE, |r| self.service_name(r.service))
    }

    /// The name of a service ([`crate::TraceTree::services`] holds [`Sym::EMPTY`] for spans
    /// with no resource): [`UNKNOWN_SERVICE`] for the empty one, as the SDKs default it.
    pub fn service_name(&self, service: Sym) -> &str {
        if service == Sym::EMPTY {
            UNKNOWN_SERVICE
        } else {
            self.strings.get(service)
        }
    }

    /// The name to show for a span: Logfire's formatted `logfire.msg` when present, else the name.
    pub fn display_name(&self, span: &Span) -> &str {
        if let Some(key) = self.strings.lookup("logfire.msg") {
            if let Some(Value::Str(msg)) = span.attribute(key) {
                let msg = self.strings.get(*msg);
                if !msg.is_empty() {
                    return msg;
                }
            }
        }
        self.strings.get(span.name)
    }

    /// The name to show a person: [`Session::display_name`], or [`UNNAMED`] when that is empty or
    /// blank (Zipkin and Jaeger spans may have no name), so a row or a title is never blank.
    pub fn shown_name(&self, span: &Span) -> &str {
        let name = self.display_name(span);
        if name.trim().is_empty() {
            UNNAMED
        } else {
            name
        }
    }

    /// True when the span failed: status ERROR, or an `exception` event.
    pub fn is_error(&self, span: &Span) -> bool {
        Session::is_error_with(span, self.strings.lookup("exception"))
    }

    /// [`Session::is_error`] with the session's handle of "exception" looked up by the caller
    /// (once for many spans).
    pub fn is_error_with(span: &Span, exception: Option<Sym>) -> bool {
        span.status.code == StatusCode::Error
            || exception.is_some_and(|exc| span.events.iter().any(|e| e.name == exc))
    }

    /// A string attribute's text, when the span has it.
    pub fn str_attribute<'a>(&'a self, span: &'a Span, key: &str) -> Option<&'a str> {
        let key = self.strings.lookup(key)?;
        span.attribute(key)
            .and_then(Value::as_str)
            .map(|s| self.strings.get(s))
    }
}
