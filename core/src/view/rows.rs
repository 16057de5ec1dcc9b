//! Which rows of a trace show: folding and unfolding subtrees, and the rows that keep search
//! matches in their place in the tree.

use std::collections::HashSet;

use crate::trace::tree::TraceTree;

/// The node indices shown, in order, when the subtrees of `collapsed` nodes are folded.
pub fn visible_rows(tree: &TraceTree, collapsed: &HashSet<u32>) -> Vec<u32> {
    let mut rows = Vec::with_capacity(tree.nodes.len());
    let mut i = 0usize;
    while let Some(node) = tree.nodes.get(i) {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        rows.push(index);
        i = if collapsed.contains(&index) {
            node.subtree_end as usize
        } else {
            i + 1
        };
    }
    rows
}

/// The collapsed set that shows exactly `levels` levels of the tree (1 = roots only): every node
/// with children at that depth or deeper is folded. `levels = 0` folds nothing.
pub fn collapse_to_depth(tree: &TraceTree, levels: u32) -> HashSet<u32> {
    if levels == 0 {
        return HashSet::new();
    }
    tree.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.children > 0 && n.depth + 1 >= levels)
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect()
}

/// Unfolds node `index` and everything below it (Shift+Right, Alt/Shift+click on its triangle):
/// the whole subtree shows, whatever was folded inside it.
pub fn expand_subtree(tree: &TraceTree, collapsed: &mut HashSet<u32>, index: u32) {
    let Some(node) = tree.nodes.get(index as usize) else {
        return;
    };
    // Whichever is smaller: the folded set, or the subtree (a million nodes under the root).
    if collapsed.len() < node.subtree_end.saturating_sub(index) as usize {
        collapsed.retain(|&c| c < index || c >= node.subtree_end);
    } else {
        for i in index..node.subtree_end {
            collapsed.remove(&i);
        }
    }
}

/// Folds node `index` and every node below it that has children (Shift+Left, Alt/Shift+click on
/// its triangle), so unfolding it again shows one level at a time.
pub fn collapse_subtree(tree: &TraceTree, collapsed: &mut HashSet<u32>, index: u32) {
    let Some(node) = tree.nodes.get(index as usize) else {
        return;
    };
    let end = node
        .subtree_end
        .min(u32::try_from(tree.nodes.len()).unwrap_or(u32::MAX));
    for i in index..end {
        if tree.nodes[i as usize].children > 0 {
            collapsed.insert(i);
        }
    }
}

/// The closest ancestor-or-self of `index` that the collapsed set leaves visible.
pub fn visible_ancestor(tree: &TraceTree, collapsed: &HashSet<u32>, index: u32) -> u32 {
    let mut shown = index;
    let mut at = tree.nodes.get(index as usize).and_then(|n| n.parent);
    while let Some(p) = at {
        if collapsed.contains(&p) {
            shown = p;
        }
        at = tree.nodes.get(p as usize).and_then(|n| n.parent);
    }
    shown
}

/// The rows shown when only `matches` (node indices) are wanted: each match with its ancestors,
/// so every match keeps its place in the tree, in tree order. Collapse is ignored.
pub fn rows_with_ancestors(tree: &TraceTree, matches: &[u32]) -> Vec<u32> {
    let mut keep = vec![false; tree.nodes.len()];
    for &m in matches {
        let mut at = Some(m);
        while let Some(i) = at {
            match keep.get_mut(i as usize) {
                Some(k) if !*k => {
                    *k = true;
                    at = tree.nodes[i as usize].parent;
                }
                _ => break,
            }
        }
    }
    keep.iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect()
}
