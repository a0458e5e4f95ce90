//! Exact, untimed properties of the hot path: a step allocates nothing once the session
//! exists, and a session is small.
//!
//! `allocation-counter` installs a counting global allocator in this test binary only;
//! it counts per thread, so the other tests running in parallel do not disturb it.

use troubletree::{Session, Step, Tree};

fn recharge() -> Tree {
    Tree::from_path("trees/recharge_failure.ron").expect("the shipped tree is valid")
}

/// Allocations made by `f`, with the session it works on prepared outside.
fn allocations(f: impl FnOnce()) -> u64 {
    allocation_counter::measure(f).count_total
}

#[test]
fn a_session_is_small() {
    // Everything but the transcript's heap buffer: tree handle, cursor, counters and
    // the headers of four vectors.
    let size = std::mem::size_of::<Session>();
    assert!(size <= 128, "Session is {size} bytes");
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
fn the_counter_does_count() {
    // Guards the tests above against a counter that never counts.
    let count = allocations(|| {
        std::hint::black_box(Vec::<u8>::with_capacity(16));
    });
    assert!(count >= 1);
}
