//! The differential property that holds the fast reader to ron: on any text, parsing
//! the way [`crate::Loader::tree`] does (the fast reader, and ron for what it declines)
//! gives exactly what ron alone gives. The unit tests below check it on the shipped
//! trees, generated trees and thousands of damaged variants of them; the fuzz target
//! `parse_diff` (through the `internals` feature) checks it on arbitrary bytes.

use super::fast::read;
use super::{Parser, TreeFile, parse, ron_options};

/// Checks the differential property on `text`: both parsers refuse it with the same
/// error, or both read the same tree file — every string equal, every number equal bit
/// for bit (0.0 and -0.0 differ). `Ok(true)` when the fast reader took the text itself,
/// `Ok(false)` when it left the text to ron; `Err` describes a difference.
pub(crate) fn differential(text: &str) -> Result<bool, String> {
    let fast = read(text);
    let took = fast.is_some();
    let by_fast = match fast {
        Some(file) => Ok(file),
        None => ron_options().from_str::<TreeFile<'_>>(text),
    };
    let by_ron = parse(text, Parser::Ron);
    match (by_fast, by_ron) {
        (Ok(fast), Ok(ron)) => {
            let (fast, ron) = (exact(&fast), exact(&ron));
            if fast == ron {
                Ok(took)
            } else {
                Err(format!(
                    "the fast reader read\n{fast}\nwhere ron read\n{ron}"
                ))
            }
        }
        (Err(fast), Err(ron)) if fast == ron => Ok(took),
        (Ok(fast), Err(ron)) => Err(format!(
            "the fast reader read a text that ron refuses ({ron}):\n{fast:?}"
        )),
        (Err(fast), Err(ron)) => Err(format!("errors differ: {fast} where ron says {ron}")),
        (Err(fast), Ok(_)) => Err(format!(
            "ron read a text that the fast path refuses ({fast})"
        )),
    }
}

