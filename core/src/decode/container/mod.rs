//! Compressed and packed inputs, recognised by their first bytes, never by the file name:
//! gzip (also several members), zstd (a plain stream, or the Collector's `compression: zstd`
//! framing with a 4-byte big-endian length before each frame), and zip archives such as CI
//! artifacts, whose entries may themselves be any supported format, in folders.

mod retry;
mod tar;
mod zip;
mod zip_stream;

use std::io::{Cursor, Read};

pub(super) use retry::Retry;
pub(super) use tar::TarReader;
use tar::{is_tar, tar};
use zip::zip;
pub(super) use zip_stream::ZipStream;

use crate::model::{Session, Warning};

/// Decompressed data larger than this is refused rather than risk the tab (wasm32 has 4 GiB).
pub(super) const MAX_EXPANDED: u64 = 2 << 30;
/// Zip archives inside zip archives inside … stop here.
const MAX_DEPTH: u8 = 4;

const GZIP: &[u8] = &[0x1f, 0x8b];
pub(super) const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const ZIP: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY: &[u8] = b"PK\x05\x06";

fn warn(session: &mut Session, source: &str, location: String, reason: String) {
    session.warnings.push(Warning {
        source: source.to_string(),
        location,
        reason,
    });
}

/// Reads everything a reader yields, keeping what came before an error (reported at its offset).
fn read_partial(session: &mut Session, source: &str, what: &str, mut reader: impl Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; READ_PIECE];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&chunk[..n]);
                if out.len() as u64 > MAX_EXPANDED {
                    let warning = decompress_warning(source, what, out.len(), None);
                    session.warnings.push(warning);
                    break;
                }
            }
            Err(e) => {
                let warning = decompress_warning(source, what, out.len(), Some(&e));
                session.warnings.push(warning);
                break;
            }
        }
    }
    out
}

/// Decodes `bytes` whatever they are. Returns the format label, or `None` when nothing was a trace.
pub(super) fn decode_any(
    session: &mut Session,
    source: &str,
    bytes: &[u8],
    depth: u8,
    progress: &mut dyn FnMut(usize, &Session),
) -> Option<String> {
    if bytes.starts_with(GZIP) {
        let inner = read_partial(
            session,
            source,
            GZIP_DATA,
            flate2::read::MultiGzDecoder::new(bytes),
        );
        if not_a_trace_inside(session, source, "gzip", &inner) {
            return None;
        }
        let scaled = &mut |at: usize, s: &Session| progress(scale(at, inner.len(), bytes.len()), s);
        return decode_any(session, source, &inner, depth, scaled).map(|f| format!("gzip: {f}"));
    }
    if bytes.starts_with(ZSTD) {
        let inner = zstd_frames(session, source, bytes);
        if not_a_trace_inside(session, source, "zstd", &inner) {
            return None;
        }
        let scaled = &mut |at: usize, s: &Session| progress(scale(at, inner.len(), bytes.len()), s);
        return decode_any(session, source, &inner, depth, scaled).map(|f| format!("zstd: {f}"));
    }
    if is_length_prefixed_zstd(bytes) {
        return length_prefixed_zstd(session, source, bytes, depth, progress);
    }
    if bytes.starts_with(ZIP) || bytes.starts_with(ZIP_EMPTY) {
        return zip(session, source, bytes, depth, progress);
    }
    if is_tar(bytes) {
        return tar(session, source, bytes, depth, progress);
    }
    if let Some(text) = utf16(bytes) {
        // Windows PowerShell 5.1 writes `>` redirections and `Out-File` as UTF-16 with a BOM.
        session.warnings.push(Warning {
            source: source.to_string(),
            location: String::new(),
            reason: "UTF-16 text (as Windows PowerShell writes files): read as UTF-8".into(),
        });
        let scaled = &mut |at: usize, s: &Session| progress(scale(at, text.len(), bytes.len()), s);
        return decode_any(session, source, text.as_bytes(), depth, scaled);
    }
    session.note_origin(source);
    super::decode_json(session, source, bytes, progress)
}

