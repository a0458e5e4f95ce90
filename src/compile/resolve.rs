//! Names to indices: node ids to `NodeIndex` (E003, E005, E006), fact names to slots
//! (E004, E007), texts to one string per declared locale (W003, W004), and written
//! values to the stored form of their fact's type.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use petgraph::graph::NodeIndex;

use super::{Compiler, listed};
use crate::diagnostic::{At, Code};
use crate::directory::references;
use crate::limits::{Bare, Quoted, bad_name, bad_value};
use crate::model::{FactDef, FactTypeDef, Nodes, Str, Text as TextDef, ValueDef, lookup};
use crate::tree::{FactDecl, FactSlot, FactTy, IdIndex, Offer, Range, Stored, Text};
use crate::value::Value;

/// How far [`Compiler::reference`] looks for a target among the neighbouring nodes
/// (behind, for a retry; ahead, for the next steps) before it hashes.
const NEAR_BEHIND: usize = 2;
/// See [`NEAR_BEHIND`].
const NEAR_AHEAD: usize = 6;

/// From this many values on, duplicate answers and choice lookups use a hash set rather
/// than a scan.
pub(super) const SCAN_LIMIT: usize = 16;

impl<'t> Compiler<'t> {
    pub(super) fn locales(&mut self, locales: &[Str<'_>]) {
        if locales.len() > self.limits.max_locales {
            self.report(
                Code::LimitExceeded,
                "locales".into(),
                None,
                format!(
                    "the tree declares {} locales, more than the limit of {}",
                    locales.len(),
                    self.limits.max_locales
                ),
            );
            return;
        }
        let mut seen = HashSet::new();
        for (i, locale) in locales.iter().enumerate() {
            if let Some(why) = bad_name(locale, &self.limits) {
                self.report(
                    Code::LimitExceeded,
                    format!("locales.{i}"),
                    None,
                    format!("locale {} {why}", Quoted(locale)),
                );
            }
            if locale.trim().is_empty() || !seen.insert(&**locale) {
                self.report(
                    Code::InvalidDefinition,
                    format!("locales.{i}"),
                    None,
                    format!("locale {} is empty or declared twice", Quoted(locale)),
                );
            } else {
                self.locales.push((**locale).into());
            }
        }
        if self.locales.is_empty() {
            self.locales.push("zh".into());
        }
    }

    /// Compiles a text; reports missing and unknown locales.
    pub(super) fn text(&mut self, def: &TextDef<'_>, at: &At<'_>, node: Option<&str>) -> Text {
        let longest = match def {
            TextDef::Plain(text) => text.len(),
            TextDef::Localized(entries) => entries.iter().map(|(_, t)| t.len()).max().unwrap_or(0),
        };
        // Bytes bound characters from above: count only when the bytes could exceed.
        if longest > self.limits.max_text_chars {
            let chars = match def {
                TextDef::Plain(text) => text.chars().count(),
                TextDef::Localized(entries) => entries
                    .iter()
                    .map(|(_, t)| t.chars().count())
                    .max()
                    .unwrap_or(0),
            };
            if chars > self.limits.max_text_chars {
                self.report(
                    Code::LimitExceeded,
                    at.to_string(),
                    node,
                    format!("this text is {chars} characters long, more than the limit of {}; shorten it or split the step", self.limits.max_text_chars),
                );
            }
        }
        // References to directory values, E017 when malformed.
        match def {
            TextDef::Plain(text) => self.references(text, at, node),
            TextDef::Localized(entries) => {
                for (locale, text) in entries.iter() {
                    self.references(text, &at.name(locale), node);
                }
            }
        }
        // W007: Chinese texts write `，：？；（）` full-width.
        match def {
            TextDef::Plain(text) if self.locales.iter().any(|l| l.starts_with("zh")) => {
                self.half_width(text, at, node);
            }
            TextDef::Plain(_) => {}
            TextDef::Localized(entries) => {
                for (locale, text) in entries.iter() {
                    if locale.starts_with("zh") {
                        self.half_width(text, &at.name(locale), node);
                    }
                }
            }
        }
        match def {
            TextDef::Plain(text) => {
                if self.locales.len() > 1 {
                    let missing = listed(self.locales[1..].iter().map(|l| Bare(l)));
                    self.report(
                        Code::MissingTranslation,
                        at.to_string(),
                        node,
                        format!("this text is a plain string, so it has no {missing} translation; write it as {{ \"{}\": \"...\", ... }}", self.locales[0]),
                    );
                }
                let text: &str = text;
                self.texts.intern(self.locales.iter().map(|_| text))
            }
            TextDef::Localized(entries) => {
                for (locale, _) in entries.iter() {
                    if !self.locales.iter().any(|l| **l == **locale) {
                        let declared = listed(self.locales.iter().map(|l| Quoted(l)));
                        self.report(
                            Code::UnknownLocale,
                            at.name(locale).to_string(),
                            node,
                            format!("locale {} is not declared by this tree (declared: {declared}); add it to `locales` or remove this entry", Quoted(locale)),
                        );
                    }
                }
                if self.locales.iter().any(|l| lookup(entries, l).is_none()) {
                    let missing: Vec<&str> = self
                        .locales
                        .iter()
                        .filter(|l| lookup(entries, l).is_none())
                        .map(|l| &**l)
                        .collect();
                    let message = format!(
                        "this text has no {} translation",
                        listed(missing.iter().map(|l| Bare(l)))
                    );
                    self.report(Code::MissingTranslation, at.to_string(), node, message);
                }
                let fallback = lookup(entries, &self.locales[0])
                    .or_else(|| entries.first().map(|(_, text)| text))
                    .map_or("", |text| &**text);
                self.texts.intern(
                    self.locales
                        .iter()
                        .map(|l| lookup(entries, l).map_or(fallback, |text| &**text)),
                )
            }
        }
    }

    /// Notes that the tree names directory values (filled in when a catalogue with a
    /// directory is loaded), and reports those that no directory could have (E017).
    fn references(&mut self, text: &str, at: &At<'_>, node: Option<&str>) {
        if !text.contains('{') {
            return;
        }
        for reference in references(text) {
            self.directory_refs = true;
            if let Some(why) = reference.malformed() {
                let written = Quoted(&text[reference.start..reference.end]);
                self.report(
                    Code::DirectoryValue,
                    at.to_string(),
                    node,
                    format!("this text names the directory value {written}, but {why}"),
                );
            }
        }
    }

    /// W007 when a Chinese text has half-width `,:?;()` next to a Chinese character:
    /// one finding per text, naming the first and counting the others.
    fn half_width(&mut self, text: &str, at: &At<'_>, node: Option<&str>) {
        let mut found = 0usize;
        let mut first = String::new();
        let mut before: Option<char> = None;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if HALF_WIDTH.contains(&c)
                && (before.is_some_and(cjk) || chars.peek().is_some_and(|&n| cjk(n)))
            {
                if found == 0 {
                    let full = FULL_WIDTH[HALF_WIDTH.iter().position(|&h| h == c).unwrap_or(0)];
                    let after: String = chars.clone().take(4).collect();
                    let lead = before.map(String::from).unwrap_or_default();
                    first = format!(
                        "\"{c}\" in \"{}\" (write \"{full}\")",
                        Bare(&format!("{lead}{c}{after}"))
                    );
                }
                found += 1;
            }
            before = Some(c);
        }
        if found == 0 {
            return;
        }
        let others = match found {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        self.report(
            Code::HalfWidthPunctuation,
            at.to_string(),
            node,
            format!(
                "this Chinese text has half-width punctuation next to Chinese characters: {first}{others}; Chinese text writes ，：？；（） full-width"
            ),
        );
    }

    /// Fixed labels the engine supplies (yes/no, done, solved...), in each locale.
    pub(super) fn builtin(&mut self, zh: &str, en: &str) -> Text {
        self.texts.intern(
            self.locales
                .iter()
                .map(|l| if l.starts_with("zh") { zh } else { en }),
        )
    }

    pub(super) fn fact(&mut self, i: usize, def: &FactDef<'_>) {
        let facts = At::root("facts");
        let at = facts.index(i);
        if def.name.trim().is_empty() {
            self.report(
                Code::InvalidDefinition,
                at.name("name").to_string(),
                None,
                "a fact has an empty name".into(),
            );
        }
        if let Some(why) = bad_name(&def.name, &self.limits) {
            self.report(
                Code::LimitExceeded,
                at.name("name").to_string(),
                None,
                format!("the name of fact {} ({}) {why}", i + 1, Quoted(&def.name)),
            );
        }
        let mut choice_index = None;
        let ty = match &def.ty {
            FactTypeDef::Bool => FactTy::Bool,
            FactTypeDef::Number => FactTy::Number,
            FactTypeDef::Text => FactTy::Text,
            FactTypeDef::Choice(options) => {
                if options.len() > self.limits.choices() {
                    self.report(
                        Code::LimitExceeded,
                        at.name("type").to_string(),
                        None,
                        format!(
                            "fact {} lists {} choices, more than the limit of {}; a question offers one answer per choice, so split the fact",
                            Quoted(&def.name),
                            options.len(),
                            self.limits.choices()
                        ),
                    );
                }
                let mut seen = HashSet::new();
                for (j, o) in options.iter().enumerate() {
                    if let Some(why) = bad_value(o, &self.limits) {
                        self.report(
                            Code::LimitExceeded,
                            at.name("type").name("0").index(j).to_string(),
                            None,
                            format!("choice {} of fact {} {why}", Quoted(o), Quoted(&def.name)),
                        );
                    }
                    if !seen.insert(&**o) {
                        self.report(
                            Code::InvalidDefinition,
                            at.name("type").name("0").index(j).to_string(),
                            None,
                            format!(
                                "fact {} lists the choice {} twice",
                                Quoted(&def.name),
                                Quoted(o)
                            ),
                        );
                    }
                }
                if options.is_empty() {
                    self.report(Code::InvalidDefinition, at.name("type").to_string(), None, format!("fact {} is a Choice with no values; list them, e.g. Choice([\"a\", \"b\"])", Quoted(&def.name)));
                }
                if options.len() > SCAN_LIMIT {
                    let mut index: HashMap<Box<str>, u16> = HashMap::with_capacity(options.len());
                    for (j, o) in options.iter().enumerate() {
                        if let Ok(j) = u16::try_from(j) {
                            index.entry((**o).into()).or_insert(j);
                        }
                    }
                    choice_index = Some(index);
                }
                FactTy::Choice(options.iter().map(|o| (**o).into()).collect())
            }
        };
        if !def.labels.is_empty() && !matches!(ty, FactTy::Choice(_)) {
            self.report(
                Code::InvalidDefinition,
                at.name("labels").to_string(),
                None,
                format!(
                    "fact {} is not a Choice, so it takes no labels",
                    Quoted(&def.name)
                ),
            );
        }
        let ask = def
            .ask
            .as_ref()
            .map(|t| self.text(t, &at.name("ask"), None));
        let label = def
            .label
            .as_ref()
            .map(|t| self.text(t, &at.name("label"), None));
        let range = self.range(&at, def, &ty);
        let offers: Box<[Offer]> = match &ty {
            FactTy::Bool => [(true, "是", "Yes"), (false, "否", "No")]
                .into_iter()
                .map(|(b, zh, en)| Offer {
                    value: self.texts.value(Value::Bool(b)),
                    text: self.builtin(zh, en),
                    stored: Some(Stored::Bool(b.into())),
                    next: NodeIndex::end(),
                })
                .collect(),
            FactTy::Choice(options) => {
                let labels = at.name("labels");
                for label in def.labels.keys() {
                    let known = match &choice_index {
                        Some(index) => index.contains_key(label),
                        None => options.iter().any(|o| **o == *label),
                    };
                    if !known {
                        self.report(
                            Code::TypeMismatch,
                            labels.name(label).to_string(),
                            None,
                            format!(
                                "{} is not one of the choices of fact {}",
                                Quoted(label),
                                Quoted(&def.name)
                            ),
                        );
                    }
                }
                options
                    .iter()
                    .enumerate()
                    .map(|(j, o)| {
                        let text = match def.labels.get(o) {
                            Some(label) => self.text(label, &labels.name(o), None),
                            None => {
                                let o: &str = o;
                                self.texts.intern(self.locales.iter().map(|_| o))
                            }
                        };
                        Offer {
                            value: self.texts.text_value(o),
                            text,
                            stored: u16::try_from(j).ok().map(|j| Stored::Choice(j.into())),
                            next: NodeIndex::end(),
                        }
                    })
                    .collect()
            }
            FactTy::Number | FactTy::Text => Box::new([]),
        };
        if self.fact_index.contains_key(&*def.name) {
            self.report(
                Code::DuplicateFact,
                at.name("name").to_string(),
                None,
                format!("fact {} is declared twice", Quoted(&def.name)),
            );
            return;
        }
        let Ok(slot) = FactSlot::try_from(self.facts.len()) else {
            self.report(
                Code::InvalidDefinition,
                at.to_string(),
                None,
                "a tree may declare at most 65536 facts".into(),
            );
            return;
        };
        self.fact_index.insert((*def.name).into(), slot);
        self.fact_positions.push(i);
        self.choice_index.push(choice_index);
        self.facts.push(FactDecl {
            name: (*def.name).into(),
            ty,
            label,
            ask,
            offers,
            range,
        });
    }

    /// The range of a `Number` fact: `min` and `max` finite, in order, and on a number
    /// only (E014 otherwise).
    fn range(&mut self, at: &At<'_>, def: &FactDef<'_>, ty: &FactTy) -> Range {
        let mut range = Range::default();
        for (field, bound, slot) in [
            ("min", def.min, &mut range.min),
            ("max", def.max, &mut range.max),
        ] {
            let Some(bound) = bound else { continue };
            if !matches!(ty, FactTy::Number) {
                self.report(
                    Code::InvalidDefinition,
                    at.name(field).to_string(),
                    None,
                    format!(
                        "fact {} is not a Number, so it takes no `{field}`",
                        Quoted(&def.name)
                    ),
                );
            } else if !bound.is_finite() {
                self.report(
                    Code::InvalidDefinition,
                    at.name(field).to_string(),
                    None,
                    format!(
                        "the `{field}` of fact {} must be a finite number (leave it out for no bound)",
                        Quoted(&def.name)
                    ),
                );
            } else {
                *slot = Some(bound);
            }
        }
        if let (Some(min), Some(max)) = (range.min, range.max)
            && min > max
        {
            self.report(
                Code::InvalidDefinition,
                at.name("max").to_string(),
                None,
                format!(
                    "fact {} has min: {} above max: {}; no value would fit",
                    Quoted(&def.name),
                    Value::Number(min),
                    Value::Number(max)
                ),
            );
            range = Range::default();
        }
        range
    }

    pub(super) fn index_nodes(&mut self, nodes: &Nodes<'t>) {
        self.broken = vec![false; nodes.len()];
        self.duplicates = vec![false; nodes.len()];
        if u32::try_from(nodes.len()).is_err() {
            self.report(
                Code::InvalidDefinition,
                "nodes".into(),
                None,
                "a tree may hold at most 4294967295 nodes".into(),
            );
            return;
        }
        self.node_index = IdIndex::with_capacity(nodes.len());
        self.ids = nodes.iter().map(|node| node.id().as_borrowed()).collect();
        for (i, node) in nodes.iter().enumerate() {
            let id: &str = node.id();
            if let Some(why) = bad_name(id, &self.limits) {
                self.report(
                    Code::LimitExceeded,
                    format!("nodes.{i}.id"),
                    None,
                    format!("the id of node {} ({}) {why}", i + 1, Quoted(id)),
                );
            }
            if blank(id) {
                self.report(
                    Code::InvalidDefinition,
                    format!("nodes.{i}.id"),
                    None,
                    format!("node {} has an empty id", i + 1),
                );
            }
            if let Err(first) = self.node_index.push(id) {
                if first == NodeIndex::end() {
                    self.report(
                        Code::LimitExceeded,
                        format!("nodes.{i}.id"),
                        None,
                        "the node ids of a tree may hold at most 4 GiB together, for at most 4294967294 nodes".into(),
                    );
                    return;
                }
                let line_hint = first.index() + 1;
                self.duplicates[i] = true;
                self.report(
                    Code::DuplicateId,
                    format!("nodes.{i}.id"),
                    Some(id),
                    format!("node id {} is already used by node {line_hint} of the list; ids must be unique", Quoted(id)),
                );
            }
        }
    }

    pub(super) fn reference(
        &mut self,
        i: usize,
        node: &str,
        field: &str,
        at: &At<'_>,
        target: &str,
    ) -> NodeIndex {
        // Most references lead a few nodes on (or back, for a retry): comparing with
        // the ids nearby spares a hash lookup and its cache misses, which dominate on a
        // large tree. A nearby node that is the first with its id is what the index
        // would give.
        let nearby = i.saturating_sub(NEAR_BEHIND)..(i + 1 + NEAR_AHEAD).min(self.ids.len());
        for j in nearby {
            // Ids that differ mostly differ in their length or their last character.
            if let Some(id) = self.ids[j]
                && id.len() == target.len()
                && id.as_bytes().last() == target.as_bytes().last()
                && id == target
                && !self.duplicates[j]
            {
                return NodeIndex::new(j);
            }
        }
        if let Some(index) = self.node_index.get(target) {
            return index;
        }
        self.broken[i] = true;
        let hint = self.hints.suggest(target, &self.node_index);
        self.report(
            Code::DanglingReference,
            at.to_string(),
            Some(node),
            format!(
                "{field} of node {} names {}, but no node has that id{hint}",
                Quoted(node),
                Quoted(target)
            ),
        );
        NodeIndex::end()
    }

    pub(super) fn fact_slot(&mut self, node: &str, at: &At<'_>, name: &str) -> Option<FactSlot> {
        if let Some(&slot) = self.fact_index.get(name) {
            return Some(slot);
        }
        let declared = match self.facts.len() {
            0 => "none".to_owned(),
            _ => listed(self.facts.iter().map(|f| Quoted(&f.name))),
        };
        self.report(
            Code::UnknownFact,
            at.to_string(),
            Some(node),
            format!("node {} uses fact {}, which the tree does not declare (declared: {declared}); add Fact(name: {}, ...) to `facts`", Quoted(node), Quoted(name), Quoted(name)),
        );
        None
    }

    /// The stored form of a written value for a fact, as [`FactTy::store`] gives it for
    /// the same value, without a scan of a long list of choices.
    pub(super) fn store(&self, slot: FactSlot, value: &ValueDef<'_>) -> Option<Stored> {
        let ty = &self.facts[usize::from(slot)].ty;
        match (ty, value) {
            (FactTy::Choice(options), ValueDef::Text(t)) => {
                match &self.choice_index[usize::from(slot)] {
                    Some(index) => index.get(&**t).copied().map(|j| Stored::Choice(j.into())),
                    None => {
                        let index = options.iter().position(|o| **o == **t)?;
                        Some(Stored::Choice(u16::try_from(index).ok()?.into()))
                    }
                }
            }
            (FactTy::Bool, ValueDef::Bool(b)) => Some(Stored::Bool((*b).into())),
            (FactTy::Number, ValueDef::Number(n)) if n.is_finite() => Some(Stored::Number(*n)),
            (FactTy::Text, ValueDef::Text(t)) => Some(Stored::text(t)),
            _ => None,
        }
    }
}

/// Punctuation that Chinese text writes full-width, and its full-width forms.
const HALF_WIDTH: [char; 6] = [',', ':', '?', ';', '(', ')'];
/// See [`HALF_WIDTH`].
const FULL_WIDTH: [char; 6] = ['，', '：', '？', '；', '（', '）'];

/// Chinese characters and Chinese punctuation, for W007: CJK ideographs (and extension
/// A), CJK punctuation (`。、「」`) and full-width forms (`，：？`).
fn cjk(c: char) -> bool {
    matches!(c,
        '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}'
    )
}

/// Whether a name is empty or only white space (`trim().is_empty()`, without scanning
/// the name from both ends).
fn blank(name: &str) -> bool {
    name.chars().all(char::is_whitespace)
}

/// The texts of one tree, each distinct text once: [`Texts::intern`] gives every node and
/// answer with the same words a reference to one copy.
#[derive(Default)]
pub(super) struct Texts {
    hasher: std::hash::RandomState,
    /// Texts by the hash of their strings. Two texts with the same hash (a 64-bit keyed
    /// SipHash: made on purpose or by chance, vanishingly rare) are both kept, the later
    /// one unshared.
    seen: HashMap<u64, Text, std::hash::BuildHasherDefault<Prehashed>>,
    /// Answer values: `true`, `false`, then texts.
    bools: [Option<Arc<Value>>; 2],
    values: HashMap<Box<str>, Arc<Value>>,
}

impl Texts {
    /// The text with these strings, one per declared locale.
    pub fn intern<'s>(&mut self, parts: impl Iterator<Item = &'s str> + Clone) -> Text {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut hasher = self.hasher.build_hasher();
        for part in parts.clone() {
            part.hash(&mut hasher);
        }
        let key = hasher.finish();
        if let Some(text) = self.seen.get(&key)
            && text.0.iter().map(|s| &**s).eq(parts.clone())
        {
            return text.clone();
        }
        let text = Text(Arc::new(parts.map(Into::into).collect()));
        self.seen.entry(key).or_insert_with(|| text.clone());
        text
    }
}

impl Texts {
    /// The answer value, shared with every other answer of the same value.
    pub fn value(&mut self, value: Value) -> Arc<Value> {
        match value {
            Value::Bool(b) => self.bools[usize::from(b)]
                .get_or_insert_with(|| Arc::new(Value::Bool(b)))
                .clone(),
            Value::Text(text) => self.text_value(&text),
            number @ Value::Number(_) => Arc::new(number),
        }
    }

    /// The answer value that is this text.
    pub fn text_value(&mut self, text: &str) -> Arc<Value> {
        if let Some(value) = self.values.get(text) {
            return value.clone();
        }
        let value = Arc::new(Value::Text(text.to_owned()));
        self.values.insert(text.into(), value.clone());
        value
    }
}

/// A hasher for keys that are hashes already.
#[derive(Default)]
pub(super) struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
