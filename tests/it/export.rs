//! DOT and Mermaid exports: every node and edge drawn once, in both locales; hostile
//! texts cannot break out of a label or reach a terminal; coverage colours exactly what
//! the highlight says.

use std::collections::BTreeSet;

use troubletree::Tree;
use troubletree::analysis::export::{Highlight, dot, mermaid};

fn recharge() -> Tree {
    Tree::from_path("trees/recharge_failure.ron").expect("the shipped tree is valid")
}

/// Node statements of a DOT export: `n<i> [...]`, in order.
fn dot_nodes(out: &str) -> Vec<&str> {
    out.lines()
        .map(str::trim)
        .filter(|l| take_name(l).is_some() && !l.contains(" -> "))
        .collect()
}

/// Edge statements of a DOT export, in order.
fn dot_edges(out: &str) -> Vec<&str> {
    out.lines()
        .map(str::trim)
        .filter(|l| take_name(l).is_some() && l.contains(" -> "))
        .collect()
}

/// Node statements of a Mermaid export (`n<i>` followed by a shape), in order.
fn mermaid_nodes(out: &str) -> Vec<&str> {
    out.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('n') && !l.contains(" -->|") && !l.contains(" -.->|"))
        .collect()
}

/// Edge statements of a Mermaid export, in order.
fn mermaid_edges(out: &str) -> Vec<&str> {
    out.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('n') && (l.contains(" -->|") || l.contains(" -.->|")))
        .collect()
}

/// `n<index>` for a node id of `tree`.
fn name(tree: &Tree, id: &str) -> String {
    let i = tree
        .node_ids()
        .position(|n| n == id)
        .expect("a node of the tree");
    format!("n{i}")
}

/// The index in `n<index>` at the start of `s`, and the rest.
fn take_name(s: &str) -> Option<(usize, &str)> {
    let rest = s.strip_prefix('n')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || (digits > 1 && rest.starts_with('0')) {
        return None;
    }
    Some((rest[..digits].parse().ok()?, &rest[digits..]))
}

#[test]
fn dot_draws_every_node_and_edge_once_in_both_locales() {
    let tree = recharge();
    let ids: Vec<&str> = tree.node_ids().collect();
    let edges = tree.edges();
    for (locale, node_text, edge_text) in [
        ("zh", "先确认一件事", "是，已经扣款但没到账"),
        ("en", "First, one quick check", "Yes, I was charged"),
    ] {
        let out = dot(&tree, locale, None);
        assert!(out.starts_with("digraph \"recharge_failure\" {\n"), "{out}");
        assert!(out.ends_with("}\n"));

        let nodes = dot_nodes(&out);
        assert_eq!(nodes.len(), ids.len(), "{out}");
        for (i, id) in ids.iter().enumerate() {
            assert!(nodes[i].starts_with(&format!("n{i} [")), "{}", nodes[i]);
            let labelled = nodes
                .iter()
                .filter(|l| {
                    l.contains(&format!("label=\"{id}\\n"))
                        || l.contains(&format!("label=\"{id}\""))
                })
                .count();
            assert_eq!(labelled, 1, "{id}");
        }

        let drawn = dot_edges(&out);
        assert_eq!(drawn.len(), edges.len(), "{out}");
        for (line, edge) in drawn.iter().zip(&edges) {
            let head = format!("{} -> {} [", name(&tree, edge.from), name(&tree, edge.to));
            assert!(line.starts_with(&head), "{line} is not {edge}");
        }
        assert!(out.contains(node_text), "{locale}: {out}");
        assert!(out.contains(edge_text), "{locale}: {out}");
    }
}

