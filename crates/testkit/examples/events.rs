//! Writes synthetic analytics events (see `troubletree_testkit::events`) as JSON Lines
//! to standard output: sessions over the shipped trees, interleaved in time order.
//!
//! ```sh
//! cargo run --release -p troubletree-testkit --example events -- 10000000 > /tmp/events.jsonl   # events [seed]
//! /usr/bin/time -v ./target/release/troubletree stats /tmp/events.jsonl > /dev/null
//! ```

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(Ok(count)), seed) = (
        args.first().map(|a| a.parse::<u64>()),
        args.get(1).and_then(|s| s.parse::<u64>().ok()).unwrap_or(1),
    ) else {
        eprintln!("usage: events COUNT [SEED]");
        return ExitCode::from(2);
    };
    let catalogue = match troubletree::Catalogue::from_dir("trees") {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot load trees/ (run from the repository root): {e}");
            return ExitCode::from(2);
        }
    };
    // About 8 events per session; a session starts every 200 ms.
    let sessions = count / 4 + 1;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let events = troubletree_testkit::events::events(&catalogue, sessions, 200, seed);
    for event in events.take(usize::try_from(count).unwrap_or(usize::MAX)) {
        let Ok(line) = serde_json::to_string(&event) else {
            return ExitCode::from(1);
        };
        if writeln!(out, "{line}").is_err() {
            return ExitCode::SUCCESS; // a closed pipe
        }
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}
