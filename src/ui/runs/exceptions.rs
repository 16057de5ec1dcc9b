//! The "Exceptions" table: a row per fingerprint (type, normalised message, innermost
//! application frame) with its occurrences, runs, first and last run seen, services and tests;
//! a row opens the list of its occurrences, each of which opens its span. Handled exceptions
//! are marked and come last.

use leptos::prelude::*;
use sightline_core::insight::runs::{CiRuns, ExceptionGroup};

use super::open_span;
use crate::ui::state::AppState;
use sightline_core::view::format::plural;

fn run_label(runs: &CiRuns, r: Option<&u32>) -> String {
    r.and_then(|r| runs.runs.get(*r as usize))
        .map_or_else(String::new, |r| r.label.clone())
}

/// "6 (12 spans)": raising points, and the spans they unwound through.
fn occurrences_text(g: &ExceptionGroup) -> String {
    format!(
        "{} ({})",
        g.occurrences.len(),
        plural(g.spans as usize, "span")
    )
}

fn handled_text(g: &ExceptionGroup) -> Option<String> {
    if g.all_handled() {
        Some("handled".into())
    } else if g.handled > 0 {
        Some(format!("handled {} of {}", g.handled, g.occurrences.len()))
    } else {
        None
    }
}

/// The list of a group's occurrences, each a button that opens its span.
fn occurrence_list(state: AppState, runs: &CiRuns, g: &ExceptionGroup) -> impl IntoView {
    let items = g
        .occurrences
        .iter()
        .map(|o| {
            let (view, node) = (o.view as usize, o.node);
            let run = run_label(runs, Some(&o.run));
            let test = o.test.clone().map(|t| format!(" · {t}"));
            view! {
                <li>
                    <button type="button" class="occurrence" on:click=move |_| open_span(state, view, node)>
                        <span class="occurrence-where">{format!("{run} · {} › {}", o.service, o.span)}{test}</span>
                        " "
                        <span class="occurrence-message">{o.message.clone()}</span>
                        {o.handled.then_some(view! { " " <span class="handled">"handled"</span> })}
                        {(o.spans > 1).then(|| view! {
                            <span class="occurrence-spans">{format!("through {} spans", o.spans)}</span>
                        })}
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="occurrences" aria-label=format!("Occurrences of {}", g.kind)>{items}</ul>
    }
}

fn group_rows(state: AppState, runs: &CiRuns, g: &ExceptionGroup) -> impl IntoView {
    let id = g.id.clone();
    let open = {
        let id = id.clone();
        move || state.group.get().as_deref() == Some(id.as_str())
    };
    let toggle = {
        let id = id.clone();
        move |_| {
            state.group.update(|current| {
                *current = if current.as_deref() == Some(id.as_str()) {
                    None
                } else {
                    Some(id.clone())
                };
            });
        }
    };
    let pattern = g.pattern.lines().next().unwrap_or("").to_string();
    let handled = handled_text(g);
    let list = {
        let open = open.clone();
        let runs = runs.clone();
        let g = g.clone();
        move || {
            open().then(|| {
                view! {
                    <tr class="occurrences-row">
                        <td colspan="7">{occurrence_list(state, &runs, &g)}</td>
                    </tr>
                }
            })
        }
    };
    let open_attr = open.clone();
    view! {
        <tr class:handled=g.all_handled()>
            <th scope="row">
                <button
                    type="button"
                    class="group-toggle"
                    aria-expanded=move || open_attr().to_string()
                    on:click=toggle
                >
                    <span class="exception-type">{g.kind.clone()}</span>
                    " "
                    <span class="exception-pattern">{pattern}</span>
                    {(!g.frame.is_empty()).then(|| view! {
                        " "
                        <span class="exception-frame">{format!("at {}", g.frame)}</span>
                    })}
                    {handled.map(|h| view! { " " <span class="handled">{h}</span> })}
                </button>
            </th>
            <td>{occurrences_text(g)}</td>
            <td>{g.runs.len()}</td>
            <td>{run_label(runs, g.runs.first())}</td>
            <td>{run_label(runs, g.runs.last())}</td>
            <td>{g.services.join(", ")}</td>
            <td>{g.tests.join(", ")}</td>
        </tr>
        {list}
    }
}

#[component]
pub fn Exceptions() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        state.data.with(|d| {
            let runs = &d.as_ref()?.runs;
            let handled = runs.exceptions.iter().filter(|g| g.all_handled()).count();
            let at_times = runs
                .exceptions
                .iter()
                .filter(|g| g.handled > 0 && !g.all_handled())
                .count();
            let rows = runs
                .exceptions
                .iter()
                .map(|g| group_rows(state, runs, g))
                .collect_view();
            Some(view! {
                <section class="exceptions" aria-labelledby="exceptions-title">
                    <h2 id="exceptions-title">"Exceptions"</h2>
                    <p class="panel-summary">
                        {format!(
                            "{} by type, message (ids and numbers aside) and the innermost frame of the application. Handled (retried with success, or caught) always: {handled}, at times: {at_times}; these are listed last. Each exception counts once per trace, however many spans it unwound through.",
                            plural(runs.exceptions.len(), "group"),
                        )}
                    </p>
                    <div class="table-scroll">
                        <table aria-label="Exceptions" class="exceptions-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Exception"</th>
                                    <th scope="col">"Occurrences"</th>
                                    <th scope="col">"Runs"</th>
                                    <th scope="col">"First seen"</th>
                                    <th scope="col">"Last seen"</th>
                                    <th scope="col">"Services"</th>
                                    <th scope="col">"Tests"</th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                </section>
            })
        })
    }
}
