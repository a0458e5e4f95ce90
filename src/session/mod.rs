//! One journey through a catalogue of trees: where it stands, what it knows, what
//! happened so far.
//!
//! A [`Session`] starts in one tree and follows `Goto` links into the other trees of its
//! [`Catalogue`], by tree id, with one transcript, one step bound and one save. It stops
//! only where a person has to act: a question, an instruction, or an end. Everything in
//! between (`Decide` nodes, questions whose fact is already known, `Goto` links) is
//! passed silently and recorded. Every failing call leaves the session exactly as it
//! was.

mod error;
mod explain;
mod save;
mod step;
mod walk;

use petgraph::graph::NodeIndex;

pub use error::{AnswerError, ResumeError, StartError};
pub use explain::{Decision, Explained};
pub use save::{Replay, Resume, Resumed, SAVED_FORMAT, SavedSession};
pub use step::{
    Answer, AnswerKind, Escalation, Jump, Origin, Place, Question, Record, Resolution, Step,
};

use crate::catalogue::Catalogue;
use crate::tree::FactId;
use crate::tree::{FactTy, NodeKind, Offer, TreeData};
use crate::{FactValue, Value};
use walk::{Bound, By, Entry, Recorded, Refused, State, entry_value, fact_type};

/// The step bound used unless [`SessionBuilder::step_limit`] sets another.
pub const DEFAULT_STEP_LIMIT: u32 = 10_000;

/// A walk through a catalogue of trees, one person's journey.
///
/// ```
/// use troubletree::{Session, Step, Tree};
///
/// let tree: Tree = r#"Tree(
///     id: "demo", locales: ["en"], start: "power",
///     nodes: [
///         Ask(id: "power", text: "Is the phone on?", answers: [
///             Answer(value: "yes", text: "Yes", next: "ok"),
///             Answer(value: "no", text: "No", next: "charge"),
///         ]),
///         Act(id: "charge", text: "Charge it for ten minutes.", next: "help", solved: "ok"),
///         Resolve(id: "ok", text: "Glad it works."),
///         Escalate(id: "help", reason: "The phone does not start.", priority: High),
///     ],
/// )"#.parse()?;
///
/// let mut session = Session::new(&tree)?;
/// let Step::Ask(question) = session.current() else { unreachable!() };
/// assert_eq!(question.text, "Is the phone on?");
/// session.answer("no")?;
/// session.answer("solved")?; // an Act offers "solved" / "not_solved"
/// assert!(matches!(session.current(), Step::Resolved(r) if r.node == "ok"));
/// assert_eq!(session.path_ids(), ["power", "charge", "ok"]);
///
/// session.back()?; // undo the last answer
/// assert!(matches!(session.current(), Step::Act(q) if q.node == "charge"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Session {
    catalogue: Catalogue,
    state: State,
}

/// Sets up a session: the tree to start in, facts known up front, locale, step bound.
///
/// ```
/// # let catalogue = troubletree::Catalogue::from_dir("trees")?;
/// let session = troubletree::Session::builder(&catalogue)
///     .tree("recharge_failure")
///     .fact("network_ok", true)
///     .locale("en")
///     .step_limit(500)
///     .start()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct SessionBuilder {
    catalogue: Catalogue,
    tree: Option<String>,
    facts: Vec<(Box<str>, Value)>,
    locale: Option<String>,
    step_limit: u32,
    at: Option<String>,
}

impl SessionBuilder {
    /// The tree to start in, by id. A catalogue of one tree starts there without it.
    pub fn tree(mut self, id: impl Into<String>) -> Self {
        self.tree = Some(id.into());
        self
    }

    /// A fact the host already knows (balance, network state...). Questions that would
    /// ask for it are answered automatically, in every tree of the journey that declares
    /// it.
    pub fn fact(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.facts.push((name.into(), value.into()));
        self
    }

