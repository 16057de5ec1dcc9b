//! What could not be loaded, announced as an alert and listed with file, place and reason.

use leptos::prelude::*;

use super::state::AppState;

#[component]
pub fn Problems() -> impl IntoView {
    let state = expect_context::<AppState>();
    let warnings = move || {
        state.data.with(|d| {
            d.as_ref()
                .map(|d| {
                    d.session
                        .warnings
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    move || {
        let failure = state.failure.get();
        let warnings = warnings();
        if failure.is_none() && warnings.is_empty() {
            return None;
        }
        let headline = match (&failure, warnings.len()) {
            (Some(f), 0) => format!("Could not load: {f}"),
            (Some(f), n) => format!("Could not load: {f}. {n} more problems while decoding."),
            (None, 1) => "1 problem while decoding: the rest was loaded.".to_string(),
            (None, n) => format!("{n} problems while decoding: the rest was loaded."),
        };
        Some(view! {
            <div class="problems" role="alert">
                <p>{headline}</p>
                {(!warnings.is_empty()).then(|| view! {
                    <details>
                        <summary>"Show what was skipped or repaired"</summary>
                        <ul>
                            {warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
                        </ul>
                    </details>
                })}
            </div>
        })
    }
}
