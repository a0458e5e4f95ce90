//! [`Recorder`]: the events of a session, for a host that embeds the crate.

use std::borrow::Cow;

use super::{Actor, Event, EventKind, Passed, Timestamp};
use crate::session::{AnswerError, Origin, Session, Step};
use crate::{Tree, Value};

/// Where a [`Recorder`] reads the time.
///
/// [`SystemClock`] reads the system's; tests and replays pass a closure returning a
/// fixed or simulated [`Timestamp`].
pub trait Clock {
    /// The time now.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp::from_unix_ms(ms)
    }
}

impl<F: Fn() -> Timestamp> Clock for F {
    fn now(&self) -> Timestamp {
        self()
    }
}

/// Records the events of one session: use it in place of the session's own `answer`,
/// `choose` and `back`, and write the events it returns (as JSON Lines, for instance).
///
/// The session itself records nothing, so a host that does not record pays nothing;
/// the recorder reads the session's transcript before and after each call. Events come
/// out exactly as the service writes them, so `troubletree stats` reads both.
///
/// ```
/// use troubletree::{Recorder, Session, Tree};
/// use troubletree::event::{EventKind, Timestamp};
///
/// let tree = Tree::from_path("trees/recharge_failure.ron")?;
/// let clock = || Timestamp::from_unix_ms(1_778_032_800_000);
/// let mut recorder = Recorder::new("session-1", clock);
/// let mut session = Session::new(&tree)?;
/// let mut events = recorder.start(&session);
/// events.extend(recorder.answer(&mut session, false)?); // not debited
///
/// let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
/// assert_eq!(kinds, [EventKind::Started, EventKind::Shown, EventKind::Answered, EventKind::Shown]);
/// // One JSON object per line:
/// let line = serde_json::to_string(&events[2])?;
/// assert!(line.starts_with(r#"{"session":"session-1","seq":1,"at":"2026-05-06T02:00:00Z""#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Recorder<C = SystemClock> {
    session: String,
    seq: u64,
    clock: C,
}

impl<C: Clock> Recorder<C> {
    /// A recorder for a new session with this id.
    pub fn new(session: impl Into<String>, clock: C) -> Recorder<C> {
        Recorder {
            session: session.into(),
            seq: 0,
            clock,
        }
    }

    /// For a session resumed after `seq` actions (its start counts as one).
    #[must_use]
    pub fn at_seq(mut self, seq: u64) -> Recorder<C> {
        self.seq = seq;
        self
    }

