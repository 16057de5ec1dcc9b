//! From a bag of spans to traces: one tree per trace ([`tree`]), traces joined by their links
//! ([`linked`]), each trace's critical path ([`critical`]), the spans that stand out
//! ([`outliers`]) and the span a trace opens on ([`open_at`]).

mod build;
pub mod critical;
pub mod linked;
pub mod open_at;
pub mod outliers;
pub mod tree;
