//! Where a trace opens: on the span that raised its failure.

use crate::model::Session;
use crate::trace::tree::TraceTree;

/// The node to open a trace on: the deepest span carrying an `exception` event (where the
/// failure was raised), else the deepest failed span, else the first root. Ties go to the earliest
/// in the tree.
pub fn open_on_failure(session: &Session, tree: &TraceTree) -> Option<u32> {
    let exception = session.strings.lookup("exception");
    let deepest = |keep: &dyn Fn(&crate::trace::tree::Node) -> bool| {
        tree.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| keep(n))
            .max_by(|(ia, a), (ib, b)| a.depth.cmp(&b.depth).then(ib.cmp(ia)))
            .and_then(|(i, _)| u32::try_from(i).ok())
    };
    let raised = |n: &crate::trace::tree::Node| {
        exception.is_some_and(|e| {
            session.spans[n.span as usize]
                .events
                .iter()
                .any(|ev| ev.name == e)
        })
    };
    deepest(&raised)
        .or_else(|| deepest(&|n| n.flags.error))
        .or_else(|| {
            tree.nodes
                .iter()
                .position(|n| !n.flags.placeholder)
                .and_then(|i| u32::try_from(i).ok())
        })
}
