//! OTLP/JSON (`ExportTraceServiceRequest`), as the spec writes it and as real writers do:
//! hex or base64 ids, enum numbers or names, int64 as strings, numbers or `{low, high}`,
//! camelCase or snake_case keys, `instrumentationLibrarySpans`, and the wrappers of Tempo
//! (`batches`, `trace`) and Jaeger v3 (`result`). A file may hold several documents, one per line
//! (the Collector's file exporter) or simply concatenated.
//!
//! Each document is first read with typed structs (fast). If that fails, the document is read as a
//! generic JSON tree and every span is converted on its own, so one broken span costs one span.

use std::borrow::Cow;
use std::fmt::{self, Display};

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value as Json;

use super::field_types::{null_default, LenientEnum, LenientStr, LenientU64, RawKeyValue};
use super::ingest::{count, parse_span_id, parse_trace_id, Checkpoint, Ingest};
use super::{jaeger, line_col, strip_bom};
use crate::model::{
    Event, Link, Scope, Session, Span, SpanId, SpanKind, Status, StatusCode, TraceId,
};
pub(in crate::decode) use documents::{next_document_start, LineCounter, TextOrigin};

mod documents;
mod fast;
mod raw;
mod salvage;
mod seeds;
mod spans;

use documents::*;
use raw::*;
use seeds::*;

thread_local! {
    static FAST_PATH: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
    static FAST_PATH_BAILS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(feature = "testing")]
/// Documents the fast path handed to the typed reader on this thread so far.
pub(crate) fn fast_path_bails() -> usize {
    FAST_PATH_BAILS.with(std::cell::Cell::get)
}

fn fast_path_enabled() -> bool {
    FAST_PATH.with(std::cell::Cell::get)
}

#[cfg(feature = "testing")]
/// Runs `f` with the fast path of the OTLP reader off (so tests can compare the two paths).
pub(crate) fn without_fast_path<T>(f: impl FnOnce() -> T) -> T {
    let before = FAST_PATH.with(|c| c.replace(false));
    let out = f();
    FAST_PATH.with(|c| c.set(before));
    out
}

/// Spans between two progress reports.
const REPORT_EVERY: usize = 4096;

/// Decodes every JSON document in `bytes`: OTLP, or Jaeger JSON objects (see [`jaeger`]).
/// Returns the format of what was read, `None` when nothing was a trace.
///
/// Spans are converted as the parser reaches them (no tree of the whole document is built), and
/// `progress(byte offset, the session so far)` is called every few thousand spans.
pub(super) fn decode(
    session: &mut Session,
    source: &str,
    bytes: &[u8],
    progress: &mut dyn FnMut(usize, &Session),
) -> Option<&'static str> {
    let mut ingest = Ingest::new(session, source);
    let raw = strip_bom(bytes);
    // Checking UTF-8 once up front lets serde_json read from a &str, which skips the check per
    // string and borrows strings without escapes instead of copying them.
    let repaired: String;
    let text_str: &str = match std::str::from_utf8(raw) {
        Ok(s) => s,
        Err(e) => {
            repaired = String::from_utf8_lossy(raw).into_owned();
            let (line, col) = line_col(raw, e.valid_up_to());
            let replaced = repaired.matches('\u{FFFD}').count();
            ingest.warn(
                format!("line {line}, column {col} (byte {})", e.valid_up_to()),
                format!("invalid UTF-8: {replaced} bad sequences shown as \u{FFFD}; the text around them is kept"),
            );
            &repaired
        }
    };
    let text = text_str.as_bytes();
    let mut documents = Documents::new(is_array_of_documents(text), text.len());
    let mut offset = 0;
    while let Some(start) = documents.next_start(text, offset) {
        offset = documents.read(&mut ingest, text_str, start, progress);
        progress(offset, ingest.session);
    }
    ingest.format
}

/// Where the reading of a document as its text arrived stands: the session before it, and
/// the position just after its list of resourceSpans.
#[derive(Clone, Copy)]
pub(in crate::decode) struct Resume {
    pub checkpoint: Checkpoint,
    pub pos: usize,
}

/// Reads the documents of a text one at a time: the whole file, or a window of a file read in
/// chunks (then [`Ingest::origin`] says where the window starts, and the caller gives each
/// document only once it and the start of the next are in the window).
pub(in crate::decode) struct Documents {
    lines: LineCounter,
    buffers: fast::Buffers,
    /// The text is a JSON array of documents: its brackets and commas are stepped over.
    in_array: bool,
    /// The length of the whole file, when known (for the estimate of the spans to come).
    file_len: usize,
}

