//! `sightline`: reads trace artifacts (any format Sightline opens) and prints, for a CI log, the
//! failing tests, the span that caused each (service, span, exception) and a link to that span in
//! a hosted Sightline. Given several CI runs, it prints each test's history (broken and flaky
//! first), the exceptions grouped by fingerprint, and what differs between a flaky test's failing
//! and passing runs. Exits 1 when a test failed (in the newest run), 0 when none did, 2 when
//! nothing could be read.

mod context;
mod mcp;
mod runs;
mod sql;

use std::io::Write;
use std::process::ExitCode;

use sightline_core::insight::report::{error_text, markdown_table, md, permalink, FailingTest};
use sightline_core::view::format::plural;
use sightline_core::Loaded;

const USAGE: &str =
    "usage: sightline [--base-url URL] [--src URL] [--markdown] [--verbose] FILE|FOLDER...
       sightline sql [--json | --csv] \"SELECT ...\" FILE|FOLDER...   (sightline sql --help)
       sightline context [--test NAME] FILE|FOLDER...   (a failure as Markdown for an assistant)
       sightline mcp FILE|FOLDER...   (a Model Context Protocol server over stdio)

Prints the failing tests in trace FILEs (OTLP/JSON, JSON Lines, Jaeger, Zipkin; gzip, zstd, zip,
tar; a FOLDER is read whole) and, for each, the span that caused it, with a link to it in
Sightline. Given several CI runs, also each test's history, the exceptions grouped, and for each
flaky test what differs between its failing and passing runs.

  --base-url URL  where your Sightline is hosted (or set SIGHTLINE_URL); links need one
  --src URL       where the artifact will be served, so the link can fetch it (with CORS)
  --markdown      write Markdown (for a CI job summary, e.g. >> \"$GITHUB_STEP_SUMMARY\")
  --verbose       list every problem met while reading

Exit status: 0 no failing test, 1 failing tests (in the newest run), 2 nothing could be read.";

/// What to say instead of links when no base URL is known.
pub const NO_BASE_URL: &str =
    "(no links: pass --base-url URL or set SIGHTLINE_URL to where your Sightline is hosted)";

pub struct Args {
    /// Where Sightline is hosted, from --base-url or SIGHTLINE_URL.
    base_url: Option<String>,
    src: Option<String>,
    verbose: bool,
    markdown: bool,
    files: Vec<String>,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = Args {
        base_url: std::env::var("SIGHTLINE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty()),
        src: None,
        verbose: false,
        markdown: false,
        files: Vec::new(),
    };
    let mut args = args.peekable();
    while let Some(a) = args.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--base-url" => out.base_url = Some(value("--base-url")?),
            "--src" => out.src = Some(value("--src")?),
            "--verbose" | "-v" => out.verbose = true,
            "--markdown" => out.markdown = true,
            "--help" | "-h" => return Err(String::new()),
            f if f.starts_with('-') && f.len() > 1 => return Err(format!("unknown option {f}")),
            _ => out.files.push(a),
        }
    }
    if out.files.is_empty() {
        return Err("no trace file given".into());
    }
    Ok(out)
}

impl Args {
    /// The address of `state` in the hosted Sightline, with the artifact's URL as its source;
    /// `None` when no base URL is known.
    pub fn link(&self, mut state: sightline_core::view::url_state::HashState) -> Option<String> {
        let base = self.base_url.as_deref()?;
        state.sources = self.src.clone().into_iter().collect();
        let base = base.split('#').next().unwrap_or(base);
        Some(format!("{base}{}", state.to_hash()))
    }

    fn cause_link(&self, f: &FailingTest) -> Option<String> {
        let base = self.base_url.as_deref()?;
        Some(permalink(base, self.src.as_deref(), &f.cause))
    }
}

/// The files to read: each FILE as given, each FOLDER's files (all levels) in name order. What
/// cannot be read is said on `out`.
pub fn read_inputs(
    files: &[String],
    out: &mut impl Write,
) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut inputs = Vec::new();
    let mut pending: Vec<std::path::PathBuf> = files.iter().rev().map(Into::into).collect();
    while let Some(path) = pending.pop() {
        let name = path.to_string_lossy().into_owned();
        if path.is_dir() {
            match std::fs::read_dir(&path) {
                Ok(entries) => {
                    let mut inside: Vec<_> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
                    inside.sort();
                    pending.extend(inside.into_iter().rev());
                }
                Err(e) => writeln!(out, "sightline: cannot read {name}: {e}")?,
            }
            continue;
        }
        match std::fs::read(&path) {
            Ok(bytes) => inputs.push((name, bytes)),
            Err(e) => writeln!(out, "sightline: cannot read {name}: {e}")?,
        }
    }
    Ok(inputs)
}

