//! The service's state and the logic between a request and the store: which version a
//! session walks, how an action is applied once, what each action writes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, Notify};
use utoipa::ToSchema;

use crate::config::Config;
use crate::engine::{
    self, ApiValue, ChannelView, Flow, Outcome, Parked, PublishError, StepView, Walk,
};
use crate::metrics::Metrics;
use crate::problem::Problem;
use crate::store::{
    Commit, Held, NewEvent, NewSession, NewTicket, SessionRow, Store, StoreError, now_ms,
};

/// Shared by every request and background task.
#[derive(Debug)]
pub struct AppState {
    /// The configuration.
    pub config: Config,
    /// The database.
    pub store: Store,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// Woken when a ticket is written, so that delivery starts at once.
    pub outbox_wake: Notify,
    /// Compiled versions by number, loaded on first use (a replica may serve a
    /// version another one published).
    flows: RwLock<HashMap<i64, Arc<Flow>>>,
    /// The newest version's number and when the store said so: a start reads it from
    /// the store at most once per [`NEWEST_FOR`] (this process's own publications set
    /// it at once).
    newest: RwLock<Option<(i64, Instant)>>,
    /// One publication at a time in this process.
    publishing: Mutex<()>,
    /// Walks kept after their session's last turn here, by session id, with the step
    /// they are at (at most [`Config::live_sessions`]).
    live: std::sync::Mutex<HashMap<String, (i64, Parked)>>,
}

/// How long the newest version's number is taken as it was read: a version another
/// replica publishes reaches this one's new sessions at most this late (sessions already
/// started stay on their own version either way). Reading it for every start was a
/// database query per start.
const NEWEST_FOR: Duration = Duration::from_secs(1);

/// A session as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    /// The session id (128 random bits, hex): whoever holds it may walk the session.
    pub id: String,
    /// The step sequence number: send it back with the next action.
    pub seq: i64,
    /// `open`, `resolved`, `escalated`, `handed_off` or `abandoned`.
    pub status: String,
    /// The published version the session walks.
    pub version: i64,
    /// The locale of the texts.
    pub locale: String,
    /// Whether `back` has an answer to take back.
    pub can_go_back: bool,
    /// What the user sees now.
    pub step: StepView,
    /// The ticket, once the session was escalated or handed off.
    pub ticket: Option<TicketSummary>,
}

/// A [`SessionView`] already serialised, sent as it is: the text stored with the step
/// (to answer a retry) is the response, so the view is serialised once per turn.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewJson(pub String);

impl axum::response::IntoResponse for ViewJson {
    fn into_response(self) -> axum::response::Response {
        (
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            self.0,
        )
            .into_response()
    }
}

/// What the user is told at a hand-over: where to go, when, and what to have ready.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketSummary {
    /// The ticket id (quote it to the agent).
    pub id: String,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// The channel to use.
    pub channel: ChannelView,
    /// What to have ready.
    pub prepare: Vec<String>,
}

/// An action on a session, as stored to recognise a retried request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Answer the current question.
    Answer {
        /// The value.
        value: ApiValue,
    },
    /// Take back the last answer.
    Back,
    /// Ask for a person.
    Handoff,
}

/// 128 random bits as 32 hex digits.
///
/// # Errors
///
/// When the operating system has no randomness to give.
pub fn random_id() -> Result<String, Problem> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "no randomness for an id");
        Problem::internal()
    })?;
    Ok(engine::hex(&bytes))
}

