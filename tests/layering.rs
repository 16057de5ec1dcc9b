//! The repository's layering, checked: the core's stages import only the stages before them,
//! and the trees, the view and the insights never import the decoders (so the pipeline of
//! ARCHITECTURE.md is the code's),
//! the core never names a web crate, and the UI's modules import each other without cycles.
//!
//! Imports are read from the source text: every `crate::` path and every `super::` path that
//! leaves its stage, outside comments and the `#[cfg(test)]` module at a file's end (tests may
//! use any stage to build their input).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)] // a test that cannot read the sources should stop right there

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The core's stages in the order data flows through them. A stage may import only itself and
/// the stages before it.
const STAGES: &[&str] = &[
    "model", "decode", "trace", "view", "insight", "session", "wire",
];

/// Imports the order allows but the design does not: only the stages that run the pipeline over
/// files (`session`, and `wire` which carries file summaries) read what the decoders produce
/// beyond the model; the trees, the view and the insights work on the model alone.
const FORBIDDEN: &[(&str, &str)] = &[
    ("trace", "decode"),
    ("view", "decode"),
    ("insight", "decode"),
];

/// Top-level modules of the core that are not stages, and the last stage each may import:
/// `synthetic` writes trace files from nothing; `fuzzing` (test-only) drives the whole pipeline.
const OUTSIDE: &[(&str, Option<&str>)] = &[("synthetic", None), ("fuzzing", Some("wire"))];

/// Names the core must never contain: it is tested natively and shared with the command line.
const WEB_CRATES: &[&str] = &[
    "leptos",
    "web_sys",
    "web-sys",
    "wasm_bindgen",
    "wasm-bindgen",
    "js_sys",
    "js-sys",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a source file below `src` (`decode/recover/mod.rs` -> `decode::recover`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The code of a file that the shipped library runs: without comments, and without the test
/// module at its end.
fn shipped_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|l| l.trim_start().starts_with("mod "))
        {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line.split(" // ").next().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// The top-level modules that `code`, in module `module`, refers to by path.
fn referenced_tops(module: &[String], code: &str) -> BTreeSet<String> {
    let mut tops = BTreeSet::new();
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_ident(bytes[i - 1]);
        if starts_word && bytes[i..].starts_with(b"crate::") {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .bytes()
                .take_while(|&b| is_ident(b))
                .map(char::from)
                .collect();
            if !name.is_empty() {
                tops.insert(name);
            }
            i += "crate::".len();
            continue;
        }
        if starts_word && bytes[i..].starts_with(b"super::") {
            // `super::` climbs one module per occurrence; a mod.rs file is its folder's module.
            let mut depth = 0;
            let mut at = i;
            while bytes[at..].starts_with(b"super::") {
                depth += 1;
                at += "super::".len();
            }
            let name: String = code[at..]
                .bytes()
                .take_while(|&b| is_ident(b))
                .map(char::from)
                .collect();
            if depth <= module.len() {
                let base = &module[..module.len() - depth];
                let top = base.first().cloned().unwrap_or(name);
                if !top.is_empty() {
                    tops.insert(top);
                }
            }
            i = at;
            continue;
        }
        i += 1;
    }
    tops
}

/// The last stage `top` may import, as an index into [`STAGES`] (`None`: no stage at all).
fn limit_of(top: &str) -> Option<Option<usize>> {
    if let Some(i) = STAGES.iter().position(|s| *s == top) {
        return Some(Some(i));
    }
    OUTSIDE
        .iter()
        .find(|(name, _)| *name == top)
        .map(|(_, last)| last.map(|l| STAGES.iter().position(|s| *s == l).unwrap()))
}

/// Every import in the core that goes against the stage order, as `file: a -> b`.
fn stage_violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let module = module_of(src, &file);
        let Some(top) = module.first() else { continue }; // lib.rs re-exports every stage
        let Some(limit) = limit_of(top) else {
            out.push(format!(
                "{}: {top} is neither a stage nor listed in OUTSIDE",
                file.display()
            ));
            continue;
        };
        let code = shipped_code(&std::fs::read_to_string(&file).unwrap());
        for target in referenced_tops(&module, &code) {
            if &target == top {
                continue;
            }
            let allowed = match (STAGES.iter().position(|s| *s == target), limit) {
                (Some(t), Some(l)) => {
                    t <= l && !FORBIDDEN.contains(&(top.as_str(), target.as_str()))
                }
                _ => false,
            };
            if !allowed {
                let why = if limit_of(&target).is_none() {
                    " (a root re-export: name the stage's path)"
                } else {
                    ""
                };
                out.push(format!("{}: {top} -> {target}{why}", file.display()));
            }
        }
    }
    out
}

