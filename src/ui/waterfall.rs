//! The waterfall: an ARIA treegrid with one row per visible span, indented by depth, and a bar
//! placed by start and sized by duration on a shared time axis.

use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::CustomAttribute;
use sightline_core::format_duration;
use sightline_core::layout::{bar, service_hue, ticks, visible_rows, Window};
use wasm_bindgen::JsCast;

use super::state::{AppState, Loaded};

/// What one row shows, computed once per trace from the core's tree and layout.
#[derive(Clone, PartialEq)]
struct RowInfo {
    index: u32,
    key: (u64, u32),
    depth: u32,
    parent: Option<u32>,
    children: u32,
    name: String,
    service: String,
    hue: u16,
    kind: &'static str,
    error: bool,
    error_below: bool,
    missing_parent: bool,
    cycle_broken: bool,
    pending: bool,
    log: bool,
    no_time: bool,
    left: f64,
    width: f64,
    duration: String,
}

fn rows_of(d: &Loaded, trace: usize, generation: u64) -> Vec<RowInfo> {
    let Some(tree) = d.tree(trace) else {
        return Vec::new();
    };
    let window = Window::of_trace(tree);
    let s = &d.session;
    tree.nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            let span = &s.spans[node.span as usize];
            let b = bar(s, tree, index, window);
            let service = s.service_of(span).to_string();
            RowInfo {
                index,
                key: (generation, node.span),
                depth: node.depth,
                parent: node.parent,
                children: node.children,
                name: s.display_name(span).to_string(),
                hue: service_hue(&service),
                service,
                kind: span.kind.label(),
                error: node.flags.error,
                error_below: node.flags.error_below,
                missing_parent: node.flags.missing_parent,
                cycle_broken: node.flags.cycle_broken,
                pending: node.flags.pending,
                log: node.flags.log,
                no_time: b.no_time,
                left: b.left,
                width: b.width,
                duration: if b.no_time {
                    "no time".to_string()
                } else if node.flags.log {
                    "log".to_string()
                } else {
                    format_duration(span.duration())
                },
            }
        })
        .collect()
}

/// Moves focus to the selected row once the DOM shows it, and scrolls it into view.
fn focus_selected_row() {
    request_animation_frame(|| {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if let Ok(Some(el)) = doc.query_selector("[role=treegrid] [role=row][aria-selected=true]") {
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
                let opts = web_sys::ScrollIntoViewOptions::new();
                opts.set_block(web_sys::ScrollLogicalPosition::Nearest);
                el.scroll_into_view_with_scroll_into_view_options(&opts);
            }
        }
    });
}

#[component]
pub fn Waterfall() -> impl IntoView {
    let state = expect_context::<AppState>();
    let all_rows = Memo::new(move |_| {
        let (trace, generation) = (state.trace.get(), state.generation.get());
        state.data.with(|d| {
            d.as_ref()
                .map(|d| rows_of(d, trace, generation))
                .unwrap_or_default()
        })
    });
    let visible = Memo::new(move |_| {
        let trace = state.trace.get();
        let shown = state.data.with(|d| {
            d.as_ref()
                .and_then(|d| d.tree(trace))
                .map(|t| state.collapsed.with(|c| visible_rows(t, c)))
                .unwrap_or_default()
        });
        all_rows.with(|rows| {
            shown
                .iter()
                .filter_map(|&i| rows.get(i as usize).cloned())
                .collect::<Vec<_>>()
        })
    });
    // 1-based row position of each node under the current expansion (0 = hidden).
    let positions = Memo::new(move |_| {
        let mut pos = vec![0u32; all_rows.with(Vec::len)];
        visible.with(|v| {
            for (p, r) in v.iter().enumerate() {
                if let Some(slot) = pos.get_mut(r.index as usize) {
                    *slot = u32::try_from(p + 1).unwrap_or(u32::MAX);
                }
            }
        });
        pos
    });
    let axis = move || {
        let trace = state.trace.get();
        state.data.with(|d| {
            let Some(tree) = d.as_ref().and_then(|d| d.tree(trace)) else {
                return Vec::new();
            };
            let window = Window::of_trace(tree);
            ticks(window, tree.start, 8)
                .into_iter()
                .map(|t| {
                    view! {
                        <span class="tick" style=format!("left:{:.4}%", t.fraction * 100.0)>
                            {t.label}
                        </span>
                    }
                })
                .collect_view()
        })
    };

    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some(current) = state.selected.get_untracked() else {
            return;
        };
        let rows = visible.get_untracked();
        let Some(pos) = rows.iter().position(|r| r.index == current) else {
            return;
        };
        let row = &rows[pos];
        let expanded =
            row.children > 0 && !state.collapsed.with_untracked(|c| c.contains(&current));
        let target = match ev.key().as_str() {
            "ArrowDown" => rows.get(pos + 1).map(|r| r.index),
            "ArrowUp" => pos
                .checked_sub(1)
                .and_then(|p| rows.get(p))
                .map(|r| r.index),
            "Home" => rows.first().map(|r| r.index),
            "End" => rows.last().map(|r| r.index),
            "ArrowRight" if row.children > 0 && !expanded => {
                state.toggle(current);
                None
            }
            "ArrowRight" if expanded => rows.get(pos + 1).map(|r| r.index),
            "ArrowLeft" if expanded => {
                state.toggle(current);
                None
            }
            "ArrowLeft" => row.parent,
            "Enter" => {
                if let Some(el) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.query_selector(".span-details").ok().flatten())
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = el.focus();
                }
                ev.prevent_default();
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        if let Some(t) = target {
            state.selected.set(Some(t));
        }
        focus_selected_row();
    };

    view! {
        <section class="waterfall-pane" aria-labelledby="waterfall-heading">
            <h2 id="waterfall-heading" class="visually-hidden">"Waterfall"</h2>
            <div class="wf-axis" aria-hidden="true">
                <span class="wf-axis-name">"Span"</span>
                <span class="wf-axis-ticks">{axis}</span>
            </div>
            <div
                role="treegrid"
                aria-label="Waterfall"
                class="waterfall"
                aria-rowcount=move || visible.with(Vec::len)
                aria-colcount="2"
                on:keydown=on_key
            >
                <For each=move || visible.get() key=|r| r.key let:r>
                    {row_view(state, r, positions)}
                </For>
            </div>
        </section>
    }
}

