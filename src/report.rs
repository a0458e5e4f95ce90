//! The outcome of checking something: what was loaded when nothing was wrong, and
//! every finding. One shape for a tree, a catalogue and a service directory.

use std::path::PathBuf;

use crate::diagnostic::Finding;
use crate::error::LoadError;

/// What a check found: the loaded value when no finding is an error, and every finding,
/// warnings included.
///
/// ```
/// let report = troubletree::Loader::new().tree("t.ron", r#"Tree(id: "t", start: "a", nodes: [
///     Resolve(id: "a", text: "Done."),
///     Resolve(id: "lost", text: "Never reached."),
/// ])"#);
/// assert!(report.loaded.is_some()); // warnings only
/// assert_eq!(report.findings[0].code, troubletree::Code::Unreachable);
/// assert_eq!(report.findings[0].node.as_deref(), Some("lost"));
/// # Ok::<(), troubletree::LoadError>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Report<T> {
    /// What was loaded: present exactly when no finding is an error.
    pub loaded: Option<T>,
    /// Every finding, in file order (grouped by file, in the order the files were read).
    pub findings: Vec<Finding>,
    /// The files that were read, in order (empty for text given directly).
    pub files: Vec<PathBuf>,
    /// The tree id as written, whenever a tree's text parsed (even with errors): the
    /// catalogue uses it so that a `Goto` into a tree refused for its own errors is not
    /// also reported as naming an unknown tree.
    pub(crate) id: Option<String>,
}

impl<T> Report<T> {
    pub(crate) fn new(loaded: Option<T>, findings: Vec<Finding>) -> Self {
        Report {
            loaded,
            findings,
            files: Vec::new(),
            id: None,
        }
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// What was loaded, or every finding as a [`LoadError::Invalid`].
    ///
    /// # Errors
    ///
    /// [`LoadError::Invalid`] when the report holds at least one error.
    pub fn into_result(self) -> Result<T, LoadError> {
        match self.loaded {
            Some(loaded) => Ok(loaded),
            None => Err(LoadError::Invalid {
                findings: self.findings,
            }),
        }
    }
}
