//! The one way to load: trees, catalogues, the service directory and scenario files,
//! every file read through the same [`Limits`].

use std::path::Path;

use crate::catalogue::Catalogue;
use crate::directory::Directory;
use crate::error::LoadError;
use crate::limits::Limits;
use crate::report::Report;
use crate::scenario::ScenarioReport;
use crate::tree::Tree;

/// Loads and checks what troubletree reads, under one set of [`Limits`]: every file
/// goes through the same bounded reader, and every check returns every finding.
///
/// `Tree::from_str`, `Tree::from_path`, `Catalogue::from_dir`, `Catalogue::from_texts`
/// and `Directory::from_path` are shortcuts for `Loader::new()`.
///
/// ```
/// use troubletree::{Limits, Loader};
/// let loader = Loader::new().limits(Limits::default().max_answers(50));
/// let report = loader.check(&["trees"])?;          // what `troubletree check` runs
/// assert!(!report.has_errors());
/// let catalogue = report.into_result()?;
/// let scenarios = loader.scenarios(&catalogue, &["tests/scenarios"])?;
/// assert_eq!(scenarios.failed(), 0);
/// # Ok::<(), troubletree::LoadError>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Loader {
    limits: Limits,
}

impl Loader {
    /// A loader with the default [`Limits`].
    pub fn new() -> Loader {
        Loader::default()
    }

    /// Other limits (a larger file size, say).
    pub fn limits(mut self, limits: Limits) -> Loader {
        self.limits = limits;
        self
    }

    /// Checks one tree given as text; `name` is used in findings (a path, or
    /// `<string>`). This is the whole validator: parse, resolve, type-check, analyse
    /// the graph. It never panics, whatever the text, and its time and memory are
    /// linear in the size of the text.
    pub fn tree(&self, name: &str, text: &str) -> Report<Tree> {
        crate::compile::check_str_with(name, text, &self.limits)
    }

    /// Reads and checks one tree file; findings name the file as given.
    ///
    /// # Errors
    ///
    /// As [`Limits::read`] when the file cannot be read (missing, not a regular file);
    /// [`LoadError::Invalid`] with every finding when the tree has an error (a file over
    /// the size limit is one E016).
    pub fn tree_file(&self, path: impl AsRef<Path>) -> Result<Tree, LoadError> {
        crate::compile::load_file(path.as_ref(), &self.limits)
    }

    /// Reads files and directories (searched recursively for `*.ron`) and checks them
    /// as one catalogue: each tree on its own, a service directory among them, then the
    /// links between the trees. This is what `troubletree check` runs.
    ///
    /// # Errors
    ///
    /// [`LoadError`] when a path cannot be read; problems in the files themselves are
    /// findings in the report.
    pub fn check<P: AsRef<Path>>(&self, paths: &[P]) -> Result<Report<Catalogue>, LoadError> {
        crate::catalogue::check_paths_with(paths, &self.limits)
    }

    /// [`Loader::check`], then the catalogue, or every finding as an error.
    ///
    /// # Errors
    ///
    /// [`LoadError`] when a path cannot be read, [`LoadError::Invalid`] when any file has
    /// an error.
    pub fn catalogue<P: AsRef<Path>>(&self, paths: &[P]) -> Result<Catalogue, LoadError> {
        self.check(paths)?.into_result()
    }

    /// Checks trees (and at most one service directory) given as text, `(name, text)`,
    /// as one catalogue.
    pub fn texts(&self, texts: &[(&str, &str)]) -> Report<Catalogue> {
        crate::catalogue::check_named(texts, &self.limits)
    }

    /// Checks a service directory given as text.
    pub fn directory(&self, name: &str, text: &str) -> Report<Directory> {
        let (loaded, findings) = Directory::check_text(name, text);
        Report::new(loaded, findings)
    }

    /// Reads and checks a service directory file.
    ///
    /// # Errors
    ///
    /// As [`Limits::read`] when the file cannot be read; [`LoadError::Invalid`] with
    /// every finding.
    pub fn directory_file(&self, path: impl AsRef<Path>) -> Result<Directory, LoadError> {
        let path = path.as_ref();
        let text = crate::limits::read_text(path, &self.limits)?;
        self.directory(&path.display().to_string(), &text)
            .into_result()
    }

    /// Runs every scenario file under `paths` (files, or directories searched for
    /// `*.ron`) against the catalogue, with node and edge coverage per tree.
    ///
    /// # Errors
    ///
    /// [`LoadError`] when a path cannot be read; [`LoadError::Invalid`] when a scenario
    /// file is not valid RON of the scenario shape, or names a tree the catalogue does
    /// not hold (findings with file, line and column).
    pub fn scenarios<P: AsRef<Path>>(
        &self,
        catalogue: &Catalogue,
        paths: &[P],
    ) -> Result<ScenarioReport, LoadError> {
        crate::scenario::run(catalogue, paths, &self.limits)
    }
}
