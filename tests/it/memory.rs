//! Exact, untimed properties of a compiled tree's memory: bytes counted by the counting
//! allocator (see `alloc.rs`), not timed.
//!
//! The figures for a million nodes are in docs/PERFORMANCE.md (`cargo run --release -p
//! troubletree-testkit --example memory -- 1000000`); this test holds a smaller tree to
//! the same layout, so that a change that brings back a per-string allocation fails here.

use troubletree::Tree;

/// Heap bytes a compiled generated tree of `nodes` nodes holds, per node.
fn bytes_per_node(nodes: usize) -> f64 {
    let text = troubletree_testkit::generate::tree(nodes, 0);
    let mut tree = None;
    let info = allocation_counter::measure(|| {
        tree = Some(Tree::from_str(&text).expect("a generated tree is valid"));
    });
    let tree = tree.expect("compiled");
    assert_eq!(tree.node_count(), nodes);
    info.bytes_current as f64 / nodes as f64
}

/// 244 bytes per node at a million nodes, 252 at 100 000; a small tree carries more of
/// its facts per node. The layout before interning took about 500 at every size.
#[test]
fn a_compiled_tree_takes_a_few_hundred_bytes_per_node() {
    let per_node = bytes_per_node(20_000);
    assert!(per_node < 300.0, "{per_node:.1} bytes per node");
}

/// Interned texts are shared, not repeated: a tree twice as large takes about twice
/// the memory, not more.
#[test]
fn memory_grows_with_the_nodes() {
    let small = bytes_per_node(5_000);
    let large = bytes_per_node(20_000);
    assert!(
        large <= small * 1.1,
        "{small:.1} then {large:.1} bytes per node"
    );
}
