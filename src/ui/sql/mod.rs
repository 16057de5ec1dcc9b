//! The SQL view: an editor for one query over the `records` table (Logfire's columns, see
//! [`sightline_core::insight::records`]), the saved examples, the table's columns, and the
//! results, whose `trace_id` and `span_id` cells open that span in the waterfall. The engine
//! runs in its own worker ([`client`]); this only binds what it answers.

mod client;

use std::cell::Cell;
use std::sync::Arc;

use leptos::prelude::*;
use sightline_core::insight::records::{COLUMNS, EXAMPLES};
use sightline_core::model::ids::parse_hex_span_id;
use sightline_core::view::format::plural;
use sightline_core::wire::query::{QueryError, QueryOutput};

use crate::ui::json_tree::JsonTree;
use crate::ui::state::{AppState, SqlRun};
use sightline_core::insight::structured::{looks_structured, parse_structured};
use wasm_bindgen::JsCast;

thread_local! {
    /// The table the worker built last: (rows, ms to build it).
    static TABLE: Cell<Option<(u64, f64)>> = const { Cell::new(None) };
}

/// Notes the table the worker built (and marks it for the benchmark).
fn note_table(rows: u64, ms: f64) {
    crate::ui::worker_client::mark("sightline:sql-table");
    TABLE.with(|t| t.set(Some((rows, ms))));
}

/// Result rows drawn at first, and added by each "Show more rows".
const PAGE_ROWS: usize = 500;

/// Runs `sql` (trimmed; nothing when empty).
pub fn run(state: AppState, sql: String) {
    if !sql.trim().is_empty() {
        client::run(state, sql);
    }
}

/// Opens the span a result row names: its `span_id` (in its `trace_id` when the row has one),
/// or the trace of a `trace_id` alone.
fn open_row_span(state: AppState, trace: Option<&str>, span: Option<&str>) {
    let target = state.data.with_untracked(|d| {
        let d = d.as_ref()?;
        let trace = trace.and_then(sightline_core::model::ids::parse_hex_trace_id);
        match span.and_then(parse_hex_span_id) {
            Some(span_id) => {
                let (view, node) = d.forest.locate_span(&d.session, trace, span_id)?;
                Some((view, Some(node)))
            }
            None => {
                let t = d
                    .forest
                    .traces
                    .iter()
                    .position(|t| Some(t.trace_id) == trace)?;
                Some((t, None))
            }
        }
    });
    match target {
        Some((view, Some(node))) => {
            state.panel.set(None);
            state.go_to(view, node);
        }
        Some((view, None)) => {
            state.panel.set(None);
            state.select_trace(view);
        }
        None => {}
    }
}

fn status_text(run: &SqlRun, elapsed: f64) -> String {
    let table = TABLE.with(Cell::get).map(|(rows, ms)| {
        format!(
            " (the table of {} was built in {ms:.0} ms)",
            plural(usize::try_from(rows).unwrap_or(usize::MAX), "row")
        )
    });
    match run {
        SqlRun::Idle => "Write a query, or pick an example, and press Run (Ctrl+Enter).".into(),
        SqlRun::Starting => "Loading the SQL engine…".into(),
        SqlRun::Building { spans } => {
            format!("Building the records table of {}…", plural(*spans, "span"))
        }
        SqlRun::Running { .. } => format!("Running… {:.1} s", elapsed / 1000.0),
        SqlRun::Done { output, ms } => format!(
            "{}{} in {ms:.0} ms{}",
            plural(output.rows.len(), "row"),
            if output.truncated {
                " (more matched: only these are kept; add a LIMIT)"
            } else {
                ""
            },
            table.unwrap_or_default()
        ),
        SqlRun::Failed(_) => "The query failed.".into(),
        SqlRun::Cancelled => "Cancelled.".into(),
    }
}

/// The engine's error, with where in the query it stopped.
fn error_text(e: &QueryError) -> String {
    match (e.line, e.column) {
        (Some(l), Some(c)) if !e.message.contains("Line:") => {
            format!("{} (line {l}, column {c})", e.message)
        }
        _ => e.message.clone(),
    }
}

