//! Spans that stand out from their neighbours: those running outside their parent by their own
//! clock (skew), and those far slower than their siblings.

use crate::model::Session;
use crate::trace::tree::TraceTree;

/// How far a span runs outside its parent, by its own clock: nanoseconds it starts before the
/// parent starts, and ends after the parent ends. `None` when it sits inside (or times are missing).
pub fn skew(session: &Session, tree: &TraceTree, index: u32) -> Option<(u64, u64)> {
    let node = tree.nodes.get(index as usize)?;
    let parent = tree.nodes.get(node.parent? as usize)?;
    // A linked trace's root runs when its own trace ran, not inside the span it hangs under.
    if node.flags.placeholder || parent.flags.placeholder || node.flags.linked {
        return None;
    }
    let (s, p) = (
        &session.spans[node.span as usize],
        &session.spans[parent.span as usize],
    );
    if s.start == 0 || p.start == 0 {
        return None;
    }
    let (s_end, p_end) = (s.start + s.duration(), p.start + p.duration());
    let before = p.start.saturating_sub(s.start);
    let after = if s.end == 0 || p.end == 0 {
        0
    } else {
        s_end.saturating_sub(p_end)
    };
    (before > 0 || after > 0).then_some((before, after))
}

/// Spans that took far longer than their siblings: at least 10 times the median duration of the
/// children of their parent, among at least 3 siblings. Returned as node indices, in tree order.
pub fn duration_outliers(session: &Session, tree: &TraceTree) -> Vec<u32> {
    let mut out = Vec::new();
    for (p, parent) in tree.nodes.iter().enumerate() {
        if parent.children < 3 {
            continue;
        }
        let kids: Vec<usize> = tree.children(p).collect();
        let duration = |i: usize| session.spans[tree.nodes[i].span as usize].duration();
        let mut durations: Vec<u64> = kids.iter().map(|&i| duration(i)).collect();
        durations.sort_unstable();
        let median = durations[durations.len() / 2];
        if median == 0 {
            continue;
        }
        out.extend(
            kids.iter()
                .filter(|&&i| duration(i) >= median.saturating_mul(10))
                .filter_map(|&i| u32::try_from(i).ok()),
        );
    }
    out.sort_unstable();
    out
}
