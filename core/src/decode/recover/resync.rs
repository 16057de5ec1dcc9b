//! Reading a Jaeger or Zipkin document on past damage in its middle (a lost quote, comma or
//! brace, bytes that are not JSON): [`super::truncated`] keeps what comes before the damage; here the
//! text after it is searched for the next record that is whole JSON on its own (a Zipkin span, a
//! Jaeger span, trace or process), each record is read by itself, and what was read joins the
//! part before the damage. Further damage costs the record it is in and reading goes on after
//! it, so one bad byte costs one span, not the rest of the file.
//!
//! A record is recognised by how writers open it: a Zipkin span by its first key `traceId` with
//! an `id` before its first nested value; a Jaeger span by `traceID` or `spanID` first, with
//! `spanID` and `operationName` before its first nested value; a Jaeger trace by `traceID` first
//! and `spans` before its first nested value; a Jaeger process by `serviceName` first, as the
//! value of a member of `processes`. Spans and processes read after damage in a Jaeger trace
//! belong to that trace (its `processes` come after its spans) until a new trace begins.

use std::cell::Cell;

pub(in crate::decode) use super::records::{keys_until, own_keys};
use super::records::{next_record, ws};

use serde_json::{Map, Value as Json};

/// What the document holds, as far as the part before the damage says.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Flavour {
    Jaeger,
    Zipkin,
    /// Nothing before the damage said: the first record found decides.
    Unknown,
}

