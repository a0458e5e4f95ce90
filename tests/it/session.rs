//! The session walker (`src/session/`): walks, known facts, bad input, `back`, the step
//! bound, save/resume, locales, journeys across `Goto` links and sharing across threads.
//!
//! Most walks run on `trees/recharge_failure.ron`; the `Goto` fixtures live in
//! `tests/data/session/`.

use std::sync::Arc;
use std::thread;

use troubletree::{
    AnswerError, AnswerKind, Catalogue, Channel, FactType, FactValue, Origin, Priority, Question,
    Resume, ResumeError, Resumed, SavedSession, Session, SessionBuilder, StartError, Step, Tree,
    Value,
};

const RECHARGE: &str = "trees/recharge_failure.ron";

/// Nothing debited, network fine, no cause found, two retries that fail: the retry limit
/// (`times: 2`) sends the third arrival at `retry_recharge` to the escalation.
const RETRIES: &[&str] = &[
    "false",
    "true",
    "no",
    "normal",
    "no",
    "false",
    "not_solved",
    "no",
    "not_solved",
    "no",
];
const RETRIES_PATH: &[&str] = &[
    "check_debited",
    "check_network",
    "check_bank",
    "check_account",
    "check_limit",
    "check_maintenance",
    "retry_recharge",
    "check_retry_debit",
    "retry_recharge",
    "check_retry_debit",
    "escalate_retry_failed",
];

/// One transcript line: node, fact, value, rule, origin.
type Line<'a> = (
    &'a str,
    Option<&'a str>,
    Option<Value>,
    Option<usize>,
    Origin,
);

// ------------------------------------------------------------------ helpers

fn recharge_text() -> String {
    std::fs::read_to_string(RECHARGE).expect("read the recharge tree")
}

fn recharge() -> Tree {
    Tree::from_path(RECHARGE).expect("the recharge tree loads")
}

fn fixture(name: &str) -> Tree {
    Tree::from_path(format!("tests/data/session/{name}.ron")).expect("the fixture loads")
}

fn load(text: &str) -> Tree {
    Tree::from_str(text).unwrap_or_else(|e| panic!("edited tree refused: {e}"))
}

/// `text` with the first `from` after `anchor` replaced by `to`.
fn replace_after(text: &str, anchor: &str, from: &str, to: &str) -> String {
    let start = text.find(anchor).unwrap_or_else(|| panic!("no {anchor:?}"));
    let at = start
        + text[start..]
            .find(from)
            .unwrap_or_else(|| panic!("no {from:?} after {anchor:?}"));
    let mut out = text.to_owned();
    out.replace_range(at..at + from.len(), to);
    out
}

fn answer_all(session: &mut Session, answers: &[&str]) {
    for answer in answers {
        let result = session.answer_str(answer).map(|_| ());
        if let Err(e) = result {
            panic!(
                "answer {answer:?} at node {:?} failed: {e}",
                session.current().node()
            );
        }
    }
}

/// A fresh session on `tree` (default locale, no facts) after `answers`.
fn walk(tree: &Tree, answers: &[&str]) -> Session {
    let mut session = Session::new(tree).expect("session starts");
    answer_all(&mut session, answers);
    session
}

/// Runs a call that must fail, and checks that it left the session exactly as it was.
fn fails_unchanged(
    session: &mut Session,
    call: impl FnOnce(&mut Session) -> Result<(), AnswerError>,
) -> AnswerError {
    let (before, saved) = (session.clone(), session.save());
    let err = call(session).expect_err("the call should fail");
    assert_eq!(
        session.save(),
        saved,
        "save() changed by a failing call ({err})"
    );
    assert_eq!(
        *session, before,
        "session changed by a failing call ({err})"
    );
    err
}

fn ask(session: &Session) -> Question<'_> {
    match session.current() {
        Step::Ask(q) => q,
        other => panic!("expected an Ask, got {other:?}"),
    }
}

fn act(session: &Session) -> Question<'_> {
    match session.current() {
        Step::Act(q) => q,
        other => panic!("expected an Act, got {other:?}"),
    }
}

fn values(q: &Question<'_>) -> Vec<Value> {
    q.answers().map(|a| a.value.clone()).collect()
}

fn labels<'a>(q: &Question<'a>) -> Vec<&'a str> {
    q.answers().map(|a| a.text).collect()
}

fn resolved(session: &Session) -> &str {
    match session.current() {
        Step::Resolved(r) => r.node,
        other => panic!("expected a resolution, got {other:?}"),
    }
}

fn transcript(session: &Session) -> Vec<Line<'_>> {
    session
        .transcript()
        .map(|r| (r.node, r.fact, r.value, r.rule, r.origin))
        .collect()
}

/// A save as JSON, the form a host stores.
fn json(saved: &SavedSession) -> serde_json::Value {
    serde_json::to_value(saved).expect("a save serialises")
}

fn visits(session: &Session) -> Vec<(String, u16)> {
    let saved = json(&session.save());
    saved["visits"]
        .as_object()
        .expect("visits is a map")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_u64()
                    .and_then(|v| u16::try_from(v).ok())
                    .expect("a count"),
            )
        })
        .collect()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// Resumes a save of `answers` on the recharge tree after `tamper` edited its JSON (and
/// the checksum was recomputed, so that the checks behind it are what refuse it);
/// returns the error.
fn tampered(answers: &[&str], tamper: impl FnOnce(&mut serde_json::Value)) -> ResumeError {
    tampered_with(Resume::new(recharge()), answers, tamper)
}

fn tampered_with(
    resume: Resume,
    answers: &[&str],
    tamper: impl FnOnce(&mut serde_json::Value),
) -> ResumeError {
    let saved = walk(&recharge(), answers).save();
    assert!(resume.resume(&saved).is_ok(), "the untouched save resumes");
    let mut edited = json(&saved);
    tamper(&mut edited);
    let mut edited: SavedSession = serde_json::from_value(edited).expect("still a save");
    edited.reseal();
    resume
        .resume(&edited)
        .map(|_| ())
        .expect_err("a tampered save is refused")
}

/// A number as a save writes it.
fn number(n: f64) -> serde_json::Value {
    serde_json::json!({ "number": format!("{n:?}") })
}

// ------------------------------------------------------ 1. walks on the tree

#[test]
fn walk_to_resolutions() {
    let tree = recharge();
    let mut session = walk(&tree, &["false", "true", "no", "normal", "no", "true"]);
    assert_eq!(resolved(&session), "resolved_maintenance");
    assert_eq!(
        session.path_ids(),
        [
            "check_debited",
            "check_network",
            "check_bank",
            "check_account",
            "check_limit",
            "check_maintenance",
            "resolved_maintenance"
        ]
    );
    assert_eq!(session.steps(), 6);
    assert!(session.current().is_end());
    let Step::Resolved(r) = session.current() else {
        unreachable!()
    };
    assert!(
        r.text.contains("系统维护期间发起的充值会失败"),
        "{}",
        r.text
    );

    // An instruction that works ends the walk through its `solved` branch.
    session = walk(&tree, &["false", "false", "solved"]);
    assert_eq!(resolved(&session), "resolved_network");
    assert_eq!(
        session.path_ids(),
        [
            "check_debited",
            "check_network",
            "fix_network",
            "resolved_network"
        ]
    );
}

#[test]
fn walk_to_escalation_after_debit() {
    let tree = recharge();
    // The amount is captured for the agent before the hand-over.
    let session = walk(&tree, &["true", "60", "100"]);
    let Step::Escalated(e) = session.current() else {
        panic!("expected an escalation, got {:?}", session.current())
    };
    assert_eq!(e.node, "escalate_unreconciled");
    assert_eq!(e.priority, Priority::High);
    assert_eq!(e.channel, Some(Channel::Hotline));
    assert_eq!(e.prepare().len(), 4);
    assert_eq!(e.prepare().next(), Some("注册手机号"));
    assert_eq!(
        session.path_ids(),
        [
            "check_debited",
            "debited_hours",
            "ask_debit_amount",
            "escalate_unreconciled"
        ]
    );
    assert_eq!(session.fact("amount"), Some(Value::Number(100.0)));

    // `Ge("hours_since_debit", 48)`: 48 escalates, 47.5 waits for reconciliation.
    assert_eq!(
        walk(&tree, &["true", "48"]).current().node(),
        "ask_debit_amount"
    );
    let session = walk(&tree, &["true", "47.5", "not_solved"]);
    assert_eq!(resolved(&session), "wait_reconciliation");
    assert_eq!(
        session.path_ids(),
        [
            "check_debited",
            "debited_hours",
            "check_records",
            "wait_reconciliation"
        ]
    );
}

