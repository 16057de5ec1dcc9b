//! The waterfall's input: keys on the grid, stepping through search matches, the wheel (zoom and
//! pan), dragging across the bars, and clicks on rows.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::super::timeline::{fraction_in, pan_by, zoom_by};
use super::grid::Grid;
use super::reveal_selected;
use super::row_dom::Rows;

/// The element spanning the timeline column (the axis), for turning pointer x into time.
fn timeline_box() -> Option<web_sys::Element> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(".wf-axis-ticks").ok().flatten())
}

/// Keys on the grid: moving the selection, folding, zooming, and Enter to the details.
pub(super) fn on_key(grid: Grid, ev: &leptos::ev::KeyboardEvent) {
    let Some(current) = grid.state.selected.get_untracked() else {
        return;
    };
    let trace = grid.state.trace.get_untracked();
    let Some((children, parent)) = grid.state.data.with_untracked(|d| {
        d.as_ref()
            .and_then(|d| d.tree(trace))
            .and_then(|t| t.nodes.get(current as usize))
            .map(|n| (n.children, n.parent))
    }) else {
        return;
    };
    let expanded = children > 0
        && !grid
            .state
            .collapsed
            .with_untracked(|c| c.contains(&current));
    // Shift+Right / Shift+Left: the whole subtree at once, the selection where it is.
    if ev.shift_key() && children > 0 {
        let fold = match ev.key().as_str() {
            "ArrowRight" => Some(false),
            "ArrowLeft" => Some(true),
            _ => None,
        };
        if let Some(fold) = fold {
            ev.prevent_default();
            grid.state.toggle_all(current, fold);
            return;
        }
    }
    let target = grid.visible.with_untracked(|rows| {
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
            zoom_by(grid.state, 0.5, 0.5);
            return;
        }
        "-" | "_" => {
            ev.prevent_default();
            zoom_by(grid.state, 0.5, 2.0);
            return;
        }
        "0" => {
            ev.prevent_default();
            grid.state.zoom.set(None);
            return;
        }
        "ArrowRight" if children > 0 && !expanded => grid.state.toggle(current),
        "ArrowLeft" if expanded => grid.state.toggle(current),
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
        grid.state.selected.set(Some(t));
    }
    let pos = grid.position(grid.state.selected.get_untracked());
    reveal_selected(grid.el, pos, true);
}

/// Enter / Shift+Enter in the search box: the next or previous match after the selection.
pub(super) fn step(grid: Grid, forward: bool) {
    let current = grid.state.selected.get_untracked();
    let target = grid.matches.with_untracked(|m| {
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
    let trace = grid.state.trace.get_untracked();
    let ancestors: Vec<u32> = grid.state.data.with_untracked(|d| {
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
    grid.state.collapsed.update(|c| {
        for a in &ancestors {
            c.remove(a);
        }
    });
    grid.state.selected.set(Some(target));
    let pos = grid.position(Some(target));
    reveal_selected(grid.el, pos, false);
}

/// Ctrl/Cmd + wheel zooms around the pointer; Shift + wheel (or a sideways wheel) pans.
pub(super) fn on_wheel(grid: Grid, ev: &leptos::ev::WheelEvent) {
    let Some(axis) = timeline_box() else { return };
    let (anchor, width) = fraction_in(&axis, ev.client_x());
    let (dx, dy) = (ev.delta_x(), ev.delta_y());
    if ev.ctrl_key() || ev.meta_key() {
        ev.prevent_default();
        zoom_by(grid.state, anchor.clamp(0.0, 1.0), (dy * 0.002).exp());
    } else if ev.shift_key() || dx.abs() > dy.abs() {
        if grid.state.zoom.get_untracked().is_none() {
            return;
        }
        ev.prevent_default();
        let delta = if dx.abs() > dy.abs() { dx } else { dy };
        pan_by(grid.state, delta / width);
    }
}

/// A drag across the bars of a zoomed view starts.
pub(super) fn on_pan_down(grid: Grid, ev: &leptos::ev::PointerEvent) {
    let on_bars = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| e.closest(".wf-timeline").ok().flatten())
        .is_some();
    if ev.button() != 0 || !on_bars || grid.state.zoom.get_untracked().is_none() {
        return;
    }
    let width = timeline_box().map_or(1.0, |el| el.get_bounding_client_rect().width().max(1.0));
    grid.pan.set_value(Some((ev.client_x(), width, false)));
}

/// Dragging sideways across the bars pans a zoomed view.
pub(super) fn on_pan_move(grid: Grid, ev: &leptos::ev::PointerEvent) {
    let Some((x0, width, moved)) = grid.pan.get_value() else {
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
    pan_by(grid.state, -dx / width);
    grid.pan.set_value(Some((ev.client_x(), width, true)));
    grid.dragged.set_value(true);
}

/// Clicks on any row: one listener for them all. The toggle folds its subtree (Alt- or
/// Shift-click: the whole subtree, as in browsers' devtools); elsewhere the row is selected,
/// unless the click ends a drag that panned.
pub(super) fn on_row_click(
    grid: Grid,
    slots: StoredValue<Rows, LocalStorage>,
    ev: &leptos::ev::MouseEvent,
) {
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
                let collapsed = grid.state.collapsed.with_untracked(|c| c.contains(&index));
                grid.state.toggle_all(index, !collapsed);
            } else {
                grid.state.toggle(index);
            }
        }
    } else if grid.dragged.get_value() {
        grid.dragged.set_value(false);
    } else {
        grid.state.selected.set(Some(index));
    }
}
