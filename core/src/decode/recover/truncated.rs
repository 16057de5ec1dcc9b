//! Closing a JSON document that stops before it is complete (a Jaeger or Zipkin file cut off
//! while it was written, or damaged part-way): everything up to the last value completed before
//! the damage is kept, the arrays and objects still open are closed, and the span the document
//! stopped in is dropped rather than read half-written. The OTLP reader has its own, finer
//! salvage (`otlp/salvage.rs`), which also reads on past the damage; Jaeger and Zipkin nest spans
//! under traces and processes that come after them, so for them the part before the damage is
//! what can be trusted.

use crate::decode::json_bytes::string_end;
use serde_json::Value as Json;

/// The member every object closed here carries, so what was cut can be found after parsing.
const CUT: &str = "\u{0}sightline.cut";

#[derive(Clone, Copy)]
enum Frame {
    /// An object: whether it has a member yet, and whether a key was read whose value is next.
    Object {
        members: bool,
        want_value: bool,
    },
    Array,
}

/// The open containers after the last completed value, and where it ended. The copy is kept up
/// to date by what changed since the last value (a deep document cut off at every value would
/// otherwise copy its whole stack each time, quadratic in its depth).
#[derive(Default)]
struct Safe {
    pos: Option<usize>,
    frames: Vec<Frame>,
    /// The fewest frames the stack held since `frames` was taken: those below the last of them
    /// have not changed.
    low: usize,
}

impl Safe {
    fn record(&mut self, at: usize, stack: &[Frame]) {
        let keep = self.low.saturating_sub(1).min(self.frames.len());
        self.frames.truncate(keep);
        self.frames.extend_from_slice(&stack[keep..]);
        self.low = stack.len();
        self.pos = Some(at);
    }
}

/// Where the text stops being a JSON prefix and what survived of it.
pub(crate) struct Closed {
    /// The document, closed.
    pub json: Json,
    /// Objects that looked like spans, dropped because the damage came inside them (0 or 1).
    pub dropped: usize,
}

