//! One walk through a tree: where it stands, what it knows, what happened so far.
//!
//! A [`Session`] is small and owns nothing of the tree but an `Arc`. It stops only where
//! a person has to act: a question, an instruction, or an end. Everything in between
//! (`Decide` nodes, questions whose fact is already known) is passed silently and
//! recorded in the transcript. Every failing call leaves the session exactly as it was.

use std::collections::BTreeMap;
use std::fmt;

use petgraph::graph::NodeIndex;
use serde::{Deserialize, Serialize};

use crate::tree::{
    Channel, FactSlot, FactTy, NodeKind, Offer, Priority, Stored, Text, Tree, TreeData,
};
use crate::value::Value;

/// The step bound used unless [`SessionBuilder::step_limit`] sets another.
pub const DEFAULT_STEP_LIMIT: u32 = 10_000;

/// The format version of [`SavedSession`].
pub const SAVED_FORMAT: u32 = 1;

/// A walk through one tree.
///
/// ```
/// use troubletree::{Session, Step, Tree};
///
/// let tree = Tree::from_str(r#"Tree(
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
/// )"#)?;
///
/// let mut session = Session::new(&tree)?;
/// let Step::Ask(question) = session.next() else { unreachable!() };
/// assert_eq!(question.text, "Is the phone on?");
/// session.answer("no")?;
/// session.answer("solved")?; // the Act offers "solved" / "not_solved"
/// assert!(matches!(session.next(), Step::Resolved(r) if r.node == "ok"));
/// assert_eq!(session.path(), ["power", "charge", "ok"]);
///
/// session.back()?; // undo the last answer
/// assert!(matches!(session.next(), Step::Act(q) if q.node == "charge"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Session {
    tree: Tree,
    at: NodeIndex,
    steps: u32,
    step_limit: u32,
    locale: u16,
    facts: Vec<Option<Stored>>,
    visits: Vec<u16>,
    /// Facts supplied when the session was created, kept so that `back` can replay.
    initial: Vec<Option<Stored>>,
    transcript: Vec<Entry>,
}

/// Who supplied an answer in the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Origin {
    /// The user answered.
    Given,
    /// The walker answered from a known fact, or decided from facts.
    Auto,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    node: NodeIndex,
    what: Recorded,
    origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
enum Recorded {
    /// An offered answer of an `Ask` or `Act`, by index.
    Offer(u16),
    /// Free input to an `Ask` on a Number or Text fact.
    Input(Stored),
    /// A `Decide` asked for a fact and got this value (the walk stays at the node).
    Fact(FactSlot, Stored),
    /// A `Decide` took this rule (`None`: its `otherwise`).
    Rule(Option<u16>),
}

/// What the session needs next, or how it ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Step<'a> {
    /// A question for the user.
    Ask(Question<'a>),
    /// An instruction for the user to try, answered like a question.
    Act(Question<'a>),
    /// The walk ended with a solution.
    Resolved(Resolution<'a>),
    /// The walk ended with a hand-over to customer service.
    Escalated(Escalation<'a>),
    /// The walk continues in another tree (see [`Session::continue_in`]).
    Goto(Jump<'a>),
}

impl Step<'_> {
    /// The id of the node this step is at.
    pub fn node(&self) -> &str {
        match self {
            Step::Ask(q) | Step::Act(q) => q.node,
            Step::Resolved(r) => r.node,
            Step::Escalated(e) => e.node,
            Step::Goto(j) => j.node,
        }
    }

    /// Whether the walk has ended here (resolved, escalated or handed to another tree).
    pub fn is_end(&self) -> bool {
        matches!(self, Step::Resolved(_) | Step::Escalated(_) | Step::Goto(_))
    }
}

/// The kind of answer a question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnswerKind {
    /// One of the offered values `true` / `false`.
    Bool,
    /// One of the offered values (strings).
    Choice,
    /// Any finite number.
    Number,
    /// Any text.
    Text,
}

impl AnswerKind {
    /// `"bool"`, `"choice"`, `"number"` or `"text"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::Bool => "bool",
            AnswerKind::Choice => "choice",
            AnswerKind::Number => "number",
            AnswerKind::Text => "text",
        }
    }
}

/// A question or instruction waiting for an answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Question<'a> {
    /// The node asking (for a fact a `Decide` needs, the `Decide` node).
    pub node: &'a str,
    /// The fact the answer fills, if any.
    pub fact: Option<&'a str>,
    /// What kind of answer is accepted.
    pub kind: AnswerKind,
    /// The question or instruction, in the session's locale.
    pub text: &'a str,
    offers: &'a [Offer],
    locale: usize,
}

impl<'a> Question<'a> {
    /// The offered answers (empty for `Number` and `Text`).
    pub fn answers(&self) -> impl ExactSizeIterator<Item = Answer<'a>> + 'a {
        let locale = self.locale;
        self.offers.iter().map(move |o| Answer {
            value: &o.value,
            text: o.text.get(locale),
        })
    }
}

/// One offered answer.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Answer<'a> {
    /// The value to pass to [`Session::answer`].
    pub value: &'a Value,
    /// The label in the session's locale.
    pub text: &'a str,
}

/// The end of a walk with a solution.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Resolution<'a> {
    /// The `Resolve` node.
    pub node: &'a str,
    /// The solution, in the session's locale.
    pub text: &'a str,
}

/// The end of a walk with a hand-over to customer service.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Escalation<'a> {
    /// The `Escalate` node.
    pub node: &'a str,
    /// Why the user needs an agent, in the session's locale.
    pub reason: &'a str,
    /// How urgent it is.
    pub priority: Priority,
    /// The channel the tree suggests, if it names one.
    pub channel: Option<Channel>,
    prepare: &'a [Text],
    locale: usize,
}

impl<'a> Escalation<'a> {
    /// What the user should have ready, in the session's locale.
    pub fn prepare(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let locale = self.locale;
        self.prepare.iter().map(move |t| t.get(locale))
    }
}

