//! The typed reader: serde seeds that walk an OTLP/JSON document and hand each span to the
//! session as it is read, so no struct of the whole document is ever built.

use super::*;

/// Where a span sits in the file; formatted only when a warning needs it.
pub(super) struct Place {
    pub(super) line: usize,
    pub(super) resource: usize,
    pub(super) scope: usize,
    pub(super) span: usize,
}

impl Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, resourceSpans[{}].scopeSpans[{}].spans[{}]",
            self.line, self.resource, self.scope, self.span
        )
    }
}

/// What the streaming reader of one document carries along.
pub(super) struct Reader<'r, 's> {
    pub(super) ingest: &'r mut Ingest<'s>,
    pub(super) line: usize,
    /// Address and length of the text, to turn borrowed strings into byte offsets for progress.
    pub(super) base: usize,
    pub(super) len: usize,
    /// The length of the whole file (the text may be a window of it).
    pub(super) file_len: usize,
    pub(super) progress: &'r mut dyn FnMut(usize, &Session),
    pub(super) next_report: usize,
}

impl<'r, 's> Reader<'r, 's> {
    /// A reader of `text` (the whole file, or a window of a file of `file_len` bytes) for the
    /// document starting on `line`.
    pub(super) fn new(
        ingest: &'r mut Ingest<'s>,
        text: &str,
        line: usize,
        file_len: usize,
        progress: &'r mut dyn FnMut(usize, &Session),
    ) -> Reader<'r, 's> {
        Reader {
            ingest,
            line,
            base: text.as_ptr() as usize,
            len: text.len(),
            file_len,
            progress,
            next_report: REPORT_EVERY,
        }
    }

    pub(super) fn span(&mut self, raw: RawSpan<'_>, resource: u32, scope: u32, place: &Place) {
        let at = match &raw.name.0 {
            Some(Cow::Borrowed(name)) => Some((name.as_ptr() as usize).wrapping_sub(self.base)),
            _ => None,
        };
        self.ingest.span(raw, resource, scope, place);
        self.report(at);
    }

    /// The spans the whole text holds, by the share of it read (`at` bytes) for `spans` spans.
    pub(super) fn spans_in_text(&self, spans: usize, at: usize) -> u64 {
        let read = self.ingest.origin.byte + at;
        let whole = self.file_len.max(read) as u128;
        u64::try_from(spans as u128 * whole / read.max(1) as u128).unwrap_or(u64::MAX)
    }

    /// Reports progress when enough spans were added since the last report; `at` is the byte
    /// offset of the span just read, when known.
    pub(super) fn report(&mut self, at: Option<usize>) {
        let spans = self.ingest.session.spans.len();
        if spans >= self.next_report {
            self.next_report = spans + REPORT_EVERY;
            if let Some(at) = at.filter(|&at| at <= self.len) {
                // The spans to expect, from the share of the text read, a little over.
                let expected = self.spans_in_text(spans, at) * 106 / 100;
                self.ingest.session.expected_spans = usize::try_from(expected).unwrap_or(0);
                (self.progress)(at, self.ingest.session);
            }
        }
    }
}

pub(super) fn is_scope_spans_key(key: &str) -> bool {
    matches!(
        key,
        "scopeSpans"
            | "scope_spans"
            | "instrumentationLibrarySpans"
            | "instrumentation_library_spans"
    )
}

pub(super) fn is_scope_key(key: &str) -> bool {
    matches!(
        key,
        "scope" | "instrumentationLibrary" | "instrumentation_library"
    )
}

/// Implements `DeserializeSeed` for a visitor of the document that is its own seed: it asks the
/// deserializer for `$how` (a map, a list, or any value) and visits what comes with itself.
macro_rules! self_seed {
    ($seed:ident, $value:ty, $how:ident) => {
        impl<'de> DeserializeSeed<'de> for $seed<'_, '_, '_> {
            type Value = $value;
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<$value, D::Error> {
                d.$how(self)
            }
        }
    };
}

/// A document: `resourceSpans` (or `batches`), possibly inside Tempo's `trace` or Jaeger v3's
/// `result`. Its value tells whether any list of resourceSpans was found.
pub(super) struct DocumentSeed<'a, 'r, 's>(pub(super) &'a mut Reader<'r, 's>);

self_seed!(DocumentSeed, bool, deserialize_map);

impl<'de> Visitor<'de> for DocumentSeed<'_, '_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OTLP/JSON document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let reader = self.0;
        let mut found = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "resourceSpans" | "resource_spans" | "batches" => {
                    map.next_value_seed(ListSeed {
                        reader: &mut *reader,
                        item: Item::ResourceSpans,
                    })?;
                    found = true;
                }
                "trace" | "result" => {
                    found |= map.next_value_seed(OptionalDocument(&mut *reader))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

/// A nested document, or null.
pub(super) struct OptionalDocument<'a, 'r, 's>(pub(super) &'a mut Reader<'r, 's>);

