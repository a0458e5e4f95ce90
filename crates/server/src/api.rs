//! The `/v1` JSON API and the operational endpoints: thin handlers over
//! [`crate::app::AppState`], each documented for the OpenAPI document.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{Action, AppState, Reload, SessionView, ViewJson, is_id};
use crate::engine::{ApiValue, PublishError, TicketBody, TreeInfo};
use crate::problem::{ApiJson, Problem};
use crate::store::{RetireOutcome, TicketRow};

type AppStateArc = Arc<AppState>;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "troubletree",
        description = "Troubleshooting sessions over published decision trees, tickets for agents, and administration. Errors are application/problem+json with a stable `code`.",
        version = "1"
    ),
    modifiers(&Security),
    components(schemas(Problem)),
    tags(
        (name = "sessions", description = "A user's walk: the session id is its only credential."),
        (name = "tickets", description = "The agents' queue (agent bearer token)."),
        (name = "admin", description = "Publishing and analytics (admin bearer token)."),
        (name = "preview", description = "The writers' preview of the tree files on disk, unpublished and possibly broken (writer or admin bearer token)."),
        (name = "operations", description = "Health, readiness, metrics.")
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, what) in [
            ("backend", "The wallet's back end: may supply facts."),
            ("agent", "The agents' console."),
            ("admin", "Administration."),
            (
                "writer",
                "The writers' preview (the admin token is accepted too).",
            ),
        ] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(what))
                        .build(),
                ),
            );
        }
    }
}

/// The routes and their OpenAPI document.
pub fn router() -> (axum::Router<AppStateArc>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_trees))
        .routes(routes!(start_session))
        .routes(routes!(get_session))
        .routes(routes!(answer))
        .routes(routes!(back))
        .routes(routes!(handoff))
        .routes(routes!(list_tickets))
        .routes(routes!(get_ticket))
        .routes(routes!(claim_ticket))
        .routes(routes!(close_ticket))
        .routes(routes!(reload))
        .routes(routes!(list_versions))
        .routes(routes!(retire_version))
        .routes(routes!(list_events))
        .routes(routes!(crate::preview::files))
        .routes(routes!(crate::preview::overview))
        .routes(routes!(crate::preview::tree))
        .routes(routes!(crate::preview::walk))
        .merge(crate::stats::api_routes())
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .split_for_parts()
}

/// The OpenAPI document as served, pretty-printed with a final newline.
pub fn openapi_json(api: &utoipa::openapi::OpenApi) -> String {
    let mut text = api.to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

// ---------------------------------------------------------------------- credentials

/// Which bearer token a request must carry.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Role {
    Backend,
    Agent,
    Admin,
    /// The writers' preview: the writer token, or the admin token.
    Writer,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Backend => "back end",
            Role::Agent => "agent",
            Role::Admin => "admin",
            Role::Writer => "writer (or admin)",
        }
    }

    fn token(self, state: &AppState) -> Option<&str> {
        match self {
            Role::Backend => state.config.backend_token.as_deref(),
            Role::Agent => state.config.agent_token.as_deref(),
            Role::Admin => state.config.admin_token.as_deref(),
            Role::Writer => state.config.writer_token.as_deref(),
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Compares in time independent of where the strings differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub(crate) fn require(state: &AppState, headers: &HeaderMap, role: Role) -> Result<(), Problem> {
    let given = bearer(headers);
    let fits = |token: Option<&str>| matches!((token, given), (Some(t), Some(g)) if same(t, g));
    let allowed = match role {
        Role::Writer => fits(role.token(state)) || fits(Role::Admin.token(state)),
        _ => fits(role.token(state)),
    };
    if allowed {
        Ok(())
    } else {
        Err(Problem::unauthorized(role.name()))
    }
}

// ---------------------------------------------------------------------- sessions

/// The published trees new sessions start on.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TreeList {
    /// The published version (sessions are pinned to it).
    pub version: i64,
    /// The trees, by id.
    pub trees: Vec<TreeInfoDoc>,
}

/// A tree (documented copy of [`TreeInfo`]).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TreeInfoDoc {
    /// The tree id, to start a session with.
    pub id: String,
    /// The tree's `version` field.
    pub version: i64,
    /// The engine's fingerprint of the tree, 16 hex digits.
    pub fingerprint: String,
    /// The declared locales, the default first.
    pub locales: Vec<String>,
    /// The title in each locale that has one.
    pub titles: BTreeMap<String, String>,
}

