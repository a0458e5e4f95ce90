//! Saving a journey and resuming it, on the same trees or on changed ones.
//!
//! A save is plain data with tree, node and fact names (never indices), readable and
//! serialisable with any serde format. Numbers are written as text in their shortest
//! exact form (`{"number": "72.5"}`), so they come back bit for bit whatever JSON library
//! the host uses, and a checksum over the content catches a save changed on the way, by
//! one ulp or otherwise.
//!
//! [`Session::resume`] trusts none of the walker's part of a save: it rebuilds the
//! session from its start, the host's facts and the user's answers, and compares. What
//! the host controls is not taken from the save: the step bound, where a walk may start
//! (a tree's start unless the host says otherwise) and the host's own facts (confirmed
//! again at resume, or explicitly trusted).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::error::ResumeError;
use super::step::Origin;
use super::walk::{By, Refused, State};
use super::{DEFAULT_STEP_LIMIT, Session};
use crate::Value;
use crate::catalogue::Catalogue;

/// The format version of [`SavedSession`].
pub const SAVED_FORMAT: u32 = 2;

/// A journey saved by [`Session::save`].
///
/// Its fields are private: a save is made by [`Session::save`] and read back by
/// [`Session::resume`], which verifies it. Serialise it with any serde format (JSON for
/// a database, RON for a file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSession {
    format: u32,
    locale: String,
    start: SavedPlace,
    /// Every tree the journey visited, in the order first visited.
    trees: Vec<SavedTree>,
    #[serde(default)]
    host_facts: BTreeMap<String, Exact>,
    at: SavedPlace,
    steps: u32,
    #[serde(default)]
    facts: BTreeMap<String, Exact>,
    #[serde(default)]
    visits: BTreeMap<String, u16>,
    transcript: Vec<SavedRecord>,
    checksum: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedPlace {
    tree: String,
    node: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedTree {
    id: String,
    version: u32,
    /// 16 hex digits.
    fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedRecord {
    tree: String,
    node: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<Exact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rule: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jump: Option<SavedPlace>,
    origin: Origin,
}

impl SavedSession {
    /// The tree the journey started in.
    pub fn start_tree(&self) -> &str {
        &self.start.tree
    }

    /// The tree the journey is in now.
    pub fn tree(&self) -> &str {
        &self.at.tree
    }

    /// The node the journey is at now.
    pub fn node(&self) -> &str {
        &self.at.node
    }

    /// Moves made.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// The locale asked for.
    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// The trees the journey visited, in order: id and fingerprint (16 hex digits).
    pub fn trees(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.trees
            .iter()
            .map(|t| (t.id.as_str(), t.fingerprint.as_str()))
    }

    /// The answers the user gave, in order: tree, node, value.
    pub fn answers(&self) -> impl Iterator<Item = (&str, &str, &Value)> {
        self.transcript
            .iter()
            .filter(|r| r.origin == Origin::Given)
            .filter_map(|r| Some((r.tree.as_str(), r.node.as_str(), &r.value.as_ref()?.0)))
    }

    /// Recomputes the checksum after the fields were changed through serde. For tests
    /// of the replay checks only: the checksum catches accidental change, and is no
    /// signature (the checks behind it are what refuse a forged save).
    #[doc(hidden)]
    pub fn reseal(&mut self) {
        self.checksum = self.computed_checksum();
    }

    /// The save's checksum, 16 hex digits.
    pub(crate) fn checksum_text(&self) -> &str {
        &self.checksum
    }

    /// The checksum over every other field, as 16 hex digits.
    fn computed_checksum(&self) -> String {
        let mut h = Fnv::default();
        h.num(u64::from(self.format));
        h.text(&self.locale);
        h.place(&self.start);
        h.num(self.trees.len() as u64);
        for t in &self.trees {
            h.text(&t.id);
            h.num(u64::from(t.version));
            h.text(&t.fingerprint);
        }
        h.facts(&self.host_facts);
        h.place(&self.at);
        h.num(u64::from(self.steps));
        h.facts(&self.facts);
        h.num(self.visits.len() as u64);
        for (node, count) in &self.visits {
            h.text(node);
            h.num(u64::from(*count));
        }
        h.num(self.transcript.len() as u64);
        for r in &self.transcript {
            h.text(&r.tree);
            h.text(&r.node);
            h.opt_text(r.fact.as_deref());
            match &r.value {
                Some(v) => {
                    h.num(1);
                    h.value(&v.0);
                }
                None => h.num(0),
            }
            h.num(r.rule.map_or(0, |x| u64::from(x) + 1));
            match &r.jump {
                Some(p) => {
                    h.num(1);
                    h.place(p);
                }
                None => h.num(0),
            }
            h.num(match r.origin {
                Origin::Given => 1,
                Origin::Auto => 2,
            });
        }
        format!("{:016x}", h.0)
    }

    /// The name of the first field where two saves differ.
    fn first_difference(&self, other: &SavedSession) -> Option<&'static str> {
        let fields: [(&'static str, bool); 9] = [
            ("locale", self.locale == other.locale),
            ("start", self.start == other.start),
            ("trees", self.trees == other.trees),
            ("host facts", self.host_facts == other.host_facts),
            ("current node", self.at == other.at),
            ("step count", self.steps == other.steps),
            ("facts", self.facts == other.facts),
            ("pass counts (visits)", self.visits == other.visits),
            ("transcript", self.transcript == other.transcript),
        ];
        fields.iter().find(|(_, same)| !same).map(|(name, _)| *name)
    }
}

impl Session {
    /// Saves the journey in a form any serde format can hold (RON, JSON...).
    pub fn save(&self) -> SavedSession {
        let catalogue = &self.catalogue;
        let state = &self.state;
        let place = |tree: u16, node: petgraph::graph::NodeIndex| {
            let data = &catalogue.tree(tree).0;
            SavedPlace {
                tree: data.id.to_string(),
                node: data.node_id(node).to_string(),
            }
        };
        let mut visited: Vec<u16> = Vec::new();
        for t in std::iter::once(state.start.0)
            .chain(state.transcript.iter().map(|e| e.tree))
            .chain(std::iter::once(state.tree))
        {
            if !visited.contains(&t) {
                visited.push(t);
            }
        }
        let data = &catalogue.tree(state.tree).0;
        let facts = data
            .facts
            .iter()
            .zip(&state.facts)
            .filter_map(|(decl, v)| {
                Some((decl.name.to_string(), Exact(decl.ty.value(v.as_ref()?))))
            })
            .collect();
        let visits = data
            .graph
            .node_indices()
            .filter_map(|v| {
                let l = data.graph[v].limit?;
                Some((data.node_id(v).to_string(), state.visits[l.slot as usize]))
            })
            .filter(|(_, v)| *v > 0)
            .collect();
        let transcript = self
            .transcript()
            .map(|r| SavedRecord {
                tree: r.tree.to_owned(),
                node: r.node.to_owned(),
                fact: r.fact.map(str::to_owned),
                value: r.value.map(Exact),
                rule: r.rule.and_then(|i| u32::try_from(i).ok()),
                jump: r.jump.map(|p| SavedPlace {
                    tree: p.tree.to_owned(),
                    node: p.node.to_owned(),
                }),
                origin: r.origin,
            })
            .collect();
        let mut saved = SavedSession {
            format: SAVED_FORMAT,
            locale: state.locale.to_string(),
            start: place(state.start.0, state.start.1),
            trees: visited
                .iter()
                .map(|&t| {
                    let tree = catalogue.tree(t);
                    SavedTree {
                        id: tree.id().to_owned(),
                        version: tree.version(),
                        fingerprint: format!("{:016x}", tree.fingerprint()),
                    }
                })
                .collect(),
            host_facts: state
                .host
                .iter()
                .map(|(n, v)| (n.to_string(), Exact(v.clone())))
                .collect(),
            at: place(state.tree, state.at),
            steps: state.steps,
            facts,
            visits,
            transcript,
            checksum: String::new(),
        };
        saved.checksum = saved.computed_checksum();
        saved
    }

    /// Resumes a saved journey on `catalogue` (or on one tree), with the defaults of
    /// [`Resume`]: the default step bound, a start at its tree's start, and no host
    /// facts unless confirmed.
    ///
    /// # Errors
    ///
    /// A [`ResumeError`], as for [`Resume::resume`].
    pub fn resume(
        catalogue: impl Into<Catalogue>,
        saved: &SavedSession,
    ) -> Result<(Session, Resumed), ResumeError> {
        Resume::new(catalogue).resume(saved)
    }
}

/// How [`Session::resume`] brought a session back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resumed {
    /// Every tree the journey visited is unchanged: the state was restored as saved.
    Restored,
    /// A tree had changed: the answers were replayed onto it, all still fit, and the
    /// journey stops where it stopped.
    Replayed,
}

/// Resumes saved sessions with what the host, not the save, decides: the step bound,
/// where a walk may start, and the host's own facts.
///
/// ```
/// use troubletree::{Catalogue, Resume, Session};
/// let catalogue = Catalogue::from_dir("trees")?;
/// let session = Session::builder(&catalogue)
///     .tree("recharge_failure")
///     .fact("network_ok", true)
///     .start()?;
/// let saved = session.save();
///
/// // The host confirms the facts it gave; a save claiming others is refused.
/// let (again, _) = Resume::new(&catalogue).fact("network_ok", true).resume(&saved)?;
/// assert_eq!(again, session);
/// assert!(Resume::new(&catalogue).resume(&saved).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Resume {
    catalogue: Catalogue,
    step_limit: u32,
    facts: Vec<(Box<str>, Value)>,
    trust_saved_facts: bool,
    start_at: Option<String>,
}