fn row_view(state: AppState, r: RowInfo, positions: Memo<Vec<u32>>) -> impl IntoView {
    let i = r.index;
    let level = (r.depth + 1).to_string();
    let has_children = r.children > 0;
    let selected = move || state.selected.get() == Some(i);
    let collapsed = move || state.collapsed.with(|c| c.contains(&i));
    let bar_style = format!(
        "left:{:.4}%;width:max({:.4}%,1px);--hue:{}",
        r.left * 100.0,
        r.width * 100.0,
        r.hue
    );
    let label_left = (r.left + r.width) * 100.0;
    let label_style = if label_left > 85.0 {
        format!("right:{:.4}%", 100.0 - r.left * 100.0)
    } else {
        format!("left:{label_left:.4}%")
    };
    view! {
        <div
            role="row"
            class="wf-row"
            class:selected=selected
            class:error=r.error
            aria-selected=move || selected().to_string()
            aria-expanded=move || has_children.then(|| (!collapsed()).to_string())
            aria-rowindex=move || positions.with(|p| p.get(i as usize).copied().unwrap_or(0))
            data-status=r.error.then_some("error")
            tabindex=move || if selected() { "0" } else { "-1" }
            on:click=move |_| state.selected.set(Some(i))
        >
            <div role="gridcell" class="wf-name" style=format!("--depth:{}", r.depth)>
                <span
                    class="toggle"
                    aria-hidden="true"
                    data-state=move || match (has_children, collapsed()) {
                        (false, _) => "leaf",
                        (true, true) => "collapsed",
                        (true, false) => "expanded",
                    }
                    on:click=move |ev| {
                        ev.stop_propagation();
                        if has_children {
                            state.toggle(i);
                        }
                    }
                ></span>
                <span class="span-name">{r.name.clone()}</span>
                <span class="svc" style=format!("--hue:{}", r.hue)>{r.service.clone()}</span>
                <span class="kind" data-kind=r.kind title=format!("{} span", r.kind)></span>
                {r.error.then(|| view! {
                    <span class="mark error-mark" title="This span failed">
                        <span aria-hidden="true">"!"</span>
                        <span class="visually-hidden">"error"</span>
                    </span>
                })}
                {move || (r.error_below && !r.error && collapsed()).then(|| view! {
                    <span class="mark error-below" title="A span inside this collapsed subtree failed">"contains errors"</span>
                })}
                {r.missing_parent.then(|| view! { <span class="mark" title="Its parent span is not in the loaded files">"missing parent"</span> })}
                {r.cycle_broken.then(|| view! { <span class="mark" title="Its parent links formed a cycle, cut here">"cycle cut"</span> })}
                {r.pending.then(|| view! { <span class="mark" title="Only its start was exported: the span never ended in these files">"never ended"</span> })}
            </div>
            <div role="gridcell" class="wf-timeline">
                <div class="bar" class:error=r.error class:no-time=r.no_time class:log=r.log class:pending=r.pending style=bar_style></div>
                <span class="dur" style=label_style>{r.duration.clone()}</span>
            </div>
        </div>
    }
    // tachys knows no `aria-level` attribute, so the macro cannot set it: add it by name.
    .attr("aria-level", level)
}
