//! Every call into the troubletree engine, behind a few small functions.
//!
//! The handlers never touch `troubletree` directly: they publish a catalogue
//! ([`read_paths`], [`compile`]), start or resume a [`Walk`], and act on it. The engine
//! decides (journeys across `Goto` links, one save, tickets with the whole story); this
//! module turns its answers into the API's shapes and stable error codes. Events for
//! analytics are the engine's own ([`troubletree::Recorder`]): the same events a host
//! embedding the crate records, so one analysis reads both.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use troubletree::directory::LocalTime;
use troubletree::event::Timestamp;
use troubletree::ticket::FactSource;
use troubletree::{
    AnswerError, AnswerKind, Catalogue, Channel, Directory, Loader, Origin, Priority, Recorder,
    Resume, ResumeError, SavedSession, Session, StartError, Step, Tree,
};
use utoipa::ToSchema;

/// Trees and a service directory as published: the text of each file, kept in the store
/// so that a session continues on the version it started on, on any replica.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Each tree: id, fingerprint, version, RON text.
    pub trees: Vec<TreeSource>,
    /// The service directory's RON text.
    pub directory: String,
}

/// One tree's text and identity.
#[derive(Debug, Clone)]
pub struct TreeSource {
    /// The tree id.
    pub id: String,
    /// The engine's fingerprint, 16 hex digits.
    pub fingerprint: String,
    /// The tree's `version` field.
    pub version: i64,
    /// The RON text.
    pub source: String,
}

impl Sources {
    /// A digest of the set (every tree by fingerprint, and the directory): two equal
    /// digests are the same published version.
    pub fn digest(&self) -> String {
        let mut hash = Sha256::new();
        let mut trees: Vec<&TreeSource> = self.trees.iter().collect();
        trees.sort_by(|a, b| a.id.cmp(&b.id));
        for t in trees {
            hash.update(t.id.as_bytes());
            hash.update([0]);
            hash.update(t.fingerprint.as_bytes());
            hash.update([0]);
        }
        hash.update(self.directory.as_bytes());
        hex(&hash.finalize())
    }

    /// `{tree id: fingerprint}`.
    pub fn manifest(&self) -> BTreeMap<String, String> {
        self.trees
            .iter()
            .map(|t| (t.id.clone(), t.fingerprint.clone()))
            .collect()
    }
}

/// Why a catalogue could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The trees do not check: every error finding, as `file:line:col: error[CODE]: ...`.
    #[error("the trees do not check ({} error(s)); the previous version stays published", .0.len())]
    Invalid(Vec<String>),
    /// A path could not be read.
    #[error("cannot read the trees: {0}")]
    Io(String),
    /// A tree file changed between the check and the read.
    #[error("tree file {0} changed while it was being published; publish again")]
    Changed(String),
    /// No `Directory(...)` file among the trees: tickets need one to name a channel.
    #[error(
        "no service directory (a Directory(...) file) among the trees; tickets need one to name a channel"
    )]
    NoDirectory,
    /// No tree at all.
    #[error("no tree found in the given paths")]
    Empty,
}