impl Resume {
    /// Resumes on `catalogue` (or on one tree, `&Tree`).
    pub fn new(catalogue: impl Into<Catalogue>) -> Resume {
        Resume {
            catalogue: catalogue.into(),
            step_limit: DEFAULT_STEP_LIMIT,
            facts: Vec::new(),
            trust_saved_facts: false,
            start_at: None,
        }
    }

    /// The step bound of the resumed session ([`DEFAULT_STEP_LIMIT`] unless set); a
    /// save does not carry one.
    pub fn step_limit(mut self, limit: u32) -> Self {
        self.step_limit = limit;
        self
    }

    /// A fact the host supplied when the session started. The save's host facts must be
    /// exactly the ones confirmed this way.
    pub fn fact(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.facts.push((name.into(), value.into()));
        self
    }

    /// Takes the host facts from the save itself, for a host that keeps saves where
    /// nobody else can change them (its own database, a local file).
    pub fn trust_saved_facts(mut self) -> Self {
        self.trust_saved_facts = true;
        self
    }

    /// Accepts a save that started at this node of its start tree rather than at the
    /// tree's start (a session built with [`crate::SessionBuilder::at`]).
    pub fn start_at(mut self, node: impl Into<String>) -> Self {
        self.start_at = Some(node.into());
        self
    }

