//! A set of trees that may `Goto` each other, loaded from files and directories, with the
//! checks that need more than one tree: duplicate tree ids, `Goto` targets, and loops
//! of `Goto` links between trees.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::compile::{check_bytes, fill};
use crate::diagnostic::locate;
use crate::diagnostic::{Code, Finding, Pending};
use crate::directory::Directory;
use crate::error::LoadError;
use crate::limits::{Limits, read_file};
use crate::report::Report;
use crate::source::Source;
use crate::tree::{NodeKind, Tree};

/// Trees by id, every `Goto` between them checked, and the service directory found
/// beside them. A [`Session`](crate::Session) walks a catalogue: it starts in one tree
/// and follows `Goto` links into the others, by tree id, never by file.
///
/// Cheap to clone and safe to share across threads: like [`Tree`], it is an `Arc`
/// inside, immutable once loaded.
///
/// ```
/// let catalogue = troubletree::Catalogue::from_dir("trees")?;
/// assert!(catalogue.get("recharge_failure").is_some());
/// # Ok::<(), troubletree::LoadError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Catalogue(pub(crate) Arc<CatalogueData>);

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Catalogue>();
};

#[derive(Debug)]
pub(crate) struct CatalogueData {
    /// Sorted by id.
    pub trees: Box<[Tree]>,
    pub index: HashMap<Box<str>, u16>,
    pub directory: Option<Directory>,
}

impl Catalogue {
    /// Loads every `*.ron` file under a directory (searched recursively).
    ///
    /// # Errors
    ///
    /// [`LoadError::Io`] if a directory or file cannot be read, [`LoadError::NotAFile`]
    /// for a `*.ron` that is not a regular file (see [`Limits::read`]); [`LoadError::Invalid`]
    /// with every finding of every file if any has an error.
    pub fn from_dir(path: impl AsRef<Path>) -> Result<Catalogue, LoadError> {
        let report = check_paths(&[path.as_ref()])?;
        match report.loaded {
            Some(catalogue) => Ok(catalogue),
            None => Err(LoadError::Invalid {
                findings: report.findings,
            }),
        }
    }

    /// Loads trees (and at most one service directory) given as text, `(name, text)`,
    /// checked together as [`Catalogue::from_dir`] checks files. Names are used in
    /// findings.
    ///
    /// ```
    /// let catalogue = troubletree::Catalogue::from_texts(&[
    ///     ("a.ron", r#"Tree(id: "a", start: "go", nodes: [Goto(id: "go", tree: "b")])"#),
    ///     ("b.ron", r#"Tree(id: "b", start: "end", nodes: [Resolve(id: "end", text: "Done.")])"#),
    /// ])?;
    /// assert_eq!(catalogue.len(), 2);
    /// # Ok::<(), troubletree::LoadError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`LoadError::Invalid`] with every finding of every text if any has an error.
    pub fn from_texts(texts: &[(&str, &str)]) -> Result<Catalogue, LoadError> {
        check_named(texts, &Limits::default()).into_result()
    }

    /// Builds a catalogue from trees that were checked together (ids unique, links
    /// checked) and a directory.
    pub(crate) fn new(trees: impl IntoIterator<Item = Tree>, directory: Option<Directory>) -> Self {
        let mut trees: Vec<Tree> = trees.into_iter().collect();
        trees.sort_by(|a, b| a.id().cmp(b.id()));
        trees.dedup_by(|a, b| a.id() == b.id());
        // A catalogue holds at most u16::MAX trees: far beyond any help centre, and the
        // loader refuses more files than that long before.
        trees.truncate(usize::from(u16::MAX));
        let index = trees
            .iter()
            .enumerate()
            .map(|(i, t)| (Box::from(t.id()), u16::try_from(i).unwrap_or(u16::MAX)))
            .collect();
        Catalogue(Arc::new(CatalogueData {
            trees: trees.into_boxed_slice(),
            index,
            directory,
        }))
    }

    /// The tree with this id.
    pub fn get(&self, id: &str) -> Option<&Tree> {
        self.0.index.get(id).map(|&i| &self.0.trees[usize::from(i)])
    }

    /// All trees, ordered by id.
    pub fn trees(&self) -> impl ExactSizeIterator<Item = &Tree> {
        self.0.trees.iter()
    }

    /// The service directory found among the files, if any.
    pub fn directory(&self) -> Option<&Directory> {
        self.0.directory.as_ref()
    }

    /// Number of trees.
    pub fn len(&self) -> usize {
        self.0.trees.len()
    }

