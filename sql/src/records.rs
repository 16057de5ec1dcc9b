//! The `records` table: one row per span of the loaded session, with Logfire's documented
//! columns as far as the data allows and Sightline's own (the CI run, the test, the file).

use std::fmt::Write;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder,
    TimestampNanosecondBuilder, UInt32Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use sightline_core::insight::report::test_outcomes;
use sightline_core::insight::runs::history::NameKeys;
use sightline_core::insight::structured::looks_structured;
use sightline_core::model::{Event, KeyValue, Link, Session, Span, StatusCode, Value};
use sightline_core::{Interner, Loaded, Sym};

use sightline_core::insight::records::{COLUMNS, TS};

fn data_type(sql_type: &str) -> DataType {
    match sql_type {
        TS => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        "double" => DataType::Float64,
        "boolean" => DataType::Boolean,
        "bigint" => DataType::Int64,
        "int unsigned" => DataType::UInt32,
        _ => DataType::Utf8,
    }
}

/// The table's Arrow schema.
pub fn schema() -> SchemaRef {
    let not_null = [
        "trace_id",
        "span_id",
        "kind",
        "span_name",
        "message",
        "level",
    ];
    Arc::new(Schema::new(
        COLUMNS
            .iter()
            .map(|c| Field::new(c.name, data_type(c.sql_type), !not_null.contains(&c.name)))
            .collect::<Vec<_>>(),
    ))
}

/// Rows per record batch.
const BATCH_ROWS: usize = 8192;

/// The attribute keys the columns read, looked up once.
struct Keys {
    msg: Option<Sym>,
    span_type: Option<Sym>,
    level_num: Option<Sym>,
    exception: Option<Sym>,
    exc_type: Option<Sym>,
    exc_message: Option<Sym>,
    exc_stack: Option<Sym>,
    method: [Option<Sym>; 2],
    route: [Option<Sym>; 1],
    status: [Option<Sym>; 2],
    url: [Option<Sym>; 2],
    version: [Option<Sym>; 1],
    environment: [Option<Sym>; 2],
}

impl Keys {
    fn new(s: &Interner) -> Keys {
        let k = |key: &str| s.lookup(key);
        Keys {
            msg: k("logfire.msg"),
            span_type: k("logfire.span_type"),
            level_num: k("logfire.level_num"),
            exception: k("exception"),
            exc_type: k("exception.type"),
            exc_message: k("exception.message"),
            exc_stack: k("exception.stacktrace"),
            method: [k("http.request.method"), k("http.method")],
            route: [k("http.route")],
            status: [k("http.response.status_code"), k("http.status_code")],
            url: [k("url.full"), k("http.url")],
            version: [k("service.version")],
            environment: [
                k("deployment.environment.name"),
                k("deployment.environment"),
            ],
        }
    }
}

fn find(attrs: &[KeyValue], key: Option<Sym>) -> Option<&Value> {
    let key = key?;
    attrs.iter().find(|kv| kv.key == key).map(|kv| &kv.value)
}

fn first_text<'a>(s: &'a Interner, attrs: &[KeyValue], keys: &[Option<Sym>]) -> Option<&'a str> {
    keys.iter()
        .find_map(|&k| find(attrs, k)?.as_str())
        .map(|sym| s.get(sym))
        .filter(|t| !t.is_empty())
}

fn first_int(s: &Interner, attrs: &[KeyValue], keys: &[Option<Sym>]) -> Option<i64> {
    keys.iter().find_map(|&k| match find(attrs, k)? {
        Value::Int(i) => Some(*i),
        Value::Double(d) if d.fract() == 0.0 => Some(*d as i64),
        Value::Str(t) => s.get(*t).trim().parse().ok(),
        _ => None,
    })
}

/// Logfire's level names by `logfire.level_num`.
fn level_name(num: i64) -> &'static str {
    match num {
        i64::MIN..=4 => "trace",
        5..=8 => "debug",
        9 => "info",
        10..=12 => "notice",
        13..=16 => "warn",
        17..=20 => "error",
        _ => "fatal",
    }
}

/// Writes `text` as a JSON string: runs of plain characters copied whole, the rest escaped.
fn json_string(out: &mut String, text: &str) {
    out.push('"');
    let mut plain = 0;
    for (i, b) in text.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[plain..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        plain = i + 1;
    }
    out.push_str(&text[plain..]);
    out.push('"');
}