/// A hand-over to another tree.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Jump<'a> {
    /// The `Goto` node.
    pub node: &'a str,
    /// The tree to continue in.
    pub tree: &'a str,
    /// The node to continue at (its start when `None`).
    pub target: Option<&'a str>,
}

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Record<'a> {
    /// The node passed.
    pub node: &'a str,
    /// The fact the answer filled, if any.
    pub fact: Option<&'a str>,
    /// The answer (`None` for a `Decide`, which records the rule instead).
    pub value: Option<Value>,
    /// For a `Decide`: the index of the rule taken, `None` for `otherwise`.
    pub rule: Option<usize>,
    /// Whether the user gave the answer or the walker filled it in.
    pub origin: Origin,
}

/// Why a session call failed. The session is unchanged whenever one is returned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// A fact name the tree does not declare.
    #[error("tree \"{tree}\" declares no fact \"{name}\" (declared: {declared})")]
    UnknownFact {
        /// The tree.
        tree: String,
        /// The name given.
        name: String,
        /// The declared facts, comma-separated.
        declared: String,
    },
    /// A value of the wrong type for a fact or question.
    #[error("{target} takes {expected}, not {got}")]
    WrongType {
        /// The fact or node concerned, described.
        target: String,
        /// What would have been accepted.
        expected: String,
        /// The value given.
        got: String,
    },
    /// An answer the current question does not offer.
    #[error("\"{value}\" is not an answer to node \"{node}\"; accepted: {accepted}")]
    NotOffered {
        /// The node asking.
        node: String,
        /// The answer given.
        value: String,
        /// The offered values, comma-separated.
        accepted: String,
    },
    /// The walk has already ended.
    #[error("the walk has ended at node \"{node}\"; there is nothing to answer")]
    Ended {
        /// The final node.
        node: String,
    },
    /// The walk would take more steps than the session allows.
    #[error("the walk would exceed its bound of {limit} steps")]
    StepLimit {
        /// The bound.
        limit: u32,
    },
    /// [`Session::choose`] with an index past the offered answers.
    #[error("node \"{node}\" offers {count} answer(s); there is no answer number {}", index.saturating_add(1))]
    NoSuchAnswer {
        /// The node asking.
        node: String,
        /// The index given (from 0).
        index: usize,
        /// How many answers it offers.
        count: usize,
    },
    /// `back` at the first question.
    #[error("there is no answer to take back")]
    NothingToUndo,
    /// A locale the tree does not declare.
    #[error("tree \"{tree}\" has no locale \"{locale}\" (declared: {declared})")]
    UnknownLocale {
        /// The tree.
        tree: String,
        /// The locale asked for.
        locale: String,
        /// The declared locales.
        declared: String,
    },
    /// A node id the tree does not have.
    #[error("tree \"{tree}\" has no node \"{node}\"")]
    UnknownNode {
        /// The tree.
        tree: String,
        /// The id given.
        node: String,
    },
    /// A saved session belongs to another tree.
    #[error("this session was saved on tree \"{saved}\", not \"{tree}\"")]
    OtherTree {
        /// The tree the session was saved on.
        saved: String,
        /// The tree given.
        tree: String,
    },
    /// A saved session was recorded on an earlier version of the tree, and its answers
    /// no longer lead through the new one.
    #[error(
        "the tree changed since this session was saved, and the recorded answers no longer fit it: {reason}"
    )]
    Stale {
        /// What did not fit.
        reason: String,
    },
    /// A saved session that cannot have been produced by this crate on this tree.
    #[error("the saved session is inconsistent: {reason}")]
    Corrupt {
        /// What is wrong with it.
        reason: String,
    },
}

/// Sets up a session: facts known up front, locale, step bound.
///
/// ```
/// # let tree = troubletree::Tree::from_path("trees/recharge_failure.ron")?;
/// let session = troubletree::Session::builder(&tree)
///     .fact("network_ok", true)
///     .locale("en")
///     .step_limit(500)
///     .start()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct SessionBuilder<'t> {
    tree: &'t Tree,
    facts: Vec<(String, Value)>,
    locale: Option<String>,
    step_limit: u32,
    at: Option<String>,
}

impl<'t> SessionBuilder<'t> {
    /// A fact the host already knows (balance, network state...). Questions that would
    /// ask for it are answered automatically.
    pub fn fact(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.facts.push((name.into(), value.into()));
        self
    }

    /// The locale for texts (the tree's default when not set).
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = Some(locale.into());
        self
    }

    /// The most moves the walk may make before every call fails with
    /// [`SessionError::StepLimit`].
    pub fn step_limit(mut self, limit: u32) -> Self {
        self.step_limit = limit;
        self
    }

    /// Starts at this node instead of the tree's start (used when a `Goto` names one).
    pub fn at(mut self, node: impl Into<String>) -> Self {
        self.at = Some(node.into());
        self
    }

    /// Creates the session and walks it to its first stop.
    ///
    /// # Errors
    ///
    /// An unknown fact, locale or node, a fact of the wrong type, or a walk that
    /// exceeds the step bound before its first stop.
    pub fn start(self) -> Result<Session, SessionError> {
        let tree = self.tree;
        let data = &tree.0;
        let mut facts: Vec<Option<Stored>> = vec![None; data.facts.len()];
        for (name, value) in &self.facts {
            let slot = fact_slot(tree, name)?;
            let decl = &data.facts[usize::from(slot)];
            let stored = decl
                .ty
                .store(value)
                .ok_or_else(|| SessionError::WrongType {
                    target: format!("fact \"{name}\""),
                    expected: expected(&decl.ty),
                    got: show(value),
                })?;
            facts[usize::from(slot)] = Some(stored);
        }
        let locale = match &self.locale {
            None => 0,
            Some(l) => tree
                .locale_index(l)
                .ok_or_else(|| SessionError::UnknownLocale {
                    tree: data.id.to_string(),
                    locale: l.clone(),
                    declared: tree.locales().collect::<Vec<_>>().join(", "),
                })?,
        };
        let start = match &self.at {
            None => data.start,
            Some(id) => {
                *data
                    .node_index
                    .get(id.as_str())
                    .ok_or_else(|| SessionError::UnknownNode {
                        tree: data.id.to_string(),
                        node: id.clone(),
                    })?
            }
        };
        let mut session = Session {
            tree: tree.clone(),
            at: start,
            steps: 0,
            step_limit: self.step_limit,
            locale: u16::try_from(locale).unwrap_or(0),
            initial: facts.clone(),
            facts,
            visits: vec![0; data.limit_slots],
            // Room for a typical walk, so that steps do not allocate as it grows.
            transcript: Vec::with_capacity(data.graph.node_count().saturating_add(8).min(64)),
        };
        session.enter(start);
        session.settle()?;
        Ok(session)
    }
}