    /// Whether the catalogue holds no tree.
    pub fn is_empty(&self) -> bool {
        self.0.trees.is_empty()
    }

    /// The index of a tree, for the walker.
    pub(crate) fn position(&self, id: &str) -> Option<u16> {
        self.0.index.get(id).copied()
    }

    /// The tree at an index the walker holds.
    pub(crate) fn tree(&self, index: u16) -> &Tree {
        &self.0.trees[usize::from(index)]
    }
}

/// A catalogue of one tree, to walk it alone: its `Goto` links lead out of the
/// catalogue, and a walk that reaches one ends there ([`crate::Step::Goto`]).
impl From<Tree> for Catalogue {
    fn from(tree: Tree) -> Self {
        Catalogue::new([tree], None)
    }
}

/// See [`From<Tree>`](#impl-From<Tree>-for-Catalogue).
impl From<&Tree> for Catalogue {
    fn from(tree: &Tree) -> Self {
        Catalogue::new([tree.clone()], None)
    }
}

impl From<&Catalogue> for Catalogue {
    fn from(catalogue: &Catalogue) -> Self {
        catalogue.clone()
    }
}

/// Checks files and directories (searched recursively for `*.ron`) as one catalogue:
/// each tree on its own, then the links between them. This is what `troubletree check`
/// runs.
///
/// # Errors
///
/// [`LoadError::Io`] if a path cannot be read, [`LoadError::NotAFile`] for a `*.ron`
/// that is not a regular file (see [`Limits::read`]). Problems in the trees themselves are
/// findings in the report, not errors.
pub(crate) fn check_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Report<Catalogue>, LoadError> {
    check_paths_with(paths, &Limits::default())
}

/// [`check_paths`] with other [`Limits`] (a larger file size, say).
///
/// # Errors
///
/// As for [`check_paths`].
pub(crate) fn check_paths_with<P: AsRef<Path>>(
    paths: &[P],
    limits: &Limits,
) -> Result<Report<Catalogue>, LoadError> {
    let files = collect(paths)?;
    let mut findings = Vec::new();
    let mut texts = Vec::with_capacity(files.len());
    for file in &files {
        match read_file(file, limits)? {
            Ok(bytes) => texts.push(Some(bytes)),
            Err(finding) => {
                // Too large to read: reported, and not checked further.
                findings.push(finding);
                texts.push(None);
            }
        }
    }
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let (catalogue, found) = check_texts(&names, &texts, limits);
    findings.extend(found);
    // A file refused before it was read (too large) is an error of the catalogue too.
    let catalogue = catalogue.filter(|_| !findings.iter().any(Finding::is_error));
    Ok(Report {
        files,
        ..Report::new(catalogue, findings)
    })
}

/// Checks `(name, text)` pairs as one catalogue.
pub(crate) fn check_named(texts: &[(&str, &str)], limits: &Limits) -> Report<Catalogue> {
    let names: Vec<String> = texts.iter().map(|(n, _)| (*n).to_owned()).collect();
    let bytes: Vec<Option<Vec<u8>>> = texts
        .iter()
        .map(|(_, t)| Some(t.as_bytes().to_vec()))
        .collect();
    let (catalogue, findings) = check_texts(&names, &bytes, limits);
    Report::new(catalogue, findings)
}