#[test]
fn mermaid_draws_every_node_and_edge_once_in_both_locales() {
    let tree = recharge();
    let ids: Vec<&str> = tree.node_ids().collect();
    let edges = tree.edges();
    for (locale, node_text, edge_text) in [
        ("zh", "先确认一件事", "是，已经扣款但没到账"),
        ("en", "First, one quick check", "Yes, I was charged"),
    ] {
        let out = mermaid(&tree, locale, None);
        assert!(out.starts_with("flowchart TD\n"), "{out}");

        let nodes = mermaid_nodes(&out);
        assert_eq!(nodes.len(), ids.len(), "{out}");
        for (i, id) in ids.iter().enumerate() {
            let (index, rest) = take_name(nodes[i]).expect("n<index>");
            assert_eq!(index, i);
            // The id is the first thing in the label, ended by a line break or the quote.
            let label = rest.split('"').nth(1).expect("a quoted label");
            assert!(
                label == *id || label.starts_with(&format!("{id}<br/>")),
                "{label}"
            );
            let with_id = nodes
                .iter()
                .filter(|l| l.contains(&format!("\"{id}<br/>")) || l.contains(&format!("\"{id}\"")))
                .count();
            assert_eq!(with_id, 1, "{id}");
        }

        let drawn = mermaid_edges(&out);
        assert_eq!(drawn.len(), edges.len(), "{out}");
        for (line, edge) in drawn.iter().zip(&edges) {
            let (from, to) = (name(&tree, edge.from), name(&tree, edge.to));
            assert!(
                line.starts_with(&format!("{from} -")),
                "{line} is not {edge}"
            );
            assert!(line.ends_with(&format!("| {to}")), "{line} is not {edge}");
        }
        assert!(out.contains(node_text), "{locale}: {out}");
        assert!(out.contains(edge_text), "{locale}: {out}");
    }
}

/// The pictures of every shipped tree (and of a tree with `Goto` nodes), whole: shapes,
/// labels, cuts, colours. `cargo insta review` shows a change as a diff.
#[test]
fn shipped_trees_snapshots() {
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir("trees")
        .expect("trees/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != "directory.ron"))
        .collect();
    paths.sort();
    paths.push("tests/data/session/goto_a.ron".into());
    assert!(paths.len() >= 11, "{paths:?}");
    for path in paths {
        let tree = Tree::from_path(&path).expect("a shipped tree loads");
        let stem = path
            .file_stem()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        insta::assert_snapshot!(format!("{stem}.dot"), dot(&tree, "en", None));
        insta::assert_snapshot!(format!("{stem}.mermaid"), mermaid(&tree, "en", None));
    }
    let tree = recharge();
    insta::assert_snapshot!("recharge_failure.zh.dot", dot(&tree, "zh", None));
    insta::assert_snapshot!("recharge_failure.zh.mermaid", mermaid(&tree, "zh", None));
}

/// The hostile fixtures, drawn: every stand-in and escape visible in one review.
#[test]
fn hostile_snapshots() {
    let escape = Tree::from_path("tests/data/hostile/escape.ron").expect("a valid tree");
    let evil = hostile();
    for (name, tree) in [("escape", &escape), ("evil", &evil)] {
        let dot = dot(tree, "en", None);
        let mermaid = mermaid(tree, "en", None);
        assert_clean(&dot);
        assert_clean(&mermaid);
        insta::assert_snapshot!(format!("hostile_{name}.dot"), dot);
        insta::assert_snapshot!(format!("hostile_{name}.mermaid"), mermaid);
    }
}

#[test]
fn unknown_locale_falls_back_to_the_default() {
    let tree = recharge();
    assert_eq!(dot(&tree, "fr", None), dot(&tree, "zh", None));
    assert_eq!(mermaid(&tree, "fr", None), mermaid(&tree, "zh", None));
    assert_ne!(dot(&tree, "en", None), dot(&tree, "zh", None));
}

#[test]
fn long_texts_are_cut_with_an_ellipsis() {
    let tree = recharge();
    let out = dot(&tree, "en", None);
    for line in dot_nodes(&out) {
        let label = line.split("label=\"").nth(1).expect("a label");
        let label = label.strip_suffix("\"]").expect("the label ends the line");
        let text = label.split("\\n").nth(1).unwrap_or("");
        assert!(text.chars().count() <= 40, "{line}");
    }
    assert!(
        out.contains("…"),
        "the shipped texts are longer than 40 characters"
    );
}

/// Texts written to break exports: terminal escapes, quotes, brackets, arrows, HTML,
/// pipes, line breaks and other controls, backslashes and Graphviz escapes, entity codes,
/// Mermaid directives, KaTeX, `style` lines and Markdown fences. Each is short enough to
/// survive the 40-character cut whole.
const EVIL: [&str; 7] = [
    "\u{1b}[2J\u{1b}]0;pwn\u{7}\"]; x --> y",
    "<script>alert(1)</script> | `x`",
    "back\\slash \\\" \\N \\\\ &amp; #quot; #35;",
    "%%{init: {}}%% $$x$$ (a){b}[c]",
    "a\r\n\n\tb\u{0}c\u{7f}d\u{9b}e\u{202e}f\u{2028}g",
    "style a:#f00; click n0 call x()",
    "```\n# end\n```",
];

/// A tree whose every text (tree id, title, node ids, texts, answers) is one of [`EVIL`]
/// or worse; in `en` each of them appears once.
fn hostile() -> Tree {
    // Into a RON string: control characters go in raw, `\` and `"` are escaped.
    let ron = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let e = |i: usize| ron(EVIL[i % EVIL.len()]);
    let z = |i: usize| ron(EVIL[(i + 3) % EVIL.len()]);
    let text = format!(
        r#"Tree(
            id: "t\"] --> {e0}",
            title: {{ "en": "{e6}", "zh": "{z6}" }},
            locales: ["en", "zh"],
            start: "a\"] --> b[\"",
            nodes: [
                Ask(
                    id: "a\"] --> b[\"",
                    text: {{ "en": "{e0}", "zh": "{z0}" }},
                    answers: [
                        Answer(value: "x|y\"]", text: {{ "en": "{e1}", "zh": "{z1}" }}, next: "end"),
                        Answer(value: "z\u{{1b}}", text: {{ "en": "{e2}", "zh": "{z2}" }}, next: "c\n%%{{init}}%%"),
                    ],
                ),
                Act(
                    id: "c\n%%{{init}}%%",
                    text: {{ "en": "{e3}", "zh": "{z3}" }},
                    next: "end",
                    solved: "click",
                    limit: Limit(times: 2, then: "end"),
                ),
                Resolve(id: "click", text: {{ "en": "{e4}", "zh": "{z4}" }}),
                Escalate(id: "end", reason: {{ "en": "{e5}", "zh": "{z5}" }}),
            ],
        )"#,
        e0 = e(0),
        e1 = e(1),
        e2 = e(2),
        e3 = e(3),
        e4 = e(4),
        e5 = e(5),
        e6 = e(6),
        z0 = z(0),
        z1 = z(1),
        z2 = z(2),
        z3 = z(3),
        z4 = z(4),
        z5 = z(5),
        z6 = z(6),
    );
    // The default limits refuse control characters in ids (E016); the exporter must be
    // safe all the same for a host that lifts them.
    troubletree::Loader::new()
        .limits(troubletree::Limits::unlimited())
        .tree("hostile.ron", &text)
        .into_result()
        .expect("the hostile tree is valid RON and a valid tree")
}

