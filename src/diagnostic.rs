//! Findings: what the validator reports, each with a stable code, a severity, a file
//! position and, where it applies, the node.
//!
//! The codes are a contract: CI configurations and editors match on them. Each one is
//! documented with a broken example in `docs/FORMAT.md` and has a fixture under
//! `tests/data/invalid/`.

use std::fmt;

use crate::source::{Position, Source};

/// How serious a finding is. Errors stop a tree from loading; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The tree loads and walks, but something is likely a mistake.
    Warning,
    /// The tree is refused.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $slug:literal, $severity:ident; )*) => {
        /// A stable identifier for each kind of finding.
        ///
        /// ```
        /// use troubletree::{Code, Severity};
        /// assert_eq!(Code::DanglingReference.as_str(), "E006");
        /// assert_eq!(Code::DanglingReference.slug(), "dangling-reference");
        /// assert_eq!(Code::Unreachable.severity(), Severity::Warning);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as printed: `E006`, `W001`...
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short kebab-case name for the code.
            pub fn slug(self) -> &'static str {
                match self { $(Code::$variant => $slug,)* }
            }

            /// Whether findings with this code are errors or warnings.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }
        }
    };
}

codes! {
    /// The text is not valid RON, or not the shape of a tree (unknown field, wrong type...).
    Syntax = "E001", "syntax", Error;
    /// The tree declares a `format` this crate does not read.
    UnsupportedFormat = "E002", "unsupported-format", Error;
    /// Two nodes share an id.
    DuplicateId = "E003", "duplicate-id", Error;
    /// Two facts share a name.
    DuplicateFact = "E004", "duplicate-fact", Error;
    /// `start` names no node.
    MissingStart = "E005", "missing-start", Error;
    /// A `next`, `solved`, `otherwise` or limit `then` names no node.
    DanglingReference = "E006", "dangling-reference", Error;
    /// A node or condition names a fact the tree does not declare.
    UnknownFact = "E007", "unknown-fact", Error;
    /// A `Goto` names a tree, or a node in it, that is not in the catalogue.
    UnknownTree = "E008", "unknown-tree", Error;
    /// From this node no `Resolve`, `Escalate` or `Goto` can be reached.
    NoExit = "E009", "no-exit", Error;
    /// A cycle that no node `limit` bounds: a walk could go round it for ever.
    UnboundedCycle = "E010", "unbounded-cycle", Error;
    /// An `Ask` offers the same answer value twice.
    DuplicateAnswer = "E011", "duplicate-answer", Error;
    /// A value does not fit the type of the fact it is compared with or stored in.
    TypeMismatch = "E012", "type-mismatch", Error;
    /// `Goto` links between trees form a loop.
    GotoCycle = "E013", "goto-cycle", Error;
    /// A definition is not usable as written (an `Ask` with no answers, a limit of zero...).
    InvalidDefinition = "E014", "invalid-definition", Error;
    /// Two files declare the same tree id.
    DuplicateTree = "E015", "duplicate-tree", Error;
    /// Input past a [`crate::Limits`] bound: a file too large, an id or text too long,
    /// too many answers or locales.
    LimitExceeded = "E016", "limit-exceeded", Error;
    /// A text names a value of the service directory (`{hotline.hours}`) that is not
    /// one, or that the catalogue's directory does not have.
    DirectoryValue = "E017", "directory-value", Error;
    /// No walk from `start` reaches this node.
    Unreachable = "W001", "unreachable", Warning;
    /// A question on a `Bool` or `Choice` fact offers no answer for some value.
    UncoveredAnswer = "W002", "uncovered-answer", Warning;
    /// A text lacks one of the tree's declared locales.
    MissingTranslation = "W003", "missing-translation", Warning;
    /// A text has a locale the tree does not declare.
    UnknownLocale = "W004", "unknown-locale", Warning;
    /// A fact a `Decide` compares has no `ask` text to ask for it with.
    MissingAsk = "W005", "missing-ask", Warning;
    /// A condition compares a `Number` fact with a constant outside the fact's range, so
    /// it gives the same answer for every value the fact can take.
    OutOfRange = "W006", "out-of-range", Warning;
    /// A Chinese text has half-width punctuation (`,:?;()`) between Chinese characters,
    /// where full-width (`，：？；（）`) belongs.
    HalfWidthPunctuation = "W007", "half-width-punctuation", Warning;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a tree file.
///
/// Its `Display` is the one-line form CI logs use:
/// `trees/x.ron:12:5: error[E006]: ...`.
///
/// ```
/// let text = r#"Tree(id: "t", start: "nowhere", nodes: [Resolve(id: "done", text: "ok")])"#;
/// let report = troubletree::Loader::new().tree("t.ron", text);
/// let finding = &report.findings[0];
/// assert_eq!(finding.code, troubletree::Code::MissingStart);
/// assert_eq!((finding.line, finding.column), (1, 22));
/// assert!(finding.to_string().starts_with("t.ron:1:22: error[E005]:"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// What kind of problem this is.
    pub code: Code,
    /// Error or warning (always `code.severity()`).
    pub severity: Severity,
    /// A sentence for the person who fixes the tree.
    pub message: String,
    /// The file, as it was named when loaded (`<string>` for text given directly).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// The id of the node the finding is about, if it is about one.
    pub node: Option<String>,
}

