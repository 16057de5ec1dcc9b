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

use super::ingest::{count, parse_span_id, parse_trace_id, Ingest};
use super::lenient::{null_default, LenientEnum, LenientStr, LenientU64, RawKeyValue};
use super::{jaeger, line_col, strip_bom};
use crate::model::{
    Event, Link, Scope, Session, Span, SpanId, SpanKind, Status, StatusCode, TraceId,
};

mod fast;
mod salvage;

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

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawResource<'a> {
    #[serde(borrow, deserialize_with = "null_default")]
    attributes: Vec<RawKeyValue<'a>>,
    #[serde(alias = "dropped_attributes_count")]
    dropped_attributes_count: LenientU64,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawScopeSpans<'a> {
    #[serde(alias = "instrumentationLibrary", alias = "instrumentation_library")]
    #[serde(borrow, deserialize_with = "null_default")]
    scope: RawScope<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    spans: Vec<RawSpan<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawScope<'a> {
    #[serde(borrow)]
    name: LenientStr<'a>,
    #[serde(borrow)]
    version: LenientStr<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    attributes: Vec<RawKeyValue<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawSpan<'a> {
    #[serde(alias = "trace_id")]
    #[serde(borrow)]
    trace_id: LenientStr<'a>,
    #[serde(alias = "span_id")]
    #[serde(borrow)]
    span_id: LenientStr<'a>,
    #[serde(alias = "parent_span_id")]
    #[serde(borrow)]
    parent_span_id: LenientStr<'a>,
    #[serde(alias = "trace_state")]
    #[serde(borrow)]
    trace_state: LenientStr<'a>,
    flags: LenientU64,
    #[serde(borrow)]
    name: LenientStr<'a>,
    kind: LenientEnum,
    #[serde(alias = "start_time_unix_nano")]
    start_time_unix_nano: LenientU64,
    #[serde(alias = "end_time_unix_nano")]
    end_time_unix_nano: LenientU64,
    #[serde(borrow, deserialize_with = "null_default")]
    attributes: Vec<RawKeyValue<'a>>,
    #[serde(alias = "dropped_attributes_count")]
    dropped_attributes_count: LenientU64,
    #[serde(borrow, deserialize_with = "null_default")]
    events: Vec<RawEvent<'a>>,
    #[serde(alias = "dropped_events_count")]
    dropped_events_count: LenientU64,
    #[serde(borrow, deserialize_with = "null_default")]
    links: Vec<RawLink<'a>>,
    #[serde(alias = "dropped_links_count")]
    dropped_links_count: LenientU64,
    #[serde(borrow, deserialize_with = "null_default")]
    status: RawStatus<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawEvent<'a> {
    #[serde(alias = "time_unix_nano")]
    time_unix_nano: LenientU64,
    #[serde(borrow)]
    name: LenientStr<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    attributes: Vec<RawKeyValue<'a>>,
    #[serde(alias = "dropped_attributes_count")]
    dropped_attributes_count: LenientU64,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawLink<'a> {
    #[serde(alias = "trace_id")]
    #[serde(borrow)]
    trace_id: LenientStr<'a>,
    #[serde(alias = "span_id")]
    #[serde(borrow)]
    span_id: LenientStr<'a>,
    #[serde(alias = "trace_state")]
    #[serde(borrow)]
    trace_state: LenientStr<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    attributes: Vec<RawKeyValue<'a>>,
    #[serde(alias = "dropped_attributes_count")]
    dropped_attributes_count: LenientU64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawStatus<'a> {
    code: LenientEnum,
    #[serde(borrow)]
    message: LenientStr<'a>,
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
    let mut lines = LineCounter::default();
    let mut buffers = fast::Buffers::default();
    let mut offset = 0;
    // A JSON array of OTLP documents (a script that collected several exports into one list):
    // its documents are read one by one like concatenated ones, its brackets and commas
    // stepped over, so no tree of the whole array is built.
    let in_array = is_array_of_documents(text);
    while offset < text.len() {
        let rest = &text[offset..];
        let skip = rest
            .iter()
            .take_while(|&&b| {
                b.is_ascii_whitespace() || (in_array && matches!(b, b'[' | b']' | b','))
            })
            .count();
        if skip == rest.len() {
            break;
        }
        let start = offset + skip;
        let (line, column) = lines.position(text, start);
        if let Some(len) = jaeger::decode_known(&mut ingest, &text_str[start..], line) {
            offset = start + len;
            progress(offset, ingest.session);
            continue;
        }
        let checkpoint = ingest.checkpoint();
        let mut reader = Reader {
            ingest: &mut ingest,
            line,
            base: text.as_ptr() as usize,
            len: text.len(),
            progress: &mut *progress,
            next_report: REPORT_EVERY,
        };
        // The fast path first; when it gives up, forget what it added and read the document
        // with the typed reader.
        let fast = if fast_path_enabled() {
            let read = fast::document(&mut reader, text_str, start, &mut buffers).ok();
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
                } else if !jaeger::decode_typed(&mut ingest, &text_str[start..end], line) {
                    // Not OTLP, nor Jaeger as the typed structs read it: perhaps Jaeger with
                    // parts they reject. Read it again as a tree.
                    match serde_json::from_slice::<Json>(&text[start..end]) {
                        Ok(json) if jaeger::decode_object(&mut ingest, &json, line) => {}
                        _ => ingest.warn(
                            format!("line {line}"),
                            "JSON document without resourceSpans, Jaeger data or spans: not a trace, skipped"
                                .into(),
                        ),
                    }
                }
                offset = end;
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
                        offset = end;
                    }
                    _ => {
                        let (eline, ecol) = error_position(text, start, (line, column), &typed_err);
                        let next = next_document_start(text, start);
                        let why = typed_err.to_string();
                        let why = why.split(" at line").next().unwrap_or("");
                        let checkpoint = ingest.checkpoint();
                        let (got, _) = salvage::document(
                            &mut ingest,
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
                        } else if let Some(report) = jaeger_before_damage(
                            &mut ingest,
                            (text, start..next),
                            &typed_err,
                            line,
                            why,
                        ) {
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
                        offset = next;
                    }
                }
            }
        }
        progress(offset, ingest.session);
    }
    ingest.format
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
    let start = doc.start;
    let mut got = crate::decode::recover::resync::recover(
        &text[doc],
        err,
        Some(crate::decode::recover::resync::Flavour::Jaeger),
        start,
    );
    got.limit += start;
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
        let mut at = start + 1 - base_col.max(1);
        for _ in 0..err.line().saturating_sub(2) {
            match text[at..].iter().position(|&b| b == b'\n') {
                Some(i) => at += i + 1,
                None => break,
            }
        }
        let width = text[at..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(text.len() - at);
        return (line - 1, width + 1);
    }
    (line, col)
}

