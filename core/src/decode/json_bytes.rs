//! Walking JSON text byte by byte without parsing it: where a string ends and where an object
//! or array closes, with brackets inside strings ignored. The readers of damaged documents
//! (the OTLP salvage, the Jaeger and Zipkin recovery) and the splitting of a file into its
//! documents all walk text this way; they share these two steps.
//!
//! The fast OTLP scanner (`otlp/fast/`) reads strings on its own: it must decode escapes and
//! refuse control characters where these only need to find the end.

/// A byte 0x01 in every lane of a word.
pub(crate) const LO: u64 = 0x0101_0101_0101_0101;
/// A byte 0x80 in every lane of a word.
pub(crate) const HI: u64 = 0x8080_8080_8080_8080;

/// Bits set at the bytes of `w` that are zero (exact for the lowest such byte).
#[inline]
pub(crate) fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(LO) & !w & HI
}

/// One past the closing quote of the string whose text starts at `from` (just after its opening
/// quote); a backslash escapes the byte after it. `None` when the string does not end in `text`.
/// Quotes and backslashes are searched for eight bytes at a time: `memchr2` has no vector code
/// on wasm32, where the walk of a document still arriving took longer than reading it.
#[inline]
pub(crate) fn string_end(text: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let mut i = from;
        let at = loop {
            if i + 8 > text.len() {
                let rest = text.get(i..)?;
                break i + rest.iter().position(|&b| b == b'"' || b == b'\\')?;
            }
            let mut word = [0u8; 8];
            word.copy_from_slice(&text[i..i + 8]);
            let w = u64::from_le_bytes(word);
            let hits =
                zero_bytes(w ^ (LO * u64::from(b'"'))) | zero_bytes(w ^ (LO * u64::from(b'\\')));
            if hits != 0 {
                break i + (hits.trailing_zeros() / 8) as usize;
            }
            i += 8;
        };
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
    Extent::new(start).walk(text)
}

/// The walk to the bracket that closes the object or array opening at `start`, which can go on
/// where it stopped once more text has come (a document still arriving).
#[derive(Default)]
pub(crate) struct Extent {
    pub start: usize,
    /// Where the walk goes on.
    pub at: usize,
    /// Brackets open at `at`.
    pub depth: usize,
    in_string: bool,
    /// One past the closing bracket, once found.
    end: Option<usize>,
}

impl Extent {
    pub(crate) fn new(start: usize) -> Extent {
        Extent {
            start,
            at: start,
            ..Extent::default()
        }
    }

    /// Walks `text` on from where the last walk stopped; the end once the bracket closes.
    pub(crate) fn walk(&mut self, text: &[u8]) -> Option<usize> {
        if self.end.is_some() {
            return self.end;
        }
        let mut i = self.at;
        while i < text.len() {
            if self.in_string {
                match string_end(text, i) {
                    Some(end) => {
                        self.in_string = false;
                        i = end;
                        continue;
                    }
                    None => {
                        // Stop before a backslash that ends the text (its escape is unknown).
                        let back = text[i..].iter().rev().take_while(|&&b| b == b'\\').count();
                        self.at = text.len() - back % 2;
                        return None;
                    }
                }
            }
            match text[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        self.end = Some(i + 1);
                        return self.end;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        self.at = text.len();
        None
    }

    /// The text lost its first `by` bytes (all before `start`).
    pub(crate) fn shift(&mut self, by: usize) {
        self.start -= by;
        self.at -= by;
        self.end = self.end.map(|e| e - by);
    }
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

    #[test]
    fn a_walk_goes_on_where_it_stopped() {
        let t = br#"{"a": [1, {"b": "]}\"x"}], "c": "{"} tail"#;
        let whole = container_end(t, 0);
        for cut in 1..t.len() {
            let mut walk = Extent::new(0);
            let first = walk.walk(&t[..cut]);
            let then = walk.walk(t);
            assert_eq!(first.or(then), whole, "cut at {cut}");
        }
    }
}
