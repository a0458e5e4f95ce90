//! Fuzz target `files`: see `troubletree_fuzz::files` (fuzz/src/lib.rs) for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| troubletree_fuzz::files(data));
