//! JSON documents read as they arrive: one at a time once a document and the start of the next
//! have come, one large document a resourceSpans element at a time.

use super::{DROP_AFTER, LARGE_DOCUMENT, WHOLE_DOCUMENT_ROOM};
use crate::decode::ingest::{Checkpoint, Ingest, Saved};
use crate::decode::json_bytes::Extent;
use crate::decode::otlp::{next_document_start, Documents, LineCounter, Resume, TextOrigin};
use crate::model::{Session, Warning};

/// What reading the JSON documents of a file knows between two chunks.
pub(super) struct JsonStream {
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

impl JsonStream {
    pub(super) fn new(in_array: bool, file_len: usize, warnings_before: usize) -> Box<JsonStream> {
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
    pub(super) fn append(&mut self, chunk: &[u8]) {
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
            // but never past the rest of the file. When the rest is not known (decompressed
            // content, a body without a length, or one served compressed, whose text outruns
            // its length), doubling: growing by a chunk at a time copies the text each time.
            let rest = self
                .file_len
                .saturating_sub(self.origin.byte + self.text.len());
            let room = if rest == 0 {
                self.text.len()
            } else if rest <= WHOLE_DOCUMENT_ROOM {
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
    pub(super) fn pump(
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
    pub(super) fn finish(
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

#[cfg(test)]
mod tests {
    use super::*;

    /// How many times the window's room changes while one large document arrives in 64 KiB
    /// pieces, for a file of `file_len` bytes (0: not known).
    fn regrowths(document: &[u8], file_len: usize) -> usize {
        let mut json = JsonStream::new(false, file_len, 0);
        let mut session = Session::default();
        let (mut growths, mut room) = (0, 0);
        for piece in document.chunks(64 << 10) {
            json.append(piece);
            json.pump(&mut session, "big.json", false, &mut |_, _| {});
            if json.text.capacity() != room {
                growths += 1;
                room = json.text.capacity();
            }
        }
        growths
    }

    #[test]
    fn a_large_document_of_unknown_length_gets_room_by_doubling() {
        // One 40 MB document, still open: held whole until it closes.
        let mut document =
            br#"{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"name":""#.to_vec();
        document.resize(40 << 20, b'x');
        // Unknown (decompressed content), or outrun by the text (a body served compressed).
        for file_len in [0, 1 << 20] {
            let growths = regrowths(&document, file_len);
            assert!(
                growths <= 16,
                "{growths} regrowths for a length of {file_len}"
            );
        }
        // Known: room for the rest at once.
        assert!(regrowths(&document, document.len()) <= 12);
    }
}
