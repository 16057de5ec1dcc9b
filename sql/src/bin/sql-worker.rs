//! The SQL Web Worker: holds the `records` table of the page's session and runs queries on it
//! with the engine, off the page's main thread. The page starts it when the SQL view first
//! opens, so neither the first paint nor the app's own wasm pays for the engine.
//!
//! It speaks `sightline_core::wire::query`: it hears [`ToSql`] (`Part`s with the session's
//! pieces as buffers, `Load`, then `Query`) and answers [`FromSql`] (`Ready` once, `Loaded` or `LoadFailed`,
//! then `Result` or `Error` for each query). A query runs to its end in one task: the page
//! cancels one by terminating the worker.

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::run();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the SQL worker is a Web Worker: it only runs in the browser (see `sightline sql`)");
}

#[cfg(target_arch = "wasm32")]
mod worker {
    use std::cell::RefCell;
    use std::rc::Rc;

    use js_sys::{Array, Object, Reflect, Uint8Array};
    use sightline_core::wire::protocol;
    use sightline_core::wire::query::{FromSql, QueryError, ToSql};
    use sightline_core::Assembler;
    use sightline_sql::Engine;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    fn post(scope: &DedicatedWorkerGlobalScope, message: &FromSql) {
        let envelope = Object::new();
        let _ = Reflect::set(
            &envelope,
            &"head".into(),
            &protocol::to_text(message).into(),
        );
        let _ = scope.post_message(&envelope);
    }

    fn read(data: &JsValue) -> Result<(ToSql, Array), String> {
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

    /// Adds a message's pieces of the session.
    fn add_parts(assembler: &mut Assembler, buffers: &Array) -> Result<(), String> {
        for piece in buffers.iter() {
            let bytes: Uint8Array = piece
                .dyn_into()
                .map_err(|_| "a piece of the session is not a Uint8Array".to_string())?;
            assembler.add(&bytes.to_vec())?;
        }
        Ok(())
    }

    /// Reads the session from its pieces and builds the table.
    fn load(assembler: Assembler) -> Result<Engine, String> {
        let loaded = assembler.finish()?;
        Engine::new(&loaded).map_err(|e| e.message)
    }

    pub fn run() {
        console_error_panic_hook::set_once();
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let reply_to = scope.clone();
        let engine: Rc<RefCell<Option<Engine>>> = Rc::new(RefCell::new(None));
        let pieces = RefCell::new(Assembler::new());
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let answer = match read(&e.data()) {
                Err(message) => FromSql::LoadFailed { message },
                Ok((ToSql::Part, buffers)) => match add_parts(&mut pieces.borrow_mut(), &buffers) {
                    Ok(()) => return,
                    Err(message) => FromSql::LoadFailed { message },
                },
                Ok((ToSql::Load, _)) => {
                    let started = js_sys::Date::now();
                    match load(pieces.replace(Assembler::new())) {
                        Ok(built) => {
                            let rows = built.rows() as u64;
                            *engine.borrow_mut() = Some(built);
                            FromSql::Loaded {
                                rows,
                                build_ms: js_sys::Date::now() - started,
                            }
                        }
                        Err(message) => FromSql::LoadFailed { message },
                    }
                }
                Ok((ToSql::Query { id, sql }, _)) => {
                    let started = js_sys::Date::now();
                    let result = match engine.borrow().as_ref() {
                        Some(engine) => engine.query(&sql),
                        None => Err(QueryError::plain("no traces are loaded")),
                    };
                    match result {
                        Ok(output) => FromSql::Result {
                            id,
                            output,
                            ms: js_sys::Date::now() - started,
                        },
                        Err(error) => FromSql::Error { id, error },
                    }
                }
            };
            post(&reply_to, &answer);
        });
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        post(&scope, &FromSql::Ready);
    }
}
