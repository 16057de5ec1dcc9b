//! The whole trace drawn small, and what the worker computes for every trace before the page
//! opens one.

use crate::model::Session;
use crate::trace::tree::{Forest, MiniRun, Precomputed, TraceTree, MINIMAP_COLUMNS, MINIMAP_ROWS};
use crate::view::window::Window;

/// Draws the minimap of every trace and computes what opening a trace needs (see
/// [`TraceTree::minimap`], [`Precomputed`]).
pub fn precompute(forest: &mut Forest, session: &Session) {
    for t in forest.traces.iter_mut().chain(forest.linked.iter_mut()) {
        t.minimap = minimap(session, t, MINIMAP_COLUMNS, MINIMAP_ROWS);
        t.precomputed = Some(Precomputed {
            outliers: crate::trace::outliers::duration_outliers(session, t),
            open_at: crate::trace::open_at::open_on_failure(session, t),
            spans: t.span_count(),
        });
    }
}

/// The whole trace drawn small: `height` pixel rows, each standing for an equal share of the
/// spans in tree order, and `width` pixel columns for the trace's time. Every span lights at
/// least one pixel; the result is a list of runs, whatever the number of spans.
///
/// Each row's runs come from a sweep over its spans' pixel ranges, so the work follows the
/// number of spans, not the `width` x `height` pixels: a session of many small traces (a load
/// test's requests) would otherwise clear and scan a pixel grid per trace.
pub fn minimap(session: &Session, tree: &TraceTree, width: u16, height: u16) -> Vec<MiniRun> {
    let (w, h) = (usize::from(width.max(1)), usize::from(height.max(1)));
    let n = tree.nodes.len().max(1);
    let window = Window::of_trace(tree);
    let mut runs = Vec::new();
    // The current row's range ends: (x, +1 or -1, failed), and the row they are in.
    let mut edges: Vec<(usize, i8, bool)> = Vec::new();
    let mut row = 0;
    for (i, node) in tree.nodes.iter().enumerate() {
        let span = &session.spans[node.span as usize];
        if span.start == 0 || node.flags.placeholder {
            continue;
        }
        let y = i * h / n;
        if y != row {
            sweep_row(row, w, &mut edges, &mut runs);
            row = y;
        }
        let (x0, x1) = pixel_range(window, span, w);
        edges.push((x0, 1, node.flags.error));
        edges.push((x1, -1, node.flags.error));
    }
    sweep_row(row, w, &mut edges, &mut runs);
    runs
}

/// The minimap pixels `span` lights in a row `w` pixels wide showing `window`: at least one.
fn pixel_range(window: Window, span: &crate::model::Span, w: usize) -> (usize, usize) {
    let a = (window.fraction(span.start) * w as f64).floor().max(0.0) as usize;
    let b = (window.fraction(span.start + span.duration()) * w as f64)
        .ceil()
        .max(0.0) as usize;
    (a.min(w - 1), b.clamp(a.min(w - 1) + 1, w))
}

/// The runs of row `y` (`w` pixels wide) from its spans' range ends (emptied): a pixel is lit
/// when a range covers it, and failed when a failed span's range does; a run is a stretch of
/// pixels alike. A row of few ranges sorts their ends; a row of many (a trace of a million spans
/// puts thousands in each) counts them per pixel instead, which costs no sort.
fn sweep_row(y: usize, w: usize, edges: &mut Vec<(usize, i8, bool)>, runs: &mut Vec<MiniRun>) {
    let mut run = Runs {
        y,
        open: None,
        runs,
    };
    if edges.len() <= 64 {
        edges.sort_unstable_by_key(|&(x, _, _)| x);
        let (mut lit, mut failed) = (0i32, 0i32);
        let mut k = 0;
        while k < edges.len() {
            let x = edges[k].0;
            while k < edges.len() && edges[k].0 == x {
                let (_, step, error) = edges[k];
                lit += i32::from(step);
                if error {
                    failed += i32::from(step);
                }
                k += 1;
            }
            run.at(x, (lit > 0).then_some(failed > 0));
        }
    } else {
        // Per pixel: how many ranges start minus how many end there.
        let mut steps = vec![(0i32, 0i32); w + 1];
        for &(x, step, error) in edges.iter() {
            let at = &mut steps[x.min(w)];
            at.0 += i32::from(step);
            if error {
                at.1 += i32::from(step);
            }
        }
        let (mut lit, mut failed) = (0i32, 0i32);
        for (x, &(l, f)) in steps.iter().enumerate() {
            if l != 0 || f != 0 {
                lit += l;
                failed += f;
                run.at(x, (lit > 0).then_some(failed > 0));
            }
        }
    }
    edges.clear();
}

