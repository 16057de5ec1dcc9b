//! A failure (or any span) with its whole context, as Markdown for an assistant: the test and
//! how it ended, the CI run and revision, the exception with its parsed stack, the path of spans
//! from the test down to the span, each with its service, timing and status, the request and
//! response bodies met on that path (cut to [`BODY_LIMIT`] characters, said where cut), how the
//! trace's services call one another, and what differs from a passing execution of the same
//! test when the session holds one. The page's "Copy for an assistant", `sightline context` and
//! the MCP server all give this text.

use std::fmt::Write;

use rustc_hash::FxHashMap;

use crate::insight::payload::{attr_text, exception_events};
use crate::insight::report::{error_text, test_outcomes, FailingTest, Outcome};
use crate::insight::runs::compare::default_passing;
use crate::insight::runs::Comparison;
use crate::insight::stacktrace;
use crate::model::{Session, StatusCode};
use crate::session::Loaded;
use crate::trace::tree::TraceTree;
use crate::view::format::{format_duration, plural};

/// Characters of a request or response body, or of a raw stack trace, kept in the context.
pub const BODY_LIMIT: usize = 4_000;

/// Differences from the passing execution listed at most.
const DIFFERENCES: usize = 12;

/// Spans of the trace listed in its outline at most.
const OUTLINE_SPANS: usize = 60;

/// The attributes that hold a request or a response body.
const BODY_KEYS: [(&str, &str); 4] = [
    ("http.request.body.text", "Request body"),
    ("http.response.body.text", "Response body"),
    ("rpc.request.body", "Request body"),
    ("rpc.response.body", "Response body"),
];

/// Trace text made safe inside Markdown prose and table cells: on one line, with the characters
/// that would end a cell, open code, emphasis, a link or HTML escaped. (Lighter than
/// [`crate::insight::report::md`], so names stay readable.)
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '|' | '`' | '*' | '<' | '>' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `n` with thousands separated by commas.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `text` cut to [`BODY_LIMIT`] characters, and what was cut.
fn cut(text: &str) -> (&str, Option<String>) {
    match text.char_indices().nth(BODY_LIMIT) {
        Some((at, _)) => (
            &text[..at],
            Some(format!(
                "cut to the first {} of {} characters",
                thousands(BODY_LIMIT),
                thousands(text.chars().count())
            )),
        ),
        None => (text, None),
    }
}

/// A fenced code block that no backtick run in `text` can close early.
fn fenced(out: &mut String, language: &str, text: &str) {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(out, "{fence}{language}\n{}\n{fence}\n", text.trim_end());
}

/// Where the test of node `at` is: the nearest ancestor-or-self span that is a test.
fn test_above(outcomes: &[Option<Outcome>], tree: &TraceTree, at: u32) -> Option<u32> {
    let mut i = Some(at);
    while let Some(n) = i {
        let node = tree.nodes.get(n as usize)?;
        if outcomes
            .get(node.span as usize)
            .is_some_and(Option::is_some)
            && !node.flags.placeholder
        {
            return Some(n);
        }
        i = node.parent;
    }
    None
}

/// The context of the span at node `target` of view `view`, as Markdown; `None` when the view
/// or node does not exist. The test is the span's nearest test ancestor, if any.
pub fn span_context(loaded: &Loaded, view: usize, target: u32) -> Option<String> {
    let tree = loaded.forest.tree(view)?;
    tree.nodes.get(target as usize)?;
    let outcomes = test_outcomes(&loaded.session);
    let test = test_above(&outcomes, tree, target);
    Some(write_context(loaded, &outcomes, view, tree, test, target))
}

/// The context of a failing test: the test, and its cause.
pub fn failure_context(loaded: &Loaded, f: &FailingTest) -> Option<String> {
    let tree = loaded.forest.tree(f.trace)?;
    let test = loaded
        .failures
        .tests
        .then_some(f.node)
        .filter(|&n| (n as usize) < tree.nodes.len());
    let outcomes = test_outcomes(&loaded.session);
    Some(write_context(
        loaded,
        &outcomes,
        f.trace,
        tree,
        test,
        f.cause.node,
    ))
}

