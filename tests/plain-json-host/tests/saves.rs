//! Saves through a JSON library without exact float parsing.

use troubletree::{Resume, Resumed, SavedSession, Session, Tree, Value};

/// Numbers that a JSON library parsing floats the fast way may move by one ulp.
const AMOUNTS: [f64; 6] = [
    420.638_400_000_000_05,
    0.1 + 0.2,
    47.000_000_000_000_014,
    1e300,
    0.010_000_000_000_000_002,
    123_456_789.123_456_79,
];

fn recharge() -> Tree {
    Tree::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../trees/recharge_failure.ron"))
        .expect("the shipped tree")
}

/// This serde_json really is the lossy kind for bare numbers: at least one amount comes
/// back different, so the test below exercises what it claims to.
#[test]
fn plain_serde_json_moves_some_bare_numbers() {
    let moved = AMOUNTS.iter().filter(|&&n| {
        let text = serde_json::to_string(&n).expect("a number");
        serde_json::from_str::<f64>(&text).expect("a number").to_bits() != n.to_bits()
    });
    assert!(moved.count() > 0, "serde_json was built with float_roundtrip");
}

#[test]
fn a_save_comes_back_exactly_through_plain_serde_json() {
    let tree = recharge();
    for amount in AMOUNTS {
        let mut session = Session::builder(&tree)
            .fact("amount", amount)
            .start()
            .expect("starts");
        session.answer(true).expect("charged");
        session.answer(60.0).expect("hours");
        let json = serde_json::to_string(&session.save()).expect("serialises");
        let back: SavedSession = serde_json::from_str(&json).expect("parses");
        let (resumed, how) = Resume::new(&tree)
            .fact("amount", amount)
            .resume(&back)
            .unwrap_or_else(|e| panic!("{amount:e} refused: {e}\n{json}"));
        assert_eq!(how, Resumed::Restored);
        let got = resumed
            .host_facts()
            .find(|(n, _)| *n == "amount")
            .map(|(_, v)| v.clone());
        assert!(
            matches!(got, Some(Value::Number(n)) if n.to_bits() == amount.to_bits()),
            "{amount:e} came back as {got:?}"
        );
        assert!(resumed == session);
    }
}

#[test]
fn a_save_changed_by_one_ulp_is_refused() {
    let tree = recharge();
    let amount = AMOUNTS[0];
    let session = Session::builder(&tree).fact("amount", amount).start().expect("starts");
    let json = serde_json::to_string(&session.save()).expect("serialises");
    let exact = format!("{amount:?}");
    let nudged = format!("{:?}", f64::from_bits(amount.to_bits() + 1));
    assert!(json.contains(&exact), "{json}");
    let edited: SavedSession =
        serde_json::from_str(&json.replace(&exact, &nudged)).expect("still a save");
    let result = Resume::new(&tree).trust_saved_facts().resume(&edited);
    assert!(result.is_err(), "a save changed by one ulp was accepted");
}
