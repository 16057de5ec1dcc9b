//! Getting bytes into the app: files from the picker, a drop or a paste, URLs from the page
//! address (`#src=`), and the bundled sample. Bytes stay in JavaScript memory and go straight to
//! the decoder worker; fetches show progress; everything can be cancelled.

use js_sys::{Reflect, Uint8Array};
use leptos::prelude::*;
use leptos::task::spawn_local;
use sightline_core::view::url_state::is_http_url;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::state::{AppState, Progress};
use super::worker_client;

/// Where the bundled sample sits in the built site (relative, so any path prefix works).
pub const SAMPLE_URL: &str = "samples/order-e2e.json";

async fn read_file(file: &web_sys::File) -> Result<Uint8Array, String> {
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(|_| {
        format!(
            "{}: could not be read (larger than this browser can hold, or changed on disk).",
            file.name()
        )
    })?;
    Ok(Uint8Array::new(&buffer))
}

/// Starts a load and returns its number. A load still fetching, reading or decoding is
/// superseded: its fetch is aborted, its decoder ended, and what it read is dropped, so the
/// files the user opened last are the ones shown, whichever load would have finished last.
fn begin(state: AppState) -> u64 {
    stop(state, "Replaced by a newer load.");
    // A preview still on screen belongs to the load stopped: it stays until the new one shows,
    // but nothing carries over from it.
    state.preview.set(None);
    state.load.update_value(|n| *n += 1);
    state.load.get_value()
}

/// Whether `load` is still the latest load (no newer one superseded it).
fn current(state: AppState, load: u64) -> bool {
    state.load.get_value() == load
}

/// Decodes what was read (off the main thread) and shows it, or says what could not be read;
/// a superseded load stops here without a word.
async fn finish(
    state: AppState,
    load: u64,
    contents: Vec<(String, Uint8Array)>,
    failures: Vec<String>,
) {
    if !current(state, load) {
        return;
    }
    if contents.is_empty() {
        // No decoder ran, so none started the next load's: start it here.
        worker_client::prepare();
        show(state, load, None, failures);
    } else {
        let result = worker_client::decode(state, load, contents).await;
        show(state, load, Some(result), failures);
    }
}

/// Shows what a decoder answered, if one ran (its `Err` joins `failures`), and what could not be
/// read; a superseded load stops here without a word.
fn show(
    state: AppState,
    load: u64,
    decoded: Option<Result<super::state::Loaded, String>>,
    mut failures: Vec<String>,
) {
    if !current(state, load) {
        return;
    }
    match decoded {
        Some(Ok(loaded)) => {
            state.show(loaded);
            request_animation_frame(|| worker_client::mark("sightline:painted"));
        }
        Some(Err(e)) => failures.push(e),
        None => {}
    }
    // A load that stopped short leaves its last preview on screen, said to be one.
    if let Some((glimpse, true)) = state.preview.get_untracked() {
        state.preview.set(Some((glimpse, false)));
    }
    state.progress.set(None);
    state
        .failure
        .set((!failures.is_empty()).then(|| failures.join(" ")));
    super::permalink::restore(state);
}

/// Files larger than this are read in slices and decoded as they are read: JSON and JSON Lines
/// of any size are then never held whole (smaller files are read at once, which is quicker).
const STREAM_OVER: f64 = 256e6;

/// The slice of a large file read at a time.
const SLICE: f64 = 16e6;

/// Reads the files the user gave (picker or drop) and shows them as one session.
pub fn open_files(state: AppState, files: Vec<web_sys::File>) {
    drop_early();
    if files.is_empty() {
        return;
    }
    let load = begin(state);
    state.sources.set_value(Vec::new());
    if files.iter().any(|f| f.size() > STREAM_OVER) {
        spawn_local(stream_files(state, load, files));
        return;
    }
    let sizes: Vec<u64> = files.iter().map(|f| f.size() as u64).collect();
    worker_client::expect(&sizes);
    spawn_local(async move {
        let total: u64 = sizes.iter().sum();
        let mut contents = Vec::with_capacity(files.len());
        let mut failures = Vec::new();
        let mut done = 0u64;
        for file in &files {
            if !current(state, load) {
                return;
            }
            state.progress.set(Some(Progress::new(
                format!("Reading {}", file.name()),
                done,
                Some(total),
            )));
            match read_file(file).await {
                Ok(bytes) => {
                    done += u64::from(bytes.length());
                    contents.push((file.name(), bytes));
                }
                Err(e) => failures.push(e),
            }
        }
        finish(state, load, contents, failures).await;
    });
}

