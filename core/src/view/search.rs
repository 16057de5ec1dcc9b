//! Search inside a trace: what the search box matches. Terms separated by spaces must all match
//! (AND), case-insensitively; double quotes keep spaces in a term (`"assert 500"`,
//! `name="POST /orders"`).
//!
//! - A plain term matches the span's name or display name, its service, any attribute key or
//!   value (span, resource, event), an event's name, or its span or trace id.
//! - `key=value` matches an attribute whose key is `key` and whose value contains `value`, and
//!   four fields of the span itself: `name=`, `service=`, `kind=` (`server`, `client`, ...) and
//!   `status=` (`error`, `ok`, `unset`, or words of the status message). `key==value` wants the
//!   whole value as written, case included (`service==api` keeps `api`, not `order-api` or `API`).
//! - `key>n`, `key>=n`, `key<n`, `key<=n` compare a numeric attribute (a number, or a string that
//!   reads as one: `http.response.status_code>=500`), or the span's duration:
//!   `duration>100ms` (units `ns`, `us` or `µs`, `ms`, `s`, `m`, `h`; a bare number is in
//!   milliseconds).
//! - `-term` keeps the spans the term does not match (`-health`, `-status=ok`).

use crate::model::{KeyValue, Session, Span, StatusCode, Value};
use crate::trace::tree::{Forest, TraceTree};

/// One term of a query.
#[derive(Clone, Debug, PartialEq)]
enum Term {
    Text(String),
    KeyValue {
        key: String,
        value: String,
        /// `key==value`: the whole value, not a part of it.
        exact: bool,
    },
    /// `key` compared with `limit` (nanoseconds for `duration`).
    Compare {
        key: String,
        op: Op,
        limit: f64,
    },
    Not(Box<Term>),
}

/// A comparison of a [`Term::Compare`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Less,
    AtMost,
    More,
    AtLeast,
}

impl Op {
    fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Op::Less => value < limit,
            Op::AtMost => value <= limit,
            Op::More => value > limit,
            Op::AtLeast => value >= limit,
        }
    }
}

/// The words of a query: split at white space outside double quotes, the quotes taken out
/// (an empty word, `""`, is no word).
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// A duration as the search box takes it (`250us`, `1.5s`, `100` for 100 ms), in nanoseconds.
fn parse_duration(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" | "μs" => 1e3,
        "" | "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3_600e9,
        _ => return None,
    };
    Some(number * scale)
}

impl Term {
    fn parse(word: &str) -> Term {
        if let Some(rest) = word.strip_prefix('-').filter(|r| !r.is_empty()) {
            return Term::Not(Box::new(Term::parse(rest)));
        }
        if let Some(compare) = Term::compare(word) {
            return compare;
        }
        match word.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                let (value, exact) = match v.strip_prefix('=') {
                    Some(whole) => (whole.to_string(), true),
                    None => (v.to_lowercase(), false),
                };
                Term::KeyValue {
                    key: k.to_lowercase(),
                    value,
                    exact,
                }
            }
            _ => Term::Text(word.to_lowercase()),
        }
    }

    /// `key>n` and the like; `None` when the word is not a comparison of a number (nor when an
    /// `=` comes first: `key=a>5` is a value to look for).
    fn compare(word: &str) -> Option<Term> {
        let at = word.find(['<', '>'])?;
        if word.find('=').is_some_and(|eq| eq < at) {
            return None;
        }
        let (key, rest) = word.split_at(at);
        let (op, limit) = if let Some(l) = rest.strip_prefix(">=") {
            (Op::AtLeast, l)
        } else if let Some(l) = rest.strip_prefix("<=") {
            (Op::AtMost, l)
        } else if let Some(l) = rest.strip_prefix('>') {
            (Op::More, l)
        } else {
            (Op::Less, &rest[1..])
        };
        let key = key.to_lowercase();
        if key.is_empty() {
            return None;
        }
        let limit = if key == "duration" {
            parse_duration(limit)?
        } else {
            limit.trim().parse().ok().filter(|l: &f64| l.is_finite())?
        };
        Some(Term::Compare { key, op, limit })
    }
}

