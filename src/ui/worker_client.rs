//! Talks to the decoder Web Worker (src/bin/worker.rs) in the messages of
//! `sightline_core::wire::protocol`: hands it the files' bytes without
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

use sightline_core::session::preview::Glimpse;
use sightline_core::wire::protocol::{self, Costs, FromWorker, ToWorker};
use sightline_core::Assembler;

use super::state::{AppState, Loaded, Progress};

/// The worker's loader script, as Trunk writes it next to index.html (relative: any prefix works).
const WORKER_URL: &str = "./worker_loader.js";

/// How long a finished worker lives on, so its memory is returned after the page has opened
/// the trace rather than during it.
const WORKER_END_DELAY: std::time::Duration = std::time::Duration::from_millis(1500);

/// How long after a load's answer the next load's worker is started. Started with the load,
/// its start and warm-up ran beside the decoding worker and the page on two cores and slowed
/// both. Started here, it warms up while the user reads the trace.
const SPARE_DELAY: std::time::Duration = std::time::Duration::from_millis(300);

/// A worker event handler, kept alive while a decode runs.
type Handler = Closure<dyn FnMut(JsValue)>;

/// Sets a `performance.mark`, which the benchmark reads.
pub fn mark(name: &str) {
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        let _ = perf.mark(name);
    }
}

/// The head of a worker message; `Err` says why it could not be read.
fn head(data: &JsValue) -> Result<FromWorker, String> {
    let text = Reflect::get(data, &"head".into())
        .ok()
        .and_then(|h| h.as_string())
        .ok_or("the decoder sent a message without a head")?;
    protocol::from_text(&text)
}

/// A message for a worker: its head (the message as text, [`protocol::to_text`]), and the
/// buffers that go with it (transferred).
pub fn envelope(head: String, data: &Array) -> Object {
    let envelope = Object::new();
    let _ = Reflect::set(&envelope, &"head".into(), &head.into());
    let _ = Reflect::set(&envelope, &"data".into(), data);
    envelope
}

/// A worker started ahead of need, so loading a file does not wait for the decoder's wasm to be
/// fetched and compiled. `ready` turns true when the worker says so.
struct Spare {
    worker: Worker,
    ready: Rc<Cell<bool>>,
    _on_ready: Handler,
}

thread_local! {
    /// The worker waiting for the next load, if one was started.
    static SPARE: RefCell<Option<Spare>> = const { RefCell::new(None) };
}

/// Starts a spare worker for the next load, if none is waiting.
pub fn prepare() {
    if SPARE.with_borrow(Option::is_some) {
        return;
    }
    let Ok(worker) = Worker::new(WORKER_URL) else {
        return;
    };
    let ready = Rc::new(Cell::new(false));
    let flag = ready.clone();
    let on_ready = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let data = e.unchecked_into::<MessageEvent>().data();
        match head(&data) {
            Ok(FromWorker::Ready) => flag.set(true),
            Ok(FromWorker::Warm) => mark("sightline:spare-warm"),
            _ => {}
        }
    });
    worker.set_onmessage(Some(on_ready.as_ref().unchecked_ref()));
    SPARE.set(Some(Spare {
        worker,
        ready,
        _on_ready: on_ready,
    }));
}

/// Tells the waiting worker the sizes of the files the page is about to read, so it makes their
/// memory ready while the browser reads them (see `sightline_core::wire::buffers`). A worker
/// still starting is not told: it could not hear it yet.
pub fn expect(sizes: &[u64]) {
    SPARE.with_borrow(|spare| {
        if let Some(spare) = spare.as_ref().filter(|s| s.ready.get()) {
            let message = ToWorker::Expect {
                sizes: sizes.to_vec(),
            };
            let _ = spare
                .worker
                .post_message(&envelope(protocol::to_text(&message), &Array::new()));
        }
    });
}

/// What the worker has sent and the page has not read yet.
#[derive(Default)]
struct Inbox {
    parts: VecDeque<Uint8Array>,
    /// The latest preview not read yet (an older one unread is dropped for it).
    preview: Option<(Glimpse, Vec<Uint8Array>)>,
    /// What the decode cost (`Ok`, with the worker's last message), or why it ended (`Err`: a
    /// failure, "Cancelled.").
    end: Option<Result<Costs, String>>,
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

