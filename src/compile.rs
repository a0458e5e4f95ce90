//! Model → [`Tree`]: parse the text, resolve every id, type every value, build the graph,
//! and run every check. All findings are collected; a `Tree` comes out only if none of
//! them is an error.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use petgraph::graph::NodeIndex;

use crate::diagnostic::{Code, Finding, Pending};
use crate::error::LoadError;
use crate::limits::{Limits, bad_name, shown};
use crate::model::{
    AnswerDef, ChannelDef, ConditionDef, FORMAT_VERSION, FactDef, FactTypeDef, NodeDef, Nodes,
    PriorityDef, Str, Text as TextDef, TreeFile, Value, ValueDef, lookup,
};
use crate::source::{Position, Source};
use crate::tree::{
    Channel, CmpOp, Cond, FactDecl, FactSlot, FactTy, Graph, Limit, Node, NodeKind, Offer,
    Priority, Stored, Text, Tree, TreeData,
};

/// How deeply RON values may nest. Trees need a handful of levels; the bound keeps a
/// hostile file from exhausting the stack.
const RECURSION_LIMIT: usize = 128;

/// The outcome of checking one tree file: the tree if it has no errors, and every finding
/// (errors and warnings) in file order.
///
/// ```
/// let report = troubletree::check_str("x.ron", r#"Tree(id: "x", start: "a", nodes: [
///     Ask(id: "a", text: "Is it on?", answers: [Answer(value: "yes", text: "Yes", next: "b")]),
///     Resolve(id: "b", text: "Good."),
///     Resolve(id: "lost", text: "Never reached."),
/// ])"#);
/// assert!(report.tree.is_some()); // warnings only
/// assert_eq!(report.findings[0].code, troubletree::Code::Unreachable);
/// assert_eq!(report.findings[0].node.as_deref(), Some("lost"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Report {
    /// The compiled tree, present when no finding is an error.
    pub tree: Option<Tree>,
    /// Every finding, sorted by position.
    pub findings: Vec<Finding>,
    /// The tree id as written, whenever the text parsed (even with errors): the catalogue
    /// uses it so that a `Goto` into a tree refused for its own errors is not also
    /// reported as naming an unknown tree.
    pub(crate) id: Option<String>,
}

impl Report {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// The tree, or every finding as a [`LoadError::Invalid`].
    ///
    /// # Errors
    ///
    /// [`LoadError::Invalid`] when the report holds at least one error.
    pub fn into_result(self) -> Result<Tree, LoadError> {
        match self.tree {
            Some(tree) => Ok(tree),
            None => Err(LoadError::Invalid {
                findings: self.findings,
            }),
        }
    }
}

/// Checks a tree given as text. `name` is used in findings (a path, or `<string>`).
///
/// This is the whole validator: parse, resolve, type-check, analyse the graph. It never
/// panics, whatever the text, and its time and memory are linear in the size of the text.
pub fn check_str(name: &str, text: &str) -> Report {
    check_str_with(name, text, &Limits::default())
}

/// [`check_str`] with other [`Limits`].
pub fn check_str_with(name: &str, text: &str, limits: &Limits) -> Report {
    let source = Source::new(name, text);
    if source.text.len() < PARALLEL_FINGERPRINT {
        return check_source(&source, limits, || source.fingerprint());
    }
    // A large file's fingerprint (a hash of every token) is computed on a second thread
    // while the first one parses and checks; without a thread, it is computed after.
    // When the checks fail, the hash is abandoned.
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let hashing = std::thread::Builder::new()
            .spawn_scoped(scope, || source.fingerprint_unless(&stop))
            .ok();
        let report = check_source(&source, limits, || {
            hashing
                .and_then(|thread| thread.join().ok().flatten())
                .unwrap_or_else(|| source.fingerprint())
        });
        stop.store(true, Ordering::Relaxed);
        report
    })
}

/// From this many bytes of text on, [`check_str`] hashes the fingerprint on a second
/// thread: about a millisecond of hashing, far more than starting a thread costs.
const PARALLEL_FINGERPRINT: usize = 1 << 20;

/// Parses and checks; `fingerprint` is called once, only if the tree is valid.
fn check_source(source: &Source<'_>, limits: &Limits, fingerprint: impl FnOnce() -> u64) -> Report {
    let name = source.name;
    let ron = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_recursion_limit(RECURSION_LIMIT);
    // Plain files take the fast reader; anything else, errors included, is ron's.
    let parsed = match crate::model::read(source.text) {
        Some(file) => Ok(file),
        None => ron.from_str::<TreeFile<'_>>(source.text),
    };
    let file = match parsed {
        Ok(file) => file,
        Err(err) => {
            let pos = syntax_position(source.text, err.span.start.line, err.span.start.col);
            let message = syntax_message(&err.code);
            return Report {
                tree: None,
                findings: vec![Finding::new(Code::Syntax, name, pos, message, None)],
                id: None,
            };
        }
    };
    let id = file.id.to_string();
    let mut compiler = Compiler {
        limits: limits.clone(),
        ..Compiler::default()
    };
    // The model is consumed a chunk of nodes at a time: what the nodes held as written is
    // freed as soon as they are compiled, so the two forms of a large tree are never in
    // memory at once.
    let data = compiler.compile(file);
    let findings = locate(source, compiler.pending);
    let tree = match data {
        Some(mut data) if !findings.iter().any(Finding::is_error) => {
            data.file = name.into();
            data.fingerprint = fingerprint();
            data.warnings.clone_from(&findings);
            Some(Tree(Arc::new(data)))
        }
        _ => None,
    };
    Report {
        tree,
        findings,
        id: Some(id),
    }
}

/// Checks a file's bytes: invalid UTF-8 is a syntax finding at the first bad byte.
pub(crate) fn check_bytes(name: &str, bytes: &[u8], limits: &Limits) -> Report {
    match std::str::from_utf8(bytes) {
        Ok(text) => check_str_with(name, text, limits),
        Err(err) => {
            let valid = String::from_utf8_lossy(&bytes[..err.valid_up_to()]);
            // Columns do not count a byte order mark, as for every other finding.
            let valid = valid.strip_prefix('\u{feff}').unwrap_or(&valid);
            let line = valid.matches('\n').count() + 1;
            let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let pos = Position {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
            };
            let message = "the file is not valid UTF-8; save it as UTF-8".to_owned();
            Report {
                tree: None,
                findings: vec![Finding::new(Code::Syntax, name, pos, message, None)],
                id: None,
            }
        }
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

fn syntax_message(code: &ron::Error) -> String {
    match code {
        ron::Error::ExceededRecursionLimit => {
            format!(
                "values are nested more than {RECURSION_LIMIT} levels deep; a tree never needs that"
            )
        }
        other => {
            let text = other.to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => "the text is not valid RON".to_owned(),
            }
        }
    }
}

/// Turns pending findings into positioned ones with a single scan of the text.
pub(crate) fn locate(source: &Source<'_>, pending: Vec<Pending>) -> Vec<Finding> {
    if pending.is_empty() {
        return Vec::new();
    }
    let paths: Vec<&str> = pending.iter().map(|p| p.path.as_str()).collect();
    let positions = source.locate(&paths);
    let mut findings: Vec<Finding> = pending
        .into_iter()
        .zip(positions)
        .map(|(p, pos)| Finding::new(p.code, source.name, pos, p.message, p.node))
        .collect();
    findings.sort_by_key(|f| (f.line, f.column, f.code));
    findings
}

/// Where a value sits in the file, as a path such as `nodes.3.answers.1.next`.
///
/// A path is a chain of segments on the stack; it becomes a string only when a finding
/// is reported, so that a clean tree builds none.
#[derive(Clone, Copy)]
struct At<'p> {
    parent: Option<&'p At<'p>>,
    segment: Segment<'p>,
}