/// A result cell: a button that opens the span or trace for `trace_id` and `span_id` cells.
fn cell(
    state: AppState,
    column: &str,
    value: Option<String>,
    row_trace: Option<String>,
    numeric: bool,
) -> AnyView {
    let Some(text) = value else {
        return view! { <td class="sql-null">"NULL"</td> }.into_any();
    };
    let (label, trace, span) = match column {
        "span_id" | "parent_span_id" => {
            (format!("Open span {text}"), row_trace, Some(text.clone()))
        }
        "trace_id" => (format!("Open trace {text}"), Some(text.clone()), None),
        _ if !numeric && looks_structured(&text) => return json_cell(column, text),
        _ => {
            // Long text (stack traces, messages) is cut by CSS; the whole of it is the title.
            let title = (text.len() > 60).then(|| text.clone());
            return view! { <td class:sql-num=numeric title=title>{text}</td> }.into_any();
        }
    };
    view! {
        <td>
            <button
                type="button"
                class="sql-open"
                aria-label=label
                on:click=move |_| open_row_span(state, trace.as_deref(), span.as_deref())
            >
                {text}
            </button>
        </td>
    }
    .into_any()
}

/// A JSON cell (attributes, events, a payload): its text on one line, opening into an
/// expandable tree, built only when first opened.
fn json_cell(column: &str, text: String) -> AnyView {
    let open = RwSignal::new(false);
    let label = column.to_string();
    let summary: String = text.chars().take(120).collect();
    let tree = move || {
        open.get()
            .then(|| parse_structured(&text))
            .flatten()
            .map(|value| view! { <JsonTree label=label.clone() value=value schema=None/> })
    };
    view! {
        <td class="sql-json">
            <details on:toggle=move |e| {
                let opened = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|d| d.has_attribute("open"));
                open.set(opened);
            }>
                <summary>{summary}</summary>
                {tree}
            </details>
        </td>
    }
    .into_any()
}

fn results(state: AppState, output: Arc<QueryOutput>, shown: RwSignal<usize>) -> impl IntoView {
    let trace_col = output.columns.iter().position(|c| c.name == "trace_id");
    let names: Vec<String> = output.columns.iter().map(|c| c.name.clone()).collect();
    let numeric: Vec<bool> = output
        .columns
        .iter()
        .map(|c| c.kind == sightline_core::wire::query::CellKind::Number)
        .collect();
    let head = names
        .iter()
        .zip(&output.columns)
        .map(|(n, c)| view! { <th scope="col" title=c.data_type.clone()>{n.clone()}</th> })
        .collect_view();
    let total = output.rows.len();
    let body = {
        let output = output.clone();
        move || {
            let n = shown.get().min(total);
            output.rows[..n]
                .iter()
                .map(|row| {
                    let row_trace = trace_col.and_then(|i| row[i].clone());
                    let cells = row
                        .iter()
                        .zip(&names)
                        .zip(&numeric)
                        .map(|((v, name), &num)| {
                            cell(state, name, v.clone(), row_trace.clone(), num)
                        })
                        .collect_view();
                    view! { <tr>{cells}</tr> }
                })
                .collect_view()
        }
    };
    let more = move || {
        let n = shown.get();
        (n < total).then(|| {
            view! {
                <button type="button" class="sql-more" on:click=move |_| shown.update(|s| *s += PAGE_ROWS)>
                    {format!("Show more rows ({} of {total} shown)", n)}
                </button>
            }
        })
    };
    view! {
        <div class="sql-results">
            <table aria-label="Query results">
                <thead><tr>{head}</tr></thead>
                <tbody>{body}</tbody>
            </table>
            {more}
        </div>
    }
}