impl Flavour {
    /// What the elements of a top-level array kept before the damage say.
    pub fn of(items: &[Json]) -> Flavour {
        // Elements, or the elements of elements that are lists (Zipkin's list of traces).
        let has = |key: &str| {
            items.iter().any(|v| match v {
                Json::Array(inner) => inner.iter().any(|v| v.get(key).is_some()),
                v => v.get(key).is_some(),
            })
        };
        if has("traceId") {
            Flavour::Zipkin
        } else if has("traceID") || has("spanID") || has("spans") || has("operationName") {
            Flavour::Jaeger
        } else {
            Flavour::Unknown
        }
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Kind {
    ZipkinSpan,
    JaegerSpan,
    JaegerTrace,
    /// A process, with the byte range of its id's text.
    JaegerProcess(usize, usize),
}

/// A place past the first damage where reading stopped again.
pub(crate) struct Damage {
    pub at: usize,
    pub why: String,
    /// The text ended there (the file was also cut off).
    pub cut_off: bool,
}

/// What was read after the first damage.
#[derive(Default)]
pub(crate) struct Resumed {
    /// Where the first record after the damage begins, if any was read.
    pub from: Option<usize>,
    pub zipkin: Vec<Json>,
    /// Jaeger spans and processes read before any new trace began: the rest of the trace the
    /// damage was in.
    pub spans: Vec<Json>,
    pub processes: Map<String, Json>,
    /// Jaeger traces begun after the damage, whole or read record by record.
    pub traces: Vec<Json>,
    /// Further places where reading stopped.
    pub damage: Vec<Damage>,
    /// Spans lost at those places (each written in part there).
    pub dropped: usize,
}

/// What a report says of reading past the damage.
#[derive(Default)]
pub(crate) struct Past {
    /// Where reading went on.
    pub from: Option<usize>,
    /// Span records read there.
    pub records: usize,
    pub damage: Vec<Damage>,
    pub dropped: usize,
}

impl Resumed {
    /// What a report says of it, its byte offsets moved by `base`; the damage is taken.
    pub fn past(&mut self, base: usize) -> Past {
        let in_traces: usize = self
            .traces
            .iter()
            .filter_map(|t| t.get("spans").and_then(Json::as_array))
            .map(Vec::len)
            .sum();
        let mut damage = std::mem::take(&mut self.damage);
        for d in &mut damage {
            d.at += base;
        }
        Past {
            from: self.from.map(|f| f + base),
            records: self.zipkin.len() + self.spans.len() + in_traces,
            damage,
            dropped: self.dropped,
        }
    }
}

impl Past {
    /// The report's words for it, after what was kept before the first damage: empty when
    /// nothing was read past it.
    pub fn words(&self) -> String {
        let Some(from) = self.from else {
            return String::new();
        };
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let mut out = format!(
            "; reading went on past the damage at byte {from} and read {} more span record{}",
            self.records,
            plural(self.records)
        );
        let (cut, damaged): (Vec<&Damage>, Vec<&Damage>) =
            self.damage.iter().partition(|d| d.cut_off);
        if !damaged.is_empty() {
            const LISTED: usize = 5;
            let places: Vec<String> = damaged
                .iter()
                .take(LISTED)
                .map(|d| format!("byte {} ({})", d.at, d.why))
                .collect();
            let more = damaged.len().saturating_sub(LISTED);
            out.push_str(&format!(
                "; {} more place{} not valid JSON: {}{}",
                damaged.len(),
                plural(damaged.len()),
                places.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        if self.dropped > 0 {
            out.push_str(&format!(
                "; {} span{} written in part there dropped",
                self.dropped,
                plural(self.dropped)
            ));
        }
        if let Some(c) = cut.first() {
            out.push_str(&format!(
                "; the document then stops at byte {} before it is complete (the file looks cut off)",
                c.at
            ));
        }
        out
    }
}

/// Reads records from `from` (just past the first damage) to the end of `text`.
pub(crate) fn resume(text: &[u8], from: usize, mut flavour: Flavour) -> Resumed {
    let mut out = Resumed::default();
    let mut pos = from;
    // Walking objects whose keys were sorted costs at most four readings of the text.
    let budget = Cell::new(4 * text.len() + (1 << 20));
    while let Some((at, kind)) = next_record(text, pos, flavour, &budget) {
        // A record holds no other (a trace no other trace): it ends before the next begins, so
        // no byte is read more than twice however the text is damaged.
        let mut limit = text.len();
        let mut from = at + 1;
        while let Some((next, k)) = next_record(text, from, flavour, &budget) {
            if kind != Kind::JaegerTrace || k == Kind::JaegerTrace {
                limit = next;
                break;
            }
            from = next + 1;
        }
        let mut stream = serde_json::Deserializer::from_slice(&text[at..limit]).into_iter::<Json>();
        match stream.next() {
            Some(Ok(value)) => {
                out.from.get_or_insert(at);
                pos = at + stream.byte_offset();
                match kind {
                    Kind::ZipkinSpan => {
                        flavour = Flavour::Zipkin;
                        out.zipkin.push(value);
                    }
                    Kind::JaegerSpan => {
                        flavour = Flavour::Jaeger;
                        match out.traces.last_mut() {
                            Some(trace) => push_span(trace, value),
                            None => out.spans.push(value),
                        }
                    }
                    Kind::JaegerTrace => {
                        flavour = Flavour::Jaeger;
                        out.traces.push(value);
                    }
                    Kind::JaegerProcess(s, e) => {
                        let id = String::from_utf8_lossy(&text[s..e]).into_owned();
                        let map = match out.traces.last_mut() {
                            Some(trace) => processes_of(trace),
                            None => &mut out.processes,
                        };
                        map.entry(id).or_insert(value);
                    }
                }
            }
            Some(Err(e)) => {
                let offset =
                    crate::decode::recover::truncated::offset_of(&text[at..], e.line(), e.column());
                out.damage.push(Damage {
                    at: at + offset,
                    why: crate::decode::short_why(&e),
                    cut_off: e.is_eof() && limit == text.len(),
                });
                match kind {
                    Kind::ZipkinSpan | Kind::JaegerSpan => out.dropped += 1,
                    // Its spans and processes are read one by one.
                    Kind::JaegerTrace => {
                        flavour = Flavour::Jaeger;
                        let mut trace = Map::new();
                        let id = trace_id_at(text, at);
                        if let Some(id) = id {
                            trace.insert("traceID".into(), Json::String(id));
                        }
                        trace.insert("spans".into(), Json::Array(Vec::new()));
                        trace.insert("processes".into(), Json::Object(Map::new()));
                        out.traces.push(Json::Object(trace));
                    }
                    Kind::JaegerProcess(..) => {}
                }
                // Past the record's opening brace: a damaged trace's spans are found inside it.
                pos = at + 1;
            }
            None => break,
        }
    }
    out
}

/// The `traceID` of the trace whose object opens at `at` with it, when its text is whole.
fn trace_id_at(b: &[u8], at: usize) -> Option<String> {
    let k = ws(b, at + 1);
    if !b[k..].starts_with(b"\"traceID\"") {
        return None;
    }
    let k = k + b"\"traceID\"".len();
    let k = ws(b, k);
    if b.get(k) != Some(&b':') {
        return None;
    }
    let k = ws(b, k + 1);
    let mut stream = serde_json::Deserializer::from_slice(&b[k..]).into_iter::<String>();
    stream.next()?.ok()
}

fn push_span(trace: &mut Json, span: Json) {
    if let Some(m) = trace.as_object_mut() {
        let spans = m.entry("spans").or_insert_with(|| Json::Array(Vec::new()));
        if !spans.is_array() {
            *spans = Json::Array(Vec::new());
        }
        if let Some(a) = spans.as_array_mut() {
            a.push(span);
        }
    }
}

fn processes_of(trace: &mut Json) -> &mut Map<String, Json> {
    if !trace.is_object() {
        *trace = Json::Object(Map::new());
    }
    let Json::Object(m) = trace else {
        unreachable!("made an object above")
    };
    let p = m
        .entry("processes")
        .or_insert_with(|| Json::Object(Map::new()));
    if !p.is_object() {
        *p = Json::Object(Map::new());
    }
    match p {
        Json::Object(p) => p,
        _ => unreachable!("made an object above"),
    }
}

/// A Jaeger or Zipkin document `text` that stops being JSON where `err` says, read as far as it
/// can be: what came before that point closed ([`super::truncated`]), and after damage (not a cut)
/// every whole record after it, joined into one document.
pub(crate) struct Recovered {
    pub json: Option<Json>,
    /// Where the text stops being JSON.
    pub limit: usize,
    /// The text ended there.
    pub cut_off: bool,
    /// Spans written in part at that point.
    pub dropped: usize,
    /// What was read past it, byte offsets moved by the `base` given.
    pub past: Past,
}

/// See [`Recovered`]. `flavour`: what the document is, or `None` to let the part before the
/// damage say (a top-level array).
pub(crate) fn recover(
    text: &[u8],
    err: &serde_json::Error,
    flavour: Option<Flavour>,
    base: usize,
) -> Recovered {
    let (limit, cut_off) = crate::decode::recover::truncated::stop(text, err);
    let closed = crate::decode::recover::truncated::close(text, limit);
    let dropped = closed.as_ref().map_or(0, |c| c.dropped);
    let prefix = closed.map(|c| c.json);
    let flavour = flavour.unwrap_or(match &prefix {
        Some(Json::Array(items)) => Flavour::of(items),
        _ => Flavour::Unknown,
    });
    let mut resumed = if cut_off {
        Resumed::default()
    } else {
        resume(text, limit, flavour)
    };
    let past = resumed.past(base);
    Recovered {
        json: join(prefix, resumed),
        limit,
        cut_off,
        dropped,
        past,
    }
}

/// Joins what was read after the damage to what was kept before it (`prefix`, the document
/// closed at the damage, if anything of it was whole): one document for the usual readers.
pub(crate) fn join(prefix: Option<Json>, resumed: Resumed) -> Option<Json> {
    let Resumed {
        zipkin,
        spans,
        processes,
        traces,
        ..
    } = resumed;
    if !zipkin.is_empty() {
        return match prefix {
            Some(Json::Array(mut items)) => {
                items.extend(zipkin);
                Some(Json::Array(items))
            }
            _ => Some(Json::Array(zipkin)),
        };
    }
    if spans.is_empty() && processes.is_empty() && traces.is_empty() {
        return prefix;
    }
    // Jaeger: the prefix's traces (an envelope's data, one trace, an array of traces), or its
    // bare spans.
    let mut list = match prefix {
        Some(Json::Object(mut m)) => match m.remove("data") {
            Some(Json::Array(data)) => data,
            Some(other) => {
                m.insert("data".into(), other);
                vec![Json::Object(m)]
            }
            None if m.is_empty() => Vec::new(),
            None => vec![Json::Object(m)],
        },
        Some(Json::Array(items)) => items,
        _ => Vec::new(),
    };
    let bare_spans = list
        .iter()
        .find(|v| v.is_object())
        .is_some_and(|v| v.get("spans").is_none());
    if bare_spans {
        // An array of spans: the spans found are more of them (a trace's spans keep their
        // inline processes only).
        list.extend(spans);
        for trace in traces {
            if let Some(Json::Array(s)) = trace.get("spans") {
                list.extend(s.iter().cloned());
            }
        }
        return Some(Json::Array(list));
    }
    if !spans.is_empty() || !processes.is_empty() {
        match list.last_mut() {
            Some(last) if last.is_object() => {
                for span in spans {
                    push_span(last, span);
                }
                let map = processes_of(last);
                for (id, p) in processes {
                    map.entry(id).or_insert(p);
                }
            }
            _ => {
                let mut trace = Map::new();
                trace.insert("spans".into(), Json::Array(spans));
                trace.insert("processes".into(), Json::Object(processes));
                list.push(Json::Object(trace));
            }
        }
    }
    list.extend(traces);
    let mut envelope = Map::new();
    envelope.insert("data".into(), Json::Array(list));
    Some(Json::Object(envelope))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, flavour: Flavour) -> Vec<(usize, Kind)> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut from = 0;
        while let Some((at, k)) = next_record(b, from, flavour, &Cell::new(usize::MAX)) {
            out.push((at, k));
            from = at + 1;
        }
        out
    }

    #[test]
    fn records_are_known_by_their_first_members() {
        let zipkin = r#"[{"traceId":"a","parentId":"b","id":"c","localEndpoint":{"serviceName":"s"},"tags":{"traceId":"x"}}]"#;
        assert_eq!(kinds(zipkin, Flavour::Unknown), vec![(1, Kind::ZipkinSpan)]);
        let jaeger = r#"{"data":[{"traceID":"t","spans":[{"traceID":"t","spanID":"1","operationName":"o","references":[{"refType":"CHILD_OF","traceID":"t","spanID":"0"}],"process":{"serviceName":"inline"}}],"processes":{"p1":{"serviceName":"api"}}}]}"#;
        let found: Vec<Kind> = kinds(jaeger, Flavour::Unknown)
            .into_iter()
            .map(|(_, k)| k)
            .collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0], Kind::JaegerTrace);
        assert_eq!(found[1], Kind::JaegerSpan);
        let Kind::JaegerProcess(s, e) = found[2] else {
            panic!("{found:?}")
        };
        assert_eq!(&jaeger[s..e], "p1");
        // Sorted keys: known by their own members.
        let sorted = r#"[{"annotations":[],"duration":5,"id":"c","localEndpoint":{"serviceName":"s"},"traceId":"a"},{"duration":1,"logs":[{"fields":[]}],"operationName":"o","spanID":"1","traceID":"t"}]"#;
        assert_eq!(kinds(sorted, Flavour::Zipkin), vec![(1, Kind::ZipkinSpan)]);
        let at = sorted.find(r#"{"duration":1"#).expect("the Jaeger span");
        assert_eq!(kinds(sorted, Flavour::Jaeger), vec![(at, Kind::JaegerSpan)]);
        // A Zipkin file is not searched for Jaeger records, nor the other way round.
        assert!(kinds(jaeger, Flavour::Zipkin).is_empty());
        assert!(kinds(zipkin, Flavour::Jaeger).is_empty());
    }

    #[test]
    fn walking_sorted_objects_stops_when_its_budget_is_spent() {
        // Text of nothing but objects that open like sorted spans and never close: each walk
        // would read to the end of its 64 KB; the budget bounds them all together.
        let text = r#"{"id":["#.repeat(20_000);
        let budget = Cell::new(100_000);
        let mut walked = 0;
        let mut from = 0;
        while let Some((at, _)) = next_record(text.as_bytes(), from, Flavour::Unknown, &budget) {
            from = at + 1;
            walked += 1;
        }
        assert_eq!(walked, 0, "none is a record");
        assert_eq!(
            budget.get(),
            0,
            "the budget was spent, and the search still ended"
        );
        assert_eq!(own_keys(text.as_bytes(), 0, &budget), None);
    }

    #[test]
    fn spans_after_damage_join_the_trace_the_damage_was_in() {
        // Damage in the second span: the third and the processes still belong to trace t.
        let text = br#"{"data":[{"traceID":"t","spans":[{"traceID":"t","spanID":"1","operationName":"a"},{"traceID":"t","spanID":"2","operationName" "b"},{"traceID":"t","spanID":"3","operationName":"c"}],"processes":{"p1":{"serviceName":"api"}}},{"traceID":"u","spans":[],"processes":{}}]}"#;
        let damage = text.windows(2).position(|w| w == b"\" ").expect("damage") + 1;
        let prefix = crate::decode::recover::truncated::close(text, damage).map(|c| c.json);
        let resumed = resume(text, damage, Flavour::Jaeger);
        assert_eq!(resumed.spans.len(), 1);
        assert_eq!(resumed.processes.len(), 1);
        assert_eq!(resumed.traces.len(), 1);
        let joined = join(prefix, resumed).expect("joined");
        let data = joined["data"].as_array().expect("data");
        assert_eq!(data.len(), 2);
        let ids: Vec<&str> = data[0]["spans"]
            .as_array()
            .expect("spans")
            .iter()
            .filter_map(|s| s["spanID"].as_str())
            .collect();
        assert_eq!(ids, ["1", "3"]);
        assert_eq!(data[0]["processes"]["p1"]["serviceName"], "api");
    }

    #[test]
    fn a_damaged_trace_is_read_span_by_span_and_further_damage_is_listed() {
        let text = br#"[{"traceId":"a","id":"1"} {"traceId":"a","id":"2"},{"traceId":"a","id":"3","name":"x" "kind":"CLIENT"},{"traceId":"a","id":"4"},{"traceId":"a","id":"5""#;
        let resumed = resume(text, 26, Flavour::Zipkin);
        let ids: Vec<&str> = resumed
            .zipkin
            .iter()
            .filter_map(|s| s["id"].as_str())
            .collect();
        assert_eq!(ids, ["2", "4"]);
        assert_eq!(resumed.dropped, 2);
        assert_eq!(resumed.damage.len(), 2);
        assert!(!resumed.damage[0].cut_off && resumed.damage[1].cut_off);
        // A trace cut off after the damage: its whole spans are still read.
        let t = br#"[{"traceID":"t","spans":[{"traceID":"t","spanID":"1","operationName":"a"}] "processes":{}},{"traceID":"u","spans":[{"traceID":"u","spanID":"2","operationName":"b"},{"traceID":"u","spanID":"3","operationName":"c","star"#;
        let resumed = resume(t, 1, Flavour::Jaeger);
        let spans: Vec<usize> = resumed
            .traces
            .iter()
            .map(|t| t["spans"].as_array().map_or(0, Vec::len))
            .collect();
        assert_eq!(spans, [1, 1]);
        assert_eq!(resumed.dropped, 1);
        assert!(resumed.damage.iter().any(|d| d.cut_off));
        let t = br#"{"data":[{"traceID":"t","spans":[{"traceID":"t","spanID":"1","operationName":"a"}],"processes":{"p1":{"serviceName":"api"} "p2":{"serviceName":"db"}}}]}"#;
        let resumed = resume(t, 1, Flavour::Jaeger);
        assert_eq!(resumed.traces.len(), 1, "the trace, read record by record");
        let trace = &resumed.traces[0];
        assert_eq!(trace["traceID"], "t");
        assert_eq!(trace["spans"].as_array().map(Vec::len), Some(1));
        assert_eq!(trace["processes"].as_object().map(Map::len), Some(2));
    }
}
