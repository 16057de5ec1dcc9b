//! The decoder Web Worker: receives trace files, decodes them with the pure core off the page's
//! main thread, and answers with the session in its compact binary form.
//!
//! Messages in: `{files: [{name, data: Uint8Array}]}` (buffers transferred). Messages out:
//! `{kind: "ready"}` once, `{kind: "progress", done, total, spans}`, then `{kind: "done", model:
//! [Uint8Array] (the snapshot in pieces), decodeMs, memoryBytes}` or `{kind: "error", message}`.

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::run();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the decoder is a Web Worker: it only runs in the browser");
}

#[cfg(target_arch = "wasm32")]
mod worker {
    use js_sys::{Array, Object, Reflect, Uint8Array};
    use sightline_core::Snapshot;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    /// Spans (or tree nodes) per piece of the answer: small enough that the page reads each
    /// piece in well under 100 ms.
    const PART_SIZE: usize = 20_000;

    fn set(obj: &Object, key: &str, value: &JsValue) {
        let _ = Reflect::set(obj, &key.into(), value);
    }

    fn post(
        scope: &DedicatedWorkerGlobalScope,
        kind: &str,
        fill: impl FnOnce(&Object),
        transfer: Option<&Array>,
    ) {
        let msg = Object::new();
        set(&msg, "kind", &kind.into());
        fill(&msg);
        let _ = match transfer {
            Some(t) => scope.post_message_with_transfer(&msg, t),
            None => scope.post_message(&msg),
        };
    }

    fn memory_bytes() -> f64 {
        Reflect::get(&wasm_bindgen::memory(), &"buffer".into())
            .and_then(|b| Reflect::get(&b, &"byteLength".into()))
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
    }

    fn handle(scope: &DedicatedWorkerGlobalScope, data: &JsValue) -> Result<(), String> {
        let files = Reflect::get(data, &"files".into()).map_err(|_| "no files in the message")?;
        let files: Array = files.dyn_into().map_err(|_| "files is not an array")?;
        let mut inputs: Vec<(String, Vec<u8>)> = Vec::with_capacity(files.length() as usize);
        let mut total = 0f64;
        for file in files.iter() {
            let name = Reflect::get(&file, &"name".into())
                .ok()
                .and_then(|n| n.as_string())
                .unwrap_or_default();
            let bytes: Uint8Array = Reflect::get(&file, &"data".into())
                .map_err(|_| "a file without data")?
                .dyn_into()
                .map_err(|_| "file data is not a Uint8Array")?;
            total += f64::from(bytes.length());
            inputs.push((name, bytes.to_vec()));
        }
        let started = js_sys::Date::now();
        let snapshot = Snapshot::decode_with_progress(inputs, |done, spans| {
            post(
                scope,
                "progress",
                |m| {
                    #[allow(clippy::cast_precision_loss)]
                    set(m, "done", &JsValue::from_f64(done as f64));
                    set(m, "total", &JsValue::from_f64(total));
                    #[allow(clippy::cast_precision_loss)]
                    set(m, "spans", &JsValue::from_f64(spans as f64));
                },
                None,
            );
        });
        let parts = snapshot.to_parts(PART_SIZE);
        let decode_ms = js_sys::Date::now() - started;
        let memory = memory_bytes();
        drop(snapshot);
        let model = Array::new();
        let transfer = Array::new();
        for part in &parts {
            let bytes = Uint8Array::from(part.as_slice());
            transfer.push(&bytes.buffer());
            model.push(&bytes);
        }
        post(
            scope,
            "done",
            |m| {
                set(m, "model", &model);
                set(m, "decodeMs", &JsValue::from_f64(decode_ms));
                set(m, "memoryBytes", &JsValue::from_f64(memory));
            },
            Some(&transfer),
        );
        Ok(())
    }

    pub fn run() {
        console_error_panic_hook::set_once();
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let reply_to = scope.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Err(message) = handle(&reply_to, &e.data()) {
                post(
                    &reply_to,
                    "error",
                    |m| set(m, "message", &message.into()),
                    None,
                );
            }
        });
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        // Tell the page the worker is ready (its wasm is instantiated).
        post(&scope, "ready", |_| {}, None);
    }
}