/// Whether an archive at `depth` is nested too deeply to open (said once, then skipped).
fn too_deep(session: &mut Session, source: &str, depth: u8) -> bool {
    if depth < MAX_DEPTH {
        return false;
    }
    warn(
        session,
        source,
        String::new(),
        "archive nested too deeply; skipped".into(),
    );
    true
}

/// Whether the decompressed `inner` of a `packing` file is plainly no trace (not JSON, nor
/// packed again): then one warning says so, with how it begins.
fn not_a_trace_inside(session: &mut Session, source: &str, packing: &str, inner: &[u8]) -> bool {
    if self::packing(inner).is_some() || utf16(inner).is_some() || is_tar(inner) {
        return false;
    }
    let Some(start) = super::not_json(inner) else {
        return false;
    };
    warn(
        session,
        source,
        String::new(),
        format!("not a trace file: {packing} data that is not JSON; it begins {start:?}"),
    );
    true
}

/// The packing `bytes` are in, if any: "gzip", "zstd" or "zip".
pub(super) fn packing(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(GZIP) {
        Some("gzip")
    } else if bytes.starts_with(ZSTD) || is_length_prefixed_zstd(bytes) {
        Some("zstd")
    } else if bytes.starts_with(ZIP) || bytes.starts_with(ZIP_EMPTY) {
        Some("zip")
    } else if is_tar(bytes) {
        Some("tar")
    } else {
        None
    }
}

