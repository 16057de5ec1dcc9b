//! The trace model: what every decoder produces, whatever the input format was.
//!
//! Ids are fixed-size bytes, times are `u64` nanoseconds since the Unix epoch (0 = unknown), and
//! strings are interned ([`intern`]). Spans of all files of a session live in one vector; the
//! trace stage's trees index into it.

pub mod ids;
pub mod intern;
mod session;
mod span;

pub use ids::{SpanId, TraceId};
pub use session::*;
pub use span::*;
