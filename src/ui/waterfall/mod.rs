//! The waterfall: an ARIA treegrid with one row per visible span, indented by depth, and a bar
//! placed by start and sized by duration on a shared time axis.

use leptos::prelude::*;
use sightline_core::insight::timeout::timeout_match;
use sightline_core::trace::critical::critical_path;
use sightline_core::trace::outliers::{duration_outliers, skew};
use sightline_core::view::legend::service_hue;
use sightline_core::view::rows::{
    collapse_to_depth, rows_with_ancestors, visible_ancestor, visible_rows,
};
use sightline_core::view::search::Query;
use sightline_core::view::virtual_list::{
    is_jump, row_window, rows_in_place, scroll_to_reveal, RowWindow,
};
use sightline_core::view::window::{bar, Window};
use sightline_core::{format_duration, TraceTree};
use wasm_bindgen::JsCast;

use super::legend::ServiceLegend;
use super::splitter::names_style;
use super::state::{AppState, Loaded};
use super::timeline::{fraction_in, pan_by, windows, zoom_by, TimeAxis};

/// What one row shows, computed once per trace from the core's tree and layout.
#[derive(Clone, PartialEq)]
struct RowInfo {
    index: u32,
    /// 1-based position under the current expansion (`aria-rowindex`).
    pos: usize,
    /// Load, span and position: a slot refills its row only when one of them changes (zooming
    /// moves the bars of the rows in place, so focus stays on the selected row).
    key: (u64, u32, usize),
    depth: u32,
    children: u32,
    name: String,
    service: String,
    hue: u16,
    kind: &'static str,
    error: bool,
    error_below: bool,
    /// The id of the parent that is not loaded, for orphans.
    missing_parent: Option<String>,
    cycle_broken: bool,
    pending: bool,
    log: bool,
    /// "starts 63ms before its parent" and/or "ends 800ms after it", when the clocks disagree.
    skew: Option<String>,
    no_time: bool,
    /// A "missing parent <id>" row, not a span.
    placeholder: bool,
    /// The root of another trace shown here by a span link: that trace's id.
    linked: Option<String>,
    /// "Lasted its reported timeout: …", when the duration matches a timeout the span reports.
    timeout: Option<String>,
    duration: String,
}

