//! String interning: trace files repeat the same keys, service names and values thousands of
//! times; each distinct string is stored once and referred to by a 4-byte [`Sym`].

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

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

    /// Its number in its interner (equal strings of one interner have equal numbers).
    pub fn index(self) -> u32 {
        self.0
    }
}

/// Largest block of text. Strings are packed into blocks that are never reallocated (a longer
/// string gets a block of its own), so a million strings cost a few hundred allocations and
/// growing the text never copies what was read before.
const BLOCK: usize = 1 << 20;

/// Owns the distinct strings of a session: their text packed into blocks, where each one is
/// (block, start, end), and a hash table of handles for finding a string's handle, each kept
/// with 32 bits of its string's hash (so growing the table never hashes the text again, and a
/// lookup compares text only when those bits match).
/// About 22 bytes per string beyond its text (its 12-byte place and a table slot).
#[derive(Debug, Clone)]
pub struct Interner {
    blocks: Vec<String>,
    places: Vec<[u32; 3]>,
    /// Each handle's 32-bit hash, so strings can be sent with it ([`Interner::runs_from`]).
    hashes: Vec<u32>,
    /// Handles whose text an earlier handle holds (only a received interner has them): they are
    /// not in the index.
    repeated: Vec<u32>,
    index: HashTable<(Sym, u32)>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut interner = Interner {
            blocks: Vec::new(),
            places: Vec::new(),
            hashes: Vec::new(),
            repeated: Vec::new(),
            index: HashTable::new(),
        };
        interner.intern("");
        interner
    }
}

/// 32 bits of a string's hash: both halves of FxHash's folded together. (On wasm32 FxHash's
/// hash has only 32 bits, in the low half: the high half alone would be zero for every string.)
fn hash(s: &str) -> u32 {
    let h = FxBuildHasher.hash_one(s);
    (h ^ (h >> 32)) as u32
}

/// The table's 64-bit hash of a 32-bit one: hashbrown picks the bucket from the low bits and the
/// tag from the top seven, so both halves carry the same bits.
fn spread(h: u32) -> u64 {
    (u64::from(h) << 32) | u64::from(h)
}

impl Interner {
    /// Returns the handle of `s`, storing it on first sight.
    pub fn intern(&mut self, s: &str) -> Sym {
        let h = hash(s);
        if let Some(sym) = self.find(h, s) {
            return sym;
        }
        let sym = self.append(s, h);
        self.index_as(h, sym);
        sym
    }

    /// Appends `s` under the next handle, even if it is already held (reading a sent interner
    /// back must keep every handle where it was); the index keeps the first handle.
    fn push(&mut self, s: &str) {
        let h = hash(s);
        let known = self.find(h, s).is_some();
        let sym = self.append(s, h);
        if known {
            self.repeated.push(sym.0);
        } else {
            self.index_as(h, sym);
        }
    }

    fn find(&self, h: u32, s: &str) -> Option<Sym> {
        let (blocks, places) = (&self.blocks, &self.places);
        self.index
            .find(spread(h), |&(sym, sh)| {
                sh == h && text_of(blocks, places, sym) == s
            })
            .map(|&(sym, _)| sym)
    }

    fn index_as(&mut self, h: u32, sym: Sym) {
        self.index
            .insert_unique(spread(h), (sym, h), |&(_, sh)| spread(sh));
    }

    /// Packs the text of `s` (whose hash is `h`) and gives it the next handle.
    fn append(&mut self, s: &str, h: u32) -> Sym {
        let sym = Sym(u32::try_from(self.places.len()).unwrap_or(u32::MAX));
        let room = self
            .blocks
            .last()
            .map(|b| (b.capacity() - b.len(), b.capacity()));
        if room.is_none_or(|(free, _)| free < s.len()) {
            // Blocks double from 4 KiB up to BLOCK, so a small session stays small.
            let size = room
                .map_or(4096, |(_, cap)| cap * 2)
                .min(BLOCK)
                .max(s.len());
            self.blocks.push(String::with_capacity(size));
        }
        let block = self.blocks.len() - 1;
        let text = &mut self.blocks[block];
        let start = text.len();
        text.push_str(s);
        self.places
            .push([block, start, text.len()].map(|n| u32::try_from(n).unwrap_or(u32::MAX)));
        self.hashes.push(h);
        sym
    }

