//! The "Compare" region: a failing execution of a test against a passing one. The "Span
//! differences" table ranks what differs (the first row is the first divergence); the mean
//! durations over every run of the test say whether a difference is the rule; the aligned spans
//! are drawn side by side on one time scale, in one scrolling table; a row's attributes and
//! payloads are compared key by key.

use leptos::prelude::*;
use sightline_core::insight::runs::compare::{
    attribute_diff, Aligned, AttributeDiff, Comparison, Side,
};
use sightline_core::insight::runs::{Execution, Outcome};
use sightline_core::view::format::{format_duration, format_timestamp_utc};

use super::open_span;
use crate::ui::json_tree::JsonTree;
use crate::ui::state::AppState;
use sightline_core::view::format::plural;

/// Aligned rows drawn side by side; the differences table lists every difference whatever the
/// size.
const MAX_ALIGNED_ROWS: usize = 1_000;

fn side_text(s: &Side) -> String {
    if s.count == 0 {
        "—".into()
    } else if s.count == 1 {
        format_duration(s.duration)
    } else {
        format!("{} x · {}", s.count, format_duration(s.duration))
    }
}

fn execution_label(d: &crate::ui::state::Loaded, e: &Execution) -> String {
    let run = d
        .runs
        .runs
        .get(e.run as usize)
        .map_or("", |r| r.label.as_str());
    let when = if e.start == 0 {
        String::new()
    } else {
        format!(" · {}", format_timestamp_utc(e.start))
    };
    format!("{run} · {}{when}", format_duration(e.duration))
}

/// The two pickers: which failing and which passing execution of the test.
fn pickers(state: AppState, test: usize, failing: usize, passing: usize) -> impl IntoView {
    let options = move |want: Outcome, chosen: usize| {
        state.data.with_untracked(|d| {
            let d = d.as_ref()?;
            let t = d.runs.tests.get(test)?;
            Some(
                t.executions
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.outcome == want)
                    .map(|(i, e)| {
                        view! {
                            <option value=i.to_string() selected=i == chosen>
                                {execution_label(d, e)}
                            </option>
                        }
                    })
                    .collect_view(),
            )
        })
    };
    let pick = move |failing_side: bool| {
        move |ev: leptos::ev::Event| {
            let Ok(i) = event_target_value(&ev).parse::<usize>() else {
                return;
            };
            state.compare.update(|c| {
                if let Some(c) = c {
                    if failing_side {
                        c.1 = i;
                    } else {
                        c.2 = i;
                    }
                }
            });
        }
    };
    view! {
        <div class="compare-pickers">
            <label>
                "Failing "
                <select aria-label="Failing execution" on:change=pick(true)>
                    {options(Outcome::Fail, failing)}
                </select>
            </label>
            <label>
                "Passing "
                <select aria-label="Passing execution" on:change=pick(false)>
                    {options(Outcome::Pass, passing)}
                </select>
            </label>
        </div>
    }
}

fn span_cell(
    state: AppState,
    c: &Comparison,
    row: usize,
    chosen: RwSignal<Option<usize>>,
) -> impl IntoView {
    let r = &c.rows[row];
    let label = format!("{} › {}", r.service, r.name);
    let open = c
        .failing
        .zip(r.failing.node)
        .or(c.passing.zip(r.passing.node))
        .map(|((view, _), node)| (view as usize, node));
    view! {
        <button type="button" class="aligned-name" on:click=move |_| chosen.set(Some(row))>
            {label}
        </button>
        {open.map(|(view, node)| view! {
            <button
                type="button"
                class="open-span"
                title="Open this span in its trace"
                aria-label="Open in trace"
                on:click=move |_| open_span(state, view, node)
            >
                "↗"
            </button>
        })}
    }
}

