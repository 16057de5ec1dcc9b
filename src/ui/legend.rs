//! The waterfall's legend: the opened trace's services in the colours of their bars, in the order
//! the trace meets them (the test, then the API, then the worker). Each is a button that searches
//! for that service's spans alone (`service==name`), so the search box's count, next/previous and
//! "only matching" work on it; pressed again, it clears the search.

use leptos::prelude::*;
use sightline_core::layout::{service_legend, LegendEntry};
use sightline_core::search::service_query;

use super::state::AppState;

#[component]
pub fn ServiceLegend() -> impl IntoView {
    let state = expect_context::<AppState>();
    let entries = Memo::new(move |_| {
        let trace = state.trace.get();
        state.data.with(|d| {
            d.as_ref()
                .and_then(|d| d.tree(trace).map(|t| service_legend(&d.session, t)))
                .unwrap_or_default()
        })
    });
    let item = move |LegendEntry { service, hue }: LegendEntry| {
        let query = service_query(&service);
        let pressed = {
            let query = query.clone();
            move || state.search.with(|s| *s == query)
        };
        let title = format!("Find the spans of {service} ({query}); press again to clear");
        view! {
            <li>
                <button
                    type="button"
                    class="legend-item"
                    aria-pressed=move || pressed().to_string()
                    title=title
                    on:click=move |_| {
                        let again = state.search.with_untracked(|s| *s == query);
                        state.search.set(if again { String::new() } else { query.clone() });
                    }
                >
                    <span class="swatch" style=format!("--hue:{hue}") aria-hidden="true"></span>
                    <span class="legend-name">{service}</span>
                </button>
            </li>
        }
    };
    view! {
        <ul class="legend" role="list" aria-label="Services" hidden=move || entries.with(Vec::is_empty)>
            <For each=move || entries.get() key=|e| e.service.clone() children=item/>
        </ul>
    }
}
