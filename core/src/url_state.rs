//! What the page address says, in its hash (never sent to a server): `#src=<url>&src=<url>`.
//! Values are percent-encoded; unknown keys are kept so links from newer versions survive.

/// The state a page address carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashState {
    /// Trace files to fetch, in order (`src=`, repeatable).
    pub sources: Vec<String>,
    /// Keys this version does not understand, kept as (key, value) for round trips.
    pub other: Vec<(String, String)>,
}

impl HashState {
    /// Reads a `location.hash` (with or without the leading `#`).
    pub fn parse(hash: &str) -> HashState {
        let mut state = HashState::default();
        for pair in hash
            .trim_start_matches('#')
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            match percent_decode(key).as_str() {
                "src" if !value.is_empty() => state.sources.push(value),
                "src" => {}
                other => state.other.push((other.to_string(), value)),
            }
        }
        state
    }

    /// Writes the hash, starting with `#` (or "" when there is nothing to say).
    pub fn to_hash(&self) -> String {
        let pairs: Vec<String> = self
            .sources
            .iter()
            .map(|s| format!("src={}", percent_encode(s)))
            .chain(
                self.other
                    .iter()
                    .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))),
            )
            .collect();
        if pairs.is_empty() {
            String::new()
        } else {
            format!("#{}", pairs.join("&"))
        }
    }
}

/// Decodes `%XX` escapes (and `+` as a space, as forms write it); bad escapes stay as written.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes everything but unreserved characters (`A-Z a-z 0-9 - . _ ~`) and `/` `:`, which stay
/// readable in URLs people paste.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// True for the only URLs Sightline ever fetches or turns into links: http and https.
pub fn is_http_url(url: &str) -> bool {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && url.len() > lower.find("//").map_or(0, |i| i + 2)
        && !url.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_round_trip() {
        let state = HashState {
            sources: vec![
                "https://example.com/artifacts/run 42/traces.json.gz?sig=a&b=c".into(),
                "http://127.0.0.1:9000/x.jsonl".into(),
            ],
            other: vec![("future".into(), "kept as is".into())],
        };
        let hash = state.to_hash();
        assert!(
            !hash.contains(' ') && hash.matches('&').count() == 2,
            "{hash}"
        );
        assert_eq!(HashState::parse(&hash), state);
    }

    #[test]
    fn parses_what_people_write() {
        let s = HashState::parse(
            "#src=https%3A%2F%2Fa.example%2Ft.json&src=&src=http://b.example/u.json",
        );
        assert_eq!(
            s.sources,
            ["https://a.example/t.json", "http://b.example/u.json"]
        );
        assert_eq!(HashState::parse("").sources, Vec::<String>::new());
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("caf%C3%A9"), "café");
    }

    #[test]
    fn only_http_urls() {
        assert!(is_http_url("https://ci.example.com/job/1"));
        assert!(is_http_url("HTTP://x"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("data:text/html,<b>x</b>"));
        assert!(!is_http_url("/relative"));
    }
}
