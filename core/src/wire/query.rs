//! What a SQL query over the loaded traces gives, and the messages the page and the SQL worker
//! exchange. The engine (`sightline-sql`, Apache DataFusion) fills these in; the page, the
//! command line and the MCP server only read them, so none of them needs the engine to build.

use serde::{Deserialize, Serialize};

/// A query's result: columns and rows as display text.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QueryOutput {
    pub columns: Vec<OutputColumn>,
    /// Each row's cells, `None` for SQL NULL.
    pub rows: Vec<Vec<Option<String>>>,
    /// More rows matched than were kept ([`MAX_ROWS`]).
    pub truncated: bool,
}

/// A result column: its name and how its values read in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputColumn {
    pub name: String,
    /// The Arrow type, as DataFusion prints it.
    pub data_type: String,
    pub kind: CellKind,
}

/// How a column's cells are written as JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CellKind {
    Number,
    Bool,
    Text,
}

/// Why a query gave no result: the engine's message, with where in the query when it says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryError {
    pub message: String,
    /// 1-based line and column of the error in the query text, when the parser gives one.
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QueryError {}

impl QueryError {
    /// An error with no position.
    pub fn plain(message: impl Into<String>) -> QueryError {
        QueryError {
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

impl QueryOutput {
    /// The rows as JSON objects, numbers and booleans typed.
    pub fn to_json(&self) -> serde_json::Value {
        let rows = self
            .rows
            .iter()
            .map(|row| {
                let fields = self.columns.iter().zip(row).map(|(c, cell)| {
                    let value = match (cell, c.kind) {
                        (None, _) => serde_json::Value::Null,
                        (Some(t), CellKind::Number) => {
                            serde_json::from_str::<serde_json::Number>(t)
                                .map_or_else(|_| serde_json::Value::String(t.clone()), Into::into)
                        }
                        (Some(t), CellKind::Bool) => serde_json::Value::Bool(t == "true"),
                        (Some(t), CellKind::Text) => serde_json::Value::String(t.clone()),
                    };
                    (c.name.clone(), value)
                });
                serde_json::Value::Object(fields.collect())
            })
            .collect();
        serde_json::Value::Array(rows)
    }

    /// The rows as CSV (RFC 4180), with a header line; NULL is an empty field.
    pub fn to_csv(&self) -> String {
        fn field(out: &mut String, text: &str) {
            if text.contains([',', '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&text.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(text);
            }
        }
        let mut out = String::new();
        for (i, c) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, &c.name);
        }
        out.push_str("\r\n");
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                field(&mut out, cell.as_deref().unwrap_or(""));
            }
            out.push_str("\r\n");
        }
        out
    }
}

/// What the page tells the SQL worker: the session's pieces ([`crate::PartsCursor`]) in `Part`
/// messages (as their buffers), then `Load` to build the table from them; then queries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToSql {
    Part,
    Load,
    Query { id: u32, sql: String },
}

/// What the SQL worker answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FromSql {
    /// Its wasm is instantiated.
    Ready,
    /// The `records` table is built.
    Loaded {
        rows: u64,
        build_ms: f64,
    },
    /// The table could not be built.
    LoadFailed {
        message: String,
    },
    Result {
        id: u32,
        output: QueryOutput,
        ms: f64,
    },
    Error {
        id: u32,
        error: QueryError,
    },
}