/// Checks named texts as one catalogue (`None`: a file that could not be read, already
/// reported): each tree on its own, then the links between them.
/// A file's text: borrowed when it is UTF-8, as it nearly always is (`str::from_utf8`
/// checks a large file several times faster than the lossy reader), with U+FFFD for
/// bytes that are not.
fn text_of(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

fn check_texts(
    names: &[String],
    texts: &[Option<Vec<u8>>],
    limits: &Limits,
) -> (Option<Catalogue>, Vec<Finding>) {
    let mut findings = Vec::new();

    let mut trees: Vec<(usize, Tree)> = Vec::new();
    // Trees refused for their own errors, by id, and files that did not even parse.
    let mut refused = Refused::default();
    let mut directory: Option<(usize, Directory)> = None;
    for (i, bytes) in texts.iter().enumerate() {
        let Some(bytes) = bytes else { continue };
        // A service directory may sit among the trees; it is checked as one.
        let text = text_of(bytes);
        if Source::new(&names[i], &text).top_level_name() == Some("Directory") {
            let (parsed, found) = Directory::check_text(&names[i], &text);
            findings.extend(found);
            match (parsed, &directory) {
                (Some(_), Some((first, _))) => {
                    let pos = Source::new(&names[i], &text).locate(&[""])[0];
                    let message = format!(
                        "a second service directory; {} is already the catalogue's directory",
                        names[*first]
                    );
                    findings.push(Finding::new(
                        Code::InvalidDefinition,
                        &names[i],
                        pos,
                        message,
                        None,
                    ));
                }
                (Some(parsed), None) => directory = Some((i, parsed)),
                (None, _) => {}
            }
            continue;
        }
        // UTF-8 is checked once: a borrowed text is the file's own, already valid.
        let report = match &text {
            std::borrow::Cow::Borrowed(valid) => {
                crate::compile::check_str_with(&names[i], valid, limits)
            }
            std::borrow::Cow::Owned(_) => check_bytes(&names[i], bytes, limits),
        };
        findings.extend(report.findings);
        match (report.loaded, report.id) {
            (Some(tree), _) => trees.push((i, tree)),
            (None, Some(id)) => {
                refused.ids.insert(id);
            }
            (None, None) => refused.unparsed += 1,
        }
    }
    let mut pending: Vec<(usize, Pending)> = Vec::new();
    // Directory values in texts are filled in once, here (E017 for one the directory
    // does not have). Without a directory, texts keep their references as written.
    if let Some((_, directory)) = &directory {
        for (i, tree) in &mut trees {
            if !tree.0.directory_refs {
                continue;
            }
            match fill(tree, directory) {
                Ok(filled) => *tree = filled,
                Err(found) => pending.extend(found.into_iter().map(|p| (*i, p))),
            }
        }
    }
    let mut by_id: BTreeMap<String, (usize, Tree)> = BTreeMap::new();
    for (i, tree) in trees {
        if let Some((first, _)) = by_id.get(tree.id()) {
            let message = format!(
                "tree id \"{}\" is already used by {}; each tree needs its own id",
                tree.id(),
                names[*first]
            );
            pending.push((
                i,
                Pending {
                    code: Code::DuplicateTree,
                    path: "id".into(),
                    message,
                    node: None,
                },
            ));
        } else {
            by_id.insert(tree.id().to_owned(), (i, tree));
        }
    }
    links(&by_id, &refused, limits.max_walk_steps, &mut pending);
    // Positions: one scan per file that has something to report.
    let mut per_file: HashMap<usize, Vec<Pending>> = HashMap::new();
    for (i, p) in pending {
        per_file.entry(i).or_default().push(p);
    }
    let mut located: Vec<(usize, Finding)> = Vec::new();
    for (i, list) in per_file {
        let text = text_of(texts[i].as_deref().unwrap_or_default());
        let source = Source::new(&names[i], &text);
        located.extend(locate(&source, list).into_iter().map(|f| (i, f)));
    }
    located.sort_by_key(|(file, f)| (*file, f.line, f.column));
    findings.extend(located.into_iter().map(|(_, f)| f));
    let order: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    findings.sort_by_key(|f| order.get(f.file.as_str()).copied().unwrap_or(usize::MAX));
    let catalogue = if findings.iter().any(Finding::is_error) {
        None
    } else {
        Some(Catalogue::new(
            by_id.into_values().map(|(_, tree)| tree),
            directory.map(|(_, d)| d),
        ))
    };
    (catalogue, findings)
}

/// The files to read for `paths`: each path that names a file, and every `*.ron` file
/// under each directory, in sorted order, each file once.
///
/// The rules, the same for trees and scenarios:
///
/// - a path given here is followed wherever it points (the caller chose it);
/// - inside a directory, a symbolic link to a directory is **not** followed (a link to
///   `.` would make the walk endless; name the target itself to check it), while a
///   symbolic link to a file is read like the file;
/// - a file is read once, however many paths lead to it (`check trees trees/refund.ron`
///   does not make a file its own duplicate): files are compared by canonical path;
/// - anything that is not a regular file (a named pipe, a socket, a device) is listed
///   anyway, so that reading it is refused with [`LoadError::NotAFile`] instead of being
///   skipped in silence or blocking.
pub(crate) fn collect<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<PathBuf>, LoadError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| LoadError::Io { path, source }
    };
    let mut out = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut push = |file: PathBuf, out: &mut Vec<PathBuf>| {
        // A path that cannot be resolved (a dangling link) is kept: reading it reports why.
        let key = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
        if seen.insert(key) {
            out.push(file);
        }
    };
    for path in paths {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(io(path))?;
        if !meta.is_dir() {
            push(path.to_owned(), &mut out);
            continue;
        }
        // Depth first, each directory's entries in sorted order, without recursion.
        let mut stack = vec![(path.to_owned(), true)];
        while let Some((item, is_dir)) = stack.pop() {
            if !is_dir {
                push(item, &mut out);
                continue;
            }
            let mut children: Vec<(PathBuf, bool)> = Vec::new();
            for entry in std::fs::read_dir(&item).map_err(io(&item))? {
                let entry = entry.map_err(io(&item))?;
                let child = entry.path();
                let kind = entry.file_type().map_err(io(&child))?;
                if kind.is_dir() {
                    children.push((child, true));
                } else if child.extension().is_some_and(|e| e == "ron") {
                    if kind.is_symlink() && std::fs::metadata(&child).is_ok_and(|m| m.is_dir()) {
                        continue; // A link to a directory: not followed.
                    }
                    children.push((child, false));
                }
            }
            children.sort();
            stack.extend(children.into_iter().rev());
        }
    }
    Ok(out)
}

