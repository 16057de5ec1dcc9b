//! A global allocator that counts the bytes allocated now and at most, so an example can print
//! each stage's peak. (The only unsafe code in the project: a global allocator is an unsafe
//! trait. It forwards to the system allocator and only counts.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// "now 12 MB, peak 30 MB" (and the peak starts again from now).
#[allow(dead_code)]
pub fn memory() -> String {
    let (now, peak) = now_and_peak();
    format!("now {} MB, peak {} MB", now / 1_000_000, peak / 1_000_000)
}

/// Bytes allocated now, and at most since the last call (the peak starts again from now).
pub fn now_and_peak() -> (usize, usize) {
    let now = NOW.load(Ordering::Relaxed);
    (now, PEAK.swap(now, Ordering::Relaxed))
}
