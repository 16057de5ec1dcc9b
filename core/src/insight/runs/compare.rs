//! A failing execution of a test compared with a passing one: their spans aligned by service,
//! name and ancestor path (volatile parts of names normalised, repeats counted), and the
//! differences ranked so the first is the first divergence: what only one side has, status
//! changes and new exceptions, then durations on the failing side's critical path.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::insight::runs::history::{Outcome, TestHistory};
use crate::insight::runs::normalise::{normalise, text_hash};
use crate::insight::structured::{from_attribute, Json};
use crate::model::intern::Sym;
use crate::model::{Session, Value};
use crate::trace::critical::critical_path_from;
use crate::trace::tree::{Forest, TraceTree};

/// An execution's place: (view, node) of its test span.
pub type At = (u32, u32);

/// One side of an aligned span: how often it ran there and how it went.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    pub count: u32,
    /// Total duration of its spans (ns).
    pub duration: u64,
    /// The first of its spans: (node), and its start and end relative to the test span's start.
    pub node: Option<u32>,
    pub from: u64,
    pub to: u64,
    /// Spans with an error.
    pub errors: u32,
    /// Exception types raised in it.
    pub exceptions: Vec<String>,
    /// On the critical path of its trace.
    pub critical: bool,
}

/// A span of either execution, aligned with its counterpart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aligned {
    /// The path key both sides share.
    pub key: u64,
    /// The row of the aligned parent, `None` for the test span.
    pub parent: Option<u32>,
    pub depth: u32,
    pub service: String,
    /// The name shown (the failing side's, else the passing side's).
    pub name: String,
    pub passing: Side,
    pub failing: Side,
}

/// What differs in one aligned row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Change {
    OnlyFailing,
    OnlyPassing,
    Status,
    NewException,
    Count,
    Duration,
}

/// One row of the "Span differences" table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// Index into [`Comparison::rows`].
    pub row: u32,
    pub change: Change,
    /// What the Difference column says: "only in failing", "ERROR vs OK", "2 x vs 1 x",
    /// "+1.52 s".
    pub text: String,
    /// Failing minus passing duration (ns).
    pub delta: i64,
    /// On the failing side's critical path.
    pub critical: bool,
}

/// Mean durations of an aligned span over all executions of the test.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Means {
    /// Mean total duration in passing executions (ns), and how many had it.
    pub passing: u64,
    pub passing_runs: u32,
    pub failing: u64,
    pub failing_runs: u32,
}

/// A failing and a passing execution of a test, aligned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub failing: Option<At>,
    pub passing: Option<At>,
    /// Aligned spans in tree order (failing side's order, passing-only spans after their
    /// aligned siblings).
    pub rows: Vec<Aligned>,
    pub differences: Vec<Difference>,
    /// Per row, means over every execution of the test (filled by [`Comparison::with_means`]).
    pub means: Vec<Means>,
    /// The longer of the two executions (ns): both waterfalls' time scale.
    pub scale: u64,
}

/// Normalised names, cached by the interned name.
struct Namer<'a> {
    session: &'a Session,
    cache: FxHashMap<Sym, u64>,
}

