//! The session: every span loaded from one or several files, with the strings, resources and
//! scopes they share, and an index to find a span by its ids.

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::fmt;
use std::hash::BuildHasher;

use serde::{Deserialize, Serialize};

use crate::model::intern::{Interner, Sym};
use crate::model::{Resource, Scope, Span, SpanId, StatusCode, TraceId, Value, Warning};

/// What a span without a name is shown as ([`Session::shown_name`]).
pub const UNNAMED: &str = "(no name)";

/// The service of a span whose resource names none, as the OpenTelemetry SDKs default it.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// Sessions of up to this many spans grow their span list straight to the estimate of the
/// spans to come ([`Session::push_span`]).
pub const SMALL_SESSION: usize = 100_000;

/// Everything loaded into one viewing session, from one or several files.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Session {
    pub strings: Interner,
    pub resources: Vec<Resource>,
    pub scopes: Vec<Scope>,
    pub spans: Vec<Span>,
    /// What was skipped or repaired while decoding, in file order.
    pub warnings: Vec<Warning>,
    /// Names of the files loaded, in order.
    pub files: Vec<String>,
    /// Spans dropped because the very same span had been loaded already.
    pub duplicates: usize,
    /// Where the spans came from: each file or archive entry, from the span it starts at, in
    /// span order ([`Session::origin_index_of`]). A run without CI attributes is told by it.
    pub origins: Vec<Origin>,
    /// The span counts this session was cut back to while decoding (a document read again
    /// another way), in order: lets a reader that is sent spans as they are decoded take back
    /// those that were removed. Does not travel.
    #[serde(skip)]
    pub rollbacks: Vec<usize>,
    /// Where each (trace id, span id) sits in `spans`, for decoding. It does not travel with a
    /// snapshot; [`Session::rebuild_index`] restores it when more files are to be decoded into a
    /// received session.
    #[serde(skip)]
    pub span_index: SpanIndex,
    /// The spans a decoder expects this session to hold once the file is read (0: no
    /// estimate), from the share of the file read so far; guides how the span list grows
    /// ([`Session::push_span`]). Does not travel.
    #[serde(skip)]
    pub expected_spans: usize,
}

/// A session's size in each of its parts ([`Session::mark`]).
#[derive(Clone, Debug)]
pub struct Mark {
    strings: usize,
    resources: usize,
    scopes: usize,
    spans: usize,
    warnings: usize,
    files: usize,
    origins: usize,
    duplicates: usize,
}

/// The file or archive entry (`runs.zip/run-3/traces.json`) that spans from `first_span` on,
/// up to the next origin's, came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub first_span: u32,
    pub source: String,
}

/// Where each (trace id, span id) sits in [`Session::spans`]: a hash table of 4-byte span
/// indices that reads the ids from the spans themselves, a fraction of what a map holding the
/// ids as keys would take.
#[derive(Clone, Default)]
pub struct SpanIndex {
    table: HashTable<u32>,
}

impl fmt::Debug for SpanIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanIndex({} spans)", self.table.len())
    }
}

fn key_hash(trace: TraceId, span: SpanId) -> u64 {
    FxBuildHasher.hash_one((trace, span))
}

/// Whether the entry `i` of a [`SpanIndex`] names the span with these ids.
fn names(spans: &[Span], trace: TraceId, span: SpanId) -> impl Fn(&u32) -> bool + '_ {
    move |&i| {
        spans
            .get(i as usize)
            .is_some_and(|s| s.trace_id == trace && s.span_id == span)
    }
}

impl SpanIndex {
    /// The index of the span with these ids, if `spans` holds one.
    pub fn get(&self, spans: &[Span], trace: TraceId, span: SpanId) -> Option<u32> {
        self.table
            .find(key_hash(trace, span), names(spans, trace, span))
            .copied()
    }

