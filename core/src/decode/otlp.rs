//! OTLP/JSON (`ExportTraceServiceRequest`), as the spec writes it and as real writers do:
//! hex or base64 ids, enum numbers or names, int64 as strings, numbers or `{low, high}`,
//! camelCase or snake_case keys, `instrumentationLibrarySpans`, and the wrappers of Tempo
//! (`batches`, `trace`) and Jaeger v3 (`result`). A file may hold several documents, one per line
//! (the Collector's file exporter) or simply concatenated.
//!
//! Each document is first read with typed structs (fast). If that fails, the document is read as a
//! generic JSON tree and every span is converted on its own, so one broken span costs one span.

use serde::Deserialize;
use serde_json::Value as Json;

use super::ingest::{count, parse_span_id, parse_trace_id, Ingest};
use super::lenient::{LenientEnum, LenientStr, LenientU64, RawKeyValue};
use super::{jaeger, line_col};
use crate::model::{
    Event, Link, Scope, Session, Span, SpanId, SpanKind, Status, StatusCode, TraceId,
};

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawDocument<'a> {
    #[serde(alias = "resource_spans")]
    #[serde(borrow)]
    resource_spans: Option<Vec<RawResourceSpans<'a>>>,
    #[serde(borrow)]
    batches: Option<Vec<RawResourceSpans<'a>>>,
    #[serde(borrow)]
    trace: Option<Box<RawDocument<'a>>>,
    #[serde(borrow)]
    result: Option<Box<RawDocument<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawResourceSpans<'a> {
    #[serde(borrow)]
    resource: RawResource<'a>,
    #[serde(
        alias = "scope_spans",
        alias = "instrumentationLibrarySpans",
        alias = "instrumentation_library_spans"
    )]
    #[serde(borrow)]
    scope_spans: Vec<RawScopeSpans<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawResource<'a> {
    #[serde(borrow)]
    attributes: Vec<RawKeyValue<'a>>,
    #[serde(alias = "dropped_attributes_count")]
    dropped_attributes_count: LenientU64,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawScopeSpans<'a> {
    #[serde(alias = "instrumentationLibrary", alias = "instrumentation_library")]
    #[serde(borrow)]
    scope: RawScope<'a>,
    #[serde(borrow)]
    spans: Vec<RawSpan<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawScope<'a> {
    #[serde(borrow)]
    name: LenientStr<'a>,
    #[serde(borrow)]
    version: LenientStr<'a>,
    #[serde(borrow)]
    attributes: Vec<RawKeyValue<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawSpan<'a> {
    #[serde(alias = "trace_id")]
    #[serde(borrow)]
    trace_id: LenientStr<'a>,
    #[serde(alias = "span_id")]
    #[serde(borrow)]
    span_id: LenientStr<'a>,
    #[serde(alias = "parent_span_id")]
    #[serde(borrow)]
    parent_span_id: LenientStr<'a>,
    #[serde(alias = "trace_state")]
    #[serde(borrow)]
    trace_state: LenientStr<'a>,
    flags: LenientU64,
    #[serde(borrow)]
    name: LenientStr<'a>,
    kind: LenientEnum,
    #[serde(alias = "start_time_unix_nano")]
    start_time_unix_nano: LenientU64,
    #[serde(alias = "end_time_unix_nano")]
    end_time_unix_nano: LenientU64,
    #[serde(borrow)]
    attributes: Vec<RawKeyValue<'a>>,
    #[serde(alias = "dropped_attributes_count")]
    dropped_attributes_count: LenientU64,
    #[serde(borrow)]
    events: Vec<RawEvent<'a>>,
    #[serde(alias = "dropped_events_count")]
    dropped_events_count: LenientU64,
    #[serde(borrow)]
    links: Vec<RawLink<'a>>,
    #[serde(alias = "dropped_links_count")]
    dropped_links_count: LenientU64,
    #[serde(borrow)]
    status: RawStatus<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawEvent<'a> {
    #[serde(alias = "time_unix_nano")]
    time_unix_nano: LenientU64,
    #[serde(borrow)]
    name: LenientStr<'a>,
    #[serde(borrow)]
    attributes: Vec<RawKeyValue<'a>>,
    #[serde(alias = "dropped_attributes_count")]
    dropped_attributes_count: LenientU64,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawLink<'a> {
    #[serde(alias = "trace_id")]
    #[serde(borrow)]
    trace_id: LenientStr<'a>,
    #[serde(alias = "span_id")]
    #[serde(borrow)]
    span_id: LenientStr<'a>,
    #[serde(alias = "trace_state")]
    #[serde(borrow)]
    trace_state: LenientStr<'a>,
    #[serde(borrow)]
    attributes: Vec<RawKeyValue<'a>>,
    #[serde(alias = "dropped_attributes_count")]
    dropped_attributes_count: LenientU64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawStatus<'a> {
    code: LenientEnum,
    #[serde(borrow)]
    message: LenientStr<'a>,
}

