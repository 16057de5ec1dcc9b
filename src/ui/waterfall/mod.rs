//! The waterfall: an ARIA treegrid with one row per visible span, indented by depth, and a bar
//! placed by start and sized by duration on a shared time axis. Only the rows in and near the
//! viewport exist in the DOM ([`grid`]); their elements are recycled and written by hand
//! ([`row_dom`]); what each row says comes from the core (`sightline_core::insight::row`).

mod grid;
mod input;
mod row_dom;
mod search_bar;

use leptos::prelude::*;
use sightline_core::insight::row::{label_limit, row_info};
use sightline_core::view::virtual_list::scroll_to_reveal;
use sightline_core::view::window::{bar, Window};
use wasm_bindgen::JsCast;

use super::legend::ServiceLegend;
use super::splitter::names_style;
use super::state::AppState;
use super::timeline::TimeAxis;
use grid::Grid;
use input::{on_key, on_pan_down, on_pan_move, on_row_click, on_wheel};
use row_dom::{place_rows, RowContext, Rows};
use search_bar::SearchBar;

/// One rendered row: its element's slot, the key of what it shows, the node and its position.
#[derive(Clone, PartialEq)]
pub(super) struct Slot {
    pub(super) id: usize,
    pub(super) key: (u64, u32, usize),
    pub(super) index: u32,
    pub(super) pos: usize,
}

/// Height of one row in CSS pixels (style/main.css `.wf-row`), for virtual scrolling.
const ROW_HEIGHT: f64 = 26.0;
/// Rows rendered above and below the viewport, so fast scrolling never shows a gap (the grid
/// scrolls on the compositor; a wheel step moves 3 rows). Every row in the DOM costs each frame
/// style, layout and paint work, so the margin is kept small.
const MARGIN_ROWS: usize = 8;
/// How long the view rests after a jump before the margin rows are rendered. During a scrollbar
/// drag every frame shows rows never rendered, and rows beyond the view would only slow it.
const MARGIN_DELAY: std::time::Duration = std::time::Duration::from_millis(120);

/// The grid's height for the row window: the measured one, or a guess before it is measured.
fn viewport_height(measured: f64) -> f64 {
    if measured > 0.0 {
        measured
    } else {
        900.0
    }
}

/// Scrolls the grid so the selected row is in view, then (with `focus`) moves focus to it once it
/// is rendered.
fn reveal_selected(grid: NodeRef<leptos::html::Div>, pos: Option<usize>, focus: bool) {
    let Some(el) = grid.get_untracked() else {
        return;
    };
    let view = (f64::from(el.scroll_top()), f64::from(el.client_height()));
    if let Some(top) = pos.and_then(|pos| scroll_to_reveal(pos, ROW_HEIGHT, view.0, view.1)) {
        el.set_scroll_top(top as i32);
    }
    if !focus {
        return;
    }
    // Two frames: one for the scroll handler's re-render, one for the DOM to show it.
    request_animation_frame(move || {
        request_animation_frame(move || {
            if let Some(row) = grid
                .get_untracked()
                .and_then(|g| {
                    g.query_selector("[role=row][aria-selected=true]")
                        .ok()
                        .flatten()
                })
                .and_then(|r| r.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = row.focus();
            }
        });
    });
}

