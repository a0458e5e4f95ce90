//! The fast reader against ron alone: parsing only, and the whole compile, on a shipped
//! tree and generated trees of ten thousand and a million nodes
//! (`troubletree_testkit::generate::tree(n, 0)`), in one run.
//!
//! `cargo bench -p troubletree-benches --features internals --bench parse` (the `internals` feature exposes
//! the two parsers to this bench; see docs/PERFORMANCE.md). Outputs are dropped outside
//! the measurement.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use troubletree::internals::{check_str_ron, parse_fast, parse_ron};
use troubletree_testkit::generate;

fn inputs() -> Vec<(String, String)> {
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../trees/recharge_failure.ron"
    ))
    .expect("the shipped tree");
    vec![
        ("recharge_failure".to_owned(), shipped),
        ("generated_10k".to_owned(), generate::tree(10_000, 0)),
        ("generated_1M".to_owned(), generate::tree(1_000_000, 0)),
    ]
}

fn bench(c: &mut Criterion) {
    for (name, text) in inputs() {
        let mut group = c.benchmark_group(name.as_str());
        if text.len() > 1 << 20 {
            let (samples, seconds) = if text.len() > 100 << 20 {
                (10, 40)
            } else {
                (20, 8)
            };
            group
                .sample_size(samples)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_secs(2))
                .measurement_time(Duration::from_secs(seconds));
        }
        let text = text.as_str();
        group.bench_function(BenchmarkId::new("parse", "fast"), |b| {
            b.iter_batched(
                || (),
                |()| parse_fast(black_box(text)).expect("parses"),
                BatchSize::PerIteration,
            );
        });
        group.bench_function(BenchmarkId::new("parse", "ron"), |b| {
            b.iter_batched(
                || (),
                |()| parse_ron(black_box(text)).expect("parses"),
                BatchSize::PerIteration,
            );
        });
        group.bench_function(BenchmarkId::new("compile", "fast"), |b| {
            b.iter_batched(
                || (),
                |()| {
                    troubletree::Loader::new()
                        .tree("t.ron", black_box(text))
                        .loaded
                        .expect("valid")
                },
                BatchSize::PerIteration,
            );
        });
        group.bench_function(BenchmarkId::new("compile", "ron"), |b| {
            b.iter_batched(
                || (),
                |()| {
                    check_str_ron("t.ron", black_box(text))
                        .loaded
                        .expect("valid")
                },
                BatchSize::PerIteration,
            );
        });
        group.finish();
    }
}

criterion_group!(parse, bench);
criterion_main!(parse);
