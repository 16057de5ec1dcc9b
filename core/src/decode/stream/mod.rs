//! Decoding a file as its bytes arrive: [`StreamDecoder`] takes the file in chunks of any size
//! and gives the very session, warnings and summary that [`super::decode_file`] gives for the
//! whole file (`tests/stream.rs` checks this for every fixture cut every way).
//!
//! JSON documents (an OTLP export, several of them concatenated or one per line, Jaeger
//! objects, an array of OTLP documents) are read one at a time as soon as a document and the
//! start of the next one have arrived (one large document a resourceSpans element at a time);
//! the text read is then dropped, so a JSON Lines file of any size is held one document at a
//! time (`json.rs`). gzip and zstd are decompressed as they arrive and their content read the
//! same way (`packed.rs`; zstd read again whole if it cannot be read cleanly as it comes). tar
//! and zip archives are read an entry at a time (a zip checked against its directory at the end,
//! see [`ZipStream`]). Everything else (the Collector's length-prefixed zstd frames, UTF-16,
//! Jaeger and Zipkin arrays, what is not JSON) is kept as it arrives and read whole at the end.

mod json;
mod packed;

use super::container::{streams_as_json, ZipStream};
use super::{close_file, FileSummary, Fingerprinter};
use crate::model::{Session, Warning};
use json::JsonStream;
use packed::{Gunzip, TarStream, Unzstd};

/// Bytes looked at before the format is decided: a tar header's 512 (an array of documents shows
/// its first key within a few bytes of its start; if not, the file is read whole).
const HEAD: usize = 512;

/// A file read whole at the end (packed, or not JSON documents) is kept up to this many bytes;
/// what comes after is not kept, and a warning says so. Unpacked, such a file takes a few times
/// its size, and a tab's decoder has 4 GiB in all.
pub const MAX_WHOLE: u64 = 1 << 30;

/// A document this long that is still arriving is given room for more at once.
const LARGE_DOCUMENT: usize = 8 << 20;

/// The most room given at once to a large document for the rest of its file.
const WHOLE_DOCUMENT_ROOM: usize = 1 << 30;

/// Text already read is dropped from the window once it is this long (or half the window).
const DROP_AFTER: usize = 1 << 20;

/// A file being decoded as it arrives: [`StreamDecoder::push`] each chunk into the session, then
/// [`StreamDecoder::finish`].
pub struct StreamDecoder {
    name: String,
    /// The file's length as announced, if known; the fingerprint needs it first.
    size: Option<u64>,
    fingerprint: Option<Fingerprinter>,
    received: u64,
    state: State,
    /// [`MAX_WHOLE`], or less in tests.
    whole_limit: u64,
    /// The file's first bytes (what a summary of a file holding no trace quotes).
    head: Vec<u8>,
    /// The session's spans and warnings before this file.
    before: (usize, usize),
}

enum State {
    /// The first bytes, until the format is known.
    Head(Vec<u8>),
    /// A format read whole at the end.
    Whole(Vec<u8>),
    /// JSON documents read one at a time.
    Json(Box<JsonStream>),
    /// gzip data decompressed as it arrives, its content read as above.
    Gzip(Box<Gunzip>),
    /// A tar archive read an entry at a time.
    Tar(Box<TarStream>),
    /// zstd data decompressed as it arrives, its content read as above.
    Zstd(Box<Unzstd>),
    /// A zip archive read an entry at a time, checked against its directory at the end.
    Zip(Box<ZipStream>),
}

impl StreamDecoder {
    /// A decoder for the file `name`, of `size` bytes if known (without it, or when the bytes
    /// turn out to be another number, the summary's fingerprint is left empty).
    pub fn new(name: &str, size: Option<u64>) -> StreamDecoder {
        StreamDecoder {
            name: name.to_string(),
            size,
            fingerprint: size.map(Fingerprinter::new),
            received: 0,
            state: State::Head(Vec::new()),
            whole_limit: MAX_WHOLE,
            head: Vec::new(),
            before: (0, 0),
        }
    }

    /// The same decoder keeping at most `limit` bytes of a file read whole (for tests).
    #[cfg(feature = "testing")]
    pub fn with_whole_limit(mut self, limit: u64) -> StreamDecoder {
        self.whole_limit = limit;
        self
    }

