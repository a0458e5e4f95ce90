//! Fuzz target `printers`: see `troubletree_fuzz::printers` (fuzz/src/lib.rs) for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| troubletree_fuzz::printers(data));