#[test]
fn retry_limit_redirects_the_third_arrival() {
    let tree = recharge();
    let session = walk(&tree, RETRIES);
    let Step::Escalated(e) = session.current() else {
        panic!("expected an escalation, got {:?}", session.current())
    };
    assert_eq!(e.node, "escalate_retry_failed");
    assert_eq!(
        (e.priority, e.channel),
        (Priority::Normal, Some(Channel::InApp))
    );
    assert_eq!(session.path_ids(), RETRIES_PATH);
    assert_eq!(visits(&session), [("retry_recharge".to_owned(), 2)]);

    // First and second arrivals stop at the retry itself, and are counted.
    let first = walk(&tree, &RETRIES[..6]);
    assert_eq!(act(&first).node, "retry_recharge");
    assert_eq!(visits(&first), [("retry_recharge".to_owned(), 1)]);
    let mut second = walk(&tree, &RETRIES[..8]);
    assert_eq!(act(&second).node, "retry_recharge");
    assert_eq!(visits(&second), [("retry_recharge".to_owned(), 2)]);
    // The second retry may still succeed.
    // ... and then asks whether it was charged once.
    answer_all(&mut second, &["solved", "once"]);
    assert_eq!(resolved(&second), "resolved_retry");
    // A retry that charged the user leaves the loop for the debit branch.
    let charged = walk(&tree, &[&RETRIES[..7], &["yes"]].concat());
    assert_eq!(ask(&charged).node, "debited_hours");
}

// ------------------------------------------------------------ 2. known facts

#[test]
fn known_facts_answer_questions_and_decisions_silently() {
    let tree = recharge();
    let session = Session::builder(&tree)
        .fact("money_debited", false)
        .fact("network_ok", true)
        .start()
        .unwrap();
    let q = ask(&session);
    assert_eq!(
        (q.node, q.fact, q.kind),
        ("check_bank", None, AnswerKind::Choice)
    );
    assert_eq!(
        transcript(&session),
        [
            (
                "check_debited",
                Some("money_debited"),
                Some(Value::Bool(false)),
                None,
                Origin::Auto
            ),
            ("check_network", None, None, None, Origin::Auto),
        ]
    );
    assert_eq!(
        session.path_ids(),
        ["check_debited", "check_network", "check_bank"]
    );
    assert_eq!(session.steps(), 2);
    assert_eq!(session.fact("network_ok"), Some(Value::Bool(true)));

    // A rule that holds is recorded by index.
    let session = Session::builder(&tree)
        .fact("money_debited", false)
        .fact("network_ok", false)
        .start()
        .unwrap();
    assert_eq!(act(&session).node, "fix_network");
    assert_eq!(
        transcript(&session)[1],
        ("check_network", None, None, Some(0), Origin::Auto)
    );

    // Known facts further on are used when the walk gets there.
    let mut session = Session::builder(&tree)
        .fact("account_status", "unverified")
        .fact("hours_since_debit", 3)
        .start()
        .unwrap();
    answer_all(&mut session, &["false", "true", "no"]);
    assert_eq!(act(&session).node, "verify_identity");
    assert_eq!(
        transcript(&session)[4],
        ("check_account", None, None, Some(1), Origin::Auto)
    );
    assert_eq!(session.fact("hours_since_debit"), Some(Value::Number(3.0)));
}

#[test]
fn decide_asks_for_an_unknown_fact_and_the_answer_fills_it() {
    let tree = recharge();
    let mut session = Session::builder(&tree).locale("en").start().unwrap();
    answer_all(&mut session, &["false"]);
    // An offered answer to a question that names a fact fills the fact.
    assert_eq!(session.fact("money_debited"), Some(Value::Bool(false)));
    assert_eq!(
        transcript(&session),
        [(
            "check_debited",
            Some("money_debited"),
            Some(Value::Bool(false)),
            None,
            Origin::Given
        )]
    );
    let q = ask(&session);
    assert_eq!(
        (q.node, q.fact, q.kind),
        ("check_network", Some("network_ok"), AnswerKind::Bool)
    );
    assert_eq!(
        q.text,
        "Is your internet connection stable right now, e.g. do web pages and videos load normally?"
    );
    assert_eq!(values(&q), [Value::Bool(true), Value::Bool(false)]);
    assert_eq!(labels(&q), ["Yes", "No"]);
    assert_eq!(session.fact("network_ok"), None);

    session.answer(true).unwrap();
    assert_eq!(session.fact("network_ok"), Some(Value::Bool(true)));
    assert_eq!(ask(&session).node, "check_bank");
    assert_eq!(
        transcript(&session)[1..],
        [
            (
                "check_network",
                Some("network_ok"),
                Some(Value::Bool(true)),
                None,
                Origin::Given
            ),
            ("check_network", None, None, None, Origin::Auto),
        ]
    );
    assert_eq!(
        session.path_ids(),
        ["check_debited", "check_network", "check_bank"]
    );

    // A Choice fact offers its values with their labels.
    answer_all(&mut session, &["no"]);
    let q = ask(&session);
    assert_eq!(
        (q.node, q.fact, q.kind),
        ("check_account", Some("account_status"), AnswerKind::Choice)
    );
    assert!(
        q.text.starts_with("What state is your wallet account in?"),
        "{}",
        q.text
    );
    assert_eq!(
        values(&q),
        [text("normal"), text("restricted"), text("unverified")]
    );
    assert_eq!(
        labels(&q),
        [
            "Normal, no restriction notices",
            "Restricted, frozen or locked",
            "Asked to complete real-name verification first"
        ]
    );
    session.answer("restricted").unwrap();
    assert_eq!(session.fact("account_status"), Some(text("restricted")));
    assert_eq!(act(&session).node, "lift_restriction");
}

#[test]
fn number_fact_from_a_value_or_from_text() {
    let tree = recharge();
    let mut session = Session::builder(&tree).locale("en").start().unwrap();
    answer_all(&mut session, &["true"]);
    let q = ask(&session);
    assert_eq!(
        (q.node, q.fact, q.kind),
        (
            "debited_hours",
            Some("hours_since_debit"),
            AnswerKind::Number
        )
    );
    assert_eq!(
        q.text,
        "Roughly how many hours ago was the money taken? Please enter a number, e.g. 3."
    );
    assert_eq!(q.answers().len(), 0);

    let mut by_str = session.clone();
    session.answer(60.0).unwrap();
    by_str.answer_str("60").unwrap();
    assert_eq!(session, by_str);
    assert_eq!(session.save(), by_str.save());
    assert_eq!(session.fact("hours_since_debit"), Some(Value::Number(60.0)));
    assert_eq!(session.current().node(), "ask_debit_amount");

    // Supplied up front, the number decides silently.
    let session = Session::builder(&tree)
        .fact("money_debited", true)
        .fact("hours_since_debit", 12.0)
        .start()
        .unwrap();
    assert_eq!(act(&session).node, "check_records");
    assert_eq!(
        transcript(&session),
        [
            (
                "check_debited",
                Some("money_debited"),
                Some(Value::Bool(true)),
                None,
                Origin::Auto
            ),
            ("debited_hours", None, None, None, Origin::Auto),
        ]
    );
}

// -------------------------------------------------------- 3. invalid answers