/// A tree file spelt out exactly: `Debug` writes every string in full and every number
/// as the shortest decimal that reads back to the same bits (with the sign of zero), so
/// two spellings are equal exactly when the values are equal bit for bit — unlike
/// `PartialEq`, for which 0.0 == -0.0. Borrowed and owned strings spell the same.
fn exact(file: &TreeFile<'_>) -> String {
    format!("{file:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The differential property on `text`, panicking on a difference. True when the
    /// fast reader took the text.
    fn agrees(text: &str) -> bool {
        differential(text).unwrap_or_else(|difference| panic!("{difference}\n{text}"))
    }

    #[test]
    fn the_comparison_is_bit_for_bit() {
        let zero = r#"Tree(id: "t", start: "a", nodes: [Decide(id: "a", rules: [Rule(when: Eq("n", 0.0), next: "a")], otherwise: "a")])"#;
        let minus = zero.replace("0.0", "-0.0");
        let zero = read(zero).expect("the fast reader takes it");
        let minus = read(&minus).expect("the fast reader takes it");
        // `PartialEq` on numbers says 0.0 == -0.0; the differential comparison does not.
        assert_eq!(zero, minus);
        assert_ne!(exact(&zero), exact(&minus));
    }

    fn corpus() -> Vec<String> {
        let mut out = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from("trees"), "tests/data".into()];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "ron")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    out.push(text.trim_start_matches('\u{feff}').to_owned());
                }
            }
        }
        out.sort();
        out.push(troubletree_testkit::generate::tree(300, 5));
        out.push(troubletree_testkit::generate::wide_paths(3));
        out
    }

    #[test]
    fn fast_reader_reads_the_shipped_and_generated_trees() {
        let corpus = corpus();
        let fast = corpus.iter().filter(|t| agrees(t)).count();
        // The shipped trees, the valid fixtures and the generated ones all take it.
        assert!(fast * 3 >= corpus.len() * 2, "{fast} of {}", corpus.len());
        for text in corpus
            .iter()
            .filter(|t| t.starts_with("// recharge_failure.ron"))
        {
            assert!(read(text).is_some());
        }
        assert!(read(&troubletree_testkit::generate::tree(300, 5)).is_some());
    }

    #[test]
    fn fast_reader_agrees_with_ron_on_damaged_trees() {
        const PIECES: &[&str] = &[
            ",",
            ":",
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "\"",
            "\\",
            "\\\"",
            "/",
            "*",
            "//",
            "/*",
            "*/",
            "#",
            "r",
            "r#\"",
            "\"#",
            " ",
            "\n",
            "\u{85}",
            "é",
            "0",
            "07",
            "-1",
            "2.5",
            "1e3",
            "0x1F",
            "1_0",
            "true",
            "false",
            "None",
            "Some(",
            "Bool",
            "Ask",
            "_",
            "'",
            "id",
            "type",
            "Answer(",
            "Eq(",
            "Not(",
            "\\u{41}",
            "\\n",
            "min: ",
            "max: ",
            "inf",
            "NaN",
            "label: ",
            "agent: ",
            "1.5",
            "kind: Waiting",
            "Informed",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut fast = 0;
        for base in corpus() {
            let bounds: Vec<usize> = base
                .char_indices()
                .map(|(i, _)| i)
                .chain([base.len()])
                .collect();
            for _ in 0..120 {
                let a = bounds[next(bounds.len())];
                let b = bounds[next(bounds.len())].max(a);
                let b = bounds
                    .iter()
                    .copied()
                    .find(|&x| x >= b.min(a + 12))
                    .unwrap_or(a);
                let text = match next(4) {
                    0 => format!("{}{}", &base[..a], &base[b..]),
                    1 => format!("{}{}{}", &base[..a], PIECES[next(PIECES.len())], &base[a..]),
                    2 => format!("{}{}{}", &base[..b], &base[a..b], &base[b..]),
                    _ => format!("{}{}{}", &base[..a], PIECES[next(PIECES.len())], &base[b..]),
                };
                fast += usize::from(agrees(&text));
            }
        }
        assert!(fast > 100, "the fast reader took only {fast} damaged trees");
    }

    #[test]
    fn fast_reader_reads_what_ron_reads_in_every_form() {
        let forms = [
            r#"Tree(id: "t", start: "a", nodes: [Resolve(id: "a", text: "x")])"#,
            "Tree(id:\"t\",start:\"a\",nodes:[Resolve(id:\"a\",text:\"x\",),],)",
            "/* a /* nested */ comment */ Tree(// line\n id: \"t\", start: \"a\", nodes: [Resolve(id: \"a\", text: \"x\")]) // end",
            r##"Tree(id: "t\"q\u{41}", start: r"a", nodes: [Resolve(id: r#"a"#, text: {"zh": "好", "en": "ok"})])"##,
            r#"Tree(format: 1, version: 7, id: "t", start: "a", facts: [Fact(name: "n", type: Number, ask: "?"), Fact(name: "c", type: Choice(["x", "y",],), labels: {"y": "Y", "x": {"en": "X"}})], nodes: [Decide(id: "a", rules: [Rule(when: All([Gt("n", 2.5), Not(In("c", ["x"],),), Known("n"), Any([]), Eq("n", -1), Le("n", 1e3), Ne("n", 0x10)]), next: "b")], otherwise: "b", limit: Limit(times: 2, then: "b")), Escalate(id: "b", reason: "r", priority: Urgent, channel: Chat, prepare: ["p", {"zh": "q"}])])"#,
            r#"Tree(id: "t", start: "a", nodes: [Ask(id: "a", text: "?", fact: "f", answers: [Answer(value: true, text: "y", next: "b"), Answer(value: "s", text: "n", next: "b"), Answer(value: 12, text: "n", next: "b")]), Goto(id: "b", tree: "u", node: "c")])"#,
            r#"Tree(id: "t", start: "a", nodes: [Resolve(id: "a", text: "x", kind: Waiting), Resolve(kind: Informed, id: "b", text: "y"), Resolve(id: "c", text: "z", kind: Fixed,)])"#,
            r#"Tree(id: "t", start: "a", nodes: [Ask(id: "a", text: "?", fact: "f", answers: [Answer(value: -0.0, text: "y", next: "b"), Answer(value: -0, text: "n", next: "b"), Answer(value: 0.0, text: "n", next: "b"), Answer(value: 1e-320, text: "n", next: "b"), Answer(value: 9007199254740993, text: "n", next: "b")])])"#,
            // Ranges, labels and agent notes.
            r#"Tree(id: "t", start: "a", facts: [Fact(name: "h", type: Number, min: 0, max: 8760, label: {"zh": "小时", "en": "hours"}), Fact(name: "a", type: Number, max: -0.5, min: -1e3, label: "amount"), Fact(name: "b", type: Number, min: 9007199254740993, max: 1e20)], nodes: [Escalate(id: "a", reason: "r", agent: {"zh": "说明", "en": "note"}), Escalate(id: "b", reason: "r", agent: "note", prepare: [])])"#,
        ];
        for form in forms {
            assert!(agrees(form), "not read fast: {form}");
        }
    }
}
