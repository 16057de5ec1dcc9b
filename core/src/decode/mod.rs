//! Decoders: bytes of a file in, spans into a [`Session`] out, with a [`Warning`] for everything
//! skipped or repaired. A decoder never panics and never gives up on a whole file because one part
//! of it is bad.

mod lenient;
mod otlp;

use crate::model::{Session, Warning};

/// What loading one file added to the session.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FileSummary {
    /// The file name as the user gave it.
    pub name: String,
    /// The format recognised, for the status line ("OTLP/JSON").
    pub format: &'static str,
    /// Spans added to the session (duplicates are counted later, when trees are built).
    pub spans: usize,
    /// Warnings this file added.
    pub warnings: usize,
    /// True when nothing in the file could be read as a trace.
    pub not_a_trace: bool,
}

/// Decodes one file into `session`. Content decides the format, not the name.
pub fn decode_file(session: &mut Session, name: &str, bytes: &[u8]) -> FileSummary {
    let spans_before = session.spans.len();
    let warnings_before = session.warnings.len();
    session.files.push(name.to_string());
    let format = otlp::decode(session, name, bytes);
    let spans = session.spans.len() - spans_before;
    if spans == 0 && format.is_none() && session.warnings.len() == warnings_before {
        session.warnings.push(Warning {
            source: name.to_string(),
            location: String::new(),
            reason: "not a trace file: no OTLP resourceSpans found".into(),
        });
    }
    FileSummary {
        name: name.to_string(),
        format: format.unwrap_or("unknown"),
        spans,
        warnings: session.warnings.len() - warnings_before,
        not_a_trace: spans == 0 && format.is_none(),
    }
}

/// Line and column (1-based) of a byte offset, for warnings that point into a file.
pub(crate) fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let upto = &bytes[..offset.min(bytes.len())];
    let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = upto.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}
