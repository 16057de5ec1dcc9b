//! Jaeger classic JSON, the format of Jaeger UI's "upload" and `/api/traces`: an envelope
//! `{data: [trace], total, limit, offset, errors}`, a bare array of traces or of spans, or a single
//! trace `{traceID, spans, processes}`. Times are microseconds; ids may be 64-bit; int64 tags can
//! arrive as strings, bool tags as "true"; binary tags are base64. The first CHILD_OF reference
//! within the trace is the parent; every other reference (FOLLOWS_FROM, other traces) is a link.

use std::collections::{BTreeMap, HashMap};

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use serde_json::Value as Json;

mod spans;

use spans::{decode_span, process_resource, span_from};

use super::field_types::{LenientStr, LenientU64, Scalar};
use super::ingest::{decode_base64, parse_span_id, parse_trace_id, Ingest};
use super::typed::{self, MapOnly};
use crate::model::{
    Event, KeyValue, Link, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId, Value,
};

/// `null` reads as the default (Jaeger writes `"warnings": null`, `"tags": null`).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A trace; its spans as a tree (`Json`, each read on its own so a bad one costs only itself)
/// or already typed ([`JSpan`], read straight from the text).
#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "S: Deserialize<'de> + Default, 'de: 'a"))]
struct JTrace<'a, S> {
    #[serde(rename = "traceID", borrow)]
    trace_id: LenientStr<'a>,
    #[serde(deserialize_with = "nullable")]
    spans: Vec<S>,
    #[serde(borrow, deserialize_with = "nullable")]
    processes: BTreeMap<String, JProcess<'a>>,
    #[serde(borrow, deserialize_with = "nullable")]
    warnings: Vec<LenientStr<'a>>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct JProcess<'a> {
    #[serde(rename = "serviceName", borrow)]
    service_name: LenientStr<'a>,
    #[serde(borrow, deserialize_with = "nullable")]
    tags: Vec<JTag<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JSpan<'a> {
    #[serde(rename = "traceID", borrow)]
    trace_id: LenientStr<'a>,
    #[serde(rename = "spanID", borrow)]
    span_id: LenientStr<'a>,
    #[serde(rename = "parentSpanID", borrow)]
    parent_span_id: LenientStr<'a>,
    flags: LenientU64,
    #[serde(rename = "operationName", borrow)]
    operation_name: LenientStr<'a>,
    #[serde(borrow, deserialize_with = "nullable")]
    references: Vec<JRef<'a>>,
    #[serde(rename = "startTime")]
    start_time: LenientU64,
    duration: LenientU64,
    #[serde(borrow, deserialize_with = "nullable")]
    tags: Vec<JTag<'a>>,
    #[serde(borrow, deserialize_with = "nullable")]
    logs: Vec<JLog<'a>>,
    #[serde(rename = "processID", borrow)]
    process_id: LenientStr<'a>,
    #[serde(borrow)]
    process: Option<JProcess<'a>>,
    #[serde(borrow, deserialize_with = "nullable")]
    warnings: Vec<LenientStr<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JRef<'a> {
    #[serde(rename = "refType", borrow)]
    ref_type: LenientStr<'a>,
    #[serde(rename = "traceID", borrow)]
    trace_id: LenientStr<'a>,
    #[serde(rename = "spanID", borrow)]
    span_id: LenientStr<'a>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct JTag<'a> {
    #[serde(borrow)]
    key: LenientStr<'a>,
    #[serde(rename = "type", borrow)]
    ty: LenientStr<'a>,
    #[serde(borrow)]
    value: Option<Scalar<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JLog<'a> {
    timestamp: LenientU64,
    #[serde(borrow, deserialize_with = "nullable")]
    fields: Vec<JTag<'a>>,
}

fn is_trace(v: &Json) -> bool {
    v.get("spans").is_some_and(Json::is_array)
}

fn is_span(v: &Json) -> bool {
    v.get("spanID").is_some() || v.get("operationName").is_some()
}

/// Reads a JSON object as Jaeger (an envelope or one trace). False when it is neither.
pub(super) fn decode_object(ingest: &mut Ingest<'_>, json: &Json, line: usize) -> bool {
    if let Some(data) = json.get("data").and_then(Json::as_array) {
        if data.iter().all(is_trace) {
            for (i, trace) in data.iter().enumerate() {
                decode_trace(ingest, trace, &format!("line {line}, data[{i}]"));
            }
            ingest.format.get_or_insert("Jaeger JSON");
            return true;
        }
    }
    if is_trace(json) && (json.get("traceID").is_some() || json.get("processes").is_some()) {
        decode_trace(ingest, json, &format!("line {line}"));
        ingest.format.get_or_insert("Jaeger JSON");
        return true;
    }
    false
}

/// Whether a member was there, whatever its value (`null` too).
#[derive(Default)]
struct Seen(bool);

impl<'de> Deserialize<'de> for Seen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Seen(true))
    }
}

