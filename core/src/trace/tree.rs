//! Tree building: from a bag of spans to one pre-order node list per trace.
//!
//! Real files are messy, and every span must still be shown: a span whose parent is not in the
//! session becomes a root marked `missing_parent`; the same span seen twice is kept once and
//! counted; a span that is its own ancestor has its cycle broken at the earliest span of the
//! cycle, marked `cycle_broken`. Children are ordered by start time.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use serde::{Deserialize, Serialize};

use crate::model::intern::Sym;
use crate::model::{Session, Span, SpanId, TraceId, Value};

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
    /// tree of linked traces shown together ([`Forest::joined`]).
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
    /// For traces shown together ([`Forest::joined`]): the indices into [`Forest::traces`] of
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
    /// each drawn as one tree ([`crate::joined`]). As views they follow the traces: view
    /// `traces.len() + j` is `joined[j]` (see [`Forest::tree`]).
    #[serde(deserialize_with = "trees")]
    pub joined: Vec<TraceTree>,
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
            let tree = build_trace(session, trace_id, &members, &mut forest);
            forest.traces.push(tree);
        }
        forest.traces.sort_by_key(|t| (t.error_count == 0, t.start));
        forest.joined = crate::trace::linked::join_linked(session, &forest.traces);
        forest
    }

    /// Every view in order, the `i`th being [`Forest::tree`]`(i)`: the traces, then the traces
    /// shown together.
    pub fn views(&self) -> impl Iterator<Item = &TraceTree> {
        self.traces.iter().chain(&self.joined)
    }

    /// View `i`: a trace, or past the traces a group of linked traces shown together.
    pub fn tree(&self, i: usize) -> Option<&TraceTree> {
        match i.checked_sub(self.traces.len()) {
            None => self.traces.get(i),
            Some(j) => self.joined.get(j),
        }
    }

    /// Mutable [`Forest::tree`].
    pub fn tree_mut(&mut self, i: usize) -> Option<&mut TraceTree> {
        match i.checked_sub(self.traces.len()) {
            None => self.traces.get_mut(i),
            Some(j) => self.joined.get_mut(j),
        }
    }

    /// For each trace, the view showing it together with the traces it links to, if any: one
    /// pass, for callers that ask for every trace ([`Forest::joined_view_of`] looks through
    /// every group).
    pub fn joined_views(&self) -> Vec<Option<usize>> {
        let mut views = vec![None; self.traces.len()];
        for (j, tree) in self.joined.iter().enumerate() {
            for &member in &tree.members {
                if let Some(slot) = views.get_mut(member) {
                    *slot = Some(self.traces.len() + j);
                }
            }
        }
        views
    }

    /// The view showing trace `trace` together with the traces it links to, if any.
    pub fn joined_view_of(&self, trace: usize) -> Option<usize> {
        self.joined
            .iter()
            .position(|j| j.members.contains(&trace))
            .map(|j| self.traces.len() + j)
    }

    /// The view a session opens on: the first trace (failing traces come first), shown with
    /// the traces it links to when there are any, so a failed test opens with the worker trace
    /// it enqueued.
    pub fn first_view(&self) -> usize {
        self.joined_view_of(0).unwrap_or(0)
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

fn build_trace(
    session: &Session,
    trace_id: TraceId,
    members: &[u32],
    forest: &mut Forest,
) -> TraceTree {
    // Logfire announces each span with a zero-length `pending_span` child. It is folded into the
    // real span; when the real span never arrived, it stands in for it.
    let keys = pending_keys(session);
    // (Without pending spans in the session, nothing is looked up in it.)
    let real: HashSet<SpanId> = match keys {
        Some(_) => members
            .iter()
            .map(|&m| &session.spans[m as usize])
            .filter(|s| pending_of(session, keys, s).is_none())
            .map(|s| s.span_id)
            .collect(),
        None => HashSet::default(),
    };
    // Unique spans of this trace; `local` indexes into `spans`, with each one's effective
    // (id, parent) in `ids`.
    let mut by_id: HashMap<SpanId, usize> =
        HashMap::with_capacity_and_hasher(members.len(), Default::default());
    let mut spans: Vec<u32> = Vec::with_capacity(members.len());
    let mut ids: Vec<(SpanId, Option<SpanId>)> = Vec::with_capacity(members.len());
    let mut stand_in: Vec<bool> = Vec::with_capacity(members.len());
    for &m in members {
        let s = &session.spans[m as usize];
        let (id, parent, pending) = match pending_of(session, keys, s) {
            Some((announced, _)) if real.contains(&announced) => {
                forest.pending_folded += 1;
                continue;
            }
            Some((announced, parent)) => (announced, parent, true),
            None => (s.span_id, s.parent_id, false),
        };
        match by_id.entry(id) {
            std::collections::hash_map::Entry::Occupied(_) => {
                if pending {
                    forest.pending_folded += 1;
                } else {
                    forest.duplicates += 1;
                }
                continue;
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(spans.len());
            }
        }
        spans.push(m);
        ids.push((id, parent));
        stand_in.push(pending);
    }
    let n = spans.len();
    let span = |local: usize| &session.spans[spans[local] as usize];
    let parent_of = |local: usize| ids[local].1;
    let mut roots: Vec<usize> = Vec::new();
    let mut missing = vec![false; n];
    // Each span's parent (local index), `NONE` for roots.
    let mut parent_local: Vec<u32> = vec![NONE; n];
    for (local, is_missing) in missing.iter_mut().enumerate() {
        match parent_of(local) {
            None => roots.push(local),
            Some(pid) => match by_id.get(&pid) {
                Some(&p) => parent_local[local] = local_u32(p),
                None => {
                    *is_missing = true;
                    forest.missing_parents += 1;
                    roots.push(local);
                }
            },
        }
    }
    let by_start = |a: &usize, b: &usize| {
        let (sa, sb) = (span(*a), span(*b));
        (sa.start, sa.span_id).cmp(&(sb.start, sb.span_id))
    };
    let children = Children::new(&parent_local, |a, b| {
        by_start(&(*a as usize), &(*b as usize))
    });
    roots.sort_by(by_start);

    let mut nodes: Vec<Node> = Vec::with_capacity(n);
    // The local index of each node's span (`NONE` for a placeholder), in step with `nodes`.
    let mut locals: Vec<u32> = Vec::with_capacity(n);
    let mut visited = vec![false; n];
    let mut cycle_broken = vec![false; n];
    // Roots whose parent is missing hang under one "missing parent" row per missing id, placed
    // where the first of them starts.
    // Found by id: a file of spans whose parents were all left out (only one service's spans,
    // say) has as many missing ids as spans, and a search through the list for each took 4.9 s
    // natively for 100,000 of them.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<SpanId, usize> = HashMap::default();
    for &r in &roots {
        if missing[r] {
            let pid = parent_of(r).unwrap_or_default();
            match group_of.entry(pid) {
                std::collections::hash_map::Entry::Occupied(g) => groups[*g.get()].push(r),
                std::collections::hash_map::Entry::Vacant(g) => {
                    g.insert(groups.len());
                    groups.push(vec![r]);
                }
            }
        }
    }
    for &r in &roots {
        if !missing[r] {
            walk(
                r,
                None,
                0,
                &children,
                &mut visited,
                &mut nodes,
                (&spans, &mut locals),
            );
            continue;
        }
        let pid = parent_of(r).unwrap_or_default();
        // The group's row goes where its first member starts; the others are in it already.
        let Some(members) = group_of
            .get(&pid)
            .and_then(|&g| groups.get_mut(g))
            .filter(|m| m.first() == Some(&r))
            .map(std::mem::take)
        else {
            continue;
        };
        let at = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
        locals.push(NONE);
        nodes.push(Node {
            span: spans[r],
            depth: 0,
            parent: None,
            subtree_end: at + 1,
            children: u32::try_from(members.len()).unwrap_or(u32::MAX),
            flags: NodeFlags {
                placeholder: true,
                ..NodeFlags::default()
            },
        });
        for m in members {
            walk(
                m,
                Some(at),
                1,
                &children,
                &mut visited,
                &mut nodes,
                (&spans, &mut locals),
            );
        }
        nodes[at as usize].subtree_end = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
    }
    // Whatever no root reached hangs off a parent cycle: cut each cycle at its earliest span.
    let mut next = 0;
    // Which cycle search last passed each span (one list for all of them: a list per cycle made
    // 50,000 two-span cycles write 5 GB of flags).
    let mut seen: Vec<u32> = vec![0; n];
    let mut search = 0u32;
    while nodes.len() < n {
        while visited[next] {
            next += 1;
        }
        search += 1;
        let mut at = next;
        while seen[at] != search {
            seen[at] = search;
            match parent_of(at).and_then(|p| by_id.get(&p)) {
                Some(&p) => at = p,
                None => break,
            }
        }
        // `at` is on the cycle: collect it and pick its earliest member.
        let mut cycle = vec![at];
        let mut cur = at;
        while let Some(&p) = parent_of(cur).and_then(|p| by_id.get(&p)) {
            if p == at {
                break;
            }
            cycle.push(p);
            cur = p;
        }
        let cut = cycle.into_iter().min_by(by_start).unwrap_or(at);
        cycle_broken[cut] = true;
        forest.cycles_broken += 1;
        walk(
            cut,
            None,
            0,
            &children,
            &mut visited,
            &mut nodes,
            (&spans, &mut locals),
        );
    }

    // Flags, and which services and errors the trace holds.
    // The strings compared with, looked up once.
    let log_type = session
        .strings
        .lookup("logfire.span_type")
        .zip(session.strings.lookup("log"));
    let exception = session.strings.lookup("exception");
    let mut services: Vec<Sym> = Vec::new();
    // Services seen, and the resource of the span before: a hash probe only when the resource
    // changes (spans of a resource come together), never a search of the list per span.
    let mut seen_services: HashSet<Sym> = HashSet::default();
    let mut last_resource = None;
    let mut error_count = 0;
    let (mut start, mut end) = (u64::MAX, 0u64);
    for (node, &local) in nodes.iter_mut().zip(&locals) {
        if node.flags.placeholder {
            continue;
        }
        let s = &session.spans[node.span as usize];
        let local = local as usize;
        node.flags.missing_parent = missing[local];
        node.flags.cycle_broken = cycle_broken[local];
        node.flags.pending = stand_in[local];
        node.flags.log = log_type
            .is_some_and(|(key, log)| s.attribute(key).and_then(Value::as_str) == Some(log));
        node.flags.error = Session::is_error_with(s, exception);
        error_count += usize::from(node.flags.error);
        if last_resource != Some(s.resource) {
            last_resource = Some(s.resource);
            let svc = session
                .resources
                .get(s.resource as usize)
                .map_or(Sym::EMPTY, |r| r.service);
            if seen_services.insert(svc) {
                services.push(svc);
            }
        }
        if s.start > 0 {
            start = start.min(s.start);
            end = end.max(s.start);
        }
        if s.end > 0 {
            end = end.max(s.end);
        }
    }
    for i in (0..nodes.len()).rev() {
        let node = nodes[i];
        if let Some(p) = node.parent {
            let p = &mut nodes[p as usize];
            p.flags.error_below |= node.flags.error || node.flags.error_below;
        }
    }
    if start == u64::MAX {
        start = 0;
        end = 0;
    }
    TraceTree {
        trace_id,
        nodes,
        start,
        end,
        error_count,
        services,
        minimap: Vec::new(),
        precomputed: None,
        members: Vec::new(),
    }
}

/// Marks "no such local index" (a root's parent, a placeholder's span).
const NONE: u32 = u32::MAX;

/// A local index as stored (a trace holds fewer than 2^32 spans: indices come from `u32`s).
fn local_u32(local: usize) -> u32 {
    u32::try_from(local).unwrap_or(NONE)
}

/// Each span's children (local indices), in one list in order of their parents: built from
/// every span's parent in two passes, with no list per span (a million spans made a million
/// small vectors), each parent's children sorted with `order`.
struct Children {
    /// Where each span's children start in `list`; one more entry than spans.
    start: Vec<u32>,
    list: Vec<u32>,
}

impl Children {
    fn new(parent: &[u32], order: impl Fn(&u32, &u32) -> std::cmp::Ordering) -> Children {
        let n = parent.len();
        let mut start = vec![0u32; n + 1];
        for &p in parent {
            if p != NONE {
                start[p as usize + 1] += 1;
            }
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut list = vec![0u32; start[n] as usize];
        for (child, &p) in parent.iter().enumerate() {
            if p != NONE {
                let at = &mut fill[p as usize];
                list[*at as usize] = local_u32(child);
                *at += 1;
            }
        }
        for i in 0..n {
            let kids = &mut list[start[i] as usize..start[i + 1] as usize];
            if kids.len() > 1 {
                kids.sort_by(&order);
            }
        }
        Children { start, list }
    }

    fn of(&self, local: usize) -> &[u32] {
        &self.list[self.start[local] as usize..self.start[local + 1] as usize]
    }
}

/// Appends the subtree of `root` in pre-order, iteratively (traces can be very deep).
fn walk(
    root: usize,
    root_parent: Option<u32>,
    root_depth: u32,
    children: &Children,
    visited: &mut [bool],
    nodes: &mut Vec<Node>,
    (spans, locals): (&[u32], &mut Vec<u32>),
) {
    // Stack of (local index, parent node, depth); an entry with `usize::MAX` closes a subtree.
    let mut stack: Vec<(usize, Option<u32>, u32)> = vec![(root, root_parent, root_depth)];
    let mut open: Vec<usize> = Vec::new();
    while let Some((local, parent, depth)) = stack.pop() {
        if local == usize::MAX {
            if let Some(i) = open.pop() {
                nodes[i].subtree_end = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
            }
            continue;
        }
        if visited[local] {
            continue;
        }
        visited[local] = true;
        let index = nodes.len();
        let me = u32::try_from(index).unwrap_or(u32::MAX);
        open.push(index);
        stack.push((usize::MAX, None, 0));
        // Children not yet visited, pushed last first so they come off the stack in order.
        let mut kids = 0u32;
        for &c in children.of(local).iter().rev() {
            let c = c as usize;
            if !visited[c] {
                stack.push((c, Some(me), depth + 1));
                kids += 1;
            }
        }
        locals.push(local_u32(local));
        nodes.push(Node {
            span: spans[local],
            depth,
            parent,
            subtree_end: me + 1,
            children: kids,
            flags: NodeFlags::default(),
        });
    }
}

/// For a Logfire `pending_span` record: the id of the span it announces (its parent) and that
/// span's own parent (`logfire.pending_parent_id`).
/// `keys` are the session's handles of "logfire.span_type" and "pending_span" ([`pending_keys`]).
fn pending_of(
    session: &Session,
    keys: Option<(Sym, Sym)>,
    span: &Span,
) -> Option<(SpanId, Option<SpanId>)> {
    let (type_key, pending) = keys?;
    if span.attribute(type_key).and_then(Value::as_str) != Some(pending) {
        return None;
    }
    let announced = span.parent_id?;
    let parent = session
        .str_attribute(span, "logfire.pending_parent_id")
        .and_then(crate::model::ids::parse_hex_span_id)
        .filter(|p| !p.is_zero());
    Some((announced, parent))
}

/// The handles [`pending_of`] compares with, looked up once per trace; `None` when the session
/// has no pending spans at all.
fn pending_keys(session: &Session) -> Option<(Sym, Sym)> {
    Some((
        session.strings.lookup("logfire.span_type")?,
        session.strings.lookup("pending_span")?,
    ))
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
/// count only up to 1 MiB of room and then grows by doubling: the head of 60,000 small trees
/// (a session of one-span traces) held 1.9x the vectors' room at the last doubling, and the
/// page's memory never gives that back. The count is trusted as far as the bytes being read
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
