//! Decoders: bytes of a file in, spans into a [`Session`] out, with a [`Warning`] for everything
//! skipped or repaired. The format is recognised from the content, never the file name. A decoder
//! never panics and never gives up on a whole file because one part of it is bad.

mod container;
mod field_types;
mod ingest;
mod jaeger;
pub(crate) mod json_bytes;
mod otlp;
pub(crate) mod recover;
mod stream;
mod typed;
mod zipkin;

use serde_json::Value as Json;

use crate::model::{Session, Warning};
use ingest::Ingest;
use recover::resync;
pub use stream::StreamDecoder;

/// What loading one file added to the session.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FileSummary {
    /// The file name as the user gave it.
    pub name: String,
    /// The format recognised ("OTLP/JSON", "gzip: Jaeger JSON", "zip (3 trace files)"), or "unknown".
    pub format: String,
    /// Spans added to the session (not counting exact duplicates of spans already loaded).
    pub spans: usize,
    /// Warnings this file added.
    pub warnings: usize,
    /// True when nothing in the file could be read as a trace.
    pub not_a_trace: bool,
    /// The file's content fingerprint ([`fingerprint`]), so a link can name a local file.
    pub fingerprint: String,
}

/// A content fingerprint of a file: 16 hex digits of a 64-bit hash of its bytes and length. It
/// tells one file from another for links, not for security (it is not a cryptographic hash).
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut f = Fingerprinter::new(bytes.len() as u64);
    f.update(bytes);
    f.finish()
}

/// [`fingerprint`] of bytes that come in pieces; the length must be known first.
pub(crate) struct Fingerprinter {
    h: u64,
    /// Bytes of a word not yet complete.
    tail: [u8; 8],
    tail_len: usize,
}

const FP_K: u64 = 0x9E37_79B9_7F4A_7C15;

fn fp_mix(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(FP_K).rotate_left(29)
}

impl Fingerprinter {
    pub(crate) fn new(len: u64) -> Fingerprinter {
        Fingerprinter {
            h: len.wrapping_mul(FP_K) ^ 0x2545_F491_4F6C_DD1D,
            tail: [0; 8],
            tail_len: 0,
        }
    }

    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        if self.tail_len > 0 {
            let take = (8 - self.tail_len).min(bytes.len());
            self.tail[self.tail_len..self.tail_len + take].copy_from_slice(&bytes[..take]);
            self.tail_len += take;
            bytes = &bytes[take..];
            if self.tail_len < 8 {
                return;
            }
            self.h = fp_mix(self.h, u64::from_le_bytes(self.tail));
            self.tail_len = 0;
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            self.h = fp_mix(self.h, u64::from_le_bytes(word));
        }
        let rest = words.remainder();
        self.tail[..rest.len()].copy_from_slice(rest);
        self.tail_len = rest.len();
    }

    pub(crate) fn finish(self) -> String {
        let mut tail = [0u8; 8];
        tail[..self.tail_len].copy_from_slice(&self.tail[..self.tail_len]);
        let mut h = fp_mix(self.h, u64::from_le_bytes(tail));
        h ^= h >> 31;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 29;
        format!("{h:016x}")
    }
}

/// Decodes one file into `session`.
pub fn decode_file(session: &mut Session, name: &str, bytes: &[u8]) -> FileSummary {
    decode_file_with_progress(session, name, bytes, &mut |_, _| {})
}

/// Decodes one file into `session`, calling `progress(bytes of the file read, the session so
/// far)` every few thousand spans (for compressed files the byte count is an estimate).
pub fn decode_file_with_progress(
    session: &mut Session,
    name: &str,
    bytes: &[u8],
    progress: &mut dyn FnMut(usize, &Session),
) -> FileSummary {
    let spans_before = session.spans.len();
    let warnings_before = session.warnings.len();
    session.files.push(name.to_string());
    let format = container::decode_any(session, name, bytes, 0, progress);
    close_file(
        session,
        name,
        format,
        bytes,
        (spans_before, warnings_before),
        fingerprint(bytes),
    )
}