/// Where reading resumes after a document that is not valid JSON: the next line that opens a
/// document in its first column (JSON Lines, concatenated pretty-printed documents), else the end.
fn next_document_start(text: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < text.len() {
        if text[i - 1] == b'\n' && matches!(text[i], b'{' | b'[') {
            return i;
        }
        i += 1;
    }
    text.len()
}

/// Line and column (1-based) of byte offsets met in increasing order, without counting from
/// the start each time.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
    /// Where the line holding `offset` starts.
    line_start: usize,
}

impl LineCounter {
    fn position(&mut self, text: &[u8], offset: usize) -> (usize, usize) {
        if offset < self.offset || self.line == 0 {
            *self = LineCounter {
                offset: 0,
                line: 1,
                line_start: 0,
            };
        }
        let upto = offset.min(text.len());
        let seen = &text[self.offset..upto];
        if let Some(last) = memchr::memrchr(b'\n', seen) {
            self.line += memchr::memchr_iter(b'\n', seen).count();
            self.line_start = self.offset + last + 1;
        }
        self.offset = upto;
        (self.line, upto - self.line_start + 1)
    }
}

/// The end of the JSON object or array starting at `start` (already known to be valid JSON).
fn json_extent(text: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in text.iter().enumerate().skip(start) {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// Where a span sits in the file; formatted only when a warning needs it.
struct Place {
    line: usize,
    resource: usize,
    scope: usize,
    span: usize,
}

impl Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, resourceSpans[{}].scopeSpans[{}].spans[{}]",
            self.line, self.resource, self.scope, self.span
        )
    }
}

