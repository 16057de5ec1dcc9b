//! What every decoder shares: interning into the session, resources and scopes kept once,
//! spans pushed with duplicate and id-conflict handling, and warnings with file and place.

use std::fmt::Display;
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};

pub(crate) use crate::model::ids::{decode_base64, parse_span_id, parse_trace_id};

use super::field_types::{LenientStr, LenientU64, RawAnyValue, RawKeyValue};
use super::otlp::TextOrigin;
use crate::model::intern::Sym;
use crate::model::{KeyValue, Resource, Scope, Session, Span, SpanId, TraceId, Value, Warning};

/// A point to return to: see [`Ingest::checkpoint`].
#[derive(Clone, Copy)]
pub(super) struct Checkpoint {
    spans: usize,
    warnings: usize,
    duplicates: usize,
}

pub(super) struct Ingest<'a> {
    pub session: &'a mut Session,
    pub source: &'a str,
    /// The format of the documents read so far, once one was recognised.
    pub format: Option<&'static str>,
    /// The session's resources and scopes by a hash of their content, made when the first is
    /// added: a file with a resource of its own per span would otherwise compare each new one
    /// with every one before it.
    kept: Option<Kept>,
    /// Where the text being read starts in its file (a window of a file read in chunks):
    /// byte offsets and lines in warnings are the file's.
    pub origin: TextOrigin,
}

/// What an [`Ingest`] knows between two chunks of a file read in chunks.
#[derive(Default)]
pub(super) struct Saved {
    format: Option<&'static str>,
    kept: Option<Kept>,
}

impl Saved {
    /// The format of the documents read so far, once one was recognised.
    pub fn format(&self) -> Option<&'static str> {
        self.format
    }
}

/// Indices of [`Session::resources`] and [`Session::scopes`] by content hash.
#[derive(Default)]
struct Kept {
    resources: FxHashMap<u64, Vec<u32>>,
    scopes: FxHashMap<u64, Vec<u32>>,
}

impl Kept {
    fn of(session: &Session) -> Kept {
        Kept {
            resources: by_hash(&session.resources, resource_hash),
            scopes: by_hash(&session.scopes, scope_hash),
        }
    }
}

/// The indices of `items` by `hash`.
fn by_hash<T>(items: &[T], hash: fn(&T) -> u64) -> FxHashMap<u64, Vec<u32>> {
    let mut map: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    for (i, item) in items.iter().enumerate() {
        map.entry(hash(item)).or_default().push(index_u32(i));
    }
    map
}

/// The index of an item equal to `item` in `items` (found through `index`, where its hash is
/// `hash`), or of `item` added at the end.
fn keep<T: PartialEq>(
    items: &mut Vec<T>,
    index: &mut FxHashMap<u64, Vec<u32>>,
    hash: u64,
    item: T,
) -> u32 {
    let same = index.entry(hash).or_default();
    if let Some(&i) = same.iter().find(|&&i| items[i as usize] == item) {
        return i;
    }
    let i = index_u32(items.len());
    items.push(item);
    same.push(i);
    i
}

/// Feeds an attribute value to `h` as `==` compares it (0.0 and -0.0 alike).
fn hash_value(v: &Value, h: &mut FxHasher) {
    std::mem::discriminant(v).hash(h);
    match v {
        Value::Empty => {}
        Value::Str(s) => s.hash(h),
        Value::Bool(b) => b.hash(h),
        Value::Int(i) => i.hash(h),
        Value::Double(d) => (if *d == 0.0 { 0 } else { d.to_bits() }).hash(h),
        Value::Bytes(b) => b.hash(h),
        Value::Array(items) => {
            items.len().hash(h);
            for item in items {
                hash_value(item, h);
            }
        }
        Value::KvList(kvs) => hash_attributes(kvs, h),
    }
}

fn hash_attributes(kvs: &[KeyValue], h: &mut FxHasher) {
    kvs.len().hash(h);
    for kv in kvs {
        kv.key.hash(h);
        hash_value(&kv.value, h);
    }
}

fn resource_hash(r: &Resource) -> u64 {
    let mut h = FxHasher::default();
    r.service.hash(&mut h);
    r.dropped_attributes.hash(&mut h);
    hash_attributes(&r.attributes, &mut h);
    h.finish()
}

