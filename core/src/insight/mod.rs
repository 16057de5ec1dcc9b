//! What a span means to someone debugging a failure: semantic sections ([`semantic`]), parsed
//! stack traces ([`stacktrace`]), captured payloads and exceptions ([`payload`]), structured
//! values ([`structured`]), timeouts ([`timeout`]), what a waterfall row says ([`row`]), the
//! details' [`summary`], the failing tests and their causes ([`report`]), and a span written
//! back as OTLP/JSON ([`export`]).

pub mod export;
pub mod payload;
pub mod records;
pub mod report;
pub mod row;
pub mod runs;
pub mod semantic;
pub mod stacktrace;
pub mod structured;
pub mod summary;
pub mod timeout;