/// No control character anywhere but the line feeds between statements, and no
/// character that reorders text, hides in it or breaks lines in editors and browsers.
fn assert_clean(out: &str) {
    for (n, line) in out.split('\n').enumerate() {
        for c in line.chars() {
            assert!(
                !troubletree::text::is_unprintable(c),
                "line {n} holds {c:?}: {line:?}"
            );
        }
    }
}

/// Splits a DOT line into what lies outside quoted strings, checking that every string
/// is closed by an unescaped `"` on the same line and that no escape is left dangling.
fn dot_outside_strings(line: &str) -> String {
    let mut outside = String::new();
    let mut chars = line.chars();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (false, '"') => {
                in_string = true;
                outside.push('"');
            }
            (false, c) => outside.push(c),
            (true, '\\') => {
                let next = chars.next();
                assert!(
                    matches!(next, Some('\\' | '"' | 'n')),
                    "bad escape {next:?} in {line}"
                );
            }
            (true, '"') => {
                in_string = false;
                outside.push('"');
            }
            (true, _) => {}
        }
    }
    assert!(!in_string, "a string is not closed: {line}");
    outside
}

#[test]
fn hostile_texts_stay_inside_dot_labels() {
    let tree = hostile();
    let some = Highlight {
        nodes: vec![true, false],
        edges: vec![false, true],
    };
    for (locale, highlight) in [("en", None), ("zh", None), ("en", Some(&some))] {
        let out = dot(&tree, locale, highlight);
        assert_clean(&out);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines.first().map(|l| dot_outside_strings(l)),
            Some("digraph \"\" {".into())
        );
        assert_eq!(lines.last(), Some(&"}"));
        for line in &lines[1..lines.len() - 1] {
            if let Some(comment) = line.trim().strip_prefix("// coverage: ") {
                assert!(comment.is_ascii(), "only our own words: {line}");
                continue;
            }
            let outside = dot_outside_strings(line.trim());
            // What is left outside strings is only our own syntax: one statement.
            let (head, attrs) = outside
                .split_once(" [")
                .expect("a statement with attributes");
            let attrs = attrs.strip_suffix(']').expect("attributes end the line");
            assert!(!attrs.contains(']'), "{line}");
            let ok_head = matches!(head, "graph" | "node" | "edge")
                || take_name(head).is_some_and(|(_, rest)| {
                    rest.is_empty()
                        || rest
                            .strip_prefix(" -> ")
                            .and_then(take_name)
                            .is_some_and(|(_, r)| r.is_empty())
                });
            assert!(ok_head, "{line}");
            assert!(!outside.contains("//"), "{line}");
            assert!(!outside.contains("<script>"), "{line}");
        }
        assert_eq!(dot_nodes(&out).len(), tree.node_count());
        assert_eq!(dot_edges(&out).len(), tree.edges().len());
        if locale == "en" {
            // Visible stand-ins replace the controls; quotes and backslashes are escaped.
            assert!(out.contains("\\n␛[2J␛]0;pwn␇\\\"]; x --> y\"]"), "{out}");
            assert!(
                out.contains("back\\\\slash \\\\\\\" \\\\N \\\\\\\\ &amp;amp; #quot; #35;"),
                "{out}"
            );
            assert!(out.contains("a b␀c␡d�e�f g"), "{out}");
        }
    }
}

