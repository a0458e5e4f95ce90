//! The session walker (`src/session.rs`): walks, known facts, bad input, `back`, the step
//! bound, save/resume, locales, `Goto` hand-overs and sharing across threads.
//!
//! Most walks run on `trees/recharge_failure.ron`; the `Goto` fixtures live in
//! `tests/data/session/`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::thread;

use troubletree::{
    AnswerKind, Channel, Origin, Priority, Question, Resumed, SavedSession, Session,
    SessionBuilder, SessionError, Step, Tree, Value,
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
                session.next().node()
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
    call: impl FnOnce(&mut Session) -> Result<(), SessionError>,
) -> SessionError {
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
    match session.next() {
        Step::Ask(q) => q,
        other => panic!("expected an Ask, got {other:?}"),
    }
}

fn act(session: &Session) -> Question<'_> {
    match session.next() {
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
    match session.next() {
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

fn visits(session: &Session) -> Vec<(String, u16)> {
    session.save().visits.into_iter().collect()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// Resumes a save of `answers` on the recharge tree after `tamper`; returns the error.
fn tampered(answers: &[&str], tamper: impl FnOnce(&mut SavedSession)) -> SessionError {
    let tree = recharge();
    let mut saved = walk(&tree, answers).save();
    assert!(
        Session::resume(&tree, &saved).is_ok(),
        "the untouched save resumes"
    );
    tamper(&mut saved);
    Session::resume(&tree, &saved)
        .map(|_| ())
        .expect_err("a tampered save is refused")
}

// ------------------------------------------------------ 1. walks on the tree

#[test]
fn walk_to_resolutions() {
    let tree = recharge();
    let mut session = walk(&tree, &["false", "true", "no", "normal", "no", "true"]);
    assert_eq!(resolved(&session), "resolved_maintenance");
    assert_eq!(
        session.path(),
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
    assert!(session.next().is_end());
    let Step::Resolved(r) = session.next() else {
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
        session.path(),
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
    let Step::Escalated(e) = session.next() else {
        panic!("expected an escalation, got {:?}", session.next())
    };
    assert_eq!(e.node, "escalate_unreconciled");
    assert_eq!(e.priority, Priority::High);
    assert_eq!(e.channel, Some(Channel::Hotline));
    assert_eq!(e.prepare().len(), 4);
    assert_eq!(e.prepare().next(), Some("注册手机号"));
    assert_eq!(
        session.path(),
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
        walk(&tree, &["true", "48"]).next().node(),
        "ask_debit_amount"
    );
    let session = walk(&tree, &["true", "47.5", "not_solved"]);
    assert_eq!(resolved(&session), "wait_reconciliation");
    assert_eq!(
        session.path(),
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
    let Step::Escalated(e) = session.next() else {
        panic!("expected an escalation, got {:?}", session.next())
    };
    assert_eq!(e.node, "escalate_retry_failed");
    assert_eq!(
        (e.priority, e.channel),
        (Priority::Normal, Some(Channel::InApp))
    );
    assert_eq!(session.path(), RETRIES_PATH);
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
        session.path(),
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
        session.path(),
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
    assert_eq!(session.next().node(), "ask_debit_amount");

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
    let expected = SessionError::NotOffered {
        node: "check_bank".into(),
        value: "maybe".into(),
        accepted: "yes, no".into(),
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
        SessionError::NotOffered {
            node: "check_debited".into(),
            value: "yes".into(),
            accepted: "true, false".into()
        }
    );

    let mut session = walk(&tree, &["false", "false"]);
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("done").map(|_| ())),
        SessionError::NotOffered {
            node: "fix_network".into(),
            value: "done".into(),
            accepted: "solved, not_solved".into()
        }
    );
}

#[test]
fn a_value_of_the_wrong_type_is_refused() {
    let tree = recharge();
    let mut session = walk(&tree, &["true"]);
    let wrong = |got: &str| SessionError::WrongType {
        target: "fact \"hours_since_debit\" (asked at node \"debited_hours\")".into(),
        expected: "a number".into(),
        got: got.into(),
    };
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("sixty").map(|_| ())),
        wrong("\"sixty\"")
    );
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer_str("sixty").map(|_| ())),
        wrong("\"sixty\"")
    );
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer(true).map(|_| ())),
        wrong("true")
    );
    assert!(matches!(
        fails_unchanged(&mut session, |s| s.answer(f64::NAN).map(|_| ())),
        SessionError::WrongType { .. }
    ));
    assert!(matches!(
        fails_unchanged(&mut session, |s| s.answer_str("inf").map(|_| ())),
        SessionError::WrongType { .. }
    ));

    // Bool and Choice facts asked by a Decide offer their values, so a value outside
    // them is "not offered", exactly as for an Ask.
    let mut session = walk(&tree, &["false"]);
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("yes").map(|_| ())),
        SessionError::NotOffered {
            node: "check_network".into(),
            value: "yes".into(),
            accepted: "true, false".into(),
        }
    );

    let mut session = walk(&tree, &["false", "true", "no"]);
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer(true).map(|_| ())),
        SessionError::NotOffered {
            node: "check_account".into(),
            value: "true".into(),
            accepted: "normal, restricted, unverified".into(),
        }
    );
    // A choice that is not offered is refused too, naming what is accepted.
    let err = fails_unchanged(&mut session, |s| s.answer_str("frozen").map(|_| ()));
    assert!(
        err.to_string().contains("normal, restricted, unverified"),
        "{err}"
    );
}

