//! The waterfall: an ARIA treegrid with one row per visible span, indented by depth, and a bar
//! placed by start and sized by duration on a shared time axis.

use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::CustomAttribute;
use sightline_core::critical::critical_path;
use sightline_core::layout::{
    bar, collapse_to_depth, duration_outliers, is_jump, row_window, rows_in_place,
    rows_with_ancestors, scroll_to_reveal, service_hue, skew, visible_ancestor, visible_rows,
    RowWindow, Window,
};
use sightline_core::search::Query;
use sightline_core::timeout::timeout_match;
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
        #[allow(clippy::cast_possible_truncation)]
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
                #[allow(clippy::cast_possible_truncation)]
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
    // row; here only the rows that wrap around move (see `place_rows`).
    let rows_box = NodeRef::<leptos::html::Div>::new();
    let slots: StoredValue<Rows, LocalStorage> = StoredValue::new_local(Rows::default());
    let owner = Owner::current();
    let make_row = move |entry: RwSignal<Option<Slot>>| {
        let info = Memo::new(move |_| {
            let Slot {
                key: (generation, _, _),
                index,
                pos,
                ..
            } = entry.get()?;
            let trace = state.trace.get_untracked();
            state.data.with_untracked(|d| {
                d.as_ref().and_then(|d| {
                    let tree = d.tree(trace)?;
                    row_info(d, tree, Window::of_trace(tree), generation, index, pos)
                })
            })
        });
        row_view(
            state,
            info,
            (matches, critical, outliers),
            dragged,
            view,
            timeline_px,
        )
    };
    Effect::new(move |_| {
        let Some(parent) = rows_box.get() else {
            return;
        };
        rendered.with(|(_, wanted)| {
            slots
                .update_value(|slots| place_rows(&parent, wanted, slots, owner.as_ref(), make_row));
        });
    });
    on_cleanup(move || {
        slots.update_value(|rows| {
            for slot in rows.live.drain(..).chain(rows.spare.drain(..)) {
                slot.owner.cleanup();
            }
        });
    });

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

/// A recycled row element: the slot it serves, what it shows, and the reactive scope of its
/// bindings.
struct RowSlot {
    id: usize,
    entry: RwSignal<Option<Slot>>,
    element: web_sys::Element,
    owner: Owner,
    _view: Box<dyn std::any::Any>,
}

/// The row elements: those in the DOM, in children order, and those taken out of it (the
/// margins' rows while the view jumps, or rows a shorter list no longer needs), kept to serve
/// again: refilling a row costs less than building one, and dropping one costs its cleanup.
#[derive(Default)]
struct Rows {
    live: Vec<RowSlot>,
    spare: Vec<RowSlot>,
}

/// Makes the children of `parent` the rows of `wanted`, in order: refills the slots that get
/// another row, takes out those no longer wanted, brings back (or creates) the ones missing, and
/// moves the fewest elements ([`rows_in_place`]) so a scroll of a few rows moves only those.
fn place_rows<V: IntoView + 'static>(
    parent: &web_sys::Element,
    wanted: &[Slot],
    rows: &mut Rows,
    owner: Option<&Owner>,
    make_row: impl Fn(RwSignal<Option<Slot>>) -> V,
) {
    use leptos::tachys::view::{Mountable, Render};
    let Rows { live: slots, spare } = rows;
    // Take out the slots no longer wanted.
    let mut k = 0;
    while k < slots.len() {
        if wanted.iter().any(|w| w.id == slots[k].id) {
            k += 1;
        } else {
            let slot = slots.remove(k);
            slot.element.remove();
            spare.push(slot);
        }
    }
    // Refill, bring back or create the wanted ones, noting where each sits among the children.
    let mut was = Vec::with_capacity(wanted.len());
    let mut order = Vec::with_capacity(wanted.len());
    for w in wanted {
        if let Some(k) = slots.iter().position(|s| s.id == w.id) {
            let slot = &slots[k];
            if slot.entry.with_untracked(|e| e.as_ref() != Some(w)) {
                slot.entry.set(Some(w.clone()));
            }
            was.push(Some(k));
            order.push(k);
        } else if let Some(mut slot) = spare.pop() {
            // Out of the DOM: the pass below inserts it in its place.
            slot.id = w.id;
            if slot.entry.with_untracked(|e| e.as_ref() != Some(w)) {
                slot.entry.set(Some(w.clone()));
            }
            slots.push(slot);
            was.push(None);
            order.push(slots.len() - 1);
        } else {
            let scope = owner.map_or_else(Owner::new, |o| o.with(Owner::new));
            let entry = scope.with(|| RwSignal::new(Some(w.clone())));
            let mut state = scope.with(|| make_row(entry).into_view().build());
            // Mounted at the end for now; the pass below puts it in its place.
            state.mount(parent, None);
            let Some(element) = parent.last_element_child() else {
                continue;
            };
            slots.push(RowSlot {
                id: w.id,
                entry,
                element,
                owner: scope,
                _view: Box::new(state),
            });
            was.push(None);
            order.push(slots.len() - 1);
        }
    }
    // `slots` is in children order; put the rows that must move before the next row in place,
    // from the last row up.
    let stays = rows_in_place(&was);
    let mut next: Option<web_sys::Node> = None;
    for (&k, &stay) in order.iter().zip(&stays).rev() {
        let element = &slots[k].element;
        if !stay {
            let _ = parent.insert_before(element, next.as_ref());
        }
        next = Some(element.clone().into());
    }
    // Keep `slots` in children order for the next pass.
    let mut placed: Vec<Option<RowSlot>> = slots.drain(..).map(Some).collect();
    slots.extend(order.iter().filter_map(|&k| placed[k].take()));
}

