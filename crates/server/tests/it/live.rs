//! Walks kept in memory between turns (`--live-sessions`): a turn on a kept walk gives
//! exactly what reading and replaying the session gives, a kept walk that another
//! replica has moved past is never written over the database, and the number kept is
//! bounded.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_stores;

/// The shipped trees a differential walk goes through.
const TREES: [&str; 15] = [
    "account_cancellation",
    "account_frozen",
    "account_stolen",
    "card_unbinding",
    "cross_bank_transfer",
    "forgot_password",
    "fraud_scam",
    "overseas_use",
    "payment_failure",
    "recharge_failure",
    "refund",
    "transaction_dispute",
    "unexpected_debit",
    "wallet_transfer",
    "withdrawal_failure",
];

/// A response with what differs between two sessions taken out: their ids and their
/// tickets' ids.
fn comparable(r: &Reply) -> (StatusCode, Value) {
    (r.status, without_ids(&r.body))
}

/// A view (or a problem with one) without the session's and the ticket's ids.
fn without_ids(view: &Value) -> Value {
    let mut body = view.clone();
    if let Some(view) = body.as_object_mut() {
        view.remove("id");
        if let Some(ticket) = view.get_mut("ticket").and_then(Value::as_object_mut) {
            ticket.remove("id");
        }
        // A problem's `current` is a view too.
        if let Some(current) = view.get_mut("current").and_then(Value::as_object_mut) {
            current.remove("id");
        }
    }
    body
}

/// The `n`th action of walk `seed` at `view`: mostly an offered answer (or a number or
/// a text where the question takes one), sometimes `back`, rarely a hand-off.
fn action(view: &Value, seed: usize, n: usize) -> (&'static str, Value) {
    let seq = view["seq"].clone();
    let pick = seed.wrapping_mul(31).wrapping_add(n.wrapping_mul(7));
    if n % 7 == 3 && view["can_go_back"] == true {
        return ("back", json!({ "seq": seq }));
    }
    if pick % 23 == 5 {
        return ("handoff", json!({ "seq": seq }));
    }
    let step = &view["step"];
    let value = match step["answers"].as_array() {
        Some(answers) if !answers.is_empty() => answers[pick % answers.len()]["value"].clone(),
        _ if step["answer_kind"] == "number" => json!(pick % 50),
        _ => json!("card ending 1234"),
    };
    ("answer", json!({ "seq": seq, "value": value }))
}

async fn act(h: &Harness, id: &str, (what, body): &(&str, Value)) -> Reply {
    h.post(&format!("/v1/sessions/{id}/{what}"), body.clone())
        .await
}

/// The count of turns by where their session came from, read off `/metrics`.
async fn turns(h: &Harness, from: &str) -> u64 {
    let text = h.get("/metrics").await.text;
    let line = format!("troubletree_turns_total{{session=\"{from}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {line} in {text}"))
}

