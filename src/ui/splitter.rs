//! Separators between the page's panes (the WAI-ARIA window splitter): drag one, or focus it
//! and use Left and Right (Home and End for the limits); a double click gives the pane its
//! default width back. The limits and the stored form are the core's
//! (`sightline_core::view::pane_widths`); the widths the user chose are kept in the browser's
//! local storage.

use leptos::prelude::*;
use sightline_core::view::pane_widths::{self, Pane, PaneWidths};
use wasm_bindgen::JsCast;

use super::preferences::{remember, PANES_KEY};
use super::resize::observe_size;
use super::state::AppState;

fn store(widths: PaneWidths) {
    let text = widths.to_pref();
    remember(PANES_KEY, (!text.is_empty()).then_some(text.as_str()));
}

/// The style that gives the panes of the page the user's widths (CSS variables the stylesheet
/// reads; a pane left at its default has none).
pub fn layout_style(widths: PaneWidths) -> String {
    [(Pane::List, "--list-w"), (Pane::Details, "--details-w")]
        .into_iter()
        .filter_map(|(pane, var)| {
            widths
                .get(pane)
                .map(|w| format!("{var}:{};", pane.css_width(w)))
        })
        .collect()
}

/// The style that gives the waterfall's name column the user's width.
pub fn names_style(widths: PaneWidths) -> Option<String> {
    widths
        .get(Pane::Names)
        .map(|w| format!("--name-col:{}", Pane::Names.css_width(w)))
}

fn width_of(el: Option<web_sys::Element>) -> f64 {
    el.map_or(0.0, |e| e.get_bounding_client_rect().width())
}

/// The pane's width now and its limits, measured on the page from its separator `sep`: the
/// list's separator follows it in the layout (whose last pane is the details), the details'
/// separator precedes them (the first pane is the list), the names' follows the names' header
/// in the axis.
fn measure(pane: Pane, sep: &web_sys::Element) -> (f64, f64, f64) {
    let parent = sep.parent_element();
    let container = width_of(parent.clone());
    let (width, others) = match pane {
        Pane::List => (
            width_of(sep.previous_element_sibling()),
            width_of(parent.and_then(|p| p.last_element_child())),
        ),
        Pane::Details => (
            width_of(sep.next_element_sibling()),
            width_of(parent.and_then(|p| p.first_element_child())),
        ),
        Pane::Names => (width_of(sep.previous_element_sibling()), 0.0),
    };
    (width, pane.min_px(), pane.max_px(container, others))
}

/// A separator on the edge of `pane`, named `label` for assistive technology.
#[component]
pub fn Splitter(pane: Pane, label: &'static str) -> impl IntoView {
    let state = expect_context::<AppState>();
    // What the separator announces: the pane's width and limits as last measured.
    let shown = RwSignal::new((0.0, 0.0, 0.0));
    let sep = NodeRef::<leptos::html::Div>::new();
    let measured = move || sep.get_untracked().map(|el| measure(pane, &el));
    let remeasure = move || {
        if let Some(m) = measured() {
            shown.set(m);
        }
    };
    // After the layout the widths give, measured in the next frame.
    Effect::new(move |_| {
        state.panes.track();
        state.data.track();
        request_animation_frame(remeasure);
    });
    // And whenever the container changes size (the window, for one), which moves the limits.
    observe_size(
        move || sep.get().and_then(|s| s.parent_element()),
        remeasure,
    );

    let set = move |width: Option<f64>| {
        state.panes.update(|w| *w = w.with(pane, width));
    };
    // The pointer's x and the pane's width when the drag started.
    let drag = StoredValue::new(None::<(f64, f64)>);
    let on_down = move |ev: leptos::ev::PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        if let Some(el) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = el.set_pointer_capture(ev.pointer_id());
        }
        ev.prevent_default();
        if let Some((width, ..)) = measured() {
            drag.set_value(Some((f64::from(ev.client_x()), width)));
        }
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        let Some((from_x, width)) = drag.get_value() else {
            return;
        };
        let (_, min, max) = shown.get_untracked();
        let to = pane_widths::dragged(pane, width, from_x, f64::from(ev.client_x()), min, max);
        set(Some(to));
    };
    let on_up = move |_: leptos::ev::PointerEvent| {
        if drag.get_value().is_some() {
            drag.set_value(None);
            store(state.panes.get_untracked());
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some((width, min, max)) = measured() else {
            return;
        };
        if let Some(to) = pane_widths::keyed(pane, width, &ev.key(), min, max) {
            ev.prevent_default();
            set(Some(to));
            store(state.panes.get_untracked());
        }
    };
    let reset = move |_| {
        set(None);
        store(state.panes.get_untracked());
    };
    let value = move |i: usize| {
        let (width, min, max) = shown.get();
        let v = [width, min, max][i].round() as i64;
        v.to_string()
    };
    view! {
        <div
            node_ref=sep
            class="splitter"
            class:splitter-names=pane == Pane::Names
            role="separator"
            aria-orientation="vertical"
            aria-label=label
            aria-valuenow=move || value(0)
            aria-valuemin=move || value(1)
            aria-valuemax=move || value(2)
            aria-valuetext=move || format!("{} pixels wide", value(0))
            tabindex="0"
            title="Drag to resize, or use the arrow keys; double-click for the default width"
            on:pointerdown=on_down
            on:pointermove=on_move
            on:pointerup=on_up
            on:pointercancel=on_up
            on:keydown=on_key
            on:dblclick=reset
        ></div>
    }
}