/// Whether text looks like an id this service hands out (checked before any lookup).
pub fn is_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl AppState {
    /// State over an open store.
    pub fn new(config: Config, store: Store) -> AppState {
        AppState {
            config,
            store,
            metrics: Metrics::default(),
            outbox_wake: Notify::new(),
            flows: RwLock::new(HashMap::new()),
            newest: RwLock::new(None),
            publishing: Mutex::new(()),
            live: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Reads, checks and publishes the configured trees. A catalogue that does not
    /// check is refused and the previous version stays published.
    ///
    /// # Errors
    ///
    /// The findings or the read failure ([`Reload::Refused`]), or a database failure.
    pub async fn publish(&self) -> Result<(i64, bool), Reload> {
        let _one = self.publishing.lock().await;
        let paths = self.config.trees.clone();
        let sources = tokio::task::spawn_blocking(move || engine::read_paths(&paths))
            .await
            .map_err(|_| Reload::Refused(PublishError::Io("the reader stopped".into())))?
            .map_err(Reload::Refused)?;
        // What the store will hold must compile on its own, before it is stored.
        engine::compile(0, &sources).map_err(Reload::Refused)?;
        let (id, new) = self.store.publish(&sources).await.map_err(Reload::Store)?;
        let flow = engine::compile(id, &sources).map_err(Reload::Refused)?;
        self.cache(Arc::new(flow));
        self.note_newest(Some(id));
        if new {
            tracing::info!(version = id, trees = sources.trees.len(), "published");
        }
        Ok((id, new))
    }

    fn cache(&self, flow: Arc<Flow>) {
        if let Ok(mut flows) = self.flows.write() {
            flows.insert(flow.id, flow);
        }
    }

    /// A published version, compiled; `None` if it is unknown or retired.
    ///
    /// # Errors
    ///
    /// A database failure, or stored sources that no longer compile (logged).
    pub async fn flow(&self, id: i64) -> Result<Option<Arc<Flow>>, Problem> {
        if let Some(flow) = self.cached(id) {
            return Ok(Some(flow));
        }
        let Some(sources) = self.store.catalogue(id).await? else {
            return Ok(None);
        };
        match engine::compile(id, &sources) {
            Ok(flow) => {
                let flow = Arc::new(flow);
                self.cache(flow.clone());
                Ok(Some(flow))
            }
            Err(e) => {
                tracing::error!(version = id, error = %e, "a stored version no longer compiles");
                Ok(None)
            }
        }
    }

    /// A version compiled in this process already (no database lookup).
    fn cached(&self, id: i64) -> Option<Arc<Flow>> {
        self.flows.read().ok().and_then(|f| f.get(&id).cloned())
    }

    /// Forgets a retired version in this process (other replicas drop it on their next
    /// lookup of a session on it, since the store no longer serves it).
    pub fn forget(&self, id: i64) {
        if let Ok(mut flows) = self.flows.write() {
            flows.remove(&id);
        }
        if self.newest_noted() == Some(id) {
            self.note_newest(None);
        }
    }

    /// The newest version's number as read less than [`NEWEST_FOR`] ago.
    fn newest_noted(&self) -> Option<i64> {
        let noted = *self.newest.read().ok()?;
        noted
            .filter(|(_, at)| at.elapsed() < NEWEST_FOR)
            .map(|(id, _)| id)
    }

    fn note_newest(&self, id: Option<i64>) {
        if let Ok(mut newest) = self.newest.write() {
            *newest = id.map(|id| (id, Instant::now()));
        }
    }

    /// The version new sessions start on.
    ///
    /// # Errors
    ///
    /// 503 when nothing is published, or a database failure.
    pub async fn newest(&self) -> Result<Arc<Flow>, Problem> {
        if let Some(id) = self.newest_noted()
            && let Some(flow) = self.cached(id)
        {
            return Ok(flow);
        }
        let id = self.store.newest_catalogue().await?;
        self.note_newest(id);
        let flow = match id {
            Some(id) => self.flow(id).await?,
            None => None,
        };
        flow.ok_or_else(|| {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no-catalogue",
                "no flow is published yet; publish trees first",
            )
        })
    }

    /// The version a stored session continues on: its own, or, if that was retired,
    /// the newest (the engine then replays the answers, or refuses with
    /// `flow-changed`).
    async fn flow_of(&self, row: &SessionRow) -> Result<Arc<Flow>, Problem> {
        match self.flow(row.catalogue).await? {
            Some(flow) => Ok(flow),
            None => self.newest().await,
        }
    }

    /// A stored session as the API shows it.
    ///
    /// # Errors
    ///
    /// 404 for an unknown id, `flow-changed`, or a database failure.
    pub async fn session(&self, id: &str) -> Result<SessionView, Problem> {
        if !is_id(id) {
            return Err(Problem::session_not_found());
        }
        let row = self
            .store
            .session(id)
            .await?
            .ok_or_else(Problem::session_not_found)?;
        self.view_of_row(&row).await
    }

    async fn view_of_row(&self, row: &SessionRow) -> Result<SessionView, Problem> {
        let flow = self.flow_of(row).await?;
        let walk = engine::resume(&flow, &row.state)?;
        let ticket = if matches!(walk.outcome(), Outcome::Escalated | Outcome::HandedOff) {
            self.store
                .ticket_of_session(&row.id)
                .await?
                .and_then(|t| serde_json::from_str::<engine::TicketBody>(&t.body).ok())
                .map(|t| summary(&t))
        } else {
            None
        };
        let mut view = view(&walk, &row.id, row.seq, ticket);
        if row.status == "abandoned" {
            view.status = "abandoned".into();
        }
        Ok(view)
    }

    /// Starts a session on the newest version; `facts` come from the back end.
    ///
    /// # Errors
    ///
    /// Engine errors (unknown tree, locale, fact...), or a database failure.
    pub async fn start(
        &self,
        tree: &str,
        locale: Option<&str>,
        facts: &std::collections::BTreeMap<String, ApiValue>,
    ) -> Result<ViewJson, Problem> {
        let flow = self.newest().await?;
        let walk = engine::start(&flow, tree, locale, facts)?;
        let id = random_id()?;
        let now = now_ms();
        let events = walk.start_events(&id, now);
        let (ticket, summary) = self.ticket_for(&walk, &id, now)?;
        let view = view(&walk, &id, 1, summary);
        let commit = Commit {
            session: id.clone(),
            seq: 0,
            catalogue: walk.flow_id(),
            state: walk.save(),
            status: walk.outcome().as_str().into(),
            action: r#"{"action":"start"}"#.into(),
            response: json(&view),
            now,
            events: payloads(&events),
            ticket,
        };
        let new = NewSession {
            id,
            tree: tree.to_owned(),
            commit,
        };
        self.store.insert_session(&new).await?;
        self.metrics.session_outcome("started");
        self.count_outcome(walk.outcome());
        if new.commit.ticket.is_some() {
            self.outbox_wake.notify_one();
        }
        self.park(&new.id, 1, walk);
        Ok(ViewJson(new.commit.response))
    }

    /// Applies an action at step `seq`, once: a retry of an applied action gets the
    /// response it got then; a different action for an old step gets 409 with the
    /// session as it stands. When this process served the session's last turn, it kept
    /// the walk ([`Config::live_sessions`]) and the turn neither reads nor replays it.
    ///
    /// # Errors
    ///
    /// 404, 409 `stale-step`, engine errors, or a database failure.
    pub async fn act(&self, id: &str, seq: i64, action: Action) -> Result<ViewJson, Problem> {
        if !is_id(id) {
            return Err(Problem::session_not_found());
        }
        let action_json = json(&action);
        // The walk this process kept after the session's last turn, if that turn was
        // here and is still the newest: no read, no replay. The write checks the step
        // all the same; if the session moved on elsewhere, it writes nothing and the
        // turn reads the session as below.
        if let Some(parked) = self.unpark(id, seq)
            && let Some(flow) = self.cached(parked.flow_id())
            && let Some(walk) = parked.resume(&flow)
        {
            let done = self
                .turn(walk, None, (id, seq), &action, &action_json)
                .await;
            if !matches!(done, Ok(None)) {
                self.metrics.turn(true);
            }
            if let Some(response) = done? {
                return Ok(response);
            }
        }
        self.metrics.turn(false);
        // Two rounds at most: a lost race is seen on the second read as a seq mismatch.
        for _ in 0..2 {
            // One connection for the read and the write (on SQLite, the writer's), given
            // back before anything else waits on the database.
            let mut held = self.store.hold().await?;
            let row = held
                .session(id)
                .await?
                .ok_or_else(Problem::session_not_found)?;
            if row.seq != seq {
                drop(held);
                return self.replay_or_conflict(&row, seq, &action_json).await;
            }
            let (flow, held) = match self.cached(row.catalogue) {
                Some(flow) => (flow, Some(held)),
                None => {
                    drop(held);
                    (self.flow_of(&row).await?, None)
                }
            };
            let walk = engine::resume(&flow, &row.state)?;
            if let Some(response) = self
                .turn(walk, held, (id, seq), &action, &action_json)
                .await?
            {
                return Ok(response);
            }
        }
        Err(Problem::new(
            StatusCode::CONFLICT,
            "busy",
            "the session is changing too fast; read it again",
        ))
    }

    /// Applies `action` to `walk`, the session at step `seq`, and writes the change on
    /// `held` (or a connection of its own); `None` when the session was no longer at
    /// `seq` (nothing written). A written walk is kept for the session's next turn.
    async fn turn(
        &self,
        mut walk: Walk<'_>,
        held: Option<Held<'_>>,
        (id, seq): (&str, i64),
        action: &Action,
        action_json: &str,
    ) -> Result<Option<ViewJson>, Problem> {
        let before = walk.outcome();
        let now = now_ms();
        let events = match action {
            Action::Answer { value } => walk.answer(value.clone(), id, seq, now),
            Action::Back => walk.back(id, seq, now),
            Action::Handoff => walk.handoff(id, seq, now),
        }?;
        let (ticket, summary) = if before == walk.outcome() {
            (None, None)
        } else {
            self.ticket_for(&walk, id, now)?
        };
        let view = view(&walk, id, seq + 1, summary);
        let commit = Commit {
            session: id.to_owned(),
            seq,
            catalogue: walk.flow_id(),
            state: walk.save(),
            status: walk.outcome().as_str().into(),
            action: action_json.to_owned(),
            response: json(&view),
            now,
            events: payloads(&events),
            ticket,
        };
        let written = match held {
            Some(held) => held.commit(&commit).await?,
            None => self.store.commit(&commit).await?,
        };
        if !written {
            return Ok(None);
        }
        if before != walk.outcome() {
            self.count_outcome(walk.outcome());
        }
        if commit.ticket.is_some() {
            self.outbox_wake.notify_one();
        }
        self.park(id, seq + 1, walk);
        Ok(Some(ViewJson(commit.response)))
    }

    /// Keeps the walk of session `id`, now at step `seq`, for its next turn if the
    /// conversation goes on (an ended one rarely has another turn); when
    /// [`Config::live_sessions`] walks are kept already, one of them goes.
    fn park(&self, id: &str, seq: i64, walk: Walk<'_>) {
        let room = self.config.live_sessions;
        if room == 0 {
            return;
        }
        let Ok(mut live) = self.live.lock() else {
            return;
        };
        if walk.outcome() != Outcome::Open {
            live.remove(id);
            return;
        }
        if live.len() >= room && !live.contains_key(id) {
            // Any one: the map's order is as good as random, and a session that loses
            // its walk only reads it again.
            if let Some(gone) = live.keys().next().cloned() {
                live.remove(&gone);
            }
        }
        live.insert(id.to_owned(), (seq, walk.park()));
    }

    /// Takes the kept walk of session `id` if it is at step `seq`; one at another step
    /// stays (the turn reads the session and settles the mismatch).
    fn unpark(&self, id: &str, seq: i64) -> Option<Parked> {
        let mut live = self.live.lock().ok()?;
        match live.get(id) {
            Some((at, _)) if *at == seq => live.remove(id).map(|(_, parked)| parked),
            _ => None,
        }
    }

    async fn replay_or_conflict(
        &self,
        row: &SessionRow,
        seq: i64,
        action_json: &str,
    ) -> Result<ViewJson, Problem> {
        if (0..row.seq).contains(&seq)
            && let Some((action, response)) = self.store.step(&row.id, seq).await?
            && action == action_json
            && serde_json::from_str::<SessionView>(&response).is_ok()
        {
            return Ok(ViewJson(response));
        }
        let current = self.view_of_row(row).await?;
        let mut problem = Problem::new(
            StatusCode::CONFLICT,
            "stale-step",
            format!(
                "this action was sent for step {seq}, but the session is at step {}; the current step is included",
                row.seq
            ),
        );
        problem.current = serde_json::to_value(&current).ok().map(Box::new);
        Err(problem)
    }

    /// The ticket a walk that just ended in a hand-over needs, and what the user sees
    /// of it.
    fn ticket_for(
        &self,
        walk: &Walk<'_>,
        session: &str,
        now: i64,
    ) -> Result<(Option<NewTicket>, Option<TicketSummary>), Problem> {
        if !matches!(walk.outcome(), Outcome::Escalated | Outcome::HandedOff) {
            return Ok((None, None));
        }
        let id = random_id()?;
        let Some(body) = walk.ticket(&id, session, now / 1000, self.config.utc_offset_minutes)
        else {
            tracing::error!(session, "an escalated walk made no ticket");
            return Err(Problem::internal());
        };
        let summary = summary(&body);
        Ok((
            Some(NewTicket {
                id,
                priority: engine::priority_rank(&body.priority),
                body: json(&body),
            }),
            Some(summary),
        ))
    }

    fn count_outcome(&self, outcome: Outcome) {
        if outcome != Outcome::Open {
            self.metrics.session_outcome(outcome.as_str());
        }
    }

    /// Marks sessions idle for longer than the configured time as abandoned, with an
    /// event each; returns how many.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn sweep_abandoned(&self) -> Result<usize, StoreError> {
        let now = now_ms();
        let idle = i64::try_from(self.config.abandon_after.as_millis()).unwrap_or(i64::MAX);
        let rows = self
            .store
            .idle_sessions(now.saturating_sub(idle), 100)
            .await?;
        let mut count = 0;
        for row in rows {
            let event = match self.flow_of(&row).await {
                Ok(flow) => match engine::resume(&flow, &row.state) {
                    Ok(walk) => Some(walk.abandoned_event(&row.id, row.seq, now)),
                    Err(_) => None,
                },
                Err(_) => None,
            };
            let event = match event {
                Some(e) => payload(&e),
                // A session whose version cannot be walked any more: the event says
                // only which session, and when.
                None => NewEvent {
                    seq: row.seq,
                    kind: "abandoned".into(),
                    payload: serde_json::json!({
                        "session": row.id,
                        "seq": row.seq,
                        "at": engine::rfc3339(now / 1000),
                        "tree": "",
                        "fingerprint": "",
                        "kind": "abandoned",
                        "node": "",
                        "value": null,
                        "origin": null,
                    })
                    .to_string(),
                },
            };
            if self.store.abandon(&row, &event, now).await? {
                self.metrics.session_outcome("abandoned");
                count += 1;
            }
        }
        Ok(count)
    }
}

