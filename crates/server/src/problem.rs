//! Errors as `application/problem+json` (RFC 9457), each with a stable `code`.
//!
//! Every error the service answers goes through [`Problem`]: handler errors, rejected
//! request bodies, unknown routes, methods, timeouts and panics (see
//! [`problem_for_plain_errors`]). The text never contains a panic message, a stack
//! trace or a database error: those are logged, and the client gets a code.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::engine::EngineError;
use crate::store::StoreError;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:troubletree:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened, for the person who must act.
    pub detail: String,
    /// The stable code to match on.
    pub code: String,
    /// For `stale-step`: the session as it stands now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<Box<serde_json::Value>>,
    /// For `catalogue-invalid`: every error finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    pub findings: Option<Box<Vec<String>>>,
}

impl Problem {
    /// A problem with this status, code and detail.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Problem {
        Problem {
            type_: format!("urn:troubletree:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            current: None,
            findings: None,
        }
    }

    /// A 500 that says nothing of the cause (the cause is logged).
    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on the server; it has been logged",
        )
    }

    /// 404 for a session id that is not known (or not yours: ids are not guessable).
    pub fn session_not_found() -> Problem {
        Problem::new(
            StatusCode::NOT_FOUND,
            "session-not-found",
            "there is no session with this id",
        )
    }

    /// 401: a credential is missing or wrong.
    pub fn unauthorized(what: &str) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            format!("this needs the {what} bearer token in the Authorization header"),
        )
    }

    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, Json(&self)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<EngineError> for Problem {
    fn from(e: EngineError) -> Problem {
        let status = match e.code {
            "tree-not-found" => StatusCode::NOT_FOUND,
            "session-ended" | "nothing-to-undo" | "flow-changed" => StatusCode::CONFLICT,
            "corrupt-session" => {
                tracing::error!(error = %e.message, "a stored session does not resume");
                return Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "corrupt-session",
                    "this session's stored state cannot be resumed; it has been logged",
                );
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Problem::new(status, e.code, e.message)
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        match e {
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage-unavailable",
                    "the database is unavailable; nothing was changed, try again shortly",
                )
            }
            StoreError::Other(cause) => {
                tracing::error!(%cause, "database error");
                Problem::internal()
            }
        }
    }
}

/// A JSON body whose rejections are problems: malformed JSON is 400 `bad-request`, a
/// wrong content type 415, a body over the limit 413 `body-too-large`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => body_too_large(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "send the body as JSON with Content-Type: application/json",
                ),
                status => Problem::new(
                    if status.is_client_error() {
                        StatusCode::BAD_REQUEST
                    } else {
                        status
                    },
                    "bad-request",
                    rejection.body_text(),
                ),
            }),
        }
    }
}

fn body_too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
        "the request body is larger than this server accepts",
    )
}

/// Turns every error response that is not already a problem (an unknown route, a wrong
/// method, a body cut off by the limit, a timeout) into one, so that clients see a
/// single error format.
pub async fn problem_for_plain_errors(request: Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return response;
    }
    let problem = match status {
        StatusCode::NOT_FOUND => Problem::new(status, "not-found", "there is nothing at this path"),
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            status,
            "method-not-allowed",
            "this path does not accept this method",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => body_too_large(),
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took too long; try again",
        ),
        s if s.is_server_error() => Problem::internal(),
        s => Problem::new(s, "bad-request", "the request was refused"),
    };
    let mut out = problem.into_response();
    // Keep headers such as Allow and CORS from the original.
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// For `CatchPanicLayer`: a panic becomes a plain 500 problem; its message is logged,
/// never sent.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = %message, "a request handler panicked");
    Problem::internal().into_response()
}
