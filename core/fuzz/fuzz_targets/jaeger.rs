//! Fuzzes the jaeger decoder and everything after it (trees, rows, the binary form): no input may
//! panic. Run briefly by scripts/test, longer by hand: `scripts/fuzz jaeger 600`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sightline_core::fuzzing::jaeger(data);
});
