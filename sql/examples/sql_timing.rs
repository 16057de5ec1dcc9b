//! Times SQL over a trace natively, against a baseline measured in the same run: decoding the
//! file and building its trees ([`Loaded::decode`]). Then building the `records` table, and a
//! `GROUP BY service_name, span_name` on it (the statistics a trace view shows per operation).
//!
//! `cargo run --release -p sightline-sql --example sql_timing -- FILE...` (scripts/bench
//! generates the files).

use sightline_core::Loaded;
use sightline_sql::{records, Engine};

/// The query timed: the statistics per service and operation.
const GROUP_BY: &str =
    "SELECT service_name, span_name, count(*) AS spans, sum(duration) AS total, \
    avg(duration) AS mean, max(duration) AS longest FROM records GROUP BY service_name, span_name \
    ORDER BY total DESC";

#[path = "../../core/examples/common/best.rs"]
mod best;
use best::{best, ms};

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: sql_timing FILE...");
        std::process::exit(2);
    }
    println!("| file | spans | decode + trees (baseline) | records table | ratio | GROUP BY service, span | ratio | groups |");
    println!("|---|---|---|---|---|---|---|---|");
    for file in files {
        let bytes = std::fs::read(&file).expect("read");
        let (decode, loaded) = best(3, || Loaded::decode(vec![(file.clone(), bytes.clone())]));
        drop(bytes);
        let (build, batches) = best(3, || records::record_batches(&loaded).expect("table"));
        let engine = Engine::from_batches(batches).expect("engine");
        let (query, output) = best(5, || engine.query(GROUP_BY).expect("query"));
        let name = std::path::Path::new(&file)
            .file_name()
            .map_or(file.clone(), |n| n.to_string_lossy().into_owned());
        println!(
            "| {name} | {} | {:.0} ms | {:.0} ms | {:.2}x | {:.1} ms | {:.3}x | {} |",
            engine.rows(),
            ms(decode),
            ms(build),
            ms(build) / ms(decode),
            ms(query),
            ms(query) / ms(decode),
            output.rows.len()
        );
    }
}