/// The trees of a check that did not compile: their errors are reported in their own
/// files, so a `Goto` into one of them is not reported again.
#[derive(Default)]
struct Refused {
    ids: BTreeSet<String>,
    unparsed: usize,
}

/// Checks `Goto` targets and loops of links between trees.
///
/// An *entry* is a tree and the node a walk enters it at (its start, or a `Goto`'s named
/// node). Entry A links to entry B when a `Goto` reachable from A targets B. Limits are
/// counted per tree, so no limit can bound a loop that leaves the tree: any loop of
/// entries is refused.
fn links(
    trees: &BTreeMap<String, (usize, Tree)>,
    refused: &Refused,
    max_walk_steps: u64,
    pending: &mut Vec<(usize, Pending)>,
) {
    let mut entries: HashMap<(&str, NodeIndex), NodeIndex> = HashMap::new();
    let mut graph: DiGraph<(&str, NodeIndex), (usize, NodeIndex)> = DiGraph::new();
    // Targets first: every Goto must name an existing tree and node.
    let mut todo: Vec<(&str, NodeIndex)> = Vec::new();
    for (id, (file, tree)) in trees {
        todo.push((id, tree.0.start));
        for v in tree.0.graph.node_indices() {
            let node = &tree.0.graph[v];
            let node_id = tree.0.node_id(v);
            let NodeKind::Goto {
                tree: target,
                node: target_node,
            } = &node.kind
            else {
                continue;
            };
            let Some((_, target_tree)) = trees.get(&**target) else {
                if refused.ids.contains(&**target) {
                    // That tree has errors of its own; this link is checked once they are fixed.
                    continue;
                }
                let mut known: Vec<&str> = trees.keys().map(String::as_str).collect();
                if known.is_empty() {
                    known.push("none");
                }
                let unparsed = match refused.unparsed {
                    0 => String::new(),
                    n => {
                        format!("; {n} file(s) could not be parsed, so their tree ids are unknown")
                    }
                };
                let message = format!(
                    "Goto \"{}\" names tree \"{target}\", which is not among the trees checked (known: {}){unparsed}",
                    node_id,
                    known.join(", ")
                );
                pending.push((
                    *file,
                    Pending {
                        code: Code::UnknownTree,
                        path: format!("nodes.{}.tree", v.index()),
                        message,
                        node: Some(node_id.to_string()),
                    },
                ));
                continue;
            };
            if let Some(target_node) = target_node {
                match target_tree.0.node_index.get(&**target_node) {
                    Some(entry) => todo.push((&target_tree.0.id, entry)),
                    None => {
                        let message = format!(
                            "Goto \"{}\" names node \"{target_node}\" of tree \"{target}\", which has no node with that id",
                            node_id
                        );
                        pending.push((
                            *file,
                            Pending {
                                code: Code::UnknownTree,
                                path: format!("nodes.{}.node", v.index()),
                                message,
                                node: Some(node_id.to_string()),
                            },
                        ));
                    }
                }
            }
        }
    }
    // The entry graph, built from every tree's start and every Goto target.
    while let Some(entry) = todo.pop() {
        if entries.contains_key(&entry) {
            continue;
        }
        let index = graph.add_node(entry);
        entries.insert(entry, index);
    }
    let all: Vec<(&str, NodeIndex)> = entries.keys().copied().collect();
    for (id, at) in all {
        let Some((file, tree)) = trees.get(id) else {
            continue;
        };
        let from = entries[&(id, at)];
        let g = &tree.0.graph;
        let mut seen = vec![false; g.node_count()];
        let mut stack = vec![at];
        seen[at.index()] = true;
        while let Some(v) = stack.pop() {
            if let NodeKind::Goto {
                tree: target,
                node: target_node,
            } = &g[v].kind
                && let Some((_, target_tree)) = trees.get(&**target)
            {
                let entry = match target_node {
                    Some(n) => target_tree.0.node_index.get(&**n),
                    None => Some(target_tree.0.start),
                };
                if let Some(to) = entry.and_then(|e| entries.get(&(&*target_tree.0.id, e))) {
                    graph.update_edge(from, *to, (*file, v));
                }
            }
            for w in g.neighbors_directed(v, Direction::Outgoing) {
                if !seen[w.index()] {
                    seen[w.index()] = true;
                    stack.push(w);
                }
            }
        }
    }
    for component in petgraph::algo::kosaraju_scc(&graph) {
        let looped = component.len() > 1 || graph.contains_edge(component[0], component[0]);
        if !looped {
            continue;
        }
        let names: Vec<&str> = component.iter().map(|e| graph[*e].0).collect();
        // Report at each Goto that stays inside the loop.
        for &e in &component {
            for edge in graph.edges(e) {
                use petgraph::visit::EdgeRef;
                if !component.contains(&edge.target()) {
                    continue;
                }
                let (file, goto) = *edge.weight();
                let (tree_id, _) = graph[e];
                let Some((_, tree)) = trees.get(tree_id) else {
                    continue;
                };
                let goto_id = tree.0.node_id(goto);
                let message = format!(
                    "Goto \"{goto_id}\" closes a loop between trees {}: a walk could jump round it for ever (limits do not carry across trees); end one of these flows with Resolve or Escalate instead",
                    names.join(", ")
                );
                pending.push((
                    file,
                    Pending {
                        code: Code::GotoCycle,
                        path: format!("nodes.{}", goto.index()),
                        message,
                        node: Some(goto_id.to_string()),
                    },
                ));
            }
        }
    }
    journey_bound(trees, &graph, max_walk_steps, pending);
}

