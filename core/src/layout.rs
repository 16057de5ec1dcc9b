//! Waterfall layout: which rows show under the current collapse state, where each bar goes in the
//! time window, the axis ticks, and service colours. Everything stays in `u64` nanoseconds until
//! the last step, which yields fractions of the window width.

use std::collections::HashSet;

use crate::format::format_duration;
use crate::model::Session;
use crate::tree::TraceTree;

/// The node indices shown, in order, when the subtrees of `collapsed` nodes are folded.
pub fn visible_rows(tree: &TraceTree, collapsed: &HashSet<u32>) -> Vec<u32> {
    let mut rows = Vec::with_capacity(tree.nodes.len());
    let mut i = 0usize;
    while let Some(node) = tree.nodes.get(i) {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        rows.push(index);
        i = if collapsed.contains(&index) {
            node.subtree_end as usize
        } else {
            i + 1
        };
    }
    rows
}

/// The collapsed set that shows exactly `levels` levels of the tree (1 = roots only): every node
/// with children at that depth or deeper is folded. `levels = 0` folds nothing.
pub fn collapse_to_depth(tree: &TraceTree, levels: u32) -> HashSet<u32> {
    if levels == 0 {
        return HashSet::new();
    }
    tree.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.children > 0 && n.depth + 1 >= levels)
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect()
}

/// Unfolds node `index` and everything below it (Shift+Right, Alt/Shift+click on its triangle):
/// the whole subtree shows, whatever was folded inside it.
pub fn expand_subtree(tree: &TraceTree, collapsed: &mut HashSet<u32>, index: u32) {
    let Some(node) = tree.nodes.get(index as usize) else {
        return;
    };
    // Whichever is smaller: the folded set, or the subtree (a million nodes under the root).
    if collapsed.len() < node.subtree_end.saturating_sub(index) as usize {
        collapsed.retain(|&c| c < index || c >= node.subtree_end);
    } else {
        for i in index..node.subtree_end {
            collapsed.remove(&i);
        }
    }
}

/// Folds node `index` and every node below it that has children (Shift+Left, Alt/Shift+click on
/// its triangle), so unfolding it again shows one level at a time.
pub fn collapse_subtree(tree: &TraceTree, collapsed: &mut HashSet<u32>, index: u32) {
    let Some(node) = tree.nodes.get(index as usize) else {
        return;
    };
    let end = node
        .subtree_end
        .min(u32::try_from(tree.nodes.len()).unwrap_or(u32::MAX));
    for i in index..end {
        if tree.nodes[i as usize].children > 0 {
            collapsed.insert(i);
        }
    }
}

/// The closest ancestor-or-self of `index` that the collapsed set leaves visible.
pub fn visible_ancestor(tree: &TraceTree, collapsed: &HashSet<u32>, index: u32) -> u32 {
    let mut shown = index;
    let mut at = tree.nodes.get(index as usize).and_then(|n| n.parent);
    while let Some(p) = at {
        if collapsed.contains(&p) {
            shown = p;
        }
        at = tree.nodes.get(p as usize).and_then(|n| n.parent);
    }
    shown
}

/// The rows shown when only `matches` (node indices) are wanted: each match with its ancestors,
/// so every match keeps its place in the tree, in tree order. Collapse is ignored.
pub fn rows_with_ancestors(tree: &TraceTree, matches: &[u32]) -> Vec<u32> {
    let mut keep = vec![false; tree.nodes.len()];
    for &m in matches {
        let mut at = Some(m);
        while let Some(i) = at {
            match keep.get_mut(i as usize) {
                Some(k) if !*k => {
                    *k = true;
                    at = tree.nodes[i as usize].parent;
                }
                _ => break,
            }
        }
    }
    keep.iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect()
}

/// How far a span runs outside its parent, by its own clock: nanoseconds it starts before the
/// parent starts, and ends after the parent ends. `None` when it sits inside (or times are missing).
pub fn skew(session: &Session, tree: &TraceTree, index: u32) -> Option<(u64, u64)> {
    let node = tree.nodes.get(index as usize)?;
    let parent = tree.nodes.get(node.parent? as usize)?;
    // A linked trace's root runs when its own trace ran, not inside the span it hangs under.
    if node.flags.placeholder || parent.flags.placeholder || node.flags.linked {
        return None;
    }
    let (s, p) = (
        &session.spans[node.span as usize],
        &session.spans[parent.span as usize],
    );
    if s.start == 0 || p.start == 0 {
        return None;
    }
    let (s_end, p_end) = (s.start + s.duration(), p.start + p.duration());
    let before = p.start.saturating_sub(s.start);
    let after = if s.end == 0 || p.end == 0 {
        0
    } else {
        s_end.saturating_sub(p_end)
    };
    (before > 0 || after > 0).then_some((before, after))
}