    /// The buffers of a message, if it has them.
    fn buffers(data: &JsValue) -> Option<Array> {
        Reflect::get(data, &"data".into())
            .ok()
            .and_then(|m| m.dyn_into::<Array>().ok())
    }

    fn take_parts(inbox: &RefCell<Inbox>, data: &JsValue) {
        let parts = Inbox::buffers(data);
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
    Preview(Glimpse, Vec<Uint8Array>),
    End(Result<Costs, String>),
    Wait,
}

/// Decodes files in a worker, given whole. `Err` carries a message for the user ("Cancelled."
/// included).
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
    let decoding = Decoding::start(state, load)?;
    let data = Array::new();
    let transfer = Array::new();
    for (_, bytes) in &files {
        data.push(bytes);
        transfer.push(&bytes.buffer());
    }
    let names = files.iter().map(|(name, _)| name.clone()).collect();
    decoding.send(&ToWorker::Decode { names }, &data, &transfer);
    state
        .progress
        .set(Some(Progress::new("Decoding".into(), 0, None)));
    decoding.answer().await
}

/// The bytes gathered into one `Chunk` message before it is sent.
const CHUNK_BYTES: u32 = 1 << 20;

/// How long gathered bytes wait for more before they are sent anyway.
const CHUNK_WAIT_MS: u64 = 30;

/// Pieces of a file gathered for the next `Chunk` message.
#[derive(Default)]
struct Pending {
    data: Vec<Uint8Array>,
    transfer: Vec<JsValue>,
    bytes: u32,
    timer: Option<TimeoutHandle>,
}

/// Sends the gathered pieces as one `Chunk` message (or holds it until the worker is ready).
fn flush(pending: &RefCell<Pending>, worker: &Worker, held: &Held) {
    let Pending {
        data,
        transfer,
        timer,
        ..
    } = std::mem::take(&mut *pending.borrow_mut());
    if let Some(timer) = timer {
        timer.clear();
    }
    if data.is_empty() {
        return;
    }
    let data: Array = data.into_iter().collect();
    let transfer: Array = transfer.into_iter().collect();
    send(worker, held, &ToWorker::Chunk, &data, &transfer);
}

/// Sends a message with its buffers, or holds it until the worker is ready.
fn send(worker: &Worker, held: &Held, message: &ToWorker, data: &Array, transfer: &Array) {
    let message = envelope(protocol::to_text(message), data);
    if let Some(held) = held.borrow_mut().as_mut() {
        held.push((message, transfer.clone()));
        return;
    }
    let _ = worker.post_message_with_transfer(&message, transfer);
}

/// Messages for a worker (with the buffers they transfer) held until it is ready; `None` once
/// it is.
type Held = Rc<RefCell<Option<Vec<(Object, Array)>>>>;

/// The answer as the page has read it: the snapshot, what the worker and the page spent.
type Answer = Result<(Loaded, Costs, Reading), String>;

/// A decode in a worker of its own. Files go to it whole ([`decode`]) or as they arrive
/// ([`Decoding::open`], [`Decoding::chunk`], [`Decoding::close`], then [`Decoding::finish`]);
/// the page reads the worker's pieces as they come from the start.
pub struct Decoding {
    state: AppState,
    load: u64,
    worker: Worker,
    /// Messages (and the buffers they transfer) held until the worker is ready; `None` once
    /// they were sent.
    held: Held,
    answer: Rc<RefCell<(Option<Answer>, Option<js_sys::Function>)>>,
    /// Spans the worker has decoded so far.
    spans: Rc<Cell<u64>>,
    /// While files still arrive, the download's progress is shown, not the worker's.
    arriving: Rc<Cell<bool>>,
    /// A file was opened (the first marks the start of the bytes, for the benchmark).
    opened: Cell<bool>,
    /// Pieces of the open file not sent yet.
    pending: Rc<RefCell<Pending>>,
    /// The answer was taken (or the decode abandoned): the worker is ended on a timer.
    released: bool,
    _handlers: [Handler; 3],
}

