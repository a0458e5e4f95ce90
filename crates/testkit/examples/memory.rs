//! Bytes per node of a compiled tree: the heap a generated tree of each size holds once
//! compiled (`Tree::from_str`), counted by a counting allocator, and the peak of the heap
//! while it compiles (the text itself, allocated before, is not counted).
//!
//! ```sh
//! cargo run --release -p troubletree-testkit --example memory -- 100000 1000000   # NODES...
//! ```

use std::process::ExitCode;

use troubletree::Tree;

fn main() -> ExitCode {
    let sizes: Option<Vec<usize>> = std::env::args().skip(1).map(|a| a.parse().ok()).collect();
    let sizes = match sizes {
        Some(sizes) if !sizes.is_empty() => sizes,
        _ => {
            eprintln!("usage: memory NODES...");
            return ExitCode::from(2);
        }
    };
    println!(
        "nodes\ttext bytes\ttree bytes\tbytes/node\tpeak while compiling\tpeak/node\tallocations"
    );
    for nodes in sizes {
        let text = troubletree_testkit::generate::tree(nodes, 0);
        let mut tree = None;
        let info = allocation_counter::measure(|| {
            tree = Some(Tree::from_str(&text).expect("a generated tree is valid"));
        });
        let tree = tree.expect("compiled");
        assert_eq!(tree.node_count(), nodes);
        let live = u64::try_from(info.bytes_current).unwrap_or(0);
        println!(
            "{nodes}\t{}\t{live}\t{:.1}\t{}\t{:.1}\t{}",
            text.len(),
            live as f64 / nodes as f64,
            info.bytes_max,
            info.bytes_max as f64 / nodes as f64,
            info.count_current,
        );
        drop(tree);
    }
    ExitCode::SUCCESS
}
