//! Bounds on what the loader accepts. Trees come from editors, chat windows and other
//! tools; these limits turn absurd input into a clear finding (E016) instead of time and
//! memory spent on it. Every default is far above what a real troubleshooting flow needs.

/// What the loader accepts. `Limits::default()` is what every loading function uses;
/// `check_str_with` and `check_paths_with` take others.
///
/// ```
/// let strict = troubletree::Limits { max_answers: 2, ..troubletree::Limits::default() };
/// let text = r#"Tree(id: "t", start: "q", nodes: [
///     Ask(id: "q", text: "Which?", answers: [
///         Answer(value: "a", text: "A", next: "end"),
///         Answer(value: "b", text: "B", next: "end"),
///         Answer(value: "c", text: "C", next: "end"),
///     ]),
///     Resolve(id: "end", text: "Done."),
/// ])"#;
/// let report = troubletree::check_str_with("t.ron", text, &strict);
/// assert_eq!(report.findings[0].code, troubletree::Code::LimitExceeded);
/// ```
/// Set fields with struct update syntax, `Limits { max_answers: 50, ..Limits::default() }`,
/// so that a new bound in a later version keeps its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read, in bytes (16 MiB): a tree of tens of thousands of nodes. Text
    /// handed over directly as a string is the host's to bound.
    pub max_file_bytes: u64,
    /// Longest id, fact name, locale or choice value, in characters (256).
    pub max_id_chars: usize,
    /// Longest single text, in characters (20 000).
    pub max_text_chars: usize,
    /// Most answers one question may offer (1 000).
    pub max_answers: usize,
    /// Most locales a tree may declare (32): every text is kept once per locale.
    pub max_locales: usize,
    /// Refuse control characters (NUL, ESC...) in ids, fact names and locales (true).
    pub plain_ids: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 16 * 1024 * 1024,
            max_id_chars: 256,
            max_text_chars: 20_000,
            max_answers: 1_000,
            max_locales: 32,
            plain_ids: true,
        }
    }
}

impl Limits {
    /// No limit at all, for generated benchmark trees and trusted tools.
    pub fn unlimited() -> Self {
        Limits {
            max_file_bytes: u64::MAX,
            max_id_chars: usize::MAX,
            max_text_chars: usize::MAX,
            max_answers: usize::MAX,
            max_locales: usize::MAX,
            plain_ids: false,
        }
    }
}

/// Why a name is not acceptable as an id, if it is not: too long, or holding control
/// characters (a NUL or an escape sequence in an id reaches logs and terminals).
pub(crate) fn bad_name(name: &str, limits: &Limits) -> Option<String> {
    if limits.plain_ids && name.chars().any(char::is_control) {
        return Some(
            "contains a control character (such as NUL or ESC); ids are plain text".into(),
        );
    }
    let chars = name
        .chars()
        .take(limits.max_id_chars.saturating_add(1))
        .count();
    (chars > limits.max_id_chars)
        .then(|| format!("is longer than {} characters", limits.max_id_chars))
}

/// The start of a refused name, printable, for a message.
pub(crate) fn shown(name: &str) -> String {
    crate::text::printable(&name.chars().take(40).collect::<String>()).replace('\n', "\u{fffd}")
}

impl Limits {
    /// Reads a whole file, bounded: the one way the library and the command line read a
    /// file (trees, the service directory, scenarios, saved sessions, imported charts).
    ///
    /// Only a regular file is opened (a symbolic link to one is followed): a directory, a
    /// named pipe (which would block until someone writes to it), a socket or a device
    /// (`/dev/zero` never ends) is refused before it is opened. A file larger than
    /// [`max_file_bytes`](Limits::max_file_bytes) is refused without being read, and at
    /// most that many bytes (plus one) are ever read, even from a file that grows while it
    /// is read.
    ///
    /// ```
    /// use troubletree::{Limits, LoadError};
    ///
    /// let small = Limits { max_file_bytes: 100, ..Limits::default() };
    /// assert!(matches!(small.read("trees/refund.ron"), Err(LoadError::TooLarge { limit: 100, .. })));
    /// assert!(matches!(small.read("trees"), Err(LoadError::NotAFile { .. })));
    /// assert!(Limits::default().read("trees/refund.ron")?.starts_with(b"//"));
    /// # Ok::<(), LoadError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`LoadError::NotAFile`](crate::LoadError::NotAFile) for anything but a regular
    /// file, [`LoadError::TooLarge`](crate::LoadError::TooLarge) for a file over the
    /// limit, [`LoadError::Io`](crate::LoadError::Io) when the file cannot be opened or
    /// read.
    pub fn read(&self, path: impl AsRef<std::path::Path>) -> Result<Vec<u8>, crate::LoadError> {
        use std::io::Read;
        let path = path.as_ref();
        let io = |source| crate::LoadError::Io {
            path: path.to_owned(),
            source,
        };
        let not_a_file = || crate::LoadError::NotAFile {
            path: path.to_owned(),
        };
        let too_large = || crate::LoadError::TooLarge {
            path: path.to_owned(),
            limit: self.max_file_bytes,
        };
        // Looked at before opening: opening a named pipe blocks until a writer comes.
        let meta = std::fs::metadata(path).map_err(io)?;
        if !meta.is_file() {
            return Err(not_a_file());
        }
        if meta.len() > self.max_file_bytes {
            return Err(too_large());
        }
        let file = std::fs::File::open(path).map_err(io)?;
        // And again on what was opened, in case the path changed in between.
        if !file.metadata().map_err(io)?.is_file() {
            return Err(not_a_file());
        }
        let expected = usize::try_from(meta.len()).unwrap_or(usize::MAX);
        let mut bytes = Vec::with_capacity(expected.saturating_add(1).min(1 << 20));
        file.take(self.max_file_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > self.max_file_bytes {
            return Err(too_large());
        }
        Ok(bytes)
    }
}

/// [`Limits::read`] for a text file: invalid UTF-8 is an I/O error of kind `InvalidData`.
pub(crate) fn read_text(
    path: &std::path::Path,
    limits: &Limits,
) -> Result<String, crate::LoadError> {
    let bytes = limits.read(path)?;
    String::from_utf8(bytes).map_err(|e| crate::LoadError::Io {
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
    })
}

/// [`Limits::read`] for a tree: a file over the size limit is a finding (E016), so that
/// `check` reports it beside the other files' findings, not an error that stops it.
pub(crate) fn read_file(
    path: &std::path::Path,
    limits: &Limits,
) -> Result<Result<Vec<u8>, crate::Finding>, crate::LoadError> {
    match limits.read(path) {
        Ok(bytes) => Ok(Ok(bytes)),
        Err(crate::LoadError::TooLarge { limit, .. }) => {
            let message = format!(
                "the file is larger than the limit of {limit} bytes; a troubleshooting tree is far smaller (is this the right file?)"
            );
            let name = path.display().to_string();
            Ok(Err(crate::Finding::new(
                crate::Code::LimitExceeded,
                &name,
                crate::Position::START,
                message,
                None,
            )))
        }
        Err(other) => Err(other),
    }
}
