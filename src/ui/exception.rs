//! An `exception` event as a traceback: type and message first, then each exception of the chain
//! with its frames (library frames folded), the raw text one click away. Text in no known format
//! is shown raw.

use leptos::prelude::*;
use sightline_core::insight::payload::ExceptionEvent;
use sightline_core::insight::stacktrace::{parse, Exception, Frame};

fn frame_view(f: &Frame, raised: bool) -> impl IntoView {
    view! {
        <li class="frame" class:library=f.library class:raised=raised>
            <span class="frame-function">{if f.function.is_empty() { "(anonymous)".to_string() } else { f.function.clone() }}</span>
            " "
            <span class="frame-location">{f.location()}</span>
            {raised.then(|| view! { <span class="mark raised-mark">"raised here"</span> })}
            {f.source.clone().map(|src| view! { <pre class="frame-source"><code>{src}</code></pre> })}
        </li>
    }
}

/// The frames of one exception, runs of library frames folded into one expandable line.
fn frames_view(e: &Exception, innermost_last: bool) -> impl IntoView {
    let raised = e.raising_frame(innermost_last).cloned();
    let mut groups: Vec<(bool, Vec<Frame>)> = Vec::new();
    for f in &e.frames {
        match groups.last_mut() {
            Some((lib, fs)) if *lib == f.library => fs.push(f.clone()),
            _ => groups.push((f.library, vec![f.clone()])),
        }
    }
    view! {
        <ol class="frames">
            {groups
                .into_iter()
                .map(|(library, frames)| {
                    if library {
                        let n = frames.len();
                        view! {
                            <li class="library-frames">
                                <details>
                                    <summary>{format!("{n} library frame{}", if n == 1 { "" } else { "s" })}</summary>
                                    <ol class="frames">
                                        {frames.iter().map(|f| frame_view(f, Some(f) == raised.as_ref())).collect_view()}
                                    </ol>
                                </details>
                            </li>
                        }
                        .into_any()
                    } else {
                        frames
                            .iter()
                            .map(|f| frame_view(f, Some(f) == raised.as_ref()))
                            .collect_view()
                            .into_any()
                    }
                })
                .collect_view()}
        </ol>
    }
}

#[component]
pub fn ExceptionView(event: ExceptionEvent) -> impl IntoView {
    let parsed = parse(&event.stacktrace);
    let raw = event.stacktrace.clone();
    let has_raw = !raw.trim().is_empty();
    view! {
        <section class="exception" aria-label=format!("Exception {}", event.kind)>
            <p class="exception-head">
                <strong class="exception-type">{event.kind.clone()}</strong>
                {(!event.message.is_empty()).then(|| view! { <span class="exception-message">{format!(": {}", event.message)}</span> })}
                " "<span class="event-time">{event.offset}</span>
                {event.escaped.map(|e| view! { <span class="mark">{format!("escaped: {e}")}</span> })}
            </p>
            {parsed.map(|t| {
                let innermost_last = t.innermost_last();
                // One exception that says what the event says needs no second heading.
                let single = t.exceptions.len() == 1
                    && t.exceptions[0].kind == event.kind
                    && t.exceptions[0].message == event.message;
                let language = t.language.label();
                view! {
                    <p class="traceback-language">{format!("{language} stack trace")}</p>
                    {t.exceptions.iter().map(|e| view! {
                        <div class="traceback-block">
                            {e.relation.clone().map(|r| view! { <p class="relation">{r}</p> })}
                            {(!single).then(|| view! {
                                <p class="block-head">
                                    <strong>{e.kind.clone()}</strong>
                                    {(!e.message.is_empty()).then(|| format!(": {}", e.message))}
                                </p>
                            })}
                            {frames_view(e, innermost_last)}
                        </div>
                    }).collect_view()}
                }
            })}
            {has_raw.then(|| view! {
                <details class="raw-traceback" open=parse(&raw).is_none()>
                    <summary>"Raw stack trace"</summary>
                    <pre>{raw.clone()}</pre>
                </details>
            })}
        </section>
    }
}
