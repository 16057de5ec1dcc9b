//! Talks to the decoder Web Worker (src/bin/decoder.rs): hands it the files' bytes without
//! copying them through the page's wasm memory, shows its progress, and turns its answer into a
//! [`Loaded`] session. A fresh worker serves each load, so its memory is returned when it ends;
//! Cancel terminates it. The page itself never parses trace files.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker};

use sightline_core::Assembler;

use super::state::{AppState, Loaded, Progress};

/// The worker's loader script, as Trunk writes it next to index.html (relative: any prefix works).
const WORKER_URL: &str = "./decoder_loader.js";

/// A worker event handler, kept alive while a decode runs.
type Handler = Closure<dyn FnMut(JsValue)>;

/// Sets a `performance.mark`, which the benchmark reads.
pub fn mark(name: &str) {
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        let _ = perf.mark(name);
    }
}

fn number(obj: &JsValue, key: &str) -> f64 {
    Reflect::get(obj, &key.into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

/// A worker started ahead of need, so loading a file does not wait for the decoder's wasm to be
/// fetched and compiled. `ready` turns true when the worker says so.
pub struct Spare {
    worker: Worker,
    ready: Rc<Cell<bool>>,
    _on_ready: Handler,
}

/// Starts a spare worker for the next load, if none is waiting.
pub fn prepare(state: AppState) {
    if state.spare.with_value(Option::is_some) {
        return;
    }
    let Ok(worker) = Worker::new(WORKER_URL) else {
        return;
    };
    let ready = Rc::new(Cell::new(false));
    let flag = ready.clone();
    let on_ready = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let data = e.unchecked_into::<MessageEvent>().data();
        if Reflect::get(&data, &"kind".into())
            .ok()
            .and_then(|k| k.as_string())
            .as_deref()
            == Some("ready")
        {
            flag.set(true);
        }
    });
    worker.set_onmessage(Some(on_ready.as_ref().unchecked_ref()));
    state.spare.set_value(Some(Spare {
        worker,
        ready,
        _on_ready: on_ready,
    }));
}