/// The text of UTF-16 bytes that start with a byte-order mark (little or big endian), as UTF-8;
/// unpaired surrogates become U+FFFD.
fn utf16(bytes: &[u8]) -> Option<String> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let units = bytes[2..].chunks_exact(2).map(|p| {
        let pair = [p[0], p[1]];
        if little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// `at` of `inner` bytes as the same share of `outer` bytes: where decoding of decompressed
/// data stands in the file.
fn scale(at: usize, inner: usize, outer: usize) -> usize {
    if inner == 0 {
        return outer;
    }
    usize::try_from(at as u128 * outer as u128 / inner as u128).unwrap_or(outer)
}

/// Every zstd frame of a stream, concatenated.
fn zstd_frames(session: &mut Session, source: &str, bytes: &[u8]) -> Vec<u8> {
    let mut input = bytes;
    let mut out = Vec::new();
    while !input.is_empty() {
        let offset = bytes.len() - input.len();
        match ruzstd::decoding::StreamingDecoder::new(&mut input) {
            Ok(decoder) => {
                let frame = read_partial(session, source, ZSTD_DATA, decoder);
                out.extend_from_slice(&frame);
            }
            Err(e) => {
                warn(
                    session,
                    source,
                    format!("byte {offset}"),
                    format!("not a zstd frame ({e}); the rest is skipped"),
                );
                break;
            }
        }
        if out.len() as u64 > MAX_EXPANDED {
            break;
        }
    }
    out
}

fn is_length_prefixed_zstd(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[4..8] == *ZSTD && {
        let len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        len <= bytes.len() - 4
    }
}

/// The Collector's file exporter with `compression: zstd`: `[u32 length][zstd frame]` repeated,
/// each frame one JSON message.
fn length_prefixed_zstd(
    session: &mut Session,
    source: &str,
    bytes: &[u8],
    depth: u8,
    progress: &mut dyn FnMut(usize, &Session),
) -> Option<String> {
    let mut offset = 0usize;
    let mut format = None;
    let mut messages = 0;
    while offset + 4 <= bytes.len() {
        let len = u32::from_be_bytes([
            bytes[offset],
            bytes[offset + 1],
            bytes[offset + 2],
            bytes[offset + 3],
        ]) as usize;
        let start = offset + 4;
        let Some(frame) = bytes.get(start..start + len) else {
            warn(
                session,
                source,
                format!("byte {offset}"),
                format!("frame of {len} bytes is cut off at the end of the file; skipped"),
            );
            break;
        };
        let json = zstd_frames(session, source, frame);
        let label = format!("{source}, message {}", messages + 1);
        let before = session.warnings.len();
        progress(offset, session);
        if let Some(f) = decode_any(session, source, &json, depth, &mut |_, _| {}) {
            format.get_or_insert(f);
        }
        // Point warnings from inside a message at the message.
        for w in &mut session.warnings[before..] {
            if w.source == source {
                w.source.clone_from(&label);
            }
        }
        messages += 1;
        offset = start + len;
    }
    format.map(|f| format!("zstd frames: {f}"))
}

/// Decodes one entry's data (`span`: the bytes of the archive it stands for in progress).
/// False, with the decoder's complaints taken back, when it is not a trace.
fn decode_entry(
    session: &mut Session,
    name: &str,
    data: &[u8],
    (depth, (from, to)): (u8, (usize, usize)),
    progress: &mut dyn FnMut(usize, &Session),
) -> bool {
    let before = session.warnings.len();
    let within = &mut |at: usize, s: &Session| progress(from + scale(at, data.len(), to - from), s);
    if decode_any(session, name, data, depth + 1, within).is_some() {
        true
    } else {
        // Not a trace: one short note instead of the decoder's complaints.
        session.warnings.truncate(before);
        false
    }
}

/// Says so when an entry read from its own header ends at `end`, past the end of its archive
/// (`len` bytes): the archive was cut off inside it.
fn warn_if_cut(session: &mut Session, name: &str, end: usize, len: usize) {
    if end > len {
        warn(
            session,
            name,
            String::new(),
            format!(
                "the archive ends inside this entry, at byte {len}: what was read of it is kept"
            ),
        );
    }
}

/// One note for the entries that are not traces.
fn note_skipped(session: &mut Session, source: &str, skipped: &[String]) {
    if !skipped.is_empty() {
        warn(
            session,
            source,
            String::new(),
            match skipped.len() {
                1 => format!("1 entry is not a trace and was skipped: {}", skipped[0]),
                n => format!(
                    "{n} entries are not traces and were skipped: {}",
                    skipped.join(", ")
                ),
            },
        );
    }
}

/// Whether a file beginning with `head` is JSON that [`decode_any`] gives to the OTLP reader of
/// documents (an object first, or an array of OTLP documents), which can read it as it arrives:
/// `Some(true)` for an array of documents. `None` for packed data, UTF-16, other arrays
/// (Jaeger, Zipkin) and what is not JSON: those are read once whole.
pub(super) fn streams_as_json(head: &[u8]) -> Option<bool> {
    if packing(head).is_some() || utf16(head).is_some() || is_tar(head) {
        return None;
    }
    let text = super::strip_bom(head);
    match text[super::first_non_blank(text)?] {
        b'{' => Some(false),
        b'[' if super::otlp::is_array_of_documents(text) => Some(true),
        _ => None,
    }
}

/// The rest of [`decode_any`] for gzip or zstd (`packing`), given the decompressed bytes (read as
/// they arrived, see `decode::stream`): `None` when they are no trace.
pub(super) fn unpacked(
    session: &mut Session,
    source: &str,
    packing: &str,
    inner: &[u8],
    progress: &mut dyn FnMut(usize, &Session),
) -> Option<String> {
    if not_a_trace_inside(session, source, packing, inner) {
        return None;
    }
    decode_any(session, source, inner, 0, progress).map(|f| format!("{packing}: {f}"))
}

/// What gzip's and zstd's warnings call their content.
pub(super) const GZIP_DATA: &str = "gzip data";
pub(super) const ZSTD_DATA: &str = "zstd data";

/// Why decompressing `what` ("gzip data") stopped after `at` bytes: it expands beyond
/// [`MAX_EXPANDED`] (no `error`), or it is damaged.
pub(super) fn decompress_warning(
    source: &str,
    what: &str,
    at: usize,
    error: Option<&std::io::Error>,
) -> Warning {
    Warning {
        source: source.to_string(),
        location: format!("byte {at} of the decompressed data"),
        reason: match error {
            Some(e) => format!("{what} is damaged ({e}); what came before was read"),
            None => format!(
                "{what} expands beyond {} GiB: the rest is not read",
                MAX_EXPANDED >> 30
            ),
        },
    }
}

/// The size of the pieces [`read_partial`] reads decompressed data in: a decoder fed as bytes
/// arrive reads in the same pieces, so that it meets damage exactly where a whole read does.
pub(super) const READ_PIECE: usize = 1 << 16;
