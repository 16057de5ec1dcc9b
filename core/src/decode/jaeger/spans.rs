//! Jaeger spans into the session: the process as the resource, typed tags as attributes, the
//! first CHILD_OF reference as the parent and the others as links, logs as events.

use super::*;

pub(super) fn process_resource(ingest: &mut Ingest<'_>, process: &JProcess<'_>) -> u32 {
    let mut attributes = Vec::with_capacity(process.tags.len() + 1);
    if let Some(name) = process.service_name.0.as_deref() {
        attributes.push(KeyValue {
            key: ingest.intern("service.name"),
            value: Value::Str(ingest.intern(name)),
        });
    }
    attributes.extend(process.tags.iter().filter_map(|t| tag(ingest, t)));
    ingest.add_resource(attributes, 0)
}

/// A Jaeger tag as an attribute, typed by its `type` (or, without one, by its JSON value).
pub(super) fn tag(ingest: &mut Ingest<'_>, t: &JTag<'_>) -> Option<KeyValue> {
    let key = ingest.intern(t.key.0.as_deref()?);
    let ty = t.ty.0.as_deref().unwrap_or("");
    let is = |name: &str| ty.eq_ignore_ascii_case(name);
    let value = match t.value.as_ref().unwrap_or(&Scalar::Null) {
        Scalar::Null | Scalar::Compound => Value::Empty,
        Scalar::Str(s) if is("bool") && s.eq_ignore_ascii_case("true") => Value::Bool(true),
        Scalar::Str(s) if is("bool") && s.eq_ignore_ascii_case("false") => Value::Bool(false),
        Scalar::Str(s) if is("int64") => s
            .trim()
            .parse()
            .map_or_else(|_| Value::Str(ingest.intern(s)), Value::Int),
        Scalar::Str(s) if is("binary") => {
            decode_base64(s).map_or_else(|| Value::Str(ingest.intern(s)), Value::Bytes)
        }
        Scalar::Str(s) => Value::Str(ingest.intern(s)),
        &Scalar::Int(i) if is("float64") => Value::Double(i as f64),
        &Scalar::Int(i) => Value::Int(i),
        &Scalar::Bool(b) => Value::Bool(b),
        &Scalar::UInt(u) => Value::Double(u as f64),
        &Scalar::Float(f) => Value::Double(f),
    };
    Some(KeyValue { key, value })
}

pub(super) fn decode_span(
    ingest: &mut Ingest<'_>,
    json: &Json,
    context: (&HashMap<String, u32>, &mut Missing),
    trace_fallback: Option<TraceId>,
    path: &str,
) {
    match JSpan::deserialize(json) {
        Ok(raw) => span_from(ingest, raw, context, trace_fallback, path),
        Err(e) => ingest.warn(path.into(), format!("span skipped: {e}")),
    }
}

/// A span read by the typed structs, into the session.
pub(super) fn span_from(
    ingest: &mut Ingest<'_>,
    raw: JSpan<'_>,
    (resources, missing): (&HashMap<String, u32>, &mut Missing),
    trace_fallback: Option<TraceId>,
    path: &str,
) {
    let trace_id = trace_id_of(ingest, &raw, trace_fallback, path);
    let Ok(Some(span_id)) = parse_span_id(raw.span_id.0.as_deref()) else {
        ingest.warn(
            path.into(),
            format!("span with an unreadable spanID {:?} skipped", raw.span_id.0),
        );
        return;
    };
    let resource = resource_of(ingest, &raw, (resources, missing), path);
    let (parent_id, links) = references(ingest, &raw, trace_id, path);
    let mut attributes: Vec<KeyValue> = raw.tags.iter().filter_map(|t| tag(ingest, t)).collect();
    let (kind, status, scope) = read_tags(ingest, &attributes);
    let warnings: Vec<Value> = raw
        .warnings
        .iter()
        .filter_map(|w| w.0.as_deref())
        .map(|w| Value::Str(ingest.intern(w)))
        .collect();
    if !warnings.is_empty() {
        attributes.push(KeyValue {
            key: ingest.intern("jaeger.warnings"),
            value: Value::Array(warnings),
        });
    }
    let start = micros(ingest, &raw.start_time, path, "startTime");
    let duration = micros(ingest, &raw.duration, path, "duration");
    let end = if start == 0 {
        0
    } else {
        start.saturating_add(duration)
    };
    let events = logs_as_events(ingest, &raw, path);
    let name = ingest.string(&raw.operation_name);
    let span = Span {
        parent_id,
        flags: u32::try_from(raw.flags.get().unwrap_or(0)).unwrap_or(0),
        kind,
        start,
        end,
        attributes,
        events,
        links,
        status,
        resource,
        scope,
        ..Span::new(trace_id, span_id, name)
    };
    ingest.push_span(span, &path);
}

/// A time in microseconds (Jaeger's unit) as nanoseconds; 0 when unreadable (reported).
pub(super) fn micros(ingest: &mut Ingest<'_>, v: &LenientU64, path: &str, field: &str) -> u64 {
    ingest.time(v, &path, field).saturating_mul(1_000)
}

/// The span's trace id, else its trace's, else trace 0 (reported).
pub(super) fn trace_id_of(
    ingest: &mut Ingest<'_>,
    raw: &JSpan<'_>,
    trace_fallback: Option<TraceId>,
    path: &str,
) -> TraceId {
    if let Ok(Some(t)) = parse_trace_id(raw.trace_id.0.as_deref()) {
        return t;
    }
    if let Some(t) = trace_fallback {
        return t;
    }
    ingest.warn(
        path.into(),
        "span without a readable traceID: grouped under trace 0".into(),
    );
    TraceId::default()
}