#[test]
fn an_answer_that_is_not_offered_is_refused() {
    let tree = recharge();
    let mut session = walk(&tree, &["false", "true"]);
    let expected = AnswerError::NotOffered {
        node: "check_bank".into(),
        value: text("maybe"),
        accepted: vec![text("yes"), text("no")],
    };
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("maybe").map(|_| ())),
        expected
    );
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer_str("maybe").map(|_| ())),
        expected
    );

    let mut session = walk(&tree, &[]);
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer_str("yes").map(|_| ())),
        AnswerError::NotOffered {
            node: "check_debited".into(),
            value: text("yes"),
            accepted: vec![Value::Bool(true), Value::Bool(false)]
        }
    );

    let mut session = walk(&tree, &["false", "false"]);
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("done").map(|_| ())),
        AnswerError::NotOffered {
            node: "fix_network".into(),
            value: text("done"),
            accepted: vec![text("solved"), text("not_solved")]
        }
    );
}

#[test]
fn a_value_of_the_wrong_type_is_refused() {
    let tree = recharge();
    let mut session = walk(&tree, &["true"]);
    let wrong = |value: Value| AnswerError::WrongType {
        node: "debited_hours".into(),
        fact: "hours_since_debit".into(),
        expected: FactType::Number,
        value,
    };
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("sixty").map(|_| ())),
        wrong(text("sixty"))
    );
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer_str("sixty").map(|_| ())),
        wrong(text("sixty"))
    );
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer(true).map(|_| ())),
        wrong(Value::Bool(true))
    );
    assert!(matches!(
        fails_unchanged(&mut session, |s| s.answer(f64::NAN).map(|_| ())),
        AnswerError::WrongType { .. }
    ));
    assert!(matches!(
        fails_unchanged(&mut session, |s| s.answer_str("inf").map(|_| ())),
        AnswerError::WrongType { .. }
    ));

    // Bool and Choice facts asked by a Decide offer their values, so a value outside
    // them is "not offered", exactly as for an Ask.
    let mut session = walk(&tree, &["false"]);
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("yes").map(|_| ())),
        AnswerError::NotOffered {
            node: "check_network".into(),
            value: text("yes"),
            accepted: vec![Value::Bool(true), Value::Bool(false)],
        }
    );

    let mut session = walk(&tree, &["false", "true", "no"]);
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer(true).map(|_| ())),
        AnswerError::NotOffered {
            node: "check_account".into(),
            value: Value::Bool(true),
            accepted: vec![text("normal"), text("restricted"), text("unverified")],
        }
    );
    // A choice that is not offered is refused too, naming what is accepted.
    let err = fails_unchanged(&mut session, |s| s.answer_str("frozen").map(|_| ()));
    assert!(
        err.to_string()
            .contains(r#""normal", "restricted", "unverified""#),
        "{err}"
    );
}

#[test]
fn answering_after_the_end_is_refused() {
    let tree = recharge();
    let mut session = walk(&tree, &["false", "true", "no", "normal", "no", "true"]);
    let ended = AnswerError::Ended {
        node: "resolved_maintenance".into(),
    };
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("solved").map(|_| ())),
        ended
    );
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer_str("true").map(|_| ())),
        ended
    );

    let mut session = walk(&tree, RETRIES);
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("no").map(|_| ())),
        AnswerError::Ended {
            node: "escalate_retry_failed".into()
        }
    );
}

#[test]
fn builder_refuses_unknown_facts_wrong_types_and_unknown_locales() {
    let tree = recharge();
    let err = |b: SessionBuilder| b.start().map(|_| ()).expect_err("start should fail");
    assert_eq!(
        err(Session::builder(&tree).fact("wifi", true)),
        StartError::UnknownFact {
            fact: "wifi".into(),
            declared: [
                "account_status",
                "amount",
                "hours_since_debit",
                "maintenance_notice",
                "money_debited",
                "network_ok",
                "over_limit",
            ]
            .map(String::from)
            .to_vec(),
        }
    );
    assert_eq!(
        err(Session::builder(&tree).fact("network_ok", "yes")),
        StartError::WrongType {
            fact: "network_ok".into(),
            tree: "recharge_failure".into(),
            expected: FactType::Bool,
            accepted: vec![],
            value: text("yes"),
        }
    );
    let frozen = err(Session::builder(&tree).fact("account_status", "frozen"));
    assert_eq!(
        frozen,
        StartError::WrongType {
            fact: "account_status".into(),
            tree: "recharge_failure".into(),
            expected: FactType::Choice,
            accepted: vec![text("normal"), text("restricted"), text("unverified")],
            value: text("frozen"),
        }
    );
    assert_eq!(
        frozen.to_string(),
        r#"fact "account_status" of tree "recharge_failure" takes one of "normal", "restricted", "unverified", not "frozen""#
    );
    assert!(matches!(
        err(Session::builder(&tree).fact("hours_since_debit", f64::INFINITY)),
        StartError::WrongType { .. }
    ));
    assert_eq!(
        err(Session::builder(&tree).locale("fr")),
        StartError::UnknownLocale {
            tree: "recharge_failure".into(),
            locale: "fr".into(),
            declared: vec!["zh".into(), "en".into()],
        }
    );
    assert_eq!(
        err(Session::builder(&tree).at("nowhere")),
        StartError::UnknownNode {
            tree: "recharge_failure".into(),
            node: "nowhere".into()
        }
    );
}

// ------------------------------------------------------------------- 4. back

#[test]
fn back_undoes_exactly_the_last_answer() {
    let tree = recharge();
    for i in 0..RETRIES.len() {
        let mut session = walk(&tree, &RETRIES[..i]);
        let (before, saved) = (session.clone(), session.save());
        answer_all(&mut session, &RETRIES[i..=i]);
        session
            .back()
            .unwrap_or_else(|e| panic!("back after answer {i}: {e}"));
        assert_eq!(session.save(), saved, "back after answer {i}");
        assert_eq!(session, before, "back after answer {i}");
    }
}

#[test]
fn back_at_the_start_has_nothing_to_undo() {
    let tree = recharge();
    let mut session = Session::new(&tree).unwrap();
    assert_eq!(
        fails_unchanged(&mut session, Session::back),
        AnswerError::NothingToUndo
    );

    // Answers the walker filled in are not the user's to take back.
    let mut session = Session::builder(&tree)
        .fact("money_debited", false)
        .fact("network_ok", true)
        .start()
        .unwrap();
    assert_eq!(
        fails_unchanged(&mut session, Session::back),
        AnswerError::NothingToUndo
    );
    assert_eq!(session.transcript().len(), 2);
}

#[test]
fn back_across_automatic_steps_and_limit_counts() {
    let tree = recharge();
    let start = || {
        Session::builder(&tree)
            .locale("en")
            .fact("money_debited", false)
            .fact("network_ok", true)
            .fact("account_status", "normal")
            .fact("over_limit", "no")
            .fact("maintenance_notice", false)
            .start()
            .unwrap()
    };
    let first = start();
    assert_eq!(ask(&first).node, "check_bank");
    assert_eq!(first.transcript().len(), 2);

    // "no" at check_bank passes three known facts on the way to the retry loop.
    let mut session = start();
    answer_all(&mut session, &["no"]);
    assert_eq!(act(&session).node, "retry_recharge");
    assert_eq!(
        transcript(&session)[3..],
        [
            ("check_account", None, None, None, Origin::Auto),
            (
                "check_limit",
                Some("over_limit"),
                Some(text("no")),
                None,
                Origin::Auto
            ),
            (
                "check_maintenance",
                Some("maintenance_notice"),
                Some(Value::Bool(false)),
                None,
                Origin::Auto
            ),
        ]
    );
    assert_eq!(visits(&session), [("retry_recharge".to_owned(), 1)]);
    let mut saves = vec![first.save(), session.save()];
    for answer in ["not_solved", "no", "not_solved", "no"] {
        answer_all(&mut session, &[answer]);
        saves.push(session.save());
    }
    assert_eq!(session.current().node(), "escalate_retry_failed");
    assert_eq!(visits(&session), [("retry_recharge".to_owned(), 2)]);
    // Walk all the way back, one answer at a time: limit counts and automatic steps
    // come back exactly as they were.
    for expected in saves.iter().rev().skip(1) {
        session.back().unwrap();
        assert_eq!(&session.save(), expected);
    }
    assert_eq!(session, first);
    assert!(visits(&session).is_empty());
    assert_eq!(
        fails_unchanged(&mut session, Session::back),
        AnswerError::NothingToUndo
    );

    // Back over a fact given to a Decide forgets the fact and asks again.
    let mut session = walk(&tree, &["false", "true"]);
    session.back().unwrap();
    assert_eq!(ask(&session).fact, Some("network_ok"));
    assert_eq!(session.fact("network_ok"), None);
    assert_eq!(session.path_ids(), ["check_debited", "check_network"]);
}

