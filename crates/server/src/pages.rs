//! The spot for the web pages (`/`, `/preview`, `/agent`), built in a later issue, and
//! the Content-Security-Policy they must be served with.
//!
//! The pages are static files that call the `/v1` API; [`routes`] is where they will be
//! mounted, each response wrapped by [`with_csp`]. Until then the paths answer 404.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::AppState;

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

/// The pages' routes: none yet (issue 15 adds `/`, `/preview` and `/agent` here, with
/// `axum::middleware::from_fn(move |r, n| with_csp(policy.clone(), r, n))`).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
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
