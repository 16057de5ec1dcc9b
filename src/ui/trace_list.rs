//! The traces of the session, failing ones first: a listbox the user picks the trace from.

use leptos::prelude::*;
use sightline_core::{format_duration, format_timestamp_utc};

use super::state::AppState;

/// What one option shows, computed once per load.
#[derive(Clone, PartialEq)]
struct TraceEntry {
    /// The load this entry belongs to: a new load never reuses an old row.
    generation: u64,
    index: usize,
    title: String,
    services: String,
    spans: usize,
    errors: usize,
    duration: String,
    /// Start, as "2026-11-22 01:48:12.204 UTC" (empty without times).
    start: String,
}

#[component]
pub fn TraceList() -> impl IntoView {
    let state = expect_context::<AppState>();
    let entries = Memo::new(move |_| {
        let generation = state.generation.get();
        state.data.with(|d| {
            let Some(d) = d else { return Vec::new() };
            d.forest
                .traces
                .iter()
                .enumerate()
                .map(|(index, t)| {
                    let title = t
                        .root()
                        .map(|n| {
                            d.session
                                .display_name(&d.session.spans[n.span as usize])
                                .to_string()
                        })
                        .unwrap_or_default();
                    let services = t
                        .services
                        .iter()
                        .map(|s| d.session.strings.get(*s))
                        .collect::<Vec<_>>()
                        .join(", ");
                    TraceEntry {
                        generation,
                        index,
                        title,
                        services,
                        spans: t.span_count(),
                        errors: t.error_count,
                        duration: format_duration(t.end - t.start),
                        start: if t.start == 0 {
                            String::new()
                        } else {
                            format_timestamp_utc(t.start)
                        },
                    }
                })
                .collect::<Vec<_>>()
        })
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let count = entries.with(Vec::len);
        if count == 0 {
            return;
        }
        let current = state.trace.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowDown" => (current + 1).min(count - 1),
            "ArrowUp" => current.saturating_sub(1),
            "Home" => 0,
            "End" => count - 1,
            _ => return,
        };
        ev.prevent_default();
        if next != current {
            state.select_trace(next);
        }
    };
    view! {
        <nav class="trace-list">
            <h2 id="traces-heading">"Traces"</h2>
            <ul
                role="listbox"
                aria-label="Traces"
                tabindex="0"
                on:keydown=on_key
                aria-activedescendant=move || format!("trace-option-{}", state.trace.get())
            >
                <For
                    each=move || entries.get()
                    key=|e| (e.generation, e.index)
                    let:entry
                >
                    {
                        let index = entry.index;
                        let selected = move || state.trace.get() == index;
                        view! {
                            <li
                                role="option"
                                id=format!("trace-option-{index}")
                                class="trace-option"
                                class:selected=selected
                                data-status=(entry.errors > 0).then_some("error")
                                aria-selected=move || selected().to_string()
                                on:click=move |_| state.select_trace(index)
                            >
                                <span class="trace-title">{entry.title.clone()}</span>
                                <span class="trace-meta">
                                    {format!("{} spans · {}", entry.spans, entry.duration)}
                                    {(!entry.start.is_empty()).then(|| {
                                        // The clock time only; the date is in the tooltip.
                                        let time = entry.start.split(' ').nth(1).unwrap_or_default().to_string();
                                        view! { <span class="trace-start" title=format!("Started {}", entry.start)>{format!(" · {time}")}</span> }
                                    })}
                                    {(entry.errors > 0).then(|| view! {
                                        <span class="error-count">{format!(" · {} errors", entry.errors)}</span>
                                    })}
                                </span>
                                <span class="trace-services">{entry.services.clone()}</span>
                            </li>
                        }
                    }
                </For>
            </ul>
        </nav>
    }
}
