//! `sightline context FILE... [--test NAME]`: a failing test with its whole context, as
//! Markdown for an assistant (the exception and its parsed stack, the path of spans from the test
//! to the raising span, request and response bodies, the CI run, the differences from a passing
//! run), as the page's "Copy for an assistant" gives it.

use std::io::Write;

use sightline_core::session::context::{failure_context, span_context};
use sightline_core::Loaded;

pub const USAGE: &str = "usage: sightline context [--test NAME] FILE|FOLDER...

Prints each failing test of the FILEs (of the newest run, when they hold several) with its whole
context, as Markdown for an assistant. With --test, only that test (its name or suite › name as
the history lists it; a substring is enough when it names one test), failing or not: its latest
failure, else its latest execution.
Exit status: 0 with a context printed, 1 when no test failed (and no --test), 2 when the test is
not found or nothing could be read.";

/// The context of test `name`: its latest failing execution, else its latest one.
fn named_test(loaded: &Loaded, name: &str) -> Result<String, String> {
    let tests = &loaded.runs.tests;
    let exact: Vec<usize> = (0..tests.len())
        .filter(|&i| tests[i].name == name || tests[i].key() == name)
        .collect();
    let matches = if exact.is_empty() {
        (0..tests.len())
            .filter(|&i| tests[i].key().contains(name))
            .collect()
    } else {
        exact
    };
    let t = match matches.as_slice() {
        [t] => &tests[*t],
        [] => return Err(format!("no test is named {name:?}")),
        many => {
            let names: Vec<String> = many.iter().take(5).map(|&i| tests[i].key()).collect();
            return Err(format!(
                "{name:?} names {} tests ({}{}): give more of the name",
                many.len(),
                names.join(", "),
                if many.len() > names.len() {
                    ", …"
                } else {
                    ""
                }
            ));
        }
    };
    let latest = |fail: bool| {
        t.executions
            .iter()
            .filter(|e| !fail || e.outcome == sightline_core::insight::runs::Outcome::Fail)
            .max_by_key(|e| (e.run, e.start))
    };
    let e = latest(true)
        .or_else(|| latest(false))
        .ok_or_else(|| format!("{name:?} never ran"))?;
    // A failing execution's context goes down to its cause.
    let cause = sightline_core::insight::report::failing_tests(&loaded.session, &loaded.forest)
        .into_iter()
        .find(|f| f.trace == e.view as usize && f.node == e.node);
    match cause {
        Some(f) => failure_context(loaded, &f),
        None => span_context(loaded, e.view as usize, e.node),
    }
    .ok_or_else(|| format!("{name:?}: its span is not in the loaded trees"))
}

pub fn main(args: Vec<String>, out: &mut impl Write, err: &mut impl Write) -> std::io::Result<u8> {
    let mut test = None;
    let mut files = Vec::new();
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--test" => match args.next() {
                Some(name) => test = Some(name),
                None => {
                    writeln!(err, "sightline context: --test needs a name\n{USAGE}")?;
                    return Ok(2);
                }
            },
            "--help" | "-h" => {
                writeln!(out, "{USAGE}")?;
                return Ok(0);
            }
            f if f.starts_with("--") => {
                writeln!(err, "sightline context: unknown option {f}\n{USAGE}")?;
                return Ok(2);
            }
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        writeln!(err, "sightline context: no trace file given\n{USAGE}")?;
        return Ok(2);
    }
    let loaded = Loaded::decode(crate::read_inputs(&files, err)?);
    if loaded.session.spans.is_empty() {
        writeln!(
            err,
            "sightline context: no spans found in {}",
            files.join(", ")
        )?;
        return Ok(2);
    }
    if let Some(name) = test {
        return match named_test(&loaded, &name) {
            Ok(text) => {
                write!(out, "{text}")?;
                Ok(0)
            }
            Err(e) => {
                writeln!(err, "sightline context: {e}")?;
                Ok(2)
            }
        };
    }
    let failing = crate::runs::newest_failures(&loaded);
    if failing.is_empty() {
        writeln!(
            err,
            "sightline context: no failing test in {}",
            files.join(", ")
        )?;
        return Ok(1);
    }
    for (n, f) in failing.iter().enumerate() {
        if let Some(text) = failure_context(&loaded, f) {
            if n > 0 {
                writeln!(out, "\n---\n")?;
            }
            write!(out, "{text}")?;
        }
    }
    Ok(0)
}