/// The span's resource: its own process, else the one its `processID` names, else an empty
/// resource (a process id that names no process is counted, to be reported once).
pub(super) fn resource_of(
    ingest: &mut Ingest<'_>,
    raw: &JSpan<'_>,
    (resources, missing): (&HashMap<String, u32>, &mut Missing),
    path: &str,
) -> u32 {
    match (
        &raw.process,
        raw.process_id.0.as_deref().and_then(|p| resources.get(p)),
    ) {
        (Some(process), _) => process_resource(ingest, process),
        (None, Some(&r)) => r,
        (None, None) => {
            if let Some(p) = raw.process_id.0.as_deref() {
                missing
                    .entry(p.to_string())
                    .or_insert_with(|| (0, path.to_string()))
                    .0 += 1;
            }
            ingest.add_resource(Vec::new(), 0)
        }
    }
}

/// The parent (the first CHILD_OF in this trace, or the legacy `parentSpanID`) and the links
/// (every other reference, with its type as `opentracing.ref_type`).
pub(super) fn references(
    ingest: &mut Ingest<'_>,
    raw: &JSpan<'_>,
    trace_id: TraceId,
    path: &str,
) -> (Option<SpanId>, Vec<Link>) {
    let mut parent_id = None;
    let mut links = Vec::new();
    for r in &raw.references {
        let (Ok(Some(rt)), Ok(Some(rs))) = (
            parse_trace_id(r.trace_id.0.as_deref()),
            parse_span_id(r.span_id.0.as_deref()),
        ) else {
            ingest.warn(path.into(), "reference with unreadable ids skipped".into());
            continue;
        };
        let ref_type = r
            .ref_type
            .0
            .as_deref()
            .unwrap_or("CHILD_OF")
            .to_ascii_uppercase();
        if parent_id.is_none() && ref_type == "CHILD_OF" && rt == trace_id {
            parent_id = Some(rs);
            continue;
        }
        let key = ingest.intern("opentracing.ref_type");
        let value = Value::Str(ingest.intern(&ref_type.to_ascii_lowercase()));
        links.push(Link {
            trace_id: rt,
            span_id: rs,
            trace_state: crate::model::intern::Sym::EMPTY,
            attributes: vec![KeyValue { key, value }],
            dropped_attributes: 0,
        });
    }
    if parent_id.is_none() {
        parent_id = parse_span_id(raw.parent_span_id.0.as_deref())
            .ok()
            .flatten()
            .filter(|p| !p.is_zero());
    }
    (parent_id, links)
}

/// What OpenTelemetry's Jaeger exporter writes as tags: the span kind, the status (or the
/// OpenTracing `error` tag) and the instrumentation scope (added to the session).
pub(super) fn read_tags(
    ingest: &mut Ingest<'_>,
    attributes: &[KeyValue],
) -> (SpanKind, Status, u32) {
    let text = |ingest: &Ingest<'_>, key: &str| -> Option<String> {
        let k = ingest.session.strings.lookup(key)?;
        attributes
            .iter()
            .find(|kv| kv.key == k)
            .map(|kv| kv.value.display(&ingest.session.strings))
    };
    let kind = text(ingest, "span.kind")
        .and_then(|k| SpanKind::from_name(&k))
        .unwrap_or(SpanKind::Unspecified);
    let code = match text(ingest, "otel.status_code")
        .as_deref()
        .and_then(StatusCode::from_name)
    {
        Some(c) => c,
        None if text(ingest, "error").is_some_and(|e| e.eq_ignore_ascii_case("true")) => {
            StatusCode::Error
        }
        None => StatusCode::Unset,
    };
    let message = text(ingest, "otel.status_description").unwrap_or_default();
    let scope_name = text(ingest, "otel.scope.name").or_else(|| text(ingest, "otel.library.name"));
    let scope_version =
        text(ingest, "otel.scope.version").or_else(|| text(ingest, "otel.library.version"));
    let scope = Scope {
        name: ingest.intern(scope_name.as_deref().unwrap_or("")),
        version: ingest.intern(scope_version.as_deref().unwrap_or("")),
        attributes: Vec::new(),
    };
    let status = Status {
        code,
        message: ingest.intern(&message),
    };
    (kind, status, ingest.add_scope(scope))
}

/// Jaeger's logs as events: the `event` field names one, the other fields are its attributes.
pub(super) fn logs_as_events(ingest: &mut Ingest<'_>, raw: &JSpan<'_>, path: &str) -> Vec<Event> {
    raw.logs
        .iter()
        .map(|log| {
            let time = micros(ingest, &log.timestamp, path, "log timestamp");
            let mut name = None;
            let mut attrs = Vec::with_capacity(log.fields.len());
            for f in &log.fields {
                let is_event = f.key.0.as_deref() == Some("event");
                match (&f.value, is_event && name.is_none()) {
                    (Some(Scalar::Str(s)), true) => name = Some(ingest.intern(s)),
                    _ => attrs.extend(tag(ingest, f)),
                }
            }
            Event {
                time,
                name: name.unwrap_or_else(|| ingest.intern("log")),
                attributes: attrs,
                dropped_attributes: 0,
            }
        })
        .collect()
}
