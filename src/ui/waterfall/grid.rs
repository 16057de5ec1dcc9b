//! The waterfall's state beyond `AppState`: the scroll position and viewport, the margins that
//! wait out a jump, and the memos every part of the waterfall reads (the rows shown, the rows
//! rendered, search matches, the critical path, outliers, the time window).

use leptos::prelude::*;
use sightline_core::trace::critical::critical_path;
use sightline_core::trace::outliers::duration_outliers;
use sightline_core::view::rows::{rows_with_ancestors, visible_rows};
use sightline_core::view::search::Query;
use sightline_core::view::virtual_list::{is_jump, row_window, RowWindow};
use sightline_core::view::window::Window;

use super::super::state::AppState;
use super::super::timeline::windows;
use super::{viewport_height, Slot, MARGIN_DELAY, MARGIN_ROWS, ROW_HEIGHT};

/// Node indices of the trace in view, sorted.
type Nodes = Memo<Vec<u32>>;

/// Signals and memos shared by the waterfall's parts. `Copy`, so handlers take it by value.
#[derive(Clone, Copy)]
pub(super) struct Grid {
    pub(super) state: AppState,
    /// The treegrid element.
    pub(super) el: NodeRef<leptos::html::Div>,
    pub(super) scroll_top: RwSignal<f64>,
    pub(super) viewport: RwSignal<f64>,
    /// False while the view jumps to rows never rendered, until it rests for `MARGIN_DELAY`.
    margins: RwSignal<bool>,
    margin_timer: StoredValue<Option<TimeoutHandle>, LocalStorage>,
    /// True right after a drag that panned, so the click that ends it does not select a row.
    pub(super) dragged: StoredValue<bool>,
    /// A drag across the bars in progress: where it started, the axis width, whether it moved.
    pub(super) pan: StoredValue<Option<(i32, f64, bool)>>,
    /// Spans far slower than their siblings, for the "slow" badge.
    pub(super) outliers: Memo<Vec<u32>>,
    /// Nodes on the critical path, while the toggle is on.
    pub(super) critical: Memo<Vec<u32>>,
    /// Spans matching the search box, in tree order.
    pub(super) matches: Memo<Vec<u32>>,
    /// The time range in view.
    pub(super) view: Memo<Option<Window>>,
    /// Node indices shown under the current expansion (or the search's), in order.
    pub(super) visible: Memo<Vec<u32>>,
    /// The position of the first rendered row, and the rows in and near the viewport.
    pub(super) rendered: Memo<(usize, Vec<Slot>)>,
}

impl Grid {
    pub(super) fn new(state: AppState) -> Grid {
        let (outliers, critical, matches) = lists(state);
        let visible = Memo::new(move |_| {
            let trace = state.trace.get();
            let only = state.only_matches.get() && state.search.with(|q| !q.trim().is_empty());
            state.data.with(|d| {
                d.as_ref()
                    .and_then(|d| d.tree(trace))
                    .map(|t| {
                        if only {
                            matches.with(|m| rows_with_ancestors(t, m))
                        } else {
                            state.collapsed.with(|c| visible_rows(t, c))
                        }
                    })
                    .unwrap_or_default()
            })
        });
        let (scroll_top, viewport, margins) = (
            RwSignal::new(0.0f64),
            RwSignal::new(0.0f64),
            RwSignal::new(true),
        );
        Grid {
            state,
            el: NodeRef::new(),
            scroll_top,
            viewport,
            margins,
            margin_timer: StoredValue::new_local(None),
            dragged: StoredValue::new(false),
            pan: StoredValue::new(None),
            outliers,
            critical,
            matches,
            view: Memo::new(move |_| windows(state).map(|(_, view)| view)),
            visible,
            rendered: rendered(state, visible, (scroll_top, viewport, margins)),
        }
    }

