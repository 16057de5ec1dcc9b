//! Differential fuzzing of the OTLP reader: its fast path and its typed reader must read any
//! input the same way (same spans, strings, warnings and duplicates). `scripts/fuzz otlp_fast 600`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sightline_core::fuzzing::otlp_paths_agree(data);
});