/// Why a publication failed.
#[derive(Debug)]
pub enum Reload {
    /// The trees were refused; the previous version stays published.
    Refused(PublishError),
    /// The database failed.
    Store(StoreError),
}

fn view(walk: &Walk<'_>, id: &str, seq: i64, ticket: Option<TicketSummary>) -> SessionView {
    SessionView {
        id: id.to_owned(),
        seq,
        status: walk.outcome().as_str().into(),
        version: walk.flow_id(),
        locale: walk.locale().to_owned(),
        can_go_back: walk.can_go_back(),
        step: walk.view(),
        ticket,
    }
}

fn summary(t: &engine::TicketBody) -> TicketSummary {
    TicketSummary {
        id: t.id.clone(),
        priority: t.priority.clone(),
        channel: t.channel.clone(),
        prepare: t.prepare.clone(),
    }
}

fn json<T: Serialize>(value: &T) -> String {
    // Plain data with string keys: serialisation cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

/// The events of an action, as stored: each carries its own `seq` (the action's at
/// `seq`, what it led to at `seq + 1`).
fn payloads(events: &[engine::Event]) -> Vec<NewEvent> {
    events.iter().map(payload).collect()
}

fn payload(e: &engine::Event) -> NewEvent {
    NewEvent {
        seq: i64::try_from(e.seq).unwrap_or(i64::MAX),
        kind: e.kind.as_str().to_owned(),
        payload: json(e),
    }
}