    /// The locale for texts (each tree's default when not set).
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = Some(locale.into());
        self
    }

    /// The most moves the journey may make before every call fails with a step-limit
    /// error ([`DEFAULT_STEP_LIMIT`] unless set).
    pub fn step_limit(mut self, limit: u32) -> Self {
        self.step_limit = limit;
        self
    }

    /// Starts at this node of the start tree instead of its start.
    pub fn at(mut self, node: impl Into<String>) -> Self {
        self.at = Some(node.into());
        self
    }

    /// Creates the session and walks it to its first stop.
    ///
    /// # Errors
    ///
    /// A [`StartError`]: an unknown tree, fact, locale or node, a fact value of the
    /// wrong type, or a walk that exceeds the step bound before its first stop.
    pub fn start(self) -> Result<Session, StartError> {
        let catalogue = self.catalogue;
        let tree = match (&self.tree, catalogue.len()) {
            (Some(id), _) => catalogue.position(id),
            (None, 1) => Some(0),
            (None, _) => None,
        }
        .ok_or_else(|| StartError::UnknownTree {
            tree: self.tree.clone().unwrap_or_default(),
            known: catalogue.trees().map(|t| t.id().to_owned()).collect(),
        })?;
        let facts = normalized(self.facts);
        check_host_facts(&catalogue, tree, &facts)?;
        let data = &catalogue.tree(tree).0;
        if let Some(l) = &self.locale
            && !data.locales.iter().any(|d| **d == **l)
        {
            return Err(StartError::UnknownLocale {
                tree: data.id.to_string(),
                locale: l.clone(),
                declared: data.locales.iter().map(|l| l.to_string()).collect(),
            });
        }
        let start = match &self.at {
            None => data.start,
            Some(id) => {
                data.node_index
                    .get(id.as_str())
                    .ok_or_else(|| StartError::UnknownNode {
                        tree: data.id.to_string(),
                        node: id.clone(),
                    })?
            }
        };
        let locale: Box<str> = match self.locale {
            Some(l) => l.into(),
            None => data.locales.first().cloned().unwrap_or_default(),
        };
        // Room for a typical walk, so that steps do not allocate as it grows.
        let capacity = data.graph.node_count().saturating_add(8).min(64);
        let state = State::begin(
            &catalogue,
            tree,
            start,
            facts,
            locale,
            self.step_limit,
            capacity,
        )
        .map_err(|Bound(limit)| StartError::StepLimit { limit })?;
        Ok(Session { catalogue, state })
    }
}

/// Host facts sorted by name, the last of several with one name kept: the same facts
/// given in any order make the same session.
pub(crate) fn normalized(mut facts: Vec<(Box<str>, Value)>) -> Vec<(Box<str>, Value)> {
    facts.reverse();
    facts.sort_by(|a, b| a.0.cmp(&b.0)); // stable: the last given comes first
    facts.dedup_by(|later, first| later.0 == first.0);
    facts
}

/// Every host fact must be declared by some tree of the catalogue, and fit the type of
/// every tree that declares it; the start tree is checked first, so that a message names
/// the tree the user starts in when it is the one that refuses.
fn check_host_facts(
    catalogue: &Catalogue,
    start: u16,
    facts: &[(Box<str>, Value)],
) -> Result<(), StartError> {
    for (name, value) in facts {
        if !check_host_fact(catalogue, start, name, value.into())? {
            let mut names: Vec<String> = catalogue
                .trees()
                .flat_map(|t| t.0.facts.iter().map(|f| f.name.to_string()))
                .collect();
            names.sort();
            names.dedup();
            return Err(StartError::UnknownFact {
                fact: name.to_string(),
                declared: names,
            });
        }
    }
    Ok(())
}

/// Checks one host fact against every tree that declares it, the start tree first;
/// `Ok(false)` when none does. Allocates nothing unless it refuses.
fn check_host_fact(
    catalogue: &Catalogue,
    start: u16,
    name: &str,
    value: FactValue<'_>,
) -> Result<bool, StartError> {
    let first = catalogue.tree(start);
    let trees = std::iter::once(first).chain(
        catalogue
            .trees()
            .enumerate()
            .filter(|(i, _)| *i != usize::from(start))
            .map(|(_, t)| t),
    );
    let mut declared = false;
    for tree in trees {
        let data = &tree.0;
        let Some(&slot) = data.fact_index.get(name) else {
            continue;
        };
        declared = true;
        check_fact_value(data, &data.facts[usize::from(slot)], value)?;
    }
    Ok(declared)
}

/// Whether a value fits a declared fact: its type, a `Choice`'s values, a `Number`'s
/// range. Inlined: it runs for every host fact, and the refusal is built apart.
#[inline]
fn check_fact_value(
    data: &TreeData,
    decl: &crate::tree::FactDecl,
    value: FactValue<'_>,
) -> Result<(), StartError> {
    let fits = match (&decl.ty, value) {
        (FactTy::Bool, FactValue::Bool(_)) | (FactTy::Text, FactValue::Text(_)) => true,
        (FactTy::Number, FactValue::Number(n)) => n.is_finite() && decl.range.contains(n),
        (FactTy::Choice(options), FactValue::Text(t)) => options.iter().any(|o| **o == *t),
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(fact_refusal(data, decl, value))
    }
}

