//! The writers' preview (`/v1/preview/*`): the tree *files* the server was started on,
//! read from disk at each request, unpublished and possibly broken.
//!
//! A writer edits a tree in the server's folder (their working copy) and the preview
//! page shows, without any publishing: the picture of each tree that compiles
//! ([`crate::picture`]), every finding of `troubletree check` with line and column,
//! coverage by the scenario files of `--scenarios` (a catalogue with errors gets no
//! coverage, and says so), and a walk from any node. The page polls `GET /v1/preview/files`, a cheap
//! digest of the files, and reloads when it changes.
//!
//! Who may see it: the writer token (`TROUBLETREE_WRITER_TOKEN`) or the admin token;
//! without either configured the preview answers 401, like every other role. It reads
//! only the configured paths (folders searched for `*.ron`, each file read up to the
//! engine's size limit) and the configured scenario paths; no request names a file.
//! A walk is stateless: the page sends the start node and every answer so far, and the
//! server replays them on the files as they are now.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use troubletree::{Catalogue, Finding, Loader, Report, Session, Step, Tree};
use utoipa::ToSchema;

use crate::api::{Role, require};
use crate::app::AppState;
use crate::engine::{self, ApiValue, EngineError, StepView};
use crate::picture::{self, Hits, Picture};
use crate::problem::{ApiJson, Problem};

/// Most files the preview reads from the configured paths.
const MAX_FILES: usize = 2_000;
/// Most answers a preview walk replays.
const MAX_ANSWERS: usize = 1_000;

/// The tree files as they are on disk: a digest per file and of them all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreviewFiles {
    /// SHA-256 over every file's name and digest: it changes when any file changes,
    /// appears or goes.
    pub digest: String,
    /// Each `*.ron` file under the configured paths, in the order `check` reads them.
    pub files: Vec<PreviewFile>,
}

/// One file's fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreviewFile {
    /// The path as `troubletree check` prints it.
    pub path: String,
    /// SHA-256 of its bytes (of its size alone when it is over the size limit).
    pub digest: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// A finding of `troubletree check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FindingView {
    /// The stable code, e.g. `E006`.
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    /// What is wrong, for the writer.
    pub message: String,
    /// The file.
    pub file: String,
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
    /// The node it concerns, if any.
    pub node: Option<String>,
}

impl From<&Finding> for FindingView {
    fn from(f: &Finding) -> Self {
        FindingView {
            code: f.code.to_string(),
            severity: f.severity.to_string(),
            message: f.message.clone(),
            file: f.file.clone(),
            line: f.line,
            column: f.column,
            node: f.node.clone(),
        }
    }
}

/// One file of the working copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreviewEntry {
    /// The path.
    pub path: String,
    /// `tree` (it compiles), `directory` (the service directory), or `broken` (a tree
    /// or directory with errors: see the findings).
    pub kind: String,
    /// The tree id, when it compiles.
    pub tree: Option<String>,
    /// Its title in the asked locale (or its default).
    pub title: Option<String>,
    /// Errors found in this file.
    pub errors: usize,
    /// Warnings found in this file.
    pub warnings: usize,
}

/// What the scenario files say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScenarioSummary {
    /// The configured scenario paths (none: coverage is not shown).
    pub paths: Vec<String>,
    /// Whether they ran (they need a catalogue without errors).
    pub ran: bool,
    /// Why they did not run, or what went wrong reading them.
    pub note: Option<String>,
    /// Cases run.
    pub cases: usize,
    /// Cases that failed, each as `file: tree: name: why`.
    pub failures: Vec<String>,
}

/// The working copy at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreviewOverview {
    /// The digest of the files this was computed from (as [`PreviewFiles`]).
    pub digest: String,
    /// Whether the files check as one catalogue (no error anywhere).
    pub ok: bool,
    /// Each file.
    pub files: Vec<PreviewEntry>,
    /// Every finding, as `troubletree check` prints them.
    pub findings: Vec<FindingView>,
    /// The scenarios.
    pub scenarios: ScenarioSummary,
}

