//! The fast reader: the plain RON that trees are written in, read without serde's
//! `Any` machinery. It reads exactly what ron reads or declines (`None`), and then ron
//! reads the file; `super::differential` holds the two together, in the unit tests
//! and in the fuzz target `parse_diff`.

use std::ops::Deref;

use super::{
    AnswerDef, ChannelDef, ConditionDef, Entries, FORMAT_VERSION, FactDef, FactTypeDef, Labels,
    LimitDef, NodeDef, Nodes, PriorityDef, ResolutionKindDef, RuleDef, Str, Text, TreeFile,
    ValueDef, ron_options,
};

/// Reads a tree file written in the plain RON that trees use, much faster than ron's
/// general deserializer (which looks every value up through serde's `Any` machinery and
/// allocates for each map); `None` as soon as the text steps outside that plain subset,
/// and then ron reads the file and reports any error.
///
/// The subset: ASCII whitespace and comments, named structs and variants, fields in any
/// order (each once), quoted strings (escaped ones and raw strings are unescaped by ron
/// itself), plain integers (other numbers are parsed by ron itself), `true` and `false`,
/// lists, maps, trailing commas. Whatever it accepts, it reads into exactly the value
/// ron's deserializer gives: `super::differential` checks that on the shipped trees,
/// generated trees and thousands of damaged variants of them, and the fuzz target
/// `parse_diff` on arbitrary bytes.
pub(crate) fn read(text: &str) -> Option<TreeFile<'_>> {
    let mut reader = Reader {
        text,
        at: 0,
        depth: 0,
    };
    reader.ws()?;
    let file = reader.tree()?;
    reader.ws()?;
    (reader.at == text.len()).then_some(file)
}

/// How deeply conditions may nest on the fast path; deeper ones are left to ron, which
/// enforces the file's recursion limit.
const FAST_DEPTH: u32 = 24;

/// `None` means "not for the fast path".
type Fast<T> = Option<T>;

struct Reader<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
}