impl<'a> Namer<'a> {
    fn new(session: &'a Session) -> Namer<'a> {
        Namer {
            session,
            cache: FxHashMap::default(),
        }
    }

    fn name_hash(&mut self, name: Sym) -> u64 {
        let session = self.session;
        *self
            .cache
            .entry(name)
            .or_insert_with(|| text_hash(0x51_7c_c1_b7, &normalise(session.strings.get(name))))
    }
}

fn combine(parent: u64, service: u32, name: u64) -> u64 {
    let mut h = parent.rotate_left(17) ^ name;
    h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^= u64::from(service).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h ^ (h >> 29)
}

/// The path key of every node of the subtree of `at`, in tree order, as (node, key, parent
/// key). The test span itself has key 0.
fn keys_of(
    session: &Session,
    tree: &TraceTree,
    at: u32,
    namer: &mut Namer<'_>,
) -> Vec<(u32, u64, u64)> {
    let Some(root) = tree.nodes.get(at as usize) else {
        return Vec::new();
    };
    let end = (root.subtree_end as usize).min(tree.nodes.len());
    let mut key_of: Vec<u64> = Vec::with_capacity(end - at as usize);
    let mut out = Vec::with_capacity(end - at as usize);
    for i in at as usize..end {
        let node = &tree.nodes[i];
        let (key, parent_key) = if i == at as usize {
            (0, 0)
        } else {
            let parent_key = node
                .parent
                .and_then(|p| (p as usize).checked_sub(at as usize))
                .and_then(|p| key_of.get(p).copied())
                .unwrap_or(0);
            let span = &session.spans[node.span as usize];
            let service = session
                .resources
                .get(span.resource as usize)
                .map_or(0, |r| r.service.index());
            let name = if node.flags.placeholder {
                0
            } else {
                namer.name_hash(span.name)
            };
            (combine(parent_key, service, name), parent_key)
        };
        key_of.push(key);
        out.push((u32::try_from(i).unwrap_or(u32::MAX), key, parent_key));
    }
    out
}

impl Comparison {
    /// Aligns the execution at `failing` with the one at `passing`.
    pub fn of(session: &Session, forest: &Forest, failing: At, passing: At) -> Comparison {
        let mut namer = Namer::new(session);
        let mut out = Comparison {
            failing: Some(failing),
            passing: Some(passing),
            ..Comparison::default()
        };
        let mut row_of: FxHashMap<u64, u32> = FxHashMap::default();
        // Children of each row, in order; the failing side's spans first.
        let mut children: Vec<Vec<u32>> = Vec::new();
        let mut rows: Vec<Aligned> = Vec::new();
        for (side_failing, (view, at)) in [(true, failing), (false, passing)] {
            let Some(tree) = forest.tree(view as usize) else {
                continue;
            };
            let critical = if side_failing {
                critical_path_from(session, tree, at as usize)
            } else {
                Vec::new()
            };
            let test_start = session.spans[tree.nodes[at as usize].span as usize].start;
            out.scale = out
                .scale
                .max(session.spans[tree.nodes[at as usize].span as usize].duration());
            let exception = session.strings.lookup("exception");
            let kind_key = session.strings.lookup("exception.type");
            for (node, key, parent_key) in keys_of(session, tree, at, &mut namer) {
                let n = &tree.nodes[node as usize];
                let span = &session.spans[n.span as usize];
                let parent = (node != at)
                    .then(|| row_of.get(&parent_key).copied())
                    .flatten();
                let row = *row_of.entry(key).or_insert_with(|| {
                    rows.push(Aligned {
                        key,
                        parent,
                        depth: n.depth.saturating_sub(tree.nodes[at as usize].depth),
                        service: session.service_of(span).to_string(),
                        name: session.shown_name(span).to_string(),
                        passing: Side::default(),
                        failing: Side::default(),
                    });
                    children.push(Vec::new());
                    let r = u32::try_from(rows.len() - 1).unwrap_or(u32::MAX);
                    if let Some(p) = parent {
                        children[p as usize].push(r);
                    }
                    r
                });
                let side = if side_failing {
                    &mut rows[row as usize].failing
                } else {
                    &mut rows[row as usize].passing
                };
                side.count += 1;
                side.duration += span.duration();
                if side.node.is_none() {
                    side.node = Some(node);
                    side.from = span.start.saturating_sub(test_start);
                    side.to = side.from + span.duration();
                }
                if n.flags.error {
                    side.errors += 1;
                }
                if critical.binary_search(&node).is_ok() {
                    side.critical = true;
                }
                if let Some(exc) = exception {
                    for ev in span.events.iter().filter(|e| e.name == exc) {
                        let kind = kind_key
                            .and_then(|k| ev.attributes.iter().find(|kv| kv.key == k))
                            .map(|kv| kv.value.display(&session.strings))
                            .unwrap_or_default();
                        if !side.exceptions.contains(&kind) {
                            side.exceptions.push(kind);
                        }
                    }
                }
            }
        }
        // Rows in tree order: depth first from the test span's row.
        let mut order = Vec::with_capacity(rows.len());
        let mut stack: Vec<u32> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.parent.is_none())
            .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
            .rev()
            .collect();
        while let Some(r) = stack.pop() {
            order.push(r);
            stack.extend(children[r as usize].iter().rev());
        }
        let mut new_index = vec![0u32; rows.len()];
        for (to, &from) in order.iter().enumerate() {
            new_index[from as usize] = u32::try_from(to).unwrap_or(u32::MAX);
        }
        let mut slots: Vec<Option<Aligned>> = rows.into_iter().map(Some).collect();
        out.rows = order
            .iter()
            .filter_map(|&i| slots[i as usize].take())
            .collect();
        for row in &mut out.rows {
            row.parent = row.parent.map(|p| new_index[p as usize]);
        }
        out.differences = differences(&out.rows);
        out
    }

