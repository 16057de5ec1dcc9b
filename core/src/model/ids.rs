//! Ids as files write them: hex (any case) or base64, into the model's fixed-size ids.

use base64::Engine;

use super::{SpanId, TraceId};

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

/// A span id written as hex or base64 (as in `logfire.pending_parent_id`).
pub fn parse_hex_span_id(text: &str) -> Option<SpanId> {
    parse_span_id(Some(text)).ok().flatten()
}
