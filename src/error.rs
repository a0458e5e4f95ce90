//! Errors returned by the library. Every one names what went wrong in words a support
//! writer can act on.

use std::path::PathBuf;

use crate::diagnostic::Finding;

/// A tree or catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The tree has errors. `findings` holds all of them, and the warnings too.
    #[error("{}", summary(findings))]
    Invalid {
        /// Every finding, in file order.
        findings: Vec<Finding>,
    },
}

fn summary(findings: &[Finding]) -> String {
    let errors: Vec<&Finding> = findings.iter().filter(|f| f.is_error()).collect();
    match errors.as_slice() {
        [] => "the tree was refused".to_owned(),
        [only] => only.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more errors)", rest.len()),
    }
}
