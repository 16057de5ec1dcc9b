//! The traces of the session, failing ones first: a listbox the user picks the trace from.

use leptos::prelude::*;
use sightline_core::view::search::TraceFilter;
use sightline_core::view::trace_list::{entries_of, texts, Linked, Texts, TraceEntry};
use sightline_core::view::virtual_list::{row_window, scroll_to_reveal};

use super::resize::observe_size;
use super::state::AppState;

/// Height of one option in CSS pixels (style/main.css `.trace-option`, plus the gap below it).
const OPTION_HEIGHT: f64 = 68.0;
/// Options rendered above and below the list's view.
const MARGIN_OPTIONS: usize = 6;
/// The list's height before it is measured.
const GUESSED_HEIGHT: f64 = 900.0;

/// The options to render: those in the view `height` px high that starts `top` px into the
/// list, with margins, and the selected one wherever it is (the listbox's
/// `aria-activedescendant` names it), as (position in the list, entry), in list order.
fn rendered(
    entries: &[TraceEntry],
    listed: &[usize],
    top: f64,
    height: f64,
    selected: Option<usize>,
) -> Vec<(usize, TraceEntry)> {
    let w = row_window(
        top,
        height,
        OPTION_HEIGHT,
        listed.len(),
        MARGIN_OPTIONS,
        true,
    );
    let mut positions: Vec<usize> = (w.first..w.last).collect();
    if let Some(pos) = selected.filter(|p| !(w.first..w.last).contains(p)) {
        let at = positions.partition_point(|p| *p < pos);
        positions.insert(at, pos);
    }
    positions
        .into_iter()
        .filter_map(|pos| Some((pos, entries.get(*listed.get(pos)?)?.clone())))
        .collect()
}

/// The entries of the load, and those the filter keeps (indices into the entries, in order).
fn list_memos(
    state: AppState,
    filter: RwSignal<String>,
) -> (Memo<Vec<TraceEntry>>, Memo<Vec<usize>>) {
    let entries = Memo::new(move |_| {
        let generation = state.generation.get();
        state.data.with(|d| {
            let Some(d) = d.as_ref() else {
                return Vec::new();
            };
            let mut entries = entries_of(&d.forest, generation);
            // Traces of failing tests first, then traces with errors (the order kept within).
            let failing: std::collections::HashSet<usize> =
                d.failures.listed.iter().map(|f| f.trace).collect();
            if d.failures.tests && !failing.is_empty() {
                let joint = d.forest.linked_views();
                let rank = |e: &TraceEntry| {
                    let view = joint.get(e.index).copied().flatten().unwrap_or(e.index);
                    if failing.contains(&e.index) || failing.contains(&view) {
                        0
                    } else {
                        u8::from(e.errors == 0) + 1
                    }
                };
                entries.sort_by_key(rank);
            }
            entries
        })
    });
    // What the filter looks in, per entry: made on the first filter typed.
    let haystacks = Memo::new(move |_| {
        entries.with(|entries| {
            state.data.with(|d| {
                d.as_ref().map_or_else(Vec::new, |d| {
                    entries
                        .iter()
                        .map(|e| texts(&d.session, &d.forest, e.index))
                        .collect::<Vec<Texts>>()
                })
            })
        })
    });
    let listed = Memo::new(move |_| {
        let query = filter.with(|f| TraceFilter::parse(f));
        if query.is_empty() {
            return (0..entries.with(Vec::len)).collect::<Vec<usize>>();
        }
        haystacks.with(|h| {
            h.iter()
                .enumerate()
                .filter(|(_, t)| query.matches(&[&t.title, &t.services, &t.trace_ids]))
                .map(|(k, _)| k)
                .collect()
        })
    });
    (entries, listed)
}