/// Whether `text` is a JSON object or array (checked, not built).
fn is_structured(text: &str) -> bool {
    looks_structured(text) && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// Writes an attribute value as JSON: a string holding a JSON object or array nested as JSON
/// (as Logfire stores what its SDK sent with a JSON schema), bytes as hex.
fn json_value(out: &mut String, s: &Interner, value: &Value) {
    match value {
        Value::Empty => out.push_str("null"),
        Value::Str(sym) => {
            let text = s.get(*sym);
            if is_structured(text) {
                // Valid JSON already: written as it came.
                out.push_str(text.trim());
            } else {
                json_string(out, text);
            }
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Double(d) if d.is_finite() => {
            let _ = write!(out, "{d}");
        }
        // JSON has no NaN or infinity.
        Value::Double(d) => json_string(out, &d.to_string()),
        Value::Bytes(b) => {
            out.push('"');
            for x in b {
                let _ = write!(out, "{x:02x}");
            }
            out.push('"');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_value(out, s, item);
            }
            out.push(']');
        }
        Value::KvList(kvs) => json_object(out, s, kvs),
    }
}

/// Writes attributes as one JSON object (a repeated key keeps its last value, as JSON readers do).
fn json_object(out: &mut String, s: &Interner, attrs: &[KeyValue]) {
    out.push('{');
    for (i, kv) in attrs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(out, s.get(kv.key));
        out.push(':');
        json_value(out, s, &kv.value);
    }
    out.push('}');
}

fn rfc3339(ns: u64) -> String {
    let secs = i64::try_from(ns / 1_000_000_000).unwrap_or(i64::MAX);
    let nanos = u32::try_from(ns % 1_000_000_000).unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, nanos)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

fn json_events(out: &mut String, s: &Interner, events: &[Event]) {
    out.push('[');
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        json_string(out, s.get(e.name));
        out.push_str(",\"timestamp\":");
        json_string(out, &rfc3339(e.time));
        out.push_str(",\"attributes\":");
        json_object(out, s, &e.attributes);
        out.push('}');
    }
    out.push(']');
}

fn json_links(out: &mut String, s: &Interner, links: &[Link]) {
    out.push('[');
    for (i, l) in links.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"trace_id\":\"{}\",\"span_id\":\"{}\",\"attributes\":",
            l.trace_id, l.span_id
        );
        json_object(out, s, &l.attributes);
        out.push('}');
    }
    out.push(']');
}

/// The column builders of one batch.
struct Builders {
    start: TimestampNanosecondBuilder,
    end: TimestampNanosecondBuilder,
    duration: Float64Builder,
    text: Vec<StringBuilder>,
    is_exception: BooleanBuilder,
    status_code: Int64Builder,
    depth: UInt32Builder,
}

/// Where each text column sits in [`Builders::text`].
#[derive(Clone, Copy)]
enum T {
    TraceId,
    SpanId,
    Parent,
    Kind,
    SpanName,
    Message,
    Level,
    StatusCode,
    StatusMessage,
    SpanKind,
    ExcType,
    ExcMessage,
    ExcStack,
    Service,
    Version,
    Environment,
    ScopeName,
    ScopeVersion,
    Attributes,
    Resource,
    Events,
    Links,
    Method,
    Route,
    Url,
    Run,
    RunUrl,
    Test,
    Source,
}

const TEXT_COLUMNS: usize = T::Source as usize + 1;

impl Builders {
    fn new(rows: usize) -> Builders {
        Builders {
            start: TimestampNanosecondBuilder::with_capacity(rows).with_timezone("UTC"),
            end: TimestampNanosecondBuilder::with_capacity(rows).with_timezone("UTC"),
            duration: Float64Builder::with_capacity(rows),
            text: (0..TEXT_COLUMNS)
                .map(|_| StringBuilder::with_capacity(rows, rows * 16))
                .collect(),
            is_exception: BooleanBuilder::with_capacity(rows),
            status_code: Int64Builder::with_capacity(rows),
            depth: UInt32Builder::with_capacity(rows),
        }
    }

    fn put(&mut self, column: T, value: Option<&str>) {
        self.text[column as usize].append_option(value);
    }

