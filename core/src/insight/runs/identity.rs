//! Which CI run each trace belongs to: by the run attributes its resources or spans carry
//! (`cicd.pipeline.run.id`, then older names), else by the file or archive folder it came from.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::model::intern::Sym;
use crate::model::{KeyValue, Session, Value};
use crate::trace::tree::Forest;

/// The attributes that name a run, most preferred first.
pub const RUN_ID_KEYS: [&str; 5] = [
    "cicd.pipeline.run.id",
    "ci.pipeline.id",
    "github.run_id",
    "ci.job.id",
    "ci.job.url",
];

/// The run's address, most preferred first.
const URL_KEYS: [&str; 4] = [
    "cicd.pipeline.run.url.full",
    "ci.pipeline.url",
    "github.run_url",
    "ci.job.url",
];
const NAME_KEYS: [&str; 3] = ["cicd.pipeline.name", "ci.pipeline.name", "github.workflow"];
const REVISION_KEYS: [&str; 4] = [
    "vcs.ref.head.revision",
    "vcs.revision",
    "github.sha",
    "ci.commit.sha",
];
const BRANCH_KEYS: [&str; 4] = [
    "vcs.ref.head.name",
    "vcs.branch",
    "github.ref_name",
    "ci.branch",
];

/// One CI run: the traces it holds and what it says of itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// What tells it from the others, stable across loads: `cicd.pipeline.run.id=1042`, or
    /// `file=runs.zip/run-3` for a run told by where it came from. Permalinks name runs by it.
    pub key: String,
    /// What the page calls it: "e2e #1042", "run-3".
    pub label: String,
    /// The attribute that identified it, or "file" / "folder".
    pub by: String,
    pub id: String,
    pub name: String,
    /// The run's page (http(s) only is ever linked).
    pub url: String,
    pub job_url: String,
    pub revision: String,
    pub branch: String,
    /// The earliest span start of its traces (ns; 0 when none has a time).
    pub start: u64,
    /// Its traces, as indices into [`Forest::traces`].
    pub traces: Vec<u32>,
    /// The files or archive entries its spans came from.
    pub sources: Vec<String>,
    /// Test executions in it, and how many failed (filled in by the history).
    pub tests: u32,
    pub failed: u32,
    /// Traces with an error.
    pub errors: u32,
}

impl Run {
    /// "failed", "passed", "errors" (no tests, some trace failed) or "ok".
    pub fn outcome(&self) -> &'static str {
        match (self.tests, self.failed, self.errors) {
            (t, f, _) if t > 0 && f > 0 => "failed",
            (t, _, _) if t > 0 => "passed",
            (_, _, e) if e > 0 => "errors",
            _ => "ok",
        }
    }

    /// The revision shortened for display (12 characters).
    pub fn short_revision(&self) -> &str {
        self.revision.get(..12).unwrap_or(&self.revision)
    }
}

/// The attribute keys of run identity, looked up once per session.
struct Keys {
    ids: Vec<Option<Sym>>,
    urls: Vec<Option<Sym>>,
    names: Vec<Option<Sym>>,
    revisions: Vec<Option<Sym>>,
    branches: Vec<Option<Sym>>,
}

impl Keys {
    fn new(session: &Session) -> Keys {
        let look = |keys: &[&str]| keys.iter().map(|k| session.strings.lookup(k)).collect();
        Keys {
            ids: look(&RUN_ID_KEYS),
            urls: look(&URL_KEYS),
            names: look(&NAME_KEYS),
            revisions: look(&REVISION_KEYS),
            branches: look(&BRANCH_KEYS),
        }
    }
}

/// The text of the first of `keys` (by preference) that `attributes` hold, with its rank.
fn first_of(
    session: &Session,
    attributes: &[KeyValue],
    keys: &[Option<Sym>],
) -> Option<(usize, String)> {
    let mut best: Option<(usize, String)> = None;
    for kv in attributes {
        let Some(rank) = keys.iter().position(|&k| k == Some(kv.key)) else {
            continue;
        };
        if best.as_ref().is_some_and(|(r, _)| *r <= rank) {
            continue;
        }
        let text = match &kv.value {
            Value::Str(s) => session.strings.get(*s).to_string(),
            Value::Int(i) => i.to_string(),
            _ => continue,
        };
        if !text.is_empty() {
            best = Some((rank, text));
        }
    }
    best
}

