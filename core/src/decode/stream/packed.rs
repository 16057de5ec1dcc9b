//! Packed files read as they arrive: gzip and zstd decompressed as their bytes come, their
//! content read as JSON documents, a tar or whole; tar archives an entry at a time.

use super::json::JsonStream;
use super::{DROP_AFTER, HEAD};
use crate::decode::container::{decompress_warning, streams_as_json, unpacked, TarReader};
use crate::decode::container::{Retry, GZIP_DATA, MAX_EXPANDED, READ_PIECE};
use crate::model::{Session, Warning};

/// gzip bytes as they arrive, for the decompressor: it is handed them in pieces of the size it
/// asks for (its buffer's), as a whole file would hand them, and told to wait (`WouldBlock`)
/// until that many have come or the file has ended. So it meets the data, and any damage, in
/// the very steps of a whole read.
#[derive(Default)]
struct Pipe {
    buf: Vec<u8>,
    at: usize,
    finished: bool,
}

impl Pipe {
    fn add(&mut self, chunk: &[u8]) {
        if self.at > DROP_AFTER && self.at * 2 > self.buf.len() {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        self.buf.extend_from_slice(chunk);
    }
}

impl std::io::Read for Pipe {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.buf.len() - self.at;
        if available < out.len() && !self.finished {
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        let n = available.min(out.len());
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A gzip file decompressed as it arrives.
pub(super) struct Gunzip {
    decoder: flate2::read::MultiGzDecoder<Pipe>,
    /// The decompressed piece being read (of [`READ_PIECE`] bytes, as a whole read's).
    piece: Vec<u8>,
    /// Bytes decompressed so far.
    out: usize,
    /// Why decompressing stopped early (damage, or too large), said as a whole read says it.
    stopped: Option<Warning>,
    inner: Unpacked,
}

/// The decompressed bytes of a gzip or zstd file, read as they come as [`unpacked`] reads them
/// whole.
struct Unpacked {
    /// "gzip" or "zstd".
    packing: &'static str,
    inner: Inner,
    /// The session's warnings before this file.
    warnings_before: usize,
}

/// What the decompressed bytes are read as.
enum Inner {
    /// Their first bytes, until it is known.
    Head(Vec<u8>),
    /// JSON documents, read as they come.
    Json(Box<JsonStream>),
    /// A tar archive, read an entry at a time.
    Tar(Box<TarStream>),
    /// Anything else, read whole at the end.
    Whole(Vec<u8>),
}

impl Unpacked {
    fn new(packing: &'static str, warnings_before: usize) -> Unpacked {
        Unpacked {
            packing,
            inner: Inner::Head(Vec::new()),
            warnings_before,
        }
    }

    fn feed(
        &mut self,
        session: &mut Session,
        name: &str,
        bytes: &[u8],
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        match &mut self.inner {
            Inner::Head(head) => {
                head.extend_from_slice(bytes);
                if head.len() < HEAD {
                    return;
                }
                let head = std::mem::take(head);
                if crate::decode::container::packing(&head) == Some("tar") {
                    // As unpacked and decode_any read a tar, entry by entry.
                    self.inner = Inner::Tar(TarStream::start(session, name, &head, progress));
                    return;
                }
                match streams_as_json(&head) {
                    Some(in_array) => {
                        // As decode_any begins on the decompressed bytes.
                        session.note_origin(name);
                        let mut json = JsonStream::new(in_array, 0, self.warnings_before);
                        json.append(&head);
                        json.pump(session, name, false, progress);
                        self.inner = Inner::Json(json);
                    }
                    None => self.inner = Inner::Whole(head),
                }
            }
            Inner::Json(json) => {
                json.append(bytes);
                json.pump(session, name, false, progress);
            }
            Inner::Tar(tar) => tar.feed(session, name, bytes, progress),
            Inner::Whole(all) => all.extend_from_slice(bytes),
        }
    }

    /// Reads the rest; the format of what was read ("gzip: OTLP/JSON").
    fn finish(
        self,
        session: &mut Session,
        name: &str,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Option<String> {
        let packing = self.packing;
        match self.inner {
            Inner::Head(bytes) | Inner::Whole(bytes) => {
                unpacked(session, name, packing, &bytes, progress)
            }
            Inner::Json(json) => json
                .finish(session, name, progress)
                .map(|f| format!("{packing}: {f}")),
            Inner::Tar(tar) => tar
                .finish(session, name, progress)
                .map(|f| format!("{packing}: {f}")),
        }
    }
}

impl Gunzip {
    /// A gzip file that begins with `head`.
    pub(super) fn start(
        session: &mut Session,
        name: &str,
        head: Vec<u8>,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Box<Gunzip> {
        let mut gunzip = Box::new(Gunzip {
            decoder: flate2::read::MultiGzDecoder::new(Pipe::default()),
            piece: vec![0; READ_PIECE],
            out: 0,
            stopped: None,
            inner: Unpacked::new("gzip", session.warnings.len()),
        });
        gunzip.decoder.get_mut().buf = head;
        gunzip.pump(session, name, false, progress);
        gunzip
    }

    pub(super) fn feed(
        &mut self,
        session: &mut Session,
        name: &str,
        chunk: &[u8],
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        self.decoder.get_mut().add(chunk);
        self.pump(session, name, false, progress);
    }

    /// Decompresses what has come (all of it when `last`) and reads it.
    fn pump(
        &mut self,
        session: &mut Session,
        name: &str,
        last: bool,
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        if last {
            self.decoder.get_mut().finished = true;
        }
        while self.stopped.is_none() {
            match std::io::Read::read(&mut self.decoder, &mut self.piece) {
                Ok(0) => break,
                Ok(n) => {
                    self.out += n;
                    self.inner.feed(session, name, &self.piece[..n], progress);
                    if self.out as u64 > MAX_EXPANDED {
                        self.stopped = Some(decompress_warning(name, GZIP_DATA, self.out, None));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    self.stopped = Some(decompress_warning(name, GZIP_DATA, self.out, Some(&e)));
                }
            }
        }
    }

    /// Reads the rest; the format of what was read ("gzip: OTLP/JSON").
    pub(super) fn finish(
        mut self,
        session: &mut Session,
        name: &str,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Option<String> {
        self.pump(session, name, true, progress);
        let warnings_before = self.inner.warnings_before;
        let format = self.inner.finish(session, name, progress);
        // A whole read says so before it reads what came.
        if let Some(warning) = self.stopped {
            session.warnings.insert(warnings_before, warning);
        }
        format
    }
}

/// A zstd file decompressed as it arrives, frame by frame and block by block (ruzstd's
/// `decode_from_to`), its content read as gzip's is.
///
/// A whole read meets damage in the pieces its reader asks for, which a decoder fed as bytes come
/// does not reproduce. So the stream stands only when every frame decodes cleanly to the end;
/// otherwise the session is taken back to before the file ([`Session::rollback`]) and the file
/// read whole from its bytes, kept for this up to the limit of a file read whole. Past that
/// limit, what was read stays, and a warning says where and why.
pub(super) struct Unzstd {
    decoder: ruzstd::decoding::FrameDecoder,
    /// Compressed bytes not decoded yet.
    window: Vec<u8>,
    /// Where the window starts in the file.
    at: usize,
    /// A frame's header was read, and its blocks are being decoded.
    in_frame: bool,
    piece: Vec<u8>,
    /// Bytes decompressed so far.
    out: usize,
    /// Its bytes, kept to read it again whole when the stream cannot stand.
    retry: Retry,
    /// Why the stream stopped, and where.
    off: Option<(usize, String)>,
    inner: Unpacked,
}

/// A zstd frame's header is at most 18 bytes long.
const ZSTD_FRAME_HEADER: usize = 18;

/// Compressed bytes handed to the zstd decoder at once: more than a block's most (128 KiB and
/// its header), few enough that what it decodes at once stays small.
const ZSTD_STEP: usize = 256 << 10;

impl Unzstd {
    pub(super) fn start(
        session: &mut Session,
        name: &str,
        (size, limit): (Option<u64>, u64),
        head: &[u8],
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Box<Unzstd> {
        let warnings = session.warnings.len();
        let mut zstd = Box::new(Unzstd {
            decoder: ruzstd::decoding::FrameDecoder::new(),
            window: Vec::new(),
            at: 0,
            in_frame: false,
            piece: vec![0; READ_PIECE],
            out: 0,
            retry: Retry::new(session, size, limit),
            off: None,
            inner: Unpacked::new("zstd", warnings),
        });
        zstd.feed(session, name, head, progress);
        zstd
    }

    pub(super) fn feed(
        &mut self,
        session: &mut Session,
        name: &str,
        bytes: &[u8],
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        self.retry.add(bytes);
        if self.off.is_none() {
            self.window.extend_from_slice(bytes);
            self.pump(session, name, false, progress);
        }
    }

    /// Decodes what has come (all of it when `last`) and reads it.
    fn pump(
        &mut self,
        session: &mut Session,
        name: &str,
        last: bool,
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        let mut used = 0;
        while self.off.is_none() {
            let rest = &self.window[used..];
            if !self.in_frame {
                if rest.is_empty() || (rest.len() < ZSTD_FRAME_HEADER && !last) {
                    break;
                }
                let mut header = rest;
                match self.decoder.reset(&mut header) {
                    Ok(()) => {
                        used += rest.len() - header.len();
                        self.in_frame = true;
                    }
                    Err(e) => self.off = Some((self.at + used, format!("not a zstd frame ({e})"))),
                }
                continue;
            }
            // Fewer than 4 bytes may be a checksum still arriving, which the decoder would
            // count as read.
            if rest.len() < 4 && !last {
                break;
            }
            let step = &rest[..rest.len().min(ZSTD_STEP)];
            match self.decoder.decode_from_to(step, &mut self.piece) {
                Ok((read, written)) => {
                    // (A checksum still missing is said to be read, though it is not there.)
                    let read = read.min(step.len());
                    used += read;
                    if written > 0 {
                        self.out += written;
                        self.inner
                            .feed(session, name, &self.piece[..written], progress);
                    }
                    if self.out as u64 > MAX_EXPANDED {
                        let reason = format!("it expands beyond {} GiB", MAX_EXPANDED >> 30);
                        self.off = Some((self.at + used, reason));
                    } else if self.decoder.is_finished() && self.decoder.can_collect() == 0 {
                        self.in_frame = false;
                    } else if read == 0 && written == 0 {
                        if last {
                            let reason = "the file ends inside a frame".to_string();
                            self.off = Some((self.at + used, reason));
                        }
                        break;
                    }
                }
                Err(e) => self.off = Some((self.at + used, format!("damaged ({e})"))),
            }
        }
        if self.off.is_some() {
            self.window = Vec::new();
        } else {
            self.window.drain(..used);
        }
        self.at += used;
    }

    /// Reads the rest; the format of what was read ("zstd: OTLP/JSON").
    pub(super) fn finish(
        mut self,
        session: &mut Session,
        name: &str,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Option<String> {
        if self.off.is_none() {
            self.pump(session, name, true, progress);
        }
        let Some((at, reason)) = self.off.take() else {
            return self.inner.finish(session, name, progress);
        };
        if let Some(bytes) = self.retry.again(session) {
            // Read again as a whole read reads it, from nothing read.
            return crate::decode::container::decode_any(session, name, &bytes, 0, progress);
        }
        let format = self.inner.finish(session, name, progress);
        session.warnings.push(Warning {
            source: name.to_string(),
            location: format!("byte {at}"),
            reason: format!(
                "zstd data could not be read on as it arrived ({reason}); what came before was read, and the file is too large to read again whole"
            ),
        });
        format
    }
}

/// A tar archive as it arrives: each entry is read once all of it has come
/// ([`TarReader`]), and the bytes read are dropped.
pub(super) struct TarStream {
    reader: TarReader,
    /// The archive's bytes from `base` on.
    window: Vec<u8>,
    base: usize,
}

impl TarStream {
    /// A tar archive that begins with `head`.
    pub(super) fn start(
        session: &mut Session,
        name: &str,
        head: &[u8],
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Box<TarStream> {
        let mut tar = Box::new(TarStream {
            reader: TarReader::default(),
            window: Vec::new(),
            base: 0,
        });
        tar.feed(session, name, head, progress);
        tar
    }

    pub(super) fn feed(
        &mut self,
        session: &mut Session,
        name: &str,
        bytes: &[u8],
        progress: &mut dyn FnMut(usize, &Session),
    ) {
        self.window.extend_from_slice(bytes);
        let needed = self
            .reader
            .read(session, name, (&self.window, self.base), None, 0, progress);
        let read = needed - self.base;
        if read >= DROP_AFTER || read * 2 >= self.window.len() {
            self.window.drain(..read);
            self.base = needed;
        }
    }

    /// Reads the rest, as a whole read does; the archive's format, if it held traces.
    pub(super) fn finish(
        mut self,
        session: &mut Session,
        name: &str,
        progress: &mut dyn FnMut(usize, &Session),
    ) -> Option<String> {
        let len = self.base + self.window.len();
        self.reader.read(
            session,
            name,
            (&self.window, self.base),
            Some(len),
            0,
            progress,
        );
        self.reader.end(session, name)
    }
}