    /// The number of the next action.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The events of a session just started: `started` (at the journey's start node),
    /// an `answered` for each question a host fact answered, and where the walk stopped
    /// (`shown`, `resolved` or `escalated`).
    pub fn start(&mut self, session: &Session) -> Vec<Event<'static>> {
        let at = self.clock.now();
        let seq = self.seq;
        let start = session.start();
        let mut events = vec![self.event(
            tree_of(session, start.tree),
            EventKind::Started,
            start.node,
            seq,
            at,
        )];
        events.extend(self.host_answers(session, 0, seq, at));
        events.push(self.arrival(session, 0, seq + 1, at));
        self.seq += 1;
        events
    }

    /// Answers the current question ([`Session::answer`]) and returns the events:
    /// `answered`, any question a host fact answered on the way, and where the walk
    /// stopped.
    ///
    /// # Errors
    ///
    /// As [`Session::answer`]; nothing is recorded and the session is unchanged.
    pub fn answer(
        &mut self,
        session: &mut Session,
        value: impl Into<Value>,
    ) -> Result<Vec<Event<'static>>, AnswerError> {
        let value = value.into();
        let before = session.transcript().len();
        let place = session.current().place();
        let (tree, node) = (place.tree.to_owned(), place.node.to_owned());
        session.answer(value)?;
        Ok(self.answered(session, before, &tree, &node))
    }

    /// Chooses an offered answer by position ([`Session::choose`]).
    ///
    /// # Errors
    ///
    /// As [`Session::choose`]; nothing is recorded.
    pub fn choose(
        &mut self,
        session: &mut Session,
        index: usize,
    ) -> Result<Vec<Event<'static>>, AnswerError> {
        let before = session.transcript().len();
        let place = session.current().place();
        let (tree, node) = (place.tree.to_owned(), place.node.to_owned());
        session.choose(index)?;
        Ok(self.answered(session, before, &tree, &node))
    }

    fn answered(
        &mut self,
        session: &Session,
        before: usize,
        tree: &str,
        node: &str,
    ) -> Vec<Event<'static>> {
        let at = self.clock.now();
        let seq = self.seq;
        let value = session
            .transcript()
            .nth(before)
            .and_then(|r| r.value.clone());
        let mut answered = self.event(tree_of(session, tree), EventKind::Answered, node, seq, at);
        answered.value = value;
        answered.origin = Some(Actor::User);
        let mut events = vec![answered];
        events.extend(self.host_answers(session, before + 1, seq, at));
        events.push(self.arrival(session, before, seq + 1, at));
        self.seq += 1;
        events
    }

    /// Takes back the last answer ([`Session::back`]): `back` at the step left, and
    /// `shown` where the walk is again.
    ///
    /// # Errors
    ///
    /// As [`Session::back`]; nothing is recorded.
    pub fn back(&mut self, session: &mut Session) -> Result<Vec<Event<'static>>, AnswerError> {
        let place = session.current().place();
        let (tree, node) = (place.tree.to_owned(), place.node.to_owned());
        session.back()?;
        let at = self.clock.now();
        let seq = self.seq;
        let events = vec![
            self.event(tree_of(session, &tree), EventKind::Back, &node, seq, at),
            self.arrival(session, session.transcript().len(), seq + 1, at),
        ];
        self.seq += 1;
        Ok(events)
    }

    /// The user asks for a person at the current step: `handoff`, then `escalated` at
    /// the same node (the hand-over). Make the ticket with [`Session::handoff`].
    ///
    /// # Errors
    ///
    /// [`AnswerError::Ended`] when the walk has already ended.
    pub fn handoff(&mut self, session: &Session) -> Result<Vec<Event<'static>>, AnswerError> {
        let step = session.current();
        if step.is_end() {
            return Err(AnswerError::Ended {
                node: step.node().to_owned(),
            });
        }
        let place = step.place();
        let tree = tree_of(session, place.tree);
        let at = self.clock.now();
        let seq = self.seq;
        let events = vec![
            self.event(tree, EventKind::Handoff, place.node, seq, at),
            self.event(tree, EventKind::Escalated, place.node, seq + 1, at),
        ];
        self.seq += 1;
        Ok(events)
    }

    /// The host gives the session up for idleness: `abandoned` where it stands.
    pub fn abandoned(&self, session: &Session) -> Event<'static> {
        let place = session.current().place();
        self.event(
            tree_of(session, place.tree),
            EventKind::Abandoned,
            place.node,
            self.seq,
            self.clock.now(),
        )
    }

    /// The event of arriving where the session stands, with the nodes passed since
    /// transcript entry `from`.
    fn arrival(&self, session: &Session, from: usize, seq: u64, at: Timestamp) -> Event<'static> {
        let step = session.current();
        let place = step.place();
        let tree = tree_of(session, place.tree);
        let kind = match &step {
            Step::Resolved(_) => EventKind::Resolved,
            Step::Escalated(_) | Step::Goto(_) => EventKind::Escalated,
            _ => EventKind::Shown,
        };
        let mut event = self.event(tree, kind, place.node, seq, at);
        if let Step::Resolved(r) = step {
            event.resolution = Some(r.kind);
        }
        event.via = session
            .passages(from)
            .into_iter()
            .map(|(t, node, edge)| {
                let passed = session.catalogue().tree(t);
                let other = passed.id() != tree.id();
                Passed {
                    tree: other.then(|| Cow::Owned(passed.id().to_owned())),
                    fingerprint: other.then(|| Cow::Owned(fingerprint(passed))),
                    node: Cow::Owned(passed.0.node_id(node).to_string()),
                    edge: edge.and_then(|e| u32::try_from(e).ok()),
                }
            })
            .collect();
        event
    }

    /// `answered` by the host for each question answered from a host fact in transcript
    /// entries `from..`.
    fn host_answers(
        &self,
        session: &Session,
        from: usize,
        seq: u64,
        at: Timestamp,
    ) -> Vec<Event<'static>> {
        let host: Vec<(&str, &Value)> = session.host_facts().collect();
        session
            .transcript()
            .skip(from)
            .filter(|r| r.origin == Origin::Auto && r.rule.is_none() && r.jump.is_none())
            .filter_map(|r| {
                let (fact, value) = (r.fact?, r.value.as_ref()?);
                if !host.iter().any(|(n, v)| *n == fact && *v == value) {
                    return None;
                }
                let mut e = self.event(
                    tree_of(session, r.tree),
                    EventKind::Answered,
                    r.node,
                    seq,
                    at,
                );
                e.value = Some(value.clone());
                e.origin = Some(Actor::Host);
                Some(e)
            })
            .collect()
    }

    fn event(
        &self,
        tree: &Tree,
        kind: EventKind,
        node: &str,
        seq: u64,
        at: Timestamp,
    ) -> Event<'static> {
        Event {
            session: Cow::Owned(self.session.clone()),
            seq,
            at,
            tree: Cow::Owned(tree.id().to_owned()),
            version: Some(tree.version()),
            fingerprint: Cow::Owned(fingerprint(tree)),
            kind,
            node: Cow::Owned(node.to_owned()),
            value: None,
            origin: None,
            resolution: None,
            via: Vec::new(),
        }
    }
}

/// The tree of the session's catalogue with this id (the session's current tree if the
/// id is unknown, which cannot happen for a place the session reported).
fn tree_of<'s>(session: &'s Session, id: &str) -> &'s Tree {
    session
        .catalogue()
        .get(id)
        .unwrap_or_else(|| session.tree())
}

fn fingerprint(tree: &Tree) -> String {
    format!("{:016x}", tree.fingerprint())
}