/// A trace as the typed reader takes it: whether it has `spans` at all matters (see
/// [`decode_typed`]).
#[derive(Deserialize, Default)]
#[serde(default)]
struct JTypedTrace<'a> {
    #[serde(rename = "traceID", borrow)]
    trace_id: LenientStr<'a>,
    #[serde(borrow)]
    spans: Option<Vec<JSpan<'a>>>,
    /// Zipkin's keys: a first record with both is a Zipkin span to the tree reader.
    #[serde(rename = "traceId")]
    zipkin_trace_id: Seen,
    #[serde(rename = "id")]
    zipkin_id: Seen,
    #[serde(borrow, deserialize_with = "nullable")]
    processes: BTreeMap<String, JProcess<'a>>,
    #[serde(borrow, deserialize_with = "nullable")]
    warnings: Vec<LenientStr<'a>>,
}

impl<'a> JTypedTrace<'a> {
    fn into_trace(self) -> JTrace<'a, JSpan<'a>> {
        JTrace {
            trace_id: self.trace_id,
            spans: self.spans.unwrap_or_default(),
            processes: self.processes,
            warnings: self.warnings,
        }
    }
}

/// An envelope `{data: [trace], ...}` or one trace, as the typed reader takes it: one flat
/// struct, since flattening `JTypedTrace` into it would buffer the whole document (serde
/// buffers what a flattened field reads). Only the members it does not know are buffered, into
/// `other`: none in Jaeger's own documents.
#[derive(Deserialize, Default)]
#[serde(default)]
struct JTypedDocument<'a> {
    #[serde(borrow)]
    data: Option<Vec<MapOnly<JTypedTrace<'a>>>>,
    #[serde(rename = "traceID", borrow)]
    trace_id: LenientStr<'a>,
    #[serde(borrow)]
    spans: Option<Vec<JSpan<'a>>>,
    #[serde(borrow)]
    processes: Option<BTreeMap<String, JProcess<'a>>>,
    #[serde(borrow, deserialize_with = "nullable")]
    warnings: Vec<LenientStr<'a>>,
    /// The other members' names (only theirs: their values are stepped over).
    #[serde(flatten)]
    other: HashMap<String, IgnoredAny>,
}

/// Reads a Jaeger document (an envelope or one trace) straight from its text with the typed
/// structs, without a tree of the whole document (a tree takes many times the file's size and
/// time; see `typed.rs`). True when it was read, as [`decode_object`] would have read its tree; false,
/// with nothing added, when the text does not read so: not Jaeger, or a span or trace the typed
/// structs reject, which the tree reader then reports on its own while keeping the rest.
pub(super) fn decode_typed(ingest: &mut Ingest<'_>, text: &str, line: usize) -> bool {
    if !typed::enabled() {
        return false;
    }
    let Ok(doc) = serde_json::from_str::<JTypedDocument>(text) else {
        return false;
    };
    read_typed(ingest, doc, line)
}

/// Jaeger's own members of a document: those of an envelope (Jaeger's `/api/traces` answer)
/// and of a trace. [`decode_known`] reads documents that have no others and open with one.
const KNOWN_KEYS: [&[u8]; 9] = [
    b"data",
    b"total",
    b"limit",
    b"offset",
    b"errors",
    b"traceID",
    b"spans",
    b"processes",
    b"warnings",
];

