//! What a span means to someone debugging a failure: semantic sections ([`semantic`]), parsed
//! stack traces, structured payloads, timeouts, the failing tests and their causes ([`report`]),
//! and a span written back as OTLP/JSON ([`export`]).

pub mod export;
pub mod report;
pub mod semantic;
pub mod stacktrace;
pub mod structured;
pub mod timeout;
