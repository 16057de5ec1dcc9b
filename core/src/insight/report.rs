//! The failing tests of a session and, for each, the span that caused the failure: what the
//! command-line report prints into a CI log, with a permalink per cause.

use serde::{Deserialize, Serialize};

use crate::model::intern::Sym;
use crate::model::{Session, Span};
use crate::trace::tree::{Forest, TraceTree};
use crate::view::url_state::HashState;

/// Where a failure started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailingTest {
    /// The view the test is in: a trace, or traces shown together ([`Forest::tree`]).
    pub trace: usize,
    pub node: u32,
    pub name: String,
    /// The test span's own error, as [`Cause::kind`] and [`Cause::message`] (the assertion
    /// that failed, say), both empty when it records none.
    pub kind: String,
    pub message: String,
    pub cause: Cause,
}

/// The attribute keys that tell test spans, looked up once per session (a key the session
/// never uses is `None`, and a session with none of them has no test spans at all).
struct TestKeys<'a> {
    session: &'a Session,
    /// The keys of a test's outcome, most preferred first: the semantic conventions'
    /// `test.case.result.status`, Logfire's `test.outcome`, pytest's `pytest.outcome`.
    outcomes: [Option<Sym>; 3],
    span_type: Option<Sym>,
    case_name: Option<Sym>,
    exception: Option<Sym>,
}

impl<'a> TestKeys<'a> {
    fn new(session: &'a Session) -> TestKeys<'a> {
        let key = |k: &str| session.strings.lookup(k);
        TestKeys {
            session,
            outcomes: [
                key("test.case.result.status"),
                key("test.outcome"),
                key("pytest.outcome"),
            ],
            span_type: key("pytest.span_type"),
            case_name: key("test.case.name"),
            exception: key("exception"),
        }
    }

    /// True when no span can be a test span.
    fn none(&self) -> bool {
        self.outcomes.iter().all(Option::is_none)
            && self.span_type.is_none()
            && self.case_name.is_none()
    }

    /// What a span's attributes say of it as a test, in one pass over them: `None` for a span
    /// that is no test, else the outcome it records (the first of [`TestKeys::outcomes`] it
    /// has), if any.
    fn test(&self, span: &'a Span) -> Option<Option<&'a str>> {
        let mut outcome: Option<(usize, &str)> = None;
        let mut test = false;
        for kv in &span.attributes {
            let key = Some(kv.key);
            if let Some(rank) = self.outcomes.iter().position(|&k| k == key) {
                if let Some(text) = kv.value.as_str().map(|s| self.session.strings.get(s)) {
                    if outcome.is_none_or(|(r, _)| rank < r) {
                        outcome = Some((rank, text));
                    }
                }
            } else if key == self.case_name && kv.value.as_str().is_some() {
                test = true;
            } else if key == self.span_type {
                test |= kv.value.as_str().map(|s| self.session.strings.get(s)) == Some("test");
            }
        }
        (test || outcome.is_some()).then_some(outcome.map(|(_, text)| text))
    }

    /// True for a test span that failed, given the outcome it records ([`TestKeys::test`]):
    /// by that outcome, else by its status or an exception.
    fn failed_test(&self, span: &Span, outcome: Option<&str>) -> bool {
        const FAILED: [&str; 6] = [
            "failed",
            "fail",
            "error",
            "errored",
            "timedout",
            "timed_out",
        ];
        match outcome {
            Some(outcome) => FAILED.iter().any(|f| f.eq_ignore_ascii_case(outcome)),
            None => Session::is_error_with(span, self.exception),
        }
    }
}

/// How one execution of a test ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

impl Outcome {
    /// The word a history cell reads.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
        }
    }
}

/// The outcome a test span records, read as pass, fail or skip.
fn outcome_of(keys: &TestKeys<'_>, span: &Span, outcome: Option<&str>) -> Outcome {
    if outcome.is_some_and(|o| {
        ["skipped", "skip", "xfailed", "deselected"]
            .iter()
            .any(|s| s.eq_ignore_ascii_case(o))
    }) {
        return Outcome::Skip;
    }
    if keys.failed_test(span, outcome) {
        Outcome::Fail
    } else {
        Outcome::Pass
    }
}

/// What each span is as a test (by index into the session's spans): `None` for a span that is
/// no test. Read once, in storage order; empty when no span can be a test.
pub fn test_outcomes(session: &Session) -> Vec<Option<Outcome>> {
    let keys = TestKeys::new(session);
    if keys.none() {
        return Vec::new();
    }
    session
        .spans
        .iter()
        .map(|span| {
            keys.test(span)
                .map(|recorded| outcome_of(&keys, span, recorded))
        })
        .collect()
}

