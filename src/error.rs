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
    /// The path names something other than a regular file (a directory where a file was
    /// expected, a named pipe, a socket, a device such as `/dev/zero`): it is never opened,
    /// because reading it could block for ever or never end.
    #[error("cannot read {}: not a regular file (a directory, a pipe or a device); give the path of a file", path.display())]
    NotAFile {
        /// The path as given.
        path: PathBuf,
    },
    /// The file is larger than [`Limits::max_file_bytes`](crate::Limits::max_file_bytes):
    /// it is not read (a runaway file must not be loaded into memory first).
    #[error("cannot read {}: the file is larger than the limit of {limit} bytes (is this the right file?)", path.display())]
    TooLarge {
        /// The path as given.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
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
