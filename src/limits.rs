//! Bounds on what the loader accepts. Trees come from editors, chat windows and other
//! tools; these limits turn absurd input into a clear finding (E016) instead of time and
//! memory spent on it. Every default is far above what a real troubleshooting flow needs.

/// What the loader accepts. `Limits::default()` is what every loading function uses;
/// a [`Loader`](crate::Loader) takes others.
///
/// ```
/// let strict = troubletree::Limits::default().max_answers(2);
/// let text = r#"Tree(id: "t", start: "q", nodes: [
///     Ask(id: "q", text: "Which?", answers: [
///         Answer(value: "a", text: "A", next: "end"),
///         Answer(value: "b", text: "B", next: "end"),
///         Answer(value: "c", text: "C", next: "end"),
///     ]),
///     Resolve(id: "end", text: "Done."),
/// ])"#;
/// let report = troubletree::Loader::new().limits(strict.clone()).tree("t.ron", text);
/// assert_eq!(report.findings[0].code, troubletree::Code::LimitExceeded);
/// ```
///
/// The struct is `#[non_exhaustive]`: start from [`Limits::default`] (or
/// [`Limits::unlimited`]) and change bounds with the methods of the same name, so that a
/// bound added in a later version keeps its default. The fields can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest file read, in bytes (16 MiB): a tree of tens of thousands of nodes. Text
    /// handed over directly as a string is the host's to bound.
    pub max_file_bytes: u64,
    /// Longest id, tree id, fact name, locale or string value (a `Choice` value, an
    /// answer's value, a value in a condition), in characters (256).
    pub max_id_chars: usize,
    /// Longest single text, in characters (20 000).
    pub max_text_chars: usize,
    /// Most answers one question may offer (1 000).
    pub max_answers: usize,
    /// Most values a `Choice` fact may list (1 000). Whatever this says, a `Choice` never
    /// has more than 65 536 values: the walker keeps a choice as a 16-bit index.
    pub max_choices: usize,
    /// Most rules one `Decide` may hold (1 000).
    pub max_rules: usize,
    /// How deeply conditions may nest, counting each `All`, `Any` and `Not` as one level
    /// (16). The parser's nesting bound refuses conditions deeper than about 28 levels of
    /// `All`/`Any` whatever this says.
    pub max_condition_depth: usize,
    /// Most locales a tree may declare (32): every text is kept once per locale.
    pub max_locales: usize,
    /// The most moves a walk through one tree may take (10 000, the walker's default
    /// step bound [`crate::DEFAULT_STEP_LIMIT`]): a tree whose longest walk could take
    /// more is refused, so that a tree that checks never meets the walker's bound. The
    /// longest walk is bounded from above from the loops and their limits (see
    /// `docs/FORMAT.md`, section 9).
    pub max_walk_steps: u64,
    /// Hold ids, tree ids, fact names, locales and `Goto` targets to the identifier
    /// alphabet (ASCII letters, digits, `_`, `-`, `.`), and refuse control characters,
    /// bidirectional overrides, zero-width characters and line separators in string
    /// values (true).
    pub plain_ids: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 16 * 1024 * 1024,
            max_id_chars: 256,
            max_text_chars: 20_000,
            max_answers: 1_000,
            max_choices: 1_000,
            max_rules: 1_000,
            max_condition_depth: 16,
            max_locales: 32,
            max_walk_steps: u64::from(crate::DEFAULT_STEP_LIMIT),
            plain_ids: true,
        }
    }
}