/// Reads and checks trees and the service directory from files, as `troubletree check`
/// does, and returns their texts for the store.
///
/// # Errors
///
/// Any error finding, an unreadable path, no directory, or no tree.
pub fn read_paths(paths: &[PathBuf]) -> Result<Sources, PublishError> {
    let report = Loader::new()
        .check(paths)
        .map_err(|e| PublishError::Io(e.to_string()))?;
    if report.has_errors() {
        return Err(PublishError::Invalid(
            report
                .findings
                .iter()
                .filter(|f| f.is_error())
                .map(ToString::to_string)
                .collect(),
        ));
    }
    let Some(catalogue) = report.loaded else {
        return Err(PublishError::Invalid(Vec::new()));
    };
    if catalogue.is_empty() {
        return Err(PublishError::Empty);
    }
    let limit = troubletree::Limits::default().max_file_bytes;
    let read = |path: &str| -> Result<String, PublishError> {
        let bytes = std::fs::read(path).map_err(|e| PublishError::Io(format!("{path}: {e}")))?;
        if bytes.len() as u64 > limit {
            return Err(PublishError::Changed(path.to_owned()));
        }
        String::from_utf8(bytes).map_err(|_| PublishError::Changed(path.to_owned()))
    };
    let mut trees = Vec::new();
    let mut tree_files = Vec::new();
    for tree in catalogue.trees() {
        let source = read(tree.file())?;
        // The file is read twice (checked, then kept): make sure it is the same tree.
        match Tree::from_str(&source) {
            Ok(again) if again.fingerprint() == tree.fingerprint() => {}
            _ => return Err(PublishError::Changed(tree.file().to_owned())),
        }
        tree_files.push(tree.file().to_owned());
        trees.push(TreeSource {
            id: tree.id().to_owned(),
            fingerprint: fingerprint(tree),
            version: i64::from(tree.version()),
            source,
        });
    }
    // The directory's text is kept too: the file that parses as one.
    let mut directory = None;
    for file in &report.files {
        let name = file.display().to_string();
        if tree_files.contains(&name) {
            continue;
        }
        let text = read(&name)?;
        if Loader::new().directory(&name, &text).loaded.is_some() {
            directory = Some(text);
            break;
        }
    }
    Ok(Sources {
        trees,
        directory: directory.ok_or(PublishError::NoDirectory)?,
    })
}

/// A published version, compiled: what sessions walk.
#[derive(Debug)]
pub struct Flow {
    /// The version's number in the store.
    pub id: i64,
    catalogue: Catalogue,
    directory: Directory,
}

/// Compiles stored sources into a [`Flow`]: the trees and the directory are checked
/// together again, as one catalogue (the engine may have changed since they were
/// published), and each tree must keep its fingerprint.
///
/// # Errors
///
/// A tree that no longer compiles, whose fingerprint changed, or whose `Goto` names a
/// tree outside the set; a directory that no longer checks.
pub fn compile(id: i64, sources: &Sources) -> Result<Flow, PublishError> {
    if sources.trees.is_empty() {
        return Err(PublishError::Empty);
    }
    let names: Vec<String> = sources
        .trees
        .iter()
        .map(|t| format!("{}.ron", t.id))
        .chain(std::iter::once("directory.ron".to_owned()))
        .collect();
    let texts: Vec<(&str, &str)> = names
        .iter()
        .map(String::as_str)
        .zip(
            sources
                .trees
                .iter()
                .map(|t| t.source.as_str())
                .chain(std::iter::once(sources.directory.as_str())),
        )
        .collect();
    let catalogue = Catalogue::from_texts(&texts).map_err(|e| match e {
        troubletree::LoadError::Invalid { findings } => PublishError::Invalid(
            findings
                .iter()
                .filter(|f| f.is_error())
                .map(ToString::to_string)
                .collect(),
        ),
        other => PublishError::Invalid(vec![other.to_string()]),
    })?;
    for t in &sources.trees {
        match catalogue.get(&t.id) {
            Some(tree) if fingerprint(tree) == t.fingerprint => {}
            _ => return Err(PublishError::Changed(t.id.clone())),
        }
    }
    let directory = catalogue
        .directory()
        .cloned()
        .ok_or(PublishError::NoDirectory)?;
    Ok(Flow {
        id,
        catalogue,
        directory,
    })
}

/// A tree as the API lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TreeInfo {
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

impl Flow {
    /// The trees, ordered by id.
    pub fn trees(&self) -> Vec<TreeInfo> {
        self.catalogue
            .trees()
            .map(|t| TreeInfo {
                id: t.id().to_owned(),
                version: i64::from(t.version()),
                fingerprint: fingerprint(t),
                locales: t.locales().map(str::to_owned).collect(),
                titles: t
                    .locales()
                    .filter_map(|l| Some((l.to_owned(), t.title(l)?.to_owned())))
                    .collect(),
            })
            .collect()
    }

    /// Whether the version has this tree.
    pub fn has_tree(&self, id: &str) -> bool {
        self.catalogue.get(id).is_some()
    }
}