/// One rendered row: its element's slot, the key of what it shows, the node and its position.
#[derive(Clone, PartialEq)]
struct Slot {
    id: usize,
    key: (u64, u32, usize),
    index: u32,
    pos: usize,
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

/// The row of node `index` at 1-based position `pos` under the current expansion.
fn row_info(
    d: &Loaded,
    tree: &TraceTree,
    window: Window,
    generation: u64,
    index: u32,
    pos: usize,
) -> Option<RowInfo> {
    let node = tree.nodes.get(index as usize)?;
    let s = &d.session;
    let span = &s.spans[node.span as usize];
    let b = bar(s, tree, index, window);
    if node.flags.placeholder {
        let id = span.parent_id.map(|p| p.to_string()).unwrap_or_default();
        return Some(RowInfo {
            index,
            pos,
            key: (generation, node.span, pos),
            depth: node.depth,
            children: node.children,
            name: format!("missing parent {id}"),
            service: String::new(),
            hue: 0,
            kind: "",
            error: false,
            error_below: node.flags.error_below,
            missing_parent: None,
            cycle_broken: false,
            pending: false,
            log: false,
            skew: None,
            no_time: b.no_time,
            placeholder: true,
            linked: None,
            timeout: None,
            duration: String::new(),
        });
    }
    let service = s.service_of(span).to_string();
    Some(RowInfo {
        index,
        pos,
        key: (generation, node.span, pos),
        depth: node.depth,
        children: node.children,
        name: s.shown_name(span).to_string(),
        hue: service_hue(&service),
        service,
        kind: span.kind.label(),
        error: node.flags.error,
        error_below: node.flags.error_below,
        missing_parent: node
            .flags
            .missing_parent
            .then(|| span.parent_id.map(|p| p.to_string()).unwrap_or_default()),
        cycle_broken: node.flags.cycle_broken,
        pending: node.flags.pending,
        log: node.flags.log,
        skew: skew(s, tree, index).map(|(before, after)| {
            let mut parts = Vec::new();
            if before > 0 {
                parts.push(format!(
                    "starts {} before its parent",
                    format_duration(before)
                ));
            }
            if after > 0 {
                parts.push(format!("ends {} after its parent", format_duration(after)));
            }
            format!(
                "Drawn where its own clock put it: it {}",
                parts.join(" and ")
            )
        }),
        no_time: b.no_time,
        placeholder: false,
        linked: node.flags.linked.then(|| span.trace_id.to_string()),
        timeout: timeout_match(s, span).map(|t| {
            format!(
                "Lasted {}, the {} timeout it reports ({})",
                format_duration(span.duration()),
                format_duration(t.limit),
                t.source
            )
        }),
        duration: if b.no_time {
            "no time".to_string()
        } else if node.flags.log {
            "log".to_string()
        } else {
            format_duration(span.duration())
        },
    })
}

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
    let grid = NodeRef::<leptos::html::Div>::new();
    // True right after a drag that panned, so the click that ends it does not select a row.
    let dragged = StoredValue::new(false);
    // The element spanning the timeline column (the axis), for turning pointer x into time.
    let timeline_box = move || {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(".wf-axis-ticks").ok().flatten())
    };
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(0.0f64);
    let timeline_px = state.timeline_px;
    // False while the view jumps to rows never rendered, until it rests for MARGIN_DELAY.
    let margins = RwSignal::new(true);
    let margin_timer = StoredValue::new_local(None::<TimeoutHandle>);
    // The view moved from `from` to `to` (px), or to a new view: after a jump the margins wait
    // until the view rests; any other move brings them back.
    let moved = move |from: f64, to: f64, new_view: bool| {
        if let Some(timer) = margin_timer.try_update_value(Option::take).flatten() {
            timer.clear();
        }
        let height = viewport_height(viewport.get_untracked());
        if new_view || is_jump(from, to, height, ROW_HEIGHT, MARGIN_ROWS) {
            margins.set(false);
            margin_timer
                .set_value(set_timeout_with_handle(move || margins.set(true), MARGIN_DELAY).ok());
        } else if !margins.get_untracked() {
            margins.set(true);
        }
    };
    // Node indices shown under the current expansion, in order: cheap even for a million spans.
    // Spans far slower than their siblings, for the "slow" badge.
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
    // Nodes on the critical path, while the toggle is on.
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
    // Spans matching the search box, in tree order.
    let matches = Memo::new(move |_| {
        let trace = state.trace.get();
        let query = state.search.with(|q| Query::parse(q));
        state.data.with(|d| {
            d.as_ref()
                .and_then(|d| d.tree(trace).map(|t| query.matches_in(&d.session, t)))
                .unwrap_or_default()
        })
    });
    // The time range in view.
    let view = Memo::new(move |_| windows(state).map(|(_, view)| view));
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
    // Only the rows in and near the viewport become DOM nodes; while the view jumps (a
    // scrollbar drag), only those in view.
    let rendered = Memo::new(move |_| {
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
    });
    // Keep the viewport size current (mount, window resize).
    let measure = move || {
        if let Some(el) = grid.get_untracked() {
            viewport.set(f64::from(el.client_height()));
        }
    };
    Effect::new(move |_| {
        if grid.get().is_some() {
            measure();
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
    // A new trace opens scrolled to the span it was opened on (the failure), without taking focus.
    Effect::new(move |shown: Option<(usize, u64)>| {
        let now = (state.trace.get(), state.generation.get());
        state.reveal.track();
        let selected = state.selected.get_untracked();
        let pos = visible.with_untracked(|rows| rows.iter().position(|&r| Some(r) == selected));
        // The rows are rendered where the view will be (the span at its bottom edge when it is
        // below the first screen), so they are built once. The element follows in the next
        // frame: setting or reading its scroll position now would force a layout of the page
        // being built (two, 16-45 ms each, for a 5,000-span trace here), and the scroll event
        // that follows would refill every row for the new position.
        let height = viewport_height(viewport.get_untracked());
        let top = pos
            .and_then(|pos| scroll_to_reveal(pos, ROW_HEIGHT, 0.0, height))
            .unwrap_or(0.0);
        // A new view is a jump too: the rows in view are built first, for the first paint, and
        // the margins once it rests.
        moved(scroll_top.get_untracked(), top, shown != Some(now));
        scroll_top.set(top);
        request_animation_frame(move || {
            if let Some(el) = grid.get_untracked() {
                el.set_scroll_top(top as i32);
            }
            // With the real height (the first frame of a new view may differ from the guess).
            reveal_selected(grid, pos, false);
        });
        now
    });

    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some(current) = state.selected.get_untracked() else {
            return;
        };
        let trace = state.trace.get_untracked();
        let Some((children, parent)) = state.data.with_untracked(|d| {
            d.as_ref()
                .and_then(|d| d.tree(trace))
                .and_then(|t| t.nodes.get(current as usize))
                .map(|n| (n.children, n.parent))
        }) else {
            return;
        };
        let expanded = children > 0 && !state.collapsed.with_untracked(|c| c.contains(&current));
        // Shift+Right / Shift+Left: the whole subtree at once, the selection where it is.
        if ev.shift_key() && children > 0 {
            let fold = match ev.key().as_str() {
                "ArrowRight" => Some(false),
                "ArrowLeft" => Some(true),
                _ => None,
            };
            if let Some(fold) = fold {
                ev.prevent_default();
                state.toggle_all(current, fold);
                return;
            }
        }
        let target = visible.with_untracked(|rows| {
            let pos = rows.iter().position(|&r| r == current)?;
            match ev.key().as_str() {
                "ArrowDown" => rows.get(pos + 1).copied(),
                "ArrowUp" => pos.checked_sub(1).and_then(|p| rows.get(p)).copied(),
                "Home" => rows.first().copied(),
                "End" => rows.last().copied(),
                "PageDown" => rows.get((pos + 20).min(rows.len() - 1)).copied(),
                "PageUp" => rows.get(pos.saturating_sub(20)).copied(),
                "ArrowRight" if expanded => rows.get(pos + 1).copied(),
                "ArrowLeft" if !expanded => parent,
                _ => None,
            }
        });
        match ev.key().as_str() {
            "+" | "=" => {
                ev.prevent_default();
                zoom_by(state, 0.5, 0.5);
                return;
            }
            "-" | "_" => {
                ev.prevent_default();
                zoom_by(state, 0.5, 2.0);
                return;
            }
            "0" => {
                ev.prevent_default();
                state.zoom.set(None);
                return;
            }
            "ArrowRight" if children > 0 && !expanded => state.toggle(current),
            "ArrowLeft" if expanded => state.toggle(current),
            "Enter" => {
                if let Some(el) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.query_selector(".span-details").ok().flatten())
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = el.focus();
                }
            }
            "ArrowDown" | "ArrowUp" | "Home" | "End" | "PageDown" | "PageUp" | "ArrowRight"
            | "ArrowLeft" => {}
            _ => return,
        }
        ev.prevent_default();
        if let Some(t) = target {
            state.selected.set(Some(t));
        }
        let pos = visible.with_untracked(|rows| {
            rows.iter()
                .position(|&r| Some(r) == state.selected.get_untracked())
        });
        reveal_selected(grid, pos, true);
    };

    // Enter / Shift+Enter in the search box: the next or previous match after the selection.
    let step = move |forward: bool| {
        let current = state.selected.get_untracked();
        let target = matches.with_untracked(|m| {
            if forward {
                m.iter()
                    .find(|&&i| Some(i) > current)
                    .or(m.first())
                    .copied()
            } else {
                m.iter()
                    .rev()
                    .find(|&&i| current.is_some_and(|c| i < c))
                    .or(m.last())
                    .copied()
            }
        });
        let Some(target) = target else { return };
        // Unfold whatever hides the match.
        let trace = state.trace.get_untracked();
        let ancestors: Vec<u32> = state.data.with_untracked(|d| {
            let mut out = Vec::new();
            if let Some(t) = d.as_ref().and_then(|d| d.tree(trace)) {
                let mut at = t.nodes.get(target as usize).and_then(|n| n.parent);
                while let Some(p) = at {
                    out.push(p);
                    at = t.nodes.get(p as usize).and_then(|n| n.parent);
                }
            }
            out
        });
        state.collapsed.update(|c| {
            for a in &ancestors {
                c.remove(a);
            }
        });
        state.selected.set(Some(target));
        let pos = visible.with_untracked(|rows| rows.iter().position(|&r| r == target));
        reveal_selected(grid, pos, false);
    };
    let current_match = move || {
        let selected = state.selected.get();
        matches.with(|m| m.iter().position(|&i| Some(i) == selected))
    };

    // Ctrl/Cmd + wheel zooms around the pointer; Shift + wheel (or a sideways wheel) pans.
    let on_wheel = move |ev: leptos::ev::WheelEvent| {
        let Some(axis) = timeline_box() else { return };
        let (anchor, width) = fraction_in(&axis, ev.client_x());
        let (dx, dy) = (ev.delta_x(), ev.delta_y());
        if ev.ctrl_key() || ev.meta_key() {
            ev.prevent_default();
            zoom_by(state, anchor.clamp(0.0, 1.0), (dy * 0.002).exp());
        } else if ev.shift_key() || dx.abs() > dy.abs() {
            if state.zoom.get_untracked().is_none() {
                return;
            }
            ev.prevent_default();
            let delta = if dx.abs() > dy.abs() { dx } else { dy };
            pan_by(state, delta / width);
        }
    };
    // Dragging sideways across the bars pans a zoomed view.
    let pan = StoredValue::new(None::<(i32, f64, bool)>);
    let on_pan_down = move |ev: leptos::ev::PointerEvent| {
        let on_bars = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest(".wf-timeline").ok().flatten())
            .is_some();
        if ev.button() != 0 || !on_bars || state.zoom.get_untracked().is_none() {
            return;
        }
        let width = timeline_box().map_or(1.0, |el| el.get_bounding_client_rect().width().max(1.0));
        pan.set_value(Some((ev.client_x(), width, false)));
    };
    let on_pan_move = move |ev: leptos::ev::PointerEvent| {
        let Some((x0, width, moved)) = pan.get_value() else {
            return;
        };
        let dx = f64::from(ev.client_x() - x0);
        if !moved && dx.abs() < 4.0 {
            return;
        }
        if !moved {
            if let Some(el) = ev
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                let _ = el.set_pointer_capture(ev.pointer_id());
            }
        }
        pan_by(state, -dx / width);
        pan.set_value(Some((ev.client_x(), width, true)));
        dragged.set_value(true);
    };
    let on_pan_up = move |_: leptos::ev::PointerEvent| {
        pan.set_value(None);
    };

    // The row elements, placed by hand rather than by a keyed list: a keyed list re-inserts
    // every row whose index in it changed, which is all of them when the window scrolls by one
    // row; here only the rows that wrap around move (see `place_rows`). Each row's element is
    // written by hand too (`RowDom`), only where what it shows changed: one effect serves every
    // row, where reactive bindings per row cost more script than the DOM writes themselves on a
    // jump (a scrollbar drag refills every row in view).
    let rows_box = NodeRef::<leptos::html::Div>::new();
    let slots: StoredValue<Rows, LocalStorage> = StoredValue::new_local(Rows::default());
    Effect::new(move |_| {
        let Some(parent) = rows_box.get() else {
            return;
        };
        let selected = state.selected.get();
        let window = view.get();
        let limit = label_limit(timeline_px.get());
        let trace = state.trace.get_untracked();
        rendered.with(|(_, wanted)| {
            let lists = (matches.read(), critical.read(), outliers.read());
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
                            row_info(d, t, Window::of_trace(t), slot.key.0, slot.index, slot.pos)
                        })
                    });
                    for row in &mut rows.live {
                        row.dom.fill(row.info.as_ref(), &ctx);
                    }
                });
            });
        });
    });
    // Clicks on any row: one listener for them all. The toggle folds its subtree (Alt- or
    // Shift-click: the whole subtree, as in browsers' devtools); elsewhere the row is selected,
    // unless the click ends a drag that panned.
    let on_row_click = move |ev: leptos::ev::MouseEvent| {
        let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let on_toggle = target.closest(".toggle").ok().flatten().is_some();
        let Some(row) = target.closest("[role=row]").ok().flatten() else {
            return;
        };
        let Some((index, children)) = slots.with_value(|rows| {
            rows.live
                .iter()
                .find(|r| r.dom.row == row)
                .and_then(|r| r.info.as_ref())
                .map(|i| (i.index, i.children))
        }) else {
            return;
        };
        if on_toggle {
            if children > 0 {
                if ev.alt_key() || ev.shift_key() {
                    let collapsed = state.collapsed.with_untracked(|c| c.contains(&index));
                    state.toggle_all(index, !collapsed);
                } else {
                    state.toggle(index);
                }
            }
        } else if dragged.get_value() {
            dragged.set_value(false);
        } else {
            state.selected.set(Some(index));
        }
    };

    view! {
        <section
            class="waterfall-pane"
            aria-labelledby="waterfall-heading"
            style=move || names_style(state.panes.get())
        >
            <h2 id="waterfall-heading" class="visually-hidden">"Waterfall"</h2>
            <div class="search-bar">
                <input
                    type="search"
                    role="searchbox"
                    id="span-search"
                    aria-label="Search spans"
                    placeholder="Search spans: text, key=value, duration>100ms, -text, ids  ( / )"
                    title="Words must all match. key=value (also name=, service=, kind=, status=); key==value for the whole value; key>n, key<=n on numbers and duration (ns, us, ms, s, m); -word excludes; \"quotes\" keep spaces"
                    prop:value=move || state.search.get()
                    on:input=move |ev| state.search.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            step(!ev.shift_key());
                        } else if ev.key() == "Escape" {
                            state.search.set(String::new());
                        }
                    }
                />
                <button type="button" class="search-step" aria-label="Previous match" on:click=move |_| step(false)>"↑"</button>
                <button type="button" class="search-step" aria-label="Next match" on:click=move |_| step(true)>"↓"</button>
                <button
                    type="button"
                    class="toggle-button"
                    aria-pressed=move || state.critical.get().to_string()
                    title="Highlight the chain of spans that determined when the trace ended"
                    on:click=move |_| state.critical.update(|c| *c = !*c)
                >
                    "Critical path"
                </button>
                <select
                    class="depth-select"
                    aria-label="Collapse to depth"
                    on:change=move |ev| {
                        let levels: u32 = event_target_value(&ev).parse().unwrap_or(0);
                        let trace = state.trace.get_untracked();
                        let collapsed = state.data.with_untracked(|d| {
                            d.as_ref().and_then(|d| d.tree(trace)).map(|t| {
                                let set = collapse_to_depth(t, levels);
                                let keep = state
                                    .selected
                                    .get_untracked()
                                    .map(|s| visible_ancestor(t, &set, s));
                                (set, keep)
                            })
                        });
                        if let Some((set, keep)) = collapsed {
                            state.collapsed.set(set);
                            state.selected.set(keep);
                        }
                    }
                >
                    <option value="0">"All levels"</option>
                    {(1..=6).map(|n| view! { <option value=n.to_string()>{format!("{n} level{}", if n == 1 { "" } else { "s" })}</option> }).collect_view()}
                </select>
                <label class="only-matches">
                    <input type="checkbox" prop:checked=move || state.only_matches.get() on:change=move |ev| state.only_matches.set(event_target_checked(&ev))/>
                    "Only matching spans"
                </label>
                {move || (!state.search.with(|q| q.trim().is_empty())).then(|| {
                    let count = matches.with(Vec::len);
                    let text = match (count, current_match()) {
                        (0, _) => "No matches".to_string(),
                        (1, _) => "1 match".to_string(),
                        (n, Some(i)) => format!("{n} matches ({} of {n} selected)", i + 1),
                        (n, None) => format!("{n} matches"),
                    };
                    view! { <span class="match-count" role="status">{text}</span> }
                })}
            </div>
            <ServiceLegend/>
            <TimeAxis/>
            <div
                role="treegrid"
                aria-label="Waterfall"
                class="waterfall"
                node_ref=grid
                aria-rowcount=move || visible.with(Vec::len)
                aria-colcount="2"
                on:keydown=on_key
                on:wheel=on_wheel
                on:pointerdown=on_pan_down
                on:pointermove=on_pan_move
                on:pointerup=on_pan_up
                on:pointercancel=move |_| pan.set_value(None)
                on:scroll=move |ev| {
                    if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
                        let top = f64::from(el.scroll_top());
                        let from = scroll_top.get_untracked();
                        // The scroll that opening a trace made lands where its rows already are.
                        if from != top {
                            moved(from, top, false);
                            scroll_top.set(top);
                        }
                    }
                }
            >
                <div
                    class="wf-rows"
                    role="presentation"
                    node_ref=rows_box
                    on:click=on_row_click
                    style=move || {
                        let total = visible.with(Vec::len) as f64 * ROW_HEIGHT;
                        let top = rendered.with(|(first, _)| *first) as f64 * ROW_HEIGHT;
                        format!("height:{total}px;padding-top:{top}px")
                    }
                >
                </div>
            </div>
        </section>
    }
}

