//! Tar archives (`.tar`, and `.tar.gz` once gunzipped): every file that decodes, GNU and pax
//! long names followed, an archive cut off keeping what was read.

use super::*;

/// Whether `bytes` begin with a POSIX or GNU tar header (`ustar` at byte 257).
pub(super) fn is_tar(bytes: &[u8]) -> bool {
    bytes.len() >= 512 && &bytes[257..262] == b"ustar"
}

/// A tar header's numeric field: octal digits (spaces and NULs around them), or GNU's base-256
/// form for large values (high bit of the first byte set).
pub(super) fn tar_number(field: &[u8]) -> Option<u64> {
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
pub(super) fn tar_text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// Every file of a tar archive (`tar czf traces.tgz ...`, as CI jobs pack artifacts too) that
/// decodes, as for zip; long names (GNU `L` entries, pax `path` records) are followed. An
/// archive cut off keeps what was read of the entry it stops in.
pub(super) fn tar(
    session: &mut Session,
    source: &str,
    bytes: &[u8],
    depth: u8,
    progress: &mut dyn FnMut(usize, &Session),
) -> Option<String> {
    if too_deep(session, source, depth) {
        return None;
    }
    let mut reader = TarReader::default();
    reader.read(
        session,
        source,
        (bytes, 0),
        Some(bytes.len()),
        depth,
        progress,
    );
    reader.end(session, source)
}

/// Reads a tar archive's entries in order, from its bytes all at once ([`tar`]) or as they
/// arrive: each entry is read once all of it has come, so an archive of any size is held an
/// entry at a time, and read exactly as a whole read reads it.
#[derive(Default)]
pub(in crate::decode) struct TarReader {
    /// Where the next header starts, in the archive.
    at: usize,
    long_name: Option<String>,
    found: usize,
    skipped: Vec<String>,
    /// The end-of-archive blocks, or an unreadable header, came: nothing more is read.
    ended: bool,
}

impl TarReader {
    /// Reads the entries that `window` (the archive's bytes from `base` on) holds whole; with
    /// `len`, the archive's length once all of it has come, reads the rest as a whole read does
    /// (an entry cut off included). Returns the place before which no byte is needed any more.
    pub(in crate::decode) fn read(
        &mut self,
        session: &mut Session,
        source: &str,
        (window, base): (&[u8], usize),
        len: Option<usize>,
        depth: u8,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> usize {
        let came = base + window.len();
        let limit = len.unwrap_or(came).min(came);
        let bytes = |from: usize, to: usize| &window[from - base..to - base];
        while !self.ended && self.at + 512 <= limit {
            let at = self.at;
            let header = bytes(at, at + 512);
            if header.iter().all(|&b| b == 0) {
                self.ended = true; // the end-of-archive blocks
                break;
            }
            let Some(size) = tar_number(&header[124..136]).and_then(|n| usize::try_from(n).ok())
            else {
                warn(
                    session,
                    source,
                    format!("byte {at}"),
                    "unreadable tar header: the rest of the archive is not read".into(),
                );
                self.ended = true;
                break;
            };
            let data = at + 512;
            let end = data.saturating_add(size);
            if len.is_none() && end > came {
                break; // the rest of the entry has not come yet
            }
            let kind = header[156];
            let name = self.long_name.take().unwrap_or_else(|| {
                let prefix = tar_text(&header[345..500]);
                let base = tar_text(&header[..100]);
                if prefix.is_empty() || &header[257..263] != b"ustar\0" {
                    base
                } else {
                    format!("{prefix}/{base}")
                }
            });
            let content = bytes(data, end.min(limit));
            match kind {
                b'L' => self.long_name = Some(tar_text(content)),
                b'x' => {
                    // pax records: "LEN key=value\n"; only the path matters here.
                    self.long_name = String::from_utf8_lossy(content)
                        .lines()
                        .find_map(|r| r.split_once(" path=").map(|(_, p)| p.to_string()));
                }
                b'0' | 0 | b'7' => {
                    let entry = format!("{source}/{name}");
                    warn_if_cut(session, &entry, end, limit);
                    if decode_entry(
                        session,
                        &entry,
                        content,
                        (depth, (at, end.min(limit))),
                        progress,
                    ) {
                        self.found += 1;
                    } else {
                        self.skipped.push(entry);
                    }
                }
                _ => {} // folders, links, devices
            }
            // Data is padded to whole 512-byte blocks.
            self.at = data.saturating_add(size.div_ceil(512) * 512);
        }
        if self.ended {
            came
        } else {
            self.at.min(came)
        }
    }

    /// Says which entries were no trace; the archive's format, if any entry was a trace.
    pub(in crate::decode) fn end(self, session: &mut Session, source: &str) -> Option<String> {
        note_skipped(session, source, &self.skipped);
        (self.found > 0).then(|| format!("tar ({} trace files)", self.found))
    }
}