/// Why an action on a walk failed; the walk is unchanged. `code` is the stable code of
/// the API's problem document.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineError {
    /// Stable code: `not-offered`, `wrong-type`, `out-of-range`, `unknown-fact`,
    /// `unknown-locale`,
    /// `session-ended`, `nothing-to-undo`, `step-limit`, `flow-changed`,
    /// `corrupt-session`, `tree-not-found`.
    pub code: &'static str,
    /// For the person who must act.
    pub message: String,
}

impl From<StartError> for EngineError {
    fn from(e: StartError) -> Self {
        let code = match &e {
            StartError::UnknownTree { .. } => "tree-not-found",
            StartError::UnknownFact { .. } => "unknown-fact",
            StartError::WrongType { .. } => "wrong-type",
            StartError::OutOfRange { .. } => "out-of-range",
            StartError::UnknownLocale { .. } => "unknown-locale",
            StartError::StepLimit { .. } => "step-limit",
            _ => "corrupt-session",
        };
        EngineError {
            code,
            message: e.to_string(),
        }
    }
}

impl From<AnswerError> for EngineError {
    fn from(e: AnswerError) -> Self {
        let code = match &e {
            AnswerError::WrongType { .. } => "wrong-type",
            AnswerError::OutOfRange { .. } => "out-of-range",
            AnswerError::NotOffered { .. } | AnswerError::NoSuchAnswer { .. } => "not-offered",
            AnswerError::Ended { .. } => "session-ended",
            AnswerError::StepLimit { .. } => "step-limit",
            AnswerError::NothingToUndo => "nothing-to-undo",
            AnswerError::UnknownLocale { .. } => "unknown-locale",
            _ => "corrupt-session",
        };
        EngineError {
            code,
            message: e.to_string(),
        }
    }
}

impl From<ResumeError> for EngineError {
    fn from(e: ResumeError) -> Self {
        let code = match &e {
            ResumeError::Stale { .. } | ResumeError::UnknownTree { .. } => "flow-changed",
            _ => "corrupt-session",
        };
        EngineError {
            code,
            message: e.to_string(),
        }
    }
}

/// A value as the API carries it: an answer or a fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ApiValue {
    /// `true` or `false`.
    Bool(bool),
    /// A finite number.
    Number(f64),
    /// Text, or an offered choice.
    Text(String),
}

impl From<ApiValue> for troubletree::Value {
    fn from(v: ApiValue) -> Self {
        match v {
            ApiValue::Bool(b) => troubletree::Value::Bool(b),
            ApiValue::Number(n) => troubletree::Value::Number(n),
            ApiValue::Text(t) => troubletree::Value::Text(t),
        }
    }
}

impl From<&troubletree::Value> for ApiValue {
    fn from(v: &troubletree::Value) -> Self {
        match v {
            troubletree::Value::Bool(b) => ApiValue::Bool(*b),
            troubletree::Value::Number(n) => ApiValue::Number(*n),
            troubletree::Value::Text(t) => ApiValue::Text(t.clone()),
        }
    }
}

/// What the user sees now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StepView {
    /// `ask` (a question), `act` (an instruction to try, answered like a question),
    /// `resolved`, `escalated` (the flow handed over), or `handed_off` (the user asked
    /// for a person).
    pub kind: String,
    /// The tree the walk is in now (a journey may cross trees).
    pub tree: String,
    /// The node.
    pub node: String,
    /// The question, instruction, solution, or why an agent is needed.
    pub text: String,
    /// For a question: the fact the answer fills, if any.
    pub fact: Option<String>,
    /// For a question: `bool`, `choice`, `number` or `text`.
    pub answer_kind: Option<String>,
    /// For a question: the offered answers (empty for `number` and `text`).
    pub answers: Vec<AnswerView>,
    /// For an escalation: `low`, `normal`, `high` or `urgent`.
    pub priority: Option<String>,
    /// For an escalation: what the user should have ready.
    pub prepare: Vec<String>,
}

/// One offered answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AnswerView {
    /// The value to send back.
    pub value: ApiValue,
    /// Its label in the session's locale.
    pub text: String,
}

