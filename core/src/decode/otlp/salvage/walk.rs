//! The walk through a damaged document: containers followed by the keys that lead to spans,
//! each span taken whole as text and read on its own, and reading resumed past damage.

use super::*;
use crate::decode::json_bytes;

impl<'t> Walk<'t, '_, '_> {
    /// Reports progress at byte `at` when enough spans were read or bytes walked since the last
    /// report (the walk of a large damaged document takes seconds in the browser).
    fn report(&mut self, at: usize) {
        let spans = self.ingest.session.spans.len();
        if spans >= self.next_report.0 || at >= self.next_report.1 {
            self.next_report = (spans + REPORT_EVERY, at + REPORT_BYTES);
            (self.progress)(at.min(self.end), self.ingest.session);
        }
    }

    fn ws(&self, mut i: usize) -> usize {
        while i < self.end && self.b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    }

    /// The end (after the closing quote) of the string whose opening quote is at `i`; `None`
    /// when the region ends first.
    fn string_end(&self, i: usize, to: usize) -> Option<usize> {
        json_bytes::string_end(&self.b[..to], i + 1)
    }

    /// The end of the value at `i`: a string, an object or array (brackets matched outside
    /// strings, whatever their kind), or a scalar up to the next delimiter. `None` when the
    /// region ends first.
    fn value_end(&self, i: usize) -> Option<usize> {
        self.value_end_to(i, self.end)
    }

    /// [`Walk::value_end`], looking no further than `to`.
    fn value_end_to(&self, i: usize, to: usize) -> Option<usize> {
        match self.b.get(i)? {
            b'"' => self.string_end(i, to),
            b'{' | b'[' => json_bytes::container_end(&self.b[..to], i),
            _ => {
                let mut j = i;
                while j < self.end && !matches!(self.b[j], b',' | b'}' | b']' | b'"' | b'{' | b'[')
                {
                    if self.b[j].is_ascii_whitespace() {
                        break;
                    }
                    j += 1;
                }
                Some(j.max(i + 1))
            }
        }
    }

    /// Where the next span seems to begin after `from` and before `to`: an object whose first
    /// key is a trace or span id, as every OTLP writer orders a span's fields, with a name or a
    /// start time before its first nested object or array (which a link has not).
    fn next_span_start(&self, from: usize, to: usize) -> Option<usize> {
        const FIRST: [&[u8]; 4] = [
            b"\"traceId\"",
            b"\"trace_id\"",
            b"\"spanId\"",
            b"\"span_id\"",
        ];
        const SPAN: [&[u8]; 3] = [
            b"\"name\"",
            b"\"startTimeUnixNano\"",
            b"\"start_time_unix_nano\"",
        ];
        // A span's first members when a tool sorted its keys (`jq -S`, `sort_keys=True`).
        const SORTED_FIRST: [&[u8]; 7] = [
            b"\"attributes\"",
            b"\"droppedAttributesCount\"",
            b"\"dropped_attributes_count\"",
            b"\"endTimeUnixNano\"",
            b"\"end_time_unix_nano\"",
            b"\"events\"",
            b"\"flags\"",
        ];
        let mut i = from;
        while i < to {
            let at = i + memchr::memchr(b'{', &self.b[i..to])?;
            let k = self.ws(at + 1);
            let rest = &self.b[k..self.end];
            if FIRST.iter().any(|key| rest.starts_with(key)) {
                // Its members before its first nested value or its end (a link, whose keys a
                // tool sorted, ends before its span's name).
                let head = memchr::memchr3(b'{', b'[', b'}', rest).map_or(rest, |n| &rest[..n]);
                if SPAN
                    .iter()
                    .any(|key| memchr::memmem::find(head, key).is_some())
                {
                    return Some(at);
                }
            } else if SORTED_FIRST.iter().any(|key| rest.starts_with(key)) && self.holds_a_span(at)
            {
                return Some(at);
            }
            i = at + 1;
        }
        None
    }

    /// Whether the object opening at `at` has, among its own members (not those of the objects
    /// inside it), a span id and a name or start time: a span whose keys were sorted, so that
    /// its ids come after its attributes. Looks no further than 64 KB, and within what is left
    /// of the walk's budget for this.
    fn holds_a_span(&self, at: usize) -> bool {
        let Some(keys) =
            crate::decode::recover::resync::own_keys(&self.b[..self.end], at, &self.sorted_budget)
        else {
            return false;
        };
        let has = |names: &[&[u8]]| keys.iter().any(|k| names.contains(k));
        has(&[b"spanId", b"span_id"])
            && has(&[b"name", b"startTimeUnixNano", b"start_time_unix_nano"])
    }

