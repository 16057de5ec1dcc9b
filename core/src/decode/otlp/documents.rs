//! Where the documents of a file start and end: JSON Lines, concatenated documents, and the
//! line numbers of what a warning points at.

/// Where reading resumes after a document that is not valid JSON: the next line that opens a
/// document in its first column (JSON Lines, concatenated pretty-printed documents), else the end.
pub(super) fn next_document_start(text: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < text.len() {
        if text[i - 1] == b'\n' && matches!(text[i], b'{' | b'[') {
            return i;
        }
        i += 1;
    }
    text.len()
}

/// Line and column (1-based) of byte offsets met in increasing order, without counting from
/// the start each time.
#[derive(Default)]
pub(super) struct LineCounter {
    offset: usize,
    line: usize,
    /// Where the line holding `offset` starts.
    line_start: usize,
}

impl LineCounter {
    pub(super) fn position(&mut self, text: &[u8], offset: usize) -> (usize, usize) {
        if offset < self.offset || self.line == 0 {
            *self = LineCounter {
                offset: 0,
                line: 1,
                line_start: 0,
            };
        }
        let upto = offset.min(text.len());
        let seen = &text[self.offset..upto];
        if let Some(last) = memchr::memrchr(b'\n', seen) {
            self.line += memchr::memchr_iter(b'\n', seen).count();
            self.line_start = self.offset + last + 1;
        }
        self.offset = upto;
        (self.line, upto - self.line_start + 1)
    }
}

/// The end of the JSON object or array starting at `start` (already known to be valid JSON).
pub(super) fn json_extent(text: &[u8], start: usize) -> usize {
    crate::decode::json_bytes::container_end(text, start).unwrap_or(text.len())
}