// --------------------------------------------------------------- 5. step bound

#[test]
fn step_limit_refuses_the_move_and_keeps_the_session() {
    let tree = recharge();
    let mut session = Session::builder(&tree).step_limit(3).start().unwrap();
    answer_all(&mut session, &["false", "true", "no"]);
    assert_eq!(
        (session.current().node(), session.steps()),
        ("check_account", 3)
    );
    // The fact is acceptable, but the Decide would then move a fourth time.
    let limit = AnswerError::StepLimit { limit: 3 };
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("normal").map(|_| ())),
        limit
    );
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer_str("restricted").map(|_| ())),
        limit
    );
    assert_eq!(session.fact("account_status"), None);
    session.back().unwrap();
    assert_eq!(session.current().node(), "check_bank");

    // The bound also applies to a plain answer's own move.
    let mut session = Session::builder(&tree).step_limit(2).start().unwrap();
    answer_all(&mut session, &["false", "true"]);
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("no").map(|_| ())),
        AnswerError::StepLimit { limit: 2 }
    );

    // And to the automatic moves before the first stop.
    let known = |limit| {
        Session::builder(&tree)
            .fact("money_debited", false)
            .fact("network_ok", true)
            .step_limit(limit)
            .start()
    };
    assert_eq!(
        known(1).map(|_| ()),
        Err(StartError::StepLimit { limit: 1 })
    );
    assert_eq!(known(2).unwrap().current().node(), "check_bank");
}

// ------------------------------------------------------------ 6. save / resume

#[test]
fn save_and_resume_through_ron_at_every_step() {
    let tree = recharge();
    for i in 0..=RETRIES.len() {
        let mut session = walk(&tree, &RETRIES[..i]);
        let saved = session.save();
        let text = ron::to_string(&saved).expect("a save serialises");
        let back: SavedSession = ron::from_str(&text).expect("a save deserialises");
        assert_eq!(back, saved, "ron round trip after {i} answers: {text}");
        let (mut resumed, how) = Session::resume(&tree, &back)
            .unwrap_or_else(|e| panic!("resume after {i} answers: {e}"));
        assert_eq!(how, Resumed::Restored);
        assert_eq!(resumed, session, "after {i} answers");
        assert_eq!(resumed.save(), saved);
        answer_all(&mut resumed, &RETRIES[i..]);
        answer_all(&mut session, &RETRIES[i..]);
        assert_eq!(resumed, session);
        assert_eq!(resumed.path_ids(), RETRIES_PATH);
    }
}

#[test]
fn a_save_keeps_facts_and_locale_but_not_the_bound() {
    let tree = recharge();
    let mut session = Session::builder(&tree)
        .locale("en")
        .fact("money_debited", true)
        .step_limit(50)
        .start()
        .unwrap();
    answer_all(&mut session, &["47"]);
    let saved = session.save();
    assert_eq!(
        (
            saved.start_tree(),
            saved.tree(),
            saved.node(),
            saved.locale()
        ),
        (
            "recharge_failure",
            "recharge_failure",
            "check_records",
            "en"
        )
    );
    assert_eq!(saved.steps(), 2);
    let fingerprint = format!("{:016x}", tree.fingerprint());
    assert_eq!(
        saved.trees().collect::<Vec<_>>(),
        [("recharge_failure", fingerprint.as_str())]
    );
    let written = json(&saved);
    assert_eq!(
        written["host_facts"],
        serde_json::json!({ "money_debited": true })
    );
    assert_eq!(
        written["facts"],
        serde_json::json!({ "money_debited": true, "hours_since_debit": number(47.0) })
    );
    // The bound is the host's, not the save's.
    assert!(written.get("step_limit").is_none());

    let saved: SavedSession = ron::from_str(&ron::to_string(&saved).unwrap()).unwrap();
    let (resumed, _) = Resume::new(&tree)
        .fact("money_debited", true)
        .step_limit(50)
        .resume(&saved)
        .unwrap();
    assert_eq!(resumed, session);
    assert_eq!(resumed.locale(), "en");
    assert_eq!(act(&resumed).text, act(&session).text);
}

/// A host keeping saves in plain JSON (any library, numbers written as it likes) gets
/// them back bit for bit: numbers are written as text in a save.
#[test]
fn numbers_in_a_save_survive_any_json_library() {
    let tree = recharge();
    // Within the fact's range, 0 to 8760 hours.
    for hours in [
        0.1,
        47.000_000_000_000_01,
        8_759.999_999_999_998,
        -0.0,
        f64::MIN_POSITIVE,
    ] {
        let mut session = Session::new(&tree).unwrap();
        answer_all(&mut session, &["true"]);
        session.answer(hours).unwrap();
        let text = serde_json::to_string(&session.save()).unwrap();
        let back: SavedSession = serde_json::from_str(&text).unwrap();
        let (resumed, how) = Session::resume(&tree, &back).unwrap();
        assert_eq!(how, Resumed::Restored);
        let fact = resumed.fact("hours_since_debit");
        assert!(
            matches!(fact, Some(Value::Number(n)) if n.to_bits() == hours.to_bits()),
            "{hours:?} came back as {fact:?} from {text}"
        );
    }
}

/// A save whose content changed on the way — one ulp in a number, a letter in a text —
/// is refused by its checksum, even where the change would make a valid walk.
#[test]
fn a_save_changed_on_the_way_is_refused() {
    let tree = recharge();
    let mut session = Session::new(&tree).unwrap();
    answer_all(&mut session, &["true"]);
    session.answer(47.5).unwrap();
    let text = serde_json::to_string(&session.save()).unwrap();
    let one_ulp = format!("{:?}", f64::from_bits(47.5f64.to_bits() + 1));
    let edited = text.replace("\"47.5\"", &format!("\"{one_ulp}\""));
    assert_ne!(edited, text);
    let saved: SavedSession = serde_json::from_str(&edited).unwrap();
    assert!(matches!(
        Session::resume(&tree, &saved),
        Err(ResumeError::Corrupt { .. })
    ));
    // A bare JSON number (a library that rewrote the save) is not read at all.
    let bare = text.replace("{\"number\":\"47.5\"}", "47.5");
    assert_ne!(bare, text);
    let err = serde_json::from_str::<SavedSession>(&bare).expect_err("bare numbers are refused");
    assert!(err.to_string().contains("written bare"), "{err}");
}

#[test]
fn resume_on_an_edited_tree_replays_to_the_same_place() {
    let tree = recharge();
    let original = recharge_text();
    let changed_text =
        load(&original.replace("Yes, something like that", "Yes, a message like that"));
    let extra = "        Resolve(id: \"extra_tip\", text: { \"zh\": \"额外提示。\", \"en\": \"An extra tip.\" }),\n";
    let end = original
        .rfind("    ],\n)")
        .expect("the end of the node list");
    let added_node = load(&[&original[..end], extra, &original[end..]].concat());
    for edited in [&changed_text, &added_node] {
        assert_ne!(edited.fingerprint(), tree.fingerprint());
        for i in 0..=RETRIES.len() {
            let mut session = walk(&tree, &RETRIES[..i]);
            let (mut resumed, how) = Session::resume(edited, &session.save())
                .unwrap_or_else(|e| panic!("after {i} answers: {e}"));
            assert_eq!(how, Resumed::Replayed);
            // The same walk; only the tree's fingerprint (and so the checksum) differ.
            let (mut got, mut want) = (json(&resumed.save()), json(&session.save()));
            for j in [&mut got, &mut want] {
                j["trees"] = serde_json::Value::Null;
                j["checksum"] = serde_json::Value::Null;
            }
            assert_eq!(got, want, "after {i} answers");
            answer_all(&mut resumed, &RETRIES[i..]);
            answer_all(&mut session, &RETRIES[i..]);
            assert_eq!(resumed.path_ids(), RETRIES_PATH);
        }
    }

    // Comments and layout are not changes: the save is restored as it was.
    let commented = load(&original.replace("nodes: [", "// reviewed\n    nodes: ["));
    assert_eq!(commented.fingerprint(), tree.fingerprint());
    let session = walk(&tree, &RETRIES[..4]);
    assert_eq!(
        Session::resume(&commented, &session.save()).unwrap().1,
        Resumed::Restored
    );
}

