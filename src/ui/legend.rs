//! The waterfall's legend: the opened trace's services in the colours of their bars, in the order
//! the trace meets them (the test, then the API, then the worker). Each is a button that searches
//! for that service's spans alone (`service==name`), so the search box's count, next/previous and
//! "only matching" work on it; pressed again, it clears the search.

use leptos::prelude::*;
use sightline_core::view::legend::{service_legend, LegendEntry};
use sightline_core::view::search::service_query;

use super::state::AppState;

/// Services the legend names; a trace of more (a mesh, or a resource per span) says how many
/// others there are. 50,000 buttons took seconds to build and nobody reads them.
const LEGEND_LIMIT: usize = 24;

#[component]
pub fn ServiceLegend() -> impl IntoView {
    let state = expect_context::<AppState>();
    let legend = Memo::new(move |_| {
        let trace = state.trace.get();
        state.data.with(|d| {
            d.as_ref()
                .and_then(|d| {
                    d.tree(trace)
                        .map(|t| service_legend(&d.session, t, LEGEND_LIMIT))
                })
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
        <ul class="legend" role="list" aria-label="Services" hidden=move || legend.with(|(l, _)| l.is_empty())>
            <For each=move || legend.get().0 key=|e| e.service.clone() children=item/>
            {move || {
                let more = legend.with(|(_, more)| *more);
                (more > 0).then(|| view! {
                    <li class="legend-more" title="Search service==name for any of them">
                        {format!("and {more} more")}
                    </li>
                })
            }}
        </ul>
    }
}
