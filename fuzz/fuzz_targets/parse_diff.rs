//! Fuzz target `parse_diff`: the fast reader against ron alone, on arbitrary bytes (as
//! UTF-8 when they are, and lossily decoded otherwise). The two must refuse a text with
//! the same error, or read the same tree file, every number equal bit for bit (-0.0 is
//! not 0.0): see `src/model/differential.rs`. The harness is this file, not
//! `src/lib.rs`: see `fuzz/Cargo.toml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let lossy;
    let text = match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(_) => {
            lossy = String::from_utf8_lossy(data);
            &lossy
        }
    };
    if let Err(difference) = troubletree::internals::parsers_agree(text) {
        panic!("the fast reader and ron disagree: {difference}");
    }
});