#[derive(Clone, Copy)]
enum Segment<'p> {
    Name(&'p str),
    Index(usize),
}

impl<'p> At<'p> {
    fn root(name: &'p str) -> Self {
        At {
            parent: None,
            segment: Segment::Name(name),
        }
    }

    fn name(&'p self, name: &'p str) -> At<'p> {
        At {
            parent: Some(self),
            segment: Segment::Name(name),
        }
    }

    fn index(&'p self, index: usize) -> At<'p> {
        At {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Iteratively: conditions may nest as deep as the parser allows.
        let mut segments = Vec::new();
        let mut at = Some(self);
        while let Some(here) = at {
            segments.push(here.segment);
            at = here.parent;
        }
        for (i, segment) in segments.iter().rev().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match segment {
                Segment::Name(name) => f.write_str(name)?,
                Segment::Index(index) => write!(f, "{index}")?,
            }
        }
        Ok(())
    }
}

/// How many candidate ids the "did you mean" hints may compare in one tree, in all. A
/// hint compares the wanted id with every node's; the budget keeps a tree with a
/// dangling reference on every node linear, at the price of hints for its first
/// references only (twenty of them in a tree of a million nodes).
const HINT_BUDGET: usize = 20_000_000;

/// How far [`Compiler::reference`] looks for a target among the neighbouring nodes
/// (behind, for a retry; ahead, for the next steps) before it hashes.
const NEAR_BEHIND: usize = 2;
/// See [`NEAR_BEHIND`].
const NEAR_AHEAD: usize = 6;

/// From this many values on, duplicate answers and choice lookups use a hash set rather
/// than a scan.
const SCAN_LIMIT: usize = 16;

#[derive(Default)]
struct Compiler<'t> {
    locales: Vec<Box<str>>,
    pending: Vec<Pending>,
    /// Declared facts by name; becomes the tree's index as it is.
    fact_index: HashMap<Box<str>, FactSlot>,
    facts: Vec<FactDecl>,
    /// For each fact slot with many choices, each choice's index (the first, if repeated).
    choice_index: Vec<Option<HashMap<Box<str>, u16>>>,
    /// Nodes by id (the first node with each id); becomes the tree's index as it is.
    node_index: HashMap<Box<str>, NodeIndex>,
    /// Each node's id as a slice of the text (`None` for an id with escapes), to find
    /// nearby targets without hashing: see [`Compiler::reference`].
    ids: Vec<Option<&'t str>>,
    /// Nodes with a reference that names nothing: the graph checks skip them.
    broken: Vec<bool>,
    /// For each fact slot, its index in the file's `facts` list.
    fact_positions: Vec<usize>,
    /// Facts that a `Decide` compares, with the first node that does: the walker asks
    /// for them with their `ask` text.
    decided: BTreeMap<FactSlot, String>,
    /// Nodes whose id an earlier node already has. Every reference goes to the first, so
    /// the later ones are unreachable by construction; E003 says so, W001 would repeat it.
    duplicates: Vec<bool>,
    /// Comparisons left for "did you mean" hints.
    hint_budget: usize,
    /// Bounds on ids, texts, answers and locales.
    limits: Limits,
}

/// What kind of values a question's fact takes, without borrowing the fact.
#[derive(Clone, Copy, PartialEq)]
enum Takes {
    Bool,
    Choice,
    Free,
}

impl<'t> Compiler<'t> {
    fn report(&mut self, code: Code, path: String, node: Option<&str>, message: String) {
        self.pending.push(Pending {
            code,
            path,
            message,
            node: node.map(str::to_owned),
        });
    }

    fn compile(&mut self, file: TreeFile<'t>) -> Option<TreeData> {
        let TreeFile {
            format,
            id,
            version,
            title,
            locales,
            facts,
            start,
            nodes,
        } = file;
        self.hint_budget = HINT_BUDGET;
        if format != FORMAT_VERSION {
            self.report(
                Code::UnsupportedFormat,
                "format".into(),
                None,
                format!("this tree is written in format {format}, but this version of troubletree reads format {FORMAT_VERSION}"),
            );
            return None;
        }
        if id.trim().is_empty() {
            self.report(
                Code::InvalidDefinition,
                "id".into(),
                None,
                "the tree id is empty; use the file name, e.g. id: \"recharge_failure\"".into(),
            );
        }
        self.locales(&locales);
        let title = title
            .as_ref()
            .map(|t| self.text(t, &At::root("title"), None));
        for (i, fact) in facts.iter().enumerate() {
            self.fact(i, fact);
        }
        drop(facts);
        self.index_nodes(&nodes);
        let start = match self.node_index.get(&*start) {
            Some(&start) => start,
            None => {
                let hint = self.suggest(&start);
                self.report(
                    Code::MissingStart,
                    "start".into(),
                    None,
                    format!("start names \"{start}\", but no node has that id{hint}"),
                );
                NodeIndex::end()
            }
        };
        let mut limit_slots = 0usize;
        let mut graph = Graph::with_capacity(nodes.len(), 0);
        let mut edges = Edges::with_capacity(nodes.len());
        for chunk in nodes.into_chunks() {
            for def in chunk {
                let i = graph.node_count();
                let node = self.node(i, &def, &mut limit_slots);
                edges.add(&node);
                graph.add_node(node);
            }
        }
        edges.finish();
        self.ids = Vec::new();
        if start != NodeIndex::end() {
            self.analyse(&graph, &edges, start);
        }
        self.missing_asks();
        if self
            .pending
            .iter()
            .any(|p| p.code.severity() == crate::Severity::Error)
        {
            return None;
        }
        // The tree's own edges come last, once the checks have freed what they used.
        graph.reserve_exact_edges(edges.targets.len());
        for v in graph.node_indices() {
            for &w in edges.of(v.index()) {
                graph.add_edge(v, NodeIndex::new(w as usize), ());
            }
        }
        drop(edges);
        Some(TreeData {
            id: (*id).into(),
            version,
            file: "".into(),
            title,
            locales: std::mem::take(&mut self.locales).into(),
            facts: std::mem::take(&mut self.facts).into(),
            fact_index: std::mem::take(&mut self.fact_index),
            graph,
            node_index: std::mem::take(&mut self.node_index),
            start,
            limit_slots,
            fingerprint: 0,
            warnings: Vec::new(),
        })
    }

