//! Compressed and packed inputs, recognised by their first bytes, never by the file name:
//! gzip (also several members), zstd (a plain stream, or the Collector's `compression: zstd`
//! framing with a 4-byte big-endian length before each frame), and zip archives such as CI
//! artifacts, whose entries may themselves be any supported format, in folders.

use std::io::{Cursor, Read};

use crate::model::{Session, Warning};

/// Decompressed data larger than this is refused rather than risk the tab (wasm32 has 4 GiB).
pub(super) const MAX_EXPANDED: u64 = 2 << 30;
/// Zip archives inside zip archives inside … stop here.
const MAX_DEPTH: u8 = 4;

const GZIP: &[u8] = &[0x1f, 0x8b];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
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
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&chunk[..n]);
                if out.len() as u64 > MAX_EXPANDED {
                    warn(
                        session,
                        source,
                        format!("byte {} of the decompressed data", out.len()),
                        format!(
                            "{what} expands beyond {} GiB: the rest is not read",
                            MAX_EXPANDED >> 30
                        ),
                    );
                    break;
                }
            }
            Err(e) => {
                warn(
                    session,
                    source,
                    format!("byte {} of the decompressed data", out.len()),
                    format!("{what} is damaged ({e}); what came before was read"),
                );
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
            "gzip data",
            flate2::read::MultiGzDecoder::new(bytes),
        );
        let scaled = &mut |at: usize, s: &Session| progress(scale(at, inner.len(), bytes.len()), s);
        return decode_any(session, source, &inner, depth, scaled).map(|f| format!("gzip: {f}"));
    }
    if bytes.starts_with(ZSTD) {
        let inner = zstd_frames(session, source, bytes);
        let scaled = &mut |at: usize, s: &Session| progress(scale(at, inner.len(), bytes.len()), s);
        return decode_any(session, source, &inner, depth, scaled).map(|f| format!("zstd: {f}"));
    }
    if is_length_prefixed_zstd(bytes) {
        return length_prefixed_zstd(session, source, bytes, depth, progress);
    }
    if bytes.starts_with(ZIP) || bytes.starts_with(ZIP_EMPTY) {
        return zip(session, source, bytes, depth, progress);
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
    super::decode_json(session, source, bytes, progress)
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
                let frame = read_partial(session, source, "zstd data", decoder);
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

/// Every entry of a zip archive that decodes; folders and entries that are no trace are noted.
fn zip(
    session: &mut Session,
    source: &str,
    bytes: &[u8],
    depth: u8,
    progress: &mut dyn FnMut(usize, &Session),
) -> Option<String> {
    if depth >= MAX_DEPTH {
        warn(
            session,
            source,
            String::new(),
            "zip nested too deeply; skipped".into(),
        );
        return None;
    }
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            warn(
                session,
                source,
                String::new(),
                format!("not a readable zip archive ({e})"),
            );
            return None;
        }
    };
    let mut found = 0;
    let mut skipped = Vec::new();
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                warn(
                    session,
                    source,
                    format!("entry {i}"),
                    format!("unreadable zip entry ({e}); skipped"),
                );
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let entry_name = entry
            .name()
            .map_or_else(|_| format!("entry {i}"), |n| n.into_owned());
        let name = format!("{source}/{entry_name}");
        if entry.size() > MAX_EXPANDED {
            warn(
                session,
                &name,
                String::new(),
                format!(
                    "entry of {} bytes is too large to open here; skipped",
                    entry.size()
                ),
            );
            continue;
        }
        let data = read_partial(session, &name, "zip entry", &mut entry);
        drop(entry);
        let before = session.warnings.len();
        // Entries are read in order: entry i of n stands for the i-th n-th of the archive.
        let (from, to) = (
            scale(i, archive.len(), bytes.len()),
            scale(i + 1, archive.len(), bytes.len()),
        );
        let within =
            &mut |at: usize, s: &Session| progress(from + scale(at, data.len(), to - from), s);
        match decode_any(session, &name, &data, depth + 1, within) {
            Some(_) => found += 1,
            None => {
                // Not a trace: one short note instead of the decoder's complaints.
                session.warnings.truncate(before);
                skipped.push(name);
            }
        }
    }
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
    (found > 0).then(|| format!("zip ({found} trace files)"))
}
