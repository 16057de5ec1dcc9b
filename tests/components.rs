//! Component tests in headless Chromium (wasm-bindgen-test): mount, act, tick, assert the DOM.
//! Run with `cargo test -p sightline --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // a test that cannot find its element should stop right there

use leptos::prelude::*;
use sightline::ui::{AppState, Loaded, RunsNav, RunsPanel, SpanDetails, TraceList, Waterfall};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

const SAMPLE: &[u8] = include_bytes!("fixtures/order-e2e.json");

/// Mounts `view` over the file `name` with `bytes`, loaded, into a fresh element.
fn mount<V: IntoView + 'static>(
    name: &str,
    bytes: &[u8],
    view: impl FnOnce() -> V + 'static,
) -> (AppState, HtmlElement) {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    let host: HtmlElement = doc.create_element("div").expect("div").unchecked_into();
    doc.body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    let state = AppState::new();
    state.show(Loaded::decode(vec![(name.into(), bytes.to_vec())]));
    leptos::mount::mount_to(host.clone(), move || {
        provide_context(state);
        view()
    })
    .forget();
    (state, host)
}

/// Mounts the trace list, waterfall and details over the sample into a fresh element.
fn mount_sample() -> (AppState, HtmlElement) {
    mount("order-e2e.json", SAMPLE, || {
        view! { <TraceList/><Waterfall/><SpanDetails/> }
    })
}

