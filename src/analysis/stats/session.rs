//! One session's events applied to the counters: where it is, what it passed, how it
//! ended.

use super::*;

impl Acc {
    /// Applies one event to its session.
    pub(super) fn step(&mut self, live: &mut Live, e: &Event<'_>, here: NodeRef, at: i64) {
        let (ver, node) = here;
        self.events += 1;
        if e.kind != EventKind::Abandoned {
            live.last = live.last.max(at);
            live.abandoned = false;
        }
        match e.kind {
            EventKind::Shown => {
                self.passed(live, ver, &e.via, at);
                self.close(live, Close::Other);
                self.node_acc(here).shown += 1;
                live.marks.push((ver, node, u32::MAX));
                live.stop = Some(here);
                live.visit_open = true;
                live.outcome = Outcome::Open;
                live.end = None;
            }
            EventKind::Answered if e.origin == Some(Actor::Host) => {
                self.node_acc(here).host += 1;
                live.marks.push((ver, node, u32::MAX));
            }
            EventKind::Answered => {
                live.steps += 1;
                live.given += 1;
                if live.visit_open && live.stop == Some(here) {
                    self.close(live, Close::Answered);
                    if let Some(value) = &e.value {
                        self.node_acc(here).count_answer(value, 1);
                    }
                } else {
                    self.skipped.unmatched += 1;
                }
            }
            EventKind::Back => {
                live.steps += 1;
                if live.visit_open && live.stop == Some(here) {
                    self.close(live, Close::Back);
                }
                live.outcome = Outcome::Open;
                live.end = None;
            }
            EventKind::Handoff => {
                live.steps += 1;
                if live.visit_open && live.stop == Some(here) {
                    self.close(live, Close::Handoff);
                }
                self.close(live, Close::Other);
                live.outcome = Outcome::HandedOff;
                live.end = Some(End {
                    node: here,
                    at,
                    steps: live.steps,
                });
            }
            EventKind::Resolved | EventKind::Escalated => {
                if e.kind == EventKind::Escalated && live.outcome == Outcome::HandedOff {
                    // The hand-over that follows a `handoff`: already counted.
                    return;
                }
                self.passed(live, ver, &e.via, at);
                self.close(live, Close::Other);
                live.marks.push((ver, node, u32::MAX));
                live.stop = Some(here);
                live.outcome = match e.kind {
                    EventKind::Resolved => Outcome::Resolved(e.resolution.unwrap_or_default()),
                    _ => Outcome::Escalated,
                };
                live.end = Some(End {
                    node: here,
                    at,
                    steps: live.steps,
                });
            }
            EventKind::Abandoned => {
                if live.outcome == Outcome::Open {
                    live.abandoned = true;
                }
            }
            EventKind::Started => {}
        }
    }

    pub(super) fn version(
        &mut self,
        tree: &str,
        fingerprint: &str,
        version: Option<u32>,
        at: i64,
    ) -> u32 {
        let known = self.by_fingerprint.get(fingerprint).and_then(|ixs| {
            ixs.iter()
                .copied()
                .find(|&ix| *self.versions[ix as usize].tree == *tree)
        });
        let ix = match known {
            Some(ix) => ix,
            None => {
                let ix = u32::try_from(self.versions.len()).unwrap_or(u32::MAX);
                self.versions.push(VersionAcc {
                    tree: tree.into(),
                    fingerprint: fingerprint.into(),
                    version,
                    first: at,
                    last: at,
                    nodes: Map::default(),
                    names: Vec::new(),
                    node_accs: Vec::new(),
                    started: 0,
                    visitors: 0,
                    in_progress: 0,
                    resolved: [0; 3],
                    escalated: 0,
                    handed_off: 0,
                    abandoned: 0,
                    unengaged: 0,
                    ends: BTreeMap::new(),
                    steps: Default::default(),
                    seconds: Default::default(),
                });
                self.by_fingerprint
                    .entry(fingerprint.into())
                    .or_default()
                    .push(ix);
                ix
            }
        };
        let v = &mut self.versions[ix as usize];
        v.first = v.first.min(at);
        v.last = v.last.max(at);
        if v.version.is_none() {
            v.version = version;
        }
        ix
    }

