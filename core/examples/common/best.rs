//! Timing helpers the timing examples share (also `sql/examples/sql_timing.rs`).

use std::time::{Duration, Instant};

/// The best of `n` timings of `f` (the least disturbed by the rest of the machine).
pub fn best<T>(n: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..n {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.expect("n > 0"))
}

/// Milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
