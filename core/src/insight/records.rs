//! The `records` table that SQL queries read (Logfire's columns as far as the data allows, and
//! Sightline's own), described for the help panel and the docs, and the saved example queries.
//! The SQL engine (`sightline-sql`) builds the table from these descriptions.

/// A column of the table: its name, SQL type and what it holds. The help panel and
/// docs/sql.md list these; the schema is built from them.
pub struct Column {
    pub name: &'static str,
    pub sql_type: &'static str,
    pub about: &'static str,
}

const fn col(name: &'static str, sql_type: &'static str, about: &'static str) -> Column {
    Column {
        name,
        sql_type,
        about,
    }
}

pub const TS: &str = "timestamp (UTC, ns)";
const TEXT: &str = "text";
const JSON: &str = "text (JSON)";

/// Every column, in table order.
pub const COLUMNS: &[Column] = &[
    col("start_timestamp", TS, "When the span started; NULL when the file gave no time."),
    col("end_timestamp", TS, "When the span ended; NULL when the file gave no time."),
    col("duration", "double", "end - start in seconds, as Logfire gives it; NULL without both times."),
    col("trace_id", TEXT, "32 hex digits."),
    col("span_id", TEXT, "16 hex digits."),
    col("parent_span_id", TEXT, "The parent's span id; NULL for a root."),
    col("kind", TEXT, "'span', 'log' (a Logfire log record) or 'pending_span' (started, never ended)."),
    col("span_name", TEXT, "The span's name (Logfire: the message template)."),
    col("message", TEXT, "The rendered `logfire.msg`, else the span's name."),
    col("level", TEXT, "'trace', 'debug', 'info', 'notice', 'warn', 'error' or 'fatal': `logfire.level_num`, else 'error' for a failed span and 'info' otherwise."),
    col("otel_status_code", TEXT, "'UNSET', 'OK' or 'ERROR'."),
    col("otel_status_message", TEXT, "The status message; NULL when empty."),
    col("otel_span_kind", TEXT, "'internal', 'server', 'client', 'producer', 'consumer' or 'unspecified'."),
    col("is_exception", "boolean", "The span recorded an exception (an `exception` event or `exception.type` attribute)."),
    col("exception_type", TEXT, "`exception.type` of the first exception."),
    col("exception_message", TEXT, "`exception.message` of the first exception."),
    col("exception_stacktrace", TEXT, "`exception.stacktrace` of the first exception."),
    col("service_name", TEXT, "The resource's `service.name` (`unknown_service` when it has none)."),
    col("service_version", TEXT, "The resource's `service.version`."),
    col("deployment_environment", TEXT, "The resource's `deployment.environment.name` (or `deployment.environment`)."),
    col("otel_scope_name", TEXT, "The instrumentation scope's name."),
    col("otel_scope_version", TEXT, "The instrumentation scope's version."),
    col("attributes", JSON, "The span's attributes as one JSON object; a string holding a JSON object or array is nested as JSON, so `attributes->'request'->>'id'` reaches inside it."),
    col("otel_resource_attributes", JSON, "The resource's attributes as one JSON object."),
    col("otel_events", JSON, "The span's events: an array of {name, timestamp, attributes}; NULL when it has none."),
    col("otel_links", JSON, "The span's links: an array of {trace_id, span_id, attributes}; NULL when it has none."),
    col("http_method", TEXT, "`http.request.method` (or the older `http.method`)."),
    col("http_route", TEXT, "`http.route`."),
    col("http_response_status_code", "bigint", "`http.response.status_code` (or the older `http.status_code`)."),
    col("url_full", TEXT, "`url.full` (or the older `http.url`)."),
    col("run", TEXT, "Sightline: the CI run the span's trace is from, as the Across runs panel names it."),
    col("run_url", TEXT, "Sightline: the CI run's page, when its attributes give one."),
    col("test_name", TEXT, "Sightline: the test the span ran under (`test.case.name`, pytest's node id, …); NULL outside a test."),
    col("depth", "int unsigned", "Sightline: the span's depth in its trace's tree (0 for a root)."),
    col("source_file", TEXT, "Sightline: the file or archive entry the span came from."),
];

/// A saved query.
pub struct Example {
    pub title: &'static str,
    pub sql: &'static str,
}

/// The examples, in the order the view lists them.
pub const EXAMPLES: &[Example] = &[
    Example {
        title: "Slowest spans",
        sql: "SELECT span_name, service_name, duration, trace_id, span_id\n\
              FROM records\n\
              ORDER BY duration DESC NULLS LAST\n\
              LIMIT 50",
    },
    Example {
        title: "Errors by service",
        sql: "SELECT service_name, count(*) AS errors, count(DISTINCT trace_id) AS traces\n\
              FROM records\n\
              WHERE otel_status_code = 'ERROR' OR is_exception\n\
              GROUP BY service_name\n\
              ORDER BY errors DESC",
    },
    Example {
        title: "Statistics per service and operation",
        sql: "WITH children AS (\n  \
                SELECT trace_id, parent_span_id, sum(duration) AS busy\n  \
                FROM records WHERE parent_span_id IS NOT NULL\n  \
                GROUP BY trace_id, parent_span_id\n\
              )\n\
              SELECT r.service_name, r.span_name, count(*) AS count,\n  \
                sum(r.duration) AS total, avg(r.duration) AS avg,\n  \
                min(r.duration) AS min, max(r.duration) AS max,\n  \
                sum(greatest(r.duration - coalesce(c.busy, 0), 0)) AS self_total\n\
              FROM records r\n\
              LEFT JOIN children c ON c.trace_id = r.trace_id AND c.parent_span_id = r.span_id\n\
              GROUP BY r.service_name, r.span_name\n\
              ORDER BY total DESC NULLS LAST",
    },
    Example {
        title: "Spans of the first failing test",
        sql: "SELECT depth, span_name, service_name, duration, otel_status_code, trace_id, span_id\n\
              FROM records\n\
              WHERE test_name = (\n  \
                SELECT min(test_name) FROM records\n  \
                WHERE test_name IS NOT NULL AND (otel_status_code = 'ERROR' OR is_exception)\n\
              )\n\
              ORDER BY start_timestamp",
    },
    Example {
        title: "Exceptions with context",
        sql: "SELECT message, otel_status_message, exception_type, exception_message,\n  \
                service_name, test_name, trace_id, span_id\n\
              FROM records\n\
              WHERE is_exception\n\
              ORDER BY start_timestamp DESC",
    },
    Example {
        title: "Tests by run",
        sql: "SELECT run, count(DISTINCT test_name) AS tests,\n  \
                count(DISTINCT CASE WHEN level IN ('error', 'fatal') THEN test_name END) AS with_errors\n\
              FROM records\n\
              WHERE test_name IS NOT NULL\n\
              GROUP BY run\n\
              ORDER BY min(start_timestamp)",
    },
];
