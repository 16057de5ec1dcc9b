//! The whole page: header, problems, trace list, waterfall and details; files can be dropped
//! anywhere on it.

use leptos::ev;
use leptos::prelude::*;

use super::details::SpanDetails;
use super::failures::FailingTests;
use super::header::{Header, PreviewNote};
use sightline_core::view::url_state::HashState;
use wasm_bindgen::JsCast;

use super::load::{files_of, open_bytes, open_files, open_pasted, open_sample, open_sources};
use super::permalink;
use super::problems::Problems;
use super::runs::{RunsNav, RunsPanel};
use super::splitter::{layout_style, Splitter};
use super::state::AppState;
use super::trace_list::TraceList;
use super::waterfall::Waterfall;
use super::worker_client;
use sightline_core::view::pane_widths::Pane;

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    let hash = || {
        web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default()
    };
    // Offline after the first visit: the service worker the build writes next to index.html keeps
    // the app's files. (Registration fails harmlessly where there is none, e.g. in tests.)
    if let Some(window) = web_sys::window() {
        let promise = window.navigator().service_worker().register("./sw.js");
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
    // `#src=<url>` opens those files; without any, the bundled sample opens.
    worker_client::prepare();
    // The rest of the address (trace, span, zoom, …) is restored once the files are in.
    let start = HashState::parse(&hash());
    state.restore.set_value(Some(start.clone()));
    let inline = start
        .other
        .iter()
        .find(|(k, _)| k == "data")
        .map(|(_, v)| sightline_core::insight::export::inline_bytes(v));
    match inline {
        // A link that carries its trace: no fetch at all.
        Some(Some(bytes)) if start.sources.is_empty() => open_bytes(state, "linked trace", &bytes),
        Some(None) => state.failure.set(Some(
            "This link's trace (data=) is damaged: it is not base64url. Ask for the link again."
                .into(),
        )),
        _ if start.sources.is_empty() => open_sample(state),
        _ => open_sources(state, start.sources),
    }
    permalink::follow_view(state);
    // A pasted address or Back / Forward: other sources load (then their view is restored);
    // the same sources only change the view.
    let hash_change = window_event_listener(ev::hashchange, move |_| {
        let link = HashState::parse(&hash());
        if !link.sources.is_empty() && link.sources != state.sources.get_value() {
            state.restore.set_value(Some(link.clone()));
            open_sources(state, link.sources);
        } else if !link.files.is_empty() {
            // A link made from local files: shown once those files are here.
            state.restore.set_value(Some(link));
            if state.progress.get_untracked().is_none() {
                permalink::restore(state);
            }
        } else if state.progress.get_untracked().is_none() {
            permalink::apply(state, &link);
        }
    });
    // `/` jumps to the search box, as in most viewers.
    let slash = window_event_listener(ev::keydown, move |e| {
        if e.key() != "/" || e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        let typing = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA"));
        if typing {
            return;
        }
        if let Some(input) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("span-search"))
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            e.prevent_default();
            let _ = input.focus();
        }
    });
    // Ctrl+V of trace text anywhere but in a text field opens it.
    let paste = window_event_listener(ev::paste, move |e| {
        let in_field = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA")
                    || el.closest("[contenteditable]").ok().flatten().is_some()
            });
        if in_field {
            return;
        }
        if let Some(text) = e.clipboard_data().and_then(|d| d.get_data("text").ok()) {
            e.prevent_default();
            open_pasted(state, text);
        }
    });

    let dragging = RwSignal::new(false);
    let over = window_event_listener(ev::dragover, move |e| {
        e.prevent_default();
        dragging.set(true);
    });
    let leave = window_event_listener(ev::dragleave, move |e| {
        // Leaving the window (not moving between elements) has no related target.
        if e.related_target().is_none() {
            dragging.set(false);
        }
    });
    let drop = window_event_listener(ev::drop, move |e| {
        e.prevent_default();
        dragging.set(false);
        open_files(state, files_of(e.data_transfer().and_then(|dt| dt.files())));
    });
    on_cleanup(move || {
        hash_change.remove();
        slash.remove();
        paste.remove();
        over.remove();
        leave.remove();
        drop.remove();
    });

    view! {
        <div class="app">
            <Header/>
            <PreviewNote/>
            <Problems/>
            <main
                class="layout"
                class:panel-open=move || state.panel.get().is_some()
                style=move || layout_style(state.panes.get())
            >
                <div class="sidebar">
                    <RunsNav/>
                    <FailingTests/>
                    <TraceList/>
                </div>
                <Splitter pane=Pane::List label="Resize the trace list"/>
                <Waterfall/>
                <Splitter pane=Pane::Details label="Resize the span details"/>
                <SpanDetails/>
                <RunsPanel/>
            </main>
            <div class="drop-overlay" class:visible=move || dragging.get() aria-hidden="true">
                "Drop trace files to open them"
            </div>
        </div>
    }
}