    /// [`Walk::next_span_start`] to the end of the region, remembering the last answer: no
    /// span starts between where that search began and what it found, so the searches of a
    /// whole walk read the region once.
    fn next_span(&self, from: usize) -> Option<usize> {
        let (searched, found) = self.last_search.get();
        if from >= searched && found.is_none_or(|n| from <= n) {
            return found;
        }
        let found = self.next_span_start(from, self.end);
        self.last_search.set((from, found));
        found
    }

    /// Whether `a..b` is JSON as it is or once repaired.
    fn is_json(&self, a: usize, b: usize) -> bool {
        let text = &self.text[a..b];
        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
            || serde_json::from_str::<serde::de::IgnoredAny>(&repair(text)).is_ok()
    }

    /// Walks from `start` to the end of the region; returns where it stopped.
    pub(super) fn run(&mut self, start: usize) -> usize {
        // Open objects and arrays, with the key met last in each object.
        let mut stack: Vec<(Role, Option<&str>)> = Vec::new();
        let mut i = start;
        loop {
            i = self.ws(i);
            if i >= self.end {
                break;
            }
            let c = self.b[i];
            let top = stack.last().map(|&(role, _)| role);
            match c {
                b'{' | b'[' => {
                    let key = stack.last().and_then(|&(_, key)| key);
                    let role = child_role(top, key, c);
                    match role {
                        Role::Spans if c == b'{' => {
                            // A span, taken whole.
                            self.report(i);
                            match self.span(i) {
                                Next::At(e) => i = e,
                                Next::Resync(at, level) => {
                                    self.resync(&mut stack, level);
                                    i = at;
                                }
                            }
                            continue;
                        }
                        Role::Other if top.is_some() => {
                            // The resource, the scope, or anything else: taken whole.
                            let kept =
                                matches!((top, key), (Some(Role::ResourceSpans), Some("resource")))
                                    || (top == Some(Role::ScopeSpans)
                                        && key.is_some_and(crate::decode::otlp::is_scope_key));
                            // Nothing before the next span holds it: it ends before it.
                            let n = self.next_span(i + 1).unwrap_or(self.end);
                            let extent = self.value_end_to(i, n);
                            let whole = extent.filter(|&e| !kept || self.is_json(i, e));
                            let Some(e) = whole else {
                                // Damaged (or cut off): the walk takes up again at the first
                                // key of a new scope or resource before the next span.
                                if let Some((at, level)) = self.boundary(i + 1, n) {
                                    if kept {
                                        let place = self.at(i);
                                        self.ingest.warn(
                                            place.to_string(),
                                            format!(
                                                "{} not valid JSON: its spans are kept without it",
                                                if key == Some("resource") {
                                                    "resource"
                                                } else {
                                                    "scope"
                                                }
                                            ),
                                        );
                                    }
                                    self.resync(&mut stack, level);
                                    i = at;
                                    continue;
                                }
                                match extent {
                                    Some(e) => {
                                        i = e;
                                        continue;
                                    }
                                    None => {
                                        self.out.cut_at = Some(i);
                                        i = self.end;
                                        break;
                                    }
                                }
                            };
                            if let Some(Role::ResourceSpans) = top {
                                if key == Some("resource") {
                                    if let Some(p) = self.pending.last_mut() {
                                        p.resource = Some((i, e));
                                    }
                                }
                            }
                            if let Some(Role::ScopeSpans) = top {
                                if key.is_some_and(crate::decode::otlp::is_scope_key) {
                                    if let Some(g) =
                                        self.pending.last_mut().and_then(|p| p.groups.last_mut())
                                    {
                                        g.scope = Some((i, e));
                                    }
                                }
                            }
                            if let Some(last) = stack.last_mut() {
                                last.1 = None;
                            }
                            i = e;
                            continue;
                        }
                        Role::ResourceSpansList => self.out.found = true,
                        role => self.opened(role),
                    }
                    if let Some(last) = stack.last_mut() {
                        last.1 = None;
                    }
                    stack.push((role, None));
                    i += 1;
                }
                b'}' | b']' => {
                    if let Some((role, _)) = stack.pop() {
                        if role == Role::ResourceSpans {
                            self.flush();
                            self.report(i);
                        }
                    }
                    i += 1;
                    if stack.is_empty() {
                        // A document closed; another may follow in the region.
                        continue;
                    }
                }
                b'"' => {
                    let Some(e) = self.string_end(i, self.end) else {
                        i = self.end;
                        break;
                    };
                    let after = self.ws(e);
                    if self.b.get(after) == Some(&b':') && after < self.end {
                        // A key: it decides the role of the value after it.
                        let key = &self.text[i + 1..e - 1];
                        if let Some(last) = stack.last_mut() {
                            last.1 = Some(key);
                        }
                        i = after + 1;
                    } else {
                        if let Some(last) = stack.last_mut() {
                            last.1 = None;
                        }
                        i = e;
                    }
                }
                _ => {
                    // A scalar, a comma, or bytes that are not JSON: stepped over.
                    if c != b',' && c != b':' {
                        if let Some(last) = stack.last_mut() {
                            last.1 = None;
                        }
                    }
                    i = self.value_end(i).unwrap_or(self.end);
                }
            }
        }
        if !stack.is_empty() && self.out.cut_at.is_none() {
            self.out.cut_at = Some(self.end);
        }
        while !self.pending.is_empty() {
            self.flush();
        }
        i.max(start + 1).min(self.b.len())
    }