/// Reads large files slice by slice into a decoder that decodes them as they come.
async fn stream_files(state: AppState, load: u64, files: Vec<web_sys::File>) {
    if !current(state, load) {
        return;
    }
    let decoding = match worker_client::Decoding::start(state, load) {
        Ok(decoding) => decoding,
        Err(e) => return finish(state, load, Vec::new(), vec![e]).await,
    };
    let total: f64 = files.iter().map(|f| f.size()).sum();
    let mut failures = Vec::new();
    let mut done = 0.0;
    for file in &files {
        decoding.open(&file.name(), Some(file.size() as u64));
        let mut at = 0.0;
        let mut error = None;
        while at < file.size() && !decoding.ended() {
            if !current(state, load) {
                return;
            }
            let end = (at + SLICE).min(file.size());
            let slice = file.slice_with_f64_and_f64(at, end).map_err(|_| ());
            let read = match slice {
                Ok(blob) => JsFuture::from(blob.array_buffer()).await.map_err(|_| ()),
                Err(()) => Err(()),
            };
            match read {
                Ok(buffer) => decoding.chunk(&Uint8Array::new(&buffer)),
                Err(()) => {
                    error = Some(format!(
                        "{}: could not be read past byte {at} (changed or removed on disk?).",
                        file.name()
                    ));
                    break;
                }
            }
            at = end;
            let mut progress = Progress::new(
                format!("Reading {}", file.name()),
                (done + at) as u64,
                Some(total as u64),
            );
            progress.spans = Some(decoding.spans());
            state.progress.set(Some(progress));
        }
        decoding.close(error.clone());
        failures.extend(error);
        done += file.size();
    }
    let result = decoding.finish().await;
    show(state, load, Some(result), failures);
}

/// Shows a trace that came inside a link (`data=`): gzipped OTLP/JSON, decoded like a file.
pub fn open_bytes(state: AppState, name: &str, bytes: &[u8]) {
    drop_early();
    let load = begin(state);
    state.sources.set_value(Vec::new());
    spawn_local(finish(
        state,
        load,
        vec![(name.to_string(), Uint8Array::from(bytes))],
        Vec::new(),
    ));
}

/// Shows text pasted on the page (Ctrl+V of OTLP JSON, say).
pub fn open_pasted(state: AppState, text: String) {
    drop_early();
    if text.trim().is_empty() {
        return;
    }
    let load = begin(state);
    state.sources.set_value(Vec::new());
    let bytes = Uint8Array::from(text.as_bytes());
    spawn_local(finish(
        state,
        load,
        vec![("pasted text".to_string(), bytes)],
        Vec::new(),
    ));
}

/// Why a fetch failed (the rejection's error name, e.g. `AbortError` or `TypeError`), in words
/// that say how to fix it.
fn fetch_error(url: &str, name: Option<&str>) -> String {
    if name == Some("AbortError") {
        return format!("Cancelled loading {url}.");
    }
    format!(
        "Could not fetch {url}: the browser blocked the request or the server did not answer. \
         If the file is on another site, that server must allow this page with CORS \
         (Access-Control-Allow-Origin); otherwise download it and use \"Open trace files\"."
    )
}

