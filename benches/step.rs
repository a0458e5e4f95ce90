//! The cost of walking: one step on the recharge tree against a hand-written `match`
//! over the same decisions (both measured in this process), a whole diagnosis per
//! shipped tree, and resuming a saved session.
//!
//! `cargo bench -p troubletree-benches --bench step` measures; `cargo bench -p troubletree-benches --bench step -- --test` runs each
//! benchmark once, as CI does, so the benches cannot rot.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use troubletree::{AnswerKind, Catalogue, Session, Step, Tree};

/// The same decisions as `trees/recharge_failure.ron`, written by hand: the step the
/// engine must match. States are the tree's stops; facts are typed fields.
mod baseline {
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum State {
        CheckDebited,
        CheckNetwork,
        FixNetwork,
        CheckBank,
        CheckAccount,
        CheckLimit,
        CheckMaintenance,
        RetryRecharge,
        DebitedHours,
        Resolved,
        Escalated,
    }

    #[derive(Clone, Copy, Default)]
    pub struct Facts {
        pub money_debited: Option<bool>,
        pub network_ok: Option<bool>,
        pub account_status: Option<u8>,
        pub over_limit: Option<bool>,
        pub hours_since_debit: Option<f64>,
    }

    /// Records what happened, as the engine's transcript does (written, never read here).
    #[derive(Clone, Copy)]
    #[allow(dead_code)]
    pub struct Entry {
        pub state: State,
        pub answer: u8,
    }

    /// Answers the question at `state` with answer `answer` (0 = yes/first), then
    /// decides silently where it can, as the engine does.
    pub fn step(state: State, answer: u8, facts: &mut Facts, log: &mut Vec<Entry>) -> State {
        log.push(Entry { state, answer });
        let next = match state {
            State::CheckDebited => {
                facts.money_debited = Some(answer == 0);
                if answer == 0 {
                    State::DebitedHours
                } else {
                    State::CheckNetwork
                }
            }
            State::CheckNetwork => {
                facts.network_ok = Some(answer == 0);
                State::CheckNetwork
            }
            State::FixNetwork => {
                if answer == 0 {
                    State::Resolved
                } else {
                    State::CheckBank
                }
            }
            State::CheckBank => {
                if answer == 0 {
                    State::Escalated
                } else {
                    State::CheckAccount
                }
            }
            State::CheckAccount => {
                facts.account_status = Some(answer);
                State::CheckAccount
            }
            State::CheckLimit => {
                facts.over_limit = Some(answer == 0);
                if answer == 0 {
                    State::Resolved
                } else {
                    State::CheckMaintenance
                }
            }
            State::CheckMaintenance => {
                if answer == 0 {
                    State::Resolved
                } else {
                    State::RetryRecharge
                }
            }
            State::RetryRecharge => {
                if answer == 0 {
                    State::Resolved
                } else {
                    State::Escalated
                }
            }
            State::DebitedHours => {
                facts.hours_since_debit = Some(f64::from(answer));
                State::DebitedHours
            }
            State::Resolved | State::Escalated => state,
        };
        settle(next, facts, log)
    }

    /// The silent decisions: `check_network`, `check_account`, `debited_hours`.
    fn settle(state: State, facts: &Facts, log: &mut Vec<Entry>) -> State {
        match state {
            State::CheckNetwork => match facts.network_ok {
                None => state,
                Some(ok) => {
                    log.push(Entry {
                        state,
                        answer: u8::from(ok),
                    });
                    if ok {
                        State::CheckBank
                    } else {
                        State::FixNetwork
                    }
                }
            },
            State::CheckAccount => match facts.account_status {
                None => state,
                Some(status) => {
                    log.push(Entry {
                        state,
                        answer: status,
                    });
                    if status == 0 {
                        State::CheckLimit
                    } else {
                        State::Escalated
                    }
                }
            },
            State::DebitedHours => match facts.hours_since_debit {
                None => state,
                Some(hours) => {
                    log.push(Entry { state, answer: 0 });
                    if hours >= 48.0 {
                        State::Escalated
                    } else {
                        State::Resolved
                    }
                }
            },
            other => other,
        }
    }
}

fn recharge() -> Tree {
    Tree::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../trees/recharge_failure.ron"
    ))
    .expect("run from the crate root; the shipped tree is valid")
}

/// One step: answer "no, nothing was debited" at `check_debited`, and let the walker
/// pass the `check_network` decision (the network is known to be fine) to stop at
/// `check_bank`.
fn step(c: &mut Criterion) {
    let tree = recharge();
    let fresh = Session::builder(&tree)
        .fact("network_ok", true)
        .start()
        .expect("starts");
    assert_eq!(fresh.current().node(), "check_debited");
    let mut group = c.benchmark_group("step");
    group.bench_function("troubletree", |b| {
        b.iter_batched_ref(
            || fresh.clone(),
            |session| {
                session.choose(black_box(1)).expect("offered");
                debug_assert_eq!(session.current().node(), "check_bank");
            },
            BatchSize::SmallInput,
        );
    });
    let facts = baseline::Facts {
        network_ok: Some(true),
        ..baseline::Facts::default()
    };
    group.bench_function("baseline_match", |b| {
        b.iter_batched_ref(
            || (facts, Vec::with_capacity(35)),
            |(facts, log)| {
                let next = baseline::step(baseline::State::CheckDebited, black_box(1), facts, log);
                debug_assert_eq!(next, baseline::State::CheckBank);
                next
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

/// Walks a new session to its end, always taking the first offered answer (1 for a
/// number, "x" for text): a whole diagnosis, session creation included.
fn diagnose(tree: &Tree) -> usize {
    let mut session = Session::new(tree).expect("starts");
    while let Step::Ask(q) | Step::Act(q) = session.current() {
        let result = match q.kind {
            AnswerKind::Number => session.answer(1.0),
            AnswerKind::Text => session.answer("x"),
            _ => session.choose(0),
        };
        result.expect("an offered answer");
    }
    session.steps() as usize
}

fn diagnosis(c: &mut Criterion) {
    let catalogue = Catalogue::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../trees"))
        .expect("the shipped trees are valid");
    let mut group = c.benchmark_group("diagnosis");
    for tree in catalogue.trees() {
        group.bench_function(tree.id(), |b| b.iter(|| diagnose(black_box(tree))));
    }
    group.finish();
}

/// Saving mid-walk, and resuming on the same tree.
fn resume(c: &mut Criterion) {
    let tree = recharge();
    let mut session = Session::new(&tree).expect("starts");
    for answer in ["false", "true", "no", "normal", "no", "false"] {
        session.answer_str(answer).expect("offered");
    }
    let saved = session.save();
    let mut group = c.benchmark_group("session");
    group.bench_function("save", |b| b.iter(|| black_box(&session).save()));
    group.bench_function("resume", |b| {
        b.iter(|| Session::resume(black_box(&tree), black_box(&saved)).expect("resumes"))
    });
    group.finish();
}

criterion_group!(benches, step, diagnosis, resume);
criterion_main!(benches);
