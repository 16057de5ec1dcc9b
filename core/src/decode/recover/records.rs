//! Recognising a record in the text after damage: an object is a Zipkin span, a Jaeger span,
//! trace or process by its first members (or, for keys a tool sorted, by its own keys within a
//! budget of walking), and the next such record is searched for from any byte.

use std::cell::Cell;

use super::resync::{Flavour, Kind};
use crate::decode::json_bytes::string_end;

/// At most this much of an object's text is looked at to recognise it.
pub(super) const HEAD: usize = 4096;

pub(super) fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The key of the member whose value starts at `open` (a `{`): the byte range of its text, when
/// `open` follows `"key":`.
pub(super) fn member_key(b: &[u8], open: usize) -> Option<(usize, usize)> {
    let mut i = open;
    while i > 0 && b[i - 1].is_ascii_whitespace() {
        i -= 1;
    }
    if i == 0 || b[i - 1] != b':' {
        return None;
    }
    i -= 1;
    while i > 0 && b[i - 1].is_ascii_whitespace() {
        i -= 1;
    }
    if i == 0 || b[i - 1] != b'"' {
        return None;
    }
    let end = i - 1;
    let start = memchr::memrchr(b'"', &b[end.saturating_sub(256)..end])? + end.saturating_sub(256);
    Some((start + 1, end))
}

/// What record, if any, the object opening at `at` is.
pub(super) fn kind(b: &[u8], at: usize, flavour: Flavour, budget: &Cell<usize>) -> Option<Kind> {
    let k = ws(b, at + 1);
    let rest = &b[k..b.len().min(k + HEAD)];
    let first = |key: &[u8]| rest.starts_with(key);
    // The object's members before its first nested object or array, or its end.
    let head = memchr::memchr3(b'{', b'[', b'}', rest).map_or(rest, |n| &rest[..n]);
    let has = |key: &[u8]| memchr::memmem::find(head, key).is_some();
    if flavour != Flavour::Jaeger && first(b"\"traceId\"") && has(b"\"id\"") {
        return Some(Kind::ZipkinSpan);
    }
    if flavour != Flavour::Zipkin {
        if let Some(kind) = jaeger_kind(b, at, &first, &has) {
            return Some(kind);
        }
    }
    // Keys a tool sorted (`jq -S`, `sort_keys=True`): the ids come late, so the object's own
    // members say what it is.
    const SORTED_FIRST: [&[u8]; 8] = [
        b"\"annotations\"",
        b"\"debug\"",
        b"\"duration\"",
        b"\"id\"",
        b"\"kind\"",
        b"\"flags\"",
        b"\"logs\"",
        b"\"processes\"",
    ];
    if !SORTED_FIRST.iter().any(|key| first(key)) {
        return None;
    }
    let own = own_keys(b, at, budget)?;
    let has = |key: &str| own.contains(&key.as_bytes());
    if flavour != Flavour::Jaeger && has("traceId") && has("id") {
        Some(Kind::ZipkinSpan)
    } else if flavour == Flavour::Zipkin {
        None
    } else if has("spanID") && (has("operationName") || has("startTime")) {
        Some(Kind::JaegerSpan)
    } else if has("spans") && has("processes") {
        Some(Kind::JaegerTrace)
    } else {
        None
    }
}

/// A Jaeger span, trace or process, known by the first members of the object opening at `at`.
pub(super) fn jaeger_kind(
    b: &[u8],
    at: usize,
    first: &dyn Fn(&[u8]) -> bool,
    has: &dyn Fn(&[u8]) -> bool,
) -> Option<Kind> {
    if (first(b"\"traceID\"") || first(b"\"spanID\""))
        && has(b"\"spanID\"")
        && has(b"\"operationName\"")
    {
        return Some(Kind::JaegerSpan);
    }
    if first(b"\"traceID\"") && has(b"\"spans\"") && !has(b"\"spanID\"") {
        return Some(Kind::JaegerTrace);
    }
    if first(b"\"serviceName\"") {
        let (s, e) = member_key(b, at)?;
        let key = &b[s..e];
        if key != b"process" && key != b"localEndpoint" && key != b"remoteEndpoint" {
            return Some(Kind::JaegerProcess(s, e));
        }
    }
    None
}

/// The keys of the object opening at `at` (its own members, not those of objects inside it),
/// as far as its first 64 KB go. The bytes walked come out of `budget`, so that text made of
/// nothing but such objects is not walked 64 KB at a time at every brace; `None` once it is
/// spent. The OTLP salvage recognises spans whose keys were sorted with it too.
pub(in crate::decode) fn own_keys<'b>(
    b: &'b [u8],
    at: usize,
    budget: &Cell<usize>,
) -> Option<Vec<&'b [u8]>> {
    if budget.get() == 0 {
        return None;
    }
    let to = b
        .len()
        .min(at + 16 * HEAD)
        .min(at.saturating_add(budget.get()));
    let walk = keys_until(b, at, to);
    budget.set(budget.get().saturating_sub(walk.stopped - at));
    Some(walk.keys)
}

/// What [`keys_until`] found of an object.
pub(in crate::decode) struct Keys<'b> {
    /// Its own keys, as written (escapes not undone).
    pub keys: Vec<&'b [u8]>,
    /// Whether it closed before the bound.
    pub closed: bool,
    /// Where the walk stopped: its closing brace, or the bound.
    pub stopped: usize,
}

/// The keys of the object opening at `at`, as far as byte `to`.
pub(in crate::decode) fn keys_until(b: &[u8], at: usize, to: usize) -> Keys<'_> {
    let to = to.min(b.len());
    let mut keys = Vec::new();
    let (mut depth, mut j) = (0usize, at);
    while j < to {
        match b[j] {
            b'"' => {
                let Some(end) = string_end(&b[..to], j + 1) else {
                    break;
                };
                if depth == 1 && b.get(ws(b, end)) == Some(&b':') {
                    keys.push(&b[j + 1..end - 1]);
                }
                j = end;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Keys {
                        keys,
                        closed: true,
                        stopped: j,
                    };
                }
            }
            _ => {}
        }
        j += 1;
    }
    Keys {
        keys,
        closed: false,
        stopped: j,
    }
}

/// The next record at or after `from`.
pub(super) fn next_record(
    b: &[u8],
    mut from: usize,
    flavour: Flavour,
    budget: &Cell<usize>,
) -> Option<(usize, Kind)> {
    while from < b.len() {
        let at = from + memchr::memchr(b'{', &b[from..])?;
        if let Some(k) = kind(b, at, flavour, budget) {
            return Some((at, k));
        }
        from = at + 1;
    }
    None
}
