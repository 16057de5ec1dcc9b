//! The details panel: everything about the selected span, as text (never as HTML).

use leptos::prelude::*;
use sightline_core::{format_duration, format_timestamp_utc, KeyValue, Session};

use super::state::{AppState, Loaded};

/// A sorted (key, value, type) table of attributes.
fn attribute_rows(session: &Session, attrs: &[KeyValue]) -> Vec<(String, String, &'static str)> {
    let mut rows: Vec<_> = attrs
        .iter()
        .map(|kv| {
            (
                session.strings.get(kv.key).to_string(),
                kv.value.display(&session.strings),
                kv.value.type_name(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

fn attribute_table(
    caption: &'static str,
    rows: Vec<(String, String, &'static str)>,
    dropped: u32,
) -> impl IntoView {
    view! {
        <table class="attrs">
            <caption>{caption}{(dropped > 0).then(|| format!(" ({dropped} dropped)"))}</caption>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(k, v, t)| view! {
                        <tr>
                            <th scope="row">{k}</th>
                            <td class="value" data-type=t>{v}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

fn details_view(state: AppState, d: &Loaded, trace: usize, index: u32) -> Option<AnyView> {
    let tree = d.tree(trace)?;
    let node = tree.nodes.get(index as usize)?;
    let s = &d.session;
    let span = &s.spans[node.span as usize];
    let name = s.display_name(span).to_string();
    let raw_name = s.strings.get(span.name).to_string();
    let service = s.service_of(span).to_string();
    let status_message = s.strings.get(span.status.message).to_string();
    let status = span.status.code.label();
    let duration = if span.start == 0 || span.end == 0 {
        "unknown (no times in the file)".to_string()
    } else {
        format_duration(span.duration())
    };
    let start = if span.start == 0 {
        "unknown".to_string()
    } else {
        format!(
            "{} (+{} from trace start)",
            format_timestamp_utc(span.start),
            format_duration(span.start.saturating_sub(tree.start))
        )
    };
    let parent = match (span.parent_id, node.flags.missing_parent) {
        (None, _) => "none (root)".to_string(),
        (Some(p), true) => format!("{p} (not in the loaded files)"),
        (Some(p), false) => p.to_string(),
    };
    let scope = s
        .scopes
        .get(span.scope as usize)
        .map(|sc| {
            let (n, v) = (s.strings.get(sc.name), s.strings.get(sc.version));
            if v.is_empty() {
                n.to_string()
            } else {
                format!("{n} {v}")
            }
        })
        .unwrap_or_default();
    let attrs = attribute_rows(s, &span.attributes);
    let resource = s.resources.get(span.resource as usize);
    let resource_attrs = resource
        .map(|r| attribute_rows(s, &r.attributes))
        .unwrap_or_default();
    let resource_dropped = resource.map_or(0, |r| r.dropped_attributes);
    let events: Vec<_> = span
        .events
        .iter()
        .map(|e| {
            let offset = if e.time >= span.start && span.start > 0 {
                format!("+{}", format_duration(e.time - span.start))
            } else {
                String::new()
            };
            (
                s.strings.get(e.name).to_string(),
                offset,
                attribute_rows(s, &e.attributes),
            )
        })
        .collect();
    let links: Vec<_> = span
        .links
        .iter()
        .map(|l| {
            (
                format!("trace {} span {}", l.trace_id, l.span_id),
                attribute_rows(s, &l.attributes),
                d.forest.locate(s, l.trace_id, l.span_id),
            )
        })
        .collect();
    let error = node.flags.error;
    Some(
        view! {
            <h2 class="details-title">{name}</h2>
            {(raw_name != s.display_name(span)).then(|| view! { <p class="template">{raw_name}</p> })}
            <dl class="summary-list">
                <dt>"Service"</dt><dd>{service}</dd>
                <dt>"Kind"</dt><dd>{span.kind.label()}</dd>
                <dt>"Status"</dt>
                <dd class:error=error>
                    {status}
                    {(!status_message.is_empty()).then(|| view! { <span class="status-message">{format!(": {status_message}")}</span> })}
                </dd>
                <dt>"Duration"</dt><dd>{duration}</dd>
                <dt>"Start"</dt><dd>{start}</dd>
                <dt>"Span ID"</dt><dd class="mono">{span.span_id.to_string()}</dd>
                <dt>"Parent"</dt><dd class="mono">{parent}</dd>
                <dt>"Trace ID"</dt><dd class="mono">{span.trace_id.to_string()}</dd>
                <dt>"Scope"</dt><dd>{scope}</dd>
            </dl>
            {attribute_table("Attributes", attrs, span.dropped_attributes)}
            {(!events.is_empty()).then(|| view! {
                <h3>"Events"{(span.dropped_events > 0).then(|| format!(" ({} dropped)", span.dropped_events))}</h3>
                <ol class="events">
                    {events.into_iter().map(|(name, offset, attrs)| view! {
                        <li>
                            <span class="event-name">{name}</span>" "<span class="event-time">{offset}</span>
                            {attribute_table("Event attributes", attrs, 0)}
                        </li>
                    }).collect_view()}
                </ol>
            })}
            {(!links.is_empty()).then(|| view! {
                <h3>"Links"</h3>
                <ul class="links">
                    {links.into_iter().map(|(target, attrs, found)| view! {
                        <li>
                            <span class="mono">{target}</span>" "
                            {match found {
                                Some((t, n)) => view! {
                                    <button type="button" class="link-button" on:click=move |_| state.go_to(t, n)>
                                        "Go to linked span"
                                    </button>
                                }.into_any(),
                                None => view! { <span class="mark">"not loaded"</span> }.into_any(),
                            }}
                            {attribute_table("Link attributes", attrs, 0)}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {attribute_table("Resource attributes", resource_attrs, resource_dropped)}
        }
        .into_any(),
    )
}

#[component]
pub fn SpanDetails() -> impl IntoView {
    let state = expect_context::<AppState>();
    let content = move || {
        let (trace, selected) = (state.trace.get(), state.selected.get());
        state.data.with(|d| {
            d.as_ref()
                .zip(selected)
                .and_then(|(d, index)| details_view(state, d, trace, index))
                .unwrap_or_else(|| {
                    view! { <p class="empty">"Select a span to see its details."</p> }.into_any()
                })
        })
    };
    view! {
        <section class="span-details" role="region" aria-label="Span details" tabindex="-1">
            {move || state.history.with(|h| !h.is_empty()).then(|| view! {
                <button type="button" class="link-button back-button" on:click=move |_| state.back()>
                    "← Back to the previous span"
                </button>
            })}
            {content}
        </section>
    }
}
