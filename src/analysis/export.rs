//! Pictures of a flow: Graphviz DOT and Mermaid, optionally coloured by coverage.
//!
//! Both formats draw one box per node and one arrow per edge, in the same orders as
//! [`Tree::node_ids`] and [`Tree::edges`], so that a [`Highlight`] built from a coverage
//! report lines up with what is drawn.
//!
//! # Untrusted text
//!
//! Node texts come from people who edit trees, not from programmers, and an exported
//! picture ends up in a terminal, a CI log, a Markdown page or a browser. So every text is
//! treated as hostile: it is cleaned once (every control character replaced by a visible
//! stand-in, line breaks and bidirectional overrides neutralised, length capped), then
//! escaped for the target format. Node ids in the output are never the tree's ids but
//! `n0`, `n1`... (the index in file order); the real id only appears inside a label.
//! The output contains no control character other than the line feed that ends each
//! statement.

use std::fmt::Write as _;

use crate::tree::{CmpOp, Cond, EdgeLabel, FactSlot, NodeKind, Offer, Stored, Tree};
use crate::value::Value;

/// Which nodes and edges scenarios exercised, for colouring an export.
///
/// Missing entries (vectors shorter than the tree) count as not covered; extra entries
/// are ignored.
#[derive(Debug, Clone, Default)]
pub struct Highlight {
    /// For each node in file order, whether it was visited.
    pub nodes: Vec<bool>,
    /// For each edge in [`Tree::edges`] order, whether it was taken.
    pub edges: Vec<bool>,
}

impl Highlight {
    fn node(&self, index: usize) -> bool {
        self.nodes.get(index).copied().unwrap_or(false)
    }

    fn edge(&self, index: usize) -> bool {
        self.edges.get(index).copied().unwrap_or(false)
    }
}

/// The tree as a Graphviz DOT digraph, texts in `locale`.
///
/// An unknown `locale` falls back to the tree's default locale. Nodes are named `n0`,
/// `n1`... in file order and labelled with their id and the start of their text (at most
/// 40 characters, then `…`); their shape tells the kind: `Ask` diamond, `Act` box,
/// `Decide` hexagon, `Resolve` ellipse, `Escalate` octagon, `Goto` a `cds` arrow naming
/// the target tree. The start node has a double border. Edges carry the answer's text,
/// `rule N: condition`, `otherwise`, `input`, or `limit ×N` (dashed).
///
/// Without a highlight, kinds are also coloured (resolutions green, escalations orange,
/// jumps blue). With one, colour means coverage instead: covered nodes are filled green
/// and covered edges drawn bold green; the rest are drawn red and dashed. A comment at the
/// top gives the legend and the counts.
///
/// ```
/// let tree = troubletree::Tree::from_str(r#"Tree(id: "t", locales: ["en"], start: "a", nodes: [
///     Act(id: "a", text: "Restart the app.", next: "b", solved: "c"),
///     Resolve(id: "b", text: "Try later."),
///     Resolve(id: "c", text: "Fixed."),
/// ])"#)?;
/// let dot = troubletree::analysis::export::dot(&tree, "en", None);
/// assert!(dot.starts_with("digraph \"t\" {"));
/// assert!(dot.contains(r#"n0 [shape=box, peripheries=2, label="a\nRestart the app."]"#));
/// assert!(dot.contains(r#"n0 -> n2 [label="That fixed it"]"#));
/// # Ok::<(), troubletree::LoadError>(())
/// ```
pub fn dot(tree: &Tree, locale: &str, highlight: Option<&Highlight>) -> String {
    let picture = Picture::new(tree, locale);
    // Writing into a `String` cannot fail, so the `fmt::Result`s below are ignored.
    let mut out = dot_head(tree, locale, highlight.map(|h| legend(&picture, h)));

    for (i, node) in picture.nodes.iter().enumerate() {
        let shape = node.kind.dot_shape();
        let mut attrs = format!("shape={shape}");
        match highlight {
            Some(h) if h.node(i) => attrs.push_str(
                ", style=\"filled,bold\", fillcolor=\"#c8e6c9\", color=\"#2e7d32\", penwidth=2",
            ),
            Some(_) => attrs.push_str(
                ", style=\"filled,dashed\", fillcolor=\"#ffebee\", color=\"#c62828\", penwidth=2",
            ),
            None => {
                let fill = match node.kind {
                    Kind::Resolve => Some("#c8e6c9"),
                    Kind::Escalate => Some("#ffccbc"),
                    Kind::Goto => Some("#e1f5fe"),
                    Kind::Ask | Kind::Act | Kind::Decide => None,
                };
                if let Some(fill) = fill {
                    let _ = write!(attrs, ", style=filled, fillcolor=\"{fill}\"");
                }
            }
        }
        if node.start {
            attrs.push_str(", peripheries=2");
        }
        let label = node.dot_label();
        let _ = writeln!(out, "    n{i} [{attrs}, label=\"{label}\"]");
    }

    for (i, edge) in picture.edges.iter().enumerate() {
        let mut attrs = format!("label=\"{}\"", dot_escape(&edge.label));
        match highlight {
            Some(h) if h.edge(i) => {
                attrs.push_str(", color=\"#2e7d32\", fontcolor=\"#2e7d32\", penwidth=2.5");
                if edge.limit {
                    attrs.push_str(", style=\"dashed,bold\"");
                } else {
                    attrs.push_str(", style=bold");
                }
            }
            Some(_) => attrs.push_str(", color=\"#c62828\", fontcolor=\"#c62828\", style=dashed"),
            None if edge.limit => attrs.push_str(", style=dashed"),
            None => {}
        }
        let _ = writeln!(out, "    n{} -> n{} [{attrs}]", edge.from, edge.to);
    }
    out.push_str("}\n");
    out
}

