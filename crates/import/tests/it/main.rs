//! The importer's tests, and the replay of FloDial's dialogues (`examples/support`).

#[allow(dead_code)] // the example uses part of it, these tests another
#[path = "../../examples/support/replay.rs"]
mod replay;

mod flodial;
