//! Prints what Sightline reads from trace files: `cargo run -p sightline-core --example inspect -- FILE...`

fn main() {
    let mut session = sightline_core::Session::default();
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let s = sightline_core::decode_file(&mut session, &path, &bytes);
        println!(
            "{}: {} ({} spans, {} warnings)",
            s.name, s.format, s.spans, s.warnings
        );
    }
    let forest = sightline_core::Forest::build(&session);
    println!(
        "{} spans in {} traces, {} duplicates, {} missing parents, {} cycles cut, {} errors",
        forest.span_count(),
        forest.traces.len(),
        forest.duplicates,
        forest.missing_parents,
        forest.cycles_broken,
        forest.error_count()
    );
    for w in &session.warnings {
        println!("warning: {w}");
    }
}