/// How a walk stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Waiting for the user.
    Open,
    /// Ended with a solution.
    Resolved,
    /// Ended at an `Escalate`.
    Escalated,
    /// The user asked for a person.
    HandedOff,
}

impl Outcome {
    /// As stored and shown: `open`, `resolved`, `escalated`, `handed_off`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Open => "open",
            Outcome::Resolved => "resolved",
            Outcome::Escalated => "escalated",
            Outcome::HandedOff => "handed_off",
        }
    }
}

/// The stored form of a walk (JSON in the `sessions.state` column).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    /// The engine's save of the whole journey (host facts included: the store is the
    /// service's own, so they are trusted when resuming).
    save: SavedSession,
    /// The node where the user asked for a person, if they did.
    handoff: Option<String>,
}

/// A session of the service: a journey across the trees of one published version.
#[derive(Debug)]
pub struct Walk<'f> {
    flow: &'f Flow,
    session: Session,
    handoff: Option<String>,
}

/// An analytics event: the engine's, with its own (owned) strings.
pub type Event = troubletree::Event<'static>;

/// The recorder of one action on session `session`, applied at `seq`, at `now_ms`.
/// Events carry whole seconds, as the service has always written them.
fn recorder(session: &str, seq: i64, now_ms: i64) -> Recorder<impl Fn() -> Timestamp> {
    let at = Timestamp::from_unix_ms(now_ms.div_euclid(1000) * 1000);
    Recorder::new(session, move || at).at_seq(u64::try_from(seq).unwrap_or(0))
}

/// Starts a walk: `facts` come from the back end (the caller checked its credential).
///
/// # Errors
///
/// An unknown tree, locale or fact, a fact of the wrong type, or a walk too long.
pub fn start<'f>(
    flow: &'f Flow,
    tree: &str,
    locale: Option<&str>,
    facts: &BTreeMap<String, ApiValue>,
) -> Result<Walk<'f>, EngineError> {
    let mut builder = Session::builder(&flow.catalogue).tree(tree);
    if let Some(l) = locale {
        builder = builder.locale(l);
    }
    for (name, value) in facts {
        builder = builder.fact(name, troubletree::Value::from(value.clone()));
    }
    Ok(Walk {
        flow,
        session: builder.start()?,
        handoff: None,
    })
}

/// Resumes a stored walk on `flow`. On the version it was saved on this restores it
/// exactly; on another version (its own was retired) the engine's replay rules apply,
/// and a walk that no longer fits gets `flow-changed`.
///
/// # Errors
///
/// `flow-changed` or `corrupt-session`.
pub fn resume<'f>(flow: &'f Flow, state: &str) -> Result<Walk<'f>, EngineError> {
    let stored: Stored = serde_json::from_str(state).map_err(|e| EngineError {
        code: "corrupt-session",
        message: format!("the stored session cannot be read: {e}"),
    })?;
    let (session, _) = Resume::new(&flow.catalogue)
        .trust_saved_facts()
        .resume(&stored.save)?;
    Ok(Walk {
        flow,
        session,
        handoff: stored.handoff,
    })
}

/// A walk kept between two turns of its session (the service's live sessions): the
/// session and its hand-off, with the number of the version it walks. It becomes a
/// [`Walk`] again only on that same version, as [`resume`] of its save would.
#[derive(Debug)]
pub struct Parked {
    flow: i64,
    session: Session,
    handoff: Option<String>,
}

impl Parked {
    /// The version the walk is on.
    pub fn flow_id(&self) -> i64 {
        self.flow
    }

    /// The walk again, on `flow`; `None` if that is not the version it was parked on.
    pub fn resume(self, flow: &Flow) -> Option<Walk<'_>> {
        (flow.id == self.flow).then_some(Walk {
            flow,
            session: self.session,
            handoff: self.handoff,
        })
    }
}