    /// The view moved from `from` to `to` (px), or to a new view: after a jump the margins wait
    /// until the view rests; any other move brings them back.
    pub(super) fn moved(self, from: f64, to: f64, new_view: bool) {
        if let Some(timer) = self.margin_timer.try_update_value(Option::take).flatten() {
            timer.clear();
        }
        let height = viewport_height(self.viewport.get_untracked());
        let margins = self.margins;
        if new_view || is_jump(from, to, height, ROW_HEIGHT, MARGIN_ROWS) {
            margins.set(false);
            self.margin_timer
                .set_value(set_timeout_with_handle(move || margins.set(true), MARGIN_DELAY).ok());
        } else if !margins.get_untracked() {
            margins.set(true);
        }
    }

    /// Keeps the viewport's height current.
    pub(super) fn measure(self) {
        if let Some(el) = self.el.get_untracked() {
            self.viewport.set(f64::from(el.client_height()));
        }
    }

    /// The position (from 0) of node `index` among the rows shown.
    pub(super) fn position(self, index: Option<u32>) -> Option<usize> {
        self.visible
            .with_untracked(|rows| rows.iter().position(|&r| Some(r) == index))
    }
}

/// The outliers, the critical path and the search matches of the trace in view.
fn lists(state: AppState) -> (Nodes, Nodes, Nodes) {
    let outliers = Memo::new(move |_| {
        let trace = state.trace.get();
        state.data.with(|d| {
            d.as_ref()
                .and_then(|d| {
                    d.tree(trace).map(|t| match &t.precomputed {
                        Some(p) => p.outliers.clone(),
                        None => duration_outliers(&d.session, t),
                    })
                })
                .unwrap_or_default()
        })
    });
    let critical = Memo::new(move |_| {
        if !state.critical.get() {
            return Vec::new();
        }
        let trace = state.trace.get();
        state.data.with(|d| {
            d.as_ref()
                .and_then(|d| d.tree(trace).map(|t| critical_path(&d.session, t)))
                .unwrap_or_default()
        })
    });
    let matches = Memo::new(move |_| {
        let trace = state.trace.get();
        let query = state.search.with(|q| Query::parse(q));
        state.data.with(|d| {
            d.as_ref()
                .and_then(|d| d.tree(trace).map(|t| query.matches_in(&d.session, t)))
                .unwrap_or_default()
        })
    });
    (outliers, critical, matches)
}

/// Only the rows in and near the viewport become DOM nodes; while the view jumps (a scrollbar
/// drag), only those in view.
fn rendered(
    state: AppState,
    visible: Memo<Vec<u32>>,
    (scroll_top, viewport, margins): (RwSignal<f64>, RwSignal<f64>, RwSignal<bool>),
) -> Memo<(usize, Vec<Slot>)> {
    Memo::new(move |_| {
        let (trace, generation) = (state.trace.get(), state.generation.get());
        let height = viewport_height(viewport.get());
        let margins = margins.get();
        visible.with(|rows| {
            let RowWindow {
                first,
                last,
                slots: count,
            } = row_window(
                scroll_top.get(),
                height,
                ROW_HEIGHT,
                rows.len(),
                MARGIN_ROWS,
                margins,
            );
            // Only keys here: a row's content is computed by its slot when the key changes.
            let span_of = |i: u32| {
                state.data.with(|d| {
                    d.as_ref()
                        .and_then(|d| d.tree(trace))
                        .and_then(|t| t.nodes.get(i as usize))
                        .map(|n| n.span)
                })
            };
            // Row elements are recycled: the row at position `pos` lives in slot `pos % count`,
            // so a scroll of a few rows moves those rows' elements to the other end and refills
            // them, and a jump refills the slots of the rows in view in place (the margins' rows
            // wait out of the DOM until the view rests, then are refilled: see `Rows`).
            let slots = rows[first..last]
                .iter()
                .enumerate()
                .filter_map(|(k, &i)| {
                    let pos = first + k + 1;
                    span_of(i).map(|span| Slot {
                        id: pos % count,
                        key: (generation, span, pos),
                        index: i,
                        pos,
                    })
                })
                .collect::<Vec<_>>();
            (first, slots)
        })
    })
}
