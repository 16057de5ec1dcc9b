//! Times decoding a file as its bytes arrive (64 KiB at a time, read from disk, never held
//! whole) against decoding it whole, natively, in the same run; and the peak memory of each,
//! against the file's size. Then what one preview of the whole session costs (the most a
//! preview made while the file arrives costs), against the whole decode.
//!
//! `cargo run --release -p sightline-core --example stream_timing -- FILE...`

use std::io::Read;
use std::time::{Duration, Instant};

use sightline_core::session::preview::{preview, PREVIEW_SPANS};
use sightline_core::{decode_file, Session, StreamDecoder};

#[path = "common/counting.rs"]
mod counting;
use counting::now_and_peak;

const CHUNK: usize = 64 * 1024;

/// The time and the peak memory (over what was allocated before) of `f`.
fn measured<T>(f: impl FnOnce() -> T) -> (Duration, usize, T) {
    let (before, _) = now_and_peak();
    let t = Instant::now();
    let out = f();
    let took = t.elapsed();
    let (_, peak) = now_and_peak();
    (took, peak.saturating_sub(before), out)
}

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: stream_timing FILE...");
        std::process::exit(2);
    }
    println!("| file | MB | spans | whole: decode (baseline) | peak | as it arrives: decode | ratio | peak | peak / file |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut previews = Vec::new();
    for path in files {
        let size = std::fs::metadata(&path).expect("metadata").len() as usize;
        // Whole: the file read into memory, then decoded (as the page's worker does today).
        let (whole_ms, whole_peak, session) = measured(|| {
            let bytes = std::fs::read(&path).expect("read");
            let mut session = Session::default();
            decode_file(&mut session, &path, &bytes);
            session
        });
        let spans = session.spans.len();
        let (stream_ms, stream_peak, streamed) = measured(|| {
            let mut file = std::fs::File::open(&path).expect("open");
            let mut session = Session::default();
            let mut decoder = StreamDecoder::new(&path, Some(size as u64));
            let mut chunk = vec![0u8; CHUNK];
            loop {
                let n = file.read(&mut chunk).expect("read");
                if n == 0 {
                    break;
                }
                decoder.push(&mut session, &chunk[..n], &mut |_, _| {});
            }
            decoder.finish(&mut session, &mut |_, _| {});
            session.spans.len()
        });
        assert_eq!(spans, streamed, "{path}: the two ways read different spans");
        let mb = |b: usize| b as f64 / 1e6;
        let name = std::path::Path::new(&path)
            .file_name()
            .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
        println!(
            "| {name} | {:.0} | {spans} | {:.0} ms | {:.0} MB | {:.0} ms | {:.2}x | {:.0} MB | {:.2}x |",
            mb(size),
            whole_ms.as_secs_f64() * 1e3,
            mb(whole_peak),
            stream_ms.as_secs_f64() * 1e3,
            stream_ms.as_secs_f64() / whole_ms.as_secs_f64(),
            mb(stream_peak),
            stream_peak as f64 / size as f64
        );
        let (preview_ms, _, (_, glimpse)) = measured(|| preview(&session, &[], PREVIEW_SPANS));
        previews.push(format!(
            "| {name} | {spans} | {} of {} | {} | {:.0} ms | {:.2}x |",
            glimpse.shown,
            glimpse.traces,
            glimpse.shown_spans,
            preview_ms.as_secs_f64() * 1e3,
            preview_ms.as_secs_f64() / whole_ms.as_secs_f64()
        ));
    }
    println!();
    println!(
        "| file | spans | traces in the preview | its spans | one preview | of the whole decode |"
    );
    println!("|---|---|---|---|---|---|");
    for row in previews {
        println!("{row}");
    }
}
