//! Across CI runs: the buttons that switch between the trace and the panels, and the panel in
//! view (test history, exceptions, comparison). Each panel binds what
//! [`sightline_core::insight::runs`] computed in the decoder worker.

mod compare;
mod exceptions;
mod history;

use leptos::prelude::*;
use sightline_core::view::format::plural;
use sightline_core::view::url_state::Panel;

use super::state::AppState;

pub use compare::Compare;
pub use exceptions::Exceptions;
pub use history::TestHistory;

/// Opens the trace view at node `node` of view `view`, closing the panel.
pub fn open_span(state: AppState, view: usize, node: u32) {
    state.panel.set(None);
    state.go_to(view, node);
}

/// Opens the comparison of test `test`'s default pair (its latest failure against the nearest
/// passing execution on its revision).
pub fn compare_default(state: AppState, test: usize) {
    let pair = state
        .data
        .with_untracked(|d| d.as_ref()?.runs.default_pair_at(test));
    if let Some((f, p)) = pair {
        state.open_compare(test, f, p);
    }
}

/// "Trace", "Test history", "Exceptions", "Compare" when the session has tests or exceptions,
/// and "SQL"; the one in view is pressed.
#[component]
pub fn RunsNav() -> impl IntoView {
    let state = expect_context::<AppState>();
    let counts = move || {
        state.data.with(|d| {
            let runs = &d.as_ref()?.runs;
            let tests = runs.tests.iter().filter(|t| !t.by_root).count();
            let comparable = runs.tests.iter().position(|t| t.passed > 0 && t.failed > 0);
            Some((runs.runs.len(), tests, runs.exceptions.len(), comparable))
        })
    };
    move || {
        let (runs, tests, exceptions, comparable) = counts()?;
        let across = tests > 0 || exceptions > 0;
        let button = move |label: String, panel: Option<Panel>, enabled: bool| {
            view! {
                <button
                    type="button"
                    aria-pressed=move || (state.panel.get() == panel).to_string()
                    disabled=!enabled
                    on:click=move |_| match panel {
                        Some(Panel::Compare) if state.compare.get_untracked().is_none() => {
                            if let Some(t) = comparable {
                                compare_default(state, t);
                            }
                        }
                        p => state.panel.set(p),
                    }
                >
                    {label}
                </button>
            }
        };
        let runs_text = plural(runs, "run");
        // Without tests or exceptions there is nothing to show across runs, but SQL.
        let panels = across.then(|| {
            view! {
                <span class="runs-count">{runs_text}</span>
                {button("Trace".into(), None, true)}
                {button(format!("Test history ({tests})"), Some(Panel::History), tests > 0)}
                {button(format!("Exceptions ({exceptions})"), Some(Panel::Exceptions), exceptions > 0)}
                {button("Compare".into(), Some(Panel::Compare), comparable.is_some())}
            }
        });
        let trace_only = (!across).then(|| button("Trace".into(), None, true));
        Some(view! {
            <nav class="runs-nav" aria-label="Across runs">
                {panels}
                {trace_only}
                {button("SQL".into(), Some(Panel::Sql), true)}
            </nav>
        })
    }
}

/// The panel in view, in place of the waterfall and the details.
#[component]
pub fn RunsPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        state.panel.get().map(|panel| {
            let body = match panel {
                Panel::History => view! { <TestHistory/> }.into_any(),
                Panel::Exceptions => view! { <Exceptions/> }.into_any(),
                Panel::Compare => view! { <Compare/> }.into_any(),
                Panel::Sql => view! { <crate::ui::sql::SqlPanel/> }.into_any(),
            };
            view! { <div class="runs-panel">{body}</div> }
        })
    }
}