fn run(args: &Args, out: &mut impl Write) -> std::io::Result<u8> {
    let snapshot = Loaded::decode(read_inputs(&args.files, out)?);
    let spans = snapshot.forest.span_count();
    let warnings = &snapshot.session.warnings;
    if spans == 0 {
        writeln!(
            out,
            "sightline: no spans found in {}",
            args.files.join(", ")
        )?;
        for w in warnings {
            writeln!(out, "  {w}")?;
        }
        return Ok(2);
    }
    // With several runs, the failures that count are the newest run's.
    let failing = runs::newest_failures(&snapshot);
    if args.markdown {
        return markdown(args, &snapshot, &failing, out);
    }
    let in_newest = match snapshot.runs.runs.len() {
        0 | 1 => String::new(),
        n => format!(" in the newest of {n} runs"),
    };
    writeln!(
        out,
        "sightline: {}{in_newest} in {} ({}, {})",
        match failing.len() {
            0 => "no failing tests".to_string(),
            n => plural(n, "failing test"),
        },
        args.files.join(", "),
        plural(spans, "span"),
        plural(snapshot.forest.traces.len(), "trace"),
    )?;
    if !warnings.is_empty() {
        writeln!(
            out,
            "  {} while reading{}",
            plural(warnings.len(), "problem"),
            if args.verbose {
                ":"
            } else {
                " (--verbose lists them)"
            }
        )?;
        if args.verbose {
            for w in warnings {
                writeln!(out, "    {w}")?;
            }
        }
    }
    runs::text(args, &snapshot, out)?;
    if snapshot.runs.runs.len() > 1 && !failing.is_empty() {
        let newest = snapshot.runs.runs.last().map_or("", |r| r.label.as_str());
        writeln!(out, "\nFailing in the newest run, {newest}:")?;
    }
    for f in &failing {
        let c = &f.cause;
        writeln!(out)?;
        writeln!(out, "FAILED {}", f.name)?;
        writeln!(out, "  cause: {} › {}", c.service, c.span)?;
        match error_text(&c.kind, &c.message) {
            error if error.is_empty() => {
                writeln!(out, "  (failed without an exception or message)")?;
            }
            error => writeln!(out, "  {error}")?,
        }
        match args.cause_link(f) {
            Some(link) => writeln!(out, "  {link}")?,
            None => writeln!(out, "  {NO_BASE_URL}")?,
        }
    }
    Ok(u8::from(!failing.is_empty()))
}

fn markdown(
    args: &Args,
    snapshot: &Loaded,
    failing: &[FailingTest],
    out: &mut impl Write,
) -> std::io::Result<u8> {
    let spans = snapshot.forest.span_count();
    writeln!(
        out,
        "### Sightline: {}",
        match failing.len() {
            0 => "no failing tests".to_string(),
            n => plural(n, "failing test"),
        }
    )?;
    writeln!(
        out,
        "\n{} in {} ({}).\n",
        plural(spans, "span"),
        plural(snapshot.forest.traces.len(), "trace"),
        md(&args.files.join(", "))
    )?;
    runs::markdown(args, snapshot, out)?;
    if snapshot.runs.runs.len() > 1 && !failing.is_empty() {
        let newest = snapshot.runs.runs.last().map_or("", |r| r.label.as_str());
        writeln!(out, "\n#### Failing in the newest run, {}\n", md(newest))?;
    }
    write!(out, "{}", markdown_table(failing, &|f| args.cause_link(f)))?;
    if args.base_url.is_none() && !failing.is_empty() {
        writeln!(out, "\n{NO_BASE_URL}")?;
    }
    let warnings = snapshot.session.warnings.len();
    if warnings > 0 {
        writeln!(
            out,
            "\n{} while reading the files.",
            plural(warnings, "problem")
        )?;
    }
    Ok(u8::from(!failing.is_empty()))
}

/// A subcommand: its arguments, standard output and error; its exit status.
type Subcommand<O, E> = fn(Vec<String>, &mut O, &mut E) -> std::io::Result<u8>;

fn main() -> ExitCode {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    let command = match argv.first().map(String::as_str) {
        Some("sql") => Some(sql::main as Subcommand<_, _>),
        Some("context") => Some(context::main as Subcommand<_, _>),
        Some("mcp") => Some(mcp::main as Subcommand<_, _>),
        _ => None,
    };
    if let Some(command) = command {
        argv.remove(0);
        // Not locked: the MCP server writes to standard output from its runtime's threads.
        return match command(argv, &mut std::io::stdout(), &mut std::io::stderr()) {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                eprintln!("sightline: {e}");
                ExitCode::from(2)
            }
        };
    }
    let args = match parse_args(argv.into_iter()) {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("sightline: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(if e.is_empty() { 0 } else { 2 });
        }
    };
    match run(&args, &mut std::io::stdout().lock()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("sightline: {e}");
            ExitCode::from(2)
        }
    }
}