/// The tree as a Mermaid flowchart that GitHub renders as is, texts in `locale`.
///
/// An unknown `locale` falls back to the tree's default locale. Node ids are `n0`,
/// `n1`... in file order (never the tree's own ids, which need not be valid Mermaid);
/// each label holds the node's id, a line break and the start of its text (at most 40
/// characters, then `…`), in double quotes, with every character that Mermaid or
/// Markdown could read as syntax written as an entity code (`#quot;`, `#35;`, `#lt;`...).
/// Shapes tell the kind: `Ask` `{rhombus}`, `Act` `[box]`, `Decide` `{{hexagon}}`,
/// `Resolve` `([stadium])`, `Escalate` `[[subroutine]]`, `Goto` `>flag]`. Limit edges are
/// dotted (`-.->`).
///
/// Without a highlight, the classes `resolve`, `escalate` and `goto` colour those kinds.
/// With one, nodes get the class `covered` (green) or `uncovered` (red, dashed), and
/// edges a `linkStyle` by index, which is the index in [`Tree::edges`] because edges are
/// written in that order and nothing else makes a link.
///
/// ```
/// use troubletree::analysis::export::{mermaid, Highlight};
///
/// let tree = troubletree::Tree::from_str(r#"Tree(id: "t", locales: ["en"], start: "a", nodes: [
///     Act(id: "a", text: "Restart the app.", next: "b", solved: "c"),
///     Resolve(id: "b", text: "Try \"later\"."),
///     Resolve(id: "c", text: "Fixed."),
/// ])"#)?;
/// let chart = mermaid(&tree, "en", None);
/// assert!(chart.starts_with("flowchart TD\n"));
/// assert!(chart.contains(r#"n1(["b<br/>Try #quot;later#quot;."])"#));
/// assert!(chart.contains(r#"n0 -->|"That fixed it"| n2"#));
///
/// // Colour what a scenario took: node a, node c and the edge a --solved--> c.
/// let seen = Highlight { nodes: vec![true, false, true], edges: vec![true, false] };
/// let chart = mermaid(&tree, "en", Some(&seen));
/// assert!(chart.contains("class n0,n2 covered"));
/// assert!(chart.contains("linkStyle 1 stroke:#c62828"));
/// # Ok::<(), troubletree::LoadError>(())
/// ```
pub fn mermaid(tree: &Tree, locale: &str, highlight: Option<&Highlight>) -> String {
    let picture = Picture::new(tree, locale);
    // Writing into a `String` cannot fail, so the `fmt::Result`s below are ignored.
    let mut out = mermaid_head(tree, &picture, highlight.map(|h| legend(&picture, h)));

    for (i, node) in picture.nodes.iter().enumerate() {
        let (open, close) = node.kind.mermaid_brackets();
        let label = node.mermaid_label();
        let _ = writeln!(out, "    n{i}{open}\"{label}\"{close}");
    }

    for edge in &picture.edges {
        let arrow = if edge.limit { "-.->" } else { "-->" };
        let _ = writeln!(
            out,
            "    n{} {arrow}|\"{}\"| n{}",
            edge.from,
            mermaid_escape(&edge.label),
            edge.to
        );
    }

    match highlight {
        Some(h) => {
            out.push_str("    classDef covered fill:#c8e6c9,stroke:#2e7d32,stroke-width:2px\n");
            out.push_str(
                "    classDef uncovered fill:#ffebee,stroke:#c62828,stroke-width:2px,stroke-dasharray:5 5\n",
            );
            let n = picture.nodes.len();
            class_line(&mut out, "covered", (0..n).filter(|&i| h.node(i)));
            class_line(&mut out, "uncovered", (0..n).filter(|&i| !h.node(i)));
            let m = picture.edges.len();
            link_style(
                &mut out,
                (0..m).filter(|&i| h.edge(i)),
                "stroke:#2e7d32,stroke-width:3px",
            );
            link_style(
                &mut out,
                (0..m).filter(|&i| !h.edge(i)),
                "stroke:#c62828,stroke-width:2px,stroke-dasharray:5 5",
            );
        }
        None => {
            out.push_str("    classDef resolve fill:#c8e6c9,stroke:#2e7d32\n");
            out.push_str("    classDef escalate fill:#ffccbc,stroke:#d84315\n");
            out.push_str("    classDef goto fill:#e1f5fe,stroke:#0277bd\n");
            for (class, kind) in [
                ("resolve", Kind::Resolve),
                ("escalate", Kind::Escalate),
                ("goto", Kind::Goto),
            ] {
                let of_kind = picture.nodes.iter().enumerate();
                let of_kind = of_kind
                    .filter(|(_, node)| node.kind == kind)
                    .map(|(i, _)| i);
                class_line(&mut out, class, of_kind);
            }
        }
    }
    out
}

