//! The details panel: everything about the selected span, answering "why did it fail": summary,
//! CI and source links, semantic sections, exceptions as tracebacks, request and response bodies
//! as trees, events, links, and the raw attributes. Trace content is only ever text; only http(s)
//! URLs become links.

use leptos::prelude::*;
use sightline_core::insight::export::span_as_otlp_json;
use sightline_core::insight::semantic::{ci_links, sections, FieldKind, Link};
use sightline_core::insight::structured::{attribute_schema, from_attribute, parse_structured};
use sightline_core::{format_duration, format_timestamp_utc, KeyValue, Session, Span, Value};

use super::copy::CopyButton;
use super::exception::{ExceptionEvent, ExceptionView};
use super::json_tree::JsonTree;
use super::state::{AppState, Loaded};

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

/// The string value of attribute `key`.
fn attr_text<'a>(session: &'a Session, attrs: &[KeyValue], key: &str) -> Option<&'a str> {
    let sym = session.strings.lookup(key)?;
    attrs
        .iter()
        .find(|kv| kv.key == sym)
        .and_then(|kv| match kv.value {
            Value::Str(s) => Some(session.strings.get(s)),
            _ => None,
        })
}

/// Headers captured as `prefix<name>` attributes, as (name, value) pairs.
fn headers(session: &Session, attrs: &[KeyValue], prefix: &str) -> Vec<(String, String)> {
    let mut out: Vec<_> = attrs
        .iter()
        .filter_map(|kv| {
            let k = session.strings.get(kv.key);
            k.strip_prefix(prefix).map(|name| {
                let v = match from_attribute(session, &kv.value) {
                    Some(sightline_core::insight::structured::Json::Array(items))
                        if items.len() == 1 =>
                    {
                        match &items[0] {
                            sightline_core::insight::structured::Json::Str(s) => s.clone(),
                            other => other.to_json(),
                        }
                    }
                    _ => kv.value.display(&session.strings),
                };
                (name.to_string(), v)
            })
        })
        .collect();
    out.sort();
    out
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

/// The response body of a client span: on the span itself, or on its "Reading response body"
/// child (where Logfire's httpx instrumentation puts it).
fn response_body(d: &Loaded, trace: usize, index: u32) -> Option<String> {
    let s = &d.session;
    let tree = d.tree(trace)?;
    let node = tree.nodes.get(index as usize)?;
    let span = &s.spans[node.span as usize];
    if let Some(b) = attr_text(s, &span.attributes, "http.response.body.text") {
        return Some(b.to_string());
    }
    tree.nodes[index as usize + 1..]
        .iter()
        .take_while(|n| n.depth > node.depth)
        .filter(|n| n.parent == Some(index))
        .find_map(|n| {
            attr_text(
                s,
                &s.spans[n.span as usize].attributes,
                "http.response.body.text",
            )
        })
        .map(str::to_string)
}

fn exception_events(s: &Session, span: &Span) -> Vec<ExceptionEvent> {
    span.events
        .iter()
        .filter(|e| s.strings.get(e.name) == "exception")
        .map(|e| {
            let get = |k: &str| {
                attr_text(s, &e.attributes, k)
                    .unwrap_or_default()
                    .to_string()
            };
            let escaped = s.strings.lookup("exception.escaped").and_then(|k| {
                e.attributes
                    .iter()
                    .find(|kv| kv.key == k)
                    .map(|kv| kv.value.display(&s.strings))
            });
            ExceptionEvent {
                kind: get("exception.type"),
                message: get("exception.message"),
                stacktrace: get("exception.stacktrace"),
                escaped,
                offset: offset(span, e.time),
            }
        })
        .collect()
}

/// Where an event falls within its span, from 0 (start) to 1 (end).
fn event_position(span: &Span, time: u64) -> f64 {
    let d = span.duration();
    if d == 0 || time < span.start {
        return 0.0;
    }
    let f = (time - span.start) as f64 / d as f64;
    f.clamp(0.0, 1.0)
}

fn offset(span: &Span, time: u64) -> String {
    if time >= span.start && span.start > 0 {
        format!("+{}", format_duration(time - span.start))
    } else {
        String::new()
    }
}

#[allow(clippy::too_many_lines)]
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
        let n = node.children;
        return Some(
            view! {
                <h2 class="details-title">{format!("missing parent {missing}")}</h2>
                <p>
                    {format!(
                        "No span with id {missing} is in the loaded files, but {n} span{} below name{} it as parent. \
                         Its service may not export traces, or its spans are in a file not loaded.",
                        if n == 1 { "" } else { "s" },
                        if n == 1 { "s" } else { "" },
                    )}
                </p>
            }
            .into_any(),
        );
    }
    let span = &s.spans[node.span as usize];
    let name = s.shown_name(span).to_string();
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
    let scope = s.scopes.get(span.scope as usize);
    let scope_label = scope
        .map(|sc| {
            let (n, v) = (s.strings.get(sc.name), s.strings.get(sc.version));
            if v.is_empty() {
                n.to_string()
            } else {
                format!("{n} {v}")
            }
        })
        .unwrap_or_default();
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
        response_body(d, trace, index),
        headers(s, &span.attributes, "http.response.header."),
    );
    let arguments = ["fastapi.arguments.values", "fastapi.arguments.errors"]
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
        .collect_view();
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
                <dt>"Span ID"</dt><dd class="mono">{span_id}" "<CopyButton what="span ID" text=Callback::new(move |()| copy_span.clone())/></dd>
                <dt>"Parent"</dt><dd class="mono">{parent}</dd>
                <dt>"Trace ID"</dt><dd class="mono">{trace_id}" "<CopyButton what="trace ID" text=Callback::new(move |()| copy_trace.clone())/></dd>
                <dt>"Scope"</dt><dd>{scope_label}</dd>
            </dl>
            <div class="span-actions">
                <CopyButton what="span as JSON" text=Callback::new(move |()| otlp.clone())/>
                <span class="action-label">"Span as OTLP JSON"</span>
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
            {semantic.into_iter().map(|sec| view! {
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
            }).collect_view()}
            {(!other_events.is_empty()).then(|| view! {
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
            })}
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
