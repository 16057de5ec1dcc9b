//! Sightline, the browser app: thin Leptos components over [`sightline_core`].
//!
//! Everything here exists only on wasm32; on the host this crate is empty, so `cargo test` of the
//! workspace never compiles leptos.

#[cfg(target_arch = "wasm32")]
pub mod ui;
