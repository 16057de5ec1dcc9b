//! The summary at the top of the span details, as text: name and template, service, kind,
//! status, duration, start, parent and scope, with what each says when the file left it out.

use crate::model::Session;
use crate::trace::tree::TraceTree;
use crate::view::format::{format_duration, format_timestamp_utc};

/// What the summary of a span says.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanSummary {
    /// The name shown (Logfire's message when there is one).
    pub name: String,
    /// The span's own name when the name shown is another (a Logfire message template).
    pub template: Option<String>,
    pub service: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_message: String,
    pub duration: String,
    /// The start time, and how long after the trace's start.
    pub start: String,
    pub parent: String,
    /// The instrumentation scope's name and version.
    pub scope: String,
}

/// What a "missing parent" placeholder row says: the id no loaded span has, and how many spans
/// name it as their parent.
pub fn missing_parent_text(missing: &str, children: u32) -> String {
    let (s, verb) = if children == 1 { ("", "s") } else { ("s", "") };
    format!(
        "No span with id {missing} is in the loaded files, but {children} span{s} below name{verb} \
         it as parent. Its service may not export traces, or its spans are in a file not loaded."
    )
}

/// The summary of node `index` of `tree`; `None` for a node the tree does not have.
pub fn summary(session: &Session, tree: &TraceTree, index: u32) -> Option<SpanSummary> {
    let node = tree.nodes.get(index as usize)?;
    let s = session;
    let span = &s.spans[node.span as usize];
    let raw_name = s.strings.get(span.name);
    let duration = if span.start == 0 || span.end == 0 {
        "unknown (no times in the file)".to_string()
    } else {
        format_duration(span.duration())
    };
    let start = if span.start == 0 {
        "unknown".to_string()
    } else {
        format!(
            "{} (+{} from trace start)",
            format_timestamp_utc(span.start),
            format_duration(span.start.saturating_sub(tree.start))
        )
    };
    let parent = match (span.parent_id, node.flags.missing_parent) {
        (None, _) => "none (root)".to_string(),
        (Some(p), true) => format!("{p} (not in the loaded files)"),
        (Some(p), false) => p.to_string(),
    };
    let scope = s
        .scopes
        .get(span.scope as usize)
        .map(|sc| {
            let (n, v) = (s.strings.get(sc.name), s.strings.get(sc.version));
            if v.is_empty() {
                n.to_string()
            } else {
                format!("{n} {v}")
            }
        })
        .unwrap_or_default();
    Some(SpanSummary {
        name: s.shown_name(span).to_string(),
        template: (raw_name != s.display_name(span)).then(|| raw_name.to_string()),
        service: s.service_of(span).to_string(),
        kind: span.kind.label(),
        status: span.status.code.label(),
        status_message: s.strings.get(span.status.message).to_string(),
        duration,
        start,
        parent,
        scope,
    })
}
