//! The text of a file: its name, positions, and finding where a value was written.
//!
//! ron gives positions for syntax errors only; the structs it fills keep none. Semantic
//! findings therefore name the value they are about with a *path* such as
//! `nodes.3.answers.1.next`, and this module scans the text once to turn paths into
//! `line:column`. The scan runs only when there is something to report, so a clean tree
//! pays nothing for it. The same tokenizer computes the tree's fingerprint, which
//! ignores comments and layout.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

/// A 1-based line and column in a tree file. Columns count characters, as ron does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Line, starting at 1.
    pub line: u32,
    /// Column in characters, starting at 1.
    pub column: u32,
}

impl Position {
    /// The first character of a file.
    pub const START: Position = Position { line: 1, column: 1 };
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// ron's position of a syntax error, with the column counted as for every other
/// finding: the `\r` of a CRLF line end is not a character of the line (ron counts it,
/// which put errors at the end of a line one column too far right).
pub(crate) fn syntax_position(text: &str, line: usize, column: usize) -> Position {
    let (line, column) = (line.max(1), column.max(1));
    let returns = text.split('\n').nth(line - 1).map_or(0, |written| {
        written
            .chars()
            .take(column - 1)
            .filter(|&c| c == '\r')
            .count()
    });
    Position {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column - returns).unwrap_or(u32::MAX).max(1),
    }
}

/// A tree file's name (a path, or `<string>`) and text, with a UTF-8 byte order mark
/// removed.
#[derive(Debug, Clone)]
pub(crate) struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl<'a> Source<'a> {
    pub fn new(name: &'a str, text: &'a str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Source { name, text }
    }

    /// Positions for the given paths. A path that names nothing written (an optional
    /// field left out, say) falls back to its nearest written parent, and at worst to the
    /// start of the file, so every finding gets a line.
    pub fn locate(&self, paths: &[&str]) -> Vec<Position> {
        let mut wanted: HashSet<&str> = HashSet::new();
        for path in paths {
            let mut p: &str = path;
            loop {
                wanted.insert(p);
                match p.rfind('.') {
                    Some(dot) => p = &p[..dot],
                    None => break,
                }
            }
        }
        wanted.insert("");
        let mut locator = Locator {
            tokens: Tokens::tracked(self.text),
            peeked: Vec::new(),
            path: String::new(),
            wanted: &wanted,
            found: HashMap::new(),
        };
        locator.document();
        paths
            .iter()
            .map(|path| {
                let mut p: &str = path;
                loop {
                    if let Some(pos) = locator.found.get(p) {
                        return *pos;
                    }
                    match p.rfind('.') {
                        Some(dot) => p = &p[..dot],
                        None => return locator.found.get("").copied().unwrap_or(Position::START),
                    }
                }
            })
            .collect()
    }

    /// The name of the top-level struct (`Tree`, `Directory`...), skipping comments and
    /// inner attributes; `None` when the text does not start with a name.
    pub fn top_level_name(&self) -> Option<&'a str> {
        let mut tokens = Tokens::new(self.text);
        let mut depth = 0u32;
        while let Some(token) = tokens.next_token() {
            match token.kind {
                Kind::Punct('#' | '!') => {}
                Kind::Punct('[') => depth += 1,
                Kind::Punct(']') => depth = depth.saturating_sub(1),
                Kind::Ident if depth == 0 => return Some(token.raw),
                _ if depth > 0 => {}
                _ => return None,
            }
        }
        None
    }

    /// A 64-bit FNV-1a hash of the file's tokens, each followed by a 0xff byte:
    /// comments, whitespace and line ends do not change it; any change to an id, a text
    /// or the structure does. Saved sessions carry it, so the function never changes.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint_unless(&AtomicBool::new(false))
            .unwrap_or_default()
    }

    /// [`Source::fingerprint`], abandoned (`None`) soon after `stop` is set: the hash of
    /// a large file runs beside the checks, and is not needed when they fail.
    pub fn fingerprint_unless(&self, stop: &AtomicBool) -> Option<u64> {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut hash = OFFSET;
        let mut tokens = Tokens::new(self.text);
        let mut count = 0u32;
        while let Some(token) = tokens.next_token() {
            for &byte in token.raw.as_bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(PRIME);
            }
            hash = (hash ^ 0xff).wrapping_mul(PRIME);
            count = count.wrapping_add(1);
            if count % 65_536 == 0 && stop.load(Ordering::Relaxed) {
                return None;
            }
        }
        Some(hash)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    Str,
    Scalar,
    Punct(char),
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    raw: &'a str,
    pos: Position,
}

