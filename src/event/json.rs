//! [`Event::parse`]: one JSON line into an [`Event`], fast.
//!
//! The statistics read millions of lines, and a general JSON library spends most of its
//! time on generality (it reads a struct through a visitor, field by field). This reader
//! knows the one shape, borrows every string without an escape, and stops at the first
//! problem with its byte offset. It accepts exactly what serde_json accepts when it
//! deserialises an `Event` from a JSON object (any key order, unknown keys skipped,
//! `null` for absent options, every escape, duplicate known keys refused); serde also
//! reads a struct written as a positional array, which is no event line and is refused
//! here. The property is checked by `tests/it/analytics.rs` and the fuzz target
//! `event_diff`.

use std::borrow::Cow;
use std::fmt;

use super::{Actor, Event, EventKind, Passed, Timestamp};
use crate::{ResolutionKind, Value};

/// A line that is not an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    offset: usize,
    message: String,
}

impl EventError {
    /// The byte offset in the line where reading stopped.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What is wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for EventError {}

/// How deeply unknown values may nest (serde_json's own limit).
const DEPTH: usize = 128;

type Read<T> = Result<T, EventError>;

impl<'a> Event<'a> {
    /// Reads one event from a line of JSON (one object; surrounding whitespace
    /// allowed). Strings without escapes are borrowed from `line`.
    ///
    /// ```
    /// use troubletree::Event;
    /// use troubletree::event::EventKind;
    /// let line = r#"{"session":"s-1","seq":1,"at":"2026-05-06T02:00:07Z","tree":"refund","fingerprint":"00112233aabbccdd","kind":"answered","node":"ask_status","value":"refused","origin":"user"}"#;
    /// let event = Event::parse(line)?;
    /// assert_eq!(event.kind, EventKind::Answered);
    /// assert_eq!(event.value, Some(troubletree::Value::from("refused")));
    /// assert!(Event::parse(r#"{"session":"s-1"}"#).is_err());
    /// # Ok::<(), troubletree::event::EventError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// An [`EventError`] with the byte offset where the line stops being an event.
    pub fn parse(line: &'a str) -> Result<Event<'a>, EventError> {
        if let Some(event) = canonical(line) {
            return Ok(event);
        }
        let mut r = Reader {
            text: line,
            bytes: line.as_bytes(),
            at: 0,
        };
        let event = r.event()?;
        r.ws();
        if r.at != r.bytes.len() {
            return Err(r.fail("something follows the event"));
        }
        Ok(event)
    }
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

/// Reads a line written the way serde_json writes an [`Event`] (and the service stores
/// it): every key in declaration order, no whitespace, no escape. Most lines are; they
/// are read by comparing fixed prefixes instead of matching keys. Anything else gives
/// `None`, and the general reader reads the line (or says what is wrong with it), so
/// this path only ever accepts what that one accepts, with the same values.
fn canonical(line: &str) -> Option<Event<'_>> {
    let mut c = Reader {
        text: line,
        bytes: line.as_bytes(),
        at: 0,
    };
    c.lit(b"{\"session\":\"")?;
    let session = c.plain()?;
    c.lit(b",\"seq\":")?;
    let seq = c.digits()?;
    c.lit(b",\"at\":\"")?;
    let at = Timestamp::parse(c.plain()?).ok()?;
    c.lit(b",\"tree\":\"")?;
    let tree = c.plain()?;
    let version = if c.lit(b",\"version\":").is_some() {
        Some(u32::try_from(c.digits()?).ok()?)
    } else {
        None
    };
    c.lit(b",\"fingerprint\":\"")?;
    let fingerprint = c.plain()?;
    c.lit(b",\"kind\":\"")?;
    let kind = match c.plain()? {
        "started" => EventKind::Started,
        "shown" => EventKind::Shown,
        "answered" => EventKind::Answered,
        "back" => EventKind::Back,
        "handoff" => EventKind::Handoff,
        "resolved" => EventKind::Resolved,
        "escalated" => EventKind::Escalated,
        "abandoned" => EventKind::Abandoned,
        _ => return None,
    };
    c.lit(b",\"node\":\"")?;
    let node = c.plain()?;
    c.lit(b",\"value\":")?;
    let value = match c.bytes.get(c.at)? {
        b'n' => c.lit(b"null").map(|()| None)?,
        b't' => c.lit(b"true").map(|()| Some(Value::Bool(true)))?,
        b'f' => c.lit(b"false").map(|()| Some(Value::Bool(false)))?,
        b'"' => {
            c.at += 1;
            Some(Value::Text(c.plain()?.to_owned()))
        }
        _ => {
            let (text, _) = c.number().ok()?;
            Some(Value::Number(
                text.parse::<f64>().ok().filter(|n| n.is_finite())?,
            ))
        }
    };
    c.lit(b",\"origin\":")?;
    let origin = if c.lit(b"null").is_some() {
        None
    } else if c.lit(b"\"user\"").is_some() {
        Some(Actor::User)
    } else {
        c.lit(b"\"host\"")?;
        Some(Actor::Host)
    };
    let resolution = if c.lit(b",\"resolution\":\"").is_some() {
        Some(match c.plain()? {
            "fixed" => ResolutionKind::Fixed,
            "informed" => ResolutionKind::Informed,
            "waiting" => ResolutionKind::Waiting,
            _ => return None,
        })
    } else {
        None
    };
    let mut via = Vec::new();
    if c.lit(b",\"via\":[").is_some() {
        loop {
            c.lit(b"{")?;
            let mut tree = None;
            let mut fingerprint = None;
            if c.lit(b"\"tree\":\"").is_some() {
                tree = Some(Cow::Borrowed(c.plain()?));
                c.lit(b",")?;
            }
            if c.lit(b"\"fingerprint\":\"").is_some() {
                fingerprint = Some(Cow::Borrowed(c.plain()?));
                c.lit(b",")?;
            }
            c.lit(b"\"node\":\"")?;
            let node = Cow::Borrowed(c.plain()?);
            let edge = if c.lit(b",\"edge\":").is_some() {
                Some(u32::try_from(c.digits()?).ok()?)
            } else {
                None
            };
            c.lit(b"}")?;
            via.push(Passed {
                tree,
                fingerprint,
                node,
                edge,
            });
            if c.lit(b"]").is_some() {
                break;
            }
            c.lit(b",")?;
        }
    }
    c.lit(b"}")?;
    (c.at == c.bytes.len()).then_some(Event {
        session: Cow::Borrowed(session),
        seq,
        at,
        tree: Cow::Borrowed(tree),
        version,
        fingerprint: Cow::Borrowed(fingerprint),
        kind,
        node: Cow::Borrowed(node),
        value,
        origin,
        resolution,
        via,
    })
}

/// A field read once at most.
fn once<T>(slot: &mut Option<T>, value: T, name: &str, r: &Reader<'_>) -> Read<()> {
    if slot.is_some() {
        return Err(r.fail(format!("duplicate field `{name}`")));
    }
    *slot = Some(value);
    Ok(())
}

impl<'a> Reader<'a> {
    /// For the canonical layout: `text` here, consumed.
    fn lit(&mut self, text: &[u8]) -> Option<()> {
        // Byte by byte: the literals are short, and a call to memcmp costs more.
        let here = self.bytes.get(self.at..self.at + text.len())?;
        if here.iter().zip(text).all(|(a, b)| a == b) {
            self.at += text.len();
            Some(())
        } else {
            None
        }
    }

