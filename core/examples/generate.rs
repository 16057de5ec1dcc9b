//! Writes a deterministic OTLP/JSON trace for benchmarks (scripts/bench); the generator itself is
//! `sightline_core::synthetic`, which the decoder worker also uses to warm up.
//!
//! `cargo run --release -p sightline-core --example generate -- SPANS rich|lean OUT`

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(count), Some(profile), Some(out)) = (
        args.first().and_then(|n| n.parse::<usize>().ok()),
        args.get(1),
        args.get(2),
    ) else {
        eprintln!("usage: generate SPANS rich|lean OUT");
        std::process::exit(2);
    };
    let body = sightline_core::synthetic::otlp_json(count, profile == "rich");
    std::fs::write(out, &body).expect("write");
    eprintln!(
        "{out}: {count} spans, {} bytes ({} bytes a span)",
        body.len(),
        body.len() / count.max(1)
    );
}
