//! Where the documents of a file start and end: JSON Lines, concatenated documents, and the
//! line numbers of what a warning points at.

/// Where reading resumes after a document that is not valid JSON: the next line that opens a
/// document in its first column (JSON Lines, concatenated pretty-printed documents), else the end.
pub(in crate::decode) fn next_document_start(text: &[u8], start: usize) -> usize {
    // A candidate follows a newline at `start` or after (so it is past `start`).
    let mut from = start;
    while let Some(nl) = memchr::memchr(b'\n', text.get(from..).unwrap_or_default()) {
        let candidate = from + nl + 1;
        match text.get(candidate) {
            Some(b'{' | b'[') => return candidate,
            Some(_) => from = candidate,
            None => break,
        }
    }
    text.len()
}

/// Line and column (1-based) of byte offsets met in increasing order, without counting from
/// the start each time. The text may be a window of a file read in chunks: its first byte is
/// then at the file's position [`TextOrigin`], and positions are the file's.
#[derive(Default)]
pub(in crate::decode) struct LineCounter {
    origin: TextOrigin,
    offset: usize,
    line: usize,
    /// Where the line holding `offset` starts.
    line_start: usize,
}

/// Where a window of text starts in its file: the byte offset, and the line and column
/// (1-based) of its first byte. The default is the start of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::decode) struct TextOrigin {
    pub byte: usize,
    pub line: usize,
    pub column: usize,
}

impl Default for TextOrigin {
    fn default() -> TextOrigin {
        TextOrigin {
            byte: 0,
            line: 1,
            column: 1,
        }
    }
}

impl LineCounter {
    /// A counter for a window starting at `origin`.
    pub(in crate::decode) fn from(origin: TextOrigin) -> LineCounter {
        LineCounter {
            origin,
            ..LineCounter::default()
        }
    }

    pub(in crate::decode) fn position(&mut self, text: &[u8], offset: usize) -> (usize, usize) {
        if offset < self.offset || self.line == 0 {
            *self = LineCounter {
                origin: self.origin,
                offset: 0,
                line: self.origin.line,
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
        // On the window's first line, the part of that line before the window counts too.
        let before = if self.line == self.origin.line {
            self.origin.column - 1
        } else {
            0
        };
        (self.line, upto - self.line_start + 1 + before)
    }
}

/// The end of the JSON object or array starting at `start` (already known to be valid JSON).
pub(super) fn json_extent(text: &[u8], start: usize) -> usize {
    crate::decode::json_bytes::container_end(text, start).unwrap_or(text.len())
}
