//! "Did you mean" hints: when an id names no node, the existing id one or two edits
//! away from it, if any.
//!
//! A hint compares the wanted id with every node's, and a comparison costs time in the
//! length of the ids: a tree with many dangling references and long ids that share a
//! prefix would make hints quadratic. So hints share one budget of work, counted in the
//! characters compared, and each distinct wanted id is looked up once: the whole cost
//! of hints in one tree is bounded by a constant, whatever the tree.

use std::collections::HashMap;

use crate::tree::IdIndex;

/// How much work the "did you mean" hints may do in one tree, in all, counted in
/// characters compared (and one per candidate looked at): a few tens of milliseconds.
/// Hints for the first dangling references of a tree come first; a tree with more than
/// that to compare gets no hint for the rest.
const HINT_WORK: usize = 10_000_000;

/// Hints within a budget of work, each distinct wanted id looked up once.
pub(super) struct Hints {
    /// Work left.
    budget: usize,
    /// The hint found (or not) for each id looked up so far.
    known: HashMap<Box<str>, Option<Box<str>>>,
}

impl Default for Hints {
    fn default() -> Self {
        Hints {
            budget: HINT_WORK,
            known: HashMap::new(),
        }
    }
}

impl Hints {
    /// " (did you mean \"x\"?)" when `wanted` is one or two edits from an id of `ids`;
    /// empty otherwise, and once the budget is spent.
    pub fn suggest(&mut self, wanted: &str, ids: &IdIndex) -> String {
        let best = match self.known.get(wanted) {
            Some(best) => best.clone(),
            None => {
                let best = self.search(wanted, ids);
                // A search cut short by the budget is not remembered as "no hint".
                if self.budget > 0 {
                    self.known.insert(wanted.into(), best.clone());
                }
                best
            }
        };
        match best {
            Some(id) => format!(" (did you mean {}?)", crate::limits::Quoted(&id)),
            None => String::new(),
        }
    }

    /// The closest id within two edits, within the budget.
    fn search(&mut self, wanted: &str, ids: &IdIndex) -> Option<Box<str>> {
        if self.budget == 0 {
            return None;
        }
        let wanted: Vec<char> = wanted.chars().collect();
        self.budget = self.budget.saturating_sub(wanted.len());
        let mut scratch = Vec::new();
        let mut best: Option<(usize, &str)> = None;
        for id in ids.keys() {
            let mut work = 1;
            let found = close(&wanted, id, &mut scratch, &mut work);
            if work > self.budget {
                self.budget = 0;
                return None;
            }
            self.budget -= work;
            if let Some(distance) = found
                && best.is_none_or(|b| (distance, id) < b)
            {
                best = Some((distance, id));
            }
        }
        best.map(|(_, id)| id.into())
    }

    /// The work left, for the tests.
    #[cfg(test)]
    fn spent(&self) -> usize {
        HINT_WORK - self.budget
    }
}

/// The Levenshtein distance between `a` and `b` when it is at most 2, for "did you mean"
/// hints; `None` when it is more. Only the cells within two of the diagonal are computed
/// (the others exceed 2), so the cost is linear in the length of the ids. `scratch` holds
/// `b`'s characters. `work` grows by the characters read and the rows computed.
fn close(a: &[char], b: &str, scratch: &mut Vec<char>, work: &mut usize) -> Option<usize> {
    const MAX: usize = 2;
    const WIDTH: usize = 2 * MAX + 1;
    const FAR: usize = MAX + 1;
    // `b` has at most `b.len()` characters (bytes), and at least a quarter of that.
    if b.len() + MAX < a.len() || b.len() > 4 * (a.len() + MAX) {
        return None;
    }
    scratch.clear();
    scratch.extend(b.chars());
    *work += scratch.len();
    let b = &scratch[..];
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > MAX {
        return None;
    }
    // Row i holds the cells j = i - MAX ..= i + MAX at offsets 0..WIDTH.
    let mut prev = [FAR; WIDTH];
    for (d, cell) in prev.iter_mut().enumerate() {
        if let Some(j) = d.checked_sub(MAX)
            && j <= m
        {
            *cell = j;
        }
    }
    for i in 1..=n {
        *work += 1;
        let mut row = [FAR; WIDTH];
        for d in 0..WIDTH {
            let Some(j) = (i + d).checked_sub(MAX) else {
                continue;
            };
            if j > m {
                continue;
            }
            let cell = if j == 0 {
                i
            } else {
                let mut best = prev[d] + usize::from(a[i - 1] != b[j - 1]);
                if d + 1 < WIDTH {
                    best = best.min(prev[d + 1] + 1);
                }
                if d > 0 {
                    best = best.min(row[d - 1] + 1);
                }
                best
            };
            row[d] = cell.min(FAR);
        }
        if row.iter().all(|&c| c >= FAR) {
            return None;
        }
        prev = row;
    }
    let distance = prev[m + MAX - n];
    (distance <= MAX).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain Levenshtein distance, to check the banded one against.
    fn levenshtein(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = if ca == *cb {
                    prev
                } else {
                    1 + prev.min(cur).min(row[j])
                };
                prev = cur;
            }
        }
        row[b.len()]
    }

    #[test]
    fn close_agrees_with_levenshtein() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "acb",
            "abcd",
            "xbcd",
            "check_network",
            "check_netwrok",
            "chek_network",
            "check_networks",
            "ask_amount",
            "ask_amonut",
            "退款",
            "退款了",
            "退",
            "款退",
            "aaaa",
            "aaaaaa",
            "retry_recharge",
            "retry_charge",
        ];
        let mut scratch = Vec::new();
        for a in words {
            let chars: Vec<char> = a.chars().collect();
            for b in words {
                let want = levenshtein(a, b);
                let got = close(&chars, b, &mut scratch, &mut 0);
                assert_eq!(got, (want <= 2).then_some(want), "{a:?} {b:?}");
            }
        }
    }

    /// Long ids that share a prefix and a dangling reference on every node: the work of
    /// all the hints stays within the budget, and a name wanted again is not searched
    /// again.
    #[test]
    fn hints_stay_within_their_budget() {
        let prefix = "x".repeat(250);
        let mut ids = IdIndex::default();
        for i in 0..1_000 {
            let fresh = ids.push(&format!("{prefix}{i:06}"));
            assert_eq!(fresh, Ok(()));
        }
        let mut hints = Hints::default();
        let mut given = 0;
        for i in 0..20_000 {
            let hint = hints.suggest(&format!("{prefix}{:06}", 1_000_000 + i), &ids);
            given += usize::from(!hint.is_empty());
        }
        assert!(hints.spent() <= HINT_WORK, "{}", hints.spent());
        // The first references still get their hint: one edit from an id.
        assert!(given > 0);
        // A name already looked up costs nothing more, even once the budget is spent.
        let mut hints = Hints::default();
        let first = hints.suggest(&format!("{prefix}00000x"), &ids);
        let spent = hints.spent();
        for _ in 0..100 {
            assert_eq!(hints.suggest(&format!("{prefix}00000x"), &ids), first);
        }
        assert_eq!(hints.spent(), spent);
        assert!(first.contains("did you mean"), "{first}");
    }
}