/// What one trace says of its run: each field's best value and its rank.
#[derive(Default)]
struct Claims {
    id: Option<(usize, String)>,
    url: Option<(usize, String)>,
    job_url: Option<String>,
    name: Option<(usize, String)>,
    revision: Option<(usize, String)>,
    branch: Option<(usize, String)>,
    /// Another run id than the one kept was seen.
    conflict: bool,
}

impl Claims {
    /// Takes what `other` says better.
    fn merge(&mut self, other: &Claims) {
        if let (Some(mine), Some(theirs)) = (&self.id, &other.id) {
            if mine.0 == theirs.0 && mine.1 != theirs.1 {
                self.conflict = true;
            }
        }
        for (slot, from) in [
            (&mut self.id, &other.id),
            (&mut self.url, &other.url),
            (&mut self.name, &other.name),
            (&mut self.revision, &other.revision),
            (&mut self.branch, &other.branch),
        ] {
            if let Some(f) = from {
                if slot.as_ref().is_none_or(|s| f.0 < s.0) {
                    *slot = Some(f.clone());
                }
            }
        }
        if self.job_url.is_none() {
            self.job_url.clone_from(&other.job_url);
        }
        self.conflict |= other.conflict;
    }

    /// What `attributes` say: each field's first key by preference.
    fn of(session: &Session, keys: &Keys, attributes: &[KeyValue]) -> Claims {
        let job = keys.urls.last().copied().flatten();
        Claims {
            id: first_of(session, attributes, &keys.ids),
            url: first_of(session, attributes, &keys.urls),
            job_url: first_of(session, attributes, &[job]).map(|(_, u)| u),
            name: first_of(session, attributes, &keys.names),
            revision: first_of(session, attributes, &keys.revisions),
            branch: first_of(session, attributes, &keys.branches),
            conflict: false,
        }
    }

    /// Takes what `attributes` say better ([`Claims::merge`]).
    fn read(&mut self, session: &Session, keys: &Keys, attributes: &[KeyValue]) {
        self.merge(&Claims::of(session, keys, attributes));
    }
}

/// Where a run without CI attributes came from: the folder of an archive's entry
/// (`runs.zip/run-3/traces.json` → `runs.zip/run-3`), else the file itself (an archive's entry
/// at its root counts as the archive). `files` are the names of the files loaded: a source that
/// is one of them is a file, one under one of them is an archive's entry.
pub fn source_run<'a>(source: &'a str, files: &[String]) -> (&'a str, &'static str) {
    let archive = files
        .iter()
        .filter(|f| {
            source.len() > f.len()
                && source.starts_with(f.as_str())
                && source.as_bytes()[f.len()] == b'/'
        })
        .max_by_key(|f| f.len());
    match archive {
        Some(a) => match source.rsplit_once('/') {
            Some((folder, _)) if folder.len() > a.len() => (folder, "folder"),
            _ => (&source[..a.len()], "file"),
        },
        None => (source, "file"),
    }
}