    /// Records that `spans[index]` (already pushed) is where its ids sit.
    pub fn insert(&mut self, spans: &[Span], index: u32) {
        let Some(s) = spans.get(index as usize) else {
            return;
        };
        self.table
            .insert_unique(key_hash(s.trace_id, s.span_id), index, |&i| {
                spans
                    .get(i as usize)
                    .map_or(0, |s| key_hash(s.trace_id, s.span_id))
            });
    }

    /// Makes room for `more` spans.
    pub fn reserve(&mut self, spans: &[Span], more: usize) {
        self.table.reserve(more, |&i| {
            spans
                .get(i as usize)
                .map_or(0, |s| key_hash(s.trace_id, s.span_id))
        });
    }

    /// Forgets the entry of this (trace id, span id), looked up in `spans`.
    pub fn remove(&mut self, spans: &[Span], trace: TraceId, span: SpanId) {
        let found = self
            .table
            .find_entry(key_hash(trace, span), names(spans, trace, span));
        if let Ok(entry) = found {
            entry.remove();
        }
    }

    /// Number of spans indexed.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when no span is indexed.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

impl Session {
    /// Rebuilds the (trace id, span id) index, which is not part of the binary form.
    pub fn rebuild_index(&mut self) {
        let mut index = SpanIndex {
            table: HashTable::with_capacity(self.spans.len()),
        };
        for i in 0..self.spans.len() {
            index.insert(&self.spans, u32::try_from(i).unwrap_or(u32::MAX));
        }
        self.span_index = index;
    }

    /// Makes room for `more` spans in the span index (about 5 bytes a span, so an estimate that
    /// runs high costs little; the span list itself grows as spans come, since reserving it
    /// from an estimate raised the decoder's peak memory by a quarter of the file), and notes
    /// the count as [`Session::expected_spans`] for the list's growth.
    pub fn reserve_spans(&mut self, more: usize) {
        self.span_index.reserve(&self.spans, more);
        self.expected_spans = self.spans.len().saturating_add(more);
    }

    /// Appends a span. A full list grows to the expected count ([`Session::expected_spans`])
    /// when that is well under doubling it (and by at least an eighth), else it doubles: a list
    /// that doubles near its end holds the copy and the unused room at the decoder's peak.
    /// Doubling stays when the estimate is near it: a short estimate costs a second copy of the
    /// whole list, which for a million-span file raises the peak more than doubling does.
    ///
    /// A session of up to [`SMALL_SESSION`] spans grows straight to an estimate beyond doubling
    /// too: many tiny traces would otherwise double and then grow to their estimate, two copies
    /// of which the last sets the decoder's peak. For bigger sessions an early estimate is less
    /// sure than doubling's last step, and growing to it raised the peak.
    pub fn push_span(&mut self, span: Span) {
        let len = self.spans.len();
        if len == self.spans.capacity() && self.expected_spans > len {
            let doubled = len.saturating_mul(2).max(4);
            let expected = self.expected_spans;
            let beyond = expected > doubled && expected <= SMALL_SESSION;
            if beyond || expected.saturating_mul(100) < doubled.saturating_mul(85) {
                let to = self.expected_spans.max(len + len / 8 + 1);
                self.spans.reserve_exact(to - len);
            }
        }
        self.spans.push(span);
    }

    /// What the session holds now, to go back to with [`Session::rollback`].
    pub fn mark(&self) -> Mark {
        Mark {
            strings: self.strings.len(),
            resources: self.resources.len(),
            scopes: self.scopes.len(),
            spans: self.spans.len(),
            warnings: self.warnings.len(),
            files: self.files.len(),
            origins: self.origins.len(),
            duplicates: self.duplicates,
        }
    }

    /// Takes the session back to `mark`, every part of it: what was read since is forgotten
    /// as if never read, so reading it again another way gives what that way alone gives.
    pub fn rollback(&mut self, mark: &Mark) {
        self.remove_spans_from(mark.spans);
        self.strings.truncate(mark.strings);
        self.resources.truncate(mark.resources);
        self.scopes.truncate(mark.scopes);
        self.warnings.truncate(mark.warnings);
        self.files.truncate(mark.files);
        self.origins.truncate(mark.origins);
        self.duplicates = mark.duplicates;
    }