/// A recycled row element: the slot it serves, the row it shows, and its element.
struct RowSlot {
    id: usize,
    entry: Slot,
    info: Option<RowInfo>,
    dom: RowDom,
}

/// The row elements: those in the DOM, in children order, and those taken out of it (the
/// margins' rows while the view jumps, or rows a shorter list no longer needs), kept to serve
/// again: refilling a row costs less than building one.
#[derive(Default)]
struct Rows {
    live: Vec<RowSlot>,
    spare: Vec<RowSlot>,
}

/// Makes the children of `parent` the rows of `wanted`, in order: gives the slots that get
/// another row its `info`, takes out those no longer wanted, brings back (or creates) the ones
/// missing, and moves the fewest elements ([`rows_in_place`]) so a scroll of a few rows moves
/// only those. The elements are written by [`RowDom::fill`] afterwards.
fn place_rows(
    parent: &web_sys::Element,
    wanted: &[Slot],
    rows: &mut Rows,
    info: impl Fn(&Slot) -> Option<RowInfo>,
) {
    let Rows { live: slots, spare } = rows;
    // Take out the slots no longer wanted.
    let mut k = 0;
    while k < slots.len() {
        if wanted.iter().any(|w| w.id == slots[k].id) {
            k += 1;
        } else {
            let slot = slots.remove(k);
            slot.dom.row.remove();
            spare.push(slot);
        }
    }
    let refill = |slot: &mut RowSlot, w: &Slot| {
        if slot.entry != *w {
            slot.info = info(w);
            slot.entry = w.clone();
        }
    };
    // Refill, bring back or create the wanted ones, noting where each sits among the children.
    let mut was = Vec::with_capacity(wanted.len());
    let mut order = Vec::with_capacity(wanted.len());
    for w in wanted {
        if let Some(k) = slots.iter().position(|s| s.id == w.id) {
            refill(&mut slots[k], w);
            was.push(Some(k));
            order.push(k);
        } else {
            // Out of the DOM: the pass below inserts it in its place.
            let slot = match spare.pop() {
                Some(mut slot) => {
                    slot.id = w.id;
                    refill(&mut slot, w);
                    slot
                }
                None => {
                    let Some(dom) = RowDom::new() else { continue };
                    RowSlot {
                        id: w.id,
                        entry: w.clone(),
                        info: info(w),
                        dom,
                    }
                }
            };
            slots.push(slot);
            was.push(None);
            order.push(slots.len() - 1);
        }
    }
    // `slots` is in children order; put the rows that must move before the next row in place,
    // from the last row up.
    let stays = rows_in_place(&was);
    let mut next: Option<web_sys::Node> = None;
    for (&k, &stay) in order.iter().zip(&stays).rev() {
        let element = &slots[k].dom.row;
        if !stay {
            let _ = parent.insert_before(element, next.as_ref());
        }
        next = Some(element.clone().into());
    }
    // Keep `slots` in children order for the next pass.
    let mut placed: Vec<Option<RowSlot>> = slots.drain(..).map(Some).collect();
    slots.extend(order.iter().filter_map(|&k| placed[k].take()));
}

