//! The typed structs an OTLP/JSON document is read into when the fast scanner hands it over:
//! every field lenient (see `field_types.rs`), so one odd field never fails a document.

use super::*;

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawResource<'a> {
    #[serde(borrow, deserialize_with = "null_default")]
    pub(super) attributes: Vec<RawKeyValue<'a>>,
    #[serde(alias = "dropped_attributes_count")]
    pub(super) dropped_attributes_count: LenientU64,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawScopeSpans<'a> {
    #[serde(alias = "instrumentationLibrary", alias = "instrumentation_library")]
    #[serde(borrow, deserialize_with = "null_default")]
    pub(super) scope: RawScope<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    pub(super) spans: Vec<RawSpan<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawScope<'a> {
    #[serde(borrow)]
    pub(super) name: LenientStr<'a>,
    #[serde(borrow)]
    pub(super) version: LenientStr<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    pub(super) attributes: Vec<RawKeyValue<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawSpan<'a> {
    #[serde(alias = "trace_id")]
    #[serde(borrow)]
    pub(super) trace_id: LenientStr<'a>,
    #[serde(alias = "span_id")]
    #[serde(borrow)]
    pub(super) span_id: LenientStr<'a>,
    #[serde(alias = "parent_span_id")]
    #[serde(borrow)]
    pub(super) parent_span_id: LenientStr<'a>,
    #[serde(alias = "trace_state")]
    #[serde(borrow)]
    pub(super) trace_state: LenientStr<'a>,
    pub(super) flags: LenientU64,
    #[serde(borrow)]
    pub(super) name: LenientStr<'a>,
    pub(super) kind: LenientEnum,
    #[serde(alias = "start_time_unix_nano")]
    pub(super) start_time_unix_nano: LenientU64,
    #[serde(alias = "end_time_unix_nano")]
    pub(super) end_time_unix_nano: LenientU64,
    #[serde(borrow, deserialize_with = "null_default")]
    pub(super) attributes: Vec<RawKeyValue<'a>>,
    #[serde(alias = "dropped_attributes_count")]
    pub(super) dropped_attributes_count: LenientU64,
    #[serde(borrow, deserialize_with = "null_default")]
    pub(super) events: Vec<RawEvent<'a>>,
    #[serde(alias = "dropped_events_count")]
    pub(super) dropped_events_count: LenientU64,
    #[serde(borrow, deserialize_with = "null_default")]
    pub(super) links: Vec<RawLink<'a>>,
    #[serde(alias = "dropped_links_count")]
    pub(super) dropped_links_count: LenientU64,
    #[serde(borrow, deserialize_with = "null_default")]
    pub(super) status: RawStatus<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawEvent<'a> {
    #[serde(alias = "time_unix_nano")]
    pub(super) time_unix_nano: LenientU64,
    #[serde(borrow)]
    pub(super) name: LenientStr<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    pub(super) attributes: Vec<RawKeyValue<'a>>,
    #[serde(alias = "dropped_attributes_count")]
    pub(super) dropped_attributes_count: LenientU64,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawLink<'a> {
    #[serde(alias = "trace_id")]
    #[serde(borrow)]
    pub(super) trace_id: LenientStr<'a>,
    #[serde(alias = "span_id")]
    #[serde(borrow)]
    pub(super) span_id: LenientStr<'a>,
    #[serde(alias = "trace_state")]
    #[serde(borrow)]
    pub(super) trace_state: LenientStr<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    pub(super) attributes: Vec<RawKeyValue<'a>>,
    #[serde(alias = "dropped_attributes_count")]
    pub(super) dropped_attributes_count: LenientU64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawStatus<'a> {
    pub(super) code: LenientEnum,
    #[serde(borrow)]
    pub(super) message: LenientStr<'a>,
}