    /// Removes the spans from `len` on, from the list and the index, and notes the cut in
    /// [`Session::rollbacks`].
    pub fn remove_spans_from(&mut self, len: usize) {
        if self.spans.len() > len {
            self.rollbacks.push(len);
        }
        // Newest first: each span's entry is found while the spans it is compared with remain.
        while self.spans.len() > len {
            let s = &self.spans[self.spans.len() - 1];
            let (trace, span) = (s.trace_id, s.span_id);
            self.span_index.remove(&self.spans, trace, span);
            self.spans.pop();
        }
    }

    /// Notes that the spans pushed from now on come from `source` (a file, or an entry of an
    /// archive). Origins that ended up holding no span (their spans were taken back) are dropped.
    pub fn note_origin(&mut self, source: &str) {
        let at = u32::try_from(self.spans.len()).unwrap_or(u32::MAX);
        while self.origins.last().is_some_and(|o| o.first_span >= at) {
            self.origins.pop();
        }
        if self.origins.last().is_none_or(|o| o.source != source) {
            self.origins.push(Origin {
                first_span: at,
                source: source.to_string(),
            });
        }
    }

    /// The index into [`Session::origins`] of the file or archive entry span `index` came from
    /// (`None` when no origin was noted).
    pub fn origin_index_of(&self, index: u32) -> Option<usize> {
        let after = self.origins.partition_point(|o| o.first_span <= index);
        after.checked_sub(1)
    }

    /// The service name of a span.
    pub fn service_of(&self, span: &Span) -> &str {
        self.resources
            .get(span.resource as usize)
            .map_or(UNKNOWN_SERVICE, |r| self.service_name(r.service))
    }

    /// The name of a service ([`crate::TraceTree::services`] holds [`Sym::EMPTY`] for spans
    /// with no resource): [`UNKNOWN_SERVICE`] for the empty one, as the SDKs default it.
    pub fn service_name(&self, service: Sym) -> &str {
        if service == Sym::EMPTY {
            UNKNOWN_SERVICE
        } else {
            self.strings.get(service)
        }
    }

    /// The name to show for a span: Logfire's formatted `logfire.msg` when present, else the name.
    pub fn display_name(&self, span: &Span) -> &str {
        if let Some(key) = self.strings.lookup("logfire.msg") {
            if let Some(Value::Str(msg)) = span.attribute(key) {
                let msg = self.strings.get(*msg);
                if !msg.is_empty() {
                    return msg;
                }
            }
        }
        self.strings.get(span.name)
    }

    /// The name to show a person: [`Session::display_name`], or [`UNNAMED`] when that is empty or
    /// blank (Zipkin and Jaeger spans may have no name), so a row or a title is never blank.
    pub fn shown_name(&self, span: &Span) -> &str {
        let name = self.display_name(span);
        if name.trim().is_empty() {
            UNNAMED
        } else {
            name
        }
    }

    /// True when the span failed: status ERROR, or an `exception` event.
    pub fn is_error(&self, span: &Span) -> bool {
        Session::is_error_with(span, self.strings.lookup("exception"))
    }

    /// [`Session::is_error`] with the session's handle of "exception" looked up by the caller
    /// (once for many spans).
    pub fn is_error_with(span: &Span, exception: Option<Sym>) -> bool {
        span.status.code == StatusCode::Error
            || exception.is_some_and(|exc| span.events.iter().any(|e| e.name == exc))
    }

    /// A string attribute's text, when the span has it.
    pub fn str_attribute<'a>(&'a self, span: &'a Span, key: &str) -> Option<&'a str> {
        let key = self.strings.lookup(key)?;
        span.attribute(key)
            .and_then(Value::as_str)
            .map(|s| self.strings.get(s))
    }
}
