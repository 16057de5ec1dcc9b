//! The time axis above the waterfall: a minimap of the whole trace (canvas) with the window in
//! view, the ticks of that window, and zooming (drag across the axis or the minimap, Ctrl/Cmd +
//! wheel, buttons, keys) and panning (drag the window or the bars, Shift + wheel).

use leptos::prelude::*;
use sightline_core::view::minimap::minimap;
use sightline_core::view::ticks::{tick_count, ticks};
use sightline_core::view::window::Window;
use sightline_core::{MINIMAP_COLUMNS, MINIMAP_ROWS};
use wasm_bindgen::JsCast;

use super::resize::observe_size;
use super::splitter::Splitter;
use super::state::AppState;
use sightline_core::view::pane_widths::Pane;

/// Height of the minimap in CSS pixels (style/main.css `.minimap`).
const MINIMAP_HEIGHT: u16 = 36;
/// A drag shorter than this (CSS pixels) is a click, not a selection.
const DRAG_THRESHOLD: f64 = 4.0;

/// The whole trace and the part of it in view, for the trace on screen.
pub fn windows(state: AppState) -> Option<(Window, Window)> {
    let trace = state.trace.get();
    let bounds = state
        .data
        .with(|d| d.as_ref().and_then(|d| d.tree(trace)).map(Window::of_trace))?;
    let view = state.zoom.get().map_or(bounds, |z| z.fit(bounds));
    Some((bounds, view))
}

/// As [`windows`], without tracking.
pub fn windows_untracked(state: AppState) -> Option<(Window, Window)> {
    untrack(|| windows(state))
}

/// Where `client_x` falls across element `el`, as a fraction of its width (with the width).
pub fn fraction_in(el: &web_sys::Element, client_x: i32) -> (f64, f64) {
    let rect = el.get_bounding_client_rect();
    let width = rect.width().max(1.0);
    ((f64::from(client_x) - rect.left()) / width, width)
}

/// Zooms the view by `factor` around fraction `anchor` of it (below 1 zooms in).
pub fn zoom_by(state: AppState, anchor: f64, factor: f64) {
    if let Some((bounds, view)) = windows_untracked(state) {
        set_view(state, view.zoom(anchor, factor, bounds), bounds);
    }
}

/// Moves the view by `fraction` of its width.
pub fn pan_by(state: AppState, fraction: f64) {
    if let Some((bounds, view)) = windows_untracked(state) {
        set_view(state, view.pan(fraction, bounds), bounds);
    }
}

fn set_view(state: AppState, view: Window, bounds: Window) {
    state.zoom.set((!view.covers(bounds)).then_some(view));
}

/// A drag in progress over the axis or the minimap: where it started and where it is, as
/// fractions of the element, and whether it moves the window instead of selecting.
#[derive(Clone, Copy, PartialEq)]
struct Drag {
    from: f64,
    to: f64,
    width: f64,
    /// Panning the minimap's window: the view when the drag started.
    moving: Option<Window>,
}

fn target_element(ev: &leptos::ev::PointerEvent) -> Option<web_sys::Element> {
    ev.current_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
}

/// Starts a drag on the element under a primary-button press: the pointer is captured and the
/// drag starts at the pointer's fraction of the element's width; `moving` says, from that
/// fraction, whether the drag moves the view rather than selecting a range.
fn begin_drag(
    ev: &leptos::ev::PointerEvent,
    drag: RwSignal<Option<Drag>>,
    moving: impl FnOnce(f64) -> Option<Window>,
) {
    if ev.button() != 0 {
        return;
    }
    let Some(el) = target_element(ev) else {
        return;
    };
    let (f, width) = fraction_in(&el, ev.client_x());
    let _ = el.set_pointer_capture(ev.pointer_id());
    ev.prevent_default();
    drag.set(Some(Drag {
        from: f,
        to: f,
        width,
        moving: moving(f),
    }));
}

/// The drag in progress, if any, and the pointer's fraction of the element's width now.
fn dragged_to(ev: &leptos::ev::PointerEvent, drag: RwSignal<Option<Drag>>) -> Option<(Drag, f64)> {
    let d = drag.get_untracked()?;
    let el = target_element(ev)?;
    Some((d, fraction_in(&el, ev.client_x()).0))
}

/// A drag on the minimap ends: a drag across it zooms to that range, a click centres the view
/// there (a drag of the window has moved it already).
fn end_map_drag(state: AppState, map_drag: RwSignal<Option<Drag>>) {
    let Some(drag) = map_drag.get_untracked() else {
        return;
    };
    map_drag.set(None);
    if drag.moving.is_some() {
        return;
    }
    let Some((bounds, view)) = windows_untracked(state) else {
        return;
    };
    if (drag.to - drag.from).abs() * drag.width >= DRAG_THRESHOLD {
        set_view(state, bounds.select(drag.from, drag.to, bounds), bounds);
    } else {
        let centre = bounds.at(drag.from);
        let half = view.len() / 2;
        let moved = Window::new(
            centre.saturating_sub(half),
            centre.saturating_sub(half) + view.len(),
        );
        set_view(state, moved.fit(bounds), bounds);
    }
}

