//! A small W3C WebDriver client over reqwest (already a dependency): the handful of
//! commands the page tests need, against Debian's `chromedriver` driving headless
//! `chromium`. Each [`Browser`] owns its chromedriver process and a fresh profile
//! folder, and ends both when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::TempDir;

/// The key W3C WebDriver uses for an element reference.
pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where the browser and its driver are (Debian's packages), unless the environment
/// says otherwise.
pub fn binaries() -> Option<(PathBuf, PathBuf)> {
    let chromium = std::env::var_os("TROUBLETREE_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let driver = std::env::var_os("TROUBLETREE_CHROMEDRIVER")
        .map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from);
    (chromium.exists() && driver.exists()).then_some((chromium, driver))
}

/// A headless Chromium session.
pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
    driver: Child,
    _profile: TempDir,
}

/// An element of the page (or of a shadow root), as the driver names it.
#[derive(Debug, Clone)]
pub struct Element(pub String);

impl Browser {
    /// Starts chromedriver on a free loopback port and a headless Chromium with a
    /// window of `width`×`height` CSS pixels. Chromium is started with the flags that
    /// keep it off the network (no sync, no component updates, no background
    /// networking), so it talks to loopback only.
    pub async fn start(width: u32, height: u32) -> Browser {
        let (chromium, driver_path) = binaries().expect("chromium and chromedriver");
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
            l.local_addr().expect("addr").port()
        };
        let profile = TempDir::new("chromium");
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let ready = http
                .get(format!("{base}/status"))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success());
            if ready.is_some() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-default-apps".to_owned(),
            "--disable-extensions".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--user-data-dir={}", profile.0.display()),
            format!("--window-size={width},{height}"),
            "--lang=en-US".to_owned(),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium.display().to_string(), "args": args},
        }}});
        let r = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session");
        let body: Value = r.json().await.expect("session JSON");
        let id = body["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {body}"))
            .to_owned();
        let mut browser = Browser {
            http,
            session: format!("{base}/session/{id}"),
            driver,
            _profile: profile,
        };
        // Headless windows include no browser chrome, but make sure the page itself
        // has the size asked for.
        browser.fit_viewport(width, height).await;
        browser
    }

    async fn fit_viewport(&mut self, width: u32, height: u32) {
        let inner = self
            .script("return [window.innerWidth, window.innerHeight];", json!([]))
            .await;
        let (w, h) = (
            inner[0].as_u64().unwrap_or(0),
            inner[1].as_u64().unwrap_or(0),
        );
        if (w, h) != (u64::from(width), u64::from(height)) && w > 0 && h > 0 {
            let dw = u64::from(width) + (u64::from(width).max(w) - w);
            let dh = u64::from(height) + (u64::from(height).max(h) - h);
            self.command("POST", "/window/rect", json!({"width": dw, "height": dh}))
                .await;
        }
    }

    async fn command(&self, method: &str, path: &str, body: Value) -> Value {
        match self.try_command(method, path, body).await {
            Ok(v) => v,
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        }
    }

    async fn try_command(&self, method: &str, path: &str, body: Value) -> Result<Value, String> {
        let url = format!("{}{path}", self.session);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let r = request.send().await.map_err(|e| e.to_string())?;
        let ok = r.status().is_success();
        let value: Value = r.json().await.map_err(|e| e.to_string())?;
        if ok {
            Ok(value["value"].clone())
        } else {
            Err(value["value"].to_string())
        }
    }

    /// Opens a URL and waits for the document to load.
    pub async fn goto(&self, url: &str) {
        self.command("POST", "/url", json!({ "url": url })).await;
    }

    /// Runs a script in the page (`arguments` are `args`) and returns its result.
    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": args}),
        )
        .await
    }

    /// Waits until `script` returns something truthy; returns it.
    pub async fn wait_for(&self, what: &str, script: &str, args: Value) -> Value {
        let started = Instant::now();
        loop {
            let v = self
                .try_command(
                    "POST",
                    "/execute/sync",
                    json!({"script": script, "args": args.clone()}),
                )
                .await
                .unwrap_or(Value::Null);
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Object(_) => true,
            };
            if truthy {
                return v;
            }
            if started.elapsed() > Duration::from_secs(15) {
                let shot = self.screenshot().await;
                let path = std::env::temp_dir().join(format!(
                    "troubletree-failed-{}.png",
                    what.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
                ));
                let _ = std::fs::write(&path, shot);
                let text = self
                    .script(
                        "var c = document.querySelector('troubletree-chat'); return document.body.innerText + (c && c.shadowRoot ? '\\n[chat] ' + c.shadowRoot.textContent : '');",
                        json!([]),
                    )
                    .await;
                panic!(
                    "timed out waiting for {what} (screenshot {}); the page says: {text}",
                    path.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// An element returned by a script (which may reach into shadow roots).
    pub async fn element(&self, what: &str, script: &str, args: Value) -> Element {
        let v = self.wait_for(what, script, args).await;
        Element(
            v[ELEMENT]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: not an element: {v}"))
                .to_owned(),
        )
    }

    /// A real click (the driver scrolls the element into view and checks that it is
    /// what a person would hit).
    pub async fn click(&self, e: &Element) {
        self.command("POST", &format!("/element/{}/click", e.0), json!({}))
            .await;
    }

    /// A click that may fail (the element was redrawn meanwhile).
    pub async fn try_click(&self, e: &Element) -> Result<(), String> {
        self.try_command("POST", &format!("/element/{}/click", e.0), json!({}))
            .await
            .map(|_| ())
    }

    /// Types into an element.
    pub async fn type_into(&self, e: &Element, text: &str) {
        self.command(
            "POST",
            &format!("/element/{}/value", e.0),
            json!({ "text": text }),
        )
        .await;
    }

    /// Presses keys on whatever has the focus, one after the other (WebDriver key
    /// codes: `\u{E004}` Tab, `\u{E007}` Enter, `\u{E008}` Shift).
    pub async fn keys(&self, keys: &[&str]) {
        let mut actions = Vec::new();
        for k in keys {
            actions.push(json!({"type": "keyDown", "value": k}));
            actions.push(json!({"type": "keyUp", "value": k}));
        }
        self.command(
            "POST",
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )
        .await;
        self.command("DELETE", "/actions", json!({})).await;
    }

    /// Shift+Tab.
    pub async fn shift_tab(&self) {
        self.command(
            "POST",
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
                {"type": "keyDown", "value": "\u{E008}"},
                {"type": "keyDown", "value": "\u{E004}"},
                {"type": "keyUp", "value": "\u{E004}"},
                {"type": "keyUp", "value": "\u{E008}"},
            ]}]}),
        )
        .await;
        self.command("DELETE", "/actions", json!({})).await;
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        let v = self.command("GET", "/screenshot", Value::Null).await;
        base64_decode(v.as_str().unwrap_or_default())
    }

    /// A PNG of the whole page (Chromium's full-page capture through the driver).
    pub async fn full_screenshot(&self) -> Vec<u8> {
        // Chromium has no W3C full-page capture: grow the window to the page, shoot,
        // and put it back.
        let size = self
            .script(
                "return [window.innerWidth, Math.ceil(document.documentElement.scrollHeight), window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];",
                json!([]),
            )
            .await;
        let n = |i: usize| size[i].as_u64().unwrap_or(0);
        let rect = self.command("GET", "/window/rect", Value::Null).await;
        self.command(
            "POST",
            "/window/rect",
            json!({"width": n(0) + n(2), "height": n(1).min(4000) + n(3)}),
        )
        .await;
        let shot = self.screenshot().await;
        self.command(
            "POST",
            "/window/rect",
            json!({"width": rect["width"], "height": rect["height"]}),
        )
        .await;
        shot
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver quit Chromium; killing chromedriver
        // alone would leave Chromium running. A plain blocking request: a drop cannot
        // await, and this runs on a panic's unwinding too.
        let _ = delete_blocking(&self.session);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `DELETE url` over a plain TCP connection to loopback, waiting for the whole answer
/// (its headers and `Content-Length` bytes: the driver keeps the connection open).
fn delete_blocking(url: &str) -> std::io::Result<()> {
    use std::io::{Read as _, Write as _};
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        stream,
        "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        answer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                return Ok(());
            }
        }
    }
}

/// Standard base64 (the driver's screenshots), ignoring anything outside the alphabet.
pub fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("iVBORw0KGgo="), b"\x89PNG\r\n\x1a\n");
}