macro_rules! setters {
    ($( $(#[$doc:meta])* $field:ident: $ty:ty; )*) => {
        impl Limits {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $field(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

setters! {
    /// Sets [`Limits::max_file_bytes`](#structfield.max_file_bytes).
    max_file_bytes: u64;
    /// Sets [`Limits::max_id_chars`](#structfield.max_id_chars).
    max_id_chars: usize;
    /// Sets [`Limits::max_text_chars`](#structfield.max_text_chars).
    max_text_chars: usize;
    /// Sets [`Limits::max_answers`](#structfield.max_answers).
    max_answers: usize;
    /// Sets [`Limits::max_choices`](#structfield.max_choices).
    max_choices: usize;
    /// Sets [`Limits::max_rules`](#structfield.max_rules).
    max_rules: usize;
    /// Sets [`Limits::max_condition_depth`](#structfield.max_condition_depth).
    max_condition_depth: usize;
    /// Sets [`Limits::max_locales`](#structfield.max_locales).
    max_locales: usize;
    /// Sets [`Limits::max_walk_steps`](#structfield.max_walk_steps).
    max_walk_steps: u64;
    /// Sets [`Limits::plain_ids`](#structfield.plain_ids).
    plain_ids: bool;
}

impl Limits {
    /// No limit at all, for generated benchmark trees and trusted tools. (The walker's
    /// own representation still bounds a `Choice` to 65 536 values.)
    pub fn unlimited() -> Self {
        Limits {
            max_file_bytes: u64::MAX,
            max_id_chars: usize::MAX,
            max_text_chars: usize::MAX,
            max_answers: usize::MAX,
            max_choices: usize::MAX,
            max_rules: usize::MAX,
            max_condition_depth: usize::MAX,
            max_locales: usize::MAX,
            max_walk_steps: u64::MAX,
            plain_ids: false,
        }
    }

    /// The most values a `Choice` may list under these limits: the walker stores a
    /// choice as a 16-bit index, whatever the limits say.
    pub(crate) fn choices(&self) -> usize {
        self.max_choices.min(CHOICE_CEILING)
    }
}

/// The most values any `Choice` may list: its values are stored as `u16` indices.
pub(crate) const CHOICE_CEILING: usize = 1 << 16;

/// Whether `c` belongs to the identifier alphabet: ASCII letters and digits, `_`, `-`
/// and `.`. (A node id can then never hold the `/` of a `tree/node` place.)
pub(crate) fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Characters a value may not hold and a message never quotes: control characters
/// (the newline included), and the invisible ones that change how the text around them
/// reads ([`crate::text::is_unprintable`]: bidirectional overrides, zero-width
/// characters, the line and paragraph separators...).
fn hidden(c: char) -> bool {
    c == '\n' || crate::text::is_unprintable(c)
}

/// Why a name is not acceptable as an id (a node id, tree id, fact name, locale or
/// `Goto` target), if it is not: too long, or holding a character outside the
/// identifier alphabet.
pub(crate) fn bad_name(name: &str, limits: &Limits) -> Option<String> {
    if let Some(why) = too_long(name, limits.max_id_chars) {
        return Some(why);
    }
    if limits.plain_ids
        && let Some(c) = name.chars().find(|&c| !id_char(c))
    {
        return Some(format!(
            "holds {}; ids may hold only ASCII letters, digits, `_`, `-` and `.`",
            char_shown(c)
        ));
    }
    None
}

/// Why a string value (a `Choice` value, an answer's value, a value in a condition) is
/// not acceptable, if it is not: too long, or holding a control or invisible character.
pub(crate) fn bad_value(value: &str, limits: &Limits) -> Option<String> {
    if let Some(why) = too_long(value, limits.max_id_chars) {
        return Some(why);
    }
    if limits.plain_ids
        && let Some(c) = value.chars().find(|&c| hidden(c))
    {
        return Some(format!(
            "holds {}; values may not hold control characters, bidirectional overrides, zero-width characters or line separators",
            char_shown(c)
        ));
    }
    None
}

fn too_long(text: &str, max: usize) -> Option<String> {
    // Bytes bound characters from above: count only when the bytes could exceed.
    if text.len() <= max {
        return None;
    }
    let chars = text.chars().take(max.saturating_add(1)).count();
    (chars > max).then(|| format!("is longer than {max} characters"))
}

/// A character as a message shows it: `"é"`, or its code (`U+001B`) when it is not
/// printable or is invisible.
fn char_shown(c: char) -> String {
    if hidden(c) || c.is_whitespace() {
        format!("the character U+{:04X}", u32::from(c))
    } else {
        format!("the character \"{c}\"")
    }
}

/// At most this many characters of a string from the tree are quoted in a message.
pub(crate) const QUOTED_CHARS: usize = 64;

/// A string from the tree as a message quotes it: in double quotes, cut after
/// [`QUOTED_CHARS`] characters (with `…`), control and invisible characters replaced
/// by U+FFFD. However long the string, the quote is short, so messages stay bounded.
pub(crate) struct Quoted<'a>(pub &'a str);

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        f.write_char('"')?;
        Bare(self.0).fmt(f)?;
        f.write_char('"')
    }
}

/// [`Quoted`] without the quotes, for names that read better bare (`no en translation`).
pub(crate) struct Bare<'a>(pub &'a str);

impl std::fmt::Display for Bare<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(QUOTED_CHARS) {
            f.write_char(if hidden(c) { '\u{fffd}' } else { c })?;
        }
        if chars.next().is_some() {
            f.write_char('…')?;
        }
        Ok(())
    }
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
    /// let small = Limits::default().max_file_bytes(100);
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
