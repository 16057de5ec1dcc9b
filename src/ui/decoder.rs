//! Talks to the decoder Web Worker (src/bin/decoder.rs): hands it the files' bytes without
//! copying them through the page's wasm memory, shows its progress, and turns its answer into a
//! [`Loaded`] session. A fresh worker serves each load, so its memory is returned when it ends;
//! Cancel terminates it. The page itself never parses trace files.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
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

/// How long a finished worker lives on, so its memory is returned after the page has opened
/// the trace rather than during it.
const WORKER_END_DELAY: std::time::Duration = std::time::Duration::from_millis(1500);

/// How long after a load's answer the next load's worker is started. Started with the load (as
/// before), its start and warm-up (decoding 20,000 synthetic spans) ran beside the decoding
/// worker and the page on two cores: the 10k-span file decoded in 2x `JSON.parse` and the task
/// opening it took 140-200 ms in half the runs, against 20-25 ms in the others. Started here,
/// it warms up while the user reads the trace.
const SPARE_DELAY: std::time::Duration = std::time::Duration::from_millis(300);

/// A worker event handler, kept alive while a decode runs.
type Handler = Closure<dyn FnMut(JsValue)>;

/// Sets a `performance.mark`, which the benchmark reads.
pub fn mark(name: &str) {
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        let _ = perf.mark(name);
    }
}

/// The `kind` of a worker message.
fn kind(data: &JsValue) -> Option<String> {
    Reflect::get(data, &"kind".into())
        .ok()
        .and_then(|k| k.as_string())
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
        match kind(&data).as_deref() {
            Some("ready") => flag.set(true),
            Some("warm") => mark("sightline:spare-warm"),
            _ => {}
        }
    });
    worker.set_onmessage(Some(on_ready.as_ref().unchecked_ref()));
    state.spare.set_value(Some(Spare {
        worker,
        ready,
        _on_ready: on_ready,
    }));
}

/// Tells the waiting worker the sizes of the files the page is about to read, so it makes their
/// memory ready while the browser reads them (see `sightline_core::prepared`). A worker still
/// starting is not told: it could not hear it yet.
pub fn expect(state: AppState, sizes: &[f64]) {
    state.spare.with_value(|spare| {
        if let Some(spare) = spare.as_ref().filter(|s| s.ready.get()) {
            let message = Object::new();
            let list: Array = sizes.iter().map(|&s| JsValue::from_f64(s)).collect();
            let _ = Reflect::set(&message, &"expect".into(), &list);
            let _ = spare.worker.post_message(&message);
        }
    });
}

/// What the worker has sent and the page has not read yet.
#[derive(Default)]
struct Inbox {
    parts: VecDeque<Uint8Array>,
    /// The worker's last message (`Ok`), or why the decode ended (`Err`: a failure, "Cancelled.").
    end: Option<Result<JsValue, String>>,
    /// Wakes the reader waiting for the next message.
    wake: Option<js_sys::Function>,
}

impl Inbox {
    fn deliver(inbox: &RefCell<Inbox>, change: impl FnOnce(&mut Inbox)) {
        let wake = {
            let mut inbox = inbox.borrow_mut();
            change(&mut inbox);
            inbox.wake.take()
        };
        if let Some(wake) = wake {
            let _ = wake.call0(&JsValue::NULL);
        }
    }

    fn take_parts(inbox: &RefCell<Inbox>, data: &JsValue) {
        let parts = Reflect::get(data, &"model".into())
            .ok()
            .and_then(|m| m.dyn_into::<Array>().ok());
        Inbox::deliver(inbox, |inbox| match parts {
            Some(parts) => inbox
                .parts
                .extend(parts.iter().filter_map(|p| p.dyn_into::<Uint8Array>().ok())),
            None => inbox.end = Some(Err("the decoder sent no model".into())),
        });
    }
}

enum Next {
    Part(Uint8Array),
    End(Result<JsValue, String>),
    Wait,
}