/// Reads the JSON document at the start of `text` as [`decode_typed`] does, if it has only
/// Jaeger's own members (and opens with one of them): the length of its text when it was read;
/// `None`, with nothing added, when it is left to the OTLP reader (which would have found no
/// OTLP in it, and then handed it to [`decode_typed`]). Saves that reader a whole pass over a
/// Jaeger file.
pub(super) fn decode_known(ingest: &mut Ingest<'_>, text: &str, line: usize) -> Option<usize> {
    let first_key = {
        let text = text.as_bytes();
        let open = text.iter().position(|b| !b.is_ascii_whitespace())?;
        let rest = text.get(open..)?.strip_prefix(b"{")?;
        let quote = rest.iter().position(|b| !b.is_ascii_whitespace())?;
        let key = rest.get(quote..)?.strip_prefix(b"\"")?;
        &key[..memchr::memchr(b'"', key)?]
    };
    if !typed::enabled() || !KNOWN_KEYS.contains(&first_key) {
        return None;
    }
    let mut documents = serde_json::Deserializer::from_str(text).into_iter::<JTypedDocument>();
    let doc = documents.next()?.ok()?;
    let end = documents.byte_offset();
    // Nothing in such a document is OTLP, so the OTLP reader need not read it first.
    if !doc.other.keys().all(|k| KNOWN_KEYS.contains(&k.as_bytes())) {
        return None;
    }
    read_typed(ingest, doc, line).then_some(end)
}

/// A document read by the typed structs into the session, if it is Jaeger; false, with nothing
/// added, if not.
fn read_typed(ingest: &mut Ingest<'_>, doc: JTypedDocument<'_>, line: usize) -> bool {
    let traces: Vec<(JTrace<'_, JSpan<'_>>, String)> = match doc.data {
        Some(data) if data.iter().all(|t| t.0.spans.is_some()) => data
            .into_iter()
            .enumerate()
            .map(|(i, t)| (t.0.into_trace(), format!("line {line}, data[{i}]")))
            .collect(),
        // Not an envelope of traces: the tree reader decides what it is.
        Some(_) => return false,
        None if doc.spans.is_some() && (doc.trace_id.0.is_some() || doc.processes.is_some()) => {
            let trace = JTrace {
                trace_id: doc.trace_id,
                spans: doc.spans.unwrap_or_default(),
                processes: doc.processes.unwrap_or_default(),
                warnings: doc.warnings,
            };
            vec![(trace, format!("line {line}"))]
        }
        None => return false,
    };
    for (trace, path) in traces {
        trace_from(ingest, trace, &path, span_from);
    }
    ingest.format.get_or_insert("Jaeger JSON");
    typed::count_read();
    true
}

/// Reads a top-level array of Jaeger traces with the typed structs, as [`decode_array`] reads
/// its tree; false, with nothing added, unless every item is an object that reads so and the
/// first holds a list of spans (see [`super::typed`]).
pub(super) fn decode_typed_traces(ingest: &mut Ingest<'_>, text: &str) -> bool {
    let Ok(traces) = serde_json::from_str::<Vec<MapOnly<JTypedTrace>>>(text) else {
        return false;
    };
    // The tree reader reads the array as traces when its first item holds a list of spans
    // and is not a Zipkin span.
    if traces
        .first()
        .is_none_or(|t| t.0.spans.is_none() || (t.0.zipkin_trace_id.0 && t.0.zipkin_id.0))
    {
        return false;
    }
    for (i, trace) in traces.into_iter().enumerate() {
        trace_from(ingest, trace.0.into_trace(), &format!("[{i}]"), span_from);
    }
    ingest.format.get_or_insert("Jaeger JSON");
    true
}

