//! `sightline`: reads trace artifacts (any format Sightline opens) and prints, for a CI log, the
//! failing tests, the span that caused each (service, span, exception) and a link to that span in
//! a hosted Sightline. Exits 1 when a test failed, 0 when none did, 2 when nothing could be read.

use std::io::Write;
use std::process::ExitCode;

use sightline_core::insight::report::{error_text, failing_tests, markdown_table, md, permalink};
use sightline_core::Loaded;

const USAGE: &str = "usage: sightline [--base-url URL] [--src URL] [--markdown] [--verbose] FILE...

Prints the failing tests in trace FILEs (OTLP/JSON, JSON Lines, Jaeger, Zipkin; gzip, zstd, zip)
and, for each, the span that caused it, with a link to it in Sightline.

  --base-url URL  where your Sightline is hosted (default: https://sightline.example/ )
  --src URL       where the artifact will be served, so the link can fetch it (with CORS)
  --markdown      write Markdown (for a CI job summary, e.g. >> \"$GITHUB_STEP_SUMMARY\")
  --verbose       list every problem met while reading

Exit status: 0 no failing test, 1 failing tests, 2 nothing could be read.";

struct Args {
    base_url: String,
    src: Option<String>,
    verbose: bool,
    markdown: bool,
    files: Vec<String>,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = Args {
        base_url: "https://sightline.example/".into(),
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
            "--base-url" => out.base_url = value("--base-url")?,
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

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn run(args: &Args, out: &mut impl Write) -> std::io::Result<u8> {
    let mut inputs = Vec::new();
    for f in &args.files {
        match std::fs::read(f) {
            Ok(bytes) => inputs.push((f.clone(), bytes)),
            Err(e) => writeln!(out, "sightline: cannot read {f}: {e}")?,
        }
    }
    let snapshot = Loaded::decode(inputs);
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
    let failing = failing_tests(&snapshot.session, &snapshot.forest);
    if args.markdown {
        return markdown(args, &snapshot, &failing, out);
    }
    writeln!(
        out,
        "sightline: {} in {} ({}, {})",
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
        writeln!(
            out,
            "  {}",
            permalink(&args.base_url, args.src.as_deref(), c)
        )?;
    }
    Ok(u8::from(!failing.is_empty()))
}

fn markdown(
    args: &Args,
    snapshot: &Loaded,
    failing: &[sightline_core::insight::report::FailingTest],
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
    write!(
        out,
        "{}",
        markdown_table(failing, &|f| permalink(
            &args.base_url,
            args.src.as_deref(),
            &f.cause
        ))
    )?;
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

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("sightline: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(if e.is_empty() { 0 } else { 2 });
        }
    };
    let stdout = std::io::stdout();
    match run(&args, &mut stdout.lock()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("sightline: {e}");
            ExitCode::from(2)
        }
    }
}