/// The runs of a session, ordered by start time, and the run of each trace (index into the
/// runs), with notes on what was assigned by a fallback.
pub fn runs_of(session: &Session, forest: &Forest) -> (Vec<Run>, Vec<u32>, Vec<String>) {
    let keys = Keys::new(session);
    let any_keys = keys
        .ids
        .iter()
        .chain(&keys.urls)
        .chain(&keys.revisions)
        .any(Option::is_some);
    let mut by_key: FxHashMap<String, usize> = FxHashMap::default();
    let mut runs: Vec<Run> = Vec::new();
    let mut trace_run: Vec<u32> = Vec::with_capacity(forest.traces.len());
    // What each resource says, read once: a session has a handful of resources.
    let resource_claims: Vec<Claims> = if any_keys {
        session
            .resources
            .iter()
            .map(|r| Claims::of(session, &keys, &r.attributes))
            .collect()
    } else {
        Vec::new()
    };
    let (mut by_source, mut unknown_source, mut conflicts) = (0usize, 0usize, 0usize);
    // Every key of run identity, to tell a root span that names its run.
    let ci_keys: Vec<Sym> = [
        &keys.ids,
        &keys.urls,
        &keys.names,
        &keys.revisions,
        &keys.branches,
    ]
    .into_iter()
    .flatten()
    .flatten()
    .copied()
    .collect();
    // Traces with the same resources, from the same file, whose roots name no run, are in the
    // same run: (resources, origin) → (run, what was noted of it).
    let mut known: FxHashMap<(Vec<u32>, usize), (usize, Noted)> = FxHashMap::default();
    let mut run_origins: Vec<Vec<usize>> = Vec::new();
    let mut seen: Vec<u32> = Vec::new();
    let mut roots: Vec<u32> = Vec::new();
    for (ti, tree) in forest.traces.iter().enumerate() {
        let mut first_span: Option<u32> = None;
        let mut start = u64::MAX;
        seen.clear();
        roots.clear();
        for node in tree.nodes.iter().filter(|n| !n.flags.placeholder) {
            let span = &session.spans[node.span as usize];
            first_span.get_or_insert(node.span);
            if span.start != 0 {
                start = start.min(span.start);
            }
            if !any_keys {
                continue;
            }
            if !seen.contains(&span.resource) {
                seen.push(span.resource);
            }
            // Spans say it too (a test runner's root span), read at the roots only: reading
            // every span's attributes would cost a large trace more than the rest together.
            if node.depth == 0 && span.attributes.iter().any(|kv| ci_keys.contains(&kv.key)) {
                roots.push(node.span);
            }
        }
        seen.sort_unstable();
        let origin = first_span.and_then(|s| session.origin_index_of(s));
        let source = origin.map(|o| session.origins[o].source.as_str());
        let cache_key = (seen.clone(), origin.unwrap_or(usize::MAX));
        let cached = if roots.is_empty() {
            known.get(&cache_key).copied()
        } else {
            None
        };
        let (index, noted) = match cached {
            Some(hit) => hit,
            None => {
                let mut claims = Claims::default();
                for &r in &seen {
                    if let Some(c) = resource_claims.get(r as usize) {
                        claims.merge(c);
                    }
                }
                for &r in &roots {
                    claims.read(session, &keys, &session.spans[r as usize].attributes);
                }
                let hit = assign(session, &claims, source, &mut by_key, &mut runs);
                if roots.is_empty() {
                    known.insert(cache_key, hit);
                }
                hit
            }
        };
        conflicts += usize::from(noted.conflict);
        by_source += usize::from(noted.by_source);
        unknown_source += usize::from(noted.unknown);
        if run_origins.len() < runs.len() {
            run_origins.resize(runs.len(), Vec::new());
        }
        let run = &mut runs[index];
        run.start = run.start.min(start);
        run.traces.push(u32::try_from(ti).unwrap_or(u32::MAX));
        run.errors += u32::from(tree.error_count > 0);
        if let (Some(o), Some(src)) = (origin, source) {
            if !run_origins[index].contains(&o) {
                run_origins[index].push(o);
                if !run.sources.iter().any(|s| s == src) {
                    run.sources.push(src.to_string());
                }
            }
        }
        trace_run.push(u32::try_from(index).unwrap_or(u32::MAX));
    }
    let (runs, trace_run) = by_start(runs, trace_run);
    let mut notes = Vec::new();
    let with_ids = forest.traces.len() - by_source;
    if by_source > 0 && with_ids > 0 {
        notes.push(format!(
            "{by_source} trace{} no CI run attribute ({}): grouped into runs by the file or archive folder they came from",
            if by_source == 1 { " carries" } else { "s carry" },
            RUN_ID_KEYS.join(", ")
        ));
    }
    if unknown_source > 0 {
        notes.push(format!(
            "{unknown_source} trace{} neither a CI run attribute nor a known file: grouped as one run, \"(unknown)\"",
            if unknown_source == 1 { " has" } else { "s have" }
        ));
    }
    if conflicts > 0 {
        notes.push(format!(
            "{conflicts} trace{} more than one CI run: each was put in the run its resources name first",
            if conflicts == 1 { " names" } else { "s name" }
        ));
    }
    (runs, trace_run, notes)
}

/// What assigning a trace to a run noted: it named two runs, it went by its file, and not even
/// that was known.
#[derive(Clone, Copy, Default)]
struct Noted {
    conflict: bool,
    by_source: bool,
    unknown: bool,
}

