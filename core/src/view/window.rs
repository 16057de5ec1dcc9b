//! The time window in view and where each span's bar sits in it. Everything stays in `u64`
//! nanoseconds until the last step, which yields fractions of the window width.

use crate::model::Session;
use crate::trace::tree::TraceTree;
use crate::view::format::format_duration;

/// The narrowest zoom: 100 ns across the whole timeline.
pub const MIN_WINDOW: u64 = 100;

/// A span of time in view, in ns since the epoch. `end > start` always holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: u64,
    pub end: u64,
}

impl Window {
    /// The whole trace; a trace without times (or of zero length) gets a 1 µs window.
    pub fn of_trace(tree: &TraceTree) -> Window {
        Window::new(tree.start, tree.end)
    }

    /// A window from `start` to `end`, at least 1 ns wide.
    pub fn new(start: u64, end: u64) -> Window {
        if end > start {
            Window { start, end }
        } else {
            Window {
                start,
                end: start.saturating_add(1_000),
            }
        }
    }

    /// Width of the window in ns.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Always false: a window is never empty.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The time at `fraction` of the window (fractions outside 0..=1 reach outside it).
    pub fn at(&self, fraction: f64) -> u64 {
        let off = (fraction * self.len() as f64).round() as i128;
        u64::try_from((i128::from(self.start) + off).max(0)).unwrap_or(u64::MAX)
    }

    /// The part of this window between two fractions of it (in either order), kept inside
    /// `bounds` and at least [`MIN_WINDOW`] wide.
    pub fn select(&self, a: f64, b: f64, bounds: Window) -> Window {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        let start = self.at(a);
        let end = self.at(b).max(start.saturating_add(MIN_WINDOW));
        Window { start, end }.fit(bounds)
    }

    /// Zoomed by `factor` (below 1 zooms in) around the time at fraction `anchor`, which stays
    /// where it is on screen; kept inside `bounds`.
    pub fn zoom(&self, anchor: f64, factor: f64, bounds: Window) -> Window {
        let pivot = self.at(anchor);
        let len = (self.len() as f64 * factor).round().max(1.0) as u64;
        let before = (len as f64 * anchor.clamp(0.0, 1.0)).round() as u64;
        let start = pivot.saturating_sub(before);
        Window::new(start, start.saturating_add(len)).fit(bounds)
    }

    /// Moved by `fraction` of its width (positive moves later in time), kept inside `bounds`.
    pub fn pan(&self, fraction: f64, bounds: Window) -> Window {
        let start = self.at(fraction);
        Window::new(start, start.saturating_add(self.len())).fit(bounds)
    }

    /// This window moved and shrunk to lie inside `bounds`, at least [`MIN_WINDOW`] wide.
    pub fn fit(&self, bounds: Window) -> Window {
        let len = self.len().clamp(MIN_WINDOW.min(bounds.len()), bounds.len());
        let start = self.start.clamp(bounds.start, bounds.end - len);
        Window::new(start, start + len)
    }

    /// True when this window shows all of `bounds`.
    pub fn covers(&self, bounds: Window) -> bool {
        self.start <= bounds.start && self.end >= bounds.end
    }

    /// What the zoom shows, as the zoom tools say it: "All 1.25s" for the whole trace
    /// (`bounds`), else "120ms – 340ms of 1.25s", relative to the trace's start.
    pub fn describe_in(&self, bounds: Window) -> String {
        if self.covers(bounds) {
            format!("All {}", format_duration(bounds.len()))
        } else {
            format!(
                "{} – {} of {}",
                format_duration(self.start.saturating_sub(bounds.start)),
                format_duration(self.end.saturating_sub(bounds.start)),
                format_duration(bounds.len())
            )
        }
    }

    /// Position of `t` as a fraction of the window (may fall outside 0..=1).
    pub fn fraction(&self, t: u64) -> f64 {
        // Subtract in integers first: epoch nanoseconds exceed f64's 53-bit mantissa.
        let (off, len) = (
            (i128::from(t) - i128::from(self.start)) as f64,
            self.len() as f64,
        );
        off / len
    }
}