/// A drag across the axis ends: it zooms to that range of the view.
fn end_axis_drag(state: AppState, axis_drag: RwSignal<Option<Drag>>) {
    let Some(drag) = axis_drag.get_untracked() else {
        return;
    };
    axis_drag.set(None);
    if (drag.to - drag.from).abs() * drag.width < DRAG_THRESHOLD {
        return;
    }
    if let Some((bounds, view)) = windows_untracked(state) {
        set_view(state, view.select(drag.from, drag.to, bounds), bounds);
    }
}

#[component]
pub fn TimeAxis() -> impl IntoView {
    let state = expect_context::<AppState>();
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let axis_drag = RwSignal::new(None::<Drag>);
    let map_drag = RwSignal::new(None::<Drag>);
    // Keep the canvas's pixel size in step with its box; the waterfall places its duration
    // labels by the same width.
    let measure = move || {
        if let Some(c) = canvas.get_untracked() {
            let w = f64::from(c.client_width().max(1));
            if state.timeline_px.get_untracked() != w {
                state.timeline_px.set(w);
            }
        }
    };
    let canvas_width = Memo::new(move |_| state.timeline_px.get().clamp(0.0, 65_535.0) as u16);
    Effect::new(move |_| {
        if canvas.get().is_some() {
            measure();
        }
    });
    // Any change of its box: the window's, or a pane's width dragged by the user.
    observe_size(move || canvas.get().map(Into::into), measure);

    // Draw the minimap once per trace (and per size): it shows the whole trace, not the view.
    // Drawn in the next frame: its colours come from the computed style, which read while the
    // page is being built forces a style pass of all of it.
    Effect::new(move |_| {
        let width = canvas_width.get();
        let trace = state.trace.get();
        state.generation.track();
        let Some(c) = canvas.get() else { return };
        if width == 0 {
            return;
        }
        request_animation_frame(move || draw_minimap(state, &c, width, trace));
    });

    // The view's place on the minimap, as percentages.
    let view_box = move || {
        let (bounds, view) = windows(state)?;
        let left = bounds.fraction(view.start).clamp(0.0, 1.0);
        let right = bounds.fraction(view.end).clamp(0.0, 1.0);
        Some((left * 100.0, (right - left) * 100.0))
    };

    let on_map_down = move |ev: leptos::ev::PointerEvent| {
        begin_drag(&ev, map_drag, |f| {
            // Inside the window of a zoomed view, the drag moves the window.
            let (bounds, view) = windows_untracked(state)?;
            let inside = f >= bounds.fraction(view.start) && f <= bounds.fraction(view.end);
            (inside && !view.covers(bounds)).then_some(view)
        });
    };
    let on_map_move = move |ev: leptos::ev::PointerEvent| {
        let Some((drag, f)) = dragged_to(&ev, map_drag) else {
            return;
        };
        map_drag.set(Some(Drag { to: f, ..drag }));
        if let (Some(start), Some((bounds, _))) = (drag.moving, windows_untracked(state)) {
            // Moving the window: shift it by the distance dragged, in trace time.
            let share = (f - drag.from) * bounds.len() as f64 / start.len().max(1) as f64;
            set_view(state, start.pan(share, bounds), bounds);
        }
    };
    let on_map_up = move |_: leptos::ev::PointerEvent| end_map_drag(state, map_drag);

    let on_axis_down = move |ev: leptos::ev::PointerEvent| begin_drag(&ev, axis_drag, |_| None);
    let on_axis_move = move |ev: leptos::ev::PointerEvent| {
        if let Some((drag, f)) = dragged_to(&ev, axis_drag) {
            axis_drag.set(Some(Drag {
                to: f.clamp(0.0, 1.0),
                ..drag
            }));
        }
    };
    let on_axis_up = move |_: leptos::ev::PointerEvent| end_axis_drag(state, axis_drag);
    let selection = move |drag: RwSignal<Option<Drag>>| {
        drag.get().filter(|d| d.moving.is_none()).map(|d| {
            let (a, b) = (d.from.min(d.to).clamp(0.0, 1.0), d.from.max(d.to).clamp(0.0, 1.0));
            view! {
                <div class="time-selection" style=format!("left:{:.4}%;width:{:.4}%", a * 100.0, (b - a) * 100.0)></div>
            }
        })
    };

    let tick_marks = move || {
        let Some((bounds, view)) = windows(state) else {
            return Vec::new();
        };
        // As many as the axis has room for (it is as wide as the minimap's canvas).
        ticks(
            view,
            bounds.start,
            tick_count(f64::from(canvas_width.get())),
        )
        .into_iter()
        .map(|t| {
            view! {
                <span class="tick" style=format!("left:{:.4}%", t.fraction * 100.0)>
                    {t.label}
                </span>
            }
        })
        .collect_view()
    };
    let zoomed = move || windows(state).is_some_and(|(b, v)| !v.covers(b));
    let shown = move || windows(state).map(|(bounds, view)| view.describe_in(bounds));

    view! {
        <div class="wf-minimap">
            <div class="zoom-tools" role="group" aria-label="Zoom">
                <button type="button" class="zoom-button" aria-label="Zoom in" title="Zoom in (+)" on:click=move |_| zoom_by(state, 0.5, 0.5)>"+"</button>
                <button type="button" class="zoom-button" aria-label="Zoom out" title="Zoom out (-)" prop:disabled=move || !zoomed() on:click=move |_| zoom_by(state, 0.5, 2.0)>"−"</button>
                <button type="button" class="zoom-button reset" aria-label="Reset zoom" title="Show the whole trace (0)" prop:disabled=move || !zoomed() on:click=move |_| state.zoom.set(None)>"Reset"</button>
                <span class="zoom-window" data-testid="zoom-window">{shown}</span>
            </div>
            <div
                class="minimap"
                title="The whole trace: drag to zoom to a time range, drag the window to move it"
                on:pointerdown=on_map_down
                on:pointermove=on_map_move
                on:pointerup=on_map_up
                on:pointercancel=move |_| map_drag.set(None)
            >
                <canvas node_ref=canvas aria-hidden="true"></canvas>
                {move || view_box().map(|(left, width)| view! {
                    <div class="minimap-window" class:zoomed=zoomed style=format!("left:{left:.4}%;width:max({width:.4}%,2px)")></div>
                })}
                {move || selection(map_drag)}
            </div>
        </div>
        <div class="wf-axis">
            <span class="wf-axis-name" aria-hidden="true">"Span"</span>
            <Splitter pane=Pane::Names label="Resize the span names"/>
            <div
                class="wf-axis-ticks"
                title="Drag across the axis to zoom to that time range"
                on:pointerdown=on_axis_down
                on:pointermove=on_axis_move
                on:pointerup=on_axis_up
                on:pointercancel=move |_| axis_drag.set(None)
            >
                <span aria-hidden="true">{tick_marks}</span>
                {move || selection(axis_drag)}
            </div>
        </div>
    }
}