/// A tree's node, as listed beside the picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreviewNode {
    /// The node id.
    pub id: String,
    /// `ask`, `act`, `decide`, `resolve`, `escalate` or `goto`.
    pub kind: String,
    /// The start of its text.
    pub text: String,
    /// Whether a scenario visited it (absent without coverage).
    pub covered: Option<bool>,
}

/// Coverage of one tree by the scenarios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoverageView {
    /// Nodes visited by some case.
    pub nodes_covered: usize,
    /// All nodes.
    pub nodes_total: usize,
    /// Edges taken by some case.
    pub edges_covered: usize,
    /// All edges.
    pub edges_total: usize,
    /// Edges no case took, as `from --label--> to`.
    pub uncovered_edges: Vec<String>,
}

/// One tree of the working copy, drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreviewTree {
    /// The digest of the files this was computed from.
    pub digest: String,
    /// The tree id.
    pub id: String,
    /// Its file.
    pub file: String,
    /// Its title in the locale shown.
    pub title: Option<String>,
    /// The locale of the texts shown.
    pub locale: String,
    /// Its locales, the default first.
    pub locales: Vec<String>,
    /// Its start node.
    pub start: String,
    /// Its nodes in file order.
    pub nodes: Vec<PreviewNode>,
    /// The picture: an SVG document, every text escaped; nodes are `g.tt-node` with
    /// `data-node` holding the id.
    pub svg: String,
    /// The findings of its file (warnings; errors would have stopped it compiling,
    /// except those about links to other trees).
    pub findings: Vec<FindingView>,
    /// Coverage by the scenarios, when they ran.
    pub coverage: Option<CoverageView>,
}

/// Which locale to show.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocaleQuery {
    /// `zh`, `en`…; the tree's default when absent or unknown.
    pub locale: Option<String>,
}

/// A walk of the working copy, replayed from its start.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewWalkRequest {
    /// The tree.
    pub tree: String,
    /// The node to start at (the tree's start when absent).
    #[serde(default)]
    pub at: Option<String>,
    /// The locale of the texts.
    #[serde(default)]
    pub locale: Option<String>,
    /// Every answer so far, in order (at most 1000).
    #[serde(default)]
    pub answers: Vec<ApiValue>,
}

/// Where a preview walk stands.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreviewWalk {
    /// The digest of the files it ran on.
    pub digest: String,
    /// The step now; `kind` is also `goto` when the walk leaves for a tree the working
    /// copy cannot load.
    pub step: StepView,
    /// Every place passed, `tree/node`, the current one last.
    pub path: Vec<String>,
    /// The automatic decisions taken, in words.
    pub decisions: Vec<String>,
    /// Whether the walk crossed into other trees as the service would (false when the
    /// working copy has errors and the tree is walked alone).
    pub whole_catalogue: bool,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "a preview task stopped");
        Err(Problem::internal())
    })
}

/// The fingerprints of the tree files: poll this (it reads, but does not check, the
/// files) and reload the rest when `digest` changes.
#[utoipa::path(get, path = "/v1/preview/files", tag = "preview",
    security(("writer" = [])),
    responses(
        (status = 200, body = PreviewFiles),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`trees-unreadable`: a configured path cannot be read", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn files(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<PreviewFiles>, Problem> {
    require(&state, &headers, Role::Writer)?;
    let paths = state.config.trees.clone();
    let snapshot = blocking(move || Snapshot::read(&paths)).await?;
    Ok(Json(snapshot.listing()))
}

