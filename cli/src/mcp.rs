//! `sightline mcp FILE...`: a Model Context Protocol server over stdio (the official Rust SDK,
//! rmcp) that lets an assistant look into the trace files it was started with: list the
//! failures, read a trace's tree, a span with its details and context, search spans, run SQL
//! over the `records` table, and compare a failing and a passing execution of a test. It reads
//! the files named on its command line once, and nothing else: no tool takes a path or a URL.

use std::fmt::Write as _;
use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::{tool, tool_handler, tool_router, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::Deserialize;
use sightline_core::insight::report::{error_text, failing_tests};
use sightline_core::model::ids::{parse_hex_span_id, parse_hex_trace_id};
use sightline_core::session::context::{failure_context, span_context};
use sightline_core::view::format::{format_duration, plural};
use sightline_core::view::search::Query;
use sightline_core::Loaded;
use sightline_sql::Engine;

pub const USAGE: &str = "usage: sightline mcp FILE|FOLDER...

Serves the FILEs to an assistant over the Model Context Protocol (stdio): tools to list the
failures, get a trace's tree, get a span with its details, search spans, run SQL over the
records table (as `sightline sql`), and compare a failing and a passing execution of a test.
It reads only the FILEs given here. For example, in an MCP client's configuration:
  {\"command\": \"sightline\", \"args\": [\"mcp\", \"traces.json\"]}";

/// Spans a tree answer lists at most.
const TREE_SPANS: usize = 400;
/// Spans a search answer lists at most, unless the call asks for fewer.
const SEARCH_SPANS: usize = 100;
/// Rows a SQL answer shows at most.
const SQL_ROWS: usize = 200;

#[derive(Deserialize, JsonSchema)]
pub struct TraceArgs {
    /// The trace id: 32 hex digits.
    trace_id: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct SpanArgs {
    /// The span id: 16 hex digits.
    span_id: String,
    /// The trace id (32 hex digits), when known; the span is looked up in every trace otherwise.
    trace_id: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// Words to find in span names, services, attributes and events (all must match);
    /// `key=value` matches an attribute, `status=error` failed spans, `service=name` a service.
    query: String,
    /// The most spans to list (default and at most 100).
    limit: Option<usize>,
}

#[derive(Deserialize, JsonSchema)]
pub struct SqlArgs {
    /// One read-only query over the `records` table (one row per span, Logfire's columns;
    /// PostgreSQL syntax; `attributes->>'key'` reads an attribute).
    sql: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct CompareArgs {
    /// The test's name, or a part of it that names one test.
    test: String,
}

/// The SQL table, once built (or why it could not be).
pub type EngineCell = std::sync::OnceLock<Result<Engine, String>>;

/// The server: the files' session, and its SQL table once a query asks for it.
#[derive(Clone)]
pub struct Sightline {
    loaded: Arc<Loaded>,
    engine: Arc<EngineCell>,
    files: Arc<Vec<String>>,
    tool_router: ToolRouter<Sightline>,
}

/// Where a span is: (view, node).
fn find_span(loaded: &Loaded, trace: Option<&str>, span: &str) -> Result<(usize, u32), String> {
    let span_id = parse_hex_span_id(span)
        .ok_or_else(|| format!("{span:?} is not a span id (16 hex digits)"))?;
    let trace_id = match trace {
        Some(t) => Some(
            parse_hex_trace_id(t)
                .ok_or_else(|| format!("{t:?} is not a trace id (32 hex digits)"))?,
        ),
        None => None,
    };
    loaded
        .forest
        .locate_span(&loaded.session, trace_id, span_id)
        .ok_or_else(|| format!("no span {span} is in the loaded files"))
}

#[tool_router]
impl Sightline {
    /// The server over `loaded`; its SQL table, built on the first query, is kept in `engine`
    /// (which the caller holds too: the engine's own runtime must be dropped outside the
    /// server's).
    pub fn new(loaded: Loaded, files: Vec<String>, engine: Arc<EngineCell>) -> Sightline {
        Sightline {
            loaded: Arc::new(loaded),
            engine,
            files: Arc::new(files),
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "List the failing tests in the loaded trace files, each with the span \
        that caused it (service, span, exception), its CI run, and the trace and span ids to \
        look further with get_span or get_trace_tree."
    )]
    async fn list_failures(&self) -> String {
        let l = &self.loaded;
        let failing = failing_tests(&l.session, &l.forest);
        let mut out = format!(
            "{} in {} ({}, {}).\n",
            if failing.is_empty() {
                "No failing tests".to_string()
            } else {
                plural(failing.len(), "failing test")
            },
            self.files.join(", "),
            plural(l.forest.span_count(), "span"),
            plural(l.forest.traces.len(), "trace")
        );
        for f in &failing {
            let c = &f.cause;
            let run = l
                .runs
                .run_of_view(&l.forest, f.trace)
                .and_then(|r| l.runs.runs.get(r as usize))
                .map(|r| format!(" [run {}]", r.label))
                .unwrap_or_default();
            let _ = write!(
                out,
                "\n- {}{run}\n  cause: {} › {}: {}\n  trace_id {} span_id {}\n",
                f.name,
                c.service,
                c.span,
                error_text(&c.kind, &c.message),
                c.trace_id,
                c.span_id
            );
        }
        out
    }

    #[tool(
        description = "The tree of one trace: every span (up to 400) indented under its \
        parent, with its service, name, duration, status and span id."
    )]
    async fn get_trace_tree(
        &self,
        Parameters(args): Parameters<TraceArgs>,
    ) -> Result<String, String> {
        let l = &self.loaded;
        let id = parse_hex_trace_id(&args.trace_id)
            .ok_or_else(|| format!("{:?} is not a trace id (32 hex digits)", args.trace_id))?;
        let t = l
            .forest
            .traces
            .iter()
            .position(|t| t.trace_id == id)
            .ok_or_else(|| format!("no trace {} is in the loaded files", args.trace_id))?;
        let tree = &l.forest.traces[t];
        let s = &l.session;
        let spans: Vec<_> = tree.nodes.iter().filter(|n| !n.flags.placeholder).collect();
        let mut out = format!(
            "Trace {} ({}, {} with errors, {}):\n\n",
            args.trace_id,
            plural(spans.len(), "span"),
            tree.error_count,
            format_duration(tree.end.saturating_sub(tree.start))
        );
        for n in spans.iter().take(TREE_SPANS) {
            let span = &s.spans[n.span as usize];
            let _ = writeln!(
                out,
                "{}- {} › {} ({}) {}{} span_id {}",
                "  ".repeat(n.depth as usize),
                s.service_of(span),
                s.display_name(span),
                format_duration(span.duration()),
                span.status.code.label(),
                if n.flags.missing_parent {
                    " (its parent is not loaded)"
                } else {
                    ""
                },
                span.span_id
            );
        }
        if spans.len() > TREE_SPANS {
            let _ = writeln!(
                out,
                "… and {} more",
                plural(spans.len() - TREE_SPANS, "span")
            );
        }
        Ok(out)
    }

    #[tool(
        description = "One span with its whole context, as Markdown: its test, the \
        exception with its parsed stack, the path from the test to it with each span's service, \
        timing and status, request and response bodies, how the services call one another, and \
        the differences from a passing run of its test when there is one; then all its \
        attributes."
    )]
    async fn get_span(&self, Parameters(args): Parameters<SpanArgs>) -> Result<String, String> {
        let l = &self.loaded;
        let (view, node) = find_span(l, args.trace_id.as_deref(), &args.span_id)?;
        let mut out = span_context(l, view, node).ok_or("the span is not in the loaded trees")?;
        let tree = l
            .forest
            .tree(view)
            .ok_or("the span's trace is not loaded")?;
        let span = &l.session.spans[tree.nodes[node as usize].span as usize];
        let _ = writeln!(out, "\n## Attributes of the span\n");
        for kv in &span.attributes {
            let _ = writeln!(
                out,
                "- `{}`: {}",
                l.session.strings.get(kv.key),
                kv.value.display(&l.session.strings)
            );
        }
        Ok(out)
    }

    #[tool(
        description = "Find spans by words in their names, services, attributes and \
        events (every word must match; key=value matches an attribute). Lists each match with \
        its trace and span ids."
    )]
    async fn search_spans(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<String, String> {
        let l = &self.loaded;
        let query = Query::parse(&args.query);
        if query.is_empty() {
            return Err("the query is empty".into());
        }
        let limit = args.limit.unwrap_or(SEARCH_SPANS).clamp(1, SEARCH_SPANS);
        let s = &l.session;
        let matches: Vec<_> = s
            .spans
            .iter()
            .filter(|span| query.matches(s, span))
            .collect();
        let mut out = format!(
            "{} match {:?}:\n",
            plural(matches.len(), "span"),
            args.query
        );
        for span in matches.iter().take(limit) {
            let _ = writeln!(
                out,
                "- {} › {} ({}) {} trace_id {} span_id {}",
                s.service_of(span),
                s.display_name(span),
                format_duration(span.duration()),
                span.status.code.label(),
                span.trace_id,
                span.span_id
            );
        }
        if matches.len() > limit {
            let _ = writeln!(out, "… and {} more", plural(matches.len() - limit, "span"));
        }
        Ok(out)
    }

    #[tool(
        description = "Run one read-only SQL query (Apache DataFusion, PostgreSQL syntax) \
        over the `records` table: one row per span with Logfire's columns (start_timestamp, \
        duration in seconds, trace_id, span_id, parent_span_id, span_name, message, level, \
        otel_status_code, is_exception, exception_type, exception_message, service_name, \
        attributes as JSON read with ->> …) and Sightline's (run, test_name, source_file). \
        Answers a Markdown table of up to 200 rows."
    )]
    async fn run_sql(&self, Parameters(args): Parameters<SqlArgs>) -> Result<String, String> {
        let engine = self
            .engine
            .get_or_init(|| Engine::new(&self.loaded).map_err(|e| e.message));
        let engine = engine.as_ref().map_err(Clone::clone)?;
        let output = engine.query(&args.sql).map_err(|e| e.message)?;
        let cell = |c: &Option<String>| match c {
            None => "NULL".to_string(),
            Some(t) => t.replace('|', "\\|").replace(['\n', '\r'], " "),
        };
        let mut out = String::new();
        let names: Vec<&str> = output.columns.iter().map(|c| c.name.as_str()).collect();
        let _ = writeln!(out, "| {} |", names.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(names.len()));
        for row in output.rows.iter().take(SQL_ROWS) {
            let cells: Vec<String> = row.iter().map(cell).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        let shown = output.rows.len().min(SQL_ROWS);
        let _ = writeln!(
            out,
            "\n{}{}",
            plural(output.rows.len(), "row"),
            if output.truncated || shown < output.rows.len() {
                format!(" (the first {shown} shown; add a LIMIT or narrow the query)")
            } else {
                String::new()
            }
        );
        Ok(out)
    }

    #[tool(
        description = "Compare a failing and a passing execution of a test across the \
        loaded CI runs (its latest failure against the passing execution nearest in time on \
        the same revision, else the latest pass): the failure's context and what differs, \
        span by span (status, exceptions, counts, durations, the critical path first)."
    )]
    async fn compare_executions(
        &self,
        Parameters(args): Parameters<CompareArgs>,
    ) -> Result<String, String> {
        let l = &self.loaded;
        let runs = &l.runs;
        let found: Vec<usize> = (0..runs.tests.len())
            .filter(|&i| runs.tests[i].name == args.test || runs.tests[i].key() == args.test)
            .chain((0..runs.tests.len()).filter(|&i| runs.tests[i].key().contains(&args.test)))
            .collect();
        let t = *found
            .first()
            .ok_or_else(|| format!("no test is named {:?}", args.test))?;
        let test = &runs.tests[t];
        let (f, p) = runs.default_pair_at(t).ok_or_else(|| {
            format!(
                "{} has no failing and passing execution to compare ({} passed, {} failed)",
                test.key(),
                test.passed,
                test.failed
            )
        })?;
        let failing = &test.executions[f];
        let passing = &test.executions[p];
        let label = |run: u32| runs.runs.get(run as usize).map_or("", |r| r.label.as_str());
        let c = runs
            .compare_default(&l.session, &l.forest, t)
            .ok_or("the executions are not in the loaded trees")?;
        let mut out = format!(
            "{} ({}): failing in run {} against passing in run {}.\n\nDifferences, most telling first:\n",
            test.key(),
            test.verdict_text(", "),
            label(failing.run),
            label(passing.run)
        );
        for d in &c.differences {
            if let Some(row) = c.rows.get(d.row as usize) {
                let _ = writeln!(
                    out,
                    "- {} › {}: {}{}",
                    row.service,
                    row.name,
                    d.text,
                    if d.critical { " (critical path)" } else { "" }
                );
            }
        }
        if c.differences.is_empty() {
            out.push_str("- none in status, count or duration\n");
        }
        let cause = failing_tests(&l.session, &l.forest)
            .into_iter()
            .find(|x| x.trace == failing.view as usize && x.node == failing.node);
        if let Some(context) = cause.and_then(|x| failure_context(l, &x)) {
            out.push_str("\n---\n\n");
            out.push_str(&context);
        }
        Ok(out)
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Sightline {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("sightline", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "Trace files from CI, loaded once: {}. Start with list_failures; get_span \
                 gives a failure's whole context; run_sql queries a Logfire-style records \
                 table; compare_executions shows what differs from a passing run.",
                self.files.join(", ")
            ))
    }
}

pub fn main(
    args: Vec<String>,
    out: &mut impl std::io::Write,
    err: &mut impl std::io::Write,
) -> std::io::Result<u8> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        writeln!(out, "{USAGE}")?;
        return Ok(0);
    }
    if let Some(f) = args.iter().find(|a| a.starts_with("--")) {
        writeln!(err, "sightline mcp: unknown option {f}\n{USAGE}")?;
        return Ok(2);
    }
    if args.is_empty() {
        writeln!(err, "sightline mcp: no trace file given\n{USAGE}")?;
        return Ok(2);
    }
    let loaded = Loaded::decode(crate::read_inputs(&args, err)?);
    if loaded.session.spans.is_empty() {
        writeln!(err, "sightline mcp: no spans found in {}", args.join(", "))?;
        return Ok(2);
    }
    let engine = Arc::new(EngineCell::new());
    let server = Sightline::new(loaded, args, engine.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let service = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(std::io::Error::other)?;
        service.waiting().await.map_err(std::io::Error::other)?;
        Ok::<_, std::io::Error>(())
    })?;
    drop(runtime);
    drop(engine);
    Ok(0)
}
