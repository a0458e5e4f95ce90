//! "Did you mean" hints: when an id names no node, the existing id one or two edits
//! away from it, if any.

use std::collections::HashMap;

use petgraph::graph::NodeIndex;

/// How many candidate ids the "did you mean" hints may compare in one tree, in all. A
/// hint compares the wanted id with every node's; the budget keeps a tree with a
/// dangling reference on every node linear, at the price of hints for its first
/// references only (twenty of them in a tree of a million nodes).
const HINT_BUDGET: usize = 20_000_000;

/// Hints within a budget of comparisons.
pub(super) struct Hints {
    /// Comparisons left.
    budget: usize,
}

impl Default for Hints {
    fn default() -> Self {
        Hints {
            budget: HINT_BUDGET,
        }
    }
}

impl Hints {
    /// " (did you mean \"x\"?)" when `wanted` is one or two edits from an id of `ids`;
    /// empty otherwise, and once the budget is spent.
    pub fn suggest(&mut self, wanted: &str, ids: &HashMap<Box<str>, NodeIndex>) -> String {
        if self.budget < ids.len() {
            return String::new();
        }
        self.budget -= ids.len();
        let wanted: Vec<char> = wanted.chars().collect();
        let mut scratch = Vec::new();
        let best = ids
            .keys()
            .filter_map(|id| Some((close(&wanted, id, &mut scratch)?, &**id)))
            .min();
        match best {
            Some((_, id)) => format!(" (did you mean \"{id}\"?)"),
            None => String::new(),
        }
    }
}

/// The Levenshtein distance between `a` and `b` when it is at most 2, for "did you mean"
/// hints; `None` when it is more. Only the cells within two of the diagonal are computed
/// (the others exceed 2), so the cost is linear in the length of the ids. `scratch` holds
/// `b`'s characters.
fn close(a: &[char], b: &str, scratch: &mut Vec<char>) -> Option<usize> {
    const MAX: usize = 2;
    const WIDTH: usize = 2 * MAX + 1;
    const FAR: usize = MAX + 1;
    // `b` has at most `b.len()` characters (bytes), and at least a quarter of that.
    if b.len() + MAX < a.len() || b.len() > 4 * (a.len() + MAX) {
        return None;
    }
    scratch.clear();
    scratch.extend(b.chars());
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
                let got = close(&chars, b, &mut scratch);
                assert_eq!(got, (want <= 2).then_some(want), "{a:?} {b:?}");
            }
        }
    }
}
