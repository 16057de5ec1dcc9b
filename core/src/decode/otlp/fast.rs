//! The fast path of the OTLP/JSON reader: a hand-written scanner for documents as SDKs, the
//! Collector and Logfire write them, converting each span straight into the model with no
//! intermediate structs. Strings are found eight bytes at a time, ids are read from their hex
//! digits in place, and keys are matched as they are read.
//!
//! It never guesses: at anything it does not expect (a wrong JSON type, an odd escape, a
//! resource written after its spans, an id that needs a warning, a duplicate field) it gives up
//! with [`Bail`], and the caller forgets what it added and reads the document with the lenient
//! typed reader, which handles and reports every such case. So the two paths read every
//! document the same way; `tests/fast_path.rs` and the `otlp_fast` fuzz target compare them.

use std::borrow::Cow;

use super::super::ingest::{count_u64, decode_base64, parse_span_id, parse_trace_id};
use super::{Place, Reader};
use crate::model::intern::Sym;
use crate::model::{
    Event, KeyValue, Link, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId, Value,
};

/// The fast path does not read this document; the typed reader will.
#[derive(Debug)]
pub(in crate::decode) struct Bail;

type R<T> = Result<T, Bail>;

/// Spans read before the room for the rest is estimated.
const RESERVE_AFTER: usize = 2048;

/// Deepest nesting the fast path follows (serde_json's own limit is 128).
const MAX_DEPTH: u32 = 64;

/// Reads the document starting at `start` (its first byte is not whitespace). Returns whether it
/// held resourceSpans and where it ends. `buffers` are kept from document to document.
pub(in crate::decode) fn document(
    reader: &mut Reader<'_, '_>,
    text: &str,
    start: usize,
    buffers: &mut Buffers,
) -> R<(bool, usize)> {
    let mut sc = Scanner::new(text, start);
    sc.buffers = std::mem::take(buffers);
    let found = sc.document(reader, 0);
    *buffers = sc.buffers;
    Ok((found?, sc.pos))
}

/// What the scanner reuses from span to span and from document to document (a JSON Lines file
/// is a document per line, often a span per line).
#[derive(Default)]
pub(in crate::decode) struct Buffers {
    /// Text of a string with escapes, before it is interned.
    scratch: String,
    /// Attribute lists being read (one per nesting level), emptied after each use.
    values: Vec<Vec<KeyValue>>,
}

struct Scanner<'t> {
    s: &'t str,
    b: &'t [u8],
    pos: usize,
    buffers: Buffers,
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bits set at the bytes of `w` that are zero (exact for the lowest such byte).
#[inline]
fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(LO) & !w & HI
}

