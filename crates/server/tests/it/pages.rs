//! The pages over plain HTTP (no browser): served with the strict policy and the right
//! media types, no inline code anywhere, untrusted text escaped in the one piece of
//! markup the server makes (the preview's SVG), and the preview API on the files as
//! they are on disk.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

const WRITER: &str = "writer-secret-token";
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors 'none'";

const PAGES: [(&str, &str); 12] = [
    ("/", "text/html; charset=utf-8"),
    ("/preview", "text/html; charset=utf-8"),
    ("/agent", "text/html; charset=utf-8"),
    ("/widget.js", "text/javascript; charset=utf-8"),
    ("/assets/chat.js", "text/javascript; charset=utf-8"),
    ("/assets/chat.css", "text/css; charset=utf-8"),
    ("/assets/page.css", "text/css; charset=utf-8"),
    ("/assets/page.js", "text/javascript; charset=utf-8"),
    ("/assets/index.js", "text/javascript; charset=utf-8"),
    ("/assets/preview.js", "text/javascript; charset=utf-8"),
    ("/assets/agent.js", "text/javascript; charset=utf-8"),
    ("/assets/icon.svg", "image/svg+xml"),
];

async fn with_writer(db: Db) -> Harness {
    Harness::start_with(db, |c| {
        c.writer_token = Some(WRITER.into());
        c.scenarios = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios")];
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_and_asset_is_served_with_the_policy_and_its_type() {
    let h = Harness::start(Db::sqlite()).await;
    for (path, media) in PAGES {
        let r = h.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.content_type, media, "{path}");
        assert_eq!(r.headers["content-security-policy"], POLICY, "{path}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(r.headers["cache-control"], "no-cache", "{path}");
        assert!(!r.text.is_empty(), "{path}");
    }
    // The widget is the chat element's script.
    assert_eq!(
        h.get("/widget.js").await.text,
        h.get("/assets/chat.js").await.text
    );
    // Revalidation: the same ETag gets 304 and no body.
    let first = h.get("/assets/chat.js").await;
    let etag = first.headers["etag"].to_str().expect("etag").to_owned();
    let again = h
        .http
        .get(h.url("/assets/chat.js"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Nothing else is served from disk: other paths are the usual 404 problem.
    for path in [
        "/assets/",
        "/assets/../Cargo.toml",
        "/assets/chat.js.map",
        "/index.html",
    ] {
        let r = h.get(path).await;
        r.assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_are_allowed_from_the_cors_origins_only() {
    let h = Harness::start_with(Db::sqlite(), |c| {
        c.cors_origins = vec!["https://help.wallet.example".into()];
    })
    .await;
    let r = h.get("/").await;
    let policy = r.headers["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(
        policy.ends_with("frame-ancestors https://help.wallet.example"),
        "{policy}"
    );
    // The API is not a page: no policy there.
    assert!(
        h.get("/v1/trees")
            .await
            .headers
            .get("content-security-policy")
            .is_none()
    );
}

/// The pages hold no inline code (the policy would block it: a page that relied on it
/// would be broken), and the scripts never turn text into markup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_inline_code_and_no_markup_from_text() {
    let h = Harness::start(Db::sqlite()).await;
    for path in ["/", "/preview", "/agent"] {
        let html = h.get(path).await.text;
        let lower = html.to_lowercase();
        for tag in lower.match_indices("<script").map(|(i, _)| &lower[i..]) {
            let open = &tag[..tag.find('>').expect("a closed tag")];
            assert!(
                open.contains(" src=\"/assets/"),
                "{path}: inline script {open}"
            );
            assert!(
                tag[open.len() + 1..].starts_with("</script>"),
                "{path}: script with a body"
            );
        }
        assert!(!lower.contains("<style"), "{path}: inline style element");
        assert!(!lower.contains(" style="), "{path}: inline style attribute");
        let handler = regex_like_handler(&lower);
        assert!(handler.is_none(), "{path}: inline handler {handler:?}");
        assert!(!lower.contains("javascript:"), "{path}");
    }
    for path in [
        "/assets/chat.js",
        "/assets/index.js",
        "/assets/preview.js",
        "/assets/agent.js",
    ] {
        let js = h.get(path).await.text;
        for banned in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "setTimeout('",
            "setTimeout(\"",
        ] {
            assert!(!js.contains(banned), "{path} uses {banned}");
        }
    }
}

/// An `on...=` attribute in HTML text, if any.
fn regex_like_handler(html: &str) -> Option<String> {
    let bytes = html.as_bytes();
    for (i, _) in html.match_indices(" on") {
        let rest = &bytes[i + 3..];
        let name_len = rest.iter().take_while(|b| b.is_ascii_lowercase()).count();
        if name_len > 0 && rest.get(name_len) == Some(&b'=') {
            return Some(html[i..i + 3 + name_len + 1].to_owned());
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_needs_the_writer_or_admin_token() {
    let h = with_writer(Db::sqlite()).await;
    let r = h.get("/v1/preview/files").await;
    r.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        r.body["detail"]
            .as_str()
            .expect("detail")
            .contains("writer")
    );
    h.get_as("/v1/preview/files", AGENT)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        h.get_as("/v1/preview/files", WRITER).await.status,
        StatusCode::OK
    );
    assert_eq!(
        h.get_as("/v1/preview/files", ADMIN).await.status,
        StatusCode::OK
    );
    // No writer token configured: the admin token still works, an empty one never.
    let h = Harness::start(Db::sqlite()).await;
    assert_eq!(
        h.get_as("/v1/preview/overview", ADMIN).await.status,
        StatusCode::OK
    );
    h.get_as("/v1/preview/overview", "")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_shows_the_files_as_they_are_on_disk() {
    let h = with_writer(Db::sqlite()).await;
    let files = h.get_as("/v1/preview/files", WRITER).await.body;
    let digest = files["digest"].as_str().expect("digest").to_owned();
    assert_eq!(files["files"].as_array().expect("files").len(), 16);

    let o = h.get_as("/v1/preview/overview?locale=en", WRITER).await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.text);
    assert_eq!(o.body["ok"], true);
    assert_eq!(o.body["digest"], digest.as_str());
    assert_eq!(o.body["scenarios"]["ran"], true, "{}", o.text);
    assert_eq!(o.body["scenarios"]["failures"], json!([]));
    let recharge = o.body["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["tree"] == "recharge_failure")
        .expect("recharge_failure")
        .clone();
    assert_eq!(recharge["kind"], "tree");
    assert_eq!(recharge["title"], "Top-up failed");
    assert!(
        o.body["files"]
            .as_array()
            .expect("files")
            .iter()
            .any(|f| f["kind"] == "directory")
    );

    let t = h
        .get_as("/v1/preview/trees/recharge_failure?locale=en", WRITER)
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text);
    let tree =
        troubletree::Tree::from_path(h.trees.0.join("recharge_failure.ron")).expect("compiles");
    assert_eq!(
        t.body["nodes"].as_array().expect("nodes").len(),
        tree.node_count()
    );
    assert_eq!(t.body["start"], "check_debited");
    assert_eq!(t.body["coverage"]["nodes_covered"], tree.node_count());
    let svg = t.body["svg"].as_str().expect("svg");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(svg.matches("class=\"tt-node ").count(), tree.node_count());
    assert_eq!(svg.matches(" data-edge=").count(), tree.edges().len());
    assert!(
        svg.contains("First, one quick check"),
        "texts in the asked locale"
    );

    // Walk from a node in the middle, replaying answers.
    let w = h
        .post_as(
            "/v1/preview/walk",
            WRITER,
            json!({"tree": "recharge_failure", "at": "fix_network", "locale": "en", "answers": ["not_solved"]}),
        )
        .await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.text);
    assert_eq!(w.body["step"]["node"], "check_bank");
    assert_eq!(
        w.body["path"],
        json!([
            "recharge_failure/fix_network",
            "recharge_failure/check_bank"
        ])
    );
    assert_eq!(w.body["whole_catalogue"], true);
    let bad = h
        .post_as(
            "/v1/preview/walk",
            WRITER,
            json!({"tree": "recharge_failure", "answers": [false, "maybe"]}),
        )
        .await;
    bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "not-offered");
    assert!(
        bad.body["detail"]
            .as_str()
            .expect("detail")
            .starts_with("answer 2:"),
        "{}",
        bad.text
    );
    h.post_as(
        "/v1/preview/walk",
        WRITER,
        json!({"tree": "recharge_failure", "at": "nowhere"}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "node-not-found");
    h.post_as(
        "/v1/preview/walk",
        WRITER,
        json!({"tree": "recharge_failure", "answers": vec![Value::Bool(true); 1001]}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "too-many-answers");

    // Break the file: the digest changes, the overview lists the error with line and
    // column, the tree is no longer drawn, and the rest still is.
    let file = h.trees.0.join("recharge_failure.ron");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replacen("next: \"check_bank\",", "next: \"check_bnak\",", 1),
    )
    .expect("write");
    let files = h.get_as("/v1/preview/files", WRITER).await.body;
    assert_ne!(files["digest"], digest.as_str());
    let o = h.get_as("/v1/preview/overview", WRITER).await.body;
    assert_eq!(o["ok"], false);
    assert_eq!(o["digest"], files["digest"]);
    let finding = o["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["severity"] == "error")
        .expect("an error")
        .clone();
    assert!(
        finding["file"]
            .as_str()
            .expect("file")
            .ends_with("recharge_failure.ron")
    );
    assert!(
        finding["message"]
            .as_str()
            .expect("message")
            .contains("check_bnak")
    );
    let line = std::fs::read_to_string(&file)
        .expect("read")
        .lines()
        .position(|l| l.contains("check_bnak"))
        .expect("line")
        + 1;
    assert_eq!(finding["line"], line);
    assert!(finding["column"].as_u64().expect("column") > 0);
    assert_eq!(o["scenarios"]["ran"], false);
    h.get_as("/v1/preview/trees/recharge_failure", WRITER)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "tree-not-found");
    let refund = h.get_as("/v1/preview/trees/refund", WRITER).await;
    assert_eq!(
        refund.status,
        StatusCode::OK,
        "the other trees are still drawn"
    );
    assert!(refund.body["coverage"].is_null());
    // Walked alone while the working copy has errors.
    let w = h
        .post_as("/v1/preview/walk", WRITER, json!({"tree": "refund"}))
        .await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.text);
    // What is published does not change: the service keeps the checked version.
    assert_eq!(h.get("/v1/trees").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_is_escaped_in_the_svg() {
    let dir = TempDir::new("hostile-svg");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("../../trees/directory.ron"),
        dir.0.join("directory.ron"),
    )
    .expect("copy");
    std::fs::copy(
        root.join("tests/data/hostile/html.ron"),
        dir.0.join("html.ron"),
    )
    .expect("copy");
    let db = Db::sqlite();
    let mut config = config(&db, &dir.0);
    config.writer_token = Some(WRITER.into());
    let server = troubletree_server::Server::start(config)
        .await
        .expect("starts");
    let base = format!("http://{}", server.addr());
    let http = client();
    for locale in ["zh", "en"] {
        let r = Reply::of(
            http.get(format!("{base}/v1/preview/trees/hostile?locale={locale}"))
                .bearer_auth(WRITER)
                .send()
                .await
                .expect("GET"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let svg = r.body["svg"].as_str().expect("svg");
        // Only the drawing's own elements, whatever the texts say.
        let mut tags: Vec<&str> = svg
            .match_indices('<')
            .map(|(i, _)| {
                let rest = &svg[i + 1..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '/'))
                    .unwrap_or(rest.len());
                rest[..end].trim_start_matches('/')
            })
            .collect();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(
            tags,
            [
                "defs", "g", "marker", "path", "rect", "svg", "text", "title"
            ],
            "{svg}"
        );
        assert!(!svg.contains("<script") && !svg.contains("<img") && !svg.contains("<a "));
        // The texts are there, escaped.
        assert!(
            svg.contains("&lt;img src=x onerror=&quot;window.__pwned="),
            "{svg}"
        );
        assert!(
            svg.contains("&lt;/title&gt;&lt;script&gt;") || locale == "zh",
            "{svg}"
        );
        // Every quote in an attribute value is escaped: no attribute can be closed
        // early by text (each `="` opens a value that ends at the next `"`).
        for (i, _) in svg.match_indices("=\"") {
            let value = &svg[i + 2..];
            let end = value.find('"').expect("closed");
            assert!(!value[..end].contains('<'), "{}", &value[..end]);
        }
    }
    server.shutdown().await;
}