/// Checks a Mermaid label's content: no `"`, no bracket, pipe or angle bracket except our
/// own `<br/>`, every `#` starting an entity code, no line break.
fn assert_mermaid_label(label: &str, line: &str) {
    let label = label.replace("<br/>", "");
    for bad in [
        '"', '[', ']', '{', '}', '(', ')', '|', '<', '>', '`', '%', '$', '\\', ':', ';',
    ] {
        let stray = label.split('#').skip(1).all(|part| {
            // Entity codes: `#quot;` or `#<digits>;`; their `;` is fine.
            let code = part.split(';').next().unwrap_or("");
            code == "quot" || (!code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()))
        });
        assert!(stray, "`#` not starting an entity in {line}");
        let without_codes: String = label
            .split('#')
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once(';').map_or(part, |p| p.1)
                }
            })
            .collect();
        assert!(!without_codes.contains(bad), "{bad:?} in label of {line}");
    }
}

#[test]
fn hostile_texts_stay_inside_mermaid_labels() {
    let tree = hostile();
    let some = Highlight {
        nodes: vec![true, false],
        edges: vec![false, true],
    };
    for (locale, highlight) in [("en", None), ("zh", None), ("en", Some(&some))] {
        let out = mermaid(&tree, locale, highlight);
        assert_clean(&out);
        assert!(!out.contains("<script>"), "{out}");
        assert!(!out.contains("%%{"), "no directive: {out}");
        assert!(!out.contains('`'), "nothing closes a Markdown fence: {out}");
        let mut nodes = 0;
        let mut edges = 0;
        for (n, line) in out.lines().enumerate() {
            assert_eq!(line.matches('"').count() % 2, 0, "line {n}: {line}");
            let line = line.trim();
            if n == 0 {
                assert_eq!(line, "flowchart TD");
            } else if let Some(legend) = line.strip_prefix("%% coverage: ") {
                assert!(legend.is_ascii(), "only our own words: {line}");
            } else if let Some(comment) = line.strip_prefix("%% tree ") {
                let (id, shown) = comment.rsplit_once(", locale ").expect("tree ID, locale L");
                assert_mermaid_label(id, line);
                assert_eq!(shown, locale);
            } else if ["classDef ", "class ", "linkStyle "]
                .iter()
                .any(|p| line.starts_with(p))
            {
                assert!(line.is_ascii() && !line.contains('"'), "{line}");
            } else if let Some((_, rest)) = take_name(line) {
                let parts: Vec<&str> = rest.split('"').collect();
                match parts.as_slice() {
                    [open, label, close] if !open.starts_with(' ') => {
                        let shape = (*open, *close);
                        let shapes = [
                            ("{", "}"),
                            ("[", "]"),
                            ("{{", "}}"),
                            ("([", "])"),
                            ("[[", "]]"),
                            (">", "]"),
                        ];
                        assert!(shapes.contains(&shape), "{line}");
                        assert_mermaid_label(label, line);
                        nodes += 1;
                    }
                    [arrow, label, to] => {
                        assert!(*arrow == " -->|" || *arrow == " -.->|", "{line}");
                        let to = to
                            .strip_prefix("| ")
                            .and_then(take_name)
                            .expect("| n<index>");
                        assert!(to.1.is_empty(), "{line}");
                        assert_mermaid_label(label, line);
                        edges += 1;
                    }
                    _ => panic!("not one statement: {line}"),
                }
            } else {
                panic!("unexpected line: {line}");
            }
        }
        assert_eq!(nodes, tree.node_count());
        assert_eq!(edges, tree.edges().len());
        if locale == "en" {
            assert!(
                out.contains("<br/>␛#91;2J␛#93;0#59;pwn␇#quot;#93;#59; x --#62; y\"}"),
                "{out}"
            );
            assert!(
                out.contains("#60;script#62;alert#40;1#41;#60;/script#62; #124; #96;x#96;"),
                "{out}"
            );
            assert!(
                out.contains("#37;#37;#123;init#58; #123;#125;#125;#37;#37; #36;#36;x#36;#36;"),
                "{out}"
            );
            assert!(
                out.contains(
                    "back#92;slash #92;#quot; #92;N #92;#92; #38;amp#59; #35;quot#59; #35;35#59;"
                ),
                "{out}"
            );
            assert!(out.contains("a b␀c␡d�e�f g"), "{out}");
        }
    }
}

