//! Fuzz target `resume`: see `troubletree_fuzz::resume` (fuzz/src/lib.rs) for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| troubletree_fuzz::resume(data));
