//! `troubletree paths`, `export` and `test`: tools beside the walker.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use troubletree::analysis::{export, paths as walks};
use troubletree::{Catalogue, Tree};

use crate::text::{clean, json, one_line, print};
use crate::{ExportFormat, Fail};

fn load(path: &Path) -> Result<Tree, Fail> {
    Tree::from_path(path).map_err(Fail::load)
}

fn catalogue(paths: &[PathBuf]) -> Result<Catalogue, Fail> {
    let report = troubletree::Loader::new()
        .check(paths)
        .map_err(|e| Fail::usage(e.to_string()))?;
    report.loaded.ok_or_else(|| {
        let errors: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.is_error())
            .map(ToString::to_string)
            .collect();
        Fail::input(format!(
            "the trees have errors (run `troubletree check`):\n{}",
            errors.join("\n")
        ))
    })
}

pub(crate) fn paths(path: &Path, as_json: bool) -> Result<ExitCode, Fail> {
    let tree = load(path)?;
    let report = walks::analyse(&tree);
    if as_json {
        print(&json(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let count = if report.saturated {
        format!(
            "more than {} (saturated; about 2^{:.1})",
            u128::MAX,
            report.walks_log2
        )
    } else {
        report.walks.to_string()
    };
    let bound = if report.approximate {
        " at most (an upper bound: a loop has too many states to count exactly)"
    } else {
        ""
    };
    out.push_str(&format!(
        "tree {}: {count} distinct walks{bound}\n",
        one_line(tree.id())
    ));
    out.push_str("shortest walk to each end:\n");
    for walk in &report.shortest {
        let shown = if walk.path.len == 0 {
            "(unreachable)".to_owned()
        } else {
            walk.path.to_string()
        };
        out.push_str(&format!(
            "  {}: {} step(s): {}\n",
            one_line(&walk.terminal),
            walk.path.len.saturating_sub(1),
            one_line(&shown)
        ));
    }
    out.push_str(&format!(
        "longest walk: {} step(s): {}\n",
        report.longest.len.saturating_sub(1),
        one_line(&report.longest.to_string())
    ));
    print(&out);
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn export(
    path: &Path,
    format: ExportFormat,
    coverage: Option<&Path>,
    lang: Option<&str>,
) -> Result<ExitCode, Fail> {
    let tree = load(path)?;
    let locale = lang
        .unwrap_or_else(|| tree.locales().next().unwrap_or("zh"))
        .to_owned();
    if tree.locales().all(|l| l != locale) {
        return Err(Fail::usage(format!(
            "tree \"{}\" has no locale \"{locale}\" (declared: {})",
            tree.id(),
            tree.locales().collect::<Vec<_>>().join(", ")
        )));
    }
    let highlight = match coverage {
        None => None,
        Some(dir) => {
            let trees_dir = crate::run::parent_dir(path);
            let catalogue = catalogue(&[trees_dir])?;
            let report = troubletree::Loader::new()
                .scenarios(&catalogue, &[dir])
                .map_err(scenario_error)?;
            let c = report.coverage.into_iter().find(|c| c.tree == tree.id());
            Some(
                c.map_or_else(export::Highlight::default, |c| export::Highlight {
                    nodes: c.node_hits,
                    edges: c.edge_hits,
                }),
            )
        }
    };
    let text = match format {
        ExportFormat::Dot => export::dot(&tree, &locale, highlight.as_ref()),
        ExportFormat::Mermaid => export::mermaid(&tree, &locale, highlight.as_ref()),
    };
    print(&text);
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn test(
    paths: &[PathBuf],
    trees: &[PathBuf],
    min_coverage: Option<u8>,
    as_json: bool,
) -> Result<ExitCode, Fail> {
    // The scenarios named first: a missing one is the mistake to report, not the trees.
    for path in paths {
        std::fs::metadata(path)
            .map_err(|e| Fail::usage(format!("cannot read scenarios {}: {e}", path.display())))?;
    }
    for dir in trees {
        std::fs::metadata(dir).map_err(|e| {
            let default = trees.len() == 1 && dir.as_os_str() == "trees";
            let hint = if default {
                " (--trees defaults to ./trees; give --trees DIR where the trees are)"
            } else {
                ""
            };
            Fail::usage(format!("cannot read trees {}: {e}{hint}", dir.display()))
        })?;
    }
    let catalogue = catalogue(trees)?;
    let report = troubletree::Loader::new()
        .scenarios(&catalogue, paths)
        .map_err(scenario_error)?;
    if report.cases.is_empty() {
        return Err(Fail::usage(format!(
            "no scenario under {}",
            crate::check::shown(paths)
        )));
    }
    let min = f64::from(min_coverage.unwrap_or(0));
    let below: Vec<&str> = report
        .coverage
        .iter()
        .filter(|c| c.node_percent() < min || c.edge_percent() < min)
        .map(|c| c.tree.as_str())
        .collect();
    let failed = report.failed();
    if as_json {
        let cases: Vec<serde_json::Value> = report
            .cases
            .iter()
            .map(|c| {
                serde_json::json!({
                    "file": c.file.display().to_string(),
                    "tree": c.tree,
                    "name": c.name,
                    "passed": c.passed(),
                    "failure": c.failure,
                    "outcome": c.outcome.map(|o| o.as_str()),
                    "node": c.node,
                    "path": c.path,
                })
            })
            .collect();
        let coverage: Vec<serde_json::Value> = report
            .coverage
            .iter()
            .map(|c| {
                serde_json::json!({
                    "tree": c.tree,
                    "nodes_covered": c.nodes_covered,
                    "nodes_total": c.nodes_total,
                    "node_percent": c.node_percent(),
                    "edges_covered": c.edges_covered,
                    "edges_total": c.edges_total,
                    "edge_percent": c.edge_percent(),
                    "uncovered_nodes": c.uncovered_nodes,
                    "uncovered_edges": c.uncovered_edges,
                })
            })
            .collect();
        print(&json(&serde_json::json!({
            "passed": report.cases.len() - failed,
            "failed": failed,
            "min_coverage": min_coverage,
            "below_min_coverage": below,
            "cases": cases,
            "coverage": coverage,
        }))?);
    } else {
        let mut out = String::new();
        for case in &report.cases {
            match &case.failure {
                None => out.push_str(&format!(
                    "ok   {} :: {}\n",
                    clean(&case.tree),
                    clean(&case.name)
                )),
                Some(why) => out.push_str(&format!(
                    "FAIL {} :: {}\n     {}\n",
                    clean(&case.tree),
                    clean(&case.name),
                    clean(why)
                )),
            }
        }
        out.push('\n');
        for c in &report.coverage {
            out.push_str(&format!(
                "coverage {}: nodes {}/{} ({:.0}%), edges {}/{} ({:.0}%)\n",
                clean(&c.tree),
                c.nodes_covered,
                c.nodes_total,
                c.node_percent(),
                c.edges_covered,
                c.edges_total,
                c.edge_percent()
            ));
            for edge in &c.uncovered_edges {
                out.push_str(&format!("  not taken: {}\n", clean(edge)));
            }
        }
        out.push_str(&format!(
            "\n{} passed, {failed} failed\n",
            report.cases.len() - failed
        ));
        print(&out);
    }
    if !below.is_empty() {
        crate::text::eprint(&format!(
            "troubletree: coverage below {}% for {}",
            min_coverage.unwrap_or(0),
            one_line(&below.join(", "))
        ));
    }
    Ok(if failed > 0 || !below.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Scenario files that cannot be read or parsed are usage problems (exit 2).
fn scenario_error(e: troubletree::LoadError) -> Fail {
    match e {
        troubletree::LoadError::Invalid { findings } => Fail::usage(
            findings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        other => Fail::usage(other.to_string()),
    }
}
