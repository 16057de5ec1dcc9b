//! Every execution of every test across the runs, and what the history says of each test:
//! broken, flaky, failing since a run, fixed, passing.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::insight::report::views;
pub use crate::insight::report::{test_outcomes, Outcome};
use crate::insight::runs::identity::Run;
use crate::insight::runs::normalise::normalise;
use crate::model::intern::Sym;
use crate::model::{Session, Span, TraceId};
use crate::trace::tree::Forest;

/// One execution of a test: where its span is and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    /// Index into the runs.
    pub run: u32,
    /// The view its span is in ([`Forest::tree`]: a trace, or traces shown together).
    pub view: u32,
    pub node: u32,
    pub outcome: Outcome,
    pub start: u64,
    pub duration: u64,
}

impl Execution {
    /// Its test span (`None` if the forest does not hold it).
    pub fn span<'a>(&self, session: &'a Session, forest: &Forest) -> Option<&'a Span> {
        let tree = forest.tree(self.view as usize)?;
        session
            .spans
            .get(tree.nodes.get(self.node as usize)?.span as usize)
    }
}

/// What a test's history says of it, in the order the history lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Verdict {
    /// Failed every time it ran.
    Broken,
    /// Passed and failed on the same revision, or failed and passed on a retry in one run.
    Flaky,
    /// Failed in the newest run it ran in, after passing on another revision.
    Failing,
    /// Passed in the newest run it ran in, after failing on another revision.
    Fixed,
    Passing,
    /// Never passed nor failed (skipped every time).
    Skipped,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Broken => "broken",
            Verdict::Flaky => "flaky",
            Verdict::Failing => "failing",
            Verdict::Fixed => "fixed",
            Verdict::Passing => "passing",
            Verdict::Skipped => "skipped",
        }
    }
}

/// One test across the runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestHistory {
    /// The suite (module, class or service) the name is unique in.
    pub suite: String,
    pub name: String,
    /// True when the row stands for traces with no test span, by their root's name.
    pub by_root: bool,
    pub verdict: Verdict,
    /// Executions that passed and failed (skips not counted).
    pub passed: u32,
    pub failed: u32,
    /// Its executions in run order, then start time.
    pub executions: Vec<Execution>,
}

impl TestHistory {
    /// The failure rate in percent of executions that passed or failed.
    pub fn failure_rate(&self) -> u32 {
        let ran = self.passed + self.failed;
        (self.failed * 100 + ran / 2).checked_div(ran).unwrap_or(0)
    }

    /// What the history says of the test: its verdict, with the failure rate when it both
    /// passed and failed ("flaky, 50% failed" with `separator` ", ").
    pub fn verdict_text(&self, separator: &str) -> String {
        match self.verdict {
            Verdict::Flaky | Verdict::Failing | Verdict::Fixed => format!(
                "{}{separator}{}% failed",
                self.verdict.word(),
                self.failure_rate()
            ),
            v => v.word().to_string(),
        }
    }

    /// The row's stable key for links: suite and name.
    pub fn key(&self) -> String {
        if self.suite.is_empty() {
            self.name.clone()
        } else {
            format!("{} › {}", self.suite, self.name)
        }
    }

    /// The executions in run `run`.
    pub fn in_run(&self, run: u32) -> impl Iterator<Item = &Execution> {
        self.executions.iter().filter(move |e| e.run == run)
    }

    /// The mean duration (ns) of its executions in each run, `None` for runs it did not run in.
    pub fn durations(&self, runs: usize) -> Vec<Option<u64>> {
        let mut sums = vec![(0u64, 0u64); runs];
        for e in &self.executions {
            if let Some(s) = sums.get_mut(e.run as usize) {
                s.0 += e.duration;
                s.1 += 1;
            }
        }
        sums.into_iter()
            .map(|(sum, n)| (n > 0).then(|| sum / n))
            .collect()
    }
}

/// The test attributes that name a test and its suite.
pub struct NameKeys {
    case: Option<Sym>,
    nodeid: Option<Sym>,
    /// Logfire's formatted message, the name it shows.
    message: Option<Sym>,
    suites: [Option<Sym>; 3],
}