/// What a row shows beyond its own span: the selection, the folds, the lists it may be in
/// (search matches, the critical path, outliers: sorted node indexes), its bar on the current
/// zoom, and how far along the timeline a duration label may go ([`label_limit`]).
struct RowContext<'a> {
    selected: Option<u32>,
    collapsed: &'a std::collections::HashSet<u32>,
    lists: (&'a [u32], &'a [u32], &'a [u32]),
    bar: &'a dyn Fn(u32) -> Option<(f64, f64)>,
    limit: f64,
}

/// The attributes and texts of a row element that [`RowDom::fill`] writes.
#[derive(Clone, Copy)]
enum Part {
    RowClass,
    Selected,
    TabIndex,
    Expanded,
    RowIndex,
    Level,
    Status,
    Match,
    Critical,
    Depth,
    Toggle,
    Name,
    SvcHidden,
    SvcStyle,
    Svc,
    KindHidden,
    Kind,
    KindTitle,
    BarClass,
    BarStyle,
    DurClass,
    DurStyle,
    Dur,
}
const PARTS: usize = Part::Dur as usize + 1;

/// One row element, built once and refilled: its parts, what each last had written (so a refill
/// writes only what changed), and the marks after its kind icon.
struct RowDom {
    row: web_sys::Element,
    name_cell: web_sys::Element,
    toggle: web_sys::Element,
    name: web_sys::Text,
    svc: web_sys::Element,
    svc_text: web_sys::Text,
    kind: web_sys::Element,
    bar: web_sys::Element,
    dur: web_sys::Element,
    dur_text: web_sys::Text,
    written: [Option<String>; PARTS],
    marks: Vec<web_sys::Element>,
    marks_shown: Vec<Mark>,
}