impl Drop for Decoding {
    /// A decode dropped before its answer (its load was superseded) ends its worker: no
    /// message may reach the handlers dropped with it.
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        if !self.released {
            self.worker.terminate();
            let load = self.load;
            let _ = self.state.decoder.try_update_value(|d| {
                if d.as_ref().is_some_and(|(l, ..)| *l == load) {
                    *d = None;
                }
            });
        }
    }
}

impl Decoding {
    /// Takes the spare worker (or starts one) and begins reading its answer.
    pub fn start(state: AppState, load: u64) -> Result<Decoding, String> {
        let (worker, already_ready) = match SPARE.take() {
            Some(spare) => (spare.worker, spare.ready.get()),
            None => (
                Worker::new(WORKER_URL).map_err(|_| {
                    "This browser could not start Sightline's decoder (a Web Worker).".to_string()
                })?,
                false,
            ),
        };
        let inbox: Rc<RefCell<Inbox>> = Rc::default();
        let held: Held = Rc::new(RefCell::new((!already_ready).then(Vec::new)));
        let spans = Rc::new(Cell::new(0u64));
        let arriving = Rc::new(Cell::new(false));
        let on_message = {
            let (inbox, held, worker) = (inbox.clone(), held.clone(), worker.clone());
            let (spans, arriving) = (spans.clone(), arriving.clone());
            Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
                let data = e.unchecked_into::<MessageEvent>().data();
                match head(&data) {
                    Ok(FromWorker::Ready) => {
                        for (message, transfer) in held.borrow_mut().take().unwrap_or_default() {
                            if worker
                                .post_message_with_transfer(&message, &transfer)
                                .is_err()
                            {
                                Inbox::deliver(&inbox, |i| {
                                    i.end = Some(Err("the decoder could not be started".into()));
                                });
                            }
                        }
                    }
                    // Its warm-up ended just as the files were sent.
                    Ok(FromWorker::Warm) => {}
                    Ok(FromWorker::Progress {
                        done,
                        total,
                        spans: so_far,
                    }) => {
                        spans.set(so_far);
                        if arriving.get() {
                            // The download's progress, with the spans decoded so far.
                            state.progress.update(|p| {
                                if let Some(p) = p {
                                    p.spans = Some(so_far);
                                }
                            });
                        } else {
                            state.progress.set(Some(Progress::new(
                                format!("Decoding ({so_far} spans so far)"),
                                done,
                                Some(total),
                            )));
                        }
                    }
                    Ok(FromWorker::Parts) => Inbox::take_parts(&inbox, &data),
                    Ok(FromWorker::Preview { glimpse }) => {
                        let parts: Vec<Uint8Array> = Inbox::buffers(&data)
                            .map(|a| a.iter().filter_map(|p| p.dyn_into().ok()).collect())
                            .unwrap_or_default();
                        Inbox::deliver(&inbox, |i| i.preview = Some((glimpse, parts)));
                    }
                    Ok(FromWorker::Session) => {
                        mark("sightline:answer");
                        Inbox::take_parts(&inbox, &data);
                    }
                    Ok(FromWorker::Done { costs }) => {
                        Inbox::take_parts(&inbox, &data);
                        Inbox::deliver(&inbox, |i| i.end = Some(Ok(costs)));
                    }
                    Ok(FromWorker::Failed { message }) | Err(message) => {
                        Inbox::deliver(&inbox, |i| i.end = Some(Err(message)));
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
        // The answer is read as it comes, from now on.
        let answer: Rc<RefCell<(Option<Answer>, Option<js_sys::Function>)>> = Rc::default();
        {
            let answer = answer.clone();
            leptos::task::spawn_local(async move {
                let read = read_answer(&inbox, state, load).await;
                let wake = {
                    let mut answer = answer.borrow_mut();
                    answer.0 = Some(read);
                    answer.1.take()
                };
                if let Some(wake) = wake {
                    let _ = wake.call0(&JsValue::NULL);
                }
            });
        }
        Ok(Decoding {
            state,
            load,
            worker,
            held,
            answer,
            spans,
            arriving,
            opened: Cell::new(false),
            pending: Rc::default(),
            released: false,
            _handlers: [on_message, on_error, on_cancel],
        })
    }

    /// Sends a message, or holds it until the worker is ready.
    fn send(&self, message: &ToWorker, data: &Array, transfer: &Array) {
        send(&self.worker, &self.held, message, data, transfer);
    }

    /// A file whose bytes follow as they arrive (`size` when known).
    pub fn open(&self, name: &str, size: Option<u64>) {
        if !self.opened.replace(true) {
            // The benchmark times a load from its bytes: here, from the first of them.
            mark("sightline:bytes");
        }
        self.arriving.set(true);
        let message = ToWorker::Open {
            name: name.to_string(),
            size,
        };
        self.send(&message, &Array::new(), &Array::new());
    }

    /// The open file's next bytes (their buffer is transferred to the worker). Pieces are
    /// gathered into messages of about [`CHUNK_BYTES`], or sent after [`CHUNK_WAIT_MS`] if no
    /// more come: a message per network read (64 KB) cost the page and the worker a task each.
    pub fn chunk(&self, bytes: &Uint8Array) {
        let full = {
            let mut pending = self.pending.borrow_mut();
            pending.bytes += bytes.length();
            pending.data.push(bytes.clone());
            pending.transfer.push(bytes.buffer().into());
            pending.bytes >= CHUNK_BYTES
        };
        if full {
            self.flush();
        } else if self.pending.borrow().timer.is_none() {
            let (pending, worker, held) =
                (self.pending.clone(), self.worker.clone(), self.held.clone());
            let timer = set_timeout_with_handle(
                move || flush(&pending, &worker, &held),
                std::time::Duration::from_millis(CHUNK_WAIT_MS),
            )
            .ok();
            self.pending.borrow_mut().timer = timer;
        }
    }

    /// Sends the gathered pieces now.
    fn flush(&self) {
        flush(&self.pending, &self.worker, &self.held);
    }

    /// The open file ended (early, with `error`: what came is kept, with a warning).
    pub fn close(&self, error: Option<String>) {
        self.flush();
        self.send(&ToWorker::Close { error }, &Array::new(), &Array::new());
    }

    /// Whether the decode has ended already (the worker failed, or was cancelled): no more
    /// bytes need be read for it.
    pub fn ended(&self) -> bool {
        self.answer.borrow().0.is_some()
    }

    /// Spans the worker has decoded so far.
    pub fn spans(&self) -> u64 {
        self.spans.get()
    }

    /// No more files: the session, once the worker has answered.
    pub async fn finish(self) -> Result<Loaded, String> {
        mark("sightline:last-byte");
        self.arriving.set(false);
        self.send(&ToWorker::Finish, &Array::new(), &Array::new());
        self.state.progress.set(Some(Progress::new(
            format!("Decoding ({} spans so far)", self.spans.get()),
            0,
            None,
        )));
        self.answer().await
    }

    /// Ends a decode that was given no file, quietly.
    pub fn abandon(self) {
        self.worker.terminate();
        self.release();
    }

    /// Waits for the answer read so far to end, then lets the worker go.
    async fn answer(self) -> Result<Loaded, String> {
        let result = loop {
            if let Some(result) = self.answer.borrow_mut().0.take() {
                break result;
            }
            let answer = self.answer.clone();
            let wait = Promise::new(&mut |resolve, _| answer.borrow_mut().1 = Some(resolve));
            let _ = JsFuture::from(wait).await;
        };
        // The worker's memory (about twice the files) is returned when it ends. Ended here, it
        // was unmapped while the page opened the trace, and stalls landed in whatever the page
        // ran then (unmapping hundreds of megabytes holds the process's memory map, which the
        // page's own page faults wait for). Ended once the trace is on screen, nothing waits.
        let worker = self.worker.clone();
        set_timeout(move || worker.terminate(), WORKER_END_DELAY);
        self.release();
        let (loaded, costs, reading) = result?;
        mark("sightline:decoded");
        publish_stats(&costs, &reading);
        Ok(loaded)
    }

    /// Forgets the worker's handlers and starts the next load's worker once this one's trace is
    /// on screen (unless another load began meanwhile: that one starts it when it ends).
    fn release(mut self) {
        self.released = true;
        let (state, load) = (self.state, self.load);
        set_timeout(
            move || {
                if state.load.get_value() == load {
                    prepare();
                }
            },
            SPARE_DELAY,
        );
        state.decoder.update_value(|d| {
            if d.as_ref().is_some_and(|(l, ..)| *l == load) {
                *d = None;
            }
        });
    }
}

/// What reading the answer cost the page: the model's size and its slowest piece (ms, and the
/// piece's kind: its first byte, the variant of `sightline_core::wire::Part`), for the benchmark.
#[derive(Default)]
struct Reading {
    model_bytes: u32,
    slowest_ms: f64,
    slowest_kind: u8,
}

/// The page's clock, in milliseconds.
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Reads the worker's pieces as they come, letting the browser paint and handle input between
/// them, until its last message, and shows the previews it sends meanwhile (load `load`'s).
/// Returns the snapshot, what the worker and the page spent.
async fn read_answer(
    inbox: &Rc<RefCell<Inbox>>,
    state: AppState,
    load: u64,
) -> Result<(Loaded, Costs, Reading), String> {
    let mut assembler = Assembler::new();
    let mut reading = Reading::default();
    loop {
        // The answer's pieces first, then its end; a preview only while neither waits.
        let next = {
            let mut inbox = inbox.borrow_mut();
            match inbox.parts.pop_front() {
                Some(part) => Next::Part(part),
                None => match inbox.end.take() {
                    Some(end) => Next::End(end),
                    None => match inbox.preview.take() {
                        Some((glimpse, parts)) => Next::Preview(glimpse, parts),
                        None => Next::Wait,
                    },
                },
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
            Next::Preview(glimpse, parts) => {
                // A preview that cannot be read is skipped: the answer itself is what counts.
                if let Ok(preview) = read_preview(inbox, parts).await {
                    if state.load.get_value() == load {
                        state.show_preview(preview, glimpse);
                        mark("sightline:preview");
                    }
                }
            }
            Next::End(Ok(costs)) => return Ok((assembler.finish()?, costs, reading)),
            Next::End(Err(e)) => return Err(e),
            Next::Wait => {
                let inbox = inbox.clone();
                let wait = Promise::new(&mut |resolve, _| inbox.borrow_mut().wake = Some(resolve));
                let _ = JsFuture::from(wait).await;
            }
        }
    }
}

/// Reads a preview's pieces, yielding to the browser between them; gives up (`Err`) when the
/// answer ends meanwhile, which then replaces it.
async fn read_preview(inbox: &RefCell<Inbox>, parts: Vec<Uint8Array>) -> Result<Loaded, String> {
    let mut assembler = Assembler::new();
    for part in parts {
        if inbox.borrow().end.is_some() {
            return Err("the answer came".into());
        }
        assembler.add(&part.to_vec())?;
        yield_to_browser().await;
    }
    assembler.finish()
}

/// Leaves the last load's numbers on `window.sightlineStats` for the benchmark (scripts/bench):
/// time spent decoding in the worker, the worker's and the page's wasm memory, the model's size.
fn publish_stats(costs: &Costs, reading: &Reading) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let page_memory = Reflect::get(&wasm_bindgen::memory(), &"buffer".into())
        .and_then(|b| Reflect::get(&b, &"byteLength".into()))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    let stats = Object::new();
    for (key, value) in [
        ("decodeMs", costs.decode_ms),
        ("encodeMs", costs.encode_ms),
        ("copyMs", costs.copy_ms),
        ("workerMemoryBytes", costs.memory_bytes),
    ] {
        let _ = Reflect::set(&stats, &key.into(), &value.into());
    }
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
