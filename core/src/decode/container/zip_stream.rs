//! A zip archive read as it arrives: each entry is found from its local header, inflated as
//! its bytes come, and read once all of it has come, so the archive is never held whole.
//!
//! A zip's truth is its central directory, at its end: a whole read ([`zip`]) follows it. So
//! at the end the directory is read and every entry read on the way is checked against it
//! (place, name, method, sizes, checksum). When they agree, the stream read what a whole read
//! reads, in the same order. When they do not, or an entry could not be read as it came
//! (encrypted, another method, damaged, stored without a size), what was read is taken back
//! ([`Session::rollback`]) and the archive is read whole from its bytes, kept for this up to
//! the limit of a file read whole. An archive longer than that cannot be read again: what was
//! read as it came stays, and a warning says why it may not be all.

use super::retry::Retry;
use super::zip::{u16_at, u32_at, zip};
use super::*;

const LOCAL: &[u8] = b"PK\x03\x04";
/// What may follow the last entry: the central directory, the end record, zip64's end record.
const ENDS: [&[u8]; 3] = [b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06"];
/// A data descriptor after an entry is 12 to 24 bytes long (with or without its signature,
/// with 4- or 8-byte sizes): the next header is looked for at each.
const DESCRIPTOR_LENGTHS: [usize; 4] = [12, 16, 20, 24];
/// A zip's end record lies in its last 64 KiB and 22 bytes (its comment is at most 64 KiB).
const RECENT: usize = (64 << 10) + 22;
/// The most kept from the central directory on (a directory of a million entries is about
/// 100 MB).
const MAX_TAIL: usize = 256 << 20;

pub(in crate::decode) struct ZipStream {
    /// The archive's bytes from `at` on, not read yet.
    window: Vec<u8>,
    /// Where the window starts in the archive.
    at: usize,
    /// Its bytes, kept to read it again whole when the stream cannot be trusted.
    retry: Retry,
    /// Each entry's local header, by its place: with `tail`, what the directory check reads
    /// once `kept` is gone.
    headers: Vec<(usize, Vec<u8>)>,
    /// From the central directory on, once it has begun.
    tail: Option<usize>,
    /// The last bytes received (at least [`RECENT`] once `kept` is gone), where the directory's
    /// end record is looked for.
    recent: Vec<u8>,
    entry: Option<Box<Entry>>,
    read: Vec<Streamed>,
    found: usize,
    skipped: Vec<String>,
    /// Why the stream stopped reading entries, and where.
    off: Option<(usize, String)>,
}

/// The entry being received.
struct Entry {
    header: usize,
    data: usize,
    name: String,
    dir: bool,
    method: u16,
    /// The compressed size from the local header, when it has one.
    sized: Option<usize>,
    inflate: flate2::Decompress,
    content: Vec<u8>,
    crc: flate2::Crc,
    /// Compressed bytes taken so far.
    taken: usize,
    /// The deflate stream ended (its compressed size is `taken`).
    ended: bool,
}

/// An entry read as it came, to check against the directory.
struct Streamed {
    header: usize,
    data: usize,
    name: String,
    dir: bool,
    method: u16,
    compressed: usize,
    size: usize,
    crc: u32,
}

impl ZipStream {
    /// A stream for an archive of `size` bytes if known, keeping up to `limit` of them.
    pub(in crate::decode) fn new(session: &Session, size: Option<u64>, limit: u64) -> ZipStream {
        ZipStream {
            window: Vec::new(),
            at: 0,
            retry: Retry::new(session, size, limit),
            headers: Vec::new(),
            tail: None,
            recent: Vec::new(),
            entry: None,
            read: Vec::new(),
            found: 0,
            skipped: Vec::new(),
            off: None,
        }
    }

    /// Reads what `bytes` complete.
    pub(in crate::decode) fn feed(
        &mut self,
        session: &mut Session,
        source: &str,
        bytes: &[u8],
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        if let Some(kept) = self.retry.add(bytes) {
            self.recent = kept[kept.len().saturating_sub(RECENT)..].to_vec();
        }
        if self.retry.bytes().is_none() {
            self.recent.extend_from_slice(bytes);
            if self.recent.len() > 2 * RECENT {
                self.recent.drain(..self.recent.len() - RECENT);
            }
        }
        if self.off.is_some() {
            return;
        }
        if self.tail.is_some() && self.window.len() + bytes.len() > MAX_TAIL {
            let reason = format!("more than {} MiB after its last entry", MAX_TAIL >> 20);
            self.off = Some((self.at, reason));
            return;
        }
        self.window.extend_from_slice(bytes);
        if self.tail.is_none() {
            self.pump(session, source, false, progress);
        }
    }

    /// Reads the entries the window holds; with `last`, the file has ended.
    fn pump(
        &mut self,
        session: &mut Session,
        source: &str,
        last: bool,
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        let mut used = 0;
        while self.off.is_none() && self.tail.is_none() {
            let step = match self.entry.take() {
                None => header(&self.window[used..], self.at + used, last),
                Some(mut entry) => {
                    let step = entry.take(&self.window[used..], self.at + used, last);
                    if matches!(step, Step::Entry(_)) {
                        let read = entry.finish();
                        let end = read.data + read.compressed;
                        if !read.dir {
                            let name = format!("{source}/{}", read.name);
                            let span = (0, (read.header, end));
                            if decode_entry(session, &name, &entry.content, span, progress) {
                                self.found += 1;
                            } else {
                                self.skipped.push(name);
                            }
                        }
                        self.read.push(read);
                    } else {
                        self.entry = Some(entry);
                    }
                    step
                }
            };
            match step {
                Step::Wait(n) => {
                    used += n;
                    break;
                }
                Step::Entry(n) => used += n,
                Step::Header(n, entry) => {
                    self.headers
                        .push((self.at + used, self.window[used..used + n].to_vec()));
                    self.entry = Some(entry);
                    used += n;
                }
                Step::Tail => self.tail = Some(self.at + used),
                Step::Off(reason) => self.off = Some((self.at + used, reason)),
            }
        }
        self.window.drain(..used);
        self.at += used;
    }

    /// Reads the rest; the archive's format, if it held traces.
    pub(in crate::decode) fn finish(
        mut self,
        session: &mut Session,
        source: &str,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Option<String> {
        if self.off.is_none() && self.tail.is_none() {
            self.pump(session, source, true, progress);
        }
        let verdict = match self.off.take() {
            Some(off) => Err(off),
            None => self.check(),
        };
        if let Err((at, reason)) = verdict {
            if let Some(bytes) = self.retry.again(session) {
                // Read again as a whole read reads it, from nothing read.
                return zip(session, source, &bytes, 0, progress);
            }
            warn(
                session,
                source,
                format!("byte {at}"),
                format!(
                    "the archive was read entry by entry as it arrived, and could not be checked against its directory ({reason}); {} entries before this byte were read, and it is too large to read again whole",
                    self.read.len()
                ),
            );
        }
        note_skipped(session, source, &self.skipped);
        (self.found > 0).then(|| format!("zip ({} trace files)", self.found))
    }

    /// Whether the archive's directory lists exactly the entries read, as they were read.
    fn check(&self) -> Result<(), (usize, String)> {
        let received = self.retry.received();
        let at = self.tail.unwrap_or(received);
        let fail = |reason: String| Err((at, reason));
        let result = match self.retry.bytes() {
            Some(bytes) => compare(Cursor::new(bytes), &self.read),
            None => {
                let mut parts: Vec<(usize, &[u8])> =
                    self.headers.iter().map(|(at, h)| (*at, &h[..])).collect();
                parts.push((at, &self.window));
                parts.push((received - self.recent.len(), &self.recent));
                compare(Sparse::new(parts, received), &self.read)
            }
        };
        result.or_else(fail)
    }
}

/// What the bytes `w` at `at`, where an entry's header is due, begin; `last` when the file has
/// ended.
fn header(w: &[u8], at: usize, last: bool) -> Step {
    if w.is_empty() && last {
        return Step::Off("the archive ends without its directory".into());
    }
    if w.len() < 4 {
        return more_needed(last);
    }
    if ENDS.iter().any(|e| w.starts_with(e)) {
        return Step::Tail;
    }
    if !w.starts_with(LOCAL) {
        return Step::Off("no entry header where one was due".into());
    }
    if w.len() < 30 {
        return more_needed(last);
    }
    let flags = u16_at(w, 6);
    let method = u16_at(w, 8) as u16;
    let compressed = u32_at(w, 18);
    let name_len = u16_at(w, 26);
    let len = 30 + name_len + u16_at(w, 28);
    if w.len() < len {
        return more_needed(last);
    }
    let raw = &w[30..30 + name_len];
    // As the directory will name it: ASCII, or UTF-8 said to be so; else it is read whole.
    let name = match std::str::from_utf8(raw) {
        Ok(n) if raw.is_ascii() || flags & 0x800 != 0 => n.to_string(),
        _ => return Step::Off("an entry's name is not plain UTF-8".into()),
    };
    let sized = (flags & 8 == 0 && compressed != u32::MAX).then_some(compressed as usize);
    if flags & 1 != 0 {
        return Step::Off(format!("{name} is encrypted"));
    }
    match method {
        8 => {}
        0 if sized.is_some() => {}
        0 => return Step::Off(format!("{name} is stored without its size")),
        m => return Step::Off(format!("{name} is compressed with method {m}")),
    }
    Step::Header(
        len,
        Box::new(Entry {
            header: at,
            data: at + len,
            dir: matches!(raw.last(), Some(b'/' | b'\\')),
            name,
            method,
            sized,
            inflate: flate2::Decompress::new(false),
            content: Vec::new(),
            crc: flate2::Crc::new(),
            taken: 0,
            ended: false,
        }),
    )
}

/// What the bytes at an entry's header or in its data come to.
enum Step {
    /// More bytes are needed; this many of the window were used.
    Wait(usize),
    /// A local header of this many bytes, and the entry it begins.
    Header(usize, Box<Entry>),
    /// The entry is complete; this many bytes of the window were its data.
    Entry(usize),
    /// The entries have ended: the directory begins.
    Tail,
    /// The stream cannot go on, for this reason.
    Off(String),
}

/// A header not whole yet: more bytes are needed, unless the file has ended inside it.
fn more_needed(last: bool) -> Step {
    if last {
        Step::Off("the archive ends inside an entry's header".into())
    } else {
        Step::Wait(0)
    }
}

impl Entry {
    /// Takes the entry's bytes from `w` (which starts at `at` in the archive); `last` when the
    /// file has ended. `Step::Entry(n)` once complete, `n` being what it used of `w`.
    fn take(&mut self, w: &[u8], at: usize, last: bool) -> Step {
        let mut used = 0;
        if !self.ended {
            let want = self
                .sized
                .map_or(w.len(), |s| (s - self.taken).min(w.len()));
            let input = &w[..want];
            if self.method == 0 {
                self.content.extend_from_slice(input);
                self.crc.update(input);
                self.taken += input.len();
                used = input.len();
                self.ended = Some(self.taken) == self.sized;
            } else {
                match self.inflate(input) {
                    Ok(n) => used = n,
                    Err(reason) => return Step::Off(reason),
                }
            }
            if self.content.len() as u64 > MAX_EXPANDED {
                return Step::Off(format!(
                    "{} expands beyond {} GiB",
                    self.name,
                    MAX_EXPANDED >> 30
                ));
            }
            if !self.ended {
                return if last {
                    Step::Off(cut_inside(&self.name))
                } else {
                    Step::Wait(used)
                };
            }
        }
        match self.sized {
            Some(s) if s == self.taken => Step::Entry(used),
            Some(_) => Step::Off(format!("{}'s deflate data ends before its size", self.name)),
            None => {
                // A data descriptor follows: the next header begins after it.
                let rest = &w[used..];
                let next = DESCRIPTOR_LENGTHS.iter().find(|&&n| {
                    rest.get(n..n + 4)
                        .is_some_and(|s| s == LOCAL || ENDS.contains(&s))
                });
                match next {
                    Some(n) => Step::Entry(used + n),
                    None if !last && rest.len() < 28 => Step::Wait(used),
                    None => Step::Off(format!(
                        "no header after the data descriptor of {}, at byte {}",
                        self.name,
                        at + used
                    )),
                }
            }
        }
    }

    /// Inflates what `input` holds of the entry; the bytes it used.
    fn inflate(&mut self, input: &[u8]) -> Result<usize, String> {
        let mut used = 0;
        let mut out = vec![0u8; READ_PIECE];
        loop {
            let (before_in, before_out) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(&input[used..], &mut out, flate2::FlushDecompress::None)
                .map_err(|e| format!("{} is damaged ({e})", self.name))?;
            let took = usize::try_from(self.inflate.total_in() - before_in).unwrap_or(0);
            let made = usize::try_from(self.inflate.total_out() - before_out).unwrap_or(0);
            used += took;
            self.taken += took;
            self.content.extend_from_slice(&out[..made]);
            self.crc.update(&out[..made]);
            if matches!(status, flate2::Status::StreamEnd) {
                self.ended = true;
                return Ok(used);
            }
            if (took == 0 && made == 0) || self.content.len() as u64 > MAX_EXPANDED {
                return Ok(used);
            }
        }
    }

    fn finish(&mut self) -> Streamed {
        Streamed {
            header: self.header,
            data: self.data,
            name: self.name.clone(),
            dir: self.dir,
            method: self.method,
            compressed: self.taken,
            size: self.content.len(),
            crc: self.crc.sum(),
        }
    }
}

fn cut_inside(name: &str) -> String {
    format!("the archive ends inside {name}")
}

/// Whether the directory of the archive `reader` reads lists `read`, in order.
fn compare<R: std::io::Read + std::io::Seek>(reader: R, read: &[Streamed]) -> Result<(), String> {
    let mut archive =
        ::zip::ZipArchive::new(reader).map_err(|e| format!("its directory is unreadable ({e})"))?;
    if archive.len() != read.len() {
        return Err(format!(
            "its directory lists {} entries, {} were found",
            archive.len(),
            read.len()
        ));
    }
    for (i, r) in read.iter().enumerate() {
        let e = archive
            .by_index_raw(i)
            .map_err(|e| format!("entry {i} of its directory is unreadable ({e})"))?;
        let method = match e.compression() {
            ::zip::CompressionMethod::Stored => 0,
            ::zip::CompressionMethod::Deflated => 8,
            _ => u16::MAX,
        };
        let same = e.header_start() == r.header as u64
            && e.data_start() == Some(r.data as u64)
            && e.name().is_ok_and(|n| n == r.name)
            && e.is_dir() == r.dir
            && !e.encrypted()
            && method == r.method
            && e.compressed_size() == r.compressed as u64
            && e.size() == r.size as u64
            && e.crc32() == r.crc;
        if !same {
            return Err(format!("its directory differs at {}", r.name));
        }
    }
    Ok(())
}

/// Parts of an archive at their places (its local headers and its end), read as the archive:
/// what lies between them is not there, and reading it is an error.
struct Sparse<'a> {
    parts: Vec<(usize, &'a [u8])>,
    len: u64,
    pos: u64,
}

impl<'a> Sparse<'a> {
    fn new(parts: Vec<(usize, &'a [u8])>, len: usize) -> Sparse<'a> {
        Sparse {
            parts,
            len: len as u64,
            pos: 0,
        }
    }
}

impl std::io::Read for Sparse<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let pos = usize::try_from(self.pos).unwrap_or(usize::MAX);
        let part = self
            .parts
            .iter()
            .find(|(at, bytes)| *at <= pos && pos < at + bytes.len());
        let Some((at, bytes)) = part else {
            return Err(std::io::Error::other("a part of the archive not kept"));
        };
        let from = &bytes[pos - at..];
        let n = from.len().min(out.len());
        out[..n].copy_from_slice(&from[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for Sparse<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            std::io::SeekFrom::Start(n) => Some(n),
            std::io::SeekFrom::End(d) => self.len.checked_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| std::io::Error::other("seek before the start"))?;
        Ok(self.pos)
    }
}