    /// The span whose `{` is at `i`: recorded with its resourceSpans and scopeSpans, to be read
    /// when they close. Says where the walk goes on.
    fn span(&mut self, i: usize) -> Next {
        // A span holds no other span: it ends before the next one starts.
        let n = self.next_span(i + 1);
        let extent = self.value_end_to(i, n.unwrap_or(self.end));
        let (e, next) = match extent.filter(|&e| self.is_json(i, e)) {
            Some(e) => (e, Next::At(e)),
            None => {
                // Its brackets do not close (the document was cut off inside it), or what they
                // hold is not JSON (a lost quote or bracket, which also misleads bracket
                // matching): it ends where the next span begins, or before the first key of a
                // new scope or resource on the way there, where the walk takes up again.
                match n {
                    Some(n) => match self.boundary(i + 1, n) {
                        Some((at, level)) => (at, Next::Resync(at, level)),
                        None => (n, Next::At(n)),
                    },
                    None => match extent {
                        Some(e) => (e, Next::At(e)),
                        None => {
                            self.out.cut_at = Some(i);
                            return Next::At(self.end);
                        }
                    },
                }
            }
        };
        if self.pending.is_empty() {
            self.pending.push(Pending::default());
        }
        let pending = self.pending.last_mut().expect("pushed above");
        if pending.groups.is_empty() {
            pending.groups.push(Group::default());
        }
        if let Some(g) = pending.groups.last_mut() {
            g.spans.push((i, e));
        }
        next
    }

    /// The first key in `from..to` that opens a new document, resource or scope (a key: a
    /// string followed by a colon), and the level it belongs to.
    fn boundary(&self, from: usize, to: usize) -> Option<(usize, Level)> {
        let mut i = from;
        while i < to {
            let q = i + memchr::memchr(b'"', &self.b[i..to])?;
            let close = q + 1 + memchr::memchr(b'"', &self.b[q + 1..to])?;
            let key = &self.text[q + 1..close];
            let colon = self.ws(close + 1);
            if self.b.get(colon) == Some(&b':') {
                let level = match key {
                    "resourceSpans" | "resource_spans" | "batches" => Some(Level::Document),
                    "resource" => Some(Level::Resource),
                    k if crate::decode::otlp::is_scope_spans_key(k) => Some(Level::Resource),
                    "spans" => Some(Level::Scope),
                    k if crate::decode::otlp::is_scope_key(k) => Some(Level::Scope),
                    _ => None,
                };
                if let Some(level) = level {
                    return Some((q, level));
                }
            }
            i = q + 1;
        }
        None
    }

