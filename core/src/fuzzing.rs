//! Entry points for the fuzz targets (core/fuzz): each runs one decoder on arbitrary bytes, then
//! the rest of the pipeline, so a panic anywhere after a strange input is found too.

use std::collections::HashMap;

use crate::decode;
use crate::model::intern::Sym;
use crate::model::Session;
use crate::model::{Event, KeyValue, Link, Span, Value};
use crate::session::Loaded;
use crate::trace::tree::Forest;
use crate::view::rows::visible_rows;
use crate::wire::Assembler;

fn pipeline(session: Session, data: &[u8]) {
    let forest = Forest::build(&session);
    // The search box takes any text: the input's first bytes, as a query over every trace.
    let text = String::from_utf8_lossy(&data[..data.len().min(80)]);
    let query = crate::view::search::Query::parse(&text);
    for tree in forest.views() {
        let _ = query.matches_in(&session, tree);
    }
    let failures = crate::insight::report::Failures::of(&session, &forest);
    assert!(failures.listed.len() <= failures.total);
    for tree in &forest.traces {
        let rows = visible_rows(tree, &Default::default());
        assert_eq!(rows.len(), tree.nodes.len());
        for i in 0..tree.nodes.len() {
            let _ = crate::view::window::bar(
                &session,
                tree,
                u32::try_from(i).unwrap_or(u32::MAX),
                crate::view::window::Window::of_trace(tree),
            );
        }
    }
    // Runs, histories, exception groups, and every test with both outcomes compared.
    let runs = crate::insight::runs::CiRuns::of(&session, &forest);
    assert_eq!(runs.trace_run.len(), forest.traces.len());
    for test in 0..runs.tests.len() {
        if let Some(c) = runs.compare_default(&session, &forest, test) {
            assert_eq!(c.means.len(), c.rows.len());
        }
    }
    let snapshot = Loaded {
        session,
        forest,
        files: Vec::new(),
        failures,
        runs,
    };
    let mut assembler = Assembler::new();
    for part in snapshot.to_parts(7) {
        assert!(assembler.add(&part).is_ok());
    }
    assert!(assembler.finish().is_ok());
}

/// OTLP/JSON (and whatever JSON objects stream through its reader).
pub fn otlp(data: &[u8]) {
    let mut session = Session::default();
    decode::fuzz_otlp(&mut session, data);
    pipeline(session, data);
}

/// Jaeger JSON, as an array or an object; and a file read with the typed readers must read
/// exactly as the tree readers read it.
pub fn jaeger(data: &[u8]) {
    let mut session = Session::default();
    decode::fuzz_jaeger(&mut session, data);
    pipeline(session, data);
    typed_paths_agree(data);
}

/// Asserts that a file reads the same with the Jaeger and Zipkin typed readers as with their
/// tree readers alone.
pub fn typed_paths_agree(data: &[u8]) {
    let mut typed = Session::default();
    let a = decode::decode_file(&mut typed, "fuzz", data);
    let mut tree = Session::default();
    let b = decode_file_tree_only(&mut tree, "fuzz", data);
    assert_eq!(a, b, "summaries differ");
    assert_eq!(canonical(&typed), canonical(&tree), "sessions differ");
}

/// How many Jaeger or Zipkin documents the typed readers have read on this thread.
pub fn typed_reads() -> usize {
    decode::typed_reads()
}

/// Decodes a file with Jaeger and Zipkin documents read only as trees (not by the typed
/// readers).
pub fn decode_file_tree_only(
    session: &mut Session,
    name: &str,
    bytes: &[u8],
) -> decode::FileSummary {
    decode::without_typed(|| decode::decode_file(session, name, bytes))
}

/// Zipkin v2 JSON arrays; and a file read with the typed readers must read exactly as the tree
/// readers read it.
pub fn zipkin(data: &[u8]) {
    let mut session = Session::default();
    decode::fuzz_zipkin(&mut session, data);
    pipeline(session, data);
    typed_paths_agree(data);
}

/// Whatever a file may be: gzip, zstd, Collector frames, zip, JSON.
pub fn containers(data: &[u8]) {
    let mut session = Session::default();
    decode::decode_file(&mut session, "fuzz", data);
    pipeline(session, data);
}

/// Decodes a file with the OTLP reader's fast path turned off: every document goes through the
/// typed reader. Tests and the `otlp_fast` fuzz target compare the two paths with it.
pub fn decode_file_typed_only(
    session: &mut Session,
    name: &str,
    bytes: &[u8],
) -> decode::FileSummary {
    decode::without_fast_path(|| decode::decode_file(session, name, bytes))
}

/// How many documents the OTLP reader's fast path has handed to the typed reader on this thread.
pub fn fast_path_bails() -> usize {
    decode::fast_path_bails()
}

/// Renumbers interned strings in order of first use, so two sessions that read the same text
/// compare equal whatever order each interned it in.
struct Canon<'a> {
    session: &'a Session,
    ids: HashMap<&'a str, u32>,
}

impl<'a> Canon<'a> {
    fn sym(&mut self, s: Sym) -> String {
        let text = self.session.strings.get(s);
        let next = u32::try_from(self.ids.len()).expect("few strings");
        let id = *self.ids.entry(text).or_insert(next);
        format!("#{id}:{text:?}")
    }