impl Walk<'_> {
    /// The walk without its version, to be kept until the session's next turn.
    pub fn park(self) -> Parked {
        Parked {
            flow: self.flow.id,
            session: self.session,
            handoff: self.handoff,
        }
    }

    /// The stored form.
    pub fn save(&self) -> String {
        let stored = Stored {
            save: self.session.save(),
            handoff: self.handoff.clone(),
        };
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string(&stored).unwrap_or_default()
    }

    /// The version the walk is on.
    pub fn flow_id(&self) -> i64 {
        self.flow.id
    }

    /// Where the walk stands.
    pub fn outcome(&self) -> Outcome {
        if self.handoff.is_some() {
            return Outcome::HandedOff;
        }
        match self.session.current() {
            Step::Resolved(_) => Outcome::Resolved,
            Step::Escalated(_) => Outcome::Escalated,
            _ => Outcome::Open,
        }
    }

    /// Whether `back` has something to take back.
    pub fn can_go_back(&self) -> bool {
        self.handoff.is_none() && self.session.transcript().any(|r| r.origin == Origin::Given)
    }

    /// The tree the walk is in now and its fingerprint.
    pub fn tree(&self) -> (&str, String) {
        let t = self.session.tree();
        (t.id(), fingerprint(t))
    }

    /// The locale of the texts.
    pub fn locale(&self) -> &str {
        self.session.locale()
    }

    /// What the user sees now.
    pub fn view(&self) -> StepView {
        let (tree, _) = self.tree();
        let zh = self.locale().starts_with("zh");
        let step = self.session.current();
        let mut view = StepView {
            kind: String::new(),
            tree: tree.to_owned(),
            node: step.node().to_owned(),
            text: String::new(),
            fact: None,
            answer_kind: None,
            answers: Vec::new(),
            priority: None,
            prepare: Vec::new(),
        };
        if let Some(node) = &self.handoff {
            view.kind = "handed_off".into();
            view.node.clone_from(node);
            view.text = if zh {
                "已为您转人工:请按下方的联系方式找客服,客服能看到您刚才的排查记录。"
            } else {
                "You asked for a person: reach customer service as shown below; the agent sees the steps you took."
            }
            .into();
            view.priority = Some("normal".into());
            return view;
        }
        fill_view(&mut view, &step, zh);
        view
    }

    /// Answers the current question; the journey follows any `Goto` by itself. The
    /// events are those of session `id` at step `seq`, at `now_ms`.
    ///
    /// # Errors
    ///
    /// An answer not offered, of the wrong type, after the end, or past the step
    /// bound; the walk is unchanged.
    pub fn answer(
        &mut self,
        value: ApiValue,
        id: &str,
        seq: i64,
        now_ms: i64,
    ) -> Result<Vec<Event>, EngineError> {
        if self.handoff.is_some() {
            return Err(ended(self.session.current().node()));
        }
        Ok(recorder(id, seq, now_ms).answer(&mut self.session, troubletree::Value::from(value))?)
    }

    /// Takes back the user's last answer, across trees if the journey crossed one.
    ///
    /// # Errors
    ///
    /// `nothing-to-undo` at the first question, `session-ended` after a hand-off.
    pub fn back(&mut self, id: &str, seq: i64, now_ms: i64) -> Result<Vec<Event>, EngineError> {
        if self.handoff.is_some() {
            return Err(ended(self.session.current().node()));
        }
        Ok(recorder(id, seq, now_ms).back(&mut self.session)?)
    }

    /// The user asks for a person: the walk ends here, handed off.
    ///
    /// # Errors
    ///
    /// `session-ended` when the walk has already ended.
    pub fn handoff(&mut self, id: &str, seq: i64, now_ms: i64) -> Result<Vec<Event>, EngineError> {
        if self.outcome() != Outcome::Open {
            return Err(ended(self.session.current().node()));
        }
        let events = recorder(id, seq, now_ms).handoff(&self.session)?;
        self.handoff = Some(self.session.current().node().to_owned());
        Ok(events)
    }

    /// The events of starting session `id`: `started`, the questions the back end's
    /// facts answered, and where the walk stopped.
    pub fn start_events(&self, id: &str, now_ms: i64) -> Vec<Event> {
        recorder(id, 0, now_ms).start(&self.session)
    }

    /// The event of giving session `id` up for idleness after `seq` actions.
    pub fn abandoned_event(&self, id: &str, seq: i64, now_ms: i64) -> Event {
        recorder(id, seq, now_ms).abandoned(&self.session)
    }

    /// The ticket for the help desk, at an `Escalate` or after a hand-off; `None`
    /// while the walk is open or resolved. `now_unix` is the time, `utc_offset_minutes`
    /// the help desk's time zone (for opening hours).
    pub fn ticket(
        &self,
        id: &str,
        session: &str,
        now_unix: i64,
        utc_offset_minutes: i32,
    ) -> Option<TicketBody> {
        let now = LocalTime::from_unix(now_unix, utc_offset_minutes);
        let directory = &self.flow.directory;
        let (kind, mut ticket) = match (&self.handoff, self.session.current()) {
            (Some(_), _) => ("handoff", self.session.handoff(directory, now)?),
            (None, Step::Escalated(_)) => ("escalation", self.session.ticket(directory, now)?),
            _ => return None,
        };
        if let Some(node) = &self.handoff {
            ticket.node.clone_from(node);
        }
        let channel = &ticket.channel;
        Some(TicketBody {
            id: id.to_owned(),
            session: session.to_owned(),
            kind: kind.into(),
            tree: ticket.tree.clone(),
            title: ticket.title.clone(),
            tree_version: i64::from(ticket.tree_version),
            fingerprint: ticket.fingerprint.clone(),
            node: ticket.node.clone(),
            started: format!("{}/{}", ticket.started.tree, ticket.started.node),
            case: ticket.case.clone(),
            locale: ticket.locale.clone(),
            reason: ticket.reason.clone(),
            priority: priority_name(ticket.priority).into(),
            channel: ChannelView {
                kind: channel_name(channel.kind).into(),
                contact: channel.contact.clone(),
                open_now: channel.open_now,
                hours: channel.hours.map(|h| h.to_string()),
                response_hours: channel.response_hours,
                busy: channel.busy.clone(),
                example: channel.example,
            },
            prepare: std::mem::take(&mut ticket.prepare),
            facts: ticket
                .facts
                .iter()
                .map(|f| FactView {
                    name: f.name.clone(),
                    value: (&f.value).into(),
                    origin: match f.source {
                        FactSource::Host => "host",
                        FactSource::User => "user",
                        _ => "walk",
                    }
                    .into(),
                })
                .collect(),
            journey: ticket
                .transcript
                .iter()
                .map(|l| JourneyLine {
                    tree: l.tree.clone(),
                    node: l.node.clone(),
                    text: troubletree::text::printable(&l.text),
                    answer: l.answer.as_deref().map(troubletree::text::printable),
                    value: l.value.as_ref().map(Into::into),
                    origin: match l.origin {
                        Origin::Given => "user",
                        _ if l
                            .value
                            .as_ref()
                            .is_some_and(|v| self.session.host_facts().any(|(_, h)| h == v)) =>
                        {
                            "host"
                        }
                        _ => "auto",
                    }
                    .into(),
                })
                .collect(),
            created_at: rfc3339(now_unix),
            local_time: now.to_string(),
        })
    }
}