/// How many sessions went where in a tree version, for drawing: built from the events by
/// [`crate::analysis::stats`] ([`crate::analysis::stats::VersionReport::traffic`]).
///
/// Missing entries (vectors shorter than the tree) count as zero; extra entries are
/// ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traffic {
    /// The sessions that passed through this version: the 100 % of every share.
    pub sessions: u64,
    /// For each node in file order, the sessions that passed it.
    pub nodes: Vec<u64>,
    /// For each node in file order, the sessions abandoned there.
    pub dropped: Vec<u64>,
    /// For each edge in [`Tree::edges`] order, the sessions that took it.
    pub edges: Vec<u64>,
}

impl Traffic {
    fn node(&self, index: usize) -> u64 {
        self.nodes.get(index).copied().unwrap_or(0)
    }

    fn dropped(&self, index: usize) -> u64 {
        self.dropped.get(index).copied().unwrap_or(0)
    }

    fn edge(&self, index: usize) -> u64 {
        self.edges.get(index).copied().unwrap_or(0)
    }

    /// `count` as a share of the sessions, from 0 to 1.
    fn share(&self, count: u64) -> f64 {
        if self.sessions == 0 {
            0.0
        } else {
            (count as f64 / self.sessions as f64).min(1.0)
        }
    }

    /// `42 %`, or `<1 %` for a small non-zero share.
    fn percent(&self, count: u64) -> String {
        let share = self.share(count) * 100.0;
        if count > 0 && share < 1.0 {
            "<1 %".to_owned()
        } else {
            format!("{share:.0} %")
        }
    }

    /// The band a share falls in: 0 none, 1 under 10 %, 2 under 40 %, 3 the rest.
    fn band(&self, count: u64) -> usize {
        match self.share(count) {
            _ if count == 0 => 0,
            s if s < 0.10 => 1,
            s if s < 0.40 => 2,
            _ => 3,
        }
    }
}

/// Colours of the traffic bands (none, under 10 %, under 40 %, more), light to dark.
const TRAFFIC_FILL: [&str; 4] = ["#f5f5f5", "#e3f2fd", "#90caf9", "#42a5f5"];
const TRAFFIC_LINE: [&str; 4] = ["#bdbdbd", "#64b5f6", "#1e88e5", "#0d47a1"];

