//! Jaeger and Zipkin read straight from the text into their typed structs, without a
//! `serde_json::Value` tree of the whole file: a tree takes an order of magnitude more memory
//! than the file, which for a file of a few hundred MB does not fit in the browser's 4 GB of
//! wasm memory.
//!
//! The typed readers only take what the tree readers would read the same way. A document
//! they do not take whole (damaged JSON, a record the typed structs reject, a shape they do
//! not know) is left untouched for the tree readers, which report each bad part and keep the
//! rest. Tests and the jaeger and zipkin fuzz targets hold the two to the same sessions.

use std::cell::Cell;
use std::marker::PhantomData;

use serde::de::{self, value::MapAccessDeserializer, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::ingest::Ingest;
use super::recover::resync;
use super::{jaeger, zipkin};

thread_local! {
    /// Whether the typed readers are tried (tests and fuzzing turn them off to compare them with
    /// the tree readers).
    static ENABLED: Cell<bool> = const { Cell::new(true) };
    /// Documents the typed readers have read on this thread.
    static READS: Cell<usize> = const { Cell::new(0) };
}

/// Whether the typed readers are to be tried.
pub(super) fn enabled() -> bool {
    ENABLED.with(Cell::get)
}

/// Counts a document read by a typed reader.
pub(super) fn count_read() {
    READS.with(|c| c.set(c.get() + 1));
}

#[cfg(feature = "testing")]
/// How many documents the typed readers have read on this thread.
pub(crate) fn reads() -> usize {
    READS.with(Cell::get)
}

#[cfg(feature = "testing")]
/// Runs `f` with Jaeger and Zipkin documents read only as trees.
pub(crate) fn without<T>(f: impl FnOnce() -> T) -> T {
    let before = ENABLED.with(|c| c.replace(false));
    let out = f();
    ENABLED.with(|c| c.set(before));
    out
}

/// A record read only from a JSON object. serde also reads a struct from an array, field by
/// field in order, where the tree readers see an array (a Zipkin list of traces, or not a
/// trace): such an input is left to them.
pub(super) struct MapOnly<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for MapOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Only<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Only<T> {
            type Value = MapOnly<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MapOnly<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(MapOnly)
            }
        }
        d.deserialize_map(Only(PhantomData))
    }
}

/// An item of a top-level Zipkin array: a span, or (in a list of traces) a trace's spans.
pub(super) enum Item<T> {
    One(T),
    Many(Vec<MapOnly<T>>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Either<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Either<T> {
            type Value = Item<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object or an array of objects")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Item::One)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Item<T>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Item::Many(items))
            }
        }
        d.deserialize_any(Either(PhantomData))
    }
}

/// What the first record of a top-level array is, from its keys.
#[derive(Clone, Copy, Debug, PartialEq)]
enum First {
    ZipkinSpan,
    JaegerTrace,
    JaegerSpan,
}

/// Reads a top-level JSON array of Zipkin spans (or a Zipkin list of traces), Jaeger traces or
/// Jaeger spans with the typed structs. True when it was read, as the tree readers would have
/// read it; false, with nothing added, when the text is left to them.
pub(super) fn decode_array(ingest: &mut Ingest<'_>, text: &[u8]) -> bool {
    if !enabled() {
        return false;
    }
    // Checked once here, the text is read as a `str`: serde_json then skips the check of each
    // string. Text that is not UTF-8 is left to the tree readers, which report where.
    let Ok(text) = std::str::from_utf8(text) else {
        return false;
    };
    let read = match first_record(text.as_bytes()) {
        Some(First::ZipkinSpan) => zipkin::decode_typed(ingest, text),
        Some(First::JaegerTrace) => jaeger::decode_typed_traces(ingest, text),
        Some(First::JaegerSpan) => jaeger::decode_typed_spans(ingest, text),
        None => false,
    };
    if read {
        count_read();
    }
    read
}