#[test]
fn answering_after_the_end_is_refused() {
    let tree = recharge();
    let mut session = walk(&tree, &["false", "true", "no", "normal", "no", "true"]);
    let ended = SessionError::Ended {
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
        SessionError::Ended {
            node: "escalate_retry_failed".into()
        }
    );
}

#[test]
fn builder_refuses_unknown_facts_wrong_types_and_unknown_locales() {
    let tree = recharge();
    let err = |b: SessionBuilder<'_>| b.start().map(|_| ()).expect_err("start should fail");
    assert_eq!(
        err(Session::builder(&tree).fact("wifi", true)),
        SessionError::UnknownFact {
            tree: "recharge_failure".into(),
            name: "wifi".into(),
            declared: "money_debited, network_ok, account_status, over_limit, maintenance_notice, hours_since_debit, amount".into(),
        }
    );
    assert_eq!(
        err(Session::builder(&tree).fact("network_ok", "yes")),
        SessionError::WrongType {
            target: "fact \"network_ok\"".into(),
            expected: "true or false".into(),
            got: "\"yes\"".into()
        }
    );
    assert_eq!(
        err(Session::builder(&tree).fact("account_status", "frozen")),
        SessionError::WrongType {
            target: "fact \"account_status\"".into(),
            expected: "one of normal, restricted, unverified".into(),
            got: "\"frozen\"".into(),
        }
    );
    assert!(matches!(
        err(Session::builder(&tree).fact("hours_since_debit", f64::INFINITY)),
        SessionError::WrongType { .. }
    ));
    assert_eq!(
        err(Session::builder(&tree).locale("fr")),
        SessionError::UnknownLocale {
            tree: "recharge_failure".into(),
            locale: "fr".into(),
            declared: "zh, en".into()
        }
    );
    assert_eq!(
        err(Session::builder(&tree).at("nowhere")),
        SessionError::UnknownNode {
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
        SessionError::NothingToUndo
    );

    // Answers the walker filled in are not the user's to take back.
    let mut session = Session::builder(&tree)
        .fact("money_debited", false)
        .fact("network_ok", true)
        .start()
        .unwrap();
    assert_eq!(
        fails_unchanged(&mut session, Session::back),
        SessionError::NothingToUndo
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
    assert_eq!(session.next().node(), "escalate_retry_failed");
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
        SessionError::NothingToUndo
    );

    // Back over a fact given to a Decide forgets the fact and asks again.
    let mut session = walk(&tree, &["false", "true"]);
    session.back().unwrap();
    assert_eq!(ask(&session).fact, Some("network_ok"));
    assert_eq!(session.fact("network_ok"), None);
    assert_eq!(session.path(), ["check_debited", "check_network"]);
}

// --------------------------------------------------------------- 5. step bound

#[test]
fn step_limit_refuses_the_move_and_keeps_the_session() {
    let tree = recharge();
    let mut session = Session::builder(&tree).step_limit(3).start().unwrap();
    answer_all(&mut session, &["false", "true", "no"]);
    assert_eq!(
        (session.next().node(), session.steps()),
        ("check_account", 3)
    );
    // The fact is acceptable, but the Decide would then move a fourth time.
    let limit = SessionError::StepLimit { limit: 3 };
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
    assert_eq!(session.next().node(), "check_bank");

    // The bound also applies to a plain answer's own move.
    let mut session = Session::builder(&tree).step_limit(2).start().unwrap();
    answer_all(&mut session, &["false", "true"]);
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("no").map(|_| ())),
        SessionError::StepLimit { limit: 2 }
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
        Err(SessionError::StepLimit { limit: 1 })
    );
    assert_eq!(known(2).unwrap().next().node(), "check_bank");
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
        assert_eq!(resumed.path(), RETRIES_PATH);
    }
}

