//! The pages in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven over WebDriver, against a real server on loopback.
//!
//! Without Chromium these tests print that they were skipped and pass (set
//! `TROUBLETREE_REQUIRE_BROWSER=1`, as `.ci/run` does, to make a missing browser a
//! failure). One browser runs at a time. Screenshots for the docs are written to
//! `docs/screenshots/` when `UPDATE_SCREENSHOTS=1`.

mod webdriver;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use troubletree_server::{Config, Server};

use crate::common::*;
use webdriver::{Browser, Element};

/// One browser at a time: two Chromiums on two shared cores only make each other slow.
static BROWSER_GATE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub const WRITER: &str = "writer-secret-token";

/// Whether the browser suite can run; says once, loudly, when it cannot.
fn available() -> bool {
    static SAID: Once = Once::new();
    let found = webdriver::binaries().is_some();
    if !found {
        assert!(
            std::env::var_os("TROUBLETREE_REQUIRE_BROWSER").is_none(),
            "TROUBLETREE_REQUIRE_BROWSER is set but /usr/bin/chromium or /usr/bin/chromedriver is missing (apt-get install chromium chromium-driver)"
        );
        SAID.call_once(|| {
            // Written past the test harness's capture on purpose: a skip is never silent.
            let _ = writeln!(
                std::io::stderr(),
                "\nNOTE: browser tests SKIPPED: Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does)\n"
            );
        });
    }
    found
}

/// A server that can be stopped and started again on the same address and database.
struct Site {
    server: Option<Server>,
    addr: SocketAddr,
    config: Config,
    trees: TempDir,
    http: reqwest::Client,
    _db: Db,
}

impl Site {
    async fn start(trees: TempDir) -> Site {
        Site::start_with(trees, |_| {}).await
    }

