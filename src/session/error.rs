//! Why a session call failed, split by operation: starting, answering (and going back),
//! resuming. Every variant carries its data as fields, so that a host can match on it
//! and write its own message in the user's language; `Display` gives an English one for
//! logs and tools. A failed call leaves the session exactly as it was.

use std::fmt;

use crate::Value;
use crate::tree::FactType;

/// Why a session could not start ([`crate::SessionBuilder::start`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The catalogue has no tree with this id, or the builder was not told which of
    /// several trees to start in.
    #[error("there is no tree \"{tree}\" to start in (known: {})", list(known))]
    UnknownTree {
        /// The id asked for (empty when none was given).
        tree: String,
        /// The catalogue's trees.
        known: Vec<String>,
    },
    /// No tree of the catalogue declares a fact of this name.
    #[error("no tree declares a fact \"{fact}\" (declared: {})", list(declared))]
    UnknownFact {
        /// The name given.
        fact: String,
        /// The facts the catalogue's trees declare.
        declared: Vec<String>,
    },
    /// A [`crate::FactId`] looked up in a tree this session's catalogue does not hold
    /// (another tree, or another version of the same one): look the fact up again in
    /// the tree the session walks.
    #[error(
        "the fact was looked up in a tree (fingerprint {fingerprint}) that this session does not walk (its trees: {}); look it up again with Tree::fact",
        list(known)
    )]
    ForeignFact {
        /// The fingerprint of the tree the fact was looked up in, in hex.
        fingerprint: String,
        /// The ids of the trees the session walks.
        known: Vec<String>,
    },
    /// A fact value of the wrong type, or not among a `Choice` fact's values.
    #[error("fact \"{fact}\" of tree \"{tree}\" takes {}, not {}", expected_text(*expected, accepted), shown(value))]
    WrongType {
        /// The fact.
        fact: String,
        /// The tree that declares it so.
        tree: String,
        /// Its declared type.
        expected: FactType,
        /// For a `Choice` fact, its values.
        accepted: Vec<Value>,
        /// The value given.
        value: Value,
    },
    /// A number outside the range its fact declares (`min:` and `max:` in the tree).
    #[error(
        "fact \"{fact}\" of tree \"{tree}\" takes {}, not {value}",
        range_text(*min, *max)
    )]
    OutOfRange {
        /// The fact.
        fact: String,
        /// The tree that declares its range.
        tree: String,
        /// The smallest value it takes, if bounded below.
        min: Option<f64>,
        /// The largest value it takes, if bounded above.
        max: Option<f64>,
        /// The value given.
        value: f64,
    },
    /// The start tree declares no such locale.
    #[error(
        "tree \"{tree}\" has no locale \"{locale}\" (declared: {})",
        list(declared)
    )]
    UnknownLocale {
        /// The start tree.
        tree: String,
        /// The locale asked for.
        locale: String,
        /// Its declared locales.
        declared: Vec<String>,
    },
    /// The start tree has no node with this id.
    #[error("tree \"{tree}\" has no node \"{node}\"")]
    UnknownNode {
        /// The tree.
        tree: String,
        /// The id given.
        node: String,
    },
    /// The walk to the first stop is longer than the step bound.
    #[error("the walk to the first question would exceed the bound of {limit} steps")]
    StepLimit {
        /// The bound.
        limit: u32,
    },
}

/// Why an answer, a choice or `back` was refused. The session is unchanged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerError {
    /// An answer the current question does not offer.
    #[error(
        "{} is not an answer to node \"{node}\" (accepted: {})",
        shown(value),
        values(accepted)
    )]
    NotOffered {
        /// The node asking.
        node: String,
        /// The answer given.
        value: Value,
        /// The offered values, in order.
        accepted: Vec<Value>,
    },
    /// A value of the wrong type for a free-input question (or a `Decide`'s fact).
    #[error("node \"{node}\" asks for fact \"{fact}\", which takes {}, not {}", expected_text(*expected, &[]), shown(value))]
    WrongType {
        /// The node asking.
        node: String,
        /// The fact it fills.
        fact: String,
        /// The fact's type.
        expected: FactType,
        /// The value given.
        value: Value,
    },
    /// A number outside the range of the fact it fills (`min:` and `max:` in the tree).
    #[error(
        "node \"{node}\" asks for fact \"{fact}\", which takes {}, not {value}",
        range_text(*min, *max)
    )]
    OutOfRange {
        /// The node asking.
        node: String,
        /// The fact it fills.
        fact: String,
        /// The smallest value it takes, if bounded below.
        min: Option<f64>,
        /// The largest value it takes, if bounded above.
        max: Option<f64>,
        /// The value given.
        value: f64,
    },
    /// [`crate::Session::choose`] with a position past the offered answers.
    #[error("node \"{node}\" offers {count} answer(s); there is no answer number {}", index.saturating_add(1))]
    NoSuchAnswer {
        /// The node asking.
        node: String,
        /// The position given (from 0).
        index: usize,
        /// How many answers it offers.
        count: usize,
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
    /// `back` before any answer.
    #[error("there is no answer to take back")]
    NothingToUndo,
    /// [`crate::Session::set_locale`] with a locale the current tree does not declare.
    #[error(
        "tree \"{tree}\" has no locale \"{locale}\" (declared: {})",
        list(declared)
    )]
    UnknownLocale {
        /// The current tree.
        tree: String,
        /// The locale asked for.
        locale: String,
        /// Its declared locales.
        declared: Vec<String>,
    },
}