    fn value(&mut self, v: &Value) -> String {
        match v {
            Value::Str(s) => format!("Str({})", self.sym(*s)),
            Value::Array(items) => {
                let items: Vec<_> = items.iter().map(|i| self.value(i)).collect();
                format!("Array{items:?}")
            }
            Value::KvList(kvs) => format!("KvList{}", self.kvs(kvs)),
            other => format!("{other:?}"),
        }
    }

    fn kvs(&mut self, kvs: &[KeyValue]) -> String {
        let items: Vec<_> = kvs
            .iter()
            .map(|kv| format!("{}={}", self.sym(kv.key), self.value(&kv.value)))
            .collect();
        format!("{items:?}")
    }

    fn event(&mut self, e: &Event) -> String {
        format!(
            "event {} {} {} dropped {}",
            e.time,
            self.sym(e.name),
            self.kvs(&e.attributes),
            e.dropped_attributes
        )
    }

    fn link(&mut self, l: &Link) -> String {
        format!(
            "link {} {} {} {} dropped {}",
            l.trace_id,
            l.span_id,
            self.sym(l.trace_state),
            self.kvs(&l.attributes),
            l.dropped_attributes
        )
    }

    fn span(&mut self, s: &Span) -> String {
        let session = self.session;
        let resource = &session.resources[s.resource as usize];
        let scope = &session.scopes[s.scope as usize];
        let events: Vec<_> = s.events.iter().map(|e| self.event(e)).collect();
        let links: Vec<_> = s.links.iter().map(|l| self.link(l)).collect();
        format!(
            "{} {} parent {:?} state {} flags {} name {} {:?} {}..{} attrs {} dropped {} \
             events {events:?} dropped {} links {links:?} dropped {} status {:?} {} \
             resource {} dropped {} service {} scope {} {} {}",
            s.trace_id,
            s.span_id,
            s.parent_id,
            self.sym(s.trace_state),
            s.flags,
            self.sym(s.name),
            s.kind,
            s.start,
            s.end,
            self.kvs(&s.attributes),
            s.dropped_attributes,
            s.dropped_events,
            s.dropped_links,
            s.status.code,
            self.sym(s.status.message),
            self.kvs(&resource.attributes),
            resource.dropped_attributes,
            self.sym(resource.service),
            self.sym(scope.name),
            self.sym(scope.version),
            self.kvs(&scope.attributes),
        )
    }
}

/// Everything a decode produced, as comparable lines: each span with its strings, resource and
/// scope resolved, then the warnings and the duplicate count.
pub fn canonical(session: &Session) -> Vec<String> {
    let mut canon = Canon {
        session,
        ids: HashMap::new(),
    };
    let mut lines: Vec<String> = session.spans.iter().map(|s| canon.span(s)).collect();
    lines.extend(session.warnings.iter().map(|w| format!("warning {w}")));
    lines.push(format!("duplicates {}", session.duplicates));
    lines
}

/// The OTLP reader's two paths on arbitrary bytes: they must agree on everything.
pub fn otlp_paths_agree(data: &[u8]) {
    let mut fast = Session::default();
    let fast_summary = decode::decode_file(&mut fast, "fuzz", data);
    let mut typed = Session::default();
    let typed_summary = decode_file_typed_only(&mut typed, "fuzz", data);
    assert_eq!(fast_summary, typed_summary);
    assert_eq!(canonical(&fast), canonical(&typed));
}

/// Decoding `data` whole and in chunks cut at `cuts` (offsets, in any order) must give the same
/// session (strings, resources, scopes, spans, origins), warnings and summary.
pub fn stream_agrees(data: &[u8], cuts: &[usize]) {
    let mut whole = Session::default();
    let expected = decode::decode_file(&mut whole, "fuzz", data);
    let mut streamed = Session::default();
    let got = decode_in_chunks(&mut streamed, "fuzz", data, cuts);
    assert_eq!(expected, got, "summaries differ");
    assert_eq!(canonical(&whole), canonical(&streamed));
    assert_eq!(
        serde_json::to_string(&whole).ok(),
        serde_json::to_string(&streamed).ok(),
        "sessions differ"
    );
}

/// The cuts the `stream` fuzz target makes in `data`: chunk sizes from one byte up, picked by a
/// hash of the input, so a crash it finds repeats here.
pub fn stream_cuts(data: &[u8]) -> Vec<usize> {
    let mut h = 0x9E37_79B9_7F4A_7C15u64 ^ data.len() as u64;
    for &b in data.iter().take(64) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    let max = 1usize << (h % 12);
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < data.len() {
        h ^= h << 13;
        h ^= h >> 7;
        h ^= h << 17;
        at += 1 + (h as usize) % max;
        cuts.push(at);
    }
    cuts
}

/// Decodes `data` with [`decode::StreamDecoder`], cut at `cuts`.
pub fn decode_in_chunks(
    session: &mut Session,
    name: &str,
    data: &[u8],
    cuts: &[usize],
) -> decode::FileSummary {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(data.len())).collect();
    cuts.sort_unstable();
    let mut decoder = decode::StreamDecoder::new(name, Some(data.len() as u64));
    let mut at = 0;
    for cut in cuts.into_iter().chain([data.len()]) {
        decoder.push(session, &data[at..cut], &mut |_, _| {});
        at = cut;
    }
    decoder.finish(session, &mut |_, _| {})
}