fn write_context(
    loaded: &Loaded,
    outcomes: &[Option<Outcome>],
    view: usize,
    tree: &TraceTree,
    test: Option<u32>,
    target: u32,
) -> String {
    let s = &loaded.session;
    let span_of = |n: u32| &s.spans[tree.nodes[n as usize].span as usize];
    let mut out = String::new();
    let target_span = span_of(target);
    match test {
        Some(t) => {
            let test_span = span_of(t);
            let failed = outcomes
                .get(tree.nodes[t as usize].span as usize)
                .copied()
                .flatten()
                == Some(Outcome::Fail)
                || (!loaded.failures.tests && tree.error_count > 0);
            let _ = writeln!(
                out,
                "# {} test `{}`\n",
                if failed { "Failing" } else { "The" },
                s.display_name(test_span)
            );
            let _ = writeln!(
                out,
                "- Outcome: {}, status {}, took {}",
                if failed { "failed" } else { "did not fail" },
                test_span.status.code.label(),
                format_duration(test_span.duration())
            );
            if t != target {
                let _ = writeln!(
                    out,
                    "- The span in question: `{}` in service `{}`",
                    s.display_name(target_span),
                    s.service_of(target_span)
                );
            }
        }
        None => {
            let _ = writeln!(
                out,
                "# Span `{}` in service `{}`\n",
                s.display_name(target_span),
                s.service_of(target_span)
            );
            let _ = writeln!(
                out,
                "- Status {}, took {}",
                target_span.status.code.label(),
                format_duration(target_span.duration())
            );
        }
    }
    let _ = writeln!(
        out,
        "- Trace id `{}`, span id `{}`",
        target_span.trace_id, target_span.span_id
    );
    run_lines(&mut out, loaded, view, target_span.trace_id);
    if let Some(t) = test {
        history_line(&mut out, loaded, view, t);
    }
    exception_section(&mut out, s, tree, target);
    path_section(&mut out, s, tree, test.unwrap_or(0), target);
    bodies_section(&mut out, s, tree, test.unwrap_or(0), target);
    services_section(&mut out, s, tree);
    outline_section(&mut out, s, tree, test, target);
    if let Some(t) = test {
        comparison_section(&mut out, loaded, view, t);
    }
    out
}

/// The CI run's lines: its label, page, job, revision and branch.
fn run_lines(out: &mut String, loaded: &Loaded, view: usize, trace: crate::model::TraceId) {
    let runs = &loaded.runs;
    let t = if view < loaded.forest.traces.len() {
        Some(view)
    } else {
        loaded
            .forest
            .traces
            .iter()
            .position(|x| x.trace_id == trace)
    };
    let Some(run) = t
        .and_then(|t| runs.trace_run.get(t))
        .and_then(|&r| runs.runs.get(r as usize))
    else {
        return;
    };
    let mut line = format!(
        "- CI run: {} ({} of {})",
        run.label,
        runs.runs
            .iter()
            .position(|r| r.key == run.key)
            .map_or(0, |i| i + 1),
        plural(runs.runs.len(), "run")
    );
    if crate::view::url_state::is_http_url(&run.url) {
        let _ = write!(line, ", {}", run.url);
    }
    if crate::view::url_state::is_http_url(&run.job_url) && run.job_url != run.url {
        let _ = write!(line, ", job {}", run.job_url);
    }
    let _ = writeln!(out, "{line}");
    if !run.revision.is_empty() {
        let branch = if run.branch.is_empty() {
            String::new()
        } else {
            format!(" on branch `{}`", run.branch)
        };
        let _ = writeln!(out, "- Revision `{}`{branch}", run.revision);
    }
}

/// What the test's history across the runs says of it.
fn history_line(out: &mut String, loaded: &Loaded, view: usize, test: u32) {
    let runs = &loaded.runs;
    let Some(history) = runs.tests.iter().find(|h| {
        h.executions
            .iter()
            .any(|e| e.view as usize == view && e.node == test)
    }) else {
        return;
    };
    if runs.runs.len() > 1 {
        let _ = writeln!(
            out,
            "- History: {} ({} passed, {} failed over {})",
            history.verdict_text(", "),
            history.passed,
            history.failed,
            plural(runs.runs.len(), "run")
        );
    }
}

