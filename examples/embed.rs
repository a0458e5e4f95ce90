//! The smallest embedding: load the catalogue once, share it, walk one journey per user.
//!
//! `cargo run --example embed`

use std::sync::Arc;

use troubletree::{Catalogue, Session, Step};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Once, at start-up. Loading fails with every finding if any tree has an error.
    // (A `Catalogue` is an `Arc` inside already; the outer one shows it can be shared.)
    let catalogue = Arc::new(Catalogue::from_dir("trees")?);

    // Per user: facts the host already knows skip their questions. The journey follows
    // `Goto` links into the other trees of the catalogue.
    let mut session = Session::builder(&*catalogue)
        .tree("recharge_failure")
        .locale("en")
        .fact("money_debited", true)
        .fact("hours_since_debit", 60.0)
        .fact("amount", 100.0)
        .start()?;

    // Per request: show the step, take the user's answer.
    loop {
        match session.current() {
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
    let path: Vec<String> = session.path().iter().map(ToString::to_string).collect();
    println!("path: {}", path.join(" → "));
    Ok(())
}
