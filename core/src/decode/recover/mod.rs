//! Reading what can be read of a Jaeger or Zipkin document that is not whole JSON: one cut off
//! while it was written ([`truncated`]), or damaged in its middle ([`resync`]). The OTLP reader
//! has its own, finer salvage (`otlp/salvage.rs`).

mod records;
pub(crate) mod resync;
pub(crate) mod truncated;
