//! Sessions pinned to the version they started on; publishing, refusing, retiring.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::on_both_stores;

const OLD: &str = "First, one quick check:";
const NEW: &str = "To begin, one quick check:";

/// Rewrites the recharge tree's first question (a new fingerprint, same shape).
fn change_first_question(h: &Harness) {
    let path = h.trees.0.join("recharge_failure.ron");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(OLD));
    std::fs::write(&path, text.replace(OLD, NEW)).expect("write");
}

on_both_stores!(
    sessions_stay_on_their_version_across_a_reload,
    |db| async move {
        let h = Harness::start(db).await;
        let old = h.start_session("recharge_failure", "en").await;
        assert_eq!(old["version"], 1);
        let old = h.answer(&old, json!(false)).await.body;

        change_first_question(&h);
        let r = h.post_as("/v1/admin/reload", ADMIN, json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body, json!({"version": 2, "new": true}));
        // Reloading unchanged trees publishes nothing new.
        let r = h.post_as("/v1/admin/reload", ADMIN, json!({})).await;
        assert_eq!(r.body, json!({"version": 2, "new": false}));

        let new = h.start_session("recharge_failure", "en").await;
        assert_eq!(new["version"], 2);
        assert!(new["step"]["text"].as_str().expect("text").starts_with(NEW));
        // The old session continues on version 1: back shows the old wording.
        let id = old["id"].as_str().expect("id");
        let back = h
            .post(
                &format!("/v1/sessions/{id}/back"),
                json!({"seq": old["seq"]}),
            )
            .await
            .body;
        assert_eq!(back["version"], 1);
        assert!(
            back["step"]["text"]
                .as_str()
                .expect("text")
                .starts_with(OLD),
            "{back}"
        );
        let trees = h.get("/v1/trees").await.body;
        assert_eq!(trees["version"], 2);
    }
);

on_both_stores!(
    a_catalogue_that_does_not_check_is_refused_and_the_old_one_served,
    |db| async move {
        let h = Harness::start(db).await;
        let path = h.trees.0.join("refund.ron");
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replacen("start: \"", "start: \"nowhere_", 1)).expect("write");
        let r = h.post_as("/v1/admin/reload", ADMIN, json!({})).await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "catalogue-invalid");
        let findings = r.body["findings"].as_array().expect("findings");
        assert!(
            findings.iter().any(|f| f
                .as_str()
                .is_some_and(|f| f.contains("refund.ron:") && f.contains("error["))),
            "{findings:?}"
        );
        assert_eq!(h.get("/v1/trees").await.body["version"], 1);
        assert_eq!(h.start_session("refund", "en").await["version"], 1);
        let versions = h.get_as("/v1/admin/versions", ADMIN).await.body;
        assert_eq!(versions.as_array().map(Vec::len), Some(1));
    }
);

on_both_stores!(
    a_retired_version_replays_or_says_the_flow_changed,
    |db| async move {
        let h = Harness::start(db).await;
        // One session whose answers still fit the new version, one whose do not.
        let fits = h.start_session("recharge_failure", "en").await;
        let fits = h.answer(&fits, json!(false)).await.body;
        let gone = h.start_session("refund", "en").await;
        let gone_node = gone["step"]["node"].as_str().expect("node").to_owned();
        let gone = h
            .answer(&gone, gone["step"]["answers"][0]["value"].clone())
            .await
            .body;

        change_first_question(&h);
        // The refund tree's first question is renamed: answers given there no longer fit.
        let path = h.trees.0.join("refund.ron");
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(
            &path,
            text.replace(&format!("\"{gone_node}\""), "\"triage_renamed\""),
        )
        .expect("write");
        let r = h.post_as("/v1/admin/reload", ADMIN, json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        h.post_as("/v1/admin/versions/2/retire", ADMIN, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "newest-version");
        h.post_as("/v1/admin/versions/9/retire", ADMIN, json!({}))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "version-not-found");
        let r = h
            .post_as("/v1/admin/versions/1/retire", ADMIN, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

        // Replayed onto version 2: same step, and it moves on from there.
        let now = h
            .get(&format!(
                "/v1/sessions/{}",
                fits["id"].as_str().expect("id")
            ))
            .await;
        assert_eq!(now.status, StatusCode::OK, "{}", now.text);
        assert_eq!(now.body["step"], fits["step"]);
        assert_eq!(now.body["version"], 2);
        let next = h.answer(&fits, json!(false)).await;
        assert_eq!(next.status, StatusCode::OK, "{}", next.text);
        assert_eq!(next.body["version"], 2);
        let back = h
            .post(
                &format!("/v1/sessions/{}/back", fits["id"].as_str().expect("id")),
                json!({"seq": next.body["seq"]}),
            )
            .await;
        let back = h
            .post(
                &format!("/v1/sessions/{}/back", fits["id"].as_str().expect("id")),
                json!({"seq": back.body["seq"]}),
            )
            .await;
        assert!(
            back.body["step"]["text"]
                .as_str()
                .expect("text")
                .starts_with(NEW),
            "{}",
            back.text
        );

        // The other cannot continue: a clear problem, not a guess.
        h.get(&format!(
            "/v1/sessions/{}",
            gone["id"].as_str().expect("id")
        ))
        .await
        .assert_problem(StatusCode::CONFLICT, "flow-changed");
        h.answer(&gone, gone["step"]["answers"][0]["value"].clone())
            .await
            .assert_problem(StatusCode::CONFLICT, "flow-changed");
        let versions = h.get_as("/v1/admin/versions", ADMIN).await.body;
        assert!(versions[1]["retired_at"].is_string(), "{versions}");
    }
);
