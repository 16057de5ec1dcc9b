//! Spans of the typed structs into the session, and the slow path that reads a document as a
//! JSON tree, span by span, when the typed structs reject it.

use super::*;

impl Ingest<'_> {
    /// The slow path: walks a generic JSON tree so a span the typed structs reject costs only itself.
    pub(super) fn generic_document(
        &mut self,
        json: &Json,
        text: &[u8],
        start: usize,
        (line, column): (usize, usize),
        err: &serde_json::Error,
    ) {
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
        let (eline, ecol) = error_position(text, start, (line, column), err);
        self.warn(
            format!("line {eline}, column {ecol}"),
            format!(
                "unexpected structure ({}); read span by span",
                err.to_string().split(" at line").next().unwrap_or("")
            ),
        );
        self.batches(batches, &format!("line {line}, "));
    }

    /// The spans of a list of ResourceSpans read from a JSON tree, each on its own (a span the
    /// typed structs reject costs only itself); `at` starts each warning's location.
    pub(super) fn batches(&mut self, batches: &[Json], at: &str) {
        for (ri, rs) in batches.iter().enumerate() {
            let written = rs.get("resource").filter(|r| !r.is_null());
            let resource = match written.map(RawResource::deserialize) {
                Some(Ok(r)) => self.resource(r),
                Some(Err(e)) => {
                    self.warn(
                        format!("{at}resourceSpans[{ri}].resource"),
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
                    let path = format!("{at}resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}]");
                    match RawSpan::deserialize(span) {
                        Ok(raw) => self.span(raw, resource, scope, &path),
                        Err(e) => self.warn(path, format!("span skipped: {e}")),
                    }
                }
            }
        }
    }

    pub(super) fn resource(&mut self, raw: RawResource<'_>) -> u32 {
        let attributes = self.attributes(raw.attributes, &"resource");
        self.add_resource(attributes, count(&raw.dropped_attributes_count))
    }

    pub(super) fn scope(&mut self, raw: RawScope<'_>) -> u32 {
        let scope = Scope {
            name: self.text(raw.name.0.as_deref()),
            version: self.text(raw.version.0.as_deref()),
            attributes: self.attributes(raw.attributes, &"scope"),
        };
        self.add_scope(scope)
    }

    pub(super) fn span(&mut self, raw: RawSpan<'_>, resource: u32, scope: u32, path: &dyn Display) {
        let trace_id = match parse_trace_id(raw.trace_id.0.as_deref()) {
            Ok(Some(id)) => id,
            Ok(None) => {
                self.warn(
                    path.to_string(),
                    "span without a traceId: grouped under trace 0".into(),
                );
                TraceId::default()
            }
            Err(bad) => {
                self.warn(
                    path.to_string(),
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
                self.warn(
                    path.to_string(),
                    format!("{what}: kept with a generated id"),
                );
                SpanId(n.to_be_bytes())
            }
        };
        let parent_id = match parse_span_id(raw.parent_span_id.0.as_deref()) {
            Ok(id) => id.filter(|id| !id.is_zero()),
            Err(bad) => {
                self.warn(
                    path.to_string(),
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
                    path.to_string(),
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
                self.warn(
                    path.to_string(),
                    format!("unknown status code {name:?}: unset"),
                );
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
                    path.to_string(),
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