/// A parsed search query. An empty query matches nothing (there is nothing to look for).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    terms: Vec<Term>,
}

impl Query {
    /// Parses what the user typed.
    pub fn parse(text: &str) -> Query {
        Query {
            terms: words(text).iter().map(|w| Term::parse(w)).collect(),
        }
    }

    /// True when there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Does `span` match every term?
    pub fn matches(&self, session: &Session, span: &Span) -> bool {
        !self.terms.is_empty() && self.terms.iter().all(|t| term_matches(t, session, span))
    }

    /// Node indices of `tree` that match, in tree order.
    pub fn matches_in(&self, session: &Session, tree: &TraceTree) -> Vec<u32> {
        if self.is_empty() {
            return Vec::new();
        }
        tree.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                !n.flags.placeholder && self.matches(session, &session.spans[n.span as usize])
            })
            .filter_map(|(i, _)| u32::try_from(i).ok())
            .collect()
    }
}

/// Matches in the traces of a session other than the one in view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Elsewhere {
    /// Matching spans in all of them.
    pub matches: usize,
    /// The traces with a match, in trace order: (view to show it in, its first match there).
    pub traces: Vec<(usize, u32)>,
}

impl Query {
    /// The matches of the whole session outside view `view` (a trace, or traces shown
    /// together, whose members are left out): each trace is shown with the traces it links to
    /// when it has any, as the trace list opens it.
    pub fn elsewhere(&self, session: &Session, forest: &Forest, view: usize) -> Elsewhere {
        let mut out = Elsewhere::default();
        if self.is_empty() {
            return out;
        }
        let here: Vec<usize> = match forest.tree(view) {
            Some(t) if view >= forest.traces.len() => t.members.clone(),
            Some(_) => vec![view],
            None => Vec::new(),
        };
        let joint = forest.linked_views();
        for (i, tree) in forest.traces.iter().enumerate() {
            if here.contains(&i) {
                continue;
            }
            let found = self.matches_in(session, tree);
            let Some(&first) = found.first() else {
                continue;
            };
            out.matches += found.len();
            let shown = joint.get(i).copied().flatten();
            let at = shown
                .and_then(|v| {
                    let span = &session.spans[tree.nodes[first as usize].span as usize];
                    let node = forest.tree(v)?.find(session, span.trace_id, span.span_id)?;
                    Some((v, node))
                })
                .unwrap_or((i, first));
            if !out.traces.iter().any(|&(v, _)| v == at.0) {
                out.traces.push(at);
            }
        }
        out
    }
}

/// The trace list's filter: terms separated by spaces must all match (AND), case-insensitively,
/// each somewhere in the texts a trace is known by (the names of its root spans, its services,
/// its trace ids). An empty filter keeps every trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceFilter {
    terms: Vec<String>,
}

impl TraceFilter {
    /// Parses what the user typed.
    pub fn parse(text: &str) -> TraceFilter {
        TraceFilter {
            terms: words(text).iter().map(|w| w.to_lowercase()).collect(),
        }
    }

    /// True when the filter keeps every trace.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Does a trace known by `texts` match every term?
    pub fn matches(&self, texts: &[&str]) -> bool {
        self.terms
            .iter()
            .all(|t| texts.iter().any(|text| contains(text, t)))
    }
}

