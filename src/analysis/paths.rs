//! Walks through a tree: how many there are (counted, never enumerated), the shortest
//! walk to each terminal, and the longest bounded walk.

use crate::tree::Tree;

/// What [`analyse`] finds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct PathReport {
    /// Number of distinct walks from the start to an end, exact when it fits in a `u128`.
    pub walks: u128,
    /// True when the count exceeded `u128::MAX` and `walks` is that maximum.
    pub saturated: bool,
    /// Base-2 logarithm of the number of walks (exact up to floating-point rounding,
    /// meaningful even when `saturated`).
    pub walks_log2: f64,
    /// For each terminal node (file order), the shortest walk from the start to it.
    pub shortest: Vec<ShortestWalk>,
    /// The longest walk the tree allows, limits included (node ids).
    pub longest: Vec<String>,
}

/// The shortest walk to one terminal.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct ShortestWalk {
    /// The terminal node.
    pub terminal: String,
    /// Node ids from the start to the terminal; empty if the terminal is unreachable.
    pub path: Vec<String>,
}

/// Counts and measures the walks of a tree.
pub fn analyse(tree: &Tree) -> PathReport {
    let _ = tree;
    todo!("being written")
}