/// The traffic legend and counts, as a comment in both formats: our own text only.
fn traffic_legend(picture: &Picture<'_>, t: &Traffic) -> String {
    let dropped: u64 = (0..picture.nodes.len()).map(|i| t.dropped(i)).sum();
    format!(
        "traffic: {} session(s) passed this version, {dropped} abandoned in it; edge width and colour = share of the sessions that took it; grey dashed = none; red border = sessions abandoned there",
        t.sessions
    )
}

/// The tree as DOT, drawn with traffic: each node says how many sessions passed it
/// (and how many were abandoned there), each edge's width and colour follow the share of
/// sessions that took it, with the share in its label; edges nobody took are grey and
/// dashed. Texts as in [`dot`].
///
/// ```
/// use troubletree::analysis::export::{dot_traffic, Traffic};
/// let tree = troubletree::Tree::from_str(r#"Tree(id: "t", locales: ["en"], start: "a", nodes: [
///     Act(id: "a", text: "Restart the app.", next: "b", solved: "c"),
///     Resolve(id: "b", text: "Try later."),
///     Resolve(id: "c", text: "Fixed."),
/// ])"#)?;
/// let traffic = Traffic { sessions: 10, nodes: vec![10, 3, 7], dropped: vec![0, 0, 0], edges: vec![7, 3] };
/// let dot = dot_traffic(&tree, "en", &traffic);
/// assert!(dot.contains(r#"n0 -> n2 [label="That fixed it\n70 % (7)", penwidth=5.9"#));
/// # Ok::<(), troubletree::LoadError>(())
/// ```
pub fn dot_traffic(tree: &Tree, locale: &str, traffic: &Traffic) -> String {
    let picture = Picture::new(tree, locale);
    let mut out = dot_head(tree, locale, Some(traffic_legend(&picture, traffic)));
    for (i, node) in picture.nodes.iter().enumerate() {
        let shape = node.kind.dot_shape();
        let passed = traffic.node(i);
        let dropped = traffic.dropped(i);
        let mut attrs = format!(
            "shape={shape}, style=filled, fillcolor=\"{}\"",
            TRAFFIC_FILL[traffic.band(passed)]
        );
        if dropped > 0 {
            attrs.push_str(", color=\"#c62828\", penwidth=2.5");
        }
        if node.start {
            attrs.push_str(", peripheries=2");
        }
        let mut label = node.dot_label();
        let _ = write!(label, "\\n{} ({passed})", traffic.percent(passed));
        if dropped > 0 {
            let _ = write!(label, " · {dropped} abandoned here");
        }
        let _ = writeln!(out, "    n{i} [{attrs}, label=\"{label}\"]");
    }
    for (i, edge) in picture.edges.iter().enumerate() {
        let taken = traffic.edge(i);
        let band = traffic.band(taken);
        let mut attrs = format!(
            "label=\"{}\\n{} ({taken})\", penwidth={:.1}, color=\"{}\"",
            dot_escape(&edge.label),
            traffic.percent(taken),
            1.0 + 7.0 * traffic.share(taken),
            TRAFFIC_LINE[band]
        );
        if taken == 0 || edge.limit {
            attrs.push_str(", style=dashed");
        }
        let _ = writeln!(out, "    n{} -> n{} [{attrs}]", edge.from, edge.to);
    }
    out.push_str("}\n");
    out
}

