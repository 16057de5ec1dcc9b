//! Walking JSON text byte by byte without parsing it: where a string ends and where an object
//! or array closes, with brackets inside strings ignored. The readers of damaged documents
//! (the OTLP salvage, the Jaeger and Zipkin recovery) and the splitting of a file into its
//! documents all walk text this way; they share these two steps.
//!
//! The fast OTLP scanner (`otlp/fast/`) reads strings on its own: it must decode escapes and
//! refuse control characters where these only need to find the end.

/// One past the closing quote of the string whose text starts at `from` (just after its opening
/// quote); a backslash escapes the byte after it. `None` when the string does not end in `text`.
pub(crate) fn string_end(text: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let at = from + memchr::memchr2(b'"', b'\\', text.get(from..)?)?;
        if text[at] == b'"' {
            return Some(at + 1);
        }
        from = at + 2;
        if from > text.len() {
            return None;
        }
    }
}

/// One past the bracket that closes the object or array opening at `start`, whatever the kind
/// of each bracket; `None` when it does not close in `text`.
pub(crate) fn container_end(text: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < text.len() {
        match text[i] {
            b'"' => {
                i = string_end(text, i + 1)?;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_end_at_the_first_quote_not_escaped() {
        let t = br#""plain" "a \"quoted\" word" "ends in \\" "cut \"#;
        assert_eq!(string_end(t, 1), Some(7));
        assert_eq!(string_end(t, 9), Some(27));
        assert_eq!(string_end(t, 29), Some(40));
        assert_eq!(string_end(t, 42), None, "an escaped quote does not end it");
        assert_eq!(string_end(b"\"a\\", 1), None, "a backslash at the very end");
        assert_eq!(string_end(b"\"", 5), None, "past the end");
    }

    #[test]
    fn containers_close_at_their_own_bracket_outside_strings() {
        let t = br#"{"a": [1, {"b": "]}"}], "c": "{"} tail"#;
        assert_eq!(container_end(t, 0), Some(t.len() - 5));
        assert_eq!(container_end(t, 6), Some(22));
        assert_eq!(container_end(br#"{"open": ["#, 0), None);
        assert_eq!(container_end(br#"{"s": "never closes}"#, 0), None);
        // Brackets of either kind close: the walk does not check that they match.
        assert_eq!(container_end(b"[}", 0), Some(2));
    }
}
