//! The traces of the session, failing ones first: a listbox the user picks the trace from.

use leptos::prelude::*;
use sightline_core::{format_duration, format_timestamp_utc, TraceTree};

use super::state::{AppState, Loaded};

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
    /// "linked" on a trace that links to others, "2 linked traces together" on their joint view.
    linked: String,
    /// The option shows traces together.
    together: bool,
}

/// One option per trace, failing traces first; a group of traces that link to each other gets
/// one more option before its first trace, showing them together.
fn entries_of(d: &Loaded, generation: u64) -> Vec<TraceEntry> {
    let forest = &d.forest;
    let root_name = |t: &TraceTree| {
        t.root()
            .map(|n| {
                d.session
                    .shown_name(&d.session.spans[n.span as usize])
                    .to_string()
            })
            .unwrap_or_default()
    };
    let entry = |index: usize, t: &TraceTree, title: String, linked: String| TraceEntry {
        generation,
        index,
        title,
        services: t
            .services
            .iter()
            .map(|s| d.session.strings.get(*s))
            .collect::<Vec<_>>()
            .join(", "),
        spans: t.span_count(),
        errors: t.error_count,
        duration: format_duration(t.end - t.start),
        start: if t.start == 0 {
            String::new()
        } else {
            format_timestamp_utc(t.start)
        },
        linked,
        together: !t.members.is_empty(),
    };
    let mut out = Vec::new();
    for (index, t) in forest.traces.iter().enumerate() {
        let group = forest.joined_view_of(index);
        if let Some(view) = group {
            let joined = forest
                .tree(view)
                .filter(|j| j.members.iter().min() == Some(&index));
            if let Some(j) = joined {
                let title = j
                    .members
                    .iter()
                    .filter_map(|&m| forest.traces.get(m))
                    .map(root_name)
                    .collect::<Vec<_>>()
                    .join(" + ");
                let linked = format!("{} linked traces together", j.members.len());
                out.push(entry(view, j, title, linked));
            }
        }
        let linked = if group.is_some() {
            "linked".to_string()
        } else {
            String::new()
        };
        out.push(entry(index, t, root_name(t), linked));
    }
    out
}

#[component]
pub fn TraceList() -> impl IntoView {
    let state = expect_context::<AppState>();
    let entries = Memo::new(move |_| {
        let generation = state.generation.get();
        state.data.with(|d| {
            d.as_ref()
                .map(|d| entries_of(d, generation))
                .unwrap_or_default()
        })
    });
    // One signal per option: switching traces wakes the two options whose selection changed.
    // With an effect per option reading the current trace, 3,000 traces (a test suite with a
    // trace per test) made every switch a 409 ms task.
    let current = Selector::new(move || state.trace.get());
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let count = entries.with(Vec::len);
        if count == 0 {
            return;
        }
        // Options are in list order, which is not the order of the views' indices.
        let current = state.trace.get_untracked();
        let at = entries.with_untracked(|e| e.iter().position(|e| e.index == current).unwrap_or(0));
        let next = match ev.key().as_str() {
            "ArrowDown" => (at + 1).min(count - 1),
            "ArrowUp" => at.saturating_sub(1),
            "Home" => 0,
            "End" => count - 1,
            _ => return,
        };
        ev.prevent_default();
        let next = entries.with_untracked(|e| e[next].index);
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
                        let current = current.clone();
                        let selected = move || current.selected(&index);
                        view! {
                            <li
                                role="option"
                                id=format!("trace-option-{index}")
                                class="trace-option"
                                class:selected=selected.clone()
                                class:together=entry.together
                                data-status=(entry.errors > 0).then_some("error")
                                aria-selected=move || selected().to_string()
                                on:click=move |_| state.select_trace(index)
                            >
                                <span class="trace-title">{entry.title.clone()}</span>
                                <span class="trace-meta">
                                    {(!entry.linked.is_empty()).then(|| view! {
                                        <span class="linked-mark" title="Its spans link to spans of other traces in this session">{format!("{} · ", entry.linked)}</span>
                                    })}
                                    {format!("{} spans · {}", entry.spans, entry.duration)}
                                    {(!entry.start.is_empty()).then(|| {
                                        // The clock time only; the date is in the tooltip.
                                        let time = entry.start.split(' ').nth(1).unwrap_or_default().to_string();
                                        view! { <span class="trace-start" title=format!("Started {}", entry.start)>{format!(" · {time}")}</span> }
                                    })}
                                    {(entry.errors > 0).then(|| view! {
                                        <span class="error-count">{format!(" · {} error{}", entry.errors, if entry.errors == 1 { "" } else { "s" })}</span>
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
