//! Helpers shared by the core's integration tests (each test crate uses a different subset).
#![allow(dead_code)]

use std::path::PathBuf;

use std::collections::HashMap;

use sightline_core::{decode_file, FileSummary, Forest, Session, TraceTree};

/// The repository root (the core crate sits one level below it).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A file under the repository's `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(name)
}

/// Decodes files into one session and builds its forest.
pub fn load(paths: &[PathBuf]) -> (Session, Vec<FileSummary>, Forest) {
    let mut session = Session::default();
    let mut summaries = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        summaries.push(decode_file(&mut session, &name, &bytes));
    }
    let forest = Forest::build(&session);
    (session, summaries, forest)
}

/// Span names of a trace in pre-order, indented by depth, for readable tree assertions.
pub fn outline(session: &Session, forest: &Forest, trace: usize) -> Vec<String> {
    let Some(tree) = forest.tree(trace) else {
        return Vec::new();
    };
    tree.nodes
        .iter()
        .map(|n| {
            let span = &session.spans[n.span as usize];
            let name = if n.flags.placeholder {
                format!(
                    "missing parent {}",
                    span.parent_id.map(|p| p.to_string()).unwrap_or_default()
                )
            } else {
                session.strings.get(span.name).to_string()
            };
            let linked = if n.flags.linked { " (linked)" } else { "" };
            format!("{}{name}{linked}", "  ".repeat(n.depth as usize))
        })
        .collect()
}

/// The span names of some nodes of a trace, in the order given.
pub fn span_names<'a>(session: &'a Session, tree: &TraceTree, nodes: &[u32]) -> Vec<&'a str> {
    nodes
        .iter()
        .map(|&i| {
            session
                .strings
                .get(session.spans[tree.nodes[i as usize].span as usize].name)
        })
        .collect()
}

/// What a span decodes to, for comparing a salvaged span with the same span read whole.
#[derive(Debug, PartialEq)]
pub struct Seen {
    pub name: String,
    pub service: String,
    pub start: u64,
    pub end: u64,
    pub attributes: usize,
    pub events: usize,
}

pub fn seen(session: &Session) -> HashMap<String, Seen> {
    session
        .spans
        .iter()
        .map(|s| {
            (
                s.span_id.to_string(),
                Seen {
                    name: session.strings.get(s.name).to_string(),
                    service: session.service_of(s).to_string(),
                    start: s.start,
                    end: s.end,
                    attributes: s.attributes.len(),
                    events: s.events.len(),
                },
            )
        })
        .collect()
}

pub fn decode(name: &str, bytes: &[u8]) -> (Session, sightline_core::FileSummary) {
    let mut session = Session::default();
    let summary = decode_file(&mut session, name, bytes);
    (session, summary)
}

/// A hand-written fixture of `tests/fixtures/edge`.
pub fn edge(name: &str) -> std::path::PathBuf {
    fixture(&format!("edge/{name}"))
}