    /// Adds, per row, the mean durations over every execution of `test` that passed or failed.
    pub fn with_means(
        mut self,
        session: &Session,
        forest: &Forest,
        test: &TestHistory,
    ) -> Comparison {
        let mut namer = Namer::new(session);
        let index: FxHashMap<u64, usize> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key, i))
            .collect();
        let mut sums = vec![(0u64, 0u32, 0u64, 0u32); self.rows.len()];
        let mut per_execution = vec![0u64; self.rows.len()];
        let mut touched: Vec<usize> = Vec::new();
        for e in test
            .executions
            .iter()
            .filter(|e| e.outcome != Outcome::Skip)
        {
            let Some(tree) = forest.tree(e.view as usize) else {
                continue;
            };
            for (node, key, _) in keys_of(session, tree, e.node, &mut namer) {
                if let Some(&row) = index.get(&key) {
                    if per_execution[row] == 0 {
                        touched.push(row);
                    }
                    let span = &session.spans[tree.nodes[node as usize].span as usize];
                    per_execution[row] += span.duration().max(1);
                }
            }
            for row in touched.drain(..) {
                let s = &mut sums[row];
                if e.outcome == Outcome::Pass {
                    s.0 += per_execution[row];
                    s.1 += 1;
                } else {
                    s.2 += per_execution[row];
                    s.3 += 1;
                }
                per_execution[row] = 0;
            }
        }
        self.means = sums
            .into_iter()
            .map(|(p, pn, f, fnn)| Means {
                passing: if pn > 0 { p / u64::from(pn) } else { 0 },
                passing_runs: pn,
                failing: if fnn > 0 { f / u64::from(fnn) } else { 0 },
                failing_runs: fnn,
            })
            .collect();
        self
    }
}

/// The differences of aligned rows, ranked: structural changes in tree order (a span only one
/// side has is listed once, not again for each span below it), then duration differences on the
/// failing critical path, then the other duration differences, largest first. The test span's
/// own status is the outcome compared, so it is not a difference.
fn differences(rows: &[Aligned]) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut timing = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let row = u32::try_from(i).unwrap_or(u32::MAX);
        let (p, f) = (&r.passing, &r.failing);
        let delta = i64::try_from(f.duration).unwrap_or(i64::MAX)
            - i64::try_from(p.duration).unwrap_or(i64::MAX);
        let critical = f.critical;
        let parent = r.parent.map(|p| &rows[p as usize]);
        let structural = if f.count > 0 && p.count == 0 {
            // A span below one only this side has is part of that difference.
            (parent.is_none_or(|q| q.passing.count > 0))
                .then(|| (Change::OnlyFailing, "only in failing".to_string()))
        } else if p.count > 0 && f.count == 0 {
            (parent.is_none_or(|q| q.failing.count > 0))
                .then(|| (Change::OnlyPassing, "only in passing".to_string()))
        } else if r.parent.is_some() && (f.errors > 0) != (p.errors > 0) {
            let word = |e: u32| if e > 0 { "ERROR" } else { "OK" };
            Some((
                Change::Status,
                format!("{} vs {}", word(f.errors), word(p.errors)),
            ))
        } else if r.parent.is_some() && f.exceptions.iter().any(|e| !p.exceptions.contains(e)) {
            let new: Vec<&str> = f
                .exceptions
                .iter()
                .filter(|e| !p.exceptions.contains(e))
                .map(String::as_str)
                .collect();
            Some((Change::NewException, format!("new {}", new.join(", "))))
        } else if f.count != p.count {
            Some((Change::Count, format!("{} x vs {} x", f.count, p.count)))
        } else {
            None
        };
        if let Some((change, text)) = structural {
            out.push(Difference {
                row,
                change,
                text,
                delta,
                critical,
            });
            continue;
        }
        // The test span's own duration is the outcome compared, not a cause.
        if f.count == 0 || p.count == 0 || r.parent.is_none() {
            continue;
        }
        let larger = f.duration.max(p.duration);
        let abs = delta.unsigned_abs();
        if abs >= 1_000_000 && abs.saturating_mul(10) >= larger {
            let sign = if delta >= 0 { "+" } else { "−" };
            timing.push(Difference {
                row,
                change: Change::Duration,
                text: format!("{sign}{}", crate::view::format::format_duration(abs)),
                delta,
                critical,
            });
        }
    }
    timing.sort_by_key(|d| {
        (
            !d.critical,
            std::cmp::Reverse(d.delta.unsigned_abs()),
            d.row,
        )
    });
    out.extend(timing);
    out
}

