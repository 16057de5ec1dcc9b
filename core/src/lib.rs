//! Sightline's pure core: everything that turns trace bytes into what the waterfall draws.
//!
//! It never touches the DOM (no leptos, no web-sys), so it is tested natively with `cargo test`
//! and shared by the browser app and command-line tools. Its modules are the pipeline's stages,
//! in the order data flows through them (ARCHITECTURE.md has the table):
//!
//! 1. [`model`]: ids, interned strings, spans and the session that holds them;
//! 2. [`decode`]: file bytes (any container, any format, damaged or not) into the session;
//! 3. [`trace`]: the session's spans into trees, linked traces and critical paths;
//! 4. [`view`]: trees into rows, bars, ticks, search matches and page addresses;
//! 5. [`insight`]: what spans mean (semantic sections, stack traces, payloads, failures);
//! 6. [`session`]: all of it run over the loaded files: the session, its trees and failures,
//!    and the page addresses that point into it;
//! 7. [`wire`]: the loaded session in the compact form that crosses the worker boundary.
//!
//! A stage imports only the stages before it (`tests/layering.rs` checks this), and the
//! re-exports below follow the same order.

pub mod model;

pub mod decode;

pub mod trace;

pub mod view;

pub mod insight;

pub mod session;

pub mod wire;

pub mod synthetic;

#[cfg(feature = "testing")]
pub mod fuzzing;

pub use model::intern::{Interner, Sym};
pub use model::{
    Event, KeyValue, Link, Resource, Scope, Session, Span, SpanId, SpanKind, Status, StatusCode,
    TraceId, Value, Warning, UNNAMED,
};

pub use decode::{decode_file, decode_file_with_progress, fingerprint, FileSummary, StreamDecoder};

pub use trace::tree::{
    Forest, Node, NodeFlags, Precomputed, TraceTree, MINIMAP_COLUMNS, MINIMAP_ROWS,
};

pub use view::format::{format_duration, format_timestamp_utc};

pub use session::{decode_session, Loaded};

pub use wire::{forest_parts, forest_parts_each, Assembler, PartsCursor, Streamer};