#[test]
fn a_save_keeps_facts_locale_and_bound() {
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
            saved.tree.as_str(),
            saved.locale.as_str(),
            saved.start.as_str()
        ),
        ("recharge_failure", "en", "check_debited")
    );
    assert_eq!(
        (saved.node.as_str(), saved.steps, saved.step_limit),
        ("check_records", 2, 50)
    );
    assert_eq!(
        saved.initial,
        BTreeMap::from([("money_debited".to_owned(), Value::Bool(true))])
    );
    assert_eq!(
        saved.facts,
        BTreeMap::from([
            ("money_debited".to_owned(), Value::Bool(true)),
            ("hours_since_debit".to_owned(), Value::Number(47.0))
        ])
    );
    assert_eq!(saved.fingerprint, format!("{:016x}", tree.fingerprint()));
    let saved: SavedSession = ron::from_str(&ron::to_string(&saved).unwrap()).unwrap();
    let (resumed, _) = Session::resume(&tree, &saved).unwrap();
    assert_eq!(resumed, session);
    assert_eq!(resumed.locale(), "en");
    assert_eq!(act(&resumed).text, act(&session).text);
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
            let mut expected = session.save();
            expected.fingerprint = format!("{:016x}", edited.fingerprint());
            assert_eq!(resumed.save(), expected, "after {i} answers");
            answer_all(&mut resumed, &RETRIES[i..]);
            answer_all(&mut session, &RETRIES[i..]);
            assert_eq!(resumed.path(), RETRIES_PATH);
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
            "renamed start node",
            original.replace("\"check_debited\"", "\"check_charged\""),
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
        let result =
            Session::resume(&load(&text), &saved).map(|(s, how)| (s.next().node().to_owned(), how));
        assert!(
            matches!(result, Err(SessionError::Stale { .. })),
            "{what}: {result:?}"
        );
    }
}

/// BUG (src/session.rs, `replay`): a replay checks that each answer is given at the node
/// where it was recorded, but not that the walk ends at the saved node. Here the last
/// answer ("no" at `check_bank`) now leads to `check_limit` instead of `check_account`,
/// so the user, who was shown the `account_status` question, is resumed at another one.
#[test]
fn resume_refuses_a_replay_that_ends_elsewhere() {
    let saved = walk(&recharge(), &["false", "true", "no"]).save();
    assert_eq!(saved.node, "check_account");
    let text = replace_after(
        &recharge_text(),
        "id: \"check_bank\"",
        "next: \"check_account\"",
        "next: \"check_limit\"",
    );
    let result =
        Session::resume(&load(&text), &saved).map(|(s, how)| (s.next().node().to_owned(), how));
    assert!(
        matches!(result, Err(SessionError::Stale { .. })),
        "{result:?}"
    );
}

