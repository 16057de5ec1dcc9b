//! The loaded session in the compact binary form (postcard) in which it crosses from the decoder
//! (a Web Worker) to the page, so the page never parses JSON itself: strings and spans stream as
//! they are decoded, then the trees in pieces the page reads between frames.

pub mod buffers;
pub mod protocol;
pub mod query;

use serde::{Deserialize, Serialize};

use crate::decode::FileSummary;
use crate::insight::report::Failures;
use crate::insight::runs::CiRuns;
use crate::model::intern::{Interner, StringRun};
use crate::model::{Resource, Scope, Session, Span, Warning};
use crate::session::Loaded;
use crate::trace::tree::{Forest, Node, TraceTree};

impl Loaded {
    /// The compact binary form (postcard).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain data into a Vec cannot fail; an empty result would read as an error.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads the binary form back, rebuilding the indexes that do not travel.
    pub fn from_bytes(bytes: &[u8]) -> Result<Loaded, String> {
        let mut snapshot: Loaded =
            read_within(bytes).map_err(|e| format!("the decoder's answer is unreadable: {e}"))?;
        snapshot.session.rebuild_index();
        Ok(snapshot)
    }
}

/// Reads `bytes` (postcard), letting [`crate::trace::tree`]'s list of trees size its vectors from their counts.
fn read_within<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> postcard::Result<T> {
    let before = crate::trace::tree::READING.replace(bytes.len());
    let read = postcard::from_bytes(bytes);
    crate::trace::tree::READING.set(before);
    read
}

/// One piece of a snapshot in transit. The page reads the pieces one at a time, yielding to the
/// browser in between, so no single step blocks it for long whatever the trace size. Strings
/// and spans are sent as they are decoded ([`Streamer`]), then the session's head, then the
/// trees' pieces once they are built: the page reads spans while the decoder works.
#[derive(Serialize, Deserialize)]
enum Part<'a> {
    #[serde(borrow)]
    Strings(StringRun<'a>),
    Spans(Vec<Span>),
    /// The spans from this index on were removed (a document read again another way).
    Truncate(u32),
    /// Make room for this many spans in all ([`Streamer::parts`]).
    Expect(u32),
    Session(Box<SessionHead>),
    Forest(Box<ForestHead>),
    /// Nodes of one or more trees: (view, nodes to append to it).
    Nodes(Vec<(u32, Vec<Node>)>),
}

/// The same pieces as they are written: borrowed, so nothing is copied. Field for field the
/// same shape as [`Part`], which postcard reads back positionally.
#[derive(Serialize)]
enum PartRef<'a> {
    Strings(&'a StringRun<'a>),
    Spans(&'a [Span]),
    Truncate(u32),
    Expect(u32),
    Session(&'a SessionHead),
    Forest(&'a ForestHeadRef<'a>),
    Nodes(&'a [(u32, &'a [Node])]),
}

/// A session but its strings and spans, with their counts, which the page checks.
#[derive(Serialize, Deserialize)]
struct SessionHead {
    strings: u32,
    spans: u32,
    resources: Vec<Resource>,
    scopes: Vec<Scope>,
    warnings: Vec<Warning>,
    files: Vec<String>,
    duplicates: usize,
    origins: Vec<crate::model::Origin>,
}

/// The trees but their nodes, and the files' summaries.
#[derive(Serialize, Deserialize)]
struct ForestHead {
    forest: Forest,
    files: Vec<FileSummary>,
    failures: Failures,
    runs: CiRuns,
    /// Each view's node count (traces, then traces shown together), so the page makes room for
    /// a tree's nodes once: a million-node vector that grows as pieces come is copied whole at
    /// each doubling, on the page's main thread.
    nodes: Vec<u32>,
}

/// [`ForestHead`] as it is written: the trees borrowed, each without its nodes, so the head of a
/// session of many small trees is not a copy of them (a copy would take more than the trees
/// themselves). Field for field the same shape, as [`PartRef`] is of
/// [`Part`]; a test holds the two to the same bytes.
#[derive(Serialize)]
struct ForestHeadRef<'a> {
    forest: ForestRef<'a>,
    files: &'a [FileSummary],
    failures: &'a Failures,
    runs: &'a CiRuns,
    nodes: Vec<u32>,
}

/// [`Forest`]'s fields, its trees as [`TreeHeads`].
#[derive(Serialize)]
struct ForestRef<'a> {
    traces: TreeHeads<'a>,
    linked: TreeHeads<'a>,
    duplicates: usize,
    missing_parents: usize,
    cycles_broken: usize,
    pending_folded: usize,
}

