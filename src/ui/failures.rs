//! The failing tests of the session, each with the span that caused its failure (computed by
//! the worker: `sightline_core::report::Failures`), above the trace list. A click opens the
//! cause, wherever it is (another trace, a folded subtree), and Back returns.

use leptos::prelude::*;

use super::state::AppState;

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// "ValueError: cannot reserve 250 x TEAPOT-XL", or the message alone, on one line (the first
/// of a multi-line message); empty when there is neither.
fn error_text(kind: &str, message: &str) -> String {
    let message = message.lines().next().unwrap_or_default().trim();
    match (kind, message) {
        ("", message) => message.to_string(),
        (kind, "") => kind.to_string(),
        (kind, message) => format!("{kind}: {message}"),
    }
}

#[component]
pub fn FailingTests() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        state.data.with(|d| {
            let failures = &d.as_ref()?.failures;
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
            let items = failures
                .listed
                .iter()
                .map(|test| {
                    let (trace, node) = (test.trace, test.cause.node);
                    let cause = match error_text(&test.cause.kind, &test.cause.message) {
                        text if text.is_empty() => "failed (no message)".to_string(),
                        text => text,
                    };
                    // The test's own error (the assertion in the CI log), when the cause is
                    // another span's.
                    let own = Some(error_text(&test.kind, &test.message))
                        .filter(|own| !own.is_empty() && *own != cause && test.node != node);
                    let place = format!("{} · {}", test.cause.service, test.cause.span);
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
                        </li>
                    }
                })
                .collect_view();
            Some(view! {
                <section class="failures" aria-label="Failures">
                    <details open>
                        <summary><h2>{heading}</h2></summary>
                        <ul>{items}</ul>
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