/// Draws the whole trace's minimap on `c`, `width` CSS pixels wide.
fn draw_minimap(state: AppState, c: &web_sys::HtmlCanvasElement, width: u16, trace: usize) {
    let ratio = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let (px_w, px_h) = (
        (f64::from(width) * ratio).round() as u32,
        (f64::from(MINIMAP_HEIGHT) * ratio).round() as u32,
    );
    c.set_width(px_w);
    c.set_height(px_h);
    let Some(ctx) = c
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|x| x.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    ctx.clear_rect(0.0, 0.0, f64::from(px_w), f64::from(px_h));
    // The decoder drew the minimap at a fixed size; a tree without one (built on the page)
    // is drawn here at the canvas's size.
    let (runs, columns, rows) = state.data.with_untracked(|d| {
        d.as_ref()
            .and_then(|d| {
                d.tree(trace).map(|t| {
                    if t.minimap.is_empty() {
                        (
                            minimap(&d.session, t, width, MINIMAP_HEIGHT),
                            width,
                            MINIMAP_HEIGHT,
                        )
                    } else {
                        (t.minimap.clone(), MINIMAP_COLUMNS, MINIMAP_ROWS)
                    }
                })
            })
            .unwrap_or_default()
    });
    let sx = f64::from(px_w) / f64::from(columns.max(1));
    let sy = f64::from(px_h) / f64::from(rows.max(1));
    let style = web_sys::window().and_then(|w| w.get_computed_style(c).ok().flatten());
    let colour = |name: &str, fallback: &str| {
        style
            .as_ref()
            .and_then(|s| s.get_property_value(name).ok())
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| fallback.to_string())
    };
    let (span_colour, error_colour) = (
        colour("--minimap-span", "#7a8aa0"),
        colour("--error", "#c62828"),
    );
    for error in [false, true] {
        ctx.set_fill_style_str(if error { &error_colour } else { &span_colour });
        for r in runs.iter().filter(|r| r.error == error) {
            ctx.fill_rect(
                f64::from(r.x0) * sx,
                f64::from(r.y) * sy,
                (f64::from(r.x1 - r.x0) * sx).max(1.0),
                sy.max(1.0),
            );
        }
    }
}