/// Trees written as [`TraceTree`]s with no nodes.
struct TreeHeads<'a>(&'a [TraceTree]);

/// [`TraceTree`]'s fields, borrowed, with `nodes` empty.
#[derive(Serialize)]
struct TreeHeadRef<'a> {
    trace_id: &'a crate::model::TraceId,
    nodes: &'a [Node],
    start: u64,
    end: u64,
    error_count: usize,
    services: &'a [crate::model::intern::Sym],
    minimap: &'a [crate::trace::tree::MiniRun],
    precomputed: &'a Option<crate::trace::tree::Precomputed>,
    members: &'a [usize],
}

impl Serialize for TreeHeads<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|t| {
            // Every field named, so a field added to TraceTree fails to compile here.
            let TraceTree {
                trace_id,
                nodes: _,
                start,
                end,
                error_count,
                services,
                minimap,
                precomputed,
                members,
            } = t;
            TreeHeadRef {
                trace_id,
                nodes: &[],
                start: *start,
                end: *end,
                error_count: *error_count,
                services,
                minimap,
                precomputed,
                members,
            }
        }))
    }
}

fn encode(part: &PartRef<'_>) -> Vec<u8> {
    // Serialising plain data into a Vec cannot fail; an empty piece reads back as an error.
    postcard::to_allocvec(part).unwrap_or_default()
}