impl From<TreeInfo> for TreeInfoDoc {
    fn from(t: TreeInfo) -> Self {
        TreeInfoDoc {
            id: t.id,
            version: t.version,
            fingerprint: t.fingerprint,
            locales: t.locales,
            titles: t.titles,
        }
    }
}

/// Lists the trees of the newest published version.
#[utoipa::path(get, path = "/v1/trees", tag = "sessions",
    responses(
        (status = 200, body = TreeList),
        (status = 503, description = "Nothing published or the database is unavailable", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_trees(State(state): State<AppStateArc>) -> Result<Json<TreeList>, Problem> {
    let flow = state.newest().await?;
    Ok(Json(TreeList {
        version: flow.id,
        trees: flow.trees().into_iter().map(Into::into).collect(),
    }))
}

/// A new session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// The tree to walk.
    pub tree: String,
    /// `zh`, `en`...; the tree's default when absent.
    #[serde(default)]
    pub locale: Option<String>,
    /// Facts the back end knows (balance, whether the user can log in...). Only the
    /// back end may send them, with its bearer token.
    #[serde(default)]
    pub facts: BTreeMap<String, ApiValue>,
}

/// Starts a session on the newest published version.
#[utoipa::path(post, path = "/v1/sessions", tag = "sessions",
    request_body = StartRequest,
    security((), ("backend" = [])),
    responses(
        (status = 201, body = SessionView, description = "Started; `seq` is the step to answer"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Facts sent without the back end's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tree", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown locale or fact, or a fact of the wrong type (`wrong-type`) or outside its range (`out-of-range`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn start_session(
    State(state): State<AppStateArc>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<StartRequest>,
) -> Result<(StatusCode, ViewJson), Problem> {
    if !req.facts.is_empty() {
        require(&state, &headers, Role::Backend).map_err(|mut p| {
            p.detail = "only the wallet's back end may supply facts: send them with its bearer token, or start without facts".into();
            p
        })?;
    }
    let view = state
        .start(&req.tree, req.locale.as_deref(), &req.facts)
        .await?;
    Ok((StatusCode::CREATED, view))
}

/// Reads a session.
#[utoipa::path(get, path = "/v1/sessions/{id}", tag = "sessions",
    params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 200, body = SessionView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`flow-changed`: the session's version was retired and its answers do not fit the new one", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_session(
    State(state): State<AppStateArc>,
    Path(id): Path<String>,
) -> Result<Json<SessionView>, Problem> {
    Ok(Json(state.session(&id).await?))
}

/// An answer to the current question.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The `seq` of the session view the user answered.
    pub seq: i64,
    /// One of the offered values, or a number or text for a free-input question.
    pub value: ApiValue,
}

/// An action on a step.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    /// The `seq` of the session view the user acted on.
    pub seq: i64,
}