/// A forgiving RON tokenizer: it never fails, it only needs to agree with ron on text
/// that ron accepted.
///
/// It works on bytes (every byte that delimits a token is ASCII, and UTF-8 never reuses
/// ASCII bytes inside a character), decoding a character only where a non-ASCII one
/// may matter. Positions cost nothing unless asked for: with `track`, the line and
/// column of each token are counted from the end of the previous one.
struct Tokens<'a> {
    text: &'a str,
    at: usize,
    track: bool,
    /// Line and column of byte `counted`.
    line: u32,
    column: u32,
    counted: usize,
}

/// The index of the first byte equal to `a` or `b` in `bytes`, from `from` on. Eight
/// bytes at a time: strings are most of a tree file.
pub(crate) fn find2(bytes: &[u8], from: usize, a: u8, b: u8) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let (fill_a, fill_b) = (LOW * u64::from(a), LOW * u64::from(b));
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let (xa, xb) = (word ^ fill_a, word ^ fill_b);
        // A zero byte in `xa` or `xb` is a match; the lowest flagged byte is exact.
        let found = ((xa.wrapping_sub(LOW) & !xa) | (xb.wrapping_sub(LOW) & !xb)) & HIGH;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes
        .get(i..)?
        .iter()
        .position(|&c| c == a || c == b)
        .map(|p| i + p)
}

/// Whether the byte is an ASCII character that `char::is_whitespace` accepts.
fn ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

impl<'a> Tokens<'a> {
    /// Tokens without positions (each token's `pos` is the start of the file).
    fn new(text: &'a str) -> Self {
        Tokens {
            text,
            at: 0,
            track: false,
            line: 1,
            column: 1,
            counted: 0,
        }
    }

