//! Spans out of an OTLP/JSON document that is not valid JSON: a file cut off while it was being
//! written (a CI job killed at its time limit, an upload or a download that stopped), one bad
//! byte in a file of a hundred thousand spans, a writer that put raw tabs or `NaN` in its JSON.
//! A JSON parser gives up on such a document as a whole; here every span that is whole in it is
//! kept.
//!
//! The document is walked as far as it goes, tolerating what is not JSON: objects and arrays are
//! followed by the keys that lead to spans (`resourceSpans` / `batches`, `resource`,
//! `scopeSpans`, `scope`, `spans`, the wrappers `trace` and `result`), every span is taken whole
//! as text (brackets matched outside strings) and read on its own, with its resource and scope.
//! A span that does not read is first repaired where the damage is a known writer's habit (raw
//! control characters in strings, bare `NaN` / `Infinity`, an unknown escape, an unpaired
//! surrogate); a span still unreadable is skipped and named (line and byte offset). When a
//! span's brackets do not close before the next span begins (a lost quote or brace), it ends
//! there. A document that ends inside a span was cut off: the spans before are kept and the
//! cut is reported.

use std::fmt::{self, Display};

mod repair;
mod walk;

use super::{Ingest, LineCounter, RawResource, RawScope, RawSpan, REPORT_EVERY};
use crate::model::Session;
use repair::repair;

/// Bytes walked between two progress reports when no spans were read.
const REPORT_BYTES: usize = 4 << 20;

/// What salvaging one document found.
pub(super) struct Salvaged {
    /// Whether the document led to any list of resourceSpans (it is OTLP).
    pub found: bool,
    pub spans: usize,
    pub repaired: usize,
    pub skipped: usize,
    /// Byte offset where the document was cut off, when it ended inside a span or an object.
    pub cut_at: Option<usize>,
}

/// What an open object or array is, by the key that led to it.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Role {
    /// A document (or Tempo's `trace`, Jaeger v3's `result`).
    Document,
    ResourceSpansList,
    ResourceSpans,
    ScopeSpansList,
    ScopeSpans,
    Spans,
    /// Anything else: walked past.
    Other,
}

/// Where the walk goes on after a span.
enum Next {
    At(usize),
    /// At a key of a new document, resourceSpans or scopeSpans met after damage: the walk
    /// closes what was open down to that level and opens it anew.
    Resync(usize, Level),
}

#[derive(Clone, Copy)]
enum Level {
    Document,
    Resource,
    Scope,
}

/// The spans of one scopeSpans, read when it closes (its scope may come after them).
#[derive(Default)]
struct Group {
    scope: Option<(usize, usize)>,
    spans: Vec<(usize, usize)>,
}

/// The groups of one resourceSpans, read when it closes (its resource may come after them).
#[derive(Default)]
struct Pending {
    resource: Option<(usize, usize)>,
    groups: Vec<Group>,
}

/// Where a salvaged span was.
struct At {
    line: usize,
    byte: usize,
}

impl Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, byte {}", self.line, self.byte)
    }
}

struct Walk<'t, 'i, 's> {
    ingest: &'i mut Ingest<'s>,
    text: &'t str,
    b: &'t [u8],
    /// End of the region the document may occupy.
    end: usize,
    lines: LineCounter,
    pending: Vec<Pending>,
    out: Salvaged,
    /// The last search for a span's start: where it began, what it found.
    last_search: std::cell::Cell<(usize, Option<usize>)>,
    /// Bytes [`Walk::holds_a_span`] may still walk: text made of nothing but objects that open
    /// like a sorted span is not walked 64 KB at a time at every brace.
    sorted_budget: std::cell::Cell<usize>,
    progress: &'i mut dyn FnMut(usize, &Session),
    /// The spans, and the byte, at which progress is next reported.
    next_report: (usize, usize),
}

/// Salvages the document at `start`, which may run to `end` at most. Returns what it found and
/// where reading goes on.
pub(super) fn document<'i>(
    ingest: &'i mut Ingest<'_>,
    text: &str,
    (start, end): (usize, usize),
    progress: &'i mut dyn FnMut(usize, &Session),
) -> (Salvaged, usize) {
    let next_report = (
        ingest.session.spans.len() + REPORT_EVERY,
        start + REPORT_BYTES,
    );
    let origin = ingest.origin;
    let mut walk = Walk {
        ingest,
        progress,
        next_report,
        text,
        b: text.as_bytes(),
        end,
        lines: LineCounter::from(origin),
        pending: Vec::new(),
        last_search: std::cell::Cell::new((usize::MAX, None)),
        sorted_budget: std::cell::Cell::new(4 * end.saturating_sub(start) + (1 << 20)),
        out: Salvaged {
            found: false,
            spans: 0,
            repaired: 0,
            skipped: 0,
            cut_at: None,
        },
    };
    let stop = walk.run(start);
    // Where the text stopped, in the file (the text may be a window of it).
    walk.out.cut_at = walk.out.cut_at.map(|at| origin.byte + at);
    (walk.out, stop)
}