/// The longest whole-value prefix of `text[..limit]` (text that is valid JSON up to `limit`, as
/// the parser said) as a document of its own, the containers open at that point closed. `None`
/// when no value was completed before `limit` or the result is no object or array.
pub(crate) fn close(text: &[u8], limit: usize) -> Option<Closed> {
    let limit = limit.min(text.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut safe = Safe::default();
    let mut i = 0;
    let completed = |stack: &mut Vec<Frame>, safe: &mut Safe, at: usize| {
        if let Some(Frame::Object {
            members,
            want_value,
        }) = stack.last_mut()
        {
            *members = true;
            *want_value = false;
        }
        safe.record(at, stack);
    };
    while i < limit {
        match text[i] {
            b'{' | b'[' => {
                // The value of an object's member: the object has that member, closed or not.
                if let Some(Frame::Object { members, .. }) = stack.last_mut() {
                    *members = true;
                }
                stack.push(if text[i] == b'{' {
                    Frame::Object {
                        members: false,
                        want_value: false,
                    }
                } else {
                    Frame::Array
                });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                safe.low = safe.low.min(stack.len());
                i += 1;
                completed(&mut stack, &mut safe, i);
            }
            b'"' => {
                let Some(end) = string_end(&text[..limit], i + 1) else {
                    break;
                };
                let is_key = matches!(
                    stack.last(),
                    Some(Frame::Object {
                        want_value: false,
                        ..
                    })
                );
                if !is_key {
                    completed(&mut stack, &mut safe, end);
                }
                i = end;
            }
            b':' => {
                if let Some(Frame::Object { want_value, .. }) = stack.last_mut() {
                    *want_value = true;
                }
                i += 1;
            }
            b',' => {
                if let Some(Frame::Object { want_value, .. }) = stack.last_mut() {
                    *want_value = false;
                }
                i += 1;
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            _ => {
                // A number, true, false or null: whole only once something follows it.
                let rest = &text[i..limit];
                let Some(len) = rest.iter().position(|&b| {
                    matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b':')
                }) else {
                    break;
                };
                if !is_scalar(&rest[..len]) {
                    break;
                }
                i += len;
                completed(&mut stack, &mut safe, i);
            }
        }
    }
    let (pos, frames) = (safe.pos?, safe.frames);
    let mut closed = Vec::with_capacity(pos + frames.len() * (CUT.len() + 12));
    closed.extend_from_slice(&text[..pos]);
    for frame in frames.iter().rev() {
        match frame {
            Frame::Object { members, .. } => {
                if *members {
                    closed.push(b',');
                }
                closed.extend_from_slice(b"\"\\u0000sightline.cut\":true}");
            }
            Frame::Array => closed.push(b']'),
        }
    }
    let parsed = serde_json::from_slice(&closed);
    debug_assert!(
        parsed.is_ok(),
        "closed text is not JSON: {}",
        String::from_utf8_lossy(&closed)
    );
    let mut json: Json = parsed.ok()?;
    if !(json.is_object() || json.is_array()) {
        return None;
    }
    let dropped = if is_open(&json) { strip(&mut json) } else { 0 };
    Some(Closed { json, dropped })
}

/// True for `true`, `false`, `null` or a JSON number.
fn is_scalar(token: &[u8]) -> bool {
    if matches!(token, b"true" | b"false" | b"null") {
        return true;
    }
    let digits = |t: &[u8]| t.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut t = token.strip_prefix(b"-").unwrap_or(token);
    let int = digits(t);
    if int == 0 || (int > 1 && t[0] == b'0') {
        return false;
    }
    t = &t[int..];
    if let Some(rest) = t.strip_prefix(b".") {
        let frac = digits(rest);
        if frac == 0 {
            return false;
        }
        t = &rest[frac..];
    }
    if let Some(rest) = t.strip_prefix(b"e").or_else(|| t.strip_prefix(b"E")) {
        let rest = rest
            .strip_prefix(b"+")
            .or_else(|| rest.strip_prefix(b"-"))
            .unwrap_or(rest);
        let exp = digits(rest);
        if exp == 0 {
            return false;
        }
        t = &rest[exp..];
    }
    t.is_empty()
}

/// True for a value this module closed: an object carrying [`CUT`], or an array whose last
/// element is one.
fn is_open(v: &Json) -> bool {
    match v {
        Json::Object(m) => m.contains_key(CUT),
        Json::Array(a) => a.last().is_some_and(is_open),
        _ => false,
    }
}

/// An object that holds one span (Jaeger `spanID`/`operationName`, Zipkin `traceId` without
/// `spans`), rather than spans.
fn is_span(m: &serde_json::Map<String, Json>) -> bool {
    m.contains_key("spanID")
        || m.contains_key("operationName")
        || (m.contains_key("traceId") && !m.contains_key("spans"))
}

/// Removes the marks of [`close`] from the open values, and drops the last element of an open
/// array when it is a span written only in part (a span itself, or among spans), or an object
/// the cut left empty. Returns the
/// spans dropped. Only the chain of open values is walked, not the whole document.
fn strip(v: &mut Json) -> usize {
    match v {
        Json::Object(m) => {
            m.remove(CUT);
            let mut dropped = 0;
            for child in m.values_mut() {
                if is_open(child) {
                    dropped += strip(child);
                }
            }
            dropped
        }
        Json::Array(a) => {
            // Its elements are spans when the first is one.
            let of_spans = a
                .first()
                .and_then(Json::as_object)
                .is_some_and(|m| is_span(m) && !m.contains_key(CUT));
            let Some(last) = a.last_mut() else {
                return 0;
            };
            if let Json::Object(m) = last {
                if m.contains_key(CUT) && (of_spans || is_span(m) || m.len() == 1) {
                    let span = of_spans || is_span(m);
                    a.pop();
                    return usize::from(span);
                }
            }
            strip(last)
        }
        _ => 0,
    }
}

/// Where a document that a parser found not to be JSON stops being JSON, and whether it was cut
/// off there (the error is at the end of the text: the parser ran out of text, or read a
/// number, literal or escape that the end cut short) rather than damaged.
pub(crate) fn stop(text: &[u8], err: &serde_json::Error) -> (usize, bool) {
    let end = text.len()
        - text
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    if err.is_eof() {
        return (text.len(), true);
    }
    let at = offset_of(text, err.line(), err.column());
    if at + 1 >= end {
        (text.len(), true)
    } else {
        (at, false)
    }
}

/// The byte offset of a parser's error position (1-based line and column, as `serde_json`
/// gives them) in `text`; the end of the text for a position past it.
pub(crate) fn offset_of(text: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match memchr::memchr(b'\n', &text[start..]) {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    (start + column.saturating_sub(1)).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(text: &str) -> Option<(String, usize)> {
        close(text.as_bytes(), text.len()).map(|c| (c.json.to_string(), c.dropped))
    }

    #[test]
    fn a_cut_array_keeps_its_whole_elements_and_drops_a_half_written_span() {
        let text = r#"[{"traceId":"a","id":"1","name":"x"},{"traceId":"a","id":"2","na"#;
        assert_eq!(
            closed(text),
            Some((r#"[{"id":"1","name":"x","traceId":"a"}]"#.into(), 1))
        );
        // Cut right after the opening brace: an empty object, dropped, no span counted.
        assert_eq!(
            closed(r#"[{"id":"1","traceId":"a"},{"#),
            Some((r#"[{"id":"1","traceId":"a"}]"#.into(), 0))
        );
    }

    #[test]
    fn containers_of_spans_are_kept_open_and_closed() {
        let text = r#"{"data":[{"traceID":"t","spans":[{"spanID":"1"},{"spanID":"2","operationName":"o","tags":[{"key":"k","#;
        assert_eq!(
            closed(text),
            Some((
                r#"{"data":[{"spans":[{"spanID":"1"}],"traceID":"t"}]}"#.into(),
                1
            ))
        );
        // A cut inside processes, after the spans: the spans and the whole processes stay.
        let text = r#"{"traceID":"t","spans":[{"spanID":"1","processID":"p1"}],"processes":{"p1":{"serviceName":"a"},"p2":{"serviceName":"b","tags":[{"key":"#;
        let (json, dropped) = closed(text).expect("closed");
        assert_eq!(dropped, 0);
        assert!(json.contains(r#""p1":{"serviceName":"a"}"#), "{json}");
        assert!(json.contains(r#""p2":{"serviceName":"b"}"#), "{json}");
    }

    #[test]
    fn scalars_strings_and_escapes_are_whole_only_when_they_end() {
        assert_eq!(closed(r#"[1, 2, 3"#), Some(("[1,2]".into(), 0)));
        assert_eq!(closed(r#"["a\"b", "c\"#), Some((r#"["a\"b"]"#.into(), 0)));
        assert_eq!(closed(r#"[true, fal"#), Some(("[true]".into(), 0)));
        assert_eq!(closed("[1.5e3, -0, 2.]"), Some(("[1500.0,-0.0]".into(), 0)));
        assert!(!is_scalar(b"01") && !is_scalar(b"-") && !is_scalar(b"1e") && !is_scalar(b"tru"));
        assert_eq!(closed(r#"{"a""#), None);
        assert_eq!(closed("   "), None);
    }

    #[test]
    fn a_limit_before_the_end_keeps_what_came_before_it() {
        let text =
            br#"[{"id":"1","traceId":"a"},{"id":"2" "traceId":"a"},{"id":"3","traceId":"a"}]"#;
        let at = text.windows(2).position(|w| w == b"\" ").expect("damage") + 1;
        let c = close(text, at).expect("closed");
        assert_eq!(c.json.to_string(), r#"[{"id":"1","traceId":"a"}]"#);
        assert_eq!(
            c.dropped, 1,
            "the second, among spans, is a span written in part"
        );
        assert_eq!(offset_of(b"ab\ncd\nef", 2, 2), 4);
        assert_eq!(offset_of(b"ab", 5, 1), 2);
    }
}
