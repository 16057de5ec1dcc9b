//! "This span lasted exactly as long as the timeout it reports": a span whose duration matches a
//! timeout found in its attributes (`timeout`, `http.client.timeout_ms`, …) or in its error text
//! ("Timeout 30000ms exceeded", "timed out after 5s"), the usual signature of a test or call that
//! waited for something that never came.

use crate::model::{Session, Span, Value};

/// A timeout the span reports, and where it was found.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeout {
    /// The limit, in ns.
    pub limit: u64,
    /// The attribute key or text it came from.
    pub source: String,
}

/// The timeout this span reports when its duration matches it: between 95% of the limit and
/// 10% (plus 100 ms) over it, as a span that hit its limit ends a little after it.
pub fn timeout_match(session: &Session, span: &Span) -> Option<Timeout> {
    let duration = span.duration();
    if duration == 0 || span.start == 0 {
        return None;
    }
    reported_timeouts(session, span)
        .into_iter()
        .find(|t| matches(duration, t.limit))
}

fn matches(duration: u64, limit: u64) -> bool {
    let (d, l) = (u128::from(duration), u128::from(limit));
    l > 0 && d * 100 >= l * 95 && d * 10 <= l * 11 + 1_000_000_000
}

/// Every timeout the span mentions: numeric attributes whose key says timeout, then numbers
/// with units in texts that say timeout (exception messages, status message, event names).
pub fn reported_timeouts(session: &Session, span: &Span) -> Vec<Timeout> {
    let mut out = Vec::new();
    for kv in &span.attributes {
        let key = session.strings.get(kv.key);
        let lower = key.to_ascii_lowercase();
        if !(lower.contains("timeout") || lower.contains("deadline")) {
            continue;
        }
        let number = match &kv.value {
            Value::Int(n) => u64::try_from(*n).ok().map(|n| n as f64),
            Value::Double(x) if *x > 0.0 => Some(*x),
            Value::Str(s) => {
                let text = session.strings.get(*s);
                if let Some(t) = timeout_in_text(text, true) {
                    out.push(Timeout {
                        limit: t,
                        source: key.to_string(),
                    });
                    continue;
                }
                text.trim().parse::<f64>().ok()
            }
            _ => None,
        };
        if let Some(n) = number.filter(|n| *n > 0.0) {
            out.push(Timeout {
                limit: scale_by_key(&lower, n),
                source: key.to_string(),
            });
        }
    }
    let mut texts: Vec<&str> = vec![session.strings.get(span.status.message)];
    for ev in &span.events {
        texts.push(session.strings.get(ev.name));
        for kv in &ev.attributes {
            let key = session.strings.get(kv.key);
            if key == "exception.message" || key == "exception.type" {
                if let Value::Str(s) = kv.value {
                    texts.push(session.strings.get(s));
                }
            }
        }
    }
    for text in texts {
        if let Some(limit) = timeout_in_text(text, false) {
            out.push(Timeout {
                limit,
                source: text.chars().take(80).collect(),
            });
        }
    }
    out
}

/// A number in a key that names its unit (`timeout_ms`, `timeoutSeconds`), else seconds below
/// 1000 and milliseconds from 1000 up (`timeout=30` is 30 s, `timeout=5000` is 5 s).
fn scale_by_key(key: &str, n: f64) -> u64 {
    let unit = if key.ends_with("ms") || key.contains("millis") {
        1e6
    } else if key.ends_with("ns") || key.contains("nanos") {
        1.0
    } else if key.ends_with("us") || key.contains("micros") {
        1e3
    } else if key.ends_with("_s")
        || key.ends_with(".s")
        || key.contains("sec")
        || key.contains("second")
    {
        1e9
    } else if n >= 1000.0 {
        1e6
    } else {
        1e9
    };
    (n * unit).round() as u64
}

/// The first number with a time unit in a text that speaks of a timeout ("Timeout 30000ms
/// exceeded", "timed out after 5.0s", "Timeout >30.0s"). `any` skips the check for the word.
pub fn timeout_in_text(text: &str, any: bool) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    if !(any || lower.contains("timeout") || lower.contains("timed out")) {
        return None;
    }
    let bytes = lower.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number: f64 = lower[start..i].trim_end_matches('.').parse().ok()?;
        let rest = lower[i..].trim_start();
        let word: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
        let unit = match word.as_str() {
            "ns" | "nanoseconds" => 1.0,
            "us" | "µs" | "microseconds" => 1e3,
            "ms" | "msec" | "milliseconds" | "millisecond" => 1e6,
            "s" | "sec" | "secs" | "second" | "seconds" => 1e9,
            "m" | "min" | "mins" | "minute" | "minutes" => 60e9,
            _ => continue,
        };
        if number > 0.0 {
            return Some((number * unit).round() as u64);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_in_the_words_of_real_tools() {
        // Playwright, pytest-timeout, a generic message, Go's http client (no number).
        assert_eq!(
            timeout_in_text("Timeout 30000ms exceeded.", false),
            Some(30_000_000_000)
        );
        assert_eq!(
            timeout_in_text("Failed: Timeout >30.0s", false),
            Some(30_000_000_000)
        );
        assert_eq!(
            timeout_in_text("request timed out after 5 seconds", false),
            Some(5_000_000_000)
        );
        assert_eq!(
            timeout_in_text(
                "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                false
            ),
            None
        );
        // A number without the word is no timeout; a number without a unit is not read.
        assert_eq!(timeout_in_text("took 30s", false), None);
        assert_eq!(timeout_in_text("timeout on attempt 3", false), None);
    }

    #[test]
    fn keys_name_their_units() {
        assert_eq!(scale_by_key("http.client.timeout_ms", 250.0), 250_000_000);
        assert_eq!(scale_by_key("timeout", 30.0), 30_000_000_000);
        assert_eq!(scale_by_key("timeout", 5000.0), 5_000_000_000);
        assert_eq!(scale_by_key("request.timeoutseconds", 2.0), 2_000_000_000);
    }

    #[test]
    fn a_span_matches_when_it_ends_at_or_just_after_its_limit() {
        let s = 1_000_000_000;
        assert!(matches(30 * s, 30 * s));
        assert!(matches(30 * s + 400_000_000, 30 * s));
        assert!(!matches(20 * s, 30 * s));
        assert!(!matches(40 * s, 30 * s));
    }
}