/// Sorted node indexes a row looks itself up in (search matches, the critical path, outliers).
type Listed = Memo<Vec<u32>>;

fn row_view(
    state: AppState,
    info: Memo<Option<RowInfo>>,
    (matches, critical, outliers): (Listed, Listed, Listed),
    dragged: StoredValue<bool>,
    view: Memo<Option<Window>>,
    timeline_px: RwSignal<f64>,
) -> impl IntoView {
    // Every binding reads the slot's current row, so refilling the slot updates the element.
    let flag = move |f: fn(&RowInfo) -> bool| move || info.with(|r| r.as_ref().is_some_and(f));
    let text = move |f: fn(&RowInfo) -> String| {
        move || info.with(|r| r.as_ref().map(f).unwrap_or_default())
    };
    let index = move || info.with(|r| r.as_ref().map(|r| r.index));
    let has_children = flag(|r| r.children > 0);
    // A selection change reruns this comparison in every row, but only the two rows whose
    // answer changed update their class, aria-selected and tabindex.
    let is_selected = Memo::new(move |_| {
        let i = index();
        i.is_some() && state.selected.get() == i
    });
    let selected = move || is_selected.get();
    let collapsed = move || index().is_some_and(|i| state.collapsed.with(|c| c.contains(&i)));
    let listed = move |list: Memo<Vec<u32>>| {
        move || index().is_some_and(|i| list.with(|l| l.binary_search(&i).is_ok()))
    };
    // The bar follows the zoom without refilling the row.
    let geometry = Memo::new(move |_| {
        let window = view.get()?;
        let i = index()?;
        let trace = state.trace.get_untracked();
        state.data.with_untracked(|d| {
            d.as_ref()
                .and_then(|d| d.tree(trace).map(|t| bar(&d.session, t, i, window)))
                .map(|b| (b.left, b.width))
        })
    });
    let hue = move || info.with(|r| r.as_ref().map_or(0, |r| r.hue));
    let bar_style = move || {
        let (left, width) = geometry.get().unwrap_or((0.0, 0.0));
        format!(
            "left:{:.4}%;width:max({:.4}%,1px);--hue:{}",
            left * 100.0,
            width * 100.0,
            hue()
        )
    };
    // The duration beside the bar, kept on screen when the bar is zoomed out of view, and inside
    // the bar when the bar fills the view.
    let label = move || {
        let (left, width) = geometry.get().unwrap_or((0.0, 0.0));
        let label_left = (left + width) * 100.0;
        let limit = label_limit(timeline_px.get());
        let inside = left <= 0.0 && label_left > limit;
        let style = if left >= 1.0 {
            "right:0".to_string()
        } else if label_left <= 0.0 || inside {
            "left:0".to_string()
        } else if label_left > limit {
            format!("right:{:.4}%", (100.0 - left * 100.0).clamp(0.0, 100.0))
        } else {
            format!("left:{label_left:.4}%")
        };
        (inside, style)
    };
    let kind = move || info.with(|r| r.as_ref().map_or("", |r| r.kind));
    view! {
        <div
            role="row"
            class="wf-row"
            class:selected=selected
            class:error=flag(|r| r.error)
            class:placeholder=flag(|r| r.placeholder)
            aria-selected=move || selected().to_string()
            aria-expanded=move || has_children().then(|| (!collapsed()).to_string())
            aria-rowindex=move || info.with(|r| r.as_ref().map_or(0, |r| r.pos))
            data-status=move || flag(|r| r.error)().then_some("error")
            data-match=move || listed(matches)().then_some("true")
            data-critical=move || listed(critical)().then_some("true")
            tabindex=move || if selected() { "0" } else { "-1" }
            on:click=move |_| {
                if dragged.get_value() {
                    dragged.set_value(false);
                } else if let Some(i) = info.with_untracked(|r| r.as_ref().map(|r| r.index)) {
                    state.selected.set(Some(i));
                }
            }
        >
            <div role="gridcell" class="wf-name" style=move || format!("--depth:{}", info.with(|r| r.as_ref().map_or(0, |r| r.depth)))>
                <span
                    class="toggle"
                    aria-hidden="true"
                    data-state=move || match (has_children(), collapsed()) {
                        (false, _) => "leaf",
                        (true, true) => "collapsed",
                        (true, false) => "expanded",
                    }
                    on:click=move |ev| {
                        ev.stop_propagation();
                        if let Some(i) = info.with_untracked(|r| r.as_ref().filter(|r| r.children > 0).map(|r| r.index)) {
                            // Alt- or Shift-click: the whole subtree, as in browsers' devtools.
                            if ev.alt_key() || ev.shift_key() {
                                state.toggle_all(i, !collapsed());
                            } else {
                                state.toggle(i);
                            }
                        }
                    }
                ></span>
                <span class="span-name">{text(|r| r.name.clone())}</span>
                <span class="svc" hidden=flag(|r| r.placeholder) style=move || format!("--hue:{}", hue())>{text(|r| r.service.clone())}</span>
                <span class="kind" hidden=flag(|r| r.placeholder) data-kind=kind title=move || format!("{} span", kind())></span>
                {move || info.with(|r| r.as_ref().and_then(marks))}
                {move || (flag(|r| r.error_below && !r.error)() && collapsed()).then(|| view! {
                    <span class="mark error-below" title="A span inside this collapsed subtree failed">"contains errors"</span>
                })}
                {move || listed(outliers)().then(|| view! {
                    <span class="mark slow-mark" title="At least 10 times the median duration of its siblings">"slow"</span>
                })}
            </div>
            <div role="gridcell" class="wf-timeline">
                <div
                    class="bar"
                    class:error=flag(|r| r.error)
                    class:no-time=flag(|r| r.no_time)
                    class:log=flag(|r| r.log)
                    class:pending=flag(|r| r.pending)
                    class:placeholder=flag(|r| r.placeholder)
                    style=bar_style
                ></div>
                <span class="dur" class:inside=move || label().0 style=move || label().1>{text(|r| r.duration.clone())}</span>
            </div>
        </div>
    }
    // tachys knows no `aria-level` attribute, so the macro cannot set it: add it by name.
    .attr(
        "aria-level",
        move || info.with(|r| r.as_ref().map_or(1, |r| r.depth + 1)).to_string(),
    )
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

/// The marks that depend on the row alone (the error, a missing or linked parent, a cut cycle,
/// a span that never ended, clock skew, a timeout), rebuilt when the slot gets another row.
/// `None` for a row with none (most rows), so refilling such a slot touches no element here.
fn marks(r: &RowInfo) -> Option<impl IntoView> {
    let any = r.placeholder
        || r.error
        || r.missing_parent.is_some()
        || r.linked.is_some()
        || r.cycle_broken
        || r.pending
        || r.skew.is_some()
        || r.timeout.is_some();
    any.then(|| view! {
        {r.placeholder.then(|| view! {
            <span class="mark" title="No span with this id is in the loaded files; the spans below name it as their parent">"not loaded"</span>
        })}
        {r.error.then(|| view! {
            <span class="mark error-mark" title="This span failed">
                <span aria-hidden="true">"!"</span>
                <span class="visually-hidden">"error"</span>
            </span>
        })}
        {r.missing_parent.clone().map(|id| view! {
            <span class="mark missing-parent" title=format!("Its parent span {id} is not in the loaded files")>
                {format!("missing parent {}", id.get(..8).unwrap_or(&id))}
            </span>
        })}
        {r.linked.clone().map(|id| view! {
            <span class="mark linked-mark" title=format!("Trace {id}, joined to the span above by a span link: it ran on its own clock, as its own trace")>"linked trace"</span>
        })}
        {r.cycle_broken.then(|| view! { <span class="mark" title="Its parent links formed a cycle, cut here">"cycle cut"</span> })}
        {r.pending.then(|| view! { <span class="mark" title="Only its start was exported: the span never ended in these files">"never ended"</span> })}
        {r.skew.clone().map(|why| view! { <span class="mark skew-mark" title=why>"skew"</span> })}
        {r.timeout.clone().map(|why| view! { <span class="mark timeout-mark" title=why>"timeout"</span> })}
    })
}
