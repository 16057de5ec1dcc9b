//! What a file read as it arrives keeps so that it can be read again whole, when what was read as
//! it came cannot stand: its bytes, up to a limit, and the session before it.

use crate::model::{Mark, Session};

pub(in crate::decode) struct Retry {
    /// Every byte while the file is no longer than `limit`.
    kept: Option<Vec<u8>>,
    limit: usize,
    received: usize,
    /// The session before the file's content.
    mark: Mark,
}

impl Retry {
    /// For a file of `size` bytes if known, keeping up to `limit` of them; `session` as it is
    /// before the file's content.
    pub(in crate::decode) fn new(session: &Session, size: Option<u64>, limit: u64) -> Retry {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Retry {
            kept: size.is_none_or(|s| s <= limit as u64).then(Vec::new),
            limit,
            received: 0,
            mark: session.mark(),
        }
    }

    /// Keeps `bytes`, the next of the file. Gives back all that was kept when they take it past
    /// the limit (nothing is kept from then on).
    pub(in crate::decode) fn add(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        self.received += bytes.len();
        let kept = self.kept.as_mut()?;
        if self.received <= self.limit {
            kept.extend_from_slice(bytes);
            return None;
        }
        self.kept.take()
    }

    /// Bytes received.
    pub(in crate::decode) fn received(&self) -> usize {
        self.received
    }

    /// Every byte of the file, while all are kept.
    pub(in crate::decode) fn bytes(&self) -> Option<&[u8]> {
        self.kept.as_deref()
    }

    /// Takes the session back to before the file and gives its bytes, to be read again whole;
    /// `None` (the session left as it is) when they were not all kept.
    pub(in crate::decode) fn again(&mut self, session: &mut Session) -> Option<Vec<u8>> {
        let bytes = self.kept.take()?;
        session.rollback(&self.mark);
        Some(bytes)
    }
}
