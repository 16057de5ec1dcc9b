//! The page address follows what the user looks at (trace, span, zoom, search, folded subtrees,
//! next to the `src=` URLs), so any moment can be shared; opening such an address restores it.
//! Selecting another span adds a history entry, so Back and Forward move between selections.

use leptos::prelude::*;
use sightline_core::permalink::{describe, locate, View};
use sightline_core::url_state::HashState;

use super::state::AppState;

fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Shows `link`'s view in the loaded session; says what the session lacks.
pub fn apply(state: AppState, link: &HashState) {
    let located = state
        .data
        .with_untracked(|d| d.as_ref().map(|d| locate(d, link)));
    let Some(located) = located else { return };
    let v = located.view;
    if v.trace != state.trace.get_untracked() {
        state.select_trace(v.trace);
    }
    if let Some(node) = v.selected {
        state.selected.set(Some(node));
    }
    state.collapsed.set(v.folded.into_iter().collect());
    state.zoom.set(v.zoom);
    state.search.set(v.search);
    state.reveal.update(|r| *r += 1);
    if !located.missing.is_empty() {
        let note = format!(
            "This link's view is only partly here: {}.",
            located.missing.join("; ")
        );
        state.failure.update(|f| {
            *f = Some(match f.take() {
                Some(before) => format!("{before} {note}"),
                None => note,
            });
        });
    }
}

/// After a load: the view of the link that asked for it, if any.
pub fn restore(state: AppState) {
    if let Some(link) = state.restore.try_update_value(Option::take).flatten() {
        apply(state, &link);
    }
}

/// The address of the current view.
fn current_link(state: AppState) -> Option<HashState> {
    let view = View {
        trace: state.trace.get(),
        selected: state.selected.get(),
        zoom: state.zoom.get(),
        search: state.search.get(),
        folded: state.collapsed.get().into_iter().collect(),
    };
    let mut link = HashState::parse(&location_hash());
    link.sources = state.sources.get_value();
    state
        .data
        .with(|d| d.as_ref().map(|d| describe(d, &view, &mut link)))?;
    Some(link)
}

/// Keeps the address in step with the view.
pub fn follow_view(state: AppState) {
    let last_span = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        if state.progress.get().is_some() {
            return;
        }
        let Some(link) = current_link(state) else {
            return;
        };
        let hash = link.to_hash();
        if hash == location_hash() || (hash.is_empty() && location_hash() == "#") {
            return;
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(history) = window.history() else {
            return;
        };
        let url = if hash.is_empty() {
            let l = window.location();
            format!(
                "{}{}",
                l.pathname().unwrap_or_default(),
                l.search().unwrap_or_default()
            )
        } else {
            hash
        };
        // A new selection is a step Back can return to; the rest refines the current entry.
        let new_span = link.span.clone();
        let step = last_span.get_value().is_some() && new_span != last_span.get_value();
        last_span.set_value(new_span);
        let _ = if step {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        } else {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        };
    });
}
