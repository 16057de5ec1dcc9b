//! The decoder Web Worker: receives trace files, decodes them with the pure core off the page's
//! main thread, and answers with the session in its compact binary form.
//!
//! It speaks `sightline_core::wire::protocol`: it hears [`ToWorker`] (`Expect` the sizes of files
//! being read, then `Decode` with the files' bytes; or, for files decoded as they arrive, `Open`,
//! `Chunk`s and `Close` for each, then `Finish`) and answers [`FromWorker`] (`Ready` once,
//! `Warm` if its warm-up ran out before a file came, `Progress`, `Parts` and `Session` as the
//! session is decoded, then `Done` with the trees' pieces, or `Failed`).

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
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use js_sys::{Array, Object, Reflect, Uint8Array};
    use sightline_core::session::preview::{preview, Cadence, Due, PREVIEW_SPANS};
    use sightline_core::wire::buffers::Prepared;
    use sightline_core::wire::protocol::{self, Costs, FromWorker, ToWorker};
    use sightline_core::{
        decode_file, decode_session, forest_parts_each, Loaded, Session, StreamDecoder, Streamer,
        Warning,
    };
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    /// Spans (or tree nodes) per piece of the answer: small enough that the page reads each
    /// piece in well under the 100 ms a main-thread task may take, on a busy host too.
    const PART_SIZE: usize = 10_000;

    /// The least time between two progress messages (the last one is always sent).
    const PROGRESS_EVERY_MS: f64 = 50.0;

    /// The spans of a piece for a session expected to hold `expected` spans: an eighth of them,
    /// between 1,000 and [`PART_SIZE`]. A small file's pieces are small too, since each piece is
    /// encoded while the file and the session are in memory, and a big piece of a small file
    /// is a large share of it on top of them.
    fn part_size(expected: usize) -> usize {
        (expected / 8).clamp(1_000, PART_SIZE)
    }

    /// Sends `message` with `data` (pieces of the answer), whose buffers are transferred.
    fn post(
        scope: &DedicatedWorkerGlobalScope,
        message: &FromWorker,
        data: Option<(Array, Array)>,
    ) {
        let envelope = Object::new();
        let _ = Reflect::set(
            &envelope,
            &"head".into(),
            &protocol::to_text(message).into(),
        );
        let _ = match data {
            Some((data, transfer)) => {
                let _ = Reflect::set(&envelope, &"data".into(), &data);
                scope.post_message_with_transfer(&envelope, &transfer)
            }
            None => scope.post_message(&envelope),
        };
    }

    /// The head and the buffers of a message from the page.
    fn read(data: &JsValue) -> Result<(ToWorker, Array), String> {
        let head = Reflect::get(data, &"head".into())
            .ok()
            .and_then(|h| h.as_string())
            .ok_or("a message without a head")?;
        let buffers = Reflect::get(data, &"data".into())
            .ok()
            .and_then(|d| d.dyn_into::<Array>().ok())
            .unwrap_or_default();
        Ok((protocol::from_text(&head)?, buffers))
    }

    fn memory_bytes() -> f64 {
        Reflect::get(&wasm_bindgen::memory(), &"buffer".into())
            .and_then(|b| Reflect::get(&b, &"byteLength".into()))
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
    }

    /// Sends the session to the page while it is decoded: progress a few times a second, and
    /// the spans decoded so far in pieces.
    struct Sender {
        streamer: Streamer,
        encode_ms: f64,
        per_part: usize,
        last_progress: f64,
        /// The spans the last progress message counted.
        spans_told: u64,
        /// A progress message due shortly (a timer), for spans decoded after the last one.
        trailing: Option<i32>,
        /// Bytes of input in all (for a streamed file of unknown size: those received so far).
        total: f64,
    }

    impl Sender {
        fn new(total: f64) -> Sender {
            Sender {
                streamer: Streamer::new(),
                encode_ms: 0.0,
                per_part: PART_SIZE,
                last_progress: f64::NEG_INFINITY,
                spans_told: 0,
                trailing: None,
                total,
            }
        }

        fn progress(&mut self, scope: &DedicatedWorkerGlobalScope, done: u64, session: &Session) {
            // The decoders report after every document: a JSON Lines file of 30,000 lines sent
            // as many messages, each a task and a render on the page. A few per second suffice.
            let now = js_sys::Date::now();
            let total = self.total.max(done as f64);
            let finished = done as f64 >= total;
            if now - self.last_progress >= PROGRESS_EVERY_MS || finished {
                self.tell(scope, done, session);
            }
            // The spans there will be, from the share of the input read, and never more than one
            // per 128 bytes of input (an OTLP span takes over 200; the page is asked for room for
            // twice this, see `Streamer::parts`).
            let expected = (session.spans.len() as f64 * total / (done as f64).max(1.0))
                .min(total / 128.0) as usize;
            self.per_part = part_size(expected);
            let (streamer, per_part) = (&mut self.streamer, self.per_part);
            let parts = timed(&mut self.encode_ms, || {
                streamer.parts(session, per_part, expected)
            });
            if !parts.is_empty() {
                post(scope, &FromWorker::Parts, Some(to_js(parts)));
            }
        }

        /// A progress message: `done` bytes read, `spans` decoded.
        fn message(&self, done: u64, spans: u64) -> FromWorker {
            FromWorker::Progress {
                done,
                total: self.total.max(done as f64) as u64,
                spans,
            }
        }

        /// Drops the progress message due shortly, if any.
        fn cancel_trailing(&mut self, scope: &DedicatedWorkerGlobalScope) {
            if let Some(timer) = self.trailing.take() {
                scope.clear_timeout_with_handle(timer);
            }
        }

        /// Sends a progress message now.
        fn tell(&mut self, scope: &DedicatedWorkerGlobalScope, done: u64, session: &Session) {
            self.cancel_trailing(scope);
            self.last_progress = js_sys::Date::now();
            self.spans_told = session.spans.len() as u64;
            post(scope, &self.message(done, self.spans_told), None);
        }

        /// Makes sure the spans decoded are told soon, should no more bytes come for a while
        /// (the page shows them while the rest of the file has not come).
        fn catch_up(&mut self, scope: &DedicatedWorkerGlobalScope, done: u64, session: &Session) {
            let spans = session.spans.len() as u64;
            if spans == self.spans_told {
                return;
            }
            self.cancel_trailing(scope);
            let progress = self.message(done, spans);
            let to = scope.clone();
            let later = Closure::once_into_js(move || post(&to, &progress, None));
            self.trailing = scope
                .set_timeout_with_callback_and_timeout_and_arguments_0(
                    later.unchecked_ref(),
                    PROGRESS_EVERY_MS as i32,
                )
                .ok();
        }

        /// The rest of the session, then the trees once they are built: the answer's end.
        fn answer(
            mut self,
            scope: &DedicatedWorkerGlobalScope,
            session: Session,
            files: Vec<sightline_core::FileSummary>,
            (received, started): (f64, f64),
        ) {
            self.cancel_trailing(scope);
            let per_part = self.per_part;
            let streamer = self.streamer;
            let parts = timed(&mut self.encode_ms, || streamer.finish(&session, per_part));
            post(scope, &FromWorker::Session, Some(to_js(parts)));
            let Loaded {
                session,
                forest,
                files,
                failures,
                runs,
            } = Loaded::with_trees(session, files);
            // The page has the session; the trees' pieces do not need it. Freed first, its room
            // holds them (the trees' head of many small trees grew the worker's memory when
            // encoded beside it).
            drop(session);
            // Each piece leaves the worker's memory as soon as it is encoded.
            let (model, transfer) = (Array::new(), Array::new());
            timed(&mut self.encode_ms, || {
                forest_parts_each(&forest, &files, &failures, &runs, per_part, &mut |part| {
                    push_js(&model, &transfer, &part);
                });
            });
            let costs = Costs {
                decode_ms: js_sys::Date::now() - started,
                encode_ms: self.encode_ms,
                copy_ms: started - received,
                memory_bytes: memory_bytes(),
            };
            drop(forest);
            post(scope, &FromWorker::Done { costs }, Some((model, transfer)));
        }
    }

    /// Decodes the files `names` (their bytes in `buffers`, in order) and answers.
    fn handle(
        scope: &DedicatedWorkerGlobalScope,
        names: Vec<String>,
        buffers: &Array,
        prepared: &RefCell<Prepared>,
    ) -> Result<(), String> {
        if buffers.length() as usize != names.len() {
            return Err(format!(
                "{} file names came with {} buffers",
                names.len(),
                buffers.length()
            ));
        }
        let received = js_sys::Date::now();
        let mut inputs: Vec<(String, Vec<u8>)> = Vec::with_capacity(names.len());
        let mut total = 0f64;
        for (name, bytes) in names.into_iter().zip(buffers.iter()) {
            let bytes: Uint8Array = bytes
                .dyn_into()
                .map_err(|_| format!("the bytes of {name} are not a Uint8Array"))?;
            total += f64::from(bytes.length());
            let mut buffer = prepared.borrow_mut().take(bytes.length() as usize);
            bytes.copy_to(&mut buffer);
            inputs.push((name, buffer));
        }
        prepared.borrow_mut().clear();
        let started = js_sys::Date::now();
        // Spans go to the page as they are decoded, so it reads them while this goes on.
        let mut sender = Sender::new(total);
        let (session, files) = decode_session(inputs, |done, session| {
            sender.progress(scope, done, session)
        });
        sender.answer(scope, session, files, (received, started));
        Ok(())
    }

    /// A load whose files come in chunks as they are downloaded or read.
    struct Streaming {
        session: Session,
        files: Vec<sightline_core::FileSummary>,
        /// The file being received.
        open: Option<StreamDecoder>,
        /// Bytes of the files closed before it.
        done: u64,
        /// The sizes announced, summed (files of unknown size count what came).
        total: f64,
        /// Every file opened announced its size.
        sizes_known: bool,
        /// When to send the page a preview of the traces decoded so far.
        cadence: Cadence,
        /// A timer that looks again whether a preview is due, should no bytes come meanwhile.
        preview_timer: Option<i32>,
        sender: Sender,
        started: f64,
        /// The decoder's memory filled up: the rest of every file is not read.
        full: bool,
    }

    /// The streamed load in progress, shared with the timer that makes its previews.
    type Shared = Rc<RefCell<Option<Streaming>>>;

    impl Streaming {
        /// Bytes received of every file so far.
        fn received(&self) -> u64 {
            self.done + self.open.as_ref().map_or(0, StreamDecoder::received)
        }
    }

    /// The memory a streamed load may fill before reading stops (wasm32 has 4 GiB; the trees
    /// and the answer's pieces still need room after the last span).
    const STREAM_MEMORY_LIMIT: f64 = 3.0 * (1u64 << 30) as f64;

    /// Takes one message of a streamed load; `Finish` answers and ends it.
    fn stream(
        scope: &DedicatedWorkerGlobalScope,
        state: &Shared,
        message: ToWorker,
        buffers: &Array,
    ) -> Result<(), String> {
        let mut slot = state.borrow_mut();
        let load = slot.get_or_insert_with(|| Streaming {
            session: Session::default(),
            files: Vec::new(),
            open: None,
            done: 0,
            total: 0.0,
            sizes_known: true,
            cadence: Cadence::new(js_sys::Date::now()),
            preview_timer: None,
            sender: Sender::new(0.0),
            started: js_sys::Date::now(),
            full: false,
        });
        match message {
            ToWorker::Open { name, size } => {
                if load.open.is_some() {
                    return Err(format!("{name} was opened while another file was open"));
                }
                load.total += size.unwrap_or(0) as f64;
                load.sizes_known &= size.is_some();
                load.open = Some(StreamDecoder::new(&name, size));
            }
            ToWorker::Chunk => {
                let chunks: Vec<Uint8Array> = buffers
                    .iter()
                    .map(|b| b.dyn_into())
                    .collect::<Result<_, _>>()
                    .map_err(|_| "a chunk that is not bytes".to_string())?;
                let decoder = load.open.as_mut().ok_or("a chunk with no file open")?;
                if load.full {
                    return Ok(());
                }
                if memory_bytes() > STREAM_MEMORY_LIMIT {
                    // Said once, where reading stopped; the spans read are kept.
                    load.full = true;
                    load.session.warnings.push(Warning {
                        source: decoder.name().to_string(),
                        location: format!("byte {}", decoder.received()),
                        reason: format!(
                            "reading stopped here: the spans read so far fill the decoder's memory ({:.1} GB of the 4 GB a tab's worker has); they are shown, the rest of this file and any after it are not read",
                            memory_bytes() / 1e9
                        ),
                    });
                    return Ok(());
                }
                // The pieces the page gathered, as one (each push looks at what it completes).
                let mut bytes =
                    Vec::with_capacity(chunks.iter().map(|c| c.length() as usize).sum());
                for chunk in &chunks {
                    let at = bytes.len();
                    bytes.resize(at + chunk.length() as usize, 0);
                    chunk.copy_to(&mut bytes[at..]);
                }
                let (done, sender) = (load.done, &mut load.sender);
                sender.total = load.total.max((done + decoder.received()) as f64);
                decoder.push(&mut load.session, &bytes, &mut |at, session| {
                    sender.progress(scope, done + at as u64, session);
                });
                let received = done + decoder.received();
                sender.catch_up(scope, received, &load.session);
                send_preview(scope, load, state);
            }
            ToWorker::Close { error } => {
                let decoder = load.open.take().ok_or("no file is open to close")?;
                let received = decoder.received();
                if received == 0 && error.is_some() {
                    // Nothing of it came: not a file of the session (the page says why).
                    return Ok(());
                }
                let (done, sender) = (load.done, &mut load.sender);
                let mut summary = decoder.finish(&mut load.session, &mut |at, session| {
                    sender.progress(scope, done + at as u64, session);
                });
                if let Some(error) = error {
                    load.session.warnings.push(Warning {
                        source: summary.name.clone(),
                        location: format!("byte {received}"),
                        reason: format!(
                            "the file stopped arriving here ({error}): what came before was read"
                        ),
                    });
                    summary.warnings += 1;
                }
                load.done += received;
                load.files.push(summary);
            }
            ToWorker::Finish => {
                let mut load = slot.take().ok_or("nothing to finish")?;
                if let Some(timer) = load.preview_timer.take() {
                    scope.clear_timeout_with_handle(timer);
                }
                if load.open.is_some() {
                    return Err("finished while a file was open".into());
                }
                load.session.spans.shrink_to_fit();
                let now = js_sys::Date::now();
                load.sender
                    .answer(scope, load.session, load.files, (load.started, now));
            }
            ToWorker::Expect { .. } | ToWorker::Decode { .. } => {
                return Err("a whole-file message in a streamed load".into())
            }
        }
        Ok(())
    }

    /// Sends the page a preview of the traces decoded so far when one is due ([`Cadence`]), or
    /// looks again when it will be, should no more bytes come by then.
    fn send_preview(scope: &DedicatedWorkerGlobalScope, load: &mut Streaming, state: &Shared) {
        let started = js_sys::Date::now();
        let spans = load.session.spans.len();
        let total = load.sizes_known.then_some(load.total as u64);
        match load.cadence.due(started, spans, load.received(), total) {
            Due::No => {}
            Due::At(at) => {
                if load.preview_timer.is_some() {
                    return;
                }
                let (to, shared) = (scope.clone(), state.clone());
                let later = Closure::once_into_js(move || {
                    if let Some(load) = shared.borrow_mut().as_mut() {
                        load.preview_timer = None;
                        send_preview(&to, load, &shared);
                    }
                });
                load.preview_timer = scope
                    .set_timeout_with_callback_and_timeout_and_arguments_0(
                        later.unchecked_ref(),
                        (at - started).ceil().max(1.0) as i32,
                    )
                    .ok();
            }
            Due::Now => {
                let (snapshot, glimpse) = preview(&load.session, &load.files, PREVIEW_SPANS);
                // A preview with no trace (one trace larger than a preview holds) would only
                // hide what the page shows: the progress says what was read.
                if glimpse.shown > 0 {
                    let parts = snapshot.to_parts(part_size(snapshot.session.spans.len()));
                    drop(snapshot);
                    post(scope, &FromWorker::Preview { glimpse }, Some(to_js(parts)));
                }
                let now = js_sys::Date::now();
                load.cadence.made(now, now - started, spans);
            }
        }
    }

    /// Runs `f`, adding the milliseconds it took to `total`.
    fn timed<T>(total: &mut f64, f: impl FnOnce() -> T) -> T {
        let started = js_sys::Date::now();
        let out = f();
        *total += js_sys::Date::now() - started;
        out
    }

    /// Pieces of the answer as `Uint8Array`s, with the list of their buffers to transfer.
    fn to_js(parts: Vec<Vec<u8>>) -> (Array, Array) {
        let (model, transfer) = (Array::new(), Array::new());
        for part in &parts {
            push_js(&model, &transfer, part);
        }
        (model, transfer)
    }

    /// Copies a piece out of the worker's memory into a new buffer, listed to be transferred.
    fn push_js(model: &Array, transfer: &Array, part: &[u8]) {
        let bytes = Uint8Array::from(part);
        transfer.push(&bytes.buffer());
        model.push(&bytes);
    }

    /// Warm-up rounds, each decoding a small synthetic trace of this many spans. Many small
    /// rounds rather than a few big ones: the same work compiles the same code, a file that
    /// arrives waits for a shorter round, and the worker's memory, which never shrinks, is left
    /// smaller. That room is reused by the decoding, so only files of a few MB peak lower for it.
    const WARM_UP_ROUNDS: u32 = 40;
    const WARM_UP_SPANS: usize = 500;

    /// The warm-up's input while rounds are left; emptied (its memory freed) when a message comes.
    type WarmUp = Rc<RefCell<Option<Vec<u8>>>>;

    /// Decodes a synthetic trace a few times while no file has come, so that V8 compiles the
    /// decoder's hot functions with its optimising tier first. A fresh worker otherwise decodes a
    /// big file in its baseline code, much slower: V8 swaps in optimised code only between
    /// calls, and the loop over a document's spans runs in one call. Each round is its own task,
    /// so a file that arrives waits for one round at most; after that, rounds stop.
    fn warm_up(scope: DedicatedWorkerGlobalScope, rounds_left: Rc<Cell<u32>>, text: WarmUp) {
        if rounds_left.get() == 0 {
            return;
        }
        rounds_left.set(rounds_left.get() - 1);
        let mut session = Session::default();
        let file = match text.borrow().as_deref() {
            Some(input) => decode_file(&mut session, "warm-up", input),
            None => return,
        };
        let snapshot = Loaded::with_trees(session, vec![file]);
        drop(snapshot.to_parts(part_size(WARM_UP_SPANS)));
        drop(snapshot);
        if rounds_left.get() == 0 {
            text.borrow_mut().take();
            // Every round ran (no file came): the page marks it for the benchmark.
            post(&scope, &FromWorker::Warm, None);
            return;
        }
        schedule_warm_up(scope, rounds_left, text);
    }

    /// Runs the next warm-up round as a task of its own.
    fn schedule_warm_up(
        scope: DedicatedWorkerGlobalScope,
        rounds_left: Rc<Cell<u32>>,
        text: WarmUp,
    ) {
        let round_scope = scope.clone();
        let round = Closure::once_into_js(move || warm_up(round_scope, rounds_left, text));
        let _ =
            scope.set_timeout_with_callback_and_timeout_and_arguments_0(round.unchecked_ref(), 0);
    }

    pub fn run() {
        console_error_panic_hook::set_once();
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let reply_to = scope.clone();
        let rounds_left = Rc::new(Cell::new(WARM_UP_ROUNDS));
        let stop_warming = rounds_left.clone();
        let text: WarmUp = Rc::new(RefCell::new(Some(
            sightline_core::synthetic::otlp_json(WARM_UP_SPANS, true).into_bytes(),
        )));
        let warm_text = text.clone();
        let prepared = RefCell::new(Prepared::default());
        let streaming: Shared = Rc::default();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            stop_warming.set(0);
            warm_text.borrow_mut().take();
            let done = read(&e.data()).and_then(|(message, buffers)| match message {
                ToWorker::Expect { sizes } => {
                    let sizes: Vec<usize> = sizes
                        .into_iter()
                        .map(|s| usize::try_from(s).unwrap_or(usize::MAX))
                        .collect();
                    prepared.borrow_mut().expect(&sizes);
                    Ok(())
                }
                ToWorker::Decode { names } => handle(&reply_to, names, &buffers, &prepared),
                streamed => stream(&reply_to, &streaming, streamed, &buffers),
            });
            if let Err(message) = done {
                post(&reply_to, &FromWorker::Failed { message }, None);
            }
        });
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        // Tell the page the worker is ready (its wasm is instantiated), then warm up.
        post(&scope, &FromWorker::Ready, None);
        schedule_warm_up(scope, rounds_left, text);
    }
}
