//! Output hygiene: text from trees is data, and must not drive the terminal.

use std::io::Write;

/// Replaces control characters (ESC, BEL, carriage return...) so that a hostile tree
/// cannot rewrite the screen; keeps newlines.
pub(crate) use troubletree::printable as clean;

/// Like [`clean`], and newlines too, for one-line output.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly.
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Serialises to pretty JSON. Serialising our own types cannot fail; if it ever did,
/// the error is reported rather than a panic.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<String, crate::Fail> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| crate::Fail::usage(format!("cannot write JSON: {e}")))
}