/// Why a value does not fit a declared fact ([`check_fact_value`] found that it does
/// not).
#[cold]
#[inline(never)]
fn fact_refusal(data: &TreeData, decl: &crate::tree::FactDecl, value: FactValue<'_>) -> StartError {
    match value {
        FactValue::Number(n)
            if matches!(decl.ty, FactTy::Number) && n.is_finite() && !decl.range.contains(n) =>
        {
            StartError::OutOfRange {
                fact: decl.name.to_string(),
                tree: data.id.to_string(),
                min: decl.range.min,
                max: decl.range.max,
                value: n,
            }
        }
        _ => StartError::WrongType {
            fact: decl.name.to_string(),
            tree: data.id.to_string(),
            expected: decl.ty.public(),
            accepted: choices(&decl.ty),
            value: value.to_value(),
        },
    }
}

/// The tree and declaration a [`FactId`] names: the start tree's own facts are found
/// first, the other trees' by fingerprint.
#[inline]
fn fact_decl(
    catalogue: &Catalogue,
    start: u16,
    id: FactId,
) -> Result<(&TreeData, &crate::tree::FactDecl), StartError> {
    let first = catalogue.tree(start);
    let tree = if first.0.fingerprint == id.tree {
        Some(first)
    } else {
        catalogue.trees().find(|t| t.0.fingerprint == id.tree)
    };
    tree.and_then(|t| Some((&*t.0, t.0.facts.get(usize::from(id.slot))?)))
        .ok_or_else(|| StartError::ForeignFact {
            fingerprint: format!("{:016x}", id.tree),
            known: catalogue.trees().map(|t| t.id().to_owned()).collect(),
        })
}

fn choices(ty: &FactTy) -> Vec<Value> {
    match ty {
        FactTy::Choice(options) => options.iter().map(|o| Value::from(&**o)).collect(),
        _ => Vec::new(),
    }
}

impl Session {
    /// A session on one tree, with no facts known, in the tree's default locale.
    ///
    /// # Errors
    ///
    /// [`StartError::StepLimit`] if the walk to the first stop is longer than
    /// [`DEFAULT_STEP_LIMIT`].
    pub fn new(tree: &crate::Tree) -> Result<Session, StartError> {
        Session::builder(tree).start()
    }

    /// Sets up a session on a catalogue (name the start tree with
    /// [`SessionBuilder::tree`]) or on one tree (`&Tree`).
    pub fn builder(catalogue: impl Into<Catalogue>) -> SessionBuilder {
        SessionBuilder {
            catalogue: catalogue.into(),
            tree: None,
            facts: Vec::new(),
            locale: None,
            step_limit: DEFAULT_STEP_LIMIT,
            at: None,
        }
    }