fn contains(haystack: &str, needle: &str) -> bool {
    // ASCII case folding is enough for keys and most values; fall back to full folding otherwise.
    if haystack.is_ascii() && needle.is_ascii() {
        haystack
            .as_bytes()
            .windows(needle.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
            || needle.is_empty()
    } else {
        haystack.to_lowercase().contains(needle)
    }
}

/// The search that finds the spans of one service and no other: `service==name`, the name in
/// double quotes when it holds white space (the legend's buttons set it). A name holding a
/// double quote cannot be written in one word; such a search finds nothing rather than
/// another service's spans.
pub fn service_query(service: &str) -> String {
    if service.is_empty() || service.chars().any(char::is_whitespace) {
        format!("service==\"{service}\"")
    } else {
        format!("service=={service}")
    }
}

fn attributes<'a>(session: &'a Session, span: &'a Span) -> impl Iterator<Item = &'a KeyValue> {
    let resource = session
        .resources
        .get(span.resource as usize)
        .map(|r| r.attributes.as_slice())
        .unwrap_or_default();
    span.attributes
        .iter()
        .chain(resource)
        .chain(span.events.iter().flat_map(|e| e.attributes.iter()))
}

fn term_matches(term: &Term, session: &Session, span: &Span) -> bool {
    let strings = &session.strings;
    match term {
        Term::Text(t) => {
            contains(strings.get(span.name), t)
                || contains(session.display_name(span), t)
                || contains(session.service_of(span), t)
                || span.span_id.to_string().contains(t.as_str())
                || span.trace_id.to_string().contains(t.as_str())
                || span.events.iter().any(|e| contains(strings.get(e.name), t))
                || attributes(session, span).any(|kv| {
                    contains(strings.get(kv.key), t) || contains(&kv.value.display(strings), t)
                })
        }
        Term::KeyValue { key, value, exact } => {
            let found = |text: &str| {
                if *exact {
                    text == value
                } else {
                    contains(text, value)
                }
            };
            field_matches(key, value, found, session, span)
                || attributes(session, span).any(|kv| {
                    strings.get(kv.key).eq_ignore_ascii_case(key)
                        && found(&kv.value.display(strings))
                })
        }
        Term::Compare { key, op, limit } => {
            if key == "duration" {
                return op.holds(span.duration() as f64, *limit);
            }
            attributes(session, span).any(|kv| {
                strings.get(kv.key).eq_ignore_ascii_case(key)
                    && number(&kv.value, session).is_some_and(|v| op.holds(v, *limit))
            })
        }
        Term::Not(term) => !term_matches(term, session, span),
    }
}

/// The span's own fields a `key=value` term can name; `found` says whether a text holds the
/// value (contains it, or for `key==value` is it).
fn field_matches(
    key: &str,
    value: &str,
    found: impl Fn(&str) -> bool,
    session: &Session,
    span: &Span,
) -> bool {
    let strings = &session.strings;
    match key {
        "name" => found(strings.get(span.name)) || found(session.display_name(span)),
        "service" => found(session.service_of(span)),
        "kind" => span.kind.label() == value,
        "status" => {
            let code = match span.status.code {
                StatusCode::Unset => "unset",
                StatusCode::Ok => "ok",
                StatusCode::Error => "error",
            };
            code == value || (!value.is_empty() && found(strings.get(span.status.message)))
        }
        _ => false,
    }
}

/// An attribute's value as a number: numbers, and strings that read as one.
fn number(value: &Value, session: &Session) -> Option<f64> {
    match value {
        Value::Int(i) => Some(*i as f64),
        Value::Double(d) => Some(*d),
        Value::Str(s) => session.strings.get(*s).trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_terms() {
        assert!(Query::parse("   ").is_empty());
        assert_eq!(
            Query::parse("POST http.route=/orders").terms,
            [
                Term::Text("post".into()),
                Term::KeyValue {
                    key: "http.route".into(),
                    value: "/orders".into(),
                    exact: false
                }
            ]
        );
        assert_eq!(Query::parse("=x").terms, [Term::Text("=x".into())]);
        // Quotes keep spaces; comparisons; negation.
        assert_eq!(
            Query::parse(r#"name="POST /orders" "assert 500""#).terms,
            [
                Term::KeyValue {
                    key: "name".into(),
                    value: "post /orders".into(),
                    exact: false
                },
                Term::Text("assert 500".into())
            ]
        );
        assert_eq!(
            Query::parse("duration>=1.5s http.status_code<500 -Health").terms,
            [
                Term::Compare {
                    key: "duration".into(),
                    op: Op::AtLeast,
                    limit: 1.5e9
                },
                Term::Compare {
                    key: "http.status_code".into(),
                    op: Op::Less,
                    limit: 500.0
                },
                Term::Not(Box::new(Term::Text("health".into())))
            ]
        );
        assert_eq!(
            Query::parse("duration<250us duration>2").terms,
            [
                Term::Compare {
                    key: "duration".into(),
                    op: Op::Less,
                    limit: 250e3
                },
                Term::Compare {
                    key: "duration".into(),
                    op: Op::More,
                    limit: 2e6
                }
            ]
        );
        // Not a comparison of a number: plain text, as before.
        assert_eq!(
            Query::parse("a<b duration>soon <5 -").terms,
            [
                Term::Text("a<b".into()),
                Term::Text("duration>soon".into()),
                Term::Text("<5".into()),
                Term::Text("-".into())
            ]
        );
        // `==` wants the whole value; an `=` before `<` or `>` makes a value, not a comparison.
        assert_eq!(
            Query::parse(r#"service=="Order API" a=b>5"#).terms,
            [
                Term::KeyValue {
                    key: "service".into(),
                    value: "Order API".into(),
                    exact: true
                },
                Term::KeyValue {
                    key: "a".into(),
                    value: "b>5".into(),
                    exact: false
                }
            ]
        );
        assert_eq!(
            words(r#"  "" a"b c"d  "unclosed end"#),
            ["ab cd", "unclosed end"]
        );
    }

    #[test]
    fn durations_read_with_their_units() {
        assert_eq!(parse_duration("10ns"), Some(10.0));
        assert_eq!(parse_duration("3µs"), Some(3e3));
        assert_eq!(parse_duration("2m"), Some(120e9));
        assert_eq!(parse_duration("1h"), Some(3_600e9));
        assert_eq!(parse_duration("7"), Some(7e6));
        assert_eq!(parse_duration("7 weeks"), None);
        assert_eq!(parse_duration("ms"), None);
    }

    #[test]
    fn trace_filter_needs_every_term_somewhere() {
        let texts = [
            "test_orders.py::test_bulk_order",
            "e2e-tests, order-api, order-worker",
            "01a200f0829aba057a2e32b7dec5e98b",
        ];
        assert!(TraceFilter::parse("").matches(&texts), "empty keeps all");
        assert!(TraceFilter::parse("  ").is_empty());
        assert!(TraceFilter::parse("BULK").matches(&texts));
        assert!(
            TraceFilter::parse("bulk worker").matches(&texts),
            "terms in different texts"
        );
        assert!(
            TraceFilter::parse("01A200F0829A").matches(&texts),
            "a trace id, any case"
        );
        assert!(
            !TraceFilter::parse("bulk checkout").matches(&texts),
            "every term must match"
        );
        // A term never matches across two texts.
        assert!(!TraceFilter::parse("order-worker01a2").matches(&texts));
    }

    #[test]
    fn a_service_query_is_one_word_that_names_the_whole_service() {
        assert_eq!(service_query("order-api"), "service==order-api");
        assert_eq!(service_query("order api"), r#"service=="order api""#);
        assert_eq!(service_query(""), r#"service=="""#);
        for name in ["order-api", "order api", "Straße", "a=b>5", "-x"] {
            assert_eq!(
                Query::parse(&service_query(name)).terms,
                [Term::KeyValue {
                    key: "service".into(),
                    value: name.into(),
                    exact: true
                }],
                "{name}"
            );
        }
    }

    #[test]
    fn case_insensitive_contains() {
        assert!(contains("ValueError: cannot reserve", "valueerror"));
        assert!(contains("Straße", "straße"));
        assert!(!contains("abc", "abd"));
    }
}
