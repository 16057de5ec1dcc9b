//! Following an element's size: the window's, a pane's dragged separator, content appearing
//! above it.

use leptos::prelude::*;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;

/// Calls `measure` whenever the element `target` gives changes size, and once when it is first
/// observed, for as long as the calling component lives. `target` is tracked (a `NodeRef`'s
/// `get`), so the element is observed once it is mounted. The browser calls back after layout,
/// so reading sizes then forces none.
pub fn observe_size(
    target: impl Fn() -> Option<web_sys::Element> + 'static,
    measure: impl Fn() + 'static,
) {
    // The callback lives as long as the component: its owner drops it.
    let on_resize = Closure::<dyn Fn()>::new(measure);
    let observer = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
    let observer = StoredValue::new_local((observer, on_resize));
    Effect::new(move |_| {
        if let Some(el) = target() {
            observer.with_value(|(o, _)| o.as_ref().map(|o| o.observe(&el)));
        }
    });
    on_cleanup(move || {
        observer.try_with_value(|(o, _)| o.as_ref().map(web_sys::ResizeObserver::disconnect));
    });
}
