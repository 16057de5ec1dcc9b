//! Sightline's pure core: everything that turns trace bytes into what the waterfall draws.
//!
//! It never touches the DOM (no leptos, no web-sys), so it is tested natively with `cargo test`
//! and shared by the browser app and command-line tools. The pipeline is explicit:
//! bytes -> [`decode`] into a [`Session`] (interned, compact) -> [`Forest::build`] links parents,
//! drops duplicates, keeps orphans and breaks cycles -> [`layout`] turns a tree, its collapsed
//! subtrees and a time window into rows and bar geometry.

pub mod critical;
mod decode;
pub mod export;
mod format;
#[doc(hidden)]
pub mod fuzzing;
mod intern;
pub mod joined;
pub mod layout;
mod model;
pub mod panes;
pub mod permalink;
pub mod prepared;
pub mod report;
pub mod search;
pub mod semantic;
mod snapshot;
pub mod stacktrace;
pub mod structured;
pub mod synthetic;
pub mod timeout;
mod tree;
pub mod url_state;

pub use decode::{decode_file, decode_file_with_progress, fingerprint, FileSummary};
pub use format::{format_duration, format_timestamp_utc};
pub use intern::{Interner, Sym};
pub use model::{
    Event, KeyValue, Link, Resource, Scope, Session, Span, SpanId, SpanKind, Status, StatusCode,
    TraceId, Value, Warning, UNNAMED,
};
pub use snapshot::{
    decode_session, forest_parts, forest_parts_each, Assembler, Snapshot, Streamer,
};
pub use tree::{Forest, Node, NodeFlags, Precomputed, TraceTree, MINIMAP_COLUMNS, MINIMAP_ROWS};