/// Reads `text` as a `T`, or else its repair (written into `fixed`). The bool says whether it
/// was repaired.
fn read<'x, T: serde::Deserialize<'x>>(
    text: &'x str,
    fixed: &'x mut String,
) -> Result<(T, bool), String> {
    match serde_json::from_str::<T>(text) {
        Ok(v) => Ok((v, false)),
        Err(first) => {
            *fixed = repair(text);
            let fixed: &'x String = fixed;
            if fixed == text {
                return Err(short(&first));
            }
            serde_json::from_str::<T>(fixed)
                .map(|v| (v, true))
                .map_err(|_| short(&first))
        }
    }
}

/// serde_json's message without its position (the warning names the span's own place).
fn short(e: &serde_json::Error) -> String {
    e.to_string()
        .split(" at line")
        .next()
        .unwrap_or("")
        .to_string()
}

/// The role of an object or array opened with `open` inside `parent`, after `key`.
fn child_role(parent: Option<Role>, key: Option<&str>, open: u8) -> Role {
    let object = open == b'{';
    match (parent, key) {
        (None, _) if object => Role::Document,
        (Some(Role::Document), Some("resourceSpans" | "resource_spans" | "batches")) if !object => {
            Role::ResourceSpansList
        }
        (Some(Role::Document), Some("trace" | "result")) if object => Role::Document,
        (Some(Role::ResourceSpansList), None) if object => Role::ResourceSpans,
        (Some(Role::ResourceSpans), Some(k))
            if !object && crate::decode::otlp::is_scope_spans_key(k) =>
        {
            Role::ScopeSpansList
        }
        (Some(Role::ScopeSpansList), None) if object => Role::ScopeSpans,
        (Some(Role::ScopeSpans), Some("spans")) if !object => Role::Spans,
        (Some(Role::Spans), None) => Role::Spans,
        _ => Role::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_what_writers_get_wrong_and_leaves_json_alone() {
        let good = r#"{"a":"x\"y\\z\u00e9\ud83d\ude00","b":-1.5e3,"c":[true,null]}"#;
        assert_eq!(repair(good), good);
        assert_eq!(repair("{\"a\":\"tab\there\"}"), r#"{"a":"tab\u0009here"}"#);
        assert_eq!(
            repair(r#"{"v":NaN,"w":-Infinity,"x":"NaN"}"#),
            r#"{"v":"NaN","w":"-Infinity","x":"NaN"}"#
        );
        assert_eq!(repair(r#"{"p":"C:\dir"}"#), r#"{"p":"C:\\dir"}"#);
        assert_eq!(repair(r#"{"s":"\ud800!"}"#), r#"{"s":"\ufffd!"}"#);
        assert_eq!(repair(r#"{"s":"\udc00"}"#), r#"{"s":"\ufffd"}"#);
        for fixed in [
            repair("{\"a\":\"tab\there\"}"),
            repair(r#"{"p":"C:\dir","s":"\ud800"}"#),
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(&fixed).is_ok(),
                "{fixed}"
            );
        }
    }

    #[test]
    fn roles_follow_the_keys_that_lead_to_spans() {
        assert_eq!(child_role(None, None, b'{'), Role::Document);
        assert_eq!(
            child_role(Some(Role::Document), Some("batches"), b'['),
            Role::ResourceSpansList
        );
        assert_eq!(
            child_role(
                Some(Role::ResourceSpans),
                Some("instrumentationLibrarySpans"),
                b'['
            ),
            Role::ScopeSpansList
        );
        assert_eq!(
            child_role(Some(Role::ResourceSpans), Some("resource"), b'{'),
            Role::Other
        );
        assert_eq!(
            child_role(Some(Role::ScopeSpans), Some("spans"), b'['),
            Role::Spans
        );
        assert_eq!(child_role(Some(Role::Spans), None, b'{'), Role::Spans);
    }
}
