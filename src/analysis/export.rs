//! Pictures of a flow: Graphviz DOT and Mermaid, optionally coloured by coverage.

use crate::tree::Tree;

/// Which nodes and edges scenarios exercised, for colouring an export.
#[derive(Debug, Clone, Default)]
pub struct Highlight {
    /// For each node in file order, whether it was visited.
    pub nodes: Vec<bool>,
    /// For each edge in [`Tree::edges`] order, whether it was taken.
    pub edges: Vec<bool>,
}

/// The tree as a Graphviz DOT digraph, texts in `locale`.
pub fn dot(tree: &Tree, locale: &str, highlight: Option<&Highlight>) -> String {
    let _ = (tree, locale, highlight);
    todo!("being written")
}

/// The tree as a Mermaid flowchart that GitHub renders as is, texts in `locale`.
pub fn mermaid(tree: &Tree, locale: &str, highlight: Option<&Highlight>) -> String {
    let _ = (tree, locale, highlight);
    todo!("being written")
}