/// Spans that took far longer than their siblings: at least 10 times the median duration of the
/// children of their parent, among at least 3 siblings. Returned as node indices, in tree order.
pub fn duration_outliers(session: &Session, tree: &TraceTree) -> Vec<u32> {
    let mut out = Vec::new();
    for (p, parent) in tree.nodes.iter().enumerate() {
        if parent.children < 3 {
            continue;
        }
        let kids: Vec<usize> = tree.children(p).collect();
        let duration = |i: usize| session.spans[tree.nodes[i].span as usize].duration();
        let mut durations: Vec<u64> = kids.iter().map(|&i| duration(i)).collect();
        durations.sort_unstable();
        let median = durations[durations.len() / 2];
        if median == 0 {
            continue;
        }
        out.extend(
            kids.iter()
                .filter(|&&i| duration(i) >= median.saturating_mul(10))
                .filter_map(|&i| u32::try_from(i).ok()),
        );
    }
    out.sort_unstable();
    out
}

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
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
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
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let len = (self.len() as f64 * factor).round().max(1.0) as u64;
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
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

    /// Position of `t` as a fraction of the window (may fall outside 0..=1).
    pub fn fraction(&self, t: u64) -> f64 {
        // Subtract in integers first: epoch nanoseconds exceed f64's 53-bit mantissa.
        #[allow(clippy::cast_precision_loss)]
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

/// A horizontal run of lit pixels in the minimap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MiniRun {
    pub y: u16,
    pub x0: u16,
    /// Exclusive end.
    pub x1: u16,
    /// Some span failed under these pixels.
    pub error: bool,
}

/// The whole trace drawn small: `height` pixel rows, each standing for an equal share of the
/// spans in tree order, and `width` pixel columns for the trace's time. Every span lights at
/// least one pixel; the result is a list of runs, whatever the number of spans.
///
/// Each row's runs come from a sweep over its spans' pixel ranges, so the work follows the
/// number of spans, not the `width` x `height` pixels: a session of 50,000 small traces (a load
/// test's requests) spent 914 ms here (natively) clearing and scanning a pixel grid per trace.
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
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let a = (window.fraction(span.start) * w as f64).floor().max(0.0) as usize;
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
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
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
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

/// The node to open a trace on: the deepest span carrying an `exception` event (where the
/// failure was raised), else the deepest failed span, else the first root. Ties go to the earliest
/// in the tree.
pub fn open_on_failure(session: &Session, tree: &TraceTree) -> Option<u32> {
    let exception = session.strings.lookup("exception");
    let deepest = |keep: &dyn Fn(&crate::tree::Node) -> bool| {
        tree.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| keep(n))
            .max_by(|(ia, a), (ib, b)| a.depth.cmp(&b.depth).then(ib.cmp(ia)))
            .and_then(|(i, _)| u32::try_from(i).ok())
    };
    let raised = |n: &crate::tree::Node| {
        exception.is_some_and(|e| {
            session.spans[n.span as usize]
                .events
                .iter()
                .any(|ev| ev.name == e)
        })
    };
    deepest(&raised)
        .or_else(|| deepest(&|n| n.flags.error))
        .or_else(|| {
            tree.nodes
                .iter()
                .position(|n| !n.flags.placeholder)
                .and_then(|i| u32::try_from(i).ok())
        })
}

/// A stable hue (0..360) for a service name, so a service keeps its colour across traces and loads.
pub fn service_hue(name: &str) -> u16 {
    // FNV-1a, spread over a golden-angle palette so similar names get distant hues.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    u16::try_from((h % 64) * 137 % 360).unwrap_or(0)
}

/// One service in a trace's legend: its name and the hue of its spans' bars.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegendEntry {
    pub service: String,
    pub hue: u16,
}