fn differences_table(
    state: AppState,
    c: &Comparison,
    chosen: RwSignal<Option<usize>>,
) -> impl IntoView {
    let rows = c
        .differences
        .iter()
        .map(|d| {
            let row = d.row as usize;
            let r = &c.rows[row];
            view! {
                <tr class=format!("change-{:?}", d.change).to_lowercase()>
                    <th scope="row">{span_cell(state, c, row, chosen)}</th>
                    <td>{side_text(&r.passing)}</td>
                    <td>{side_text(&r.failing)}</td>
                    <td>
                        {d.text.clone()}
                        {d.critical.then_some(view! { <span class="critical-mark">" · critical path"</span> })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table aria-label="Span differences" class="differences-table">
            <thead>
                <tr>
                    <th scope="col">"Span"</th>
                    <th scope="col">"Passing"</th>
                    <th scope="col">"Failing"</th>
                    <th scope="col">"Difference"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        {c.differences.is_empty().then_some(view! {
            <p>"The two executions have the same spans, statuses and durations (within 10%)."</p>
        })}
    }
}

/// Mean durations over every run of the test, for the test span and each differing span.
fn means_table(c: &Comparison) -> impl IntoView {
    let mut rows: Vec<usize> = vec![0];
    rows.extend(
        c.differences
            .iter()
            .map(|d| d.row as usize)
            .filter(|&r| r != 0),
    );
    let mean = |ns: u64, n: u32| {
        if n == 0 {
            "—".to_string()
        } else {
            format!("{} ({})", format_duration(ns), plural(n as usize, "run"))
        }
    };
    let body = rows
        .into_iter()
        .filter_map(|r| Some((c.rows.get(r)?, c.means.get(r)?)))
        .map(|(row, m)| {
            view! {
                <tr>
                    <th scope="row">{format!("{} › {}", row.service, row.name)}</th>
                    <td>{mean(m.passing, m.passing_runs)}</td>
                    <td>{mean(m.failing, m.failing_runs)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table aria-label="Mean durations over all runs" class="means-table">
            <thead>
                <tr>
                    <th scope="col">"Span"</th>
                    <th scope="col">"Passing runs, mean"</th>
                    <th scope="col">"Failing runs, mean"</th>
                </tr>
            </thead>
            <tbody>{body}</tbody>
        </table>
    }
}

fn bar(side: &Side, scale: u64, failing: bool) -> Option<AnyView> {
    (side.count > 0).then(|| {
        let error = side.errors > 0;
        let pct = |ns: u64| 100.0 * ns as f64 / scale.max(1) as f64;
        let style = format!(
            "left:{:.3}%;width:max({:.3}%,2px)",
            pct(side.from).min(100.0),
            pct(side.to.saturating_sub(side.from)).min(100.0)
        );
        view! {
            <span class="aligned-bar" class:failing=failing class:error=error style=style></span>
        }
        .into_any()
    })
}

/// The two executions' spans side by side, aligned, on one time scale.
fn aligned_table(c: &Comparison, chosen: RwSignal<Option<usize>>) -> impl IntoView {
    let differing: std::collections::HashSet<u32> = c.differences.iter().map(|d| d.row).collect();
    let rows = c
        .rows
        .iter()
        .enumerate()
        .take(MAX_ALIGNED_ROWS)
        .map(|(i, r): (usize, &Aligned)| {
            let differs = differing.contains(&u32::try_from(i).unwrap_or(u32::MAX));
            let indent = format!("padding-left:{}px", 4 + 12 * r.depth.min(30));
            view! {
                <tr class:differs=differs aria-selected=move || (chosen.get() == Some(i)).to_string()>
                    <th scope="row" style=indent>
                        <button type="button" class="aligned-name" on:click=move |_| chosen.set(Some(i))>
                            {differs.then_some(view! { <span class="differs-mark" title="differs">"≠ "</span> })}
                            {format!("{} › {}", r.service, r.name)}
                        </button>
                    </th>
                    <td class="aligned-lane">{bar(&r.passing, c.scale, false)}</td>
                    <td class="aligned-lane">{bar(&r.failing, c.scale, true)}</td>
                </tr>
            }
        })
        .collect_view();
    let more = c.rows.len().saturating_sub(MAX_ALIGNED_ROWS);
    view! {
        <div class="table-scroll aligned-scroll">
            <table aria-label="Aligned spans" class="aligned-table">
                <thead>
                    <tr>
                        <th scope="col">"Span"</th>
                        <th scope="col">{format!("Passing (0 – {})", format_duration(c.scale))}</th>
                        <th scope="col">{format!("Failing (0 – {})", format_duration(c.scale))}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {(more > 0).then(|| view! {
            <p>{format!("The first {MAX_ALIGNED_ROWS} aligned spans are drawn; {more} more are in the differences above when they differ.")}</p>
        })}
    }
}

fn attribute_table(diffs: Vec<AttributeDiff>) -> impl IntoView {
    let trees = diffs
        .iter()
        .filter(|d| d.differs())
        .filter_map(|d| {
            let (a, b, paths) = d.trees.clone()?;
            let marks: crate::ui::json_tree::Marks = std::sync::Arc::new(paths.clone());
            Some(view! {
                <div class="payload-diff">
                    <h4>{d.key.clone()}</h4>
                    <p class="differing-keys">
                        {if paths.is_empty() { "Same content.".to_string() } else { format!("Differing keys: {}", paths.join(", ")) }}
                    </p>
                    <div class="payload-sides">
                        <JsonTree label=format!("{} (passing)", d.key) value=a schema=None marks=marks.clone()/>
                        <JsonTree label=format!("{} (failing)", d.key) value=b schema=None marks=marks/>
                    </div>
                </div>
            })
        })
        .collect_view();
    let rows = diffs
        .into_iter()
        .map(|d| {
            let differs = d.differs();
            view! {
                <tr class:differs=differs>
                    <th scope="row">
                        {differs.then_some(view! { <span class="differs-mark" title="differs">"≠ "</span> })}
                        {d.key}
                    </th>
                    <td class="mono">{d.passing.unwrap_or_else(|| "—".into())}</td>
                    <td class="mono">{d.failing.unwrap_or_else(|| "—".into())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table aria-label="Attribute differences" class="attribute-diff">
            <thead>
                <tr>
                    <th scope="col">"Attribute"</th>
                    <th scope="col">"Passing"</th>
                    <th scope="col">"Failing"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        {trees}
    }
}

#[component]
pub fn Compare() -> impl IntoView {
    let state = expect_context::<AppState>();
    let chosen = RwSignal::new(None::<usize>);
    // The comparison is computed here, on demand (a few milliseconds for thousands of spans).
    let comparison = Memo::new(move |_| {
        let (test, f, p) = state.compare.get()?;
        state.data.with(|d| {
            let d = d.as_ref()?;
            let t = d.runs.tests.get(test)?;
            let (fe, pe) = (t.executions.get(f)?, t.executions.get(p)?);
            let c = Comparison::of(
                &d.session,
                &d.forest,
                (fe.view, fe.node),
                (pe.view, pe.node),
            );
            Some(std::sync::Arc::new(c.with_means(&d.session, &d.forest, t)))
        })
    });
    Effect::new(move |_| {
        comparison.track();
        chosen.set(None);
    });
    let attributes = move || {
        let row = chosen.get()?;
        let c = comparison.get()?;
        let r = c.rows.get(row)?;
        state.data.with(|d| {
            let d = d.as_ref()?;
            let span = |at: Option<(u32, u32)>, node: Option<u32>| {
                let (view, _) = at?;
                let tree = d.forest.tree(view as usize)?;
                d.session
                    .spans
                    .get(tree.nodes.get(node? as usize)?.span as usize)
            };
            let diffs = attribute_diff(
                &d.session,
                span(c.passing, r.passing.node),
                span(c.failing, r.failing.node),
            );
            let title = format!("{} › {}", r.service, r.name);
            Some(view! {
                <section class="attribute-section" aria-label="Attributes compared">
                    <h3>{format!("Attributes of {title}")}</h3>
                    {attribute_table(diffs)}
                </section>
            })
        })
    };
    move || {
        let (test, f, p) = state.compare.get()?;
        let name = state
            .data
            .with(|d| d.as_ref()?.runs.tests.get(test).map(|t| t.key()))?;
        let body = comparison.get().map(|c| {
            view! {
                {differences_table(state, &c, chosen)}
                <h3>"Mean durations over all runs of the test"</h3>
                {means_table(&c)}
                <h3>"Side by side"</h3>
                {aligned_table(&c, chosen)}
            }
        });
        Some(view! {
            <section class="compare" role="region" aria-label="Compare">
                <h2>{format!("Compare: {name}")}</h2>
                {pickers(state, test, f, p)}
                {body}
                {attributes}
            </section>
        })
    }
}
