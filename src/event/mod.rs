//! Analytics events: what happened in a journey, one JSON object per line.
//!
//! The service records an [`Event`] for every step of every session; a host that embeds
//! the crate records the same events with a [`Recorder`], so that both feed one
//! analysis ([`crate::analysis::stats`]). An event is plain data with serde
//! (`Serialize`, `Deserialize`): written as JSON Lines it reads
//!
//! ```text
//! {"session":"s-1","seq":1,"at":"2026-05-06T02:00:07Z","tree":"recharge_failure","version":1,"fingerprint":"9c1f0e5d2b7a4c33","kind":"answered","node":"check_debited","value":false,"origin":"user"}
//! ```
//!
//! `docs/ANALYTICS.md` describes every field and kind. [`Event::parse`] reads one line
//! without allocating for plain strings, several times faster than a general JSON
//! library (the statistics read millions of lines); it accepts exactly what serde_json
//! accepts for this type, which a differential test and the fuzz target `event_diff`
//! check.
//!
//! Strings are `Cow`: borrowed from the line when read, owned when recorded
//! (`Event<'static>`).

mod json;
mod record;
mod time;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

pub use json::EventError;
pub use record::{Clock, Recorder, SystemClock};
pub use time::{Timestamp, TimestampError};

use crate::{ResolutionKind, Value};

/// One thing that happened in a session.
///
/// `seq` counts the actions applied to the session: the events of the action applied at
/// `seq` n (`answered`, `back`, `handoff`) carry n, and the events of where it led
/// (`shown`, `resolved`, `escalated`) carry n + 1; `started` is 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event<'a> {
    /// The session's id (the host's: opaque here).
    #[serde(borrow)]
    pub session: Cow<'a, str>,
    /// The action this event belongs to (see above).
    pub seq: u64,
    /// When, from the recorder's clock.
    pub at: Timestamp,
    /// The tree of `node`.
    #[serde(borrow)]
    pub tree: Cow<'a, str>,
    /// That tree's `version` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// That tree's fingerprint, 16 hex digits: the version the statistics group by.
    #[serde(borrow)]
    pub fingerprint: Cow<'a, str>,
    /// What happened.
    pub kind: EventKind,
    /// Where: the node shown, answered, left, or where the journey ended. For
    /// `started`, the node the journey started at.
    #[serde(borrow)]
    pub node: Cow<'a, str>,
    /// For `answered`: the answer's value.
    #[serde(default)]
    pub value: Option<Value>,
    /// For `answered`: who answered.
    #[serde(default)]
    pub origin: Option<Actor>,
    /// For `resolved`: the kind of the resolution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<ResolutionKind>,
    /// For the events that arrive somewhere (`shown`, `resolved`, `escalated`): every
    /// node the walk passed since the last stop, in order, with the edge it left by.
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<Passed<'a>>,
}

/// What an [`Event`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A session began (at the journey's start node).
    Started,
    /// A question or instruction was shown: the walk waits for the user.
    Shown,
    /// A question was answered (by the user, or from a fact the host supplied).
    Answered,
    /// The user went back from `node`.
    Back,
    /// The user asked for a person at `node`; an `escalated` event follows.
    Handoff,
    /// The journey ended at a `Resolve`.
    Resolved,
    /// The journey ended at an `Escalate`, or was handed over after a `handoff`.
    Escalated,
    /// The host gave the session up for idleness at `node`.
    Abandoned,
}

impl EventKind {
    /// The kind as written: `started`, `shown`, `answered`...
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Started => "started",
            EventKind::Shown => "shown",
            EventKind::Answered => "answered",
            EventKind::Back => "back",
            EventKind::Handoff => "handoff",
            EventKind::Resolved => "resolved",
            EventKind::Escalated => "escalated",
            EventKind::Abandoned => "abandoned",
        }
    }
}

/// Who answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Actor {
    /// The user.
    User,
    /// The host, with a fact it supplied when the session started.
    Host,
}

/// A node a walk passed without stopping (a `Decide`, a question whose fact was known,
/// a `Goto`), or the question answered, and the edge it left by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Passed<'a> {
    /// The node's tree, when it is not the event's.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<Cow<'a, str>>,
    /// That tree's fingerprint, when the tree is not the event's.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Cow<'a, str>>,
    /// The node.
    #[serde(borrow)]
    pub node: Cow<'a, str>,
    /// The edge it left by: its position among the node's edges in the order
    /// [`crate::Tree::edges`] lists them (answers, free input, rules, `otherwise`, the
    /// limit's `then`). `None` for a `Goto`, which leaves its tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<u32>,
}

impl Event<'_> {
    /// An owned copy, independent of the text it was read from.
    pub fn into_owned(self) -> Event<'static> {
        Event {
            session: Cow::Owned(self.session.into_owned()),
            seq: self.seq,
            at: self.at,
            tree: Cow::Owned(self.tree.into_owned()),
            version: self.version,
            fingerprint: Cow::Owned(self.fingerprint.into_owned()),
            kind: self.kind,
            node: Cow::Owned(self.node.into_owned()),
            value: self.value,
            origin: self.origin,
            resolution: self.resolution,
            via: self.via.into_iter().map(Passed::into_owned).collect(),
        }
    }
}

impl Passed<'_> {
    /// An owned copy.
    pub fn into_owned(self) -> Passed<'static> {
        Passed {
            tree: self.tree.map(|t| Cow::Owned(t.into_owned())),
            fingerprint: self.fingerprint.map(|t| Cow::Owned(t.into_owned())),
            node: Cow::Owned(self.node.into_owned()),
            edge: self.edge,
        }
    }
}