/// The waterfall's legend: the first `limit` services of `tree` in the order they first appear
/// in it, each with the hue its bars are drawn in ([`service_hue`] of the name a row shows,
/// [`Session::service_of`]), and how many more there are. Reads the tree's list of services,
/// never its spans.
pub fn service_legend(
    session: &Session,
    tree: &TraceTree,
    limit: usize,
) -> (Vec<LegendEntry>, usize) {
    let mut legend: Vec<LegendEntry> = Vec::new();
    let mut names: HashSet<&str> = HashSet::new();
    for &sym in &tree.services {
        let service = session.service_name(sym);
        if names.insert(service) && legend.len() < limit {
            legend.push(LegendEntry {
                service: service.to_string(),
                hue: service_hue(service),
            });
        }
    }
    let more = names.len() - legend.len();
    (legend, more)
}

/// The rows of a virtualised list that exist in the DOM: positions `first..last` (from 0).
/// The row at position `p` lives in slot `p % slots`, so rows keep their slot (their element)
/// while the window moves, and margins added later fill other slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowWindow {
    pub first: usize,
    pub last: usize,
    pub slots: usize,
}

/// The rows rendered for a view `height` px high scrolled to `top`, over `len` rows `row_h` px
/// high: those in view and `margin` more on each side, or only those in view when `margins` is
/// false (after a jump, see [`is_jump`]: the margins wait until the view stops jumping).
#[must_use]
pub fn row_window(
    top: f64,
    height: f64,
    row_h: f64,
    len: usize,
    margin: usize,
    margins: bool,
) -> RowWindow {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let rows_at = |px: f64| (px.max(0.0) / row_h) as usize;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let in_view = (height / row_h).ceil() as usize;
    let slots = in_view + 2 * margin;
    let first_in_view = rows_at(top);
    let (first, last) = if margins {
        let first = first_in_view.saturating_sub(margin);
        (first, first + slots)
    } else {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let last = ((top.max(0.0) + height) / row_h).ceil() as usize;
        (first_in_view, last.max(first_in_view + 1))
    };
    let first = first.min(len);
    RowWindow {
        first,
        last: last.min(len).max(first),
        slots: slots.max(1),
    }
}

/// Where a list of rows `row_h` px high must scroll so the row at position `pos` (from 0) is in a
/// view `view_h` px high that starts at `view_top`: `None` when it is in view already. A row above
/// the view comes to its top edge, one below to its bottom edge.
#[must_use]
pub fn scroll_to_reveal(pos: usize, row_h: f64, view_top: f64, view_h: f64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    let top = pos as f64 * row_h;
    if top < view_top {
        Some(top)
    } else if top + row_h > view_top + view_h {
        Some((top + row_h - view_h).ceil())
    } else {
        None
    }
}

/// Whether scrolling from `from` to `to` (px) leaves every row rendered at `from` (the rows in a
/// view `height` px high and `margin` rows on each side): a jump, such as a scrollbar drag, after
/// which no rendered row is reused and rows beyond the view would only cost time.
#[must_use]
pub fn is_jump(from: f64, to: f64, height: f64, row_h: f64, margin: usize) -> bool {
    #[allow(clippy::cast_precision_loss)]
    let reach = height + margin as f64 * row_h;
    (to - from).abs() >= reach
}

