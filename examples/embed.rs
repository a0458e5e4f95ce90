//! The smallest embedding: load the trees once, share them, walk one session per user.
//!
//! `cargo run --example embed`

use std::sync::Arc;

use troubletree::{Catalogue, Session, Step};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Once, at start-up. Loading fails with every finding if any tree has an error.
    let catalogue = Arc::new(Catalogue::from_dir("trees")?);
    let tree = catalogue
        .get("recharge_failure")
        .ok_or("no recharge_failure tree")?;

    // Per user: facts the host already knows skip their questions.
    let mut session = Session::builder(tree)
        .locale("en")
        .fact("money_debited", true)
        .fact("hours_since_debit", 60.0)
        .fact("amount", 100.0)
        .start()?;

    // Per request: show the step, take the user's answer.
    loop {
        match session.next() {
            Step::Ask(q) | Step::Act(q) => {
                let first = q
                    .answers()
                    .next()
                    .map(|a| a.value.clone())
                    .ok_or("free-input question")?;
                session.answer(first)?;
            }
            Step::Escalated(e) => {
                println!("escalate at {} ({:?}): {}", e.node, e.priority, e.reason);
                break;
            }
            other => {
                println!("ended at {}", other.node());
                break;
            }
        }
    }
    println!("path: {}", session.path().join(" → "));
    Ok(())
}