/// Decodes files in a worker. `Err` carries a message for the user ("Cancelled." included).
///
/// The worker sends strings and spans as it decodes them, the rest of the session when it is
/// decoded and the trees once they are built; the page reads each piece as it comes, so on two
/// cores reading overlaps decoding.
pub async fn decode(
    state: AppState,
    load: u64,
    files: Vec<(String, Uint8Array)>,
) -> Result<Loaded, String> {
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

    let inbox: Rc<RefCell<Inbox>> = Rc::default();
    let start = {
        let (worker, message, transfer, inbox) = (
            worker.clone(),
            message.clone(),
            transfer.clone(),
            inbox.clone(),
        );
        move || {
            if worker
                .post_message_with_transfer(&message, &transfer)
                .is_err()
            {
                Inbox::deliver(&inbox, |i| {
                    i.end = Some(Err("the decoder could not be started".into()));
                });
            }
        }
    };
    let on_message = {
        let (inbox, start) = (inbox.clone(), start.clone());
        Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let data = e.unchecked_into::<MessageEvent>().data();
            match kind(&data).as_deref() {
                Some("ready") => start(),
                // Its warm-up ended just as the files were sent.
                Some("warm") => {}
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
                Some("parts") => Inbox::take_parts(&inbox, &data),
                Some("session") => {
                    mark("sightline:answer");
                    Inbox::take_parts(&inbox, &data);
                }
                Some("done") => {
                    Inbox::take_parts(&inbox, &data);
                    Inbox::deliver(&inbox, |i| i.end = Some(Ok(data)));
                }
                _ => {
                    let text = Reflect::get(&data, &"message".into())
                        .ok()
                        .and_then(|m| m.as_string())
                        .unwrap_or_else(|| "the decoder failed".into());
                    Inbox::deliver(&inbox, |i| i.end = Some(Err(text)));
                }
            }
        })
    };
    let on_error = {
        let inbox = inbox.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let text = e
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(web_sys::ErrorEvent::message)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "the decoder stopped (out of memory?)".into());
            Inbox::deliver(&inbox, |i| i.end = Some(Err(text)));
        })
    };
    // Cancel ends the decode with its message ("Cancelled.").
    let on_cancel = {
        let inbox = inbox.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |why: JsValue| {
            let text = why.as_string().unwrap_or_else(|| "Cancelled.".into());
            Inbox::deliver(&inbox, |i| {
                i.parts.clear();
                i.end = Some(Err(text));
            });
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    state.decoder.set_value(Some((
        load,
        worker.clone(),
        on_cancel
            .as_ref()
            .unchecked_ref::<js_sys::Function>()
            .clone(),
    )));
    if already_ready {
        start();
    }
    state
        .progress
        .set(Some(Progress::new("Decoding".into(), 0, None)));

    let result = read_answer(&inbox).await;
    // The worker's memory (about twice the files) is returned when it ends. Ended here, it was
    // unmapped while the page opened the trace, and 40-50 ms stalls landed in whatever the page
    // ran then (unmapping hundreds of megabytes holds the process's memory map, which the
    // page's own page faults wait for): the 1M file's longest task was 95-125 ms, and 0-86 ms
    // with the worker ended once the trace is on screen.
    worker.set_onmessage(None);
    worker.set_onerror(None);
    set_timeout(move || worker.terminate(), WORKER_END_DELAY);
    // The next load gets a warm worker too, started once this one's trace is on screen (unless
    // another load began meanwhile: that one starts it when it ends).
    set_timeout(
        move || {
            if state.load.get_value() == load {
                prepare(state);
            }
        },
        SPARE_DELAY,
    );
    state.decoder.update_value(|d| {
        if d.as_ref().is_some_and(|(l, ..)| *l == load) {
            *d = None;
        }
    });
    drop((on_message, on_error, on_cancel));
    let (loaded, data, reading) = result?;
    mark("sightline:decoded");
    publish_stats(&data, &reading);
    Ok(loaded)
}

/// What reading the answer cost the page: the model's size and its slowest piece (ms, and the
/// piece's kind: its first byte, the variant of `snapshot::Part`), for the benchmark.
#[derive(Default)]
struct Reading {
    model_bytes: u32,
    slowest_ms: f64,
    slowest_kind: u8,
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Reads the worker's pieces as they come, letting the browser paint and handle input between
/// them, until its last message. Returns the snapshot, that message and what reading cost.
async fn read_answer(inbox: &Rc<RefCell<Inbox>>) -> Result<(Loaded, JsValue, Reading), String> {
    let mut assembler = Assembler::new();
    let mut reading = Reading::default();
    loop {
        let next = {
            let mut inbox = inbox.borrow_mut();
            match inbox.parts.pop_front() {
                Some(part) => Next::Part(part),
                None => inbox.end.take().map_or(Next::Wait, Next::End),
            }
        };
        match next {
            Next::Part(bytes) => {
                reading.model_bytes += bytes.length();
                let started = now();
                let bytes = bytes.to_vec();
                assembler.add(&bytes)?;
                let took = now() - started;
                if took > reading.slowest_ms {
                    reading.slowest_ms = took;
                    reading.slowest_kind = bytes.first().copied().unwrap_or(0);
                }
                yield_to_browser().await;
            }
            Next::End(Ok(data)) => return Ok((assembler.finish()?, data, reading)),
            Next::End(Err(e)) => return Err(e),
            Next::Wait => {
                let inbox = inbox.clone();
                let wait = Promise::new(&mut |resolve, _| inbox.borrow_mut().wake = Some(resolve));
                let _ = JsFuture::from(wait).await;
            }
        }
    }
}

/// Leaves the last load's numbers on `window.sightlineStats` for the benchmark (scripts/bench):
/// time spent decoding in the worker, the worker's and the page's wasm memory, the model's size.
fn publish_stats(answer: &JsValue, reading: &Reading) {
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
    let _ = Reflect::set(
        &stats,
        &"modelBytes".into(),
        &f64::from(reading.model_bytes).into(),
    );
    let _ = Reflect::set(&stats, &"slowestPartMs".into(), &reading.slowest_ms.into());
    let _ = Reflect::set(
        &stats,
        &"slowestPartKind".into(),
        &f64::from(reading.slowest_kind).into(),
    );
    let _ = Reflect::set(&window, &"sightlineStats".into(), &stats);
}

thread_local! {
    /// A channel the page posts to itself to yield, and who waits for each message.
    static YIELDS: Option<(web_sys::MessageChannel, Rc<RefCell<VecDeque<js_sys::Function>>>)> = {
        let channel = web_sys::MessageChannel::new().ok();
        channel.map(|channel| {
            let waiting: Rc<RefCell<VecDeque<js_sys::Function>>> = Rc::default();
            let queue = waiting.clone();
            let on_message = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
                let next = queue.borrow_mut().pop_front();
                if let Some(resolve) = next {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            });
            channel.port1().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            on_message.forget();
            (channel, waiting)
        })
    };
}

/// Lets the browser run other tasks (input, paint) before continuing: a message to itself, which
/// (unlike a chain of zero timeouts, clamped to 4 ms after the fifth) comes back at once.
async fn yield_to_browser() {
    let promise = Promise::new(&mut |resolve, _| {
        YIELDS.with(|yields| match yields {
            Some((channel, waiting)) => {
                waiting.borrow_mut().push_back(resolve);
                let _ = channel.port2().post_message(&JsValue::NULL);
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        });
    });
    let _ = JsFuture::from(promise).await;
}

/// Stops the decode in progress, if any, which then ends with `why`.
pub fn cancel(state: AppState, why: &str) {
    if let Some((_, worker, reject)) = state.decoder.try_update_value(Option::take).flatten() {
        worker.terminate();
        let _ = reject.call1(&JsValue::NULL, &why.into());
    }
}
