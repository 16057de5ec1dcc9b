//! The labelled marks of the time axis.

use crate::view::format::format_duration;
use crate::view::window::Window;

/// A labelled mark on the time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    /// Offset from the trace start, in ns.
    pub offset: u64,
    /// Position as a fraction of the window width (0..=1).
    pub fraction: f64,
    pub label: String,
}

/// The most ticks an axis `width` CSS pixels wide has room for: one per 56 px (tick labels are
/// round steps, the longest such as "1m 40s" or "500µs" about 40 px at the axis's font size),
/// between 2 and 8. A width not yet measured (0) gets 8.
pub fn tick_count(width: f64) -> usize {
    if width.is_nan() || width <= 0.0 {
        return 8;
    }
    let n = (width / 56.0).floor().min(8.0) as usize;
    n.max(2)
}

/// Evenly spaced ticks at a 1-2-5 step, at most `max` of them, labelled relative to `origin`
/// (the trace start).
pub fn ticks(window: Window, origin: u64, max: usize) -> Vec<Tick> {
    let max = max.max(2) as u64;
    let span = window.len();
    let mut step = 1u64;
    'search: loop {
        for m in [1u64, 2, 5] {
            let s = step.saturating_mul(m);
            if span / s < max {
                step = s;
                break 'search;
            }
        }
        if step > u64::MAX / 10 {
            break;
        }
        step *= 10;
    }
    let first_offset = window.start.saturating_sub(origin).div_ceil(step) * step;
    let mut out = Vec::new();
    let mut off = first_offset;
    while origin.saturating_add(off) <= window.end {
        out.push(Tick {
            offset: off,
            fraction: window.fraction(origin + off),
            label: format_duration(off),
        });
        match off.checked_add(step) {
            Some(next) => off = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_use_round_steps() {
        let w = Window::new(1_000_000_000, 1_000_000_000 + 47_000_000);
        let t = ticks(w, w.start, 8);
        let labels: Vec<&str> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0ns", "10ms", "20ms", "30ms", "40ms"]);
        assert!((t[1].fraction - 10.0 / 47.0).abs() < 1e-9);
    }

    #[test]
    fn a_narrow_axis_gets_fewer_ticks_spaced_at_least_56px_apart() {
        assert_eq!(tick_count(0.0), 8);
        assert_eq!(tick_count(1200.0), 8);
        assert_eq!(tick_count(400.0), 7);
        assert_eq!(tick_count(75.0), 2);
        // The sample on a 100 px axis (a 1,000 px window): eight labels would overlap.
        let w = Window::new(0, 624_140_000);
        for width in [100.0, 240.0, 400.0, 700.0] {
            let t = ticks(w, 0, tick_count(width));
            assert!(t.len() >= 2, "{width}: {t:?}");
            let gap = (t[1].fraction - t[0].fraction) * width;
            assert!(
                gap >= 50.0 || t.len() == 2,
                "{width} px: ticks {gap:.0} px apart"
            );
        }
    }
}
