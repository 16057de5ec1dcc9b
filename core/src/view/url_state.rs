//! What the page address says, in its hash (never sent to a server): the sources to fetch
//! (`src=`, repeatable), and what the user looks at: the trace (`trace=`, hex id), the span
//! (`span=`, hex id), the zoom window (`zoom=<from>-<to>`, ns from the trace start), the search
//! text (`q=`), the folded subtrees when any are (`fold=<span id>,<span id>`), and `linked=1`
//! when the trace is shown together with the traces it links to, and the panel open in place of
//! the trace with what it shows (`panel=`, `run=`, `group=`, `compare=`, `sql=`). Values are
//! percent-encoded; unknown keys are kept so links from newer versions survive.

/// The state a page address carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashState {
    /// Trace files to fetch, in order (`src=`, repeatable).
    pub sources: Vec<String>,
    /// The trace in view, as its hex id.
    pub trace: Option<String>,
    /// The selected span, as its hex id.
    pub span: Option<String>,
    /// The trace is shown together with the traces linked to it (`linked=1`).
    pub linked: bool,
    /// The zoom window, in ns from the trace's start.
    pub zoom: Option<(u64, u64)>,
    /// The search text.
    pub search: Option<String>,
    /// Span ids (hex) of folded subtrees.
    pub folded: Vec<String>,
    /// Local files the view was made from, as (content fingerprint, file name) (`file=`,
    /// repeatable): a link cannot fetch them, so opening it asks for them.
    pub files: Vec<(String, String)>,
    /// The panel open in place of the trace: the test history, the exception groups, a
    /// comparison or the SQL view (`panel=history|exceptions|compare|sql`).
    pub panel: Option<Panel>,
    /// The CI run in view, by its key ([`crate::insight::runs::Run::key`]) (`run=`).
    pub run: Option<String>,
    /// The exception group open, by its id (`group=`, 16 hex digits).
    pub group: Option<String>,
    /// The executions compared: failing, then passing, each as (trace id, span id)
    /// (`compare=<trace>:<span>,<trace>:<span>`).
    pub compare: Option<[(String, String); 2]>,
    /// The SQL view's query (`sql=`).
    pub sql: Option<String>,
    /// Keys this version does not understand, kept as (key, value) for round trips.
    pub other: Vec<(String, String)>,
}

/// The panels a link can open in place of the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    History,
    Exceptions,
    Compare,
    Sql,
}

impl Panel {
    /// The word the address uses.
    pub fn word(self) -> &'static str {
        match self {
            Panel::History => "history",
            Panel::Exceptions => "exceptions",
            Panel::Compare => "compare",
            Panel::Sql => "sql",
        }
    }

    fn parse(word: &str) -> Option<Panel> {
        [
            Panel::History,
            Panel::Exceptions,
            Panel::Compare,
            Panel::Sql,
        ]
        .into_iter()
        .find(|p| p.word() == word)
    }
}