    /// Starts the journey again, from where it started (its tree, and node), with these
    /// host facts in place of the ones it had; the locale and step bound stay. The
    /// session then stands where a new one built with the same facts would, and equals
    /// it.
    ///
    /// This is the way to run many diagnoses: the session keeps its buffers, and the
    /// facts come as [`FactId`]s looked up once with [`crate::Tree::fact`] and values
    /// borrowed from the host's own data, so that once the session has run a first
    /// diagnosis with the same facts, a diagnosis allocates nothing (a `Text` fact's
    /// value is the exception: it is copied into the session's facts).
    ///
    /// ```
    /// use troubletree::{FactValue, Session, Step, Tree};
    ///
    /// let tree = Tree::from_path("trees/recharge_failure.ron")?;
    /// let debited = tree.fact("money_debited").expect("declared").id();
    /// let hours = tree.fact("hours_since_debit").expect("declared").id();
    /// let mut session = Session::new(&tree)?;
    /// for (taken, waited) in [(true, 60), (true, 3), (false, 0)] {
    ///     session.restart(&[(debited, taken.into()), (hours, waited.into())])?;
    ///     println!("{}", session.current().node());
    /// }
    /// assert_eq!(session.current().node(), "check_network");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`StartError`]: [`StartError::ForeignFact`] for a fact of a tree this session's
    /// catalogue does not hold, [`StartError::WrongType`] or [`StartError::OutOfRange`]
    /// for a value that does not fit a tree that declares the fact, and
    /// [`StartError::StepLimit`] for a walk to the first stop longer than the step
    /// bound. The session is then unchanged.
    pub fn restart(&mut self, facts: &[(FactId, FactValue<'_>)]) -> Result<(), StartError> {
        let catalogue = &self.catalogue;
        let start = self.state.start.0;
        let start_data = &catalogue.tree(start).0;
        let single = catalogue.len() == 1;
        // Every fact is checked before anything changes, and those of the start tree
        // are converted as they are checked, into room the session keeps for them.
        let given = &mut self.state.host_slots.given;
        if given.len() == start_data.facts.len() {
            given.iter_mut().for_each(|g| *g = None);
        } else {
            *given = vec![None; start_data.facts.len()].into_boxed_slice();
        }
        let mut local = true;
        for (id, value) in facts {
            let slot = usize::from(id.slot);
            // The usual case first: a fact of the start tree, in a catalogue of one tree.
            if single
                && id.tree == start_data.fingerprint
                && let (Some(decl), Some(room)) = (start_data.facts.get(slot), given.get_mut(slot))
            {
                *room = Some(
                    decl.ty
                        .store_given(value)
                        .filter(|s| decl.range.holds(s))
                        .ok_or_else(|| fact_refusal(start_data, decl, *value))?,
                );
                continue;
            }
            let (data, decl) = fact_decl(catalogue, start, *id)?;
            let in_start = id.tree == start_data.fingerprint;
            local &= in_start;
            if !single {
                check_host_fact(catalogue, start, &decl.name, *value)?;
            }
            match decl.ty.store_given(value).filter(|s| decl.range.holds(s)) {
                Some(stored) if in_start => given[slot] = Some(stored),
                Some(_) => {}
                None => return Err(fact_refusal(data, decl, *value)),
            }
        }
        // A journey of trees whose walks together stay within the bound cannot fail on
        // it; otherwise keep the state to put back if it does.
        let bound: u64 = catalogue
            .trees()
            .map(|t| t.0.walk_bound.saturating_add(1))
            .fold(0, u64::saturating_add);
        let backup = (u64::from(self.state.step_limit) < bound).then(|| self.state.clone());
        let in_place = local && self.set_host_facts_in_place(facts);
        if !in_place {
            self.set_host_facts(facts);
        }
        // With the host facts replaced in place, the start tree's facts are exactly the
        // given ones, converted above.
        let walked = self.state.restart(&self.catalogue, in_place);
        match walked {
            Ok(()) => Ok(()),
            Err(Bound(limit)) => {
                if let Some(backup) = backup {
                    self.state = backup;
                }
                Err(StartError::StepLimit { limit })
            }
        }
    }

    /// Overwrites the host facts' values with these facts of the start tree, when they
    /// are the same facts as the host facts held now (the usual case: a host supplies
    /// the same facts to every diagnosis). Compares no names and allocates nothing once
    /// the slot cache is filled. `false`, and nothing changed, otherwise.
    fn set_host_facts_in_place(&mut self, facts: &[(FactId, FactValue<'_>)]) -> bool {
        let state = &mut self.state;
        let data = &self.catalogue.tree(state.start.0).0;
        if facts.len() != state.host.len() || facts.len() > 64 {
            return false;
        }
        if state.host_slots.slots.len() != data.facts.len() {
            state.host_slots.fill(data, &state.host);
        }
        let slots = &state.host_slots.slots;
        let mut seen = 0u64;
        for &(id, _) in facts {
            match slots.get(usize::from(id.slot)) {
                Some(&i) if usize::from(i) < facts.len() && seen & (1 << i) == 0 => {
                    seen |= 1 << i;
                }
                _ => return false,
            }
        }
        for (id, value) in facts {
            let i = usize::from(slots[usize::from(id.slot)]);
            value.assign_to(&mut state.host[i].1);
        }
        true
    }

    /// Replaces the host facts with a new list, by name.
    fn set_host_facts(&mut self, facts: &[(FactId, FactValue<'_>)]) {
        let catalogue = &self.catalogue;
        let start = self.state.start.0;
        let host = facts
            .iter()
            .filter_map(|&(id, value)| {
                let (_, decl) = fact_decl(catalogue, start, id).ok()?;
                Some((Box::from(&*decl.name), value.to_value()))
            })
            .collect();
        self.state.host = normalized(host);
        self.state.host_slots.slots = Box::default();
    }

    /// The catalogue this session walks.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The tree the walk is in now.
    pub fn tree(&self) -> &crate::Tree {
        self.catalogue.tree(self.state.tree)
    }

    fn data(&self) -> &TreeData {
        &self.tree().0
    }

    /// The locale texts are given in: the one asked for when the current tree declares
    /// it, else the tree's default.
    pub fn locale(&self) -> &str {
        self.data()
            .locales
            .get(usize::from(self.state.local))
            .map_or("", |l| l)
    }

    /// Switches the language of the texts (a user may change it mid-walk).
    ///
    /// # Errors
    ///
    /// [`AnswerError::UnknownLocale`] if the current tree does not declare it; the
    /// session is unchanged.
    pub fn set_locale(&mut self, locale: &str) -> Result<(), AnswerError> {
        let data = self.data();
        let index = data
            .locales
            .iter()
            .position(|l| **l == *locale)
            .and_then(|i| u16::try_from(i).ok())
            .ok_or_else(|| AnswerError::UnknownLocale {
                tree: data.id.to_string(),
                locale: locale.to_owned(),
                declared: data.locales.iter().map(|l| l.to_string()).collect(),
            })?;
        self.state.locale = locale.into();
        self.state.local = index;
        Ok(())
    }

    /// Moves made so far, across every tree.
    pub fn steps(&self) -> u32 {
        self.state.steps
    }

    /// The current step: what the user must do, or how the walk ended.
    pub fn current(&self) -> Step<'_> {
        let data = self.data();
        let tree = &*data.id;
        let node = &data.graph[self.state.at];
        let locale = usize::from(self.state.local);
        let id = data.node_id(self.state.at);
        let question = |kind, fact, text, offers| Question {
            tree,
            node: id,
            fact,
            kind,
            text,
            offers,
            locale,
        };
        match &node.kind {
            NodeKind::Ask {
                text, fact, offers, ..
            } => {
                let decl = fact.map(|s| &data.facts[usize::from(s)]);
                let kind = decl.map_or(AnswerKind::Choice, |d| answer_kind(&d.ty));
                Step::Ask(question(
                    kind,
                    decl.map(|d| &*d.name),
                    text.get(locale),
                    offers,
                ))
            }
            NodeKind::Act { text, offers } => {
                Step::Act(question(AnswerKind::Choice, None, text.get(locale), offers))
            }
            NodeKind::Decide { .. } => {
                // A session only stops at a `Decide` that needs a fact (settling moves
                // on otherwise); the fallback keeps a broken invariant from panicking.
                let Some(decl) = self
                    .state
                    .waiting
                    .and_then(|s| data.facts.get(usize::from(s)))
                else {
                    return Step::Ask(question(AnswerKind::Text, None, id, &[]));
                };
                Step::Ask(question(
                    answer_kind(&decl.ty),
                    Some(&decl.name),
                    decl.ask.as_ref().map_or(&*decl.name, |t| t.get(locale)),
                    &decl.offers,
                ))
            }
            NodeKind::Resolve { text, kind } => Step::Resolved(Resolution {
                tree,
                node: id,
                text: text.get(locale),
                kind: *kind,
            }),
            NodeKind::Escalate {
                reason,
                priority,
                channel,
                prepare,
                agent,
            } => Step::Escalated(Escalation {
                tree,
                node: id,
                reason: reason.get(locale),
                priority: *priority,
                channel: *channel,
                agent: agent.as_ref().map(|a| a.get(locale)),
                prepare,
                locale,
            }),
            NodeKind::Goto {
                tree: target,
                node: target_node,
            } => Step::Goto(Jump {
                from: tree,
                node: id,
                tree: target,
                target: target_node.as_deref(),
            }),
        }
    }

    /// Answers the current question or instruction.
    ///
    /// The value must be one of the offered answers, or, for a `Number` or `Text`
    /// question, a value of that type. The walk then moves on through every automatic
    /// node (and `Goto` link) to the next stop: read it with [`Session::current`].
    ///
    /// # Errors
    ///
    /// [`AnswerError::NotOffered`], [`AnswerError::WrongType`],
    /// [`AnswerError::Ended`] or [`AnswerError::StepLimit`]; the session is unchanged.
    pub fn answer(&mut self, value: impl Into<Value>) -> Result<(), AnswerError> {
        self.give(By::Value(&value.into()))
    }

    /// Answers with the `index`-th offered answer (from 0), as a numbered menu does.
    /// Answering this way never allocates.
    ///
    /// # Errors
    ///
    /// [`AnswerError::NoSuchAnswer`] when there is no such answer (a free-input
    /// question offers none), [`AnswerError::Ended`] after the end,
    /// [`AnswerError::StepLimit`]; the session is unchanged.
    pub fn choose(&mut self, index: usize) -> Result<(), AnswerError> {
        self.give(By::Index(index))
    }

    /// Applies a user's answer; on a step-bound failure midway, rebuilds the session as
    /// it was (every other failure is detected before anything changes).
    #[inline]
    fn give(&mut self, by: By<'_>) -> Result<(), AnswerError> {
        match self.state.apply(&self.catalogue, by, Origin::Given) {
            Ok(()) => Ok(()),
            Err(refused) => {
                let refused = self.refusal(refused);
                Err(self.rewound_if_bound(refused))
            }
        }
    }

    /// After the step bound refused an answer midway: the session as it was before it.
    #[cold]
    fn rewound_if_bound(&mut self, refused: AnswerError) -> AnswerError {
        if let AnswerError::StepLimit { .. } = refused {
            // The bound is only hit after the answer was recorded: keep the ones
            // before it.
            let before = self.state.given_count().saturating_sub(1);
            if let Ok(state) = self.state.rewound(&self.catalogue, before) {
                self.state = state;
            }
        }
        refused
    }

    #[cold]
    fn refusal(&self, refused: Refused<'_>) -> AnswerError {
        let data = self.data();
        match refused {
            Refused::NotOffered {
                node,
                value,
                offers,
            } => AnswerError::NotOffered {
                node: node.to_owned(),
                value,
                accepted: offers.iter().map(|o| (*o.value).clone()).collect(),
            },
            Refused::WrongType { node, slot, value } => AnswerError::WrongType {
                node: node.to_owned(),
                fact: data.facts[usize::from(slot)].name.to_string(),
                expected: fact_type(data, slot).public(),
                value,
            },
            Refused::OutOfRange { node, slot, value } => {
                let decl = &data.facts[usize::from(slot)];
                AnswerError::OutOfRange {
                    node: node.to_owned(),
                    fact: decl.name.to_string(),
                    min: decl.range.min,
                    max: decl.range.max,
                    value,
                }
            }
            Refused::NoSuchAnswer { node, index, count } => AnswerError::NoSuchAnswer {
                node: node.to_owned(),
                index,
                count,
            },
            Refused::Ended { node } => AnswerError::Ended {
                node: node.to_owned(),
            },
            Refused::Bound(Bound(limit)) => AnswerError::StepLimit { limit },
        }
    }

    /// Answers with text as a person types it: the offered value whose text form is
    /// `input` (`true`, `bank_card`, `solved`...), or a number or text for free-input
    /// questions.
    ///
    /// # Errors
    ///
    /// As for [`Session::answer`].
    pub fn answer_str(&mut self, input: &str) -> Result<(), AnswerError> {
        let value = match self.state.pending(&self.catalogue) {
            walk::Pending::Offers { offers, .. } => {
                // The offered value written as text, or as a number (`1.0` for `1`).
                let number = input.trim().parse::<f64>().ok();
                offers
                    .iter()
                    .find(|o| {
                        o.value.to_string() == input
                            || matches!((&*o.value, number), (Value::Number(v), Some(n)) if *v == n)
                    })
                    .map_or_else(|| Value::Text(input.to_owned()), |o| (*o.value).clone())
            }
            walk::Pending::Fact(slot) | walk::Pending::Input { slot, .. } => {
                parse_for(fact_type(self.data(), slot), input)
            }
            walk::Pending::Ended => Value::Text(input.to_owned()),
        };
        self.answer(value)
    }

    /// Takes back the last answer the user gave, and everything the walker did after
    /// it, across `Goto` links too.
    ///
    /// # Errors
    ///
    /// [`AnswerError::NothingToUndo`] when no answer has been given.
    pub fn back(&mut self) -> Result<(), AnswerError> {
        let given = self.state.given_count();
        if given == 0 {
            return Err(AnswerError::NothingToUndo);
        }
        let state = self
            .state
            .rewound(&self.catalogue, given - 1)
            .map_err(|Bound(limit)| AnswerError::StepLimit { limit })?;
        self.state = state;
        Ok(())
    }

    /// The places passed so far, in order, ending with the current one; each names its
    /// tree.
    pub fn path(&self) -> Vec<Place<'_>> {
        self.state
            .transcript
            .iter()
            .filter(|e| !matches!(e.what, Recorded::Fact(..)))
            .map(|e| self.place(e.tree, e.node))
            .chain(std::iter::once(self.place(self.state.tree, self.state.at)))
            .collect()
    }

    /// The node ids of [`Session::path`], for a walk that stays in one tree.
    pub fn path_ids(&self) -> Vec<&str> {
        self.path().into_iter().map(|p| p.node).collect()
    }

    fn place(&self, tree: u16, node: NodeIndex) -> Place<'_> {
        let data = &self.catalogue.tree(tree).0;
        Place {
            tree: &data.id,
            node: data.node_id(node),
        }
    }

    /// Every step so far, in order, across every tree.
    pub fn transcript(&self) -> impl ExactSizeIterator<Item = Record<'_>> {
        self.state.transcript.iter().map(|e| self.record(e))
    }

    /// Where the journey started.
    pub fn start(&self) -> Place<'_> {
        self.place(self.state.start.0, self.state.start.1)
    }

    /// A known fact's value, in the current tree.
    pub fn fact(&self, name: &str) -> Option<Value> {
        let data = self.data();
        let slot = *data.fact_index.get(name)?;
        let stored = self.state.facts.get(usize::from(slot))?.as_ref()?;
        Some(data.facts[usize::from(slot)].ty.value(stored))
    }

    /// Every known fact of the current tree, in declaration order.
    pub fn facts(&self) -> impl Iterator<Item = (&str, Value)> {
        let data = self.data();
        data.facts
            .iter()
            .zip(&self.state.facts)
            .filter_map(|(decl, v)| Some((&*decl.name, decl.ty.value(v.as_ref()?))))
    }

    /// A fact's latest value anywhere in the journey (any tree it went through), else
    /// the host's.
    pub(crate) fn journey_fact(&self, name: &str) -> Option<Value> {
        self.state
            .known(&self.catalogue)
            .into_iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .or_else(|| {
                self.state
                    .host
                    .iter()
                    .find(|(n, _)| &**n == name)
                    .map(|(_, v)| v.clone())
            })
    }

    /// The facts the host supplied when the session started, by name.
    pub fn host_facts(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.state.host.iter().map(|(n, v)| (&**n, v))
    }

    /// The edges this journey took, per tree: `(tree, index into that tree's
    /// [`crate::Tree::edges`])`, in order. A move into a node whose limit was used up
    /// takes two edges: the one into the node, and the node's `limit` edge to where the
    /// walk really went. A `Goto` followed into another tree is not an edge of either.
    pub fn edges_taken(&self) -> Vec<(&str, usize)> {
        // The first edge index of each node, per tree met.
        let mut firsts: std::collections::HashMap<u16, Vec<usize>> = Default::default();
        let mut taken = Vec::new();
        for (t, node, slot) in self.passages(0) {
            let Some(slot) = slot else {
                continue; // a Goto leaves its tree by no edge
            };
            let tree = self.catalogue.tree(t);
            let first = firsts.entry(t).or_insert_with(|| first_edges(tree));
            taken.push((tree.id(), first[node.index()] + slot));
        }
        taken
    }

    /// The nodes the journey left from transcript entry `from` on, in order: tree, node,
    /// and the position of the edge it left by among the node's edges (`None` for a
    /// `Goto` followed into another tree). A move into a node whose limit was used up
    /// leaves two: the node moved from, and the used-up node by its `limit` edge.
    pub(crate) fn passages(&self, from: usize) -> Vec<(u16, NodeIndex, Option<usize>)> {
        let moves: Vec<&Entry> = self
            .state
            .transcript
            .iter()
            .skip(from)
            .filter(|e| !matches!(e.what, Recorded::Fact(..)))
            .collect();
        let arrivals = moves
            .iter()
            .skip(1)
            .map(|e| (e.tree, e.node))
            .chain(std::iter::once((self.state.tree, self.state.at)));
        let mut out = Vec::new();
        for (entry, (arrived_tree, arrived)) in moves.iter().zip(arrivals) {
            if let Recorded::Jump { .. } = entry.what {
                out.push((entry.tree, entry.node, None));
                continue;
            }
            if arrived_tree != entry.tree {
                continue;
            }
            let graph = &self.catalogue.tree(entry.tree).0.graph;
            let node = &graph[entry.node];
            let (slot, declared) = match (&entry.what, &node.kind) {
                (
                    Recorded::Offer(i),
                    NodeKind::Ask { offers, .. } | NodeKind::Act { offers, .. },
                ) => {
                    let i = *i as usize;
                    (i, offers.get(i).map(|o| o.next))
                }
                (
                    Recorded::Input(_),
                    NodeKind::Ask {
                        offers, free_next, ..
                    },
                ) => (offers.len(), *free_next),
                (Recorded::Rule(Some(r)), NodeKind::Decide { rules, .. }) => {
                    let r = *r as usize;
                    (r, rules.get(r).map(|rule| rule.1))
                }
                (Recorded::Rule(None), NodeKind::Decide { rules, otherwise }) => {
                    (rules.len(), Some(*otherwise))
                }
                _ => continue,
            };
            let Some(mut declared) = declared else {
                continue;
            };
            out.push((entry.tree, entry.node, Some(slot)));
            // Follow used-up limits from the declared target to where the walk arrived.
            for _ in 0..graph.node_count() {
                if declared == arrived {
                    break;
                }
                let Some(limit) = graph[declared].limit else {
                    break;
                };
                // The limit edge is the node's last.
                out.push((
                    entry.tree,
                    declared,
                    Some(graph[declared].edges().count() - 1),
                ));
                declared = limit.then;
            }
        }
        out
    }

    /// The text shown at a transcript line, and the label of its answer.
    /// `decision` is the explanation of a `Decide`'s line, when it is one.
    pub(crate) fn describe(
        &self,
        record: &Record<'_>,
        decision: Option<&Decision<'_>>,
    ) -> (String, Option<String>) {
        let Some(tree) = self.catalogue.get(record.tree) else {
            return (record.node.to_owned(), None);
        };
        let data = &tree.0;
        let locale = data
            .locales
            .iter()
            .position(|l| **l == *self.state.locale)
            .unwrap_or(0);
        let Some(v) = data.node_index.get(record.node) else {
            return (record.node.to_owned(), None);
        };
        let label = |offers: &[Offer]| {
            record
                .value
                .as_ref()
                .and_then(|value| offers.iter().find(|o| *o.value == *value))
                .map(|o| o.text.get(locale).to_owned())
        };
        let zh = self.state.locale.starts_with("zh");
        match &data.graph[v].kind {
            NodeKind::Ask { text, offers, .. } => (text.get(locale).to_owned(), label(offers)),
            NodeKind::Act { text, offers } => (text.get(locale).to_owned(), label(offers)),
            NodeKind::Decide { .. } => match record.fact.and_then(|f| data.fact_index.get(f)) {
                Some(&slot) => {
                    let decl = &data.facts[usize::from(slot)];
                    let text = decl
                        .ask
                        .as_ref()
                        .map_or_else(|| decl.name.to_string(), |t| t.get(locale).to_owned());
                    (text, label(&decl.offers))
                }
                None => {
                    let prefix = if zh { "自动判断" } else { "decided" };
                    let text = match decision {
                        Some(d) => format!("{prefix} {}", d.in_words()),
                        None => format!("{prefix} ({})", record.node),
                    };
                    (text, None)
                }
            },
            NodeKind::Goto { .. } => {
                let to = record.jump.map_or_else(String::new, |p| p.to_string());
                let text = if zh {
                    format!("转入流程 {to}")
                } else {
                    format!("continued in {to}")
                };
                (text, None)
            }
            _ => (record.node.to_owned(), None),
        }
    }

    fn record<'s>(&'s self, e: &Entry) -> Record<'s> {
        let data = &self.catalogue.tree(e.tree).0;
        let node = &data.graph[e.node];
        let texts = &self.state.texts;
        let fact =
            walk::entry_fact(data, e, texts).map(|(slot, _)| &*data.facts[usize::from(slot)].name);
        let (rule, jump) = match &e.what {
            Recorded::Rule(rule) => (rule.map(|r| r as usize), None),
            Recorded::Jump { tree, node } => (None, Some(self.place(*tree, *node))),
            _ => (None, None),
        };
        Record {
            tree: &data.id,
            node: data.node_id(e.node),
            fact: match (&e.what, &node.kind) {
                (Recorded::Offer(_), NodeKind::Ask { fact: Some(s), .. }) => {
                    Some(&*data.facts[usize::from(*s)].name)
                }
                _ => fact,
            },
            value: entry_value(data, e, texts),
            rule,
            jump,
            origin: e.origin,
        }
    }
}

