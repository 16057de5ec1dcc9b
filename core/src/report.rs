//! The failing tests of a session and, for each, the span that caused the failure: what the
//! command-line report prints into a CI log, with a permalink per cause.

use crate::model::{Session, Span, StatusCode};
use crate::snapshot::Snapshot;
use crate::tree::TraceTree;
use crate::url_state::HashState;

/// Where a failure started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    pub node: u32,
    pub service: String,
    pub span: String,
    /// The exception type, or "" when the span only has an error status.
    pub kind: String,
    /// The exception message, or the status message.
    pub message: String,
    pub trace_id: String,
    pub span_id: String,
}

/// A failed test and its cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailingTest {
    pub trace: usize,
    pub node: u32,
    pub name: String,
    pub cause: Cause,
}

/// The outcome a test span records, lower-cased: Logfire's `test.outcome`, the semantic
/// conventions' `test.case.result.status`, or pytest's `pytest.outcome`.
fn test_outcome(session: &Session, span: &Span) -> Option<String> {
    ["test.case.result.status", "test.outcome", "pytest.outcome"]
        .iter()
        .find_map(|k| session.str_attribute(span, k))
        .map(str::to_ascii_lowercase)
}

fn is_test_span(session: &Session, span: &Span) -> bool {
    test_outcome(session, span).is_some()
        || session.str_attribute(span, "pytest.span_type") == Some("test")
        || session.str_attribute(span, "test.case.name").is_some()
}

fn failed(session: &Session, span: &Span) -> bool {
    match test_outcome(session, span).as_deref() {
        Some("failed" | "fail" | "error" | "errored" | "timedout" | "timed_out") => true,
        Some(_) => false,
        None => session.is_error(span) || span.status.code == StatusCode::Error,
    }
}

/// The cause of a failure under node `at`: the deepest span that raised an exception, else the
/// deepest failed span, else the node itself.
fn cause_in(session: &Session, tree: &TraceTree, at: u32) -> Cause {
    let node = &tree.nodes[at as usize];
    let range = at as usize..node.subtree_end as usize;
    let exception = session.strings.lookup("exception");
    let raised = |i: usize| {
        let s = &session.spans[tree.nodes[i].span as usize];
        exception.is_some_and(|e| s.events.iter().any(|ev| ev.name == e))
    };
    let deepest = |keep: &dyn Fn(usize) -> bool| {
        range
            .clone()
            .filter(|&i| !tree.nodes[i].flags.placeholder && keep(i))
            .max_by(|&a, &b| {
                tree.nodes[a]
                    .depth
                    .cmp(&tree.nodes[b].depth)
                    .then(b.cmp(&a))
            })
    };
    let i = deepest(&raised)
        .or_else(|| deepest(&|i| tree.nodes[i].flags.error))
        .unwrap_or(at as usize);
    let span = &session.spans[tree.nodes[i].span as usize];
    let event_attr = |key: &str| {
        let exc = exception?;
        let ev = span.events.iter().find(|e| e.name == exc)?;
        let k = session.strings.lookup(key)?;
        ev.attributes
            .iter()
            .find(|kv| kv.key == k)
            .map(|kv| kv.value.display(&session.strings))
    };
    let status = session.strings.get(span.status.message).to_string();
    Cause {
        node: u32::try_from(i).unwrap_or(at),
        service: session.service_of(span).to_string(),
        span: session.display_name(span).to_string(),
        kind: event_attr("exception.type").unwrap_or_default(),
        message: event_attr("exception.message")
            .filter(|m| !m.is_empty())
            .unwrap_or(status),
        trace_id: span.trace_id.to_string(),
        span_id: span.span_id.to_string(),
    }
}

/// Every failed test, in trace order. When the session has no test spans at all, each failing
/// trace counts as one test (its root's name).
pub fn failing_tests(snapshot: &Snapshot) -> Vec<FailingTest> {
    let session = &snapshot.session;
    let any_tests = snapshot.forest.traces.iter().any(|t| {
        t.nodes
            .iter()
            .any(|n| !n.flags.placeholder && is_test_span(session, &session.spans[n.span as usize]))
    });
    let mut out = Vec::new();
    for (ti, tree) in snapshot.forest.traces.iter().enumerate() {
        for (i, n) in tree.nodes.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            if n.flags.placeholder {
                continue;
            }
            let span = &session.spans[n.span as usize];
            let is_test = if any_tests {
                is_test_span(session, span) && failed(session, span)
            } else {
                n.depth == 0 && (n.flags.error || n.flags.error_below)
            };
            if is_test {
                out.push(FailingTest {
                    trace: ti,
                    node: i,
                    name: session.display_name(span).to_string(),
                    cause: cause_in(session, tree, i),
                });
            }
        }
    }
    out
}

/// The address of a cause in a hosted Sightline: `base_url#src=<src>&trace=…&span=…`.
pub fn permalink(base_url: &str, src: Option<&str>, cause: &Cause) -> String {
    let link = HashState {
        sources: src.map(str::to_string).into_iter().collect(),
        trace: Some(cause.trace_id.clone()),
        span: Some(cause.span_id.clone()),
        ..HashState::default()
    };
    let base = base_url.split('#').next().unwrap_or(base_url);
    format!("{base}{}", link.to_hash())
}
