//! What a session shows: the current step, and the places and records of its journey.

use std::fmt;

use crate::Value;
use crate::tree::{Channel, Offer, Priority, ResolutionKind, Text};

/// What the session needs next, or how it ended.
///
/// A `Step` borrows the session; answering ([`crate::Session::answer`]) does not, so a
/// host reads the step, lets it go, and answers with an owned value or an index.
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
    /// The walk reached a `Goto` into a tree the session's catalogue does not hold (a
    /// tree walked alone). Within a catalogue, `Goto` links are followed silently.
    Goto(Jump<'a>),
}

impl<'a> Step<'a> {
    /// The id of the node this step is at.
    pub fn node(&self) -> &'a str {
        self.place().node
    }

    /// The tree and node this step is at.
    pub fn place(&self) -> Place<'a> {
        match self {
            Step::Ask(q) | Step::Act(q) => Place {
                tree: q.tree,
                node: q.node,
            },
            Step::Resolved(r) => Place {
                tree: r.tree,
                node: r.node,
            },
            Step::Escalated(e) => Place {
                tree: e.tree,
                node: e.node,
            },
            Step::Goto(j) => Place {
                tree: j.from,
                node: j.node,
            },
        }
    }

    /// Whether the walk has ended here (resolved, escalated, or left the catalogue).
    pub fn is_end(&self) -> bool {
        matches!(self, Step::Resolved(_) | Step::Escalated(_) | Step::Goto(_))
    }
}

/// A node of a tree: where a journey is, or was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Place<'a> {
    /// The tree's id.
    pub tree: &'a str,
    /// The node's id.
    pub node: &'a str,
}

/// `tree/node` (node ids cannot hold a `/`).
impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.tree, self.node)
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
    /// The tree asking.
    pub tree: &'a str,
    /// The node asking (for a fact a `Decide` needs, the `Decide` node).
    pub node: &'a str,
    /// The fact the answer fills, if any.
    pub fact: Option<&'a str>,
    /// What kind of answer is accepted.
    pub kind: AnswerKind,
    /// The question or instruction, in the session's locale.
    pub text: &'a str,
    pub(crate) offers: &'a [Offer],
    pub(crate) locale: usize,
}

impl<'a> Question<'a> {
    /// The tree and node asking.
    pub fn place(&self) -> Place<'a> {
        Place {
            tree: self.tree,
            node: self.node,
        }
    }

    /// The offered answers, in order (empty for `Number` and `Text`). Answer with the
    /// value ([`crate::Session::answer`]) or the position ([`crate::Session::choose`]).
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
    /// The value to pass to [`crate::Session::answer`].
    pub value: &'a Value,
    /// The label in the session's locale.
    pub text: &'a str,
}

/// The end of a walk with a solution.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Resolution<'a> {
    /// The tree.
    pub tree: &'a str,
    /// The `Resolve` node.
    pub node: &'a str,
    /// The solution, in the session's locale.
    pub text: &'a str,
    /// Fixed, informed or waiting (the `Resolve` node's `kind`).
    pub kind: ResolutionKind,
}

/// The end of a walk with a hand-over to customer service.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Escalation<'a> {
    /// The tree.
    pub tree: &'a str,
    /// The `Escalate` node.
    pub node: &'a str,
    /// Why the user needs an agent, in the session's locale.
    pub reason: &'a str,
    /// How urgent it is.
    pub priority: Priority,
    /// The channel the tree suggests, if it names one.
    pub channel: Option<Channel>,
    /// The note for the agent who takes the case (the `Escalate`'s `agent`), in the
    /// session's locale, if the tree writes one.
    pub agent: Option<&'a str>,
    pub(crate) prepare: &'a [Text],
    pub(crate) locale: usize,
}

impl<'a> Escalation<'a> {
    /// What the user should have ready, in the session's locale.
    pub fn prepare(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let locale = self.locale;
        self.prepare.iter().map(move |t| t.get(locale))
    }
}

/// A `Goto` into a tree the session's catalogue does not hold.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Jump<'a> {
    /// The tree the `Goto` is in.
    pub from: &'a str,
    /// The `Goto` node.
    pub node: &'a str,
    /// The tree it names.
    pub tree: &'a str,
    /// The node it names (that tree's start when `None`).
    pub target: Option<&'a str>,
}

/// Who supplied an answer or a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Origin {
    /// The user answered.
    Given,
    /// The walker answered from a known fact, decided from facts, or followed a `Goto`.
    Auto,
}

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Record<'a> {
    /// The tree the node belongs to.
    pub tree: &'a str,
    /// The node passed.
    pub node: &'a str,
    /// The fact the answer filled, if any.
    pub fact: Option<&'a str>,
    /// The answer (`None` for a `Decide`, which records the rule instead, and for a
    /// `Goto`).
    pub value: Option<Value>,
    /// For a `Decide`: the index of the rule taken, `None` for `otherwise`.
    pub rule: Option<usize>,
    /// For a `Goto`: where the journey went on.
    pub jump: Option<Place<'a>>,
    /// Whether the user gave the answer or the walker filled it in.
    pub origin: Origin,
}

impl<'a> Record<'a> {
    /// The tree and node of this line.
    pub fn place(&self) -> Place<'a> {
        Place {
            tree: self.tree,
            node: self.node,
        }
    }
}
