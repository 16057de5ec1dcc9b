//! Trace and span ids: fixed-size bytes, shown as lowercase hex, read from hex (any case) or
//! base64 as files write them.

use std::fmt;

use base64::Engine;
use serde::{Deserialize, Serialize};

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

/// Bytes written as base64, padded or not, standard or URL-safe alphabet.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    base64::engine::general_purpose::STANDARD
        .decode(t)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(t))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(t))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t))
        .ok()
}

/// Reads an id written as hex (any case) or base64, into exactly `N` bytes. A shorter id is
/// right-aligned (a 64-bit trace id becomes the low half). `Ok(None)` for an absent or empty id.
fn parse_id<const N: usize>(text: Option<&str>) -> Result<Option<[u8; N]>, String> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let bytes = if t.len() % 2 == 0 && t.len() <= 2 * N && t.bytes().all(|b| b.is_ascii_hexdigit())
    {
        (0..t.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&t[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| t.to_string())?
    } else {
        decode_base64(t).ok_or_else(|| t.to_string())?
    };
    if bytes.is_empty() || bytes.len() > N {
        return Err(t.to_string());
    }
    let mut out = [0u8; N];
    out[N - bytes.len()..].copy_from_slice(&bytes);
    Ok(Some(out))
}

pub(crate) fn parse_trace_id(text: Option<&str>) -> Result<Option<TraceId>, String> {
    parse_id::<16>(text).map(|o| o.map(TraceId))
}

pub(crate) fn parse_span_id(text: Option<&str>) -> Result<Option<SpanId>, String> {
    parse_id::<8>(text).map(|o| o.map(SpanId))
}

/// A trace id written as hex or base64.
pub fn parse_hex_trace_id(text: &str) -> Option<TraceId> {
    parse_trace_id(Some(text)).ok().flatten()
}

/// A span id written as hex or base64 (as in `logfire.pending_parent_id`).
pub fn parse_hex_span_id(text: &str) -> Option<SpanId> {
    parse_span_id(Some(text)).ok().flatten()
}
