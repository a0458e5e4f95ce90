//! The cost of reading events and counting them: `Event::parse` on the lines the
//! service writes (its fast path) and on the same events written another way (the
//! general reader), against serde_json on both; and `Stats` per event over a day of
//! synthetic traffic on the shipped trees.
//!
//! `cargo bench -p troubletree-benches --bench events` measures; `cargo bench -p troubletree-benches --bench events -- --test` runs
//! each benchmark once, as CI does.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use troubletree::analysis::stats::{Stats, StatsOptions};
use troubletree::{Catalogue, Event};

fn lines() -> Vec<String> {
    let catalogue = Catalogue::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../trees"))
        .expect("the shipped trees");
    troubletree_testkit::events::events(&catalogue, 5_000, 200, 1)
        .map(|e| serde_json::to_string(&e).expect("serialises"))
        .collect()
}

fn bench(c: &mut Criterion) {
    let canonical = lines();
    // The same events with spaces after the separators: not the canonical layout.
    let general: Vec<String> = canonical
        .iter()
        .map(|l| l.replace("\":", "\": ").replace(",\"", ", \""))
        .collect();
    let bytes: usize = canonical.iter().map(String::len).sum();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("fast reader, canonical lines", |b| {
        b.iter(|| {
            for l in &canonical {
                black_box(Event::parse(black_box(l)).expect("an event"));
            }
        });
    });
    g.bench_function("fast reader, other layout", |b| {
        b.iter(|| {
            for l in &general {
                black_box(Event::parse(black_box(l)).expect("an event"));
            }
        });
    });
    g.bench_function("serde_json, canonical lines", |b| {
        b.iter(|| {
            for l in &canonical {
                black_box(serde_json::from_str::<Event>(black_box(l)).expect("an event"));
            }
        });
    });
    g.finish();
    let mut g = c.benchmark_group("stats");
    g.throughput(Throughput::Elements(canonical.len() as u64));
    g.bench_function("parse and count", |b| {
        b.iter(|| {
            let mut stats = Stats::new(StatsOptions::default());
            for l in &canonical {
                let _ = stats.add_line(black_box(l));
            }
            black_box(stats.finish())
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
