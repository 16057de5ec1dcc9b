//! The JSON grammar of the fast path: bytes, strings (found eight bytes at a time), numbers,
//! hex ids, nesting, and the OTLP value shapes (attributes, AnyValues) that every level shares.

use std::borrow::Cow;

use super::{Bail, Buffers, MAX_DEPTH, R};
use crate::decode::ingest::{parse_span_id, parse_trace_id};
use crate::decode::otlp::Reader;
use crate::model::intern::Sym;
use crate::model::{SpanId, TraceId};

pub(super) struct Scanner<'t> {
    pub(super) s: &'t str,
    pub(super) b: &'t [u8],
    pub(super) pos: usize,
    pub(super) buffers: Buffers,
}

use crate::decode::json_bytes::{zero_bytes, HI, LO};

/// Bytes that end the plain run of a JSON string: a quote, a backslash or a control character.
#[inline]
pub(super) fn specials(w: u64) -> u64 {
    zero_bytes(w ^ (LO * u64::from(b'"')))
        | zero_bytes(w ^ (LO * u64::from(b'\\')))
        | (w.wrapping_sub(LO * 0x20) & !w & HI)
}

/// The value of each byte as a hex digit, or 0xFF.
const HEX: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 256 {
        if let Some(v) = hex_digit(i as u8) {
            table[i] = v;
        }
        i += 1;
    }
    table
};

pub(super) const fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Exactly `2N` hex digits into `N` bytes.
#[inline]
pub(super) fn hex_id<const N: usize>(t: &str) -> Option<[u8; N]> {
    let t = t.as_bytes();
    if t.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(t.chunks_exact(2)) {
        let (hi, lo) = (HEX[pair[0] as usize], HEX[pair[1] as usize]);
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 0xF);
    }
    // Any digit that was not hex set the high bits.
    (bad & 0xF0 == 0).then_some(out)
}

pub(super) fn trace_id(t: &str) -> R<TraceId> {
    if let Some(id) = hex_id::<16>(t) {
        return Ok(TraceId(id));
    }
    match parse_trace_id(Some(t)) {
        Ok(Some(id)) => Ok(id),
        _ => Err(Bail),
    }
}

pub(super) fn span_id(t: &str) -> R<SpanId> {
    if let Some(id) = hex_id::<8>(t) {
        return Ok(SpanId(id));
    }
    match parse_span_id(Some(t)) {
        Ok(Some(id)) => Ok(id),
        _ => Err(Bail),
    }
}

/// One bit per field of an object, to refuse a field written twice (the typed reader fails on
/// it and reads the document span by span).
pub(super) struct Seen(pub(super) u32);

impl Seen {
    pub(super) fn first(&mut self, field: u32) -> R<()> {
        let bit = 1 << field;
        if self.0 & bit != 0 {
            return Err(Bail);
        }
        self.0 |= bit;
        Ok(())
    }
}

/// A span's scalar fields as read, before its ids are checked.
#[derive(Default)]
pub(super) struct Fields<'t> {
    pub(super) trace_id: Option<Cow<'t, str>>,
    pub(super) span_id: Option<Cow<'t, str>>,
    pub(super) parent_id: Option<Cow<'t, str>>,
    pub(super) name_at: Option<usize>,
}

impl<'t> Scanner<'t> {
    pub(super) fn new(text: &'t str, pos: usize) -> Scanner<'t> {
        Scanner {
            s: text,
            b: text.as_bytes(),
            pos,
            buffers: Buffers::default(),
        }
    }

    #[inline]
    pub(super) fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    pub(super) fn peek(&mut self) -> R<u8> {
        self.ws();
        self.b.get(self.pos).copied().ok_or(Bail)
    }

    #[inline]
    pub(super) fn eat(&mut self, c: u8) -> R<()> {
        if self.peek()? == c {
            self.pos += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// After a member or an element: true for `,`, false for the closing `close`.
    #[inline]
    pub(super) fn more(&mut self, close: u8) -> R<bool> {
        match self.peek()? {
            b',' => {
                self.pos += 1;
                Ok(true)
            }
            c if c == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(Bail),
        }
    }

    /// Consumes `null` if it comes next.
    #[inline]
    pub(super) fn null(&mut self) -> R<bool> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Ok(true);
        }
        Ok(false)
    }

    pub(super) fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Index of the first quote, backslash or control character at or after `from`.
    #[inline]
    pub(super) fn plain_run_end(&self, from: usize) -> usize {
        let b = self.b;
        let mut i = from;
        while i + 8 <= b.len() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&b[i..i + 8]);
            let hits = specials(u64::from_le_bytes(word));
            if hits != 0 {
                return i + (hits.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        while i < b.len() && !matches!(b[i], b'"' | b'\\' | 0..=0x1f) {
            i += 1;
        }
        i
    }

    /// A string: borrowed from the text when it has no escapes (`Some`), else unescaped into
    /// `out` (`None`). `out` is cleared first.
    pub(super) fn string_or_unescaped(&mut self, out: &mut String) -> R<Option<&'t str>> {
        self.eat(b'"')?;
        let start = self.pos;
        let end = self.plain_run_end(start);
        match self.b.get(end) {
            Some(b'"') => {
                self.pos = end + 1;
                Ok(Some(&self.s[start..end]))
            }
            Some(b'\\') => {
                out.clear();
                out.push_str(&self.s[start..end]);
                self.pos = end;
                self.escaped_rest(out)?;
                Ok(None)
            }
            _ => Err(Bail),
        }
    }

    /// A string, borrowed from the text when it has no escapes.
    pub(super) fn string(&mut self) -> R<Cow<'t, str>> {
        let mut out = String::new();
        Ok(match self.string_or_unescaped(&mut out)? {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(out),
        })
    }

