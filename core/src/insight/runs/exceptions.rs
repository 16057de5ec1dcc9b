//! Exceptions grouped by fingerprint across the runs: the type, the message with its volatile
//! parts normalised, and the innermost frame of the application that raised it. An exception
//! that unwound through several spans of a trace counts once there, at the deepest span that
//! carries it; one that was handled (retried with success, or caught by a parent in the same
//! service that ended well) is marked so.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::insight::report::views;
use crate::insight::runs::history::{run_in_view, NameKeys, Outcome};
use crate::insight::runs::normalise::{normalise, text_hash};
use crate::insight::stacktrace;
use crate::model::intern::Sym;
use crate::model::{Event, Session, Span, StatusCode, TraceId};
use crate::trace::tree::{Forest, TraceTree};

/// Where one exception of a group was raised, once per trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    pub run: u32,
    pub view: u32,
    /// The deepest span carrying it.
    pub node: u32,
    pub service: String,
    pub span: String,
    /// The message as raised.
    pub message: String,
    /// Spans of the trace that carried it (it unwound through them).
    pub spans: u32,
    pub handled: bool,
    /// The test it happened under (suite › name), if any.
    pub test: Option<String>,
}

/// Exceptions of one fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionGroup {
    /// 16 hex digits of a hash of the fingerprint: stable across loads, for links.
    pub id: String,
    pub kind: String,
    /// The message with volatile parts normalised ([`normalise`]).
    pub pattern: String,
    /// "function (file)" of the innermost application frame, or "" with no stack trace.
    pub frame: String,
    pub occurrences: Vec<Occurrence>,
    /// Spans that carried it, over all occurrences.
    pub spans: u32,
    /// Runs it happened in, in run order.
    pub runs: Vec<u32>,
    pub services: Vec<String>,
    pub tests: Vec<String>,
    /// Occurrences that were handled.
    pub handled: u32,
}

impl ExceptionGroup {
    /// True when every occurrence was handled.
    pub fn all_handled(&self) -> bool {
        self.handled as usize == self.occurrences.len()
    }
}

/// The keys of an exception event, looked up once.
struct EventKeys {
    exception: Option<Sym>,
    kind: Option<Sym>,
    message: Option<Sym>,
    stack: Option<Sym>,
}

/// An exception's fingerprint parts: (type, pattern, frame).
type Parts = (String, String, String);

struct Fingerprints<'a> {
    session: &'a Session,
    keys: EventKeys,
    parts: Vec<Parts>,
    frames: FxHashMap<Sym, Option<(String, bool)>>,
}

