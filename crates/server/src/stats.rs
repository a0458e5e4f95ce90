//! Is the flow working? `GET /v1/admin/stats` (the figures of `troubletree stats`, from
//! the events in the store) and the `/stats` page that shows them, with a picture of
//! the traffic per tree version.
//!
//! The computation is the engine's ([`troubletree::analysis::stats`]): this module reads
//! the events of the range page by page (index `events_at`), feeds them to it, and for
//! each version lays out its tree for the picture. The page is static (HTML, script and
//! style from this origin, under the pages' Content-Security-Policy); it asks for the
//! admin token and builds every element with `textContent`, never HTML from data.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use troubletree::analysis::stats::{Report, Stats, StatsOptions, VersionReport};
use troubletree::event::Timestamp;
use troubletree::{EdgeLabel, Session, Step, Tree};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{Role, require};
use crate::app::AppState;
use crate::problem::Problem;

/// Events read per query.
const PAGE: i64 = 5_000;

/// The range when none is given: the last seven days.
const DEFAULT_DAYS: i64 = 7;

/// Which events to count.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Only this tree's versions.
    pub tree: Option<String>,
    /// Sessions started from this time (RFC 3339, or a date: UTC midnight; default:
    /// seven days ago).
    pub since: Option<String>,
    /// Sessions started before this time (default: none; figures as they stand now).
    pub until: Option<String>,
    /// Minutes without an event after which an unfinished session is abandoned
    /// (default 30).
    pub idle_minutes: Option<u32>,
}

/// The figures and a picture per tree version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatsPage {
    /// The report of `troubletree stats --json` (docs/ANALYTICS.md).
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
    /// For each version in the report whose tree text is in the store: its graph with
    /// the traffic, laid out in layers from the start.
    pub pictures: Vec<Picture>,
}

/// A tree version drawn with its traffic.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Picture {
    /// The tree.
    pub tree: String,
    /// The version's fingerprint.
    pub fingerprint: String,
    /// Sessions that passed through the version: the 100 % of every share.
    pub sessions: u64,
    /// The nodes in file order.
    pub nodes: Vec<PictureNode>,
    /// The edges in the tree's edge order.
    pub edges: Vec<PictureEdge>,
}

/// A node of a [`Picture`].
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PictureNode {
    /// The node id.
    pub id: String,
    /// `question`, `decision`, `resolve`, `escalate` or `goto`.
    pub kind: String,
    /// Its layer: the fewest edges from the start (unreachable nodes last).
    pub depth: u32,
    /// Sessions that passed it.
    pub sessions: u64,
    /// Sessions abandoned there.
    pub dropped: u64,
}

/// An edge of a [`Picture`].
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PictureEdge {
    /// The index of the node it leaves.
    pub from: usize,
    /// The index of the node it leads to.
    pub to: usize,
    /// The answer's value, `rule N`, `otherwise`, `input` or `limit`.
    pub label: String,
    /// Sessions that took it.
    pub sessions: u64,
}

/// The API route (in the OpenAPI document) and the page's routes.
pub fn api_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(stats))
}

/// The `/stats` page, its script and its style, under the pages' policy (never framed:
/// it is for the support team, not the wallet's app).
pub fn page_routes() -> axum::Router<Arc<AppState>> {
    let policy = crate::pages::content_security_policy(&[]);
    let policy = Arc::new(
        HeaderValue::from_str(&policy)
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'")),
    );
    axum::Router::new()
        .route("/stats", axum::routing::get(page))
        .route("/stats/stats.js", axum::routing::get(script))
        .route("/stats/stats.css", axum::routing::get(style))
        .layer(axum::middleware::from_fn(move |r, n| {
            crate::pages::with_csp(policy.clone(), r, n)
        }))
}

async fn page() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("stats/stats.html"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("stats/stats.js"),
    )
}

async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("stats/stats.css"),
    )
}

/// A time given in the query: RFC 3339, or a date (midnight UTC).
fn time(name: &str, text: &str) -> Result<Timestamp, Problem> {
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    Timestamp::parse(&full).map_err(|e| {
        Problem::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad-query",
            format!("{name}: {e}"),
        )
    })
}