/// Every file of the working copy, every finding, and how the scenarios fare.
#[utoipa::path(get, path = "/v1/preview/overview", tag = "preview",
    params(LocaleQuery),
    security(("writer" = [])),
    responses(
        (status = 200, body = PreviewOverview),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`trees-unreadable`", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn overview(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<LocaleQuery>,
) -> Result<Json<PreviewOverview>, Problem> {
    require(&state, &headers, Role::Writer)?;
    let paths = state.config.trees.clone();
    let scenario_paths = state.config.scenarios.clone();
    blocking(move || {
        let work = Workspace::load(&paths)?;
        let (scenarios, _) = work.scenarios(&scenario_paths);
        let locale = q.locale.unwrap_or_default();
        let files = work
            .files
            .iter()
            .map(|f| {
                let (errors, warnings) = work.counts(&f.name);
                let tree = work.tree_of(&f.name);
                PreviewEntry {
                    path: f.name.clone(),
                    kind: match (&tree, f.directory) {
                        (Some(_), _) => "tree",
                        (None, true) if errors == 0 => "directory",
                        _ => "broken",
                    }
                    .into(),
                    tree: tree.map(|t| t.id().to_owned()),
                    title: tree.and_then(|t| {
                        t.title(&locale)
                            .or_else(|| t.title(t.locales().next().unwrap_or_default()))
                            .map(str::to_owned)
                    }),
                    errors,
                    warnings,
                }
            })
            .collect();
        Ok(Json(PreviewOverview {
            digest: work.snapshot.digest.clone(),
            ok: !work.report.has_errors(),
            files,
            findings: work.report.findings.iter().map(Into::into).collect(),
            scenarios,
        }))
    })
    .await
}

/// A tree of the working copy: its picture (coloured by coverage when the scenarios
/// ran), nodes, findings and coverage.
#[utoipa::path(get, path = "/v1/preview/trees/{id}", tag = "preview",
    params(("id" = String, Path, description = "The tree id"), LocaleQuery),
    security(("writer" = [])),
    responses(
        (status = 200, body = PreviewTree),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`tree-not-found`: no tree with this id compiles in the working copy", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`trees-unreadable`", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn tree(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(q): Query<LocaleQuery>,
) -> Result<Json<PreviewTree>, Problem> {
    require(&state, &headers, Role::Writer)?;
    let paths = state.config.trees.clone();
    let scenario_paths = state.config.scenarios.clone();
    blocking(move || {
        let work = Workspace::load(&paths)?;
        let tree = work.tree(&id).ok_or_else(|| tree_not_found(&id))?.clone();
        let (_, coverage) = work.scenarios(&scenario_paths);
        let coverage = coverage.and_then(|c| c.into_iter().find(|c| c.tree == tree.id()));
        let locale = match q.locale {
            Some(l) if tree.locales().any(|x| x == l) => l,
            _ => tree.locales().next().unwrap_or_default().to_owned(),
        };
        let drawn = Picture::of(&tree, &locale);
        let hits = coverage.as_ref().map(|c| Hits {
            nodes: &c.node_hits,
            edges: &c.edge_hits,
        });
        let svg = picture::svg(&drawn, hits);
        let nodes = drawn
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| PreviewNode {
                id: n.id.clone(),
                kind: n.kind.as_str().into(),
                text: n.text.clone(),
                covered: coverage
                    .as_ref()
                    .map(|c| c.node_hits.get(i).copied().unwrap_or(false)),
            })
            .collect();
        Ok(Json(PreviewTree {
            digest: work.snapshot.digest.clone(),
            id: tree.id().to_owned(),
            file: tree.file().to_owned(),
            title: drawn.title,
            locales: tree.locales().map(str::to_owned).collect(),
            locale,
            start: tree.start().to_owned(),
            nodes,
            svg,
            findings: work
                .report
                .findings
                .iter()
                .filter(|f| f.file == tree.file())
                .map(Into::into)
                .collect(),
            coverage: coverage.map(|c| CoverageView {
                nodes_covered: c.nodes_covered,
                nodes_total: c.nodes_total,
                edges_covered: c.edges_covered,
                edges_total: c.edges_total,
                uncovered_edges: c.uncovered_edges,
            }),
        }))
    })
    .await
}

