//! The work of a diagnosis and of a step, counted in instructions: run it under callgrind,
//! which counts the same on a quiet machine and a loaded one, once with the count of
//! runs wanted and once with 0, and divide the difference by the count.
//!
//! ```sh
//! cargo build --release -p troubletree-benches --example instructions
//! for n in 0 100000; do
//!     valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$n \
//!         target/release/examples/instructions restart $n 2>&1 | grep refs
//! done
//! ```
//!
//! `restart N`: N diagnoses on one session with `Session::restart`, the inputs of
//! `benches/diagnosis.rs` (the six-decision tree, one input per leaf) in turn; its
//! baseline is `restart 0`. `step N`: N sessions cloned from one started on the recharge
//! tree, each answering once as `benches/step.rs` measures it; its baseline is
//! `clones N`, the same clones without the answers. `floor N`: N diagnoses by the
//! hand-written floor of `benches/floor.rs` on the same inputs; its baseline is
//! `floor 0`.

use std::hint::black_box;

use troubletree::{FactId, FactValue, Session, Tree};

#[path = "floor.rs"]
mod floor;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/six_decisions.ron");
const RECHARGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../trees/recharge_failure.ron");

/// One input per leaf: account status, network, balance, amount, bank maintenance,
/// hours since the debit.
const INPUTS: [(&str, bool, f64, f64, bool, f64); 7] = [
    ("frozen", true, 800.0, 120.0, false, 2.0),
    ("normal", false, 800.0, 120.0, false, 2.0),
    ("normal", true, 40.0, 120.0, false, 2.0),
    ("normal", true, 800.0, 9000.0, false, 2.0),
    ("normal", true, 800.0, 120.0, true, 2.0),
    ("normal", true, 800.0, 120.0, false, 60.0),
    ("normal", true, 800.0, 120.0, false, 2.0),
];

fn restart(n: usize) -> usize {
    let tree = Tree::from_path(DATA).expect("the bench tree is valid");
    let id = |name| tree.fact(name).expect("declared").id();
    let ids: [FactId; 6] = [
        id("account_status"),
        id("network_ok"),
        id("balance"),
        id("amount"),
        id("bank_maintenance"),
        id("hours_since_debit"),
    ];
    let mut session = Session::new(&tree).expect("starts");
    let mut total = 0;
    for i in 0..n {
        let (status, network, balance, amount, bank, hours) = *black_box(&INPUTS[i % 7]);
        let facts: [(FactId, FactValue<'_>); 6] = [
            (ids[0], status.into()),
            (ids[1], network.into()),
            (ids[2], balance.into()),
            (ids[3], amount.into()),
            (ids[4], bank.into()),
            (ids[5], hours.into()),
        ];
        session.restart(black_box(&facts)).expect("the facts fit");
        total += session.current().node().len();
    }
    total
}

fn floor(n: usize) -> usize {
    let tree = Tree::from_path(DATA).expect("the bench tree is valid");
    let floor = floor::Floor::six_decisions(&tree);
    let mut walk = floor.walk();
    let mut total = 0;
    for i in 0..n {
        let (status, network, balance, amount, bank, hours) = *black_box(&INPUTS[i % 7]);
        let facts: [(usize, FactValue<'_>); 6] = [
            (0, status.into()),
            (1, network.into()),
            (2, balance.into()),
            (3, amount.into()),
            (4, bank.into()),
            (5, hours.into()),
        ];
        floor
            .restart(&mut walk, black_box(&facts))
            .expect("the facts fit");
        total += floor.at(&walk).len();
    }
    total
}

fn step(n: usize, answer: bool) -> usize {
    let tree = Tree::from_path(RECHARGE).expect("the shipped tree is valid");
    let fresh = Session::builder(&tree)
        .fact("network_ok", true)
        .start()
        .expect("starts");
    let mut sessions: Vec<Session> = (0..n).map(|_| fresh.clone()).collect();
    if answer {
        for session in &mut sessions {
            session.choose(black_box(1)).expect("offered");
        }
    }
    sessions.iter().map(|s| s.current().node().len()).sum()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: instructions restart|floor|step|clones N";
    let what = args.next().expect(usage);
    let n: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let total = match what.as_str() {
        "restart" => restart(n),
        "floor" => floor(n),
        "step" => step(n, true),
        "clones" => step(n, false),
        _ => panic!("{usage}"),
    };
    println!("{total}");
}
