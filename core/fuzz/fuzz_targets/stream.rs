//! Differential fuzzing of decoding as the bytes arrive: any input, cut into chunks, must decode
//! exactly as it does whole (same session, warnings and summary). The cuts come from the input
//! itself: a hash of it picks chunk sizes from one byte up. `scripts/fuzz stream 1200`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut h = 0x9E37_79B9_7F4A_7C15u64 ^ data.len() as u64;
    for &b in data.iter().take(64) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    let max = 1usize << (h % 12);
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < data.len() {
        h ^= h << 13;
        h ^= h >> 7;
        h ^= h << 17;
        at += 1 + (h as usize) % max;
        cuts.push(at);
    }
    sightline_core::fuzzing::stream_agrees(data, &cuts);
});