impl NameKeys {
    pub fn new(session: &Session) -> NameKeys {
        let k = |s: &str| session.strings.lookup(s);
        NameKeys {
            case: k("test.case.name"),
            nodeid: k("test.nodeid"),
            message: k("logfire.msg"),
            suites: [k("test.suite.name"), k("test.module"), k("code.namespace")],
        }
    }

    /// (suite, name) of a test span: `test.case.name`, else pytest's node id, else the span's
    /// name; the suite is `test.suite.name`, else the module or namespace (none beside a node
    /// id, which holds the file and the class).
    pub fn of(&self, session: &Session, span: &Span) -> (String, String) {
        let (suite, name) = self.syms(span);
        (
            session.strings.get(suite).to_string(),
            session.strings.get(name).to_string(),
        )
    }

    /// [`NameKeys::of`] as interned strings ([`Sym::EMPTY`] for no suite).
    fn syms(&self, span: &Span) -> (Sym, Sym) {
        let text = |key: Option<Sym>| span.attribute(key?)?.as_str().filter(|&s| s != Sym::EMPTY);
        let suite = || {
            self.suites
                .iter()
                .find_map(|&k| text(k))
                .unwrap_or(Sym::EMPTY)
        };
        if let Some(case) = text(self.case) {
            return (suite(), case);
        }
        // pytest's node id names the file (and class) already.
        if let Some(nodeid) = text(self.nodeid) {
            return (Sym::EMPTY, nodeid);
        }
        let shown = text(self.message).unwrap_or(span.name);
        (suite(), shown)
    }
}

/// The run of a span of view `view` ([`Forest::tree`]): its trace's run (for traces shown
/// together, the member trace with the span's trace id; a handful to look through).
pub(crate) fn run_in_view(forest: &Forest, trace_run: &[u32], view: usize, trace: TraceId) -> u32 {
    let member = if view < forest.traces.len() {
        Some(view)
    } else {
        forest.tree(view).and_then(|t| {
            t.members
                .iter()
                .copied()
                .find(|&m| forest.traces.get(m).is_some_and(|x| x.trace_id == trace))
        })
    };
    member.and_then(|m| trace_run.get(m)).copied().unwrap_or(0)
}