/// The kind of the array's first record, decided as the tree readers decide it
/// (`zipkin::looks_like`, then `jaeger::decode_array`): by the keys of its first item, or, when
/// that item is an array (a Zipkin list of traces), of the first item inside it. `None` when
/// that is not an object whose keys are plain text, or not a record either reader knows.
///
/// Only the first [`KEYS_WITHIN`] bytes of the record are looked at: a Jaeger trace can be the
/// whole file. A record that goes on past them is a Jaeger trace if its `spans` came before
/// (the typed reader then checks that it has no Zipkin `traceId` and `id` after them either).
fn first_record(text: &[u8]) -> Option<First> {
    let mut at = skip_blank(text, 0);
    if text.get(at) != Some(&b'[') {
        return None;
    }
    at = skip_blank(text, at + 1);
    let nested = text.get(at) == Some(&b'[');
    if nested {
        at = skip_blank(text, at + 1);
    }
    let (keys, whole) = object_keys(text, at, KEYS_WITHIN)?;
    let has = |k: &[u8]| keys.contains(&k);
    if has(b"traceId") && has(b"id") {
        Some(First::ZipkinSpan)
    } else if nested {
        // A list whose first trace does not start with a Zipkin span: the tree reader decides.
        None
    } else if has(b"spans") {
        // A trace if `spans` is an array (the typed reader checks), else left to the trees.
        Some(First::JaegerTrace)
    } else if whole && has(b"traceID") && (has(b"spanID") || has(b"operationName")) {
        Some(First::JaegerSpan)
    } else {
        None
    }
}

/// How much of the first record [`first_record`] reads.
const KEYS_WITHIN: usize = 64 * 1024;

fn skip_blank(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The keys of the object opening at `at`, its own members only, as far as its first `within`
/// bytes go, and whether it closes within them; `None` if it is not an object or has a key
/// with an escape (its text is not the key).
fn object_keys(b: &[u8], at: usize, within: usize) -> Option<(Vec<&[u8]>, bool)> {
    if b.get(at) != Some(&b'{') {
        return None;
    }
    let walk = resync::keys_until(b, at, at.saturating_add(within));
    if walk.keys.iter().any(|k| k.contains(&b'\\')) {
        return None;
    }
    Some((walk.keys, walk.closed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_record_is_told_by_its_keys() {
        let zipkin = br#" [ {"traceId":"1","id":"2","tags":{"a":"}"}} ]"#;
        assert_eq!(first_record(zipkin), Some(First::ZipkinSpan));
        let list = br#"[[{"id":"2","traceId":"1"}],[]]"#;
        assert_eq!(first_record(list), Some(First::ZipkinSpan));
        let trace = br#"[{"traceID":"1","spans":[{"traceId":"x","id":"y"}]}]"#;
        assert_eq!(first_record(trace), Some(First::JaegerTrace));
        let span = br#"[{"traceID":"1","operationName":"GET"}]"#;
        assert_eq!(first_record(span), Some(First::JaegerSpan));
        // Keys inside values are not the record's own.
        let inner = br#"[{"x":{"traceId":"1","id":"2"}}]"#;
        assert_eq!(first_record(inner), None);
        // An escaped key could be any of them: the tree reader decides.
        let escaped = br#"[{"trace\u0049d":"1","id":"2","spans":[]}]"#;
        assert_eq!(first_record(escaped), None);
        // Cut inside the first record: what its keys so far say, for a trace or a Zipkin span.
        assert_eq!(
            first_record(br#"[{"traceId":"1","id":"2""#),
            Some(First::ZipkinSpan)
        );
        assert_eq!(
            first_record(br#"[{"traceID":"1","spans":[{"#),
            Some(First::JaegerTrace)
        );
        assert_eq!(first_record(br#"[{"traceID":"1","spanID":"2""#), None);
        let long = format!(
            r#"[{{"traceID":"1","spans":[{{"a":"{}"}}],"#,
            "x".repeat(KEYS_WITHIN)
        );
        assert_eq!(first_record(long.as_bytes()), Some(First::JaegerTrace));
        // Not an array of objects.
        assert_eq!(first_record(br#"[1,{"traceId":"1","id":"2"}]"#), None);
        assert_eq!(first_record(br#"{"traceId":"1","id":"2"}"#), None);
        // A string with an escaped quote and bracket does not end the object.
        let quoted = br#"[{"a":"x\"}]","traceId":"1","id":"2"}]"#;
        assert_eq!(first_record(quoted), Some(First::ZipkinSpan));
    }
}