    /// A string, interned (unescaped in a buffer kept from string to string).
    pub(super) fn string_sym(&mut self, reader: &mut Reader<'_, '_>) -> R<Sym> {
        let mut out = std::mem::take(&mut self.buffers.scratch);
        let read = self.string_or_unescaped(&mut out);
        let sym = read.map(|text| reader.ingest.intern(text.unwrap_or(&out)));
        self.buffers.scratch = out;
        sym
    }

    /// The rest of a string from a backslash at `pos`, through its closing quote.
    pub(super) fn escaped_rest(&mut self, out: &mut String) -> R<()> {
        loop {
            match self.b.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let c = *self.b.get(self.pos + 1).ok_or(Bail)?;
                    self.pos += 2;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let unit = self.hex4()?;
                            let code = match unit {
                                0xD800..=0xDBFF => {
                                    if self.b.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                        return Err(Bail);
                                    }
                                    self.pos += 2;
                                    let low = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&low) {
                                        return Err(Bail);
                                    }
                                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                                }
                                0xDC00..=0xDFFF => return Err(Bail),
                                _ => unit,
                            };
                            out.push(char::from_u32(code).ok_or(Bail)?);
                        }
                        _ => return Err(Bail),
                    }
                }
                Some(_) => {
                    let end = self.plain_run_end(self.pos);
                    if end == self.pos {
                        // A control character.
                        return Err(Bail);
                    }
                    out.push_str(&self.s[self.pos..end]);
                    self.pos = end;
                }
                None => return Err(Bail),
            }
        }
    }

    pub(super) fn hex4(&mut self) -> R<u32> {
        let digits = self.b.get(self.pos..self.pos + 4).ok_or(Bail)?;
        let mut v = 0u32;
        for &d in digits {
            v = (v << 4) | u32::from(hex_digit(d).ok_or(Bail)?);
        }
        self.pos += 4;
        Ok(v)
    }

    /// The extent of a JSON number at `pos`, and whether it is a plain integer.
    pub(super) fn number(&mut self) -> R<(usize, usize, bool)> {
        self.ws();
        let b = self.b;
        let start = self.pos;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => {
                i += 1;
                if b.get(i).is_some_and(u8::is_ascii_digit) {
                    return Err(Bail);
                }
            }
            Some(b'1'..=b'9') => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return Err(Bail),
        }
        let mut integer = true;
        if b.get(i) == Some(&b'.') {
            integer = false;
            i += 1;
            let digits = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == digits {
                return Err(Bail);
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            integer = false;
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let digits = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == digits {
                return Err(Bail);
            }
        }
        self.pos = i;
        Ok((start, i, integer))
    }

    /// Skips any JSON value, checking its syntax as the typed reader would.
    pub(super) fn skip(&mut self, depth: u32) -> R<()> {
        if depth > MAX_DEPTH {
            return Err(Bail);
        }
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => {
                self.pos += 1;
                if self.peek()? == b'}' {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.string()?;
                    self.eat(b':')?;
                    self.skip(depth + 1)?;
                    if !self.more(b'}')? {
                        return Ok(());
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                if self.peek()? == b']' {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip(depth + 1)?;
                    if !self.more(b']')? {
                        return Ok(());
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number().map(drop),
        }
    }

    /// Calls `member` for each key of an object (positioned after the key's colon).
    #[inline]
    pub(super) fn object(&mut self, mut member: impl FnMut(&mut Self, &str) -> R<()>) -> R<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Ok(());
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            member(self, &key)?;
            if !self.more(b'}')? {
                return Ok(());
            }
        }
    }

    /// An object that may be written `null` (read as empty, as the typed reader does).
    pub(super) fn object_or_null(&mut self, member: impl FnMut(&mut Self, &str) -> R<()>) -> R<()> {
        if self.null()? {
            return Ok(());
        }
        self.object(member)
    }

    /// Calls `element` for each element of an array, with its index. `null` is an empty array,
    /// as in the typed reader (Go's `encoding/json` writes a nil slice so).
    #[inline]
    pub(super) fn array(&mut self, mut element: impl FnMut(&mut Self, usize) -> R<()>) -> R<()> {
        if self.null()? {
            return Ok(());
        }
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.pos += 1;
            return Ok(());
        }
        let mut i = 0;
        loop {
            element(self, i)?;
            i += 1;
            if !self.more(b']')? {
                return Ok(());
            }
        }
    }

    /// An unsigned 64-bit number written as a number or a string of digits; absent for `null`
    /// and `""`.
    pub(super) fn u64_field(&mut self) -> R<u64> {
        match self.peek()? {
            b'"' => {
                let t = self.string()?;
                if t.is_empty() {
                    return Ok(0);
                }
                digits(t.as_bytes())
            }
            b'n' => self.literal(b"null").map(|()| 0),
            _ => {
                let (a, b, integer) = self.number()?;
                if !integer || self.b[a] == b'-' {
                    return Err(Bail);
                }
                digits(&self.b[a..b])
            }
        }
    }

    /// A text field: a string, or `null` for none.
    pub(super) fn text_field(&mut self, reader: &mut Reader<'_, '_>) -> R<Sym> {
        if self.null()? {
            return Ok(Sym::EMPTY);
        }
        self.string_sym(reader)
    }

    /// An id field: a string, or `null` for none.
    pub(super) fn id_field(&mut self) -> R<Option<Cow<'t, str>>> {
        if self.null()? {
            return Ok(None);
        }
        self.string().map(Some)
    }

    /// An enum written as a number or a name; `None` for `null`.
    pub(super) fn enum_field<T>(
        &mut self,
        from_number: fn(i64) -> T,
        from_name: fn(&str) -> Option<T>,
    ) -> R<Option<T>> {
        match self.peek()? {
            b'"' => {
                let t = self.string()?;
                match t.trim().parse::<i64>() {
                    Ok(n) => Ok(Some(from_number(n))),
                    Err(_) => from_name(&t).map(Some).ok_or(Bail),
                }
            }
            b'n' => self.literal(b"null").map(|()| None),
            _ => {
                let (a, b, integer) = self.number()?;
                if !integer {
                    return Err(Bail);
                }
                let n = self.s[a..b].parse::<i64>().map_err(|_| Bail)?;
                Ok(Some(from_number(n)))
            }
        }
    }
}