/// The tree as Mermaid, drawn with traffic: node labels end with the share of sessions
/// that passed them (and how many were abandoned there), nodes are classed `t0` to `t3`
/// by share and `dropped` where sessions were abandoned, and each edge gets a
/// `linkStyle` whose width and colour follow its share; edge labels carry the share.
/// Texts as in [`mermaid`].
///
/// ```
/// use troubletree::analysis::export::{mermaid_traffic, Traffic};
/// let tree = troubletree::Tree::from_str(r#"Tree(id: "t", locales: ["en"], start: "a", nodes: [
///     Act(id: "a", text: "Restart the app.", next: "b", solved: "c"),
///     Resolve(id: "b", text: "Try later."),
///     Resolve(id: "c", text: "Fixed."),
/// ])"#)?;
/// let traffic = Traffic { sessions: 10, nodes: vec![10, 3, 7], dropped: vec![2, 0, 0], edges: vec![7, 1] };
/// let chart = mermaid_traffic(&tree, "en", &traffic);
/// assert!(chart.contains(r#"n0 -->|"That fixed it<br/>70 #37; (7)"| n2"#));
/// assert!(chart.contains("class n0 dropped"));
/// assert!(chart.contains("linkStyle 0 stroke:#0d47a1,stroke-width:5.9px"));
/// # Ok::<(), troubletree::LoadError>(())
/// ```
pub fn mermaid_traffic(tree: &Tree, locale: &str, traffic: &Traffic) -> String {
    let picture = Picture::new(tree, locale);
    let mut out = mermaid_head(tree, &picture, Some(traffic_legend(&picture, traffic)));
    for (i, node) in picture.nodes.iter().enumerate() {
        let (open, close) = node.kind.mermaid_brackets();
        let mut label = node.mermaid_label();
        let passed = traffic.node(i);
        let _ = write!(
            label,
            "<br/>{} ({passed})",
            mermaid_escape(&traffic.percent(passed))
        );
        let dropped = traffic.dropped(i);
        if dropped > 0 {
            let _ = write!(label, " · {dropped} abandoned here");
        }
        let _ = writeln!(out, "    n{i}{open}\"{label}\"{close}");
    }
    for (i, edge) in picture.edges.iter().enumerate() {
        let arrow = if edge.limit { "-.->" } else { "-->" };
        let taken = traffic.edge(i);
        let _ = writeln!(
            out,
            "    n{} {arrow}|\"{}<br/>{} ({taken})\"| n{}",
            edge.from,
            mermaid_escape(&edge.label),
            mermaid_escape(&traffic.percent(taken)),
            edge.to
        );
    }
    for (band, fill) in TRAFFIC_FILL.iter().enumerate() {
        let _ = writeln!(
            out,
            "    classDef t{band} fill:{fill},stroke:{}",
            TRAFFIC_LINE[band]
        );
    }
    out.push_str("    classDef dropped stroke:#c62828,stroke-width:3px\n");
    let n = picture.nodes.len();
    for band in 0..4 {
        class_line(
            &mut out,
            &format!("t{band}"),
            (0..n).filter(|&i| traffic.band(traffic.node(i)) == band),
        );
    }
    class_line(
        &mut out,
        "dropped",
        (0..n).filter(|&i| traffic.dropped(i) > 0),
    );
    for i in 0..picture.edges.len() {
        let taken = traffic.edge(i);
        let mut style = format!(
            "stroke:{},stroke-width:{:.1}px",
            TRAFFIC_LINE[traffic.band(taken)],
            1.0 + 7.0 * traffic.share(taken)
        );
        if taken == 0 {
            style.push_str(",stroke-dasharray:5 5");
        }
        let _ = writeln!(out, "    linkStyle {i} {style}");
    }
    out
}

/// Longest node text shown in a label, in characters (the ellipsis included).
const TEXT_MAX: usize = 40;
/// Longest edge label, in characters.
const EDGE_MAX: usize = 40;
/// Longest id shown (ids are normally short; a pathological one must not flood the
/// picture).
const ID_MAX: usize = 64;
/// Longest title.
const TITLE_MAX: usize = 80;

/// The node kinds, as far as drawing is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ask,
    Act,
    Decide,
    Resolve,
    Escalate,
    Goto,
}

impl Kind {
    /// The Graphviz shape of a node of this kind.
    fn dot_shape(self) -> &'static str {
        match self {
            Kind::Ask => "diamond",
            Kind::Act => "box",
            Kind::Decide => "hexagon",
            Kind::Resolve => "ellipse",
            Kind::Escalate => "octagon",
            Kind::Goto => "cds",
        }
    }

    /// The Mermaid brackets around a node of this kind.
    fn mermaid_brackets(self) -> (&'static str, &'static str) {
        match self {
            Kind::Ask => ("{", "}"),
            Kind::Act => ("[", "]"),
            Kind::Decide => ("{{", "}}"),
            Kind::Resolve => ("([", "])"),
            Kind::Escalate => ("[[", "]]"),
            Kind::Goto => (">", "]"),
        }
    }
}

/// The first lines of a DOT picture: the graph, a legend comment, the title, the fonts.
fn dot_head(tree: &Tree, locale: &str, legend: Option<String>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "digraph \"{}\" {{",
        dot_escape(&clean(tree.id(), ID_MAX))
    );
    if let Some(legend) = legend {
        let _ = writeln!(out, "    // {legend}");
    }
    if let Some(title) = tree.title(locale) {
        let _ = writeln!(
            out,
            "    graph [label=\"{}\", labelloc=t, fontname=\"sans-serif\"]",
            dot_escape(&clean(title, TITLE_MAX))
        );
    }
    out.push_str("    node [fontname=\"sans-serif\", fontsize=11]\n");
    out.push_str("    edge [fontname=\"sans-serif\", fontsize=9]\n");
    out
}