    /// Forgets every string interned after the first `len` (the empty string always stays), as
    /// if they had never been: a read taken back and done again another way interns them in the
    /// order that way meets them.
    pub fn truncate(&mut self, len: usize) {
        while self.places.len() > len.max(1) {
            let sym = Sym(u32::try_from(self.places.len() - 1).unwrap_or(u32::MAX));
            let h = self.hashes.pop().unwrap_or_default();
            if self.repeated.last() == Some(&sym.0) {
                self.repeated.pop();
            } else if let Ok(entry) = self.index.find_entry(spread(h), |&(s, _)| s == sym) {
                entry.remove();
            }
            if let Some([block, start, _]) = self.places.pop() {
                self.blocks.truncate(block as usize + 1);
                if let Some(text) = self.blocks.get_mut(block as usize) {
                    text.truncate(start as usize);
                }
            }
        }
    }

    /// The handle of `s` if it was interned, without storing it.
    pub fn lookup(&self, s: &str) -> Option<Sym> {
        self.find(hash(s), s)
    }

    /// The text of a handle; an unknown handle reads as "".
    pub fn get(&self, sym: Sym) -> &str {
        text_of(&self.blocks, &self.places, sym)
    }

    /// Number of distinct strings held.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// True when only the empty string is held.
    pub fn is_empty(&self) -> bool {
        self.places.len() <= 1
    }

    /// How many different 32-bit hashes the held strings have. A check that the hash spreads on
    /// this platform (the component tests run it in the browser's wasm).
    #[doc(hidden)]
    pub fn distinct_hashes(&self) -> usize {
        let mut hashes: Vec<u32> = self.index.iter().map(|&(_, h)| h).collect();
        hashes.sort_unstable();
        hashes.dedup();
        hashes.len()
    }

    fn with_capacity(strings: usize) -> Interner {
        Interner {
            blocks: Vec::new(),
            places: Vec::with_capacity(strings),
            hashes: Vec::with_capacity(strings),
            repeated: Vec::new(),
            index: HashTable::with_capacity(strings),
        }
    }
}

fn text_of<'a>(blocks: &'a [String], places: &[[u32; 3]], sym: Sym) -> &'a str {
    places
        .get(sym.0 as usize)
        .and_then(|&[b, s, e]| blocks.get(b as usize)?.get(s as usize..e as usize))
        .unwrap_or("")
}

/// Strings of an interner as they travel from the decoder to the page: the handles
/// `first..first + ends.len()`, their text packed as it is held, and the 32-bit hash of each,
/// so the receiving side rebuilds its index without reading the text again.
#[derive(Debug, Serialize, Deserialize)]
pub struct StringRun<'a> {
    first: u32,
    text: &'a str,
    /// Where each string ends in `text`; each starts where the one before ended.
    ends: Vec<u32>,
    /// The hash of each string, in handle order.
    hashes: Vec<u32>,
    /// Handles whose text an earlier handle already holds (not indexed).
    repeated: Vec<u32>,
}

impl Interner {
    /// An interner with no strings at all, not even "": what [`Interner::add_run`] starts from.
    pub fn for_runs(strings: usize) -> Interner {
        Interner::with_capacity(strings)
    }

