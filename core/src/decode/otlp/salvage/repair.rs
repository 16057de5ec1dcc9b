//! What real writers get wrong in their JSON, put right before a span is read again.

/// The JSON of one span or object with what real writers get wrong put right: raw control
/// characters in strings escaped, an unknown escape kept as its character, an unpaired UTF-16
/// surrogate escape made U+FFFD, and bare `NaN`, `Infinity` and `-Infinity` (Python's `json`
/// writes them) made strings, which the readers take as those numbers.
pub(super) fn repair(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    let mut in_string = false;
    let mut plain = 0;
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                b'"' => {
                    in_string = false;
                    i += 1;
                }
                b'\\' => {
                    out.push_str(&text[plain..i]);
                    let next = b.get(i + 1).copied();
                    match next {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            out.push_str(&text[i..i + 2]);
                            i += 2;
                        }
                        Some(b'u') => {
                            let (escape, len) = unicode_escape(b, i);
                            out.push_str(&escape);
                            i += len;
                        }
                        _ => {
                            // An unknown escape: the backslash itself, escaped.
                            out.push_str("\\\\");
                            i += 1;
                        }
                    }
                    plain = i;
                    continue;
                }
                0..=0x1f => {
                    out.push_str(&text[plain..i]);
                    out.push_str(&format!("\\u{c:04x}"));
                    i += 1;
                    plain = i;
                    continue;
                }
                _ => i += 1,
            }
            continue;
        }
        match c {
            b'"' => {
                in_string = true;
                i += 1;
            }
            b'N' | b'I' | b'-' => {
                let word = ["NaN", "Infinity", "-Infinity"]
                    .into_iter()
                    .find(|w| b[i..].starts_with(w.as_bytes()));
                match word {
                    Some(w) => {
                        out.push_str(&text[plain..i]);
                        out.push('"');
                        out.push_str(w);
                        out.push('"');
                        i += w.len();
                        plain = i;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[plain..]);
    out
}

/// A `\u` escape at `i`: kept when it is a character or a whole surrogate pair, U+FFFD when it
/// is an unpaired surrogate or not four hex digits. Returns the text to write and the length
/// read.
fn unicode_escape(b: &[u8], i: usize) -> (String, usize) {
    let hex = |at: usize| -> Option<u32> {
        let digits = b.get(at..at + 4)?;
        let s = std::str::from_utf8(digits).ok()?;
        u32::from_str_radix(s, 16).ok()
    };
    let Some(first) = hex(i + 2) else {
        return ("\\\\".into(), 1);
    };
    let escape = |at: usize| String::from_utf8_lossy(&b[at..at + 6]).into_owned();
    match first {
        0xD800..=0xDBFF => {
            let low = (b.get(i + 6..i + 8) == Some(b"\\u"))
                .then(|| hex(i + 8))
                .flatten();
            match low {
                Some(0xDC00..=0xDFFF) => (format!("{}{}", escape(i), escape(i + 6)), 12),
                _ => ("\\ufffd".into(), 6),
            }
        }
        0xDC00..=0xDFFF => ("\\ufffd".into(), 6),
        _ => (escape(i), 6),
    }
}