#[component]
pub fn Waterfall() -> impl IntoView {
    let state = expect_context::<AppState>();
    let grid = Grid::new(state);
    // Keep the viewport size current (mount, window resize).
    Effect::new(move |_| {
        if grid.el.get().is_some() {
            grid.measure();
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| grid.measure());
    on_cleanup(move || resize.remove());
    open_on_selection(grid);
    let rows_box = NodeRef::<leptos::html::Div>::new();
    let slots: StoredValue<Rows, LocalStorage> = StoredValue::new_local(Rows::default());
    fill_rows(grid, rows_box, slots);

    view! {
        <section
            class="waterfall-pane"
            aria-labelledby="waterfall-heading"
            style=move || names_style(state.panes.get())
        >
            <h2 id="waterfall-heading" class="visually-hidden">"Waterfall"</h2>
            <SearchBar grid/>
            <ServiceLegend/>
            <TimeAxis/>
            <div
                role="treegrid"
                aria-label="Waterfall"
                class="waterfall"
                node_ref=grid.el
                aria-rowcount=move || grid.visible.with(Vec::len)
                aria-colcount="2"
                on:keydown=move |ev| on_key(grid, &ev)
                on:wheel=move |ev| on_wheel(grid, &ev)
                on:pointerdown=move |ev| on_pan_down(grid, &ev)
                on:pointermove=move |ev| on_pan_move(grid, &ev)
                on:pointerup=move |_| grid.pan.set_value(None)
                on:pointercancel=move |_| grid.pan.set_value(None)
                on:scroll=move |ev| {
                    if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
                        let top = f64::from(el.scroll_top());
                        let from = grid.scroll_top.get_untracked();
                        // The scroll that opening a trace made lands where its rows already are.
                        if from != top {
                            grid.moved(from, top, false);
                            grid.scroll_top.set(top);
                        }
                    }
                }
            >
                <div
                    class="wf-rows"
                    role="presentation"
                    node_ref=rows_box
                    on:click=move |ev| on_row_click(grid, slots, &ev)
                    style=move || {
                        let total = grid.visible.with(Vec::len) as f64 * ROW_HEIGHT;
                        let top = grid.rendered.with(|(first, _)| *first) as f64 * ROW_HEIGHT;
                        format!("height:{total}px;padding-top:{top}px")
                    }
                >
                </div>
            </div>
        </section>
    }
}

/// A new trace opens scrolled to the span it was opened on (the failure), without taking focus.
fn open_on_selection(grid: Grid) {
    let state = grid.state;
    Effect::new(move |shown: Option<(usize, u64)>| {
        let now = (state.trace.get(), state.generation.get());
        state.reveal.track();
        let pos = grid.position(state.selected.get_untracked());
        // The rows are rendered where the view will be (the span at its bottom edge when it is
        // below the first screen), so they are built once. The element follows in the next
        // frame: setting or reading its scroll position now would force a layout of the page
        // being built, and the scroll event that follows would refill every row for the new
        // position.
        let height = viewport_height(grid.viewport.get_untracked());
        let top = pos
            .and_then(|pos| scroll_to_reveal(pos, ROW_HEIGHT, 0.0, height))
            .unwrap_or(0.0);
        // A new view is a jump too: the rows in view are built first, for the first paint, and
        // the margins once it rests.
        grid.moved(grid.scroll_top.get_untracked(), top, shown != Some(now));
        grid.scroll_top.set(top);
        request_animation_frame(move || {
            if let Some(el) = grid.el.get_untracked() {
                el.set_scroll_top(top as i32);
            }
            // With the real height (the first frame of a new view may differ from the guess).
            reveal_selected(grid.el, pos, false);
        });
        now
    });
}

/// The row elements, placed by hand rather than by a keyed list: a keyed list re-inserts every
/// row whose index in it changed, which is all of them when the window scrolls by one row; here
/// only the rows that wrap around move (see `place_rows`). Each row's element is written by hand
/// too (`RowDom`), only where what it shows changed: one effect serves every row, where reactive
/// bindings per row cost more script than the DOM writes themselves on a jump (a scrollbar drag
/// refills every row in view).
fn fill_rows(
    grid: Grid,
    rows_box: NodeRef<leptos::html::Div>,
    slots: StoredValue<Rows, LocalStorage>,
) {
    let state = grid.state;
    Effect::new(move |_| {
        let Some(parent) = rows_box.get() else {
            return;
        };
        let selected = state.selected.get();
        let window = grid.view.get();
        let limit = label_limit(state.timeline_px.get());
        let trace = state.trace.get_untracked();
        grid.rendered.with(|(_, wanted)| {
            let lists = (
                grid.matches.read(),
                grid.critical.read(),
                grid.outliers.read(),
            );
            let collapsed = state.collapsed.read();
            state.data.with_untracked(|d| {
                let tree = d.as_ref().and_then(|d| d.tree(trace).map(|t| (d, t)));
                let ctx = RowContext {
                    selected,
                    collapsed: &collapsed,
                    lists: (&lists.0, &lists.1, &lists.2),
                    bar: &|i| {
                        let (d, t) = tree?;
                        window
                            .map(|w| bar(&d.session, t, i, w))
                            .map(|b| (b.left, b.width))
                    },
                    limit,
                };
                slots.update_value(|rows| {
                    place_rows(&parent, wanted, rows, |slot| {
                        tree.and_then(|(d, t)| {
                            let window = Window::of_trace(t);
                            row_info(&d.session, t, window, slot.key.0, slot.index, slot.pos)
                        })
                    });
                    for row in &mut rows.live {
                        row.dom.fill(row.info.as_ref(), &ctx);
                    }
                });
            });
        });
    });
}
