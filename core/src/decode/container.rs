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
    super::decode_json(session, source, bytes, progress)
}

/// Whether `bytes` begin with a POSIX or GNU tar header (`ustar` at byte 257).
fn is_tar(bytes: &[u8]) -> bool {
    bytes.len() >= 512 && &bytes[257..262] == b"ustar"
}

/// A tar header's numeric field: octal digits (spaces and NULs around them), or GNU's base-256
/// form for large values (high bit of the first byte set).
fn tar_number(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut n: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            n = n.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(n);
    }
    let text = std::str::from_utf8(field).ok()?;
    let digits = text.trim_matches(|c: char| c == ' ' || c == '\0');
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
}

/// A NUL-terminated header field as text.
fn tar_text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
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

/// Every file of a tar archive (`tar czf traces.tgz ...`, as CI jobs pack artifacts too) that
/// decodes, as for zip; long names (GNU `L` entries, pax `path` records) are followed. An
/// archive cut off keeps what was read of the entry it stops in.
fn tar(
    session: &mut Session,
    source: &str,
    bytes: &[u8],
    depth: u8,
    progress: &mut dyn FnMut(usize, &Session),
) -> Option<String> {
    if too_deep(session, source, depth) {
        return None;
    }
    let mut found = 0;
    let mut skipped = Vec::new();
    let mut long_name: Option<String> = None;
    let mut at = 0;
    while at + 512 <= bytes.len() {
        let header = &bytes[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            break; // the end-of-archive blocks
        }
        let Some(size) = tar_number(&header[124..136]).and_then(|n| usize::try_from(n).ok()) else {
            warn(
                session,
                source,
                format!("byte {at}"),
                "unreadable tar header: the rest of the archive is not read".into(),
            );
            break;
        };
        let data = at + 512;
        let end = data.saturating_add(size);
        let content = &bytes[data..end.min(bytes.len())];
        let kind = header[156];
        let name = long_name.take().unwrap_or_else(|| {
            let prefix = tar_text(&header[345..500]);
            let base = tar_text(&header[..100]);
            if prefix.is_empty() || &header[257..263] != b"ustar\0" {
                base
            } else {
                format!("{prefix}/{base}")
            }
        });
        match kind {
            b'L' => long_name = Some(tar_text(content)),
            b'x' => {
                // pax records: "LEN key=value\n"; only the path matters here.
                long_name = String::from_utf8_lossy(content)
                    .lines()
                    .find_map(|r| r.split_once(" path=").map(|(_, p)| p.to_string()));
            }
            b'0' | 0 | b'7' => {
                let entry = format!("{source}/{name}");
                warn_if_cut(session, &entry, end, bytes.len());
                if decode_entry(
                    session,
                    &entry,
                    content,
                    (depth, (at, end.min(bytes.len()))),
                    progress,
                ) {
                    found += 1;
                } else {
                    skipped.push(entry);
                }
            }
            _ => {} // folders, links, devices
        }
        // Data is padded to whole 512-byte blocks.
        at = data.saturating_add(size.div_ceil(512) * 512);
    }
    note_skipped(session, source, &skipped);
    (found > 0).then(|| format!("tar ({found} trace files)"))
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
    if too_deep(session, source, depth) {
        return None;
    }
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => return zip_without_directory(session, source, bytes, depth, progress, &e),
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
        // Entries are read in order: entry i of n stands for the i-th n-th of the archive.
        let span = (
            scale(i, archive.len(), bytes.len()),
            scale(i + 1, archive.len(), bytes.len()),
        );
        if decode_entry(session, &name, &data, (depth, span), progress) {
            found += 1;
        } else {
            skipped.push(name);
        }
    }
    note_skipped(session, source, &skipped);
    (found > 0).then(|| format!("zip ({found} trace files)"))
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

const LOCAL_HEADER: &[u8] = b"PK\x03\x04";
const CENTRAL_HEADER: &[u8] = b"PK\x01\x02";

fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A zip archive whose directory (at its end) cannot be read: a CI artifact whose download was
/// cut off, or damaged at its end. Its entries are found from the start by their local
/// headers, as a streaming reader would: an entry's size is in its header, or (written by a
/// streaming writer such as the one behind GitHub's artifacts, with a data descriptor after
/// the data) a deflated entry ends where its deflate stream does. An entry cut off by the end
/// of the file keeps what was read of it.
fn zip_without_directory(
    session: &mut Session,
    source: &str,
    bytes: &[u8],
    depth: u8,
    progress: &mut dyn FnMut(usize, &Session),
    error: &zip::result::ZipError,
) -> Option<String> {
    if !bytes.starts_with(LOCAL_HEADER) {
        warn(
            session,
            source,
            String::new(),
            format!("not a readable zip archive ({error})"),
        );
        return None;
    }
    let (mut found, mut entries) = (0, 0);
    let mut skipped = Vec::new();
    let mut at = 0;
    while let Some(n) = memchr::memmem::find(&bytes[at..], LOCAL_HEADER) {
        let header = at + n;
        if header + 30 > bytes.len() {
            break;
        }
        let flags = u16_at(bytes, header + 6);
        let method = u16_at(bytes, header + 8);
        let compressed = u32_at(bytes, header + 18);
        let name_len = u16_at(bytes, header + 26);
        let data = header + 30 + name_len + u16_at(bytes, header + 28);
        if data > bytes.len() {
            break;
        }
        let entry_name = String::from_utf8_lossy(&bytes[header + 30..header + 30 + name_len]);
        let name = format!("{source}/{entry_name}");
        // The size is in the header unless a data descriptor follows (bit 3) or it is zip64's.
        let sized = (flags & 8 == 0 && compressed != u32::MAX).then(|| data + compressed as usize);
        let (content, end) = match method {
            _ if flags & 1 != 0 => {
                warn(
                    session,
                    &name,
                    String::new(),
                    "encrypted zip entry; skipped".into(),
                );
                (None, sized)
            }
            0 => {
                let end = sized.unwrap_or_else(|| {
                    // Stored without a size: it ends before the next header.
                    memchr::memmem::find(&bytes[data..], LOCAL_HEADER)
                        .or_else(|| memchr::memmem::find(&bytes[data..], CENTRAL_HEADER))
                        .map_or(bytes.len(), |n| data + n)
                });
                (Some(bytes[data..end.min(bytes.len())].to_vec()), Some(end))
            }
            8 => {
                let input = &bytes[data..sized.unwrap_or(bytes.len()).min(bytes.len())];
                let mut inflate = flate2::read::DeflateDecoder::new(input);
                let content = read_partial(session, &name, "zip entry", &mut inflate);
                let used = usize::try_from(inflate.total_in()).unwrap_or(input.len());
                // Without a size, a stream that runs to the end of the file was cut off there
                // (a data descriptor, at least, would follow it).
                let cut = data + used >= bytes.len();
                let end = sized.unwrap_or(if cut { bytes.len() + 1 } else { data + used });
                (Some(content), Some(end))
            }
            m => {
                warn(
                    session,
                    &name,
                    String::new(),
                    format!(
                        "zip entry compressed with method {m}, which is not supported; skipped"
                    ),
                );
                (None, sized)
            }
        };
        let end = end.unwrap_or(data);
        warn_if_cut(session, &name, end, bytes.len());
        if let Some(content) = content.filter(|_| !entry_name.ends_with('/')) {
            entries += 1;
            if decode_entry(
                session,
                &name,
                &content,
                (depth, (header, end.min(bytes.len()))),
                progress,
            ) {
                found += 1;
            } else {
                skipped.push(name);
            }
        }
        at = end.max(header + 4).min(bytes.len());
    }
    warn(
        session,
        source,
        String::new(),
        format!(
            "the zip archive's directory is unreadable ({error}): the archive looks cut off or damaged at its end; {entries} entr{} read from their own headers",
            if entries == 1 { "y was" } else { "ies were" }
        ),
    );
    note_skipped(session, source, &skipped);
    (found > 0).then(|| format!("zip ({found} trace files)"))
}