impl RowDom {
    /// A row element with its two cells:
    /// `div[role=row].wf-row > (div[role=gridcell].wf-name > span.toggle, span.span-name,
    /// span.svc, span.kind, marks…), (div[role=gridcell].wf-timeline > div.bar, span.dur)`.
    fn new() -> Option<Self> {
        let doc = web_sys::window()?.document()?;
        let el = |tag: &str, parent: Option<&web_sys::Element>, attrs: &[(&str, &str)]| {
            let e = doc.create_element(tag).ok()?;
            for (k, v) in attrs {
                e.set_attribute(k, v).ok()?;
            }
            if let Some(p) = parent {
                p.append_child(&e).ok()?;
            }
            Some(e)
        };
        let text = |parent: &web_sys::Element| {
            let t = doc.create_text_node("");
            parent.append_child(&t).ok().map(|_| t)
        };
        let row = el("div", None, &[("role", "row"), ("class", "wf-row")])?;
        let name_cell = el(
            "div",
            Some(&row),
            &[("role", "gridcell"), ("class", "wf-name")],
        )?;
        let toggle = el(
            "span",
            Some(&name_cell),
            &[("class", "toggle"), ("aria-hidden", "true")],
        )?;
        let name_span = el("span", Some(&name_cell), &[("class", "span-name")])?;
        let name = text(&name_span)?;
        let svc = el("span", Some(&name_cell), &[("class", "svc")])?;
        let svc_text = text(&svc)?;
        let kind = el("span", Some(&name_cell), &[("class", "kind")])?;
        let timeline = el(
            "div",
            Some(&row),
            &[("role", "gridcell"), ("class", "wf-timeline")],
        )?;
        let bar = el("div", Some(&timeline), &[])?;
        let dur = el("span", Some(&timeline), &[])?;
        let dur_text = text(&dur)?;
        Some(Self {
            row,
            name_cell,
            toggle,
            name,
            svc,
            svc_text,
            kind,
            bar,
            dur,
            dur_text,
            written: Default::default(),
            marks: Vec::new(),
            marks_shown: Vec::new(),
        })
    }

