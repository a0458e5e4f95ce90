//! Replays FloDial's recorded troubleshooting dialogues through the walker.
//!
//! Every chart in CHARTS_DIR is imported as a tree; every dialogue in DIALOGS_JSON is then
//! walked by a `Session` on its chart, answering each question the way the dialogue went,
//! and must visit exactly the dialogue's nodes and end at its resolution. One line per
//! chart, then `replayed: N/M dialogues reproduced exactly`. Exits 0 when every dialogue
//! is reproduced and every chart imports clean, 1 otherwise, 2 when the files cannot be
//! read.
//!
//! ```console
//! cargo run --release -p troubletree-import --example flodial_replay -- \
//!     ../shared/corpora/flodial/knowledge-sources \
//!     ../shared/corpora/flodial/dialogs/test_dialogs.json
//! ```
//!
//! The work is done by `support/replay.rs`, which the crate's tests run too.

use std::process::ExitCode;

#[allow(dead_code)] // the tests use more of it than the example does
#[path = "support/replay.rs"]
mod replay;

use replay::replay_dir;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [charts, dialogues] = args.as_slice() else {
        eprintln!("usage: flodial_replay CHARTS_DIR DIALOGS_JSON");
        eprintln!(
            "  e.g. flodial_replay ../shared/corpora/flodial/knowledge-sources ../shared/corpora/flodial/dialogs/test_dialogs.json"
        );
        return ExitCode::from(2);
    };
    match replay_dir(charts, dialogues) {
        Ok(report) => {
            println!("{report}");
            if report.is_exact() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            eprintln!("flodial_replay: {err}");
            ExitCode::from(2)
        }
    }
}
