//! Synthetic analytics events: many sessions walked through a catalogue by the
//! engine's own [`Recorder`], interleaved in time order as a busy service would write
//! them. For the statistics' tests and for measuring them at scale (10 million events:
//! `cargo run --release -p troubletree-testkit --example events -- 10000000`).
//!
//! Users answer at random, now and then go back, ask for a person, or stop answering
//! (abandoned); each waits 2 to 40 seconds before an answer. A new session starts every
//! `gap_ms` milliseconds, so about (session length / gap) sessions are in progress at
//! any time.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;

use troubletree::event::Timestamp;
use troubletree::{AnswerKind, Catalogue, Event, Origin, Recorder, Session, Step};

/// Events of `sessions` sessions over `catalogue`, in time order.
#[derive(Debug)]
pub struct Events {
    catalogue: Catalogue,
    trees: Vec<String>,
    sessions: u64,
    started: u64,
    gap_ms: i64,
    start_ms: i64,
    seed: u64,
    /// Pending events: (time, sequence number, event).
    heap: BinaryHeap<Reverse<(i64, u64, Pending)>>,
    order: u64,
}

#[derive(Debug)]
struct Pending(Event<'static>);

// Heap entries are ordered by (time, sequence number), which are unique: the event
// itself never decides.
impl PartialEq for Pending {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

/// The events of `sessions` sessions starting every `gap_ms` milliseconds from
/// 2026-05-06T00:00:00Z, walked at random (from `seed`) through `catalogue`.
pub fn events(catalogue: &Catalogue, sessions: u64, gap_ms: i64, seed: u64) -> Events {
    Events {
        catalogue: catalogue.clone(),
        trees: catalogue.trees().map(|t| t.id().to_owned()).collect(),
        sessions,
        started: 0,
        gap_ms: gap_ms.max(1),
        start_ms: 1_778_025_600_000,
        seed: seed | 1,
        heap: BinaryHeap::new(),
        order: 0,
    }
}

impl Events {
    fn next(&mut self, n: u64) -> u64 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed % n.max(1)
    }

    /// Walks one session and queues its events.
    fn walk(&mut self, index: u64) {
        let at = self.start_ms + index as i64 * self.gap_ms;
        let pick = self.next(self.trees.len() as u64) as usize;
        let tree = self.trees[pick].clone();
        let Ok(mut session) = Session::builder(&self.catalogue).tree(tree).start() else {
            return;
        };
        let clock_ms = Rc::new(Cell::new(at));
        let clock = {
            let c = Rc::clone(&clock_ms);
            move || Timestamp::from_unix_ms(c.get())
        };
        let mut recorder = Recorder::new(
            format!("{:032x}", index.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            clock,
        );
        let mut out = recorder.start(&session);
        for _ in 0..60 {
            let (count, kind) = match session.current() {
                Step::Ask(q) | Step::Act(q) => (q.answers().len() as u64, q.kind),
                _ => break,
            };
            clock_ms.set(clock_ms.get() + 2_000 + self.next(38_000) as i64);
            let roll = self.next(100);
            let result = if roll < 4 {
                break; // the user stops answering: abandoned
            } else if roll < 6 {
                out.extend(recorder.handoff(&session).unwrap_or_default());
                break;
            } else if roll < 12 && session.transcript().any(|r| r.origin == Origin::Given) {
                recorder.back(&mut session)
            } else if count > 0 {
                let choice = self.next(count) as usize;
                recorder.choose(&mut session, choice)
            } else if kind == AnswerKind::Number {
                let amount = self.next(500) as f64;
                recorder.answer(&mut session, amount)
            } else {
                recorder.answer(&mut session, "A1234567")
            };
            match result {
                Ok(events) => out.extend(events),
                Err(_) => break,
            }
        }
        for event in out {
            let t = event.at.unix_ms();
            self.order += 1;
            self.heap.push(Reverse((t, self.order, Pending(event))));
        }
    }
}

impl Iterator for Events {
    type Item = Event<'static>;

    fn next(&mut self) -> Option<Event<'static>> {
        loop {
            let next_start = (self.started < self.sessions)
                .then(|| self.start_ms + self.started as i64 * self.gap_ms);
            match (self.heap.peek(), next_start) {
                (Some(Reverse((t, _, _))), Some(s)) if *t < s => break,
                (Some(_), None) => break,
                (_, Some(_)) => {
                    let index = self.started;
                    self.started += 1;
                    self.walk(index);
                }
                (None, None) => return None,
            }
        }
        self.heap.pop().map(|Reverse((_, _, Pending(e)))| e)
    }
}
