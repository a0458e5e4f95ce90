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

/// Reads a file of at most `limits.max_file_bytes`; a larger one is a finding, not a
/// read (a runaway file, or `/dev/zero`, must not be loaded into memory first).
pub(crate) fn read_file(
    path: &std::path::Path,
    limits: &Limits,
) -> Result<Result<Vec<u8>, crate::Finding>, crate::LoadError> {
    use std::io::Read;
    let io = |source| crate::LoadError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limits.max_file_bytes {
        let message = format!(
            "the file is larger than the limit of {} bytes; a troubleshooting tree is far smaller (is this the right file?)",
            limits.max_file_bytes
        );
        let name = path.display().to_string();
        return Ok(Err(crate::Finding::new(
            crate::Code::LimitExceeded,
            &name,
            crate::Position::START,
            message,
            None,
        )));
    }
    Ok(Ok(bytes))
}