    fn locales(&mut self, locales: &[Str<'_>]) {
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
            if locale.trim().is_empty() || !seen.insert(&**locale) {
                self.report(
                    Code::InvalidDefinition,
                    format!("locales.{i}"),
                    None,
                    format!("locale \"{locale}\" is empty or declared twice"),
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
    fn text(&mut self, def: &TextDef<'_>, at: &At<'_>, node: Option<&str>) -> Text {
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
        match def {
            TextDef::Plain(text) => {
                if self.locales.len() > 1 {
                    let missing = listed(&self.locales[1..]);
                    self.report(
                        Code::MissingTranslation,
                        at.to_string(),
                        node,
                        format!("this text is a plain string, so it has no {missing} translation; write it as {{ \"{}\": \"...\", ... }}", self.locales[0]),
                    );
                }
                Text(self.locales.iter().map(|_| (**text).into()).collect())
            }
            TextDef::Localized(entries) => {
                for (locale, _) in entries.iter() {
                    if !self.locales.iter().any(|l| **l == **locale) {
                        let declared = listed(&self.locales);
                        self.report(
                            Code::UnknownLocale,
                            at.name(locale).to_string(),
                            node,
                            format!("locale \"{locale}\" is not declared by this tree (declared: {declared}); add it to `locales` or remove this entry"),
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
                    let message = format!("this text has no {} translation", listed(&missing));
                    self.report(Code::MissingTranslation, at.to_string(), node, message);
                }
                let fallback = lookup(entries, &self.locales[0])
                    .or_else(|| entries.first().map(|(_, text)| text))
                    .map_or("", |text| &**text);
                Text(
                    self.locales
                        .iter()
                        .map(|l| lookup(entries, l).map_or(fallback, |text| &**text).into())
                        .collect(),
                )
            }
        }
    }

    /// Fixed labels the engine supplies (yes/no, done, solved...), in each locale.
    fn builtin(&self, zh: &str, en: &str) -> Text {
        Text(
            self.locales
                .iter()
                .map(|l| {
                    if l.starts_with("zh") {
                        zh.into()
                    } else {
                        en.into()
                    }
                })
                .collect(),
        )
    }

    fn fact(&mut self, i: usize, def: &FactDef<'_>) {
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
            let shown = shown(&def.name);
            self.report(
                Code::LimitExceeded,
                at.name("name").to_string(),
                None,
                format!("the name of fact {} (\"{shown}…\") {why}", i + 1),
            );
        }
        let mut choice_index = None;
        let ty = match &def.ty {
            FactTypeDef::Bool => FactTy::Bool,
            FactTypeDef::Number => FactTy::Number,
            FactTypeDef::Text => FactTy::Text,
            FactTypeDef::Choice(options) => {
                let mut seen = HashSet::new();
                for (j, o) in options.iter().enumerate() {
                    if !seen.insert(&**o) {
                        self.report(
                            Code::InvalidDefinition,
                            at.name("type").name("0").index(j).to_string(),
                            None,
                            format!("fact \"{}\" lists the choice \"{o}\" twice", def.name),
                        );
                    }
                }
                if options.is_empty() {
                    self.report(Code::InvalidDefinition, at.name("type").to_string(), None, format!("fact \"{}\" is a Choice with no values; list them, e.g. Choice([\"a\", \"b\"])", def.name));
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
                    "fact \"{}\" is not a Choice, so it takes no labels",
                    def.name
                ),
            );
        }
        let ask = def
            .ask
            .as_ref()
            .map(|t| self.text(t, &at.name("ask"), None));
        let offers: Box<[Offer]> = match &ty {
            FactTy::Bool => [(true, "是", "Yes"), (false, "否", "No")]
                .into_iter()
                .map(|(b, zh, en)| Offer {
                    value: Value::Bool(b),
                    text: self.builtin(zh, en),
                    stored: Some(Stored::Bool(b)),
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
                                "\"{label}\" is not one of the choices of fact \"{}\"",
                                def.name
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
                            None => Text(self.locales.iter().map(|_| o.clone()).collect()),
                        };
                        Offer {
                            value: Value::Text(o.to_string()),
                            text,
                            stored: u16::try_from(j).ok().map(Stored::Choice),
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
                format!("fact \"{}\" is declared twice", def.name),
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
            ask,
            offers,
        });
    }

    fn index_nodes(&mut self, nodes: &Nodes<'t>) {
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
        self.node_index.reserve(nodes.len());
        self.ids = nodes
            .iter()
            .map(|node| match &node.id().0 {
                Cow::Borrowed(id) => Some(*id),
                Cow::Owned(_) => None,
            })
            .collect();
        for (i, node) in nodes.iter().enumerate() {
            let id: &str = node.id();
            if let Some(why) = bad_name(id, &self.limits) {
                let shown = shown(id);
                self.report(
                    Code::LimitExceeded,
                    format!("nodes.{i}.id"),
                    None,
                    format!("the id of node {} (\"{shown}…\") {why}", i + 1),
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
            match self.node_index.entry(id.into()) {
                Entry::Occupied(first) => {
                    let line_hint = first.get().index() + 1;
                    self.duplicates[i] = true;
                    self.report(
                        Code::DuplicateId,
                        format!("nodes.{i}.id"),
                        Some(id),
                        format!("node id \"{id}\" is already used by node {line_hint} of the list; ids must be unique"),
                    );
                }
                Entry::Vacant(slot) => {
                    slot.insert(NodeIndex::new(i));
                }
            }
        }
    }

    /// " (did you mean \"x\"?)" when an id is one or two edits from an existing one.
    fn suggest(&mut self, wanted: &str) -> String {
        if self.hint_budget < self.node_index.len() {
            return String::new();
        }
        self.hint_budget -= self.node_index.len();
        let wanted: Vec<char> = wanted.chars().collect();
        let mut scratch = Vec::new();
        let best = self
            .node_index
            .keys()
            .filter_map(|id| Some((close(&wanted, id, &mut scratch)?, &**id)))
            .min();
        match best {
            Some((_, id)) => format!(" (did you mean \"{id}\"?)"),
            None => String::new(),
        }
    }

    fn reference(
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
        if let Some(&index) = self.node_index.get(target) {
            return index;
        }
        self.broken[i] = true;
        let hint = self.suggest(target);
        self.report(
            Code::DanglingReference,
            at.to_string(),
            Some(node),
            format!("{field} of node \"{node}\" names \"{target}\", but no node has that id{hint}"),
        );
        NodeIndex::end()
    }

    fn fact_slot(&mut self, node: &str, at: &At<'_>, name: &str) -> Option<FactSlot> {
        if let Some(&slot) = self.fact_index.get(name) {
            return Some(slot);
        }
        let declared: Vec<&str> = self
            .facts
            .iter()
            .take(LISTED + 1)
            .map(|f| &*f.name)
            .collect();
        let declared = match self.facts.len() {
            0 => "none".to_owned(),
            n if n > LISTED => format!("{} and {} more", declared[..LISTED].join(", "), n - LISTED),
            _ => declared.join(", "),
        };
        self.report(
            Code::UnknownFact,
            at.to_string(),
            Some(node),
            format!("node \"{node}\" uses fact \"{name}\", which the tree does not declare (declared: {declared}); add Fact(name: \"{name}\", ...) to `facts`"),
        );
        None
    }

    /// The stored form of a written value for a fact, as [`FactTy::store`] gives it for
    /// the same value, without a scan of a long list of choices.
    fn store(&self, slot: FactSlot, value: &ValueDef<'_>) -> Option<Stored> {
        let ty = &self.facts[usize::from(slot)].ty;
        match (ty, value) {
            (FactTy::Choice(options), ValueDef::Text(t)) => {
                match &self.choice_index[usize::from(slot)] {
                    Some(index) => index.get(&**t).copied().map(Stored::Choice),
                    None => {
                        let index = options.iter().position(|o| **o == **t)?;
                        Some(Stored::Choice(u16::try_from(index).ok()?))
                    }
                }
            }
            (FactTy::Bool, ValueDef::Bool(b)) => Some(Stored::Bool(*b)),
            (FactTy::Number, ValueDef::Number(n)) if n.is_finite() => Some(Stored::Number(*n)),
            (FactTy::Text, ValueDef::Text(t)) => Some(Stored::Text((**t).into())),
            _ => None,
        }
    }

    fn node(&mut self, i: usize, def: &NodeDef<'_>, limit_slots: &mut usize) -> Node {
        let id: &str = def.id();
        let nodes = At::root("nodes");
        let at = nodes.index(i);
        let limit = def.limit().and_then(|l| {
            let then = self.reference(
                i,
                id,
                "the limit's `then`",
                &at.name("limit").name("then"),
                &l.then,
            );
            let times = match u16::try_from(l.times) {
                Ok(0) | Err(_) => {
                    self.report(
                        Code::InvalidDefinition,
                        at.name("limit").name("times").to_string(),
                        Some(id),
                        format!(
                            "node \"{id}\" has limit times: {}; use a number from 1 to 65535",
                            l.times
                        ),
                    );
                    // Keep the limit for the graph checks (the error already refuses the
                    // tree), so that its loop is not also reported as unbounded (E010).
                    0
                }
                Ok(times) => times,
            };
            let slot = u32::try_from(*limit_slots).ok()?;
            *limit_slots += 1;
            Some(Limit { slot, times, then })
        });
        let kind = match def {
            NodeDef::Ask {
                text,
                fact,
                answers,
                next,
                ..
            } => {
                let text = self.text(text, &at.name("text"), Some(id));
                self.ask(i, id, &at, text, fact.as_deref(), answers, next.as_deref())
            }
            NodeDef::Act {
                text, next, solved, ..
            } => {
                let text = self.text(text, &at.name("text"), Some(id));
                let next = self.reference(i, id, "`next`", &at.name("next"), next);
                let offers: Box<[Offer]> = match solved {
                    Some(solved) => {
                        let solved = self.reference(i, id, "`solved`", &at.name("solved"), solved);
                        Box::new([
                            Offer {
                                value: Value::Text("solved".into()),
                                text: self.builtin("问题已解决", "That fixed it"),
                                stored: None,
                                next: solved,
                            },
                            Offer {
                                value: Value::Text("not_solved".into()),
                                text: self.builtin("仍未解决", "Still not working"),
                                stored: None,
                                next,
                            },
                        ])
                    }
                    None => Box::new([Offer {
                        value: Value::Text("done".into()),
                        text: self.builtin("完成", "Done"),
                        stored: None,
                        next,
                    }]),
                };
                NodeKind::Act { text, offers }
            }
            NodeDef::Decide {
                rules, otherwise, ..
            } => {
                let rules_at = at.name("rules");
                let rules = rules
                    .iter()
                    .enumerate()
                    .map(|(j, rule)| {
                        let rule_at = rules_at.index(j);
                        let cond = self.cond(id, &rule_at.name("when"), &rule.when);
                        let next = self.reference(
                            i,
                            id,
                            "a rule's `next`",
                            &rule_at.name("next"),
                            &rule.next,
                        );
                        (cond.unwrap_or(Cond::All(Box::new([]))), next)
                    })
                    .collect();
                let otherwise =
                    self.reference(i, id, "`otherwise`", &at.name("otherwise"), otherwise);
                NodeKind::Decide { rules, otherwise }
            }
            NodeDef::Resolve { text, .. } => NodeKind::Resolve {
                text: self.text(text, &at.name("text"), Some(id)),
            },
            NodeDef::Escalate {
                reason,
                priority,
                channel,
                prepare,
                ..
            } => NodeKind::Escalate {
                reason: self.text(reason, &at.name("reason"), Some(id)),
                priority: match priority {
                    PriorityDef::Low => Priority::Low,
                    PriorityDef::Normal => Priority::Normal,
                    PriorityDef::High => Priority::High,
                    PriorityDef::Urgent => Priority::Urgent,
                },
                channel: channel.map(|c| match c {
                    ChannelDef::Hotline => Channel::Hotline,
                    ChannelDef::InApp => Channel::InApp,
                    ChannelDef::Chat => Channel::Chat,
                    ChannelDef::Email => Channel::Email,
                }),
                prepare: {
                    let prepare_at = at.name("prepare");
                    prepare
                        .iter()
                        .enumerate()
                        .map(|(j, t)| self.text(t, &prepare_at.index(j), Some(id)))
                        .collect()
                },
            },
            NodeDef::Goto { tree, node, .. } => {
                if tree.trim().is_empty() {
                    self.report(
                        Code::InvalidDefinition,
                        at.name("tree").to_string(),
                        Some(id),
                        format!("Goto \"{id}\" names no tree"),
                    );
                }
                NodeKind::Goto {
                    tree: (**tree).into(),
                    node: node.as_deref().map(Into::into),
                }
            }
        };
        Node {
            id: id.into(),
            kind,
            limit,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn ask(
        &mut self,
        i: usize,
        id: &str,
        at: &At<'_>,
        text: Text,
        fact: Option<&str>,
        answers: &[AnswerDef<'_>],
        next: Option<&str>,
    ) -> NodeKind {
        let slot = fact.and_then(|f| self.fact_slot(id, &at.name("fact"), f));
        let takes = slot.map(|s| match self.facts[usize::from(s)].ty {
            FactTy::Bool => Takes::Bool,
            FactTy::Choice(_) => Takes::Choice,
            FactTy::Number | FactTy::Text => Takes::Free,
        });
        let free_input = takes == Some(Takes::Free);
        let free_next = match (free_input, next) {
            (true, Some(next)) => Some(self.reference(i, id, "`next`", &at.name("next"), next)),
            (true, None) => {
                let ty = slot.map_or(crate::FactType::Text, |s| {
                    self.facts[usize::from(s)].ty.public()
                });
                self.report(Code::InvalidDefinition, at.to_string(), Some(id), format!("question \"{id}\" fills a {ty} fact, so it takes free input and needs `next`"));
                None
            }
            (false, Some(_)) => {
                self.report(Code::InvalidDefinition, at.name("next").to_string(), Some(id), format!("question \"{id}\" offers answers, so each answer names its own `next`; remove this `next`"));
                None
            }
            (false, None) => None,
        };
        if free_input && !answers.is_empty() {
            self.report(Code::InvalidDefinition, at.name("answers").to_string(), Some(id), format!("question \"{id}\" fills a free-input fact; it offers no answers (use a Choice fact to offer a fixed set)"));
        }
        if !free_input && answers.is_empty() {
            self.report(Code::InvalidDefinition, at.to_string(), Some(id), format!("question \"{id}\" offers no answers; add Answer(value: ..., text: ..., next: ...) entries"));
        }
        let answers_at = at.name("answers");
        if answers.len() > self.limits.max_answers {
            self.report(
                Code::LimitExceeded,
                answers_at.to_string(),
                Some(id),
                format!(
                    "question \"{id}\" offers {} answers, more than the limit of {}; use a Choice fact and a Decide, or split the question",
                    answers.len(),
                    self.limits.max_answers
                ),
            );
        }
        let mut offers = Vec::with_capacity(answers.len());
        let mut seen = Seen::new(answers.len());
        for (j, answer) in answers.iter().enumerate() {
            let answer_at = answers_at.index(j);
            if !seen.insert(&answer.value) {
                self.report(Code::DuplicateAnswer, answer_at.name("value").to_string(), Some(id), format!("question \"{id}\" offers the value {} twice; each answer needs its own value", show(&answer.value.to_value())));
            }
            let stored = match slot {
                Some(slot) if !free_input => {
                    let stored = self.store(slot, &answer.value);
                    if stored.is_none() {
                        let fact_name = fact.unwrap_or_default();
                        let ty = &self.facts[usize::from(slot)].ty;
                        let message = format!(
                            "answer value {} does not fit fact \"{fact_name}\", which is {}",
                            show(&answer.value.to_value()),
                            describe(ty)
                        );
                        self.report(
                            Code::TypeMismatch,
                            answer_at.name("value").to_string(),
                            Some(id),
                            message,
                        );
                    }
                    stored
                }
                _ => None,
            };
            let text = self.text(&answer.text, &answer_at.name("text"), Some(id));
            let next = self.reference(
                i,
                id,
                "an answer's `next`",
                &answer_at.name("next"),
                &answer.next,
            );
            offers.push(Offer {
                value: answer.value.to_value(),
                text,
                stored,
                next,
            });
        }
        // Coverage: a Bool or Choice question should offer every value of its fact.
        let uncovered: Vec<String> = match (takes, slot) {
            (Some(Takes::Bool), _) => [true, false]
                .iter()
                .filter(|b| !seen.contains(&ValueDef::Bool(**b)))
                .map(bool::to_string)
                .collect(),
            (Some(Takes::Choice), Some(slot)) => match &self.facts[usize::from(slot)].ty {
                // The first few are enough to name: the scan stops there.
                FactTy::Choice(options) => options
                    .iter()
                    .filter(|o| !seen.contains_text(o))
                    .take(LISTED + 1)
                    .map(|o| format!("\"{o}\""))
                    .collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        if !uncovered.is_empty() && !answers.is_empty() {
            let uncovered = if uncovered.len() > LISTED {
                format!("{} and more", uncovered[..LISTED].join(", "))
            } else {
                uncovered.join(", ")
            };
            self.report(
                Code::UncoveredAnswer,
                answers_at.to_string(),
                Some(id),
                format!("question \"{id}\" offers no answer for {uncovered} of fact \"{}\"; when the fact already holds that value, the walker cannot answer for the user and asks this question again", fact.unwrap_or_default()),
            );
        }
        NodeKind::Ask {
            text,
            fact: slot,
            offers: offers.into(),
            free_next,
        }
    }

    fn cond(&mut self, node: &str, at: &At<'_>, def: &ConditionDef<'_>) -> Option<Cond> {
        match def {
            ConditionDef::Eq(f, v) | ConditionDef::Ne(f, v) => {
                let slot = self.fact_slot(node, &at.name("0"), f)?;
                self.decided.entry(slot).or_insert_with(|| node.to_owned());
                let stored = self.typed(node, &at.name("1"), slot, v)?;
                Some(if matches!(def, ConditionDef::Eq(..)) {
                    Cond::Eq(slot, stored)
                } else {
                    Cond::Ne(slot, stored)
                })
            }
            ConditionDef::Lt(f, v)
            | ConditionDef::Le(f, v)
            | ConditionDef::Gt(f, v)
            | ConditionDef::Ge(f, v) => {
                let op = match def {
                    ConditionDef::Lt(..) => CmpOp::Lt,
                    ConditionDef::Le(..) => CmpOp::Le,
                    ConditionDef::Gt(..) => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                let slot = self.fact_slot(node, &at.name("0"), f)?;
                self.decided.entry(slot).or_insert_with(|| node.to_owned());
                let ty = &self.facts[usize::from(slot)].ty;
                if !matches!(ty, FactTy::Number) {
                    let described = describe(ty);
                    self.report(
                        Code::TypeMismatch,
                        at.name("0").to_string(),
                        Some(node),
                        format!("{op:?} compares numbers, but fact \"{f}\" is {described}"),
                    );
                    return None;
                }
                match v {
                    ValueDef::Number(n) => Some(Cond::Cmp(slot, op, *n)),
                    other => {
                        self.report(
                            Code::TypeMismatch,
                            at.name("1").to_string(),
                            Some(node),
                            format!(
                                "{op:?} needs a number to compare fact \"{f}\" with, not {}",
                                show(&other.to_value())
                            ),
                        );
                        None
                    }
                }
            }
            ConditionDef::In(f, values) => {
                let slot = self.fact_slot(node, &at.name("0"), f)?;
                self.decided.entry(slot).or_insert_with(|| node.to_owned());
                let values_at = at.name("1");
                let mut set = Vec::with_capacity(values.len());
                for (j, v) in values.iter().enumerate() {
                    set.push(self.typed(node, &values_at.index(j), slot, v));
                }
                set.into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(|s| Cond::In(slot, s.into()))
            }
            ConditionDef::Known(f) => self.fact_slot(node, &at.name("0"), f).map(Cond::Known),
            ConditionDef::All(list) | ConditionDef::Any(list) => {
                let list_at = at.name("0");
                let mut out = Vec::with_capacity(list.len());
                for (j, c) in list.iter().enumerate() {
                    out.push(self.cond(node, &list_at.index(j), c));
                }
                let out: Box<[Cond]> = out.into_iter().collect::<Option<Vec<_>>>()?.into();
                Some(if matches!(def, ConditionDef::All(_)) {
                    Cond::All(out)
                } else {
                    Cond::Any(out)
                })
            }
            ConditionDef::Not(inner) => self
                .cond(node, &at.name("0"), inner)
                .map(|c| Cond::Not(Box::new(c))),
        }
    }

    fn typed(
        &mut self,
        node: &str,
        at: &At<'_>,
        slot: FactSlot,
        value: &ValueDef<'_>,
    ) -> Option<Stored> {
        match self.store(slot, value) {
            Some(stored) => Some(stored),
            None => {
                let fact = &self.facts[usize::from(slot)];
                let message = format!(
                    "fact \"{}\" is {}, so it cannot be compared with {}",
                    fact.name,
                    describe(&fact.ty),
                    show(&value.to_value())
                );
                self.report(Code::TypeMismatch, at.to_string(), Some(node), message);
                None
            }
        }
    }

    /// W005: a fact a `Decide` compares is asked for with its `ask` text when nobody
    /// supplied it; without one the user would see the bare fact name.
    fn missing_asks(&mut self) {
        let missing: Vec<(usize, String, String)> = self
            .decided
            .iter()
            .filter(|(slot, _)| self.facts[usize::from(**slot)].ask.is_none())
            .map(|(slot, node)| {
                let name = self.facts[usize::from(*slot)].name.to_string();
                (self.fact_positions[usize::from(*slot)], name, node.clone())
            })
            .collect();
        for (i, name, node) in missing {
            self.report(
                Code::MissingAsk,
                format!("facts.{i}"),
                None,
                format!(
                    "fact \"{name}\" is compared by Decide \"{node}\" but has no `ask` text; when the host does not supply it, the user would be asked with the bare name (add ask: {{ ... }})"
                ),
            );
        }
    }

    /// Reachability, exits and bounded cycles.
    fn analyse(&mut self, graph: &Graph, edges: &Edges, start: NodeIndex) {
        let n = graph.node_count();
        // Reachable from start.
        let mut reached = vec![false; n];
        let mut stack = vec![index_u32(start)];
        reached[start.index()] = true;
        while let Some(v) = stack.pop() {
            for &w in edges.of(v as usize) {
                if !reached[w as usize] {
                    reached[w as usize] = true;
                    stack.push(w);
                }
            }
        }
        // Can reach an end (Resolve, Escalate or Goto). A node with a dangling reference
        // counts as one: its E006 is the finding, and the nodes that lead to it should not
        // also be reported as having no exit.
        let incoming = edges.reversed();
        let mut exits = vec![false; n];
        stack.clear();
        for (v, node) in graph.node_weights().enumerate() {
            if node.kind.is_terminal() || self.broken[v] {
                exits[v] = true;
                stack.push(u32::try_from(v).unwrap_or(u32::MAX));
            }
        }
        while let Some(v) = stack.pop() {
            for &w in incoming.of(v as usize) {
                if !exits[w as usize] {
                    exits[w as usize] = true;
                    stack.push(w);
                }
            }
        }
        drop((stack, incoming));
        for v in graph.node_indices() {
            let (reached, exits) = (reached[v.index()], exits[v.index()]);
            if !reached && !self.duplicates[v.index()] {
                let id = &*graph[v].id;
                self.report(Code::Unreachable, format!("nodes.{}", v.index()), Some(id), format!("node \"{id}\" cannot be reached from start \"{}\"; link to it or remove it", graph[start].id));
            }
            if !exits && !self.broken[v.index()] {
                let id = &*graph[v].id;
                self.report(Code::NoExit, format!("nodes.{}", v.index()), Some(id), format!("no walk from node \"{id}\" reaches a Resolve, Escalate or Goto; give it a way out"));
            }
        }
        drop((reached, exits));
        self.cycles(graph, edges);
    }

    /// A walk is bounded when every cycle it could repeat passes a counted arrival at a
    /// node with a `limit`. The graph of *uncounted* moves (arrivals at unlimited nodes,
    /// and redirects from an exhausted limit to its `then`) must therefore be acyclic.
    fn cycles(&mut self, graph: &Graph, edges: &Edges) {
        const NOWHERE: u32 = u32::MAX;
        let n = graph.node_count();
        // Where an uncounted move towards each node lands: the node itself when it has
        // no limit, and where its exhausted limit sends the arrival otherwise.
        let exhausted = self.exhausted(graph);
        let lands: Vec<u32> = graph
            .node_weights()
            .zip(exhausted)
            .enumerate()
            .map(|(x, (node, exhausted))| match (node.limit, exhausted) {
                (None, _) => u32::try_from(x).unwrap_or(NOWHERE),
                (Some(_), Some(target)) => index_u32(target),
                (Some(_), None) => NOWHERE,
            })
            .collect();
        // The uncounted moves, as adjacency lists in one array. Repeated moves are kept:
        // they change no strongly connected component.
        let mut moves = Edges::with_capacity(n);
        for (p, node) in graph.node_weights().enumerate() {
            // The edge from a limited node to its own `then` (its last edge) is not a
            // move: the redirect goes from the predecessor, as the move to `lands`.
            let out = edges.of(p);
            let out = match node.limit {
                Some(limit) if limit.then != NodeIndex::end() => &out[..out.len() - 1],
                _ => out,
            };
            moves.close();
            moves.targets.extend(
                out.iter()
                    .map(|&x| lands[x as usize])
                    .filter(|&t| t != NOWHERE),
            );
        }
        moves.finish();
        drop(lands);
        for mut component in loops(&moves) {
            component.sort_unstable();
            let first = NodeIndex::new(component[0] as usize);
            let names: Vec<&str> = component
                .iter()
                .take(8)
                .map(|&i| &*graph[NodeIndex::new(i as usize)].id)
                .collect();
            let more = if component.len() > 8 {
                format!(" and {} more", component.len() - 8)
            } else {
                String::new()
            };
            let id = &*graph[first].id;
            self.report(
                Code::UnboundedCycle,
                format!("nodes.{}", first.index()),
                Some(id),
                format!("nodes {}{more} form a loop that nothing bounds; give one of them limit: Limit(times: N, then: \"...\")", names.join(" → ")),
            );
        }
    }

    /// For each limited node, where an arrival goes once it and every limited node along
    /// its `then` chain are exhausted: the first node without a limit on the chain, or
    /// `None` when the chain ends at a dangling `then` or goes round in a circle. Each
    /// circle is reported at every `then` on it.
    ///
    /// Each `then` chain is followed once, whatever the number of limited nodes that
    /// lead into it: linear time.
    fn exhausted(&mut self, graph: &Graph) -> Vec<Option<NodeIndex>> {
        const NEW: u8 = 0;
        const ON_PATH: u8 = 1;
        const DONE: u8 = 2;
        let n = graph.node_count();
        let mut exhausted: Vec<Option<NodeIndex>> = vec![None; n];
        let mut state = vec![NEW; n];
        let mut path: Vec<NodeIndex> = Vec::new();
        let mut circles: Vec<(NodeIndex, String)> = Vec::new();
        for v in graph.node_indices() {
            if graph[v].limit.is_none() || state[v.index()] == DONE {
                continue;
            }
            path.clear();
            let mut at = v;
            let result = loop {
                let Some(limit) = graph[at].limit else {
                    break Some(at);
                };
                match state[at.index()] {
                    DONE => break exhausted[at.index()],
                    ON_PATH => {
                        let from = path.iter().position(|&p| p == at).unwrap_or(0);
                        let mut circle: Vec<NodeIndex> = path[from..].to_vec();
                        circle.sort_unstable();
                        let chain = listed(circle.iter().map(|i| &*graph[*i].id));
                        circles.extend(circle.iter().map(|&c| (c, chain.clone())));
                        break None;
                    }
                    _ => {}
                }
                state[at.index()] = ON_PATH;
                path.push(at);
                if limit.then == NodeIndex::end() {
                    break None;
                }
                at = limit.then;
            };
            for &p in &path {
                state[p.index()] = DONE;
                exhausted[p.index()] = result;
            }
        }
        circles.sort_by_key(|(v, _)| *v);
        for (v, chain) in circles {
            let id = &*graph[v].id;
            self.report(Code::UnboundedCycle, format!("nodes.{}.limit.then", v.index()), Some(id), format!("the limits of {chain} send each other round in a circle once all are used up; end one `then` at a node without a limit"));
        }
        exhausted
    }
}

/// Answer values seen so far in one question: a scan for a handful, a hash set beyond.
struct Seen<'v, 'a> {
    values: Vec<&'v ValueDef<'a>>,
    hashed: Option<HashSet<ValueKey<'v>>>,
}

/// A value's identity for equality as `PartialEq` has it (`0.0 == -0.0`; numbers in a
/// tree are finite, so NaN never occurs).
#[derive(PartialEq, Eq, Hash)]
enum ValueKey<'v> {
    Bool(bool),
    Number(u64),
    Text(&'v str),
}

impl<'v> ValueKey<'v> {
    fn of(value: &'v ValueDef<'_>) -> Self {
        match value {
            ValueDef::Bool(b) => ValueKey::Bool(*b),
            ValueDef::Number(n) => ValueKey::Number(if *n == 0.0 { 0 } else { n.to_bits() }),
            ValueDef::Text(t) => ValueKey::Text(t),
        }
    }
}

impl<'v, 'a> Seen<'v, 'a> {
    fn new(len: usize) -> Self {
        Seen {
            values: Vec::with_capacity(len.min(SCAN_LIMIT)),
            hashed: (len > SCAN_LIMIT).then(|| HashSet::with_capacity(len)),
        }
    }

    /// Adds a value; false if it was already there.
    fn insert(&mut self, value: &'v ValueDef<'a>) -> bool {
        match &mut self.hashed {
            Some(set) => set.insert(ValueKey::of(value)),
            None => {
                let new = !self.values.contains(&value);
                self.values.push(value);
                new
            }
        }
    }

    fn contains(&self, value: &ValueDef<'_>) -> bool {
        match &self.hashed {
            Some(set) => set.contains(&ValueKey::of(value)),
            None => self.values.iter().any(|v| **v == *value),
        }
    }

    fn contains_text(&self, text: &str) -> bool {
        match &self.hashed {
            Some(set) => set.contains(&ValueKey::Text(text)),
            None => self
                .values
                .iter()
                .any(|v| matches!(v, ValueDef::Text(t) if **t == *text)),
        }
    }
}

/// Whether a name is empty or only white space (`trim().is_empty()`, without scanning
/// the name from both ends).
fn blank(name: &str) -> bool {
    name.chars().all(char::is_whitespace)
}

/// The nodes a node leads to (not counting its limit's `then`).
pub(crate) fn successors(kind: &NodeKind) -> impl Iterator<Item = NodeIndex> + '_ {
    let (offers, single, rules): (&[Offer], Option<NodeIndex>, &[(Cond, NodeIndex)]) = match kind {
        NodeKind::Ask {
            offers, free_next, ..
        } => (offers, *free_next, &[]),
        NodeKind::Act { offers, .. } => (offers, None, &[]),
        NodeKind::Decide { rules, otherwise } => (&[], Some(*otherwise), rules),
        NodeKind::Resolve { .. } | NodeKind::Escalate { .. } | NodeKind::Goto { .. } => {
            (&[], None, &[])
        }
    };
    offers
        .iter()
        .map(|o| o.next)
        .chain(single)
        .chain(rules.iter().map(|r| r.1))
        .filter(|&i| i != NodeIndex::end())
}

/// Adjacency lists of a graph in two arrays: node `v`'s targets are
/// `targets[starts[v]..starts[v + 1]]`. Compact and read in order, they make the graph
/// checks much faster than following petgraph's linked edge lists.
struct Edges {
    starts: Vec<u32>,
    targets: Vec<u32>,
}

impl Edges {
    fn with_capacity(nodes: usize) -> Self {
        Edges {
            starts: Vec::with_capacity(nodes + 1),
            targets: Vec::with_capacity(nodes.saturating_mul(2)),
        }
    }

    /// Adds the next node's edges, in the order of [`Tree::edges`]: its successors,
    /// then its limit's `then`.
    fn add(&mut self, node: &Node) {
        self.close();
        self.targets.extend(successors(&node.kind).map(index_u32));
        if let Some(limit) = node.limit
            && limit.then != NodeIndex::end()
        {
            self.targets.push(index_u32(limit.then));
        }
    }

    /// Ends the previous node's list, and starts the next one's.
    fn close(&mut self) {
        // Edge counts above u32::MAX would take a file of tens of gigabytes.
        self.starts
            .push(u32::try_from(self.targets.len()).unwrap_or(u32::MAX));
    }

    /// Closes the last node's list.
    fn finish(&mut self) {
        self.close();
    }

    fn of(&self, v: usize) -> &[u32] {
        &self.targets[self.starts[v] as usize..self.starts[v + 1] as usize]
    }

    /// The same edges, reversed: each node's sources.
    fn reversed(&self) -> Edges {
        let n = self.starts.len().saturating_sub(1);
        let mut starts = vec![0u32; n + 1];
        for &w in &self.targets {
            starts[w as usize + 1] += 1;
        }
        for v in 0..n {
            starts[v + 1] += starts[v];
        }
        let mut fill = starts.clone();
        let mut targets = vec![0u32; self.targets.len()];
        for v in 0..n {
            for &w in self.of(v) {
                let at = &mut fill[w as usize];
                targets[*at as usize] = u32::try_from(v).unwrap_or(u32::MAX);
                *at += 1;
            }
        }
        Edges { starts, targets }
    }
}

fn index_u32(v: NodeIndex) -> u32 {
    // Node counts above u32::MAX are refused before the graph is built.
    u32::try_from(v.index()).unwrap_or(u32::MAX)
}

/// The strongly connected components of `graph` that hold a cycle (two nodes or more,
/// or one with an edge to itself). Tarjan's algorithm, with an explicit stack: linear
/// time, no recursion.
fn loops(graph: &Edges) -> Vec<Vec<u32>> {
    /// Where the walk stands: numbers, low links and the two stacks.
    struct Walk {
        order: Vec<u32>,
        low: Vec<u32>,
        on_stack: Vec<bool>,
        stack: Vec<u32>,
        /// Nodes being visited, with the position of their next edge.
        calls: Vec<(u32, usize)>,
        next: u32,
    }
    const UNSEEN: u32 = u32::MAX;
    impl Walk {
        fn visit(&mut self, v: u32, graph: &Edges) {
            let i = v as usize;
            self.order[i] = self.next;
            self.low[i] = self.next;
            self.next = self.next.saturating_add(1);
            self.stack.push(v);
            self.on_stack[i] = true;
            self.calls.push((v, graph.starts[i] as usize));
        }
    }
    let n = graph.starts.len().saturating_sub(1);
    let mut walk = Walk {
        order: vec![UNSEEN; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        calls: Vec::new(),
        next: 0,
    };
    let mut out = Vec::new();
    for root in 0..n {
        if walk.order[root] != UNSEEN {
            continue;
        }
        walk.visit(u32::try_from(root).unwrap_or(UNSEEN), graph);
        while let Some(&(v, at)) = walk.calls.last() {
            let i = v as usize;
            if at < graph.starts[i + 1] as usize {
                if let Some(call) = walk.calls.last_mut() {
                    call.1 += 1;
                }
                let w = graph.targets[at];
                if walk.order[w as usize] == UNSEEN {
                    walk.visit(w, graph);
                } else if walk.on_stack[w as usize] {
                    walk.low[i] = walk.low[i].min(walk.order[w as usize]);
                }
                continue;
            }
            walk.calls.pop();
            if let Some(&(parent, _)) = walk.calls.last() {
                let p = parent as usize;
                walk.low[p] = walk.low[p].min(walk.low[i]);
            }
            if walk.low[i] != walk.order[i] {
                continue;
            }
            if walk.stack.last() == Some(&v) {
                walk.stack.pop();
                walk.on_stack[i] = false;
                if graph.of(i).contains(&v) {
                    out.push(vec![v]);
                }
                continue;
            }
            let mut component = Vec::new();
            while let Some(w) = walk.stack.pop() {
                walk.on_stack[w as usize] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            out.push(component);
        }
    }
    out
}

/// At most this many items of a list are named in a message; a longer list ends with
/// "and N more", so that messages stay short however large the tree.
const LISTED: usize = 32;

/// Items separated by commas, at most [`LISTED`] of them.
fn listed<T: fmt::Display>(
    items: impl IntoIterator<Item = T, IntoIter: ExactSizeIterator>,
) -> String {
    let items = items.into_iter();
    let more = items.len().saturating_sub(LISTED);
    let mut out = String::new();
    for (i, item) in items.take(LISTED).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&item.to_string());
    }
    if more > 0 {
        out.push_str(&format!(" and {more} more"));
    }
    out
}

fn describe(ty: &FactTy) -> String {
    match ty {
        FactTy::Bool => "Bool (true or false)".into(),
        FactTy::Number => "Number".into(),
        FactTy::Text => "Text".into(),
        FactTy::Choice(options) => {
            format!(
                "a Choice of {}",
                listed(options.iter().map(|o| format!("\"{o}\"")))
            )
        }
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::Text(t) => format!("\"{t}\""),
        other => other.to_string(),
    }
}

/// The Levenshtein distance between `a` and `b` when it is at most 2, for "did you mean"
/// hints; `None` when it is more. Only the cells within two of the diagonal are computed
/// (the others exceed 2), so the cost is linear in the length of the ids. `scratch` holds
/// `b`'s characters.
fn close(a: &[char], b: &str, scratch: &mut Vec<char>) -> Option<usize> {
    const MAX: usize = 2;
    const WIDTH: usize = 2 * MAX + 1;
    const FAR: usize = MAX + 1;
    // `b` has at most `b.len()` characters (bytes), and at least a quarter of that.
    if b.len() + MAX < a.len() || b.len() > 4 * (a.len() + MAX) {
        return None;
    }
    scratch.clear();
    scratch.extend(b.chars());
    let b = &scratch[..];
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > MAX {
        return None;
    }
    // Row i holds the cells j = i - MAX ..= i + MAX at offsets 0..WIDTH.
    let mut prev = [FAR; WIDTH];
    for (d, cell) in prev.iter_mut().enumerate() {
        if let Some(j) = d.checked_sub(MAX)
            && j <= m
        {
            *cell = j;
        }
    }
    for i in 1..=n {
        let mut row = [FAR; WIDTH];
        for d in 0..WIDTH {
            let Some(j) = (i + d).checked_sub(MAX) else {
                continue;
            };
            if j > m {
                continue;
            }
            let cell = if j == 0 {
                i
            } else {
                let mut best = prev[d] + usize::from(a[i - 1] != b[j - 1]);
                if d + 1 < WIDTH {
                    best = best.min(prev[d + 1] + 1);
                }
                if d > 0 {
                    best = best.min(row[d - 1] + 1);
                }
                best
            };
            row[d] = cell.min(FAR);
        }
        if row.iter().all(|&c| c >= FAR) {
            return None;
        }
        prev = row;
    }
    let distance = prev[m + MAX - n];
    (distance <= MAX).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain Levenshtein distance, to check the banded one against.
    fn levenshtein(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = if ca == *cb {
                    prev
                } else {
                    1 + prev.min(cur).min(row[j])
                };
                prev = cur;
            }
        }
        row[b.len()]
    }

    #[test]
    fn close_agrees_with_levenshtein() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "acb",
            "abcd",
            "xbcd",
            "check_network",
            "check_netwrok",
            "chek_network",
            "check_networks",
            "ask_amount",
            "ask_amonut",
            "退款",
            "退款了",
            "退",
            "款退",
            "aaaa",
            "aaaaaa",
            "retry_recharge",
            "retry_charge",
        ];
        let mut scratch = Vec::new();
        for a in words {
            let chars: Vec<char> = a.chars().collect();
            for b in words {
                let want = levenshtein(a, b);
                let got = close(&chars, b, &mut scratch);
                assert_eq!(got, (want <= 2).then_some(want), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn loops_finds_cycles_and_self_moves() {
        // 0 → 1 → 2 → 0, 3 → 3, 4 → 5.
        let graph = Edges {
            starts: vec![0, 1, 2, 3, 4, 5, 5],
            targets: vec![1, 2, 0, 3, 5],
        };
        let mut found = loops(&graph);
        for c in &mut found {
            c.sort_unstable();
        }
        found.sort();
        assert_eq!(found, vec![vec![0, 1, 2], vec![3]]);
    }

    /// Trees made to make a naive validator quadratic: long lists in messages are cut,
    /// and every check stays linear (these would take minutes otherwise).
    #[test]
    fn large_hostile_trees_stay_linear_and_messages_short() {
        use std::fmt::Write as _;
        let n = 1_500;
        // A Choice of n values, and n questions offering one each.
        let mut text =
            String::from("Tree(id: \"t\", start: \"q0\", facts: [Fact(name: \"c\", type: Choice([");
        for j in 0..n {
            let _ = write!(text, "\"v{j}\", ");
        }
        text.push_str("]), ask: \"?\")], nodes: [");
        for j in 0..n {
            let next = if j + 1 < n {
                format!("q{}", j + 1)
            } else {
                "end".into()
            };
            let _ = write!(
                text,
                "Ask(id: \"q{j}\", text: \"?\", fact: \"c\", answers: [Answer(value: \"v{j}\", text: \"x\", next: \"{next}\")]), "
            );
        }
        // A circle of n limits, and n references to nothing.
        for j in 0..n {
            let _ = write!(
                text,
                "Act(id: \"a{j}\", text: \"x\", next: \"gone{j}\", limit: Limit(times: 1, then: \"a{}\")), ",
                (j + 1) % n
            );
        }
        text.push_str("Resolve(id: \"end\", text: \"x\")])");
        let report = check_str("hostile.ron", &text);
        let count = |code| report.findings.iter().filter(|f| f.code == code).count();
        assert_eq!(count(Code::UncoveredAnswer), n);
        assert_eq!(count(Code::UnboundedCycle), n);
        assert_eq!(count(Code::DanglingReference), n);
        for finding in &report.findings {
            assert!(finding.message.len() < 1_000, "{}", finding.message);
        }
        let uncovered = report
            .findings
            .iter()
            .find(|f| f.code == Code::UncoveredAnswer)
            .map(|f| f.message.as_str());
        assert!(
            // The first question offers "v0": the 32 after it are named.
            uncovered.is_some_and(|m| m.contains("\"v32\" and more")),
            "{uncovered:?}"
        );
        let circle = report
            .findings
            .iter()
            .find(|f| f.code == Code::UnboundedCycle);
        assert!(circle.is_some_and(|f| f.message.contains(&format!("and {} more", n - LISTED))));
    }

    #[test]
    fn paths_print_as_written() {
        let nodes = At::root("nodes");
        let node = nodes.index(3);
        let answers = node.name("answers");
        assert_eq!(
            answers.index(1).name("next").to_string(),
            "nodes.3.answers.1.next"
        );
        assert_eq!(At::root("start").to_string(), "start");
    }
}