impl Finding {
    pub(crate) fn new(
        code: Code,
        file: &str,
        pos: Position,
        message: String,
        node: Option<String>,
    ) -> Self {
        Finding {
            code,
            severity: code.severity(),
            message,
            file: file.to_owned(),
            line: pos.line,
            column: pos.column,
            node,
        }
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}",
            self.file, self.line, self.column, self.severity, self.code, self.message
        )
    }
}

/// A finding before it has a position: the compiler names the value by path (see
/// [`At`]) and [`locate`] turns all paths into positions in one scan at the end.
#[derive(Debug)]
pub(crate) struct Pending {
    pub code: Code,
    pub path: String,
    pub message: String,
    pub node: Option<String>,
}

/// Turns pending findings into positioned ones with a single scan of the text, sorted by
/// position.
pub(crate) fn locate(source: &Source<'_>, pending: Vec<Pending>) -> Vec<Finding> {
    if pending.is_empty() {
        return Vec::new();
    }
    let paths: Vec<&str> = pending.iter().map(|p| p.path.as_str()).collect();
    let positions = source.locate(&paths);
    let mut findings: Vec<Finding> = pending
        .into_iter()
        .zip(positions)
        .map(|(p, pos)| Finding::new(p.code, source.name, pos, p.message, p.node))
        .collect();
    findings.sort_by_key(|f| (f.line, f.column, f.code));
    findings
}

/// Where a value sits in the file, as a path such as `nodes.3.answers.1.next`: what a
/// [`Pending`] finding names, and [`Source::locate`] turns into a position.
///
/// A path is a chain of segments on the stack; it becomes a string only when a finding
/// is reported, so that a clean tree builds none.
#[derive(Clone, Copy)]
pub(crate) struct At<'p> {
    parent: Option<&'p At<'p>>,
    segment: Segment<'p>,
}

#[derive(Clone, Copy)]
enum Segment<'p> {
    Name(&'p str),
    Index(usize),
}

impl<'p> At<'p> {
    /// A top-level field, such as `nodes`.
    pub fn root(name: &'p str) -> Self {
        At {
            parent: None,
            segment: Segment::Name(name),
        }
    }

    /// A named field (or map key) inside this value.
    pub fn name(&'p self, name: &'p str) -> At<'p> {
        At {
            parent: Some(self),
            segment: Segment::Name(name),
        }
    }

    /// An element of this list, or a positional field of this variant.
    pub fn index(&'p self, index: usize) -> At<'p> {
        At {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Iteratively: conditions may nest as deep as the parser allows.
        let mut segments = Vec::new();
        let mut at = Some(self);
        while let Some(here) = at {
            segments.push(here.segment);
            at = here.parent;
        }
        for (i, segment) in segments.iter().rev().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match segment {
                Segment::Name(name) => f.write_str(name)?,
                Segment::Index(index) => write!(f, "{index}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_as_written() {
        let nodes = At::root("nodes");
        let node = nodes.index(3);
        let answers = node.name("answers");
        assert_eq!(
            answers.index(1).name("next").to_string(),
            "nodes.3.answers.1.next"
        );
        assert_eq!(At::root("start").to_string(), "start");
    }
}
