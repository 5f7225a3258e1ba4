//! The settings reader on any input, then validation of what it read.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    slocc::fuzzing::read(slocc::fuzzing::Target::Settings, data);
});