/// One option of the list: the trace's title, its errors, spans, duration and start, and its
/// services (after "linked" words for linked traces).
fn trace_option(
    state: AppState,
    current: Selector<usize>,
    listed: Memo<Vec<usize>>,
    pos: usize,
    entry: TraceEntry,
) -> impl IntoView {
    let index = entry.index;
    let Texts {
        title,
        services_shown: services,
        ..
    } = state
        .data
        .with_untracked(|d| d.as_ref().map(|d| texts(&d.session, &d.forest, index)))
        .unwrap_or_default();
    let together = matches!(entry.linked, Linked::Together(_));
    let selected = move || current.selected(&index);
    let (errors, meta) = entry.meta();
    // Which CI run the trace is from, when the session holds several.
    let run = state.data.with_untracked(|d| {
        let d = d.as_ref()?;
        let runs = &d.runs;
        if runs.runs.len() < 2 {
            return None;
        }
        let r = runs.run_of_view(&d.forest, index)?;
        runs.runs.get(r as usize).map(|r| r.label.clone())
    });
    view! {
        <li
            role="option"
            id=format!("trace-option-{index}")
            class="trace-option"
            class:selected=selected.clone()
            class:together=together
            data-status=(entry.errors > 0).then_some("error")
            aria-selected=move || selected().to_string()
            aria-setsize=move || listed.with(Vec::len)
            aria-posinset=pos + 1
            style=format!("top:{}px", pos as f64 * OPTION_HEIGHT)
            on:click=move |_| state.select_trace(index)
        >
            <span class="trace-title" title=title.clone()>{title.clone()}</span>
            <span class="trace-meta">
                {run.map(|run| view! { <span class="trace-run">{run}" · "</span> })}
                {errors.map(|text| view! { <span class="error-count">{text}</span> })}
                {meta}
                {entry.started().map(|(time, tooltip)| {
                    // The clock time only; the date is in the tooltip.
                    view! { <span class="trace-start" title=tooltip>{time}</span> }
                })}
            </span>
            <span class="trace-services" title=services.clone()>
                {entry.linked_text().map(|text| view! {
                    <span class="linked-mark" title="Its spans link to spans of other traces in this session">{text}</span>
                })}
                {services.clone()}
            </span>
        </li>
    }
}

