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

mod scanner;
mod values;

use crate::decode::ingest::count_u64;
use crate::decode::otlp::{Place, Reader};
use crate::model::intern::Sym;
use crate::model::{
    Event, KeyValue, Link, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId,
};
use scanner::{span_id, trace_id, Fields, Scanner, Seen};

/// The fast path does not read this document; the typed reader will.
#[derive(Debug)]
pub(in crate::decode) struct Bail;

pub(in crate::decode) type R<T> = Result<T, Bail>;

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

/// Reads the resourceSpans element (an object) at `pos` of a document's list, the `ri`th;
/// returns where it ends. For a document read as its text arrives, one element at a time.
pub(in crate::decode) fn resource_spans_at(
    reader: &mut Reader<'_, '_>,
    text: &str,
    (pos, ri): (usize, usize),
    buffers: &mut Buffers,
) -> R<usize> {
    let mut sc = Scanner::new(text, pos);
    sc.buffers = std::mem::take(buffers);
    let read = sc.resource_spans(reader, ri);
    *buffers = sc.buffers;
    read.map(|()| sc.pos)
}

/// Reads the rest of a document whose first member, its list of resourceSpans, was read up to
/// its closing bracket (at `pos - 1`): as [`document`] goes on after that member.
pub(in crate::decode) fn document_rest(
    reader: &mut Reader<'_, '_>,
    text: &str,
    pos: usize,
    buffers: &mut Buffers,
) -> R<(bool, usize)> {
    let mut sc = Scanner::new(text, pos);
    sc.buffers = std::mem::take(buffers);
    let mut seen = Seen(1);
    let mut found = true;
    let mut rest = || -> R<()> {
        while sc.more(b'}')? {
            let key = sc.string()?;
            sc.eat(b':')?;
            sc.document_member(reader, &key, (&mut seen, &mut found), 0)?;
        }
        Ok(())
    };
    let read = rest();
    *buffers = std::mem::take(&mut sc.buffers);
    read.map(|()| (found, sc.pos))
}

/// What the scanner reuses from span to span and from document to document (a JSON Lines file
/// is a document per line, often a span per line).
#[derive(Default)]
pub(in crate::decode) struct Buffers {
    /// Text of a string with escapes, before it is interned.
    pub(super) scratch: String,
    /// Attribute lists being read (one per nesting level), emptied after each use.
    pub(super) values: Vec<Vec<KeyValue>>,
}

impl Scanner<'_> {
    /// A document: `resourceSpans` (or `batches`), possibly inside `trace` or `result`.
    fn document(&mut self, reader: &mut Reader<'_, '_>, depth: u32) -> R<bool> {
        if depth > 4 {
            return Err(Bail);
        }
        let mut found = false;
        let mut seen = Seen(0);
        self.object(|sc, k| sc.document_member(reader, k, (&mut seen, &mut found), depth))?;
        Ok(found)
    }

    /// One member of a document (its key `k` read, positioned after the colon).
    fn document_member(
        &mut self,
        reader: &mut Reader<'_, '_>,
        k: &str,
        (seen, found): (&mut Seen, &mut bool),
        depth: u32,
    ) -> R<()> {
        match k {
            "resourceSpans" | "resource_spans" | "batches" => {
                seen.first(0)?;
                *found = true;
                if !self.null()? {
                    self.array(|sc, ri| sc.resource_spans(reader, ri))?;
                }
            }
            "trace" | "result" => {
                seen.first(1)?;
                if !self.null()? {
                    *found |= self.document(reader, depth + 1)?;
                }
            }
            _ => self.skip(1)?,
        }
        Ok(())
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
            resource,
            scope,
            ..Span::new(TraceId::default(), SpanId::default(), Sym::EMPTY)
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