/// [`encode`] into a vector made its exact size first, for a piece too big to grow by doubling:
/// the trees' head of many small trees is large, and its last doubling needed a new run of
/// memory that the worker's freed room could not hold.
fn encode_sized(part: &PartRef<'_>) -> Vec<u8> {
    let size = postcard::experimental::serialized_size(part).unwrap_or(0);
    postcard::to_extend(part, Vec::with_capacity(size)).unwrap_or_default()
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The room to ask the reader (the page) for, for `expected` spans: a quarter more up to
/// [`crate::model::SMALL_SESSION`] spans, twice as many above. A vector that outgrows its
/// room is copied whole, and an early estimate can be a fifth short, since spans differ in size
/// through a file. For a big session that copy blocks the page, so the room is twice the
/// estimate: room never written costs address space, not memory the system has to provide. For
/// a small one the copy is short, and twice its spans' room weighs on a file of many tiny
/// traces in the page's wasm memory.
fn room_for(expected: usize) -> usize {
    if expected <= crate::model::SMALL_SESSION {
        expected + expected / 4
    } else {
        expected.saturating_mul(2)
    }
}

/// The session but its strings and spans.
fn session_head(session: &Session) -> SessionHead {
    SessionHead {
        strings: count(session.strings.len()),
        spans: count(session.spans.len()),
        resources: session.resources.clone(),
        scopes: session.scopes.clone(),
        warnings: session.warnings.clone(),
        files: session.files.clone(),
        duplicates: session.duplicates,
        origins: session.origins.clone(),
    }
}

/// Sends a session's strings and spans while it is being decoded: each call to
/// [`Streamer::parts`] gives the pieces for what was added since the last one (taking back
/// spans a decoder removed), and [`Streamer::finish`] the rest and the session's head.
#[derive(Default)]
pub struct Streamer {
    strings_sent: usize,
    spans_sent: usize,
    rollbacks_seen: usize,
    /// The room for spans asked of the reader so far.
    room_asked: usize,
}

impl Streamer {
    pub fn new() -> Streamer {
        Streamer::default()
    }

    /// Pieces for the spans (and the strings) added since the last call, once at least
    /// `per_part` spans are new; none before that. `expected` estimates the spans there will be
    /// in all (from the share of the input read): the reader is asked for room for them with
    /// the first spans ([`room_for`]), and again only if the estimate outgrows the room asked.
    pub fn parts(&mut self, session: &Session, per_part: usize, expected: usize) -> Vec<Vec<u8>> {
        let mut parts = self.take_back(session);
        if session.spans.len() >= self.spans_sent + per_part.max(1) {
            if expected > self.room_asked {
                self.room_asked = room_for(expected);
                parts.push(encode(&PartRef::Expect(count(self.room_asked))));
            }
            self.send_new(session, per_part, true, &mut parts);
        }
        parts
    }

    /// The last pieces of the session: what is left of its strings and spans, then its head.
    pub fn finish(mut self, session: &Session, per_part: usize) -> Vec<Vec<u8>> {
        let mut parts = self.take_back(session);
        self.send_new(session, per_part, false, &mut parts);
        parts.push(encode(&PartRef::Session(&session_head(session))));
        parts
    }

    /// A [`Part::Truncate`] when the session lost spans that were sent.
    fn take_back(&mut self, session: &Session) -> Vec<Vec<u8>> {
        let lowest = session
            .rollbacks
            .get(self.rollbacks_seen..)
            .and_then(|new| new.iter().min().copied());
        self.rollbacks_seen = session.rollbacks.len();
        match lowest {
            Some(to) if to < self.spans_sent => {
                self.spans_sent = to;
                vec![encode(&PartRef::Truncate(count(to)))]
            }
            _ => Vec::new(),
        }
    }

    /// Sends the new strings and spans: all of them when `whole` is false, else only whole
    /// pieces of `per_part` spans (the rest waits for the next call).
    fn send_new(
        &mut self,
        session: &Session,
        per_part: usize,
        whole: bool,
        parts: &mut Vec<Vec<u8>>,
    ) {
        let per_part = per_part.max(1);
        for run in session.strings.runs_from(self.strings_sent) {
            parts.push(encode(&PartRef::Strings(&run)));
        }
        self.strings_sent = session.strings.len();
        let mut new = session.spans.get(self.spans_sent..).unwrap_or_default();
        if whole {
            new = &new[..new.len() - new.len() % per_part];
        }
        for chunk in new.chunks(per_part) {
            parts.push(encode(&PartRef::Spans(chunk)));
        }
        self.spans_sent += new.len();
    }
}

/// The trees' pieces: their head (summaries, minimaps, counts, the files' summaries), then each
/// tree's nodes `per_part` at a time.
pub fn forest_parts(
    forest: &Forest,
    files: &[FileSummary],
    failures: &Failures,
    runs: &CiRuns,
    per_part: usize,
) -> Vec<Vec<u8>> {
    let mut parts = Vec::new();
    forest_parts_each(forest, files, failures, runs, per_part, &mut |part| {
        parts.push(part)
    });
    parts
}

/// [`forest_parts`], handed to `emit` one at a time as each is encoded, so the caller can pass
/// each on and free it before the next: the decoder's memory then holds one piece, not all of
/// them (all the pieces of many small trees at once raised the worker's peak).
pub fn forest_parts_each(
    forest: &Forest,
    files: &[FileSummary],
    failures: &Failures,
    runs: &CiRuns,
    per_part: usize,
    emit: &mut dyn FnMut(Vec<u8>),
) {
    let Forest {
        traces,
        linked,
        duplicates,
        missing_parents,
        cycles_broken,
        pending_folded,
    } = forest;
    let head = ForestHeadRef {
        forest: ForestRef {
            traces: TreeHeads(traces),
            linked: TreeHeads(linked),
            duplicates: *duplicates,
            missing_parents: *missing_parents,
            cycles_broken: *cycles_broken,
            pending_folded: *pending_folded,
        },
        files,
        failures,
        runs,
        nodes: forest.views().map(|t| count(t.nodes.len())).collect(),
    };
    emit(encode_sized(&PartRef::Forest(&head)));
    drop(head);
    // Small trees share a piece: a session of 50,000 traces of 4 spans (a load test's requests)
    // made 50,000 pieces, and the page spent a task on each.
    let per_part = per_part.max(1);
    let mut groups: Vec<(u32, &[Node])> = Vec::new();
    let mut filled = 0;
    for (i, t) in forest.views().enumerate() {
        for chunk in t.nodes.chunks(per_part) {
            if filled + chunk.len() > per_part && !groups.is_empty() {
                emit(encode(&PartRef::Nodes(&groups)));
                groups.clear();
                filled = 0;
            }
            groups.push((count(i), chunk));
            filled += chunk.len();
        }
    }
    if !groups.is_empty() {
        emit(encode(&PartRef::Nodes(&groups)));
    }
}

impl Loaded {
    /// The binary form in pieces of at most `per_part` spans or nodes each: the session's, all
    /// at once ([`Streamer::finish`]), then the trees' ([`forest_parts`]).
    pub fn to_parts(&self, per_part: usize) -> Vec<Vec<u8>> {
        let mut parts = Streamer::new().finish(&self.session, per_part);
        parts.extend(forest_parts(
            &self.forest,
            &self.files,
            &self.failures,
            &self.runs,
            per_part,
        ));
        parts
    }
}

/// [`Loaded::to_parts`] a few pieces at a time, so that a caller on the page's main thread can
/// hand a whole session on (to the SQL worker) in short tasks: the strings, then the spans a
/// piece at a time, then the session's head, then the trees' pieces. The pieces are the very
/// ones `to_parts` makes, in its order.
#[derive(Debug, Default)]
pub struct PartsCursor {
    stage: CursorStage,
    next_span: usize,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum CursorStage {
    #[default]
    Strings,
    Spans,
    Head,
    Forest,
    Done,
}

impl PartsCursor {
    pub fn new() -> PartsCursor {
        PartsCursor::default()
    }

    /// The next pieces of `loaded` (one piece of spans, or the strings, the head or the trees'
    /// pieces); empty once all were given. `per_part` must be the same at every call.
    pub fn next(&mut self, loaded: &Loaded, per_part: usize) -> Vec<Vec<u8>> {
        let per_part = per_part.max(1);
        let session = &loaded.session;
        match self.stage {
            CursorStage::Strings => {
                self.stage = CursorStage::Spans;
                session
                    .strings
                    .runs_from(0)
                    .iter()
                    .map(|run| encode(&PartRef::Strings(run)))
                    .collect()
            }
            CursorStage::Spans => {
                let end = (self.next_span + per_part).min(session.spans.len());
                let chunk = &session.spans[self.next_span..end];
                self.next_span = end;
                if self.next_span == session.spans.len() {
                    self.stage = CursorStage::Head;
                }
                if chunk.is_empty() {
                    return self.next(loaded, per_part);
                }
                vec![encode(&PartRef::Spans(chunk))]
            }
            CursorStage::Head => {
                self.stage = CursorStage::Forest;
                vec![encode(&PartRef::Session(&session_head(session)))]
            }
            CursorStage::Forest => {
                self.stage = CursorStage::Done;
                forest_parts(
                    &loaded.forest,
                    &loaded.files,
                    &loaded.failures,
                    &loaded.runs,
                    per_part,
                )
            }
            CursorStage::Done => Vec::new(),
        }
    }
}

/// Puts a snapshot back together from its pieces, in the order they were made.
pub struct Assembler {
    session: Session,
    /// True once the session's head came: its strings and spans are complete.
    session_done: bool,
    forest: Option<(Forest, Vec<FileSummary>, Failures, CiRuns)>,
}

impl Default for Assembler {
    fn default() -> Assembler {
        Assembler {
            session: Session {
                strings: Interner::for_runs(0),
                ..Session::default()
            },
            session_done: false,
            forest: None,
        }
    }
}

impl Assembler {
    pub fn new() -> Assembler {
        Assembler::default()
    }

    /// Reads one piece.
    pub fn add(&mut self, bytes: &[u8]) -> Result<(), String> {
        let part: Part<'_> =
            read_within(bytes).map_err(|e| format!("the decoder's answer is unreadable: {e}"))?;
        let out_of_order = || "the decoder's answer came out of order".to_string();
        let session = &mut self.session;
        match part {
            Part::Strings(_)
            | Part::Spans(_)
            | Part::Truncate(_)
            | Part::Expect(_)
            | Part::Session(_)
                if self.session_done =>
            {
                return Err(out_of_order());
            }
            Part::Strings(run) => session.strings.add_run(run)?,
            Part::Spans(spans) => session.spans.extend(spans),
            Part::Expect(spans) => {
                // An estimate: if memory is short, the spans grow as they come instead.
                let more = (spans as usize).saturating_sub(session.spans.len());
                let _ = session.spans.try_reserve_exact(more);
            }
            Part::Truncate(to) => {
                if to as usize > session.spans.len() {
                    return Err(out_of_order());
                }
                session.spans.truncate(to as usize);
            }
            Part::Session(head) => {
                let head = *head;
                if (session.strings.len(), session.spans.len())
                    != (head.strings as usize, head.spans as usize)
                {
                    return Err("the decoder's answer is incomplete".into());
                }
                session.resources = head.resources;
                session.scopes = head.scopes;
                session.warnings = head.warnings;
                session.files = head.files;
                session.duplicates = head.duplicates;
                session.origins = head.origins;
                self.session_done = true;
            }
            Part::Forest(head) => {
                if !self.session_done || self.forest.is_some() {
                    return Err(out_of_order());
                }
                let mut head = *head;
                for (i, &nodes) in head.nodes.iter().enumerate() {
                    if let Some(tree) = head.forest.tree_mut(i) {
                        // Room for what is announced; if memory is short, nodes grow as they come.
                        let _ = tree.nodes.try_reserve_exact(nodes as usize);
                    }
                }
                self.forest = Some((head.forest, head.files, head.failures, head.runs));
            }
            Part::Nodes(groups) => {
                let (forest, ..) = self.forest.as_mut().ok_or_else(out_of_order)?;
                for (trace, nodes) in groups {
                    let tree = forest
                        .tree_mut(trace as usize)
                        .ok_or("the decoder's answer names a trace it did not announce")?;
                    tree.nodes.extend(nodes);
                }
            }
        }
        Ok(())
    }

    /// The snapshot. Its `span_index`, needed only while decoding, is left empty: building it
    /// for a million spans would block the page for nothing.
    pub fn finish(self) -> Result<Loaded, String> {
        if !self.session_done {
            return Err("the decoder's answer is incomplete".into());
        }
        let (forest, files, failures, runs) = self
            .forest
            .ok_or_else(|| "the decoder's answer has no trees".to_string())?;
        Ok(Loaded {
            session: self.session,
            forest,
            files,
            failures,
            runs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_gives_the_very_pieces_of_to_parts() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/order-e2e.json"
        ))
        .expect("sample");
        let loaded = Loaded::decode(vec![("order-e2e.json".into(), bytes)]);
        for per_part in [1, 7, 10_000] {
            let mut cursor = PartsCursor::new();
            let mut pieces = Vec::new();
            let mut calls = 0;
            loop {
                let next = cursor.next(&loaded, per_part);
                if next.is_empty() {
                    break;
                }
                calls += 1;
                pieces.extend(next);
            }
            assert_eq!(pieces, loaded.to_parts(per_part), "{per_part} a piece");
            // Strings, each piece of spans, the head, the trees.
            assert_eq!(calls, 3 + loaded.session.spans.len().div_ceil(per_part));
            assert!(cursor.next(&loaded, per_part).is_empty());
        }
    }

    #[test]
    fn round_trips_through_bytes() {
        let json = br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
            "scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"GET /",
            "startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"n","value":{"arrayValue":{"values":[{"intValue":"7"}]}}}]}]}]}]}"#;
        let original = Loaded::decode(vec![("a.json".into(), json.to_vec())]);
        let copy = Loaded::from_bytes(&original.to_bytes()).expect("round trip");
        assert_eq!(copy.session.spans, original.session.spans);
        assert_eq!(copy.forest, original.forest);
        assert_eq!(copy.files, original.files);
        assert_eq!(
            copy.session.strings.lookup("GET /"),
            original.session.strings.lookup("GET /")
        );
        assert_eq!(
            copy.session.span_index.len(),
            original.session.span_index.len()
        );
        let first = &copy.session.spans[0];
        assert_eq!(
            copy.session
                .span_index
                .get(&copy.session.spans, first.trace_id, first.span_id),
            Some(0)
        );
        assert!(Loaded::from_bytes(b"\xff\xff").is_err());

        // In pieces of one span or node each, the same snapshot comes back: the strings, the
        // span, the session's head; the trees' head, their node.
        let parts = original.to_parts(1);
        assert_eq!(parts.len(), 5);
        let mut assembler = Assembler::new();
        for p in &parts {
            assembler.add(p).expect("part");
        }
        let mut copy = assembler.finish().expect("assembled");
        assert_eq!(copy.session.spans, original.session.spans);
        assert_eq!(copy.forest, original.forest);
        assert_eq!(copy.failures, original.failures);
        assert_eq!(copy.runs, original.runs);
        assert_eq!(copy.session.origins, original.session.origins);
        // The trees' head announced the node count: room was made once, not grown.
        let nodes = &copy.forest.traces[0].nodes;
        assert_eq!(nodes.capacity(), nodes.len());
        assert!(copy.session.span_index.is_empty());
        copy.session.rebuild_index();
        assert_eq!(
            copy.session.span_index.len(),
            original.session.span_index.len()
        );
        // Trees before the session's head, a missing span, spans after the head, taking back
        // spans never sent: all refused.
        let mut early_trees = Assembler::new();
        assert!(early_trees.add(&parts[3]).is_err());
        let mut missing = Assembler::new();
        missing.add(&parts[0]).expect("strings");
        assert!(missing.add(&parts[2]).is_err());
        let mut late = Assembler::new();
        for p in &parts[..3] {
            late.add(p).expect("part");
        }
        assert!(late.add(&parts[1]).is_err());
        assert!(Assembler::new().finish().is_err());
        let mut too_far = Assembler::new();
        assert!(too_far
            .add(&postcard::to_allocvec(&PartRef::Truncate(5)).unwrap())
            .is_err());
    }
}
