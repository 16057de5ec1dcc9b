//! Differential fuzzing of decoding as the bytes arrive: any input, cut into chunks, must decode
//! exactly as it does whole (same session, warnings and summary). The cuts come from the input
//! itself: a hash of it picks chunk sizes from one byte up. `scripts/fuzz stream 1200`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sightline_core::fuzzing::stream_agrees(data, &sightline_core::fuzzing::stream_cuts(data));
});