    /// Closes what is open down to the list that holds `level`'s objects and opens a new
    /// object of that level in it, as if the damage before had closed properly.
    fn resync(&mut self, stack: &mut Vec<(Role, Option<&str>)>, level: Level) {
        let (list, item) = match level {
            Level::Document => (None, Role::Document),
            Level::Resource => (Some(Role::ResourceSpansList), Role::ResourceSpans),
            Level::Scope => (Some(Role::ScopeSpansList), Role::ScopeSpans),
        };
        while let Some(&(role, _)) = stack.last() {
            if Some(role) == list {
                break;
            }
            stack.pop();
            if role == Role::ResourceSpans {
                self.flush();
            }
        }
        if stack.is_empty() {
            // The list is not open (the damage hid it): start over from a document.
            while !self.pending.is_empty() {
                self.flush();
            }
            match level {
                Level::Document => {}
                Level::Resource => {
                    stack.push((Role::Document, None));
                    stack.push((Role::ResourceSpansList, None));
                }
                Level::Scope => {
                    stack.push((Role::Document, None));
                    stack.push((Role::ResourceSpansList, None));
                    stack.push((Role::ResourceSpans, None));
                    stack.push((Role::ScopeSpansList, None));
                    self.pending.push(Pending::default());
                }
            }
        }
        self.opened(item);
        stack.push((item, None));
    }

    /// A resourceSpans or scopeSpans opened: what its spans will be read with starts.
    fn opened(&mut self, role: Role) {
        match role {
            Role::ResourceSpans => self.pending.push(Pending::default()),
            Role::ScopeSpans => {
                if self.pending.is_empty() {
                    self.pending.push(Pending::default());
                }
                if let Some(p) = self.pending.last_mut() {
                    p.groups.push(Group::default());
                }
            }
            _ => {}
        }
    }

    /// Reads the innermost pending resourceSpans: its resource, scopes and spans.
    fn flush(&mut self) {
        let Some(p) = self.pending.pop() else { return };
        let mut fixed = String::new();
        let raw: RawResource = self.part(p.resource, &mut fixed, "resource");
        let resource = self.ingest.resource(raw);
        for g in p.groups {
            let mut fixed = String::new();
            let raw: RawScope = self.part(g.scope, &mut fixed, "scope");
            let scope = self.ingest.scope(raw);
            for (a, b) in g.spans {
                let at = self.at(a);
                let mut fixed = String::new();
                match read::<RawSpan>(self.slice(a, b), &mut fixed) {
                    Ok((raw, _)) if raw.trace_id.0.is_none() && raw.span_id.0.is_none() => {
                        // Walked into after damage that hid where it was: not a span.
                        self.out.skipped += 1;
                        self.ingest.warn(
                            at.to_string(),
                            "an object with no trace or span id where a span was expected: skipped"
                                .into(),
                        );
                    }
                    Ok((raw, repaired)) => {
                        self.ingest.span(raw, resource, scope, &at);
                        self.out.spans += 1;
                        self.out.repaired += usize::from(repaired);
                    }
                    Err(e) => {
                        self.out.skipped += 1;
                        self.ingest.warn(
                            at.to_string(),
                            format!("span skipped: not valid JSON even when repaired ({e})"),
                        );
                    }
                }
            }
        }
    }

    /// The resource or scope at `place`: read (repaired if need be), or else none, said.
    fn part<'x, T: serde::Deserialize<'x> + Default>(
        &mut self,
        place: Option<(usize, usize)>,
        fixed: &'x mut String,
        what: &str,
    ) -> T
    where
        't: 'x,
    {
        let Some((a, b)) = place else {
            return T::default();
        };
        match read::<T>(self.slice(a, b), fixed) {
            Ok((part, repaired)) => {
                self.out.repaired += usize::from(repaired);
                part
            }
            Err(e) => {
                let at = self.at(a);
                self.ingest.warn(
                    at.to_string(),
                    format!("unreadable {what} ({e}); its spans are kept without it"),
                );
                T::default()
            }
        }
    }

    fn at(&mut self, byte: usize) -> At {
        let (line, _) = self.lines.position(self.b, byte);
        At {
            line,
            byte: self.ingest.origin.byte + byte,
        }
    }

    /// The text of `a..b`, without a trailing comma.
    fn slice(&self, a: usize, b: usize) -> &'t str {
        let text: &'t str = self.text;
        text[a..b].trim_end_matches(|c: char| c == ',' || c.is_whitespace())
    }
}