    async fn start_with(trees: TempDir, tweak: impl FnOnce(&mut Config)) -> Site {
        let db = Db::sqlite();
        let mut config = crate::common::config(&db, &trees.0);
        config.writer_token = Some(WRITER.into());
        config.scenarios = vec![root().join("tests/scenarios")];
        tweak(&mut config);
        let server = Server::start(config.clone())
            .await
            .expect("the server starts");
        let addr = server.addr();
        config.listen = addr;
        Site {
            server: Some(server),
            addr,
            config,
            trees,
            http: client(),
            _db: db,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    async fn restart(&mut self) {
        self.stop().await;
        let server = Server::start(self.config.clone())
            .await
            .expect("the server starts again on its address");
        assert_eq!(server.addr(), self.addr);
        self.server = Some(server);
    }

    async fn get_as(&self, path: &str, token: &str) -> Reply {
        Reply::of(
            self.http
                .get(self.url(path))
                .bearer_auth(token)
                .send()
                .await
                .expect("GET"),
        )
        .await
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The hostile-text tree next to the shipped service directory.
fn hostile_trees() -> TempDir {
    let dir = TempDir::new("hostile");
    std::fs::copy(
        root().join("trees/directory.ron"),
        dir.0.join("directory.ron"),
    )
    .expect("copy the directory");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile/html.ron"),
        dir.0.join("html.ron"),
    )
    .expect("copy the hostile tree");
    dir
}

/// The screenshots the docs show.
const DOCS_SCREENSHOTS: [&str; 4] = [
    "user-zh-mobile.png",
    "user-en-escalated.png",
    "preview.png",
    "agent.png",
];

/// Keeps a screenshot: the docs' ones in `docs/screenshots/` with
/// `UPDATE_SCREENSHOTS=1`, every one in the temporary folder otherwise (for a person
/// looking into a failure).
fn keep_screenshot(name: &str, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let path =
        if std::env::var_os("UPDATE_SCREENSHOTS").is_some() && DOCS_SCREENSHOTS.contains(&name) {
            let dir = root().join("docs/screenshots");
            std::fs::create_dir_all(&dir).expect("docs/screenshots");
            dir.join(name)
        } else {
            std::env::temp_dir().join(format!("troubletree-{name}"))
        };
    std::fs::write(&path, png).expect("write the screenshot");
}

// ---------------------------------------------------------------------- page helpers

/// Finds an element inside the chat element's shadow root.
const IN_CHAT: &str = "var c = document.querySelector('troubletree-chat'); return c && c.shadowRoot ? c.shadowRoot.querySelector(arguments[0]) : null;";

async fn in_chat(b: &Browser, css: &str) -> Element {
    b.element(css, IN_CHAT, json!([css])).await
}

/// The offered answer with this value, once the step at `seq` shows.
async fn answer_button(b: &Browser, value: Value) -> Element {
    let css = format!("button.answer[data-value='{value}']");
    in_chat(b, &css).await
}

/// The chat's saved state (session id, seq, log) as the page keeps it.
async fn saved(b: &Browser) -> Value {
    let v = b
        .script(
            "for (var i = 0; i < sessionStorage.length; i++) { var k = sessionStorage.key(i); if (k.indexOf('troubletree:chat:') === 0) return sessionStorage.getItem(k); } return null;",
            json!([]),
        )
        .await;
    serde_json::from_str(v.as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

/// Waits for the chat's current question (the last bot bubble) to contain `text`.
async fn wait_bot(b: &Browser, text: &str) {
    b.wait_for(
        &format!("a question with {text:?}"),
        "var c = document.querySelector('troubletree-chat'); if (!c || !c.shadowRoot) return false; var bots = c.shadowRoot.querySelectorAll('.bubble.bot'); var last = bots[bots.length - 1]; return !!last && last.textContent.indexOf(arguments[0]) >= 0 && c.shadowRoot.querySelector('.chat').getAttribute('aria-busy') === 'false';",
        json!([text]),
    )
    .await;
}

async fn chat_text(b: &Browser) -> String {
    b.script(
        "var c = document.querySelector('troubletree-chat'); return c && c.shadowRoot ? c.shadowRoot.querySelector('.chat').innerText : '';",
        json!([]),
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Describes the focused element, through the chat's shadow root.
async fn focused(b: &Browser) -> Value {
    b.script(
        "var a = document.activeElement; while (a && a.shadowRoot && a.shadowRoot.activeElement) { a = a.shadowRoot.activeElement; } return a ? {tag: a.tagName, cls: a.className, text: a.textContent, value: a.getAttribute('data-value'), tree: a.getAttribute('data-tree')} : null;",
        json!([]),
    )
    .await
}

/// An element as a script argument.
fn el_arg(id: &str) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(webdriver::ELEMENT.to_owned(), Value::String(id.to_owned()));
    Value::Object(map)
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// Presses Tab until the focused element matches; at most `limit` presses.
async fn tab_to(b: &Browser, what: &str, limit: usize, matches: impl Fn(&Value) -> bool) {
    for _ in 0..limit {
        if matches(&focused(b).await) {
            return;
        }
        b.keys(&[TAB]).await;
    }
    panic!("Tab never reached {what}; focus is on {}", focused(b).await);
}

// ---------------------------------------------------------------------- tests

/// The user's page on a phone, in Chinese: pick the problem from the list, click to a
/// resolution; nothing scrolls sideways; the server agrees on where the walk ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_diagnosis_by_clicks_reaches_a_resolution_in_chinese_on_a_phone() {
    if !available() {
        return;
    }
    let _one = BROWSER_GATE.lock().await;
    let site = Site::start(trees_copy()).await;
    let b = Browser::start(375, 667).await;
    let size = b
        .script("return [window.innerWidth, window.innerHeight];", json!([]))
        .await;
    assert_eq!(size, json!([375, 667]), "the mobile viewport");

    b.goto(&site.url("/?lang=zh")).await;
    let pick = b
        .element(
            "the recharge_failure button",
            "return document.querySelector('#trees button[data-tree=recharge_failure]');",
            json!([]),
        )
        .await;
    assert_eq!(
        b.script("return arguments[0].textContent;", json!([el_arg(&pick.0)]))
            .await,
        "充值失败"
    );
    keep_screenshot("user-zh-mobile-list.png", &b.screenshot().await);
    b.click(&pick).await;

    wait_bot(&b, "先确认一件事").await;
    let text = chat_text(&b).await;
    assert!(text.contains("上一步") && text.contains("转人工"), "{text}");
    b.click(&answer_button(&b, json!(false)).await).await;
    wait_bot(&b, "网络连接稳定吗").await;
    b.click(&answer_button(&b, json!(false)).await).await;
    wait_bot(&b, "网络不稳定是充值失败最常见的原因").await;
    keep_screenshot("user-zh-mobile.png", &b.screenshot().await);
    b.click(&answer_button(&b, json!("solved")).await).await;
    in_chat(&b, ".card.resolved").await;
    let text = chat_text(&b).await;
    assert!(text.contains("问题已解决"), "{text}");
    assert!(text.contains("重新开始"), "{text}");
    // The user's answers are in the conversation, as they read them.
    assert!(text.contains("没有扣款，只是充值没成功"), "{text}");

    let overflow = b
        .script(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            json!([]),
        )
        .await;
    assert_eq!(overflow, json!(0), "nothing may scroll sideways at 375 px");

    let id = saved(&b).await["id"]
        .as_str()
        .expect("a session id")
        .to_owned();
    let r = Reply::of(
        site.http
            .get(site.url(&format!("/v1/sessions/{id}")))
            .send()
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(r.body["status"], "resolved", "{}", r.text);
    assert_eq!(r.body["step"]["node"], "resolved_network");
    assert_eq!(r.body["seq"], 4, "three answers, each applied once");
}

/// In English on a desktop: numbers typed (with a wrong one refused first), an
/// escalation with everything the user needs, and the agent who claims that very
/// ticket on the queue page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_tells_the_user_everything_and_an_agent_claims_the_ticket() {
    if !available() {
        return;
    }
    let _one = BROWSER_GATE.lock().await;
    let site = Site::start(trees_copy()).await;
    let b = Browser::start(1280, 900).await;
    b.goto(&site.url("/?lang=en&tree=recharge_failure")).await;
    wait_bot(&b, "First, one quick check").await;
    b.click(&answer_button(&b, json!(true)).await).await;
    wait_bot(&b, "how many hours ago").await;

    let input = in_chat(&b, "form.free input").await;
    b.type_into(&input, "sixty").await;
    b.click(&in_chat(&b, "button.send").await).await;
    let hint = b
        .wait_for(
            "the number hint",
            "var c = document.querySelector('troubletree-chat').shadowRoot; var h = c.querySelector('.hint.bad'); return h ? h.textContent : '';",
            json!([]),
        )
        .await;
    assert_eq!(hint, "Please enter a number, e.g. 100 or 12.5.");
    let invalid = b
        .script(
            "return arguments[0].getAttribute('aria-invalid');",
            json!([el_arg(&input.0)]),
        )
        .await;
    assert_eq!(invalid, "true");
    b.script("arguments[0].value = '';", json!([el_arg(&input.0)]))
        .await;
    // Full-width digits from a Chinese keyboard are numbers too.
    b.type_into(&input, "６０").await;
    b.keys(&[ENTER]).await;
    wait_bot(&b, "how much was taken").await;
    let input = in_chat(&b, "form.free input").await;
    b.type_into(&input, "100").await;
    b.keys(&[ENTER]).await;
    in_chat(&b, ".card.ticket").await;

    let view_id = saved(&b).await["id"].as_str().expect("id").to_owned();
    let session = Reply::of(
        site.http
            .get(site.url(&format!("/v1/sessions/{view_id}")))
            .send()
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(session.body["status"], "escalated", "{}", session.text);
    let ticket_id = session.body["ticket"]["id"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let card = b
        .script(
            "return document.querySelector('troubletree-chat').shadowRoot.querySelector('.card.ticket').innerText;",
            json!([]),
        )
        .await;
    let card = card.as_str().unwrap_or_default();
    for expected in [
        "Customer service will take it from here",
        "Case number",
        ticket_id.as_str(),
        "Contact",
        session.body["ticket"]["channel"]["contact"]
            .as_str()
            .expect("contact"),
        "Hours",
        "Reply time",
        "Have these ready",
        session.body["ticket"]["prepare"][0]
            .as_str()
            .expect("prepare"),
        "(These are example contacts.)",
    ] {
        assert!(card.contains(expected), "{expected:?} missing from: {card}");
    }
    keep_screenshot("user-en-escalated.png", &b.full_screenshot().await);

    // The agent, in the same browser: sign in, find the ticket, read it, claim it.
    b.goto(&site.url("/agent")).await;
    let token = b
        .element(
            "the token field",
            "return document.getElementById('token');",
            json!([]),
        )
        .await;
    b.type_into(&token, AGENT).await;
    let name = b
        .element(
            "the name field",
            "return document.getElementById('agent-name');",
            json!([]),
        )
        .await;
    b.type_into(&name, "Li Lei").await;
    b.keys(&[ENTER]).await;
    let row = b
        .element(
            "the new ticket in the queue",
            "return document.querySelector('#tickets button[data-ticket=\"' + arguments[0] + '\"]');",
            json!([ticket_id]),
        )
        .await;
    b.click(&row).await;
    let doc = b
        .wait_for(
            "the ticket document",
            "var d = document.getElementById('doc'); return d.querySelector('.journey') ? d.innerText : '';",
            json!([]),
        )
        .await;
    let doc = doc.as_str().unwrap_or_default();
    for expected in [
        "The journey",
        "First, one quick check",
        "→ Yes, I was charged but the balance didn't change",
        "answered by the user",
        "What is known",
        "money_debited",
        "What the user was told",
        "Why a person is needed",
        "More than 48 hours have passed",
    ] {
        assert!(doc.contains(expected), "{expected:?} missing from: {doc}");
    }
    b.click(
        &b.element(
            "the claim button",
            "return document.getElementById('claim');",
            json!([]),
        )
        .await,
    )
    .await;
    b.wait_for(
        "the claim to show",
        "var s = document.getElementById('doc-state'); return s && s.textContent.indexOf('Claimed by Li Lei') >= 0;",
        json!([]),
    )
    .await;
    b.script("window.scrollTo(0, 0);", json!([])).await;
    keep_screenshot("agent.png", &b.full_screenshot().await);
    let ticket = site
        .get_as(&format!("/v1/tickets/{ticket_id}"), AGENT)
        .await;
    assert_eq!(ticket.status, StatusCode::OK);
    assert_eq!(ticket.body["status"], "claimed");
    assert_eq!(ticket.body["agent"], "Li Lei");
}

/// Back takes the last answer away (in the conversation and on the server); asking for
/// a person midway ends the walk with a hand-off ticket and tells the user where to go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_and_talking_to_a_person_midway() {
    if !available() {
        return;
    }
    let _one = BROWSER_GATE.lock().await;
    let site = Site::start(trees_copy()).await;
    let b = Browser::start(1024, 800).await;
    b.goto(&site.url("/?lang=zh&tree=recharge_failure")).await;
    wait_bot(&b, "先确认一件事").await;
    let back = in_chat(&b, "button.back").await;
    let disabled = b
        .script("return arguments[0].disabled;", json!([el_arg(&back.0)]))
        .await;
    assert_eq!(disabled, true, "nothing to take back at the first question");
    b.click(&answer_button(&b, json!(false)).await).await;
    wait_bot(&b, "网络连接稳定吗").await;
    b.click(&in_chat(&b, "button.back").await).await;
    wait_bot(&b, "先确认一件事").await;
    let log = b
        .script(
            "return Array.prototype.map.call(document.querySelector('troubletree-chat').shadowRoot.querySelectorAll('.bubble'), function (x) { return x.getAttribute('data-who') + ': ' + x.querySelector('p').textContent; });",
            json!([]),
        )
        .await;
    assert_eq!(
        log.as_array().map(Vec::len),
        Some(1),
        "the answer taken back is gone: {log}"
    );
    assert!(
        log[0]
            .as_str()
            .unwrap_or_default()
            .starts_with("bot: 先确认一件事"),
        "{log}"
    );

    b.click(&answer_button(&b, json!(true)).await).await;
    wait_bot(&b, "几个小时").await;
    b.click(&in_chat(&b, "button.human").await).await;
    in_chat(&b, ".card.ticket").await;
    let text = chat_text(&b).await;
    assert!(text.contains("已为您转人工"), "{text}");
    assert!(text.contains("工单号"), "{text}");
    let id = saved(&b).await["id"].as_str().expect("id").to_owned();
    let session = Reply::of(
        site.http
            .get(site.url(&format!("/v1/sessions/{id}")))
            .send()
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(session.body["status"], "handed_off");
    let ticket_id = session.body["ticket"]["id"].as_str().expect("ticket id");
    assert!(text.contains(ticket_id), "the case id is shown: {text}");
    let ticket = site
        .get_as(&format!("/v1/tickets/{ticket_id}"), AGENT)
        .await;
    assert_eq!(ticket.body["ticket"]["kind"], "handoff");
    assert_eq!(ticket.body["ticket"]["node"], "debited_hours");
    // No "back" or "talk to a person" once handed over: only "start again".
    assert!(!text.contains("上一步"), "{text}");
    assert!(text.contains("重新开始"), "{text}");
}

/// A reload comes back to the same session and the same conversation; the walk goes
/// on from there with the right step number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_resumes_the_conversation() {
    if !available() {
        return;
    }
    let _one = BROWSER_GATE.lock().await;
    let site = Site::start(trees_copy()).await;
    let b = Browser::start(1024, 800).await;
    b.goto(&site.url("/?lang=en")).await;
    b.click(
        &b.element(
            "the recharge_failure button",
            "return document.querySelector('#trees button[data-tree=recharge_failure]');",
            json!([]),
        )
        .await,
    )
    .await;
    wait_bot(&b, "First, one quick check").await;
    b.click(&answer_button(&b, json!(false)).await).await;
    wait_bot(&b, "internet connection stable").await;
    let before = saved(&b).await;

    b.script("location.reload();", json!([])).await;
    wait_bot(&b, "internet connection stable").await;
    let after = saved(&b).await;
    assert_eq!(after["id"], before["id"], "the same session");
    assert_eq!(after["seq"], 2);
    let text = chat_text(&b).await;
    assert!(
        text.contains("No, nothing was charged; the top-up just failed"),
        "the conversation so far is shown again: {text}"
    );
    assert_eq!(
        text.matches("internet connection stable").count(),
        1,
        "{text}"
    );

    b.click(&answer_button(&b, json!(true)).await).await;
    wait_bot(&b, "point to the card or payment channel").await;
    let id = after["id"].as_str().expect("id");
    let session = Reply::of(
        site.http
            .get(site.url(&format!("/v1/sessions/{id}")))
            .send()
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(session.body["seq"], 3, "{}", session.text);
}

/// By keyboard alone: Tab to the problem, Enter, Tab between answers, Enter, to a
/// resolution; focus always lands on the next thing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyboard_only_walk() {
    if !available() {
        return;
    }
    let _one = BROWSER_GATE.lock().await;
    let site = Site::start(trees_copy()).await;
    let b = Browser::start(1024, 800).await;
    b.goto(&site.url("/?lang=en")).await;
    b.wait_for(
        "the tree list",
        "return document.querySelectorAll('#trees button').length > 3;",
        json!([]),
    )
    .await;
    tab_to(&b, "the recharge_failure button", 40, |f| {
        f["tree"] == "recharge_failure"
    })
    .await;
    b.keys(&[ENTER]).await;
    wait_bot(&b, "First, one quick check").await;
    // From "choose another problem", Tab goes into the chat: the first answer, then
    // the second.
    tab_to(&b, "the answer 'no'", 4, |f| f["value"] == "false").await;
    b.keys(&[ENTER]).await;
    wait_bot(&b, "internet connection stable").await;
    // Focus moved to the first answer of the new question by itself.
    assert_eq!(focused(&b).await["value"], "true");
    b.keys(&[TAB, ENTER]).await;
    wait_bot(&b, "An unstable connection").await;
    assert_eq!(focused(&b).await["value"], "\"solved\"");
    // Shift+Tab then Tab comes back to the same answer: nothing traps the focus.
    b.shift_tab().await;
    b.keys(&[TAB]).await;
    assert_eq!(focused(&b).await["value"], "\"solved\"");
    b.keys(&[ENTER]).await;
    in_chat(&b, ".card.resolved").await;
    let f = focused(&b).await;
    assert_eq!(f["cls"], "restart", "focus on 'start again': {f}");
    // The live region holds the steps, so a screen reader announces each new one.
    let live = b
        .script(
            "var log = document.querySelector('troubletree-chat').shadowRoot.querySelector('.log'); return [log.getAttribute('role'), log.getAttribute('aria-live'), log.children.length];",
            json!([]),
        )
        .await;
    assert_eq!(live[0], "log");
    assert_eq!(live[1], "polite");
    assert!(live[2].as_u64().unwrap_or(0) >= 6, "{live}");
}

/// The server goes away mid-walk: the page says so and offers to retry; when the
/// server is back, the same request (same step number) goes through, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_gets_a_retry_message_and_the_answer_is_applied_once() {
    if !available() {
        return;
    }
    let _one = BROWSER_GATE.lock().await;
    let mut site = Site::start(trees_copy()).await;
    let b = Browser::start(375, 667).await;
    b.goto(&site.url("/?lang=zh&tree=recharge_failure")).await;
    wait_bot(&b, "先确认一件事").await;
    let id = saved(&b).await["id"].as_str().expect("id").to_owned();

    site.stop().await;
    b.click(&answer_button(&b, json!(false)).await).await;
    let message = b
        .wait_for(
            "the retry message",
            "var s = document.querySelector('troubletree-chat').shadowRoot.querySelector('.status.error'); return s ? s.innerText : '';",
            json!([]),
        )
        .await;
    let message = message.as_str().unwrap_or_default();
    assert!(message.contains("暂时连不上服务器"), "{message}");
    assert!(message.contains("立即重试"), "{message}");
    keep_screenshot("user-zh-unreachable.png", &b.screenshot().await);

    site.restart().await;
    // "Retry now" (the page would also retry by itself, and may redraw the message
    // meanwhile: then the button is found again).
    for attempt in 0..3 {
        let retry = in_chat(&b, "button.retry").await;
        if b.try_click(&retry).await.is_ok() {
            break;
        }
        assert!(attempt < 2, "the retry button could not be clicked");
    }
    wait_bot(&b, "网络连接稳定吗").await;
    let status = b
        .script(
            "return document.querySelector('troubletree-chat').shadowRoot.querySelector('.status').textContent;",
            json!([]),
        )
        .await;
    assert_eq!(status, "", "the message is gone once the server answers");
    let session = Reply::of(
        site.http
            .get(site.url(&format!("/v1/sessions/{id}")))
            .send()
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(
        session.body["seq"], 2,
        "one answer applied: {}",
        session.text
    );
    let events = site.get_as("/v1/admin/events", ADMIN).await;
    let answered = events.body["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["session"] == id.as_str() && e["kind"] == "answered")
        .count();
    assert_eq!(answered, 1, "{}", events.text);
}

/// A tree whose texts are HTML and scripts: the user's page, the preview and the
/// agent's queue show them as text; no script runs, no element is made from them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tree_text_is_shown_as_text_everywhere() {
    if !available() {
        return;
    }
    let _one = BROWSER_GATE.lock().await;
    let site = Site::start(hostile_trees()).await;
    let b = Browser::start(1280, 900).await;
    // Counts what text could have turned into, in the page and in the chat's shadow.
    let injected = "var roots = [document]; var c = document.querySelector('troubletree-chat'); if (c && c.shadowRoot) roots.push(c.shadowRoot); var n = 0; roots.forEach(function (r) { n += r.querySelectorAll('img, iframe, b, a, style:not([data-ok]), svg svg, script:not([src])').length; }); return {pwned: window.__pwned || null, elements: n};";

    b.goto(&site.url("/?lang=en")).await;
    let title = b
        .wait_for(
            "the hostile tree in the list",
            "var b = document.querySelector('#trees button[data-tree=hostile]'); return b ? b.textContent : '';",
            json!([]),
        )
        .await;
    assert_eq!(
        title,
        "</title><script>window.__pwned='title'</script>Hostile title"
    );
    b.click(
        &b.element(
            "the hostile tree",
            "return document.querySelector('#trees button[data-tree=hostile]');",
            json!([]),
        )
        .await,
    )
    .await;
    wait_bot(&b, "First question").await;
    let text = chat_text(&b).await;
    assert!(
        text.contains("<img src=x onerror=\"window.__pwned='text'\"> First question <script>window.__pwned='script'</script>"),
        "{text}"
    );
    assert!(
        text.contains("</button><img src=x onerror=\"window.__pwned='button'\">No"),
        "{text}"
    );
    b.click(&answer_button(&b, json!(true)).await).await;
    wait_bot(&b, "click here").await;
    b.click(&answer_button(&b, json!("js")).await).await;
    wait_bot(&b, "Amount").await;
    let input = in_chat(&b, "form.free input").await;
    b.type_into(&input, "<img src=x onerror=alert(1)>").await;
    b.keys(&[ENTER]).await;
    in_chat(&b, ".hint.bad").await;
    b.script("arguments[0].value = '';", json!([el_arg(&input.0)]))
        .await;
    b.type_into(&input, "5").await;
    b.keys(&[ENTER]).await;
    in_chat(&b, ".card.ticket").await;
    let text = chat_text(&b).await;
    assert!(
        text.contains("<script>window.__pwned='reason'</script>A person is needed"),
        "{text}"
    );
    assert!(
        text.contains("<img src=x onerror=\"window.__pwned='prepare'\">A screenshot"),
        "{text}"
    );
    assert!(
        text.contains("javascript:window.__pwned='prepare2'"),
        "{text}"
    );
    // Give any injected handler time to run before looking.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = b.script(injected, json!([])).await;
    assert_eq!(
        seen,
        json!({"pwned": null, "elements": 0}),
        "on the user's page"
    );

    // The agent's queue shows the ticket's texts as text.
    let id = saved(&b).await["id"].as_str().expect("id").to_owned();
    b.goto(&site.url("/agent")).await;
    let token = b
        .element(
            "the token field",
            "return document.getElementById('token');",
            json!([]),
        )
        .await;
    b.type_into(&token, AGENT).await;
    let name = b
        .element(
            "the name field",
            "return document.getElementById('agent-name');",
            json!([]),
        )
        .await;
    b.type_into(&name, "<img src=x onerror=\"window.__pwned='agent'\">")
        .await;
    b.keys(&[ENTER]).await;
    let row = b
        .element(
            "the hostile ticket",
            "return document.querySelector('#tickets button[data-ticket]');",
            json!([]),
        )
        .await;
    b.click(&row).await;
    let doc = b
        .wait_for(
            "the hostile ticket document",
            "var d = document.getElementById('doc'); return d.querySelector('.journey') ? d.innerText : '';",
            json!([]),
        )
        .await;
    let doc = doc.as_str().unwrap_or_default();
    assert!(
        doc.contains("<script>window.__pwned='reason'</script>A person is needed"),
        "{doc}"
    );
    assert!(
        doc.contains("<a href=\"javascript:window.__pwned='link'\">click here</a>"),
        "{doc}"
    );
    assert!(doc.contains(&id), "{doc}");
    b.click(
        &b.element(
            "the claim button",
            "return document.getElementById('claim');",
            json!([]),
        )
        .await,
    )
    .await;
    b.wait_for(
        "the claim by a hostile name",
        "var s = document.getElementById('doc-state'); return s && s.textContent.indexOf('onerror') >= 0;",
        json!([]),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = b.script(injected, json!([])).await;
    assert_eq!(
        seen,
        json!({"pwned": null, "elements": 0}),
        "on the agent's page"
    );

    // The preview draws the tree: its SVG holds the texts as text only.
    b.goto(&site.url("/preview")).await;
    let token = b
        .element(
            "the writer token field",
            "return document.getElementById('token');",
            json!([]),
        )
        .await;
    b.type_into(&token, WRITER).await;
    b.keys(&[ENTER]).await;
    let drawn = b
        .wait_for(
            "the hostile picture",
            "var s = document.querySelector('#picture svg'); return s ? s.textContent : '';",
            json!([]),
        )
        .await;
    let drawn = drawn.as_str().unwrap_or_default();
    assert!(drawn.contains("<img src=x onerror="), "{drawn}");
    let svg_elements = b
        .script(
            "var s = document.querySelector('#picture svg'); var names = {}; s.querySelectorAll('*').forEach(function (e) { names[e.localName] = 1; }); return Object.keys(names).sort();",
            json!([]),
        )
        .await;
    assert_eq!(
        svg_elements,
        json!(["defs", "g", "marker", "path", "rect", "text", "title"]),
        "only the drawing's own elements"
    );
    // Walk it from the start in the preview too.
    b.click(
        &b.element(
            "the start node",
            "return document.querySelector('#picture .tt-node[data-node=ask_click]');",
            json!([]),
        )
        .await,
    )
    .await;
    b.wait_for(
        "the preview walk",
        "var w = document.getElementById('walk'); return w.textContent.indexOf('第一个问题') >= 0;",
        json!([]),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = b
        .script(
            "return {pwned: window.__pwned || null, elements: document.querySelectorAll('img, iframe, b, a, script:not([src]), #walk svg, #findings *:not(li)').length};",
            json!([]),
        )
        .await;
    assert_eq!(
        seen,
        json!({"pwned": null, "elements": 0}),
        "on the preview"
    );
}

/// The writer's preview: sign in, see the picture with coverage, walk from a node in
/// the middle; edit the file and the page follows by itself; break it and the findings
/// show with line and column.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_draws_walks_and_follows_the_file_on_disk() {
    if !available() {
        return;
    }
    let _one = BROWSER_GATE.lock().await;
    let site = Site::start(trees_copy()).await;
    let b = Browser::start(1440, 1000).await;
    b.goto(&site.url("/preview?tree=recharge_failure")).await;
    let token = b
        .element(
            "the writer token field",
            "return document.getElementById('token');",
            json!([]),
        )
        .await;
    b.type_into(&token, "wrong-token").await;
    b.keys(&[ENTER]).await;
    let refused = b
        .wait_for(
            "the refusal",
            "var e = document.getElementById('signin-error'); return e && !e.hidden ? e.textContent : '';",
            json!([]),
        )
        .await;
    assert!(
        refused
            .as_str()
            .unwrap_or_default()
            .contains("writer token"),
        "{refused}"
    );
    let token = b
        .element(
            "the writer token field",
            "return document.getElementById('token');",
            json!([]),
        )
        .await;
    b.type_into(&token, WRITER).await;
    b.keys(&[ENTER]).await;
    let nodes = b
        .wait_for(
            "the picture",
            "return document.querySelectorAll('#picture .tt-node').length;",
            json!([]),
        )
        .await;
    let tree = troubletree::Tree::from_path(site.trees.0.join("recharge_failure.ron"))
        .expect("the tree compiles");
    assert_eq!(nodes, json!(tree.node_count()), "one box per node");
    let edges = b
        .script(
            "return document.querySelectorAll('#picture .tt-edge').length;",
            json!([]),
        )
        .await;
    assert_eq!(edges, json!(tree.edges().len()), "one arrow per edge");
    let coverage = b
        .wait_for(
            "the coverage line",
            "var c = document.getElementById('coverage').textContent; return c.indexOf('scenario coverage') >= 0 ? c : '';",
            json!([]),
        )
        .await;
    assert!(
        coverage
            .as_str()
            .unwrap_or_default()
            .contains(&format!("nodes {n}/{n}", n = tree.node_count())),
        "{coverage}"
    );
    let covered = b
        .script(
            "return document.querySelectorAll('#picture .tt-node.covered').length;",
            json!([]),
        )
        .await;
    assert_eq!(covered, json!(tree.node_count()));

    // Walk from a node in the middle: the Act that fixes the network.
    b.click(
        &b.element(
            "the fix_network node",
            "return document.querySelector('#picture .tt-node[data-node=fix_network]');",
            json!([]),
        )
        .await,
    )
    .await;
    b.wait_for(
        "the walk from fix_network",
        "var w = document.getElementById('walk'); return w.textContent.indexOf('recharge_failure/fix_network') >= 0;",
        json!([]),
    )
    .await;
    let current = b
        .script(
            "var c = document.querySelector('#picture .tt-node.current'); return c ? c.getAttribute('data-node') : null;",
            json!([]),
        )
        .await;
    assert_eq!(
        current, "fix_network",
        "the picture shows where the walk is"
    );
    b.click(
        &b.element(
            "the 'solved' answer",
            "return Array.prototype.find.call(document.querySelectorAll('#walk .answers button'), function (x) { return x.textContent.indexOf('\"solved\"') >= 0; });",
            json!([]),
        )
        .await,
    )
    .await;
    b.wait_for(
        "the walk's end",
        "return document.getElementById('walk').textContent.indexOf('RESOLVED · recharge_failure/resolved_network') >= 0;",
        json!([]),
    )
    .await;
    keep_screenshot("preview.png", &b.screenshot().await);

    // Edit a text on disk: the page follows without a reload.
    let file = site.trees.0.join("recharge_failure.ron");
    let text = std::fs::read_to_string(&file).expect("read");
    let edited = text.replacen("先确认一件事", "EDITED-BY-THE-WRITER", 1);
    assert_ne!(edited, text);
    std::fs::write(&file, &edited).expect("write");
    b.wait_for(
        "the edited text in the picture",
        "var s = document.querySelector('#picture svg'); return !!s && s.textContent.indexOf('EDITED-BY-THE-WRITER') >= 0;",
        json!([]),
    )
    .await;
    b.wait_for(
        "the page to say it is up to date",
        "return document.getElementById('updated').textContent.indexOf('Up to date') === 0;",
        json!([]),
    )
    .await;

    // Break it: a `next` that names no node. The findings show where, with line and
    // column, and the picture says the tree does not compile.
    let broken = edited.replacen("next: \"check_bank\",", "next: \"check_bnak\",", 1);
    assert_ne!(broken, edited);
    std::fs::write(&file, &broken).expect("write");
    let line = broken
        .lines()
        .position(|l| l.contains("check_bnak"))
        .expect("the broken line")
        + 1;
    let finding = b
        .wait_for(
            "the finding",
            "var f = Array.prototype.find.call(document.querySelectorAll('#findings li.error'), function (li) { return li.textContent.indexOf('check_bnak') >= 0; }); return f ? f.textContent : '';",
            json!([]),
        )
        .await;
    let finding = finding.as_str().unwrap_or_default();
    assert!(
        finding.contains(&format!("recharge_failure.ron:{line}:")),
        "line {line} expected: {finding}"
    );
    assert!(finding.contains("error[E"), "{finding}");
    b.wait_for(
        "the picture to say the tree does not compile",
        "return document.getElementById('coverage').textContent.indexOf('does not compile') >= 0;",
        json!([]),
    )
    .await;
    keep_screenshot("preview-findings.png", &b.screenshot().await);
}

/// The widget on the wallet's own help centre, another origin: one script from the
/// service and one element; the element calls the API across origins (allowed by
/// `--cors-origin`) and walks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_works_on_another_origin() {
    if !available() {
        return;
    }
    let _one = BROWSER_GATE.lock().await;
    // The help centre: a page of its own, on another port (so another origin), with
    // no policy of ours.
    let host = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port for the help centre");
    let host_origin = format!("http://{}", host.local_addr().expect("addr"));
    let site = Site::start_with(trees_copy(), |c| {
        c.cors_origins = vec![host_origin.clone()];
    })
    .await;
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Wallet help centre</title><script src=\"http://{}/widget.js\"></script></head><body><h1>Help centre</h1><troubletree-chat tree=\"refund\" lang=\"en\"></troubletree-chat></body></html>",
        site.addr
    );
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let page = page.clone();
            async move { axum::response::Html(page) }
        }),
    );
    let serving = tokio::spawn(async move {
        let _ = axum::serve(host, app).await;
    });
    let b = Browser::start(800, 700).await;
    b.goto(&format!("{host_origin}/")).await;
    let title = b
        .wait_for(
            "the widget's title",
            "var c = document.querySelector('troubletree-chat'); var t = c && c.shadowRoot ? c.shadowRoot.querySelector('.title') : null; return t && t.textContent !== 'Self-help' ? t.textContent : '';",
            json!([]),
        )
        .await;
    assert_eq!(title, "Refund");
    let first = b
        .element(
            "the first answer",
            "var c = document.querySelector('troubletree-chat'); return c.shadowRoot.querySelector('button.answer');",
            json!([]),
        )
        .await;
    let question = b
        .script(
            "var bots = document.querySelector('troubletree-chat').shadowRoot.querySelectorAll('.bubble.bot'); return bots[bots.length - 1].textContent;",
            json!([]),
        )
        .await;
    // An answer goes through (a cross-origin POST, with its preflight).
    b.click(&first).await;
    b.wait_for(
        "the next step",
        "var c = document.querySelector('troubletree-chat').shadowRoot; return c.querySelectorAll('.bubble.user').length === 1 && c.querySelector('.chat').getAttribute('aria-busy') === 'false';",
        json!([]),
    )
    .await;
    let after = b
        .script(
            "var bots = document.querySelector('troubletree-chat').shadowRoot.querySelectorAll('.bubble.bot'); return bots[bots.length - 1].textContent;",
            json!([]),
        )
        .await;
    assert_ne!(after, question, "the walk moved on");
    // Its stylesheet came from the service too, and stays inside the element.
    let styled = b
        .script(
            "var c = document.querySelector('troubletree-chat').shadowRoot.querySelector('.chat'); return [getComputedStyle(c).borderRadius, getComputedStyle(document.querySelector('h1')).fontFamily.indexOf('PingFang') < 0];",
            json!([]),
        )
        .await;
    assert_eq!(styled, json!(["12px", true]));
    serving.abort();
}