/// A ticket as agents and the webhook receive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketBody {
    /// The ticket id.
    pub id: String,
    /// The session it came from.
    pub session: String,
    /// `escalation` (the flow ended at an `Escalate`) or `handoff` (the user asked).
    pub kind: String,
    /// The tree the user was in.
    pub tree: String,
    /// Its title in the ticket's locale.
    pub title: String,
    /// Its `version`.
    pub tree_version: i64,
    /// Its fingerprint.
    pub fingerprint: String,
    /// The node where the walk ended.
    pub node: String,
    /// Where the journey started, `tree/node`: the user's first complaint.
    pub started: String,
    /// The engine's case number (the ticket `id` is the service's).
    pub case: String,
    /// The locale of the texts.
    pub locale: String,
    /// Why the user needs an agent.
    pub reason: String,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// Where the user was sent.
    pub channel: ChannelView,
    /// What the user was told to have ready.
    pub prepare: Vec<String>,
    /// Every fact known, with who supplied it.
    pub facts: Vec<FactView>,
    /// Every step of the journey, across trees, in words.
    pub journey: Vec<JourneyLine>,
    /// When, RFC 3339 UTC.
    pub created_at: String,
    /// When, on the help desk's clock.
    pub local_time: String,
}

/// The channel a ticket sends the user to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChannelView {
    /// `hotline`, `in_app`, `chat` or `email`.
    pub kind: String,
    /// Number, address or place in the app.
    pub contact: String,
    /// Whether it is open at the ticket's time.
    pub open_now: bool,
    /// Opening hours (`null`: always open).
    pub hours: Option<String>,
    /// Promised reply time in hours (0: at once).
    pub response_hours: u32,
    /// The busy period in force, if any.
    pub busy: Option<String>,
    /// True when the directory holds example contacts.
    pub example: bool,
}