/// Decodes files in a worker. `Err` carries a message for the user ("Cancelled." included).
pub async fn decode(state: AppState, files: Vec<(String, Uint8Array)>) -> Result<Loaded, String> {
    mark("sightline:bytes");
    let (worker, already_ready) = match state.spare.try_update_value(Option::take).flatten() {
        Some(spare) => (spare.worker, spare.ready.get()),
        None => (
            Worker::new(WORKER_URL).map_err(|_| {
                "This browser could not start Sightline's decoder (a Web Worker).".to_string()
            })?,
            false,
        ),
    };
    // The next load gets a warm worker too.
    prepare(state);
    let total: f64 = files.iter().map(|(_, b)| f64::from(b.length())).sum();
    let message = Object::new();
    let list = Array::new();
    let transfer = Array::new();
    for (name, bytes) in &files {
        let entry = Object::new();
        let _ = Reflect::set(&entry, &"name".into(), &name.into());
        let _ = Reflect::set(&entry, &"data".into(), bytes);
        list.push(&entry);
        transfer.push(&bytes.buffer());
    }
    let _ = Reflect::set(&message, &"files".into(), &list);

    // Keeps the handlers alive until the answer comes.
    let handlers: Rc<RefCell<Vec<Handler>>> = Rc::default();
    let answer = Promise::new(&mut |resolve, reject| {
        let job_worker = worker.clone();
        let (job_message, job_transfer) = (message.clone(), transfer.clone());
        let reject_now = reject.clone();
        let reject_on_error = reject.clone();
        let reject_on_cancel = reject.clone();
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let data = e.unchecked_into::<MessageEvent>().data();
            let kind = Reflect::get(&data, &"kind".into())
                .ok()
                .and_then(|k| k.as_string());
            match kind.as_deref() {
                Some("ready") => {
                    if job_worker
                        .post_message_with_transfer(&job_message, &job_transfer)
                        .is_err()
                    {
                        let _ = reject
                            .call1(&JsValue::NULL, &"the decoder could not be started".into());
                    }
                }
                Some("progress") => {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let (done, spans) =
                        (number(&data, "done") as u64, number(&data, "spans") as u64);
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    state.progress.set(Some(Progress::new(
                        format!("Decoding ({spans} spans so far)"),
                        done,
                        Some(total as u64),
                    )));
                }
                Some("done") => {
                    let _ = resolve.call1(&JsValue::NULL, &data);
                }
                _ => {
                    let text = Reflect::get(&data, &"message".into())
                        .ok()
                        .and_then(|m| m.as_string())
                        .unwrap_or_else(|| "the decoder failed".into());
                    let _ = reject.call1(&JsValue::NULL, &text.into());
                }
            }
        });
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let text = e
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(web_sys::ErrorEvent::message)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "the decoder stopped (out of memory?)".into());
            let _ = reject_on_error.call1(&JsValue::NULL, &text.into());
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        if already_ready
            && worker
                .post_message_with_transfer(&message, &transfer)
                .is_err()
        {
            let _ = reject_now.call1(&JsValue::NULL, &"the decoder could not be started".into());
        }
        handlers.borrow_mut().extend([on_message, on_error]);
        state
            .decoder
            .set_value(Some((worker.clone(), reject_on_cancel)));
    });
    state
        .progress
        .set(Some(Progress::new("Decoding".into(), 0, None)));
    let result = JsFuture::from(answer).await;
    worker.terminate();
    state.decoder.set_value(None);
    drop(handlers);
    let data = result.map_err(|e| e.as_string().unwrap_or_else(|| "the decoder failed".into()))?;
    mark("sightline:answer");
    let parts: Array = Reflect::get(&data, &"model".into())
        .map_err(|_| "the decoder sent no model")?
        .dyn_into()
        .map_err(|_| "the decoder sent no model")?;
    // Read the pieces one at a time, letting the browser paint and handle input in between.
    let mut assembler = Assembler::new();
    let mut model_bytes = 0u32;
    let count = parts.length();
    for (i, part) in parts.iter().enumerate() {
        let bytes: Uint8Array = part.dyn_into().map_err(|_| "the decoder sent no model")?;
        model_bytes += bytes.length();
        assembler.add(&bytes.to_vec())?;
        if i + 1 < count as usize {
            yield_to_browser().await;
        }
    }
    let loaded = assembler.finish()?;
    mark("sightline:decoded");
    publish_stats(&data, model_bytes);
    Ok(loaded)
}

/// Leaves the last load's numbers on `window.sightlineStats` for the benchmark (scripts/bench):
/// time spent decoding in the worker, the worker's and the page's wasm memory, the model's size.
fn publish_stats(answer: &JsValue, model_bytes: u32) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let page_memory = Reflect::get(&wasm_bindgen::memory(), &"buffer".into())
        .and_then(|b| Reflect::get(&b, &"byteLength".into()))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    let stats = Object::new();
    let _ = Reflect::set(
        &stats,
        &"decodeMs".into(),
        &number(answer, "decodeMs").into(),
    );
    for key in ["encodeMs", "copyMs"] {
        let _ = Reflect::set(&stats, &key.into(), &number(answer, key).into());
    }
    let _ = Reflect::set(
        &stats,
        &"workerMemoryBytes".into(),
        &number(answer, "memoryBytes").into(),
    );
    let _ = Reflect::set(&stats, &"pageMemoryBytes".into(), &page_memory.into());
    let _ = Reflect::set(&stats, &"modelBytes".into(), &f64::from(model_bytes).into());
    let _ = Reflect::set(&window, &"sightlineStats".into(), &stats);
}

/// Lets the browser run other tasks (input, paint) before continuing.
async fn yield_to_browser() {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Stops a decode in progress.
pub fn cancel(state: AppState) {
    if let Some((worker, reject)) = state.decoder.get_value() {
        worker.terminate();
        let _ = reject.call1(&JsValue::NULL, &"Cancelled.".into());
    }
}
