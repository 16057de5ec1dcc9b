//! The trees of a session: one pre-order node list per trace ([`TraceTree`]), and all of them
//! with the views of linked traces ([`Forest`]). How a tree is built from a bag of spans is in
//! `build.rs`.

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};

use crate::model::intern::Sym;
use crate::model::{Session, SpanId, TraceId};

/// Marks a node carries for the waterfall.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeFlags {
    /// The span names a parent that is not in the session.
    pub missing_parent: bool,
    /// The span was part of a parent cycle, which was cut above it.
    pub cycle_broken: bool,
    /// The span failed (status ERROR or an exception event).
    pub error: bool,
    /// A descendant failed.
    pub error_below: bool,
    /// Only Logfire's `pending_span` record of this span was loaded: it started but its end was
    /// never exported (the process died, or the export was cut short).
    pub pending: bool,
    /// A Logfire log record (`logfire.span_type = log`): a point in time, not an operation.
    pub log: bool,
    /// Not a span: a "missing parent <id>" row standing for a parent that is not loaded, with
    /// the spans that name it as its children. Its `span` is its first child's (whose
    /// `parent_id` is the missing id); it is never counted, searched or drawn as that span.
    pub placeholder: bool,
    /// The root of another trace, hung under the span it links to (or that links to it) in a
    /// tree of linked traces shown together ([`Forest::linked`]).
    pub linked: bool,
}

/// One row of a trace's tree, in pre-order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Index into [`Session::spans`].
    pub span: u32,
    /// 0 for roots.
    pub depth: u32,
    /// Index of the parent node in the same [`TraceTree::nodes`].
    pub parent: Option<u32>,
    /// One past the last descendant: the subtree is `nodes[i..subtree_end]`.
    pub subtree_end: u32,
    /// Number of direct children.
    pub children: u32,
    pub flags: NodeFlags,
}

/// One trace, as a pre-order list of nodes with per-trace totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceTree {
    pub trace_id: TraceId,
    pub nodes: Vec<Node>,
    /// Earliest known start and latest known end, in ns; both 0 when no span has times.
    pub start: u64,
    pub end: u64,
    pub error_count: usize,
    /// Distinct service names, in order of first appearance in the tree.
    pub services: Vec<Sym>,
    /// The trace drawn small ([`crate::view::minimap::minimap`] at [`MINIMAP_COLUMNS`] x
    /// [`MINIMAP_ROWS`]), computed by the decoder so the page never walks every span for it.
    /// Empty until [`Forest::precompute`] runs.
    pub minimap: Vec<MiniRun>,
    /// What the page would otherwise compute over every node when a trace opens, done by the
    /// decoder: `None` until [`Forest::precompute`] runs.
    pub precomputed: Option<Precomputed>,
    /// For traces shown together ([`Forest::linked`]): the indices into [`Forest::traces`] of
    /// the traces in this tree, the one it is drawn from first. Empty for a single trace.
    pub members: Vec<usize>,
}

/// A horizontal run of lit pixels in the minimap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MiniRun {
    pub y: u16,
    pub x0: u16,
    /// Exclusive end.
    pub x1: u16,
    /// Some span failed under these pixels.
    pub error: bool,
}

/// Per-trace results the decoder computes once, so opening a huge trace costs the page less.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Precomputed {
    /// [`crate::trace::outliers::duration_outliers`].
    pub outliers: Vec<u32>,
    /// [`crate::trace::open_at::open_on_failure`].
    pub open_at: Option<u32>,
    /// [`TraceTree::span_count`].
    pub spans: usize,
}

/// Width of the precomputed minimap, in columns (the page scales it to its canvas).
pub const MINIMAP_COLUMNS: u16 = 1024;
/// Height of the precomputed minimap, in pixel rows.
pub const MINIMAP_ROWS: u16 = 36;

impl TraceTree {
    /// The node index of a span, if it is in this tree (a tree of linked traces holds spans of
    /// several traces, so the trace id is compared too).
    pub fn find(&self, session: &Session, trace_id: TraceId, span_id: SpanId) -> Option<u32> {
        self.nodes
            .iter()
            .position(|n| {
                let s = &session.spans[n.span as usize];
                !n.flags.placeholder && s.span_id == span_id && s.trace_id == trace_id
            })
            .and_then(|i| u32::try_from(i).ok())
    }

