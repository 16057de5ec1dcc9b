//! The SQL worker (`sql/src/bin/sql-worker.rs`): started when the SQL view first runs a query,
//! so neither the first paint nor the app's wasm pays for the engine. It is handed the loaded
//! session in its wire form once per load, in short tasks, and keeps the `records` table; each query is one
//! message. Cancel, a newer load or a crash ends it; the next query starts a new one.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use js_sys::{Array, Reflect, Uint8Array};
use leptos::prelude::*;
use sightline_core::wire::protocol;
use sightline_core::wire::query::{FromSql, QueryError, ToSql};
use sightline_core::{Loaded, PartsCursor};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::ui::state::{AppState, SqlRun};
use crate::ui::worker_client::envelope;

/// Trunk's loader for the `sql-worker` binary (see index.html).
const SQL_WORKER_URL: &str = "./sql-worker_loader.js";

/// Spans per piece of the session handed to the worker.
const PART_SPANS: usize = 5_000;

/// How long one task of handing the session over may take before it yields to the page (ms).
const HAND_OVER_TASK_MS: f64 = 8.0;

struct Client {
    /// Tells this worker from one started later (after a Cancel) for the same load.
    number: u32,
    worker: Worker,
    /// The load ([`AppState::generation`]) whose session it holds.
    generation: u64,
    /// It said it is ready (the session is being handed to it, or was).
    ready: bool,
    /// Its table is built.
    loaded: bool,
    /// The query waiting for the table: (id, text).
    pending: Option<(u32, String)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

thread_local! {
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
    /// The id of the latest query: answers to older ones are dropped.
    static LATEST: Cell<u32> = const { Cell::new(0) };
    /// Workers started so far.
    static STARTED: Cell<u32> = const { Cell::new(0) };
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn post(worker: &Worker, message: &ToSql, data: Option<(Array, Array)>) {
    let head = protocol::to_text(message);
    let _ = match data {
        Some((data, transfer)) => {
            worker.post_message_with_transfer(&envelope(head, &data), &transfer)
        }
        None => worker.post_message(&envelope(head, &Array::new())),
    };
}

/// Runs `sql` on the loaded session, starting the worker (and building its table) first when
/// needed. The answer lands in [`AppState::sql_run`].
pub fn run(state: AppState, sql: String) {
    let id = LATEST.with(|l| {
        l.set(l.get().wrapping_add(1));
        l.get()
    });
    state.sql_query.set(Some(sql.clone()));
    CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        if let Err(message) = ensure(state, &mut c) {
            state
                .sql_run
                .set(SqlRun::Failed(QueryError::plain(message)));
            return;
        }
        let Some(client) = c.as_mut() else { return };
        if client.loaded {
            post(&client.worker, &ToSql::Query { id, sql }, None);
            state.sql_run.set(SqlRun::Running { started: now() });
        } else {
            client.pending = Some((id, sql));
            state.sql_run.set(if client.ready {
                SqlRun::Building {
                    spans: state
                        .data
                        .with_untracked(|d| d.as_ref().map_or(0, |d| d.session.spans.len())),
                }
            } else {
                SqlRun::Starting
            });
        }
    });
}

/// Starts the worker and hands it the session, if no worker holds this load's table yet: the
/// view does this when it opens, so the first query does not wait for the engine to load.
pub fn prepare(state: AppState) {
    if state.data.with_untracked(Option::is_some) {
        // A worker that cannot start is said when a query runs.
        CLIENT.with(|c| drop(ensure(state, &mut c.borrow_mut())));
    }
}

/// Makes `client` a worker for the current load: one of an older load is stopped, and one is
/// started when there is none.
fn ensure(state: AppState, client: &mut Option<Client>) -> Result<(), String> {
    let generation = state.generation.get_untracked();
    if client.as_ref().is_some_and(|c| c.generation != generation) {
        stop(client.take());
    }
    if client.is_none() {
        *client = Some(start(state, generation)?);
    }
    Ok(())
}

/// Stops the query in progress (and the worker: a query runs to its end once started).
pub fn cancel(state: AppState) {
    CLIENT.with(|c| stop(c.borrow_mut().take()));
    state.sql_run.set(SqlRun::Cancelled);
}

fn stop(client: Option<Client>) {
    if let Some(client) = client {
        client.worker.set_onmessage(None);
        client.worker.set_onerror(None);
        client.worker.terminate();
    }
}