/// The cause of a failure under node `at`: the deepest span that raised an exception that was
/// not handled, else the deepest failed span, else the node itself.
fn cause_in(session: &Session, tree: &TraceTree, at: u32) -> Cause {
    let node = &tree.nodes[at as usize];
    let range = at as usize..node.subtree_end as usize;
    let exception = session.strings.lookup("exception");
    // An exception the code caught and recovered from (a retry that then succeeded) is not
    // the cause of the failure.
    let raised = |i: usize| {
        let s = &session.spans[tree.nodes[i].span as usize];
        exception.is_some_and(|e| s.events.iter().any(|ev| ev.name == e))
            && !crate::insight::runs::exceptions::raised_and_handled(
                session,
                tree,
                u32::try_from(i).unwrap_or(u32::MAX),
                at,
                exception,
            )
    };
    // The deepest; among spans as deep, the last (a retried operation fails for good at its
    // last attempt).
    let deepest = |keep: &dyn Fn(usize) -> bool| {
        range
            .clone()
            .filter(|&i| !tree.nodes[i].flags.placeholder && keep(i))
            .max_by(|&a, &b| {
                tree.nodes[a]
                    .depth
                    .cmp(&tree.nodes[b].depth)
                    .then(a.cmp(&b))
            })
    };
    let i = deepest(&raised)
        .or_else(|| deepest(&|i| tree.nodes[i].flags.error))
        .unwrap_or(at as usize);
    let span = &session.spans[tree.nodes[i].span as usize];
    let (kind, message) = error_of(session, span);
    Cause {
        node: u32::try_from(i).unwrap_or(at),
        service: session.service_of(span).to_string(),
        span: session.display_name(span).to_string(),
        kind,
        message,
        trace_id: span.trace_id.to_string(),
        span_id: span.span_id.to_string(),
    }
}

/// A span's error: the type and message of its (first) exception event, else no type and its
/// status message.
fn error_of(session: &Session, span: &Span) -> (String, String) {
    let exception = session.strings.lookup("exception");
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
    (
        event_attr("exception.type").unwrap_or_default(),
        event_attr("exception.message")
            .filter(|m| !m.is_empty())
            .unwrap_or(status),
    )
}

/// Every failed test, in trace order. When the session has no test spans at all, each failing
/// trace counts as one test (its root's name).
pub fn failing_tests(session: &Session, forest: &Forest) -> Vec<FailingTest> {
    find(session, forest, &test_outcomes(session), usize::MAX).listed
}

/// The failures a session's page lists: the first [`Failures::MAX_LISTED`], with the count of
/// all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failures {
    /// True when the session has test spans; else each failing trace counts as a failure.
    pub tests: bool,
    /// The first failures, in trace order.
    pub listed: Vec<FailingTest>,
    /// How many in all.
    pub total: usize,
}

impl Failures {
    /// The most failures listed: a load test's failing requests can be tens of thousands.
    pub const MAX_LISTED: usize = 200;

    /// The failures of a session with its trees.
    pub fn of(session: &Session, forest: &Forest) -> Failures {
        Failures::with_outcomes(session, forest, &test_outcomes(session))
    }

    /// [`Failures::of`] with the spans' test outcomes read already ([`test_outcomes`]).
    pub fn with_outcomes(
        session: &Session,
        forest: &Forest,
        outcomes: &[Option<Outcome>],
    ) -> Failures {
        find(session, forest, outcomes, Failures::MAX_LISTED)
    }
}

/// The views a failure is looked for in, in trace order, each trace once: a trace on its own,
/// or, for traces that link to each other (a test and the worker trace it enqueued), their
/// joint view in place of the first of them, so that a cause in the worker's trace is found
/// under the test that enqueued it.
pub(crate) fn views(forest: &Forest) -> impl Iterator<Item = (usize, &TraceTree)> {
    forest
        .linked_views()
        .into_iter()
        .enumerate()
        .filter_map(|(trace, joint)| match joint {
            None => Some(trace),
            // The group's first trace (the one its tree is drawn from) stands for it.
            Some(view) => forest
                .tree(view)
                .filter(|t| t.members.first() == Some(&trace))
                .map(|_| view),
        })
        .filter_map(|view| Some((view, forest.tree(view)?)))
}