/// Why a saved session was refused ([`crate::Session::resume`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeError {
    /// The save was written in a format this version does not read.
    #[error("the save is in format {found}; this version reads format {expected}")]
    Format {
        /// The save's format.
        found: u32,
        /// The format read.
        expected: u32,
    },
    /// The save names a tree the catalogue does not hold.
    #[error("the save was made on tree \"{tree}\", which the catalogue does not hold")]
    UnknownTree {
        /// The tree.
        tree: String,
    },
    /// The save was damaged or edited: its checksum, or a field, disagrees with what its
    /// own answers produce on the unchanged trees.
    #[error("the save is damaged or was edited: {reason}")]
    Corrupt {
        /// What is wrong with it.
        reason: String,
    },
    /// The host facts recorded in the save are not the ones the host confirmed at
    /// resume (see [`crate::Resume::fact`] and [`crate::Resume::trust_saved_facts`]).
    #[error(
        "host fact \"{fact}\" is not the same in the save and in the facts the host confirmed when resuming"
    )]
    HostFact {
        /// The first unconfirmed fact.
        fact: String,
    },
    /// The save started somewhere other than its tree's start, and the host did not
    /// say so at resume (see [`crate::Resume::start_at`]).
    #[error("the save starts at node \"{node}\" of tree \"{tree}\", not at the tree's start")]
    Start {
        /// The tree.
        tree: String,
        /// The node the save claims it started at.
        node: String,
    },
    /// A tree changed since the save, and the recorded answers no longer lead through
    /// it to where the session stopped.
    #[error("the flow changed since this session was saved: {reason}")]
    Stale {
        /// What no longer fits.
        reason: String,
    },
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// At most this many values are listed in a message (the error's field has them all).
const LISTED: usize = 12;

fn values(items: &[Value]) -> String {
    if items.is_empty() {
        return "none".to_owned();
    }
    let mut out: Vec<String> = items.iter().take(LISTED).map(shown).collect();
    if items.len() > LISTED {
        out.push(format!("and {} more", items.len() - LISTED));
    }
    out.join(", ")
}

/// A value as a person would type it: text quoted (and cut after 60 characters),
/// numbers and booleans bare.
pub(crate) fn shown(value: &Value) -> String {
    match value {
        Value::Text(t) if t.chars().nth(60).is_some() => {
            format!("{:?}…", t.chars().take(60).collect::<String>())
        }
        Value::Text(t) => format!("{t:?}"),
        other => other.to_string(),
    }
}

/// "a number from 0 to 8760", "a number of at least 0", "a number of at most 10".
fn range_text(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(min), Some(max)) => format!("a number from {min} to {max}"),
        (Some(min), None) => format!("a number of at least {min}"),
        (None, Some(max)) => format!("a number of at most {max}"),
        (None, None) => "a number".to_owned(),
    }
}

fn expected_text(ty: FactType, accepted: &[Value]) -> String {
    match ty {
        FactType::Bool => "true or false".to_owned(),
        FactType::Number => "a number".to_owned(),
        FactType::Text => "text".to_owned(),
        FactType::Choice if accepted.is_empty() => "one of its choices".to_owned(),
        FactType::Choice => format!("one of {}", values(accepted)),
    }
}

impl fmt::Display for crate::session::Resumed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            crate::session::Resumed::Restored => "restored",
            crate::session::Resumed::Replayed => "replayed",
        })
    }
}
