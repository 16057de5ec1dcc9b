//! Copying text to the clipboard, with a button that says it worked.

use leptos::prelude::*;

/// Writes `text` to the clipboard; resolves to whether it worked.
pub async fn copy_text(text: String) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(&text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// A small button copying what `text` gives when clicked; its label says "Copied" for a moment.
#[component]
pub fn CopyButton(
    /// What the button copies, e.g. "span ID" (for its accessible name "Copy span ID").
    #[prop(into)]
    what: String,
    /// The text to copy, computed when clicked.
    text: Callback<(), String>,
) -> impl IntoView {
    let done = RwSignal::new(None::<bool>);
    let on_click = move |ev: leptos::ev::MouseEvent| {
        // A copy button inside a clickable row (a tree item) must not also open or close it.
        ev.stop_propagation();
        let value = text.run(());
        leptos::task::spawn_local(async move {
            let ok = copy_text(value).await;
            done.set(Some(ok));
            set_timeout(
                move || done.set(None),
                std::time::Duration::from_millis(1500),
            );
        });
    };
    let label = format!("Copy {what}");
    view! {
        <button type="button" class="copy-button" aria-label=label.clone() title=label on:click=on_click>
            {move || match done.get() {
                None => "Copy",
                Some(true) => "Copied",
                Some(false) => "Copy failed",
            }}
        </button>
        <span class="visually-hidden" aria-live="polite">{move || match done.get() {
            Some(true) => format!("Copied {what}"),
            Some(false) => format!("Could not copy {what}"),
            None => String::new(),
        }}</span>
    }
}
