//! String interning: trace files repeat the same keys, service names and values thousands of
//! times; each distinct string is stored once and referred to by a 4-byte [`Sym`].

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A handle to an interned string. Only meaningful with the [`Interner`] that made it.
/// The default is [`Sym::EMPTY`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct Sym(u32);

impl Sym {
    /// The empty string, interned first by every [`Interner`].
    pub const EMPTY: Sym = Sym(0);
}

/// Owns the distinct strings of a session.
#[derive(Debug, Clone)]
pub struct Interner {
    strings: Vec<Arc<str>>,
    index: HashMap<Arc<str>, Sym>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut interner = Interner {
            strings: Vec::new(),
            index: HashMap::default(),
        };
        interner.intern("");
        interner
    }
}

impl Interner {
    /// Returns the handle of `s`, storing it on first sight.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.index.get(s) {
            return sym;
        }
        let sym = Sym(u32::try_from(self.strings.len()).unwrap_or(u32::MAX));
        let owned: Arc<str> = Arc::from(s);
        self.strings.push(owned.clone());
        self.index.insert(owned, sym);
        sym
    }

    /// The handle of `s` if it was interned, without storing it.
    pub fn lookup(&self, s: &str) -> Option<Sym> {
        self.index.get(s).copied()
    }

    /// The text of a handle; an unknown handle reads as "".
    pub fn get(&self, sym: Sym) -> &str {
        self.strings.get(sym.0 as usize).map_or("", |s| s)
    }

    /// Number of distinct strings held.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// True when only the empty string is held.
    pub fn is_empty(&self) -> bool {
        self.strings.len() <= 1
    }
}

/// Only the strings travel; the index is rebuilt on arrival.
impl Serialize for Interner {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.strings.iter().map(|a| &**a))
    }
}

impl<'de> Deserialize<'de> for Interner {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let strings: Vec<String> = Vec::deserialize(d)?;
        let mut interner = Interner {
            strings: Vec::with_capacity(strings.len()),
            index: HashMap::with_capacity_and_hasher(strings.len(), Default::default()),
        };
        for s in strings {
            let sym = Sym(u32::try_from(interner.strings.len()).unwrap_or(u32::MAX));
            let owned: Arc<str> = Arc::from(s);
            interner.strings.push(owned.clone());
            interner.index.insert(owned, sym);
        }
        if interner.strings.is_empty() {
            interner.intern("");
        }
        Ok(interner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_reads_back() {
        let mut i = Interner::default();
        let a = i.intern("service.name");
        let b = i.intern("service.name");
        assert_eq!(a, b);
        assert_eq!(i.get(a), "service.name");
        assert_eq!(i.intern(""), Sym::EMPTY);
        assert_eq!(i.len(), 2);
        assert_eq!(i.lookup("nope"), None);
    }
}