fn scope_hash(s: &Scope) -> u64 {
    let mut h = FxHasher::default();
    s.name.hash(&mut h);
    s.version.hash(&mut h);
    hash_attributes(&s.attributes, &mut h);
    h.finish()
}

impl<'a> Ingest<'a> {
    pub fn new(session: &'a mut Session, source: &'a str) -> Ingest<'a> {
        Ingest {
            session,
            source,
            format: None,
            kept: None,
            origin: TextOrigin::default(),
        }
    }

    /// An ingest that goes on where [`Ingest::save`] left off.
    pub fn resume(session: &'a mut Session, source: &'a str, saved: Saved) -> Ingest<'a> {
        Ingest {
            session,
            source,
            format: saved.format,
            kept: saved.kept,
            origin: TextOrigin::default(),
        }
    }

    /// What [`Ingest::resume`] needs to go on (the session must not change in between).
    pub fn save(self) -> Saved {
        Saved {
            format: self.format,
            kept: self.kept,
        }
    }

    pub fn warn(&mut self, location: String, reason: String) {
        self.session.warnings.push(Warning {
            source: self.source.to_string(),
            location,
            reason,
        });
    }

    /// Interns text.
    pub fn intern(&mut self, s: &str) -> Sym {
        self.session.strings.intern(s)
    }

    /// Adds a resource (kept once however often it repeats) and returns its index. Its service is
    /// `service.name`, or "unknown_service" as the SDKs default it.
    pub fn add_resource(&mut self, attributes: Vec<KeyValue>, dropped_attributes: u32) -> u32 {
        let key = self.session.strings.lookup("service.name");
        let service = attributes
            .iter()
            .find(|kv| Some(kv.key) == key)
            .and_then(|kv| kv.value.as_str())
            .filter(|s| *s != Sym::EMPTY)
            .unwrap_or_else(|| self.session.strings.intern(crate::model::UNKNOWN_SERVICE));
        let resource = Resource {
            attributes,
            dropped_attributes,
            service,
        };
        let session = &mut *self.session;
        let kept = self.kept.get_or_insert_with(|| Kept::of(session));
        let hash = resource_hash(&resource);
        keep(&mut session.resources, &mut kept.resources, hash, resource)
    }

    /// Adds an instrumentation scope (kept once) and returns its index.
    pub fn add_scope(&mut self, scope: Scope) -> u32 {
        let session = &mut *self.session;
        let kept = self.kept.get_or_insert_with(|| Kept::of(session));
        let hash = scope_hash(&scope);
        keep(&mut session.scopes, &mut kept.scopes, hash, scope)
    }

    /// What the session holds now, to go back to with [`Ingest::rollback`].
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            spans: self.session.spans.len(),
            warnings: self.session.warnings.len(),
            duplicates: self.session.duplicates,
        }
    }

    /// Forgets the spans, warnings and duplicates counted since `checkpoint`, so a document
    /// can be read again another way without counting its spans twice. (Interned strings,
    /// resources and scopes stay: they are shared and harmless.)
    pub fn rollback(&mut self, checkpoint: Checkpoint) {
        self.session.remove_spans_from(checkpoint.spans);
        self.session.warnings.truncate(checkpoint.warnings);
        self.session.duplicates = checkpoint.duplicates;
    }

    /// Adds a span to the session. The same span seen again (identical in every field) is
    /// dropped and counted; a different span reusing a (trace id, span id) pair is kept under a
    /// new id, with a warning, so neither is lost.
    pub fn push_span(&mut self, mut span: Span, path: &dyn Display) {
        let found = self
            .session
            .span_index
            .get(&self.session.spans, span.trace_id, span.span_id);
        if let Some(existing) = found {
            if self.session.spans[existing as usize] == span {
                self.session.duplicates += 1;
                return;
            }
            let original = span.span_id;
            span.span_id = self.unused_span_id(span.trace_id, original);
            self.warn(
                path.to_string(),
                format!(
                    "span id {original} is already used by a different span of this trace; shown as {}",
                    span.span_id
                ),
            );
        }
        let index = index_u32(self.session.spans.len());
        self.session.push_span(span);
        self.session.span_index.insert(&self.session.spans, index);
    }

    /// A span id not used in `trace`, derived from `base` so reloading gives the same answer.
    pub fn unused_span_id(&self, trace: TraceId, base: SpanId) -> SpanId {
        derive_span_id(base, |id| {
            self.session
                .span_index
                .get(&self.session.spans, trace, id)
                .is_some()
        })
    }

    /// Interns optional text; absent text is the empty string.
    pub fn text(&mut self, s: Option<&str>) -> Sym {
        s.map_or(Sym::EMPTY, |s| self.session.strings.intern(s))
    }

    /// The interned string, or the empty one when the field is absent.
    pub fn string(&mut self, s: &LenientStr<'_>) -> Sym {
        s.0.as_deref()
            .map_or(Sym::EMPTY, |s| self.session.strings.intern(s))
    }

    pub fn time(&mut self, raw: &LenientU64, path: &dyn Display, field: &str) -> u64 {
        match raw {
            LenientU64::Absent => 0,
            LenientU64::Value(v) => *v,
            LenientU64::Invalid(text) => {
                self.warn(
                    path.to_string(),
                    format!("unreadable {field} {text:?}: treated as missing"),
                );
                0
            }
        }
    }

    pub fn attributes(&mut self, raw: Vec<RawKeyValue<'_>>, path: &dyn Display) -> Vec<KeyValue> {
        raw.into_iter()
            .map(|kv| {
                let key_text = kv.key.0.unwrap_or_default();
                let key = self.session.strings.intern(&key_text);
                let value = self.value(kv.value, path, &key_text);
                KeyValue { key, value }
            })
            .collect()
    }

    pub fn value(&mut self, raw: RawAnyValue<'_>, path: &dyn Display, key: &str) -> Value {
        match raw {
            RawAnyValue::Empty => Value::Empty,
            RawAnyValue::Str(s) => Value::Str(self.session.strings.intern(&s)),
            RawAnyValue::Bool(b) => Value::Bool(b),
            RawAnyValue::Int(i) => Value::Int(i),
            RawAnyValue::Double(d) => Value::Double(d),
            RawAnyValue::Bytes(b64) => match decode_base64(&b64) {
                Some(bytes) => Value::Bytes(bytes),
                None => {
                    self.warn(
                        path.to_string(),
                        format!("attribute {key:?}: bytesValue is not base64; kept as text"),
                    );
                    Value::Str(self.session.strings.intern(&b64))
                }
            },
            RawAnyValue::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| self.value(v, path, key))
                    .collect(),
            ),
            RawAnyValue::KvList(kvs) => Value::KvList(self.attributes(kvs, path)),
            RawAnyValue::Unknown { field, value } => {
                match value {
                    Some(v) => {
                        self.warn(
                        path.to_string(),
                        format!("attribute {key:?}: value written as {field:?}, not an AnyValue field; read as its value"),
                    );
                        self.value(*v, path, key)
                    }
                    None => {
                        self.warn(
                        path.to_string(),
                        format!("attribute {key:?}: unknown AnyValue field {field:?}; kept as empty"),
                    );
                        Value::Empty
                    }
                }
            }
            RawAnyValue::Invalid { field } => {
                self.warn(
                    path.to_string(),
                    format!("attribute {key:?}: {field} holds the wrong JSON type; kept as empty"),
                );
                Value::Empty
            }
        }
    }
}

/// A non-zero span id derived from `base` that `taken` says is free. Deterministic, so reloading
/// the same files gives the same ids.
pub(super) fn derive_span_id(base: SpanId, taken: impl Fn(SpanId) -> bool) -> SpanId {
    let mut n = u64::from_be_bytes(base.0);
    loop {
        // A fixed odd multiplier walks all 2^64 values; the first free one is taken.
        n = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
        let id = SpanId(n.to_be_bytes());
        if !id.is_zero() && !taken(id) {
            return id;
        }
    }
}

pub(super) fn index_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

pub(super) fn count(raw: &LenientU64) -> u32 {
    raw.get().map_or(0, count_u64)
}

/// A count as the model keeps it (saturating at `u32::MAX`).
pub(super) fn count_u64(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}
