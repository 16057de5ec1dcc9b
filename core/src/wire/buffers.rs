//! Memory made ready for files before their bytes arrive.
//!
//! The first write to memory a process has never used costs a page fault, and in the browser
//! (where a worker's WebAssembly memory only grows) copying a large file into fresh memory is
//! many times slower than into memory already written once. The page knows the
//! files' sizes as soon as the user picks them, so the decoder worker makes their buffers ready
//! while the browser is still reading the files, and the bytes are then copied into them.

/// Buffers written once, waiting for the files they were made for.
#[derive(Debug, Default)]
pub struct Prepared(Vec<Vec<u8>>);

impl Prepared {
    /// Makes a buffer for a file of each size, writing every byte once. Stops at the first
    /// allocation that fails: the files then get their memory when they come, as without this.
    pub fn expect(&mut self, sizes: &[usize]) {
        for &size in sizes {
            let mut buffer = Vec::new();
            if buffer.try_reserve_exact(size).is_err() {
                return;
            }
            // Not zeros: an allocator may hand out fresh memory as already zeroed and skip them.
            buffer.resize(size, b' ');
            self.0.push(buffer);
        }
    }

    /// A buffer of exactly `len` bytes for a file: the smallest prepared buffer that holds it,
    /// or a new one. Its bytes are to be overwritten by the caller.
    pub fn take(&mut self, len: usize) -> Vec<u8> {
        let best = self
            .0
            .iter()
            .enumerate()
            .filter(|(_, b)| b.len() >= len)
            .min_by_key(|(_, b)| b.len())
            .map(|(i, _)| i);
        match best {
            Some(i) => {
                let mut buffer = self.0.swap_remove(i);
                buffer.truncate(len);
                buffer
            }
            None => vec![0; len],
        }
    }

    /// Bytes held in buffers not taken yet.
    pub fn held(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    /// Lets go of the buffers no file took.
    pub fn clear(&mut self) {
        self.0 = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::Prepared;

    #[test]
    fn files_take_the_smallest_buffer_that_holds_them() {
        let mut prepared = Prepared::default();
        prepared.expect(&[100, 10, 50]);
        assert_eq!(prepared.held(), 160);
        let a = prepared.take(40);
        assert_eq!((a.len(), a.capacity()), (40, 50));
        let b = prepared.take(100);
        assert_eq!((b.len(), b.capacity()), (100, 100));
        // Nothing left holds it: a new buffer.
        let c = prepared.take(20);
        assert_eq!(c.len(), 20);
        assert_eq!(prepared.held(), 10);
        prepared.clear();
        assert_eq!(prepared.held(), 0);
        assert_eq!(prepared.take(0).len(), 0);
    }

    #[test]
    fn a_size_that_cannot_be_allocated_prepares_nothing_more() {
        let mut prepared = Prepared::default();
        prepared.expect(&[8, usize::MAX, 8]);
        assert_eq!(prepared.held(), 8);
    }
}
