//! A session saved between two requests and resumed, as a web service would do it. The
//! host, not the save, decides the step bound and confirms its own facts.
//!
//! `cargo run --example resume`

use troubletree::{Resume, SavedSession, Session, Tree};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tree = Tree::from_path("trees/recharge_failure.ron")?;

    // Request 1: start, answer the first question, save the session (here as RON).
    let mut session = Session::builder(&tree)
        .locale("en")
        .fact("network_ok", true) // known by the host
        .start()?;
    session.answer(false)?;
    let saved = ron::to_string(&session.save())?;
    println!(
        "saved ({} bytes) at node {}",
        saved.len(),
        session.current().node()
    );

    // Request 2: load the same tree, resume, carry on.
    let saved: SavedSession = ron::from_str(&saved)?;
    let (mut resumed, how) = Resume::new(&tree)
        .fact("network_ok", true) // the host confirms what it knew
        .resume(&saved)?;
    println!("resumed ({how:?}) at node {}", resumed.current().node());
    resumed.answer("no")?; // no message from the bank
    println!("next: {}", resumed.current().node());

    // The same saved session on an edited tree is replayed, or refused with a reason.
    let edited = std::fs::read_to_string("trees/recharge_failure.ron")?
        .replace("\"check_network\"", "\"network_check\"");
    let edited = Tree::from_str(&edited)?;
    match Resume::new(&edited).fact("network_ok", true).resume(&saved) {
        Ok((s, how)) => println!("on the edited tree: {how:?}, at {}", s.current().node()),
        Err(err) => println!("on the edited tree: refused: {err}"),
    }
    Ok(())
}
