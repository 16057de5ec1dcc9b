//! Decoding a file as its bytes arrive: [`StreamDecoder`] takes the file in chunks of any size
//! and gives the very session, warnings and summary that [`super::decode_file`] gives for the
//! whole file (`tests/stream.rs` checks this for every fixture cut every way).
//!
//! JSON documents (an OTLP export, several of them concatenated or one per line, Jaeger
//! objects, an array of OTLP documents) are read one at a time as soon as a document and the
//! start of the next one have arrived (one large document a resourceSpans element at a time);
//! the text read is then dropped, so a JSON Lines file of any size is held one document at a
//! time. gzip is decompressed as it arrives and its content read the same way. tar and zip
//! archives are read an entry at a time (a zip checked against its directory at the end, see
//! [`ZipStream`]). Everything else (zstd, UTF-16, Jaeger and Zipkin arrays, what is not JSON) is
//! kept as it arrives and read whole at the end.

use super::container::{decompress_warning, gunzipped, GZIP_DATA, MAX_EXPANDED, READ_PIECE};
use super::container::{streams_as_json, TarReader, ZipStream};
use super::ingest::{Checkpoint, Ingest, Saved};
use super::json_bytes::Extent;
use super::otlp::{next_document_start, Documents, LineCounter, Resume, TextOrigin};
use super::{close_file, FileSummary, Fingerprinter};
use crate::model::{Session, Warning};

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
    /// A zip archive read an entry at a time, checked against its directory at the end.
    Zip(Box<ZipStream>),
}