/// Containment, escalations, hand-offs, abandonment, drop-off per question and time to
/// an outcome, per tree version, over the stored events (docs/ANALYTICS.md).
#[utoipa::path(get, path = "/v1/admin/stats", tag = "admin",
    params(StatsQuery),
    security(("admin" = [])),
    responses(
        (status = 200, body = StatsPage),
        (status = 400, description = "`bad-query`", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn stats(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<StatsQuery>,
) -> Result<Json<StatsPage>, Problem> {
    require(&state, &headers, Role::Admin)?;
    let now = crate::store::now_ms();
    let since = match &q.since {
        Some(s) => time("since", s)?,
        None => Timestamp::from_unix_ms(now - DEFAULT_DAYS * 86_400_000),
    };
    let until = q.until.as_deref().map(|u| time("until", u)).transpose()?;
    if until.is_some_and(|u| u <= since) {
        return Err(Problem::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad-query",
            "`since` must be before `until`",
        ));
    }
    let options = StatsOptions::default()
        .range(Some(since), until)
        .idle_ms(i64::from(q.idle_minutes.unwrap_or(30).clamp(1, 24 * 60)) * 60_000);
    let report = count(&state, options).await?;
    let mut report = report;
    if let Some(tree) = &q.tree {
        report.retain_tree(tree);
    }
    let mut pictures = Vec::new();
    for v in &report.versions {
        if let Some(source) = state.store.tree_source(&v.tree, &v.fingerprint).await?
            && let Ok(tree) = Tree::from_str(&source)
            && format!("{:016x}", tree.fingerprint()) == v.fingerprint
        {
            pictures.push(picture(&tree, v));
        }
    }
    Ok(Json(StatsPage {
        report: serde_json::to_value(&report).unwrap_or_default(),
        pictures,
    }))
}

/// Counts the events of the options' range, page by page, with a second of slack
/// around it (the store's `at` is the commit time; the count applies the events' own).
async fn count(state: &AppState, options: StatsOptions) -> Result<Report, Problem> {
    let from = options.since.map_or(i64::MIN, |t| t.unix_ms() - 1_000);
    let to = options.until.map_or(i64::MAX, |t| t.unix_ms() + 1_000);
    let mut stats = Stats::new(options);
    let mut cursor = (from, i64::MIN);
    loop {
        let rows = state.store.events_between(cursor, to, PAGE).await?;
        let Some(&(at, id, _)) = rows.last() else {
            break;
        };
        cursor = (at, id);
        let full = rows.len() as i64 == PAGE;
        for (_, _, payload) in &rows {
            // An unreadable payload is counted in the report's `skipped.unreadable`.
            let _ = stats.add_line(payload);
        }
        if !full {
            break;
        }
    }
    Ok(stats.finish())
}

/// The tree of `v` with its traffic, in layers from the start.
fn picture(tree: &Tree, v: &VersionReport) -> Picture {
    let traffic = v.traffic(tree);
    let ids: Vec<&str> = tree.node_ids().collect();
    let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let edges = tree.edges();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); ids.len()];
    let mut kinds: Vec<Option<&'static str>> = vec![None; ids.len()];
    for e in &edges {
        let (Some(&from), Some(&to)) = (index.get(e.from), index.get(e.to)) else {
            continue;
        };
        out[from].push(to);
        kinds[from] = match (kinds[from], &e.label) {
            (_, EdgeLabel::Rule(_) | EdgeLabel::Otherwise) => Some("decision"),
            (Some(k), _) => Some(k),
            _ => Some("question"),
        };
    }
    let gotos: Vec<&str> = tree.links().map(|(node, _, _)| node).collect();
    // Ends: what a walk standing there shows.
    let kinds: Vec<String> = ids
        .iter()
        .zip(kinds)
        .map(|(id, kind)| {
            kind.map_or_else(
                || {
                    if gotos.contains(id) {
                        return "goto".to_owned();
                    }
                    match Session::builder(tree).at(*id).start() {
                        Ok(s) if matches!(s.current(), Step::Resolved(_)) => "resolve".to_owned(),
                        Ok(s) if matches!(s.current(), Step::Escalated(_)) => "escalate".to_owned(),
                        _ => "goto".to_owned(),
                    }
                },
                str::to_owned,
            )
        })
        .collect();
    // Layers: the fewest edges from the start.
    let mut depth = vec![u32::MAX; ids.len()];
    let mut queue = VecDeque::new();
    if let Some(&start) = index.get(tree.start()) {
        depth[start] = 0;
        queue.push_back(start);
    }
    while let Some(n) = queue.pop_front() {
        for &m in &out[n] {
            if depth[m] == u32::MAX {
                depth[m] = depth[n] + 1;
                queue.push_back(m);
            }
        }
    }
    let deepest = depth
        .iter()
        .filter(|d| **d != u32::MAX)
        .max()
        .copied()
        .unwrap_or(0);
    Picture {
        tree: v.tree.clone(),
        fingerprint: v.fingerprint.clone(),
        sessions: traffic.sessions,
        nodes: ids
            .iter()
            .enumerate()
            .map(|(i, id)| PictureNode {
                id: (*id).to_owned(),
                kind: kinds[i].clone(),
                depth: if depth[i] == u32::MAX {
                    deepest + 1
                } else {
                    depth[i]
                },
                sessions: traffic.nodes.get(i).copied().unwrap_or(0),
                dropped: traffic.dropped.get(i).copied().unwrap_or(0),
            })
            .collect(),
        edges: edges
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                Some(PictureEdge {
                    from: *index.get(e.from)?,
                    to: *index.get(e.to)?,
                    label: e.label.to_string(),
                    sessions: traffic.edges.get(i).copied().unwrap_or(0),
                })
            })
            .collect(),
    }
}