    /// Resumes `saved`.
    ///
    /// The session is rebuilt from its start, the host's facts and the answers the user
    /// gave (the walker's own steps are recomputed, not trusted). If every tree the
    /// journey visited is the one it was saved on (same fingerprint), the rebuilt
    /// session must equal the save in every field, or the save is refused as corrupt. If
    /// a tree changed, every answer must still be offered at the node it was given at,
    /// and the journey must stop at the node it had stopped at; otherwise it is refused
    /// as stale rather than continued somewhere the user has not seen.
    ///
    /// # Errors
    ///
    /// [`ResumeError::Format`], [`ResumeError::Corrupt`] (checksum or fields),
    /// [`ResumeError::UnknownTree`], [`ResumeError::Start`],
    /// [`ResumeError::HostFact`], [`ResumeError::Stale`].
    pub fn resume(&self, saved: &SavedSession) -> Result<(Session, Resumed), ResumeError> {
        if saved.format != SAVED_FORMAT {
            return Err(ResumeError::Format {
                found: saved.format,
                expected: SAVED_FORMAT,
            });
        }
        if saved.checksum != saved.computed_checksum() {
            return Err(ResumeError::Corrupt {
                reason: "its checksum does not match its content".to_owned(),
            });
        }
        let catalogue = &self.catalogue;
        let start_tree =
            catalogue
                .position(&saved.start.tree)
                .ok_or_else(|| ResumeError::UnknownTree {
                    tree: saved.start.tree.clone(),
                })?;
        let mut unchanged = true;
        for t in &saved.trees {
            let tree = catalogue.get(&t.id).ok_or_else(|| ResumeError::Stale {
                reason: format!("tree \"{}\" is no longer in the catalogue", t.id),
            })?;
            if format!("{:016x}", tree.fingerprint()) != t.fingerprint {
                unchanged = false;
            }
        }
        let data = &catalogue.tree(start_tree).0;
        let start_node = match data.node_index.get(saved.start.node.as_str()) {
            Some(v) if v == data.start => v,
            Some(v) if self.start_at.as_deref() == Some(saved.start.node.as_str()) => v,
            // On a changed tree, a journey that began at the old start has lost its
            // way in; on the same tree, a start elsewhere is the save's claim alone.
            _ if !unchanged => {
                return Err(ResumeError::Stale {
                    reason: format!(
                        "the journey began at node \"{}\" of tree \"{}\", which is no longer where that tree starts",
                        saved.start.node, saved.start.tree
                    ),
                });
            }
            _ => {
                return Err(ResumeError::Start {
                    tree: saved.start.tree.clone(),
                    node: saved.start.node.clone(),
                });
            }
        };
        let host = self.host_facts(saved)?;
        super::check_host_facts(catalogue, start_tree, &host).map_err(|e| {
            ResumeError::Corrupt {
                reason: e.to_string(),
            }
        })?;
        let session = self.rebuild(saved, start_tree, start_node, host, unchanged)?;
        if unchanged {
            if let Some(field) = session.save().first_difference(saved) {
                return Err(ResumeError::Corrupt {
                    reason: format!(
                        "its {field} does not match what its own answers produce on these trees"
                    ),
                });
            }
            Ok((session, Resumed::Restored))
        } else {
            let here = session.current().place();
            if here.tree != saved.at.tree || here.node != saved.at.node {
                return Err(ResumeError::Stale {
                    reason: format!(
                        "the recorded answers now lead to node \"{}\" of tree \"{}\", not to node \"{}\" of tree \"{}\" where the session stopped",
                        here.node, here.tree, saved.at.node, saved.at.tree
                    ),
                });
            }
            Ok((session, Resumed::Replayed))
        }
    }