fn start(state: AppState, generation: u64) -> Result<Client, String> {
    let worker = Worker::new(SQL_WORKER_URL)
        .map_err(|_| "The SQL engine could not be started (its worker script is missing).")?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let head = Reflect::get(&e.data(), &"head".into())
            .ok()
            .and_then(|h| h.as_string())
            .unwrap_or_default();
        match protocol::from_text::<FromSql>(&head) {
            Ok(message) => answer(state, message),
            Err(message) => crashed(state, &message),
        }
    });
    let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
        e.prevent_default();
        crashed(state, &e.message());
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let number = STARTED.with(|n| {
        n.set(n.get().wrapping_add(1));
        n.get()
    });
    Ok(Client {
        number,
        worker,
        generation,
        ready: false,
        loaded: false,
        pending: None,
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// The worker trapped (a panic, or a stack overflow on a very deep expression): it is gone.
fn crashed(state: AppState, message: &str) {
    CLIENT.with(|c| stop(c.borrow_mut().take()));
    state.sql_run.set(SqlRun::Failed(QueryError::plain(format!(
        "The SQL engine stopped ({}). Run the query again to restart it; a very deeply nested \
         expression can exhaust its stack.",
        if message.is_empty() {
            "no reason given"
        } else {
            message
        }
    ))));
}

/// Hands the session to worker `number` in pieces, a few milliseconds of encoding per task so
/// the page never blocks, then asks it to build the table. Stops if that worker was stopped.
fn hand_over(number: u32, loaded: Arc<Loaded>, cursor: Rc<RefCell<PartsCursor>>) {
    let started = now();
    loop {
        let worker = CLIENT.with(|c| {
            c.borrow()
                .as_ref()
                .filter(|c| c.number == number)
                .map(|c| c.worker.clone())
        });
        let Some(worker) = worker else { return };
        let parts = cursor.borrow_mut().next(&loaded, PART_SPANS);
        if parts.is_empty() {
            post(&worker, &ToSql::Load, None);
            return;
        }
        let (data, transfer) = (Array::new(), Array::new());
        for part in &parts {
            let bytes = Uint8Array::from(part.as_slice());
            transfer.push(&bytes.buffer());
            data.push(&bytes);
        }
        post(&worker, &ToSql::Part, Some((data, transfer)));
        if now() - started > HAND_OVER_TASK_MS {
            set_timeout(
                move || hand_over(number, loaded, cursor),
                std::time::Duration::ZERO,
            );
            return;
        }
    }
}

fn answer(state: AppState, message: FromSql) {
    match message {
        FromSql::Ready => {
            let (Some(loaded), Some(number)) = (
                state.data.get_untracked(),
                CLIENT.with(|c| {
                    let mut c = c.borrow_mut();
                    let client = c.as_mut()?;
                    client.ready = true;
                    Some(client.number)
                }),
            ) else {
                return;
            };
            // Said only when a query waits for the table (the view may be preparing it ahead).
            if state.sql_run.with_untracked(SqlRun::busy) {
                state.sql_run.set(SqlRun::Building {
                    spans: loaded.session.spans.len(),
                });
            }
            hand_over(number, loaded, Rc::new(RefCell::new(PartsCursor::new())));
        }
        FromSql::Loaded { rows, build_ms } => {
            let pending = CLIENT.with(|c| {
                let mut c = c.borrow_mut();
                let client = c.as_mut()?;
                client.loaded = true;
                let (id, sql) = client.pending.take()?;
                post(&client.worker, &ToSql::Query { id, sql }, None);
                Some(())
            });
            super::note_table(rows, build_ms);
            if pending.is_some() {
                state.sql_run.set(SqlRun::Running { started: now() });
            }
        }
        FromSql::LoadFailed { message } => {
            CLIENT.with(|c| stop(c.borrow_mut().take()));
            state.sql_run.set(SqlRun::Failed(QueryError::plain(format!(
                "The records table could not be built: {message}"
            ))));
        }
        FromSql::Result { id, output, ms } => {
            if id == LATEST.with(Cell::get) {
                state.sql_run.set(SqlRun::Done {
                    output: Arc::new(output),
                    ms,
                });
            }
        }
        FromSql::Error { id, error } => {
            if id == LATEST.with(Cell::get) {
                state.sql_run.set(SqlRun::Failed(error));
            }
        }
    }
}