/// Reads a top-level array of Jaeger spans with the typed structs, as [`decode_array`] reads
/// its tree; false, with nothing added, unless every item is an object that reads so.
pub(super) fn decode_typed_spans(ingest: &mut Ingest<'_>, text: &str) -> bool {
    let Ok(spans) = serde_json::from_str::<Vec<MapOnly<JSpan>>>(text) else {
        return false;
    };
    bare_spans(ingest, spans.into_iter().map(|s| s.0), span_from);
    ingest.format.get_or_insert("Jaeger JSON");
    true
}

/// Spans of a bare array (no trace, so no processes), each read by `read` (from a tree, or
/// already typed).
fn bare_spans<S>(
    ingest: &mut Ingest<'_>,
    spans: impl Iterator<Item = S>,
    read: impl Fn(&mut Ingest<'_>, S, (&HashMap<String, u32>, &mut Missing), Option<TraceId>, &str),
) {
    let processes = HashMap::new();
    let mut missing = Missing::new();
    for (i, span) in spans.enumerate() {
        read(
            ingest,
            span,
            (&processes, &mut missing),
            None,
            &format!("[{i}]"),
        );
    }
    report_missing(ingest, "", missing);
}

/// Reads a JSON array of Jaeger traces or spans. False when the array is neither.
pub(super) fn decode_array(ingest: &mut Ingest<'_>, items: &[Json]) -> bool {
    let Some(first) = items.iter().find(|v| v.is_object()) else {
        return false;
    };
    if is_trace(first) {
        for (i, trace) in items.iter().enumerate() {
            decode_trace(ingest, trace, &format!("[{i}]"));
        }
    } else if is_span(first) && first.get("traceID").is_some() {
        bare_spans(ingest, items.iter(), decode_span);
    } else {
        return false;
    }
    ingest.format.get_or_insert("Jaeger JSON");
    true
}

fn decode_trace(ingest: &mut Ingest<'_>, json: &Json, path: &str) {
    match JTrace::<Json>::deserialize(json) {
        Ok(trace) => trace_from(
            ingest,
            trace,
            path,
            |ingest, span, context, fallback, path| {
                decode_span(ingest, &span, context, fallback, path);
            },
        ),
        Err(e) => ingest.warn(path.into(), format!("Jaeger trace skipped: {e}")),
    }
}

/// A trace's spans, each read by `read` (from a tree, or already typed), with its processes.
fn trace_from<S>(
    ingest: &mut Ingest<'_>,
    trace: JTrace<'_, S>,
    path: &str,
    read: impl Fn(&mut Ingest<'_>, S, (&HashMap<String, u32>, &mut Missing), Option<TraceId>, &str),
) {
    let fallback = parse_trace_id(trace.trace_id.0.as_deref()).ok().flatten();
    for w in trace.warnings.iter().filter_map(|w| w.0.as_deref()) {
        let id = fallback.map(|t| t.to_string()).unwrap_or_default();
        ingest.warn(
            path.into(),
            format!("the file's own warning for trace {id}: {w}"),
        );
    }
    let mut resources = HashMap::new();
    for (id, process) in &trace.processes {
        resources.insert(id.clone(), process_resource(ingest, process));
    }
    let mut missing = Missing::new();
    for (i, span) in trace.spans.into_iter().enumerate() {
        let span_path = if path.ends_with(']') {
            format!("{path}.spans[{i}]")
        } else {
            format!("{path}, spans[{i}]")
        };
        read(
            ingest,
            span,
            (&resources, &mut missing),
            fallback,
            &span_path,
        );
    }
    report_missing(ingest, path, missing);
}

/// Process ids spans named that their trace does not hold: per id, how many spans named it and
/// the first one's place.
type Missing = std::collections::BTreeMap<String, (usize, String)>;

/// One warning per missing process, not one per span (a trace cut off before its `processes`
/// would otherwise list every span).
fn report_missing(ingest: &mut Ingest<'_>, path: &str, missing: Missing) {
    for (process, (spans, first)) in missing {
        let reason = if spans == 1 {
            format!("process {process:?} is not in the trace's processes: the span has no service")
        } else {
            format!("process {process:?} is not in the trace's processes: {spans} spans name it (the first at {first}) and have no service")
        };
        let location = if spans == 1 { first } else { path.to_string() };
        ingest.warn(location, reason);
    }
}
