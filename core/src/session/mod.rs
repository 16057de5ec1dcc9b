//! The loaded session: every file decoded into one [`Session`], its trees built, what opening a
//! trace needs computed, and its failing tests found. This is what the decoder hands the page
//! (through the [`crate::wire`] form) and what the command line reports on.

pub mod context;
pub mod permalink;
pub mod preview;

use serde::{Deserialize, Serialize};

use crate::decode::{decode_file_with_progress, FileSummary};
use crate::insight::report::{test_outcomes, Failures};
use crate::insight::runs::CiRuns;
use crate::model::Session;
use crate::trace::tree::{Forest, TraceTree};

/// Everything the UI shows of a load.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Loaded {
    pub session: Session,
    pub forest: Forest,
    pub files: Vec<FileSummary>,
    /// The failing tests and their causes (the first few hundred).
    pub failures: Failures,
    /// The CI runs the traces are from, each test's history and the exception groups.
    pub runs: CiRuns,
}

impl Loaded {
    /// Decodes `(file name, bytes)` pairs into one session and builds its trees.
    pub fn decode(files: Vec<(String, Vec<u8>)>) -> Loaded {
        let (session, files) = decode_session(files, |_, _| {});
        Loaded::with_trees(session, files)
    }

    /// Builds the trees of a decoded session.
    pub fn with_trees(session: Session, files: Vec<FileSummary>) -> Loaded {
        let mut forest = Forest::build(&session);
        crate::view::minimap::precompute(&mut forest, &session);
        // Which spans are tests, and how each ended, read once for both.
        let outcomes = test_outcomes(&session);
        let failures = Failures::with_outcomes(&session, &forest, &outcomes);
        let runs = CiRuns::with_outcomes(&session, &forest, &outcomes);
        Loaded {
            session,
            forest,
            files,
            failures,
            runs,
        }
    }

    /// The tree of trace `i`, if it exists.
    pub fn tree(&self, i: usize) -> Option<&TraceTree> {
        self.forest.tree(i)
    }
}

/// Decodes `(file name, bytes)` pairs into one session, with each file's summary, calling
/// `progress(bytes done, the session so far)` every few thousand spans and after each file.
/// Each file's bytes are freed as soon as it is decoded.
pub fn decode_session(
    files: Vec<(String, Vec<u8>)>,
    mut progress: impl FnMut(u64, &Session),
) -> (Session, Vec<FileSummary>) {
    let mut session = Session::default();
    let mut summaries = Vec::new();
    let mut done = 0u64;
    for (name, bytes) in files {
        let summary = decode_file_with_progress(&mut session, &name, &bytes, &mut |at, s| {
            progress(done + at as u64, s);
        });
        summaries.push(summary);
        done += bytes.len() as u64;
        drop(bytes);
        progress(done, &session);
    }
    session.spans.shrink_to_fit();
    (session, summaries)
}
