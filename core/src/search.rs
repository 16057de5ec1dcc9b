//! Search inside a trace: what the search box matches. Terms separated by spaces must all match
//! (AND), case-insensitively. A plain term matches the span's name or display name, its service,
//! any attribute key or value (span, resource, event), or its span or trace id; `key=value`
//! matches an attribute whose key is `key` and whose value contains `value`.

use crate::model::{KeyValue, Session, Span};
use crate::tree::TraceTree;

/// One term of a query.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Text(String),
    KeyValue { key: String, value: String },
}

/// A parsed search query. An empty query matches nothing (there is nothing to look for).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    terms: Vec<Term>,
}

impl Query {
    /// Parses what the user typed.
    pub fn parse(text: &str) -> Query {
        let terms = text
            .split_whitespace()
            .map(|t| match t.split_once('=') {
                Some((k, v)) if !k.is_empty() => Term::KeyValue {
                    key: k.to_lowercase(),
                    value: v.to_lowercase(),
                },
                _ => Term::Text(t.to_lowercase()),
            })
            .collect();
        Query { terms }
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
            terms: text.split_whitespace().map(str::to_lowercase).collect(),
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
        Term::KeyValue { key, value } => attributes(session, span).any(|kv| {
            strings.get(kv.key).eq_ignore_ascii_case(key)
                && contains(&kv.value.display(strings), value)
        }),
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
                    value: "/orders".into()
                }
            ]
        );
        assert_eq!(Query::parse("=x").terms, [Term::Text("=x".into())]);
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
    fn case_insensitive_contains() {
        assert!(contains("ValueError: cannot reserve", "valueerror"));
        assert!(contains("Straße", "straße"));
        assert!(!contains("abc", "abd"));
    }
}
