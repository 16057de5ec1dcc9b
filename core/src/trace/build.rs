//! Tree building: from a bag of spans to one pre-order node list per trace.
//!
//! Real files are messy, and every span must still be shown: a span whose parent is not in the
//! session becomes a root marked `missing_parent`; the same span seen twice is kept once and
//! counted; a span that is its own ancestor has its cycle broken at the earliest span of the
//! cycle, marked `cycle_broken`. Children are ordered by start time.

use std::collections::hash_map::Entry;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::model::intern::Sym;
use crate::model::{Session, Span, SpanId, TraceId, Value};
use crate::trace::tree::{Forest, Node, NodeFlags, TraceTree};

/// The spans of one trace, each once: `spans[local]` is the session's index of the span at local
/// index `local`, `ids[local]` its effective (id, parent), `stand_in[local]` whether it is a
/// Logfire pending span standing in for a span that never arrived.
struct Members {
    by_id: HashMap<SpanId, usize>,
    spans: Vec<u32>,
    ids: Vec<(SpanId, Option<SpanId>)>,
    stand_in: Vec<bool>,
}

impl Members {
    /// The trace's unique spans. Logfire announces each span with a zero-length `pending_span`
    /// child: it is folded into the real span, or stands in for it when the real span never
    /// arrived. Spans seen twice are kept once (both counted on `forest`).
    fn of(session: &Session, members: &[u32], forest: &mut Forest) -> Members {
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
        let mut out = Members {
            by_id: HashMap::with_capacity_and_hasher(members.len(), Default::default()),
            spans: Vec::with_capacity(members.len()),
            ids: Vec::with_capacity(members.len()),
            stand_in: Vec::with_capacity(members.len()),
        };
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
            match out.by_id.entry(id) {
                Entry::Occupied(_) => {
                    if pending {
                        forest.pending_folded += 1;
                    } else {
                        forest.duplicates += 1;
                    }
                    continue;
                }
                Entry::Vacant(slot) => {
                    slot.insert(out.spans.len());
                }
            }
            out.spans.push(m);
            out.ids.push((id, parent));
            out.stand_in.push(pending);
        }
        out
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    fn parent_of(&self, local: usize) -> Option<SpanId> {
        self.ids[local].1
    }

    /// The local index of the span with this id, if the trace has it.
    fn local(&self, id: SpanId) -> Option<usize> {
        self.by_id.get(&id).copied()
    }
}

/// Where each span hangs: the roots (spans without a parent, or whose parent is missing), which
/// parents are missing, and each span's parent as a local index (`NONE` for roots).
struct Parents {
    roots: Vec<usize>,
    missing: Vec<bool>,
    local: Vec<u32>,
}

impl Parents {
    fn of(members: &Members, forest: &mut Forest) -> Parents {
        let n = members.len();
        let mut out = Parents {
            roots: Vec::new(),
            missing: vec![false; n],
            local: vec![NONE; n],
        };
        for local in 0..n {
            match members.parent_of(local) {
                None => out.roots.push(local),
                Some(pid) => match members.local(pid) {
                    Some(p) => out.local[local] = local_u32(p),
                    None => {
                        out.missing[local] = true;
                        forest.missing_parents += 1;
                        out.roots.push(local);
                    }
                },
            }
        }
        out
    }
}

/// The nodes placed so far, in pre-order, with the local index of each node's span (`NONE` for
/// a placeholder) and which spans have a node.
struct Placed {
    nodes: Vec<Node>,
    locals: Vec<u32>,
    visited: Vec<bool>,
}

impl Placed {
    /// Appends the subtree of `root` in pre-order, iteratively (traces can be very deep).
    fn walk(&mut self, root: usize, root_parent: Option<u32>, root_depth: u32, tree: &Shape<'_>) {
        let Placed {
            nodes,
            locals,
            visited,
        } = self;
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
            for &c in tree.children.of(local).iter().rev() {
                let c = c as usize;
                if !visited[c] {
                    stack.push((c, Some(me), depth + 1));
                    kids += 1;
                }
            }
            locals.push(local_u32(local));
            nodes.push(Node {
                span: tree.members.spans[local],
                depth,
                parent,
                subtree_end: me + 1,
                children: kids,
                flags: NodeFlags::default(),
            });
        }
    }
}

