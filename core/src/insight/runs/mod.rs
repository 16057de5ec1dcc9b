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
        let (mut runs, trace_run, notes) = identity::runs_of(session, forest);
        let tests = history::histories(session, forest, &mut runs, &trace_run);
        let exceptions = exceptions::exception_groups(session, forest, &trace_run);
        CiRuns {
            runs,
            trace_run,
            tests,
            exceptions,
            notes,
        }
    }

    /// The run of trace `trace`.
    pub fn run_of(&self, trace: usize) -> Option<&Run> {
        self.runs.get(*self.trace_run.get(trace)? as usize)
    }

    /// The index of the run with this key.
    pub fn run_by_key(&self, key: &str) -> Option<usize> {
        self.runs.iter().position(|r| r.key == key)
    }

    /// The test whose key ([`TestHistory::key`]) is this.
    pub fn test_by_key(&self, key: &str) -> Option<usize> {
        self.tests.iter().position(|t| t.key() == key)
    }

    /// The default comparison for test `test`: its latest failure against the passing
    /// execution nearest in time on the same revision, else the latest passing one.
    pub fn default_pair(&self, test: usize) -> Option<(&Execution, &Execution)> {
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
