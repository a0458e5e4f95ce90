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
