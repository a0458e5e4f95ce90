//! The shipped trees: every one checks clean (no error, no warning), every scenario in
//! `tests/scenarios/` passes, and together they take every edge of every tree.

use troubletree::Loader;

#[test]
fn shipped_trees_have_no_findings() {
    let report = Loader::new().check(&["trees"]).expect("trees/ is readable");
    let findings: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert!(
        findings.is_empty(),
        "findings in trees/:\n{}",
        findings.join("\n")
    );
    let catalogue = report.loaded.expect("no errors");
    assert!(
        catalogue.directory().is_some(),
        "trees/directory.ron is the service directory"
    );
}

#[test]
fn every_scenario_passes_and_every_edge_is_taken() {
    let catalogue = troubletree::Catalogue::from_dir("trees").expect("valid trees");
    let report = Loader::new()
        .scenarios(&catalogue, &["tests/scenarios"])
        .expect("valid scenario files");
    let failures: Vec<String> = report
        .cases
        .iter()
        .filter_map(|c| Some(format!("{} :: {}: {}", c.tree, c.name, c.failure.as_ref()?)))
        .collect();
    assert!(
        failures.is_empty(),
        "failing scenarios:\n{}",
        failures.join("\n")
    );
    let mut gaps = Vec::new();
    for coverage in &report.coverage {
        for node in &coverage.uncovered_nodes {
            gaps.push(format!("{}: node {node} is never visited", coverage.tree));
        }
        for edge in &coverage.uncovered_edges {
            gaps.push(format!("{}: edge {edge} is never taken", coverage.tree));
        }
    }
    assert!(
        gaps.is_empty(),
        "scenarios miss parts of the trees:\n{}",
        gaps.join("\n")
    );
    assert!(
        report.cases.len() >= catalogue.len(),
        "every tree has scenarios"
    );
}