/// The trace list, with a filter above it. Only the options in view (and the selected one) are
/// in the DOM, like the waterfall's rows: a test suite with a trace per test gives thousands of
/// traces, too many options to build in one task. Every option has the same height,
/// so its place follows from its position; `aria-setsize` and `aria-posinset` give assistive
/// technology the whole (filtered) list.
#[component]
pub fn TraceList() -> impl IntoView {
    let state = expect_context::<AppState>();
    // What the filter box holds.
    let filter = RwSignal::new(String::new());
    let (entries, listed) = list_memos(state, filter);
    // The view shown by the option at position `pos` of the (filtered) list.
    let view_at = move |pos: usize| {
        entries.with_untracked(|e| listed.with_untracked(|l| l.get(pos).map(|&k| e[k].index)))
    };
    // A new load starts unfiltered.
    Effect::new(move |_| {
        state.generation.track();
        filter.set(String::new());
    });
    // Options are in list order, which is not the order of the views' indices. `None` when the
    // current trace is filtered out.
    let selected_pos = Memo::new(move |_| {
        let view = state.trace.get();
        entries.with(|e| listed.with(|l| l.iter().position(|&k| e[k].index == view)))
    });
    let nav = NodeRef::<leptos::html::Nav>::new();
    let list = NodeRef::<leptos::html::Ul>::new();
    // The list's view: how far into the list it starts (px), and how high it is.
    let view_top = RwSignal::new(0.0f64);
    let view_height = RwSignal::new(0.0f64);
    let measure = move || {
        if let (Some(nav), Some(list)) = (nav.get_untracked(), list.get_untracked()) {
            let top = f64::from(nav.scroll_top()) - f64::from(list.offset_top());
            let height = f64::from(nav.client_height());
            if view_top.get_untracked() != top {
                view_top.set(top);
            }
            if view_height.get_untracked() != height {
                view_height.set(height);
            }
        }
    };
    // Its height changes with the window and with the failures list above it (shown for a
    // load, folded by the user).
    observe_size(move || nav.get().map(Into::into), measure);
    // The selected option stays in view: the keyboard, a permalink or a followed link may
    // select one far down the list.
    Effect::new(move |_| {
        let Some(pos) = selected_pos.get() else {
            return;
        };
        let height = match view_height.get_untracked() {
            h if h > 0.0 => h,
            _ => return,
        };
        if let Some(top) = scroll_to_reveal(pos, OPTION_HEIGHT, view_top.get_untracked(), height) {
            request_animation_frame(move || {
                if let (Some(nav), Some(list)) = (nav.get_untracked(), list.get_untracked()) {
                    nav.set_scroll_top((top + f64::from(list.offset_top())) as i32);
                    measure();
                }
            });
        }
    });
    let shown = Memo::new(move |_| {
        let top = view_top.get();
        let height = match view_height.get() {
            h if h > 0.0 => h,
            _ => GUESSED_HEIGHT,
        };
        let selected = selected_pos.get();
        entries.with(|e| listed.with(|l| rendered(e, l, top, height, selected)))
    });
    // One signal per option: switching traces wakes the two options whose selection changed.
    // With an effect per option reading the current trace, every switch would wake thousands
    // of them (a test suite with a trace per test).
    let current = Selector::new(move || state.trace.get());
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let count = listed.with(Vec::len);
        if count == 0 {
            return;
        }
        // With the current trace filtered out, the first key picks the first option.
        let at = selected_pos.get_untracked();
        let page = ((view_height.get_untracked() / OPTION_HEIGHT).floor() as usize).max(1);
        let next = match (ev.key().as_str(), at) {
            ("Home", _) | ("ArrowDown" | "ArrowUp" | "PageDown" | "PageUp", None) => 0,
            ("End", _) => count - 1,
            ("ArrowDown", Some(at)) => (at + 1).min(count - 1),
            ("ArrowUp", Some(at)) => at.saturating_sub(1),
            ("PageDown", Some(at)) => (at + page).min(count - 1),
            ("PageUp", Some(at)) => at.saturating_sub(page),
            _ => return,
        };
        ev.prevent_default();
        if let Some(next) = view_at(next).filter(|&v| v != state.trace.get_untracked()) {
            state.select_trace(next);
        }
    };
    view! {
        <nav class="trace-list" node_ref=nav on:scroll=move |_| measure()>
            <h2 id="traces-heading">"Traces"</h2>
            <div class="trace-filter">
                <input
                    type="search"
                    role="searchbox"
                    aria-label="Filter traces"
                    placeholder="Filter traces"
                    title="Keeps the traces whose root span names, services or trace ids contain every word"
                    prop:value=move || filter.get()
                    on:input=move |ev| {
                        filter.set(event_target_value(&ev));
                        // The filtered list starts at its top.
                        if let Some(nav) = nav.get_untracked() {
                            nav.set_scroll_top(0);
                        }
                        measure();
                    }
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        match ev.key().as_str() {
                            "Escape" => filter.set(String::new()),
                            // Enter opens the first trace kept (unless the current one is kept),
                            // ArrowDown goes on into the list.
                            "Enter" | "ArrowDown" => {
                                ev.prevent_default();
                                if selected_pos.get_untracked().is_none() {
                                    if let Some(view) = view_at(0) {
                                        state.select_trace(view);
                                    }
                                }
                                if ev.key() == "ArrowDown" {
                                    if let Some(list) = list.get_untracked() {
                                        let _ = list.focus();
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                />
                {move || filter.with(|f| !f.trim().is_empty()).then(|| {
                    let (shown, all) = (listed.with(Vec::len), entries.with(Vec::len));
                    view! { <span class="filter-count" role="status">{format!("{shown} of {all} shown")}</span> }
                })}
            </div>
            <ul
                role="listbox"
                aria-label="Traces"
                tabindex="0"
                node_ref=list
                on:keydown=on_key
                aria-activedescendant=move || selected_pos.get().map(|_| format!("trace-option-{}", state.trace.get()))
                style=move || format!("height:{}px", listed.with(Vec::len) as f64 * OPTION_HEIGHT)
            >
                <For
                    each=move || shown.get()
                    key=|(_, e)| (e.generation, e.index)
                    let:((pos, entry))
                >
                    {trace_option(state, current.clone(), listed, pos, entry)}
                </For>
            </ul>
        </nav>
    }
}
