//! Walking cost: a whole diagnosis on the shipped recharge tree, and compiling it.
//!
//! `cargo bench --bench step` measures; `cargo bench --bench step -- --test` runs each
//! benchmark once, as CI does, so the benches cannot rot.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use troubletree::{Session, Tree};

/// The demonstration walk of `examples/diagnose.rs`: ten answers, a retry loop that
/// runs out, an escalation.
const ANSWERS: &[&str] = &[
    "false",
    "true",
    "no",
    "normal",
    "false",
    "false",
    "not_solved",
    "no",
    "not_solved",
    "no",
];

fn benches(c: &mut Criterion) {
    let text =
        std::fs::read_to_string("trees/recharge_failure.ron").expect("run from the crate root");
    let tree = Tree::from_str(&text).expect("the shipped tree is valid");

    c.bench_function("compile/recharge_failure", |b| {
        b.iter(|| Tree::from_str(black_box(&text)).expect("valid"));
    });

    c.bench_function("diagnosis/recharge_failure", |b| {
        b.iter(|| {
            let mut session = Session::new(&tree).expect("starts");
            for answer in ANSWERS {
                session.answer_str(black_box(answer)).expect("offered");
            }
            assert!(session.next().is_end());
            session
        });
    });
}

criterion_group!(step, benches);
criterion_main!(step);
