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

/// The scenario example in `docs/FORMAT.md` (section 14) runs and passes against the
/// shipped trees, so the reference cannot drift from the format.
#[test]
fn the_scenario_example_in_the_format_guide_passes() {
    let guide = std::fs::read_to_string("docs/FORMAT.md").expect("docs/FORMAT.md is readable");
    let section = guide
        .split("## 14. Scenario files")
        .nth(1)
        .expect("the guide has its scenario section");
    let (_, block) = section.split_once("```ron\n").expect("a ron block");
    let (example, _) = block.split_once("\n```").expect("the ron block ends");
    let dir = std::env::temp_dir().join(format!("troubletree-scenario-doc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    std::fs::write(dir.join("example.ron"), example).expect("writable");
    let catalogue = troubletree::Catalogue::from_dir("trees").expect("valid trees");
    let report = Loader::new().scenarios(&catalogue, &[&dir]);
    std::fs::remove_dir_all(&dir).ok();
    let report = report.expect("the example reads");
    assert_eq!(report.cases.len(), 2);
    for case in &report.cases {
        assert!(case.passed(), "{}: {:?}", case.name, case.failure);
    }
}
