//! The cost of loading: parse and validate each shipped tree, and generated trees of a
//! thousand to a million nodes (`troubletree_testkit::generate::tree`), to show that validation
//! stays linear far beyond any tree a person writes.
//!
//! `cargo bench -p troubletree-benches --bench compile` measures (a few minutes: the million-node tree
//! takes seconds per run, so it has ten samples); `cargo bench -p troubletree-benches --bench compile -- --test`
//! runs each benchmark once; `... -- compile_large` only the two large trees (see [`large`]). Each measured run is `Tree::from_str` on text already in
//! memory; dropping the tree is not measured.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use troubletree::Tree;
use troubletree_testkit::generate;

/// Loads `text` once per measured run, dropping the tree outside the measurement.
fn load(text: &str) -> impl FnMut(&mut criterion::Bencher) + '_ {
    move |b| {
        b.iter_batched(
            || (),
            |()| Tree::from_str(black_box(text)).expect("a valid tree"),
            BatchSize::PerIteration,
        );
    }
}

fn shipped(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    let mut paths: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../trees"))
        .expect("run from the crate root")
        .map(|entry| entry.expect("a readable directory").path())
        // The service directory sits beside the trees; it is not a tree.
        .filter(|p| p.extension().is_some_and(|e| e == "ron") && !p.ends_with("directory.ron"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("a readable tree");
        let id = Tree::from_str(&text)
            .expect("the shipped trees are valid")
            .id()
            .to_owned();
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(id, load(&text));
    }
    group.finish();
}

fn generated(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    for nodes in [1_000u64, 10_000] {
        // Generated once, outside the measurement.
        let text = generate::tree(nodes as usize, 0);
        if nodes >= 10_000 {
            // Longer runs: flat sampling, fewer samples.
            group
                .sample_size(30)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_secs(2))
                .measurement_time(Duration::from_secs(6));
        }
        group.throughput(Throughput::Elements(nodes));
        group.bench_function(BenchmarkId::new("generated", nodes), load(&text));
    }
    group.finish();
}

/// 100 000 and 1 000 000 nodes in one group, so that the ratio of the two (validation
/// stays linear: at most 11 for ten times the nodes) comes from one run: compare the
/// per-node throughputs. Ten flat samples each; the warm-up and measurement times are
/// criterion's defaults (3 s, 5 s), so that `--warm-up-time` and `--measurement-time`
/// on the command line apply (criterion stretches the time to fit ten samples).
///
/// `cargo bench -p troubletree-benches --bench compile -- --warm-up-time 1 --measurement-time 5 compile_large`
fn large(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile_large");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for nodes in [100_000u64, 1_000_000] {
        let text = generate::tree(nodes as usize, 0);
        group.throughput(Throughput::Elements(nodes));
        group.bench_function(BenchmarkId::new("generated", nodes), load(&text));
    }
    group.finish();
}

criterion_group!(compile, shipped, generated, large);
criterion_main!(compile);