    fn finish(mut self, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
        let mut text: Vec<ArrayRef> = self
            .text
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        let mut take = |c: T| {
            std::mem::replace(
                &mut text[c as usize],
                Arc::new(StringBuilder::new().finish()),
            )
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(self.duration.finish()),
            take(T::TraceId),
            take(T::SpanId),
            take(T::Parent),
            take(T::Kind),
            take(T::SpanName),
            take(T::Message),
            take(T::Level),
            take(T::StatusCode),
            take(T::StatusMessage),
            take(T::SpanKind),
            Arc::new(self.is_exception.finish()),
            take(T::ExcType),
            take(T::ExcMessage),
            take(T::ExcStack),
            take(T::Service),
            take(T::Version),
            take(T::Environment),
            take(T::ScopeName),
            take(T::ScopeVersion),
            take(T::Attributes),
            take(T::Resource),
            take(T::Events),
            take(T::Links),
            take(T::Method),
            take(T::Route),
            Arc::new(self.status_code.finish()),
            take(T::Url),
            take(T::Run),
            take(T::RunUrl),
            take(T::Test),
            Arc::new(self.depth.finish()),
            take(T::Source),
        ];
        RecordBatch::try_new(schema.clone(), columns)
    }
}

/// What is the same for every span of one resource: computed once.
struct ResourceColumns {
    version: Option<String>,
    environment: Option<String>,
    json: String,
}

/// Builds the `records` table of a loaded session: one row per span, trace by trace in tree
/// order, in batches of a few thousand rows.
pub fn record_batches(loaded: &Loaded) -> Result<Vec<RecordBatch>, ArrowError> {
    let session = &loaded.session;
    let s = &session.strings;
    let keys = Keys::new(s);
    let schema = schema();
    let resources: Vec<ResourceColumns> = session
        .resources
        .iter()
        .map(|r| {
            let mut json = String::new();
            json_object(&mut json, s, &r.attributes);
            ResourceColumns {
                version: first_text(s, &r.attributes, &keys.version).map(str::to_string),
                environment: first_text(s, &r.attributes, &keys.environment).map(str::to_string),
                json,
            }
        })
        .collect();
    let outcomes = test_outcomes(session);
    let names = NameKeys::new(session);
    let runs = &loaded.runs;
    let mut batches = Vec::new();
    let mut b = Builders::new(BATCH_ROWS);
    let mut rows = 0usize;
    let mut buf = String::new();
    // The test each node runs under, by node (reused across traces).
    let mut test_of: Vec<Option<usize>> = Vec::new();
    let mut test_names: Vec<String> = Vec::new();
    for (t, tree) in loaded.forest.traces.iter().enumerate() {
        let run = runs
            .trace_run
            .get(t)
            .and_then(|&r| runs.runs.get(r as usize));
        test_of.clear();
        test_names.clear();
        for node in &tree.nodes {
            let inherited = node
                .parent
                .and_then(|p| test_of.get(p as usize).copied().flatten());
            let is_test = !node.flags.placeholder
                && outcomes
                    .get(node.span as usize)
                    .is_some_and(Option::is_some);
            let here = if is_test {
                let (_, name) = names.of(session, &session.spans[node.span as usize]);
                test_names.push(name);
                Some(test_names.len() - 1)
            } else {
                inherited
            };
            test_of.push(here);
            if node.flags.placeholder {
                continue;
            }
            let span = &session.spans[node.span as usize];
            let test = here.and_then(|i| test_names.get(i)).map(String::as_str);
            row(
                &mut b, &mut buf, session, &keys, &resources, span, node.depth, node.span,
            );
            b.put(T::Run, run.map(|r| r.label.as_str()));
            b.put(
                T::RunUrl,
                run.map(|r| r.url.as_str()).filter(|u| !u.is_empty()),
            );
            b.put(T::Test, test);
            rows += 1;
            if rows == BATCH_ROWS {
                batches.push(std::mem::replace(&mut b, Builders::new(BATCH_ROWS)).finish(&schema)?);
                rows = 0;
            }
        }
    }
    if rows > 0 || batches.is_empty() {
        batches.push(b.finish(&schema)?);
    }
    Ok(batches)
}