#[test]
fn resume_refuses_another_tree() {
    let saved = walk(&recharge(), &["false"]).save();
    assert_eq!(
        Session::resume(&fixture("goto_a"), &saved).map(|_| ()),
        Err(SessionError::OtherTree {
            saved: "recharge_failure".into(),
            tree: "a".into()
        })
    );
}

#[test]
fn resume_refuses_tampered_saves() {
    let in_loop = &RETRIES[..7]; // at check_retry_debit, retry_recharge passed once
    let cases: Vec<(&str, SessionError)> = vec![
        (
            "unknown node",
            tampered(in_loop, |s| s.node = "nowhere".into()),
        ),
        (
            "unknown transcript node",
            tampered(in_loop, |s| s.transcript[2].node = "nowhere".into()),
        ),
        (
            "visits over the limit",
            tampered(in_loop, |s| _ = s.visits.insert("retry_recharge".into(), 3)),
        ),
        (
            "visits on an unlimited node",
            tampered(in_loop, |s| _ = s.visits.insert("check_bank".into(), 1)),
        ),
        (
            "value not offered",
            tampered(in_loop, |s| s.transcript[0].value = Some(text("maybe"))),
        ),
        (
            "value of the wrong type",
            tampered(in_loop, |s| {
                s.transcript[0].value = Some(Value::Number(1.0))
            }),
        ),
        (
            "rule out of range",
            tampered(in_loop, |s| s.transcript[2].rule = Some(7)),
        ),
        (
            "record at an end node",
            tampered(in_loop, |s| s.transcript[2].node = "resolved_retry".into()),
        ),
        (
            "fact of the wrong type",
            tampered(in_loop, |s| {
                _ = s.facts.insert("network_ok".into(), text("yes"))
            }),
        ),
        (
            "undeclared fact",
            tampered(in_loop, |s| {
                _ = s.initial.insert("wifi".into(), Value::Bool(true))
            }),
        ),
        (
            "steps over the bound",
            tampered(in_loop, |s| s.step_limit = 3),
        ),
        (
            "unknown locale",
            tampered(in_loop, |s| s.locale = "fr".into()),
        ),
        ("format", tampered(in_loop, |s| s.format = 2)),
        // A Decide whose facts are all known is not where a walk stops...
        (
            "decided Decide",
            tampered(&["false"], |s| {
                _ = s.facts.insert("network_ok".into(), Value::Bool(true))
            }),
        ),
        // ...nor a question whose fact is known.
        (
            "answered Ask",
            tampered(&["false"], |s| s.node = "check_debited".into()),
        ),
    ];
    for (what, err) in cases {
        assert!(
            matches!(err, SessionError::Corrupt { .. }),
            "{what}: {err:?}"
        );
    }
}