/// The index in [`crate::Tree::edges`] of each node's first edge, and the total last.
fn first_edges(tree: &crate::Tree) -> Vec<usize> {
    let graph = &tree.0.graph;
    let mut first = Vec::with_capacity(graph.node_count() + 1);
    let mut total = 0usize;
    for v in graph.node_indices() {
        first.push(total);
        tree.for_each_edge(v, |_, _| total += 1);
    }
    first.push(total);
    first
}

fn answer_kind(ty: &FactTy) -> AnswerKind {
    match ty {
        FactTy::Bool => AnswerKind::Bool,
        FactTy::Number => AnswerKind::Number,
        FactTy::Text => AnswerKind::Text,
        FactTy::Choice(_) => AnswerKind::Choice,
    }
}

fn parse_for(ty: &FactTy, input: &str) -> Value {
    match ty {
        FactTy::Bool => match input {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Text(input.to_owned()),
        },
        FactTy::Number => input
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map_or_else(|| Value::Text(input.to_owned()), Value::Number),
        FactTy::Text | FactTy::Choice(_) => Value::Text(input.to_owned()),
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("at", &self.place(self.state.tree, self.state.at))
            .field("steps", &self.state.steps)
            .field("transcript", &self.state.transcript.len())
            .finish()
    }
}

impl PartialEq for Session {
    /// Two sessions are equal when they walk the same trees (by fingerprint) and hold
    /// the same state.
    fn eq(&self, other: &Self) -> bool {
        let fingerprints = |s: &Session| -> Vec<u64> {
            s.catalogue.trees().map(crate::Tree::fingerprint).collect()
        };
        fingerprints(self) == fingerprints(other) && self.state == other.state
    }
}