    /// Spans in the tree (placeholder rows for missing parents are not spans).
    pub fn span_count(&self) -> usize {
        match &self.precomputed {
            Some(p) => p.spans,
            None => self.nodes.iter().filter(|n| !n.flags.placeholder).count(),
        }
    }

    /// The id of the missing parent a placeholder node stands for.
    pub fn missing_parent_id(&self, session: &Session, index: u32) -> Option<SpanId> {
        let node = self.nodes.get(index as usize)?;
        node.flags
            .placeholder
            .then(|| session.spans[node.span as usize].parent_id)
            .flatten()
    }

    /// The direct children of node `i`, in order (children are ordered by start time).
    pub fn children(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.nodes.get(i).map_or(0, |n| n.subtree_end as usize);
        self.siblings(i + 1, end)
    }

    /// The top-level nodes: roots and "missing parent" rows, in order.
    pub fn tops(&self) -> impl Iterator<Item = usize> + '_ {
        self.siblings(0, self.nodes.len())
    }

    /// Nodes from `first` on, each the next one's sibling, before `end`.
    fn siblings(&self, first: usize, end: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(first), move |&c| {
            self.nodes
                .get(c)
                .map(|n| (n.subtree_end as usize).max(c + 1))
        })
        .take_while(move |&c| c < end)
    }

    /// The node of the trace's first root (the test span, normally).
    pub fn root(&self) -> Option<&Node> {
        self.nodes.first()
    }
}

/// All traces of a session, failing traces first, then by start time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    #[serde(deserialize_with = "trees")]
    pub traces: Vec<TraceTree>,
    /// Groups of traces that link to each other (a test trace and the worker trace it enqueued),
    /// each drawn as one tree ([`crate::trace::linked`]). As views they follow the traces: view
    /// `traces.len() + j` is `linked[j]` (see [`Forest::tree`]).
    #[serde(deserialize_with = "trees")]
    pub linked: Vec<TraceTree>,
    /// Spans dropped because the very same span was loaded before (at decode time, or here when
    /// two spans share a (trace id, span id) pair).
    pub duplicates: usize,
    /// Spans whose parent is not in the session (shown as roots).
    pub missing_parents: usize,
    /// Parent cycles that were cut.
    pub cycles_broken: usize,
    /// Logfire `pending_span` records folded into the real span they announced.
    pub pending_folded: usize,
}

