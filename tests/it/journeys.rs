//! Journeys across `Goto` links, on generated catalogues: every journey ends within its
//! bound, and a save made at any step resumes to exactly the same journey.

use proptest::prelude::*;
use troubletree::analysis::paths;
use troubletree::{AnswerKind, Catalogue, Resume, Resumed, Session, Step, Value};
use troubletree_testkit::generate;

fn load(trees: usize, nodes: usize, seed: u64) -> Catalogue {
    let files = generate::catalogue(trees, nodes, seed);
    let named: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Catalogue::from_texts(&named).unwrap_or_else(|e| panic!("a generated catalogue loads: {e}"))
}

/// An answer chosen by `pick` among those the current question accepts.
fn some_answer(session: &Session, pick: u8) -> Option<Value> {
    match session.current() {
        Step::Ask(q) | Step::Act(q) => Some(match q.kind {
            AnswerKind::Number => Value::Number(f64::from(pick)),
            AnswerKind::Text => Value::from("note"),
            _ => {
                let n = q.answers().len();
                q.answers().nth(usize::from(pick) % n)?.value.clone()
            }
        }),
        _ => None,
    }
}

#[test]
fn generated_catalogues_link_their_trees() {
    let catalogue = load(4, 60, 1);
    let links = catalogue.trees().flat_map(|t| t.links()).count();
    assert!(links > 0, "the generator links trees");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every journey ends at a resolution or an escalation, in no more moves than the
    /// longest walks of the trees it may cross, plus one move per jump.
    #[test]
    fn every_journey_ends_within_its_bound(seed in 0u64..1_000, picks in proptest::collection::vec(any::<u8>(), 0..400)) {
        let catalogue = load(3, 40, seed);
        let bound: usize = catalogue
            .trees()
            .map(|t| usize::try_from(paths::analyse(t).longest.len).unwrap_or(usize::MAX))
            .sum::<usize>()
            + catalogue.len();
        let mut session = Session::builder(&catalogue).tree("t0").start().expect("starts");
        let mut picks = picks.into_iter().cycle();
        let mut answers = 0;
        while let Some(value) = some_answer(&session, picks.next().unwrap_or(0)) {
            session.answer(value).expect("an offered answer");
            answers += 1;
            prop_assert!(answers <= 10 * bound, "{answers} answers and still going");
        }
        prop_assert!(matches!(session.current(), Step::Resolved(_) | Step::Escalated(_)));
        prop_assert!((session.steps() as usize) <= bound, "{} steps > {bound}", session.steps());
    }

    /// At every step of a journey, its save resumes exactly (through JSON), and `back`
    /// then an answer again reach the same place.
    #[test]
    fn a_journey_resumes_exactly_at_every_step(seed in 0u64..1_000, picks in proptest::collection::vec(any::<u8>(), 1..64)) {
        let catalogue = load(3, 30, seed);
        let mut session = Session::builder(&catalogue).tree("t0").locale("en").start().expect("starts");
        for pick in picks {
            let json = serde_json::to_string(&session.save()).expect("serialises");
            let saved = serde_json::from_str(&json).expect("parses");
            let (resumed, how) = Resume::new(&catalogue).resume(&saved).expect("a fresh save resumes");
            prop_assert_eq!(how, Resumed::Restored);
            prop_assert!(resumed == session, "resumed differently from {}", json);
            let Some(value) = some_answer(&session, pick) else { break };
            session.answer(value.clone()).expect("an offered answer");
            let mut again = session.clone();
            again.back().expect("an answer to take back");
            again.answer(value).expect("the same answer again");
            prop_assert!(again == session);
        }
    }
}

/// Each tree's walks fit the step bound on their own, but a journey through both could
/// not: the catalogue says so (E016 at the `Goto`), so a journey that checks never
/// meets the bound.
#[test]
fn a_journey_that_could_outrun_the_step_bound_is_refused() {
    let looping = |id: &str, then: &str| {
        format!(
            r#"Tree(id: "{id}", locales: ["en"], start: "try", nodes: [
                Act(id: "try", text: "Try again.", next: "try", solved: "done",
                    limit: Limit(times: 3000, then: "{then}")),
                Resolve(id: "done", text: "Fixed."),
                {tail}
            ])"#,
            tail = if then == "go" {
                r#"Goto(id: "go", tree: "b")"#.to_owned()
            } else {
                format!(r#"Resolve(id: "{then}", text: "Gave up.")"#)
            }
        )
    };
    let (a, b) = (looping("a", "go"), looping("b", "end"));
    // Alone, each checks clean.
    for text in [&a, &b] {
        assert!(troubletree::Tree::from_str(text).is_ok());
    }
    let err = Catalogue::from_texts(&[("a.ron", &a), ("b.ron", &b)])
        .expect_err("the journey could take too many moves");
    let text = err.to_string();
    assert!(text.contains("E016") && text.contains("a → b"), "{text}");
    // With smaller loops the same journey is fine.
    let small = |t: &str| t.replace("times: 3000", "times: 100");
    assert!(Catalogue::from_texts(&[("a.ron", &small(&a)), ("b.ron", &small(&b))]).is_ok());
}
