//! The "Test history" table: a row per test, a column per run, a cell per execution ("pass",
//! "fail", "–" when it did not run) linking to that execution; broken and flaky tests first,
//! with their failure rate, and each test's durations per run as a small chart.

use leptos::prelude::*;
use sightline_core::insight::runs::{CiRuns, Outcome, TestHistory as History, Verdict};
use sightline_core::view::format::format_duration;

use super::{compare_default, open_span};
use crate::ui::permalink::span_link;
use crate::ui::state::AppState;
use sightline_core::view::format::plural;

/// The rows drawn at first; the rest come with a click (a load test's root names can be many).
const FIRST_ROWS: usize = 200;
/// About how many cells are drawn per frame.
const CELLS_PER_FRAME: usize = 400;

/// Draws `per_frame` more rows each animation frame until `total` are drawn.
fn grow(drawn: RwSignal<usize>, per_frame: usize, total: usize) {
    if drawn.get_untracked() >= total {
        return;
    }
    request_animation_frame(move || {
        let now = drawn.get_untracked();
        if now >= total {
            return;
        }
        drawn.set((now + per_frame).min(total));
        grow(drawn, per_frame, total);
    });
}

/// The address of an execution's span, for its link (opened in place by a click).
fn execution_href(state: AppState, view: usize, node: u32) -> String {
    state.data.with_untracked(|d| {
        d.as_ref().map_or_else(String::new, |d| {
            span_link(state.sources.get_value(), d, view, node).to_hash()
        })
    })
}

/// Bars of the test's mean duration per run, on the test's own scale; failed runs marked.
fn durations_chart(runs: &CiRuns, t: &History) -> impl IntoView {
    let durations = t.durations(runs.runs.len());
    let max = durations
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let failed = |r: usize| t.in_run(r as u32).any(|e| e.outcome == Outcome::Fail);
    let said: Vec<String> = durations
        .iter()
        .enumerate()
        .map(|(r, d)| match d {
            Some(ns) => format!("{} {}", runs.runs[r].label, format_duration(*ns)),
            None => format!("{} not run", runs.runs[r].label),
        })
        .collect();
    let width = durations.len() * 7;
    let bars = durations
        .iter()
        .enumerate()
        .filter_map(|(r, d)| {
            let ns = (*d)?;
            let h = (1.0 + 15.0 * ns as f64 / max as f64).round();
            Some(view! {
                <rect
                    x=(r * 7).to_string()
                    y=(16.0 - h).to_string()
                    width="5"
                    height=h.to_string()
                    class:failed=failed(r)
                ></rect>
            })
        })
        .collect_view();
    view! {
        <svg
            class="durations"
            role="img"
            aria-label=format!("Durations per run: {}", said.join(", "))
            width=width.to_string()
            height="16"
            viewBox=format!("0 0 {width} 16")
        >
            {bars}
        </svg>
    }
}

fn row(state: AppState, runs: &CiRuns, index: usize, t: &History) -> impl IntoView {
    let cells = (0..runs.runs.len())
        .map(|r| {
            let executions: Vec<(Outcome, usize, u32)> = t
                .in_run(r as u32)
                .map(|e| (e.outcome, e.view as usize, e.node))
                .collect();
            let links = if executions.is_empty() {
                view! { <span class="not-run" title="not run in this run">"–"</span> }.into_any()
            } else {
                executions
                    .into_iter()
                    .map(|(outcome, view, node)| {
                        let href = execution_href(state, view, node);
                        view! {
                            <a
                                class=format!("outcome {}", outcome.word())
                                href=href
                                on:click=move |e| {
                                    e.prevent_default();
                                    open_span(state, view, node);
                                }
                            >
                                {outcome.word()}
                            </a>
                        }
                    })
                    .collect_view()
                    .into_any()
            };
            view! { <td>{links}</td> }
        })
        .collect_view();
    let comparable = t.passed > 0 && t.failed > 0;
    let marked = matches!(t.verdict, Verdict::Broken | Verdict::Flaky);
    view! {
        <tr class:marked=marked>
            <th scope="row">
                <span class="test-name">{t.key()}</span>
                " "
                <span class=format!("verdict {}", t.verdict.word())>{t.verdict_text(" · ")}</span>
                {comparable.then(|| view! {
                    <button
                        type="button"
                        class="compare-button"
                        on:click=move |_| compare_default(state, index)
                    >
                        "Compare"
                    </button>
                })}
            </th>
            {cells}
            <td>{durations_chart(runs, t)}</td>
        </tr>
    }
}

#[component]
pub fn TestHistory() -> impl IntoView {
    let state = expect_context::<AppState>();
    let shown = RwSignal::new(FIRST_ROWS);
    let drawn = RwSignal::new(0usize);
    move || {
        state.data.with(|d| {
            let runs = &d.as_ref()?.runs;
            let limit = shown.get();
            let listed: Vec<(usize, &History)> = runs.tests.iter().enumerate().collect();
            let hidden = listed.len().saturating_sub(limit);
            let headers = runs
                .runs
                .iter()
                .map(|r| {
                    let about = [r.short_revision(), r.branch.as_str(), r.outcome()]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · ");
                    view! {
                        <th scope="col" title=r.key.clone()>
                            <span class="run-label">{r.label.clone()}</span>
                            " "
                            <span class="run-about">{about}</span>
                        </th>
                    }
                })
                .collect_view();
            // Rows are drawn a few per frame, so a history of hundreds of runs never blocks the
            // page for long: each frame draws about CELLS_PER_FRAME cells.
            let total = listed.len().min(limit);
            let per_frame = (CELLS_PER_FRAME / runs.runs.len().max(1)).max(1);
            drawn.set(per_frame.min(total));
            grow(drawn, per_frame, total);
            let rows = view! {
                <For
                    each=move || 0..drawn.get()
                    key=|i| *i
                    children=move |i| {
                        state.data.with_untracked(|d| {
                            let runs = &d.as_ref()?.runs;
                            Some(row(state, runs, i, runs.tests.get(i)?))
                        })
                    }
                />
            };
            let shown_tests = runs.tests.iter().filter(|t| !t.by_root).count();
            let flaky = runs.tests.iter().filter(|t| t.verdict == Verdict::Flaky).count();
            let broken = runs.tests.iter().filter(|t| t.verdict == Verdict::Broken).count();
            Some(view! {
                <section class="history" aria-labelledby="history-title">
                    <h2 id="history-title">"Test history"</h2>
                    <p class="panel-summary">
                        {format!(
                            "{} across {}: {broken} broken, {flaky} flaky. Traces without a test span are listed by their root span.",
                            plural(shown_tests, "test"),
                            plural(runs.runs.len(), "run"),
                        )}
                    </p>
                    <div class="table-scroll">
                        <table aria-label="Test history" class="history-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Test"</th>
                                    {headers}
                                    <th scope="col">"Durations"</th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                    {(hidden > 0).then(|| view! {
                        <button type="button" class="show-more" on:click=move |_| shown.set(usize::MAX)>
                            {format!("Show {hidden} more")}
                        </button>
                    })}
                </section>
            })
        })
    }
}