/// What placing nodes reads: the spans and who is whose child.
struct Shape<'a> {
    members: &'a Members,
    children: &'a Children,
}

pub(super) fn build_trace(
    session: &Session,
    trace_id: TraceId,
    members: &[u32],
    forest: &mut Forest,
) -> TraceTree {
    let members = Members::of(session, members, forest);
    let n = members.len();
    let mut parents = Parents::of(&members, forest);
    let by_start = |a: &usize, b: &usize| {
        let (sa, sb) = (
            &session.spans[members.spans[*a] as usize],
            &session.spans[members.spans[*b] as usize],
        );
        (sa.start, sa.span_id).cmp(&(sb.start, sb.span_id))
    };
    let children = Children::new(&parents.local, |a, b| {
        by_start(&(*a as usize), &(*b as usize))
    });
    parents.roots.sort_by(by_start);
    let shape = Shape {
        members: &members,
        children: &children,
    };
    let mut placed = Placed {
        nodes: Vec::with_capacity(n),
        locals: Vec::with_capacity(n),
        visited: vec![false; n],
    };
    place_roots(&shape, &parents, &mut placed);
    let cycle_broken = break_cycles(&shape, &mut placed, by_start, forest);
    let flags = Flags {
        missing: &parents.missing,
        cycle_broken: &cycle_broken,
        stand_in: &members.stand_in,
    };
    let Placed {
        mut nodes, locals, ..
    } = placed;
    let summary = mark_nodes(session, &mut nodes, &locals, &flags);
    let (start, end) = if summary.start == u64::MAX {
        (0, 0)
    } else {
        (summary.start, summary.end)
    };
    TraceTree {
        trace_id,
        nodes,
        start,
        end,
        error_count: summary.error_count,
        services: summary.services,
        minimap: Vec::new(),
        precomputed: None,
        members: Vec::new(),
    }
}

/// Places every root's subtree. Roots whose parent is missing hang under one "missing parent"
/// row per missing id, placed where the first of them starts.
fn place_roots(shape: &Shape<'_>, parents: &Parents, placed: &mut Placed) {
    let members = shape.members;
    // Grouped by id: a file of spans whose parents were all left out (only one service's
    // spans, say) has as many missing ids as spans, so each is found by hashing, not searching.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<SpanId, usize> = HashMap::default();
    for &r in &parents.roots {
        if parents.missing[r] {
            let pid = members.parent_of(r).unwrap_or_default();
            match group_of.entry(pid) {
                Entry::Occupied(g) => groups[*g.get()].push(r),
                Entry::Vacant(g) => {
                    g.insert(groups.len());
                    groups.push(vec![r]);
                }
            }
        }
    }
    for &r in &parents.roots {
        if !parents.missing[r] {
            placed.walk(r, None, 0, shape);
            continue;
        }
        let pid = members.parent_of(r).unwrap_or_default();
        // The group's row goes where its first member starts; the others are in it already.
        let Some(group) = group_of
            .get(&pid)
            .and_then(|&g| groups.get_mut(g))
            .filter(|m| m.first() == Some(&r))
            .map(std::mem::take)
        else {
            continue;
        };
        let at = local_u32(placed.nodes.len());
        placed.locals.push(NONE);
        placed.nodes.push(Node {
            span: members.spans[r],
            depth: 0,
            parent: None,
            subtree_end: at + 1,
            children: local_u32(group.len()),
            flags: NodeFlags {
                placeholder: true,
                ..NodeFlags::default()
            },
        });
        for m in group {
            placed.walk(m, Some(at), 1, shape);
        }
        placed.nodes[at as usize].subtree_end = local_u32(placed.nodes.len());
    }
}

