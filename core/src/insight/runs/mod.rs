//! Across CI runs: which run each trace is from ([`identity`]), every test's history and
//! verdict ([`history`]), exceptions grouped by fingerprint ([`exceptions`]), and a failing
//! execution compared with a passing one ([`compare`]).

pub mod compare;
pub mod exceptions;
pub mod history;
pub mod identity;
pub mod normalise;

use serde::{Deserialize, Serialize};

use crate::model::Session;
use crate::trace::tree::Forest;
use crate::view::url_state::{HashState, Panel};

pub use compare::Comparison;
pub use exceptions::ExceptionGroup;
pub use history::{Execution, Outcome, TestHistory, Verdict};
pub use identity::Run;

/// The runs of a session and what they say together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiRuns {
    /// In order of start time.
    pub runs: Vec<Run>,
    /// The run of each trace ([`Forest::traces`] order), as an index into `runs`.
    pub trace_run: Vec<u32>,
    /// Every test, broken and flaky first.
    pub tests: Vec<TestHistory>,
    /// Exception groups, not handled first.
    pub exceptions: Vec<ExceptionGroup>,
    /// What was assigned by a fallback or could not be assigned, for the page's alert.
    pub notes: Vec<String>,
}

impl CiRuns {
    /// Runs, histories and exception groups of a session with its trees.
    pub fn of(session: &Session, forest: &Forest) -> CiRuns {
        CiRuns::with_outcomes(session, forest, &history::test_outcomes(session))
    }

    /// [`CiRuns::of`] with the spans' test outcomes read already
    /// ([`crate::insight::report::test_outcomes`], shared with the failures).
    pub fn with_outcomes(
        session: &Session,
        forest: &Forest,
        outcomes: &[Option<Outcome>],
    ) -> CiRuns {
        let (mut runs, trace_run, notes) = identity::runs_of(session, forest);
        let tests = history::histories(session, forest, &mut runs, &trace_run, outcomes);
        let exceptions = exceptions::exception_groups(session, forest, &trace_run, outcomes);
        CiRuns {
            runs,
            trace_run,
            tests,
            exceptions,
            notes,
        }
    }

    /// The run of view `view` ([`Forest::tree`]): its trace's, or for traces shown together,
    /// the first one's.
    pub fn run_of_view(&self, forest: &Forest, view: usize) -> Option<u32> {
        let trace = if view < forest.traces.len() {
            view
        } else {
            *forest.tree(view)?.members.first()?
        };
        self.trace_run.get(trace).copied()
    }

    /// True when view `view` is of the newest run, the one whose failures decide a CI job
    /// (always, with a single run).
    pub fn in_newest_run(&self, forest: &Forest, view: usize) -> bool {
        let newest = self.runs.len().saturating_sub(1);
        self.runs.len() <= 1 || self.run_of_view(forest, view) == u32::try_from(newest).ok()
    }

    /// The link state of a comparison: the compare panel with the failing and the passing
    /// execution's test spans.
    pub fn compare_state(
        &self,
        session: &Session,
        forest: &Forest,
        failing: &Execution,
        passing: &Execution,
    ) -> Option<HashState> {
        let ids = |e: &Execution| {
            let span = e.span(session, forest)?;
            Some((span.trace_id.to_string(), span.span_id.to_string()))
        };
        Some(HashState {
            panel: Some(Panel::Compare),
            compare: Some([ids(failing)?, ids(passing)?]),
            ..HashState::default()
        })
    }

    /// The execution whose test span has these ids, as (test, execution) indices.
    pub fn find_execution(
        &self,
        session: &Session,
        forest: &Forest,
        trace_id: &str,
        span_id: &str,
    ) -> Option<(usize, usize)> {
        let trace_id = crate::model::ids::parse_trace_id(Some(trace_id)).ok()??;
        let span_id = crate::model::ids::parse_span_id(Some(span_id)).ok()??;
        self.tests.iter().enumerate().find_map(|(t, test)| {
            test.executions
                .iter()
                .position(|e| {
                    e.span(session, forest)
                        .is_some_and(|s| s.trace_id == trace_id && s.span_id == span_id)
                })
                .map(|e| (t, e))
        })
    }

    /// The index of the run with this key.
    pub fn run_by_key(&self, key: &str) -> Option<usize> {
        self.runs.iter().position(|r| r.key == key)
    }

    /// The default comparison for test `test`, as indices into its executions: its latest
    /// failure against the passing execution nearest in time on the same revision, else the
    /// latest passing one.
    pub fn default_pair_at(&self, test: usize) -> Option<(usize, usize)> {
        let t = self.tests.get(test)?;
        let failing = compare::default_failing(t)?;
        let revision = |run: u32| {
            self.runs
                .get(run as usize)
                .map_or("", |r| r.revision.as_str())
        };
        let passing = compare::default_passing(t, failing, &revision)?;
        Some((failing, passing))
    }

    /// [`CiRuns::default_pair_at`], the executions themselves.
    pub fn default_pair(&self, test: usize) -> Option<(&Execution, &Execution)> {
        let (f, p) = self.default_pair_at(test)?;
        let executions = &self.tests.get(test)?.executions;
        Some((executions.get(f)?, executions.get(p)?))
    }

    /// The comparison of test `test`'s default pair, with means over its executions.
    pub fn compare_default(
        &self,
        session: &Session,
        forest: &Forest,
        test: usize,
    ) -> Option<Comparison> {
        let (f, p) = self.default_pair(test)?;
        let c = Comparison::of(session, forest, (f.view, f.node), (p.view, p.node));
        Some(c.with_means(session, forest, &self.tests[test]))
    }
}