/// What the streaming reader of one document carries along.
struct Reader<'r, 's> {
    ingest: &'r mut Ingest<'s>,
    line: usize,
    /// Address and length of the text, to turn borrowed strings into byte offsets for progress.
    base: usize,
    len: usize,
    progress: &'r mut dyn FnMut(usize, &Session),
    next_report: usize,
}

impl Reader<'_, '_> {
    fn span(&mut self, raw: RawSpan<'_>, resource: u32, scope: u32, place: &Place) {
        let at = match &raw.name.0 {
            Some(Cow::Borrowed(name)) => Some((name.as_ptr() as usize).wrapping_sub(self.base)),
            _ => None,
        };
        self.ingest.span(raw, resource, scope, place);
        self.report(at);
    }

    /// The spans the whole text holds, by the share of it read (`at` bytes) for `spans` spans.
    fn spans_in_text(&self, spans: usize, at: usize) -> u64 {
        spans as u64 * self.len as u64 / at.max(1) as u64
    }

    /// Reports progress when enough spans were added since the last report; `at` is the byte
    /// offset of the span just read, when known.
    fn report(&mut self, at: Option<usize>) {
        let spans = self.ingest.session.spans.len();
        if spans >= self.next_report {
            self.next_report = spans + REPORT_EVERY;
            if let Some(at) = at.filter(|&at| at <= self.len) {
                // The spans to expect, from the share of the text read, a little over.
                let expected = self.spans_in_text(spans, at) * 106 / 100;
                self.ingest.session.expected_spans = usize::try_from(expected).unwrap_or(0);
                (self.progress)(at, self.ingest.session);
            }
        }
    }
}

fn is_scope_spans_key(key: &str) -> bool {
    matches!(
        key,
        "scopeSpans"
            | "scope_spans"
            | "instrumentationLibrarySpans"
            | "instrumentation_library_spans"
    )
}

fn is_scope_key(key: &str) -> bool {
    matches!(
        key,
        "scope" | "instrumentationLibrary" | "instrumentation_library"
    )
}

/// A document: `resourceSpans` (or `batches`), possibly inside Tempo's `trace` or Jaeger v3's
/// `result`. Its value tells whether any list of resourceSpans was found.
struct DocumentSeed<'a, 'r, 's>(&'a mut Reader<'r, 's>);

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_, '_, '_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_, '_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OTLP/JSON document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let reader = self.0;
        let mut found = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "resourceSpans" | "resource_spans" | "batches" => {
                    map.next_value_seed(ListSeed {
                        reader: &mut *reader,
                        item: Item::ResourceSpans,
                    })?;
                    found = true;
                }
                "trace" | "result" => {
                    found |= map.next_value_seed(OptionalDocument(&mut *reader))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

/// A nested document, or null.
struct OptionalDocument<'a, 'r, 's>(&'a mut Reader<'r, 's>);

impl<'de> DeserializeSeed<'de> for OptionalDocument<'_, '_, '_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for OptionalDocument<'_, '_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OTLP/JSON document")
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        DocumentSeed(self.0).visit_map(map)
    }
}

/// What a [`ListSeed`] holds.
#[derive(Clone, Copy)]
enum Item {
    ResourceSpans,
    ScopeSpans { resource: u32, index: usize },
}

