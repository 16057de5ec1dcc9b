//! Traces that link to each other, drawn as one tree.
//!
//! Work that outlives a request (a queued job, a batch) starts a new trace whose span carries a
//! span link to the span that caused it, as OpenTelemetry's messaging conventions recommend. A
//! failed CI test and the worker trace it enqueued are then two traces, and the cause of the
//! failure is in the other one. Here every group of traces joined by links (in either direction)
//! becomes one more tree: the earliest trace of the group, with each other trace hung under the
//! span it links to (or that links to it), its root marked [`NodeFlags::linked`].

use rustc_hash::FxHashMap as HashMap;

use crate::model::{Session, SpanId};
use crate::trace::tree::{Node, NodeFlags, TraceTree};

/// A span link from one trace of the session into another.
#[derive(Clone, Copy, Debug)]
struct Edge {
    from: usize,
    /// The node (in trace `from`) of the span carrying the link.
    from_node: u32,
    to: usize,
    /// The span the link names in trace `to` (it may not be loaded).
    to_span: SpanId,
}

/// One tree per group of at least two traces that link to each other, in the order of each
/// group's first trace in `traces`. Each tree's [`TraceTree::members`] lists its traces' indices
/// into `traces`, the one it is drawn from first.
pub fn join_linked(session: &Session, traces: &[TraceTree]) -> Vec<TraceTree> {
    let index: HashMap<_, usize> = traces
        .iter()
        .enumerate()
        .map(|(i, t)| (t.trace_id, i))
        .collect();
    let mut edges: Vec<Edge> = Vec::new();
    for (from, tree) in traces.iter().enumerate() {
        for (k, node) in tree.nodes.iter().enumerate() {
            if node.flags.placeholder {
                continue;
            }
            let span = &session.spans[node.span as usize];
            for link in &span.links {
                if link.trace_id == tree.trace_id {
                    continue;
                }
                if let (Some(&to), Ok(from_node)) = (index.get(&link.trace_id), u32::try_from(k)) {
                    edges.push(Edge {
                        from,
                        from_node,
                        to,
                        to_span: link.span_id,
                    });
                }
            }
        }
    }
    if edges.is_empty() {
        return Vec::new();
    }
    // Groups: union-find over the traces.
    let mut leader: Vec<usize> = (0..traces.len()).collect();
    fn find(leader: &mut [usize], mut i: usize) -> usize {
        while leader[i] != i {
            leader[i] = leader[leader[i]];
            i = leader[i];
        }
        i
    }
    for e in &edges {
        let (a, b) = (find(&mut leader, e.from), find(&mut leader, e.to));
        if a != b {
            leader[a.max(b)] = a.min(b);
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::default();
    for t in 0..traces.len() {
        let l = find(&mut leader, t);
        let g = *group_of.entry(l).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(t);
    }
    // Each group gets its own edges: every group going through all of them is quadratic in a
    // suite where every test enqueued a job.
    let mut group_edges: Vec<Vec<Edge>> = vec![Vec::new(); groups.len()];
    for e in edges {
        let leader = find(&mut leader, e.from);
        if let Some(&g) = group_of.get(&leader) {
            group_edges[g].push(e);
        }
    }
    // Room for every joint tree at once (as for the traces, see `Forest::build`).
    let mut joined = Vec::with_capacity(groups.iter().filter(|g| g.len() > 1).count());
    joined.extend(
        groups
            .into_iter()
            .zip(group_edges)
            .filter(|(g, _)| g.len() > 1)
            .map(|(members, edges)| join_group(session, traces, &members, &edges)),
    );
    joined
}

/// Hangs the traces of one group under the earliest one.
fn join_group(
    session: &Session,
    traces: &[TraceTree],
    members: &[usize],
    edges: &[Edge],
) -> TraceTree {
    let first = members
        .iter()
        .copied()
        .min_by_key(|&t| {
            let start = traces[t].start;
            (if start == 0 { u64::MAX } else { start }, t)
        })
        .unwrap_or(members[0]);
    // Place traces outward from the first along the links; each trace is hung once, under a
    // node of a trace placed before it: (host trace, host node) -> guests.
    let mut placed = vec![first];
    let mut guests: HashMap<(usize, u32), Vec<usize>> = HashMap::default();
    let mut at = 0;
    while at < placed.len() {
        let host = placed[at];
        at += 1;
        for e in edges {
            let (guest, node) = if e.from == host && !placed.contains(&e.to) {
                (e.to, e.from_node)
            } else if e.to == host && !placed.contains(&e.from) {
                // Under the span the link names; under the trace's first node if it is not loaded.
                let named = traces[host].find(session, traces[host].trace_id, e.to_span);
                (e.from, named.unwrap_or(0))
            } else {
                continue;
            };
            placed.push(guest);
            guests.entry((host, node)).or_default().push(guest);
        }
    }

    let tops = |t: usize| traces[t].tops().map(move |i| (t, node_u32(i), true));
    let start_of = |(t, i, _): &(usize, u32, bool)| {
        traces[*t]
            .nodes
            .get(*i as usize)
            .map_or(0, |n| session.spans[n.span as usize].start)
    };
    // A node's children: its own (already by start time) and the roots of the traces hung under
    // it, merged by start time.
    let children_of = |t: usize, i: u32| -> Vec<(usize, u32, bool)> {
        let mut out: Vec<(usize, u32, bool)> = traces[t]
            .children(i as usize)
            .map(|c| (t, node_u32(c), false))
            .collect();
        if let Some(gs) = guests.get(&(t, i)) {
            for &g in gs {
                out.extend(tops(g));
            }
            out.sort_by_key(start_of);
        }
        out
    };

    let total: usize = placed.iter().map(|&t| traces[t].nodes.len()).sum();
    let mut nodes: Vec<Node> = Vec::with_capacity(total);
    enum Step {
        Open(usize, u32, Option<u32>, u32, bool),
        Close(usize),
    }
    let mut stack: Vec<Step> = tops(first)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|(t, i, _)| Step::Open(t, i, None, 0, false))
        .collect();
    while let Some(step) = stack.pop() {
        match step {
            Step::Close(i) => {
                nodes[i].subtree_end = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
            }
            Step::Open(t, i, parent, depth, linked) => {
                let original = traces[t].nodes[i as usize];
                let kids = children_of(t, i);
                let me = nodes.len();
                let me32 = u32::try_from(me).unwrap_or(u32::MAX);
                nodes.push(Node {
                    span: original.span,
                    depth,
                    parent,
                    subtree_end: me32 + 1,
                    children: u32::try_from(kids.len()).unwrap_or(u32::MAX),
                    flags: NodeFlags {
                        linked,
                        error_below: false,
                        ..original.flags
                    },
                });
                stack.push(Step::Close(me));
                for (ct, ci, top) in kids.into_iter().rev() {
                    stack.push(Step::Open(ct, ci, Some(me32), depth + 1, top));
                }
            }
        }
    }
    for i in (0..nodes.len()).rev() {
        let node = nodes[i];
        if let Some(p) = node.parent {
            nodes[p as usize].flags.error_below |= node.flags.error || node.flags.error_below;
        }
    }

    let mut services = Vec::new();
    for &t in &placed {
        for s in &traces[t].services {
            if !services.contains(s) {
                services.push(*s);
            }
        }
    }
    let timed: Vec<&TraceTree> = placed
        .iter()
        .map(|&t| &traces[t])
        .filter(|t| t.start > 0 || t.end > 0)
        .collect();
    TraceTree {
        trace_id: traces[first].trace_id,
        nodes,
        start: timed.iter().map(|t| t.start).min().unwrap_or(0),
        end: timed.iter().map(|t| t.end).max().unwrap_or(0),
        error_count: placed.iter().map(|&t| traces[t].error_count).sum(),
        services,
        minimap: Vec::new(),
        precomputed: None,
        members: placed,
    }
}

fn node_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}
