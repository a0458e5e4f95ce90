//! `/v1/admin/stats` and the `/stats` page: sessions walked over HTTP, then counted from
//! the store, with figures worked out by hand; the same figures from the events export
//! through the engine's statistics.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_stores;

/// Walks the sessions whose figures the test expects:
/// - r1: recharge_failure, not debited, network bad, "solved" → resolved_network (fixed);
/// - r2: recharge_failure, debited, 3 h ago → check_records; "solved" →
///   resolved_credited (fixed);
/// - r3: recharge_failure, not debited, network bad, then back, then asks for a person
///   at check_network → handed off;
/// - r4: recharge_failure, debited, 60 h ago, 100 yuan → escalate_unreconciled;
/// - r5: recharge_failure, left at the first question (in progress: the data ends
///   within the idle window).
async fn walk_sessions(h: &Harness) {
    let step = |s: &Value| s.clone();
    let answer = |s: Value, v: Value| async move {
        let r = h.answer(&s, v).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    };
    // r1
    let s = h.start_session("recharge_failure", "en").await;
    let s = answer(s, json!(false)).await;
    let s = answer(s, json!(false)).await;
    let s = answer(s, json!("solved")).await;
    assert_eq!(s["status"], "resolved");
    // r2
    let s = h.start_session("recharge_failure", "en").await;
    let s = answer(s, json!(true)).await;
    let s = answer(s, json!(3)).await;
    assert_eq!(s["step"]["node"], "check_records");
    let s = answer(s, json!("solved")).await;
    assert_eq!(s["step"]["node"], "resolved_credited");
    // r3
    let s = h.start_session("recharge_failure", "en").await;
    let s = answer(s, json!(false)).await;
    let s = answer(s, json!(false)).await;
    let id = s["id"].as_str().expect("id").to_owned();
    let back = h
        .post(&format!("/v1/sessions/{id}/back"), json!({"seq": s["seq"]}))
        .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert_eq!(back.body["step"]["node"], "check_network");
    let off = h
        .post(
            &format!("/v1/sessions/{id}/handoff"),
            json!({"seq": back.body["seq"]}),
        )
        .await;
    assert_eq!(off.body["status"], "handed_off", "{}", off.text);
    // r4
    let s = h.start_session("recharge_failure", "en").await;
    let s = answer(s, json!(true)).await;
    let s = answer(s, json!(60)).await;
    let s = answer(s, json!(100)).await;
    assert_eq!(s["step"]["node"], "escalate_unreconciled");
    // r5
    let s = h.start_session("recharge_failure", "en").await;
    let _ = step(&s);
}

fn check_figures(version: &Value) {
    let s = &version["sessions"];
    assert_eq!(s["started"], 5, "{version}");
    assert_eq!(s["in_progress"], 1);
    assert_eq!(s["decided"], 4);
    assert_eq!(s["resolved"], 2);
    assert_eq!(s["fixed"], 2);
    assert_eq!(s["escalated"], 1);
    assert_eq!(s["handed_off"], 1);
    assert_eq!(s["containment"], 0.5);
    let ends: Vec<(String, String)> = version["ends"]
        .as_array()
        .expect("ends")
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().expect("outcome").to_owned(),
                e["node"].as_str().expect("node").to_owned(),
            )
        })
        .collect();
    assert!(
        ends.contains(&("handed_off".into(), "check_network".into())),
        "{ends:?}"
    );
    assert!(ends.contains(&("escalated".into(), "escalate_unreconciled".into())));
    // check_network (a Decide asking network_ok) was shown to r1 and r3 and, after r3
    // went back from fix_network, to r3 again, where the user asked for a person.
    let q = version["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .find(|q| q["node"] == "check_network")
        .expect("check_network");
    assert_eq!(
        (
            &q["shown"],
            &q["answered"],
            &q["handed_off"],
            &q["sessions"]
        ),
        (&json!(3), &json!(2), &json!(1), &json!(2)),
        "{q}"
    );
    // Steps to the outcome: r1 3, r2 3 → median 3; r3 three actions then the hand-off.
    assert_eq!(version["steps"]["resolved"]["median"], 3);
    assert_eq!(version["steps"]["handed_off"]["median"], 4);
}

on_both_stores!(stats_count_the_sessions_walked_over_http, |db| async move {
    let h = Harness::start(db).await;
    walk_sessions(&h).await;

    let r = h
        .get_as("/v1/admin/stats?tree=recharge_failure", ADMIN)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let versions = r.body["report"]["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 1, "{}", r.text);
    check_figures(&versions[0]);
    // The picture of the version: every node of the tree, traffic on the edges.
    let p = &r.body["pictures"][0];
    assert_eq!(p["tree"], "recharge_failure");
    assert_eq!(p["sessions"], 5);
    let start = p["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["id"] == "check_debited")
        .expect("the start");
    assert_eq!(
        (&start["depth"], &start["sessions"]),
        (&json!(0), &json!(5))
    );
    let kinds: Vec<&str> = p["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["kind"].as_str().expect("kind"))
        .collect();
    for kind in ["question", "decision", "resolve", "escalate"] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    assert!(
        p["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .any(|e| e["sessions"] == 2)
    );

    // The events the store exports give the same figures through the engine.
    let page = h.get_as("/v1/admin/events?limit=10000", ADMIN).await;
    let mut stats = troubletree::analysis::stats::Stats::new(Default::default());
    for e in page.body["events"].as_array().expect("events") {
        stats.add_line(&e.to_string()).expect("an event");
    }
    let report = serde_json::to_value(stats.finish()).expect("serialises");
    check_figures(&report["versions"][0]);

    // A range that ends before the sessions: nothing counted.
    let r = h
        .get_as("/v1/admin/stats?since=2020-01-01&until=2020-01-02", ADMIN)
        .await;
    assert_eq!(r.body["report"]["versions"], json!([]), "{}", r.text);
    // The figures are the admin's.
    h.get("/v1/admin/stats")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    h.get_as("/v1/admin/stats?since=yesterday", ADMIN)
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-query");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stats_page_is_static_and_under_the_strict_policy() {
    let h = Harness::start(Db::sqlite()).await;
    for (path, kind) in [
        ("/stats", "text/html"),
        ("/stats/stats.js", "text/javascript"),
        ("/stats/stats.css", "text/css"),
    ] {
        let r = h.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            r.content_type.starts_with(kind),
            "{path}: {}",
            r.content_type
        );
        let csp = r.headers["content-security-policy"]
            .to_str()
            .expect("ascii");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
    }
    let html = h.get("/stats").await.text;
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline code"
    );
    let js = h.get("/stats/stats.js").await.text;
    assert!(!js.contains("innerHTML") && !js.contains("insertAdjacentHTML"));
}