/// The first lines of a Mermaid picture: the chart, the tree and locale, a legend.
fn mermaid_head(tree: &Tree, picture: &Picture<'_>, legend: Option<String>) -> String {
    let mut out = String::from("flowchart TD\n");
    let _ = writeln!(
        out,
        "    %% tree {}, locale {}",
        mermaid_escape(&clean(tree.id(), ID_MAX)),
        mermaid_escape(&clean(picture.locale, ID_MAX))
    );
    if let Some(legend) = legend {
        let _ = writeln!(out, "    %% {legend}");
    }
    out
}

/// A node ready to draw: cleaned id and text, not yet escaped for a format.
struct NodeView {
    id: String,
    kind: Kind,
    text: String,
    start: bool,
}

impl NodeView {
    /// Its id and text, escaped for a DOT label.
    fn dot_label(&self) -> String {
        let mut label = dot_escape(&self.id);
        if !self.text.is_empty() {
            label.push_str("\\n");
            label.push_str(&dot_escape(&self.text));
        }
        label
    }

    /// Its id and text, escaped for a Mermaid label.
    fn mermaid_label(&self) -> String {
        let mut label = mermaid_escape(&self.id);
        if !self.text.is_empty() {
            label.push_str("<br/>");
            label.push_str(&mermaid_escape(&self.text));
        }
        label
    }
}

/// An edge ready to draw, between node indices in file order.
struct EdgeView {
    from: usize,
    to: usize,
    label: String,
    limit: bool,
}

/// What both formats draw, in file order and [`Tree::edges`] order.
struct Picture<'t> {
    locale: &'t str,
    nodes: Vec<NodeView>,
    edges: Vec<EdgeView>,
}

