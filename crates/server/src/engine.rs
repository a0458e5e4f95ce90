//! Every call into the troubletree engine, behind a few small functions.
//!
//! The handlers never touch `troubletree` directly: they publish a catalogue
//! ([`read_paths`], [`compile`]), start or resume a [`Walk`], and act on it. When the
//! engine gains journeys, structured errors and events, this is the one module that
//! changes. Where today's engine lacks something the service needs, the adapter is here
//! and marked `GAP:`:
//!
//! - journeys: one session across `Goto` links, one save, one step bound (the engine
//!   walks one tree per `Session`; [`Walk`] chains them);
//! - a hand-off ticket at a question (the engine makes tickets only at an `Escalate`);
//! - the texts of a transcript for a ticket (the engine's wording is crate-private);
//! - which facts came from the back end and which from the user;
//! - events for analytics (computed here from the steps before and after an action);
//! - a catalogue rebuilt from stored sources (the engine's catalogue reads only files).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use troubletree::{
    AnswerKind, Channel, Directory, LocalTime, Origin, Priority, SavedSession, Session,
    SessionError, Step, Tree, check_paths,
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
    let report = check_paths(paths).map_err(|e| PublishError::Io(e.to_string()))?;
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
    let Some(catalogue) = report.catalogue else {
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
    // GAP: the catalogue does not say which file its directory came from.
    let mut directory = None;
    for file in &report.files {
        let name = file.display().to_string();
        if tree_files.contains(&name) {
            continue;
        }
        let text = read(&name)?;
        if Directory::check_str(&name, &text).0.is_some() {
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
    trees: BTreeMap<String, Tree>,
    directory: Directory,
}

/// Compiles stored sources into a [`Flow`]. Each tree is checked again (the engine may
/// have changed since it was published) and must keep its fingerprint.
///
/// # Errors
///
/// A tree that no longer compiles, whose fingerprint changed, or whose `Goto` names a
/// tree outside the set; a directory that no longer checks.
pub fn compile(id: i64, sources: &Sources) -> Result<Flow, PublishError> {
    let mut trees = BTreeMap::new();
    for t in &sources.trees {
        let tree = Tree::from_str(&t.source)
            .map_err(|e| PublishError::Invalid(vec![format!("stored tree {}: {e}", t.id)]))?;
        if fingerprint(&tree) != t.fingerprint || tree.id() != t.id {
            return Err(PublishError::Changed(t.id.clone()));
        }
        trees.insert(t.id.clone(), tree);
    }
    // GAP: the engine checks links between trees only when it reads files.
    for tree in trees.values() {
        for (node, target, _) in tree.links() {
            if !trees.contains_key(target) {
                return Err(PublishError::Invalid(vec![format!(
                    "tree {} node {node} goes to tree {target}, which is not published with it",
                    tree.id()
                )]));
            }
        }
    }
    let (directory, findings) = Directory::check_str("directory", &sources.directory);
    let directory = directory
        .ok_or_else(|| PublishError::Invalid(findings.iter().map(ToString::to_string).collect()))?;
    if trees.is_empty() {
        return Err(PublishError::Empty);
    }
    Ok(Flow {
        id,
        trees,
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
        self.trees
            .values()
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
        self.trees.contains_key(id)
    }

    fn tree(&self, id: &str) -> Result<&Tree, EngineError> {
        self.trees.get(id).ok_or_else(|| EngineError {
            code: "tree-not-found",
            message: format!(
                "there is no tree \"{id}\" (published: {})",
                self.trees.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        })
    }
}

/// Why an action on a walk failed; the walk is unchanged. `code` is the stable code of
/// the API's problem document.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineError {
    /// Stable code: `not-offered`, `wrong-type`, `unknown-fact`, `unknown-locale`,
    /// `session-ended`, `nothing-to-undo`, `step-limit`, `flow-changed`,
    /// `corrupt-session`, `tree-not-found`.
    pub code: &'static str,
    /// For the person who must act.
    pub message: String,
}

impl From<SessionError> for EngineError {
    fn from(e: SessionError) -> Self {
        let code = match &e {
            SessionError::UnknownFact { .. } => "unknown-fact",
            SessionError::WrongType { .. } => "wrong-type",
            SessionError::NotOffered { .. } | SessionError::NoSuchAnswer { .. } => "not-offered",
            SessionError::Ended { .. } => "session-ended",
            SessionError::StepLimit { .. } => "step-limit",
            SessionError::NothingToUndo => "nothing-to-undo",
            SessionError::UnknownLocale { .. } => "unknown-locale",
            SessionError::Stale { .. } => "flow-changed",
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
struct Journey {
    /// Legs that ended at a `Goto`, oldest first.
    legs: Vec<SavedSession>,
    /// The leg in progress.
    current: SavedSession,
    /// Facts the back end supplied at the start.
    host: BTreeMap<String, troubletree::Value>,
    /// The node where the user asked for a person, if they did.
    handoff: Option<String>,
    /// The step bound of the whole journey.
    step_limit: u32,
}

/// A session of the service: a journey across trees of one published version.
#[derive(Debug)]
pub struct Walk<'f> {
    flow: &'f Flow,
    legs: Vec<SavedSession>,
    session: Session,
    host: BTreeMap<String, troubletree::Value>,
    handoff: Option<String>,
    step_limit: u32,
}

/// An analytics event as the engine side sees it; the service adds session, time and
/// sequence number.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `started`, `shown`, `answered`, `back`, `handoff`, `resolved`, `escalated`.
    pub kind: &'static str,
    /// The tree.
    pub tree: String,
    /// The tree's fingerprint.
    pub fingerprint: String,
    /// The node.
    pub node: String,
    /// The answer, for `answered`.
    pub value: Option<ApiValue>,
    /// `user` or `host`, for `answered`.
    pub origin: Option<&'static str>,
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
    let t = flow.tree(tree)?;
    let mut builder = Session::builder(t);
    if let Some(l) = locale {
        builder = builder.locale(l);
    }
    let mut host = BTreeMap::new();
    for (name, value) in facts {
        let v = troubletree::Value::from(value.clone());
        host.insert(name.clone(), v.clone());
        builder = builder.fact(name.clone(), v);
    }
    let session = builder.start()?;
    let mut walk = Walk {
        flow,
        legs: Vec::new(),
        step_limit: troubletree::DEFAULT_STEP_LIMIT,
        session,
        host,
        handoff: None,
    };
    walk.follow_gotos()?;
    Ok(walk)
}

/// Resumes a stored walk on `flow`. On the version it was saved on this restores it
/// exactly; on another version (its own was retired) the engine's replay rules apply,
/// and a walk that no longer fits gets `flow-changed`.
///
/// # Errors
///
/// `flow-changed` or `corrupt-session`.
pub fn resume<'f>(flow: &'f Flow, state: &str) -> Result<Walk<'f>, EngineError> {
    let journey: Journey = serde_json::from_str(state).map_err(|e| EngineError {
        code: "corrupt-session",
        message: format!("the stored session cannot be read: {e}"),
    })?;
    let changed = |e: EngineError| {
        if e.code == "tree-not-found" {
            EngineError {
                code: "flow-changed",
                message: format!("the flow changed: {}", e.message),
            }
        } else {
            e
        }
    };
    // Earlier legs must still fit too (they are what `back` returns to).
    for leg in &journey.legs {
        let tree = flow.tree(&leg.tree).map_err(changed)?;
        Session::resume(tree, leg)?;
    }
    let tree = flow.tree(&journey.current.tree).map_err(changed)?;
    let (session, _) = Session::resume(tree, &journey.current)?;
    Ok(Walk {
        flow,
        legs: journey.legs,
        session,
        host: journey.host,
        handoff: journey.handoff,
        step_limit: journey.step_limit,
    })
}

impl Walk<'_> {
    /// The stored form.
    pub fn save(&self) -> String {
        let journey = Journey {
            legs: self.legs.clone(),
            current: self.session.save(),
            host: self.host.clone(),
            handoff: self.handoff.clone(),
            step_limit: self.step_limit,
        };
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string(&journey).unwrap_or_default()
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
        match self.session.next() {
            Step::Resolved(_) => Outcome::Resolved,
            Step::Escalated(_) => Outcome::Escalated,
            _ => Outcome::Open,
        }
    }

    /// Whether `back` has something to take back.
    pub fn can_go_back(&self) -> bool {
        self.handoff.is_none()
            && (self.session.transcript().any(|r| r.origin == Origin::Given)
                || self
                    .legs
                    .iter()
                    .any(|l| l.transcript.iter().any(|r| r.origin == Origin::Given)))
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
        let mut view = StepView {
            kind: String::new(),
            tree: tree.to_owned(),
            node: self.session.next().node().to_owned(),
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
                "已为你转人工:请按下方的联系方式找客服,客服能看到你刚才的排查记录。"
            } else {
                "You asked for a person: reach customer service as shown below; the agent sees the steps you took."
            }
            .into();
            view.priority = Some("normal".into());
            return view;
        }
        match self.session.next() {
            Step::Ask(q) | Step::Act(q) => {
                view.kind = if matches!(self.session.next(), Step::Act(_)) {
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
            // `follow_gotos` never leaves a walk at a `Goto`; shown as an end all the same.
            _ => {
                view.kind = "escalated".into();
                view.text = handoff_reason(zh).into();
            }
        }
        view
    }

    /// Answers the current question, then follows any `Goto` into the next tree.
    ///
    /// # Errors
    ///
    /// An answer not offered, of the wrong type, after the end, or past the step
    /// bound; the walk is unchanged.
    pub fn answer(&mut self, value: ApiValue) -> Result<Vec<Event>, EngineError> {
        if self.handoff.is_some() {
            return Err(ended(self.session.next().node()));
        }
        let before = self.session.clone();
        let legs = self.legs.len();
        let at = self.here_event("answered");
        self.session
            .answer(troubletree::Value::from(value.clone()))?;
        if let Err(e) = self.follow_gotos() {
            self.session = before;
            self.legs.truncate(legs);
            return Err(e);
        }
        let mut events = vec![Event {
            value: Some(value),
            origin: Some("user"),
            ..at
        }];
        events.extend(self.arrival_events());
        Ok(events)
    }

    /// Takes back the user's last answer, across trees if the walk crossed one.
    ///
    /// # Errors
    ///
    /// `nothing-to-undo` at the first question, `session-ended` after a hand-off.
    pub fn back(&mut self) -> Result<Vec<Event>, EngineError> {
        if self.handoff.is_some() {
            return Err(ended(self.session.next().node()));
        }
        let at = self.here_event("back");
        let mut session = self.session.clone();
        let mut legs = self.legs.clone();
        loop {
            match session.back() {
                Ok(()) => break,
                Err(SessionError::NothingToUndo) => {
                    // GAP: journeys. Back into the tree that led here.
                    let Some(leg) = legs.pop() else {
                        return Err(SessionError::NothingToUndo.into());
                    };
                    let tree = self.flow.tree(&leg.tree)?;
                    session = Session::resume(tree, &leg)?.0;
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.session = session;
        self.legs = legs;
        let mut events = vec![at];
        events.extend(self.arrival_events());
        Ok(events)
    }

    /// The user asks for a person: the walk ends here, handed off.
    ///
    /// # Errors
    ///
    /// `session-ended` when the walk has already ended.
    pub fn handoff(&mut self) -> Result<Vec<Event>, EngineError> {
        if self.outcome() != Outcome::Open {
            return Err(ended(self.session.next().node()));
        }
        self.handoff = Some(self.session.next().node().to_owned());
        let mut events = vec![self.here_event("handoff")];
        events.extend(self.arrival_events());
        Ok(events)
    }

    /// The events of arriving at the current step: `shown`, `resolved` or `escalated`.
    pub fn arrival_events(&self) -> Vec<Event> {
        match self.outcome() {
            Outcome::Open => vec![self.here_event("shown")],
            Outcome::Resolved => vec![self.here_event("resolved")],
            Outcome::Escalated => vec![self.here_event("escalated")],
            Outcome::HandedOff => vec![self.here_event("escalated")],
        }
    }

    /// The event of starting, with the questions the back end's facts answered.
    pub fn start_events(&self) -> Vec<Event> {
        let mut events = vec![self.here_event("started")];
        for leg in self
            .legs
            .iter()
            .chain(std::iter::once(&self.session.save()))
        {
            for r in leg.transcript.iter().filter(|r| r.origin == Origin::Auto) {
                let Some(fact) = &r.fact else { continue };
                if let (Some(host), Some(value)) = (self.host.get(fact), &r.value)
                    && host == value
                {
                    events.push(Event {
                        kind: "answered",
                        tree: leg.tree.clone(),
                        fingerprint: leg.fingerprint.clone(),
                        node: r.node.clone(),
                        value: Some(value.into()),
                        origin: Some("host"),
                    });
                }
            }
        }
        events.extend(self.arrival_events());
        events
    }

    fn here_event(&self, kind: &'static str) -> Event {
        let (tree, fingerprint) = self.tree();
        Event {
            kind,
            tree: tree.to_owned(),
            fingerprint,
            node: self
                .handoff
                .clone()
                .unwrap_or_else(|| self.session.next().node().to_owned()),
            value: None,
            origin: None,
        }
    }

    /// Moves into the next tree while the walk stands at a `Goto`, with one step bound
    /// for the whole journey.
    fn follow_gotos(&mut self) -> Result<(), EngineError> {
        // The catalogue check refuses loops of `Goto` links, so this ends; the bound
        // keeps a broken invariant from spinning.
        for _ in 0..=self.flow.trees.len() {
            let Step::Goto(jump) = self.session.next() else {
                return Ok(());
            };
            let target = self.flow.tree(jump.tree)?;
            let used: u32 = self
                .legs
                .iter()
                .map(|l| l.steps)
                .sum::<u32>()
                .saturating_add(self.session.steps());
            let remaining = self.step_limit.saturating_sub(used);
            let next = self.session.follow(target)?.step_limit(remaining).start()?;
            self.legs.push(self.session.save());
            self.session = next;
        }
        Err(EngineError {
            code: "step-limit",
            message: "the journey crosses more trees than the catalogue holds".into(),
        })
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
        let locale = self.locale().to_owned();
        let zh = locale.starts_with("zh");
        let tree = self.session.tree();
        let directory = &self.flow.directory;
        let (kind, node, reason, priority, hint, prepare) =
            match (&self.handoff, self.session.next()) {
                (Some(node), _) => (
                    "handoff",
                    node.clone(),
                    handoff_reason(zh).to_owned(),
                    Priority::Normal,
                    None,
                    Vec::new(),
                ),
                (None, Step::Escalated(e)) => (
                    "escalation",
                    e.node.to_owned(),
                    e.reason.to_owned(),
                    e.priority,
                    e.channel,
                    e.prepare().map(str::to_owned).collect(),
                ),
                _ => return None,
            };
        let channel = directory.choose(priority, hint, now, &locale)?;
        let mut journey = Vec::new();
        for leg in &self.legs {
            if let Some(t) = self.flow.trees.get(&leg.tree) {
                journey.extend(describe(t, leg, &self.host));
            }
        }
        journey.extend(describe(tree, &self.session.save(), &self.host));
        Some(TicketBody {
            id: id.to_owned(),
            session: session.to_owned(),
            kind: kind.into(),
            tree: tree.id().to_owned(),
            title: tree.title(&locale).unwrap_or(tree.id()).to_owned(),
            tree_version: i64::from(tree.version()),
            fingerprint: fingerprint(tree),
            node,
            locale,
            reason,
            priority: priority_name(priority).into(),
            channel: ChannelView {
                kind: channel_name(channel.kind).into(),
                contact: channel.contact.clone(),
                open_now: channel.open_now,
                hours: channel.hours.map(|h| h.to_string()),
                response_hours: channel.response_hours,
                busy: channel.busy.clone(),
                example: channel.example,
            },
            prepare,
            facts: self.facts(),
            journey,
            created_at: rfc3339(now_unix),
            local_time: now.to_string(),
        })
    }

    /// Every known fact across the journey, each with who supplied it.
    fn facts(&self) -> Vec<FactView> {
        // GAP: the engine does not say who supplied a fact; the back end's are those
        // given at the start, every other one came from an answer.
        let mut all: BTreeMap<String, troubletree::Value> = BTreeMap::new();
        for leg in &self.legs {
            all.extend(leg.facts.clone());
        }
        all.extend(self.session.facts().map(|(k, v)| (k.to_owned(), v)));
        all.into_iter()
            .map(|(name, value)| {
                let origin = if self.host.get(&name) == Some(&value) {
                    "host"
                } else {
                    "user"
                };
                FactView {
                    name,
                    value: (&value).into(),
                    origin: origin.into(),
                }
            })
            .collect()
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
    /// `host` (the wallet's back end supplied it) or `user` (an answer).
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

/// The transcript of one leg in words.
fn describe(
    tree: &Tree,
    leg: &SavedSession,
    host: &BTreeMap<String, troubletree::Value>,
) -> Vec<JourneyLine> {
    let zh = leg.locale.starts_with("zh");
    leg.transcript
        .iter()
        .map(|r| {
            // GAP: the engine's wording of a transcript line is crate-private; a
            // session started at the node shows the same question and labels.
            let shown = Session::builder(tree)
                .locale(leg.locale.clone())
                .at(r.node.clone())
                .start()
                .ok();
            let (text, answer) = match shown.as_ref().map(Session::next) {
                // A line with a value is a question or instruction answered there; one
                // without is a `Decide` taking a rule.
                Some(Step::Ask(q) | Step::Act(q)) if q.node == r.node && r.value.is_some() => {
                    let label = r.value.as_ref().and_then(|v| {
                        q.answers()
                            .find(|a| a.value == v)
                            .map(|a| a.text.to_owned())
                    });
                    (q.text.to_owned(), label)
                }
                _ => {
                    let text = match (r.rule, zh) {
                        (Some(i), true) => format!("自动判断({}):规则 {}", r.node, i + 1),
                        (None, true) => format!("自动判断({}):其他情况", r.node),
                        (Some(i), false) => format!("decided ({}): rule {}", r.node, i + 1),
                        (None, false) => format!("decided ({}): otherwise", r.node),
                    };
                    (text, None)
                }
            };
            let origin = match (r.origin, &r.fact, &r.value) {
                (Origin::Given, _, _) => "user",
                (_, Some(f), Some(v)) if host.get(f) == Some(v) => "host",
                _ => "auto",
            };
            JourneyLine {
                tree: leg.tree.clone(),
                node: r.node.clone(),
                text: troubletree::printable(&text),
                answer: answer.map(|a| troubletree::printable(&a)),
                value: r.value.as_ref().map(Into::into),
                origin: origin.into(),
            }
        })
        .collect()
}

fn ended(node: &str) -> EngineError {
    SessionError::Ended {
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
        walk.answer(value).expect("offered");
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
        walk.answer(ApiValue::Bool(false)).expect("offered");
        walk.answer(ApiValue::Bool(false)).expect("network_ok");
        assert_eq!(walk.view().node, "fix_network");
        let events = walk.handoff().expect("open");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind).collect();
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
        assert_eq!(
            lines[2],
            ("check_network", "auto", "decided (check_network): rule 1")
        );
        assert_eq!(walk.handoff().expect_err("ended").code, "session-ended");
    }

    #[test]
    fn host_facts_are_marked_host_in_tickets() {
        let flow = flow();
        let facts = BTreeMap::from([
            ("money_debited".to_owned(), ApiValue::Bool(true)),
            ("hours_since_debit".to_owned(), ApiValue::Number(60.0)),
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
