//! The header: what is open, and a status line that says what was loaded.

use leptos::prelude::*;
use sightline_core::insight::semantic::session_ci_job;
use sightline_core::view::format::plural;
use sightline_core::view::url_state::is_http_url;

use super::load::cancel;
use super::open_button::OpenButton;
use super::preferences::{KeyboardHelp, ThemeToggle};
use super::state::AppState;

/// "33 spans · 5 traces · 3 services · 4 errors", the words tests and screen readers rely on.
fn summary(state: AppState) -> String {
    if let Some(p) = state.progress.get() {
        return p.text();
    }
    state.data.with(|d| match d {
        None => "No trace loaded".to_string(),
        Some(d) => {
            let mut parts = vec![
                plural(d.forest.span_count(), "span"),
                plural(d.forest.traces.len(), "trace"),
                plural(d.forest.service_count(), "service"),
                plural(d.forest.error_count(), "error"),
            ];
            if d.forest.duplicates > 0 {
                parts.push(format!("{} duplicates dropped", d.forest.duplicates));
            }
            format!("Loaded {}", parts.join(" · "))
        }
    })
}

/// The CI run of the trace in view, with links to its run and job pages (http(s) only); with
/// no run attributes, the session's CI job link, if any.
fn run_links(state: AppState) -> Option<AnyView> {
    let view = state.trace.get();
    state.data.with(|d| {
        let d = d.as_ref()?;
        let runs = &d.runs;
        let run = runs
            .run_of_view(&d.forest, view)
            .and_then(|r| runs.runs.get(r as usize));
        let link = |url: &str, text: String| {
            is_http_url(url).then(|| {
                view! {
                    <a class="header-ci-link" href=url.to_string() target="_blank" rel="noopener noreferrer" title=url.to_string()>
                        {text}
                    </a>
                }
            })
        };
        match run {
            Some(r) if !r.id.is_empty() || runs.runs.len() > 1 => {
                let label = if runs.runs.len() > 1 {
                    format!("Run {} of {}", r.label, runs.runs.len())
                } else {
                    format!("Run {}", r.label)
                };
                let run_link = link(&r.url, format!("{label} ↗"));
                let shown = run_link.is_none().then(|| view! { <span class="header-run">{label.clone()}</span> });
                let job = (r.job_url != r.url).then(|| link(&r.job_url, "CI job ↗".into())).flatten();
                Some(view! { {shown}{run_link}{job} }.into_any())
            }
            _ => session_ci_job(&d.session).map(|job| {
                view! {
                    <a class="header-ci-link" href=job.url.clone() target="_blank" rel="noopener noreferrer" title=job.url.clone()>
                        "CI job ↗"
                    </a>
                }
                .into_any()
            }),
        }
    })
}

#[component]
pub fn Header() -> impl IntoView {
    let state = expect_context::<AppState>();
    let files = move || {
        state.data.with(|d| {
            d.as_ref()
                .map(|d| d.session.files.join(", "))
                .unwrap_or_default()
        })
    };
    view! {
        <header class="app-header">
            <h1 class="brand">"Sightline"</h1>
            <span class="file-names" title=files>{files}</span>
            <p class="summary" role="status" aria-live="polite">{move || summary(state)}</p>
            {move || run_links(state)}
            {move || state.progress.get().map(|p| {
                let (value, max) = match p.total {
                    Some(t) if t > 0 => (Some(p.done as f64), t as f64),
                    _ => (None, 1.0),
                };
                view! {
                    <progress class="load-progress" aria-label="Loading progress" max=max value=value></progress>
                    <button type="button" class="cancel" on:click=move |_| cancel(state)>"Cancel"</button>
                }
            })}
            <CopyLinkButton/>
            <KeyboardHelp/>
            <ThemeToggle/>
            <OpenButton/>
        </header>
    }
}

/// While a load still arrives, the view is a preview of what was decoded so far: this says so,
/// and how much of it is shown; it stays, reworded, if the load stopped short.
#[component]
pub fn PreviewNote() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        state.preview.get().map(|(glimpse, arriving)| {
            view! { <p class="preview-note" role="status">{glimpse.text(arriving)}</p> }
        })
    }
}

/// Copies the page address (which follows the view) and confirms it in a toast.
#[component]
fn CopyLinkButton() -> impl IntoView {
    let state = expect_context::<AppState>();
    let toast = RwSignal::new(None::<String>);
    let on_click = move |_| {
        super::permalink::flush(state);
        let href = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default();
        let local = state.sources.get_value().is_empty()
            && state.data.with_untracked(|d| {
                d.as_ref()
                    .is_some_and(|d| d.session.files.iter().any(|f| f != "order-e2e.json"))
            });
        leptos::task::spawn_local(async move {
            let ok = super::copy::copy_text(href).await;
            toast.set(Some(match (ok, local) {
                (false, _) => "Could not copy the link: copy it from the address bar.".into(),
                (true, false) => "Link copied: it opens this view.".into(),
                (true, true) => "Link copied. The trace came from a local file, which the link cannot carry: it opens this view once the same file is opened.".into(),
            }));
            set_timeout(
                move || toast.set(None),
                std::time::Duration::from_millis(4000),
            );
        });
    };
    // The selected trace itself, gzipped into the link, when small enough: no server needed.
    let with_trace = move |_| {
        super::permalink::flush(state);
        let Some(window) = web_sys::window() else {
            return;
        };
        let location = window.location();
        let result = state.data.with_untracked(|d| {
            d.as_ref().map(|d| {
                sightline_core::insight::export::inline_trace(
                    &d.session,
                    &d.forest,
                    state.trace.get_untracked(),
                )
            })
        });
        let Some(result) = result else { return };
        let message = match result {
            Err(size) => {
                toast.set(Some(format!(
                    "This trace is too large to travel in a link: {} KB compressed, the limit is {} KB. Share the file, or a #src= link to where it is served.",
                    size / 1024,
                    sightline_core::insight::export::INLINE_LIMIT / 1024
                )));
                set_timeout(
                    move || toast.set(None),
                    std::time::Duration::from_millis(6000),
                );
                return;
            }
            Ok(data) => {
                let mut link = sightline_core::view::url_state::HashState::parse(
                    &location.hash().unwrap_or_default(),
                );
                link.sources.clear();
                link.files.clear();
                link.other.retain(|(k, _)| k != "data");
                let size = data.len();
                link.other.push(("data".into(), data));
                let href = format!(
                    "{}{}{}{}",
                    location.origin().unwrap_or_default(),
                    location.pathname().unwrap_or_default(),
                    location.search().unwrap_or_default(),
                    link.to_hash()
                );
                (href, size)
            }
        };
        let (href, size) = message;
        leptos::task::spawn_local(async move {
            let ok = super::copy::copy_text(href).await;
            toast.set(Some(if ok {
                format!(
                    "Link with the trace copied ({} KB): it opens with no server holding the file.",
                    size.div_ceil(1024)
                )
            } else {
                "Could not copy the link.".into()
            }));
            set_timeout(
                move || toast.set(None),
                std::time::Duration::from_millis(4000),
            );
        });
    };
    view! {
        <button type="button" class="header-button" on:click=on_click>"Copy link"</button>
        <button type="button" class="header-button" on:click=with_trace>"Copy link with trace"</button>
        <div class="toast" role="status" class:visible=move || toast.with(Option::is_some)>
            {move || toast.get()}
        </div>
    }
}