/// The run of a trace that says `claims` of itself and came from `source`: found by its key, or
/// added, with what the claims say filled in.
fn assign(
    session: &Session,
    claims: &Claims,
    source: Option<&str>,
    by_key: &mut FxHashMap<String, usize>,
    runs: &mut Vec<Run>,
) -> (usize, Noted) {
    let mut noted = Noted {
        conflict: claims.conflict,
        ..Noted::default()
    };
    let (key, by, id) = match &claims.id {
        Some((rank, id)) => {
            let name = claims.name.as_ref().map_or("", |n| n.1.as_str());
            let key = if name.is_empty() {
                format!("{}={id}", RUN_ID_KEYS[*rank])
            } else {
                format!("{}={id} {name}", RUN_ID_KEYS[*rank])
            };
            (key, RUN_ID_KEYS[*rank].to_string(), id.clone())
        }
        None => {
            noted.by_source = true;
            match source {
                Some(src) => {
                    let (place, by) = source_run(src, &session.files);
                    (format!("{by}={place}"), by.to_string(), String::new())
                }
                None => {
                    noted.unknown = true;
                    (
                        "file=(unknown)".to_string(),
                        "file".to_string(),
                        String::new(),
                    )
                }
            }
        }
    };
    let index = *by_key.entry(key.clone()).or_insert_with(|| {
        runs.push(Run {
            label: label_of(&key, &id, claims.name.as_ref().map(|n| n.1.as_str())),
            key,
            by,
            id,
            start: u64::MAX,
            ..Run::default()
        });
        runs.len() - 1
    });
    let run = &mut runs[index];
    let fill = |slot: &mut String, from: &Option<(usize, String)>| {
        if slot.is_empty() {
            if let Some((_, v)) = from {
                slot.clone_from(v);
            }
        }
    };
    fill(&mut run.name, &claims.name);
    fill(&mut run.url, &claims.url);
    fill(&mut run.revision, &claims.revision);
    fill(&mut run.branch, &claims.branch);
    if run.job_url.is_empty() {
        run.job_url = claims.job_url.clone().unwrap_or_default();
    }
    (index, noted)
}

/// The runs ordered by start time (runs with no time last), then by label, and the run of each
/// trace renumbered to match.
fn by_start(runs: Vec<Run>, mut trace_run: Vec<u32>) -> (Vec<Run>, Vec<u32>) {
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| (runs[a].start, &runs[a].label).cmp(&(runs[b].start, &runs[b].label)));
    let mut new_index = vec![0u32; runs.len()];
    for (to, &from) in order.iter().enumerate() {
        new_index[from] = u32::try_from(to).unwrap_or(u32::MAX);
    }
    let mut slots: Vec<Option<Run>> = runs.into_iter().map(Some).collect();
    let mut runs: Vec<Run> = order.iter().filter_map(|&i| slots[i].take()).collect();
    for run in &mut runs {
        if run.start == u64::MAX {
            run.start = 0;
        }
        run.sources.sort_unstable();
    }
    for r in &mut trace_run {
        *r = new_index[*r as usize];
    }
    (runs, trace_run)
}

/// What a run is called: "e2e #1042" for a run with a name and an id, "#1042" for an id alone
/// (or the job URL's last part), the folder's or file's last part for a run told by its source.
fn label_of(key: &str, id: &str, name: Option<&str>) -> String {
    if id.is_empty() {
        let place = key.split_once('=').map_or(key, |(_, p)| p);
        return place.rsplit('/').next().unwrap_or(place).to_string();
    }
    let id = if id.contains('/') {
        id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
    } else {
        id
    };
    match name {
        Some(name) if !name.is_empty() => format!("{name} #{id}"),
        _ => format!("#{id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::source_run;

    #[test]
    fn a_run_without_ci_attributes_is_its_archive_folder_or_its_file() {
        let files = ["runs.zip".to_string(), "ci/run 7.json".to_string()];
        assert_eq!(
            source_run("runs.zip/run-3/traces.json", &files),
            ("runs.zip/run-3", "folder")
        );
        assert_eq!(
            source_run("runs.zip/a/b/t.json", &files),
            ("runs.zip/a/b", "folder")
        );
        assert_eq!(source_run("runs.zip/t.json", &files), ("runs.zip", "file"));
        // A file's own folders are the user's, not a run's.
        assert_eq!(
            source_run("ci/run 7.json", &files),
            ("ci/run 7.json", "file")
        );
        assert_eq!(source_run("other.json", &files), ("other.json", "file"));
    }
}