#[test]
fn mermaid_ids_are_indices_only() {
    for tree in [recharge(), hostile()] {
        let out = mermaid(&tree, "en", Some(&Highlight::default()));
        let n = tree.node_count();
        let mut defined = Vec::new();
        for line in out.lines().map(str::trim) {
            if line.starts_with("flowchart")
                || line.starts_with("%%")
                || line.starts_with("classDef")
            {
                continue;
            }
            if let Some(rest) = line.strip_prefix("class ") {
                let (list, _) = rest.split_once(' ').expect("class LIST NAME");
                for id in list.split(',') {
                    let (i, tail) = take_name(id).expect("n<index>");
                    assert!(i < n && tail.is_empty(), "{line}");
                }
                continue;
            }
            if line.starts_with("linkStyle ") {
                continue;
            }
            let (i, rest) = take_name(line).unwrap_or_else(|| panic!("not n<index>: {line}"));
            assert!(i < n, "{line}");
            if !rest.starts_with(' ') {
                defined.push(i);
            }
        }
        assert_eq!(defined, (0..n).collect::<Vec<_>>());
    }
}

/// Indices listed by `prefix LIST suffix` lines (`class n1,n2 covered`,
/// `linkStyle 0,3 stroke:#2e7d32...`).
fn listed(out: &str, prefix: &str, suffix: &str) -> BTreeSet<usize> {
    let mut set = BTreeSet::new();
    for line in out.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix(prefix) {
            let (list, tail) = rest.split_once(' ').expect("LIST then style");
            if tail.starts_with(suffix) {
                for item in list.split(',') {
                    let item = item.strip_prefix('n').unwrap_or(item);
                    assert!(set.insert(item.parse().expect("an index")), "{line}");
                }
            }
        }
    }
    set
}

#[test]
fn highlight_marks_exactly_what_was_covered() {
    let tree = recharge();
    let (n, m) = (tree.node_count(), tree.edges().len());
    let highlight = Highlight {
        nodes: (0..n).map(|i| i % 3 == 0).collect(),
        edges: (0..m).map(|i| i % 4 == 1).collect(),
    };
    let covered_nodes: BTreeSet<usize> = (0..n).filter(|i| i % 3 == 0).collect();
    let covered_edges: BTreeSet<usize> = (0..m).filter(|i| i % 4 == 1).collect();
    let all_nodes: BTreeSet<usize> = (0..n).collect();
    let all_edges: BTreeSet<usize> = (0..m).collect();

    let out = mermaid(&tree, "en", Some(&highlight));
    assert!(out.contains("classDef covered "), "{out}");
    assert!(out.contains("classDef uncovered "), "{out}");
    assert_eq!(listed(&out, "class ", "covered"), covered_nodes);
    assert_eq!(
        listed(&out, "class ", "uncovered"),
        &all_nodes - &covered_nodes
    );
    assert_eq!(listed(&out, "linkStyle ", "stroke:#2e7d32"), covered_edges);
    assert_eq!(
        listed(&out, "linkStyle ", "stroke:#c62828"),
        &all_edges - &covered_edges
    );
    let legend = format!(
        "%% coverage: nodes {}/{n}, edges {}/{m};",
        covered_nodes.len(),
        covered_edges.len()
    );
    assert!(out.contains(&legend), "{out}");
    assert!(
        !out.contains("class n") || !out.contains(" escalate\n"),
        "kind classes give way"
    );

    let out = dot(&tree, "en", Some(&highlight));
    assert!(out.contains(&legend.replace("%%", "//")), "{out}");
    for (i, line) in dot_nodes(&out).iter().enumerate() {
        let green = line.contains("fillcolor=\"#c8e6c9\"") && line.contains("color=\"#2e7d32\"");
        let red = line.contains("style=\"filled,dashed\"") && line.contains("color=\"#c62828\"");
        assert_eq!(
            (green, red),
            (covered_nodes.contains(&i), !covered_nodes.contains(&i)),
            "{line}"
        );
    }
    for (i, line) in dot_edges(&out).iter().enumerate() {
        let green = line.contains("color=\"#2e7d32\"") && line.contains("bold");
        let red = line.contains("color=\"#c62828\"") && line.contains("dashed");
        assert_eq!(
            (green, red),
            (covered_edges.contains(&i), !covered_edges.contains(&i)),
            "{line}"
        );
    }
}