    /// Writes `value` into `part` (an attribute, removed for `None`, or a text) unless it is
    /// what the part already has.
    fn put(&mut self, part: Part, value: Option<&str>) {
        let was = &mut self.written[part as usize];
        if was.as_deref() == value {
            return;
        }
        let (el, name) = match part {
            Part::Name | Part::Svc | Part::Dur => {
                let text = match part {
                    Part::Name => &self.name,
                    Part::Svc => &self.svc_text,
                    _ => &self.dur_text,
                };
                text.set_data(value.unwrap_or_default());
                *was = value.map(str::to_owned);
                return;
            }
            Part::RowClass => (&self.row, "class"),
            Part::Selected => (&self.row, "aria-selected"),
            Part::TabIndex => (&self.row, "tabindex"),
            Part::Expanded => (&self.row, "aria-expanded"),
            Part::RowIndex => (&self.row, "aria-rowindex"),
            Part::Level => (&self.row, "aria-level"),
            Part::Status => (&self.row, "data-status"),
            Part::Match => (&self.row, "data-match"),
            Part::Critical => (&self.row, "data-critical"),
            Part::Depth => (&self.name_cell, "style"),
            Part::Toggle => (&self.toggle, "data-state"),
            Part::SvcHidden => (&self.svc, "hidden"),
            Part::SvcStyle => (&self.svc, "style"),
            Part::KindHidden => (&self.kind, "hidden"),
            Part::Kind => (&self.kind, "data-kind"),
            Part::KindTitle => (&self.kind, "title"),
            Part::BarClass => (&self.bar, "class"),
            Part::BarStyle => (&self.bar, "style"),
            Part::DurClass => (&self.dur, "class"),
            Part::DurStyle => (&self.dur, "style"),
        };
        let _ = match value {
            Some(v) => el.set_attribute(name, v),
            None => el.remove_attribute(name),
        };
        *was = value.map(str::to_owned);
    }

