//! Zipkin v2 JSON: an array of spans with microsecond `timestamp`/`duration` (either may be
//! missing), `localEndpoint`/`remoteEndpoint`, `annotations` and string `tags`.
//!
//! Zipkin lets a client and a server (or one client and several servers, for messaging) share
//! one span id (`shared: true`). Each record stays its own span: the first non-shared record keeps
//! the id, the others get ids of their own with the shared record as their parent, and children
//! that name the shared id hang under the record of their own service.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value as Json;

use super::field_types::{LenientStr, LenientU64, Scalar};
use super::ingest::{derive_span_id, parse_span_id, parse_trace_id, Ingest};
use super::typed::Item;
use crate::model::{
    Event, KeyValue, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId, Value,
};

#[derive(Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
struct ZSpan<'a> {
    #[serde(rename = "traceId", borrow)]
    trace_id: LenientStr<'a>,
    #[serde(rename = "parentId", borrow)]
    parent_id: LenientStr<'a>,
    #[serde(borrow)]
    id: LenientStr<'a>,
    #[serde(borrow)]
    kind: LenientStr<'a>,
    #[serde(borrow)]
    name: LenientStr<'a>,
    timestamp: LenientU64,
    duration: LenientU64,
    #[serde(rename = "localEndpoint", borrow)]
    local_endpoint: Option<ZEndpoint<'a>>,
    #[serde(rename = "remoteEndpoint", borrow)]
    remote_endpoint: Option<ZEndpoint<'a>>,
    #[serde(borrow)]
    annotations: Option<Vec<ZAnnotation<'a>>>,
    #[serde(borrow)]
    tags: Option<Tags<'a>>,
    debug: Option<bool>,
    shared: Option<bool>,
}

#[derive(Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
struct ZEndpoint<'a> {
    #[serde(rename = "serviceName", borrow)]
    service_name: LenientStr<'a>,
    #[serde(borrow)]
    ipv4: LenientStr<'a>,
    #[serde(borrow)]
    ipv6: LenientStr<'a>,
    port: LenientU64,
}

#[derive(Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
struct ZAnnotation<'a> {
    timestamp: LenientU64,
    #[serde(borrow)]
    value: LenientStr<'a>,
}

/// A span's tags, sorted by key; of a key written twice, the last value (as in a map).
#[derive(Default, Clone, PartialEq)]
struct Tags<'a>(Vec<(Cow<'a, str>, Scalar<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Tags<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Entries<'a> {
            type Value = Tags<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of tags")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tags<'a>, A::Error> {
                let mut tags: Vec<(Cow<'a, str>, Scalar<'a>)> = Vec::new();
                // A key is always a string: borrowed from the input when it has no escapes.
                while let Some(key) = map.next_key::<LenientStr<'a>>()? {
                    tags.push((key.0.unwrap_or_default(), map.next_value()?));
                }
                // Later values first among equal keys, so the one kept is the last written.
                tags.reverse();
                tags.sort_by(|a, b| a.0.cmp(&b.0));
                tags.dedup_by(|later, kept| later.0 == kept.0);
                Ok(Tags(tags))
            }
        }
        d.deserialize_map(Entries(PhantomData))
    }
}

/// True when the array looks like Zipkin v2 spans.
pub(super) fn looks_like(items: &[Json]) -> bool {
    items
        .iter()
        .find(|v| v.is_object())
        .is_some_and(|v| v.get("traceId").is_some() && v.get("id").is_some())
}

struct Record<'a> {
    raw: ZSpan<'a>,
    trace_id: TraceId,
    id: SpanId,
    parent: Option<SpanId>,
    path: String,
}

fn service<'z>(z: &'z ZSpan<'_>) -> Option<&'z str> {
    z.local_endpoint
        .as_ref()
        .and_then(|e| e.service_name.0.as_deref())
}