/// Bytes that end the plain run of a JSON string: a quote, a backslash or a control character.
#[inline]
fn specials(w: u64) -> u64 {
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

const fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Exactly `2N` hex digits into `N` bytes.
#[inline]
fn hex_id<const N: usize>(t: &str) -> Option<[u8; N]> {
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

fn trace_id(t: &str) -> R<TraceId> {
    if let Some(id) = hex_id::<16>(t) {
        return Ok(TraceId(id));
    }
    match parse_trace_id(Some(t)) {
        Ok(Some(id)) => Ok(id),
        _ => Err(Bail),
    }
}

fn span_id(t: &str) -> R<SpanId> {
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
struct Seen(u32);

impl Seen {
    fn first(&mut self, field: u32) -> R<()> {
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
struct Fields<'t> {
    trace_id: Option<Cow<'t, str>>,
    span_id: Option<Cow<'t, str>>,
    parent_id: Option<Cow<'t, str>>,
    name_at: Option<usize>,
}

impl<'t> Scanner<'t> {
    fn new(text: &'t str, pos: usize) -> Scanner<'t> {
        Scanner {
            s: text,
            b: text.as_bytes(),
            pos,
            buffers: Buffers::default(),
        }
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    fn peek(&mut self) -> R<u8> {
        self.ws();
        self.b.get(self.pos).copied().ok_or(Bail)
    }

    #[inline]
    fn eat(&mut self, c: u8) -> R<()> {
        if self.peek()? == c {
            self.pos += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// After a member or an element: true for `,`, false for the closing `close`.
    #[inline]
    fn more(&mut self, close: u8) -> R<bool> {
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
    fn null(&mut self) -> R<bool> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Ok(true);
        }
        Ok(false)
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Index of the first quote, backslash or control character at or after `from`.
    #[inline]
    fn plain_run_end(&self, from: usize) -> usize {
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
    fn string_or_unescaped(&mut self, out: &mut String) -> R<Option<&'t str>> {
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
    fn string(&mut self) -> R<Cow<'t, str>> {
        let mut out = String::new();
        Ok(match self.string_or_unescaped(&mut out)? {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(out),
        })
    }

    /// A string, interned (unescaped in a buffer kept from string to string).
    fn string_sym(&mut self, reader: &mut Reader<'_, '_>) -> R<Sym> {
        let mut out = std::mem::take(&mut self.buffers.scratch);
        let read = self.string_or_unescaped(&mut out);
        let sym = read.map(|text| reader.ingest.intern(text.unwrap_or(&out)));
        self.buffers.scratch = out;
        sym
    }

    /// The rest of a string from a backslash at `pos`, through its closing quote.
    fn escaped_rest(&mut self, out: &mut String) -> R<()> {
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

    fn hex4(&mut self) -> R<u32> {
        let digits = self.b.get(self.pos..self.pos + 4).ok_or(Bail)?;
        let mut v = 0u32;
        for &d in digits {
            v = (v << 4) | u32::from(hex_digit(d).ok_or(Bail)?);
        }
        self.pos += 4;
        Ok(v)
    }

    /// The extent of a JSON number at `pos`, and whether it is a plain integer.
    fn number(&mut self) -> R<(usize, usize, bool)> {
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
    fn skip(&mut self, depth: u32) -> R<()> {
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
    fn object(&mut self, mut member: impl FnMut(&mut Self, &str) -> R<()>) -> R<()> {
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
    fn object_or_null(&mut self, member: impl FnMut(&mut Self, &str) -> R<()>) -> R<()> {
        if self.null()? {
            return Ok(());
        }
        self.object(member)
    }

    /// Calls `element` for each element of an array, with its index. `null` is an empty array,
    /// as in the typed reader (Go's `encoding/json` writes a nil slice so).
    #[inline]
    fn array(&mut self, mut element: impl FnMut(&mut Self, usize) -> R<()>) -> R<()> {
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
    fn u64_field(&mut self) -> R<u64> {
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
    fn text_field(&mut self, reader: &mut Reader<'_, '_>) -> R<Sym> {
        if self.null()? {
            return Ok(Sym::EMPTY);
        }
        self.string_sym(reader)
    }

    /// An id field: a string, or `null` for none.
    fn id_field(&mut self) -> R<Option<Cow<'t, str>>> {
        if self.null()? {
            return Ok(None);
        }
        self.string().map(Some)
    }

    /// An enum written as a number or a name; `None` for `null`.
    fn enum_field<T>(
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

    /// A list of KeyValues.
    fn attributes(&mut self, reader: &mut Reader<'_, '_>, depth: u32) -> R<Vec<KeyValue>> {
        if depth > MAX_DEPTH {
            return Err(Bail);
        }
        let level = depth as usize;
        while self.buffers.values.len() <= level {
            self.buffers.values.push(Vec::new());
        }
        let mut list = std::mem::take(&mut self.buffers.values[level]);
        list.clear();
        let read = self.array(|sc, _| {
            let kv = sc.key_value(reader, depth)?;
            list.push(kv);
            Ok(())
        });
        // Drained, not taken: the list keeps its capacity for the next span, and the span's own
        // vector is allocated once at its exact size.
        #[allow(clippy::drain_collect)]
        let out = read.map(|()| list.drain(..).collect());
        self.buffers.values[level] = list;
        out
    }

    fn key_value(&mut self, reader: &mut Reader<'_, '_>, depth: u32) -> R<KeyValue> {
        let (mut key, mut value) = (Sym::EMPTY, Value::Empty);
        let mut seen = Seen(0);
        self.object(|sc, k| {
            match k {
                "key" => {
                    seen.first(0)?;
                    key = sc.text_field(reader)?;
                }
                "value" => {
                    seen.first(1)?;
                    value = sc.any_value(reader, depth)?;
                }
                _ => sc.skip(depth + 1)?,
            }
            Ok(())
        })?;
        Ok(KeyValue { key, value })
    }

    /// An AnyValue object with one field (or none), or `null`.
    fn any_value(&mut self, reader: &mut Reader<'_, '_>, depth: u32) -> R<Value> {
        if depth > MAX_DEPTH {
            return Err(Bail);
        }
        if self.null()? {
            return Ok(Value::Empty);
        }
        let mut value = None;
        self.object(|sc, k| {
            if value.is_some() {
                return Err(Bail);
            }
            value = Some(match k {
                "stringValue" | "string_value" => {
                    if sc.null()? {
                        Value::Empty
                    } else {
                        Value::Str(sc.string_sym(reader)?)
                    }
                }
                "intValue" | "int_value" => Value::Int(sc.int_value()?),
                "boolValue" | "bool_value" => match sc.peek()? {
                    b't' => sc.literal(b"true").map(|()| Value::Bool(true))?,
                    b'f' => sc.literal(b"false").map(|()| Value::Bool(false))?,
                    _ => return Err(Bail),
                },
                "doubleValue" | "double_value" => Value::Double(sc.double_value()?),
                "bytesValue" | "bytes_value" => {
                    Value::Bytes(decode_base64(&sc.string()?).ok_or(Bail)?)
                }
                "arrayValue" | "array_value" => {
                    let mut items = Vec::new();
                    sc.values_object(depth, |sc| {
                        sc.array(|sc, _| {
                            items.push(sc.any_value(reader, depth + 1)?);
                            Ok(())
                        })
                    })?;
                    Value::Array(items)
                }
                "kvlistValue" | "kvlist_value" => {
                    let mut kvs = Vec::new();
                    sc.values_object(depth, |sc| {
                        kvs = sc.attributes(reader, depth + 1)?;
                        Ok(())
                    })?;
                    Value::KvList(kvs)
                }
                _ => return Err(Bail),
            });
            Ok(())
        })?;
        Ok(value.unwrap_or(Value::Empty))
    }

    /// `{"values": [...]}` of an array or kvlist value; `values` read by `list`.
    fn values_object(&mut self, depth: u32, mut list: impl FnMut(&mut Self) -> R<()>) -> R<()> {
        let mut seen = Seen(0);
        self.object(|sc, k| {
            if k == "values" {
                seen.first(0)?;
                list(sc)
            } else {
                sc.skip(depth + 1)
            }
        })
    }

    fn int_value(&mut self) -> R<i64> {
        if self.peek()? == b'"' {
            let t = self.string()?;
            return t.trim().parse::<i64>().map_err(|_| Bail);
        }
        let (a, b, integer) = self.number()?;
        if !integer {
            return Err(Bail);
        }
        self.s[a..b].parse::<i64>().map_err(|_| Bail)
    }

    fn double_value(&mut self) -> R<f64> {
        if self.peek()? == b'"' {
            let t = self.string()?;
            return match t.trim() {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                t => t.parse().map_err(|_| Bail),
            };
        }
        let (a, b, integer) = self.number()?;
        if integer && self.b[a..b].starts_with(b"-0") {
            // serde_json reads -0 as the float -0.0.
            return Err(Bail);
        }
        if integer {
            // As the typed reader: an integer that fits i64, converted.
            return self.s[a..b]
                .parse::<i64>()
                .map(|i| i as f64)
                .map_err(|_| Bail);
        }
        // serde_json's own float reading, so both paths give the very same bits.
        serde_json::from_str::<f64>(&self.s[a..b]).map_err(|_| Bail)
    }

    /// A document: `resourceSpans` (or `batches`), possibly inside `trace` or `result`.
    fn document(&mut self, reader: &mut Reader<'_, '_>, depth: u32) -> R<bool> {
        if depth > 4 {
            return Err(Bail);
        }
        let mut found = false;
        let mut seen = Seen(0);
        self.object(|sc, k| {
            match k {
                "resourceSpans" | "resource_spans" | "batches" => {
                    seen.first(0)?;
                    found = true;
                    if !sc.null()? {
                        sc.array(|sc, ri| sc.resource_spans(reader, ri))?;
                    }
                }
                "trace" | "result" => {
                    seen.first(1)?;
                    if !sc.null()? {
                        found |= sc.document(reader, depth + 1)?;
                    }
                }
                _ => sc.skip(1)?,
            }
            Ok(())
        })?;
        Ok(found)
    }

    fn resource_spans(&mut self, reader: &mut Reader<'_, '_>, ri: usize) -> R<()> {
        // Spans met before any resource get the default one; a resource written after them
        // is the typed reader's to apply (it holds such spans back).
        let mut resource = None;
        self.object(|sc, k| {
            match k {
                "resource" => {
                    if resource.is_some() {
                        return Err(Bail);
                    }
                    resource = Some(sc.resource(reader)?);
                }
                "scopeSpans"
                | "scope_spans"
                | "instrumentationLibrarySpans"
                | "instrumentation_library_spans" => {
                    let resource =
                        *resource.get_or_insert_with(|| reader.ingest.add_resource(Vec::new(), 0));
                    if !sc.null()? {
                        sc.array(|sc, si| sc.scope_spans(reader, resource, ri, si))?;
                    }
                }
                _ => sc.skip(2)?,
            }
            Ok(())
        })?;
        Ok(())
    }

    fn resource(&mut self, reader: &mut Reader<'_, '_>) -> R<u32> {
        let mut attributes = Vec::new();
        let mut dropped = 0;
        let mut seen = Seen(0);
        self.object_or_null(|sc, k| {
            match k {
                "attributes" => {
                    seen.first(0)?;
                    attributes = sc.attributes(reader, 0)?;
                }
                "droppedAttributesCount" | "dropped_attributes_count" => {
                    seen.first(1)?;
                    dropped = count_u64(sc.u64_field()?);
                }
                _ => sc.skip(3)?,
            }
            Ok(())
        })?;
        Ok(reader.ingest.add_resource(attributes, dropped))
    }

    fn scope_spans(
        &mut self,
        reader: &mut Reader<'_, '_>,
        resource: u32,
        ri: usize,
        si: usize,
    ) -> R<()> {
        // As with resources: spans before any scope get the default one.
        let mut scope = None;
        self.object(|sc, k| {
            match k {
                "scope" | "instrumentationLibrary" | "instrumentation_library" => {
                    if scope.is_some() {
                        return Err(Bail);
                    }
                    scope = Some(sc.scope(reader)?);
                }
                "spans" => {
                    let scope =
                        *scope.get_or_insert_with(|| reader.ingest.add_scope(Scope::default()));
                    if !sc.null()? {
                        sc.array(|sc, pi| {
                            let place = Place {
                                line: reader.line,
                                resource: ri,
                                scope: si,
                                span: pi,
                            };
                            sc.span(reader, resource, scope, &place)
                        })?;
                    }
                }
                _ => sc.skip(4)?,
            }
            Ok(())
        })?;
        Ok(())
    }

    fn scope(&mut self, reader: &mut Reader<'_, '_>) -> R<u32> {
        let mut scope = Scope {
            name: Sym::EMPTY,
            version: Sym::EMPTY,
            attributes: Vec::new(),
        };
        let mut seen = Seen(0);
        self.object_or_null(|sc, k| {
            match k {
                "name" => {
                    seen.first(0)?;
                    scope.name = sc.text_field(reader)?;
                }
                "version" => {
                    seen.first(1)?;
                    scope.version = sc.text_field(reader)?;
                }
                "attributes" => {
                    seen.first(2)?;
                    scope.attributes = sc.attributes(reader, 0)?;
                }
                _ => sc.skip(5)?,
            }
            Ok(())
        })?;
        Ok(reader.ingest.add_scope(scope))
    }

    fn span(
        &mut self,
        reader: &mut Reader<'_, '_>,
        resource: u32,
        scope: u32,
        place: &Place,
    ) -> R<()> {
        let mut f = Fields::default();
        let mut span = Span {
            trace_id: TraceId::default(),
            span_id: SpanId::default(),
            parent_id: None,
            trace_state: Sym::EMPTY,
            flags: 0,
            name: Sym::EMPTY,
            kind: SpanKind::Unspecified,
            start: 0,
            end: 0,
            attributes: Vec::new(),
            dropped_attributes: 0,
            events: Vec::new(),
            dropped_events: 0,
            links: Vec::new(),
            dropped_links: 0,
            status: Status::default(),
            resource,
            scope,
        };
        let mut seen = Seen(0);
        self.object(|sc, k| {
            match k {
                "traceId" | "trace_id" => {
                    seen.first(0)?;
                    f.trace_id = sc.id_field()?;
                }
                "spanId" | "span_id" => {
                    seen.first(1)?;
                    f.span_id = sc.id_field()?;
                }
                "parentSpanId" | "parent_span_id" => {
                    seen.first(2)?;
                    f.parent_id = sc.id_field()?;
                }
                "name" => {
                    seen.first(3)?;
                    sc.ws();
                    f.name_at = Some(sc.pos + 1);
                    span.name = sc.text_field(reader)?;
                }
                "kind" => {
                    seen.first(4)?;
                    span.kind = sc
                        .enum_field(SpanKind::from_number, SpanKind::from_name)?
                        .unwrap_or_default();
                }
                "startTimeUnixNano" | "start_time_unix_nano" => {
                    seen.first(5)?;
                    span.start = sc.u64_field()?;
                }
                "endTimeUnixNano" | "end_time_unix_nano" => {
                    seen.first(6)?;
                    span.end = sc.u64_field()?;
                }
                "attributes" => {
                    seen.first(7)?;
                    span.attributes = sc.attributes(reader, 0)?;
                }
                "events" => {
                    seen.first(8)?;
                    sc.array(|sc, _| {
                        let event = sc.event(reader)?;
                        span.events.push(event);
                        Ok(())
                    })?;
                }
                "links" => {
                    seen.first(9)?;
                    sc.array(|sc, _| {
                        let link = sc.link(reader)?;
                        span.links.push(link);
                        Ok(())
                    })?;
                }
                "status" => {
                    seen.first(10)?;
                    span.status = sc.status(reader)?;
                }
                "traceState" | "trace_state" => {
                    seen.first(11)?;
                    span.trace_state = sc.text_field(reader)?;
                }
                "flags" => {
                    seen.first(12)?;
                    span.flags = u32::try_from(sc.u64_field()?).unwrap_or(0);
                }
                "droppedAttributesCount" | "dropped_attributes_count" => {
                    seen.first(13)?;
                    span.dropped_attributes = count_u64(sc.u64_field()?);
                }
                "droppedEventsCount" | "dropped_events_count" => {
                    seen.first(14)?;
                    span.dropped_events = count_u64(sc.u64_field()?);
                }
                "droppedLinksCount" | "dropped_links_count" => {
                    seen.first(15)?;
                    span.dropped_links = count_u64(sc.u64_field()?);
                }
                _ => sc.skip(6)?,
            }
            Ok(())
        })?;
        // Ids that need a warning or a generated id are the typed reader's to report.
        span.trace_id = trace_id(f.trace_id.as_deref().ok_or(Bail)?)?;
        span.span_id = span_id(f.span_id.as_deref().ok_or(Bail)?)?;
        span.parent_id = match f.parent_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => Some(span_id(t)?).filter(|id| !id.is_zero()),
        };
        span.events.shrink_to_fit();
        span.links.shrink_to_fit();
        reader.ingest.push_span(span, place);
        let spans = reader.ingest.session.spans.len();
        if spans == RESERVE_AFTER {
            if let Some(at) = f.name_at.filter(|&at| at > 0) {
                // Room for the spans still to come, estimated from the share of the text read,
                // so the span index does not grow (and rehash) step by step.
                let expected = reader.spans_in_text(spans, at) * 11 / 10;
                let more = usize::try_from(expected).unwrap_or(0).saturating_sub(spans);
                reader.ingest.session.reserve_spans(more.min(1 << 26));
            }
        }
        reader.report(f.name_at);
        Ok(())
    }

    fn event(&mut self, reader: &mut Reader<'_, '_>) -> R<Event> {
        let mut event = Event {
            time: 0,
            name: Sym::EMPTY,
            attributes: Vec::new(),
            dropped_attributes: 0,
        };
        let mut seen = Seen(0);
        self.object(|sc, k| {
            match k {
                "timeUnixNano" | "time_unix_nano" => {
                    seen.first(0)?;
                    event.time = sc.u64_field()?;
                }
                "name" => {
                    seen.first(1)?;
                    event.name = sc.text_field(reader)?;
                }
                "attributes" => {
                    seen.first(2)?;
                    event.attributes = sc.attributes(reader, 0)?;
                }
                "droppedAttributesCount" | "dropped_attributes_count" => {
                    seen.first(3)?;
                    event.dropped_attributes = count_u64(sc.u64_field()?);
                }
                _ => sc.skip(7)?,
            }
            Ok(())
        })?;
        Ok(event)
    }

    fn link(&mut self, reader: &mut Reader<'_, '_>) -> R<Link> {
        let (mut tid, mut sid) = (None, None);
        let mut link = Link {
            trace_id: TraceId::default(),
            span_id: SpanId::default(),
            trace_state: Sym::EMPTY,
            attributes: Vec::new(),
            dropped_attributes: 0,
        };
        let mut seen = Seen(0);
        self.object(|sc, k| {
            match k {
                "traceId" | "trace_id" => {
                    seen.first(0)?;
                    tid = sc.id_field()?;
                }
                "spanId" | "span_id" => {
                    seen.first(1)?;
                    sid = sc.id_field()?;
                }
                "traceState" | "trace_state" => {
                    seen.first(2)?;
                    link.trace_state = sc.text_field(reader)?;
                }
                "attributes" => {
                    seen.first(3)?;
                    link.attributes = sc.attributes(reader, 0)?;
                }
                "droppedAttributesCount" | "dropped_attributes_count" => {
                    seen.first(4)?;
                    link.dropped_attributes = count_u64(sc.u64_field()?);
                }
                _ => sc.skip(7)?,
            }
            Ok(())
        })?;
        link.trace_id = trace_id(tid.as_deref().ok_or(Bail)?)?;
        link.span_id = span_id(sid.as_deref().ok_or(Bail)?)?;
        Ok(link)
    }

    fn status(&mut self, reader: &mut Reader<'_, '_>) -> R<Status> {
        let mut status = Status::default();
        let mut seen = Seen(0);
        self.object_or_null(|sc, k| {
            match k {
                "code" => {
                    seen.first(0)?;
                    status.code = sc
                        .enum_field(StatusCode::from_number, StatusCode::from_name)?
                        .unwrap_or_default();
                }
                "message" => {
                    seen.first(1)?;
                    status.message = sc.text_field(reader)?;
                }
                _ => sc.skip(7)?,
            }
            Ok(())
        })?;
        Ok(status)
    }
}

/// Decimal digits into a u64 (no sign, no spaces, no overflow).
fn digits(t: &[u8]) -> R<u64> {
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