/// Walks a tree of the working copy from any node, replaying the answers given. The
/// journey follows `Goto` links as the service does when the whole working copy checks;
/// otherwise the tree is walked alone and a `Goto` ends the walk.
#[utoipa::path(post, path = "/v1/preview/walk", tag = "preview",
    request_body = PreviewWalkRequest,
    security(("writer" = [])),
    responses(
        (status = 200, body = PreviewWalk),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`tree-not-found` or `node-not-found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An answer that does not fit (`not-offered`, `wrong-type`, `out-of-range`, `session-ended`, `step-limit`), or an unknown locale; `detail` says which answer", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`trees-unreadable`", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn walk(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PreviewWalkRequest>,
) -> Result<Json<PreviewWalk>, Problem> {
    require(&state, &headers, Role::Writer)?;
    if req.answers.len() > MAX_ANSWERS {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too-many-answers",
            format!("a preview walk replays at most {MAX_ANSWERS} answers"),
        ));
    }
    let paths = state.config.trees.clone();
    blocking(move || {
        let work = Workspace::load(&paths)?;
        let tree = work
            .tree(&req.tree)
            .ok_or_else(|| tree_not_found(&req.tree))?
            .clone();
        if let Some(at) = &req.at
            && !tree.has_node(at)
        {
            return Err(Problem::new(
                StatusCode::NOT_FOUND,
                "node-not-found",
                format!("tree {} has no node {at:?}", tree.id()),
            ));
        }
        let (catalogue, whole) = work.walkable(&tree);
        let mut builder = Session::builder(catalogue).tree(tree.id());
        if let Some(l) = &req.locale {
            builder = builder.locale(l.as_str());
        }
        if let Some(at) = &req.at {
            builder = builder.at(at.as_str());
        }
        let mut session = builder
            .start()
            .map_err(|e| walk_problem(EngineError::from(e), None))?;
        for (i, value) in req.answers.into_iter().enumerate() {
            session
                .answer(troubletree::Value::from(value))
                .map_err(|e| walk_problem(EngineError::from(e), Some(i + 1)))?;
        }
        let zh = session.locale().starts_with("zh");
        let current = session.current();
        let mut step = engine::step_view(session.tree().id(), &current, zh);
        if let Step::Goto(jump) = &current {
            step.kind = "goto".into();
            step.text = match jump.target {
                Some(node) => format!("→ {} · {node}", jump.tree),
                None => format!("→ {}", jump.tree),
            };
        }
        Ok(Json(PreviewWalk {
            digest: work.snapshot.digest.clone(),
            step,
            path: session.path().iter().map(ToString::to_string).collect(),
            decisions: session
                .decisions()
                .iter()
                .map(ToString::to_string)
                .collect(),
            whole_catalogue: whole,
        }))
    })
    .await
}

fn tree_not_found(id: &str) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "tree-not-found",
        format!("no tree {id:?} compiles in the working copy; see the findings"),
    )
}

fn walk_problem(e: EngineError, answer: Option<usize>) -> Problem {
    let detail = match answer {
        Some(n) => format!("answer {n}: {}", e.message),
        None => e.message,
    };
    let status = if e.code == "tree-not-found" {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Problem::new(status, e.code, detail)
}

fn unreadable(detail: String) -> Problem {
    Problem::new(StatusCode::SERVICE_UNAVAILABLE, "trees-unreadable", detail)
}

/// One file as read.
#[derive(Debug)]
struct FileRead {
    name: String,
    digest: String,
    bytes: u64,
    /// The text, when it is UTF-8 and within the size limit.
    text: Option<String>,
    /// Whether it reads as a service directory.
    directory: bool,
}

/// The files of the configured paths, read once.
#[derive(Debug)]
struct Snapshot {
    digest: String,
    files: Vec<FileRead>,
}

impl Snapshot {
    fn read(paths: &[PathBuf]) -> Result<Snapshot, Problem> {
        let mut names = Vec::new();
        for path in paths {
            collect(path, &mut names).map_err(unreadable)?;
        }
        let limit = troubletree::Limits::default().max_file_bytes;
        let mut all = Sha256::new();
        let mut files = Vec::with_capacity(names.len());
        for path in names {
            let name = path.display().to_string();
            let (digest, bytes, text) = match read_bounded(&path, limit) {
                Ok(bytes) => {
                    let size = bytes.len() as u64;
                    (
                        engine::hex(&Sha256::digest(&bytes)),
                        size,
                        String::from_utf8(bytes).ok(),
                    )
                }
                Err(size) => (format!("size:{size}"), size, None),
            };
            all.update(name.as_bytes());
            all.update([0]);
            all.update(digest.as_bytes());
            all.update([0]);
            let directory = text
                .as_deref()
                .is_some_and(|t| Loader::new().directory(&name, t).loaded.is_some());
            files.push(FileRead {
                name,
                digest,
                bytes,
                text,
                directory,
            });
        }
        Ok(Snapshot {
            digest: engine::hex(&all.finalize()),
            files,
        })
    }

    fn listing(&self) -> PreviewFiles {
        PreviewFiles {
            digest: self.digest.clone(),
            files: self
                .files
                .iter()
                .map(|f| PreviewFile {
                    path: f.name.clone(),
                    digest: f.digest.clone(),
                    bytes: f.bytes,
                })
                .collect(),
        }
    }
}

/// Reads a file whole if it is at most `limit` bytes; otherwise (or when unreadable)
/// its size.
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, u64> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|_| 0u64)?;
    let mut bytes = Vec::new();
    let read = file
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| 0u64)?;
    if read as u64 > limit {
        let size = std::fs::metadata(path).map_or(read as u64, |m| m.len());
        return Err(size);
    }
    Ok(bytes)
}

/// The `*.ron` files under `path` in the order `troubletree check` reads them (sorted,
/// depth first), at most [`MAX_FILES`].
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_dir() {
        out.push(path.to_owned());
        return Ok(());
    }
    let mut children: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    children.sort();
    for child in children {
        if out.len() >= MAX_FILES {
            return Err(format!(
                "more than {MAX_FILES} files under the tree paths; the preview reads no more"
            ));
        }
        if child.is_dir() {
            collect(&child, out)?;
        } else if child.extension().is_some_and(|e| e == "ron") {
            out.push(child);
        }
    }
    Ok(())
}

/// The working copy, checked: the snapshot's digest is taken before the check, so a
/// file that changes during it changes the digest the page polls, and the page asks
/// again.
struct Workspace {
    snapshot: Snapshot,
    files: Vec<FileEntry>,
    report: Report<Catalogue>,
    /// Every tree that compiles on its own, by id (the first file wins).
    trees: BTreeMap<String, Tree>,
}

struct FileEntry {
    name: String,
    directory: bool,
}

impl Workspace {
    fn load(paths: &[PathBuf]) -> Result<Workspace, Problem> {
        let snapshot = Snapshot::read(paths)?;
        let report = troubletree::Loader::new()
            .check(paths)
            .map_err(|e| unreadable(e.to_string()))?;
        let mut trees = BTreeMap::new();
        match &report.loaded {
            Some(catalogue) => {
                for tree in catalogue.trees() {
                    trees.insert(tree.id().to_owned(), tree.clone());
                }
            }
            None => {
                for file in &snapshot.files {
                    let Some(text) = &file.text else { continue };
                    if file.directory {
                        continue;
                    }
                    if let Some(tree) = troubletree::Loader::new().tree(&file.name, text).loaded {
                        trees.entry(tree.id().to_owned()).or_insert(tree);
                    }
                }
            }
        }
        let files = snapshot
            .files
            .iter()
            .map(|f| FileEntry {
                name: f.name.clone(),
                directory: f.directory,
            })
            .collect();
        Ok(Workspace {
            snapshot,
            files,
            report,
            trees,
        })
    }

    fn counts(&self, file: &str) -> (usize, usize) {
        let of_file = self.report.findings.iter().filter(|f| f.file == file);
        let errors = of_file.clone().filter(|f| f.is_error()).count();
        (errors, of_file.count() - errors)
    }

    fn tree(&self, id: &str) -> Option<&Tree> {
        self.trees.get(id)
    }

    fn tree_of(&self, file: &str) -> Option<&Tree> {
        self.trees.values().find(|t| t.file() == file)
    }

    /// The catalogue to walk `tree` in: the whole working copy when it checks, the
    /// trees that compile with the directory when they check together, else the tree
    /// alone. The flag says whether it is the whole working copy.
    fn walkable(&self, tree: &Tree) -> (Catalogue, bool) {
        if let Some(catalogue) = &self.report.loaded {
            return (catalogue.clone(), true);
        }
        let texts: Vec<(&str, &str)> = self
            .snapshot
            .files
            .iter()
            .filter(|f| f.directory || self.tree_of(&f.name).is_some())
            .filter_map(|f| Some((f.name.as_str(), f.text.as_deref()?)))
            .collect();
        match Catalogue::from_texts(&texts) {
            Ok(catalogue) if catalogue.get(tree.id()).is_some() => (catalogue, false),
            _ => (Catalogue::from(tree), false),
        }
    }

    /// Runs the configured scenarios, when the working copy checks.
    fn scenarios(
        &self,
        paths: &[PathBuf],
    ) -> (
        ScenarioSummary,
        Option<Vec<troubletree::scenario::Coverage>>,
    ) {
        let mut summary = ScenarioSummary {
            paths: paths.iter().map(|p| p.display().to_string()).collect(),
            ran: false,
            note: None,
            cases: 0,
            failures: Vec::new(),
        };
        if paths.is_empty() {
            summary.note = Some(
                "no scenario folder is configured: start the server with --scenarios PATH (or TROUBLETREE_SCENARIOS) to see coverage".into(),
            );
            return (summary, None);
        }
        let Some(catalogue) = &self.report.loaded else {
            summary.note =
                Some("the working copy has errors: fix them to run the scenarios".into());
            return (summary, None);
        };
        match troubletree::Loader::new().scenarios(catalogue, paths) {
            Ok(report) => {
                summary.ran = true;
                summary.cases = report.cases.len();
                summary.failures = report
                    .cases
                    .iter()
                    .filter_map(|c| {
                        let why = c.failure.as_ref()?;
                        Some(format!(
                            "{}: {}: {}: {why}",
                            c.file.display(),
                            c.tree,
                            c.name
                        ))
                    })
                    .collect();
                (summary, Some(report.coverage))
            }
            Err(troubletree::LoadError::Invalid { findings }) => {
                let mut note = String::from("the scenarios could not run:");
                for f in findings.iter().take(20) {
                    note.push('\n');
                    note.push_str(&f.to_string());
                }
                if findings.len() > 20 {
                    note.push_str(&format!("\n… and {} more", findings.len() - 20));
                }
                summary.note = Some(note);
                (summary, None)
            }
            Err(e) => {
                summary.note = Some(format!("the scenarios could not run: {e}"));
                (summary, None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees")
    }

    #[test]
    fn the_snapshot_lists_what_check_reads_in_the_same_order() {
        let snapshot = Snapshot::read(&[shipped()]).expect("reads");
        let report = troubletree::Loader::new()
            .check(&[shipped()])
            .expect("checks");
        let names: Vec<String> = snapshot.files.iter().map(|f| f.name.clone()).collect();
        let checked: Vec<String> = report
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        assert_eq!(names, checked);
        assert_eq!(snapshot.files.iter().filter(|f| f.directory).count(), 1);
    }

    #[test]
    fn scenarios_cover_the_shipped_trees() {
        let work = Workspace::load(&[shipped()]).expect("loads");
        let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios");
        let (summary, coverage) = work.scenarios(&[scenarios]);
        assert!(summary.ran, "{summary:?}");
        assert!(summary.cases > 0);
        assert!(summary.failures.is_empty(), "{summary:?}");
        let coverage = coverage.expect("coverage");
        assert_eq!(coverage.len(), work.trees.len());
    }
}