#[test]
fn short_or_long_highlights_are_tolerated() {
    let tree = recharge();
    let (n, m) = (tree.node_count(), tree.edges().len());
    let short = Highlight {
        nodes: vec![true],
        edges: vec![false, true],
    };
    let out = mermaid(&tree, "zh", Some(&short));
    assert_eq!(listed(&out, "class ", "covered"), BTreeSet::from([0]));
    assert_eq!(listed(&out, "class ", "uncovered"), (1..n).collect());
    assert_eq!(
        listed(&out, "linkStyle ", "stroke:#2e7d32"),
        BTreeSet::from([1])
    );
    assert_eq!(listed(&out, "linkStyle ", "stroke:#c62828").len(), m - 1);
    let out = dot(&tree, "zh", Some(&short));
    assert_eq!(out.matches("fillcolor=\"#c8e6c9\"").count(), 1);
    assert!(
        out.contains(&format!("// coverage: nodes 1/{n}, edges 1/{m};")),
        "{out}"
    );

    let empty = mermaid(&tree, "zh", Some(&Highlight::default()));
    assert!(!empty.contains("class n0 covered") && !empty.contains("linkStyle 0 stroke:#2e7d32"));
    let long = Highlight {
        nodes: vec![true; n + 10],
        edges: vec![true; m + 10],
    };
    let out = mermaid(&tree, "zh", Some(&long));
    assert_eq!(listed(&out, "class ", "covered"), (0..n).collect());
    assert_eq!(
        listed(&out, "linkStyle ", "stroke:#2e7d32"),
        (0..m).collect()
    );
    assert!(!out.contains("uncovered\n    class"), "no empty class list");
    assert_eq!(listed(&out, "class ", "uncovered"), BTreeSet::new());
}

#[test]
fn a_tiny_example() {
    // The example of ARCHITECTURE.md's export section, whole, with and without coverage.
    let tree = Tree::from_str(
        r#"Tree(id: "tiny", start: "ask", locales: ["en", "zh"], nodes: [
            Ask(id: "ask", text: { "en": "Did the \"top-up\" fail?", "zh": "充值失败了吗?" }, answers: [
                Answer(value: true, text: { "en": "Yes", "zh": "是" }, next: "retry"),
                Answer(value: false, text: { "en": "No", "zh": "否" }, next: "ok"),
            ]),
            Act(id: "retry", text: { "en": "Try again.", "zh": "再试一次。" }, next: "help", solved: "ok",
                limit: Limit(times: 2, then: "help")),
            Resolve(id: "ok", text: { "en": "All good.", "zh": "好了。" }),
            Escalate(id: "help", reason: { "en": "Call us.", "zh": "请联系客服。" }),
        ])"#,
    )
    .expect("valid");
    insta::assert_snapshot!("tiny.mermaid", mermaid(&tree, "en", None));
    insta::assert_snapshot!("tiny.dot", dot(&tree, "en", None));
    let h = Highlight {
        nodes: vec![true, true, true],
        edges: vec![true, false, true],
    };
    insta::assert_snapshot!("tiny.covered.mermaid", mermaid(&tree, "en", Some(&h)));
    insta::assert_snapshot!("tiny.covered.dot", dot(&tree, "en", Some(&h)));
}