/// Answers the current question. A retry of the same request gets the same response
/// and is applied once.
#[utoipa::path(post, path = "/v1/sessions/{id}/answer", tag = "sessions",
    params(("id" = String, Path, description = "The session id")),
    request_body = AnswerRequest,
    responses(
        (status = 200, body = SessionView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`stale-step` (with `current`), `session-ended` or `flow-changed`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not-offered`, `wrong-type`, `out-of-range` (a number outside the question's range) or `step-limit`", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn answer(
    State(state): State<AppStateArc>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AnswerRequest>,
) -> Result<ViewJson, Problem> {
    let action = Action::Answer { value: req.value };
    state.act(&id, req.seq, action).await
}

/// Takes back the last answer.
#[utoipa::path(post, path = "/v1/sessions/{id}/back", tag = "sessions",
    params(("id" = String, Path, description = "The session id")),
    request_body = StepRequest,
    responses(
        (status = 200, body = SessionView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`stale-step`, `nothing-to-undo` or `session-ended`", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn back(
    State(state): State<AppStateArc>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StepRequest>,
) -> Result<ViewJson, Problem> {
    state.act(&id, req.seq, Action::Back).await
}

/// The user asks for a person (转人工): the session ends with a ticket that carries
/// the journey so far.
#[utoipa::path(post, path = "/v1/sessions/{id}/handoff", tag = "sessions",
    params(("id" = String, Path, description = "The session id")),
    request_body = StepRequest,
    responses(
        (status = 200, body = SessionView, description = "Handed off; `ticket` says where to go"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`stale-step` or `session-ended`", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn handoff(
    State(state): State<AppStateArc>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StepRequest>,
) -> Result<ViewJson, Problem> {
    state.act(&id, req.seq, Action::Handoff).await
}

// ---------------------------------------------------------------------- tickets

/// A ticket in the agents' queue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    /// `open`, `claimed` or `closed`.
    pub status: String,
    /// Who claimed or closed it.
    pub agent: Option<String>,
    /// Last change, RFC 3339 UTC.
    pub updated_at: String,
    /// The ticket.
    pub ticket: TicketBody,
}

/// A page of tickets.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketList {
    /// Most urgent first, then newest first.
    pub tickets: Vec<TicketView>,
}

/// Which tickets to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// `open` (default), `claimed` or `closed`.
    pub status: Option<String>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<i64>,
}

/// Who acts on a ticket.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentRequest {
    /// The agent's name or id, as the help desk knows them (1–100 characters).
    pub agent: String,
}

fn ticket_view(row: TicketRow) -> Result<TicketView, Problem> {
    let ticket = serde_json::from_str(&row.body).map_err(|e| {
        tracing::error!(ticket = %row.id, error = %e, "a stored ticket does not read");
        Problem::internal()
    })?;
    Ok(TicketView {
        status: row.status,
        agent: row.agent,
        updated_at: crate::engine::rfc3339(row.updated_at / 1000),
        ticket,
    })
}

fn ticket_not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "ticket-not-found",
        "there is no ticket with this id",
    )
}

/// Lists tickets, most urgent first, then newest first.
#[utoipa::path(get, path = "/v1/tickets", tag = "tickets",
    params(TicketQuery),
    security(("agent" = [])),
    responses(
        (status = 200, body = TicketList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_tickets(
    State(state): State<AppStateArc>,
    headers: HeaderMap,
    Query(q): Query<TicketQuery>,
) -> Result<Json<TicketList>, Problem> {
    require(&state, &headers, Role::Agent)?;
    let status = q.status.as_deref().unwrap_or("open");
    if !matches!(status, "open" | "claimed" | "closed") {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad-status",
            "status must be open, claimed or closed",
        ));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let rows = state.store.tickets(status, limit).await?;
    let tickets = rows
        .into_iter()
        .map(ticket_view)
        .collect::<Result<_, _>>()?;
    Ok(Json(TicketList { tickets }))
}

/// Reads a ticket.
#[utoipa::path(get, path = "/v1/tickets/{id}", tag = "tickets",
    params(("id" = String, Path, description = "The ticket id")),
    security(("agent" = [])),
    responses(
        (status = 200, body = TicketView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_ticket(
    State(state): State<AppStateArc>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<TicketView>, Problem> {
    require(&state, &headers, Role::Agent)?;
    if !is_id(&id) {
        return Err(ticket_not_found());
    }
    let row = state
        .store
        .ticket(&id)
        .await?
        .ok_or_else(ticket_not_found)?;
    Ok(Json(ticket_view(row)?))
}

fn agent_name(req: &AgentRequest) -> Result<&str, Problem> {
    let name = req.agent.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad-agent",
            "agent must be 1 to 100 characters with no control characters",
        ));
    }
    Ok(name)
}

/// Claims an open ticket for an agent; claiming one's own claim again is a no-op.
#[utoipa::path(post, path = "/v1/tickets/{id}/claim", tag = "tickets",
    params(("id" = String, Path, description = "The ticket id")),
    request_body = AgentRequest,
    security(("agent" = [])),
    responses(
        (status = 200, body = TicketView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ticket-claimed` by someone else, or `ticket-closed`", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn claim_ticket(
    State(state): State<AppStateArc>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AgentRequest>,
) -> Result<Json<TicketView>, Problem> {
    require(&state, &headers, Role::Agent)?;
    let agent = agent_name(&req)?;
    if !is_id(&id) {
        return Err(ticket_not_found());
    }
    state
        .store
        .move_ticket(&id, &["open"], "claimed", agent)
        .await?;
    let row = state
        .store
        .ticket(&id)
        .await?
        .ok_or_else(ticket_not_found)?;
    match (row.status.as_str(), row.agent.as_deref()) {
        ("claimed", Some(a)) if a == agent => Ok(Json(ticket_view(row)?)),
        ("closed", _) => Err(Problem::new(
            StatusCode::CONFLICT,
            "ticket-closed",
            "this ticket is already closed",
        )),
        _ => Err(Problem::new(
            StatusCode::CONFLICT,
            "ticket-claimed",
            format!(
                "this ticket is claimed by {}",
                row.agent.as_deref().unwrap_or("another agent")
            ),
        )),
    }
}

/// Closes a ticket (open or claimed); closing it again is a no-op.
#[utoipa::path(post, path = "/v1/tickets/{id}/close", tag = "tickets",
    params(("id" = String, Path, description = "The ticket id")),
    request_body = AgentRequest,
    security(("agent" = [])),
    responses(
        (status = 200, body = TicketView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn close_ticket(
    State(state): State<AppStateArc>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AgentRequest>,
) -> Result<Json<TicketView>, Problem> {
    require(&state, &headers, Role::Agent)?;
    let agent = agent_name(&req)?;
    if !is_id(&id) {
        return Err(ticket_not_found());
    }
    state
        .store
        .move_ticket(&id, &["open", "claimed"], "closed", agent)
        .await?;
    let row = state
        .store
        .ticket(&id)
        .await?
        .ok_or_else(ticket_not_found)?;
    Ok(Json(ticket_view(row)?))
}

// ---------------------------------------------------------------------- admin

/// What a reload did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Published {
    /// The version now served to new sessions.
    pub version: i64,
    /// False when the trees were unchanged (no new version).
    pub new: bool,
}

/// Reads the trees again and publishes them if they check; otherwise keeps serving the
/// previous version and lists the findings. (SIGHUP does the same.)
#[utoipa::path(post, path = "/v1/admin/reload", tag = "admin",
    security(("admin" = [])),
    responses(
        (status = 200, body = Published),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`catalogue-invalid`, with `findings`", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn reload(
    State(state): State<AppStateArc>,
    headers: HeaderMap,
) -> Result<Json<Published>, Problem> {
    require(&state, &headers, Role::Admin)?;
    match state.publish().await {
        Ok((version, new)) => Ok(Json(Published { version, new })),
        Err(Reload::Store(e)) => Err(e.into()),
        Err(Reload::Refused(e)) => {
            tracing::warn!(error = %e, "reload refused");
            let mut p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "catalogue-invalid",
                e.to_string(),
            );
            if let PublishError::Invalid(findings) = e {
                p.findings = Some(Box::new(findings));
            }
            Err(p)
        }
    }
}

/// A published version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VersionView {
    /// Its number.
    pub version: i64,
    /// SHA-256 of its trees' fingerprints and its directory.
    pub digest: String,
    /// RFC 3339 UTC.
    pub published_at: String,
    /// RFC 3339 UTC, when retired.
    pub retired_at: Option<String>,
}