#[test]
fn resume_refuses_a_tree_whose_answered_path_changed() {
    let saved = walk(&recharge(), &["false", "true", "no", "normal"]).save();
    let original = recharge_text();
    let edits = [
        (
            "renamed answered node",
            original.replace("\"check_bank\"", "\"check_card\""),
        ),
        (
            "renamed answer value",
            replace_after(
                &original,
                "id: \"check_bank\"",
                "value: \"no\"",
                "value: \"nope\"",
            ),
        ),
        (
            "renamed Choice value",
            original.replace("\"normal\"", "\"ok\""),
        ),
    ];
    for (what, text) in edits {
        let result = Session::resume(load(&text), &saved)
            .map(|(s, how)| (s.current().node().to_owned(), how));
        assert!(
            matches!(result, Err(ResumeError::Stale { .. })),
            "{what}: {result:?}"
        );
    }
    // A renamed start node: the journey's way in is gone.
    let renamed = load(&original.replace("\"check_debited\"", "\"check_charged\""));
    assert!(matches!(
        Session::resume(renamed, &saved),
        Err(ResumeError::Stale { .. })
    ));
}

/// A replay checks that each answer is given at the node where it was recorded and
/// that the walk ends at the saved node. Here the last answer ("no" at `check_bank`)
/// now leads to `check_limit` instead of `check_account`, so the user, who was shown
/// the `account_status` question, would be resumed at another one.
#[test]
fn resume_refuses_a_replay_that_ends_elsewhere() {
    let saved = walk(&recharge(), &["false", "true", "no"]).save();
    assert_eq!(saved.node(), "check_account");
    let text = replace_after(
        &recharge_text(),
        "id: \"check_bank\"",
        "next: \"check_account\"",
        "next: \"check_limit\"",
    );
    let result =
        Session::resume(load(&text), &saved).map(|(s, how)| (s.current().node().to_owned(), how));
    assert!(
        matches!(result, Err(ResumeError::Stale { .. })),
        "{result:?}"
    );
}

#[test]
fn resume_refuses_another_tree() {
    let saved = walk(&recharge(), &["false"]).save();
    assert_eq!(
        Session::resume(fixture("goto_a"), &saved).map(|_| ()),
        Err(ResumeError::UnknownTree {
            tree: "recharge_failure".into(),
        })
    );
}

#[test]
fn resume_refuses_tampered_saves() {
    let in_loop = &RETRIES[..7]; // at check_retry_debit, retry_recharge passed once
    let corrupt: Vec<(&str, ResumeError)> = vec![
        (
            "unknown node",
            tampered(in_loop, |s| s["at"]["node"] = "nowhere".into()),
        ),
        (
            "unknown transcript node",
            tampered(in_loop, |s| s["transcript"][2]["node"] = "nowhere".into()),
        ),
        (
            "visits over the limit",
            tampered(in_loop, |s| s["visits"]["retry_recharge"] = 3.into()),
        ),
        (
            "visits on an unlimited node",
            tampered(in_loop, |s| s["visits"]["check_bank"] = 1.into()),
        ),
        (
            "value not offered",
            tampered(in_loop, |s| s["transcript"][0]["value"] = "maybe".into()),
        ),
        (
            "value of the wrong type",
            tampered(in_loop, |s| s["transcript"][0]["value"] = number(1.0)),
        ),
        (
            "rule out of range",
            tampered(in_loop, |s| s["transcript"][2]["rule"] = 7.into()),
        ),
        (
            "record at an end node",
            tampered(in_loop, |s| {
                s["transcript"][2]["node"] = "resolved_retry".into()
            }),
        ),
        (
            "fact of the wrong type",
            tampered(in_loop, |s| s["facts"]["network_ok"] = "yes".into()),
        ),
        (
            "unknown locale",
            tampered(in_loop, |s| s["locale"] = "fr".into()),
        ),
        (
            "moved to another tree",
            tampered(in_loop, |s| s["at"]["tree"] = "goto_a".into()),
        ),
        // A Decide whose facts are all known is not where a walk stops...
        (
            "decided Decide",
            tampered(&["false"], |s| s["facts"]["network_ok"] = true.into()),
        ),
        // ...nor a question whose fact is known.
        (
            "answered Ask",
            tampered(&["false"], |s| s["at"]["node"] = "check_debited".into()),
        ),
    ];
    for (what, err) in corrupt {
        assert!(
            matches!(err, ResumeError::Corrupt { .. }),
            "{what}: {err:?}"
        );
    }
    // The walk is recomputed within the host's bound, not the one it ran under.
    let saved = walk(&recharge(), in_loop).save();
    assert!(matches!(
        Resume::new(recharge()).step_limit(3).resume(&saved),
        Err(ResumeError::Corrupt { .. })
    ));
    assert_eq!(
        tampered(in_loop, |s| s["format"] = 1.into()),
        ResumeError::Format {
            found: 1,
            expected: troubletree::SAVED_FORMAT
        }
    );
}

/// The host, not the save, decides the host facts and where a walk may start: a save
/// claiming facts the host did not confirm, or a start elsewhere than the tree's start
/// (straight to an escalation, say), is refused unless the host says so.
#[test]
fn resume_trusts_only_what_the_host_confirms() {
    let tree = recharge();
    // Forged host facts: the walk would skip questions on the strength of them.
    assert_eq!(
        tampered(&["false"], |s| s["host_facts"]["network_ok"] = true.into()),
        ResumeError::HostFact {
            fact: "network_ok".into()
        }
    );
    let confirmed = Session::builder(&tree)
        .fact("money_debited", false)
        .start()
        .unwrap();
    let saved = confirmed.save();
    assert_eq!(
        Session::resume(&tree, &saved).map(|_| ()),
        Err(ResumeError::HostFact {
            fact: "money_debited".into()
        })
    );
    assert_eq!(
        Resume::new(&tree)
            .fact("money_debited", true)
            .resume(&saved)
            .map(|_| ()),
        Err(ResumeError::HostFact {
            fact: "money_debited".into()
        })
    );
    let (again, _) = Resume::new(&tree)
        .fact("money_debited", false)
        .resume(&saved)
        .unwrap();
    assert_eq!(again, confirmed);
    let (again, _) = Resume::new(&tree)
        .trust_saved_facts()
        .resume(&saved)
        .unwrap();
    assert_eq!(again, confirmed);

    // A forged start: straight to a High-priority escalation, no question answered.
    let err = tampered(&[], |s| {
        s["start"]["node"] = "escalate_unreconciled".into();
        s["at"]["node"] = "escalate_unreconciled".into();
    });
    assert_eq!(
        err,
        ResumeError::Start {
            tree: "recharge_failure".into(),
            node: "escalate_unreconciled".into()
        }
    );
    // A host that started the walk elsewhere says so.
    let elsewhere = Session::builder(&tree).at("check_bank").start().unwrap();
    let saved = elsewhere.save();
    assert!(matches!(
        Session::resume(&tree, &saved),
        Err(ResumeError::Start { .. })
    ));
    assert_eq!(
        Resume::new(&tree)
            .start_at("check_bank")
            .resume(&saved)
            .unwrap()
            .0,
        elsewhere
    );
}

