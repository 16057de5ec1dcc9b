//! The bar above the waterfall: the span search with its match count and steps, the critical
//! path toggle, folding to a depth, and "Only matching spans".

use leptos::prelude::*;
use sightline_core::view::rows::{collapse_to_depth, visible_ancestor};
use sightline_core::view::search::Query;

use super::grid::Grid;
use super::input::step;

/// "3 matches (2 of 3 selected)": the search's count and where the selection is among them.
fn match_count(count: usize, current: Option<usize>) -> String {
    match (count, current) {
        (0, _) => "No matches".to_string(),
        (1, _) => "1 match".to_string(),
        (n, Some(i)) => format!("{n} matches ({} of {n} selected)", i + 1),
        (n, None) => format!("{n} matches"),
    }
}

/// Folds the whole tree to `levels` levels, keeping the selection on what stands for it.
fn collapse_to(grid: Grid, levels: u32) {
    let state = grid.state;
    let trace = state.trace.get_untracked();
    let collapsed = state.data.with_untracked(|d| {
        d.as_ref().and_then(|d| d.tree(trace)).map(|t| {
            let set = collapse_to_depth(t, levels);
            let keep = state
                .selected
                .get_untracked()
                .map(|s| visible_ancestor(t, &set, s));
            (set, keep)
        })
    });
    if let Some((set, keep)) = collapsed {
        state.collapsed.set(set);
        state.selected.set(keep);
    }
}

#[component]
pub(super) fn SearchBar(grid: Grid) -> impl IntoView {
    let state = grid.state;
    let matches = grid.matches;
    let current_match = move || {
        let selected = state.selected.get();
        matches.with(|m| m.iter().position(|&i| Some(i) == selected))
    };
    // The rest of the session, searched only when the trace in view has no match.
    let elsewhere = Memo::new(move |_| {
        if matches.with(|m| !m.is_empty()) {
            return None;
        }
        let query = state.search.with(|q| Query::parse(q));
        if query.is_empty() {
            return None;
        }
        let view = state.trace.get();
        state.data.with(|d| {
            d.as_ref()
                .map(|d| query.elsewhere(&d.session, &d.forest, view))
        })
    });
    view! {
        <div class="search-bar">
            <input
                type="search"
                role="searchbox"
                id="span-search"
                aria-label="Search spans"
                placeholder="Search spans: text, key=value, duration>100ms, -text, ids  ( / )"
                title="Words must all match. key=value (also name=, service=, kind=, status=); key==value for the whole value; key>n, key<=n on numbers and duration (ns, us, ms, s, m); -word excludes; \"quotes\" keep spaces"
                prop:value=move || state.search.get()
                on:input=move |ev| state.search.set(event_target_value(&ev))
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" {
                        ev.prevent_default();
                        step(grid, !ev.shift_key());
                    } else if ev.key() == "Escape" {
                        state.search.set(String::new());
                    }
                }
            />
            <button type="button" class="search-step" aria-label="Previous match" on:click=move |_| step(grid, false)>"↑"</button>
            <button type="button" class="search-step" aria-label="Next match" on:click=move |_| step(grid, true)>"↓"</button>
            <button
                type="button"
                class="toggle-button"
                aria-pressed=move || state.critical.get().to_string()
                title="Highlight the chain of spans that determined when the trace ended"
                on:click=move |_| state.critical.update(|c| *c = !*c)
            >
                "Critical path"
            </button>
            <select
                class="depth-select"
                aria-label="Collapse to depth"
                on:change=move |ev| collapse_to(grid, event_target_value(&ev).parse().unwrap_or(0))
            >
                <option value="0">"All levels"</option>
                {(1..=6).map(|n| view! { <option value=n.to_string()>{format!("{n} level{}", if n == 1 { "" } else { "s" })}</option> }).collect_view()}
            </select>
            <label class="only-matches">
                <input type="checkbox" prop:checked=move || state.only_matches.get() on:change=move |ev| state.only_matches.set(event_target_checked(&ev))/>
                "Only matching spans"
            </label>
            {move || (!state.search.with(|q| q.trim().is_empty())).then(|| {
                let count = matches.with(Vec::len);
                let text = match_count(count, current_match());
                let text = match elsewhere.get() {
                    Some(e) if count == 0 && e.matches > 0 => format!(
                        "No matches in this trace; {} in {} other trace{}",
                        e.matches,
                        e.traces.len(),
                        if e.traces.len() == 1 { "" } else { "s" }
                    ),
                    _ => text,
                };
                view! { <span class="match-count" role="status">{text}</span> }
            })}
            {move || {
                let e = elsewhere.get().filter(|e| !e.traces.is_empty())?;
                let (view, node) = e.traces[0];
                Some(view! {
                    <button
                        type="button"
                        class="search-elsewhere"
                        on:click=move |_| state.go_to(view, node)
                    >
                        "Show the next trace with matches"
                    </button>
                })
            }}
        </div>
    }
}