    /// The strings from handle `first` on, in runs of at most one block of text each.
    pub fn runs_from(&self, first: usize) -> Vec<StringRun<'_>> {
        let mut runs: Vec<StringRun<'_>> = Vec::new();
        let mut repeated = self.repeated.iter().copied().peekable();
        // The block of the run being filled, and where its first string starts in that block.
        let mut current: Option<(u32, u32)> = None;
        for i in first..self.places.len() {
            let [block, start, end] = self.places[i];
            let sym = u32::try_from(i).unwrap_or(u32::MAX);
            let base = match current {
                Some((b, base)) if b == block => base,
                _ => {
                    current = Some((block, start));
                    runs.push(StringRun {
                        first: sym,
                        text: "",
                        ends: Vec::new(),
                        hashes: Vec::new(),
                        repeated: Vec::new(),
                    });
                    start
                }
            };
            let Some(run) = runs.last_mut() else { break };
            let text = self.blocks.get(block as usize).map_or("", String::as_str);
            run.text = text.get(base as usize..end as usize).unwrap_or("");
            run.ends.push(end - base);
            run.hashes.push(self.hashes[i]);
            while repeated.next_if(|&r| r < sym).is_some() {}
            if repeated.next_if_eq(&sym).is_some() {
                run.repeated.push(sym);
            }
        }
        runs
    }

    /// Appends a run made by [`Interner::runs_from`]; runs must come in order. A run that does not fit
    /// (a gap in the handles, an end past its text or inside a character) is refused whole.
    pub fn add_run(&mut self, run: StringRun<'_>) -> Result<(), String> {
        let bad = |why: &str| Err(format!("a block of strings is unreadable: {why}"));
        if run.first as usize != self.places.len() {
            return bad("it does not follow the block before");
        }
        if run.hashes.len() != run.ends.len() {
            return bad("its hashes do not match its strings");
        }
        let mut start = 0u32;
        for &end in &run.ends {
            if end < start || !run.text.is_char_boundary(end as usize) {
                return bad("a string ends outside its text");
            }
            start = end;
        }
        let block = u32::try_from(self.blocks.len()).unwrap_or(u32::MAX);
        self.blocks.push(run.text.to_owned());
        self.places.reserve(run.ends.len());
        self.hashes.reserve(run.ends.len());
        self.index.reserve(run.ends.len(), |&(_, h)| spread(h));
        let mut repeated = run.repeated.iter().copied().peekable();
        let mut start = 0;
        for (i, (&end, &h)) in run.ends.iter().zip(&run.hashes).enumerate() {
            let sym = Sym(run.first + u32::try_from(i).unwrap_or(u32::MAX));
            self.places.push([block, start, end]);
            self.hashes.push(h);
            start = end;
            if repeated.peek() == Some(&sym.0) {
                repeated.next();
                self.repeated.push(sym.0);
            } else {
                self.index_as(h, sym);
            }
        }
        Ok(())
    }
}

/// Only the strings travel; the index is rebuilt on arrival.
impl Serialize for Interner {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            (0..self.places.len()).map(|i| self.get(Sym(u32::try_from(i).unwrap_or(u32::MAX)))),
        )
    }
}

