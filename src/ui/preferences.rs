//! Preferences kept between visits (the theme, the panes' widths), the theme toggle (system,
//! light, dark) and the keyboard help (`?`).

use leptos::prelude::*;
use sightline_core::view::pane_widths::PaneWidths;
use wasm_bindgen::JsCast;

/// The three themes, in the order the toggle cycles through them.
const THEMES: [&str; 3] = ["system", "light", "dark"];

/// The local storage key of the theme chosen.
const THEME_KEY: &str = "sightline.theme";

fn storage() -> Option<web_sys::Storage> {
    // Local storage can be missing or refused (a sandboxed frame, a privacy setting): then
    // preferences last for the visit only.
    web_sys::window()?.local_storage().ok().flatten()
}

/// A preference kept from an earlier visit.
pub(super) fn remembered(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Keeps a preference for later visits (`None` forgets it).
pub(super) fn remember(key: &str, value: Option<&str>) {
    if let Some(s) = storage() {
        let _ = match value {
            Some(v) => s.set_item(key, v),
            None => s.remove_item(key),
        };
    }
}

/// The local storage key of the panes' widths.
pub(super) const PANES_KEY: &str = "sightline.panes";

/// The panes' widths kept from an earlier visit.
pub fn stored_pane_widths() -> PaneWidths {
    remembered(PANES_KEY)
        .map(|text| PaneWidths::from_pref(&text))
        .unwrap_or_default()
}

fn apply(theme: &str) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = if theme == "system" {
            root.remove_attribute("data-theme")
        } else {
            root.set_attribute("data-theme", theme)
        };
    }
}

#[component]
pub fn ThemeToggle() -> impl IntoView {
    // The theme chosen on an earlier visit, applied at once.
    let chosen = remembered(THEME_KEY)
        .and_then(|t| THEMES.iter().position(|&name| name == t))
        .unwrap_or(0);
    apply(THEMES[chosen]);
    let theme = RwSignal::new(chosen);
    view! {
        <button
            type="button"
            class="header-button"
            title="Colour theme: follow the system, or always light or dark"
            on:click=move |_| {
                theme.update(|t| *t = (*t + 1) % THEMES.len());
                let name = THEMES[theme.get_untracked()];
                apply(name);
                remember(THEME_KEY, (name != "system").then_some(name));
            }
        >
            {move || format!("Theme: {}", THEMES[theme.get()])}
        </button>
    }
}

/// The keys, shown by `?` or the button, in a modal dialog.
#[component]
pub fn KeyboardHelp() -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let open = move || {
        if let Some(d) = dialog.get_untracked() {
            if !d.open() {
                let _ = d.show_modal();
            }
        }
    };
    let listener = window_event_listener(leptos::ev::keydown, move |e| {
        if e.key() != "?" {
            return;
        }
        let typing = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA"));
        if !typing {
            e.prevent_default();
            open();
        }
    });
    on_cleanup(move || listener.remove());
    let keys = [
        ("↑ ↓", "previous / next span"),
        (
            "← →",
            "collapse / expand, or go to the parent / first child",
        ),
        (
            "Shift+← Shift+→",
            "collapse / expand the whole subtree (or Alt- or Shift-click its triangle)",
        ),
        ("Home End", "first / last span"),
        ("PageUp PageDown", "20 spans up / down"),
        ("Enter", "move to the span's details"),
        (
            "+ − 0",
            "zoom in / out / show the whole trace (in the waterfall)",
        ),
        (
            "Ctrl+wheel, Shift+wheel",
            "zoom around the pointer / pan; or drag across the axis or minimap",
        ),
        ("/", "search spans"),
        (
            "Enter, Shift+Enter",
            "next / previous match (in the search box)",
        ),
        ("Esc", "clear the search, close this help"),
        ("Ctrl+V", "open pasted trace JSON"),
        (
            "← → Home End",
            "on a pane's separator (Tab to it): resize the pane; double-click it for the default",
        ),
        ("?", "this help"),
    ];
    // What the search box takes (sightline_core::view::search).
    let search = [
        (
            "words",
            "every word must match: names, services, attributes, events, ids",
        ),
        (
            "key=value",
            "an attribute's value contains value; also name=, service=, kind=server, status=error",
        ),
        (
            "key==value",
            "the whole value, case included: service==order-api (the legend's buttons)",
        ),
        (
            "key>n  key<=n",
            "numbers: http.status_code>=500; durations: duration>100ms (ns, us, ms, s, m)",
        ),
        ("-word", "excludes what the word matches: -status=ok"),
        ("\"a b\"", "keeps spaces in a word: name=\"POST /orders\""),
    ];
    let list = |items: &[(&'static str, &'static str)]| {
        items
            .iter()
            .map(|&(k, what)| view! { <dt>{k}</dt><dd>{what}</dd> })
            .collect_view()
    };
    view! {
        <button type="button" class="header-button" on:click=move |_| open()>"Keyboard shortcuts"</button>
        <dialog class="help-dialog" node_ref=dialog aria-labelledby="help-title">
            <h2 id="help-title">"Keyboard shortcuts"</h2>
            <dl>{list(&keys)}</dl>
            <h3>"Search"</h3>
            <dl>{list(&search)}</dl>
            <form method="dialog">
                <button type="submit" class="header-button">"Close"</button>
            </form>
        </dialog>
    }
}