/// The name of the UI module a file of `dir` holds: its stem, or its folder's name for a
/// `mod.rs` below `dir` (`None` for `dir`'s own `mod.rs`).
fn ui_module(dir: &Path, file: &Path) -> Option<String> {
    let stem = file.file_stem()?.to_string_lossy().into_owned();
    if stem != "mod" {
        return Some(stem);
    }
    let folder = file.parent()?;
    (folder != dir).then(|| folder.file_name().map(|n| n.to_string_lossy().into_owned()))?
}

/// The UI's module graph: which modules of `dir` each one names (`super::x`, `crate::ui::x`).
fn ui_graph(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    let names: BTreeSet<String> = files.iter().filter_map(|f| ui_module(dir, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(name) = ui_module(dir, file) else {
            continue;
        };
        let code = shipped_code(&std::fs::read_to_string(file).unwrap());
        let mut uses = BTreeSet::new();
        for prefix in ["super::", "crate::ui::"] {
            for (at, _) in code.match_indices(prefix) {
                let rest = &code[at + prefix.len()..];
                let target: String = rest
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    .map(char::from)
                    .collect();
                if target != name && names.contains(&target) {
                    uses.insert(target);
                }
            }
        }
        graph.entry(name).or_default().extend(uses);
    }
    graph
}

/// A cycle of the graph, if it has one (as the path around it).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    // 0 = not seen, 1 = on the current path, 2 = done.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let from = path.iter().position(|p| p == next).unwrap();
                    let mut cycle = path[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, graph, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(node, graph, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn core_stages_import_only_the_stages_before_them() {
    let src = root().join("core/src");
    let tops: BTreeSet<String> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != "lib.rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = STAGES
        .iter()
        .chain(OUTSIDE.iter().map(|(n, _)| n))
        .map(ToString::to_string)
        .collect();
    assert_eq!(tops, expected, "core/src holds the stages and nothing else");
    let violations = stage_violations(&src);
    assert!(
        violations.is_empty(),
        "imports against the stage order {STAGES:?}:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_core_never_names_a_web_crate() {
    let mut files = vec![root().join("core/Cargo.toml")];
    rust_files(&root().join("core/src"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = if file.extension().is_some_and(|e| e == "rs") {
            shipped_code(&text)
        } else {
            text
        };
        for name in WEB_CRATES {
            assert!(!code.contains(name), "{} names {name}", file.display());
        }
    }
}

#[test]
fn ui_modules_import_each_other_without_cycles() {
    let graph = ui_graph(&root().join("src/ui"));
    assert!(graph.len() > 10, "found only {:?}", graph.keys());
    if let Some(cycle) = find_cycle(&graph) {
        panic!("the UI's modules import in a cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_checks_see_what_they_forbid() {
    // A stage importing a later one, through `crate::` and through `super::super::`.
    let view = vec!["view".to_string(), "rows".to_string()];
    let code = shipped_code(
        "use crate::decode::decode_file;\nuse super::super::wire::Streamer;\n// crate::session\n",
    );
    assert_eq!(
        referenced_tops(&view, &code),
        BTreeSet::from(["decode".to_string(), "wire".to_string()])
    );
    assert_eq!(
        referenced_tops(&view, "use super::window::Window;"),
        BTreeSet::from(["view".to_string()])
    );
    // Test modules at a file's end are not the shipped library.
    assert!(
        !shipped_code("fn f() {}\n#[cfg(test)]\nmod tests {\n use crate::wire;\n}\n")
            .contains("wire")
    );
    // A cycle of three modules is found; a chain is not a cycle.
    let edges = |pairs: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            g.entry((*a).to_string())
                .or_default()
                .insert((*b).to_string());
            g.entry((*b).to_string()).or_default();
        }
        g
    };
    assert_eq!(
        find_cycle(&edges(&[
            ("state", "worker"),
            ("worker", "splitter"),
            ("splitter", "state")
        ])),
        Some(
            vec!["splitter", "state", "worker", "splitter"]
                .into_iter()
                .map(String::from)
                .collect()
        )
    );
    assert_eq!(
        find_cycle(&edges(&[("app", "state"), ("load", "state")])),
        None
    );
}