/// Which rows can stay where they are when a list is reordered: `was[k]` is where the `k`-th
/// wanted row sits in the list now (`None` for a new row). Returns, per wanted row, whether it
/// stays; the others are moved (or inserted). The rows that stay are a longest run in increasing
/// order, so the fewest move: scrolling a few rows moves only those, not every row after them.
pub fn rows_in_place(was: &[Option<usize>]) -> Vec<bool> {
    // Longest increasing subsequence, O(n log n): `tails[l]` ends the best run of length l + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = vec![None; was.len()];
    for (k, &at) in was.iter().enumerate() {
        let Some(at) = at else { continue };
        let len = tails.partition_point(|&t| was[t].is_some_and(|w| w < at));
        before[k] = len.checked_sub(1).map(|l| tails[l]);
        if len == tails.len() {
            tails.push(k);
        } else {
            tails[len] = k;
        }
    }
    let mut stays = vec![false; was.len()];
    let mut at = tails.last().copied();
    while let Some(k) = at {
        stays[k] = true;
        at = before[k];
    }
    stays
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

    #[test]
    fn scroll_to_reveal_moves_only_as_far_as_needed() {
        // A view of 10 rows of 20 px, scrolled to rows 5 to 14.
        assert_eq!(scroll_to_reveal(5, 20.0, 100.0, 200.0), None);
        assert_eq!(scroll_to_reveal(14, 20.0, 100.0, 200.0), None);
        // Above: to the top edge; below: to the bottom edge.
        assert_eq!(scroll_to_reveal(4, 20.0, 100.0, 200.0), Some(80.0));
        assert_eq!(scroll_to_reveal(15, 20.0, 100.0, 200.0), Some(120.0));
        // A row cut by the bottom edge counts as out of view.
        assert_eq!(scroll_to_reveal(14, 20.0, 105.0, 190.0), Some(110.0));
        assert_eq!(scroll_to_reveal(0, 68.0, 0.0, 500.0), None);
    }

    #[test]
    fn row_window_renders_margins_unless_jumping() {
        // 900 px of 26 px rows: 35 rows in view, 8 on each side, 51 slots.
        let w = row_window(2600.0, 900.0, 26.0, 1000, 8, true);
        assert_eq!(
            w,
            RowWindow {
                first: 92,
                last: 143,
                slots: 51
            }
        );
        // After a jump only the rows in view: 100 to 134 (the last one partly).
        let w = row_window(2600.0, 900.0, 26.0, 1000, 8, false);
        assert_eq!(
            w,
            RowWindow {
                first: 100,
                last: 135,
                slots: 51
            }
        );
        let w = row_window(2613.0, 900.0, 26.0, 1000, 8, false);
        assert_eq!((w.first, w.last), (100, 136));
        // The window never leaves the list, at the top or past its end.
        let w = row_window(0.0, 900.0, 26.0, 1000, 8, true);
        assert_eq!((w.first, w.last), (0, 51));
        let w = row_window(26_000.0, 900.0, 26.0, 1000, 8, false);
        assert_eq!((w.first, w.last), (1000, 1000));
        let w = row_window(100.0, 900.0, 26.0, 3, 8, true);
        assert_eq!((w.first, w.last), (0, 3));
        // Every row in view has a slot of its own, with or without margins.
        for top in [0.0, 13.0, 2600.0, 7777.0] {
            for margins in [true, false] {
                let w = row_window(top, 900.0, 26.0, 1000, 8, margins);
                let mut ids: Vec<usize> = (w.first..w.last).map(|p| p % w.slots).collect();
                ids.sort_unstable();
                ids.dedup();
                assert_eq!(ids.len(), w.last - w.first);
            }
        }
    }

    #[test]
    fn a_jump_is_a_scroll_past_every_rendered_row() {
        // A wheel step of 3 rows, or a page, keeps rows; a scrollbar drag across the list does not.
        assert!(!is_jump(2600.0, 2678.0, 900.0, 26.0, 8));
        assert!(!is_jump(2600.0, 3500.0, 900.0, 26.0, 8));
        assert!(is_jump(2600.0, 2600.0 + 900.0 + 208.0, 900.0, 26.0, 8));
        assert!(is_jump(500_000.0, 0.0, 900.0, 26.0, 8));
    }

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
        // The 624 ms sample on a 100 px axis (a 1,000 px window): before, 8 labels overlapped.
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

    #[test]
    fn hues_are_stable_and_spread() {
        assert_eq!(service_hue("order-api"), service_hue("order-api"));
        assert_ne!(service_hue("order-api"), service_hue("order-worker"));
        assert!(service_hue("e2e-tests") < 360);
    }

    #[test]
    fn rows_in_place_moves_the_fewest() {
        let moved = |was: &[Option<usize>]| rows_in_place(was).iter().filter(|s| !**s).count();
        // Scrolling down three rows: the three from the top go to the bottom.
        let down: Vec<Option<usize>> = (3..45).chain(0..3).map(Some).collect();
        let stays = rows_in_place(&down);
        assert_eq!(moved(&down), 3);
        assert!(stays[..42].iter().all(|s| *s) && stays[42..].iter().all(|s| !*s));
        // Up three rows: the three from the bottom go to the top.
        let up: Vec<Option<usize>> = (42..45).chain(0..42).map(Some).collect();
        assert_eq!(moved(&up), 3);
        // Nothing changed, nothing moves; new rows are always placed.
        let same: Vec<Option<usize>> = (0..10).map(Some).collect();
        assert_eq!(moved(&same), 0);
        assert_eq!(
            rows_in_place(&[None, Some(0), None]),
            vec![false, true, false]
        );
        assert_eq!(moved(&[Some(2), Some(0), Some(1)]), 1);
        assert_eq!(moved(&[Some(3), Some(2), Some(1), Some(0)]), 3);
        assert!(rows_in_place(&[]).is_empty());
    }
}