/// E016 when a journey could take more moves than a session allows: each tree's walks
/// are bounded when it loads, and a journey adds them up along its `Goto` links, one
/// move per jump. Links form no loop here (E013 refuses those first), so the heaviest
/// chain of entries is found in one pass in topological order.
fn journey_bound(
    trees: &BTreeMap<String, (usize, Tree)>,
    graph: &DiGraph<(&str, NodeIndex), (usize, NodeIndex)>,
    max_walk_steps: u64,
    pending: &mut Vec<(usize, Pending)>,
) {
    use petgraph::visit::EdgeRef;
    let Ok(order) = petgraph::algo::toposort(graph, None) else {
        return; // a loop, reported as E013
    };
    let weight = |e: NodeIndex| {
        trees
            .get(graph[e].0)
            .map_or(0, |(_, tree)| tree.0.walk_bound)
    };
    // For each entry: the heaviest journey from it, and the Goto it leaves by.
    let mut best: Vec<(u64, Option<petgraph::graph::EdgeIndex>)> =
        vec![(0, None); graph.node_count()];
    for &e in order.iter().rev() {
        let mut heaviest = (weight(e), None);
        for edge in graph.edges(e) {
            let through = weight(e)
                .saturating_add(1)
                .saturating_add(best[edge.target().index()].0);
            if through > heaviest.0 {
                heaviest = (through, Some(edge.id()));
            }
        }
        best[e.index()] = heaviest;
    }
    let Some(from) = graph
        .node_indices()
        .filter(|e| best[e.index()].1.is_some())
        .max_by_key(|e| best[e.index()].0)
    else {
        return;
    };
    let (bound, Some(first)) = best[from.index()] else {
        return;
    };
    if bound <= max_walk_steps {
        return;
    }
    // The chain of trees, for the message.
    let mut chain = vec![graph[from].0];
    let mut at = Some(first);
    while let Some(edge) = at {
        let target = graph.raw_edges()[edge.index()].target();
        chain.push(graph[target].0);
        at = best[target.index()].1;
    }
    let (file, goto) = graph[first];
    let Some((_, tree)) = trees.get(graph[from].0) else {
        return;
    };
    let goto_id = tree.0.node_id(goto);
    pending.push((
        file,
        Pending {
            code: Code::LimitExceeded,
            path: format!("nodes.{}", goto.index()),
            message: format!(
                "a journey through trees {} could take up to {bound} moves, more than the {max_walk_steps} a session allows; end one of these flows with Resolve or Escalate, or lower the `times` of their loops",
                chain.join(" → ")
            ),
            node: Some(goto_id.to_string()),
        },
    ));
}
