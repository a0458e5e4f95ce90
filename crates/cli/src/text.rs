//! Output hygiene: text from trees is data, and must not drive the terminal.
//!
//! Every byte the command line writes goes through [`fn@print`] or [`fn@eprint`] (clippy's
//! `disallowed-macros` in `clippy.toml` refuses `println!` and friends), and both pass it
//! through [`troubletree::text::printable`] once more. Call sites clean what they format, so
//! that messages read well; the last pass guarantees that nothing was forgotten.

use std::io::Write;

/// Replaces unprintable characters (ESC, BEL, carriage return, C1 controls, bidi
/// overrides, zero-width characters...) so that a hostile tree cannot rewrite the screen
/// or disguise text; keeps newlines.
pub(crate) use troubletree::text::printable as clean;

/// Like [`clean`], and newlines too, for one-line output.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '\n' || troubletree::text::is_unprintable(c) {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly.
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(safe(text).as_bytes());
    let _ = out.flush();
}

/// Writes one line to stderr.
pub(crate) fn eprint(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(safe(line).as_bytes());
    let _ = err.write_all(b"\n");
}

/// `text` if it is already clean (the usual case: no copy), else its [`clean`] copy.
fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(troubletree::text::is_unprintable) {
        std::borrow::Cow::Owned(clean(text))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Serialises to pretty JSON, every unprintable character escaped (see [`crate::json`]).
/// Serialising our own types cannot fail; if it ever did, the error is reported rather
/// than a panic.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<String, crate::Fail> {
    crate::json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| crate::Fail::usage(format!("cannot write JSON: {e}")))
}

/// An argument as a POSIX shell reads it back: as it is when it holds only safe
/// characters, otherwise in single quotes.
pub(crate) fn shell_word(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.,:/=+@%".contains(c));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_read_back_as_they_were() {
        assert_eq!(shell_word("node=yes"), "node=yes");
        assert_eq!(shell_word("q=\" padded \""), r#"'q=" padded "'"#);
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn one_line_replaces_newlines_and_hostile_characters() {
        assert_eq!(
            one_line("a\nb\u{202e}c\u{9b}"),
            "a\u{fffd}b\u{fffd}c\u{fffd}"
        );
    }
}