/// The passing execution to compare execution `failing` with, as an index into the test's
/// executions: the nearest in time on the same revision, else the latest passing one.
pub fn default_passing<'a>(
    test: &'a TestHistory,
    failing: usize,
    revision: &dyn Fn(u32) -> &'a str,
) -> Option<usize> {
    let failing = test.executions.get(failing)?;
    let passes = || {
        test.executions
            .iter()
            .enumerate()
            .filter(|(_, e)| e.outcome == Outcome::Pass)
    };
    let rev = revision(failing.run);
    passes()
        .filter(|(_, e)| revision(e.run) == rev)
        .min_by_key(|(_, e)| e.start.abs_diff(failing.start))
        .or_else(|| passes().max_by_key(|(_, e)| (e.run, e.start)))
        .map(|(i, _)| i)
}

/// The failing execution a test is compared on by default, as an index into its executions:
/// its latest failure.
pub fn default_failing(test: &TestHistory) -> Option<usize> {
    test.executions
        .iter()
        .enumerate()
        .filter(|(_, e)| e.outcome == Outcome::Fail)
        .max_by_key(|(_, e)| (e.run, e.start))
        .map(|(i, _)| i)
}

/// One attribute of an aligned span on each side.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeDiff {
    pub key: String,
    pub passing: Option<String>,
    pub failing: Option<String>,
    /// Both sides hold structure (a JSON body): their trees, and the paths that differ.
    pub trees: Option<(Json, Json, Vec<String>)>,
}

impl AttributeDiff {
    /// True when the two sides' values differ, or only one side has it.
    pub fn differs(&self) -> bool {
        match (&self.passing, &self.failing) {
            (Some(a), Some(b)) => a != b,
            _ => true,
        }
    }
}

/// The attributes of two aligned spans, keys in order of first appearance: differing ones
/// first, then the rest.
pub fn attribute_diff(
    session: &Session,
    passing: Option<&crate::model::Span>,
    failing: Option<&crate::model::Span>,
) -> Vec<AttributeDiff> {
    let mut keys: Vec<Sym> = Vec::new();
    for span in [failing, passing].into_iter().flatten() {
        for kv in &span.attributes {
            if !keys.contains(&kv.key) {
                keys.push(kv.key);
            }
        }
    }
    fn value(span: Option<&crate::model::Span>, key: Sym) -> Option<&Value> {
        span?.attribute(key)
    }
    let mut out: Vec<AttributeDiff> = keys
        .into_iter()
        .map(|key| {
            let (p, f) = (value(passing, key), value(failing, key));
            let trees = match (
                p.and_then(|v| from_attribute(session, v)),
                f.and_then(|v| from_attribute(session, v)),
            ) {
                (Some(a), Some(b)) => {
                    let mut paths = Vec::new();
                    json_diff(&a, &b, "$", &mut paths);
                    Some((a, b, paths))
                }
                _ => None,
            };
            AttributeDiff {
                key: session.strings.get(key).to_string(),
                passing: p.map(|v| v.display(&session.strings)),
                failing: f.map(|v| v.display(&session.strings)),
                trees,
            }
        })
        .collect();
    out.sort_by_key(|d| !d.differs());
    out
}

/// The paths (`$.lines[1].quantity`) where two JSON values differ: keys only one side has,
/// values that differ, types that differ.
pub fn json_diff(a: &Json, b: &Json, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            for (k, v) in x {
                let p = format!("{path}.{k}");
                match y.iter().find(|(k2, _)| k2 == k) {
                    Some((_, w)) => json_diff(v, w, &p, out),
                    None => out.push(p),
                }
            }
            for (k, _) in y {
                if !x.iter().any(|(k2, _)| k2 == k) {
                    out.push(format!("{path}.{k}"));
                }
            }
        }
        (Json::Array(x), Json::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let p = format!("{path}[{i}]");
                match (x.get(i), y.get(i)) {
                    (Some(v), Some(w)) => json_diff(v, w, &p, out),
                    _ => out.push(p),
                }
            }
        }
        _ if a != b => out.push(path.to_string()),
        _ => {}
    }
}