impl<'t> Picture<'t> {
    fn new(tree: &'t Tree, locale: &str) -> Picture<'t> {
        let (li, locale) = match tree.locale_index(locale) {
            Some(i) => (i, tree.locales().nth(i).unwrap_or_default()),
            None => (0, tree.locales().next().unwrap_or_default()),
        };
        let graph = &tree.0.graph;
        let mut nodes = Vec::with_capacity(graph.node_count());
        let mut edges = Vec::with_capacity(graph.edge_count());
        for v in graph.node_indices() {
            let node = &graph[v];
            let (kind, text) = match &node.kind {
                NodeKind::Ask { text, .. } => (Kind::Ask, clean(text.get(li), TEXT_MAX)),
                NodeKind::Act { text, .. } => (Kind::Act, clean(text.get(li), TEXT_MAX)),
                NodeKind::Decide { .. } => (Kind::Decide, String::new()),
                NodeKind::Resolve { text, .. } => (Kind::Resolve, clean(text.get(li), TEXT_MAX)),
                NodeKind::Escalate { reason, .. } => {
                    (Kind::Escalate, clean(reason.get(li), TEXT_MAX))
                }
                NodeKind::Goto { tree, node } => {
                    let target = match node {
                        Some(node) => format!("→ {tree} · {node}"),
                        None => format!("→ {tree}"),
                    };
                    (Kind::Goto, clean(&target, TEXT_MAX))
                }
            };
            nodes.push(NodeView {
                id: clean(tree.0.node_id(v), ID_MAX),
                kind,
                text,
                start: v == tree.0.start,
            });
            tree.for_each_edge(v, |label, to| {
                let text = match label {
                    EdgeLabel::Answer(value) => answer_text(&node.kind, value, li),
                    EdgeLabel::Rule(i) => rule_text(tree, &node.kind, i),
                    EdgeLabel::Limit => match node.limit {
                        Some(limit) => format!("limit ×{}", limit.times),
                        None => "limit".to_owned(),
                    },
                    other => other.to_string(),
                };
                edges.push(EdgeView {
                    from: v.index(),
                    to: to.index(),
                    label: clean(&text, EDGE_MAX),
                    limit: matches!(label, EdgeLabel::Limit),
                });
            });
        }
        Picture {
            locale,
            nodes,
            edges,
        }
    }
}

/// The text of the answer whose value is `value` (the very value the edge points to),
/// or the value itself if the node has no such answer.
fn answer_text(kind: &NodeKind, value: &Value, locale: usize) -> String {
    let offers: &[Offer] = match kind {
        NodeKind::Ask { offers, .. } | NodeKind::Act { offers, .. } => offers,
        _ => &[],
    };
    offers
        .iter()
        .find(|o| std::ptr::eq(&*o.value, value))
        .map(|o| o.text.get(locale))
        .filter(|t| !t.trim().is_empty())
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// `rule N: condition`, the condition shortened (it is cut to [`EDGE_MAX`] anyway).
fn rule_text(tree: &Tree, kind: &NodeKind, index: usize) -> String {
    let mut text = format!("rule {}", index + 1);
    if let NodeKind::Decide { rules, .. } = kind {
        if let Some((cond, _)) = rules.get(index) {
            text.push_str(": ");
            cond_text(tree, cond, &mut text);
        }
    }
    text
}

/// Writes a condition in a compact notation, stopping early once the text is long
/// enough to be cut (so a huge condition costs little).
fn cond_text(tree: &Tree, cond: &Cond, out: &mut String) {
    if out.chars().count() > EDGE_MAX {
        return;
    }
    let fact = |slot: FactSlot| {
        tree.0
            .facts
            .get(usize::from(slot))
            .map_or("?", |f| &*f.name)
    };
    let value = |slot: FactSlot, stored: &Stored| {
        tree.0
            .facts
            .get(usize::from(slot))
            .map_or_else(String::new, |f| f.ty.value(stored).to_string())
    };
    let list = |out: &mut String, conds: &[Cond], sep: &str| {
        for (i, c) in conds.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            out.push('(');
            cond_text(tree, c, out);
            out.push(')');
            if out.chars().count() > EDGE_MAX {
                break;
            }
        }
    };
    match cond {
        Cond::Eq(slot, v) => {
            let _ = write!(out, "{} = {}", fact(*slot), value(*slot, v));
        }
        Cond::Ne(slot, v) => {
            let _ = write!(out, "{} ≠ {}", fact(*slot), value(*slot, v));
        }
        Cond::Cmp(slot, op, n) => {
            let op = match op {
                CmpOp::Lt => "<",
                CmpOp::Le => "≤",
                CmpOp::Gt => ">",
                CmpOp::Ge => "≥",
            };
            let _ = write!(out, "{} {op} {}", fact(*slot), Value::Number(*n));
        }
        Cond::In(slot, set) => {
            let _ = write!(out, "{} in [", fact(*slot));
            for (i, v) in set.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&value(*slot, v));
                if out.chars().count() > EDGE_MAX {
                    break;
                }
            }
            out.push(']');
        }
        Cond::Known(slot) => {
            let _ = write!(out, "{} known", fact(*slot));
        }
        Cond::All(all) => list(out, all, " and "),
        Cond::Any(any) => list(out, any, " or "),
        Cond::Not(c) => {
            out.push_str("not (");
            cond_text(tree, c, out);
            out.push(')');
        }
    }
}

/// The coverage legend and counts, written as a comment in both formats. Only our own
/// text and numbers: nothing from the tree.
fn legend(picture: &Picture<'_>, h: &Highlight) -> String {
    let nodes = (0..picture.nodes.len()).filter(|&i| h.node(i)).count();
    let edges = (0..picture.edges.len()).filter(|&i| h.edge(i)).count();
    format!(
        "coverage: nodes {nodes}/{}, edges {edges}/{}; green = covered, red dashed = not covered",
        picture.nodes.len(),
        picture.edges.len()
    )
}

/// `class n1,n4 name`, or nothing when no node has the class.
fn class_line(out: &mut String, class: &str, nodes: impl Iterator<Item = usize>) {
    let ids: Vec<String> = nodes.map(|i| format!("n{i}")).collect();
    if !ids.is_empty() {
        let _ = writeln!(out, "    class {} {class}", ids.join(","));
    }
}

/// `linkStyle 0,3 style`, or nothing when no edge has the style.
fn link_style(out: &mut String, edges: impl Iterator<Item = usize>, style: &str) {
    let ids: Vec<String> = edges.map(|i| i.to_string()).collect();
    if !ids.is_empty() {
        let _ = writeln!(out, "    linkStyle {} {style}", ids.join(","));
    }
}

