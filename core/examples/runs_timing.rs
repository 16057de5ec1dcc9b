//! Times the analysis across CI runs natively, against baselines measured in the same run:
//! grouping into runs, test histories and exception fingerprints ([`CiRuns::of`]) against
//! building the trees ([`Forest::build`]), and comparing the largest test's latest failure with
//! a passing execution ([`Comparison::of`], with the means over all its runs) against the
//! same.
//!
//! `cargo run --release -p sightline-core --example runs_timing -- FILE...` (scripts/bench
//! generates the files: `runs50`, `runs200` and `runs2` profiles of core/examples/generate.rs).

use sightline_core::insight::runs::compare::Comparison;
use sightline_core::insight::runs::CiRuns;
use sightline_core::{decode_file, Forest, Session};

#[path = "common/best.rs"]
mod best;
use best::{best, ms};

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: runs_timing FILE...");
        std::process::exit(2);
    }
    println!("| file | spans | runs | tests | exception groups | trees built (baseline) | across runs | ratio | compare (spans) | compare | ratio |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for file in files {
        let bytes = std::fs::read(&file).expect("read");
        let mut session = Session::default();
        decode_file(&mut session, &file, &bytes);
        drop(bytes);
        let (tree_time, forest) = best(5, || Forest::build(&session));
        let (runs_time, runs) = best(5, || CiRuns::of(&session, &forest));
        // The test with the most spans among those with both outcomes.
        let largest = (0..runs.tests.len())
            .filter(|&t| runs.default_pair(t).is_some())
            .max_by_key(|&t| {
                let (f, _) = runs.default_pair(t).expect("pair");
                forest.tree(f.view as usize).map_or(0, |tree| {
                    tree.nodes[f.node as usize].subtree_end as usize - f.node as usize
                })
            });
        let compare = largest.map(|t| {
            let (f, p) = runs.default_pair(t).expect("pair");
            let size = forest.tree(f.view as usize).map_or(0, |tree| {
                tree.nodes[f.node as usize].subtree_end as usize - f.node as usize
            });
            // What the page does for the Compare panel: align, rank, and the means over every
            // execution of the test.
            let (time, c) =
                best(5, || {
                    Comparison::of(&session, &forest, (f.view, f.node), (p.view, p.node))
                        .with_means(&session, &forest, &runs.tests[t])
                });
            assert!(!c.rows.is_empty());
            (size, time)
        });
        let name = std::path::Path::new(&file)
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let (compare_spans, compare_ms, compare_ratio) = match compare {
            Some((size, time)) => (
                size.to_string(),
                format!("{:.2} ms", ms(time)),
                format!("{:.2}", ms(time) / ms(tree_time)),
            ),
            None => ("–".into(), "–".into(), "–".into()),
        };
        println!(
            "| {name} | {} | {} | {} | {} | {:.2} ms | {:.2} ms | {:.2} | {compare_spans} | {compare_ms} | {compare_ratio} |",
            session.spans.len(),
            runs.runs.len(),
            runs.tests.len(),
            runs.exceptions.len(),
            ms(tree_time),
            ms(runs_time),
            ms(runs_time) / ms(tree_time),
        );
    }
}
