//! A look at a load still arriving: the traces decoded so far, as a [`Loaded`] of their own, so
//! the trace list, the failures and the waterfall fill in while a large file downloads.
//!
//! A preview holds a copy of the traces it shows, with their own strings, so the page can show
//! it and drop it whole when the next comes; the decoder's session goes on growing meanwhile.
//! Its size is bounded ([`PREVIEW_SPANS`]): the traces with errors first, then the others in the
//! order they began to arrive, as many as fit. [`Cadence`] says when one is worth making.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::decode::FileSummary;
use crate::model::intern::{Interner, Sym};
use crate::model::{Event, KeyValue, Link, Session, Span, TraceId, Value};
use crate::session::Loaded;

/// The most spans a preview copies: the decoder builds its trees and the page reads it in about
/// a tenth of a second each.
pub const PREVIEW_SPANS: usize = 100_000;

/// What a preview shows of the load so far, for the page to say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Glimpse {
    /// Traces decoded so far, and how many of them the preview shows.
    pub traces: u64,
    pub shown: u64,
    /// Spans decoded so far, and how many of them the preview shows.
    pub spans: u64,
    pub shown_spans: u64,
}

impl Glimpse {
    /// Whether the preview shows everything decoded so far.
    pub fn whole(&self) -> bool {
        self.shown == self.traces && self.shown_spans == self.spans
    }

    /// What the page says of it while the files arrive (`arriving`), or once the load stopped
    /// short with the preview kept: "Preview while loading: 3 of 5 traces read so far (1,200 of
    /// 90,000 spans). …"
    pub fn text(&self, arriving: bool) -> String {
        let traces = if self.whole() {
            format!("{} traces read so far", group(self.traces))
        } else {
            format!(
                "{} of {} traces read so far ({} of {} spans)",
                group(self.shown),
                group(self.traces),
                group(self.shown_spans),
                group(self.spans)
            )
        };
        if arriving {
            format!("Preview while loading: {traces}. Traces may still grow; everything is shown when the files have been read.")
        } else {
            format!("Loading stopped before the end: shown is a preview of {traces}.")
        }
    }
}

/// `1234567` as "1,234,567".
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How a trace stands so far.
struct Seen {
    id: TraceId,
    spans: usize,
    errors: bool,
}

/// The preview of `session` as decoded so far (with the summaries of the files already read):
/// the traces with errors, then the others in order of arrival, that fit in `budget` spans.
pub fn preview(session: &Session, files: &[FileSummary], budget: usize) -> (Loaded, Glimpse) {
    let exception = session.strings.lookup("exception");
    let mut at: FxHashMap<TraceId, usize> = FxHashMap::default();
    let mut traces: Vec<Seen> = Vec::new();
    for span in &session.spans {
        let i = *at.entry(span.trace_id).or_insert_with(|| {
            traces.push(Seen {
                id: span.trace_id,
                spans: 0,
                errors: false,
            });
            traces.len() - 1
        });
        let seen = &mut traces[i];
        seen.spans += 1;
        seen.errors = seen.errors || Session::is_error_with(span, exception);
    }
    drop(at);
    let mut order: Vec<&Seen> = traces.iter().collect();
    order.sort_by_key(|t| !t.errors);
    let mut room = budget;
    let mut chosen: FxHashSet<TraceId> = FxHashSet::default();
    for t in order {
        if t.spans <= room {
            room -= t.spans;
            chosen.insert(t.id);
        }
    }
    let sub = copy_traces(session, &chosen);
    let glimpse = Glimpse {
        traces: traces.len() as u64,
        shown: chosen.len() as u64,
        spans: session.spans.len() as u64,
        shown_spans: sub.spans.len() as u64,
    };
    (Loaded::with_trees(sub, files.to_vec()), glimpse)
}

/// A session of the spans of `traces`, in the order they came, with their own strings,
/// resources and scopes; its files and origins are those of the load so far. What was skipped
/// or repaired is not in it: that is listed once, when the files have been read.
fn copy_traces(session: &Session, traces: &FxHashSet<TraceId>) -> Session {
    let mut sub = Session {
        files: session.files.clone(),
        duplicates: session.duplicates,
        ..Session::default()
    };
    let mut copy = Copier {
        from: &session.strings,
        syms: FxHashMap::default(),
    };
    let mut resources: FxHashMap<u32, u32> = FxHashMap::default();
    let mut scopes: FxHashMap<u32, u32> = FxHashMap::default();
    let mut origin = None;
    for (i, span) in session.spans.iter().enumerate() {
        if !traces.contains(&span.trace_id) {
            continue;
        }
        let from = session.origin_index_of(u32::try_from(i).unwrap_or(u32::MAX));
        if from != origin {
            origin = from;
            if let Some(o) = from.and_then(|o| session.origins.get(o)) {
                sub.note_origin(&o.source);
            }
        }
        let mut span = copy.span(&mut sub.strings, span);
        span.resource = match session.resources.get(span.resource as usize) {
            Some(resource) => *resources.entry(span.resource).or_insert_with(|| {
                let mut r = resource.clone();
                r.service = copy.sym(&mut sub.strings, r.service);
                copy.attributes(&mut sub.strings, &mut r.attributes);
                sub.resources.push(r);
                (sub.resources.len() - 1) as u32
            }),
            None => span.resource,
        };
        span.scope = match session.scopes.get(span.scope as usize) {
            Some(scope) => *scopes.entry(span.scope).or_insert_with(|| {
                let mut s = scope.clone();
                s.name = copy.sym(&mut sub.strings, s.name);
                s.version = copy.sym(&mut sub.strings, s.version);
                copy.attributes(&mut sub.strings, &mut s.attributes);
                sub.scopes.push(s);
                (sub.scopes.len() - 1) as u32
            }),
            None => span.scope,
        };
        sub.spans.push(span);
    }
    sub
}