/// What reading the JSON documents of a file knows between two chunks.
struct JsonStream {
    saved: Saved,
    documents: Documents,
    /// The text not read yet (and some already read, dropped in large steps).
    text: String,
    /// Where `text` starts in the file's text.
    origin: TextOrigin,
    /// The file's length when known, else 0.
    file_len: usize,
    /// Where reading stopped in `text`: the end of the last document read.
    cursor: usize,
    /// The bytes of a UTF-8 sequence cut by the end of the last chunk.
    carry: Vec<u8>,
    /// A byte-order mark may still start the text (fewer than three bytes came).
    bom: bool,
    /// The file's first bad UTF-8 sequence: its place, as [`super::otlp`] reports it.
    bad_utf8: Option<String>,
    /// U+FFFD characters in the text (each bad sequence becomes one).
    replacements: usize,
    /// The end of the document at `scan.start`, as far as the text was walked.
    scan: Extent,
    /// Where the search for the next document's start after the current one stands.
    next_from: usize,
    /// The document at `scan.start`, read as it arrives.
    partial: Partial,
    warnings_before: usize,
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
            State::Gzip(gunzip) => {
                gunzip.decoder.get_mut().add(chunk);
                gunzip.pump(session, &self.name, false, progress);
            }
            State::Tar(tar) => tar.feed(session, &self.name, chunk, progress),
            State::Zip(zip) => zip.feed(session, &self.name, chunk, progress),
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
                    let kind = super::container::packing(&bytes).map_or_else(
                        || "files that are not JSON documents".to_string(),
                        |k| format!("{k} files"),
                    );
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
            let mut gunzip = Box::new(Gunzip {
                decoder: flate2::read::MultiGzDecoder::new(Pipe::default()),
                piece: vec![0; READ_PIECE],
                out: 0,
                stopped: None,
                inner: Inner::Head(Vec::new()),
                warnings_before: before.1,
            });
            gunzip.decoder.get_mut().buf = head;
            gunzip.pump(session, &self.name, false, progress);
            self.state = State::Gzip(gunzip);
            return;
        }
        if super::container::packing(&head) == Some("tar") {
            // As decode_file begins; then as decode_any reads tar, entry by entry.
            session.files.push(self.name.clone());
            self.state = State::Tar(TarStream::start(session, &self.name, &head, progress));
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

impl JsonStream {
    fn new(in_array: bool, file_len: usize, warnings_before: usize) -> Box<JsonStream> {
        Box::new(JsonStream {
            saved: Saved::default(),
            documents: Documents::new(in_array, file_len),
            text: String::new(),
            origin: TextOrigin::default(),
            file_len,
            cursor: 0,
            carry: Vec::new(),
            bom: true,
            bad_utf8: None,
            replacements: 0,
            scan: Extent::new(usize::MAX),
            next_from: 0,
            partial: Partial::Idle,
            warnings_before,
        })
    }

    /// Adds a chunk's text to the window: bad UTF-8 becomes U+FFFD as `String::from_utf8_lossy`
    /// makes it of the whole file, and a sequence cut by the chunk's end waits for the next.
    fn append(&mut self, chunk: &[u8]) {
        let joined;
        let mut input = if self.carry.is_empty() {
            chunk
        } else {
            let mut bytes = std::mem::take(&mut self.carry);
            bytes.extend_from_slice(chunk);
            joined = bytes;
            &joined[..]
        };
        if self.bom {
            if input.len() < 3 && b"\xEF\xBB\xBF".starts_with(input) {
                self.carry = input.to_vec();
                return;
            }
            self.bom = false;
            input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        }
        loop {
            match std::str::from_utf8(input) {
                Ok(text) => {
                    self.push_text(text);
                    return;
                }
                Err(e) => {
                    let (valid, rest) = input.split_at(e.valid_up_to());
                    // Valid by the error's own account.
                    self.push_text(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        None => {
                            self.carry = rest.to_vec();
                            return;
                        }
                        Some(n) => {
                            self.bad_sequence();
                            input = &rest[n..];
                        }
                    }
                }
            }
        }
    }

    fn push_text(&mut self, text: &str) {
        self.replacements += memchr::memmem::find_iter(text.as_bytes(), "\u{FFFD}").count();
        if self.text.len() + text.len() > self.text.capacity()
            && self.cursor == 0
            && self.text.len() >= LARGE_DOCUMENT
        {
            // One large document fills the window. In a file of up to 1 GiB it is most likely
            // the whole file: room for the rest of it at once (doubling at its peak held the
            // text three times over). In a larger file (JSON Lines of big lines), doubling,
            // but never past the rest of the file.
            let rest = self
                .file_len
                .saturating_sub(self.origin.byte + self.text.len());
            let room = if rest <= WHOLE_DOCUMENT_ROOM {
                rest
            } else {
                rest.min(self.text.len().saturating_mul(2))
            };
            self.text.reserve_exact(room.max(text.len()));
        }
        self.text.push_str(text);
    }

    /// A bad UTF-8 sequence at the end of the window: the first one's place is noted.
    fn bad_sequence(&mut self) {
        if self.bad_utf8.is_none() {
            let at = self.text.len();
            let (line, col) = LineCounter::from(self.origin).position(self.text.as_bytes(), at);
            self.bad_utf8 = Some(format!(
                "line {line}, column {col} (byte {})",
                self.origin.byte + at
            ));
        }
        self.push_text("\u{FFFD}");
    }

    /// Whether the document starting at `start` can be read before more text comes: it closes,
    /// and the next document (a line opening with a bracket) has begun.
    fn ready(&mut self, start: usize) -> bool {
        let text = self.text.as_bytes();
        if self.scan.start != start {
            match &self.partial {
                // Its list of resourceSpans has not closed: neither has the document.
                Partial::Reading(r) if r.start == start => return false,
                // The walk to its end starts where the list closed, inside its object.
                Partial::ListRead { start: s, resume } if *s == start => {
                    self.scan = Extent::new(start);
                    self.scan.at = resume.pos;
                    self.scan.depth = 1;
                }
                _ => self.scan = Extent::new(start),
            }
            self.next_from = start + 1;
        }
        if matches!(text[start], b'{' | b'[') && self.scan.walk(text).is_none() {
            return false;
        }
        // Where a whole read would resume after it, were it damaged (a line opening with a
        // bracket): searched on from where the last search stopped.
        let next = next_document_start(text, self.next_from.max(start + 1) - 1);
        if next < text.len() {
            self.next_from = next;
            return true;
        }
        // A newline that ends the text is looked at again with the next chunk.
        self.next_from = text.len().max(start + 1);
        false
    }

    /// Reads every document the window holds whole (all of them when `last`).
    fn pump(
        &mut self,
        session: &mut Session,
        name: &str,
        last: bool,
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        let mut ingest = Ingest::resume(session, name, std::mem::take(&mut self.saved));
        ingest.origin = self.origin;
        let base = self.origin.byte;
        let progress = &mut |at: usize, s: &Session| progress(base + at, s);
        loop {
            let text = self.text.as_bytes();
            let Some(start) = self.documents.next_start(text, self.cursor) else {
                // Only white space is left: it need not be kept.
                if !last {
                    self.cursor = text.len();
                }
                break;
            };
            // A document still arriving is read a resourceSpans element at a time; one that has
            // arrived, from where that reading got to.
            self.read_partly(&mut ingest, start, progress);
            if !last && !self.ready(start) {
                break;
            }
            let resume = match std::mem::replace(&mut self.partial, Partial::Idle) {
                Partial::ListRead { start: s, resume } if s == start => Some(resume),
                Partial::Reading(r) if r.start == start => {
                    // Stuck before the list's end (a document cut off): read it whole.
                    ingest.rollback(r.checkpoint);
                    None
                }
                _ => None,
            };
            self.cursor =
                self.documents
                    .read_from(&mut ingest, &self.text, start, resume, progress);
            progress(self.cursor, ingest.session);
        }
        self.saved = ingest.save();
        self.drop_read();
    }

    /// Drops the text already read from the window, in large steps.
    fn drop_read(&mut self) {
        let cut = self.cursor;
        if cut == 0 || (cut < DROP_AFTER && cut * 2 < self.text.len()) {
            return;
        }
        let (line, column) = self.documents.position(self.text.as_bytes(), cut);
        self.origin = TextOrigin {
            byte: self.origin.byte + cut,
            line,
            column,
        };
        self.text.drain(..cut);
        self.documents.moved(self.origin);
        self.cursor = 0;
        self.partial.shift(cut);
        if self.scan.start != usize::MAX && self.scan.start >= cut {
            self.scan.shift(cut);
            self.next_from -= cut;
        } else {
            self.scan = Extent::new(usize::MAX);
            self.next_from = 0;
        }
    }

    /// Reads the resourceSpans elements of the document at `start` that have arrived whole,
    /// with the fast path, as a whole read would meet them. At anything it does not expect it
    /// goes back to the session before the document, which is then read whole once it has
    /// arrived: the outcome is the same either way.
    fn read_partly(
        &mut self,
        ingest: &mut Ingest<'_>,
        start: usize,
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        let text = self.text.as_bytes();
        let mut reading = match std::mem::replace(&mut self.partial, Partial::Idle) {
            Partial::Reading(r) if r.start == start => r,
            other @ (Partial::ListRead { .. } | Partial::Off { .. }) if other.start() == start => {
                self.partial = other;
                return;
            }
            _ => match list_opening(text, start) {
                Opening::Open(pos) => Box::new(Reading {
                    start,
                    line: self.documents.position(text, start).0,
                    checkpoint: ingest.checkpoint(),
                    pos,
                    ri: 0,
                    expect: Expect::First,
                    element: None,
                }),
                Opening::NotYet => return,
                Opening::Other => {
                    self.partial = Partial::Off { start };
                    return;
                }
            },
        };
        while let Some(at) = text[reading.pos..]
            .iter()
            .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
            .map(|i| reading.pos + i)
        {
            let step = match (reading.expect, text[at]) {
                (Expect::First | Expect::CommaOrEnd, b']') => Step::End(at + 1),
                (Expect::CommaOrEnd, b',') => Step::Next(at + 1),
                (Expect::First | Expect::Element, b'{') => Step::Element(at),
                _ => Step::Off,
            };
            match step {
                Step::End(pos) => {
                    self.partial = Partial::ListRead {
                        start,
                        resume: Resume {
                            checkpoint: reading.checkpoint,
                            pos,
                        },
                    };
                    return;
                }
                Step::Next(pos) => {
                    reading.pos = pos;
                    reading.expect = Expect::Element;
                }
                Step::Element(at) => {
                    let extent = reading.element.get_or_insert_with(|| Extent::new(at));
                    let Some(end) = extent.walk(text) else {
                        break;
                    };
                    let read = self.documents.read_element(
                        ingest,
                        &self.text,
                        (reading.line, at, reading.ri),
                        progress,
                    );
                    if read != Some(end) {
                        ingest.rollback(reading.checkpoint);
                        self.partial = Partial::Off { start };
                        return;
                    }
                    reading.element = None;
                    reading.pos = end;
                    reading.ri += 1;
                    reading.expect = Expect::CommaOrEnd;
                }
                Step::Off => {
                    ingest.rollback(reading.checkpoint);
                    self.partial = Partial::Off { start };
                    return;
                }
            }
        }
        self.partial = Partial::Reading(reading);
    }

    /// Reads the rest; the format of what was read.
    fn finish(
        mut self,
        session: &mut Session,
        name: &str,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Option<&'static str> {
        if !self.carry.is_empty() {
            if self.bom {
                // Fewer than three bytes, all of a byte-order mark's beginning: text of their own.
                self.bom = false;
                let carry = std::mem::take(&mut self.carry);
                self.append(&carry);
            }
            if !self.carry.is_empty() {
                // A sequence the file's end cut: one U+FFFD, as from_utf8_lossy makes it.
                self.carry.clear();
                self.bad_sequence();
            }
        }
        self.pump(session, name, true, progress);
        let format = self.saved.format();
        if let Some(location) = self.bad_utf8.take() {
            let replaced = self.replacements;
            session.warnings.insert(
                self.warnings_before,
                Warning {
                    source: name.to_string(),
                    location,
                    reason: format!("invalid UTF-8: {replaced} bad sequences shown as \u{FFFD}; the text around them is kept"),
                },
            );
        }
        format
    }
}

/// How far the reading of a document as it arrives got.
enum Partial {
    /// Not begun for any document.
    Idle,
    /// Reading the list of resourceSpans of the document at `start`.
    Reading(Box<Reading>),
    /// Its list was read to its end: the rest of the document waits until it has arrived.
    ListRead { start: usize, resume: Resume },
    /// Not read as it arrives (it does not open with a list of resourceSpans, or the fast path
    /// gave up): read whole once it has arrived.
    Off { start: usize },
}

impl Partial {
    fn start(&self) -> usize {
        match self {
            Partial::Idle => usize::MAX,
            Partial::Reading(r) => r.start,
            Partial::ListRead { start, .. } | Partial::Off { start } => *start,
        }
    }

    /// The window lost its first `by` bytes (all before the document).
    fn shift(&mut self, by: usize) {
        match self {
            Partial::Idle => {}
            Partial::Reading(r) if r.start >= by => {
                r.start -= by;
                r.pos -= by;
                if let Some(e) = &mut r.element {
                    e.shift(by);
                }
            }
            Partial::ListRead { start, resume } if *start >= by => {
                *start -= by;
                resume.pos -= by;
            }
            Partial::Off { start } if *start >= by => *start -= by,
            _ => *self = Partial::Idle,
        }
    }
}

struct Reading {
    start: usize,
    /// The document's first line (the place of its spans' warnings).
    line: usize,
    /// The session before the document.
    checkpoint: Checkpoint,
    /// Where reading goes on in the window.
    pos: usize,
    /// The index of the next element.
    ri: usize,
    expect: Expect,
    /// The walk to the end of the element being received.
    element: Option<Extent>,
}

#[derive(Clone, Copy)]
enum Expect {
    /// The list's first element, or its end.
    First,
    /// An element, after a comma.
    Element,
    /// A comma, or the list's end.
    CommaOrEnd,
}

enum Step {
    End(usize),
    Next(usize),
    Element(usize),
    Off,
}

enum Opening {
    /// The document opens with its list of resourceSpans, whose first element (or end) is at
    /// this position.
    Open(usize),
    /// Its opening has not arrived in full.
    NotYet,
    /// It opens otherwise.
    Other,
}

/// Whether the document at `start` opens `{"resourceSpans": [` (or `resource_spans`, `batches`),
/// white space allowed as JSON allows it, the key without escapes.
fn list_opening(text: &[u8], start: usize) -> Opening {
    let opening = || -> Result<usize, Opening> {
        // The first byte after white space from `i`, which must be `want`: the index after it.
        let expect = |i: usize, want: u8| {
            let at = i + text
                .get(i..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
                .count();
            match text.get(at) {
                None => Err(Opening::NotYet),
                Some(&b) if b == want => Ok(at + 1),
                Some(_) => Err(Opening::Other),
            }
        };
        if text.get(start) != Some(&b'{') {
            return Err(Opening::Other);
        }
        let key = expect(start + 1, b'"')?;
        let Some(close) = memchr::memchr2(b'"', b'\\', &text[key..]).map(|i| key + i) else {
            return Err(if text.len() - key >= 32 {
                Opening::Other
            } else {
                Opening::NotYet
            });
        };
        let known = matches!(
            &text[key..close],
            b"resourceSpans" | b"resource_spans" | b"batches"
        );
        if text[close] != b'"' || !known {
            return Err(Opening::Other);
        }
        let colon = expect(close + 1, b':')?;
        expect(colon, b'[')
    };
    opening().map_or_else(|why| why, Opening::Open)
}

/// gzip bytes as they arrive, for the decompressor: it is handed them in pieces of the size it
/// asks for (its buffer's), as a whole file would hand them, and told to wait (`WouldBlock`)
/// until that many have come or the file has ended. So it meets the data, and any damage, in
/// the very steps of a whole read.
#[derive(Default)]
struct Pipe {
    buf: Vec<u8>,
    at: usize,
    finished: bool,
}

impl Pipe {
    fn add(&mut self, chunk: &[u8]) {
        if self.at > DROP_AFTER && self.at * 2 > self.buf.len() {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        self.buf.extend_from_slice(chunk);
    }
}

impl std::io::Read for Pipe {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.buf.len() - self.at;
        if available < out.len() && !self.finished {
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        let n = available.min(out.len());
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A gzip file decompressed as it arrives.
struct Gunzip {
    decoder: flate2::read::MultiGzDecoder<Pipe>,
    /// The decompressed piece being read (of [`READ_PIECE`] bytes, as a whole read's).
    piece: Vec<u8>,
    /// Bytes decompressed so far.
    out: usize,
    /// Why decompressing stopped early (damage, or too large), said as a whole read says it.
    stopped: Option<Warning>,
    inner: Inner,
    /// The session's warnings before this file.
    warnings_before: usize,
}

/// What the decompressed bytes are read as.
enum Inner {
    /// Their first bytes, until it is known.
    Head(Vec<u8>),
    /// JSON documents, read as they come.
    Json(Box<JsonStream>),
    /// A tar archive, read an entry at a time.
    Tar(Box<TarStream>),
    /// Anything else, read whole at the end.
    Whole(Vec<u8>),
}

impl Gunzip {
    /// Decompresses what has come (all of it when `last`) and reads it.
    fn pump(
        &mut self,
        session: &mut Session,
        name: &str,
        last: bool,
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        if last {
            self.decoder.get_mut().finished = true;
        }
        while self.stopped.is_none() {
            match std::io::Read::read(&mut self.decoder, &mut self.piece) {
                Ok(0) => break,
                Ok(n) => {
                    self.out += n;
                    let piece = std::mem::take(&mut self.piece);
                    self.feed(session, name, &piece[..n], progress);
                    self.piece = piece;
                    if self.out as u64 > MAX_EXPANDED {
                        self.stopped = Some(decompress_warning(name, GZIP_DATA, self.out, None));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    self.stopped = Some(decompress_warning(name, GZIP_DATA, self.out, Some(&e)));
                }
            }
        }
    }

    fn feed(
        &mut self,
        session: &mut Session,
        name: &str,
        bytes: &[u8],
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        match &mut self.inner {
            Inner::Head(head) => {
                head.extend_from_slice(bytes);
                if head.len() < HEAD {
                    return;
                }
                let head = std::mem::take(head);
                if super::container::packing(&head) == Some("tar") {
                    // As gunzipped and decode_any read a tar, entry by entry.
                    self.inner = Inner::Tar(TarStream::start(session, name, &head, progress));
                    return;
                }
                match streams_as_json(&head) {
                    Some(in_array) => {
                        // As decode_any begins on the decompressed bytes.
                        session.note_origin(name);
                        let mut json = JsonStream::new(in_array, 0, self.warnings_before);
                        json.append(&head);
                        json.pump(session, name, false, progress);
                        self.inner = Inner::Json(json);
                    }
                    None => self.inner = Inner::Whole(head),
                }
            }
            Inner::Json(json) => {
                json.append(bytes);
                json.pump(session, name, false, progress);
            }
            Inner::Tar(tar) => tar.feed(session, name, bytes, progress),
            Inner::Whole(all) => all.extend_from_slice(bytes),
        }
    }

    /// Reads the rest; the format of what was read ("gzip: OTLP/JSON").
    fn finish(
        mut self,
        session: &mut Session,
        name: &str,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Option<String> {
        self.pump(session, name, true, progress);
        let format = match self.inner {
            Inner::Head(bytes) | Inner::Whole(bytes) => gunzipped(session, name, &bytes, progress),
            Inner::Json(json) => json
                .finish(session, name, progress)
                .map(|f| format!("gzip: {f}")),
            Inner::Tar(tar) => tar
                .finish(session, name, progress)
                .map(|f| format!("gzip: {f}")),
        };
        // A whole read says so before it reads what came.
        if let Some(warning) = self.stopped {
            session.warnings.insert(self.warnings_before, warning);
        }
        format
    }
}

/// A tar archive as it arrives: each entry is read once all of it has come
/// ([`TarReader`]), and the bytes read are dropped.
struct TarStream {
    reader: TarReader,
    /// The archive's bytes from `base` on.
    window: Vec<u8>,
    base: usize,
}

impl TarStream {
    /// A tar archive that begins with `head`.
    fn start(
        session: &mut Session,
        name: &str,
        head: &[u8],
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Box<TarStream> {
        let mut tar = Box::new(TarStream {
            reader: TarReader::default(),
            window: Vec::new(),
            base: 0,
        });
        tar.feed(session, name, head, progress);
        tar
    }

    fn feed(
        &mut self,
        session: &mut Session,
        name: &str,
        bytes: &[u8],
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        self.window.extend_from_slice(bytes);
        let needed = self
            .reader
            .read(session, name, (&self.window, self.base), None, 0, progress);
        let read = needed - self.base;
        if read >= DROP_AFTER || read * 2 >= self.window.len() {
            self.window.drain(..read);
            self.base = needed;
        }
    }

    /// Reads the rest, as a whole read does; the archive's format, if it held traces.
    fn finish(
        mut self,
        session: &mut Session,
        name: &str,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Option<String> {
        let len = self.base + self.window.len();
        self.reader.read(
            session,
            name,
            (&self.window, self.base),
            Some(len),
            0,
            progress,
        );
        self.reader.end(session, name)
    }
}