/// A list (or null) of resourceSpans, or of the scopeSpans of one resource.
struct ListSeed<'a, 'r, 's> {
    reader: &'a mut Reader<'r, 's>,
    item: Item,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            let seed = MapSeed {
                reader: &mut *self.reader,
                item: self.item,
                i,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
}

/// One resourceSpans or scopeSpans object, read so that spans are converted as they are met.
/// When the resource (or scope) comes after its spans, the spans wait until the end of the object.
struct MapSeed<'a, 'r, 's> {
    reader: &'a mut Reader<'r, 's>,
    item: Item,
    i: usize,
}

impl<'de> DeserializeSeed<'de> for MapSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MapSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reader = self.reader;
        match self.item {
            Item::ResourceSpans => {
                let ri = self.i;
                let mut resource = None;
                let mut waiting: Vec<RawScopeSpans<'de>> = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "resource" {
                        // `null` reads as no resource, as the typed fields do (`null_default`).
                        let raw: Option<RawResource<'de>> = map.next_value()?;
                        resource = Some(reader.ingest.resource(raw.unwrap_or_default()));
                    } else if is_scope_spans_key(&key) {
                        match resource {
                            Some(resource) => map.next_value_seed(ListSeed {
                                reader: &mut *reader,
                                item: Item::ScopeSpans {
                                    resource,
                                    index: ri,
                                },
                            })?,
                            None => {
                                let list: Option<Vec<RawScopeSpans<'de>>> = map.next_value()?;
                                waiting.extend(list.unwrap_or_default());
                            }
                        }
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                let resource =
                    resource.unwrap_or_else(|| reader.ingest.resource(RawResource::default()));
                for (si, ss) in waiting.into_iter().enumerate() {
                    let scope = reader.ingest.scope(ss.scope);
                    for (pi, span) in ss.spans.into_iter().enumerate() {
                        let place = Place {
                            line: reader.line,
                            resource: ri,
                            scope: si,
                            span: pi,
                        };
                        reader.span(span, resource, scope, &place);
                    }
                }
            }
            Item::ScopeSpans { resource, index } => {
                let mut scope = None;
                let mut waiting: Vec<RawSpan<'de>> = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if is_scope_key(&key) {
                        let raw: Option<RawScope<'de>> = map.next_value()?;
                        scope = Some(reader.ingest.scope(raw.unwrap_or_default()));
                    } else if key == "spans" {
                        match scope {
                            Some(scope) => map.next_value_seed(SpansSeed {
                                reader: &mut *reader,
                                resource,
                                scope,
                                place: (index, self.i),
                            })?,
                            None => {
                                let list: Option<Vec<RawSpan<'de>>> = map.next_value()?;
                                waiting.extend(list.unwrap_or_default());
                            }
                        }
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                let scope = scope.unwrap_or_else(|| reader.ingest.scope(RawScope::default()));
                for (pi, span) in waiting.into_iter().enumerate() {
                    let place = Place {
                        line: reader.line,
                        resource: index,
                        scope: self.i,
                        span: pi,
                    };
                    reader.span(span, resource, scope, &place);
                }
            }
        }
        Ok(())
    }
}

/// The spans of one scope, converted one by one as they are parsed.
struct SpansSeed<'a, 'r, 's> {
    reader: &'a mut Reader<'r, 's>,
    resource: u32,
    scope: u32,
    /// Index of the resourceSpans and of the scopeSpans, for warnings.
    place: (usize, usize),
}

impl<'de> DeserializeSeed<'de> for SpansSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SpansSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of spans")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut pi = 0;
        while let Some(raw) = seq.next_element::<RawSpan<'de>>()? {
            let place = Place {
                line: self.reader.line,
                resource: self.place.0,
                scope: self.place.1,
                span: pi,
            };
            self.reader.span(raw, self.resource, self.scope, &place);
            pi += 1;
        }
        Ok(())
    }
}

