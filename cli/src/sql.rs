//! `sightline sql "SELECT ..." FILE...`: runs one read-only query over the `records` table of
//! the files and prints the result as a table, JSON (`--json`) or CSV (`--csv`).

use std::io::Write;

use sightline_sql::{Engine, QueryOutput};

pub const USAGE: &str = "usage: sightline sql [--json | --csv] \"SELECT ...\" FILE|FOLDER...

Runs one read-only SQL query (Apache DataFusion, PostgreSQL syntax, `->` and `->>` on JSON) over
a `records` table with one row per span of the FILEs, as Logfire's. `sightline sql --columns`
lists the table's columns. Exit status: 0 with a result, 2 on a bad query or unreadable input.";

/// Cells longer than this are cut in the table (JSON and CSV keep them whole).
const CELL_CHARS: usize = 80;

enum Format {
    Table,
    Json,
    Csv,
}

pub fn main(args: Vec<String>, out: &mut impl Write, err: &mut impl Write) -> std::io::Result<u8> {
    let mut format = Format::Table;
    let mut rest = Vec::new();
    for a in args {
        match a.as_str() {
            "--json" => format = Format::Json,
            "--csv" => format = Format::Csv,
            "--columns" => {
                for c in sightline_sql::COLUMNS {
                    writeln!(out, "{:<26} {:<20} {}", c.name, c.sql_type, c.about)?;
                }
                return Ok(0);
            }
            "--help" | "-h" => {
                writeln!(out, "{USAGE}")?;
                return Ok(0);
            }
            f if f.starts_with("--") => {
                writeln!(err, "sightline sql: unknown option {f}\n{USAGE}")?;
                return Ok(2);
            }
            _ => rest.push(a),
        }
    }
    let mut rest = rest.into_iter();
    let (Some(query), files) = (rest.next(), rest.collect::<Vec<_>>()) else {
        writeln!(err, "{USAGE}")?;
        return Ok(2);
    };
    if files.is_empty() {
        writeln!(err, "sightline sql: no trace file given\n{USAGE}")?;
        return Ok(2);
    }
    let loaded = sightline_core::Loaded::decode(crate::read_inputs(&files, err)?);
    if loaded.session.spans.is_empty() {
        writeln!(err, "sightline sql: no spans found in {}", files.join(", "))?;
        return Ok(2);
    }
    let result = Engine::new(&loaded).and_then(|engine| engine.query(&query));
    let output = match result {
        Ok(output) => output,
        Err(e) => {
            writeln!(err, "sightline sql: {e}")?;
            return Ok(2);
        }
    };
    match format {
        Format::Json => writeln!(out, "{}", output.to_json())?,
        Format::Csv => write!(out, "{}", output.to_csv())?,
        Format::Table => table(&output, out)?,
    }
    if output.truncated {
        writeln!(
            err,
            "sightline sql: only the first {} rows are shown; add a LIMIT or narrow the query",
            output.rows.len()
        )?;
    }
    Ok(0)
}

/// A cell as one line of at most [`CELL_CHARS`] characters.
fn cell(text: Option<&str>) -> String {
    let Some(text) = text else {
        return "NULL".into();
    };
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() > CELL_CHARS {
        let cut: String = one_line.chars().take(CELL_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

/// The result as an aligned text table with a row count.
fn table(output: &QueryOutput, out: &mut impl Write) -> std::io::Result<()> {
    let rows: Vec<Vec<String>> = output
        .rows
        .iter()
        .map(|r| r.iter().map(|c| cell(c.as_deref())).collect())
        .collect();
    let mut widths: Vec<usize> = output
        .columns
        .iter()
        .map(|c| c.name.chars().count())
        .collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = (&str, bool)>| {
        let mut text = String::new();
        for (i, (c, right)) in cells.enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            if i > 0 {
                text.push_str(" | ");
            }
            if right {
                text.push_str(&" ".repeat(pad));
                text.push_str(c);
            } else {
                text.push_str(c);
                text.push_str(&" ".repeat(pad));
            }
        }
        text.trim_end().to_string()
    };
    let numeric: Vec<bool> = output
        .columns
        .iter()
        .map(|c| c.kind == sightline_sql::CellKind::Number)
        .collect();
    writeln!(
        out,
        "{}",
        line(&mut output.columns.iter().map(|c| (c.name.as_str(), false)))
    )?;
    writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-")
    )?;
    for r in &rows {
        writeln!(
            out,
            "{}",
            line(&mut r.iter().zip(&numeric).map(|(c, &n)| (c.as_str(), n)))
        )?;
    }
    writeln!(
        out,
        "({})",
        sightline_core::view::format::plural(rows.len(), "row")
    )?;
    Ok(())
}