on_both_stores!(
    a_kept_walk_answers_exactly_as_the_stored_session_does,
    |db: Db| async move {
        // Three replicas on one database: two keep walks, one reads every turn. Each
        // walk is taken three ways with the same actions: all on one keeping replica
        // (its kept walk serves every turn), alternating between the two keeping ones
        // (each finds its kept walk a step behind, which must not be used), and on the
        // reading one.
        let reading = Harness::start_with(db.same(), |c| c.live_sessions = 0).await;
        let other = Harness::start(db.same()).await;
        let keeping = Harness::start(db).await;
        let mut each = 0;
        for (seed, tree) in TREES.iter().enumerate() {
            let locale = if seed % 2 == 0 { "en" } else { "zh" };
            let mut one = keeping.start_session(tree, locale).await;
            let both = keeping.start_session(tree, locale).await;
            let read = reading.start_session(tree, locale).await;
            assert_eq!(without_ids(&one), without_ids(&read));
            let ids = [&one, &both, &read].map(|v| v["id"].as_str().expect("id").to_owned());
            for n in 0..40 {
                if !matches!(one["step"]["kind"].as_str(), Some("ask" | "act")) {
                    break;
                }
                let next = action(&one, seed, n);
                let alternate = if n % 2 == 0 { &keeping } else { &other };
                let k = act(&keeping, &ids[0], &next).await;
                let b = act(alternate, &ids[1], &next).await;
                let r = act(&reading, &ids[2], &next).await;
                each += 1;
                assert_eq!(comparable(&k), comparable(&r), "{tree}, turn {n}: {next:?}");
                assert_eq!(
                    comparable(&b),
                    comparable(&r),
                    "{tree}, turn {n}, alternating"
                );
                if k.status == StatusCode::OK {
                    one = k.body;
                }
            }
            // What each stored is what it answered.
            for id in &ids {
                let stored = reading.get(&format!("/v1/sessions/{id}")).await;
                assert_eq!(comparable(&stored).1["step"], one["step"], "{tree}");
            }
        }
        assert!(each > 100, "{each} turns each way");
        assert_eq!(turns(&reading, "kept").await, 0);
        assert_eq!(turns(&reading, "read").await, each);
        let kept = turns(&keeping, "kept").await + turns(&other, "kept").await;
        let read = turns(&keeping, "read").await + turns(&other, "read").await;
        assert_eq!(kept + read, 2 * each);
        // The walks on one replica find their walk kept (but after a refused answer,
        // which drops it); the alternating ones find theirs a step behind and read.
        assert!(kept > each * 3 / 4, "{kept} of {each} kept");
    }
);

on_both_stores!(
    a_kept_walk_another_replica_moved_past_is_never_written,
    |db: Db| async move {
        let a = Harness::start(db.same()).await;
        let b = Harness::start(db).await;
        let s = a.start_session("recharge_failure", "en").await;
        let id = s["id"].as_str().expect("id").to_owned();
        let answers = s["step"]["answers"].as_array().expect("answers").clone();
        // B answers step 1; A still keeps the walk it started, at step 1.
        let on_b = b.answer(&s, answers[0]["value"].clone()).await;
        assert_eq!(on_b.status, StatusCode::OK, "{}", on_b.text);
        // A different answer for step 1, sent to A: A's kept walk would take it, but
        // the session is at step 2 in the database.
        a.answer(&s, answers[1]["value"].clone())
            .await
            .assert_problem(StatusCode::CONFLICT, "stale-step");
        let now = a.get(&format!("/v1/sessions/{id}")).await;
        assert_eq!(now.body, on_b.body, "nothing of A's answer was written");
        // The same answer as B's, sent to A: the step's stored response.
        let retry = a.answer(&s, answers[0]["value"].clone()).await;
        assert_eq!(retry.body, on_b.body);
        // A goes on from the stored session.
        let next = action(&on_b.body, 0, 0);
        let on_a = act(&a, &id, &next).await;
        assert_eq!(on_a.status, StatusCode::OK, "{}", on_a.text);
        assert_eq!(on_a.body["seq"], 3);
        // B kept its walk at step 2; A has moved the session to step 3 since.
        let stale = act(&b, &id, &next).await;
        assert_eq!(stale.body, on_a.body, "B's retry gets A's response");
    }
);

on_both_stores!(
    no_more_walks_are_kept_than_configured,
    |db: Db| async move {
        let h = Harness::start_with(db, |c| c.live_sessions = 2).await;
        let mut sessions = Vec::new();
        for _ in 0..6 {
            sessions.push(h.start_session("recharge_failure", "en").await);
        }
        for s in &sessions {
            let r = h.answer(s, json!(false)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.body["seq"], 2);
        }
        // Six turns, and room for two walks: at most two turns found theirs.
        let (hits, reads) = (turns(&h, "kept").await, turns(&h, "read").await);
        assert_eq!(hits + reads, 6);
        assert!(hits <= 2, "{hits} kept");
        assert!(reads >= 4, "{reads} read");
    }
);