/// Every published version, newest first.
#[utoipa::path(get, path = "/v1/admin/versions", tag = "admin",
    security(("admin" = [])),
    responses(
        (status = 200, body = Vec<VersionView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_versions(
    State(state): State<AppStateArc>,
    headers: HeaderMap,
) -> Result<Json<Vec<VersionView>>, Problem> {
    require(&state, &headers, Role::Admin)?;
    let rows = state.store.catalogues().await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| VersionView {
                version: r.id,
                digest: r.digest,
                published_at: crate::engine::rfc3339(r.published_at / 1000),
                retired_at: r.retired_at.map(|t| crate::engine::rfc3339(t / 1000)),
            })
            .collect(),
    ))
}

/// Retires a version: its sessions continue on the newest by the engine's replay
/// rules, or get `flow-changed`. The newest version cannot be retired.
#[utoipa::path(post, path = "/v1/admin/versions/{version}/retire", tag = "admin",
    params(("version" = i64, Path, description = "The version number")),
    security(("admin" = [])),
    responses(
        (status = 204, description = "Retired"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`newest-version`", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn retire_version(
    State(state): State<AppStateArc>,
    headers: HeaderMap,
    Path(version): Path<i64>,
) -> Result<StatusCode, Problem> {
    require(&state, &headers, Role::Admin)?;
    match state.store.retire(version).await? {
        RetireOutcome::Retired => {
            state.forget(version);
            Ok(StatusCode::NO_CONTENT)
        }
        RetireOutcome::NotFound => Err(Problem::new(
            StatusCode::NOT_FOUND,
            "version-not-found",
            "there is no such version",
        )),
        RetireOutcome::Newest => Err(Problem::new(
            StatusCode::CONFLICT,
            "newest-version",
            "this is the version new sessions start on; publish another before retiring it",
        )),
    }
}

/// Which events to read.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Events after this cursor (0: from the first).
    pub after: Option<i64>,
    /// At most this many (default 1000, at most 10000).
    pub limit: Option<i64>,
}

