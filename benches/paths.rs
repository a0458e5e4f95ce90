//! The cost of the path analysis (`troubletree::analysis::paths`): counting the walks of
//! a tree with more than 2^200 of them (a chain of 201 diamonds, never enumerated), and
//! the whole analysis (counts, the shortest walk to every terminal, the longest walk) of
//! the million-node generated tree.
//!
//! `cargo bench -p troubletree-benches --bench paths` measures (about a minute); `cargo bench -p troubletree-benches --bench paths --
//! --test` runs each benchmark once.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};
use troubletree::Tree;
use troubletree::analysis::paths;
use troubletree_testkit::generate;

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("paths");

    let wide = Tree::from_str(&generate::wide_paths(201)).expect("a valid tree");
    let report = paths::analyse(&wide);
    assert!(
        report.saturated && report.walks_log2 >= 200.0,
        "2^201 walks, saturating the count: {report:?}"
    );
    group.bench_function("count_2e200", |b| {
        b.iter(|| paths::analyse(black_box(&wide)));
    });

    let big = Tree::from_str(&generate::tree(1_000_000, 0)).expect("a valid tree");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(30));
    // The report holds the walk to each of some 200,000 terminals: dropped unmeasured.
    group.bench_function("shortest_1m", |b| {
        b.iter_batched(
            || (),
            |()| paths::analyse(black_box(&big)),
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(paths_group, benches);
criterion_main!(paths_group);