/// Appends the span's own columns (all but the run and the test).
#[allow(clippy::too_many_arguments)]
fn row(
    b: &mut Builders,
    buf: &mut String,
    session: &Session,
    keys: &Keys,
    resources: &[ResourceColumns],
    span: &Span,
    depth: u32,
    index: u32,
) {
    let s = &session.strings;
    let time = |t: u64| i64::try_from(t).ok().filter(|&t| t > 0);
    b.start.append_option(time(span.start));
    b.end.append_option(time(span.end));
    b.duration.append_option(
        (span.start > 0 && span.end >= span.start).then(|| span.duration() as f64 / 1e9),
    );
    buf.clear();
    let _ = write!(buf, "{}", span.trace_id);
    b.put(T::TraceId, Some(buf));
    buf.clear();
    let _ = write!(buf, "{}", span.span_id);
    b.put(T::SpanId, Some(buf));
    buf.clear();
    if let Some(p) = span.parent_id.filter(|p| !p.is_zero()) {
        let _ = write!(buf, "{p}");
        b.put(T::Parent, Some(buf));
    } else {
        b.put(T::Parent, None);
    }
    let span_type = find(&span.attributes, keys.span_type).and_then(Value::as_str);
    let kind = match span_type.map(|t| s.get(t)) {
        Some("log") => "log",
        Some("pending_span") => "pending_span",
        _ => "span",
    };
    b.put(T::Kind, Some(kind));
    b.put(T::SpanName, Some(s.get(span.name)));
    let message = first_text(s, &span.attributes, &[keys.msg]).unwrap_or(s.get(span.name));
    b.put(T::Message, Some(message));
    let exception = keys
        .exception
        .and_then(|e| span.events.iter().find(|ev| ev.name == e));
    let exc_attrs: &[KeyValue] = exception.map_or(&span.attributes, |e| &e.attributes);
    let exc_type = first_text(s, exc_attrs, &[keys.exc_type]);
    let is_exception = exception.is_some() || exc_type.is_some();
    let failed = span.status.code == StatusCode::Error || is_exception;
    let level = match first_int(s, &span.attributes, &[keys.level_num]) {
        Some(n) => level_name(n),
        None if failed => "error",
        None => "info",
    };
    b.put(T::Level, Some(level));
    b.put(T::StatusCode, Some(span.status.code.label()));
    b.put(
        T::StatusMessage,
        Some(s.get(span.status.message)).filter(|m| !m.is_empty()),
    );
    b.put(T::SpanKind, Some(span.kind.label()));
    b.is_exception.append_value(is_exception);
    b.put(T::ExcType, exc_type.filter(|_| is_exception));
    let exc_text = |key| first_text(s, exc_attrs, &[key]).filter(|_| is_exception);
    b.put(T::ExcMessage, exc_text(keys.exc_message));
    b.put(T::ExcStack, exc_text(keys.exc_stack));
    b.put(T::Service, Some(session.service_of(span)));
    let resource = resources.get(span.resource as usize);
    b.put(T::Version, resource.and_then(|r| r.version.as_deref()));
    b.put(
        T::Environment,
        resource.and_then(|r| r.environment.as_deref()),
    );
    let scope = session.scopes.get(span.scope as usize);
    b.put(
        T::ScopeName,
        scope.map(|sc| s.get(sc.name)).filter(|n| !n.is_empty()),
    );
    b.put(
        T::ScopeVersion,
        scope.map(|sc| s.get(sc.version)).filter(|n| !n.is_empty()),
    );
    buf.clear();
    json_object(buf, s, &span.attributes);
    b.put(T::Attributes, Some(buf));
    b.put(T::Resource, resource.map(|r| r.json.as_str()));
    if span.events.is_empty() {
        b.put(T::Events, None);
    } else {
        buf.clear();
        json_events(buf, s, &span.events);
        b.put(T::Events, Some(buf));
    }
    if span.links.is_empty() {
        b.put(T::Links, None);
    } else {
        buf.clear();
        json_links(buf, s, &span.links);
        b.put(T::Links, Some(buf));
    }
    b.put(T::Method, first_text(s, &span.attributes, &keys.method));
    b.put(T::Route, first_text(s, &span.attributes, &keys.route));
    b.status_code
        .append_option(first_int(s, &span.attributes, &keys.status));
    b.put(T::Url, first_text(s, &span.attributes, &keys.url));
    b.depth.append_value(depth);
    let source = session
        .origin_index_of(index)
        .and_then(|o| session.origins.get(o))
        .map(|o| o.source.as_str());
    b.put(T::Source, source);
}