/// Decodes every OTLP/JSON document in `bytes`. Returns the format name when at least one
/// document was OTLP, `None` when nothing was.
/// Decodes every JSON document in `bytes`: OTLP, or Jaeger JSON objects (see [`jaeger`]).
/// Returns the format of what was read, `None` when nothing was a trace.
pub(super) fn decode(session: &mut Session, source: &str, bytes: &[u8]) -> Option<&'static str> {
    let mut ingest = Ingest::new(session, source);
    let raw = strip_bom(bytes);
    // Checking UTF-8 once up front lets serde_json read from a &str, which skips the check per
    // string and borrows strings without escapes instead of copying them.
    let repaired: String;
    let text_str: &str = match std::str::from_utf8(raw) {
        Ok(s) => s,
        Err(e) => {
            repaired = String::from_utf8_lossy(raw).into_owned();
            let (line, col) = line_col(raw, e.valid_up_to());
            let replaced = repaired.matches('\u{FFFD}').count();
            ingest.warn(
                format!("line {line}, column {col} (byte {})", e.valid_up_to()),
                format!("invalid UTF-8: {replaced} bad sequences shown as \u{FFFD}; the text around them is kept"),
            );
            &repaired
        }
    };
    let text = text_str.as_bytes();
    let mut offset = 0;
    while offset < text.len() {
        let rest = &text[offset..];
        let skip = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if skip == rest.len() {
            break;
        }
        let start = offset + skip;
        let mut stream =
            serde_json::Deserializer::from_str(&text_str[start..]).into_iter::<RawDocument>();
        match stream.next() {
            Some(Ok(doc)) => {
                let end = start + stream.byte_offset();
                ingest.document(doc, &text[..end], start);
                offset = end;
            }
            Some(Err(typed_err)) => {
                // Not readable with the typed structs: find the document's extent as generic JSON.
                let mut generic =
                    serde_json::Deserializer::from_str(&text_str[start..]).into_iter::<Json>();
                match generic.next() {
                    Some(Ok(json)) => {
                        let end = start + generic.byte_offset();
                        ingest.generic_document(&json, &text[..end], start, &typed_err);
                        offset = end;
                    }
                    _ => {
                        let (line, _) = line_col(text, start);
                        let (eline, ecol) = error_position(text, start, &typed_err);
                        let next = next_document_start(text, start);
                        ingest.warn(
                            format!("line {line}"),
                            format!(
                                "not valid JSON ({} at line {eline}, column {ecol}); skipped to the next document",
                                typed_err.to_string().split(" at line").next().unwrap_or("")
                            ),
                        );
                        offset = next;
                    }
                }
            }
            None => break,
        }
    }
    ingest.format
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Line and column in the whole file of an error raised while reading from `start`.
fn error_position(text: &[u8], start: usize, err: &serde_json::Error) -> (usize, usize) {
    let (base_line, base_col) = line_col(text, start);
    let (line, col) = if err.line() <= 1 {
        (base_line, base_col + err.column().saturating_sub(1))
    } else {
        (base_line + err.line() - 1, err.column())
    };
    if col == 0 && line > 1 {
        // serde_json puts an error at a newline at column 0 of the next line: point at the
        // newline itself, the end of the line where the problem is.
        let width = text
            .split(|&b| b == b'\n')
            .nth(line - 2)
            .map_or(0, <[u8]>::len);
        return (line - 1, width + 1);
    }
    (line, col)
}

/// Where reading resumes after a document that is not valid JSON: the next line that opens a
/// document in its first column (JSON Lines, concatenated pretty-printed documents), else the end.
fn next_document_start(text: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < text.len() {
        if text[i - 1] == b'\n' && matches!(text[i], b'{' | b'[') {
            return i;
        }
        i += 1;
    }
    text.len()
}

