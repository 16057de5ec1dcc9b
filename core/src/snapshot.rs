//! A decoded session with its trees: what the decoder (in a Web Worker) hands the page, in a
//! compact binary form, so the page never parses JSON itself.

use serde::{Deserialize, Serialize};

use crate::decode::{decode_file_with_progress, FileSummary};
use crate::model::{Session, Span};
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
    /// spans and after each file. Each file's bytes are freed as soon as it is decoded, so the
    /// trees are built in memory the input no longer needs.
    pub fn decode_with_progress(
        files: Vec<(String, Vec<u8>)>,
        mut progress: impl FnMut(u64, usize),
    ) -> Snapshot {
        let mut session = Session::default();
        let mut summaries = Vec::new();
        let mut done = 0u64;
        for (name, bytes) in files {
            let summary =
                decode_file_with_progress(&mut session, &name, &bytes, &mut |at, spans| {
                    progress(done + at as u64, spans);
                });
            summaries.push(summary);
            done += bytes.len() as u64;
            drop(bytes);
            progress(done, session.spans.len());
        }
        session.spans.shrink_to_fit();
        let mut forest = Forest::build(&session);
        forest.precompute(&session);
        Snapshot {
            session,
            forest,
            files: summaries,
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

/// One piece of a snapshot in transit. The page reads the pieces one at a time, yielding to the
/// browser in between, so no single step blocks it for long whatever the trace size.
#[derive(Serialize)]
enum PartRef<'a> {
    Head(&'a HeadRef<'a>),
    Spans(&'a [Span]),
    Nodes { trace: u32, nodes: &'a [Node] },
}

#[derive(Deserialize)]
enum Part {
    Head(Box<Head>),
    Spans(Vec<Span>),
    Nodes { trace: u32, nodes: Vec<Node> },
}

/// Everything but the spans and the tree nodes.
#[derive(Deserialize)]
struct Head {
    session: Session,
    forest: Forest,
    files: Vec<FileSummary>,
}

/// [`Head`] as it is written: borrowed, so nothing is copied. Field for field the same shape as
/// [`Session`] (with no spans), which postcard reads back positionally.
#[derive(Serialize)]
struct HeadRef<'a> {
    session: SessionRef<'a>,
    forest: Forest,
    files: &'a [FileSummary],
}

#[derive(Serialize)]
struct SessionRef<'a> {
    strings: &'a crate::intern::Interner,
    resources: &'a [crate::model::Resource],
    scopes: &'a [crate::model::Scope],
    spans: &'a [Span],
    warnings: &'a [crate::model::Warning],
    files: &'a [String],
    duplicates: usize,
}

impl Snapshot {
    /// The binary form in pieces of at most `per_part` spans or nodes each; the first piece is the
    /// head (strings, resources, scopes, warnings, trace summaries).
    pub fn to_parts(&self, per_part: usize) -> Vec<Vec<u8>> {
        let per_part = per_part.max(1);
        let s = &self.session;
        let head = HeadRef {
            session: SessionRef {
                strings: &s.strings,
                resources: &s.resources,
                scopes: &s.scopes,
                spans: &[],
                warnings: &s.warnings,
                files: &s.files,
                duplicates: s.duplicates,
            },
            forest: Forest {
                traces: self
                    .forest
                    .traces
                    .iter()
                    .map(TraceTree::clone_without_nodes)
                    .collect(),
                joined: self
                    .forest
                    .joined
                    .iter()
                    .map(TraceTree::clone_without_nodes)
                    .collect(),
                ..self.forest.clone_without_traces()
            },
            files: &self.files,
        };
        let encode = |part: &PartRef<'_>| postcard::to_allocvec(part).unwrap_or_default();
        let mut parts = vec![encode(&PartRef::Head(&head))];
        for chunk in self.session.spans.chunks(per_part) {
            parts.push(encode(&PartRef::Spans(chunk)));
        }
        let views = self.forest.traces.iter().chain(&self.forest.joined);
        for (i, t) in views.enumerate() {
            for chunk in t.nodes.chunks(per_part) {
                parts.push(encode(&PartRef::Nodes {
                    trace: u32::try_from(i).unwrap_or(u32::MAX),
                    nodes: chunk,
                }));
            }
        }
        parts
    }
}

/// Puts a snapshot back together from its pieces, in the order [`Snapshot::to_parts`] made them.
#[derive(Default)]
pub struct Assembler {
    snapshot: Option<Snapshot>,
}

impl Assembler {
    pub fn new() -> Assembler {
        Assembler::default()
    }

    /// Reads one piece.
    pub fn add(&mut self, bytes: &[u8]) -> Result<(), String> {
        let part: Part = postcard::from_bytes(bytes)
            .map_err(|e| format!("the decoder's answer is unreadable: {e}"))?;
        match (part, &mut self.snapshot) {
            (Part::Head(head), None) => {
                let head = *head;
                self.snapshot = Some(Snapshot {
                    session: head.session,
                    forest: head.forest,
                    files: head.files,
                });
            }
            (Part::Spans(spans), Some(s)) => s.session.spans.extend(spans),
            (Part::Nodes { trace, nodes }, Some(s)) => {
                let tree = s
                    .forest
                    .tree_mut(trace as usize)
                    .ok_or("the decoder's answer names a trace it did not announce")?;
                tree.nodes.extend(nodes);
            }
            _ => return Err("the decoder's answer came out of order".into()),
        }
        Ok(())
    }

    /// The snapshot. Its `span_index`, needed only while decoding, is left empty: building it
    /// for a million spans would block the page for nothing.
    pub fn finish(self) -> Result<Snapshot, String> {
        self.snapshot
            .ok_or_else(|| "the decoder sent nothing".to_string())
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
        assert_eq!(parts.len(), 1 + 1 + 1);
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
    }
}