self_seed!(OptionalDocument, bool, deserialize_any);

impl<'de> Visitor<'de> for OptionalDocument<'_, '_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OTLP/JSON document")
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        DocumentSeed(self.0).visit_map(map)
    }
}

/// What a [`ListSeed`] holds.
#[derive(Clone, Copy)]
pub(super) enum Item {
    ResourceSpans,
    ScopeSpans { resource: u32, index: usize },
}

/// A list (or null) of resourceSpans, or of the scopeSpans of one resource.
pub(super) struct ListSeed<'a, 'r, 's> {
    pub(super) reader: &'a mut Reader<'r, 's>,
    pub(super) item: Item,
}

self_seed!(ListSeed, (), deserialize_any);

impl<'de> Visitor<'de> for ListSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            let seed = MapSeed {
                reader: &mut *self.reader,
                item: self.item,
                i,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
}

/// One resourceSpans or scopeSpans object, read so that spans are converted as they are met.
/// When the resource (or scope) comes after its spans, the spans wait until the end of the object.
pub(super) struct MapSeed<'a, 'r, 's> {
    pub(super) reader: &'a mut Reader<'r, 's>,
    pub(super) item: Item,
    pub(super) i: usize,
}

self_seed!(MapSeed, (), deserialize_map);

impl<'de> Visitor<'de> for MapSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reader = self.reader;
        match self.item {
            Item::ResourceSpans => {
                let ri = self.i;
                let mut resource = None;
                let mut waiting: Vec<RawScopeSpans<'de>> = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "resource" {
                        // `null` reads as no resource, as the typed fields do (`null_default`).
                        let raw: Option<RawResource<'de>> = map.next_value()?;
                        resource = Some(reader.ingest.resource(raw.unwrap_or_default()));
                    } else if is_scope_spans_key(&key) {
                        match resource {
                            Some(resource) => map.next_value_seed(ListSeed {
                                reader: &mut *reader,
                                item: Item::ScopeSpans {
                                    resource,
                                    index: ri,
                                },
                            })?,
                            None => {
                                let list: Option<Vec<RawScopeSpans<'de>>> = map.next_value()?;
                                waiting.extend(list.unwrap_or_default());
                            }
                        }
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                let resource =
                    resource.unwrap_or_else(|| reader.ingest.resource(RawResource::default()));
                for (si, ss) in waiting.into_iter().enumerate() {
                    let scope = reader.ingest.scope(ss.scope);
                    for (pi, span) in ss.spans.into_iter().enumerate() {
                        let place = Place {
                            line: reader.line,
                            resource: ri,
                            scope: si,
                            span: pi,
                        };
                        reader.span(span, resource, scope, &place);
                    }
                }
            }
            Item::ScopeSpans { resource, index } => {
                let mut scope = None;
                let mut waiting: Vec<RawSpan<'de>> = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if is_scope_key(&key) {
                        let raw: Option<RawScope<'de>> = map.next_value()?;
                        scope = Some(reader.ingest.scope(raw.unwrap_or_default()));
                    } else if key == "spans" {
                        match scope {
                            Some(scope) => map.next_value_seed(SpansSeed {
                                reader: &mut *reader,
                                resource,
                                scope,
                                place: (index, self.i),
                            })?,
                            None => {
                                let list: Option<Vec<RawSpan<'de>>> = map.next_value()?;
                                waiting.extend(list.unwrap_or_default());
                            }
                        }
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                let scope = scope.unwrap_or_else(|| reader.ingest.scope(RawScope::default()));
                for (pi, span) in waiting.into_iter().enumerate() {
                    let place = Place {
                        line: reader.line,
                        resource: index,
                        scope: self.i,
                        span: pi,
                    };
                    reader.span(span, resource, scope, &place);
                }
            }
        }
        Ok(())
    }
}

/// The spans of one scope, converted one by one as they are parsed.
pub(super) struct SpansSeed<'a, 'r, 's> {
    pub(super) reader: &'a mut Reader<'r, 's>,
    pub(super) resource: u32,
    pub(super) scope: u32,
    /// Index of the resourceSpans and of the scopeSpans, for warnings.
    pub(super) place: (usize, usize),
}

self_seed!(SpansSeed, (), deserialize_any);

impl<'de> Visitor<'de> for SpansSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of spans")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut pi = 0;
        while let Some(raw) = seq.next_element::<RawSpan<'de>>()? {
            let place = Place {
                line: self.reader.line,
                resource: self.place.0,
                scope: self.place.1,
                span: pi,
            };
            self.reader.span(raw, self.resource, self.scope, &place);
            pi += 1;
        }
        Ok(())
    }
}
