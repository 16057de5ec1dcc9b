//! Getting bytes into the app: files from the picker or a drop, and the bundled sample by fetch.

use js_sys::Uint8Array;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::state::{AppState, Loaded};

/// Where the bundled sample sits in the built site (relative, so any path prefix works).
pub const SAMPLE_URL: &str = "samples/order-e2e.json";

async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| format!("{}: could not be read ({e:?})", file.name()))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Reads the files the user gave and shows them as one session.
pub fn open_files(state: AppState, files: Vec<web_sys::File>) {
    if files.is_empty() {
        return;
    }
    spawn_local(async move {
        let names: Vec<String> = files.iter().map(web_sys::File::name).collect();
        state
            .busy
            .set(Some(format!("Loading {}…", names.join(", "))));
        state.failure.set(None);
        let mut contents = Vec::with_capacity(files.len());
        let mut unreadable = Vec::new();
        for file in &files {
            match read_file(file).await {
                Ok(bytes) => contents.push((file.name(), bytes)),
                Err(e) => unreadable.push(e),
            }
        }
        if !unreadable.is_empty() {
            state.failure.set(Some(unreadable.join("; ")));
        }
        state.show(Loaded::decode(&contents));
        state.busy.set(None);
    });
}

/// Fetches a URL's bytes, with an error that says what went wrong.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|_| format!("{url}: the request failed (network error or blocked by CORS)"))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| format!("{url}: not an HTTP response"))?;
    if !response.ok() {
        return Err(format!(
            "{url}: HTTP {} {}",
            response.status(),
            response.status_text()
        ));
    }
    let buffer = response
        .array_buffer()
        .map_err(|_| format!("{url}: the body could not be read"))?;
    let buffer = JsFuture::from(buffer)
        .await
        .map_err(|_| format!("{url}: the body could not be read"))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Opens the bundled sample trace.
pub fn open_sample(state: AppState) {
    spawn_local(async move {
        state.busy.set(Some("Loading the sample trace…".into()));
        match fetch_bytes(SAMPLE_URL).await {
            Ok(bytes) => state.show(Loaded::decode(&[("order-e2e.json".into(), bytes)])),
            Err(e) => state.failure.set(Some(e)),
        }
        state.busy.set(None);
    });
}

/// The files of a `FileList` (from an input or a drop).
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}
