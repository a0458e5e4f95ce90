//! Resolution kinds, events from the library, statistics over events, and replays of
//! saved journeys on changed trees (issue 16).

use troubletree::{Catalogue, ResolutionKind, Session, Step};

fn shipped() -> Catalogue {
    Catalogue::from_dir("trees").expect("the shipped trees load")
}

/// The kind docs/CONTENT.md gives each resolution of the shipped trees.
fn expected_kind(tree: &str, node: &str) -> ResolutionKind {
    const INFORMED: [&str; 11] = [
        "resolved_maintenance",
        "resolved_send_limit",
        "resolved_not_supported",
        "resolved_bank_unsupported",
        "resolved_window_passed",
        "resolved_judicial",
        "resolved_stopped",
        "resolved_keep_account",
        "resolved_refund_agreed",
        "resolved_merchant_agreed",
        "resolved_fees",
    ];
    let waiting = node.starts_with("resolved_wait_")
        || (tree, node) == ("recharge_failure", "wait_reconciliation")
        || (tree, node) == ("refund", "resolved_submitted")
        || (tree, node) == ("transaction_dispute", "resolved_appeal_submitted")
        || (tree, node) == ("transaction_dispute", "resolved_supplemented")
        || (tree, node) == ("account_cancellation", "resolved_cancelled");
    if waiting {
        ResolutionKind::Waiting
    } else if INFORMED.contains(&node) {
        ResolutionKind::Informed
    } else {
        ResolutionKind::Fixed
    }
}

#[test]
fn every_shipped_resolution_has_the_kind_content_md_gives_it() {
    let catalogue = shipped();
    let mut counts = [0usize; 3];
    for tree in catalogue.trees() {
        for node in tree.node_ids() {
            let session = Session::builder(&catalogue)
                .tree(tree.id())
                .at(node)
                .start()
                .expect("starts at any node");
            let Step::Resolved(r) = session.current() else {
                continue;
            };
            if r.node != node {
                continue; // a node that leads on to a resolution
            }
            assert_eq!(
                r.kind,
                expected_kind(tree.id(), node),
                "{}/{node}",
                tree.id()
            );
            counts[r.kind as usize] += 1;
        }
    }
    // Fixed, informed, waiting: the split docs/CONTENT.md describes.
    assert_eq!(counts, [30, 11, 22], "{counts:?}");
}

#[test]
fn a_resolve_without_kind_is_fixed_and_kinds_are_read_by_both_parsers() {
    let text = r#"Tree(id: "t", locales: ["en"], start: "a", nodes: [
        Ask(id: "a", text: "?", answers: [
            Answer(value: "w", text: "w", next: "w"),
            Answer(value: "i", text: "i", next: "i"),
            Answer(value: "f", text: "f", next: "f"),
        ]),
        Resolve(id: "w", text: "Wait.", kind: Waiting),
        Resolve(id: "i", text: "Known.", kind: Informed),
        Resolve(id: "f", text: "Fixed."),
    ])"#;
    let tree: troubletree::Tree = text.parse().expect("compiles");
    for (answer, kind) in [
        ("w", ResolutionKind::Waiting),
        ("i", ResolutionKind::Informed),
        ("f", ResolutionKind::Fixed),
    ] {
        let mut s = Session::new(&tree).expect("starts");
        s.answer(answer).expect("offered");
        let Step::Resolved(r) = s.current() else {
            panic!("not resolved")
        };
        assert_eq!((r.kind, r.kind.as_str()), (kind, answer_name(kind)));
    }
    let wrong = troubletree::check_str("t.ron", &text.replace("kind: Informed", "kind: Done"));
    assert!(wrong.has_errors());
}

fn answer_name(kind: ResolutionKind) -> &'static str {
    match kind {
        ResolutionKind::Waiting => "waiting",
        ResolutionKind::Informed => "informed",
        _ => "fixed",
    }
}
