//! The details panel: everything about the selected span, answering "why did it fail": summary,
//! CI and source links, semantic sections, exceptions as tracebacks, request and response bodies
//! as trees, events, links, and the raw attributes. Trace content is only ever text; only http(s)
//! URLs become links.

use leptos::prelude::*;
use sightline_core::insight::export::span_as_otlp_json;
use sightline_core::insight::payload::{
    attr_text, event_position, exception_events, headers, offset, response_body,
};
use sightline_core::insight::semantic::{ci_links, sections, FieldKind, Link, Section};
use sightline_core::insight::structured::{attribute_schema, from_attribute, parse_structured};
use sightline_core::insight::summary::{missing_parent_text, summary};
use sightline_core::{Event, KeyValue, Session, Span, Value};

use super::copy::CopyButton;
use super::exception::ExceptionView;
use super::json_tree::JsonTree;
use super::state::{AppState, Loaded};

/// The span with its whole context (its test, exception, path, bodies, the passing run's
/// differences) as Markdown for an assistant ([`sightline_core::session::context`]).
fn assistant_context(state: AppState, view: usize, node: u32) -> String {
    state.data.with_untracked(|d| {
        d.as_ref()
            .and_then(|d| sightline_core::session::context::span_context(d, view, node))
            .unwrap_or_default()
    })
}

/// Characters of a long attribute value shown before "Show all".
const LONG_VALUE: usize = 2000;

/// A link that opens in a new tab and gives the opened page no handle on this one.
fn external_link(link: Link) -> impl IntoView {
    view! {
        <a href=link.url.clone() target="_blank" rel="noopener noreferrer" class="ci-link">{link.label}</a>
    }
}

/// The value of an attribute: a tree when it has structure, else its text.
fn value_view(session: &Session, key: &str, value: &Value, schema_text: Option<&str>) -> AnyView {
    if let Some(json) = from_attribute(session, value) {
        let schema = schema_text.and_then(|s| attribute_schema(s, key));
        return view! { <JsonTree label=key.to_string() value=json schema=schema/> }.into_any();
    }
    let text = value.display(&session.strings);
    let copy = text.clone();
    let what: &'static str = "value";
    // A huge value shows its start; all of it is one click (or a copy) away.
    let total = text.chars().count();
    let shown = RwSignal::new(total <= LONG_VALUE);
    let full = StoredValue::new(text);
    let body = move || {
        if shown.get() {
            full.get_value()
        } else {
            let cut: String = full.with_value(|t| t.chars().take(LONG_VALUE).collect());
            format!("{cut}…")
        }
    };
    view! {
        <span class="value-text" data-type=value.type_name()>{body}</span>
        {move || (!shown.get()).then(|| view! {
            " "
            <button type="button" class="link-button" on:click=move |_| shown.set(true)>
                {format!("Show all {total} characters")}
            </button>
        })}
        " "
        <CopyButton what=what text=Callback::new(move |()| copy.clone())/>
    }
    .into_any()
}