impl Ingest<'_> {
    fn document(&mut self, doc: RawDocument<'_>, text: &[u8], start: usize) {
        let (line, _) = line_col(text, start);
        let Some(batches) = unwrap_document(doc) else {
            // Not OTLP: perhaps a Jaeger trace or envelope. Read it again as a generic tree.
            match serde_json::from_slice::<Json>(&text[start..]) {
                Ok(json) if jaeger::decode_object(self, &json, line) => {}
                _ => self.warn(
                    format!("line {line}"),
                    "JSON document without resourceSpans, Jaeger data or spans: not a trace, skipped"
                        .into(),
                ),
            }
            return;
        };
        self.format.get_or_insert("OTLP/JSON");
        for (ri, rs) in batches.into_iter().enumerate() {
            let resource = self.resource(rs.resource);
            for (si, ss) in rs.scope_spans.into_iter().enumerate() {
                let scope = self.scope(ss.scope);
                for (pi, span) in ss.spans.into_iter().enumerate() {
                    let path =
                        format!("line {line}, resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}]");
                    self.span(span, resource, scope, &path);
                }
            }
        }
    }

    /// The slow path: walks a generic JSON tree so a span the typed structs reject costs only itself.
    fn generic_document(
        &mut self,
        json: &Json,
        text: &[u8],
        start: usize,
        err: &serde_json::Error,
    ) {
        let (line, _) = line_col(text, start);
        let Some(batches) = find_batches(json) else {
            if !jaeger::decode_object(self, json, line) {
                self.warn(
                    format!("line {line}"),
                    "JSON document without resourceSpans, Jaeger data or spans: not a trace, skipped"
                        .into(),
                );
            }
            return;
        };
        self.format.get_or_insert("OTLP/JSON");
        let (eline, ecol) = error_position(text, start, err);
        self.warn(
            format!("line {eline}, column {ecol}"),
            format!(
                "unexpected structure ({}); read span by span",
                err.to_string().split(" at line").next().unwrap_or("")
            ),
        );
        for (ri, rs) in batches.iter().enumerate() {
            let resource = match rs.get("resource").map(RawResource::deserialize) {
                Some(Ok(r)) => self.resource(r),
                Some(Err(e)) => {
                    self.warn(
                        format!("line {line}, resourceSpans[{ri}].resource"),
                        format!("unreadable resource ({e}); its spans are kept without it"),
                    );
                    self.resource(RawResource::default())
                }
                None => self.resource(RawResource::default()),
            };
            let scope_spans = [
                "scopeSpans",
                "scope_spans",
                "instrumentationLibrarySpans",
                "instrumentation_library_spans",
            ]
            .iter()
            .find_map(|k| rs.get(*k))
            .and_then(Json::as_array);
            for (si, ss) in scope_spans.into_iter().flatten().enumerate() {
                let raw_scope = ["scope", "instrumentationLibrary", "instrumentation_library"]
                    .iter()
                    .find_map(|k| ss.get(*k))
                    .and_then(|s| RawScope::deserialize(s).ok())
                    .unwrap_or_default();
                let scope = self.scope(raw_scope);
                let spans = ss.get("spans").and_then(Json::as_array);
                for (pi, span) in spans.into_iter().flatten().enumerate() {
                    let path =
                        format!("line {line}, resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}]");
                    match RawSpan::deserialize(span) {
                        Ok(raw) => self.span(raw, resource, scope, &path),
                        Err(e) => self.warn(path, format!("span skipped: {e}")),
                    }
                }
            }
        }
    }

    fn resource(&mut self, raw: RawResource<'_>) -> u32 {
        let attributes = self.attributes(raw.attributes, "resource");
        self.add_resource(attributes, count(&raw.dropped_attributes_count))
    }

    fn scope(&mut self, raw: RawScope<'_>) -> u32 {
        let scope = Scope {
            name: self.text(raw.name.0.as_deref()),
            version: self.text(raw.version.0.as_deref()),
            attributes: self.attributes(raw.attributes, "scope"),
        };
        self.add_scope(scope)
    }

    fn span(&mut self, raw: RawSpan<'_>, resource: u32, scope: u32, path: &str) {
        let trace_id = match parse_trace_id(raw.trace_id.0.as_deref()) {
            Ok(Some(id)) => id,
            Ok(None) => {
                self.warn(
                    path.into(),
                    "span without a traceId: grouped under trace 0".into(),
                );
                TraceId::default()
            }
            Err(bad) => {
                self.warn(
                    path.into(),
                    format!("unreadable traceId {bad:?}: grouped under trace 0"),
                );
                TraceId::default()
            }
        };
        let span_id = match parse_span_id(raw.span_id.0.as_deref()) {
            Ok(Some(id)) => id,
            other => {
                // Keep the span: give it an id no real span has, derived from its position.
                let n = self.session.spans.len() as u64 | (1 << 63);
                let n =
                    u64::from_be_bytes(self.unused_span_id(trace_id, SpanId(n.to_be_bytes())).0);
                let what = match other {
                    Err(bad) => format!("unreadable spanId {bad:?}"),
                    _ => "span without a spanId".to_string(),
                };
                self.warn(path.into(), format!("{what}: kept with a generated id"));
                SpanId(n.to_be_bytes())
            }
        };
        let parent_id = match parse_span_id(raw.parent_span_id.0.as_deref()) {
            Ok(id) => id.filter(|id| !id.is_zero()),
            Err(bad) => {
                self.warn(
                    path.into(),
                    format!("unreadable parentSpanId {bad:?}: shown as a root"),
                );
                None
            }
        };
        let start = self.time(&raw.start_time_unix_nano, path, "startTimeUnixNano");
        let end = self.time(&raw.end_time_unix_nano, path, "endTimeUnixNano");
        let kind = match raw.kind {
            LenientEnum::Absent => SpanKind::Unspecified,
            LenientEnum::Number(n) => SpanKind::from_number(n),
            LenientEnum::Name(ref name) => SpanKind::from_name(name).unwrap_or_else(|| {
                self.warn(
                    path.into(),
                    format!("unknown span kind {name:?}: unspecified"),
                );
                SpanKind::Unspecified
            }),
            LenientEnum::Invalid => SpanKind::Unspecified,
        };
        let code = match raw.status.code {
            LenientEnum::Absent | LenientEnum::Invalid => StatusCode::Unset,
            LenientEnum::Number(n) => StatusCode::from_number(n),
            LenientEnum::Name(ref name) => StatusCode::from_name(name).unwrap_or_else(|| {
                self.warn(path.into(), format!("unknown status code {name:?}: unset"));
                StatusCode::Unset
            }),
        };
        let status = Status {
            code,
            message: self.text(raw.status.message.0.as_deref()),
        };
        let name = self.text(raw.name.0.as_deref());
        let trace_state = self.text(raw.trace_state.0.as_deref());
        let attributes = self.attributes(raw.attributes, path);
        let mut events = Vec::with_capacity(raw.events.len());
        for ev in raw.events {
            let time = self.time(&ev.time_unix_nano, path, "event timeUnixNano");
            events.push(Event {
                time,
                name: self.text(ev.name.0.as_deref()),
                attributes: self.attributes(ev.attributes, path),
                dropped_attributes: count(&ev.dropped_attributes_count),
            });
        }
        let mut links = Vec::with_capacity(raw.links.len());
        for link in raw.links {
            let (Ok(Some(tid)), Ok(Some(sid))) = (
                parse_trace_id(link.trace_id.0.as_deref()),
                parse_span_id(link.span_id.0.as_deref()),
            ) else {
                self.warn(
                    path.into(),
                    "link with an unreadable traceId or spanId skipped".into(),
                );
                continue;
            };
            links.push(Link {
                trace_id: tid,
                span_id: sid,
                trace_state: self.text(link.trace_state.0.as_deref()),
                attributes: self.attributes(link.attributes, path),
                dropped_attributes: count(&link.dropped_attributes_count),
            });
        }
        let span = Span {
            trace_id,
            span_id,
            parent_id,
            trace_state,
            flags: u32::try_from(raw.flags.get().unwrap_or(0)).unwrap_or(0),
            name,
            kind,
            start,
            end,
            attributes,
            dropped_attributes: count(&raw.dropped_attributes_count),
            events,
            dropped_events: count(&raw.dropped_events_count),
            links,
            dropped_links: count(&raw.dropped_links_count),
            status,
            resource,
            scope,
        };
        self.push_span(span, path);
    }
}