/// Makes untrusted text safe to show on one line, whatever the format: line breaks and
/// tabs become spaces (runs of blanks collapse), other control characters become a
/// visible stand-in (`␛` for ESC, `␡` for DEL), and every other character that
/// [`is_unprintable`](crate::text::is_unprintable) names (C1 controls, bidirectional overrides,
/// zero-width characters) becomes `�`. Then the text is cut to `max`
/// characters, the last being `…` when something was cut.
fn clean(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max.saturating_mul(4)));
    let mut count = 0;
    // A blank is written only when something follows it: leading and trailing blanks go,
    // runs collapse to one space.
    let mut pending_blank = false;
    for c in text.chars() {
        let c = match c {
            '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => ' ',
            // C0 controls: the matching "control picture" (U+2400 block).
            '\0'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{fffd}'),
            '\u{7f}' => '\u{2421}',
            // C1 controls, bidirectional overrides, zero-width and other format characters.
            c if crate::text::is_unprintable(c) => '\u{fffd}',
            c => c,
        };
        if c.is_whitespace() {
            pending_blank = count > 0;
            continue;
        }
        for c in pending_blank.then_some(' ').into_iter().chain([c]) {
            if count == max {
                // One character too many: the last one kept becomes the ellipsis.
                out.pop();
                if out.ends_with(' ') {
                    out.pop();
                }
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
        pending_blank = false;
    }
    out
}

/// Escapes cleaned text for a DOT double-quoted string: `\` and `"` get a backslash (so
/// nothing can close the string or start a Graphviz escape such as `\N`), `&` becomes
/// `&amp;` (Graphviz reads entities in labels).
fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '&' => out.push_str("&amp;"),
            c if crate::text::is_unprintable(c) || c == '\n' => out.push('\u{fffd}'), // `clean` removed them already.
            c => out.push(c),
        }
    }
    out
}

/// Escapes cleaned text for a Mermaid double-quoted label. Mermaid has no backslash
/// escapes; it decodes `#name;` and `#NN;` entity codes after parsing. Every character
/// that could end the string (`"`), start an entity (`#`), form HTML (`<`, `>`, `&`),
/// open a Markdown string or close a Markdown code fence (`` ` ``), end an edge label
/// (`|`), close a shape (brackets, braces, parentheses), start a directive (`%`), start
/// KaTeX (`$`), trip Mermaid's `style ...:...#...;` rewriting (`:`, `;`) or be read as
/// an escape by some other tool (`\`) is written as a numeric entity (`"` as `#quot;`),
/// which renders as the character itself.
fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' | '&' | '<' | '>' | '`' | '|' | '[' | ']' | '(' | ')' | '{' | '}' | '%' | '$'
            | ':' | ';' | '\\' => {
                let _ = write!(out, "#{};", u32::from(c));
            }
            c if crate::text::is_unprintable(c) || c == '\n' => out.push('\u{fffd}'), // `clean` removed them already.
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use petgraph::graph::NodeIndex;

    #[test]
    fn clean_replaces_controls_and_cuts() {
        assert_eq!(clean("a\u{1b}[2J\n\n b\t", 40), "a␛[2J b");
        assert_eq!(
            clean("\u{9b}x\u{202e}y\u{7f}", 40),
            "\u{fffd}x\u{fffd}y\u{2421}"
        );
        assert_eq!(clean("abcdef", 4), "abc…");
        assert_eq!(clean("abcd", 4), "abcd");
        assert_eq!(clean("", 4), "");
    }

    #[test]
    fn escapes_leave_no_syntax() {
        assert_eq!(dot_escape(r#"a"b\c&"#), r#"a\"b\\c&amp;"#);
        assert_eq!(mermaid_escape("a\"b#c|d]"), "a#quot;b#35;c#124;d#93;");
    }

    #[test]
    fn node_indices_are_file_order() {
        // The exports name nodes by `NodeIndex::index()`, which must be the file order
        // that `Highlight::nodes` and `Tree::node_ids` use.
        let tree = Tree::from_str(
            r#"Tree(id: "t", start: "b", nodes: [
                Resolve(id: "a", text: "A"),
                Act(id: "b", text: "B", next: "a"),
            ])"#,
        );
        let Ok(tree) = tree else { panic!("valid tree") };
        let ids: Vec<&str> = tree.node_ids().collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(tree.0.node_id(NodeIndex::new(i)), *id);
        }
    }
}
