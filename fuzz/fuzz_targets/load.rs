//! Fuzz target `load`: see `troubletree_fuzz::load` (fuzz/src/lib.rs) for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| troubletree_fuzz::load(data));