    /// Tokens with their positions.
    fn tracked(text: &'a str) -> Self {
        Tokens {
            track: true,
            ..Tokens::new(text)
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The character starting at byte `i` (a character boundary), if any.
    fn char_at(&self, i: usize) -> Option<char> {
        match self.bytes().get(i) {
            Some(&b) if b < 0x80 => Some(char::from(b)),
            Some(_) => self.text.get(i..).and_then(|rest| rest.chars().next()),
            None => None,
        }
    }

    /// Brings the line and column up to byte `to`, as the character-by-character
    /// tokenizer counted them: a line feed starts a new line, a carriage return does not
    /// move, every other character is one column.
    fn count_to(&mut self, to: usize) {
        for &b in &self.bytes()[self.counted..to] {
            if b == b'\n' {
                self.line = self.line.saturating_add(1);
                self.column = 1;
            } else if b != b'\r' && (b & 0xc0) != 0x80 {
                self.column = self.column.saturating_add(1);
            }
        }
        self.counted = to;
    }

    fn skip_trivia(&mut self) {
        let bytes = self.bytes();
        loop {
            match bytes.get(self.at) {
                Some(&b) if ascii_space(b) => self.at += 1,
                Some(b'/') if bytes.get(self.at + 1) == Some(&b'/') => {
                    // Up to and including the line feed.
                    self.at = bytes[self.at + 2..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(bytes.len(), |i| self.at + 2 + i + 1);
                }
                Some(b'/') if bytes.get(self.at + 1) == Some(&b'*') => {
                    let mut i = self.at + 2;
                    let mut depth = 1u32;
                    while depth > 0 {
                        match (bytes.get(i), bytes.get(i + 1)) {
                            (None, _) => {
                                self.at = bytes.len();
                                return;
                            }
                            (Some(b'*'), Some(b'/')) => {
                                i += 2;
                                depth -= 1;
                            }
                            (Some(b'/'), Some(b'*')) => {
                                i += 2;
                                depth = depth.saturating_add(1);
                            }
                            _ => i += 1,
                        }
                    }
                    self.at = i;
                }
                Some(&b) if b >= 0x80 => match self.char_at(self.at) {
                    Some(c) if c.is_whitespace() => self.at += c.len_utf8(),
                    _ => return,
                },
                _ => return,
            }
        }
    }

    /// The end of the run of characters from byte `i` that satisfy `keep`.
    fn run(&self, mut i: usize, keep: impl Fn(char) -> bool) -> usize {
        let bytes = self.bytes();
        // ASCII without decoding; a non-ASCII character goes the long way.
        while let Some(&b) = bytes.get(i) {
            if b >= 0x80 || !keep(char::from(b)) {
                break;
            }
            i += 1;
        }
        while let Some(c) = self.char_at(i) {
            if !keep(c) {
                break;
            }
            i += c.len_utf8();
        }
        i
    }

    fn next_token(&mut self) -> Option<Token<'a>> {
        self.skip_trivia();
        let start = self.at;
        let c = self.char_at(start)?;
        let pos = if self.track {
            self.count_to(start);
            Position {
                line: self.line,
                column: self.column,
            }
        } else {
            Position::START
        };
        let after = start + c.len_utf8();
        let (kind, end) = match c {
            '"' => (Kind::Str, self.quoted(after, b'"')),
            '\'' => (Kind::Scalar, self.quoted(after, b'\'')),
            'r' if matches!(self.bytes().get(after), Some(b'"' | b'#'))
                && let Some(end) = self.raw_string(after) =>
            {
                (Kind::Str, end)
            }
            'b' if self.bytes().get(after) == Some(&b'"') => {
                (Kind::Str, self.quoted(after + 1, b'"'))
            }
            c if c.is_alphabetic() || c == '_' => (
                Kind::Ident,
                self.run(after, |c| c.is_alphanumeric() || c == '_' || c == '#'),
            ),
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => (
                Kind::Scalar,
                self.run(after, |c| {
                    c.is_alphanumeric() || matches!(c, '_' | '.' | '+' | '-')
                }),
            ),
            c => (Kind::Punct(c), after),
        };
        self.at = end;
        Some(Token {
            kind,
            raw: &self.text[start..end],
            pos,
        })
    }

    /// The end of a quoted literal whose body starts at byte `i`, honouring backslash
    /// escapes (an escape takes the whole next character); the end of the text if it is
    /// not closed.
    fn quoted(&self, mut i: usize, close: u8) -> usize {
        let bytes = self.bytes();
        while let Some(j) = find2(bytes, i, b'\\', close) {
            if bytes[j] == close {
                return j + 1;
            }
            i = j + 1 + self.char_at(j + 1).map_or(0, char::len_utf8);
        }
        bytes.len()
    }

    /// The end of `#*"..."#*` starting at byte `i` (after an `r`), or `None` if this is an
    /// identifier such as `r#type`. An unclosed raw string runs to the end of the text.
    fn raw_string(&self, i: usize) -> Option<usize> {
        let bytes = self.bytes();
        let hashes = bytes[i..].iter().take_while(|&&b| b == b'#').count();
        let open = i + hashes;
        if bytes.get(open) != Some(&b'"') {
            return None;
        }
        let mut at = open + 1;
        while at < bytes.len() {
            if bytes[at] == b'"'
                && bytes.len() > at + hashes
                && bytes[at + 1..=at + hashes].iter().all(|&b| b == b'#')
            {
                return Some(at + 1 + hashes);
            }
            at += 1;
        }
        Some(bytes.len())
    }
}

/// Walks RON values and records the position of each path in `wanted`.
struct Locator<'a, 'w> {
    tokens: Tokens<'a>,
    peeked: Vec<Token<'a>>,
    path: String,
    wanted: &'w HashSet<&'w str>,
    found: HashMap<String, Position>,
}

/// Deeper than ron's own recursion limit allows: the locator only sees text ron parsed.
const MAX_DEPTH: u32 = 512;

impl<'a> Locator<'a, '_> {
    fn peek(&mut self, n: usize) -> Option<Token<'a>> {
        while self.peeked.len() <= n {
            let token = self.tokens.next_token()?;
            self.peeked.push(token);
        }
        self.peeked.get(n).copied()
    }