/// Stores a field's value; `None` (not for the fast path) if the field came before.
fn once<T>(slot: &mut Option<T>, value: T) -> Fast<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// Sorts map entries by key; `None` if a key repeats.
fn sorted_unique<K: Deref<Target = str>, V>(mut entries: Vec<(K, V)>) -> Fast<Vec<(K, V)>> {
    entries.sort_by(|a, b| str::cmp(&a.0, &b.0));
    if entries.windows(2).any(|w| *w[0].0 == *w[1].0) {
        return None;
    }
    Some(entries)
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Fast<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Some(())
        } else {
            None
        }
    }

    /// Skips whitespace and comments.
    fn ws(&mut self) -> Fast<()> {
        let bytes = self.text.as_bytes();
        loop {
            match bytes.get(self.at) {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => self.at += 1,
                Some(b'/') => match bytes.get(self.at + 1) {
                    Some(b'/') => {
                        self.at = bytes[self.at..]
                            .iter()
                            .position(|&b| b == b'\n')
                            .map_or(bytes.len(), |i| self.at + i);
                    }
                    Some(b'*') => {
                        let mut level = 1u32;
                        let mut i = self.at + 2;
                        while level > 0 {
                            match (bytes.get(i)?, bytes.get(i + 1)) {
                                (b'/', Some(b'*')) => {
                                    level += 1;
                                    i += 2;
                                }
                                (b'*', Some(b'/')) => {
                                    level -= 1;
                                    i += 2;
                                }
                                _ => i += 1,
                            }
                        }
                        self.at = i;
                    }
                    _ => return None,
                },
                // ron counts a few non-ASCII characters as whitespace: its call.
                Some(&b) if b >= 0x80 => return None,
                _ => return Some(()),
            }
        }
    }

    /// An ASCII identifier; anything that might continue as a raw identifier, a string
    /// or a non-ASCII identifier is left to ron.
    fn ident(&mut self) -> Fast<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        match bytes.get(start) {
            Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {}
            _ => return None,
        }
        let mut end = start + 1;
        while bytes
            .get(end)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            end += 1;
        }
        if bytes
            .get(end)
            .is_some_and(|&b| b >= 0x80 || matches!(b, b'#' | b'"' | b'\''))
        {
            return None;
        }
        self.at = end;
        Some(&self.text[start..end])
    }

    /// `Name(`, after which the struct's fields follow.
    fn named(&mut self, name: &str) -> Fast<()> {
        if self.ident()? != name {
            return None;
        }
        self.ws()?;
        self.eat(b'(')
    }

    /// The fields of a struct, up to and including its `)`.
    fn fields(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Fast<()>) -> Fast<()> {
        loop {
            self.ws()?;
            if self.peek() == Some(b')') {
                self.at += 1;
                return Some(());
            }
            let name = self.ident()?;
            self.ws()?;
            self.eat(b':')?;
            self.ws()?;
            field(self, name)?;
            self.ws()?;
            match self.peek()? {
                b',' => self.at += 1,
                b')' => {}
                _ => return None,
            }
        }
    }

    /// `[a, b, ...]`.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Fast<T>) -> Fast<Vec<T>> {
        self.eat(b'[')?;
        let mut out = Vec::new();
        loop {
            self.ws()?;
            if self.peek() == Some(b']') {
                self.at += 1;
                // A large tree has a million small lists (answers, rules): grown by
                // doubling, a list of two answers would hold room for four.
                out.shrink_to_fit();
                return Some(out);
            }
            out.push(item(self)?);
            self.ws()?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {}
                _ => return None,
            }
        }
    }

    /// `[node, ...]`.
    fn nodes(&mut self) -> Fast<Nodes<'a>> {
        self.eat(b'[')?;
        let mut out = Nodes::default();
        loop {
            self.ws()?;
            if self.peek() == Some(b']') {
                self.at += 1;
                return Some(out);
            }
            out.push(self.node()?);
            self.ws()?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {}
                _ => return None,
            }
        }
    }

    /// `{ key: value, ... }` with string keys, in the order written.
    fn map<V>(&mut self, mut value: impl FnMut(&mut Self) -> Fast<V>) -> Fast<Vec<(Str<'a>, V)>> {
        self.eat(b'{')?;
        let mut out = Vec::with_capacity(2);
        loop {
            self.ws()?;
            if self.peek() == Some(b'}') {
                self.at += 1;
                return Some(out);
            }
            let key = self.string()?;
            self.ws()?;
            self.eat(b':')?;
            self.ws()?;
            out.push((key, value(self)?));
            self.ws()?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {}
                _ => return None,
            }
        }
    }

    /// A text's `{ locale: string, ... }`; one or two entries without an allocation.
    fn entries(&mut self) -> Fast<Entries<'a>> {
        self.eat(b'{')?;
        let mut few: [(Str<'a>, Str<'a>); 2] = Default::default();
        let mut n = 0usize;
        let mut many: Vec<(Str<'a>, Str<'a>)> = Vec::new();
        loop {
            self.ws()?;
            if self.peek() == Some(b'}') {
                self.at += 1;
                break;
            }
            let locale = self.string()?;
            self.ws()?;
            self.eat(b':')?;
            self.ws()?;
            let entry = (locale, self.string()?);
            if n < 2 {
                few[n] = entry;
            } else {
                if many.is_empty() {
                    many.extend(few.iter_mut().map(std::mem::take));
                }
                many.push(entry);
            }
            n += 1;
            self.ws()?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {}
                _ => return None,
            }
        }
        if n > 2 {
            return sorted_unique(many).map(Entries::Many);
        }
        if n == 2 {
            match (*few[0].0).cmp(&*few[1].0) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Greater => few.swap(0, 1),
                std::cmp::Ordering::Equal => return None,
            }
        }
        Some(Entries::Few(n as u8, few))
    }

    /// The inside of a one-field variant such as `Known("x")`, after the name: `(value)`,
    /// with an optional trailing comma.
    fn wrapped<T>(&mut self, inner: impl FnOnce(&mut Self) -> Fast<T>) -> Fast<T> {
        self.ws()?;
        self.eat(b'(')?;
        self.ws()?;
        let value = inner(self)?;
        self.close()?;
        Some(value)
    }

    /// An optional comma, then `)`.
    fn close(&mut self) -> Fast<()> {
        self.ws()?;
        if self.peek() == Some(b',') {
            self.at += 1;
            self.ws()?;
        }
        self.eat(b')')
    }

    /// A value in an `Option` field (ron's `implicit_some`); `None` and `Some(...)` are
    /// left to ron.
    fn some<T>(&mut self, inner: impl FnOnce(&mut Self) -> Fast<T>) -> Fast<T> {
        let rest = &self.text.as_bytes()[self.at..];
        if rest.starts_with(b"None") || rest.starts_with(b"Some") {
            return None;
        }
        inner(self)
    }

    /// A string where one is expected: `"..."` or a raw string.
    fn string(&mut self) -> Fast<Str<'a>> {
        match self.peek()? {
            b'"' => self.quoted(),
            b'r' => self.raw(),
            _ => None,
        }
    }

    /// A quoted string: borrowed when it has no escape; unescaped by ron when it has.
    fn quoted(&mut self) -> Fast<Str<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let body = start + 1;
        let mut i = body;
        let mut escaped = false;
        loop {
            i = crate::source::find2(bytes, i, b'"', b'\\')?;
            if bytes[i] == b'"' {
                break;
            }
            escaped = true;
            i += 2;
        }
        self.at = i + 1;
        if escaped {
            let literal = self.text.get(start..=i)?;
            ron_options()
                .from_str::<String>(literal)
                .ok()
                .map(Str::owned)
        } else {
            Some(Str::borrowed(&self.text[body..i]))
        }
    }

    /// `r"..."` or `r#"..."#`, unescaped (that is, read) by ron.
    fn raw(&mut self) -> Fast<Str<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let hashes = bytes[start + 1..]
            .iter()
            .take_while(|&&b| b == b'#')
            .count();
        let open = start + 1 + hashes;
        if bytes.get(open) != Some(&b'"') {
            return None;
        }
        let mut i = open + 1;
        let end = loop {
            if *bytes.get(i)? == b'"'
                && bytes.len() >= i + 1 + hashes
                && bytes[i + 1..i + 1 + hashes].iter().all(|&b| b == b'#')
            {
                break i + 1 + hashes;
            }
            i += 1;
        };
        self.at = end;
        let literal = self.text.get(start..end)?;
        ron_options()
            .from_str::<String>(literal)
            .ok()
            .map(Str::owned)
    }

    /// The characters a number may be made of, for ron to read when it is not a plain
    /// integer.
    fn number_token(&mut self) -> Fast<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut end = start;
        while bytes
            .get(end)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-'))
        {
            end += 1;
        }
        if end == start || bytes.get(end).is_some_and(|&b| b >= 0x80) {
            return None;
        }
        self.at = end;
        Some(&self.text[start..end])
    }

    /// Digits with no sign, no leading zero and at most `max` of them.
    fn plain_integer(token: &str, max: usize) -> Option<u64> {
        let plain = !token.is_empty()
            && token.len() <= max
            && token.bytes().all(|b| b.is_ascii_digit())
            && (token.len() == 1 || !token.starts_with('0'));
        plain.then(|| token.parse().ok()).flatten()
    }

    fn u32(&mut self) -> Fast<u32> {
        let token = self.number_token()?;
        match Self::plain_integer(token, 9) {
            Some(n) => u32::try_from(n).ok(),
            None => ron_options().from_str::<u32>(token).ok(),
        }
    }

    /// A value: `true`, `false`, a quoted string or a number.
    fn value(&mut self) -> Fast<ValueDef<'a>> {
        match self.peek()? {
            b'"' => self.quoted().map(ValueDef::Text),
            b't' | b'f' => match self.ident()? {
                "true" => Some(ValueDef::Bool(true)),
                "false" => Some(ValueDef::Bool(false)),
                _ => None,
            },
            b'0'..=b'9' | b'-' | b'+' | b'.' => {
                let token = self.number_token()?;
                match Self::plain_integer(token, 15) {
                    // Below 2^53: exact as f64, as ron's integer visit gives it.
                    #[allow(clippy::cast_precision_loss)]
                    Some(n) => Some(ValueDef::Number(n as f64)),
                    None => match ron_options().from_str::<ValueDef<'_>>(token).ok()? {
                        ValueDef::Number(n) => Some(ValueDef::Number(n)),
                        _ => None,
                    },
                }
            }
            _ => None,
        }
    }

    /// A text: a quoted string or a map of locale to string.
    fn text(&mut self) -> Fast<Text<'a>> {
        match self.peek()? {
            b'"' => self.quoted().map(Text::Plain),
            b'{' => self.entries().map(Text::Localized),
            _ => None,
        }
    }

    fn tree(&mut self) -> Fast<TreeFile<'a>> {
        self.named("Tree")?;
        let (mut format, mut id, mut version, mut title) = (None, None, None, None);
        let (mut locales, mut facts, mut start, mut nodes) = (None, None, None, None);
        self.fields(|r, name| match name {
            "format" => once(&mut format, r.u32()?),
            "id" => once(&mut id, r.string()?),
            "version" => once(&mut version, r.u32()?),
            "title" => once(&mut title, r.some(Self::text)?),
            "locales" => once(&mut locales, r.list(Self::string)?),
            "facts" => once(&mut facts, r.list(Self::fact)?),
            "start" => once(&mut start, r.string()?),
            "nodes" => once(&mut nodes, r.nodes()?),
            _ => None,
        })?;
        Some(TreeFile {
            format: format.unwrap_or(FORMAT_VERSION),
            id: id?,
            version: version.unwrap_or_default(),
            title,
            locales: locales.unwrap_or_default(),
            facts: facts.unwrap_or_default(),
            start: start?,
            nodes: nodes?,
        })
    }

    fn fact(&mut self) -> Fast<FactDef<'a>> {
        self.named("Fact")?;
        let (mut name, mut ty, mut label, mut ask, mut labels) = (None, None, None, None, None);
        let (mut min, mut max) = (None, None);
        self.fields(|r, field| match field {
            "name" => once(&mut name, r.string()?),
            "type" => once(&mut ty, r.fact_type()?),
            "label" => once(&mut label, r.some(Self::text)?),
            "ask" => once(&mut ask, r.some(Self::text)?),
            "labels" => {
                let entries = r.map(Self::text)?;
                once(&mut labels, Labels(sorted_unique(entries)?))
            }
            "min" => once(&mut min, r.some(Self::f64)?),
            "max" => once(&mut max, r.some(Self::f64)?),
            _ => None,
        })?;
        Some(FactDef {
            name: name?,
            ty: ty?,
            label,
            ask,
            labels: labels.unwrap_or_default(),
            min,
            max,
        })
    }

    /// A number where an `f64` is expected: plain integers here, any other number read
    /// by ron itself (`inf`, `NaN` and other words are left to ron).
    fn f64(&mut self) -> Fast<f64> {
        if !matches!(self.peek()?, b'0'..=b'9' | b'-' | b'+' | b'.') {
            return None;
        }
        let token = self.number_token()?;
        match Self::plain_integer(token, 15) {
            // Below 2^53: exact as f64, as ron reads it.
            #[allow(clippy::cast_precision_loss)]
            Some(n) => Some(n as f64),
            None => ron_options().from_str::<f64>(token).ok(),
        }
    }

    fn fact_type(&mut self) -> Fast<FactTypeDef<'a>> {
        match self.ident()? {
            "Bool" => Some(FactTypeDef::Bool),
            "Number" => Some(FactTypeDef::Number),
            "Text" => Some(FactTypeDef::Text),
            "Choice" => self
                .wrapped(|r| r.list(Self::string))
                .map(FactTypeDef::Choice),
            _ => None,
        }
    }

    fn limit(&mut self) -> Fast<LimitDef<'a>> {
        self.named("Limit")?;
        let (mut times, mut then) = (None, None);
        self.fields(|r, field| match field {
            "times" => once(&mut times, r.u32()?),
            "then" => once(&mut then, r.string()?),
            _ => None,
        })?;
        Some(LimitDef {
            times: times?,
            then: then?,
        })
    }

    fn answer(&mut self) -> Fast<AnswerDef<'a>> {
        self.named("Answer")?;
        let (mut value, mut text, mut next) = (None, None, None);
        self.fields(|r, field| match field {
            "value" => once(&mut value, r.value()?),
            "text" => once(&mut text, r.text()?),
            "next" => once(&mut next, r.string()?),
            _ => None,
        })?;
        Some(AnswerDef {
            value: value?,
            text: text?,
            next: next?,
        })
    }

    fn rule(&mut self) -> Fast<RuleDef<'a>> {
        self.named("Rule")?;
        let (mut when, mut next) = (None, None);
        self.fields(|r, field| match field {
            "when" => once(&mut when, r.condition()?),
            "next" => once(&mut next, r.string()?),
            _ => None,
        })?;
        Some(RuleDef {
            when: when?,
            next: next?,
        })
    }

    fn condition(&mut self) -> Fast<ConditionDef<'a>> {
        if self.depth >= FAST_DEPTH {
            return None;
        }
        self.depth += 1;
        let kind = self.ident()?;
        let condition = match kind {
            "Eq" | "Ne" | "Lt" | "Le" | "Gt" | "Ge" => {
                let (fact, value) = self.pair(Self::value)?;
                match kind {
                    "Eq" => ConditionDef::Eq(fact, value),
                    "Ne" => ConditionDef::Ne(fact, value),
                    "Lt" => ConditionDef::Lt(fact, value),
                    "Le" => ConditionDef::Le(fact, value),
                    "Gt" => ConditionDef::Gt(fact, value),
                    _ => ConditionDef::Ge(fact, value),
                }
            }
            "In" => {
                let (fact, values) = self.pair(|r| r.list(Self::value))?;
                ConditionDef::In(fact, values)
            }
            "Known" => ConditionDef::Known(self.wrapped(Self::string)?),
            "All" => ConditionDef::All(self.wrapped(|r| r.list(Self::condition))?),
            "Any" => ConditionDef::Any(self.wrapped(|r| r.list(Self::condition))?),
            "Not" => ConditionDef::Not(Box::new(self.wrapped(Self::condition)?)),
            _ => return None,
        };
        self.depth -= 1;
        Some(condition)
    }

    /// `("fact", second)` of a two-field variant.
    fn pair<T>(&mut self, second: impl FnOnce(&mut Self) -> Fast<T>) -> Fast<(Str<'a>, T)> {
        self.ws()?;
        self.eat(b'(')?;
        self.ws()?;
        let fact = self.string()?;
        self.ws()?;
        self.eat(b',')?;
        self.ws()?;
        let value = second(self)?;
        self.close()?;
        Some((fact, value))
    }

    fn node(&mut self) -> Fast<NodeDef<'a>> {
        let kind = self.ident()?;
        self.ws()?;
        self.eat(b'(')?;
        let mut id = None;
        let node = match kind {
            "Ask" => {
                let (mut text, mut fact, mut answers, mut next, mut limit) =
                    (None, None, None, None, None);
                self.fields(|r, field| match field {
                    "id" => once(&mut id, r.string()?),
                    "text" => once(&mut text, r.text()?),
                    "fact" => once(&mut fact, r.some(Self::string)?),
                    "answers" => once(&mut answers, r.list(Self::answer)?),
                    "next" => once(&mut next, r.some(Self::string)?),
                    "limit" => once(&mut limit, Box::new(r.some(Self::limit)?)),
                    _ => None,
                })?;
                NodeDef::Ask {
                    id: id?,
                    text: text?,
                    fact,
                    answers: answers.unwrap_or_default(),
                    next,
                    limit,
                }
            }
            "Act" => {
                let (mut text, mut next, mut solved, mut limit) = (None, None, None, None);
                self.fields(|r, field| match field {
                    "id" => once(&mut id, r.string()?),
                    "text" => once(&mut text, r.text()?),
                    "next" => once(&mut next, r.string()?),
                    "solved" => once(&mut solved, r.some(Self::string)?),
                    "limit" => once(&mut limit, Box::new(r.some(Self::limit)?)),
                    _ => None,
                })?;
                NodeDef::Act {
                    id: id?,
                    text: text?,
                    next: next?,
                    solved,
                    limit,
                }
            }
            "Decide" => {
                let (mut rules, mut otherwise, mut limit) = (None, None, None);
                self.fields(|r, field| match field {
                    "id" => once(&mut id, r.string()?),
                    "rules" => once(&mut rules, r.list(Self::rule)?),
                    "otherwise" => once(&mut otherwise, r.string()?),
                    "limit" => once(&mut limit, Box::new(r.some(Self::limit)?)),
                    _ => None,
                })?;
                NodeDef::Decide {
                    id: id?,
                    rules: rules?,
                    otherwise: otherwise?,
                    limit,
                }
            }
            "Resolve" => {
                let (mut text, mut kind) = (None, None);
                self.fields(|r, field| match field {
                    "id" => once(&mut id, r.string()?),
                    "text" => once(&mut text, r.text()?),
                    "kind" => once(
                        &mut kind,
                        match r.ident()? {
                            "Fixed" => ResolutionKindDef::Fixed,
                            "Informed" => ResolutionKindDef::Informed,
                            "Waiting" => ResolutionKindDef::Waiting,
                            _ => return None,
                        },
                    ),
                    _ => None,
                })?;
                NodeDef::Resolve {
                    id: id?,
                    text: text?,
                    kind: kind.unwrap_or_default(),
                }
            }
            "Escalate" => {
                let (mut reason, mut priority, mut channel, mut prepare) = (None, None, None, None);
                let mut agent = None;
                self.fields(|r, field| match field {
                    "id" => once(&mut id, r.string()?),
                    "reason" => once(&mut reason, r.text()?),
                    "priority" => once(
                        &mut priority,
                        match r.ident()? {
                            "Low" => PriorityDef::Low,
                            "Normal" => PriorityDef::Normal,
                            "High" => PriorityDef::High,
                            "Urgent" => PriorityDef::Urgent,
                            _ => return None,
                        },
                    ),
                    "channel" => once(
                        &mut channel,
                        r.some(|r| match r.ident()? {
                            "Hotline" => Some(ChannelDef::Hotline),
                            "InApp" => Some(ChannelDef::InApp),
                            "Chat" => Some(ChannelDef::Chat),
                            "Email" => Some(ChannelDef::Email),
                            _ => None,
                        })?,
                    ),
                    "prepare" => once(&mut prepare, r.list(Self::text)?),
                    "agent" => once(&mut agent, Box::new(r.some(Self::text)?)),
                    _ => None,
                })?;
                NodeDef::Escalate {
                    id: id?,
                    reason: reason?,
                    priority: priority.unwrap_or_default(),
                    channel,
                    prepare: prepare.unwrap_or_default(),
                    agent,
                }
            }
            "Goto" => {
                let (mut tree, mut node) = (None, None);
                self.fields(|r, field| match field {
                    "id" => once(&mut id, r.string()?),
                    "tree" => once(&mut tree, r.string()?),
                    "node" => once(&mut node, r.some(Self::string)?),
                    _ => None,
                })?;
                NodeDef::Goto {
                    id: id?,
                    tree: tree?,
                    node,
                }
            }
            _ => return None,
        };
        Some(node)
    }
}