/// `<trace>:<span>` as (trace id, span id), lower-case, if both are hex ids.
fn span_ref(text: &str) -> Option<(String, String)> {
    let (t, s) = text.split_once(':')?;
    (is_hex_id(t, 32) && is_hex_id(s, 16)).then(|| (t.to_ascii_lowercase(), s.to_ascii_lowercase()))
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
                "trace" if is_hex_id(&value, 32) => state.trace = Some(value.to_ascii_lowercase()),
                "span" if is_hex_id(&value, 16) => state.span = Some(value.to_ascii_lowercase()),
                "zoom" => {
                    state.zoom = value
                        .split_once('-')
                        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
                        .filter(|(a, b)| b > a);
                }
                "q" if !value.is_empty() => state.search = Some(value),
                "linked" => state.linked = value == "1",
                "fold" => state.folded.extend(
                    value
                        .split(',')
                        .filter(|id| is_hex_id(id, 16))
                        .map(str::to_ascii_lowercase),
                ),
                "file" => {
                    if let Some((fp, name)) = value.split_once(':') {
                        if is_hex_id(fp, 16) && !name.is_empty() {
                            state
                                .files
                                .push((fp.to_ascii_lowercase(), name.to_string()));
                        }
                    }
                }
                "panel" if Panel::parse(&value).is_some() => state.panel = Panel::parse(&value),
                "run" if !value.is_empty() => state.run = Some(value),
                "group" if is_hex_id(&value, 16) => state.group = Some(value.to_ascii_lowercase()),
                "compare" => {
                    state.compare = value
                        .split_once(',')
                        .and_then(|(f, p)| Some([span_ref(f)?, span_ref(p)?]));
                }
                "sql" if !value.trim().is_empty() => state.sql = Some(value),
                "trace" | "span" | "q" | "panel" | "run" | "group" | "sql" => {}
                other => state.other.push((other.to_string(), value)),
            }
        }
        state
    }

    /// Writes the hash, starting with `#` (or "" when there is nothing to say).
    pub fn to_hash(&self) -> String {
        let mut view: Vec<String> = self
            .files
            .iter()
            .map(|(fp, name)| format!("file={fp}:{}", percent_encode(name)))
            .collect();
        if let Some(t) = &self.trace {
            view.push(format!("trace={t}"));
        }
        if self.linked {
            view.push("linked=1".to_string());
        }
        if let Some(s) = &self.span {
            view.push(format!("span={s}"));
        }
        if let Some((a, b)) = self.zoom {
            view.push(format!("zoom={a}-{b}"));
        }
        if let Some(q) = &self.search {
            view.push(format!("q={}", percent_encode(q)));
        }
        if !self.folded.is_empty() {
            view.push(format!("fold={}", self.folded.join(",")));
        }
        if let Some(p) = self.panel {
            view.push(format!("panel={}", p.word()));
        }
        if let Some(r) = &self.run {
            view.push(format!("run={}", percent_encode(r)));
        }
        if let Some(g) = &self.group {
            view.push(format!("group={g}"));
        }
        if let Some([(ft, fs), (pt, ps)]) = &self.compare {
            view.push(format!("compare={ft}:{fs},{pt}:{ps}"));
        }
        if let Some(q) = &self.sql {
            view.push(format!("sql={}", percent_encode(q)));
        }
        let pairs: Vec<String> = self
            .sources
            .iter()
            .map(|s| format!("src={}", percent_encode(s)))
            .chain(view)
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

/// `len` hex digits.
fn is_hex_id(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
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
            ..HashState::default()
        };
        let hash = state.to_hash();
        assert!(
            !hash.contains(' ') && hash.matches('&').count() == 2,
            "{hash}"
        );
        assert_eq!(HashState::parse(&hash), state);
    }

    #[test]
    fn every_view_field_round_trips() {
        let state = HashState {
            sources: vec!["https://bucket.example/run/traces.json.gz".into()],
            trace: Some("01a200f0829aba057a2e32b7dec5e98b".into()),
            span: Some("63e233094a474182".into()),
            linked: true,
            zoom: Some((386_940_000, 419_930_000)),
            search: Some("status=500 & teapot".into()),
            folded: vec!["9e3779b97f4a7c15".into(), "3c6ef372fe94f82a".into()],
            files: vec![("0123456789abcdef".into(), "run 7/traces & more.json".into())],
            panel: Some(Panel::Compare),
            run: Some("cicd.pipeline.run.id=5205 e2e".into()),
            group: Some("00ff00ff00ff00ff".into()),
            compare: Some([
                (
                    "01a200f0829aba057a2e32b7dec5e98b".into(),
                    "63e233094a474182".into(),
                ),
                (
                    "9e3779b97f4a7c159e3779b97f4a7c15".into(),
                    "3c6ef372fe94f82a".into(),
                ),
            ]),
            sql: Some(
                "SELECT span_name FROM records\nWHERE attributes->>'order_id' = 'a&b'".into(),
            ),
            other: vec![("later".into(), "x".into())],
        };
        let hash = state.to_hash();
        assert_eq!(HashState::parse(&hash), state, "{hash}");
        assert!(hash.contains("sql=SELECT%20span_name%20FROM"), "{hash}");
        assert_eq!(HashState::parse("#panel=sql").panel, Some(Panel::Sql));
        assert!(hash.contains("&panel=compare&"), "{hash}");
        assert!(
            hash.contains("compare=01a200f0829aba057a2e32b7dec5e98b:63e233094a474182,9e37"),
            "{hash}"
        );
        // A compare pair that is not two span references is dropped, not half-read.
        assert_eq!(
            HashState::parse("#compare=01a200f0829aba057a2e32b7dec5e98b:63e2").compare,
            None
        );
        assert_eq!(HashState::parse("#panel=nonsense").panel, None);
        assert!(hash.contains("zoom=386940000-419930000"), "{hash}");
        assert!(hash.contains("&linked=1&"), "{hash}");
        // Nothing to say, nothing written.
        assert_eq!(HashState::default().to_hash(), "");
    }

    #[test]
    fn broken_view_fields_are_dropped_not_misread() {
        let s = HashState::parse(
            "#trace=xyz&span=63E233094A474182&zoom=9-3&fold=zz,0123456789abcdef&q=",
        );
        assert_eq!(s.trace, None);
        assert_eq!(s.span.as_deref(), Some("63e233094a474182"));
        assert_eq!(s.zoom, None);
        assert_eq!(s.folded, ["0123456789abcdef"]);
        assert_eq!(s.search, None);
        assert!(s.other.is_empty());
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
