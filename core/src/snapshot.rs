//! A decoded session with its trees: what the decoder (in a Web Worker) hands the page, in a
//! compact binary form, so the page never parses JSON itself.

use serde::{Deserialize, Serialize};

use crate::decode::{decode_file_with_progress, FileSummary};
use crate::intern::{Interner, StringRun};
use crate::model::{Resource, Scope, Session, Span, SpanIndex, Warning};
use crate::tree::{Forest, Node, TraceTree};

/// Everything the UI shows of a load.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Snapshot {
    pub session: Session,
    pub forest: Forest,
    pub files: Vec<FileSummary>,
}

impl Snapshot {
    /// Decodes `(file name, bytes)` pairs into one session and builds its trees.
    pub fn decode(files: Vec<(String, Vec<u8>)>) -> Snapshot {
        Snapshot::decode_with_progress(files, |_, _| {})
    }

    /// As [`Snapshot::decode`], calling `progress(bytes done, spans so far)` every few thousand
    /// spans and after each file.
    pub fn decode_with_progress(
        files: Vec<(String, Vec<u8>)>,
        progress: impl FnMut(u64, usize),
    ) -> Snapshot {
        let (session, files) = decode_session(files, progress);
        Snapshot::with_trees(session, files)
    }

    /// Builds the trees of a decoded session.
    pub fn with_trees(session: Session, files: Vec<FileSummary>) -> Snapshot {
        let mut forest = Forest::build(&session);
        forest.precompute(&session);
        Snapshot {
            session,
            forest,
            files,
        }
    }

    /// The tree of trace `i`, if it exists.
    pub fn tree(&self, i: usize) -> Option<&TraceTree> {
        self.forest.tree(i)
    }

    /// The compact binary form (postcard).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain data into a Vec cannot fail; an empty result would read as an error.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads the binary form back, rebuilding the indexes that do not travel.
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, String> {
        let mut snapshot: Snapshot = postcard::from_bytes(bytes)
            .map_err(|e| format!("the decoder's answer is unreadable: {e}"))?;
        snapshot.session.rebuild_index();
        Ok(snapshot)
    }
}

/// Decodes `(file name, bytes)` pairs into one session, with each file's summary, calling
/// `progress(bytes done, spans so far)` every few thousand spans and after each file. Each
/// file's bytes are freed as soon as it is decoded.
pub fn decode_session(
    files: Vec<(String, Vec<u8>)>,
    mut progress: impl FnMut(u64, usize),
) -> (Session, Vec<FileSummary>) {
    let mut session = Session::default();
    let mut summaries = Vec::new();
    let mut done = 0u64;
    for (name, bytes) in files {
        let summary = decode_file_with_progress(&mut session, &name, &bytes, &mut |at, spans| {
            progress(done + at as u64, spans);
        });
        summaries.push(summary);
        done += bytes.len() as u64;
        drop(bytes);
        progress(done, session.spans.len());
    }
    session.spans.shrink_to_fit();
    (session, summaries)
}

/// One piece of a snapshot in transit. The page reads the pieces one at a time, yielding to the
/// browser in between, so no single step blocks it for long whatever the trace size. The
/// session's pieces come first and can be sent as soon as decoding ends; the trees' pieces
/// follow once they are built, so the page reads spans while the decoder builds trees.
#[derive(Serialize, Deserialize)]
enum Part<'a> {
    Session(Box<SessionHead>),
    #[serde(borrow)]
    Strings(StringRun<'a>),
    Spans(Vec<Span>),
    Forest(Box<ForestHead>),
    Nodes {
        trace: u32,
        nodes: Vec<Node>,
    },
}

