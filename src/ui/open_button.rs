//! The "Open trace files" button: a real `<input type="file" multiple>`, styled as a button, so
//! the picker, keyboard and assistive technology all work as the browser intends.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::load::{files_of, open_files};
use super::state::AppState;

#[component]
pub fn OpenButton() -> impl IntoView {
    let state = expect_context::<AppState>();
    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        open_files(state, files_of(input.files()));
        // Let the same file be chosen again later.
        input.set_value("");
    };
    view! {
        <span class="open-button">
            <span aria-hidden="true">"Open trace files"</span>
            <input
                type="file"
                multiple
                aria-label="Open trace files"
                accept=".json,.jsonl,.txt,.gz,.tgz,.tar,.zst,.zip,application/json"
                on:change=on_change
            />
        </span>
    }
}
