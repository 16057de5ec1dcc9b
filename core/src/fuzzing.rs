//! Entry points for the fuzz targets (core/fuzz): each runs one decoder on arbitrary bytes, then
//! the rest of the pipeline, so a panic anywhere after a strange input is found too.

use crate::decode;
use crate::layout::visible_rows;
use crate::model::Session;
use crate::snapshot::{Assembler, Snapshot};
use crate::tree::Forest;

fn pipeline(session: Session) {
    let forest = Forest::build(&session);
    for tree in &forest.traces {
        let rows = visible_rows(tree, &Default::default());
        assert_eq!(rows.len(), tree.nodes.len());
        for i in 0..tree.nodes.len() {
            let _ = crate::layout::bar(
                &session,
                tree,
                u32::try_from(i).unwrap_or(u32::MAX),
                crate::layout::Window::of_trace(tree),
            );
        }
    }
    let snapshot = Snapshot {
        session,
        forest,
        files: Vec::new(),
    };
    let mut assembler = Assembler::new();
    for part in snapshot.to_parts(7) {
        assert!(assembler.add(&part).is_ok());
    }
    assert!(assembler.finish().is_ok());
}

/// OTLP/JSON (and whatever JSON objects stream through its reader).
pub fn otlp(data: &[u8]) {
    let mut session = Session::default();
    decode::fuzz_otlp(&mut session, data);
    pipeline(session);
}

/// Jaeger JSON, as an array or an object.
pub fn jaeger(data: &[u8]) {
    let mut session = Session::default();
    decode::fuzz_jaeger(&mut session, data);
    pipeline(session);
}

/// Zipkin v2 JSON arrays.
pub fn zipkin(data: &[u8]) {
    let mut session = Session::default();
    decode::fuzz_zipkin(&mut session, data);
    pipeline(session);
}

/// Whatever a file may be: gzip, zstd, Collector frames, zip, JSON.
pub fn containers(data: &[u8]) {
    let mut session = Session::default();
    decode::decode_file(&mut session, "fuzz", data);
    pipeline(session);
}
