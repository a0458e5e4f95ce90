//! Model → [`Tree`]: parse the text, resolve every id, type every value, build the graph,
//! and run every check. All findings are collected; a `Tree` comes out only if none of
//! them is an error.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::diagnostic::{Code, Finding, Pending};
use crate::error::LoadError;
use crate::model::{
    AnswerDef, ConditionDef, FORMAT_VERSION, FactDef, FactTypeDef, NodeDef, PriorityDef, TextDef,
    TreeFile, Value,
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
/// panics, whatever the text.
pub fn check_str(name: &str, text: &str) -> Report {
    let source = Source::new(name, text);
    let ron = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_recursion_limit(RECURSION_LIMIT);
    let file: TreeFile = match ron.from_str(source.text) {
        Ok(file) => file,
        Err(err) => {
            let pos = Position {
                line: u32::try_from(err.span.start.line)
                    .unwrap_or(u32::MAX)
                    .max(1),
                column: u32::try_from(err.span.start.col).unwrap_or(u32::MAX).max(1),
            };
            let message = syntax_message(&err.code);
            return Report {
                tree: None,
                findings: vec![Finding::new(Code::Syntax, name, pos, message, None)],
                id: None,
            };
        }
    };
    let mut compiler = Compiler::new(&file);
    let data = compiler.compile();
    let pending = std::mem::take(&mut compiler.pending);
    let findings = locate(&source, pending);
    let tree = match data {
        Some(mut data) if !findings.iter().any(Finding::is_error) => {
            data.file = name.into();
            data.fingerprint = source.fingerprint();
            data.warnings.clone_from(&findings);
            Some(Tree(Arc::new(data)))
        }
        _ => None,
    };
    Report {
        tree,
        findings,
        id: Some(file.id.clone()),
    }
}

/// Checks a file's bytes: invalid UTF-8 is a syntax finding at the first bad byte.
pub(crate) fn check_bytes(name: &str, bytes: &[u8]) -> Report {
    match std::str::from_utf8(bytes) {
        Ok(text) => check_str(name, text),
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

struct Compiler<'f> {
    file: &'f TreeFile,
    locales: Vec<Box<str>>,
    pending: Vec<Pending>,
    fact_index: HashMap<&'f str, FactSlot>,
    facts: Vec<FactDecl>,
    node_index: HashMap<&'f str, NodeIndex>,
    /// Nodes with a reference that names nothing: the graph checks skip them.
    broken: HashSet<usize>,
    /// For each fact slot, its index in the file's `facts` list.
    fact_positions: Vec<usize>,
    /// Facts that a `Decide` compares, with the first node that does: the walker asks
    /// for them with their `ask` text.
    decided: BTreeMap<FactSlot, String>,
    /// Nodes whose id an earlier node already has. Every reference goes to the first, so
    /// the later ones are unreachable by construction; E003 says so, W001 would repeat it.
    duplicates: HashSet<usize>,
}

impl<'f> Compiler<'f> {
    fn new(file: &'f TreeFile) -> Self {
        Compiler {
            file,
            locales: Vec::new(),
            pending: Vec::new(),
            fact_index: HashMap::new(),
            facts: Vec::new(),
            node_index: HashMap::new(),
            broken: HashSet::new(),
            fact_positions: Vec::new(),
            decided: BTreeMap::new(),
            duplicates: HashSet::new(),
        }
    }

    fn report(&mut self, code: Code, path: String, node: Option<&str>, message: String) {
        self.pending.push(Pending {
            code,
            path,
            message,
            node: node.map(str::to_owned),
        });
    }

    fn compile(&mut self) -> Option<TreeData> {
        let file = self.file;
        if file.format != FORMAT_VERSION {
            self.report(
                Code::UnsupportedFormat,
                "format".into(),
                None,
                format!("this tree is written in format {}, but this version of troubletree reads format {FORMAT_VERSION}", file.format),
            );
            return None;
        }
        if file.id.trim().is_empty() {
            self.report(
                Code::InvalidDefinition,
                "id".into(),
                None,
                "the tree id is empty; use the file name, e.g. id: \"recharge_failure\"".into(),
            );
        }
        self.locales(file);
        let title = file
            .title
            .as_ref()
            .map(|t| self.text(t, "title".into(), None));
        for (i, fact) in file.facts.iter().enumerate() {
            self.fact(i, fact);
        }
        self.index_nodes(file);
        let start = match self.node_index.get(file.start.as_str()) {
            Some(&start) => start,
            None => {
                let hint = self.suggest(&file.start);
                self.report(
                    Code::MissingStart,
                    "start".into(),
                    None,
                    format!(
                        "start names \"{}\", but no node has that id{hint}",
                        file.start
                    ),
                );
                NodeIndex::end()
            }
        };
        let mut limit_slots = 0usize;
        let nodes: Vec<Node> = file
            .nodes
            .iter()
            .enumerate()
            .map(|(i, def)| self.node(i, def, &mut limit_slots))
            .collect();
        let graph = build_graph(nodes);
        if start != NodeIndex::end() {
            self.analyse(&graph, start);
        }
        self.missing_asks();
        if self
            .pending
            .iter()
            .any(|p| p.code.severity() == crate::Severity::Error)
        {
            return None;
        }
        let node_index = graph
            .node_indices()
            .map(|i| (graph[i].id.clone(), i))
            .collect();
        let fact_index = self
            .facts
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((f.name.clone(), FactSlot::try_from(i).ok()?)))
            .collect();
        Some(TreeData {
            id: file.id.as_str().into(),
            version: file.version,
            file: "".into(),
            title,
            locales: std::mem::take(&mut self.locales).into(),
            facts: std::mem::take(&mut self.facts).into(),
            fact_index,
            graph,
            node_index,
            start,
            limit_slots,
            fingerprint: 0,
            warnings: Vec::new(),
        })
    }

    fn locales(&mut self, file: &TreeFile) {
        let mut seen = HashSet::new();
        for (i, locale) in file.locales.iter().enumerate() {
            if locale.trim().is_empty() || !seen.insert(locale.as_str()) {
                self.report(
                    Code::InvalidDefinition,
                    format!("locales.{i}"),
                    None,
                    format!("locale \"{locale}\" is empty or declared twice"),
                );
            } else {
                self.locales.push(locale.as_str().into());
            }
        }
        if self.locales.is_empty() {
            self.locales.push("zh".into());
        }
    }

    /// Compiles a text; reports missing and unknown locales.
    fn text(&mut self, def: &TextDef, path: String, node: Option<&str>) -> Text {
        match def {
            TextDef::Plain(text) => {
                if self.locales.len() > 1 {
                    let missing = self.locales[1..].join(", ");
                    self.report(
                        Code::MissingTranslation,
                        path,
                        node,
                        format!("this text is a plain string, so it has no {missing} translation; write it as {{ \"{}\": \"...\", ... }}", self.locales[0]),
                    );
                }
                Text(self.locales.iter().map(|_| text.as_str().into()).collect())
            }
            TextDef::Localized(map) => {
                for locale in map.keys() {
                    if !self.locales.iter().any(|l| **l == **locale) {
                        let declared = self.locales.join(", ");
                        self.report(
                            Code::UnknownLocale,
                            format!("{path}.{locale}"),
                            node,
                            format!("locale \"{locale}\" is not declared by this tree (declared: {declared}); add it to `locales` or remove this entry"),
                        );
                    }
                }
                let missing: Vec<&str> = self
                    .locales
                    .iter()
                    .filter(|l| !map.contains_key(&***l))
                    .map(|l| &**l)
                    .collect();
                if !missing.is_empty() {
                    self.report(
                        Code::MissingTranslation,
                        path,
                        node,
                        format!("this text has no {} translation", missing.join(", ")),
                    );
                }
                let fallback = map
                    .get(&*self.locales[0])
                    .or_else(|| map.values().next())
                    .map_or("", String::as_str);
                Text(
                    self.locales
                        .iter()
                        .map(|l| map.get(&**l).map_or(fallback, String::as_str).into())
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

    fn fact(&mut self, i: usize, def: &'f FactDef) {
        let path = format!("facts.{i}");
        if def.name.trim().is_empty() {
            self.report(
                Code::InvalidDefinition,
                format!("{path}.name"),
                None,
                "a fact has an empty name".into(),
            );
        }
        let ty = match &def.ty {
            FactTypeDef::Bool => FactTy::Bool,
            FactTypeDef::Number => FactTy::Number,
            FactTypeDef::Text => FactTy::Text,
            FactTypeDef::Choice(options) => {
                let mut seen = HashSet::new();
                for (j, o) in options.iter().enumerate() {
                    if !seen.insert(o.as_str()) {
                        self.report(
                            Code::InvalidDefinition,
                            format!("{path}.type.0.{j}"),
                            None,
                            format!("fact \"{}\" lists the choice \"{o}\" twice", def.name),
                        );
                    }
                }
                if options.is_empty() {
                    self.report(Code::InvalidDefinition, format!("{path}.type"), None, format!("fact \"{}\" is a Choice with no values; list them, e.g. Choice([\"a\", \"b\"])", def.name));
                }
                FactTy::Choice(options.iter().map(|o| o.as_str().into()).collect())
            }
        };
        if !def.labels.is_empty() && !matches!(ty, FactTy::Choice(_)) {
            self.report(
                Code::InvalidDefinition,
                format!("{path}.labels"),
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
            .map(|t| self.text(t, format!("{path}.ask"), None));
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
                for label in def.labels.keys() {
                    if !options.iter().any(|o| **o == **label) {
                        self.report(
                            Code::TypeMismatch,
                            format!("{path}.labels.{label}"),
                            None,
                            format!(
                                "\"{label}\" is not one of the choices of fact \"{}\"",
                                def.name
                            ),
                        );
                    }
                }
                let options = options.clone();
                options
                    .iter()
                    .enumerate()
                    .map(|(j, o)| {
                        let text = match def.labels.get(&**o) {
                            Some(label) => self.text(label, format!("{path}.labels.{o}"), None),
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
        if self.fact_index.contains_key(def.name.as_str()) {
            self.report(
                Code::DuplicateFact,
                format!("{path}.name"),
                None,
                format!("fact \"{}\" is declared twice", def.name),
            );
            return;
        }
        let Ok(slot) = FactSlot::try_from(self.facts.len()) else {
            self.report(
                Code::InvalidDefinition,
                path,
                None,
                "a tree may declare at most 65536 facts".into(),
            );
            return;
        };
        self.fact_index.insert(&def.name, slot);
        self.fact_positions.push(i);
        self.facts.push(FactDecl {
            name: def.name.as_str().into(),
            ty,
            ask,
            offers,
        });
    }

    fn index_nodes(&mut self, file: &'f TreeFile) {
        if u32::try_from(file.nodes.len()).is_err() {
            self.report(
                Code::InvalidDefinition,
                "nodes".into(),
                None,
                "a tree may hold at most 4294967295 nodes".into(),
            );
            return;
        }
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, node) in file.nodes.iter().enumerate() {
            let id = node.id();
            if id.trim().is_empty() {
                self.report(
                    Code::InvalidDefinition,
                    format!("nodes.{i}.id"),
                    None,
                    format!("node {} has an empty id", i + 1),
                );
            }
            match first.get(id) {
                Some(&j) => {
                    self.duplicates.insert(i);
                    let line_hint = j + 1;
                    self.report(
                        Code::DuplicateId,
                        format!("nodes.{i}.id"),
                        Some(id),
                        format!("node id \"{id}\" is already used by node {line_hint} of the list; ids must be unique"),
                    );
                }
                None => {
                    first.insert(id, i);
                    self.node_index.insert(id, NodeIndex::new(i));
                }
            }
        }
    }

    /// " (did you mean \"x\"?)" when an id is one or two edits from an existing one.
    fn suggest(&self, wanted: &str) -> String {
        let best = self
            .node_index
            .keys()
            .map(|id| (edit_distance(wanted, id), *id))
            .filter(|(d, _)| *d <= 2)
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
        path: String,
        target: &str,
    ) -> NodeIndex {
        if let Some(&index) = self.node_index.get(target) {
            return index;
        }
        self.broken.insert(i);
        let hint = self.suggest(target);
        self.report(
            Code::DanglingReference,
            path,
            Some(node),
            format!("{field} of node \"{node}\" names \"{target}\", but no node has that id{hint}"),
        );
        NodeIndex::end()
    }

    fn fact_slot(&mut self, node: &str, path: String, name: &str) -> Option<FactSlot> {
        if let Some(&slot) = self.fact_index.get(name) {
            return Some(slot);
        }
        let declared: Vec<&str> = self.facts.iter().map(|f| &*f.name).collect();
        let declared = if declared.is_empty() {
            "none".to_owned()
        } else {
            declared.join(", ")
        };
        self.report(
            Code::UnknownFact,
            path,
            Some(node),
            format!("node \"{node}\" uses fact \"{name}\", which the tree does not declare (declared: {declared}); add Fact(name: \"{name}\", ...) to `facts`"),
        );
        None
    }

    fn node(&mut self, i: usize, def: &'f NodeDef, limit_slots: &mut usize) -> Node {
        let id = def.id();
        let p = format!("nodes.{i}");
        let limit = def.limit().and_then(|l| {
            let then = self.reference(
                i,
                id,
                "the limit's `then`",
                format!("{p}.limit.then"),
                &l.then,
            );
            let times = match u16::try_from(l.times) {
                Ok(0) | Err(_) => {
                    self.report(
                        Code::InvalidDefinition,
                        format!("{p}.limit.times"),
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
                let text = self.text(text, format!("{p}.text"), Some(id));
                self.ask(i, id, &p, text, fact.as_deref(), answers, next.as_deref())
            }
            NodeDef::Act {
                text, next, solved, ..
            } => {
                let text = self.text(text, format!("{p}.text"), Some(id));
                let next = self.reference(i, id, "`next`", format!("{p}.next"), next);
                let offers: Box<[Offer]> = match solved {
                    Some(solved) => {
                        let solved =
                            self.reference(i, id, "`solved`", format!("{p}.solved"), solved);
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
                let rules = rules
                    .iter()
                    .enumerate()
                    .map(|(j, rule)| {
                        let cond = self.cond(id, format!("{p}.rules.{j}.when"), &rule.when);
                        let next = self.reference(
                            i,
                            id,
                            "a rule's `next`",
                            format!("{p}.rules.{j}.next"),
                            &rule.next,
                        );
                        (cond.unwrap_or(Cond::All(Box::new([]))), next)
                    })
                    .collect();
                let otherwise =
                    self.reference(i, id, "`otherwise`", format!("{p}.otherwise"), otherwise);
                NodeKind::Decide { rules, otherwise }
            }
            NodeDef::Resolve { text, .. } => NodeKind::Resolve {
                text: self.text(text, format!("{p}.text"), Some(id)),
            },
            NodeDef::Escalate {
                reason,
                priority,
                channel,
                prepare,
                ..
            } => NodeKind::Escalate {
                reason: self.text(reason, format!("{p}.reason"), Some(id)),
                priority: match priority {
                    PriorityDef::Low => Priority::Low,
                    PriorityDef::Normal => Priority::Normal,
                    PriorityDef::High => Priority::High,
                    PriorityDef::Urgent => Priority::Urgent,
                },
                channel: channel.map(|c| match c {
                    crate::model::ChannelDef::Hotline => Channel::Hotline,
                    crate::model::ChannelDef::InApp => Channel::InApp,
                    crate::model::ChannelDef::Chat => Channel::Chat,
                    crate::model::ChannelDef::Email => Channel::Email,
                }),
                prepare: prepare
                    .iter()
                    .enumerate()
                    .map(|(j, t)| self.text(t, format!("{p}.prepare.{j}"), Some(id)))
                    .collect(),
            },
            NodeDef::Goto { tree, node, .. } => {
                if tree.trim().is_empty() {
                    self.report(
                        Code::InvalidDefinition,
                        format!("{p}.tree"),
                        Some(id),
                        format!("Goto \"{id}\" names no tree"),
                    );
                }
                NodeKind::Goto {
                    tree: tree.as_str().into(),
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
        p: &str,
        text: Text,
        fact: Option<&str>,
        answers: &[AnswerDef],
        next: Option<&str>,
    ) -> NodeKind {
        let slot = fact.and_then(|f| self.fact_slot(id, format!("{p}.fact"), f));
        let ty = slot.map(|s| self.facts[usize::from(s)].ty.clone());
        let free_input = matches!(ty, Some(FactTy::Number | FactTy::Text));
        let free_next = match (free_input, next) {
            (true, Some(next)) => Some(self.reference(i, id, "`next`", format!("{p}.next"), next)),
            (true, None) => {
                self.report(Code::InvalidDefinition, p.to_owned(), Some(id), format!("question \"{id}\" fills a {} fact, so it takes free input and needs `next`", ty.as_ref().map_or(crate::FactType::Text, FactTy::public)));
                None
            }
            (false, Some(_)) => {
                self.report(Code::InvalidDefinition, format!("{p}.next"), Some(id), format!("question \"{id}\" offers answers, so each answer names its own `next`; remove this `next`"));
                None
            }
            (false, None) => None,
        };
        if free_input && !answers.is_empty() {
            self.report(Code::InvalidDefinition, format!("{p}.answers"), Some(id), format!("question \"{id}\" fills a free-input fact; it offers no answers (use a Choice fact to offer a fixed set)"));
        }
        if !free_input && answers.is_empty() {
            self.report(Code::InvalidDefinition, p.to_owned(), Some(id), format!("question \"{id}\" offers no answers; add Answer(value: ..., text: ..., next: ...) entries"));
        }
        let mut offers = Vec::with_capacity(answers.len());
        let mut seen: Vec<&Value> = Vec::new();
        for (j, answer) in answers.iter().enumerate() {
            let ap = format!("{p}.answers.{j}");
            if seen.contains(&&answer.value) {
                self.report(Code::DuplicateAnswer, format!("{ap}.value"), Some(id), format!("question \"{id}\" offers the value {} twice; each answer needs its own value", show(&answer.value)));
            }
            seen.push(&answer.value);
            let stored = match &ty {
                Some(ty) if !free_input => {
                    let stored = ty.store(&answer.value);
                    if stored.is_none() {
                        let fact_name = fact.unwrap_or_default();
                        self.report(
                            Code::TypeMismatch,
                            format!("{ap}.value"),
                            Some(id),
                            format!(
                                "answer value {} does not fit fact \"{fact_name}\", which is {}",
                                show(&answer.value),
                                describe(ty)
                            ),
                        );
                    }
                    stored
                }
                _ => None,
            };
            let text = self.text(&answer.text, format!("{ap}.text"), Some(id));
            let next = self.reference(
                i,
                id,
                "an answer's `next`",
                format!("{ap}.next"),
                &answer.next,
            );
            offers.push(Offer {
                value: answer.value.clone(),
                text,
                stored,
                next,
            });
        }
        // Coverage: a Bool or Choice question should offer every value of its fact.
        let uncovered: Vec<String> = match &ty {
            Some(FactTy::Bool) => [true, false]
                .iter()
                .filter(|b| !seen.contains(&&Value::Bool(**b)))
                .map(bool::to_string)
                .collect(),
            Some(FactTy::Choice(options)) => options
                .iter()
                .filter(|o| {
                    !seen
                        .iter()
                        .any(|v| matches!(v, Value::Text(t) if *t == ***o))
                })
                .map(|o| format!("\"{o}\""))
                .collect(),
            _ => Vec::new(),
        };
        if !uncovered.is_empty() && !answers.is_empty() {
            self.report(
                Code::UncoveredAnswer,
                format!("{p}.answers"),
                Some(id),
                format!("question \"{id}\" offers no answer for {} of fact \"{}\"; when the fact already holds that value, the walker cannot answer for the user and asks this question again", uncovered.join(", "), fact.unwrap_or_default()),
            );
        }
        NodeKind::Ask {
            text,
            fact: slot,
            offers: offers.into(),
            free_next,
        }
    }

    fn cond(&mut self, node: &str, path: String, def: &ConditionDef) -> Option<Cond> {
        match def {
            ConditionDef::Eq(f, v) | ConditionDef::Ne(f, v) => {
                let slot = self.fact_slot(node, format!("{path}.0"), f)?;
                self.decided.entry(slot).or_insert_with(|| node.to_owned());
                let stored = self.typed(node, &format!("{path}.1"), slot, v)?;
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
                let slot = self.fact_slot(node, format!("{path}.0"), f)?;
                self.decided.entry(slot).or_insert_with(|| node.to_owned());
                let ty = &self.facts[usize::from(slot)].ty;
                if !matches!(ty, FactTy::Number) {
                    let described = describe(ty);
                    self.report(
                        Code::TypeMismatch,
                        format!("{path}.0"),
                        Some(node),
                        format!("{op:?} compares numbers, but fact \"{f}\" is {described}"),
                    );
                    return None;
                }
                match v {
                    Value::Number(n) => Some(Cond::Cmp(slot, op, *n)),
                    other => {
                        self.report(
                            Code::TypeMismatch,
                            format!("{path}.1"),
                            Some(node),
                            format!(
                                "{op:?} needs a number to compare fact \"{f}\" with, not {}",
                                show(other)
                            ),
                        );
                        None
                    }
                }
            }
            ConditionDef::In(f, values) => {
                let slot = self.fact_slot(node, format!("{path}.0"), f)?;
                self.decided.entry(slot).or_insert_with(|| node.to_owned());
                let mut set = Vec::with_capacity(values.len());
                for (j, v) in values.iter().enumerate() {
                    set.push(self.typed(node, &format!("{path}.1.{j}"), slot, v));
                }
                set.into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(|s| Cond::In(slot, s.into()))
            }
            ConditionDef::Known(f) => self
                .fact_slot(node, format!("{path}.0"), f)
                .map(Cond::Known),
            ConditionDef::All(list) | ConditionDef::Any(list) => {
                let mut out = Vec::with_capacity(list.len());
                for (j, c) in list.iter().enumerate() {
                    out.push(self.cond(node, format!("{path}.0.{j}"), c));
                }
                let out: Box<[Cond]> = out.into_iter().collect::<Option<Vec<_>>>()?.into();
                Some(if matches!(def, ConditionDef::All(_)) {
                    Cond::All(out)
                } else {
                    Cond::Any(out)
                })
            }
            ConditionDef::Not(inner) => self
                .cond(node, format!("{path}.0"), inner)
                .map(|c| Cond::Not(Box::new(c))),
        }
    }

    fn typed(&mut self, node: &str, path: &str, slot: FactSlot, value: &Value) -> Option<Stored> {
        let fact = &self.facts[usize::from(slot)];
        match fact.ty.store(value) {
            Some(stored) => Some(stored),
            None => {
                let message = format!(
                    "fact \"{}\" is {}, so it cannot be compared with {}",
                    fact.name,
                    describe(&fact.ty),
                    show(value)
                );
                self.report(Code::TypeMismatch, path.to_owned(), Some(node), message);
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
    fn analyse(&mut self, graph: &Graph, start: NodeIndex) {
        let n = graph.node_count();
        // Reachable from start.
        let mut reached = vec![false; n];
        let mut stack = vec![start];
        reached[start.index()] = true;
        while let Some(v) = stack.pop() {
            for w in graph.neighbors_directed(v, Direction::Outgoing) {
                if !reached[w.index()] {
                    reached[w.index()] = true;
                    stack.push(w);
                }
            }
        }
        // Can reach an end (Resolve, Escalate or Goto). A node with a dangling reference
        // counts as one: its E006 is the finding, and the nodes that lead to it should not
        // also be reported as having no exit.
        let mut exits = vec![false; n];
        let mut stack: Vec<NodeIndex> = graph
            .node_indices()
            .filter(|&v| graph[v].kind.is_terminal() || self.broken.contains(&v.index()))
            .collect();
        for v in &stack {
            exits[v.index()] = true;
        }
        while let Some(v) = stack.pop() {
            for w in graph.neighbors_directed(v, Direction::Incoming) {
                if !exits[w.index()] {
                    exits[w.index()] = true;
                    stack.push(w);
                }
            }
        }
        for v in graph.node_indices() {
            let id = &*graph[v].id;
            if !reached[v.index()] && !self.duplicates.contains(&v.index()) {
                self.report(Code::Unreachable, format!("nodes.{}", v.index()), Some(id), format!("node \"{id}\" cannot be reached from start \"{}\"; link to it or remove it", graph[start].id));
            }
            if !exits[v.index()] && !self.broken.contains(&v.index()) {
                self.report(Code::NoExit, format!("nodes.{}", v.index()), Some(id), format!("no walk from node \"{id}\" reaches a Resolve, Escalate or Goto; give it a way out"));
            }
        }
        self.cycles(graph);
    }

    /// A walk is bounded when every cycle it could repeat passes a counted arrival at a
    /// node with a `limit`. The graph of *uncounted* moves (arrivals at unlimited nodes,
    /// and redirects from an exhausted limit to its `then`) must therefore be acyclic.
    fn cycles(&mut self, graph: &Graph) {
        let n = graph.node_count();
        // For each limited node, where an arrival goes once it and every limited node
        // along its `then` chain are exhausted.
        let mut exhausted: Vec<Option<NodeIndex>> = vec![None; n];
        for v in graph.node_indices() {
            if graph[v].limit.is_none() {
                continue;
            }
            let mut seen = BTreeSet::new();
            let mut at = v;
            loop {
                let Some(limit) = graph[at].limit else {
                    exhausted[v.index()] = Some(at);
                    break;
                };
                if limit.then == NodeIndex::end() {
                    break;
                }
                if !seen.insert(at) {
                    if at == v {
                        let chain: Vec<&str> = seen.iter().map(|i| &*graph[*i].id).collect();
                        let id = &*graph[v].id;
                        self.report(Code::UnboundedCycle, format!("nodes.{}.limit.then", v.index()), Some(id), format!("the limits of {} send each other round in a circle once all are used up; end one `then` at a node without a limit", chain.join(", ")));
                    }
                    break;
                }
                at = limit.then;
            }
        }
        let mut moves: DiGraph<(), (), u32> = DiGraph::with_capacity(n, graph.edge_count());
        for _ in 0..n {
            moves.add_node(());
        }
        for edge in graph.edge_references() {
            let (p, x) = (edge.source(), edge.target());
            // The edge from a limited node to its own `then` is not a move: the redirect
            // goes from the predecessor, handled below.
            if graph[p].limit.is_some_and(|l| l.then == x)
                && !successors(&graph[p].kind).any(|s| s == x)
            {
                continue;
            }
            if graph[x].limit.is_none() {
                moves.update_edge(p, x, ());
            } else if let Some(target) = exhausted[x.index()] {
                moves.update_edge(p, target, ());
            }
        }
        let mut components = petgraph::algo::kosaraju_scc(&moves);
        components.retain(|c| c.len() > 1 || moves.contains_edge(c[0], c[0]));
        for mut component in components {
            component.sort();
            let first = component[0];
            let names: Vec<&str> = component.iter().take(8).map(|i| &*graph[*i].id).collect();
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

fn build_graph(nodes: Vec<Node>) -> Graph {
    let mut graph = Graph::with_capacity(nodes.len(), nodes.len() * 2);
    for node in nodes {
        graph.add_node(node);
    }
    let mut edges = Vec::new();
    for v in graph.node_indices() {
        let node = &graph[v];
        for s in successors(&node.kind) {
            edges.push((v, s));
        }
        if let Some(limit) = node.limit
            && limit.then != NodeIndex::end()
        {
            edges.push((v, limit.then));
        }
    }
    for (a, b) in edges {
        graph.add_edge(a, b, ());
    }
    graph
}

fn describe(ty: &FactTy) -> String {
    match ty {
        FactTy::Bool => "Bool (true or false)".into(),
        FactTy::Number => "Number".into(),
        FactTy::Text => "Text".into(),
        FactTy::Choice(options) => {
            let list: Vec<String> = options.iter().map(|o| format!("\"{o}\"")).collect();
            format!("a Choice of {}", list.join(", "))
        }
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::Text(t) => format!("\"{t}\""),
        other => other.to_string(),
    }
}

/// Levenshtein distance, for "did you mean" hints; only computed when a reference fails.
fn edit_distance(a: &str, b: &str) -> usize {
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