    /// Shows `info` (nothing, for a node the trace no longer has) in `ctx`'s state.
    fn fill(&mut self, info: Option<&RowInfo>, ctx: &RowContext) {
        let flag = |f: fn(&RowInfo) -> bool| info.is_some_and(f);
        let index = info.map(|r| r.index);
        let selected = index.is_some() && ctx.selected == index;
        let has_children = flag(|r| r.children > 0);
        let collapsed = index.is_some_and(|i| ctx.collapsed.contains(&i));
        let listed = |list: &[u32]| index.is_some_and(|i| list.binary_search(&i).is_ok());
        let (error, placeholder) = (flag(|r| r.error), flag(|r| r.placeholder));
        let classes = |base: &str, flags: &[(bool, &str)]| {
            let mut class = base.to_string();
            for (on, name) in flags {
                if *on {
                    class.push(' ');
                    class.push_str(name);
                }
            }
            class
        };
        let hue = info.map_or(0, |r| r.hue);
        let depth = info.map_or(0, |r| r.depth);
        let kind = info.map_or("", |r| r.kind);

        self.put(
            Part::RowClass,
            Some(&classes(
                "wf-row",
                &[
                    (selected, "selected"),
                    (error, "error"),
                    (placeholder, "placeholder"),
                ],
            )),
        );
        self.put(
            Part::Selected,
            Some(if selected { "true" } else { "false" }),
        );
        self.put(Part::TabIndex, Some(if selected { "0" } else { "-1" }));
        let expanded = has_children.then_some(if collapsed { "false" } else { "true" });
        self.put(Part::Expanded, expanded);
        self.put(Part::RowIndex, Some(&info.map_or(0, |r| r.pos).to_string()));
        self.put(Part::Level, Some(&(depth + 1).to_string()));
        self.put(Part::Status, error.then_some("error"));
        self.put(Part::Match, listed(ctx.lists.0).then_some("true"));
        self.put(Part::Critical, listed(ctx.lists.1).then_some("true"));
        self.put(Part::Depth, Some(&format!("--depth:{depth}")));
        let toggle = match (has_children, collapsed) {
            (false, _) => "leaf",
            (true, true) => "collapsed",
            (true, false) => "expanded",
        };
        self.put(Part::Toggle, Some(toggle));
        self.put(Part::Name, info.map(|r| r.name.as_str()));
        self.put(Part::SvcHidden, placeholder.then_some(""));
        self.put(Part::SvcStyle, Some(&format!("--hue:{hue}")));
        self.put(Part::Svc, info.map(|r| r.service.as_str()));
        self.put(Part::KindHidden, placeholder.then_some(""));
        self.put(Part::Kind, Some(kind));
        self.put(Part::KindTitle, Some(&format!("{kind} span")));

        // The bar follows the zoom; the duration goes beside it, kept on screen when the bar is
        // zoomed out of view, and inside the bar when the bar fills the view.
        let (left, width) = index.and_then(ctx.bar).unwrap_or((0.0, 0.0));
        let bar_class = classes(
            "bar",
            &[
                (error, "error"),
                (flag(|r| r.no_time), "no-time"),
                (flag(|r| r.log), "log"),
                (flag(|r| r.pending), "pending"),
                (placeholder, "placeholder"),
            ],
        );
        self.put(Part::BarClass, Some(&bar_class));
        let bar_style = format!(
            "left:{:.4}%;width:max({:.4}%,1px);--hue:{hue}",
            left * 100.0,
            width * 100.0,
        );
        self.put(Part::BarStyle, Some(&bar_style));
        let label_left = (left + width) * 100.0;
        let inside = left <= 0.0 && label_left > ctx.limit;
        let dur_style = if left >= 1.0 {
            "right:0".to_string()
        } else if label_left <= 0.0 || inside {
            "left:0".to_string()
        } else if label_left > ctx.limit {
            format!("right:{:.4}%", (100.0 - left * 100.0).clamp(0.0, 100.0))
        } else {
            format!("left:{label_left:.4}%")
        };
        self.put(
            Part::DurClass,
            Some(if inside { "dur inside" } else { "dur" }),
        );
        self.put(Part::DurStyle, Some(&dur_style));
        self.put(Part::Dur, info.map(|r| r.duration.as_str()));

        let error_below = flag(|r| r.error_below && !r.error) && collapsed;
        let marks = marks(info, error_below, listed(ctx.lists.2));
        if marks != self.marks_shown {
            self.show_marks(marks);
        }
    }

