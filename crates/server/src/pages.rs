//! The web pages: the user's chat (`/`, and the embeddable widget `/widget.js`), the
//! writer's preview (`/preview`) and the agent's queue (`/agent`), with the
//! Content-Security-Policy they are served with.
//!
//! The pages are static files in `crates/server/assets/`, embedded in the binary (no
//! build step), that call the `/v1` API: plain HTML, CSS and JavaScript, every script
//! and stylesheet a file of its own, so the policy forbids inline code. Text from trees
//! and tickets is untrusted: the scripts build the DOM with `textContent` and
//! `createElement`, never `innerHTML` with data. The one piece of server-made markup,
//! the preview's SVG picture, is escaped where it is made ([`crate::picture`]).

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::config::Config;

/// The policy for the pages: everything from this origin only, no inline script or
/// style, no plugins, no framing except by the wallet's origins (`frame_ancestors`,
/// space-separated, for the embedded widget).
pub fn content_security_policy(frame_ancestors: &[String]) -> String {
    let ancestors = if frame_ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        frame_ancestors
            .iter()
            .filter(|o| {
                o.chars()
                    .all(|c| c.is_ascii_graphic() && c != ';' && c != ',')
            })
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors {ancestors}"
    )
}

/// Middleware for the pages: the policy above, plus `nosniff` and no referrer.
pub async fn with_csp(policy: Arc<HeaderValue>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, (*policy).clone());
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// A file served as is: its path, media type and bytes (embedded in the binary).
struct Asset {
    path: &'static str,
    media_type: &'static str,
    body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! asset {
    ($path:literal, $file:literal, $media:expr) => {
        Asset {
            path: $path,
            media_type: $media,
            body: include_bytes!(concat!("../assets/", $file)),
        }
    };
}

/// Every page and file: the user's page (and its widget script), the writer's preview,
/// the agent's queue, and what they load. Nothing else is served from disk.
const ASSETS: &[Asset] = &[
    asset!("/", "index.html", HTML),
    asset!("/preview", "preview.html", HTML),
    asset!("/agent", "agent.html", HTML),
    // The embeddable widget: the same script as the user's page uses.
    asset!("/widget.js", "chat.js", JS),
    asset!("/assets/chat.js", "chat.js", JS),
    asset!("/assets/chat.css", "chat.css", CSS),
    asset!("/assets/page.css", "page.css", CSS),
    // DOM and storage helpers the three pages share, loaded before each page's script.
    asset!("/assets/page.js", "page.js", JS),
    asset!("/assets/index.js", "index.js", JS),
    asset!("/assets/preview.js", "preview.js", JS),
    asset!("/assets/agent.js", "agent.js", JS),
    asset!("/assets/icon.svg", "icon.svg", SVG),
];

/// The pages' routes, each response wrapped by [`with_csp`]: `/`, `/preview`,
/// `/agent`, `/widget.js` and `/assets/*`. (Other modules add their own pages, such
/// as `/stats`, next to these.) Frames are allowed only from the CORS origins: the
/// wallet's help centre that embeds the widget.
pub fn routes(config: &Config) -> Router<Arc<AppState>> {
    let policy = Arc::new(
        HeaderValue::from_str(&content_security_policy(&config.cors_origins))
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'")),
    );
    let mut router = Router::new();
    for asset in ASSETS {
        router = router.route(
            asset.path,
            get(move |headers: HeaderMap| serve(asset, headers)),
        );
    }
    router.layer(axum::middleware::from_fn(move |r, n| {
        with_csp(policy.clone(), r, n)
    }))
}

/// An asset with a strong `ETag` (its SHA-256), revalidated on every use
/// (`no-cache`): a new binary's pages are never stale.
async fn serve(asset: &'static Asset, headers: HeaderMap) -> Response {
    let etag = format!(
        "\"{}\"",
        &crate::engine::hex(&Sha256::digest(asset.body))[..32]
    );
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.media_type)], asset.body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_forbids_inline_code_and_foreign_framing() {
        let p = content_security_policy(&[]);
        assert!(p.contains("script-src 'self'"));
        assert!(!p.contains("unsafe-inline"));
        assert!(p.ends_with("frame-ancestors 'none'"));
        let p =
            content_security_policy(&["https://m.wallet.example".into(), "x; script-src *".into()]);
        assert!(p.ends_with("frame-ancestors https://m.wallet.example"));
        assert!(HeaderValue::from_str(&p).is_ok());
    }
}