/// Every test's history over `runs` (whose test counts it fills in), broken and flaky first.
/// Traces with no test span are listed under their root span's name (numbers and ids
/// normalised), in the suite of its service.
pub fn histories(
    session: &Session,
    forest: &Forest,
    runs: &mut [Run],
    trace_run: &[u32],
    outcomes: &[Option<Outcome>],
) -> Vec<TestHistory> {
    let names = NameKeys::new(session);
    let mut rows: Vec<TestHistory> = Vec::new();
    // Rows by (suite, name) as interned strings; rows by root span by (service, normalised
    // name), with each name normalised once.
    let mut by_name: FxHashMap<(Sym, Sym), usize> = FxHashMap::default();
    let mut by_root: FxHashMap<(Sym, String), usize> = FxHashMap::default();
    let mut normalised: FxHashMap<Sym, String> = FxHashMap::default();
    let new_row = |rows: &mut Vec<TestHistory>, suite: String, name: String, by_root: bool| {
        rows.push(TestHistory {
            suite,
            name,
            by_root,
            verdict: Verdict::Passing,
            passed: 0,
            failed: 0,
            executions: Vec::new(),
        });
        rows.len() - 1
    };
    for (view, tree) in views(forest) {
        let mut found = false;
        if !outcomes.is_empty() {
            for (i, node) in tree.nodes.iter().enumerate() {
                let Some(Some(outcome)) = outcomes.get(node.span as usize).copied() else {
                    continue;
                };
                if node.flags.placeholder {
                    continue;
                }
                found = true;
                let span = &session.spans[node.span as usize];
                let key = names.syms(span);
                let row = *by_name.entry(key).or_insert_with(|| {
                    let s = &session.strings;
                    new_row(
                        &mut rows,
                        s.get(key.0).to_string(),
                        s.get(key.1).to_string(),
                        false,
                    )
                });
                rows[row].executions.push(execution(
                    span,
                    view,
                    i,
                    outcome,
                    run_in_view(forest, trace_run, view, span.trace_id),
                ));
            }
        }
        if found {
            continue;
        }
        // A view with no test span: one execution under its first root's name.
        let Some((i, node)) = tree
            .nodes
            .iter()
            .enumerate()
            .find(|(_, n)| !n.flags.placeholder)
        else {
            continue;
        };
        let span = &session.spans[node.span as usize];
        let failed = node.flags.error || node.flags.error_below;
        let outcome = if failed { Outcome::Fail } else { Outcome::Pass };
        let name_sym = names.syms(span).1;
        let name = normalised
            .entry(name_sym)
            .or_insert_with(|| normalise(session.shown_name(span)))
            .clone();
        let service = session
            .resources
            .get(span.resource as usize)
            .map_or(Sym::EMPTY, |r| r.service);
        let row = *by_root.entry((service, name.clone())).or_insert_with(|| {
            new_row(&mut rows, session.service_of(span).to_string(), name, true)
        });
        rows[row].executions.push(execution(
            span,
            view,
            i,
            outcome,
            run_in_view(forest, trace_run, view, span.trace_id),
        ));
    }
    for row in &mut rows {
        row.executions.sort_by_key(|e| (e.run, e.start));
        for e in &row.executions {
            if let Some(run) = runs.get_mut(e.run as usize) {
                if e.outcome != Outcome::Skip {
                    run.tests += 1;
                    run.failed += u32::from(e.outcome == Outcome::Fail);
                }
            }
        }
        judge(row, runs);
    }
    // Verdict first; within one, tests before the traces listed by their root, the most
    // failing first.
    rows.sort_by(|a, b| {
        let key = |t: &TestHistory| (t.verdict, t.by_root, std::cmp::Reverse(t.failure_rate()));
        key(a)
            .cmp(&key(b))
            .then_with(|| (&a.suite, &a.name).cmp(&(&b.suite, &b.name)))
    });
    rows
}

fn execution(span: &Span, view: usize, node: usize, outcome: Outcome, run: u32) -> Execution {
    Execution {
        run,
        view: u32::try_from(view).unwrap_or(u32::MAX),
        node: u32::try_from(node).unwrap_or(u32::MAX),
        outcome,
        start: span.start,
        duration: span.duration(),
    }
}

/// Counts a row's outcomes and says what they make of it.
fn judge(row: &mut TestHistory, runs: &[Run]) {
    let ran: Vec<&Execution> = row
        .executions
        .iter()
        .filter(|e| e.outcome != Outcome::Skip)
        .collect();
    row.passed = u32::try_from(ran.iter().filter(|e| e.outcome == Outcome::Pass).count())
        .unwrap_or(u32::MAX);
    row.failed = u32::try_from(ran.len()).unwrap_or(u32::MAX) - row.passed;
    row.verdict = if ran.is_empty() {
        Verdict::Skipped
    } else if row.failed == 0 {
        Verdict::Passing
    } else if row.passed == 0 {
        Verdict::Broken
    } else if flaky(&ran, runs) {
        Verdict::Flaky
    } else if ran.last().is_some_and(|e| e.outcome == Outcome::Fail) {
        Verdict::Failing
    } else {
        Verdict::Fixed
    };
}

/// Passed and failed in one run (a retry), or on one revision (an unknown revision counts as
/// one revision).
fn flaky(ran: &[&Execution], runs: &[Run]) -> bool {
    let mut by_revision: FxHashMap<&str, (bool, bool)> = FxHashMap::default();
    let mut by_run: FxHashMap<u32, (bool, bool)> = FxHashMap::default();
    for e in ran {
        let revision = runs.get(e.run as usize).map_or("", |r| r.revision.as_str());
        let pass = e.outcome == Outcome::Pass;
        for slot in [
            by_revision.entry(revision).or_default(),
            by_run.entry(e.run).or_default(),
        ] {
            if pass {
                slot.0 = true;
            } else {
                slot.1 = true;
            }
        }
    }
    let both = |(p, f): &(bool, bool)| *p && *f;
    by_revision.values().any(both) || by_run.values().any(both)
}