    pub(super) fn node(&mut self, ver: u32, id: &str) -> u32 {
        let v = &mut self.versions[ver as usize];
        if let Some(&ix) = v.nodes.get(id) {
            return ix;
        }
        let ix = u32::try_from(v.node_accs.len()).unwrap_or(u32::MAX);
        v.nodes.insert(id.into(), ix);
        v.names.push(id.into());
        v.node_accs.push(NodeAcc::default());
        ix
    }

    pub(super) fn node_acc(&mut self, (ver, node): NodeRef) -> &mut NodeAcc {
        &mut self.versions[ver as usize].node_accs[node as usize]
    }

    /// Marks the nodes and edges of a `via` list.
    pub(super) fn passed(&mut self, live: &mut Live, ver: u32, via: &[Passed<'_>], at: i64) {
        for p in via {
            let v = match (&p.tree, &p.fingerprint) {
                (Some(t), Some(f)) => self.version(t, f, None, at),
                _ => ver,
            };
            let node = self.node(v, &p.node);
            live.marks.push((v, node, u32::MAX));
            if let Some(edge) = p.edge {
                live.marks.push((v, node, edge));
            }
        }
        if live.marks.len() > MAX_MARKS {
            // A session going round a loop: keep each node and edge once.
            live.marks.sort_unstable();
            live.marks.dedup();
        }
    }

    /// Ends the open visit, if any.
    pub(super) fn close(&mut self, live: &mut Live, how: Close) {
        if !live.visit_open {
            return;
        }
        live.visit_open = false;
        let Some(stop) = live.stop else {
            return;
        };
        let acc = self.node_acc(stop);
        match how {
            Close::Answered => acc.answered += 1,
            Close::Back => acc.back += 1,
            Close::Handoff => acc.handoff += 1,
            Close::Dropped => acc.dropped += 1,
            Close::Open => acc.open += 1,
            Close::Other => acc.other += 1,
        }
    }

    pub(super) fn finish_session(&mut self, mut live: Live, end: i64) {
        let entry = live.entry as usize;
        let outcome = match live.outcome {
            Outcome::Open if live.abandoned || end - live.last >= self.idle_ms => {
                self.close(&mut live, Close::Dropped);
                let v = &mut self.versions[entry];
                v.abandoned += 1;
                if live.given == 0 {
                    v.unengaged += 1;
                }
                let at = live.stop.unwrap_or((live.entry, 0));
                *v.ends.entry((3, at, 0)).or_insert(0) += 1;
                None
            }
            Outcome::Open => {
                self.close(&mut live, Close::Open);
                self.versions[entry].in_progress += 1;
                None
            }
            Outcome::Resolved(kind) => {
                self.versions[entry].resolved[kind as usize] += 1;
                Some((0u8, kind as u8))
            }
            Outcome::Escalated => {
                self.versions[entry].escalated += 1;
                Some((1, 0))
            }
            Outcome::HandedOff => {
                self.versions[entry].handed_off += 1;
                Some((2, 0))
            }
        };
        let v = &mut self.versions[entry];
        v.started += 1;
        if let (Some((how, kind)), Some(e)) = (outcome, live.end) {
            *v.ends.entry((how, e.node, kind)).or_insert(0) += 1;
            v.steps[how as usize].add(u64::from(e.steps));
            v.seconds[how as usize].add(seconds_bucket(e.at - live.started));
        }
        live.marks.sort_unstable();
        live.marks.dedup();
        let mut last_version = None;
        for &(ver, node, edge) in &live.marks {
            let v = &mut self.versions[ver as usize];
            if last_version != Some(ver) {
                last_version = Some(ver);
                v.visitors += 1;
            }
            let acc = &mut v.node_accs[node as usize];
            if edge == u32::MAX {
                acc.sessions += 1;
            } else {
                let edge = edge as usize;
                if edge < 1024 {
                    if acc.edges.len() <= edge {
                        acc.edges.resize(edge + 1, 0);
                    }
                    acc.edges[edge] += 1;
                }
            }
        }
    }
}