/// What a file added once it was read: its summary, and for a file where nothing was a trace,
/// the one warning that says so (`head` is the file's beginning, at least its first 160 bytes).
pub(super) fn close_file(
    session: &mut Session,
    name: &str,
    format: Option<String>,
    head: &[u8],
    (spans_before, warnings_before): (usize, usize),
    fingerprint: String,
) -> FileSummary {
    let spans = session.spans.len() - spans_before;
    if format.is_none() {
        if let Some(kind) = container::packing(head) {
            // A gzip, zstd or zip that held no trace: its own warnings say what was inside.
            if session.warnings.len() == warnings_before {
                session.warnings.push(Warning {
                    source: name.to_string(),
                    location: String::new(),
                    reason: format!(
                        "not a trace file: {kind} data holding no OTLP, Jaeger or Zipkin data"
                    ),
                });
            }
        } else if let Some(start) = not_json(head) {
            // Not JSON at all (a log, a page, a binary): one line saying so, not a "not valid
            // JSON" for each line the reader tried (none of them held a trace).
            session.warnings.truncate(warnings_before);
            session.warnings.push(Warning {
                source: name.to_string(),
                location: String::new(),
                reason: format!(
                    "not a trace file: neither JSON (OTLP, Jaeger, Zipkin) nor gzip, zstd, zip or tar; it begins {start:?}"
                ),
            });
        } else if session.warnings.len() == warnings_before {
            session.warnings.push(Warning {
                source: name.to_string(),
                location: String::new(),
                reason: "not a trace file: no OTLP, Jaeger or Zipkin data found".into(),
            });
        }
    }
    FileSummary {
        fingerprint,
        name: name.to_string(),
        not_a_trace: format.is_none(),
        format: format.unwrap_or_else(|| "unknown".into()),
        spans,
        warnings: session.warnings.len() - warnings_before,
    }
}

/// The bytes after a UTF-8 byte-order mark, if they start with one.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Where the first byte that is not JSON white space is.
fn first_non_blank(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| !b.is_ascii_whitespace())
}

/// For content that cannot be JSON (its first character, after a byte-order mark and white
/// space, opens no object or array): its first 40 characters on its first line, for a message.
fn not_json(bytes: &[u8]) -> Option<String> {
    let text = strip_bom(bytes);
    let start = first_non_blank(text)?;
    if matches!(text[start], b'{' | b'[') {
        return None;
    }
    let rest = &text[start..text.len().min(start + 160)];
    let line = rest.split(|&b| b == b'\n').next().unwrap_or(rest);
    let line = String::from_utf8_lossy(line);
    let mut excerpt: String = line
        .chars()
        .take(40)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().count() > 40 {
        excerpt.push('…');
    }
    Some(excerpt.trim_end().to_string())
}

/// JSON of any supported kind: a top-level array is Jaeger (traces or spans) or Zipkin v2;
/// objects (one, several concatenated, or JSON Lines) are OTLP or Jaeger.
fn decode_json(
    session: &mut Session,
    source: &str,
    bytes: &[u8],
    progress: &mut dyn FnMut(usize, &Session),
) -> Option<String> {
    let text = strip_bom(bytes);
    if first_non_blank(text).map(|i| text[i]) != Some(b'[') || otlp::is_array_of_documents(text) {
        return otlp::decode(session, source, bytes, progress).map(str::to_string);
    }
    let mut ingest = Ingest::new(session, source);
    if typed::decode_array(&mut ingest, text) {
        progress(bytes.len(), ingest.session);
        return ingest.format.map(str::to_string);
    }
    match serde_json::from_slice::<Json>(text) {
        Ok(Json::Array(items)) => decode_array(&mut ingest, &items),
        Ok(_) => {}
        Err(e) => {
            // Cut off or damaged: the whole spans before that point are read, and after damage
            // (not a cut) every whole record after it.
            let spans = ingest.session.spans.len();
            let checkpoint = ingest.checkpoint();
            let got = resync::recover(text, &e, None, 0);
            match &got.json {
                Some(Json::Array(items)) => decode_array(&mut ingest, items),
                Some(object) => {
                    jaeger::decode_object(&mut ingest, object, 1);
                }
                None => {}
            }
            let kept = ingest.session.spans.len() - spans;
            let why = short_why(&e);
            let location = format!("line {}, column {}", e.line(), e.column());
            if kept > 0 {
                let report = closed_report(&why, kept, &got);
                ingest.warn(location, report);
            } else {
                ingest.rollback(checkpoint);
                ingest.warn(location, format!("not valid JSON ({why}); nothing read"));
            }
        }
    }
    progress(bytes.len(), ingest.session);
    ingest.format.map(str::to_string)
}