/// A page of analytics events.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    /// Each: `{session, seq, at, tree, fingerprint, kind, node, value, origin}`.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<serde_json::Value>,
    /// The cursor for the next page.
    pub next: i64,
}

/// Reads the append-only analytics events in order.
#[utoipa::path(get, path = "/v1/admin/events", tag = "admin",
    params(EventQuery),
    security(("admin" = [])),
    responses(
        (status = 200, body = EventPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_events(
    State(state): State<AppStateArc>,
    headers: HeaderMap,
    Query(q): Query<EventQuery>,
) -> Result<Json<EventPage>, Problem> {
    require(&state, &headers, Role::Admin)?;
    let after = q.after.unwrap_or(0).max(0);
    let rows = state
        .store
        .events(after, q.limit.unwrap_or(1000).clamp(1, 10_000))
        .await?;
    let next = rows.last().map_or(after, |(id, _)| *id);
    let events = rows
        .into_iter()
        .filter_map(|(_, p)| serde_json::from_str(&p).ok())
        .collect();
    Ok(Json(EventPage { events, next }))
}

// ---------------------------------------------------------------------- operations

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = String, content_type = "text/plain")))]
async fn healthz() -> &'static str {
    "ok\n"
}

/// The database answers and a version is published: send traffic here.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = String, content_type = "text/plain"),
        (status = 503, description = "`not-ready`", body = Problem, content_type = "application/problem+json"),
    ))]
async fn readyz(State(state): State<AppStateArc>) -> Result<&'static str, Problem> {
    let not_ready =
        |why: &str| Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not-ready", why.to_owned());
    state
        .store
        .ping()
        .await
        .map_err(|_| not_ready("the database does not answer"))?;
    state
        .newest()
        .await
        .map_err(|_| not_ready("no published version is loaded"))?;
    Ok("ready\n")
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
async fn metrics(State(state): State<AppStateArc>) -> Response {
    let backlog = state.store.backlog().await.ok();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(backlog),
    )
        .into_response()
}