/// Reads Zipkin spans; `paths` names each item's place when it is not its index in `items`
/// (the spans of a list of traces, `[trace][span]`).
pub(super) fn decode_array(ingest: &mut Ingest<'_>, items: &[Json], paths: Option<&[String]>) {
    ingest.format.get_or_insert("Zipkin v2 JSON");
    let mut records: Vec<Record> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = paths
            .and_then(|p| p.get(i).cloned())
            .unwrap_or_else(|| format!("[{i}]"));
        match ZSpan::deserialize(item) {
            Ok(raw) => records.extend(record(ingest, raw, path)),
            Err(e) => ingest.warn(path, format!("span skipped: {e}")),
        }
    }
    push_records(ingest, &records);
}

/// Reads a top-level array of Zipkin spans, or a list of traces, with the typed structs, as
/// [`decode_array`] reads its tree; false, with nothing added, unless every item is a span
/// object or a list of them, each of which reads so (see [`super::typed`]).
pub(super) fn decode_typed(ingest: &mut Ingest<'_>, text: &str) -> bool {
    let Ok(items) = serde_json::from_str::<Vec<Item<ZSpan>>>(text) else {
        return false;
    };
    ingest.format.get_or_insert("Zipkin v2 JSON");
    let mut records: Vec<Record> = Vec::with_capacity(items.len());
    for (t, item) in items.into_iter().enumerate() {
        match item {
            Item::One(raw) => records.extend(record(ingest, raw, format!("[{t}]"))),
            Item::Many(spans) => {
                for (i, raw) in spans.into_iter().enumerate() {
                    records.extend(record(ingest, raw.0, format!("[{t}][{i}]")));
                }
            }
        }
    }
    push_records(ingest, &records);
    true
}

/// A span with its ids read, or `None` (reported) when they do not read.
fn record<'a>(ingest: &mut Ingest<'_>, raw: ZSpan<'a>, path: String) -> Option<Record<'a>> {
    let (Ok(Some(trace_id)), Ok(Some(id))) = (
        parse_trace_id(raw.trace_id.0.as_deref()),
        parse_span_id(raw.id.0.as_deref()),
    ) else {
        ingest.warn(path, "span with an unreadable traceId or id skipped".into());
        return None;
    };
    let parent = parse_span_id(raw.parent_id.0.as_deref()).ok().flatten();
    Some(Record {
        raw,
        trace_id,
        id,
        parent,
        path,
    })
}

/// Pushes the records into the session, with the ids of records sharing one resolved.
fn push_records(ingest: &mut Ingest<'_>, records: &[Record]) {
    // Records sharing one id: the first non-shared keeps it; an identical copy stays identical
    // (counted as a duplicate later); every other record gets an id of its own under it.
    let mut by_id: HashMap<(TraceId, SpanId), Vec<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        by_id.entry((r.trace_id, r.id)).or_default().push(i);
    }
    let mut new_ids: HashMap<usize, SpanId> = HashMap::new();
    let mut used: HashSet<(TraceId, SpanId)> = records.iter().map(|r| (r.trace_id, r.id)).collect();
    let mut groups: Vec<Vec<usize>> = by_id.into_values().filter(|g| g.len() > 1).collect();
    groups.sort_unstable();
    for group in &groups {
        let primary = group
            .iter()
            .copied()
            .find(|&i| records[i].raw.shared != Some(true))
            .unwrap_or(group[0]);
        for &i in group {
            if i == primary || records[i].raw == records[primary].raw {
                continue;
            }
            let trace = records[i].trace_id;
            let fresh = derive_span_id(records[i].id, |id| used.contains(&(trace, id)));
            used.insert((trace, fresh));
            new_ids.insert(i, fresh);
        }
    }
    // Children naming a shared id hang under the record of their own service, if there is one.
    let mut by_id_service: HashMap<(TraceId, SpanId, String), SpanId> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        if let (Some(&fresh), Some(svc)) = (new_ids.get(&i), service(&r.raw)) {
            by_id_service
                .entry((r.trace_id, r.id, svc.to_string()))
                .or_insert(fresh);
        }
    }
    for (i, r) in records.iter().enumerate() {
        let id = new_ids.get(&i).copied().unwrap_or(r.id);
        let parent = if new_ids.contains_key(&i) {
            Some(r.id)
        } else {
            r.parent.map(|p| {
                service(&r.raw)
                    .and_then(|svc| by_id_service.get(&(r.trace_id, p, svc.to_string())))
                    .copied()
                    .unwrap_or(p)
            })
        };
        push(ingest, r, id, parent);
    }
}