/// Where a span's bar goes, as fractions of the window width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub left: f64,
    pub width: f64,
    /// The span had no start time; the bar sits at its parent's start (or the trace start).
    pub no_time: bool,
}

/// The bar of node `index` in `window`. Spans without times sit at their nearest timed ancestor.
pub fn bar(session: &Session, tree: &TraceTree, index: u32, window: Window) -> Bar {
    let Some(node) = tree.nodes.get(index as usize) else {
        return Bar {
            left: 0.0,
            width: 0.0,
            no_time: true,
        };
    };
    if node.flags.placeholder {
        // From the earliest start to the latest end of the spans that name the missing parent.
        let (mut start, mut end) = (u64::MAX, 0u64);
        for c in tree.children(index as usize) {
            let s = &session.spans[tree.nodes[c].span as usize];
            if s.start > 0 {
                start = start.min(s.start);
                end = end.max(s.start + s.duration());
            }
        }
        if start == u64::MAX {
            return Bar {
                left: window.fraction(tree.start),
                width: 0.0,
                no_time: true,
            };
        }
        let left = window.fraction(start);
        return Bar {
            left,
            width: (window.fraction(end) - left).max(0.0),
            no_time: false,
        };
    }
    let span = &session.spans[node.span as usize];
    if span.start == 0 {
        let mut anchor = tree.start;
        let mut p = node.parent;
        while let Some(pi) = p {
            let parent = &tree.nodes[pi as usize];
            let ps = &session.spans[parent.span as usize];
            if ps.start > 0 {
                anchor = ps.start;
                break;
            }
            p = parent.parent;
        }
        return Bar {
            left: window.fraction(anchor),
            width: 0.0,
            no_time: true,
        };
    }
    let left = window.fraction(span.start);
    let right = window.fraction(span.start + span.duration());
    Bar {
        left,
        width: (right - left).max(0.0),
        no_time: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zoom_says_what_it_shows_relative_to_the_trace() {
        let trace = Window::new(1_000_000_000, 2_250_000_000);
        assert_eq!(trace.describe_in(trace), "All 1.25s");
        let part = Window::new(1_120_000_000, 1_340_000_000);
        assert_eq!(part.describe_in(trace), "120ms – 340ms of 1.25s");
    }

    #[test]
    fn zero_length_window_is_widened() {
        let w = Window::new(5, 5);
        assert_eq!(w.len(), 1_000);
    }

    #[test]
    fn selecting_part_of_the_axis_zooms_to_it() {
        let trace = Window::new(1_000_000, 2_000_000);
        let w = trace.select(0.75, 0.25, trace);
        assert_eq!((w.start, w.end), (1_250_000, 1_750_000));
        // A selection of a few pixels still leaves a readable window, inside the trace.
        let tiny = trace.select(0.999_999_9, 1.0, trace);
        assert_eq!(tiny.len(), MIN_WINDOW);
        assert_eq!(tiny.end, trace.end);
    }

    #[test]
    fn zoom_keeps_the_time_under_the_pointer_in_place() {
        let trace = Window::new(0, 1_000_000);
        let w = trace.zoom(0.25, 0.5, trace);
        assert_eq!((w.start, w.end), (125_000, 625_000));
        assert!((w.fraction(250_000) - 0.25).abs() < 1e-9);
        // Zooming out never shows more than the trace, and stops at it.
        let out = w.zoom(0.5, 10.0, trace);
        assert_eq!(out, trace);
        assert!(out.covers(trace));
        // Zooming in stops at the narrowest window.
        let mut deep = trace;
        for _ in 0..100 {
            deep = deep.zoom(0.5, 0.5, trace);
        }
        assert_eq!(deep.len(), MIN_WINDOW);
    }

    #[test]
    fn pan_moves_by_a_share_of_the_width_and_stops_at_the_ends() {
        let trace = Window::new(0, 1_000_000);
        let w = Window::new(400_000, 500_000);
        assert_eq!(w.pan(0.5, trace), Window::new(450_000, 550_000));
        assert_eq!(w.pan(-100.0, trace), Window::new(0, 100_000));
        assert_eq!(w.pan(100.0, trace), Window::new(900_000, 1_000_000));
    }
}