    /// The file's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Decodes what `chunk` completes into `session`, calling `progress(bytes of the file read,
    /// the session so far)` now and then.
    pub fn push(
        &mut self,
        session: &mut Session,
        chunk: &[u8],
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        self.received += chunk.len() as u64;
        if let Some(f) = &mut self.fingerprint {
            f.update(chunk);
        }
        match &mut self.state {
            State::Head(head) => {
                head.extend_from_slice(chunk);
                if head.len() >= HEAD {
                    let head = std::mem::take(head);
                    self.decide(session, head, progress);
                }
            }
            State::Whole(bytes) => {
                let limit = usize::try_from(self.whole_limit).unwrap_or(usize::MAX);
                let room = limit.saturating_sub(bytes.len());
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            State::Json(json) => {
                json.append(chunk);
                json.pump(session, &self.name, false, progress);
            }
            State::Gzip(gunzip) => gunzip.feed(session, &self.name, chunk, progress),
            State::Tar(tar) => tar.feed(session, &self.name, chunk, progress),
            State::Zip(zip) => zip.feed(session, &self.name, chunk, progress),
            State::Zstd(zstd) => zstd.feed(session, &self.name, chunk, progress),
        }
    }

    /// Reads the rest and says what the file added, as [`super::decode_file`] does.
    pub fn finish(
        mut self,
        session: &mut Session,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> FileSummary {
        let fingerprint = match (self.fingerprint.take(), self.size) {
            (Some(f), Some(size)) if size == self.received => f.finish(),
            _ => String::new(),
        };
        let state = std::mem::replace(&mut self.state, State::Whole(Vec::new()));
        let mut summary = match state {
            State::Head(bytes) | State::Whole(bytes) => {
                let mut summary =
                    super::decode_file_with_progress(session, &self.name, &bytes, progress);
                if (bytes.len() as u64) < self.received {
                    // The packed files still read whole are the Collector's zstd frames.
                    let kind = if super::container::packing(&bytes).is_some() {
                        "zstd frames with length prefixes (the Collector's file exporter)"
                    } else {
                        "files that are not JSON documents"
                    };
                    session.warnings.push(Warning {
                        source: self.name.clone(),
                        location: format!("byte {}", bytes.len()),
                        reason: format!(
                            "only the first {:.1} GB of {:.1} GB were read: {kind} are read whole, and more would not fit in the memory of a browser tab (JSON and JSON Lines are read as they arrive, at any size)",
                            bytes.len() as f64 / 1e9,
                            self.received as f64 / 1e9
                        ),
                    });
                    summary.warnings += 1;
                }
                summary
            }
            State::Json(json) => {
                let format = json.finish(session, &self.name, progress);
                self.close(session, format.map(str::to_string))
            }
            State::Gzip(gunzip) => {
                let format = gunzip.finish(session, &self.name, progress);
                self.close(session, format)
            }
            State::Tar(tar) => {
                let format = tar.finish(session, &self.name, progress);
                self.close(session, format)
            }
            State::Zip(zip) => {
                let format = zip.finish(session, &self.name, progress);
                self.close(session, format)
            }
            State::Zstd(zstd) => {
                let format = zstd.finish(session, &self.name, progress);
                self.close(session, format)
            }
        };
        summary.fingerprint = fingerprint;
        summary
    }

    /// The summary of a file read as it arrived, whose content had the format `format`.
    fn close(&mut self, session: &mut Session, format: Option<String>) -> FileSummary {
        let head = std::mem::take(&mut self.head);
        close_file(
            session,
            &self.name,
            format,
            &head,
            self.before,
            String::new(),
        )
    }

    /// Chooses how to read the file from its first bytes.
    fn decide(
        &mut self,
        session: &mut Session,
        head: Vec<u8>,
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        self.head = head[..head.len().min(HEAD)].to_vec();
        let before = (session.spans.len(), session.warnings.len());
        self.before = before;
        if super::container::packing(&head) == Some("gzip") {
            // As decode_file begins; the rest as decode_any reads gzip, as the bytes come.
            session.files.push(self.name.clone());
            let gunzip = Gunzip::start(session, &self.name, head, progress);
            self.state = State::Gzip(gunzip);
            return;
        }
        if super::container::packing(&head) == Some("tar") {
            // As decode_file begins; then as decode_any reads tar, entry by entry.
            session.files.push(self.name.clone());
            self.state = State::Tar(TarStream::start(session, &self.name, &head, progress));
            return;
        }
        if head.starts_with(super::container::ZSTD) {
            // As decode_file begins; then as decode_any reads zstd, as the bytes come.
            session.files.push(self.name.clone());
            let limits = (self.size, self.whole_limit);
            self.state = State::Zstd(Unzstd::start(session, &self.name, limits, &head, progress));
            return;
        }
        if super::container::packing(&head) == Some("zip") {
            // As decode_file begins; then entry by entry, checked against the directory.
            session.files.push(self.name.clone());
            let mut zip = Box::new(ZipStream::new(session, self.size, self.whole_limit));
            zip.feed(session, &self.name, &head, progress);
            self.state = State::Zip(zip);
            return;
        }
        let Some(in_array) = streams_as_json(&head) else {
            self.state = State::Whole(head);
            return;
        };
        // As decode_file and decode_any begin.
        session.files.push(self.name.clone());
        session.note_origin(&self.name);
        // Unknown: 0, and the estimate of the spans to come is what was read.
        let file_len = self
            .size
            .map_or(0, |s| usize::try_from(s).unwrap_or(usize::MAX));
        let mut json = JsonStream::new(in_array, file_len, before.1);
        json.append(&head);
        json.pump(session, &self.name, false, progress);
        self.state = State::Json(json);
    }
}