/// Counts follow from the transcript: a limited node's count is its number of
/// occurrences in `path()`, and `steps` is `path().len() - 1`; lowered ones are refused
/// (they would give the walk more retries, or more steps, than the tree allows).
#[test]
fn resume_refuses_counts_that_disagree_with_the_transcript() {
    let at_first_retry = &RETRIES[..6]; // retry_recharge passed once, 6 steps
    let cases = [
        (
            "visits lowered",
            tampered(at_first_retry, |s| s["visits"] = serde_json::json!({})),
        ),
        (
            "steps lowered",
            tampered(at_first_retry, |s| s["steps"] = 0.into()),
        ),
    ];
    for (what, err) in cases {
        assert!(
            matches!(err, ResumeError::Corrupt { .. }),
            "{what}: {err:?}"
        );
    }
}

// ------------------------------------------------------------------ 7. locales

#[test]
fn locales_give_the_texts_of_the_tree() {
    let tree = recharge();
    let zh = walk(&tree, &["false", "true"]);
    assert_eq!(zh.locale(), "zh");
    let mut en = Session::builder(&tree).locale("en").start().unwrap();
    answer_all(&mut en, &["false", "true"]);
    assert_eq!(en.locale(), "en");

    let (q_zh, q_en) = (ask(&zh), ask(&en));
    assert_eq!((q_zh.node, q_en.node), ("check_bank", "check_bank"));
    assert!(q_zh.text.contains("银行系统繁忙"), "{}", q_zh.text);
    assert!(q_en.text.contains("'bank system busy'"), "{}", q_en.text);
    assert_eq!(labels(&q_zh), ["有这类提示", "没有，或者提示的是别的内容"]);
    assert_eq!(
        labels(&q_en),
        [
            "Yes, something like that",
            "No, or the message said something else"
        ]
    );
    assert_eq!(values(&q_zh), values(&q_en));

    // A fact asked by a Decide uses the fact's `ask` text.
    assert!(
        ask(&walk(&tree, &["false"]))
            .text
            .starts_with("您现在的网络连接稳定吗")
    );

    // Instructions offer "solved" / "not_solved", labelled in the locale.
    let zh = walk(&tree, &["false", "false"]);
    let mut en = Session::builder(&tree).locale("en").start().unwrap();
    answer_all(&mut en, &["false", "false"]);
    let (a_zh, a_en) = (act(&zh), act(&en));
    assert_eq!(
        (a_zh.node, a_zh.fact, a_zh.kind),
        ("fix_network", None, AnswerKind::Choice)
    );
    assert_eq!(values(&a_zh), [text("solved"), text("not_solved")]);
    assert_eq!(labels(&a_zh), ["问题已解决", "仍未解决"]);
    assert_eq!(labels(&a_en), ["That fixed it", "Still not working"]);
    assert!(a_zh.text.starts_with("网络不稳定是充值失败最常见的原因"));
    assert!(
        a_en.text
            .starts_with("An unstable connection is the most common reason")
    );

    // Escalations too.
    answer_all(
        &mut en,
        &[
            "not_solved",
            "no",
            "normal",
            "no",
            "false",
            "not_solved",
            "no",
            "not_solved",
            "no",
        ],
    );
    let Step::Escalated(e) = en.current() else {
        panic!("expected an escalation, got {:?}", en.current())
    };
    assert!(
        e.reason
            .starts_with("The top-up still fails after two retries"),
        "{}",
        e.reason
    );
    assert_eq!(
        e.prepare().last(),
        Some("A screenshot of the error message")
    );
}

#[test]
fn an_instruction_without_solved_offers_done() {
    let b = fixture("goto_b");
    for (locale, label) in [("zh", "完成"), ("en", "Done")] {
        let mut session = Session::builder(&b).locale(locale).start().unwrap();
        let q = act(&session);
        assert_eq!(q.node, "s");
        assert_eq!(values(&q), [text("done")]);
        assert_eq!(labels(&q), [label]);
        assert_eq!(
            fails_unchanged(&mut session, |s| s.answer("solved").map(|_| ())),
            AnswerError::NotOffered {
                node: "s".into(),
                value: text("solved"),
                accepted: vec![text("done")]
            }
        );
        answer_all(&mut session, &["done"]);
        assert_eq!(ask(&session).node, "x");
    }
}

// ------------------------------------------------------------------ 8. journeys

/// Trees "a" and "b" of `tests/data/session/`, which link to each other.
fn goto_catalogue() -> Catalogue {
    Catalogue::from_dir("tests/data/session").expect("the goto fixtures load")
}

fn places(session: &Session) -> Vec<String> {
    session.path().iter().map(ToString::to_string).collect()
}

#[test]
fn a_journey_follows_goto_into_the_target_tree_with_matching_facts() {
    let catalogue = goto_catalogue();
    let mut session = Session::builder(&catalogue)
        .tree("a")
        .locale("en")
        .step_limit(40)
        .start()
        .unwrap();
    answer_all(&mut session, &["true", "25"]);
    // The Goto was followed silently: the journey stands in tree "b".
    let q = ask(&session);
    assert_eq!(
        (q.tree, q.node, q.fact, q.kind),
        ("b", "x", Some("amount"), AnswerKind::Text)
    );
    assert_eq!(q.text, "Describe the amount.");
    assert_eq!(session.tree().id(), "b");
    assert_eq!(session.locale(), "en");
    // `network_ok` is Bool in both trees; `amount` is a Number in "a" but Text in "b".
    assert_eq!(session.fact("network_ok"), Some(Value::Bool(true)));
    assert_eq!(session.fact("amount"), None);
    assert_eq!(places(&session), ["a/online", "a/how_much", "a/g", "b/x"]);
    assert_eq!(session.steps(), 3);

    answer_all(&mut session, &["twenty-five"]);
    assert_eq!(resolved(&session), "ok");
    assert_eq!(
        places(&session),
        ["a/online", "a/how_much", "a/g", "b/x", "b/y", "b/ok"]
    );
    let lines: Vec<(String, Option<Value>, Option<String>, Origin)> = session
        .transcript()
        .map(|r| {
            (
                r.place().to_string(),
                r.value,
                r.jump.map(|p| p.to_string()),
                r.origin,
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (
                "a/online".into(),
                Some(Value::Bool(true)),
                None,
                Origin::Given
            ),
            (
                "a/how_much".into(),
                Some(Value::Number(25.0)),
                None,
                Origin::Given
            ),
            ("a/g".into(), None, Some("b/x".into()), Origin::Auto),
            ("b/x".into(), Some(text("twenty-five")), None, Origin::Given),
            ("b/y".into(), None, None, Origin::Auto),
        ]
    );
    assert_eq!(session.start().to_string(), "a/online");

    // Back across the jump: the answer in "b", then the one in "a" before the Goto.
    session.back().unwrap();
    assert_eq!(ask(&session).place().to_string(), "b/x");
    session.back().unwrap();
    assert_eq!(ask(&session).place().to_string(), "a/how_much");
    assert_eq!(session.tree().id(), "a");
    assert_eq!(session.fact("amount"), None);
}

#[test]
fn a_goto_without_a_node_enters_the_target_at_its_start() {
    let catalogue = goto_catalogue();
    let mut session = Session::builder(&catalogue).tree("a").start().unwrap();
    answer_all(&mut session, &["false"]);
    assert_eq!(act(&session).place().to_string(), "b/s");
    assert_eq!(session.fact("network_ok"), Some(Value::Bool(false)));
    answer_all(&mut session, &["done", "anything"]);
    let Step::Escalated(e) = session.current() else {
        panic!("expected an escalation, got {:?}", session.current())
    };
    assert_eq!(
        (e.tree, e.node, e.priority),
        ("b", "offline", Priority::Low)
    );
    assert_eq!(
        places(&session),
        ["a/online", "a/to_b_start", "b/s", "b/x", "b/y", "b/offline"]
    );
}

#[test]
fn a_tree_walked_alone_stops_at_its_goto() {
    let a = fixture("goto_a");
    let mut session = walk(&a, &["true", "25"]);
    let Step::Goto(jump) = session.current() else {
        panic!("expected a Goto, got {:?}", session.current())
    };
    assert_eq!(
        (jump.from, jump.node, jump.tree, jump.target),
        ("a", "g", "b", Some("x"))
    );
    assert!(session.current().is_end());
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("x")),
        AnswerError::Ended { node: "g".into() }
    );
}