    /// The host facts of the resumed session: the save's own when trusted, else the
    /// ones confirmed, which must be exactly the save's.
    fn host_facts(&self, saved: &SavedSession) -> Result<Vec<(Box<str>, Value)>, ResumeError> {
        Ok(if self.trust_saved_facts {
            saved
                .host_facts
                .iter()
                .map(|(n, v)| (n.as_str().into(), v.0.clone()))
                .collect()
        } else {
            let confirmed: BTreeMap<&str, &Value> =
                self.facts.iter().map(|(n, v)| (&**n, v)).collect();
            let recorded: BTreeMap<&str, &Value> = saved
                .host_facts
                .iter()
                .map(|(n, v)| (n.as_str(), &v.0))
                .collect();
            if let Some(name) = recorded
                .iter()
                .find(|(n, v)| confirmed.get(*n) != Some(*v))
                .map(|(n, _)| *n)
                .or_else(|| {
                    confirmed
                        .keys()
                        .find(|n| !recorded.contains_key(*n))
                        .copied()
                })
            {
                return Err(ResumeError::HostFact {
                    fact: name.to_owned(),
                });
            }
            super::normalized(self.facts.clone())
        })
    }

    /// Starts the journey as the saved one started and gives it the saved user answers,
    /// each at the place it was recorded at. A mismatch is corruption on unchanged trees
    /// and staleness on changed ones.
    fn rebuild(
        &self,
        saved: &SavedSession,
        tree: u16,
        node: petgraph::graph::NodeIndex,
        host: Vec<(Box<str>, Value)>,
        unchanged: bool,
    ) -> Result<Session, ResumeError> {
        let refuse = |reason: String| {
            if unchanged {
                ResumeError::Corrupt { reason }
            } else {
                ResumeError::Stale { reason }
            }
        };
        match self.replay_answers(saved, tree, node, host) {
            Ok((session, _, None)) => Ok(session),
            Ok((_, _, Some(Stop::Corrupt(reason)))) | Err(Stop::Corrupt(reason)) => {
                Err(ResumeError::Corrupt { reason })
            }
            Ok((_, _, Some(Stop::Mismatch(reason)))) | Err(Stop::Mismatch(reason)) => {
                Err(refuse(reason))
            }
        }
    }

