//! The header: what is open, and a status line that says what was loaded.

use leptos::prelude::*;
use sightline_core::semantic::session_ci_job;

use super::load::cancel;
use super::open_button::OpenButton;
use super::preferences::{KeyboardHelp, ThemeToggle};
use super::state::AppState;

/// "33 spans · 5 traces · 3 services · 4 errors", the words tests and screen readers rely on.
fn summary(state: AppState) -> String {
    if let Some(p) = state.progress.get() {
        return p.text();
    }
    state.data.with(|d| match d {
        None => "No trace loaded".to_string(),
        Some(d) => {
            let plural = |n: usize, word: &str| {
                if n == 1 {
                    format!("1 {word}")
                } else {
                    format!("{n} {word}s")
                }
            };
            let mut parts = vec![
                plural(d.forest.span_count(), "span"),
                plural(d.forest.traces.len(), "trace"),
                plural(d.forest.service_count(), "service"),
                plural(d.forest.error_count(), "error"),
            ];
            if d.forest.duplicates > 0 {
                parts.push(format!("{} duplicates dropped", d.forest.duplicates));
            }
            format!("Loaded {}", parts.join(" · "))
        }
    })
}

#[component]
pub fn Header() -> impl IntoView {
    let state = expect_context::<AppState>();
    let files = move || {
        state.data.with(|d| {
            d.as_ref()
                .map(|d| d.session.files.join(", "))
                .unwrap_or_default()
        })
    };
    view! {
        <header class="app-header">
            <h1 class="brand">"Sightline"</h1>
            <span class="file-names" title=files>{files}</span>
            <p class="summary" role="status" aria-live="polite">{move || summary(state)}</p>
            {move || state.data.with(|d| d.as_ref().and_then(|d| session_ci_job(&d.session))).map(|job| view! {
                <a class="header-ci-link" href=job.url.clone() target="_blank" rel="noopener noreferrer" title=job.url.clone()>
                    "CI job ↗"
                </a>
            })}
            {move || state.progress.get().map(|p| {
                let (value, max) = match p.total {
                    #[allow(clippy::cast_precision_loss)]
                    Some(t) if t > 0 => (Some(p.done as f64), t as f64),
                    _ => (None, 1.0),
                };
                view! {
                    <progress class="load-progress" aria-label="Loading progress" max=max value=value></progress>
                    <button type="button" class="cancel" on:click=move |_| cancel(state)>"Cancel"</button>
                }
            })}
            <KeyboardHelp/>
            <ThemeToggle/>
            <OpenButton/>
        </header>
    }
}