fn needed_fact(data: &TreeData, at: NodeIndex, facts: &[Option<Stored>]) -> Option<FactSlot> {
    let NodeKind::Decide { rules, .. } = &data.graph[at].kind else {
        return None;
    };
    for (cond, _) in rules.iter() {
        match cond.eval(facts) {
            Ok(true) => return None,
            Ok(false) => {}
            Err(slot) => return Some(slot),
        }
    }
    None
}

fn pending<'d>(data: &'d TreeData, at: NodeIndex, facts: &[Option<Stored>]) -> Pending<'d> {
    match &data.graph[at].kind {
        NodeKind::Ask {
            fact: Some(slot),
            free_next: Some(next),
            ..
        } => Pending::Input {
            slot: *slot,
            next: *next,
        },
        NodeKind::Ask { fact, offers, .. } => Pending::Offers {
            offers,
            fact: *fact,
        },
        NodeKind::Act { offers, .. } => Pending::Offers { offers, fact: None },
        NodeKind::Decide { .. } => {
            needed_fact(data, at, facts).map_or(Pending::Ended, Pending::Fact)
        }
        _ => Pending::Ended,
    }
}

fn fact_slot(tree: &Tree, name: &str) -> Result<FactSlot, SessionError> {
    tree.0
        .fact_index
        .get(name)
        .copied()
        .ok_or_else(|| SessionError::UnknownFact {
            tree: tree.id().to_owned(),
            name: name.to_owned(),
            declared: tree
                .0
                .facts
                .iter()
                .map(|f| &*f.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

fn expected(ty: &FactTy) -> String {
    match ty {
        FactTy::Bool => "true or false".into(),
        FactTy::Number => "a number".into(),
        FactTy::Text => "text".into(),
        FactTy::Choice(options) => format!("one of {}", options.join(", ")),
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::Text(t) => format!("\"{t}\""),
        other => other.to_string(),
    }
}

/// What a session is waiting for, resolved from its current node.
enum Pending<'a> {
    Offers {
        offers: &'a [Offer],
        fact: Option<FactSlot>,
    },
    Input {
        slot: FactSlot,
        next: NodeIndex,
    },
    Fact(FactSlot),
    Ended,
}

impl Session {
    /// A session with no facts known, in the tree's default locale.
    ///
    /// # Errors
    ///
    /// [`SessionError::StepLimit`] if the walk to the first stop is longer than
    /// [`DEFAULT_STEP_LIMIT`].
    pub fn new(tree: &Tree) -> Result<Session, SessionError> {
        Session::builder(tree).start()
    }

    /// Sets up a session with facts, locale and step bound.
    pub fn builder(tree: &Tree) -> SessionBuilder<'_> {
        SessionBuilder {
            tree,
            facts: Vec::new(),
            locale: None,
            step_limit: DEFAULT_STEP_LIMIT,
            at: None,
        }
    }

    /// The tree this session walks.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The locale texts are given in.
    pub fn locale(&self) -> &str {
        self.tree
            .0
            .locales
            .get(usize::from(self.locale))
            .map_or("", |l| l)
    }

    /// Switches the language of the texts (a user may change it mid-walk).
    ///
    /// # Errors
    ///
    /// [`SessionError::UnknownLocale`] if the tree does not declare it; the session is
    /// unchanged.
    pub fn set_locale(&mut self, locale: &str) -> Result<(), SessionError> {
        let index = self
            .tree
            .locale_index(locale)
            .and_then(|i| u16::try_from(i).ok())
            .ok_or_else(|| SessionError::UnknownLocale {
                tree: self.tree.id().to_owned(),
                locale: locale.to_owned(),
                declared: self.tree.locales().collect::<Vec<_>>().join(", "),
            })?;
        self.locale = index;
        Ok(())
    }

    /// Moves made so far.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// The current step: what the user must do, or how the walk ended.
    pub fn next(&self) -> Step<'_> {
        let data = &self.tree.0;
        let node = &data.graph[self.at];
        let locale = usize::from(self.locale);
        let id = &*node.id;
        match &node.kind {
            NodeKind::Ask {
                text, fact, offers, ..
            } => {
                let ty = fact.map(|s| &data.facts[usize::from(s)]);
                Step::Ask(Question {
                    node: id,
                    fact: ty.map(|f| &*f.name),
                    kind: match ty.map(|f| &f.ty) {
                        Some(FactTy::Bool) => AnswerKind::Bool,
                        Some(FactTy::Number) => AnswerKind::Number,
                        Some(FactTy::Text) => AnswerKind::Text,
                        Some(FactTy::Choice(_)) | None => AnswerKind::Choice,
                    },
                    text: text.get(locale),
                    offers,
                    locale,
                })
            }
            NodeKind::Act { text, offers } => Step::Act(Question {
                node: id,
                fact: None,
                kind: AnswerKind::Choice,
                text: text.get(locale),
                offers,
                locale,
            }),
            NodeKind::Decide { .. } => {
                // A session only stops at a `Decide` that needs a fact (settling moves
                // on otherwise); the fallback keeps a broken invariant from panicking.
                let Some(decl) = self
                    .needed_fact()
                    .and_then(|s| data.facts.get(usize::from(s)))
                else {
                    return Step::Ask(Question {
                        node: id,
                        fact: None,
                        kind: AnswerKind::Text,
                        text: id,
                        offers: &[],
                        locale,
                    });
                };
                Step::Ask(Question {
                    node: id,
                    fact: Some(&decl.name),
                    kind: match decl.ty {
                        FactTy::Bool => AnswerKind::Bool,
                        FactTy::Number => AnswerKind::Number,
                        FactTy::Text => AnswerKind::Text,
                        FactTy::Choice(_) => AnswerKind::Choice,
                    },
                    text: decl.ask.as_ref().map_or(&*decl.name, |t| t.get(locale)),
                    offers: &decl.offers,
                    locale,
                })
            }
            NodeKind::Resolve { text } => Step::Resolved(Resolution {
                node: id,
                text: text.get(locale),
            }),
            NodeKind::Escalate {
                reason,
                priority,
                channel,
                prepare,
            } => Step::Escalated(Escalation {
                node: id,
                reason: reason.get(locale),
                priority: *priority,
                channel: *channel,
                prepare,
                locale,
            }),
            NodeKind::Goto { tree, node } => Step::Goto(Jump {
                node: id,
                tree,
                target: node.as_deref(),
            }),
        }
    }

    /// Answers the current question or instruction.
    ///
    /// The value must be one of the offered answers, or, for a `Number` or `Text`
    /// question, a value of that type. The walk then moves on through every automatic
    /// node to the next stop, which is returned.
    ///
    /// # Errors
    ///
    /// [`SessionError::NotOffered`], [`SessionError::WrongType`],
    /// [`SessionError::Ended`] or [`SessionError::StepLimit`]; the session is unchanged.
    pub fn answer(&mut self, value: impl Into<Value>) -> Result<Step<'_>, SessionError> {
        self.give(By::Value(&value.into()))?;
        Ok(self.next())
    }

    /// Applies a user's answer; on a step-bound failure midway, rebuilds the session as
    /// it was (every other failure is detected before anything changes).
    fn give(&mut self, by: By<'_>) -> Result<(), SessionError> {
        match self.apply(by, Origin::Given) {
            Err(err @ SessionError::StepLimit { .. }) => {
                // The bound is only hit after the answer was recorded: keep the ones
                // before it.
                self.rewind(self.given_count().saturating_sub(1))?;
                Err(err)
            }
            other => other,
        }
    }

    /// Answers with the `index`-th offered answer (from 0), as a numbered menu does.
    /// Answering from an offered value this way never allocates.
    ///
    /// # Errors
    ///
    /// [`SessionError::NoSuchAnswer`] when there is no such answer (a free-input
    /// question offers none), [`SessionError::Ended`] after the end,
    /// [`SessionError::StepLimit`]; the session is unchanged.
    pub fn choose(&mut self, index: usize) -> Result<Step<'_>, SessionError> {
        self.give(By::Index(index))?;
        Ok(self.next())
    }

    /// Answers with text as a person types it: the offered value whose text form is
    /// `input` (`true`, `bank_card`, `solved`...), or a number or text for free-input
    /// questions. This is what `--answer NODE=VALUE` uses.
    ///
    /// # Errors
    ///
    /// As for [`Session::answer`].
    pub fn answer_str(&mut self, input: &str) -> Result<Step<'_>, SessionError> {
        let value = match self.pending() {
            Pending::Offers { offers, .. } => {
                // The offered value written as text, or as a number (`1.0` for `1`).
                let number = input.trim().parse::<f64>().ok();
                offers
                    .iter()
                    .find(|o| {
                        o.value.to_string() == input
                            || matches!((&o.value, number), (Value::Number(v), Some(n)) if *v == n)
                    })
                    .map_or_else(|| Value::Text(input.to_owned()), |o| o.value.clone())
            }
            Pending::Fact(slot) | Pending::Input { slot, .. } => {
                parse_for(&self.tree.0.facts[usize::from(slot)].ty, input)
            }
            Pending::Ended => Value::Text(input.to_owned()),
        };
        self.answer(value)
    }

    /// Takes back the last answer the user gave, and everything the walker did after it.
    ///
    /// # Errors
    ///
    /// [`SessionError::NothingToUndo`] when no answer has been given.
    pub fn back(&mut self) -> Result<(), SessionError> {
        let given = self.given_count();
        if given == 0 {
            return Err(SessionError::NothingToUndo);
        }
        self.rewind(given - 1)
    }

    /// The node ids passed so far, ending with the current node.
    pub fn path(&self) -> Vec<&str> {
        let graph = &self.tree.0.graph;
        self.transcript
            .iter()
            .filter(|e| !matches!(e.what, Recorded::Fact(..)))
            .map(|e| &*graph[e.node].id)
            .chain(std::iter::once(&*graph[self.at].id))
            .collect()
    }

    /// Every step so far, in order.
    pub fn transcript(&self) -> impl ExactSizeIterator<Item = Record<'_>> {
        self.transcript.iter().map(|e| self.record(e))
    }

    /// A known fact's value.
    pub fn fact(&self, name: &str) -> Option<Value> {
        let slot = *self.tree.0.fact_index.get(name)?;
        let stored = self.facts.get(usize::from(slot))?.as_ref()?;
        Some(self.tree.0.facts[usize::from(slot)].ty.value(stored))
    }

    /// Every known fact, in declaration order.
    pub fn facts(&self) -> impl Iterator<Item = (&str, Value)> {
        self.tree
            .0
            .facts
            .iter()
            .zip(&self.facts)
            .filter_map(|(decl, v)| Some((&*decl.name, decl.ty.value(v.as_ref()?))))
    }

    /// Starts the follow-on session after a [`Step::Goto`], in the target tree: facts
    /// that tree declares with the same name and type are carried over, the locale too
    /// if the target has it.
    ///
    /// # Errors
    ///
    /// As for [`Session::follow`] and [`SessionBuilder::start`].
    pub fn continue_in(&self, target: &Tree) -> Result<Session, SessionError> {
        self.follow(target)?.start()
    }

    /// The builder of the follow-on session after a [`Step::Goto`], set up as
    /// [`Session::continue_in`] does, for a host that adds facts of its own first.
    ///
    /// # Errors
    ///
    /// [`SessionError::OtherTree`] if `target` is not the tree the `Goto` names;
    /// [`SessionError::Ended`] if the walk is not at a `Goto`.
    pub fn follow<'t>(&self, target: &'t Tree) -> Result<SessionBuilder<'t>, SessionError> {
        let Step::Goto(jump) = self.next() else {
            return Err(SessionError::Ended {
                node: self.next().node().to_owned(),
            });
        };
        if jump.tree != target.id() {
            return Err(SessionError::OtherTree {
                saved: jump.tree.to_owned(),
                tree: target.id().to_owned(),
            });
        }
        let mut builder = Session::builder(target).step_limit(self.step_limit);
        for (name, value) in self.facts() {
            if let Some(&slot) = target.0.fact_index.get(name)
                && target.0.facts[usize::from(slot)].ty.store(&value).is_some()
            {
                builder = builder.fact(name, value);
            }
        }
        if target.locale_index(self.locale()).is_some() {
            builder = builder.locale(self.locale());
        }
        if let Some(node) = jump.target {
            builder = builder.at(node);
        }
        Ok(builder)
    }

    fn given_count(&self) -> usize {
        self.transcript
            .iter()
            .filter(|e| e.origin == Origin::Given)
            .count()
    }

    /// The edges this walk took, as indices into [`Tree::edges`], in order. A move into
    /// a node whose limit was used up takes two edges: the one into the node, and the
    /// node's `limit` edge to where the walk really went.
    pub fn edges_taken(&self) -> Vec<usize> {
        let tree = &self.tree;
        let graph = &tree.0.graph;
        // The first edge index of each node.
        let mut first = Vec::with_capacity(graph.node_count() + 1);
        let mut total = 0usize;
        for v in graph.node_indices() {
            first.push(total);
            tree.for_each_edge(v, |_, _| total += 1);
        }
        let mut taken = Vec::new();
        let arrivals: Vec<NodeIndex> = self
            .transcript
            .iter()
            .filter(|e| !matches!(e.what, Recorded::Fact(..)))
            .map(|e| e.node)
            .skip(1)
            .chain(std::iter::once(self.at))
            .collect();
        let moves = self
            .transcript
            .iter()
            .filter(|e| !matches!(e.what, Recorded::Fact(..)));
        for (entry, arrived) in moves.zip(arrivals) {
            let node = &graph[entry.node];
            let (slot, declared) = match (&entry.what, &node.kind) {
                (
                    Recorded::Offer(i),
                    NodeKind::Ask { offers, .. } | NodeKind::Act { offers, .. },
                ) => {
                    let i = usize::from(*i);
                    (i, offers.get(i).map(|o| o.next))
                }
                (
                    Recorded::Input(_),
                    NodeKind::Ask {
                        offers, free_next, ..
                    },
                ) => (offers.len(), *free_next),
                (Recorded::Rule(Some(r)), NodeKind::Decide { rules, .. }) => {
                    let r = usize::from(*r);
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
            taken.push(first[entry.node.index()] + slot);
            // Follow used-up limits from the declared target to where the walk arrived.
            for _ in 0..graph.node_count() {
                if declared == arrived {
                    break;
                }
                let Some(limit) = graph[declared].limit else {
                    break;
                };
                let mut count = 0usize;
                tree.for_each_edge(declared, |_, _| count += 1);
                taken.push(first[declared.index()] + count - 1);
                declared = limit.then;
            }
        }
        taken
    }

    /// The text shown at a transcript line, and the label of its answer.
    pub(crate) fn describe(&self, record: &Record<'_>) -> (String, Option<String>) {
        let data = &self.tree.0;
        let locale = usize::from(self.locale);
        let Some(&v) = data.node_index.get(record.node) else {
            return (record.node.to_owned(), None);
        };
        let label = |offers: &[Offer]| {
            record
                .value
                .as_ref()
                .and_then(|value| offers.iter().find(|o| o.value == *value))
                .map(|o| o.text.get(locale).to_owned())
        };
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
                    let zh = self.locale().starts_with("zh");
                    let text = match (record.rule, zh) {
                        (Some(i), true) => format!("自动判断({}):规则 {}", record.node, i + 1),
                        (None, true) => format!("自动判断({}):其他情况", record.node),
                        (Some(i), false) => format!("decided ({}): rule {}", record.node, i + 1),
                        (None, false) => format!("decided ({}): otherwise", record.node),
                    };
                    (text, None)
                }
            },
            _ => (record.node.to_owned(), None),
        }
    }

    fn record<'s>(&'s self, e: &Entry) -> Record<'s> {
        let data = &self.tree.0;
        let node = &data.graph[e.node];
        let (fact, value, rule) = match (&e.what, &node.kind) {
            (Recorded::Offer(i), NodeKind::Ask { offers, fact, .. }) => (
                fact.map(|s| &*data.facts[usize::from(s)].name),
                offers.get(usize::from(*i)).map(|o| o.value.clone()),
                None,
            ),
            (Recorded::Offer(i), NodeKind::Act { offers, .. }) => (
                None,
                offers.get(usize::from(*i)).map(|o| o.value.clone()),
                None,
            ),
            (Recorded::Input(stored), NodeKind::Ask { fact: Some(s), .. }) => {
                let decl = &data.facts[usize::from(*s)];
                (Some(&*decl.name), Some(decl.ty.value(stored)), None)
            }
            (Recorded::Fact(s, stored), _) => {
                let decl = &data.facts[usize::from(*s)];
                (Some(&*decl.name), Some(decl.ty.value(stored)), None)
            }
            (Recorded::Rule(rule), _) => (None, None, rule.map(usize::from)),
            _ => (None, None, None),
        };
        Record {
            node: &node.id,
            fact,
            value,
            rule,
            origin: e.origin,
        }
    }

    /// The first fact the current `Decide` needs and nobody supplied.
    fn needed_fact(&self) -> Option<FactSlot> {
        needed_fact(&self.tree.0, self.at, &self.facts)
    }

    fn pending(&self) -> Pending<'_> {
        pending(&self.tree.0, self.at, &self.facts)
    }

    /// Checks an answer against the current stop, then records it and walks on. Nothing
    /// is changed before the answer is known to be acceptable.
    fn apply(&mut self, by: By<'_>, origin: Origin) -> Result<(), SessionError> {
        let (mut walk, facts, transcript) = self.split();
        let data = walk.data;
        let here = *walk.at;
        let node = &data.graph[here];
        match pending(data, here, facts) {
            Pending::Offers { offers, fact } => {
                let index = match by {
                    By::Index(i) if i < offers.len() => i,
                    By::Index(i) => return Err(no_such_answer(&node.id, i, offers)),
                    By::Value(value) => offers
                        .iter()
                        .position(|o| o.value == *value)
                        .ok_or_else(|| not_offered(&node.id, value, offers))?,
                };
                let offer = &offers[index];
                if let (Some(slot), Some(stored)) = (fact, &offer.stored) {
                    facts[usize::from(slot)] = Some(stored.clone());
                }
                transcript.push(Entry {
                    node: here,
                    what: Recorded::Offer(u16::try_from(index).unwrap_or(u16::MAX)),
                    origin,
                });
                walk.step_to(offer.next)?;
            }
            Pending::Input { slot, next } => {
                let By::Value(value) = by else {
                    return Err(no_such_answer(&node.id, by.index(), &[]));
                };
                let stored = check_fact(data, here, slot, value)?;
                facts[usize::from(slot)] = Some(stored.clone());
                transcript.push(Entry {
                    node: here,
                    what: Recorded::Input(stored),
                    origin,
                });
                walk.step_to(next)?;
            }
            Pending::Fact(slot) => {
                // Bool and Choice facts offer their values, and answer like an `Ask`.
                let offers = &data.facts[usize::from(slot)].offers;
                let value = match by {
                    By::Index(i) => {
                        &offers
                            .get(i)
                            .ok_or_else(|| no_such_answer(&node.id, i, offers))?
                            .value
                    }
                    By::Value(value)
                        if !offers.is_empty() && !offers.iter().any(|o| o.value == *value) =>
                    {
                        return Err(not_offered(&node.id, value, offers));
                    }
                    By::Value(value) => value,
                };
                let stored = check_fact(data, here, slot, value)?;
                facts[usize::from(slot)] = Some(stored.clone());
                transcript.push(Entry {
                    node: here,
                    what: Recorded::Fact(slot, stored),
                    origin,
                });
            }
            Pending::Ended => {
                return Err(SessionError::Ended {
                    node: node.id.to_string(),
                });
            }
        }
        self.settle()
    }

    /// Arrives at a node (see [`Walk::enter`]).
    fn enter(&mut self, target: NodeIndex) {
        self.split().0.enter(target);
    }

    /// The tree and the walk state, borrowed apart, so that a step takes no reference
    /// count on the shared tree: the walk, the facts and the transcript.
    fn split(&mut self) -> (Walk<'_>, &mut [Option<Stored>], &mut Vec<Entry>) {
        let Session {
            tree,
            at,
            steps,
            step_limit,
            facts,
            visits,
            transcript,
            ..
        } = self;
        let walk = Walk {
            data: &tree.0,
            at,
            steps,
            step_limit: *step_limit,
            visits,
        };
        (walk, facts, transcript)
    }

    /// Walks through `Decide` nodes and questions whose fact is known, up to the next
    /// stop.
    fn settle(&mut self) -> Result<(), SessionError> {
        let (mut walk, facts, transcript) = self.split();
        let data = walk.data;
        loop {
            let here = *walk.at;
            match &data.graph[here].kind {
                NodeKind::Decide { rules, otherwise } => {
                    let mut chosen = None;
                    for (i, (cond, next)) in rules.iter().enumerate() {
                        match cond.eval(facts) {
                            Ok(true) => {
                                chosen = Some((i, *next));
                                break;
                            }
                            Ok(false) => {}
                            Err(_) => return Ok(()),
                        }
                    }
                    let (rule, next) = match chosen {
                        Some((i, next)) => (u16::try_from(i).ok(), next),
                        None => (None, *otherwise),
                    };
                    transcript.push(Entry {
                        node: here,
                        what: Recorded::Rule(rule),
                        origin: Origin::Auto,
                    });
                    walk.step_to(next)?;
                }
                NodeKind::Ask {
                    fact: Some(slot),
                    offers,
                    free_next,
                    ..
                } => {
                    let Some(known) = &facts[usize::from(*slot)] else {
                        return Ok(());
                    };
                    if let Some(next) = free_next {
                        transcript.push(Entry {
                            node: here,
                            what: Recorded::Input(known.clone()),
                            origin: Origin::Auto,
                        });
                        walk.step_to(*next)?;
                    } else if let Some(i) =
                        offers.iter().position(|o| o.stored.as_ref() == Some(known))
                    {
                        transcript.push(Entry {
                            node: here,
                            what: Recorded::Offer(u16::try_from(i).unwrap_or(u16::MAX)),
                            origin: Origin::Auto,
                        });
                        walk.step_to(offers[i].next)?;
                    } else {
                        // The known value has no answer here (a W002 finding): ask.
                        return Ok(());
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// The answers the user gave, in order, as values, with the node each was given at.
    fn given(&self) -> Vec<(NodeIndex, Value)> {
        self.transcript
            .iter()
            .filter(|e| e.origin == Origin::Given)
            .filter_map(|e| Some((e.node, self.record(e).value?)))
            .collect()
    }

    /// Rebuilds the session from its initial facts and the first `keep` given answers.
    fn rewind(&mut self, keep: usize) -> Result<(), SessionError> {
        let given = self.given();
        let mut fresh = Session {
            tree: self.tree.clone(),
            at: self.tree.0.start,
            steps: 0,
            step_limit: self.step_limit,
            locale: self.locale,
            facts: self.initial.clone(),
            visits: vec![0; self.visits.len()],
            initial: self.initial.clone(),
            transcript: Vec::with_capacity(self.transcript.capacity()),
        };
        let start = self.transcript.first().map_or(self.at, |e| e.node);
        fresh.enter(start);
        fresh.settle()?;
        for (_, value) in given.into_iter().take(keep) {
            fresh.apply(By::Value(&value), Origin::Given)?;
        }
        *self = fresh;
        Ok(())
    }

    /// Saves the session in a form any serde format can hold (RON, JSON...).
    pub fn save(&self) -> SavedSession {
        let data = &self.tree.0;
        let values = |facts: &[Option<Stored>]| -> BTreeMap<String, Value> {
            data.facts
                .iter()
                .zip(facts)
                .filter_map(|(decl, v)| Some((decl.name.to_string(), decl.ty.value(v.as_ref()?))))
                .collect()
        };
        let visits = data
            .graph
            .node_weights()
            .filter_map(|n| {
                let l = n.limit?;
                Some((n.id.to_string(), self.visits[l.slot as usize]))
            })
            .filter(|(_, v)| *v > 0)
            .collect();
        SavedSession {
            format: SAVED_FORMAT,
            tree: data.id.to_string(),
            tree_version: data.version,
            fingerprint: format!("{:016x}", data.fingerprint),
            locale: self.locale().to_owned(),
            start: self.transcript.first().map_or_else(
                || data.graph[self.at].id.to_string(),
                |e| data.graph[e.node].id.to_string(),
            ),
            node: data.graph[self.at].id.to_string(),
            steps: self.steps,
            step_limit: self.step_limit,
            initial: values(&self.initial),
            facts: values(&self.facts),
            visits,
            transcript: self
                .transcript
                .iter()
                .map(|e| {
                    let r = self.record(e);
                    SavedRecord {
                        node: r.node.to_owned(),
                        fact: r.fact.map(str::to_owned),
                        value: r.value,
                        rule: r.rule.and_then(|i| u32::try_from(i).ok()),
                        origin: r.origin,
                    }
                })
                .collect(),
        }
    }

    /// Resumes a saved session on `tree`.
    ///
    /// The session is rebuilt from its start, its initial facts and the answers the
    /// user gave (the walker's own steps are recomputed, not trusted). If the tree is
    /// the one the session was saved on (same fingerprint), the rebuilt session must
    /// equal the save in every field, or the save is refused as corrupt. If the tree has
    /// changed, every answer must still be offered at the node it was given at, and the
    /// walk must stop at the node it had stopped at; otherwise the session is refused as
    /// stale rather than continued somewhere the user has not seen.
    ///
    /// # Errors
    ///
    /// [`SessionError::OtherTree`], [`SessionError::Stale`] or
    /// [`SessionError::Corrupt`].
    pub fn resume(tree: &Tree, saved: &SavedSession) -> Result<(Session, Resumed), SessionError> {
        if saved.tree != tree.id() {
            return Err(SessionError::OtherTree {
                saved: saved.tree.clone(),
                tree: tree.id().to_owned(),
            });
        }
        if saved.format != SAVED_FORMAT {
            return Err(corrupt(format!(
                "saved format {} is not {SAVED_FORMAT}",
                saved.format
            )));
        }
        if saved.fingerprint == format!("{:016x}", tree.fingerprint()) {
            restore(tree, saved).map(|s| (s, Resumed::Restored))
        } else {
            replay(tree, saved).map(|s| (s, Resumed::Replayed))
        }
    }
}

/// How [`Session::resume`] brought a session back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resumed {
    /// Same tree: the state was restored as saved.
    Restored,
    /// The tree had changed: the answers were replayed onto it and all still fit.
    Replayed,
}

/// An answer as given: a value, or the index of an offered one.
#[derive(Clone, Copy)]
enum By<'v> {
    Value(&'v Value),
    Index(usize),
}

impl By<'_> {
    fn index(self) -> usize {
        match self {
            By::Index(i) => i,
            By::Value(_) => 0,
        }
    }
}

/// The mutable part of a move, borrowed apart from the tree it walks.
struct Walk<'a> {
    data: &'a TreeData,
    at: &'a mut NodeIndex,
    steps: &'a mut u32,
    step_limit: u32,
    visits: &'a mut [u16],
}

impl Walk<'_> {
    /// One move along an edge, with the step bound and node limits applied.
    fn step_to(&mut self, target: NodeIndex) -> Result<(), SessionError> {
        if *self.steps >= self.step_limit {
            return Err(SessionError::StepLimit {
                limit: self.step_limit,
            });
        }
        *self.steps += 1;
        self.enter(target);
        Ok(())
    }

    /// Arrives at a node: counts the pass if the node has a limit, and follows `then`
    /// while limits are used up. The compiler refused circular `then` chains; the loop
    /// is bounded by the node count all the same.
    fn enter(&mut self, mut target: NodeIndex) {
        let graph = &self.data.graph;
        for _ in 0..=graph.node_count() {
            match graph[target].limit {
                Some(limit) if self.visits[limit.slot as usize] >= limit.times => {
                    target = limit.then;
                }
                Some(limit) => {
                    self.visits[limit.slot as usize] += 1;
                    break;
                }
                None => break,
            }
        }
        *self.at = target;
    }
}

