//! The critical path of a trace, as Jaeger UI defines it: starting from the root, repeatedly
//! follow the child that finished last before the current point in time; when a span has no such
//! child, it is on the path itself and the walk returns to its parent at the span's start. Children
//! are first clipped to their parent (a child running past its parent only counts inside it).

use crate::model::Session;
use crate::trace::tree::TraceTree;

/// Node indices on the critical path of the trace's first root, sorted.
pub fn critical_path(session: &Session, tree: &TraceTree) -> Vec<u32> {
    if tree.nodes.is_empty() {
        return Vec::new();
    }
    // A trace whose root is missing starts at a placeholder: follow its first real span.
    let root = usize::from(tree.nodes[0].flags.placeholder && tree.nodes.len() > 1);
    critical_path_from(session, tree, root)
}

/// Node indices on the critical path of the subtree of node `root` (a test's span, say), sorted.
pub fn critical_path_from(session: &Session, tree: &TraceTree, root: usize) -> Vec<u32> {
    if root >= tree.nodes.len() {
        return Vec::new();
    }
    let times = |i: usize| {
        let s = &session.spans[tree.nodes[i].span as usize];
        (s.start, s.start + s.duration())
    };
    if times(root).0 == 0 {
        return vec![u32::try_from(root).unwrap_or(0)];
    }
    // Direct children of node `i`, clipped to it, sorted by end descending (ties: later start).
    let children = |i: usize| -> Vec<(usize, u64, u64)> {
        let (ps, pe) = times(i);
        let mut out = Vec::new();
        for c in tree.children(i) {
            let (s, e) = times(c);
            if s != 0 && s < pe && e > ps {
                out.push((c, s.max(ps), e.min(pe)));
            }
        }
        out.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)));
        out
    };
    let mut on_path = vec![false; tree.nodes.len()];
    let mut current = root;
    let mut returning: Option<u64> = None;
    // Each step either descends (strictly later start bound) or returns upwards with an earlier
    // time bound, so the walk ends; the step limit guards against malformed input anyway.
    for _ in 0..tree.nodes.len().saturating_mul(4).max(16) {
        let kids = children(current);
        let next = match returning {
            None => kids.first().copied(),
            Some(t) => kids.iter().copied().find(|&(_, _, e)| e < t),
        };
        on_path[current] = true;
        match next {
            Some((child, _, _)) => {
                current = child;
                returning = None;
            }
            None if current == root => break,
            None => {
                let Some(parent) = tree.nodes[current]
                    .parent
                    .filter(|&p| !tree.nodes[p as usize].flags.placeholder)
                else {
                    break;
                };
                let (ps, pe) = times(parent as usize);
                // The point in time to look back from, inside the parent.
                returning = Some(times(current).0.clamp(ps, pe));
                current = parent as usize;
            }
        }
    }
    on_path
        .iter()
        .enumerate()
        .filter(|(_, on)| **on)
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect()
}