    /// Starts the journey as the saved one started and gives it the saved user answers
    /// while they fit: the session as far as they went, how many were applied, and why
    /// the next one was not.
    fn replay_answers(
        &self,
        saved: &SavedSession,
        tree: u16,
        node: petgraph::graph::NodeIndex,
        host: Vec<(Box<str>, Value)>,
    ) -> Result<(Session, usize, Option<Stop>), Stop> {
        let catalogue = self.catalogue.clone();
        let data = &catalogue.tree(tree).0;
        let locale: Box<str> = if data.locales.iter().any(|l| **l == *saved.locale) {
            saved.locale.as_str().into()
        } else {
            data.locales.first().cloned().unwrap_or_default()
        };
        let capacity = saved.transcript.len().saturating_add(8).min(4096);
        let mut state = State::begin(
            &catalogue,
            tree,
            node,
            host,
            locale,
            self.step_limit,
            capacity,
        )
        .map_err(|b| Stop::Mismatch(format!("its walk exceeds the step bound of {}", b.0)))?;
        let mut applied = 0;
        for r in saved
            .transcript
            .iter()
            .filter(|r| r.origin == Origin::Given)
        {
            let here_data = &catalogue.tree(state.tree).0;
            let (here_tree, here) = (&*here_data.id, here_data.node_id(state.at));
            if here_tree != r.tree || here != r.node {
                let reason = format!(
                    "the answer recorded at node \"{}\" of tree \"{}\" would now be asked at node \"{here}\" of tree \"{here_tree}\"",
                    r.node, r.tree
                );
                return Ok((
                    Session { catalogue, state },
                    applied,
                    Some(Stop::Mismatch(reason)),
                ));
            }
            let Some(value) = r.value.as_ref() else {
                let reason = format!("the answer at node \"{}\" has no value", r.node);
                return Ok((
                    Session { catalogue, state },
                    applied,
                    Some(Stop::Corrupt(reason)),
                ));
            };
            if let Err(refused) = state.apply(&catalogue, By::Value(&value.0), Origin::Given) {
                let reason = match refused {
                    Refused::Bound(b) => format!("its walk exceeds the step bound of {}", b.0),
                    Refused::NotOffered { node, value, .. } => format!(
                        "the answer {} is not offered at node \"{node}\"",
                        super::error::shown(&value)
                    ),
                    Refused::WrongType { node, value, .. } => format!(
                        "the answer {} does not fit the question at node \"{node}\"",
                        super::error::shown(&value)
                    ),
                    Refused::OutOfRange { node, value, .. } => format!(
                        "the answer {value} is out of the range of the fact asked at node \"{node}\""
                    ),
                    Refused::NoSuchAnswer { node, .. } | Refused::Ended { node } => {
                        format!("the walk cannot take an answer at node \"{node}\"")
                    }
                };
                // Every refusal leaves the state as it was, but the step bound, which is
                // only seen midway: take back the part of the move already made.
                if let Ok(before) = state.rewound(&catalogue, applied) {
                    state = before;
                }
                return Ok((
                    Session { catalogue, state },
                    applied,
                    Some(Stop::Mismatch(reason)),
                ));
            }
            applied += 1;
        }
        Ok((Session { catalogue, state }, applied, None))
    }

