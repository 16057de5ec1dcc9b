//! Zip archives such as CI artifacts: every entry that decodes, in folders, and archives whose
//! directory cannot be read (a download cut off) read entry by entry from their local headers.

use super::*;

/// Every entry of a zip archive that decodes; folders and entries that are no trace are noted.
pub(super) fn zip(
    session: &mut Session,
    source: &str,
    bytes: &[u8],
    depth: u8,
    progress: &mut dyn FnMut(usize, &Session),
) -> Option<String> {
    if too_deep(session, source, depth) {
        return None;
    }
    let mut archive = match ::zip::ZipArchive::new(Cursor::new(bytes)) {
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

const LOCAL_HEADER: &[u8] = b"PK\x03\x04";
const CENTRAL_HEADER: &[u8] = b"PK\x01\x02";

pub(super) fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A zip archive whose directory (at its end) cannot be read: a CI artifact whose download was
/// cut off, or damaged at its end. Its entries are found from the start by their local
/// headers, as a streaming reader would: an entry's size is in its header, or (written by a
/// streaming writer such as the one behind GitHub's artifacts, with a data descriptor after
/// the data) a deflated entry ends where its deflate stream does. An entry cut off by the end
/// of the file keeps what was read of it.
pub(super) fn zip_without_directory(
    session: &mut Session,
    source: &str,
    bytes: &[u8],
    depth: u8,
    progress: &mut dyn FnMut(usize, &Session),
    error: &::zip::result::ZipError,
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