/// The `name` of a JavaScript error value (a rejected read of the body).
fn error_name(err: &JsValue) -> Option<String> {
    Reflect::get(err, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
}

/// The fetch of `url` that public/early.js started as the page opened, if there is one: taken
/// once, and aborted with `signal` (Cancel, or a newer load).
fn take_early(url: &str, signal: Option<&web_sys::AbortSignal>) -> Option<js_sys::Promise> {
    let window: JsValue = web_sys::window()?.into();
    let early = Reflect::get(&window, &"__sightlineEarly".into()).ok()?;
    let entry = Reflect::get(&early, &url.into())
        .ok()
        .filter(|e| e.is_object())?;
    let _ = Reflect::delete_property(early.unchecked_ref::<js_sys::Object>(), &url.into());
    let response: js_sys::Promise = Reflect::get(&entry, &"response".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let controller: web_sys::AbortController = Reflect::get(&entry, &"controller".into())
        .ok()?
        .dyn_into()
        .ok()?;
    if let Some(signal) = signal {
        if signal.aborted() {
            controller.abort();
        } else {
            let abort = Closure::once_into_js(move || controller.abort());
            let _ = signal.add_event_listener_with_callback("abort", abort.unchecked_ref());
        }
    }
    Some(response)
}

/// Aborts the early fetches nobody took (the address changed before the app loaded them).
fn drop_early() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(early) = Reflect::get(&window, &"__sightlineEarly".into()) else {
        return;
    };
    if !early.is_object() {
        return;
    }
    let keys = js_sys::Object::keys(early.unchecked_ref::<js_sys::Object>());
    for key in keys.iter() {
        if let Ok(entry) = Reflect::get(&early, &key) {
            if let Ok(controller) = Reflect::get(&entry, &"controller".into())
                .and_then(|c| c.dyn_into::<web_sys::AbortController>())
            {
                controller.abort();
            }
        }
    }
    let _ = Reflect::set(&window, &"__sightlineEarly".into(), &JsValue::UNDEFINED);
}

/// The response to a GET of `url` (the early fetch if there is one), if the server answered OK;
/// `Err` says what went wrong and how to fix it.
async fn get(
    url: &str,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<web_sys::Response, String> {
    let response = match take_early(url, signal) {
        Some(early) => JsFuture::from(early)
            .await
            .map(|r| gloo_net::http::Response::from(r.unchecked_into::<web_sys::Response>()))
            .map_err(|e| fetch_error(url, error_name(&e).as_deref()))?,
        None => gloo_net::http::Request::get(url)
            .abort_signal(signal)
            .send()
            .await
            .map_err(|e| match e {
                gloo_net::Error::JsError(e) => fetch_error(url, Some(&e.name)),
                other => format!("Could not fetch {url}: {other}."),
            })?,
    };
    if !response.ok() {
        return Err(format!(
            "Could not fetch {url}: the server answered HTTP {} {}.",
            response.status(),
            response.status_text()
        ));
    }
    Ok(response.into())
}

/// The body's length, from `content-length` (a compressed transfer's body outgrows it).
fn content_length(response: &web_sys::Response) -> Option<u64> {
    response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok())
}

/// The least time between two progress updates while a body arrives.
const PROGRESS_EVERY_MS: f64 = 50.0;

/// Reads a body's chunks as they arrive, calling `chunk` with each and showing progress under
/// `label` (with the spans `spans()` says were decoded so far). `Err` says why it stopped.
async fn read_body(
    state: AppState,
    url: &str,
    body: web_sys::ReadableStream,
    (label, total): (&str, Option<u64>),
    spans: &dyn Fn() -> Option<u64>,
    chunk: &mut dyn FnMut(Uint8Array) -> bool,
) -> Result<u64, String> {
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut received = 0u64;
    let mut shown = f64::NEG_INFINITY;
    loop {
        let next = JsFuture::from(reader.read()).await.map_err(|e| {
            let name = error_name(&e);
            if received == 0 || name.as_deref() == Some("AbortError") {
                fetch_error(url, name.as_deref())
            } else {
                format!(
                    "The download of {url} broke off after {:.1} MB; what came was read.",
                    received as f64 / 1e6
                )
            }
        })?;
        if Reflect::get(&next, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            == Some(true)
        {
            return Ok(received);
        }
        if let Ok(value) = Reflect::get(&next, &"value".into()) {
            let value = Uint8Array::new(&value);
            received += u64::from(value.length());
            if !chunk(value) {
                // Nobody wants the rest (the decoder ended): stop the download.
                let _ = reader.cancel();
                return Ok(received);
            }
        }
        // A few times a second: a render per network read (64 KB) took the main thread from
        // reading the body and the decoder's answer.
        let now = worker_client::now();
        if now - shown < PROGRESS_EVERY_MS {
            continue;
        }
        shown = now;
        // A compressed transfer can outgrow its content-length: then the total is unknown.
        let total = total.filter(|t| *t >= received);
        let mut progress = Progress::new(label.to_string(), received, total);
        progress.spans = spans();
        state.progress.set(Some(progress));
    }
}

/// Fetches one URL whole, with progress (the bundled sample).
async fn fetch_with_progress(
    state: AppState,
    url: &str,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Uint8Array, String> {
    let response = get(url, signal).await?;
    let total = content_length(&response);
    let label = format!("Fetching {}", url.rsplit('/').next().unwrap_or(url));
    let Some(body) = response.body() else {
        return Ok(Uint8Array::new_with_length(0));
    };
    // Chunks stay in JavaScript memory: the bytes go to the decoder without passing through the
    // page's wasm memory.
    let mut chunks: Vec<Uint8Array> = Vec::new();
    let received = read_body(state, url, body, (&label, total), &|| None, &mut |c| {
        chunks.push(c);
        true
    })
    .await?;
    let length = u32::try_from(received)
        .map_err(|_| format!("{url} is larger than this browser can hold (4 GB)."))?;
    let bytes = Uint8Array::new_with_length(length);
    let mut offset = 0u32;
    for chunk in chunks {
        bytes.set(&chunk, offset);
        offset += chunk.length();
    }
    Ok(bytes)
}

/// A chunk whose buffer is its own, so that transferring the buffer moves only its bytes.
fn own_buffer(bytes: Uint8Array) -> Uint8Array {
    if bytes.byte_offset() == 0 && bytes.byte_length() == bytes.buffer().byte_length() {
        bytes
    } else {
        bytes.slice(0, bytes.length())
    }
}

/// Fetches `url` into `decoding` as its bytes arrive. A download that fails part way is closed
/// with what came (the decoder keeps it, with a warning) and still reported.
async fn fetch_into(
    state: AppState,
    url: &str,
    signal: Option<&web_sys::AbortSignal>,
    decoding: &worker_client::Decoding,
) -> Result<(), (String, u64)> {
    let response = get(url, signal).await.map_err(|e| (e, 0))?;
    let total = content_length(&response);
    decoding.open(url, total);
    let label = format!("Fetching {}", url.rsplit('/').next().unwrap_or(url));
    let received = std::cell::Cell::new(0u64);
    let read = match response.body() {
        Some(body) => {
            read_body(
                state,
                url,
                body,
                (&label, total),
                &|| Some(decoding.spans()),
                &mut |c| {
                    received.set(received.get() + u64::from(c.length()));
                    decoding.chunk(&own_buffer(c));
                    !decoding.ended()
                },
            )
            .await
        }
        None => Ok(0),
    };
    // The decoder notes where the file stopped (a cancel ends the decoder anyway).
    decoding.close(
        read.as_ref()
            .err()
            .map(|_| "the download broke off".to_string()),
    );
    read.map(drop).map_err(|e| (e, received.get()))
}

/// Fetches every `#src=` URL and shows what could be read, as one session. Each body goes to
/// the decoder as it arrives, so decoding runs beside the download.
pub fn open_sources(state: AppState, urls: Vec<String>) {
    let load = begin(state);
    state.sources.set_value(urls.clone());
    let controller = web_sys::AbortController::new().ok();
    state.cancel.set_value(controller.clone());
    spawn_local(async move {
        let signal = controller.as_ref().map(web_sys::AbortController::signal);
        let mut failures = Vec::new();
        if !current(state, load) {
            return;
        }
        let decoding = match worker_client::Decoding::start(state, load) {
            Ok(decoding) => decoding,
            Err(e) => {
                finish(state, load, Vec::new(), vec![e]).await;
                return;
            }
        };
        let mut opened = 0;
        for url in &urls {
            if !current(state, load) {
                return;
            }
            if !is_http_url(url) && url.contains(':') {
                failures.push(format!("Not fetched: {url} is not an http(s) URL."));
                continue;
            }
            state
                .progress
                .set(Some(Progress::new(format!("Fetching {url}"), 0, None)));
            match fetch_into(state, url, signal.as_ref(), &decoding).await {
                Ok(()) => opened += 1,
                Err((e, received)) => {
                    // What came before a download broke off is kept.
                    opened += usize::from(received > 0);
                    failures.push(e);
                }
            }
        }
        drop_early();
        if !current(state, load) {
            return;
        }
        state.cancel.set_value(None);
        // Cancelled during the download: the fetch's own message says so, once.
        let cancelled = signal.as_ref().is_some_and(web_sys::AbortSignal::aborted);
        if opened == 0 || cancelled {
            decoding.abandon();
            finish(state, load, Vec::new(), failures).await;
            return;
        }
        let result = decoding.finish().await;
        show(state, load, Some(result), failures);
    });
}

/// Opens the bundled sample trace.
pub fn open_sample(state: AppState) {
    drop_early();
    let load = begin(state);
    spawn_local(async move {
        state.progress.set(Some(Progress::new(
            "Loading the sample trace".into(),
            0,
            None,
        )));
        match fetch_with_progress(state, SAMPLE_URL, None).await {
            Ok(bytes) => {
                finish(
                    state,
                    load,
                    vec![("order-e2e.json".into(), bytes)],
                    Vec::new(),
                )
                .await;
            }
            Err(e) => finish(state, load, Vec::new(), vec![e]).await,
        }
    });
}

/// Stops a fetch or a decode in progress.
pub fn cancel(state: AppState) {
    stop(state, "Cancelled.");
}

/// Aborts the fetch in progress and ends the decode in progress (which ends with `why`).
fn stop(state: AppState, why: &str) {
    if let Some(controller) = state.cancel.try_update_value(Option::take).flatten() {
        controller.abort();
    }
    worker_client::cancel(state, why);
}

/// The files of a `FileList` (from an input or a drop).
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}