/// Copies strings from one interner into another, each once.
struct Copier<'a> {
    from: &'a Interner,
    syms: FxHashMap<Sym, Sym>,
}

impl Copier<'_> {
    fn sym(&mut self, to: &mut Interner, sym: Sym) -> Sym {
        let from = self.from;
        *self
            .syms
            .entry(sym)
            .or_insert_with(|| to.intern(from.get(sym)))
    }

    fn span(&mut self, to: &mut Interner, span: &Span) -> Span {
        let mut out = span.clone();
        out.trace_state = self.sym(to, out.trace_state);
        out.name = self.sym(to, out.name);
        out.status.message = self.sym(to, out.status.message);
        self.attributes(to, &mut out.attributes);
        for Event {
            name, attributes, ..
        } in &mut out.events
        {
            *name = self.sym(to, *name);
            self.attributes(to, attributes);
        }
        for Link {
            trace_state,
            attributes,
            ..
        } in &mut out.links
        {
            *trace_state = self.sym(to, *trace_state);
            self.attributes(to, attributes);
        }
        out
    }

    fn attributes(&mut self, to: &mut Interner, attributes: &mut [KeyValue]) {
        for kv in attributes {
            kv.key = self.sym(to, kv.key);
            self.value(to, &mut kv.value);
        }
    }

    fn value(&mut self, to: &mut Interner, value: &mut Value) {
        match value {
            Value::Str(s) => *s = self.sym(to, *s),
            Value::Array(items) => {
                for item in items {
                    self.value(to, item);
                }
            }
            Value::KvList(kvs) => self.attributes(to, kvs),
            Value::Empty | Value::Bool(_) | Value::Int(_) | Value::Double(_) | Value::Bytes(_) => {}
        }
    }
}

/// When a preview is worth making while files arrive: not before [`Cadence::FIRST_MS`] into
/// the load, then at most once per [`Cadence::GAP_MS`] and never taking more than a twentieth
/// of the decoder's time; only when spans came since the last, and not when the rest of the
/// files is expected within [`Cadence::SOON_MS`] (the whole is shown then anyway). A load over
/// in a few seconds gets none: on two cores, the page reading a preview slows the decoder too.
#[derive(Clone, Debug)]
pub struct Cadence {
    started: f64,
    next: f64,
    spans: usize,
}

/// Whether a preview is due ([`Cadence::due`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Due {
    Now,
    /// Not before this time (ms), should no more bytes come by then.
    At(f64),
    /// Not for what has come so far.
    No,
}

impl Cadence {
    pub const FIRST_MS: f64 = 2_000.0;
    pub const GAP_MS: f64 = 2_000.0;
    pub const SOON_MS: f64 = 2_000.0;
    /// The gap after a preview, in multiples of what it cost.
    pub const COST_TIMES: f64 = 20.0;

    /// A load that began at `now` (ms).
    pub fn new(now: f64) -> Cadence {
        Cadence {
            started: now,
            next: now + Cadence::FIRST_MS,
            spans: 0,
        }
    }

    /// Whether to make a preview at `now` of `spans` spans, `received` bytes having come of
    /// `total` (when known).
    pub fn due(&self, now: f64, spans: usize, received: u64, total: Option<u64>) -> Due {
        if spans <= self.spans {
            return Due::No;
        }
        if now < self.next {
            return Due::At(self.next);
        }
        let Some(total) = total.filter(|&t| t > received) else {
            return if total.is_none() { Due::Now } else { Due::No };
        };
        let rate = received as f64 / (now - self.started).max(1.0);
        let left_ms = (total - received) as f64 / rate.max(f64::MIN_POSITIVE);
        if left_ms >= Cadence::SOON_MS {
            Due::Now
        } else {
            // Expected soon; if the bytes stall instead, ask again when the end is overdue.
            Due::At(now + left_ms.max(Cadence::GAP_MS))
        }
    }