    /// For the canonical layout: the rest of a string without escape (its opening quote
    /// read), and the closing quote.
    fn plain(&mut self) -> Option<&'a str> {
        let start = self.at;
        self.at = special(self.bytes, self.at);
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        let s = &self.text[start..self.at];
        self.at += 1;
        Some(s)
    }

    /// For the canonical layout: a whole number as JSON writes it (no leading zero).
    fn digits(&mut self) -> Option<u64> {
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        let text = &self.text[start..self.at];
        if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
            return None;
        }
        text.parse().ok()
    }

    fn fail(&self, message: impl Into<String>) -> EventError {
        EventError {
            offset: self.at,
            message: message.into(),
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, c: u8) -> Read<()> {
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.fail(format!("expected `{}`", c as char)))
        }
    }

    fn literal(&mut self, word: &str) -> Read<()> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.fail("expected a JSON value"))
        }
    }

    /// `null` (consumed) or not.
    fn null(&mut self) -> Read<bool> {
        if self.peek() == Some(b'n') {
            self.literal("null")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The members of an object: calls `member` with each key, after the `:`.
    fn object(&mut self, mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Read<()>) -> Read<()> {
        self.eat(b'{')?;
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.fail("expected a key in double quotes"));
            }
            let key = self.string()?;
            self.eat(b':')?;
            member(self, key)?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(self.fail("expected `,` or `}`")),
            }
        }
    }

    fn event(&mut self) -> Read<Event<'a>> {
        let (mut session, mut seq, mut at, mut tree, mut version, mut fingerprint) =
            (None, None, None, None, None, None);
        let (mut kind, mut node, mut value, mut origin, mut resolution, mut via) =
            (None, None, None, None, None, None);
        self.object(|r, key| match &*key {
            "session" => {
                let v = r.string_value()?;
                once(&mut session, v, "session", r)
            }
            "seq" => {
                let v = r.unsigned(u64::MAX)?;
                once(&mut seq, v, "seq", r)
            }
            "at" => {
                let start = r.at;
                let text = r.string_value()?;
                let t = Timestamp::parse(&text).map_err(|e| EventError {
                    offset: start,
                    message: e.to_string(),
                })?;
                once(&mut at, t, "at", r)
            }
            "tree" => {
                let v = r.string_value()?;
                once(&mut tree, v, "tree", r)
            }
            "version" => {
                let v = if r.null()? {
                    None
                } else {
                    Some(r.unsigned(u64::from(u32::MAX))? as u32)
                };
                once(&mut version, v, "version", r)
            }
            "fingerprint" => {
                let v = r.string_value()?;
                once(&mut fingerprint, v, "fingerprint", r)
            }
            "kind" => {
                let v = r.kind()?;
                once(&mut kind, v, "kind", r)
            }
            "node" => {
                let v = r.string_value()?;
                once(&mut node, v, "node", r)
            }
            "value" => {
                let v = if r.null()? { None } else { Some(r.value()?) };
                once(&mut value, v, "value", r)
            }
            "origin" => {
                let v = if r.null()? { None } else { Some(r.actor()?) };
                once(&mut origin, v, "origin", r)
            }
            "resolution" => {
                let v = if r.null()? {
                    None
                } else {
                    Some(r.resolution()?)
                };
                once(&mut resolution, v, "resolution", r)
            }
            "via" => {
                let v = r.via()?;
                once(&mut via, v, "via", r)
            }
            _ => r.skip(0),
        })?;
        let missing = |r: &Self, name: &str| r.fail(format!("missing field `{name}`"));
        Ok(Event {
            session: session.ok_or_else(|| missing(self, "session"))?,
            seq: seq.ok_or_else(|| missing(self, "seq"))?,
            at: at.ok_or_else(|| missing(self, "at"))?,
            tree: tree.ok_or_else(|| missing(self, "tree"))?,
            version: version.flatten(),
            fingerprint: fingerprint.ok_or_else(|| missing(self, "fingerprint"))?,
            kind: kind.ok_or_else(|| missing(self, "kind"))?,
            node: node.ok_or_else(|| missing(self, "node"))?,
            value: value.flatten(),
            origin: origin.flatten(),
            resolution: resolution.flatten(),
            via: via.unwrap_or_default(),
        })
    }

    fn via(&mut self) -> Read<Vec<Passed<'a>>> {
        self.eat(b'[')?;
        let mut out = Vec::new();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(out);
        }
        loop {
            out.push(self.passed()?);
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(out);
                }
                _ => return Err(self.fail("expected `,` or `]`")),
            }
        }
    }

    fn passed(&mut self) -> Read<Passed<'a>> {
        let (mut tree, mut fingerprint, mut node, mut edge) = (None, None, None, None);
        self.object(|r, key| match &*key {
            "tree" => {
                let v = if r.null()? {
                    None
                } else {
                    Some(r.string_value()?)
                };
                once(&mut tree, v, "tree", r)
            }
            "fingerprint" => {
                let v = if r.null()? {
                    None
                } else {
                    Some(r.string_value()?)
                };
                once(&mut fingerprint, v, "fingerprint", r)
            }
            "node" => {
                let v = r.string_value()?;
                once(&mut node, v, "node", r)
            }
            "edge" => {
                let v = if r.null()? {
                    None
                } else {
                    Some(r.unsigned(u64::from(u32::MAX))? as u32)
                };
                once(&mut edge, v, "edge", r)
            }
            _ => r.skip(0),
        })?;
        Ok(Passed {
            tree: tree.flatten(),
            fingerprint: fingerprint.flatten(),
            node: node.ok_or_else(|| self.fail("missing field `node`"))?,
            edge: edge.flatten(),
        })
    }

    /// The variant name of a unit enum: `"name"`, or serde's `{"name": null}`.
    fn variant(&mut self) -> Read<(usize, Cow<'a, str>)> {
        let start = self.at;
        match self.peek() {
            Some(b'"') => Ok((start, self.string()?)),
            Some(b'{') => {
                self.at += 1;
                if self.peek() != Some(b'"') {
                    return Err(self.fail("expected a variant name"));
                }
                let name = self.string()?;
                self.eat(b':')?;
                if !self.null()? {
                    return Err(self.fail("expected null"));
                }
                self.eat(b'}')?;
                Ok((start, name))
            }
            _ => Err(self.fail("expected a string")),
        }
    }

    fn kind(&mut self) -> Read<EventKind> {
        self.one_of(
            "kind",
            &[
                ("started", EventKind::Started),
                ("shown", EventKind::Shown),
                ("answered", EventKind::Answered),
                ("back", EventKind::Back),
                ("handoff", EventKind::Handoff),
                ("resolved", EventKind::Resolved),
                ("escalated", EventKind::Escalated),
                ("abandoned", EventKind::Abandoned),
            ],
        )
    }

    fn actor(&mut self) -> Read<Actor> {
        self.one_of("origin", &[("user", Actor::User), ("host", Actor::Host)])
    }

    fn resolution(&mut self) -> Read<ResolutionKind> {
        self.one_of(
            "resolution kind",
            &[
                ("fixed", ResolutionKind::Fixed),
                ("informed", ResolutionKind::Informed),
                ("waiting", ResolutionKind::Waiting),
            ],
        )
    }

    /// A unit variant named by a string: the value `names` gives it, or "unknown
    /// `what`" at the string.
    fn one_of<T: Copy>(&mut self, what: &str, names: &[(&str, T)]) -> Read<T> {
        let (start, name) = self.variant()?;
        names
            .iter()
            .find(|(n, _)| *n == &*name)
            .map(|&(_, v)| v)
            .ok_or_else(|| EventError {
                offset: start,
                message: format!("unknown {what} {:?}", short(&name)),
            })
    }

    /// An answer's value: `true`, `false`, a finite number or a string.
    fn value(&mut self) -> Read<Value> {
        match self.peek() {
            Some(b't') => self.literal("true").map(|()| Value::Bool(true)),
            Some(b'f') => self.literal("false").map(|()| Value::Bool(false)),
            Some(b'"') => Ok(Value::Text(self.string()?.into_owned())),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.at;
                let (text, _) = self.number()?;
                match text.parse::<f64>() {
                    Ok(n) if n.is_finite() => Ok(Value::Number(n)),
                    _ => Err(EventError {
                        offset: start,
                        message: "number out of range".into(),
                    }),
                }
            }
            _ => Err(self.fail("expected true, false, a number or a string")),
        }
    }

    /// A whole number from 0 to `max`, written without fraction or exponent.
    fn unsigned(&mut self, max: u64) -> Read<u64> {
        self.ws();
        let start = self.at;
        let (text, integer) = match self.bytes.get(self.at) {
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.fail("expected a whole number")),
        };
        let fail = |message: &str| EventError {
            offset: start,
            message: message.into(),
        };
        if !integer || text.starts_with('-') {
            return Err(fail("expected a whole number from 0"));
        }
        match text.parse::<u64>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(fail("number out of range")),
        }
    }

    /// A JSON number's text, and whether it is an integer (no fraction, no exponent).
    fn number(&mut self) -> Read<(&'a str, bool)> {
        let start = self.at;
        let b = self.bytes;
        let digits = |at: &mut usize| {
            let from = *at;
            while b.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at > from
        };
        let mut at = self.at;
        if b.get(at) == Some(&b'-') {
            at += 1;
        }
        match b.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => {
                digits(&mut at);
            }
            _ => {
                self.at = at;
                return Err(self.fail("invalid number"));
            }
        }
        let mut integer = true;
        if b.get(at) == Some(&b'.') {
            at += 1;
            integer = false;
            if !digits(&mut at) {
                self.at = at;
                return Err(self.fail("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = b.get(at) {
            at += 1;
            integer = false;
            if let Some(b'+' | b'-') = b.get(at) {
                at += 1;
            }
            if !digits(&mut at) {
                self.at = at;
                return Err(self.fail("invalid number"));
            }
        }
        self.at = at;
        Ok((&self.text[start..at], integer))
    }

    fn string_value(&mut self) -> Read<Cow<'a, str>> {
        if self.peek() != Some(b'"') {
            return Err(self.fail("expected a string"));
        }
        self.string()
    }

    /// A string, at its opening quote: borrowed when it holds no escape.
    fn string(&mut self) -> Read<Cow<'a, str>> {
        self.at += 1;
        let start = self.at;
        let b = self.bytes;
        self.at = special(b, self.at);
        match b.get(self.at) {
            None => return Err(self.fail("unterminated string")),
            Some(b'"') => {
                let s = &self.text[start..self.at];
                self.at += 1;
                return Ok(Cow::Borrowed(s));
            }
            Some(b'\\') => {}
            Some(_) => return Err(self.fail("control character in a string")),
        }
        let mut out = String::with_capacity(self.at - start + 16);
        out.push_str(&self.text[start..self.at]);
        loop {
            let run = self.at;
            self.at = special(b, self.at);
            out.push_str(&self.text[run..self.at]);
            match b.get(self.at) {
                None => return Err(self.fail("unterminated string")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = match b.get(self.at) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.at += 1;
                            let unit = self.hex4()?;
                            let code = match unit {
                                0xD800..=0xDBFF => {
                                    if b.get(self.at) != Some(&b'\\')
                                        || b.get(self.at + 1) != Some(&b'u')
                                    {
                                        return Err(self.fail("lone leading surrogate"));
                                    }
                                    self.at += 2;
                                    let low = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&low) {
                                        return Err(self.fail("lone leading surrogate"));
                                    }
                                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                                }
                                0xDC00..=0xDFFF => {
                                    return Err(self.fail("lone trailing surrogate"));
                                }
                                _ => unit,
                            };
                            out.push(char::from_u32(code).ok_or_else(|| self.fail("bad escape"))?);
                            continue;
                        }
                        _ => return Err(self.fail("invalid escape")),
                    };
                    out.push(c);
                    self.at += 1;
                }
                Some(_) => return Err(self.fail("control character in a string")),
            }
        }
    }

    fn hex4(&mut self) -> Read<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.bytes.get(self.at) {
                Some(&c @ b'0'..=b'9') => c - b'0',
                Some(&c @ b'a'..=b'f') => c - b'a' + 10,
                Some(&c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.fail("invalid \\u escape")),
            };
            v = v * 16 + u32::from(d);
            self.at += 1;
        }
        Ok(v)
    }

    /// Any JSON value, checked and skipped (an unknown field).
    fn skip(&mut self, depth: usize) -> Read<()> {
        if depth >= DEPTH {
            return Err(self.fail("recursion limit exceeded"));
        }
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            Some(b'[') => {
                self.at += 1;
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(());
                }
                loop {
                    self.skip(depth + 1)?;
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(());
                        }
                        _ => return Err(self.fail("expected `,` or `]`")),
                    }
                }
            }
            Some(b'{') => {
                if depth + 1 >= DEPTH {
                    return Err(self.fail("recursion limit exceeded"));
                }
                self.object(|r, _| r.skip(depth + 1))
            }
            _ => Err(self.fail("expected a JSON value")),
        }
    }
}

