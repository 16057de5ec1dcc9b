//! The report across CI runs: each test's history (broken and flaky first), the exceptions
//! grouped by fingerprint, and for each flaky test the top differences between a failing and a
//! passing run, as text for a CI log or Markdown for a job summary.

use std::io::Write;

use sightline_core::insight::report::{failing_tests, md, FailingTest};
use sightline_core::insight::runs::compare::Comparison;
use sightline_core::insight::runs::{CiRuns, ExceptionGroup, TestHistory, Verdict};
use sightline_core::view::format::format_duration;
use sightline_core::view::url_state::{HashState, Panel};
use sightline_core::Loaded;

use crate::{Args, NO_BASE_URL};
use sightline_core::view::format::plural;

/// Differences printed per flaky test.
const TOP_DIFFERENCES: usize = 5;

/// The failing tests that decide the exit status: with several runs, the newest run's.
pub fn newest_failures(loaded: &Loaded) -> Vec<FailingTest> {
    failing_tests(&loaded.session, &loaded.forest)
        .into_iter()
        .filter(|f| loaded.runs.in_newest_run(&loaded.forest, f.trace))
        .collect()
}

/// The tests that have a test span (rows listed by a trace's root only when there are none).
fn tests(runs: &CiRuns) -> Vec<&TestHistory> {
    let real: Vec<&TestHistory> = runs.tests.iter().filter(|t| !t.by_root).collect();
    if real.is_empty() {
        runs.tests.iter().collect()
    } else {
        real
    }
}

/// A history cell: the outcomes of a test's executions in one run ("fail/pass" for a retry),
/// "–" when it did not run.
fn cell(t: &TestHistory, run: u32) -> String {
    let words: Vec<&str> = t.in_run(run).map(|e| e.outcome.word()).collect();
    if words.is_empty() {
        "–".into()
    } else {
        words.join("/")
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// "6 x ValueError: cannot reserve <n> x TEAPOT-XL" with the handled count.
fn group_title(g: &ExceptionGroup) -> String {
    let what = match (g.kind.as_str(), first_line(&g.pattern)) {
        ("", m) => m.to_string(),
        (k, "") => k.to_string(),
        (k, m) => format!("{k}: {m}"),
    };
    let handled = if g.all_handled() {
        " (handled)".to_string()
    } else if g.handled > 0 {
        format!(" ({} handled)", g.handled)
    } else {
        String::new()
    };
    format!("{} x {what}{handled}", g.occurrences.len())
}

fn run_span(runs: &CiRuns, g: &ExceptionGroup) -> String {
    let label = |r: &u32| runs.runs.get(*r as usize).map_or("?", |r| r.label.as_str());
    match (g.runs.first(), g.runs.last()) {
        (Some(a), Some(b)) if a == b => format!("run {}", label(a)),
        (Some(a), Some(b)) => format!("{} runs, {} to {}", g.runs.len(), label(a), label(b)),
        _ => String::new(),
    }
}

/// A flaky test's comparison: the test, the comparison, the failing and the passing run, and
/// the comparison's link state.
type Compared<'a> = (&'a TestHistory, Comparison, u32, u32, Option<HashState>);

/// The flaky tests' comparisons.
fn comparisons(loaded: &Loaded) -> Vec<Compared<'_>> {
    let runs = &loaded.runs;
    runs.tests
        .iter()
        .enumerate()
        .filter(|(_, t)| t.verdict == Verdict::Flaky && !t.by_root)
        .filter_map(|(i, t)| {
            let (f, p) = runs.default_pair(i)?;
            let c = runs.compare_default(&loaded.session, &loaded.forest, i)?;
            let state = runs.compare_state(&loaded.session, &loaded.forest, f, p);
            Some((t, c, f.run, p.run, state))
        })
        .collect()
}

fn difference_line(c: &Comparison, i: usize) -> Option<String> {
    let d = c.differences.get(i)?;
    let row = c.rows.get(d.row as usize)?;
    let critical = if d.critical { " (critical path)" } else { "" };
    Some(format!(
        "{} › {}: {}{critical}",
        row.service, row.name, d.text
    ))
}

