//! What could not be loaded, announced as an alert and listed with file, place and reason.

use leptos::prelude::*;

use super::state::AppState;

/// Problems listed at first, and added per click of "Show more": a file with tens of thousands
/// of broken lines would otherwise build as many list items in the task that opens it.
const PAGE: usize = 200;

#[component]
pub fn Problems() -> impl IntoView {
    let state = expect_context::<AppState>();
    let count = move || {
        state
            .data
            .with(|d| d.as_ref().map_or(0, |d| d.session.warnings.len()))
    };
    // What could not be put in a CI run by its attributes (grouped by file instead), said with
    // the problems.
    let notes = move || {
        state
            .data
            .with(|d| d.as_ref().map(|d| d.runs.notes.clone()).unwrap_or_default())
    };
    move || {
        let failure = state.failure.get();
        let total = count();
        let notes = notes();
        if failure.is_none() && total == 0 && notes.is_empty() {
            return None;
        }
        let headline = match (&failure, total) {
            (Some(f), 0) => format!("Could not load: {f}"),
            (Some(f), n) => format!("Could not load: {f}. {n} more problems while decoding."),
            (None, 0) => String::new(),
            (None, 1) => "1 problem while decoding: the rest was loaded.".to_string(),
            (None, n) => format!("{n} problems while decoding: the rest was loaded."),
        };
        let notes = notes
            .into_iter()
            .map(|n| view! { <p class="runs-note">{format!("Runs: {n}.")}</p> })
            .collect_view();
        // A new list starts with its first page shown.
        let shown = RwSignal::new(PAGE.min(total));
        let items = move || {
            let n = shown.get();
            state.data.with_untracked(|d| {
                d.as_ref()
                    .map(|d| {
                        d.session
                            .warnings
                            .iter()
                            .take(n)
                            .map(|w| view! { <li>{w.to_string()}</li> })
                            .collect_view()
                    })
                    .unwrap_or_default()
            })
        };
        let more = move || {
            let left = total - shown.get();
            (left > 0).then(|| {
                view! {
                    <button type="button" class="show-more" on:click=move |_| shown.update(|n| *n = (*n + PAGE).min(total))>
                        {format!("Show {} more ({left} not shown)", PAGE.min(left))}
                    </button>
                }
            })
        };
        Some(view! {
            <div class="problems" role="alert">
                {(!headline.is_empty()).then(|| view! { <p>{headline.clone()}</p> })}
                {notes}
                {(total > 0).then(|| view! {
                    <details>
                        <summary>"Show what was skipped or repaired"</summary>
                        <ul>{items}</ul>
                        {more}
                    </details>
                })}
            </div>
        })
    }
}