/// A table of attributes, sorted by key, hiding those the filter does not match.
fn attribute_table(
    session: &Session,
    caption: &'static str,
    attrs: &[KeyValue],
    dropped: u32,
    filter: &str,
    schema_text: Option<&str>,
) -> impl IntoView {
    let needle = filter.trim().to_lowercase();
    let mut rows: Vec<(String, &Value)> = attrs
        .iter()
        .map(|kv| (session.strings.get(kv.key).to_string(), &kv.value))
        .filter(|(k, v)| {
            needle.is_empty()
                || k.to_lowercase().contains(&needle)
                || v.display(&session.strings).to_lowercase().contains(&needle)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let shown = rows.len();
    view! {
        <table class="attrs">
            <caption>
                {caption}
                {(dropped > 0).then(|| format!(" ({dropped} dropped)"))}
                {(!needle.is_empty() && shown < attrs.len()).then(|| format!(" ({shown} of {} match)", attrs.len()))}
            </caption>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(k, v)| {
                        let value = value_view(session, &k, v, schema_text);
                        view! {
                            <tr>
                                <th scope="row">{k}</th>
                                <td class="value" data-type=v.type_name()>{value}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// A captured body (JSON as a tree, anything else as text) with its headers.
fn body_block(
    title: &'static str,
    body: Option<String>,
    headers: Vec<(String, String)>,
) -> Option<AnyView> {
    if body.is_none() && headers.is_empty() {
        return None;
    }
    let body_view = body.map(|b| match parse_structured(&b) {
        Some(json) => {
            view! { <JsonTree label=format!("{title} body") value=json schema=None/> }.into_any()
        }
        None => view! { <pre class="body-text">{b}</pre> }.into_any(),
    });
    Some(
        view! {
            <section class="payload" aria-label=title>
                <h3>{title}</h3>
                {body_view}
                {(!headers.is_empty()).then(|| view! {
                    <details class="headers">
                        <summary>{format!("{} headers", headers.len())}</summary>
                        <dl class="header-list">
                            {headers.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                        </dl>
                    </details>
                })}
            </section>
        }
        .into_any(),
    )
}

/// FastAPI's arguments and validation errors, as trees.
fn arguments_view(s: &Session, span: &Span, schema_text: Option<&str>) -> impl IntoView {
    ["fastapi.arguments.values", "fastapi.arguments.errors"]
        .iter()
        .filter_map(|key| {
            let sym = s.strings.lookup(key)?;
            let kv = span.attributes.iter().find(|kv| kv.key == sym)?;
            let json = from_attribute(s, &kv.value)?;
            let empty = matches!(&json, sightline_core::insight::structured::Json::Array(a) if a.is_empty());
            let title = if key.ends_with("errors") {
                "Validation errors"
            } else {
                "Arguments"
            };
            (!empty).then(|| {
                let schema = schema_text.and_then(|t| attribute_schema(t, key));
                view! {
                    <section class="payload" aria-label=title>
                        <h3>{title}</h3>
                        <JsonTree label=title.to_string() value=json schema=schema/>
                    </section>
                }
            })
        })
        .collect_view()
}

/// A semantic section (HTTP, Database, …) as a list of its fields.
fn section_view(sec: Section) -> impl IntoView {
    view! {
        <section class="semantic" aria-label=sec.title>
            <h3>{sec.title}</h3>
            <dl class="semantic-list">
                {sec.fields.into_iter().map(|field| {
                    let value = match field.kind {
                        FieldKind::Code => view! { <pre class="code"><code>{field.value}</code></pre> }.into_any(),
                        FieldKind::Link => view! {
                            <a href=field.value.trim().to_string() target="_blank" rel="noopener noreferrer">{field.value.clone()}</a>
                        }.into_any(),
                        FieldKind::Status(class) => view! { <span class="http-status" data-class=class>{field.value}</span> }.into_any(),
                        FieldKind::Text => view! { <span>{field.value}</span> }.into_any(),
                    };
                    view! { <dt>{field.label}</dt><dd>{value}</dd> }
                }).collect_view()}
            </dl>
        </section>
    }
}

/// The span's events other than exceptions, each placed on a track of the span's duration.
fn events_view(
    s: &Session,
    span: &Span,
    other_events: Vec<(String, String, &Event)>,
) -> impl IntoView {
    (!other_events.is_empty()).then(|| view! {
        <h3>"Events"{(span.dropped_events > 0).then(|| format!(" ({} dropped)", span.dropped_events))}</h3>
        <ol class="events">
            {other_events.into_iter().map(|(name, at, e)| view! {
                <li>
                    <span class="event-track" aria-hidden="true">
                        <span class="event-dot" style=format!("left:{:.2}%", event_position(span, e.time) * 100.0)></span>
                    </span>
                    <span class="event-name">{name}</span>" "<span class="event-time">{at}</span>
                    {(!e.attributes.is_empty()).then(|| attribute_table(s, "Event attributes", &e.attributes, e.dropped_attributes, "", None))}
                </li>
            }).collect_view()}
        </ol>
    })
}

fn details_view(
    state: AppState,
    d: &Loaded,
    trace: usize,
    index: u32,
    filter: RwSignal<String>,
) -> Option<AnyView> {
    let tree = d.tree(trace)?;
    let node = tree.nodes.get(index as usize)?;
    let s = &d.session;
    if let Some(missing) = tree.missing_parent_id(s, index) {
        let text = missing_parent_text(&missing.to_string(), node.children);
        return Some(
            view! {
                <h2 class="details-title">{format!("missing parent {missing}")}</h2>
                <p>{text}</p>
            }
            .into_any(),
        );
    }
    let span = &s.spans[node.span as usize];
    let sum = summary(s, tree, index)?;
    let resource = s.resources.get(span.resource as usize);
    let links_out = resource
        .map(|r| ci_links(s, &r.attributes))
        .unwrap_or_default();
    let semantic = sections(s, span);
    let exceptions = exception_events(s, span);
    let schema_text = attr_text(s, &span.attributes, "logfire.json_schema");
    let request = body_block(
        "Request",
        attr_text(s, &span.attributes, "http.request.body.text").map(str::to_string),
        headers(s, &span.attributes, "http.request.header."),
    );
    let response = body_block(
        "Response",
        d.tree(trace).and_then(|t| response_body(s, t, index)),
        headers(s, &span.attributes, "http.response.header."),
    );
    let arguments = arguments_view(s, span, schema_text);
    let other_events: Vec<_> = span
        .events
        .iter()
        .filter(|e| s.strings.get(e.name) != "exception")
        .map(|e| (s.strings.get(e.name).to_string(), offset(span, e.time), e))
        .collect();
    let span_links: Vec<_> = span
        .links
        .iter()
        .map(|l| {
            (
                format!("trace {} span {}", l.trace_id, l.span_id),
                l,
                d.forest.locate_from(s, trace, l.trace_id, l.span_id),
            )
        })
        .collect();
    let error = node.flags.error;
    let span_id = span.span_id.to_string();
    let trace_id = span.trace_id.to_string();
    let (copy_span, copy_trace) = (span_id.clone(), trace_id.clone());
    let otlp = span_as_otlp_json(s, span);
    // The tables follow the filter on their own, so typing keeps the box (and its focus).
    let tables = move || {
        let f = filter.get();
        state.data.with(|d| {
            let d = d.as_ref()?;
            let node = d.tree(trace)?.nodes.get(index as usize)?;
            let s = &d.session;
            let span = &s.spans[node.span as usize];
            let schema_text = attr_text(s, &span.attributes, "logfire.json_schema");
            let resource = s.resources.get(span.resource as usize);
            let scope = s.scopes.get(span.scope as usize);
            Some(view! {
                {attribute_table(s, "Span attributes", &span.attributes, span.dropped_attributes, &f, schema_text)}
                {resource.map(|r| attribute_table(s, "Resource attributes", &r.attributes, r.dropped_attributes, &f, None))}
                {scope.filter(|sc| !sc.attributes.is_empty()).map(|sc| attribute_table(s, "Scope attributes", &sc.attributes, 0, &f, None))}
            })
        })
    };
    Some(
        view! {
            <h2 class="details-title">{sum.name}</h2>
            {sum.template.map(|t| view! { <p class="template">{t}</p> })}
            <dl class="summary-list">
                <dt>"Service"</dt><dd>{sum.service}</dd>
                <dt>"Kind"</dt><dd>{sum.kind}</dd>
                <dt>"Status"</dt>
                <dd class:error=error>
                    {sum.status}
                    {(!sum.status_message.is_empty()).then(|| view! { <span class="status-message">{format!(": {}", sum.status_message)}</span> })}
                </dd>
                <dt>"Duration"</dt><dd>{sum.duration}</dd>
                <dt>"Start"</dt><dd>{sum.start}</dd>
                <dt>"Span ID"</dt><dd class="mono">{span_id}" "<CopyButton what="span ID" text=Callback::new(move |()| copy_span.clone())/></dd>
                <dt>"Parent"</dt><dd class="mono">{sum.parent}</dd>
                <dt>"Trace ID"</dt><dd class="mono">{trace_id}" "<CopyButton what="trace ID" text=Callback::new(move |()| copy_trace.clone())/></dd>
                <dt>"Scope"</dt><dd>{sum.scope}</dd>
            </dl>
            <div class="span-actions">
                <CopyButton what="span as JSON" text=Callback::new(move |()| otlp.clone())/>
                <span class="action-label">"Span as OTLP JSON"</span>
                <CopyButton what="for an assistant" text=Callback::new(move |()| assistant_context(state, trace, index))/>
                <span class="action-label">"With its context, as Markdown"</span>
            </div>
            {(!links_out.is_empty()).then(|| view! {
                <nav class="ci-links" aria-label="CI and source">
                    {links_out.into_iter().map(external_link).collect_view()}
                </nav>
            })}
            {exceptions.into_iter().map(|event| view! { <ExceptionView event=event/> }).collect_view()}
            {request}
            {response}
            {arguments}
            {semantic.into_iter().map(section_view).collect_view()}
            {events_view(s, span, other_events)}
            {(!span_links.is_empty()).then(|| view! {
                <h3>"Links"</h3>
                <ul class="links">
                    {span_links.into_iter().map(|(target, l, found)| view! {
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
                            {(!l.attributes.is_empty()).then(|| attribute_table(s, "Link attributes", &l.attributes, l.dropped_attributes, "", None))}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            <h3>"Attributes"</h3>
            <input
                type="search"
                class="attr-filter"
                aria-label="Filter attributes"
                placeholder="Filter attributes by key or value"
                prop:value=filter.get_untracked()
                on:input=move |ev| filter.set(event_target_value(&ev))
            />
            {tables}
        }
        .into_any(),
    )
}

#[component]
pub fn SpanDetails() -> impl IntoView {
    let state = expect_context::<AppState>();
    let filter = RwSignal::new(String::new());
    // The load whose details may be shown. A new load's details come in a task after the frame
    // that paints its waterfall: built in the same task, they were a third of the elements of
    // the task that opens a trace. Selecting a span in a shown load updates them at once.
    let shown_load = RwSignal::new(state.generation.get_untracked());
    Effect::new(move |_| {
        let load = state.generation.get();
        if load != shown_load.get_untracked() {
            request_animation_frame(move || {
                set_timeout(move || shown_load.set(load), std::time::Duration::ZERO);
            });
        }
    });
    // True while a new load's details wait for that frame.
    let opening = move || shown_load.get() != state.generation.get();
    let content = move || {
        if opening() {
            return view! { <p class="empty">"Opening the span's details…"</p> }.into_any();
        }
        let (trace, selected) = (state.trace.get(), state.selected.get());
        state.data.with(|d| {
            d.as_ref()
                .zip(selected)
                .and_then(|(d, index)| details_view(state, d, trace, index, filter))
                .unwrap_or_else(|| {
                    view! { <p class="empty">"Select a span to see its details."</p> }.into_any()
                })
        })
    };
    view! {
        <section
            class="span-details"
            role="region"
            aria-label="Span details"
            tabindex="-1"
            aria-busy=move || opening().then_some("true")
        >
            {move || state.history.with(|h| !h.is_empty()).then(|| view! {
                <button type="button" class="link-button back-button" on:click=move |_| state.back()>
                    "← Back to the previous span"
                </button>
            })}
            {content}
        </section>
    }
}
