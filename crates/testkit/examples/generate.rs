//! Prints a generated tree (see `troubletree_testkit::generate`) to standard output, to feed the
//! command line or to look at.
//!
//! ```sh
//! cargo run --release -p troubletree-testkit --example generate -- 1000000 > /tmp/big.ron   # nodes [seed]
//! /usr/bin/time -v ./target/release/troubletree check /tmp/big.ron    # time and memory
//! cargo run -p troubletree-testkit --example generate -- --wide 201 > /tmp/wide.ron         # 2^201 walks
//! ```

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let text = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["--wide", layers] => layers
            .parse()
            .ok()
            .map(troubletree_testkit::generate::wide_paths),
        [nodes] => nodes
            .parse()
            .ok()
            .map(|n| troubletree_testkit::generate::tree(n, 0)),
        [nodes, seed] => match (nodes.parse(), seed.parse()) {
            (Ok(n), Ok(seed)) => Some(troubletree_testkit::generate::tree(n, seed)),
            _ => None,
        },
        _ => None,
    };
    let Some(text) = text else {
        eprintln!("usage: generate NODES [SEED] | generate --wide LAYERS");
        return ExitCode::from(2);
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("generate: {err}");
            ExitCode::FAILURE
        }
    }
}
