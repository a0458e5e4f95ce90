//! The text of a tree file: its name, positions, and finding where a value was written.
//!
//! ron gives positions for syntax errors only; the structs it fills keep none. Semantic
//! findings therefore name the value they are about with a *path* such as
//! `nodes.3.answers.1.next`, and this module scans the text once to turn paths into
//! `line:column`. The scan runs only when there is something to report, so a clean tree
//! pays nothing for it. The same tokenizer computes the tree's fingerprint, which
//! ignores comments and layout.

use std::collections::{HashMap, HashSet};
use std::fmt;

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
            tokens: Tokens::new(self.text),
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

    /// A 64-bit FNV-1a hash of the file's tokens: comments, whitespace and line ends do
    /// not change it; any change to an id, a text or the structure does.
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

    pub fn fingerprint(&self) -> u64 {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut hash = OFFSET;
        let mut tokens = Tokens::new(self.text);
        while let Some(token) = tokens.next_token() {
            for byte in token.raw.bytes().chain(std::iter::once(0xff)) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(PRIME);
            }
        }
        hash
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
struct Tokens<'a> {
    text: &'a str,
    at: usize,
    line: u32,
    column: u32,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Tokens {
            text,
            at: 0,
            line: 1,
            column: 1,
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        let mut chars = self.text[self.at..].chars();
        chars.next();
        chars.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.at += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.column = 1;
        } else if c != '\r' {
            self.column = self.column.saturating_add(1);
        }
        Some(c)
    }

    fn skip_trivia(&mut self) {
        loop {
            match (self.peek_char(), self.peek_second()) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while let Some(c) = self.bump() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                (Some('/'), Some('*')) => {
                    self.bump();
                    self.bump();
                    let mut depth = 1u32;
                    while depth > 0 {
                        match (self.peek_char(), self.peek_second()) {
                            (None, _) => return,
                            (Some('*'), Some('/')) => {
                                self.bump();
                                self.bump();
                                depth -= 1;
                            }
                            (Some('/'), Some('*')) => {
                                self.bump();
                                self.bump();
                                depth = depth.saturating_add(1);
                            }
                            _ => {
                                self.bump();
                            }
                        }
                    }
                }
                _ => return,
            }
        }
    }

    fn next_token(&mut self) -> Option<Token<'a>> {
        self.skip_trivia();
        let start = self.at;
        let pos = Position {
            line: self.line,
            column: self.column,
        };
        let c = self.bump()?;
        let kind = match c {
            '"' => {
                self.quoted('"');
                Kind::Str
            }
            '\'' => {
                self.quoted('\'');
                Kind::Scalar
            }
            'r' if matches!(self.peek_char(), Some('"' | '#')) && self.raw_string() => Kind::Str,
            'b' if self.peek_char() == Some('"') => {
                self.bump();
                self.quoted('"');
                Kind::Str
            }
            c if c.is_alphabetic() || c == '_' => {
                while matches!(self.peek_char(), Some(c) if c.is_alphanumeric() || c == '_' || c == '#')
                {
                    self.bump();
                }
                Kind::Ident
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                while matches!(self.peek_char(), Some(c) if c.is_alphanumeric() || matches!(c, '_' | '.' | '+' | '-'))
                {
                    self.bump();
                }
                Kind::Scalar
            }
            c => Kind::Punct(c),
        };
        Some(Token {
            kind,
            raw: &self.text[start..self.at],
            pos,
        })
    }

    /// Consumes the rest of a quoted literal, honouring backslash escapes.
    fn quoted(&mut self, close: char) {
        while let Some(c) = self.bump() {
            if c == '\\' {
                self.bump();
            } else if c == close {
                return;
            }
        }
    }

    /// Consumes `#*"..."#*` after an `r`; false if this was an identifier such as `r#type`.
    fn raw_string(&mut self) -> bool {
        let rest = &self.text[self.at..];
        let hashes = rest.chars().take_while(|&c| c == '#').count();
        if !rest[hashes..].starts_with('"') {
            return false;
        }
        for _ in 0..=hashes {
            self.bump();
        }
        let closing: String = std::iter::once('"')
            .chain(std::iter::repeat_n('#', hashes))
            .collect();
        while self.peek_char().is_some() {
            if self.text[self.at..].starts_with(&closing) {
                for _ in 0..closing.chars().count() {
                    self.bump();
                }
                return true;
            }
            self.bump();
        }
        true
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