/// Places whatever no root reached: it hangs off a parent cycle, which is cut at its earliest
/// span. Returns which spans had their cycle cut.
fn break_cycles(
    shape: &Shape<'_>,
    placed: &mut Placed,
    by_start: impl Fn(&usize, &usize) -> std::cmp::Ordering,
    forest: &mut Forest,
) -> Vec<bool> {
    let members = shape.members;
    let n = members.len();
    let mut cycle_broken = vec![false; n];
    let parent = |local: usize| members.parent_of(local).and_then(|p| members.local(p));
    let mut next = 0;
    // Which cycle search last passed each span: one list serves every search, where a list per
    // cycle would be written once per cycle.
    let mut seen: Vec<u32> = vec![0; n];
    let mut search = 0u32;
    while placed.nodes.len() < n {
        while placed.visited[next] {
            next += 1;
        }
        search += 1;
        let mut at = next;
        while seen[at] != search {
            seen[at] = search;
            match parent(at) {
                Some(p) => at = p,
                None => break,
            }
        }
        // `at` is on the cycle: collect it and pick its earliest member.
        let mut cycle = vec![at];
        let mut cur = at;
        while let Some(p) = parent(cur) {
            if p == at {
                break;
            }
            cycle.push(p);
            cur = p;
        }
        let cut = cycle.into_iter().min_by(&by_start).unwrap_or(at);
        cycle_broken[cut] = true;
        forest.cycles_broken += 1;
        placed.walk(cut, None, 0, shape);
    }
    cycle_broken
}

/// What the building found about each span (by local index), for its node's flags.
struct Flags<'a> {
    missing: &'a [bool],
    cycle_broken: &'a [bool],
    stand_in: &'a [bool],
}

/// What a trace holds: its services in order of appearance, its failed spans and its times.
struct Summary {
    services: Vec<Sym>,
    error_count: usize,
    start: u64,
    end: u64,
}

/// Sets every node's flags and sums up the trace.
fn mark_nodes(session: &Session, nodes: &mut [Node], locals: &[u32], flags: &Flags<'_>) -> Summary {
    // The strings compared with, looked up once.
    let log_type = session
        .strings
        .lookup("logfire.span_type")
        .zip(session.strings.lookup("log"));
    let exception = session.strings.lookup("exception");
    let mut summary = Summary {
        services: Vec::new(),
        error_count: 0,
        start: u64::MAX,
        end: 0,
    };
    // Services seen, and the resource of the span before: a hash probe only when the resource
    // changes (spans of a resource come together), never a search of the list per span.
    let mut seen_services: HashSet<Sym> = HashSet::default();
    let mut last_resource = None;
    for (node, &local) in nodes.iter_mut().zip(locals) {
        if node.flags.placeholder {
            continue;
        }
        let s = &session.spans[node.span as usize];
        let local = local as usize;
        node.flags.missing_parent = flags.missing[local];
        node.flags.cycle_broken = flags.cycle_broken[local];
        node.flags.pending = flags.stand_in[local];
        node.flags.log = log_type
            .is_some_and(|(key, log)| s.attribute(key).and_then(Value::as_str) == Some(log));
        node.flags.error = Session::is_error_with(s, exception);
        summary.error_count += usize::from(node.flags.error);
        if last_resource != Some(s.resource) {
            last_resource = Some(s.resource);
            let svc = session
                .resources
                .get(s.resource as usize)
                .map_or(Sym::EMPTY, |r| r.service);
            if seen_services.insert(svc) {
                summary.services.push(svc);
            }
        }
        if s.start > 0 {
            summary.start = summary.start.min(s.start);
            summary.end = summary.end.max(s.start);
        }
        if s.end > 0 {
            summary.end = summary.end.max(s.end);
        }
    }
    for i in (0..nodes.len()).rev() {
        let node = nodes[i];
        if let Some(p) = node.parent {
            let p = &mut nodes[p as usize];
            p.flags.error_below |= node.flags.error || node.flags.error_below;
        }
    }
    summary
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
