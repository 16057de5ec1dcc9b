//! The whole page: header, problems, trace list, waterfall and details; files can be dropped
//! anywhere on it.

use leptos::ev;
use leptos::prelude::*;

use super::details::SpanDetails;
use super::header::Header;
use super::load::{files_of, open_files, open_sample};
use super::problems::Problems;
use super::state::AppState;
use super::trace_list::TraceList;
use super::waterfall::Waterfall;

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    open_sample(state);

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
        over.remove();
        leave.remove();
        drop.remove();
    });

    view! {
        <div class="app">
            <Header/>
            <Problems/>
            <main class="layout">
                <TraceList/>
                <Waterfall/>
                <SpanDetails/>
            </main>
            <div class="drop-overlay" class:visible=move || dragging.get() aria-hidden="true">
                "Drop trace files to open them"
            </div>
        </div>
    }
}