/// A fact in a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FactView {
    /// The fact's name.
    pub name: String,
    /// Its value.
    pub value: ApiValue,
    /// `host` (the wallet's back end supplied it), `user` (an answer) or `walk`
    /// (filled in by the walk from another fact).
    pub origin: String,
}

/// One step of a journey in a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JourneyLine {
    /// The tree.
    pub tree: String,
    /// The node.
    pub node: String,
    /// The question or instruction shown, or what was decided.
    pub text: String,
    /// The answer as the user saw it, if any.
    pub answer: Option<String>,
    /// The answer's value, if any.
    pub value: Option<ApiValue>,
    /// `user`, `host` (answered from the back end's fact) or `auto` (decided).
    pub origin: String,
}

/// What the user sees of a step: a fresh [`StepView`] for `step` in `tree`. The
/// writers' preview shows its walks with it too.
pub fn step_view(tree: &str, step: &Step<'_>, zh: bool) -> StepView {
    let mut view = StepView {
        kind: String::new(),
        tree: tree.to_owned(),
        node: step.node().to_owned(),
        text: String::new(),
        fact: None,
        answer_kind: None,
        answers: Vec::new(),
        priority: None,
        prepare: Vec::new(),
    };
    fill_view(&mut view, step, zh);
    view
}

fn fill_view(view: &mut StepView, step: &Step<'_>, zh: bool) {
    match step {
        Step::Ask(q) | Step::Act(q) => {
            view.kind = if matches!(step, Step::Act(_)) {
                "act".into()
            } else {
                "ask".into()
            };
            view.text = q.text.to_owned();
            view.fact = q.fact.map(str::to_owned);
            view.answer_kind = Some(kind_name(q.kind).into());
            view.answers = q
                .answers()
                .map(|a| AnswerView {
                    value: a.value.into(),
                    text: a.text.to_owned(),
                })
                .collect();
        }
        Step::Resolved(r) => {
            view.kind = "resolved".into();
            view.text = r.text.to_owned();
        }
        Step::Escalated(e) => {
            view.kind = "escalated".into();
            view.text = e.reason.to_owned();
            view.priority = Some(priority_name(e.priority).into());
            view.prepare = e.prepare().map(str::to_owned).collect();
        }
        // A published catalogue holds every `Goto` target, so a journey never
        // stops at one; shown as an end all the same.
        _ => {
            view.kind = "escalated".into();
            view.text = handoff_reason(zh).into();
        }
    }
}

fn ended(node: &str) -> EngineError {
    AnswerError::Ended {
        node: node.to_owned(),
    }
    .into()
}

fn handoff_reason(zh: bool) -> &'static str {
    if zh {
        "用户在排查过程中要求转人工"
    } else {
        "The user asked for a person during the walk"
    }
}

fn fingerprint(tree: &Tree) -> String {
    format!("{:016x}", tree.fingerprint())
}

fn kind_name(kind: AnswerKind) -> &'static str {
    kind.as_str()
}

fn priority_name(p: Priority) -> &'static str {
    match p {
        Priority::Low => "low",
        Priority::High => "high",
        Priority::Urgent => "urgent",
        _ => "normal",
    }
}