/// The span's exceptions, each with its parsed stack and the raw text (cut).
fn exception_section(out: &mut String, s: &Session, tree: &TraceTree, target: u32) {
    let span = &s.spans[tree.nodes[target as usize].span as usize];
    let events = exception_events(s, span);
    if events.is_empty() {
        let message = s.strings.get(span.status.message);
        if span.status.code == StatusCode::Error && !message.is_empty() {
            let _ = writeln!(out, "\n## Error\n\nStatus message: {}", md(message));
        }
        return;
    }
    let _ = writeln!(out, "\n## Exception\n");
    for e in &events {
        let _ = writeln!(
            out,
            "**{}** (raised in `{}` › `{}`, {} into the span{})\n",
            md(&error_text(&e.kind, &e.message)),
            s.service_of(span),
            s.display_name(span),
            e.offset,
            match e.escaped.as_deref() {
                Some("true") => ", escaped",
                _ => "",
            }
        );
        if e.stacktrace.is_empty() {
            continue;
        }
        if let Some(parsed) = stacktrace::parse(&e.stacktrace) {
            let innermost_last = parsed.innermost_last();
            let _ = writeln!(
                out,
                "Parsed stack ({}, {}; library frames marked):\n",
                parsed.language.label(),
                if innermost_last {
                    "innermost call last"
                } else {
                    "innermost call first"
                }
            );
            for x in &parsed.exceptions {
                let relation = x.relation.as_deref().unwrap_or("");
                let _ = writeln!(
                    out,
                    "- {}{}",
                    if relation.is_empty() {
                        String::new()
                    } else {
                        format!("{} ", md(relation))
                    },
                    md(&error_text(&x.kind, &x.message))
                );
                for f in &x.frames {
                    let _ = writeln!(
                        out,
                        "  - `{}` at `{}`{}",
                        if f.function.is_empty() {
                            "?"
                        } else {
                            &f.function
                        },
                        f.location(),
                        if f.library { " (library)" } else { "" }
                    );
                }
                if let Some(f) = x.raising_frame(innermost_last) {
                    let _ = writeln!(out, "  - raised at `{}` in `{}`", f.location(), f.function);
                }
            }
            out.push('\n');
        }
        let (text, note) = cut(&e.stacktrace);
        let _ = writeln!(
            out,
            "Stack trace as recorded{}:\n",
            note.map(|n| format!(" ({n})")).unwrap_or_default()
        );
        fenced(out, "text", text);
    }
}

/// Nodes from `from` down to `to` (`from` first), when `from` is an ancestor-or-self of `to`;
/// else from the root.
fn path(tree: &TraceTree, from: u32, to: u32) -> Vec<u32> {
    let mut up = vec![to];
    let mut at = to;
    while at != from {
        match tree.nodes.get(at as usize).and_then(|n| n.parent) {
            Some(p) => {
                up.push(p);
                at = p;
            }
            None => break,
        }
    }
    up.reverse();
    up
}

/// The path of spans from the test (or the root) to the span, as a table.
fn path_section(out: &mut String, s: &Session, tree: &TraceTree, from: u32, target: u32) {
    let nodes = path(tree, from, target);
    let start = s.spans[tree.nodes[nodes[0] as usize].span as usize].start;
    let _ = writeln!(
        out,
        "\n## Path from the {} to the span\n",
        if from == 0 && tree.nodes[0].parent.is_none() && nodes[0] == 0 {
            "root"
        } else {
            "test"
        }
    );
    let _ = writeln!(
        out,
        "| depth | service | span | kind | starts at | duration | status |\n|---|---|---|---|---|---|---|"
    );
    for &n in &nodes {
        let node = &tree.nodes[n as usize];
        let span = &s.spans[node.span as usize];
        let status = match (span.status.code, s.strings.get(span.status.message)) {
            (code, "") => code.label().to_string(),
            (code, m) => format!("{} {}", code.label(), md(m)),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | +{} | {} | {} |",
            node.depth,
            md(s.service_of(span)),
            md(s.display_name(span)),
            span.kind.label(),
            format_duration(span.start.saturating_sub(start)),
            format_duration(span.duration()),
            status
        );
    }
}

/// Request and response bodies recorded on the path's spans and their direct children.
fn bodies_section(out: &mut String, s: &Session, tree: &TraceTree, from: u32, target: u32) {
    let mut nodes = path(tree, from, target);
    // A client span's body often sits on the HTTP child that sent it.
    let children: Vec<u32> = nodes
        .iter()
        .flat_map(|&n| tree.children(n as usize))
        .filter_map(|c| u32::try_from(c).ok())
        .collect();
    nodes.extend(children);
    nodes.sort_unstable();
    nodes.dedup();
    let mut wrote = false;
    for n in nodes {
        let span = &s.spans[tree.nodes[n as usize].span as usize];
        for (key, label) in BODY_KEYS {
            let Some(body) = attr_text(s, &span.attributes, key) else {
                continue;
            };
            if !wrote {
                let _ = writeln!(
                    out,
                    "\n## Requests and responses\n\nBodies are cut to {} characters.\n",
                    thousands(BODY_LIMIT)
                );
                wrote = true;
            }
            let (text, note) = cut(body);
            let _ = writeln!(
                out,
                "{label} of `{}` › `{}`{}:\n",
                s.service_of(span),
                s.display_name(span),
                note.map(|n| format!(" ({n})")).unwrap_or_default()
            );
            let language = if text.trim_start().starts_with(['{', '[']) {
                "json"
            } else {
                "text"
            };
            fenced(out, language, text);
        }
    }
}

