//! Fuzz target `drive`: see `troubletree_fuzz::drive` (fuzz/src/lib.rs) for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| troubletree_fuzz::drive(data));