    /// Replays a saved journey on this catalogue as far as its answers go, without
    /// refusing when it now ends elsewhere: what a change of trees would do to a stored
    /// session, before the change is published (`troubletree replay`).
    ///
    /// The save is checked as for [`Resume::resume`] (format, checksum, host facts,
    /// trees); then the user's answers are given in order while each is still offered
    /// at the node it was recorded at. The [`Replay`] holds the session where they led,
    /// how many fit, and why the next one did not.
    ///
    /// ```
    /// use troubletree::{Catalogue, Resume, Session};
    /// let old = Catalogue::from_dir("trees")?;
    /// let mut session = Session::builder(&old).tree("recharge_failure").locale("en").start()?;
    /// session.answer(false)?;
    /// let saved = session.save();
    /// let replay = Resume::new(&old).replay(&saved)?;
    /// assert_eq!((replay.applied(), replay.answers()), (1, 1));
    /// assert!(replay.stopped().is_none() && replay.unchanged());
    /// assert_eq!(replay.session().current().node(), session.current().node());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ResumeError::Format`], [`ResumeError::Corrupt`] (checksum, or an answer without
    /// a value), [`ResumeError::UnknownTree`] (the start tree is gone),
    /// [`ResumeError::HostFact`], and [`ResumeError::Stale`] when the walk to the first
    /// stop no longer fits the step bound.
    pub fn replay(&self, saved: &SavedSession) -> Result<Replay, ResumeError> {
        if saved.format != SAVED_FORMAT {
            return Err(ResumeError::Format {
                found: saved.format,
                expected: SAVED_FORMAT,
            });
        }
        if saved.checksum != saved.computed_checksum() {
            return Err(ResumeError::Corrupt {
                reason: "its checksum does not match its content".to_owned(),
            });
        }
        let catalogue = &self.catalogue;
        let start_tree =
            catalogue
                .position(&saved.start.tree)
                .ok_or_else(|| ResumeError::UnknownTree {
                    tree: saved.start.tree.clone(),
                })?;
        let unchanged = saved.trees.iter().all(|t| {
            catalogue
                .get(&t.id)
                .is_some_and(|tree| format!("{:016x}", tree.fingerprint()) == t.fingerprint)
        });
        let data = &catalogue.tree(start_tree).0;
        let (start_node, moved) = match data.node_index.get(saved.start.node.as_str()) {
            Some(v) if v == data.start => (v, None),
            Some(v) if self.start_at.as_deref() == Some(saved.start.node.as_str()) => (v, None),
            _ => (
                data.start,
                Some(format!(
                    "the journey began at node \"{}\" of tree \"{}\", which is no longer where that tree starts",
                    saved.start.node, saved.start.tree
                )),
            ),
        };
        let host = self.host_facts(saved)?;
        super::check_host_facts(catalogue, start_tree, &host).map_err(|e| {
            ResumeError::Corrupt {
                reason: e.to_string(),
            }
        })?;
        let answers = saved.answers().count();
        if let Some(reason) = moved {
            let (session, _, _) = self
                .replay_answers(
                    &SavedSession {
                        transcript: Vec::new(),
                        ..saved.clone()
                    },
                    start_tree,
                    start_node,
                    host,
                )
                .map_err(Stop::into_error)?;
            return Ok(Replay {
                session,
                answers,
                applied: 0,
                stopped: Some(reason),
                unchanged,
            });
        }
        let (session, applied, stopped) = self
            .replay_answers(saved, start_tree, start_node, host)
            .map_err(Stop::into_error)?;
        let stopped = match stopped {
            None => None,
            Some(Stop::Mismatch(reason)) => Some(reason),
            Some(Stop::Corrupt(reason)) => return Err(ResumeError::Corrupt { reason }),
        };
        Ok(Replay {
            session,
            answers,
            applied,
            stopped,
            unchanged,
        })
    }
}

/// Why replaying answers stopped.
enum Stop {
    /// The answer does not fit the trees as they are.
    Mismatch(String),
    /// The save itself is broken.
    Corrupt(String),
}