impl Ingest<'_> {
    /// The slow path: walks a generic JSON tree so a span the typed structs reject costs only itself.
    fn generic_document(
        &mut self,
        json: &Json,
        text: &[u8],
        start: usize,
        (line, column): (usize, usize),
        err: &serde_json::Error,
    ) {
        let Some(batches) = find_batches(json) else {
            if !jaeger::decode_object(self, json, line) {
                self.warn(
                    format!("line {line}"),
                    "JSON document without resourceSpans, Jaeger data or spans: not a trace, skipped"
                        .into(),
                );
            }
            return;
        };
        self.format.get_or_insert("OTLP/JSON");
        let (eline, ecol) = error_position(text, start, (line, column), err);
        self.warn(
            format!("line {eline}, column {ecol}"),
            format!(
                "unexpected structure ({}); read span by span",
                err.to_string().split(" at line").next().unwrap_or("")
            ),
        );
        self.batches(batches, &format!("line {line}, "));
    }

    /// The spans of a list of ResourceSpans read from a JSON tree, each on its own (a span the
    /// typed structs reject costs only itself); `at` starts each warning's location.
    fn batches(&mut self, batches: &[Json], at: &str) {
        for (ri, rs) in batches.iter().enumerate() {
            let written = rs.get("resource").filter(|r| !r.is_null());
            let resource = match written.map(RawResource::deserialize) {
                Some(Ok(r)) => self.resource(r),
                Some(Err(e)) => {
                    self.warn(
                        format!("{at}resourceSpans[{ri}].resource"),
                        format!("unreadable resource ({e}); its spans are kept without it"),
                    );
                    self.resource(RawResource::default())
                }
                None => self.resource(RawResource::default()),
            };
            let scope_spans = [
                "scopeSpans",
                "scope_spans",
                "instrumentationLibrarySpans",
                "instrumentation_library_spans",
            ]
            .iter()
            .find_map(|k| rs.get(*k))
            .and_then(Json::as_array);
            for (si, ss) in scope_spans.into_iter().flatten().enumerate() {
                let raw_scope = ["scope", "instrumentationLibrary", "instrumentation_library"]
                    .iter()
                    .find_map(|k| ss.get(*k))
                    .and_then(|s| RawScope::deserialize(s).ok())
                    .unwrap_or_default();
                let scope = self.scope(raw_scope);
                let spans = ss.get("spans").and_then(Json::as_array);
                for (pi, span) in spans.into_iter().flatten().enumerate() {
                    let path = format!("{at}resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}]");
                    match RawSpan::deserialize(span) {
                        Ok(raw) => self.span(raw, resource, scope, &path),
                        Err(e) => self.warn(path, format!("span skipped: {e}")),
                    }
                }
            }
        }
    }

    fn resource(&mut self, raw: RawResource<'_>) -> u32 {
        let attributes = self.attributes(raw.attributes, &"resource");
        self.add_resource(attributes, count(&raw.dropped_attributes_count))
    }

    fn scope(&mut self, raw: RawScope<'_>) -> u32 {
        let scope = Scope {
            name: self.text(raw.name.0.as_deref()),
            version: self.text(raw.version.0.as_deref()),
            attributes: self.attributes(raw.attributes, &"scope"),
        };
        self.add_scope(scope)
    }

    fn span(&mut self, raw: RawSpan<'_>, resource: u32, scope: u32, path: &dyn Display) {
        let trace_id = match parse_trace_id(raw.trace_id.0.as_deref()) {
            Ok(Some(id)) => id,
            Ok(None) => {
                self.warn(
                    path.to_string(),
                    "span without a traceId: grouped under trace 0".into(),
                );
                TraceId::default()
            }
            Err(bad) => {
                self.warn(
                    path.to_string(),
                    format!("unreadable traceId {bad:?}: grouped under trace 0"),
                );
                TraceId::default()
            }
        };
        let span_id = match parse_span_id(raw.span_id.0.as_deref()) {
            Ok(Some(id)) => id,
            other => {
                // Keep the span: give it an id no real span has, derived from its position.
                let n = self.session.spans.len() as u64 | (1 << 63);
                let n =
                    u64::from_be_bytes(self.unused_span_id(trace_id, SpanId(n.to_be_bytes())).0);
                let what = match other {
                    Err(bad) => format!("unreadable spanId {bad:?}"),
                    _ => "span without a spanId".to_string(),
                };
                self.warn(
                    path.to_string(),
                    format!("{what}: kept with a generated id"),
                );
                SpanId(n.to_be_bytes())
            }
        };
        let parent_id = match parse_span_id(raw.parent_span_id.0.as_deref()) {
            Ok(id) => id.filter(|id| !id.is_zero()),
            Err(bad) => {
                self.warn(
                    path.to_string(),
                    format!("unreadable parentSpanId {bad:?}: shown as a root"),
                );
                None
            }
        };
        let start = self.time(&raw.start_time_unix_nano, path, "startTimeUnixNano");
        let end = self.time(&raw.end_time_unix_nano, path, "endTimeUnixNano");
        let kind = match raw.kind {
            LenientEnum::Absent => SpanKind::Unspecified,
            LenientEnum::Number(n) => SpanKind::from_number(n),
            LenientEnum::Name(ref name) => SpanKind::from_name(name).unwrap_or_else(|| {
                self.warn(
                    path.to_string(),
                    format!("unknown span kind {name:?}: unspecified"),
                );
                SpanKind::Unspecified
            }),
            LenientEnum::Invalid => SpanKind::Unspecified,
        };
        let code = match raw.status.code {
            LenientEnum::Absent | LenientEnum::Invalid => StatusCode::Unset,
            LenientEnum::Number(n) => StatusCode::from_number(n),
            LenientEnum::Name(ref name) => StatusCode::from_name(name).unwrap_or_else(|| {
                self.warn(
                    path.to_string(),
                    format!("unknown status code {name:?}: unset"),
                );
                StatusCode::Unset
            }),
        };
        let status = Status {
            code,
            message: self.text(raw.status.message.0.as_deref()),
        };
        let name = self.text(raw.name.0.as_deref());
        let trace_state = self.text(raw.trace_state.0.as_deref());
        let attributes = self.attributes(raw.attributes, path);
        let mut events = Vec::with_capacity(raw.events.len());
        for ev in raw.events {
            let time = self.time(&ev.time_unix_nano, path, "event timeUnixNano");
            events.push(Event {
                time,
                name: self.text(ev.name.0.as_deref()),
                attributes: self.attributes(ev.attributes, path),
                dropped_attributes: count(&ev.dropped_attributes_count),
            });
        }
        let mut links = Vec::with_capacity(raw.links.len());
        for link in raw.links {
            let (Ok(Some(tid)), Ok(Some(sid))) = (
                parse_trace_id(link.trace_id.0.as_deref()),
                parse_span_id(link.span_id.0.as_deref()),
            ) else {
                self.warn(
                    path.to_string(),
                    "link with an unreadable traceId or spanId skipped".into(),
                );
                continue;
            };
            links.push(Link {
                trace_id: tid,
                span_id: sid,
                trace_state: self.text(link.trace_state.0.as_deref()),
                attributes: self.attributes(link.attributes, path),
                dropped_attributes: count(&link.dropped_attributes_count),
            });
        }
        let span = Span {
            trace_id,
            span_id,
            parent_id,
            trace_state,
            flags: u32::try_from(raw.flags.get().unwrap_or(0)).unwrap_or(0),
            name,
            kind,
            start,
            end,
            attributes,
            dropped_attributes: count(&raw.dropped_attributes_count),
            events,
            dropped_events: count(&raw.dropped_events_count),
            links,
            dropped_links: count(&raw.dropped_links_count),
            status,
            resource,
            scope,
        };
        self.push_span(span, path);
    }
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
