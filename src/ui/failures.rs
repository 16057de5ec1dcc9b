//! The failing tests of the session, each with the span that caused its failure (computed by
//! the worker: `sightline_core::insight::report::Failures`), above the trace list. A click opens the
//! cause, wherever it is (another trace, a folded subtree), and Back returns.

use leptos::prelude::*;
use sightline_core::insight::report::{error_text, markdown_table, FailingTest};
use sightline_core::view::format::plural;

use super::copy::CopyButton;
use super::permalink::span_link;
use super::state::AppState;

/// Failing test `index` (of those listed) with its whole context, as Markdown for an assistant
/// ([`sightline_core::session::context`]).
fn assistant_context(state: AppState, index: usize) -> String {
    state
        .data
        .with_untracked(|d| {
            let d = d.as_ref()?;
            sightline_core::session::context::failure_context(d, d.failures.listed.get(index)?)
        })
        .unwrap_or_default()
}

/// [`error_text`] on one line: the first of a multi-line message.
fn error_line(kind: &str, message: &str) -> String {
    error_text(kind, message.lines().next().unwrap_or_default().trim())
}

/// This page's address without its fragment: where links to causes point.
fn page_address() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|href| href.split('#').next().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// The failures as Markdown for a pull request or an issue: a heading, then a table of the
/// tests with their causes, each linked to its cause here (by the URLs the session was fetched
/// from, else by the local files' fingerprints, as "Copy link" does).
fn markdown(state: AppState, heading: &str) -> String {
    let base = page_address();
    let sources = state.sources.get_value();
    state.data.with_untracked(|d| {
        let Some(d) = d.as_ref() else {
            return String::new();
        };
        let link = |f: &FailingTest| {
            let link = span_link(sources.clone(), d, f.trace, f.cause.node);
            Some(format!("{base}{}", link.to_hash()))
        };
        let failures = &d.failures;
        let mut text = format!(
            "### Sightline: {heading}\n\n{}",
            markdown_table(&failures.listed, &link)
        );
        let more = failures.total.saturating_sub(failures.listed.len());
        if more > 0 {
            text.push_str(&format!("\nand {more} more.\n"));
        }
        text
    })
}

/// The failures shown at first: the list is laid out with the page as a trace opens, so a long
/// one lengthens that task; the rest come with a click.
const FIRST_SHOWN: usize = 20;

#[component]
pub fn FailingTests() -> impl IntoView {
    let state = expect_context::<AppState>();
    let shown = RwSignal::new(FIRST_SHOWN);
    Effect::new(move |_| {
        state.generation.track();
        shown.set(FIRST_SHOWN);
    });
    move || {
        state.data.with(|d| {
            let d = d.as_ref()?;
            let failures = &d.failures;
            if failures.total == 0 {
                return None;
            }
            let what = if failures.tests {
                "failing test"
            } else {
                "failing trace"
            };
            let heading = plural(failures.total, what);
            let more = failures.total.saturating_sub(failures.listed.len());
            let hidden = failures.listed.len().saturating_sub(shown.get());
            let items = failures
                .listed
                .iter()
                .take(shown.get())
                .enumerate()
                .map(|(index, test)| {
                    let (trace, node) = (test.trace, test.cause.node);
                    let cause = match error_line(&test.cause.kind, &test.cause.message) {
                        text if text.is_empty() => "failed (no message)".to_string(),
                        text => text,
                    };
                    // The test's own error (the assertion in the CI log), when the cause is
                    // another span's.
                    let own = Some(error_line(&test.kind, &test.message))
                        .filter(|own| !own.is_empty() && *own != cause && test.node != node);
                    let run = (d.runs.runs.len() > 1)
                        .then(|| d.runs.run_of_view(&d.forest, test.trace))
                        .flatten()
                        .and_then(|r| d.runs.runs.get(r as usize))
                        .map(|r| format!("{} · ", r.label))
                        .unwrap_or_default();
                    let place = format!("{run}{} · {}", test.cause.service, test.cause.span);
                    let title = match &own {
                        Some(own) => format!("{}\n{own}\ncaused by {cause}\nin {place}", test.name),
                        None => format!("{}\n{cause}\nin {place}", test.name),
                    };
                    // The cause on screen now: marked for sight and for screen readers.
                    let current = move || {
                        state.trace.get() == trace && state.selected.get() == Some(node)
                    };
                    view! {
                        <li>
                            <button
                                type="button"
                                class="failure"
                                title=title
                                aria-current=move || current().then_some("true")
                                on:click=move |_| state.go_to(trace, node)
                            >
                                <span class="failure-test">{test.name.clone()}</span>
                                {own.map(|own| view! { <span class="failure-own">{own}</span> })}
                                <span class="failure-cause">
                                    {(test.node != node).then_some("caused by ")}{cause}
                                </span>
                                <span class="failure-where">{place}</span>
                            </button>
                            <CopyButton
                                what="for an assistant"
                                text=Callback::new(move |()| assistant_context(state, index))
                            />
                        </li>
                    }
                })
                .collect_view();
            Some(view! {
                <section class="failures" aria-label="Failures">
                    <details open>
                        <summary><h2>{heading.clone()}</h2></summary>
                        <div class="failures-tools">
                            <CopyButton
                                what="the failures as Markdown"
                                text=Callback::new(move |()| markdown(state, &heading))
                            />
                            <span class="failures-hint">"as Markdown, with links"</span>
                        </div>
                        <ul>{items}</ul>
                        {(hidden > 0).then(|| view! {
                            <button
                                type="button"
                                class="show-more"
                                on:click=move |_| shown.set(usize::MAX)
                            >
                                {format!("Show {hidden} more")}
                            </button>
                        })}
                        {(more > 0).then(|| view! {
                            <p class="failures-more">
                                {format!("and {} more (the trace list has them, failing traces first)", plural(more, what))}
                            </p>
                        })}
                    </details>
                </section>
            })
        })
    }
}
