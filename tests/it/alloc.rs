//! Exact, untimed properties of the hot path: a step allocates nothing once the session
//! exists, and a session is small.
//!
//! `allocation-counter` installs a counting global allocator in this test binary only;
//! it counts per thread, so the other tests running in parallel do not disturb it.

use troubletree::{FactValue, Session, Step, Tree};

fn recharge() -> Tree {
    Tree::from_path("trees/recharge_failure.ron").expect("the shipped tree is valid")
}

/// Allocations made by `f`, with the session it works on prepared outside.
fn allocations(f: impl FnOnce()) -> u64 {
    allocation_counter::measure(f).count_total
}

#[test]
fn a_session_is_small() {
    // Everything but the transcript's heap buffer: tree handle, cursor, counters, the
    // headers of five vectors (the fifth holds the transcript's free text, so that a
    // transcript line owns nothing and is written in place), the slot cache that lets
    // `restart` find the host facts without comparing names and the room it converts
    // given facts in (16 bytes each), and the fact a `Decide` waits for (8 with
    // alignment), which spares evaluating its rules again to show the step and to take
    // the answer.
    let size = std::mem::size_of::<Session>();
    assert!(size <= 192, "Session is {size} bytes");
}

#[test]
fn answering_from_offered_values_does_not_allocate() {
    let tree = recharge();
    let mut session = Session::new(&tree).expect("starts");
    // A walk over every kind of step: a Bool question that fills a fact, a Decide that
    // asks for its fact (Bool, then Choice), plain questions, a Decide evaluated
    // silently, an Act, and a retry loop with a limit.
    let script: &[(&str, usize)] = &[
        ("check_debited", 1),     // no debit: fills money_debited, goes to the Decide
        ("check_network", 0),     // the Decide asks for network_ok: yes; decides silently
        ("check_bank", 1),        // no bank message
        ("check_account", 0),     // the Decide asks for account_status: normal
        ("check_limit", 1),       // within the limit
        ("check_maintenance", 1), // no maintenance
        ("retry_recharge", 1),    // still not working
        ("check_retry_debit", 1), // nothing debited: back to the retry (pass 2)
        ("retry_recharge", 1),    // still not working
        ("check_retry_debit", 1), // third arrival: the limit sends it to the escalation
    ];
    for (node, choice) in script {
        assert_eq!(session.current().node(), *node);
        let count = allocations(|| {
            session.choose(*choice).expect("offered");
        });
        assert_eq!(count, 0, "answering at {node} allocated {count} time(s)");
    }
    assert!(matches!(session.current(), Step::Escalated(e) if e.node == "escalate_retry_failed"));
}

#[test]
fn typed_answers_without_heap_values_do_not_allocate() {
    let tree = recharge();
    let mut session = Session::new(&tree).expect("starts");
    let yes = allocations(|| {
        session.answer(true).expect("offered");
    });
    assert_eq!(yes, 0);
    assert_eq!(session.current().node(), "debited_hours");
    // A number for a free-input fact the Decide needs, then the Decide itself.
    let hours = allocations(|| {
        session.answer(60.0).expect("a number");
    });
    assert_eq!(hours, 0);
    assert_eq!(session.current().node(), "ask_debit_amount");
    // A number for a free-input question, before the hand-over.
    let amount = allocations(|| {
        session.answer(100.0).expect("a number");
    });
    assert_eq!(amount, 0);
    assert_eq!(session.current().node(), "escalate_unreconciled");
}

#[test]
fn a_restarted_diagnosis_does_not_allocate() {
    // The diagnosis bench's tree and inputs: six facts settle six decisions, one input
    // per leaf.
    let tree = Tree::from_path("benches/data/six_decisions.ron").expect("the bench tree");
    let id = |name| tree.fact(name).expect("declared").id();
    let ids = [
        id("account_status"),
        id("network_ok"),
        id("balance"),
        id("amount"),
        id("bank_maintenance"),
        id("hours_since_debit"),
    ];
    let healthy: [FactValue<'static>; 6] = [
        "normal".into(),
        true.into(),
        800.0.into(),
        120.0.into(),
        false.into(),
        2.0.into(),
    ];
    let changes: [(usize, FactValue<'static>, &str); 7] = [
        (0, "frozen".into(), "escalate_frozen"),
        (1, false.into(), "fix_network"),
        (2, 40.0.into(), "top_up"),
        (3, 9000.0.into(), "over_limit"),
        (4, true.into(), "wait_bank"),
        (5, 60.0.into(), "escalate_unreconciled"),
        (0, "unverified".into(), "retry"),
    ];
    let facts = |change: usize| {
        let (i, value, _) = changes[change];
        let mut values = healthy;
        values[i] = value;
        let mut facts = [(ids[0], healthy[0]); 6];
        for (to, (id, value)) in facts.iter_mut().zip(ids.iter().zip(values)) {
            *to = (*id, value);
        }
        facts
    };
    let mut session = Session::new(&tree).expect("starts");
    // Warm-up: one round, which gives the session its host facts and buffers.
    for change in 0..changes.len() {
        session.restart(&facts(change)).expect("the facts fit");
    }
    for round in 0..3 {
        for (change, (_, _, leaf)) in changes.iter().enumerate() {
            let facts = facts(change);
            let count = allocations(|| {
                session.restart(&facts).expect("the facts fit");
            });
            assert_eq!(
                count, 0,
                "restart {change} of round {round} allocated {count} time(s)"
            );
            assert_eq!(session.current().node(), *leaf);
        }
    }
}

#[test]
fn the_counter_does_count() {
    // Guards the tests above against a counter that never counts.
    let count = allocations(|| {
        std::hint::black_box(Vec::<u8>::with_capacity(16));
    });
    assert!(count >= 1);
}

#[test]
fn a_cloned_session_steps_without_allocating() {
    // Hosts start a session once and clone it per user; the clone keeps the room
    // reserved for the transcript.
    let tree = recharge();
    let started = Session::builder(&tree)
        .fact("network_ok", true)
        .start()
        .expect("starts");
    let mut session = started.clone();
    let count = allocations(|| {
        session.choose(1).expect("offered");
    });
    assert_eq!(
        count, 0,
        "the first step of a clone allocated {count} time(s)"
    );
    assert_eq!(session.current().node(), "check_bank");
}