#[test]
fn the_step_bound_counts_the_whole_journey() {
    let catalogue = goto_catalogue();
    // online → how_much → g → (jump) x: three moves reach "b".
    let mut session = Session::builder(&catalogue)
        .tree("a")
        .step_limit(2)
        .start()
        .unwrap();
    answer_all(&mut session, &["true"]);
    let err = fails_unchanged(&mut session, |s| s.answer(25.0));
    assert_eq!(err, AnswerError::StepLimit { limit: 2 });
}

/// A tree that jumps to itself is refused by the catalogue check (E013); walked alone,
/// its journey still ends, at the step bound, instead of looping.
#[test]
fn a_goto_loop_cannot_make_the_walker_spin() {
    let text = r#"Tree(id: "spin", start: "again", nodes: [Goto(id: "again", tree: "spin")])"#;
    let tree = load(text);
    assert_eq!(
        Session::builder(&tree).step_limit(1000).start().map(|_| ()),
        Err(StartError::StepLimit { limit: 1000 })
    );
    let err = Catalogue::from_texts(&[("spin.ron", text)]).expect_err("a loop of Goto links");
    assert!(err.to_string().contains("E013"), "{err}");
}

#[test]
fn a_journey_saves_and_resumes_across_trees_at_every_step() {
    let catalogue = goto_catalogue();
    let answers = ["true", "25", "twenty-five"];
    for i in 0..=answers.len() {
        let mut session = Session::builder(&catalogue).tree("a").start().unwrap();
        answer_all(&mut session, &answers[..i]);
        let saved = session.save();
        let text = serde_json::to_string(&saved).unwrap();
        let back: SavedSession = serde_json::from_str(&text).unwrap();
        let (mut resumed, how) = Session::resume(&catalogue, &back).unwrap();
        assert_eq!(how, Resumed::Restored);
        assert_eq!(resumed, session, "after {i} answers");
        answer_all(&mut resumed, &answers[i..]);
        answer_all(&mut session, &answers[i..]);
        assert_eq!(resumed, session);
    }
    // The save names every tree the journey visited, with its fingerprint.
    let mut session = Session::builder(&catalogue)
        .tree("a")
        .locale("en")
        .start()
        .unwrap();
    answer_all(&mut session, &["true", "25"]);
    let saved = session.save();
    let trees: Vec<&str> = saved.trees().map(|(id, _)| id).collect();
    assert_eq!(trees, ["a", "b"]);

    // On a catalogue where "b" was reworded, the journey replays to the same place.
    let a = std::fs::read_to_string("tests/data/session/goto_a.ron").unwrap();
    let b = std::fs::read_to_string("tests/data/session/goto_b.ron").unwrap();
    let reworded = b.replace("Describe the amount.", "Tell us the amount.");
    let changed = Catalogue::from_texts(&[("a.ron", &a), ("b.ron", &reworded)]).unwrap();
    let (resumed, how) = Session::resume(&changed, &saved).unwrap();
    assert_eq!(how, Resumed::Replayed);
    assert_eq!(ask(&resumed).text, "Tell us the amount.");
    // Where "b" no longer has the node the journey stopped at, it is refused as stale.
    let moved = b
        .replace("id: \"x\"", "id: \"x2\"")
        .replace("next: \"x\"", "next: \"x2\"");
    let a_moved = a.replace("node: \"x\"", "node: \"x2\"");
    let changed = Catalogue::from_texts(&[("a.ron", &a_moved), ("b.ron", &moved)]).unwrap();
    assert!(matches!(
        Session::resume(&changed, &saved),
        Err(ResumeError::Stale { .. })
    ));
    // A save tampered to claim it stopped elsewhere in "b" is refused.
    let mut edited = json(&saved);
    edited["at"]["node"] = "y".into();
    let mut edited: SavedSession = serde_json::from_value(edited).unwrap();
    edited.reseal();
    assert!(matches!(
        Session::resume(&catalogue, &edited),
        Err(ResumeError::Corrupt { .. })
    ));
}

// ------------------------------------------------------------------ 9. threads

#[test]
fn trees_and_sessions_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Tree>();
    send_sync::<Session>();

    let tree = recharge();
    let expected = walk(&tree, RETRIES);
    let shared = Arc::new(tree.clone());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            // Half the threads share the Arc, half a clone of the Tree (itself an Arc).
            let (shared, tree) = (Arc::clone(&shared), tree.clone());
            thread::spawn(move || {
                let tree = if i % 2 == 0 { &*shared } else { &tree };
                walk(tree, RETRIES)
            })
        })
        .collect();
    for handle in handles {
        let session = handle.join().expect("the walk thread");
        assert_eq!(session, expected);
        assert_eq!(session.save(), expected.save());
        assert_eq!(session.path_ids(), RETRIES_PATH);
    }

    // A session started on one thread can be finished on another.
    let half = walk(&tree, &RETRIES[..5]);
    let finished = thread::spawn(move || {
        let mut session = half;
        answer_all(&mut session, &RETRIES[5..]);
        session
    })
    .join()
    .expect("the walk thread");
    assert_eq!(finished, expected);
}

// ------------------------------------------------------------------ restart

/// The six-decision tree of the diagnosis bench: every fact settles one `Decide`.
fn six_decisions() -> Tree {
    Tree::from_path("benches/data/six_decisions.ron").expect("the bench tree loads")
}

/// A session built with these facts by name, as a new one.
fn built(tree: &Tree, facts: &[(&str, Value)]) -> Session {
    facts
        .iter()
        .fold(Session::builder(tree), |b, (name, value)| {
            b.fact(name, value)
        })
        .start()
        .expect("the facts fit")
}

fn ids<'v>(tree: &Tree, facts: &'v [(&str, Value)]) -> Vec<(troubletree::FactId, FactValue<'v>)> {
    facts
        .iter()
        .map(|(name, value)| (tree.fact(name).expect("declared").id(), value.into()))
        .collect()
}

fn six_inputs() -> Vec<Vec<(&'static str, Value)>> {
    let healthy = || {
        vec![
            ("account_status", Value::from("normal")),
            ("network_ok", Value::from(true)),
            ("balance", Value::from(800.0)),
            ("amount", Value::from(120.0)),
            ("bank_maintenance", Value::from(false)),
            ("hours_since_debit", Value::from(2.0)),
        ]
    };
    let with = |i: usize, v: Value| {
        let mut facts = healthy();
        facts[i].1 = v;
        facts
    };
    vec![
        with(0, "frozen".into()),
        with(1, false.into()),
        with(2, 40.0.into()),
        with(3, 9000.0.into()),
        with(4, true.into()),
        with(5, 60.0.into()),
        healthy(),
        // Fewer facts: the walk stops at the Decide that needs one.
        vec![("account_status", Value::from("unverified"))],
        vec![],
    ]
}

#[test]
fn a_restarted_session_equals_a_new_one_with_the_same_facts() {
    let tree = six_decisions();
    let mut session = Session::new(&tree).unwrap();
    let mut leaves = Vec::new();
    // Twice round, so that each input meets a session restarted from another one.
    for facts in six_inputs().iter().chain(six_inputs().iter()) {
        session.restart(&ids(&tree, facts)).unwrap();
        let fresh = built(&tree, facts);
        assert_eq!(session, fresh, "facts {facts:?}");
        assert_eq!(session.save(), fresh.save());
        assert_eq!(session.host_facts().count(), facts.len());
        leaves.push(session.current().node().to_owned());
    }
    assert_eq!(
        leaves[..9],
        [
            "escalate_frozen",
            "fix_network",
            "top_up",
            "over_limit",
            "wait_bank",
            "escalate_unreconciled",
            "retry",
            "network",
            "frozen"
        ]
    );
    // A restarted session walks on as a new one does.
    session.restart(&ids(&tree, &six_inputs()[7])).unwrap();
    let mut fresh = built(&tree, &six_inputs()[7]);
    session.answer(false).unwrap();
    fresh.answer(false).unwrap();
    assert_eq!(session, fresh);
    assert_eq!(session.current().node(), "fix_network");
}