/// The same pieces as they are written: borrowed, so nothing is copied. Field for field the
/// same shape as [`Part`], which postcard reads back positionally.
#[derive(Serialize)]
enum PartRef<'a> {
    Session(&'a SessionHead),
    Strings(&'a StringRun<'a>),
    Spans(&'a [Span]),
    Forest(&'a ForestHead),
    Nodes { trace: u32, nodes: &'a [Node] },
}

/// A session but its strings and spans, with their counts so the page makes room once.
#[derive(Serialize, Deserialize)]
struct SessionHead {
    strings: u32,
    spans: u32,
    resources: Vec<Resource>,
    scopes: Vec<Scope>,
    warnings: Vec<Warning>,
    files: Vec<String>,
    duplicates: usize,
}

/// The trees but their nodes, and the files' summaries.
#[derive(Serialize, Deserialize)]
struct ForestHead {
    forest: Forest,
    files: Vec<FileSummary>,
}

fn encode(part: &PartRef<'_>) -> Vec<u8> {
    // Serialising plain data into a Vec cannot fail; an empty piece reads back as an error.
    postcard::to_allocvec(part).unwrap_or_default()
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The session's pieces ([`Snapshot::session_parts`]): its head, its strings one block at a time,
/// then its spans `per_part` at a time.
pub fn session_parts(session: &Session, per_part: usize) -> Vec<Vec<u8>> {
    let head = SessionHead {
        strings: count(session.strings.len()),
        spans: count(session.spans.len()),
        resources: session.resources.clone(),
        scopes: session.scopes.clone(),
        warnings: session.warnings.clone(),
        files: session.files.clone(),
        duplicates: session.duplicates,
    };
    let mut parts = vec![encode(&PartRef::Session(&head))];
    for run in session.strings.runs() {
        parts.push(encode(&PartRef::Strings(&run)));
    }
    for chunk in session.spans.chunks(per_part.max(1)) {
        parts.push(encode(&PartRef::Spans(chunk)));
    }
    parts
}

/// The trees' pieces: their head (summaries, minimaps, counts, the files' summaries), then each
/// tree's nodes `per_part` at a time.
pub fn forest_parts(forest: &Forest, files: &[FileSummary], per_part: usize) -> Vec<Vec<u8>> {
    let head = ForestHead {
        forest: Forest {
            traces: forest
                .traces
                .iter()
                .map(TraceTree::clone_without_nodes)
                .collect(),
            joined: forest
                .joined
                .iter()
                .map(TraceTree::clone_without_nodes)
                .collect(),
            ..forest.clone_without_traces()
        },
        files: files.to_vec(),
    };
    let mut parts = vec![encode(&PartRef::Forest(&head))];
    let views = forest.traces.iter().chain(&forest.joined);
    for (i, t) in views.enumerate() {
        for chunk in t.nodes.chunks(per_part.max(1)) {
            parts.push(encode(&PartRef::Nodes {
                trace: count(i),
                nodes: chunk,
            }));
        }
    }
    parts
}

impl Snapshot {
    /// The binary form in pieces of at most `per_part` spans or nodes each: the session's
    /// ([`session_parts`]) then the trees' ([`forest_parts`]).
    pub fn to_parts(&self, per_part: usize) -> Vec<Vec<u8>> {
        let mut parts = session_parts(&self.session, per_part);
        parts.extend(forest_parts(&self.forest, &self.files, per_part));
        parts
    }
}

/// Puts a snapshot back together from its pieces, in the order [`Snapshot::to_parts`] made them.
#[derive(Default)]
pub struct Assembler {
    session: Option<Session>,
    /// Strings and spans the head announced.
    expected: (usize, usize),
    forest: Option<(Forest, Vec<FileSummary>)>,
}

impl Assembler {
    pub fn new() -> Assembler {
        Assembler::default()
    }

    /// Reads one piece.
    pub fn add(&mut self, bytes: &[u8]) -> Result<(), String> {
        let part: Part<'_> = postcard::from_bytes(bytes)
            .map_err(|e| format!("the decoder's answer is unreadable: {e}"))?;
        let out_of_order = || "the decoder's answer came out of order".to_string();
        match part {
            Part::Session(head) => {
                if self.session.is_some() {
                    return Err(out_of_order());
                }
                let head = *head;
                self.expected = (head.strings as usize, head.spans as usize);
                self.session = Some(Session {
                    strings: Interner::for_runs(head.strings as usize),
                    resources: head.resources,
                    scopes: head.scopes,
                    spans: Vec::with_capacity(head.spans as usize),
                    warnings: head.warnings,
                    files: head.files,
                    duplicates: head.duplicates,
                    span_index: SpanIndex::default(),
                });
            }
            Part::Strings(run) => match &mut self.session {
                Some(s) if s.spans.is_empty() => s.strings.add_run(run)?,
                _ => return Err(out_of_order()),
            },
            Part::Spans(spans) => match &mut self.session {
                Some(s) if self.forest.is_none() => s.spans.extend(spans),
                _ => return Err(out_of_order()),
            },
            Part::Forest(head) => {
                if self.session.is_none() || self.forest.is_some() {
                    return Err(out_of_order());
                }
                let head = *head;
                self.forest = Some((head.forest, head.files));
            }
            Part::Nodes { trace, nodes } => {
                let (forest, _) = self.forest.as_mut().ok_or_else(out_of_order)?;
                let tree = forest
                    .tree_mut(trace as usize)
                    .ok_or("the decoder's answer names a trace it did not announce")?;
                tree.nodes.extend(nodes);
            }
        }
        Ok(())
    }

    /// The snapshot. Its `span_index`, needed only while decoding, is left empty: building it
    /// for a million spans would block the page for nothing.
    pub fn finish(self) -> Result<Snapshot, String> {
        let session = self
            .session
            .ok_or_else(|| "the decoder sent nothing".to_string())?;
        let (forest, files) = self
            .forest
            .ok_or_else(|| "the decoder's answer has no trees".to_string())?;
        if (session.strings.len(), session.spans.len()) != self.expected {
            return Err("the decoder's answer is incomplete".into());
        }
        Ok(Snapshot {
            session,
            forest,
            files,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_bytes() {
        let json = br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
            "scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"GET /",
            "startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"n","value":{"arrayValue":{"values":[{"intValue":"7"}]}}}]}]}]}]}"#;
        let original = Snapshot::decode(vec![("a.json".into(), json.to_vec())]);
        let copy = Snapshot::from_bytes(&original.to_bytes()).expect("round trip");
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
        assert!(Snapshot::from_bytes(b"\xff\xff").is_err());

        // In pieces of one span or node each, the same snapshot comes back.
        let parts = original.to_parts(1);
        // The session's head, its one block of strings, its span; the trees' head, their node.
        assert_eq!(parts.len(), 5);
        let mut assembler = Assembler::new();
        for p in &parts {
            assembler.add(p).expect("part");
        }
        let mut copy = assembler.finish().expect("assembled");
        assert_eq!(copy.session.spans, original.session.spans);
        assert_eq!(copy.forest, original.forest);
        assert!(copy.session.span_index.is_empty());
        copy.session.rebuild_index();
        assert_eq!(
            copy.session.span_index.len(),
            original.session.span_index.len()
        );
        let mut out_of_order = Assembler::new();
        assert!(out_of_order.add(&parts[1]).is_err());
        // Nodes before the trees' head, or a missing span, are refused.
        let mut early_nodes = Assembler::new();
        early_nodes.add(&parts[0]).expect("head");
        assert!(early_nodes.add(&parts[4]).is_err());
        let mut missing = Assembler::new();
        for (i, p) in parts.iter().enumerate() {
            if i != 2 {
                missing.add(p).expect("part");
            }
        }
        assert!(missing.finish().is_err());
    }
}