/// The report across runs as text, when the files hold more than one run.
pub fn text(args: &Args, loaded: &Loaded, out: &mut impl Write) -> std::io::Result<()> {
    let runs = &loaded.runs;
    if runs.runs.len() <= 1 {
        return Ok(());
    }
    let shown = tests(runs);
    let count = |v: Verdict| shown.iter().filter(|t| t.verdict == v).count();
    writeln!(
        out,
        "\n{} across {}: {} broken, {} flaky",
        plural(shown.len(), "test"),
        plural(runs.runs.len(), "run"),
        count(Verdict::Broken),
        count(Verdict::Flaky)
    )?;
    for note in &runs.notes {
        writeln!(out, "  note: {note}")?;
    }
    writeln!(out, "\nRuns, oldest first:")?;
    for (i, r) in runs.runs.iter().enumerate() {
        let mut about = vec![r.outcome().to_string()];
        if !r.revision.is_empty() {
            about.push(r.short_revision().to_string());
        }
        if !r.branch.is_empty() {
            about.push(r.branch.clone());
        }
        let url = if r.url.is_empty() {
            String::new()
        } else {
            format!(" {}", r.url)
        };
        writeln!(out, "  {}. {} ({}){url}", i + 1, r.label, about.join(", "))?;
    }
    writeln!(
        out,
        "\nTest history (a column per run, in the order above):"
    )?;
    let width = shown
        .iter()
        .flat_map(|t| (0..runs.runs.len()).map(move |r| cell(t, r as u32).chars().count()))
        .max()
        .unwrap_or(4)
        .max(4);
    for t in &shown {
        let cells: Vec<String> = (0..runs.runs.len())
            .map(|r| format!("{:<width$}", cell(t, r as u32)))
            .collect();
        writeln!(
            out,
            "  {}  {}  [{}]",
            cells.join(" "),
            t.key(),
            t.verdict_text(", ")
        )?;
    }
    let hidden = runs.tests.len() - shown.len();
    if hidden > 0 {
        writeln!(
            out,
            "  (and {} without a test span, listed by their root span in Sightline)",
            plural(hidden, "trace name")
        )?;
    }
    if let Some(link) = args.link(HashState {
        panel: Some(Panel::History),
        ..HashState::default()
    }) {
        writeln!(out, "  {link}")?;
    }
    if !runs.exceptions.is_empty() {
        writeln!(out, "\nExceptions, grouped by fingerprint:")?;
        for g in &runs.exceptions {
            writeln!(out, "  {}", group_title(g))?;
            let mut about = Vec::new();
            if !g.frame.is_empty() {
                about.push(format!("at {}", g.frame));
            }
            about.push(plural(g.spans as usize, "span"));
            about.push(run_span(runs, g));
            about.push(g.services.join(", "));
            if !g.tests.is_empty() {
                about.push(plural(g.tests.len(), "test"));
            }
            writeln!(out, "    {}", about.join("; "))?;
            if let Some(link) = args.link(HashState {
                panel: Some(Panel::Exceptions),
                group: Some(g.id.clone()),
                ..HashState::default()
            }) {
                writeln!(out, "    {link}")?;
            }
        }
    }
    for (t, c, f, p, state) in comparisons(loaded) {
        let label = |r: u32| runs.runs.get(r as usize).map_or("?", |r| r.label.as_str());
        writeln!(
            out,
            "\nFlaky {}: failing {} against passing {}",
            t.key(),
            label(f),
            label(p)
        )?;
        for i in 0..TOP_DIFFERENCES.min(c.differences.len()) {
            if let Some(line) = difference_line(&c, i) {
                writeln!(out, "  {}. {line}", i + 1)?;
            }
        }
        if c.differences.is_empty() {
            writeln!(out, "  (the two executions do not differ in their spans)")?;
        }
        match state.and_then(|s| args.link(s)) {
            Some(link) => writeln!(out, "  {link}")?,
            None if args.base_url.is_none() => writeln!(out, "  {NO_BASE_URL}")?,
            None => {}
        }
    }
    Ok(())
}

/// The report across runs as Markdown, when the files hold more than one run.
pub fn markdown(args: &Args, loaded: &Loaded, out: &mut impl Write) -> std::io::Result<()> {
    let runs = &loaded.runs;
    if runs.runs.len() <= 1 {
        return Ok(());
    }
    let shown = tests(runs);
    writeln!(out, "#### Test history\n")?;
    let header: Vec<String> = runs.runs.iter().map(|r| md(&r.label)).collect();
    writeln!(out, "| test | {} |", header.join(" | "))?;
    writeln!(out, "|---|{}", "---|".repeat(runs.runs.len()))?;
    for t in &shown {
        let cells: Vec<String> = (0..runs.runs.len()).map(|r| cell(t, r as u32)).collect();
        writeln!(
            out,
            "| {} ({}) | {} |",
            md(&t.key()),
            md(&t.verdict_text(", ")),
            cells.join(" | ")
        )?;
    }
    if !runs.exceptions.is_empty() {
        writeln!(out, "\n#### Exceptions\n")?;
        writeln!(
            out,
            "| exception | where | runs | services |\n|---|---|---|---|"
        )?;
        for g in &runs.exceptions {
            let title = md(&group_title(g));
            let title = match args.link(HashState {
                panel: Some(Panel::Exceptions),
                group: Some(g.id.clone()),
                ..HashState::default()
            }) {
                Some(url) => format!("[{title}]({url})"),
                None => title,
            };
            writeln!(
                out,
                "| {title} | {} | {} | {} |",
                md(&g.frame),
                md(&run_span(runs, g)),
                md(&g.services.join(", "))
            )?;
        }
    }
    for (t, c, f, p, state) in comparisons(loaded) {
        let label = |r: u32| runs.runs.get(r as usize).map_or("?", |r| r.label.as_str());
        let title = format!(
            "Flaky {}: failing {} against passing {}",
            t.key(),
            label(f),
            label(p)
        );
        match state.and_then(|s| args.link(s)) {
            Some(url) => writeln!(out, "\n#### [{}]({url})\n", md(&title))?,
            None => writeln!(out, "\n#### {}\n", md(&title))?,
        }
        for i in 0..TOP_DIFFERENCES.min(c.differences.len()) {
            if let Some(line) = difference_line(&c, i) {
                writeln!(out, "{}. {}", i + 1, md(&line))?;
            }
        }
        if let Some(m) = c
            .means
            .first()
            .filter(|m| m.passing_runs > 0 && m.failing_runs > 0)
        {
            writeln!(
                out,
                "\nMean duration of the test: {} over {}, {} over {}.",
                format_duration(m.passing),
                plural(m.passing_runs as usize, "passing run"),
                format_duration(m.failing),
                plural(m.failing_runs as usize, "failing run")
            )?;
        }
    }
    writeln!(out)?;
    Ok(())
}
