//! Times each stage of a load natively: `cargo run --release -p sightline-core --example timing -- FILE`

use std::time::Instant;

#[path = "common/counting.rs"]
mod counting;
use counting::memory;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: timing FILE");
        std::process::exit(2);
    };
    let bytes = std::fs::read(&path).expect("read");
    eprintln!("memory: the file read, {}", memory());
    // SKIP_GENERIC=1 leaves out the serde_json::Value baseline (for profiling the decoder alone).
    let t = Instant::now();
    if std::env::var_os("SKIP_GENERIC").is_none() {
        let _: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    }
    let generic = t.elapsed();
    let t = Instant::now();
    let mut session = sightline_core::Session::default();
    // TYPED_ONLY=1 turns the OTLP reader's fast path off, to compare the two; TREE_ONLY=1 reads
    // Jaeger and Zipkin only through serde_json trees, not the typed readers.
    if std::env::var_os("TYPED_ONLY").is_some() {
        sightline_core::fuzzing::decode_file_typed_only(&mut session, &path, &bytes);
    } else if std::env::var_os("TREE_ONLY").is_some() {
        sightline_core::fuzzing::decode_file_tree_only(&mut session, &path, &bytes);
    } else {
        sightline_core::decode_file(&mut session, &path, &bytes);
    }
    let decode = t.elapsed();
    eprintln!("memory: decoded, {}", memory());
    // DECODE_ONLY=1 stops here (for profiling the decoder alone).
    if std::env::var_os("DECODE_ONLY").is_some() {
        println!("decode {decode:?}, {} spans", session.spans.len());
        return;
    }
    let t = Instant::now();
    let mut forest = sightline_core::Forest::build(&session);
    let tree = t.elapsed();
    eprintln!("memory: trees built, {}", memory());
    let t = Instant::now();
    sightline_core::view::minimap::precompute(&mut forest, &session);
    let precompute = t.elapsed();
    let t = Instant::now();
    let failures = sightline_core::insight::report::Failures::of(&session, &forest);
    let failing = t.elapsed();
    let t = Instant::now();
    let runs = sightline_core::insight::runs::CiRuns::of(&session, &forest);
    let across_runs = t.elapsed();
    eprintln!("memory: precomputed, {}", memory());
    // What the worker sends last: the trees' pieces (their head, then the nodes).
    let tree_parts = sightline_core::forest_parts(&forest, &[], &failures, &runs, 10_000);
    let tree_bytes: usize = tree_parts.iter().map(Vec::len).sum();
    drop(tree_parts);
    eprintln!(
        "memory: the trees in parts ({} MB), {}",
        tree_bytes / 1_000_000,
        memory()
    );
    let snapshot = sightline_core::Loaded {
        session,
        forest,
        files: Vec::new(),
        failures,
        runs,
    };
    let t = Instant::now();
    let out = snapshot.to_bytes();
    let encode = t.elapsed();
    let t = Instant::now();
    let back = sightline_core::Loaded::from_bytes(&out).expect("back");
    let read_back = t.elapsed();
    // What the worker and page do: the snapshot in parts, read back one at a time.
    let t = Instant::now();
    let parts = snapshot.to_parts(20_000);
    let encode_parts = t.elapsed();
    eprintln!("memory: the answer in parts, {}", memory());
    let runs = snapshot.session.strings.runs_from(0).len();
    let spans = snapshot.session.spans.len().div_ceil(20_000);
    let mut assembler = sightline_core::Assembler::new();
    let mut slowest = std::time::Duration::ZERO;
    let mut by_kind = [std::time::Duration::ZERO; 4];
    let t = Instant::now();
    for (i, part) in parts.iter().enumerate() {
        let t = Instant::now();
        assembler.add(part).expect("part");
        let took = t.elapsed();
        let kind = match i {
            0 => 0,
            i if i <= runs => 1,
            i if i <= runs + spans => 2,
            _ => 3,
        };
        by_kind[kind] += took;
        slowest = slowest.max(took);
    }
    let assembled = assembler.finish().expect("assembled");
    // Over the parts held above: what the page holds once it has read them, and its peak.
    eprintln!("memory: read back as the page does, {}", memory());
    drop(assembled);
    println!(
        "parts: {} encoded in {encode_parts:?}, read in {:?} (head, strings, spans, trees: {by_kind:?}), slowest part {slowest:?}",
        parts.len(),
        t.elapsed()
    );
    println!(
        "{} MB: serde_json::Value {generic:?}, decode {decode:?} ({} documents left the fast path), trees {tree:?}, precompute {precompute:?}, failures {failing:?} ({} listed of {}), across runs {across_runs:?}, encode {encode:?} ({} MB), decode on page {read_back:?}, {} strings",
        bytes.len() / 1_000_000,
        sightline_core::fuzzing::fast_path_bails(),
        snapshot.failures.listed.len(),
        snapshot.failures.total,
        out.len() / 1_000_000,
        back.session.strings.len()
    );
}