fn all(host: &HtmlElement, selector: &str) -> Vec<Element> {
    let list = host.query_selector_all(selector).expect("selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

fn rows(host: &HtmlElement) -> Vec<Element> {
    all(host, "[role=treegrid] [role=row]")
}

fn first_cell_text(row: &Element) -> String {
    row.query_selector("[role=gridcell]")
        .ok()
        .flatten()
        .and_then(|c| c.text_content())
        .unwrap_or_default()
}

fn click(el: &Element) {
    el.unchecked_ref::<HtmlElement>().click();
}

#[wasm_bindgen_test]
async fn waterfall_shows_the_failing_trace_as_a_treegrid() {
    let (state, host) = mount_sample();
    leptos::task::tick().await;
    let grid = host
        .query_selector("[role=treegrid]")
        .unwrap()
        .expect("treegrid");
    assert_eq!(
        grid.get_attribute("aria-label").as_deref(),
        Some("Waterfall")
    );
    let rows = rows(&host);
    let expected = state
        .data
        .with_untracked(|d| d.as_ref().unwrap().forest.traces[0].nodes.len());
    assert_eq!(rows.len(), expected);
    assert_eq!(
        grid.get_attribute("aria-rowcount"),
        Some(expected.to_string())
    );
    let root = &rows[0];
    assert_eq!(root.get_attribute("aria-level").as_deref(), Some("1"));
    assert_eq!(root.get_attribute("aria-expanded").as_deref(), Some("true"));
    assert!(
        first_cell_text(root).starts_with("pytest: e2e"),
        "{}",
        first_cell_text(root)
    );
    // The trace opens on the span that raised: the worker's reservation, not the root.
    assert_eq!(
        root.get_attribute("aria-selected").as_deref(),
        Some("false")
    );
    let selected = all(&host, "[role=row][aria-selected=true]");
    assert_eq!(selected.len(), 1);
    assert!(first_cell_text(&selected[0]).starts_with("reserve TEAPOT-XL"));
    // Logfire's formatted message is the display name; errors are marked on their rows.
    assert!(rows
        .iter()
        .any(|r| first_cell_text(r).starts_with("reserve TEAPOT-XL")
            && r.get_attribute("data-status").as_deref() == Some("error")));
    assert!(rows
        .iter()
        .any(|r| first_cell_text(r).starts_with("reserve MUG-BLUE")
            && r.get_attribute("data-status").is_none()));
}

#[wasm_bindgen_test]
async fn clicking_a_row_selects_it_and_shows_its_details() {
    let (_, host) = mount_sample();
    leptos::task::tick().await;
    let target = rows(&host)
        .into_iter()
        .find(|r| first_cell_text(r).starts_with("reserve MUG-BLUE"))
        .expect("worker row");
    click(&target);
    leptos::task::tick().await;
    assert_eq!(
        target.get_attribute("aria-selected").as_deref(),
        Some("true")
    );
    let selected: Vec<_> = all(&host, "[role=row][aria-selected=true]");
    assert_eq!(selected.len(), 1);
    let details = host
        .query_selector("[role=region][aria-label='Span details']")
        .unwrap()
        .expect("details region");
    let text = details.text_content().unwrap_or_default();
    assert!(text.contains("reserve MUG-BLUE"), "{text}");
    assert!(text.contains("order-worker"), "{text}");
    assert!(text.contains("UNSET"), "{text}");
    assert!(!text.contains("exceeds warehouse limit"), "{text}");
}

#[wasm_bindgen_test]
async fn collapsing_the_root_hides_its_subtree() {
    let (_, host) = mount_sample();
    leptos::task::tick().await;
    let before = rows(&host).len();
    let toggle = host
        .query_selector("[role=row] .toggle")
        .unwrap()
        .expect("toggle");
    click(&toggle);
    leptos::task::tick().await;
    let after = rows(&host);
    assert!(before > 1);
    assert_eq!(after.len(), 1);
    assert_eq!(
        after[0].get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    let grid = host
        .query_selector("[role=treegrid]")
        .unwrap()
        .expect("treegrid");
    assert_eq!(grid.get_attribute("aria-rowcount").as_deref(), Some("1"));
}

#[wasm_bindgen_test]
async fn choosing_another_trace_in_the_list_replaces_the_waterfall() {
    let (state, host) = mount_sample();
    leptos::task::tick().await;
    let options = all(&host, "[role=listbox][aria-label=Traces] [role=option]");
    let traces = state
        .data
        .with_untracked(|d| d.as_ref().unwrap().forest.traces.len());
    assert_eq!(options.len(), traces);
    assert_eq!(
        options[0].get_attribute("aria-selected").as_deref(),
        Some("true")
    );
    assert_eq!(
        options[0].get_attribute("data-status").as_deref(),
        Some("error")
    );
    click(&options[1]);
    leptos::task::tick().await;
    assert_eq!(
        options[1].get_attribute("aria-selected").as_deref(),
        Some("true")
    );
    assert_eq!(
        options[0].get_attribute("aria-selected").as_deref(),
        Some("false")
    );
    let expected = state
        .data
        .with_untracked(|d| d.as_ref().unwrap().forest.traces[1].nodes.len());
    assert_eq!(rows(&host).len(), expected);
}

/// The interner's hash must spread in wasm32 too (its hash functions differ by pointer width): a
/// hash that collapsed would still give right answers, only quadratically slowly.
#[wasm_bindgen_test]
fn interner_hashes_spread_in_wasm() {
    let mut strings = sightline_core::Interner::default();
    for n in 0..1000 {
        strings.intern(&format!("attribute value {n}"));
    }
    assert!(
        strings.distinct_hashes() > 990,
        "{}",
        strings.distinct_hashes()
    );
}

#[wasm_bindgen_test]
async fn the_names_separator_resizes_the_name_cells_by_keyboard() {
    // Widths need the real stylesheet, which the test page lacks.
    let doc = web_sys::window().unwrap().document().unwrap();
    let style = doc.create_element("style").unwrap();
    style.set_text_content(Some(include_str!("../style/main.css")));
    doc.head().unwrap().append_child(&style).unwrap();
    let (state, host) = mount_sample();
    leptos::task::tick().await;
    let sep: HtmlElement = host
        .query_selector("[role=separator][aria-label='Resize the span names']")
        .unwrap()
        .expect("the names' separator")
        .unchecked_into();
    assert_eq!(sep.tab_index(), 0, "focusable");
    let width = |selector: &str| {
        host.query_selector(selector)
            .unwrap()
            .expect(selector)
            .get_bounding_client_rect()
            .width()
    };
    let before = width(".wf-axis-name");
    let cell_before = width("[role=row] [role=gridcell]");
    assert!(before > 0.0 && (cell_before - before).abs() < 1.0);
    let press = |key: &str| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(key);
        init.set_bubbles(true);
        let ev =
            web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        sep.dispatch_event(&ev).unwrap();
    };
    // Each press is its own task in a browser: the page is updated in between.
    press("ArrowRight");
    leptos::task::tick().await;
    press("ArrowRight");
    leptos::task::tick().await;
    let wanted = (before + 16.0).round() as u16;
    // The second press measured the width the first gave.
    assert_eq!(state.panes.get_untracked().names, Some(wanted + 16));
    assert!((width("[role=row] [role=gridcell]") - f64::from(wanted + 16)).abs() < 1.0);
    // A key the separator does not handle changes nothing; a double click gives the default.
    press("a");
    assert_eq!(state.panes.get_untracked().names, Some(wanted + 16));
    sep.dispatch_event(&web_sys::MouseEvent::new("dblclick").unwrap())
        .unwrap();
    leptos::task::tick().await;
    assert_eq!(state.panes.get_untracked().names, None);
    assert!((width("[role=row] [role=gridcell]") - cell_before).abs() < 1.0);
    style.remove();
}

const RUNS: &[u8] = include_bytes!("fixtures/runs.zip");

/// The switch across runs and its panel over the six recorded runs: the history, broken first,
/// then a flaky test's comparison, whose first difference is the client's timeout.
#[wasm_bindgen_test]
async fn the_history_opens_and_a_flaky_test_compares_its_runs() {
    let (_, host) = mount("runs.zip", RUNS, || view! { <RunsNav/><RunsPanel/> });
    leptos::task::tick().await;
    let button = |label: &str| {
        all(&host, "button")
            .into_iter()
            .find(|b| b.text_content().unwrap_or_default().starts_with(label))
    };
    click(&button("Test history").unwrap());
    leptos::task::tick().await;
    let table = host
        .query_selector("table[aria-label='Test history']")
        .unwrap()
        .unwrap();
    let heads: Vec<String> = all(&host, "table[aria-label='Test history'] tbody th")
        .iter()
        .map(|h| h.text_content().unwrap_or_default())
        .collect();
    assert!(
        heads[0].starts_with("test_orders.py::test_bulk_order broken"),
        "{heads:?}"
    );
    assert!(
        heads[1].starts_with("test_orders.py::test_express_order flaky · 50% failed"),
        "{heads:?}"
    );
    assert_eq!(table.query_selector_all("thead th").unwrap().length(), 8);
    // The express test's row has a Compare button.
    let compare = all(&host, "table[aria-label='Test history'] tbody tr")[1]
        .query_selector("button")
        .unwrap()
        .unwrap();
    click(&compare);
    leptos::task::tick().await;
    let region = host
        .query_selector("[role=region][aria-label=Compare]")
        .unwrap();
    assert!(region.is_some(), "the Compare region opens");
    let first = all(&host, "table[aria-label='Span differences'] tbody tr")[0]
        .text_content()
        .unwrap_or_default();
    assert!(
        first.starts_with("e2e-tests › POST 127.0.0.1/orders"),
        "{first}"
    );
    assert!(first.contains("ERROR vs OK"), "{first}");
}