impl Forest {
    /// Builds every trace of the session.
    pub fn build(session: &Session) -> Forest {
        let mut order: Vec<TraceId> = Vec::new();
        let mut groups: HashMap<TraceId, Vec<u32>> = HashMap::default();
        for (i, span) in session.spans.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            groups
                .entry(span.trace_id)
                .or_insert_with(|| {
                    order.push(span.trace_id);
                    Vec::new()
                })
                .push(i);
        }
        let mut forest = Forest {
            duplicates: session.duplicates,
            ..Forest::default()
        };
        // Room for every trace at once: grown by doubling, 40,000 small traces left a third of
        // their vector unused, and each doubling held the old and the new copy.
        forest.traces.reserve_exact(order.len());
        for trace_id in order {
            let members = groups.remove(&trace_id).unwrap_or_default();
            let tree = super::build::build_trace(session, trace_id, &members, &mut forest);
            forest.traces.push(tree);
        }
        forest.traces.sort_by_key(|t| (t.error_count == 0, t.start));
        forest.linked = crate::trace::linked::join_linked(session, &forest.traces);
        forest
    }

    /// Every view in order, the `i`th being [`Forest::tree`]`(i)`: the traces, then the traces
    /// shown together.
    pub fn views(&self) -> impl Iterator<Item = &TraceTree> {
        self.traces.iter().chain(&self.linked)
    }

    /// View `i`: a trace, or past the traces a group of linked traces shown together.
    pub fn tree(&self, i: usize) -> Option<&TraceTree> {
        match i.checked_sub(self.traces.len()) {
            None => self.traces.get(i),
            Some(j) => self.linked.get(j),
        }
    }

    /// Mutable [`Forest::tree`].
    pub fn tree_mut(&mut self, i: usize) -> Option<&mut TraceTree> {
        match i.checked_sub(self.traces.len()) {
            None => self.traces.get_mut(i),
            Some(j) => self.linked.get_mut(j),
        }
    }

    /// For each trace, the view showing it together with the traces it links to, if any: one
    /// pass, for callers that ask for every trace ([`Forest::linked_view_of`] looks through
    /// every group).
    pub fn linked_views(&self) -> Vec<Option<usize>> {
        let mut views = vec![None; self.traces.len()];
        for (j, tree) in self.linked.iter().enumerate() {
            for &member in &tree.members {
                if let Some(slot) = views.get_mut(member) {
                    *slot = Some(self.traces.len() + j);
                }
            }
        }
        views
    }

    /// The view showing trace `trace` together with the traces it links to, if any.
    pub fn linked_view_of(&self, trace: usize) -> Option<usize> {
        self.linked
            .iter()
            .position(|j| j.members.contains(&trace))
            .map(|j| self.traces.len() + j)
    }

    /// The view a session opens on: the first trace (failing traces come first), shown with
    /// the traces it links to when there are any, so a failed test opens with the worker trace
    /// it enqueued.
    pub fn first_view(&self) -> usize {
        self.linked_view_of(0).unwrap_or(0)
    }

    /// Where a span is: (trace index, node index), if it is loaded.
    pub fn locate(
        &self,
        session: &Session,
        trace_id: TraceId,
        span_id: SpanId,
    ) -> Option<(usize, u32)> {
        let t = self.traces.iter().position(|t| t.trace_id == trace_id)?;
        Some((t, self.traces[t].find(session, trace_id, span_id)?))
    }

    /// Where span `span` is, in trace `trace` when given, else in the first trace holding a span
    /// with that id (a span id alone, as a query result or an assistant may give it).
    pub fn locate_span(
        &self,
        session: &Session,
        trace: Option<TraceId>,
        span: SpanId,
    ) -> Option<(usize, u32)> {
        let trace = trace.or_else(|| {
            session
                .spans
                .iter()
                .find(|s| s.span_id == span)
                .map(|s| s.trace_id)
        })?;
        self.locate(session, trace, span)
    }

    /// Where a span is, seen from view `view`: in that view when it holds the span (traces shown
    /// together hold their linked spans), else as [`Forest::locate`].
    pub fn locate_from(
        &self,
        session: &Session,
        view: usize,
        trace_id: TraceId,
        span_id: SpanId,
    ) -> Option<(usize, u32)> {
        let here = self
            .tree(view)
            .filter(|t| {
                t.members
                    .iter()
                    .any(|&m| self.traces.get(m).is_some_and(|m| m.trace_id == trace_id))
            })
            .and_then(|t| t.find(session, trace_id, span_id));
        match here {
            Some(node) => Some((view, node)),
            None => self.locate(session, trace_id, span_id),
        }
    }

    /// Total spans shown across traces.
    pub fn span_count(&self) -> usize {
        self.traces.iter().map(TraceTree::span_count).sum()
    }

    /// Total failing spans across traces.
    pub fn error_count(&self) -> usize {
        self.traces.iter().map(|t| t.error_count).sum()
    }

    /// Distinct services across traces.
    pub fn service_count(&self) -> usize {
        let mut all: Vec<Sym> = self
            .traces
            .iter()
            .flat_map(|t| t.services.iter().copied())
            .collect();
        all.sort_unstable();
        all.dedup();
        all.len()
    }
}

thread_local! {
    /// The bytes of the piece being read (the wire stage's reading), which bound how many trees it can
    /// hold (see [`trees`]).
    pub(crate) static READING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The fewest bytes a tree takes in the binary form (its 16-byte trace id and a byte for each
/// of its other fields).
const TREE_BYTES: usize = 24;

/// Reads a list of trees into a vector made its exact size once. serde's own reading trusts a
/// count only up to 1 MiB of room and then grows by doubling: the head of a session of many
/// one-span traces held nearly twice the vectors' room at the last doubling, and the page's
/// memory never gives that back. The count is trusted as far as the bytes being read
/// could hold that many trees, so a corrupt count cannot claim more.
fn trees<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<TraceTree>, D::Error> {
    struct Trees;
    impl<'de> serde::de::Visitor<'de> for Trees {
        type Value = Vec<TraceTree>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of trees")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let room = seq.size_hint().unwrap_or(0).min(READING.get() / TREE_BYTES);
            let mut out = Vec::new();
            // Fallible: with no room to spare, the list grows as it is read.
            let _ = out.try_reserve_exact(room);
            while let Some(tree) = seq.next_element()? {
                out.push(tree);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Trees)
}