impl<'a> Fingerprints<'a> {
    fn new(session: &'a Session) -> Fingerprints<'a> {
        let k = |s: &str| session.strings.lookup(s);
        Fingerprints {
            session,
            keys: EventKeys {
                exception: k("exception"),
                kind: k("exception.type"),
                message: k("exception.message"),
                stack: k("exception.stacktrace"),
            },
            parts: Vec::new(),
            frames: FxHashMap::default(),
        }
    }

    fn attr(event: &Event, key: Option<Sym>) -> Sym {
        key.and_then(|k| event.attributes.iter().find(|kv| kv.key == k))
            .and_then(|kv| kv.value.as_str())
            .unwrap_or(Sym::EMPTY)
    }

    /// The exception events of `span`: (type, message, stack trace), each once.
    fn events(&self, span: &Span) -> Vec<(Sym, Sym, Sym)> {
        let Some(exception) = self.keys.exception else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for event in span.events.iter().filter(|e| e.name == exception) {
            let e = (
                Fingerprints::attr(event, self.keys.kind),
                Fingerprints::attr(event, self.keys.message),
                Fingerprints::attr(event, self.keys.stack),
            );
            if !out
                .iter()
                .any(|o: &(Sym, Sym, Sym)| (o.0, o.1) == (e.0, e.1))
            {
                out.push(e);
            }
        }
        out
    }

    /// The group index of an exception: its type, its normalised message and `frame`.
    fn group(&mut self, kind: Sym, message: Sym, frame: &str) -> usize {
        let s = &self.session.strings;
        let parts = (
            s.get(kind).to_string(),
            normalise(s.get(message)),
            frame.to_string(),
        );
        self.parts
            .iter()
            .position(|p| *p == parts)
            .unwrap_or_else(|| {
                self.parts.push(parts);
                self.parts.len() - 1
            })
    }

    /// The innermost frame of a stack trace, and whether it is the application's
    /// ("function (file)"; `None` with no stack trace or none parsed).
    fn frame(&mut self, stack: Sym) -> Option<(String, bool)> {
        if stack == Sym::EMPTY {
            return None;
        }
        if let Some(f) = self.frames.get(&stack) {
            return f.clone();
        }
        let text = self.session.strings.get(stack);
        let frame = stacktrace::parse(text).and_then(|trace| {
            let last = trace.innermost_last();
            let raised = if last {
                trace.exceptions.last()
            } else {
                trace.exceptions.first()
            }?;
            raised
                .raising_frame(last)
                .map(|f| (format!("{} ({})", f.function, f.file), !f.library))
        });
        self.frames.insert(stack, frame.clone());
        frame
    }
}

/// Every exception of the session grouped by fingerprint: groups never handled first, then those
/// handled at times, then those always handled; within each, most occurrences first.
pub fn exception_groups(
    session: &Session,
    forest: &Forest,
    trace_run: &[u32],
    outcomes: &[Option<Outcome>],
) -> Vec<ExceptionGroup> {
    let mut prints = Fingerprints::new(session);
    if prints.keys.exception.is_none() {
        return Vec::new();
    }
    let names = NameKeys::new(session);
    let mut groups: Vec<Option<ExceptionGroup>> = Vec::new();
    for (view, tree) in views(forest) {
        // One exception unwinding through several spans records the same type and message on
        // each, down one line of ancestors: those carriers are one occurrence. The nodes come
        // in tree order, so the first carrier met is the topmost of its line.
        type Carried = (Vec<u32>, Vec<Sym>);
        let mut open: FxHashMap<(TraceId, Sym, Sym), usize> = FxHashMap::default();
        let mut found: Vec<((TraceId, Sym, Sym), Carried)> = Vec::new();
        for (i, node) in tree.nodes.iter().enumerate() {
            let span = &session.spans[node.span as usize];
            if node.flags.placeholder || span.events.is_empty() {
                continue;
            }
            let at = u32::try_from(i).unwrap_or(u32::MAX);
            for (kind, message, stack) in prints.events(span) {
                let key = (span.trace_id, kind, message);
                let below = open.get(&key).copied().filter(|&o| {
                    let top = found[o].1 .0[0] as usize;
                    top < i && i < tree.nodes[top].subtree_end as usize
                });
                let o = below.unwrap_or_else(|| {
                    found.push((key, (Vec::new(), Vec::new())));
                    open.insert(key, found.len() - 1);
                    found.len() - 1
                });
                found[o].1 .0.push(at);
                found[o].1 .1.push(stack);
            }
        }
        // Each node's test, worked out only for views with an exception.
        let test_of = if found.is_empty() {
            Vec::new()
        } else {
            nearest_tests(tree, outcomes)
        };
        for (key, (nodes, stacks)) in found {
            let (_, kind, message) = key;
            // The innermost application frame any carrier's stack shows (the deepest span's
            // stack may hold only the library's frames, the span above it the caller's).
            let depth = |n: u32| tree.nodes[n as usize].depth;
            let mut by_depth: Vec<usize> = (0..nodes.len()).collect();
            by_depth.sort_by_key(|&i| std::cmp::Reverse(depth(nodes[i])));
            let frames: Vec<Option<(String, bool)>> =
                by_depth.iter().map(|&i| prints.frame(stacks[i])).collect();
            let frame = frames
                .iter()
                .flatten()
                .find(|(_, app)| *app)
                .or_else(|| frames.iter().flatten().next())
                .map(|(f, _)| f.clone())
                .unwrap_or_default();
            let print = prints.group(kind, message, &frame);
            let run = run_in_view(forest, trace_run, view, key.0);
            let (Some(&deepest), Some(&top)) = (
                nodes.iter().max_by_key(|&&n| depth(n)),
                nodes.iter().min_by_key(|&&n| depth(n)),
            ) else {
                continue;
            };
            let span = &session.spans[tree.nodes[deepest as usize].span as usize];
            let test = test_of[deepest as usize].map(|t| {
                let (suite, name) = names.of(
                    session,
                    &session.spans[tree.nodes[t as usize].span as usize],
                );
                if suite.is_empty() {
                    name
                } else {
                    format!("{suite} › {name}")
                }
            });
            let occurrence = Occurrence {
                run,
                view: u32::try_from(view).unwrap_or(u32::MAX),
                node: deepest,
                service: session.service_of(span).to_string(),
                span: session.shown_name(span).to_string(),
                message: session.strings.get(message).to_string(),
                spans: u32::try_from(nodes.len()).unwrap_or(u32::MAX),
                handled: handled(session, tree, top, &prints, &test_of),
                test,
            };
            if groups.len() <= print {
                groups.resize(print + 1, None);
            }
            let parts = &prints.parts[print];
            let group = groups[print].get_or_insert_with(|| ExceptionGroup {
                id: format!(
                    "{:016x}",
                    text_hash(0, &format!("{}\u{1f}{}\u{1f}{}", parts.0, parts.1, parts.2))
                ),
                kind: parts.0.clone(),
                pattern: parts.1.clone(),
                frame: parts.2.clone(),
                occurrences: Vec::new(),
                spans: 0,
                runs: Vec::new(),
                services: Vec::new(),
                tests: Vec::new(),
                handled: 0,
            });
            add(group, occurrence);
        }
    }
    let mut groups: Vec<ExceptionGroup> = groups.into_iter().flatten().collect();
    for g in &mut groups {
        g.runs.sort_unstable();
        g.occurrences.sort_by_key(|o| o.run);
    }
    // Not handled first, then those handled only at times, then the handled; most first.
    groups.sort_by(|a, b| {
        let key = |g: &ExceptionGroup| {
            (
                g.all_handled(),
                g.handled > 0,
                std::cmp::Reverse(g.occurrences.len()),
                g.runs.first().copied(),
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.kind.cmp(&b.kind))
    });
    groups
}

fn add(group: &mut ExceptionGroup, o: Occurrence) {
    group.spans += o.spans;
    group.handled += u32::from(o.handled);
    if !group.runs.contains(&o.run) {
        group.runs.push(o.run);
    }
    if !group.services.contains(&o.service) {
        group.services.push(o.service.clone());
    }
    if let Some(t) = &o.test {
        if !group.tests.contains(t) {
            group.tests.push(t.clone());
        }
    }
    group.occurrences.push(o);
}

/// For each node, the nearest test span at or above it.
fn nearest_tests(tree: &TraceTree, outcomes: &[Option<Outcome>]) -> Vec<Option<u32>> {
    let mut out: Vec<Option<u32>> = Vec::with_capacity(tree.nodes.len());
    for (i, node) in tree.nodes.iter().enumerate() {
        let own = !node.flags.placeholder
            && outcomes
                .get(node.span as usize)
                .is_some_and(Option::is_some);
        let t = if own {
            u32::try_from(i).ok()
        } else {
            node.parent
                .and_then(|p| out.get(p as usize).copied().flatten())
        };
        out.push(t);
    }
    out
}

/// Whether the exception that stopped unwinding at node `top` was handled: a later attempt of
/// the same operation (a sibling of the same name) succeeded, or its parent, in the same
/// service, ended without an error. An exception that failed a test (it reached the test's
/// span) was not handled, whatever the test runner's span above says.
fn handled(
    session: &Session,
    tree: &TraceTree,
    top: u32,
    prints: &Fingerprints<'_>,
    test_of: &[Option<u32>],
) -> bool {
    if test_of.get(top as usize).copied().flatten() == Some(top) {
        return false;
    }
    handled_at(session, tree, top, prints.keys.exception)
}

/// Whether an exception raised at node `raised` was handled, as the exception groups judge it
/// ([`exception_groups`]): followed up through the ancestors that carry an exception too (it
/// unwound through them), then a later attempt of the same operation succeeded, or the parent
/// it stopped at, in the same service, ended without an error. `exception` is the session's
/// handle of the event name "exception".
/// An exception that reached node `test` (the failed test's span) was not handled.
pub fn raised_and_handled(
    session: &Session,
    tree: &TraceTree,
    raised: u32,
    test: u32,
    exception: Option<Sym>,
) -> bool {
    let carries = |i: u32| {
        let span = &session.spans[tree.nodes[i as usize].span as usize];
        exception.is_some_and(|e| span.events.iter().any(|ev| ev.name == e))
    };
    let mut top = raised;
    while top != test {
        let Some(p) = tree.nodes[top as usize].parent else {
            break;
        };
        if tree.nodes[p as usize].flags.placeholder || !carries(p) {
            break;
        }
        top = p;
    }
    top != test && handled_at(session, tree, top, exception)
}

fn handled_at(session: &Session, tree: &TraceTree, top: u32, exception: Option<Sym>) -> bool {
    let node = &tree.nodes[top as usize];
    let span = &session.spans[node.span as usize];
    let Some(parent) = node.parent else {
        return false;
    };
    let p = &tree.nodes[parent as usize];
    let name = normalise(session.strings.get(span.name));
    let retried = tree.children(parent as usize).any(|c| {
        let sibling = &tree.nodes[c];
        let s = &session.spans[sibling.span as usize];
        c > top as usize
            && !sibling.flags.placeholder
            && !sibling.flags.error
            && s.start >= span.start
            && normalise(session.strings.get(s.name)) == name
    });
    if retried {
        return true;
    }
    if p.flags.placeholder {
        return false;
    }
    let ps = &session.spans[p.span as usize];
    let parent_ok = ps.status.code != StatusCode::Error
        && !exception.is_some_and(|e| ps.events.iter().any(|ev| ev.name == e));
    parent_ok
        && (ps.resource == span.resource || session.service_of(ps) == session.service_of(span))
}
