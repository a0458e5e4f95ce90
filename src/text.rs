//! Output hygiene. Text from a tree is data written by someone else: before it reaches a
//! terminal, control characters (ESC sequences that rewrite the screen, BEL, carriage
//! returns) are replaced.

/// `text` with every control character except the newline replaced by U+FFFD, safe to
/// print on a terminal.
///
/// ```
/// assert_eq!(troubletree::printable("a\u{1b}[2Jb\nc"), "a\u{fffd}[2Jb\nc");
/// ```
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}