/// Which service calls which in the trace, with how many spans cross each edge.
fn services_section(out: &mut String, s: &Session, tree: &TraceTree) {
    let mut edges: FxHashMap<(&str, &str), usize> = FxHashMap::default();
    let mut order: Vec<(&str, &str)> = Vec::new();
    for node in &tree.nodes {
        let Some(p) = node.parent else { continue };
        let parent = s.service_of(&s.spans[tree.nodes[p as usize].span as usize]);
        let child = s.service_of(&s.spans[node.span as usize]);
        if parent != child {
            let count = edges.entry((parent, child)).or_insert_with(|| {
                order.push((parent, child));
                0
            });
            *count += 1;
        }
    }
    let services: Vec<&str> = tree.services.iter().map(|&x| s.strings.get(x)).collect();
    let _ = writeln!(
        out,
        "\n## Services\n\n{} in the trace: {}.",
        plural(services.len(), "service"),
        services
            .iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (a, b) in order {
        let _ = writeln!(
            out,
            "- `{a}` calls `{b}` ({})",
            plural(edges[&(a, b)], "span")
        );
    }
}

/// The test's spans (or the trace's) as an indented outline, the span in question marked.
fn outline_section(
    out: &mut String,
    s: &Session,
    tree: &TraceTree,
    test: Option<u32>,
    target: u32,
) {
    let range = match test {
        Some(t) => t as usize..tree.nodes[t as usize].subtree_end as usize,
        None => 0..tree.nodes.len(),
    };
    let base = tree.nodes[range.start].depth;
    let total = range
        .clone()
        .filter(|&i| !tree.nodes[i].flags.placeholder)
        .count();
    let _ = writeln!(
        out,
        "\n## {} ({})\n",
        if test.is_some() {
            "Spans of the test"
        } else {
            "Spans of the trace"
        },
        if total > OUTLINE_SPANS {
            format!("the first {OUTLINE_SPANS} of {total}")
        } else {
            plural(total, "span")
        }
    );
    for i in range
        .filter(|&i| !tree.nodes[i].flags.placeholder)
        .take(OUTLINE_SPANS)
    {
        let node = &tree.nodes[i];
        let span = &s.spans[node.span as usize];
        let mark = if i == target as usize {
            " ← this span"
        } else {
            ""
        };
        let error = if node.flags.error { " ERROR" } else { "" };
        let _ = writeln!(
            out,
            "{}- {} › {} ({}){error}{mark}",
            "  ".repeat(node.depth.saturating_sub(base) as usize),
            md(s.service_of(span)),
            md(s.display_name(span)),
            format_duration(span.duration())
        );
    }
}

/// What differs from a passing execution of the same test, when the session holds one.
fn comparison_section(out: &mut String, loaded: &Loaded, view: usize, test: u32) {
    let runs = &loaded.runs;
    let found = runs.tests.iter().enumerate().find_map(|(t, h)| {
        let e = h
            .executions
            .iter()
            .position(|e| e.view as usize == view && e.node == test)?;
        Some((t, e))
    });
    let Some((t, e)) = found else { return };
    let history = &runs.tests[t];
    let failing = &history.executions[e];
    if failing.outcome != Outcome::Fail {
        return;
    }
    let revision = |run: u32| {
        runs.runs
            .get(run as usize)
            .map_or("", |r| r.revision.as_str())
    };
    let Some(p) = default_passing(history, e, &revision) else {
        return;
    };
    let passing = &history.executions[p];
    let c = Comparison::of(
        &loaded.session,
        &loaded.forest,
        (failing.view, failing.node),
        (passing.view, passing.node),
    );
    let label = |run: u32| {
        runs.runs
            .get(run as usize)
            .map_or_else(String::new, |r| r.label.clone())
    };
    let _ = writeln!(
        out,
        "\n## Compared with a passing execution\n\nThis failing execution (run {}) against the \
         passing one nearest in time on the same revision, else the latest (run {}):\n",
        label(failing.run),
        label(passing.run)
    );
    if c.differences.is_empty() {
        let _ = writeln!(out, "No span differs in status, count or duration.");
        return;
    }
    for d in c.differences.iter().take(DIFFERENCES) {
        let Some(row) = c.rows.get(d.row as usize) else {
            continue;
        };
        let _ = writeln!(
            out,
            "- {} › {}: {}{}",
            md(&row.service),
            md(&row.name),
            d.text,
            if d.critical {
                " (on the critical path)"
            } else {
                ""
            }
        );
    }
    if c.differences.len() > DIFFERENCES {
        let _ = writeln!(
            out,
            "- … and {} more",
            plural(c.differences.len() - DIFFERENCES, "difference")
        );
    }
}