    /// Replaces the marks after the kind icon (most rows have none, before and after).
    fn show_marks(&mut self, marks: Vec<Mark>) {
        for el in self.marks.drain(..) {
            el.remove();
        }
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        for mark in &marks {
            let Ok(el) = doc.create_element("span") else {
                continue;
            };
            let _ = el.set_attribute("class", mark.class);
            let _ = el.set_attribute("title", &mark.title);
            if mark.error {
                // A glyph for the eye and a word for screen readers.
                for (name, value, text) in [
                    ("aria-hidden", "true", "!"),
                    ("class", "visually-hidden", "error"),
                ] {
                    if let Ok(inner) = doc.create_element("span") {
                        let _ = inner.set_attribute(name, value);
                        inner.set_text_content(Some(text));
                        let _ = el.append_child(&inner);
                    }
                }
            } else {
                el.set_text_content(Some(&mark.text));
            }
            if self.name_cell.append_child(&el).is_ok() {
                self.marks.push(el);
            }
        }
        self.marks_shown = marks;
    }
}

/// A badge after a row's name.
#[derive(Clone, PartialEq)]
struct Mark {
    class: &'static str,
    title: String,
    text: String,
    /// The error mark: "!" for the eye, "error" for screen readers.
    error: bool,
}

/// How far along the timeline (in percent) a bar may end and still have its duration label
/// beside it on the right: 85%, or less on a timeline too narrow to hold a label (about 56 px,
/// "188.24ms" with its padding) in the last 15%. Past it the label goes before the bar.
fn label_limit(timeline_px: f64) -> f64 {
    if timeline_px > 0.0 {
        (100.0 * (1.0 - 56.0 / timeline_px)).clamp(0.0, 85.0)
    } else {
        85.0
    }
}

/// The marks of a row, in order: those of the row alone (the error, a missing or linked parent,
/// a cut cycle, a span that never ended, clock skew, a timeout), then "contains errors" on a
/// collapsed subtree with a failure inside, then "slow" on an outlier. Empty for most rows.
fn marks(r: Option<&RowInfo>, error_below: bool, slow: bool) -> Vec<Mark> {
    let mut out = Vec::new();
    let mark = |class: &'static str, title: &str, text: &str| Mark {
        class,
        title: title.to_string(),
        text: text.to_string(),
        error: false,
    };
    if let Some(r) = r {
        if r.placeholder {
            out.push(mark(
                "mark",
                "No span with this id is in the loaded files; the spans below name it as their parent",
                "not loaded",
            ));
        }
        if r.error {
            out.push(Mark {
                error: true,
                ..mark("mark error-mark", "This span failed", "")
            });
        }
        if let Some(id) = &r.missing_parent {
            out.push(mark(
                "mark missing-parent",
                &format!("Its parent span {id} is not in the loaded files"),
                &format!("missing parent {}", id.get(..8).unwrap_or(id)),
            ));
        }
        if let Some(id) = &r.linked {
            out.push(mark(
                "mark linked-mark",
                &format!("Trace {id}, joined to the span above by a span link: it ran on its own clock, as its own trace"),
                "linked trace",
            ));
        }
        if r.cycle_broken {
            out.push(mark(
                "mark",
                "Its parent links formed a cycle, cut here",
                "cycle cut",
            ));
        }
        if r.pending {
            out.push(mark(
                "mark",
                "Only its start was exported: the span never ended in these files",
                "never ended",
            ));
        }
        if let Some(why) = &r.skew {
            out.push(mark("mark skew-mark", why, "skew"));
        }
        if let Some(why) = &r.timeout {
            out.push(mark("mark timeout-mark", why, "timeout"));
        }
    }
    if error_below {
        out.push(mark(
            "mark error-below",
            "A span inside this collapsed subtree failed",
            "contains errors",
        ));
    }
    if slow {
        out.push(mark(
            "mark slow-mark",
            "At least 10 times the median duration of its siblings",
            "slow",
        ));
    }
    out
}
