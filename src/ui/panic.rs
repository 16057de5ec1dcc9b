//! A bug must never leave a blank page: a panic is logged to the console and shown on the page
//! as an alert, written with plain DOM calls because the reactive system may be unusable by then.

/// Installs the hook. Idempotent.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Some(body) = doc.body() else { return };
        if let Ok(el) = doc.create_element("div") {
            el.set_class_name("panic");
            let _ = el.set_attribute("role", "alert");
            // Text only, never HTML: the message may quote trace content.
            el.set_text_content(Some(&format!(
                "Sightline hit a bug and stopped: {info}. Reload the page to start again; \
                 the browser console has the details."
            )));
            let _ = body.prepend_with_node_1(&el);
        }
    }));
}