#[test]
fn restart_keeps_the_locale_start_node_and_facts_given_in_any_order() {
    let tree = recharge();
    let debited = tree.fact("money_debited").unwrap().id();
    let network = tree.fact("network_ok").unwrap().id();
    let mut session = Session::builder(&tree)
        .locale("en")
        .at("check_network")
        .start()
        .unwrap();
    session
        .restart(&[(network, true.into()), (debited, false.into())])
        .unwrap();
    let fresh = Session::builder(&tree)
        .locale("en")
        .at("check_network")
        .fact("money_debited", false)
        .fact("network_ok", true)
        .start()
        .unwrap();
    assert_eq!(session, fresh);
    assert_eq!(session.save(), fresh.save());
    assert_eq!(session.locale(), "en");
    assert_eq!(session.current().node(), "check_bank");
    // The last of two values for one fact wins, as with the builder.
    session
        .restart(&[(network, true.into()), (network, false.into())])
        .unwrap();
    let fresh = Session::builder(&tree)
        .locale("en")
        .at("check_network")
        .fact("network_ok", true)
        .fact("network_ok", false)
        .start()
        .unwrap();
    assert_eq!(session, fresh);
    assert_eq!(session.current().node(), "fix_network");
}

#[test]
fn restart_refuses_what_the_builder_refuses_and_changes_nothing() {
    let tree = six_decisions();
    let status = tree.fact("account_status").unwrap().id();
    let balance = tree.fact("balance").unwrap().id();
    let mut session = Session::new(&tree).unwrap();
    session.restart(&ids(&tree, &six_inputs()[2])).unwrap();
    let before = session.clone();
    let err = session.restart(&[(status, "closed".into())]).unwrap_err();
    assert!(
        matches!(&err, StartError::WrongType { fact, accepted, .. } if fact == "account_status" && accepted.len() == 3),
        "{err:?}"
    );
    let err = session.restart(&[(balance, (-1.0).into())]).unwrap_err();
    assert!(matches!(err, StartError::OutOfRange { value, .. } if value == -1.0));
    let err = session.restart(&[(balance, f64::NAN.into())]).unwrap_err();
    assert!(matches!(err, StartError::WrongType { .. }));
    let err = session.restart(&[(balance, true.into())]).unwrap_err();
    assert!(matches!(err, StartError::WrongType { .. }));
    // A fact of another tree (here: the recharge tree's).
    let other = recharge().fact("network_ok").unwrap().id();
    let err = session.restart(&[(other, true.into())]).unwrap_err();
    assert!(
        matches!(&err, StartError::ForeignFact { known, .. } if known == &["payment_failed"]),
        "{err:?}"
    );
    assert!(err.to_string().contains("look it up again"));
    assert_eq!(session, before);
    assert_eq!(session.current().node(), "top_up");
}

#[test]
fn restart_over_the_step_bound_leaves_the_session_as_it_was() {
    let tree = six_decisions();
    let mut session = Session::builder(&tree).step_limit(3).start().unwrap();
    let before = session.clone();
    let err = session.restart(&ids(&tree, &six_inputs()[6])).unwrap_err();
    assert_eq!(err, StartError::StepLimit { limit: 3 });
    assert_eq!(session, before);
    // Within the bound it restarts.
    session.restart(&ids(&tree, &six_inputs()[1])).unwrap();
    assert_eq!(session.current().node(), "fix_network");
}

#[test]
fn restart_after_a_journey_into_another_tree_starts_where_it_started() {
    let catalogue = goto_catalogue();
    let a = catalogue.get("a").unwrap();
    let network = a.fact("network_ok").unwrap().id();
    let amount = a.fact("amount").unwrap().id();
    let mut session = Session::builder(&catalogue)
        .tree("a")
        .locale("en")
        .start()
        .unwrap();
    answer_all(&mut session, &["true", "25"]);
    assert_eq!(session.tree().id(), "b");
    session.restart(&[(network, false.into())]).unwrap();
    let fresh = Session::builder(&catalogue)
        .tree("a")
        .locale("en")
        .fact("network_ok", false)
        .start()
        .unwrap();
    assert_eq!(session, fresh);
    assert_eq!(session.save(), fresh.save());
    assert_eq!(session.tree().id(), "b");
    // `amount` is a Number in "a" and Text in "b": no value fits both, as with the
    // builder.
    let before = session.clone();
    let err = session.restart(&[(amount, 25.into())]).unwrap_err();
    assert!(
        matches!(&err, StartError::WrongType { tree, .. } if tree == "b"),
        "{err:?}"
    );
    assert_eq!(session, before);
    // A fact looked up in "b" is the same fact, by name.
    let b_network = catalogue.get("b").unwrap().fact("network_ok").unwrap().id();
    session.restart(&[(b_network, true.into())]).unwrap();
    let fresh = Session::builder(&catalogue)
        .tree("a")
        .locale("en")
        .fact("network_ok", true)
        .start()
        .unwrap();
    assert_eq!(session, fresh);
}

/// A tree whose free text reaches the transcript both ways: typed at a question (`note`)
/// and given when a decision asks for its fact (`code`).
const NOTES: &str = r#"Tree(
    format: 1,
    id: "notes",
    locales: ["en"],
    facts: [
        Fact(name: "note", type: Text, ask: { "en": "What happened?" }),
        Fact(name: "code", type: Text, ask: { "en": "Which error code did the app show?" }),
    ],
    start: "describe",
    nodes: [
        Ask(id: "describe", text: { "en": "What happened?" }, fact: "note", next: "route"),
        Decide(id: "route", rules: [Rule(when: Eq("code", "E1"), next: "known")], otherwise: "unknown"),
        Resolve(id: "known", text: { "en": "A known error: pay again." }),
        Escalate(id: "unknown", reason: { "en": "An unknown error code." }, priority: Low),
    ],
)"#;

fn recorded(session: &Session) -> Vec<Option<Value>> {
    session.transcript().map(|r| r.value).collect()
}

#[test]
fn free_text_in_the_transcript_reads_back_after_back_clone_and_restart() {
    let tree = load(NOTES);
    let mut session = Session::new(&tree).unwrap();
    answer_all(&mut session, &["paid twice", "E9"]);
    assert_eq!(session.current().node(), "unknown");
    assert_eq!(
        recorded(&session),
        [Some(text("paid twice")), Some(text("E9")), None]
    );
    assert_eq!(session.fact("code"), Some(text("E9")));

    // A clone reads the same lines, and answering it leaves the original alone.
    let copy = session.clone();
    assert_eq!(copy, session);
    assert_eq!(recorded(&copy), recorded(&session));

    // Going back drops the last answer's text; a different one takes its place.
    session.back().unwrap();
    assert_eq!(recorded(&session), [Some(text("paid twice"))]);
    answer_all(&mut session, &["E1"]);
    assert_eq!(session.current().node(), "known");
    assert_eq!(
        recorded(&session),
        [Some(text("paid twice")), Some(text("E1")), None]
    );
    assert_eq!(recorded(&copy)[1], Some(text("E9")));
    let fresh = walk(&tree, &["paid twice", "E1"]);
    assert_eq!(session, fresh);

    // A save of it resumes with the same lines.
    let (resumed, _) = Session::resume(&tree, &session.save()).unwrap();
    assert_eq!(recorded(&resumed), recorded(&session));

    // A restart with the code given by the host records it as the decision's fact.
    let code = tree.fact("code").unwrap().id();
    session.restart(&[(code, FactValue::Text("E1"))]).unwrap();
    assert_eq!(session.current().node(), "describe");
    assert!(recorded(&session).is_empty());
    answer_all(&mut session, &["again"]);
    assert_eq!(session.current().node(), "known");
    assert_eq!(recorded(&session), [Some(text("again")), None]);
    let mut expected = Session::builder(&tree).fact("code", "E1").start().unwrap();
    answer_all(&mut expected, &["again"]);
    assert_eq!(
        session, expected,
        "a restart keeps none of the earlier texts"
    );
}