/// The position of the first `"`, `\\` or control character in `b` from `at` (or the
/// end), eight bytes at a time: most strings of an event (ids, fingerprints, times) have
/// none of them until their closing quote.
fn special(b: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    /// Whether some byte of `w` is below `n` (n ≤ 128): exact, as a test for the word.
    fn below(w: u64, n: u8) -> u64 {
        w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH
    }
    while let Some(chunk) = b.get(at..at + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        if below(w ^ (ONES * u64::from(b'"')), 1)
            | below(w ^ (ONES * u64::from(b'\\')), 1)
            | below(w, 0x20)
            != 0
        {
            break;
        }
        at += 8;
    }
    while let Some(&c) = b.get(at) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

/// A name for an error message: at most 40 characters.
fn short(name: &str) -> String {
    name.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general(line: &str) -> Result<Event<'_>, EventError> {
        let mut r = Reader {
            text: line,
            bytes: line.as_bytes(),
            at: 0,
        };
        let event = r.event()?;
        r.ws();
        if r.at != r.bytes.len() {
            return Err(r.fail("something follows the event"));
        }
        Ok(event)
    }

    #[test]
    fn the_canonical_layout_is_read_fast_and_the_same() {
        let lines = [
            r#"{"session":"s","seq":0,"at":"2026-05-06T02:00:07Z","tree":"t","version":2,"fingerprint":"f","kind":"started","node":"n","value":null,"origin":null}"#,
            r#"{"session":"s","seq":1,"at":"2026-05-06T02:00:07.5Z","tree":"t","fingerprint":"f","kind":"answered","node":"n","value":-0.0,"origin":"host"}"#,
            r#"{"session":"s","seq":1,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"answered","node":"n","value":"是","origin":"user"}"#,
            r#"{"session":"s","seq":2,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"resolved","node":"n","value":null,"origin":null,"resolution":"waiting","via":[{"node":"a","edge":0},{"tree":"u","fingerprint":"g","node":"b"},{"node":"c","edge":4294967295}]}"#,
        ];
        for line in lines {
            let fast = canonical(line).expect("canonical");
            assert_eq!(Ok(&fast), general(line).as_ref(), "{line}");
            let again = serde_json::to_string(&fast).expect("writes");
            assert_eq!(canonical(&again).as_ref(), Some(&fast), "{again}");
        }
        // Not canonical: the general reader decides.
        for line in [
            r#"{"session":"s\u0041","seq":0,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"started","node":"n","value":null,"origin":null}"#,
            r#"{"session":"s","seq":01,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"started","node":"n","value":null,"origin":null}"#,
            r#"{"session":"s","seq":1.5,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"started","node":"n","value":null,"origin":null}"#,
            r#"{"session":"s","seq":0,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"started","node":"n","value":1e999,"origin":null}"#,
            r#"{"session":"s","seq":0,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"started","node":"n","value":null,"origin":null} "#,
            r#"{"session":"s","seq":0,"at":"2026-05-06T02:00:07Z","tree":"t","version":4294967296,"fingerprint":"f","kind":"started","node":"n","value":null,"origin":null}"#,
        ] {
            assert!(canonical(line).is_none(), "{line}");
        }
    }
}