/// Follows the Tempo and Jaeger wrappers down to the list of resourceSpans.
fn unwrap_document(doc: RawDocument<'_>) -> Option<Vec<RawResourceSpans<'_>>> {
    if let Some(rs) = doc.resource_spans {
        return Some(rs);
    }
    if let Some(b) = doc.batches {
        return Some(b);
    }
    if let Some(inner) = doc.trace {
        return unwrap_document(*inner);
    }
    doc.result.and_then(|inner| unwrap_document(*inner))
}

fn find_batches(json: &Json) -> Option<&Vec<Json>> {
    for key in ["resourceSpans", "resource_spans", "batches"] {
        if let Some(list) = json.get(key).and_then(Json::as_array) {
            return Some(list);
        }
    }
    ["trace", "result"]
        .iter()
        .find_map(|k| json.get(*k).and_then(find_batches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_hex_and_base64() {
        let hex = parse_trace_id(Some("5B8EFFF798038103D269B633813FC60C"))
            .unwrap()
            .unwrap();
        let b64 = parse_trace_id(Some("W47/95gDgQPSabYzgT/GDA=="))
            .unwrap()
            .unwrap();
        assert_eq!(hex, b64);
        assert_eq!(hex.to_string(), "5b8efff798038103d269b633813fc60c");
        let short = parse_trace_id(Some("00000000000000ff")).unwrap().unwrap();
        assert_eq!(short.0[15], 0xff);
        assert_eq!(parse_span_id(Some("")), Ok(None));
        assert!(parse_span_id(Some("zz-not-an-id")).is_err());
        assert!(parse_span_id(Some("0102030405060708090a")).is_err());
    }
}
