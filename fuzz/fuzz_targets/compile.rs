//! The whole compile: files split at `#%%` lines, read, validated and emitted for every target.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    slocc::fuzzing::compile(data);
});