/// Decimal digits into a u64 (no sign, no spaces, no overflow).
pub(super) fn digits(t: &[u8]) -> R<u64> {
    if t.is_empty() || t.len() > 20 {
        return Err(Bail);
    }
    let mut v = 0u64;
    for &d in t {
        if !d.is_ascii_digit() {
            return Err(Bail);
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(Bail)?;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_runs_stop_at_quotes_backslashes_and_control_characters() {
        for (text, end) in [
            ("abcdefghijkl\"", 12),
            ("abc\\\"", 3),
            ("abcdefgh\nx\"", 8),
            ("\"", 0),
            ("日本語のテキスト\"", "日本語のテキスト".len()),
            ("abcdefghijklmnopq", 17),
        ] {
            let sc = Scanner::new(text, 0);
            assert_eq!(sc.plain_run_end(0), end, "{text:?}");
        }
    }

    #[test]
    fn escapes_read_as_serde_json_reads_them() {
        for json in [
            r#""a\"b\\c\/d\b\f\n\r\t""#,
            r#""\u00e9\u0000 \ud83d\ude00 plain after""#,
            r#""multi \n escapes \u2028 in one \"string\"""#,
        ] {
            let mut sc = Scanner::new(json, 0);
            let ours = sc.string().expect("reads");
            let theirs: String = serde_json::from_str(json).expect("serde");
            assert_eq!(ours, theirs);
            assert_eq!(sc.pos, json.len());
        }
        for bad in [
            r#""\ud83d alone""#,
            r#""\x""#,
            "\"tab\tinside\"",
            r#""open"#,
        ] {
            let mut sc = Scanner::new(bad, 0);
            assert!(sc.string().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hex_ids_take_exactly_their_digits() {
        assert_eq!(
            hex_id::<8>("0123456789abcdeF"),
            Some([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])
        );
        for bad in [
            "012345678gabcdef",
            "0123456789abcde",
            "0123456789abcdef0",
            "0123456789abcd\u{e9}",
        ] {
            assert_eq!(hex_id::<8>(bad), None, "{bad}");
        }
        assert_eq!(hex_id::<8>("01234567 9abcdef"), None);
        assert_eq!(hex_id::<1>("/:"), None);
        assert_eq!(hex_id::<1>("@G"), None);
    }

    #[test]
    fn numbers_follow_the_json_grammar() {
        for (text, ok) in [
            ("0", true),
            ("-12.5e+3", true),
            ("1763769600000000000", true),
            ("01", false),
            ("1.", false),
            ("-", false),
            ("1e", false),
        ] {
            let mut sc = Scanner::new(text, 0);
            let read = sc.number();
            assert_eq!(read.is_ok() && sc.pos == text.len(), ok, "{text}");
        }
    }
}