fn check_fact(
    data: &TreeData,
    at: NodeIndex,
    slot: FactSlot,
    value: &Value,
) -> Result<Stored, SessionError> {
    let decl = &data.facts[usize::from(slot)];
    decl.ty.store(value).ok_or_else(|| SessionError::WrongType {
        target: format!(
            "fact \"{}\" (asked at node \"{}\")",
            decl.name, data.graph[at].id
        ),
        expected: expected(&decl.ty),
        got: show(value),
    })
}

fn no_such_answer(node: &str, index: usize, offers: &[Offer]) -> SessionError {
    SessionError::NoSuchAnswer {
        node: node.to_owned(),
        index,
        count: offers.len(),
    }
}

fn not_offered(node: &str, value: &Value, offers: &[Offer]) -> SessionError {
    SessionError::NotOffered {
        node: node.to_owned(),
        value: value.to_string(),
        accepted: offers
            .iter()
            .map(|o| o.value.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn corrupt(reason: String) -> SessionError {
    SessionError::Corrupt { reason }
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

/// Same tree: rebuild the session from its start, initial facts and given answers,
/// and require the result to be exactly what was saved. Every field of a save is thus
/// checked against the tree: a hand-edited node, count, fact or transcript line is
/// refused with the first field that disagrees.
fn restore(tree: &Tree, saved: &SavedSession) -> Result<Session, SessionError> {
    let session = rebuild(tree, saved).map_err(|e| match e {
        SessionError::Corrupt { .. } => e,
        other => corrupt(other.to_string()),
    })?;
    let again = session.save();
    if let Some(field) = first_difference(&again, saved) {
        return Err(corrupt(format!(
            "its {field} does not match what its own answers produce on this tree"
        )));
    }
    Ok(session)
}

/// Changed tree: replay the initial facts and the given answers; each must be asked at
/// the node it was recorded at, and the walk must stop where it stopped before.
fn replay(tree: &Tree, saved: &SavedSession) -> Result<Session, SessionError> {
    let session = rebuild(tree, saved).map_err(|e| match e {
        SessionError::Stale { .. } | SessionError::Corrupt { .. } => e,
        other => SessionError::Stale {
            reason: other.to_string(),
        },
    })?;
    let here = session.next().node().to_owned();
    if here != saved.node {
        return Err(SessionError::Stale {
            reason: format!(
                "the recorded answers now lead to node \"{here}\", not to node \"{}\" where the session stopped",
                saved.node
            ),
        });
    }
    Ok(session)
}

/// Starts a session as the saved one started and gives it the saved user answers, each
/// at the node it was recorded at.
fn rebuild(tree: &Tree, saved: &SavedSession) -> Result<Session, SessionError> {
    let mut builder = Session::builder(tree)
        .step_limit(saved.step_limit)
        .at(saved.start.clone());
    if tree.locale_index(&saved.locale).is_some() {
        builder = builder.locale(saved.locale.clone());
    }
    for (name, value) in &saved.initial {
        builder = builder.fact(name.clone(), value.clone());
    }
    let mut session = builder.start()?;
    for r in saved
        .transcript
        .iter()
        .filter(|r| r.origin == Origin::Given)
    {
        let here = session.next().node().to_owned();
        if here != r.node {
            return Err(SessionError::Stale {
                reason: format!(
                    "the answer recorded at node \"{}\" would now be asked at node \"{here}\"",
                    r.node
                ),
            });
        }
        let value = r
            .value
            .clone()
            .ok_or_else(|| corrupt(format!("the answer at node \"{}\" has no value", r.node)))?;
        session.answer(value)?;
    }
    Ok(session)
}

/// The name of the first field where two saves differ.
fn first_difference(a: &SavedSession, b: &SavedSession) -> Option<&'static str> {
    let fields: [(&'static str, bool); 11] = [
        ("format", a.format == b.format),
        ("tree version", a.tree_version == b.tree_version),
        ("locale", a.locale == b.locale),
        ("start node", a.start == b.start),
        ("current node", a.node == b.node),
        ("step count", a.steps == b.steps),
        ("step limit", a.step_limit == b.step_limit),
        ("initial facts", a.initial == b.initial),
        ("facts", a.facts == b.facts),
        ("pass counts (visits)", a.visits == b.visits),
        ("transcript", a.transcript == b.transcript),
    ];
    fields.iter().find(|(_, same)| !same).map(|(name, _)| *name)
}

/// A session saved by [`Session::save`]: plain data with node and fact names, readable
/// and serialisable with any serde format.
///
/// Numbers must come back bit for bit, or [`Session::resume`] refuses the save (a walk
/// may depend on an amount). RON does this; with `serde_json`, turn on its
/// `float_roundtrip` feature, as this crate's command line does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SavedSession {
    /// Saved-session format version.
    pub format: u32,
    /// The tree id.
    pub tree: String,
    /// The tree's `version` when saved (informational).
    pub tree_version: u32,
    /// The tree's fingerprint when saved, as 16 hex digits.
    pub fingerprint: String,
    /// The locale.
    pub locale: String,
    /// The node the walk started at.
    pub start: String,
    /// The current node.
    pub node: String,
    /// Moves made.
    pub steps: u32,
    /// The step bound.
    pub step_limit: u32,
    /// Facts supplied up front.
    pub initial: BTreeMap<String, Value>,
    /// Every known fact.
    pub facts: BTreeMap<String, Value>,
    /// Passes counted at limited nodes.
    pub visits: BTreeMap<String, u16>,
    /// The transcript.
    pub transcript: Vec<SavedRecord>,
}

/// One transcript line of a [`SavedSession`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SavedRecord {
    /// The node.
    pub node: String,
    /// The fact filled, if any.
    #[serde(default)]
    pub fact: Option<String>,
    /// The answer, if any.
    #[serde(default)]
    pub value: Option<Value>,
    /// The rule a `Decide` took (`None`: `otherwise`).
    #[serde(default)]
    pub rule: Option<u32>,
    /// Given by the user or filled automatically.
    pub origin: Origin,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("tree", &self.tree.id())
            .field("node", &&*self.tree.0.graph[self.at].id)
            .field("steps", &self.steps)
            .field("transcript", &self.transcript.len())
            .finish()
    }
}

impl PartialEq for Session {
    /// Two sessions are equal when they walk the same tree (by fingerprint) and hold the
    /// same state.
    fn eq(&self, other: &Self) -> bool {
        self.tree.fingerprint() == other.tree.fingerprint()
            && self.at == other.at
            && self.steps == other.steps
            && self.step_limit == other.step_limit
            && self.locale == other.locale
            && self.facts == other.facts
            && self.visits == other.visits
            && self.initial == other.initial
            && self.transcript == other.transcript
    }
}