fn endpoint_attrs(
    ingest: &mut Ingest<'_>,
    e: &ZEndpoint,
    service_key: &str,
    ip_key: &str,
    port_key: &str,
) -> Vec<KeyValue> {
    let mut out = Vec::new();
    let mut add = |ingest: &mut Ingest<'_>, key: &str, value: Value| {
        out.push(KeyValue {
            key: ingest.intern(key),
            value,
        });
    };
    if let Some(s) = e.service_name.0.as_deref() {
        let v = Value::Str(ingest.intern(s));
        add(ingest, service_key, v);
    }
    if let Some(ip) = e.ipv4.0.as_deref().or(e.ipv6.0.as_deref()) {
        let v = Value::Str(ingest.intern(ip));
        add(ingest, ip_key, v);
    }
    if let Some(port) = e.port.get() {
        add(
            ingest,
            port_key,
            Value::Int(i64::try_from(port).unwrap_or(i64::MAX)),
        );
    }
    out
}

fn push(ingest: &mut Ingest<'_>, r: &Record, id: SpanId, parent: Option<SpanId>) {
    let z = &r.raw;
    let path = r.path.as_str();
    let resource_attrs = z
        .local_endpoint
        .as_ref()
        .map(|e| endpoint_attrs(ingest, e, "service.name", "net.host.ip", "net.host.port"))
        .unwrap_or_default();
    let resource = ingest.add_resource(resource_attrs, 0);
    let scope = ingest.add_scope(Scope::default());
    let mut attributes = z
        .remote_endpoint
        .as_ref()
        .map(|e| endpoint_attrs(ingest, e, "peer.service", "net.peer.ip", "net.peer.port"))
        .unwrap_or_default();
    let mut error = None;
    for (k, v) in z.tags.iter().flat_map(|t| &t.0) {
        let key = ingest.intern(k);
        let value = match v {
            Scalar::Str(s) => ingest.intern(s.as_ref()),
            Scalar::Int(i) => ingest.intern(&i.to_string()),
            Scalar::UInt(u) => ingest.intern(&u.to_string()),
            Scalar::Float(f) => ingest.intern(&f.to_string()),
            Scalar::Bool(b) => ingest.intern(&b.to_string()),
            Scalar::Null | Scalar::Compound => ingest.intern(""),
        };
        if k == "error" {
            error = Some(value);
        }
        attributes.push(KeyValue {
            key,
            value: Value::Str(value),
        });
    }
    if z.debug == Some(true) {
        attributes.push(KeyValue {
            key: ingest.intern("zipkin.debug"),
            value: Value::Bool(true),
        });
    }
    if z.shared == Some(true) {
        attributes.push(KeyValue {
            key: ingest.intern("zipkin.shared"),
            value: Value::Bool(true),
        });
    }
    let start = ingest
        .time(&z.timestamp, &path, "timestamp")
        .saturating_mul(1_000);
    // A missing duration (an incomplete span) leaves the end unknown rather than inventing one.
    let end = match (start, z.duration.get()) {
        (0, _) | (_, None) => 0,
        (s, Some(d)) => s.saturating_add(d.saturating_mul(1_000)),
    };
    let events = z
        .annotations
        .iter()
        .flatten()
        .map(|a| Event {
            time: ingest
                .time(&a.timestamp, &path, "annotation timestamp")
                .saturating_mul(1_000),
            name: ingest.string(&a.value),
            attributes: Vec::new(),
            dropped_attributes: 0,
        })
        .collect();
    let kind = match z.kind.0.as_deref() {
        Some(k) => SpanKind::from_name(k).unwrap_or(SpanKind::Unspecified),
        None => SpanKind::Internal,
    };
    let status = match error {
        Some(message) => Status {
            code: StatusCode::Error,
            message,
        },
        None => Status::default(),
    };
    let name = ingest.string(&z.name);
    let span = Span {
        parent_id: parent.filter(|p| !p.is_zero()),
        kind,
        start,
        end,
        attributes,
        events,
        status,
        resource,
        scope,
        ..Span::new(r.trace_id, id, name)
    };
    ingest.push_span(span, &path);
}
