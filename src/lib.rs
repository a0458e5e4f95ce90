//! `troubletree` walks troubleshooting decision trees written in RON.
//!
//! Customer-service flows (a recharge that failed, a payment declined, a bank card that
//! will not unbind...) are written by support staff as decision graphs in RON files. This
//! crate checks them before they ship, and walks them one step at a time: each step is a
//! question for the user, an instruction to try, a solution, or an escalation to customer
//! service that carries everything the agent needs.
//!
//! ```
//! use troubletree::{Session, Step, Tree};
//!
//! let tree = Tree::from_path("trees/recharge_failure.ron")?;
//! let mut session = Session::builder(&tree)
//!     .locale("en")
//!     .fact("money_debited", false) // known up front: that question is skipped
//!     .start()?;
//! while let Step::Ask(question) | Step::Act(question) = session.current() {
//!     // A real host shows the question; here we take the last offered answer.
//!     let answer = question.answers().last().map(|a| a.value.clone());
//!     match answer {
//!         Some(value) => session.answer(value)?,
//!         None => session.answer(0.0)?, // a number question
//!     };
//! }
//! assert!(session.current().is_end());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The pipeline
//!
//! RON text is parsed into plain serde structs, compiled into a [`Tree`] (every id
//! resolved, every value typed, the graph analysed), and walked by a [`Session`]:
//!
//! - **Format**: `docs/FORMAT.md` documents every field and node kind, with a commented
//!   example, and every finding code with a broken example.
//! - **Loading and validation**: [`Tree::from_str`], [`Tree::from_path`],
//!   [`Catalogue::from_dir`], or a [`Loader`] with other [`Limits`]: [`Loader::tree`]
//!   and [`Loader::check`] return a [`Report`] of every [`Finding`], each with a stable
//!   [`Code`], a [`Severity`], file, line, column and node. A `Tree` exists only if its
//!   file had no error.
//! - **Walking**: [`Session`] over a `Tree` or a [`Catalogue`] (a journey follows `Goto`
//!   links by tree id): `current`, `answer`, `choose`, `back`, `transcript`, `save`,
//!   `Resume`, `ticket`. A failed call leaves the session unchanged.
//! - **Analytics**: a [`Recorder`] turns a session's changes into [`Event`]s;
//!   [`analysis`] reads them back (stats, paths, pictures).
//! - **Sharing**: `Tree` is an `Arc` inside, immutable, `Send + Sync`; sessions are small
//!   and independent.
//!
//! Conditions in trees are data (`Eq`, `Lt`, `All`...), never code: a tree from an
//! untrusted editor cannot run anything.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::unwrap_used)]

pub mod analysis;
mod catalogue;
mod compile;
mod diagnostic;
pub mod directory;
mod error;
pub mod event;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals;
mod limits;
mod loader;
mod model;
mod report;
pub mod scenario;
mod session;
mod source;
pub mod text;
pub mod ticket;
mod tree;
mod value;

pub use catalogue::Catalogue;
pub use diagnostic::{Code, Finding, Severity};
pub use directory::Directory;
pub use error::LoadError;
pub use event::{Event, Recorder};
pub use limits::Limits;
pub use loader::Loader;
pub use model::FORMAT_VERSION;
pub use report::Report;
pub use session::{
    Answer, AnswerError, AnswerKind, DEFAULT_STEP_LIMIT, Decision, Escalation, Explained, Jump,
    Origin, Place, Question, Record, Replay, Resolution, Resume, ResumeError, Resumed,
    SAVED_FORMAT, SavedSession, Session, SessionBuilder, StartError, Step,
};
pub use source::Position;
pub use ticket::Ticket;
pub use tree::{Channel, Edge, EdgeLabel, Fact, FactId, FactType, Priority, ResolutionKind, Tree};
pub use value::{FactValue, Value};

/// The README's Rust examples, compiled as doc tests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