/// A top-level JSON array: Zipkin v2 spans, Jaeger traces or spans, OTLP documents, or not a
/// trace.
fn decode_array(ingest: &mut Ingest<'_>, items: &[Json]) {
    // Zipkin's trace search (`/api/v2/traces`) answers a list of traces, each a list of spans.
    if items.iter().any(Json::is_array) {
        let mut flat = Vec::new();
        let mut paths = Vec::new();
        for (t, item) in items.iter().enumerate() {
            match item {
                Json::Array(spans) => {
                    for (i, span) in spans.iter().enumerate() {
                        flat.push(span.clone());
                        paths.push(format!("[{t}][{i}]"));
                    }
                }
                other => {
                    flat.push(other.clone());
                    paths.push(format!("[{t}]"));
                }
            }
        }
        if zipkin::looks_like(&flat) {
            zipkin::decode_array(ingest, &flat, Some(&paths));
            return;
        }
    }
    if zipkin::looks_like(items) {
        zipkin::decode_array(ingest, items, None);
    } else if !jaeger::decode_array(ingest, items) && !otlp::decode_documents(ingest, items) {
        ingest.warn(
            String::new(),
            "a JSON array of neither Jaeger traces/spans, Zipkin spans nor OTLP documents: not a trace"
                .into(),
        );
    }
}

/// A parser's error without its position (the reports give the position their own way).
fn short_why(e: &serde_json::Error) -> String {
    let why = e.to_string();
    why.split(" at line").next().unwrap_or("").to_string()
}

/// What reading a Jaeger or Zipkin document that stops being JSON kept (`kept` spans) and lost.
fn closed_report(why: &str, kept: usize, got: &resync::Recovered) -> String {
    let (limit, cut_off, dropped, past) = (got.limit, got.cut_off, got.dropped, &got.past);
    let (spans, are) = if kept == 1 {
        ("span", "is")
    } else {
        ("spans", "are")
    };
    let dropped = if dropped > 0 {
        ", the span written only in part where it stops was dropped"
    } else {
        ""
    };
    if cut_off {
        format!(
            "not valid JSON ({why}): the document stops at byte {limit} before it is complete (the file looks cut off); the {kept} whole {spans} before that {are} kept{dropped}, and what was to follow is lost"
        )
    } else if past.from.is_some() {
        format!(
            "not valid JSON ({why} at byte {limit}): {kept} whole {spans} kept in all{dropped}{}",
            past.words()
        )
    } else {
        format!(
            "not valid JSON ({why} at byte {limit}): the {kept} whole {spans} before that point {are} kept{dropped}; what follows it was not read"
        )
    }
}

/// Line and column (1-based) of a byte offset, for warnings that point into a file.
pub(crate) fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let upto = &bytes[..offset.min(bytes.len())];
    let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = upto.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

#[cfg(feature = "testing")]
pub(crate) use otlp::{fast_path_bails, without_fast_path};
#[cfg(feature = "testing")]
pub(crate) use typed::{reads as typed_reads, without as without_typed};

#[cfg(feature = "testing")]
/// Fuzzing entry: the OTLP reader on arbitrary bytes.
pub(crate) fn fuzz_otlp(session: &mut Session, bytes: &[u8]) {
    let _ = otlp::decode(session, "fuzz", bytes, &mut |_, _| {});
}

#[cfg(feature = "testing")]
/// Fuzzing entry: the Jaeger reader on arbitrary bytes (arrays and objects).
/// Invalid JSON goes to the file reader, which reads what it can of it (see [`close`]).
pub(crate) fn fuzz_jaeger(session: &mut Session, bytes: &[u8]) {
    match serde_json::from_slice::<Json>(bytes) {
        Ok(Json::Array(items)) => {
            let _ = jaeger::decode_array(&mut Ingest::new(session, "fuzz"), &items);
        }
        Ok(json) => {
            let _ = jaeger::decode_object(&mut Ingest::new(session, "fuzz"), &json, 1);
        }
        Err(_) => {
            let _ = decode_json(session, "fuzz", bytes, &mut |_, _| {});
        }
    }
}

#[cfg(feature = "testing")]
/// Fuzzing entry: the Zipkin reader on arbitrary bytes (invalid JSON as [`fuzz_jaeger`]).
pub(crate) fn fuzz_zipkin(session: &mut Session, bytes: &[u8]) {
    match serde_json::from_slice::<Json>(bytes) {
        Ok(Json::Array(items)) => {
            zipkin::decode_array(&mut Ingest::new(session, "fuzz"), &items, None)
        }
        Ok(_) => {}
        Err(_) => {
            let _ = decode_json(session, "fuzz", bytes, &mut |_, _| {});
        }
    }
}