impl Stop {
    /// For a replay, which has no session to show: not even the first stop fits.
    fn into_error(self) -> ResumeError {
        match self {
            Stop::Mismatch(reason) => ResumeError::Stale { reason },
            Stop::Corrupt(reason) => ResumeError::Corrupt { reason },
        }
    }
}

/// A saved journey replayed on a catalogue by [`Resume::replay`]: where its answers lead
/// now.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Replay {
    session: Session,
    answers: usize,
    applied: usize,
    stopped: Option<String>,
    unchanged: bool,
}

impl Replay {
    /// The journey with every answer that still fits: where it would now stand.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The session, to continue it.
    pub fn into_session(self) -> Session {
        self.session
    }

    /// How many answers the user gave in the save.
    pub fn answers(&self) -> usize {
        self.answers
    }

    /// How many of them still fit, in order.
    pub fn applied(&self) -> usize {
        self.applied
    }

    /// Why the next answer (or the start) no longer fits; `None` when all did.
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    /// Whether every tree the journey visited is unchanged (same fingerprint).
    pub fn unchanged(&self) -> bool {
        self.unchanged
    }
}

/// A value written so that numbers come back bit for bit through any serde format:
/// booleans and text as themselves, numbers as `{"number": "<shortest exact text>"}`.
#[derive(Debug, Clone, PartialEq)]
struct Exact(Value);

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Text(t) => s.serialize_str(t),
            Value::Number(n) => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("number", &format!("{n:?}"))?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ExactVisitor)
    }
}

struct ExactVisitor;

impl<'de> Visitor<'de> for ExactVisitor {
    type Value = Exact;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"true, false, a string, or {"number": "<decimal>"}"#)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Exact, E> {
        Ok(Exact(Value::Bool(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Exact, E> {
        Ok(Exact(Value::Text(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Exact, E> {
        Ok(Exact(Value::Text(v)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Exact, A::Error> {
        let Some(key) = map.next_key::<String>()? else {
            return Err(de::Error::custom(
                r#"a number is written {"number": "<decimal>"}"#,
            ));
        };
        if key != "number" {
            return Err(de::Error::unknown_field(&key, &["number"]));
        }
        let text: String = map.next_value()?;
        if map.next_key::<String>()?.is_some() {
            return Err(de::Error::custom(
                r#"a number is written {"number": "<decimal>"}"#,
            ));
        }
        let n: f64 = text
            .parse()
            .map_err(|_| de::Error::custom(format!("\"{text}\" is not a number")))?;
        if !n.is_finite() {
            return Err(de::Error::custom(format!(
                "\"{text}\" is not a finite number"
            )));
        }
        Ok(Exact(Value::Number(n)))
    }

    // A bare number could have been rounded by the JSON library that wrote or read it:
    // refused, rather than risking a walk on a different amount.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Exact, E> {
        Err(de::Error::custom(format!(
            r#"the number {v} is written bare; a save writes numbers as {{"number": "{v:?}"}}"#
        )))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Exact, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Exact, E> {
        self.visit_f64(v as f64)
    }
}

/// 64-bit FNV-1a over a length-prefixed encoding of the fields.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn num(&mut self, n: u64) {
        self.bytes(&n.to_le_bytes());
    }

    fn text(&mut self, t: &str) {
        self.num(t.len() as u64);
        self.bytes(t.as_bytes());
    }

    fn opt_text(&mut self, t: Option<&str>) {
        match t {
            Some(t) => {
                self.num(1);
                self.text(t);
            }
            None => self.num(0),
        }
    }

    fn place(&mut self, p: &SavedPlace) {
        self.text(&p.tree);
        self.text(&p.node);
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Bool(b) => {
                self.num(1);
                self.num(u64::from(*b));
            }
            Value::Number(n) => {
                self.num(2);
                self.num(n.to_bits());
            }
            Value::Text(t) => {
                self.num(3);
                self.text(t);
            }
        }
    }

    fn facts(&mut self, facts: &BTreeMap<String, Exact>) {
        self.num(facts.len() as u64);
        for (name, value) in facts {
            self.text(name);
            self.value(&value.0);
        }
    }
}