/// A priority name as a number for sorting the agents' queue (urgent first).
pub fn priority_rank(name: &str) -> i64 {
    match name {
        "urgent" => 3,
        "high" => 2,
        "normal" => 1,
        _ => 0,
    }
}

fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Hotline => "hotline",
        Channel::InApp => "in_app",
        Channel::Chat => "chat",
        _ => "email",
    }
}

/// Seconds since the Unix epoch as RFC 3339 UTC (`2026-05-06T02:00:00Z`).
pub fn rfc3339(unix: i64) -> String {
    let t = LocalTime::from_unix(unix, 0);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        unix.rem_euclid(60)
    )
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> Flow {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
        let sources = read_paths(&[root]).expect("the shipped trees check");
        compile(1, &sources).expect("compiles")
    }

    #[test]
    fn rfc3339_is_utc_with_seconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_778_032_861), "2026-05-06T02:01:01Z");
    }

    #[test]
    fn a_walk_saves_and_resumes_exactly() {
        let flow = flow();
        let mut walk =
            start(&flow, "recharge_failure", Some("en"), &BTreeMap::new()).expect("starts");
        let first = walk.view();
        assert_eq!(first.kind, "ask");
        let value = first.answers[0].value.clone();
        walk.answer(value, "s", 1, 0).expect("offered");
        let saved = walk.save();
        let again = resume(&flow, &saved).expect("resumes");
        assert_eq!(again.view(), walk.view());
        assert_eq!(again.save(), saved);
    }

    #[test]
    fn a_corrupt_state_is_refused_not_trusted() {
        let flow = flow();
        let err = resume(&flow, "{\"legs\":[]}").expect_err("refused");
        assert_eq!(err.code, "corrupt-session");
    }

    #[test]
    fn a_handoff_ticket_tells_the_journey_in_words() {
        let flow = flow();
        let mut walk =
            start(&flow, "recharge_failure", Some("en"), &BTreeMap::new()).expect("starts");
        walk.answer(ApiValue::Bool(false), "s", 1, 0)
            .expect("offered");
        walk.answer(ApiValue::Bool(false), "s", 2, 0)
            .expect("network_ok");
        assert_eq!(walk.view().node, "fix_network");
        let events = walk.handoff("s", 3, 0).expect("open");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["handoff", "escalated"]);
        let ticket = walk.ticket("t", "s", 1_778_032_800, 480).expect("a ticket");
        assert_eq!(ticket.kind, "handoff");
        assert_eq!(ticket.node, "fix_network");
        let lines: Vec<(&str, &str, &str)> = ticket
            .journey
            .iter()
            .map(|l| (l.node.as_str(), l.origin.as_str(), l.text.as_str()))
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0].0, "check_debited");
        assert_eq!((lines[1].0, lines[1].1), ("check_network", "user"));
        assert!(
            lines[1].2.starts_with("Is your internet connection stable"),
            "{lines:?}"
        );
        assert_eq!((lines[2].0, lines[2].1), ("check_network", "auto"));
        assert!(
            lines[2]
                .2
                .starts_with("decided check_network: network stable = false"),
            "{lines:?}"
        );
        assert_eq!(
            walk.handoff("s", 4, 0).expect_err("ended").code,
            "session-ended"
        );
    }

    #[test]
    fn host_facts_are_marked_host_in_tickets() {
        let flow = flow();
        let facts = BTreeMap::from([
            ("money_debited".to_owned(), ApiValue::Bool(true)),
            ("hours_since_debit".to_owned(), ApiValue::Number(60.0)),
            ("amount".to_owned(), ApiValue::Number(100.0)),
        ]);
        let walk = start(&flow, "recharge_failure", Some("en"), &facts).expect("starts");
        assert_eq!(walk.outcome(), Outcome::Escalated);
        let ticket = walk.ticket("t", "s", 1_778_032_800, 480).expect("a ticket");
        assert!(
            ticket.facts.iter().all(|f| f.origin == "host"),
            "{:?}",
            ticket.facts
        );
        assert!(ticket.journey.iter().any(|l| l.origin == "host"));
    }
}
