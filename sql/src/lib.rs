//! SQL over loaded traces, as Logfire users write it: a `records` table ([`records::COLUMNS`])
//! built from a decoded session and queried with Apache DataFusion, with the `->` / `->>` JSON
//! operators of datafusion-functions-json. The browser's SQL worker and the command line share it.
//!
//! Queries only read: DDL, DML and `SET` statements are refused, no file or URL is reachable
//! (no object store is registered and URL tables are off), spilling to disk is disabled and
//! memory is capped.

pub mod records;

use std::sync::Arc;

use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use sightline_core::Loaded;

pub use sightline_core::insight::records::{Column, Example, COLUMNS, EXAMPLES};
pub use sightline_core::wire::query::{CellKind, OutputColumn, QueryError, QueryOutput};

/// The longest query accepted, in bytes: deep expressions recurse in the planner, and the
/// browser worker's stack is finite.
pub const MAX_SQL_BYTES: usize = 16 * 1024;

/// Rows a query returns at most (the rest are counted, not kept).
pub const MAX_ROWS: usize = 10_000;

/// The stack of the thread a query runs on, natively.
#[cfg(not(target_arch = "wasm32"))]
const QUERY_STACK: usize = 64 << 20;

/// Memory a query may use for its own state (hash tables, sorts), beyond the table itself.
const MEMORY_LIMIT: usize = 512 << 20;

/// From DataFusion's error: the innermost message, with the parser's "Line: L, Column: C".
fn error_of(e: &DataFusionError) -> QueryError {
    let message = e.find_root().to_string();
    let message = message
        .strip_prefix("SQL error: ParserError(\"")
        .and_then(|m| m.strip_suffix("\")"))
        .map(|m| format!("SQL error: {}", m.replace("\\\"", "\"")))
        .unwrap_or(message);
    let at = |label: &str| {
        let from = message.find(label)? + label.len();
        let digits: String = message[from..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    QueryError {
        line: at("Line: "),
        column: at("Column: "),
        message,
    }
}

/// The session's `records` table, ready for queries.
pub struct Engine {
    ctx: SessionContext,
    rows: usize,
    runtime: tokio::runtime::Runtime,
}

impl Engine {
    /// Builds the table from a loaded session.
    pub fn new(loaded: &Loaded) -> Result<Engine, QueryError> {
        let batches = records::record_batches(loaded)
            .map_err(|e| QueryError::plain(format!("building the records table: {e}")))?;
        Engine::from_batches(batches)
    }

    /// The engine over record batches of [`records::schema`].
    pub fn from_batches(batches: Vec<RecordBatch>) -> Result<Engine, QueryError> {
        let err = |e: DataFusionError| error_of(&e);
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        let config = SessionConfig::new()
            .with_target_partitions(1)
            .with_information_schema(false)
            .set_str("datafusion.sql_parser.dialect", "PostgreSQL");
        let runtime_env = RuntimeEnvBuilder::new()
            .with_memory_limit(MEMORY_LIMIT, 1.0)
            .with_disk_manager_builder(
                DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled),
            )
            .build_arc()
            .map_err(err)?;
        let mut ctx = SessionContext::new_with_config_rt(config, runtime_env);
        datafusion_functions_json::register_all(&mut ctx).map_err(err)?;
        let table = MemTable::try_new(records::schema(), vec![batches]).map_err(err)?;
        ctx.register_table("records", Arc::new(table))
            .map_err(err)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| QueryError::plain(format!("starting the query runtime: {e}")))?;
        Ok(Engine { ctx, rows, runtime })
    }

    /// Rows in the table.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Runs one read-only query and returns up to [`MAX_ROWS`] rows.
    pub fn query(&self, sql: &str) -> Result<QueryOutput, QueryError> {
        if sql.len() > MAX_SQL_BYTES {
            return Err(QueryError::plain(format!(
                "The query is {} bytes long; the limit is {MAX_SQL_BYTES}.",
                sql.len()
            )));
        }
        if sql.trim().is_empty() {
            return Err(QueryError::plain("The query is empty."));
        }
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let run = async {
            let df = self.ctx.sql_with_options(sql, options).await?;
            df.limit(0, Some(MAX_ROWS + 1))?.collect().await
        };
        let batches = self.block_on(run)?.map_err(|e| error_of(&e))?;
        output(&batches)
    }

    /// Runs a query's future to its end. Natively on a thread of its own: the planner recurses
    /// through deep expressions (its stack is [`QUERY_STACK`]), and a caller that is itself in
    /// an async runtime (the MCP server) could not block on another one. In the browser worker,
    /// on the worker's thread, whose stack `build.rs` sets.
    fn block_on<T: Send>(
        &self,
        run: impl std::future::Future<Output = T> + Send,
    ) -> Result<T, QueryError> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let spawned = std::thread::scope(|scope| {
                std::thread::Builder::new()
                    .name("sql query".into())
                    .stack_size(QUERY_STACK)
                    .spawn_scoped(scope, || self.runtime.block_on(run))
                    .map(|h| h.join())
            });
            // The thread could not start, or the engine panicked: said, not fatal.
            match spawned {
                Ok(Ok(done)) => Ok(done),
                Ok(Err(_)) => Err(QueryError::plain(
                    "The SQL engine failed on this query (it panicked); nothing else is affected.",
                )),
                Err(e) => Err(QueryError::plain(format!(
                    "cannot start a query thread: {e}"
                ))),
            }
        }
        #[cfg(target_arch = "wasm32")]
        {
            Ok(self.runtime.block_on(run))
        }
    }
}

/// Reads result batches into text cells.
fn output(batches: &[RecordBatch]) -> Result<QueryOutput, QueryError> {
    let mut out = QueryOutput::default();
    let Some(first) = batches.first() else {
        return Ok(out);
    };
    out.columns = first
        .schema()
        .fields()
        .iter()
        .map(|f| OutputColumn {
            name: f.name().clone(),
            data_type: f.data_type().to_string(),
            kind: match f.data_type() {
                DataType::Boolean => CellKind::Bool,
                t if t.is_numeric() => CellKind::Number,
                _ => CellKind::Text,
            },
        })
        .collect();
    let options = FormatOptions::default().with_display_error(true);
    'batches: for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|a| ArrayFormatter::try_new(a.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| QueryError::plain(e.to_string()))?;
        for r in 0..batch.num_rows() {
            if out.rows.len() == MAX_ROWS {
                out.truncated = true;
                break 'batches;
            }
            out.rows.push(
                batch
                    .columns()
                    .iter()
                    .zip(&formatters)
                    .map(|(a, f)| (!a.is_null(r)).then(|| f.value(r).to_string()))
                    .collect(),
            );
        }
    }
    Ok(out)
}
