//! `troubletree export TREE --traffic EVENTS`: the picture of a flow with its traffic.

use std::path::Path;
use std::process::ExitCode;

use troubletree::Tree;
use troubletree::analysis::export;
use troubletree::analysis::stats::StatsOptions;

use crate::source::Source;
use crate::text::{one_line, print};
use crate::{ExportFormat, Fail};

pub(crate) fn export(
    path: &Path,
    format: ExportFormat,
    events: &str,
    lang: Option<&str>,
) -> Result<ExitCode, Fail> {
    let tree = Tree::from_path(path).map_err(|e| match e {
        troubletree::LoadError::Io { .. } => Fail::usage(e.to_string()),
        other => Fail::input(other.to_string()),
    })?;
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
    let source = Source::parse(events)?;
    let mut report = crate::stats::count(&source, StatsOptions::default())?;
    report.retain_tree(tree.id());
    let fingerprint = format!("{:016x}", tree.fingerprint());
    let Some(version) = report
        .versions
        .iter()
        .find(|v| v.fingerprint == fingerprint)
    else {
        let others: Vec<String> = report
            .versions
            .iter()
            .map(|v| {
                format!(
                    "{} ({} session(s) passed)",
                    one_line(&v.fingerprint),
                    v.visitors
                )
            })
            .collect();
        return Err(Fail::input(format!(
            "{} holds no event of this version of tree \"{}\" (fingerprint {fingerprint}){}",
            source.name(),
            tree.id(),
            if others.is_empty() {
                String::new()
            } else {
                format!("; it holds versions {}", others.join(", "))
            }
        )));
    };
    let traffic = version.traffic(&tree);
    let text = match format {
        ExportFormat::Dot => export::dot_traffic(&tree, &locale, &traffic),
        ExportFormat::Mermaid => export::mermaid_traffic(&tree, &locale, &traffic),
    };
    print(&text);
    Ok(ExitCode::SUCCESS)
}