    /// A preview of `spans` spans was made, ending at `now`, and took `cost` ms.
    pub fn made(&mut self, now: f64, cost: f64, spans: usize) {
        self.spans = spans;
        self.next = now + Cadence::GAP_MS.max(cost * Cadence::COST_TIMES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(name: &str) -> Session {
        let mut session = Session::default();
        decode_into(&mut session, name);
        session
    }

    fn decode_into(session: &mut Session, name: &str) {
        let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).expect("fixture");
        crate::decode_file(session, name, &bytes);
    }

    #[test]
    fn a_preview_with_room_for_everything_is_the_load_itself() {
        let session = decoded("order-e2e.json");
        let whole = Loaded::with_trees(session.clone(), Vec::new());
        let (seen, glimpse) = preview(&session, &[], PREVIEW_SPANS);
        assert!(glimpse.whole());
        assert_eq!(seen.session.spans.len(), session.spans.len());
        // The same spans, strings read back the same, and the same trees and failures.
        for (a, b) in seen.session.spans.iter().zip(&session.spans) {
            assert_eq!(
                (
                    a.span_id,
                    seen.session.shown_name(a),
                    seen.session.service_of(a)
                ),
                (b.span_id, session.shown_name(b), session.service_of(b))
            );
            let attrs = |s: &Session, span: &Span| {
                span.attributes
                    .iter()
                    .map(|kv| {
                        (
                            s.strings.get(kv.key).to_string(),
                            kv.value.display(&s.strings),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(attrs(&seen.session, a), attrs(&session, b));
        }
        assert_eq!(seen.forest.traces.len(), whole.forest.traces.len());
        assert_eq!(seen.failures.listed.len(), whole.failures.listed.len());
        assert_eq!(seen.session.origins, session.origins);
    }

    #[test]
    fn a_small_budget_shows_the_failing_traces_first_and_says_what_it_leaves_out() {
        // Traces without errors come first, then the failing test's.
        let mut session = decoded("linked-traces.json");
        for span in &mut session.spans {
            span.status = Default::default();
            span.events.clear();
        }
        let before = session.spans.len();
        decode_into(&mut session, "order-e2e.json");
        let failing = session
            .spans
            .iter()
            .find(|s| session.is_error(s))
            .expect("the sample has a failing trace")
            .trace_id;
        assert!(session.spans[..before]
            .iter()
            .all(|s| s.trace_id != failing));
        let failing_spans = session
            .spans
            .iter()
            .filter(|s| s.trace_id == failing)
            .count();
        let (seen, glimpse) = preview(&session, &[], failing_spans);
        assert!(!glimpse.whole());
        assert_eq!(glimpse.shown, 1);
        assert_eq!(glimpse.shown_spans as usize, failing_spans);
        assert_eq!(glimpse.spans as usize, session.spans.len());
        assert!(glimpse.traces > 1);
        assert!(seen.session.spans.iter().all(|s| s.trace_id == failing));
        assert!(!seen.failures.listed.is_empty());
        assert!(glimpse.text(true).contains(&format!(
            "1 of {} traces read so far ({} of {} spans)",
            glimpse.traces,
            failing_spans,
            group(session.spans.len() as u64)
        )));
        assert!(glimpse
            .text(false)
            .starts_with("Loading stopped before the end: shown is a preview of 1 of"));
        // Nothing fits: an empty preview, which still says what was read.
        let (none, glimpse) = preview(&session, &[], 0);
        assert!(none.session.spans.is_empty() && none.forest.traces.is_empty());
        assert_eq!(glimpse.shown, 0);
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (1234567, "1,234,567"),
        ] {
            assert_eq!(group(n), text);
        }
    }

    #[test]
    fn previews_wait_their_turn_and_stay_away_from_the_end() {
        let mut cadence = Cadence::new(0.0);
        // Too early (ask again at 2 s), then due.
        assert_eq!(cadence.due(500.0, 10, 100, None), Due::At(2_000.0));
        assert_eq!(cadence.due(2_000.0, 10, 100, None), Due::Now);
        // Nothing new since the last: not due.
        cadence.made(2_100.0, 50.0, 10);
        assert_eq!(cadence.due(9_000.0, 10, 200, None), Due::No);
        // A gap after each, and twenty times what the last cost when that is longer.
        assert_eq!(cadence.due(4_000.0, 20, 200, None), Due::At(4_100.0));
        assert_eq!(cadence.due(4_100.0, 20, 200, None), Due::Now);
        cadence.made(4_600.0, 500.0, 20);
        assert_eq!(cadence.due(14_500.0, 30, 300, None), Due::At(14_600.0));
        assert_eq!(cadence.due(14_600.0, 30, 300, None), Due::Now);
        // 1 MB of 10 MB in 10 s: 90 s left, due. 9.9 MB of 10 MB: 0.1 s left, so not now,
        // but again once the rest is overdue. All of it: not due.
        let cadence = Cadence::new(0.0);
        assert_eq!(
            cadence.due(10_000.0, 5, 1_000_000, Some(10_000_000)),
            Due::Now
        );
        assert_eq!(
            cadence.due(10_000.0, 5, 9_900_000, Some(10_000_000)),
            Due::At(12_000.0)
        );
        assert_eq!(
            cadence.due(10_000.0, 5, 10_000_000, Some(10_000_000)),
            Due::No
        );
    }
}