impl Documents {
    pub(in crate::decode) fn new(in_array: bool, file_len: usize) -> Documents {
        Documents {
            lines: LineCounter::default(),
            buffers: fast::Buffers::default(),
            in_array,
            file_len,
        }
    }

    /// The window now starts at `origin` (its text before was dropped).
    pub(in crate::decode) fn moved(&mut self, origin: TextOrigin) {
        self.lines = LineCounter::from(origin);
    }

    /// Line and column of `offset` of the window `text`, in the file.
    pub(in crate::decode) fn position(&mut self, text: &[u8], offset: usize) -> (usize, usize) {
        self.lines.position(text, offset)
    }

    /// Where the next document starts at or after `offset`, past white space (and, in an
    /// array of documents, its brackets and commas); `None` at the end of `text`.
    pub(in crate::decode) fn next_start(&self, text: &[u8], offset: usize) -> Option<usize> {
        let in_array = self.in_array;
        let rest = text.get(offset..)?;
        let skip = rest
            .iter()
            .take_while(|&&b| {
                b.is_ascii_whitespace() || (in_array && matches!(b, b'[' | b']' | b','))
            })
            .count();
        (skip < rest.len()).then_some(offset + skip)
    }

    /// Reads the document starting at `start` of `text_str` and returns where it ends.
    pub(in crate::decode) fn read(
        &mut self,
        ingest: &mut Ingest<'_>,
        text_str: &str,
        start: usize,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> usize {
        self.read_from(ingest, text_str, start, None, progress)
    }

    /// Reads the `ri`th resourceSpans element, at `pos`, of the document starting on line
    /// `line`, whose text has arrived only in part: the fast path's reading of that element, or
    /// `None` when it gives up (the caller then goes back to `resume`'s checkpoint and reads the
    /// document whole once it has arrived).
    pub(in crate::decode) fn read_element(
        &mut self,
        ingest: &mut Ingest<'_>,
        text_str: &str,
        (line, pos, ri): (usize, usize, usize),
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Option<usize> {
        if !fast_path_enabled() {
            return None;
        }
        let mut reader = Reader::new(ingest, text_str, line, self.file_len, progress);
        fast::resource_spans_at(&mut reader, text_str, (pos, ri), &mut self.buffers).ok()
    }

    /// Reads the document starting at `start`; with `resume`, the fast path already read its
    /// resourceSpans up to their list's end as the text arrived ([`Documents::read_element`]),
    /// and goes on from there.
    pub(in crate::decode) fn read_from(
        &mut self,
        ingest: &mut Ingest<'_>,
        text_str: &str,
        start: usize,
        resume: Option<Resume>,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> usize {
        let text = text_str.as_bytes();
        let lines = &mut self.lines;
        let buffers = &mut self.buffers;
        let (line, column) = lines.position(text, start);
        if let Some(len) = jaeger::decode_known(ingest, &text_str[start..], line) {
            return start + len;
        }
        let checkpoint = resume.map_or_else(|| ingest.checkpoint(), |r| r.checkpoint);
        let mut reader = Reader::new(&mut *ingest, text_str, line, self.file_len, &mut *progress);
        // The fast path first; when it gives up, forget what it added and read the document
        // with the typed reader.
        let fast = if fast_path_enabled() {
            let read = match resume {
                Some(r) => fast::document_rest(&mut reader, text_str, r.pos, buffers),
                None => fast::document(&mut reader, text_str, start, buffers),
            }
            .ok();
            if read.is_none() {
                FAST_PATH_BAILS.with(|c| c.set(c.get() + 1));
            }
            read
        } else {
            None
        };
        let read = match fast {
            Some((found, end)) => Ok((found, Some(end))),
            None => {
                reader.ingest.rollback(checkpoint);
                reader.next_report = REPORT_EVERY;
                let mut de = serde_json::Deserializer::from_str(&text_str[start..]);
                DocumentSeed(&mut reader)
                    .deserialize(&mut de)
                    .map(|found| (found, de.end().is_ok().then_some(text.len())))
            }
        };
        match read {
            Ok((found, end)) => {
                // One document to the end of the text (the usual case), or several: then find
                // where this one ends.
                let end = end.unwrap_or_else(|| json_extent(text, start));
                if found {
                    ingest.format.get_or_insert("OTLP/JSON");
                } else if !jaeger::decode_typed(ingest, &text_str[start..end], line) {
                    // Not OTLP, nor Jaeger as the typed structs read it: perhaps Jaeger with
                    // parts they reject. Read it again as a tree.
                    match serde_json::from_slice::<Json>(&text[start..end]) {
                        Ok(json) if jaeger::decode_object(ingest, &json, line) => {}
                        _ => ingest.warn(
                            format!("line {line}"),
                            "JSON document without resourceSpans, Jaeger data or spans: not a trace, skipped"
                                .into(),
                        ),
                    }
                }
                end
            }
            Err(typed_err) => {
                // Not readable with the typed structs: forget what this document added, find its
                // extent as generic JSON and read it span by span. (A syntax error fails the
                // generic reader as well: such a document is salvaged straight away.)
                ingest.rollback(checkpoint);
                let syntax = typed_err.is_syntax() || typed_err.is_eof();
                let mut generic =
                    serde_json::Deserializer::from_str(&text_str[start..]).into_iter::<Json>();
                match if syntax { None } else { generic.next() } {
                    Some(Ok(json)) => {
                        let end = start + generic.byte_offset();
                        ingest.generic_document(
                            &json,
                            &text[..end],
                            start,
                            (line, column),
                            &typed_err,
                        );
                        end
                    }
                    _ => {
                        let (eline, ecol) = error_position(text, start, (line, column), &typed_err);
                        let next = next_document_start(text, start);
                        let why = typed_err.to_string();
                        let why = why.split(" at line").next().unwrap_or("");
                        let checkpoint = ingest.checkpoint();
                        let (got, _) = salvage::document(
                            ingest,
                            text_str,
                            (start, next),
                            &mut |at, session| progress(at, session),
                        );
                        if got.spans > 0 {
                            ingest.format.get_or_insert("OTLP/JSON");
                            ingest.warn(
                                format!("line {line}"),
                                salvage_report(
                                    &format!("{why} at line {eline}, column {ecol}"),
                                    &got,
                                ),
                            );
                        } else if let Some(report) =
                            jaeger_before_damage(ingest, (text, start..next), &typed_err, line, why)
                        {
                            ingest.warn(format!("line {line}"), report);
                        } else {
                            // Nothing whole in it: one line for the document.
                            ingest.rollback(checkpoint);
                            ingest.warn(
                                format!("line {line}"),
                                format!(
                                    "not valid JSON ({why} at line {eline}, column {ecol}); skipped to the next document"
                                ),
                            );
                        }
                        next
                    }
                }
            }
        }
    }
}

/// Whether `text` is a JSON array whose first element is an OTLP document (its first key one
/// of a document's or a wrapper's).
pub(super) fn is_array_of_documents(text: &[u8]) -> bool {
    let ws = |i: usize| {
        i + text[i.min(text.len())..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count()
    };
    let open = ws(0);
    if text.get(open) != Some(&b'[') {
        return false;
    }
    let brace = ws(open + 1);
    if text.get(brace) != Some(&b'{') {
        return false;
    }
    let key = &text[ws(brace + 1).min(text.len())..];
    [
        &b"\"resourceSpans\""[..],
        b"\"resource_spans\"",
        b"\"batches\"",
        b"\"trace\"",
        b"\"result\"",
    ]
    .iter()
    .any(|k| key.starts_with(k))
}

/// A Jaeger envelope or trace (the bytes `doc` of `text`, starting on line `line`) that stops
/// being JSON where `err` says: its whole spans before that point, read into `ingest`, and the
/// report of what was kept and lost; `None`, with nothing read, when no span was whole there.
fn jaeger_before_damage(
    ingest: &mut Ingest<'_>,
    (text, doc): (&[u8], std::ops::Range<usize>),
    err: &serde_json::Error,
    line: usize,
    why: &str,
) -> Option<String> {
    // Offsets in the report are the file's (the text may be a window of it).
    let base = doc.start + ingest.origin.byte;
    let mut got = crate::decode::recover::resync::recover(
        &text[doc],
        err,
        Some(crate::decode::recover::resync::Flavour::Jaeger),
        base,
    );
    got.limit += base;
    let json = got.json.take()?;
    let spans = ingest.session.spans.len();
    let checkpoint = ingest.checkpoint();
    let format = ingest.format;
    if jaeger::decode_object(ingest, &json, line) {
        let kept = ingest.session.spans.len() - spans;
        if kept > 0 {
            return Some(super::closed_report(why, kept, &got));
        }
    }
    ingest.rollback(checkpoint);
    ingest.format = format;
    None
}

/// What salvaging a document that is not valid JSON read, kept and left.
fn salvage_report(why: &str, got: &salvage::Salvaged) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut text = format!(
        "not valid JSON ({why}): read span by span, {} span{} kept",
        got.spans,
        plural(got.spans)
    );
    if got.repaired > 0 {
        text += &format!(
            "; {} of the spans, resources and scopes repaired (raw control characters, bare NaN or Infinity, bad escapes)",
            got.repaired
        );
    }
    if got.skipped > 0 {
        text += &format!(", {} skipped (each listed with its place)", got.skipped);
    }
    if let Some(at) = got.cut_at {
        text += &format!(
            "; the document stops at byte {at} before it is complete (the file looks cut off): what follows that point was lost"
        );
    }
    text
}

/// Line and column in the whole file of an error raised while reading a document that starts
/// at line `base_line`, column `base_col`. Only the document's own lines are looked at, so a
/// file of many broken documents costs time in proportion to its size, not to its size times
/// the number of documents (counting each error's lines from the start of the file made a
/// file of many broken lines quadratic).
fn error_position(
    text: &[u8],
    start: usize,
    (base_line, base_col): (usize, usize),
    err: &serde_json::Error,
) -> (usize, usize) {
    let (line, col) = if err.line() <= 1 {
        (base_line, base_col + err.column().saturating_sub(1))
    } else {
        (base_line + err.line() - 1, err.column())
    };
    if col == 0 && line > 1 {
        // serde_json puts an error at a newline at column 0 of the next line: point at the
        // newline itself, the end of the line where the problem is. That line is the
        // document's own line `err.line() - 1`: walk to it from the document's first line.
        // `text` may begin inside that line (a file read as it arrives drops what was read):
        // then the walk starts where `text` does, `before` bytes into the line.
        let (mut at, mut before) = match (start + 1).checked_sub(base_col.max(1)) {
            Some(line_start) => (line_start, 0),
            None => (0, base_col.max(1) - 1 - start),
        };
        for _ in 0..err.line().saturating_sub(2) {
            match text[at..].iter().position(|&b| b == b'\n') {
                Some(i) => {
                    at += i + 1;
                    before = 0;
                }
                None => break,
            }
        }
        let width = text[at..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(text.len() - at);
        return (line - 1, before + width + 1);
    }
    (line, col)
}

/// A JSON array whose elements are OTLP documents (`[{"resourceSpans": ...}, ...]`, as a script
/// that collected several exports into one list writes it): each one's spans are read. False,
/// with nothing read, when no element is an OTLP document.
pub(super) fn decode_documents(ingest: &mut Ingest<'_>, items: &[Json]) -> bool {
    let documents: Vec<_> = items.iter().map(find_batches).collect();
    if documents.iter().all(Option::is_none) {
        return false;
    }
    ingest.format.get_or_insert("OTLP/JSON");
    for (i, batches) in documents.into_iter().enumerate() {
        match batches {
            Some(batches) => ingest.batches(batches, &format!("[{i}].")),
            None => ingest.warn(
                format!("[{i}]"),
                "array element without resourceSpans: not an OTLP document, skipped".into(),
            ),
        }
    }
    true
}

fn find_batches(json: &Json) -> Option<&Vec<Json>> {
    for key in ["resourceSpans", "resource_spans", "batches"] {
        if let Some(list) = json.get(key).and_then(Json::as_array) {
            return Some(list);
        }
    }
    ["trace", "result"]
        .iter()
        .find_map(|k| json.get(*k).and_then(find_batches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_hex_and_base64() {
        let hex = parse_trace_id(Some("5B8EFFF798038103D269B633813FC60C"))
            .unwrap()
            .unwrap();
        let b64 = parse_trace_id(Some("W47/95gDgQPSabYzgT/GDA=="))
            .unwrap()
            .unwrap();
        assert_eq!(hex, b64);
        assert_eq!(hex.to_string(), "5b8efff798038103d269b633813fc60c");
        let short = parse_trace_id(Some("00000000000000ff")).unwrap().unwrap();
        assert_eq!(short.0[15], 0xff);
        assert_eq!(parse_span_id(Some("")), Ok(None));
        assert!(parse_span_id(Some("zz-not-an-id")).is_err());
        assert!(parse_span_id(Some("0102030405060708090a")).is_err());
    }
}
