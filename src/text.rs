//! Output hygiene. Text from a tree is data written by someone else: before it reaches a
//! terminal, a log or a JSON document, characters that could drive the terminal or make
//! the text read differently from what it is are neutralised. One predicate,
//! [`is_unprintable`], says which; every printer of the workspace uses it (the terminal
//! through [`printable`], the DOT and Mermaid exports, the command line's JSON writer).

/// `text` with every [unprintable](is_unprintable) character replaced by U+FFFD, safe
/// to print on a terminal. Newlines are kept.
///
/// ```
/// assert_eq!(troubletree::text::printable("a\u{1b}[2Jb\nc"), "a\u{fffd}[2Jb\nc");
/// // A right-to-left override would make "exe.txt" read as "txt.exe".
/// assert_eq!(troubletree::text::printable("a\u{202e}txt.exe"), "a\u{fffd}txt.exe");
/// ```
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if is_unprintable(c) { '\u{fffd}' } else { c })
        .collect()
}

/// Whether `c` must not reach a terminal, a log or a JSON document raw. These are:
///
/// - control characters (C0 but the newline, DEL, and the C1 range U+0080–U+009F, whose
///   U+009B is a one-character CSI on some terminals): they move the cursor, rewrite the
///   screen or the window title, ring the bell;
/// - format characters (Unicode category Cf): bidirectional overrides, embeddings,
///   isolates and marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), which
///   make text read differently from what it is; zero-width spaces and joiners
///   (U+200B–U+200D, U+2060–U+2064, U+FEFF), which make two different ids look the
///   same; the soft hyphen, interlinear annotations, tag characters and the like;
/// - the line and paragraph separators U+2028 and U+2029, which some readers take as a
///   line break and JavaScript once took as the end of a string.
///
/// The newline is not in the list: callers that print one line replace it themselves.
///
/// ```
/// use troubletree::text::is_unprintable;
/// assert!(is_unprintable('\u{1b}') && is_unprintable('\u{9b}') && is_unprintable('\u{7f}'));
/// assert!(is_unprintable('\u{202e}') && is_unprintable('\u{200b}') && is_unprintable('\u{2028}'));
/// assert!(!is_unprintable('\n') && !is_unprintable('a') && !is_unprintable('充'));
/// ```
pub fn is_unprintable(c: char) -> bool {
    match c {
        '\n' | ' '..='~' => false,
        // C0 (but the newline), DEL and C1: Unicode's Cc.
        '\0'..='\u{9f}' => true,
        '\u{2028}' | '\u{2029}' => true,
        c => is_format(c),
    }
}

/// Unicode's general category Cf (format characters), as of Unicode 16.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{890}'..='\u{891}'
            | '\u{8e2}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_hostile_character_is_replaced() {
        let hostile = [
            '\0',
            '\u{7}',
            '\u{8}',
            '\t',
            '\r',
            '\u{1b}',
            '\u{7f}',
            '\u{80}',
            '\u{85}',
            '\u{9b}',
            '\u{9f}',
            '\u{ad}',
            '\u{61c}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}',
            '\u{2028}',
            '\u{2029}',
            '\u{202a}',
            '\u{202e}',
            '\u{2060}',
            '\u{2066}',
            '\u{2069}',
            '\u{feff}',
            '\u{fff9}',
            '\u{e0001}',
            '\u{e007f}',
        ];
        for c in hostile {
            assert!(is_unprintable(c), "{c:?}");
            assert_eq!(printable(&format!("a{c}b")), "a\u{fffd}b", "{c:?}");
        }
    }

    #[test]
    fn ordinary_text_is_kept() {
        let text = "充值失败？ Recharge failed — “quoted” ½ € 👨\n";
        assert_eq!(printable(text), text);
        assert!(!is_unprintable('\u{fffd}'));
        assert!(
            !is_unprintable('\u{a0}'),
            "a no-break space is a space, not a format"
        );
    }
}