/// The runs of one minimap row as its pixels change along it.
struct Runs<'a> {
    y: usize,
    /// The run being drawn: where it started and whether it is failed.
    open: Option<(usize, bool)>,
    runs: &'a mut Vec<MiniRun>,
}

impl Runs<'_> {
    /// From pixel `x` on, the row is `now`: unlit (`None`), lit, or failed (`Some(true)`).
    fn at(&mut self, x: usize, now: Option<bool>) {
        if self.open.map(|(_, e)| e) == now {
            return;
        }
        if let Some((start, error)) = self.open {
            self.runs.push(MiniRun {
                y: u16::try_from(self.y).unwrap_or(u16::MAX),
                x0: u16::try_from(start).unwrap_or(u16::MAX),
                x1: u16::try_from(x).unwrap_or(u16::MAX),
                error,
            });
        }
        self.open = now.map(|error| (x, error));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The minimap as a grid of pixels, as it was drawn before the sweep: the reference.
    fn minimap_by_pixels(
        session: &Session,
        tree: &TraceTree,
        width: u16,
        height: u16,
    ) -> Vec<MiniRun> {
        let (w, h) = (usize::from(width.max(1)), usize::from(height.max(1)));
        let n = tree.nodes.len().max(1);
        let window = Window::of_trace(tree);
        let mut pixels = vec![0u8; w * h];
        for (i, node) in tree.nodes.iter().enumerate() {
            let span = &session.spans[node.span as usize];
            if span.start == 0 || node.flags.placeholder {
                continue;
            }
            let y = i * h / n;
            let (x0, x1) = pixel_range(window, span, w);
            let value = if node.flags.error { 2 } else { 1 };
            for p in &mut pixels[y * w + x0..y * w + x1] {
                *p = (*p).max(value);
            }
        }
        let mut runs = Vec::new();
        for y in 0..h {
            let row = &pixels[y * w..(y + 1) * w];
            let mut x = 0;
            while x < w {
                let v = row[x];
                if v == 0 {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < w && row[x] == v {
                    x += 1;
                }
                runs.push(MiniRun {
                    y: u16::try_from(y).unwrap_or(u16::MAX),
                    x0: u16::try_from(start).unwrap_or(u16::MAX),
                    x1: u16::try_from(x).unwrap_or(u16::MAX),
                    error: v == 2,
                });
            }
        }
        runs
    }

    #[test]
    fn minimap_sweep_draws_what_the_pixel_grid_drew() {
        // Real traces (the sample, errors and overlaps included), a synthetic one of many
        // spans per row, and the edge cases: spans without times, missing parents.
        let mut files: Vec<std::path::PathBuf> = ["order-e2e.json", "linked-traces.json"]
            .iter()
            .map(|f| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../tests/fixtures")
                    .join(f)
            })
            .collect();
        let edge = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/edge");
        files.extend(std::fs::read_dir(edge).unwrap().map(|e| e.unwrap().path()));
        let mut compared = 0;
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let mut session = Session::default();
            crate::decode_file(&mut session, "f", &bytes);
            let forest = crate::Forest::build(&session);
            for t in forest.views() {
                for (w, h) in [(1024, 36), (200, 40), (7, 3), (1, 1)] {
                    assert_eq!(
                        minimap(&session, t, w, h),
                        minimap_by_pixels(&session, t, w, h),
                        "{} at {w}x{h}",
                        path.display()
                    );
                    compared += 1;
                }
            }
        }
        let mut session = Session::default();
        crate::decode_file(
            &mut session,
            "synthetic",
            crate::synthetic::otlp_json(3000, true).as_bytes(),
        );
        let forest = crate::Forest::build(&session);
        for t in &forest.traces {
            for (w, h) in [(1024, 36), (300, 7)] {
                assert_eq!(
                    minimap(&session, t, w, h),
                    minimap_by_pixels(&session, t, w, h)
                );
                compared += 1;
            }
        }
        assert!(compared > 40, "{compared}");
    }
}