impl<'de> Deserialize<'de> for Interner {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Strings;
        impl<'de> serde::de::Visitor<'de> for Strings {
            type Value = Interner;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Interner, A::Error> {
                let mut interner = Interner::with_capacity(seq.size_hint().unwrap_or(0));
                // Read in place: each string keeps the handle it had, even a repeated one.
                while let Some(s) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                    interner.push(&s);
                }
                if interner.places.is_empty() {
                    interner.intern("");
                }
                Ok(interner)
            }
        }
        d.deserialize_seq(Strings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncating_forgets_the_strings_after_as_if_never_interned() {
        let mut i = Interner::default();
        let kept = i.intern("service.name");
        // Enough text for several blocks, so whole blocks are dropped too.
        let many: Vec<String> = (0..3000).map(|n| format!("{n:0>100}")).collect();
        for s in &many {
            i.intern(s);
        }
        let len = i.len();
        i.truncate(2);
        assert_eq!(i.len(), 2);
        assert_eq!(i.lookup("service.name"), Some(kept));
        assert!(many.iter().all(|s| i.lookup(s).is_none()));
        // Interned again, they get the very handles they had.
        let again: Vec<Sym> = many.iter().map(|s| i.intern(s)).collect();
        assert_eq!(i.len(), len);
        assert!(again.iter().zip(&many).all(|(&sym, s)| i.get(sym) == s));
        assert_eq!(again[0].index(), 2);
        i.truncate(0);
        assert_eq!(i.len(), 1, "the empty string stays");
        assert_eq!(i.intern(""), Sym::EMPTY);
    }

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

    #[test]
    fn hashes_spread() {
        let mut i = Interner::default();
        for n in 0..1000 {
            i.intern(&format!("attribute value {n}"));
        }
        assert!(i.distinct_hashes() > 990, "{}", i.distinct_hashes());
    }

    #[test]
    fn many_strings_across_blocks_keep_their_handles_through_serde() {
        let mut i = Interner::default();
        let long = "x".repeat(BLOCK + 7);
        let words: Vec<String> = (0..50_000).map(|n| format!("value-{n}")).collect();
        let syms: Vec<Sym> = words.iter().map(|w| i.intern(w)).collect();
        let big = i.intern(&long);
        let after = i.intern("after the long one");
        assert!(i.blocks.len() > 2, "{} blocks", i.blocks.len());
        for (w, &s) in words.iter().zip(&syms) {
            assert_eq!(i.get(s), w);
            assert_eq!(i.intern(w), s);
        }
        assert_eq!(i.get(big), long);
        assert_eq!(i.get(after), "after the long one");
        let copy: Interner = postcard::from_bytes(&postcard::to_allocvec(&i).unwrap()).unwrap();
        assert_eq!(copy.len(), i.len());
        assert_eq!(copy.lookup("value-49999"), Some(syms[49_999]));
        assert_eq!(copy.get(big), long);
        assert_eq!(copy.lookup(""), Some(Sym::EMPTY));
    }

    #[test]
    fn runs_rebuild_the_same_interner() {
        let mut i = Interner::default();
        let long = "y".repeat(BLOCK + 3);
        for n in 0..30_000 {
            i.intern(&format!("é-value-{n}"));
        }
        i.intern(&long);
        i.intern("after");
        // Reading a list with a repeated string keeps both handles; only the first is indexed.
        let mut with_repeats: Interner =
            postcard::from_bytes(&postcard::to_allocvec(&vec!["", "a", "b", "a"]).unwrap())
                .unwrap();
        with_repeats.intern("c");
        for source in [&i, &with_repeats] {
            let runs = source.runs_from(0);
            let mut copy = Interner::for_runs(source.len());
            for run in runs {
                let bytes = postcard::to_allocvec(&run).unwrap();
                copy.add_run(postcard::from_bytes(&bytes).unwrap()).unwrap();
            }
            assert_eq!(copy.len(), source.len());
            for n in 0..source.len() {
                let sym = Sym(u32::try_from(n).unwrap());
                assert_eq!(copy.get(sym), source.get(sym));
                assert_eq!(copy.lookup(source.get(sym)), source.lookup(source.get(sym)));
            }
            assert_eq!(copy.distinct_hashes(), source.distinct_hashes());
        }
        assert_eq!(with_repeats.lookup("a"), Some(Sym(1)));
        assert_eq!(with_repeats.get(Sym(3)), "a");

        // A run out of order, or with an end inside a character, is refused.
        let runs = i.runs_from(0);
        assert!(runs.len() > 2);
        let mut copy = Interner::for_runs(0);
        let second = postcard::to_allocvec(&runs[1]).unwrap();
        assert!(copy
            .add_run(postcard::from_bytes(&second).unwrap())
            .is_err());
        let first = postcard::to_allocvec(&runs[0]).unwrap();
        let mut bad: StringRun<'_> = postcard::from_bytes(&first).unwrap();
        bad.ends[2] = bad.ends[1] + 1; // inside the "é" of the next string
        assert!(copy.add_run(bad).is_err());
    }
}