/// BUG (src/session.rs, `restore`): only counts *over* a limit are refused, so a save
/// whose pass counts or step count were lowered is restored as is, and the walk gets
/// more retries (or more steps) than the tree allows. Both counts follow from the
/// transcript: a limited node's count is its number of occurrences in `path()`, and
/// `steps` is `path().len() - 1`.
#[test]
fn resume_refuses_counts_that_disagree_with_the_transcript() {
    let at_first_retry = &RETRIES[..6]; // retry_recharge passed once, 6 steps
    let cases = [
        (
            "visits lowered",
            tampered(at_first_retry, |s| s.visits.clear()),
        ),
        ("steps lowered", tampered(at_first_retry, |s| s.steps = 0)),
    ];
    for (what, err) in cases {
        assert!(
            matches!(err, SessionError::Corrupt { .. }),
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
    let Step::Escalated(e) = en.next() else {
        panic!("expected an escalation, got {:?}", en.next())
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
            SessionError::NotOffered {
                node: "s".into(),
                value: "solved".into(),
                accepted: "done".into()
            }
        );
        answer_all(&mut session, &["done"]);
        assert_eq!(ask(&session).node, "x");
    }
}

// --------------------------------------------------------------------- 8. Goto

#[test]
fn goto_continues_in_the_target_tree_with_matching_facts() {
    let (a, b) = (fixture("goto_a"), fixture("goto_b"));
    let mut session = Session::builder(&a)
        .locale("en")
        .step_limit(40)
        .start()
        .unwrap();
    answer_all(&mut session, &["true", "25"]);
    let Step::Goto(jump) = session.next() else {
        panic!("expected a Goto, got {:?}", session.next())
    };
    assert_eq!((jump.node, jump.tree, jump.target), ("g", "b", Some("x")));
    assert!(session.next().is_end());
    assert_eq!(session.path(), ["online", "how_much", "g"]);
    assert_eq!(
        fails_unchanged(&mut session, |s| s.answer("x").map(|_| ())),
        SessionError::Ended { node: "g".into() }
    );

    let mut next = session.continue_in(&b).unwrap();
    let q = ask(&next);
    assert_eq!(
        (q.node, q.fact, q.kind),
        ("x", Some("amount"), AnswerKind::Text)
    );
    assert_eq!(q.text, "Describe the amount.");
    assert_eq!(next.locale(), "en");
    assert_eq!(next.save().step_limit, 40);
    // `network_ok` is Bool in both trees; `amount` is a Number in "a" but Text in "b".
    assert_eq!(next.fact("network_ok"), Some(Value::Bool(true)));
    assert_eq!(next.fact("amount"), None);
    assert_eq!(next.path(), ["x"]);

    answer_all(&mut next, &["twenty-five"]);
    assert_eq!(resolved(&next), "ok");
    assert_eq!(next.path(), ["x", "y", "ok"]);
    assert_eq!(
        transcript(&next),
        [
            (
                "x",
                Some("amount"),
                Some(text("twenty-five")),
                None,
                Origin::Given
            ),
            ("y", None, None, Some(0), Origin::Auto),
        ]
    );
    next.back().unwrap();
    assert_eq!(ask(&next).node, "x");
    assert_eq!(next.back(), Err(SessionError::NothingToUndo));
}

#[test]
fn goto_without_a_node_starts_at_the_target_start() {
    let (a, b) = (fixture("goto_a"), fixture("goto_b"));
    let session = walk(&a, &["false"]);
    let Step::Goto(jump) = session.next() else {
        panic!("expected a Goto, got {:?}", session.next())
    };
    assert_eq!(
        (jump.node, jump.tree, jump.target),
        ("to_b_start", "b", None)
    );
    let mut next = session.continue_in(&b).unwrap();
    assert_eq!(act(&next).node, "s");
    assert_eq!(next.fact("network_ok"), Some(Value::Bool(false)));
    answer_all(&mut next, &["done", "anything"]);
    let Step::Escalated(e) = next.next() else {
        panic!("expected an escalation, got {:?}", next.next())
    };
    assert_eq!((e.node, e.priority), ("offline", Priority::Low));
    assert_eq!(next.path(), ["s", "x", "y", "offline"]);
}

#[test]
fn continue_in_refuses_the_wrong_tree_and_a_walk_not_at_a_goto() {
    let (a, b) = (fixture("goto_a"), fixture("goto_b"));
    let session = walk(&a, &["true", "25"]);
    let saved = session.save();
    assert_eq!(
        session.continue_in(&a).map(|_| ()),
        Err(SessionError::OtherTree {
            saved: "b".into(),
            tree: "a".into()
        })
    );
    assert_eq!(
        session.continue_in(&recharge()).map(|_| ()),
        Err(SessionError::OtherTree {
            saved: "b".into(),
            tree: "recharge_failure".into()
        })
    );
    assert_eq!(session.save(), saved);
    assert_eq!(
        Session::new(&a).unwrap().continue_in(&b).map(|_| ()),
        Err(SessionError::Ended {
            node: "online".into()
        })
    );
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
        assert_eq!(session.path(), RETRIES_PATH);
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