fn find(
    session: &Session,
    forest: &Forest,
    outcomes: &[Option<Outcome>],
    limit: usize,
) -> Failures {
    let any_tests = outcomes.iter().any(Option::is_some);
    // Then the views, in trace order: the failed test spans, and each failing view's first
    // root in case there are no test spans at all.
    let mut tests: Vec<(usize, u32)> = Vec::new();
    let mut test_total = 0;
    let mut roots: Vec<(usize, u32)> = Vec::new();
    let mut root_total = 0;
    for (ti, tree) in views(forest) {
        let mut root_seen = false;
        for (i, n) in tree.nodes.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            if n.flags.placeholder {
                continue;
            }
            if !root_seen && n.depth == 0 && (n.flags.error || n.flags.error_below) {
                root_seen = true;
                root_total += 1;
                if roots.len() < limit {
                    roots.push((ti, i));
                }
            }
            if outcomes.get(n.span as usize) == Some(&Some(Outcome::Fail)) {
                test_total += 1;
                if tests.len() < limit {
                    tests.push((ti, i));
                }
            }
        }
    }
    let (found, total) = if any_tests {
        (tests, test_total)
    } else {
        (roots, root_total)
    };
    let listed = found
        .into_iter()
        .filter_map(|(ti, i)| {
            let tree = forest.tree(ti)?;
            let span = &session.spans[tree.nodes[i as usize].span as usize];
            let (kind, message) = error_of(session, span);
            Some(FailingTest {
                trace: ti,
                node: i,
                name: session.display_name(span).to_string(),
                kind,
                message,
                cause: cause_in(session, tree, i),
            })
        })
        .collect();
    Failures {
        tests: any_tests,
        listed,
        total,
    }
}

/// An error as one text: "ValueError: cannot reserve 250 x TEAPOT-XL", the type or the message
/// alone when the other is empty, and empty when both are.
pub fn error_text(kind: &str, message: &str) -> String {
    match (kind, message) {
        ("", message) => message.to_string(),
        (kind, "") => kind.to_string(),
        (kind, message) => format!("{kind}: {message}"),
    }
}

/// Markdown text with the characters that would format it escaped, on one line.
pub fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_{}[]<>()#+-.!|~".contains(c) {
            out.push('\\');
        }
        out.push(if c == '\n' { ' ' } else { c });
    }
    out
}

/// The failures as a Markdown table (test, cause, error), each cause linked to `link(test)`
/// when that gives an address: what a CI job summary or a pull request comment shows.
pub fn markdown_table(
    failing: &[FailingTest],
    link: &dyn Fn(&FailingTest) -> Option<String>,
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if failing.is_empty() {
        return out;
    }
    out.push_str("| test | cause | error |\n|---|---|---|\n");
    for f in failing {
        let c = &f.cause;
        let error = error_text(&c.kind, &c.message);
        let cause = format!("{} › {}", md(&c.service), md(&c.span));
        let cause = match link(f) {
            Some(url) => format!("[{cause}]({url})"),
            None => cause,
        };
        let _ = writeln!(out, "| {} | {cause} | {} |", md(&f.name), md(&error));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Loaded;

    /// `traces` traces of one root span each, every third one failed.
    fn session_of(traces: usize) -> Loaded {
        let spans: Vec<String> = (0..traces)
            .map(|i| {
                let status = if i % 3 == 0 { r#","status":{"code":2,"message":"boom"}"# } else { "" };
                format!(
                    r#"{{"traceId":"{i:032x}","spanId":"{:016x}","name":"GET /item/{i}","startTimeUnixNano":"1","endTimeUnixNano":"2"{status}}}"#,
                    i + 1
                )
            })
            .collect();
        let json = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
            spans.join(",")
        );
        Loaded::decode(vec![("load.json".into(), json.into_bytes())])
    }

    #[test]
    fn without_test_spans_each_failing_trace_counts_and_the_page_gets_the_first_few() {
        let small = session_of(10);
        assert!(!small.failures.tests);
        assert_eq!(small.failures.total, 4);
        let names: Vec<&str> = small
            .failures
            .listed
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names.len(), 4);
        assert!(names.iter().all(|n| n.starts_with("GET /item/")));
        assert_eq!(small.failures.listed[0].cause.message, "boom");
        // A load test's thousand failed requests: all counted, the first 200 listed.
        let big = session_of(3_000);
        assert_eq!(big.failures.total, 1_000);
        assert_eq!(big.failures.listed.len(), Failures::MAX_LISTED);
        assert_eq!(failing_tests(&big.session, &big.forest).len(), 1_000);
    }
}
