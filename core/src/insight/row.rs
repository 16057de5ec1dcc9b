//! What one waterfall row shows, as text and flags: its name, service and colour, its duration
//! label, and the marks after its name (an error, a missing or linked parent, a cut cycle, a span
//! that never ended, clock skew, a timeout, a failure folded inside, a slow span), each with the
//! sentence its tooltip gives. The page only writes these into the row's elements.

use crate::insight::timeout::timeout_match;
use crate::model::Session;
use crate::trace::outliers::skew;
use crate::trace::tree::TraceTree;
use crate::view::format::format_duration;
use crate::view::legend::service_hue;
use crate::view::window::{bar, Window};

/// What one row shows, computed once per trace from the core's tree and layout.
#[derive(Clone, Debug, PartialEq)]
pub struct RowInfo {
    pub index: u32,
    /// 1-based position under the current expansion (`aria-rowindex`).
    pub pos: usize,
    /// Load, span and position: a slot refills its row only when one of them changes (zooming
    /// moves the bars of the rows in place, so focus stays on the selected row).
    pub key: (u64, u32, usize),
    pub depth: u32,
    pub children: u32,
    pub name: String,
    pub service: String,
    pub hue: u16,
    pub kind: &'static str,
    pub error: bool,
    pub error_below: bool,
    /// The id of the parent that is not loaded, for orphans.
    pub missing_parent: Option<String>,
    pub cycle_broken: bool,
    pub pending: bool,
    pub log: bool,
    /// "starts 63ms before its parent" and/or "ends 800ms after it", when the clocks disagree.
    pub skew: Option<String>,
    pub no_time: bool,
    /// A "missing parent <id>" row, not a span.
    pub placeholder: bool,
    /// The root of another trace shown here by a span link: that trace's id.
    pub linked: Option<String>,
    /// "Lasted its reported timeout: …", when the duration matches a timeout the span reports.
    pub timeout: Option<String>,
    pub duration: String,
}

/// The row of node `index` at 1-based position `pos` under the current expansion.
pub fn row_info(
    s: &Session,
    tree: &TraceTree,
    window: Window,
    generation: u64,
    index: u32,
    pos: usize,
) -> Option<RowInfo> {
    let node = tree.nodes.get(index as usize)?;
    let span = &s.spans[node.span as usize];
    let b = bar(s, tree, index, window);
    if node.flags.placeholder {
        let id = span.parent_id.map(|p| p.to_string()).unwrap_or_default();
        return Some(RowInfo {
            index,
            pos,
            key: (generation, node.span, pos),
            depth: node.depth,
            children: node.children,
            name: format!("missing parent {id}"),
            service: String::new(),
            hue: 0,
            kind: "",
            error: false,
            error_below: node.flags.error_below,
            missing_parent: None,
            cycle_broken: false,
            pending: false,
            log: false,
            skew: None,
            no_time: b.no_time,
            placeholder: true,
            linked: None,
            timeout: None,
            duration: String::new(),
        });
    }
    let service = s.service_of(span).to_string();
    Some(RowInfo {
        index,
        pos,
        key: (generation, node.span, pos),
        depth: node.depth,
        children: node.children,
        name: s.shown_name(span).to_string(),
        hue: service_hue(&service),
        service,
        kind: span.kind.label(),
        error: node.flags.error,
        error_below: node.flags.error_below,
        missing_parent: node
            .flags
            .missing_parent
            .then(|| span.parent_id.map(|p| p.to_string()).unwrap_or_default()),
        cycle_broken: node.flags.cycle_broken,
        pending: node.flags.pending,
        log: node.flags.log,
        skew: skew(s, tree, index).map(|(before, after)| skew_text(before, after)),
        no_time: b.no_time,
        placeholder: false,
        linked: node.flags.linked.then(|| span.trace_id.to_string()),
        timeout: timeout_match(s, span).map(|t| {
            format!(
                "Lasted {}, the {} timeout it reports ({})",
                format_duration(span.duration()),
                format_duration(t.limit),
                t.source
            )
        }),
        duration: if b.no_time {
            "no time".to_string()
        } else if node.flags.log {
            "log".to_string()
        } else {
            format_duration(span.duration())
        },
    })
}

/// The tooltip of a span drawn outside its parent: how far it starts before the parent and ends
/// after it, by its own clock (`before` and `after` in nanoseconds; either may be 0).
pub fn skew_text(before: u64, after: u64) -> String {
    let mut parts = Vec::new();
    if before > 0 {
        parts.push(format!(
            "starts {} before its parent",
            format_duration(before)
        ));
    }
    if after > 0 {
        parts.push(format!("ends {} after its parent", format_duration(after)));
    }
    format!(
        "Drawn where its own clock put it: it {}",
        parts.join(" and ")
    )
}

/// A badge after a row's name.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub class: &'static str,
    pub title: String,
    pub text: String,
    /// The error mark: "!" for the eye, "error" for screen readers.
    pub error: bool,
}

/// How far along the timeline (in percent) a bar may end and still have its duration label
/// beside it on the right: 85%, or less on a timeline too narrow to hold a label (about 56 px,
/// "188.24ms" with its padding) in the last 15%. Past it the label goes before the bar.
pub fn label_limit(timeline_px: f64) -> f64 {
    if timeline_px > 0.0 {
        (100.0 * (1.0 - 56.0 / timeline_px)).clamp(0.0, 85.0)
    } else {
        85.0
    }
}

/// The marks of a row, in order: those of the row alone (the error, a missing or linked parent,
/// a cut cycle, a span that never ended, clock skew, a timeout), then "contains errors" on a
/// collapsed subtree with a failure inside, then "slow" on an outlier. Empty for most rows.
pub fn marks(r: Option<&RowInfo>, error_below: bool, slow: bool) -> Vec<Mark> {
    let mut out = Vec::new();
    let mark = |class: &'static str, title: &str, text: &str| Mark {
        class,
        title: title.to_string(),
        text: text.to_string(),
        error: false,
    };
    if let Some(r) = r {
        if r.placeholder {
            out.push(mark(
                "mark",
                "No span with this id is in the loaded files; the spans below name it as their parent",
                "not loaded",
            ));
        }
        if r.error {
            out.push(Mark {
                error: true,
                ..mark("mark error-mark", "This span failed", "")
            });
        }
        if let Some(id) = &r.missing_parent {
            out.push(mark(
                "mark missing-parent",
                &format!("Its parent span {id} is not in the loaded files"),
                &format!("missing parent {}", id.get(..8).unwrap_or(id)),
            ));
        }
        if let Some(id) = &r.linked {
            out.push(mark(
                "mark linked-mark",
                &format!("Trace {id}, joined to the span above by a span link: it ran on its own clock, as its own trace"),
                "linked trace",
            ));
        }
        if r.cycle_broken {
            out.push(mark(
                "mark",
                "Its parent links formed a cycle, cut here",
                "cycle cut",
            ));
        }
        if r.pending {
            out.push(mark(
                "mark",
                "Only its start was exported: the span never ended in these files",
                "never ended",
            ));
        }
        if let Some(why) = &r.skew {
            out.push(mark("mark skew-mark", why, "skew"));
        }
        if let Some(why) = &r.timeout {
            out.push(mark("mark timeout-mark", why, "timeout"));
        }
    }
    if error_below {
        out.push(mark(
            "mark error-below",
            "A span inside this collapsed subtree failed",
            "contains errors",
        ));
    }
    if slow {
        out.push(mark(
            "mark slow-mark",
            "At least 10 times the median duration of its siblings",
            "slow",
        ));
    }
    out
}