    fn next(&mut self) -> Option<Token<'a>> {
        if self.peeked.is_empty() {
            self.tokens.next_token()
        } else {
            Some(self.peeked.remove(0))
        }
    }

    fn is_punct(&mut self, n: usize, c: char) -> bool {
        matches!(self.peek(n), Some(Token { kind: Kind::Punct(p), .. }) if p == c)
    }

    fn document(&mut self) {
        // Inner attributes such as `#![enable(implicit_some)]`.
        while self.is_punct(0, '#') {
            while let Some(token) = self.next() {
                if token.kind == Kind::Punct(']') {
                    break;
                }
            }
        }
        self.value(0);
    }

    fn record(&mut self, pos: Position) {
        if self.wanted.contains(self.path.as_str()) && !self.found.contains_key(&self.path) {
            self.found.insert(self.path.clone(), pos);
        }
    }

    fn value(&mut self, depth: u32) {
        let Some(token) = self.next() else { return };
        self.record(token.pos);
        if depth > MAX_DEPTH {
            return;
        }
        match token.kind {
            Kind::Ident if self.is_punct(0, '(') => {
                self.next();
                if token.raw == "Some" {
                    self.value(depth + 1);
                    self.close(')');
                } else {
                    self.body(depth);
                }
            }
            Kind::Punct('(') => self.body(depth),
            Kind::Punct('[') => self.list(depth),
            Kind::Punct('{') => self.map(depth),
            _ => {}
        }
    }

    fn close(&mut self, c: char) {
        if self.is_punct(0, ',') {
            self.next();
        }
        if self.is_punct(0, c) {
            self.next();
        }
    }

    fn with_segment(&mut self, segment: &str, depth: u32) {
        let len = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(segment);
        self.value(depth + 1);
        self.path.truncate(len);
    }

    /// The inside of `( ... )`: named fields or positional elements.
    fn body(&mut self, depth: u32) {
        let mut index = 0usize;
        loop {
            if self.is_punct(0, ')') || self.peek(0).is_none() {
                self.next();
                return;
            }
            let named = matches!(
                self.peek(0),
                Some(Token {
                    kind: Kind::Ident,
                    ..
                })
            ) && self.is_punct(1, ':');
            if named {
                let key = self.next().map(|t| t.raw).unwrap_or_default();
                self.next();
                self.with_segment(key.trim_start_matches("r#"), depth);
            } else {
                self.with_segment(&index.to_string(), depth);
                index += 1;
            }
            if !self.separator(')') {
                return;
            }
        }
    }

    fn list(&mut self, depth: u32) {
        let mut index = 0usize;
        loop {
            if self.is_punct(0, ']') || self.peek(0).is_none() {
                self.next();
                return;
            }
            self.with_segment(&index.to_string(), depth);
            index += 1;
            if !self.separator(']') {
                return;
            }
        }
    }

    fn map(&mut self, depth: u32) {
        loop {
            if self.is_punct(0, '}') || self.peek(0).is_none() {
                self.next();
                return;
            }
            let Some(key) = self.next() else { return };
            let segment = key.raw.trim_matches('"').to_owned();
            if self.is_punct(0, ':') {
                self.next();
            }
            self.with_segment(&segment, depth);
            if !self.separator('}') {
                return;
            }
        }
    }

    /// After an element: a comma continues, the closing bracket ends. Anything else is
    /// text ron would have refused; stop rather than guess.
    fn separator(&mut self, close: char) -> bool {
        if self.is_punct(0, ',') {
            self.next();
            true
        } else {
            self.is_punct(0, close)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "// header\nTree(\n  id: \"t\",\n  nodes: [\n    Ask(id: \"a\", answers: [Answer(value: true, next: \"b\")]),\n    Resolve(id: \"b\", text: { \"zh\": \"好\", \"en\": \"ok\" }),\n  ],\n)\n";

    #[test]
    fn locates_nested_paths() {
        let source = Source::new("t.ron", TEXT);
        let found = source.locate(&[
            "id",
            "nodes.0",
            "nodes.0.answers.0.next",
            "nodes.1.text.en",
            "nodes.1.missing",
        ]);
        assert_eq!(found[0], Position { line: 3, column: 7 });
        assert_eq!(found[1], Position { line: 5, column: 5 });
        assert_eq!(
            found[2],
            Position {
                line: 5,
                column: 54
            }
        );
        assert_eq!(
            found[3],
            Position {
                line: 6,
                column: 47
            }
        );
        // Falls back to the node itself.
        assert_eq!(found[4], Position { line: 6, column: 5 });
    }

    #[test]
    fn fingerprint_ignores_layout_and_comments() {
        let a = Source::new("a", "Tree(id: \"t\", /* c */ start: \"x\")");
        let b = Source::new(
            "b",
            "\u{feff}// hello\r\nTree(\r\n  id: \"t\",\r\n  start: \"x\"\r\n)",
        );
        let c = Source::new("c", "Tree(id: \"t\", start: \"y\")");
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn find2_finds_the_first_of_two_bytes() {
        let text = b"abcdefghij\\klmnopq\"rstuvwxyz\xe5\xa5\xbd\"";
        for from in 0..text.len() + 2 {
            let want = text
                .iter()
                .enumerate()
                .skip(from)
                .find(|(_, c)| **c == b'"' || **c == b'\\')
                .map(|(i, _)| i);
            assert_eq!(find2(text, from, b'"', b'\\'), want, "from {from}");
        }
        assert_eq!(find2(&[0x80; 20], 0, 0x00, 0x7f), None);
        assert_eq!(find2(&[0xff; 20], 3, 0xfe, 0xff), Some(3));
    }

    #[test]
    fn never_hangs_on_garbage() {
        for text in [
            "(((",
            "\"unterminated",
            "/* open",
            "r#\"x",
            "[,,]",
            "{:}",
            "Some(",
            "#![",
        ] {
            let source = Source::new("g", text);
            let _ = source.locate(&["a.b"]);
            let _ = source.fingerprint();
        }
    }
}