/// The table's columns, as the help panel lists them.
fn columns_help() -> impl IntoView {
    let rows = COLUMNS
        .iter()
        .map(|c| {
            view! {
                <tr>
                    <th scope="row"><code>{c.name}</code></th>
                    <td>{c.sql_type}</td>
                    <td>{c.about}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="sql-columns">
            <p>
                "One row per span. PostgreSQL syntax (Apache DataFusion); "
                <code>"attributes->>'key'"</code>
                " reads an attribute as text, "
                <code>"->"</code>
                " as JSON. Queries only read the loaded traces."
            </p>
            <table aria-label="Columns of records">
                <thead>
                    <tr><th scope="col">"Column"</th><th scope="col">"Type"</th><th scope="col">"What it holds"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The SQL view, in place of the trace.
#[component]
pub fn SqlPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    // The engine loads as the view opens, while the user writes a query.
    client::prepare(state);
    let columns_open = RwSignal::new(false);
    let shown = RwSignal::new(PAGE_ROWS);
    let elapsed = RwSignal::new(0.0f64);
    // The running time, counted while a query runs.
    let ticker = StoredValue::new_local(None::<IntervalHandle>);
    Effect::new(move |_| {
        let running = match state.sql_run.get() {
            SqlRun::Running { started } => Some(started),
            _ => None,
        };
        if let Some(handle) = ticker.try_update_value(Option::take).flatten() {
            handle.clear();
        }
        if let Some(started) = running {
            elapsed.set(js_sys::Date::now() - started);
            let handle = set_interval_with_handle(
                move || elapsed.set(js_sys::Date::now() - started),
                std::time::Duration::from_millis(100),
            )
            .ok();
            ticker.set_value(handle);
        }
    });
    on_cleanup(move || {
        if let Some(handle) = ticker.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    });
    let run_now = move || {
        shown.set(PAGE_ROWS);
        run(state, state.sql_text.get_untracked());
    };
    let examples = EXAMPLES
        .iter()
        .map(|e| {
            let sql = e.sql;
            view! {
                <button
                    type="button"
                    on:click=move |_| {
                        state.sql_text.set(sql.to_string());
                        run_now();
                    }
                >
                    {e.title}
                </button>
            }
        })
        .collect_view();
    let status = move || state.sql_run.with(|r| status_text(r, elapsed.get()));
    let error = move || {
        state.sql_run.with(|r| match r {
            SqlRun::Failed(e) => {
                Some(view! { <p class="sql-error" role="alert">{error_text(e)}</p> })
            }
            _ => None,
        })
    };
    let output = move || {
        state.sql_run.with(|r| match r {
            SqlRun::Done { output, .. } => Some(results(state, output.clone(), shown)),
            _ => None,
        })
    };
    let busy = move || state.sql_run.with(SqlRun::busy);
    view! {
        <section class="sql-view" aria-label="SQL">
            <h2>"SQL over the loaded traces"</h2>
            <textarea
                class="sql-editor"
                aria-label="SQL query"
                spellcheck="false"
                rows="7"
                prop:value=move || state.sql_text.get()
                on:input=move |e| state.sql_text.set(event_target_value(&e))
                on:keydown=move |e| {
                    if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                        e.prevent_default();
                        run_now();
                    }
                }
            ></textarea>
            <div class="sql-actions">
                <button type="button" class="sql-run" on:click=move |_| run_now() disabled=busy>
                    "Run"
                </button>
                <span class="sql-hint">"Ctrl+Enter"</span>
                {move || busy().then(|| view! {
                    <button type="button" on:click=move |_| client::cancel(state)>"Cancel"</button>
                })}
                <button
                    type="button"
                    aria-expanded=move || columns_open.get().to_string()
                    on:click=move |_| columns_open.update(|o| *o = !*o)
                >
                    "Columns"
                </button>
                <div class="sql-examples" role="group" aria-label="Example queries">
                    <span class="sql-hint">"Examples:"</span>
                    {examples}
                </div>
            </div>
            <p class="sql-status" role="status">{status}</p>
            {error}
            {move || columns_open.get().then(columns_help)}
            {output}
        </section>
    }
}
