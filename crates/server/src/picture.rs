//! A tree's picture as SVG, for the writers' preview: the graph the exporter draws
//! (`troubletree export --format dot`), laid out in layers here, so the page needs no
//! diagram library.
//!
//! The nodes, edges, labels and their order come from
//! [`troubletree::analysis::export::dot`]: nodes `n0, n1…` in file order, edges in
//! [`troubletree::Tree::edges`] order, each label already cleaned of control characters
//! and cut to 40 characters by the exporter. [`Picture::of`] reads that text back and
//! checks it against the tree's public graph (same node count, same edge endpoints in
//! the same order); if the exporter's text ever stops matching, the picture falls back
//! to the ids and edge labels of the public graph alone, so it is never wrong, only
//! plainer. Coverage vectors from [`troubletree::Loader::scenarios`] index the same nodes and
//! edges.
//!
//! The layout is a small Sugiyama: edges that close a loop are reversed, nodes get the
//! layer of their longest path from the start, edges that skip layers get waypoints,
//! layers are ordered by barycentres, and x positions are relaxed towards neighbours.
//!
//! Every text in the output (ids, labels, titles) is escaped for XML, and characters XML
//! cannot carry are dropped: the SVG is inserted into the preview page and must not be
//! able to add markup of its own.

use std::collections::HashMap;
use std::fmt::Write as _;

use troubletree::Tree;

/// The kind of a node, as drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A question.
    Ask,
    /// An instruction.
    Act,
    /// An automatic decision.
    Decide,
    /// A solution.
    Resolve,
    /// A hand-over.
    Escalate,
    /// A jump into another tree.
    Goto,
    /// Unknown (the exporter's text could not be read).
    Node,
}

impl Kind {
    /// The lower-case name used in class names and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ask => "ask",
            Kind::Act => "act",
            Kind::Decide => "decide",
            Kind::Resolve => "resolve",
            Kind::Escalate => "escalate",
            Kind::Goto => "goto",
            Kind::Node => "node",
        }
    }

    fn from_shape(shape: &str) -> Kind {
        match shape {
            "diamond" => Kind::Ask,
            "box" => Kind::Act,
            "hexagon" => Kind::Decide,
            "ellipse" => Kind::Resolve,
            "octagon" => Kind::Escalate,
            "cds" => Kind::Goto,
            _ => Kind::Node,
        }
    }

    fn colours(self) -> (&'static str, &'static str) {
        match self {
            Kind::Ask => ("#e3f2fd", "#1565c0"),
            Kind::Act => ("#fff8e1", "#8d6e00"),
            Kind::Decide => ("#f3e5f5", "#6a1b9a"),
            Kind::Resolve => ("#c8e6c9", "#2e7d32"),
            Kind::Escalate => ("#ffccbc", "#bf360c"),
            Kind::Goto => ("#e1f5fe", "#0277bd"),
            Kind::Node => ("#ffffff", "#455a64"),
        }
    }
}

/// A node to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The node id.
    pub id: String,
    /// Its kind.
    pub kind: Kind,
    /// The start of its text (empty for a `Decide`).
    pub text: String,
    /// Whether it is the tree's start.
    pub start: bool,
}

/// An edge to draw, between node indices in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// From this node.
    pub from: usize,
    /// To this node.
    pub to: usize,
    /// The answer text, rule, `otherwise`, `input` or `limit ×N`.
    pub label: String,
    /// A limit's way out (drawn dashed).
    pub limit: bool,
}

/// What is drawn: the exporter's graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    /// The tree's title in the locale, if any.
    pub title: Option<String>,
    /// Nodes in file order.
    pub nodes: Vec<Node>,
    /// Edges in [`Tree::edges`] order.
    pub edges: Vec<Edge>,
}

impl Picture {
    /// The exporter's graph of `tree`, texts in `locale`.
    pub fn of(tree: &Tree, locale: &str) -> Picture {
        let ids: Vec<&str> = tree.node_ids().collect();
        let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let public: Vec<(usize, usize, String)> = tree
            .edges()
            .iter()
            .filter_map(|e| Some((*index.get(e.from)?, *index.get(e.to)?, e.label.to_string())))
            .collect();
        let title = tree.title(locale).map(str::to_owned);
        let dot = troubletree::analysis::export::dot(tree, locale, None);
        if let Some((nodes, edges)) = read_dot(&dot)
            && nodes.len() == ids.len()
            && edges.len() == public.len()
            && edges
                .iter()
                .zip(&public)
                .all(|(e, p)| (e.from, e.to) == (p.0, p.1))
        {
            let nodes = nodes
                .into_iter()
                .zip(&ids)
                .map(|(n, id)| Node {
                    id: (*id).to_owned(),
                    ..n
                })
                .collect();
            return Picture {
                title,
                nodes,
                edges,
            };
        }
        tracing::warn!(
            tree = tree.id(),
            "the exporter's DOT text did not match the tree's graph; drawing ids only"
        );
        let start = tree.start();
        Picture {
            title,
            nodes: ids
                .iter()
                .map(|id| Node {
                    id: (*id).to_owned(),
                    kind: Kind::Node,
                    text: String::new(),
                    start: *id == start,
                })
                .collect(),
            edges: public
                .into_iter()
                .map(|(from, to, label)| Edge {
                    from,
                    to,
                    limit: label == "limit",
                    label,
                })
                .collect(),
        }
    }
}

/// Reads the node and edge statements of the exporter's DOT text (without highlight).
fn read_dot(dot: &str) -> Option<(Vec<Node>, Vec<Edge>)> {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for line in dot.lines() {
        let line = line.trim_start();
        let Some(rest) = line.strip_prefix('n') else {
            continue;
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            continue;
        }
        let first: usize = rest[..digits].parse().ok()?;
        let rest = &rest[digits..];
        if let Some(rest) = rest.strip_prefix(" -> n") {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let second: usize = rest[..digits].parse().ok()?;
            let attrs = rest[digits..].strip_prefix(" [")?;
            edges.push(Edge {
                from: first,
                to: second,
                label: attr_string(attrs, "label")?,
                limit: attrs.contains("style=dashed"),
            });
        } else if let Some(attrs) = rest.strip_prefix(" [") {
            if first != nodes.len() {
                return None;
            }
            let shape = attrs.strip_prefix("shape=")?.split([',', ']']).next()?;
            let label = attr_string(attrs, "label")?;
            let text = label.split_once('\n').map_or("", |(_, t)| t).to_owned();
            nodes.push(Node {
                id: String::new(),
                kind: Kind::from_shape(shape),
                text,
                start: attrs.contains("peripheries=2"),
            });
        }
    }
    Some((nodes, edges))
}

/// The value of `name="..."` in a DOT attribute list, unescaped: `\"` and `\\` give the
/// character, `\n` a line break, and `&amp;` an ampersand.
fn attr_string(attrs: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = attrs
        .match_indices(&key)
        .find(|(i, _)| *i == 0 || attrs[..*i].ends_with(' '))?
        .0
        + key.len();
    let mut out = String::new();
    let mut chars = attrs[start..].chars();
    loop {
        match chars.next()? {
            '"' => break,
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                c => out.push(c),
            },
            c => out.push(c),
        }
    }
    Some(out.replace("&amp;", "&"))
}

/// Coverage to colour the picture with: hits by node (file order) and by edge.
#[derive(Debug, Clone, Copy)]
pub struct Hits<'a> {
    /// For each node, whether a scenario visited it.
    pub nodes: &'a [bool],
    /// For each edge, whether a scenario took it.
    pub edges: &'a [bool],
}

const NODE_W: f64 = 200.0;
const NODE_H: f64 = 78.0;
const DUMMY_W: f64 = 24.0;
const GAP_X: f64 = 36.0;
const GAP_Y: f64 = 70.0;
const MARGIN: f64 = 24.0;
/// Most nodes drawn: a bigger tree gets a picture that says so (the page must stay
/// usable, and the SVG bounded, whatever the file holds).
pub const MAX_DRAWN_NODES: usize = 2_000;
/// Most waypoints in a layout; past that, long edges are drawn straight.
const MAX_WAYPOINTS: usize = 20_000;
/// Text lines in a node (its id, then this many lines of text).
const TEXT_LINES: usize = 3;
/// Columns of an edge label shown on the picture (a wide character takes two; the
/// whole label is its tooltip).
const EDGE_LABEL_MAX: f64 = 18.0;

/// One box of the layout: a node, or a waypoint of an edge that crosses a layer.
#[derive(Debug, Clone, Copy)]
struct Slot {
    layer: usize,
    x: f64,
    width: f64,
}

/// The picture as an SVG document, coloured by coverage when `hits` is given. A tree
/// of more than [`MAX_DRAWN_NODES`] nodes gets a picture that says it is too large.
pub fn svg(picture: &Picture, hits: Option<Hits<'_>>) -> String {
    if picture.nodes.len() > MAX_DRAWN_NODES {
        return format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"tt-picture\" viewBox=\"0 0 640 60\" width=\"640\" height=\"60\" font-family=\"sans-serif\" role=\"group\"><text x=\"16\" y=\"36\" font-size=\"14\" fill=\"#263238\">{} nodes: too many to draw here (at most {MAX_DRAWN_NODES}); use troubletree export.</text></svg>",
            picture.nodes.len()
        );
    }
    let layout = Layout::new(picture);
    let mut out = String::new();
    let (width, height) = layout.size();
    // Writing into a `String` cannot fail, so the `fmt::Result`s below are ignored.
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"tt-picture\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" font-family=\"sans-serif\" role=\"group\""
    );
    if let Some(title) = &picture.title {
        let _ = write!(out, " aria-label=\"{}\"", xml(title));
    }
    out.push('>');
    if let Some(title) = &picture.title {
        let _ = write!(out, "<title>{}</title>", xml(title));
    }
    out.push_str(concat!(
        "<defs>",
        "<marker id=\"tt-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#546e7a\"/></marker>",
        "<marker id=\"tt-arrow-covered\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#2e7d32\"/></marker>",
        "<marker id=\"tt-arrow-uncovered\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c62828\"/></marker>",
        "</defs>"
    ));

    // Edges first, so that nodes are drawn over them.
    out.push_str("<g class=\"tt-edges\">");
    for (i, edge) in picture.edges.iter().enumerate() {
        let covered = hits.map(|h| h.edges.get(i).copied().unwrap_or(false));
        let points = layout.route(i);
        let (stroke, marker, class) = match covered {
            Some(true) => ("#2e7d32", "tt-arrow-covered", " covered"),
            Some(false) => ("#c62828", "tt-arrow-uncovered", " uncovered"),
            None => ("#546e7a", "tt-arrow", ""),
        };
        let dashed = edge.limit || covered == Some(false);
        let _ = write!(
            out,
            "<g class=\"tt-edge{class}\" data-edge=\"{i}\"><title>{} → {}: {}</title><path d=\"{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{}\"{} marker-end=\"url(#{marker})\"/>",
            xml(&picture.nodes[edge.from].id),
            xml(&picture.nodes[edge.to].id),
            xml(&edge.label),
            path_data(&points),
            if covered == Some(true) { "2.5" } else { "1.5" },
            if dashed {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            },
        );
        if !edge.label.is_empty() && points.len() >= 2 {
            let (x, y) = label_point(&points);
            let text = shorten(&edge.label, EDGE_LABEL_MAX);
            let w = text_width(&text, 10.0) + 8.0;
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"14\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{stroke}\">{}</text>",
                x - w / 2.0,
                y - 7.0,
                y + 3.5,
                xml(&text)
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</g>");

    out.push_str("<g class=\"tt-nodes\">");
    for (i, node) in picture.nodes.iter().enumerate() {
        let covered = hits.map(|h| h.nodes.get(i).copied().unwrap_or(false));
        let (x, y) = layout.node_corner(i);
        let (fill, kind_stroke) = node.kind.colours();
        let (stroke, width, dash, class) = match covered {
            Some(true) => ("#2e7d32", 2.5, "", " covered"),
            Some(false) => ("#c62828", 2.5, " stroke-dasharray=\"6 4\"", " uncovered"),
            None => (kind_stroke, 1.5, "", ""),
        };
        let label = if node.text.is_empty() {
            format!("{} ({})", node.id, node.kind.as_str())
        } else {
            format!("{} ({}): {}", node.id, node.kind.as_str(), node.text)
        };
        let _ = write!(
            out,
            "<g class=\"tt-node kind-{}{class}{}\" data-node=\"{}\" data-index=\"{i}\" tabindex=\"0\" role=\"button\" aria-label=\"{}\"><title>{}</title>",
            node.kind.as_str(),
            if node.start { " start" } else { "" },
            xml(&node.id),
            xml(&label),
            xml(&label),
        );
        if node.start {
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"10\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>",
                x - 4.0,
                y - 4.0,
                NODE_W + 8.0,
                NODE_H + 8.0
            );
        }
        let _ = write!(
            out,
            "<rect class=\"tt-box\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{NODE_W:.1}\" height=\"{NODE_H:.1}\" rx=\"7\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{width}\"{dash}/>"
        );
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" font-weight=\"bold\" fill=\"#263238\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"end\" fill=\"{kind_stroke}\">{}</text>",
            x + 8.0,
            y + 15.0,
            xml(&shorten(&node.id, 24.0)),
            x + NODE_W - 6.0,
            y + 14.0,
            node.kind.as_str().to_uppercase(),
        );
        for (line_no, line) in wrap(&node.text, NODE_W - 16.0, 11.0, TEXT_LINES)
            .iter()
            .enumerate()
        {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#37474f\">{}</text>",
                x + 8.0,
                y + 32.0 + 15.0 * line_no as f64,
                xml(line)
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</g></svg>");
    out
}

/// Escapes text for XML content and attribute values, dropping the characters XML 1.0
/// cannot carry.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether a character is East Asian wide (a CJK ideograph, kana, hangul, full-width
/// forms): it takes a full em where Latin letters take a little over half.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115f | 0x2e80..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff
        | 0xfe30..=0xfe4f | 0xff00..=0xff60 | 0xffe0..=0xffe6 | 0x20000..=0x3fffd)
}

/// Approximate width of a character at `size` pixels.
fn char_width(c: char, size: f64) -> f64 {
    if is_wide(c) { size } else { size * 0.58 }
}

fn text_width(text: &str, size: f64) -> f64 {
    text.chars().map(|c| char_width(c, size)).sum()
}

/// At most `max` columns (a wide character takes two), then `…`.
fn shorten(text: &str, max: f64) -> String {
    let mut out = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        let w = if is_wide(c) { 2.0 } else { 1.0 };
        if used + w > max {
            out.push('…');
            return out;
        }
        used += w;
        out.push(c);
    }
    out
}

/// Breaks text into at most `lines` lines of `width` pixels, the last ending in `…` if
/// text is left over. Breaks at spaces where it can, anywhere in CJK text.
fn wrap(text: &str, width: f64, size: f64, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0.0;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let w = char_width(c, size);
        if used + w > width {
            if out.len() + 1 == lines {
                while text_width(&line, size) + size > width {
                    line.pop();
                }
                line.push('…');
                out.push(line);
                return out;
            }
            // Break at the last space of the line if the word is not too long.
            let mut carry = String::new();
            if c != ' '
                && let Some(pos) = line.rfind(' ')
                && line.len() - pos < 16
            {
                carry = line[pos + 1..].to_owned();
                line.truncate(pos);
            }
            out.push(std::mem::take(&mut line).trim_end().to_owned());
            line = carry;
            used = text_width(&line, size);
            if c == ' ' {
                i += 1;
                continue;
            }
        }
        line.push(c);
        used += w;
        i += 1;
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

fn path_data(points: &[(f64, f64)]) -> String {
    let mut d = String::new();
    for (i, (x, y)) in points.iter().enumerate() {
        let _ = write!(d, "{}{x:.1},{y:.1} ", if i == 0 { "M" } else { "L" });
    }
    d.trim_end().to_owned()
}

/// Where an edge's label goes: the middle of its first segment.
fn label_point(points: &[(f64, f64)]) -> (f64, f64) {
    let (a, b) = (points[0], points[1]);
    ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0)
}

/// Layers, order and coordinates of every node and waypoint.
struct Layout {
    slots: Vec<Slot>,
    /// For each edge: the slots it passes through, from its tail to its head as drawn
    /// (a reversed edge is stored in drawing order already).
    chains: Vec<Vec<usize>>,
    layers: usize,
    /// Port offsets: for each edge, x offset at its tail and at its head.
    ports: Vec<(f64, f64)>,
}

impl Layout {
    fn new(picture: &Picture) -> Layout {
        let n = picture.nodes.len();
        let start = picture
            .nodes
            .iter()
            .position(|node| node.start)
            .unwrap_or(0);
        let edges: Vec<(usize, usize)> = picture
            .edges
            .iter()
            .map(|e| (e.from, e.to))
            .filter(|(a, b)| *a < n && *b < n)
            .collect();
        // 1. Depth-first from the start (then from any node not reached), in edge order:
        //    an edge into a node still on the stack closes a loop and is reversed.
        let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, (a, _)) in edges.iter().enumerate() {
            out_edges[*a].push(i);
        }
        let mut state = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
        let mut reversed = vec![false; edges.len()];
        let mut discovery = Vec::with_capacity(n);
        let roots = std::iter::once(start).chain(0..n);
        for root in roots {
            if n == 0 || state[root] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            state[root] = 1;
            discovery.push(root);
            while let Some(&mut (v, ref mut next)) = stack.last_mut() {
                if let Some(&e) = out_edges[v].get(*next) {
                    *next += 1;
                    let w = edges[e].1;
                    match state[w] {
                        0 => {
                            state[w] = 1;
                            discovery.push(w);
                            stack.push((w, 0));
                        }
                        1 => reversed[e] = true,
                        _ => {}
                    }
                } else {
                    state[v] = 2;
                    stack.pop();
                }
            }
        }
        // 2. Longest-path layers over the acyclic edges (self-loops left out).
        let dag: Vec<(usize, usize)> = edges
            .iter()
            .zip(&reversed)
            .filter(|((a, b), _)| a != b)
            .map(|(&(a, b), &r)| if r { (b, a) } else { (a, b) })
            .collect();
        let mut indegree = vec![0usize; n];
        let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(a, b) in &dag {
            indegree[b] += 1;
            succ[a].push(b);
        }
        let mut layer = vec![0usize; n];
        let mut queue: std::collections::VecDeque<usize> = discovery
            .iter()
            .copied()
            .filter(|&v| indegree[v] == 0)
            .collect();
        while let Some(v) = queue.pop_front() {
            for &w in &succ[v] {
                layer[w] = layer[w].max(layer[v] + 1);
                indegree[w] -= 1;
                if indegree[w] == 0 {
                    queue.push_back(w);
                }
            }
        }
        // 3. Slots: one per node, plus a waypoint per layer an edge crosses.
        let mut slots: Vec<Slot> = (0..n)
            .map(|v| Slot {
                layer: layer[v],
                x: 0.0,
                width: NODE_W,
            })
            .collect();
        let mut chains = Vec::with_capacity(edges.len());
        for (i, &(a, b)) in edges.iter().enumerate() {
            if a == b {
                chains.push(vec![a, b]);
                continue;
            }
            let (top, bottom) = if reversed[i] { (b, a) } else { (a, b) };
            let mut chain = vec![top];
            let span = layer[bottom] - layer[top];
            if slots.len() - n + span <= MAX_WAYPOINTS {
                for l in layer[top] + 1..layer[bottom] {
                    slots.push(Slot {
                        layer: l,
                        x: 0.0,
                        width: DUMMY_W,
                    });
                    chain.push(slots.len() - 1);
                }
            }
            chain.push(bottom);
            if reversed[i] {
                chain.reverse();
            }
            chains.push(chain);
        }
        let layers = slots.iter().map(|s| s.layer + 1).max().unwrap_or(0);
        // 4. Order within layers: discovery order, then barycentre sweeps.
        let mut rank = vec![0usize; slots.len()];
        for (r, &v) in discovery.iter().enumerate() {
            rank[v] = r;
        }
        for (s, r) in rank.iter_mut().enumerate().skip(n) {
            *r = n + s;
        }
        let mut up: Vec<Vec<usize>> = vec![Vec::new(); slots.len()];
        let mut down: Vec<Vec<usize>> = vec![Vec::new(); slots.len()];
        for chain in &chains {
            for pair in chain.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                if a == b {
                    continue;
                }
                let (hi, lo) = if slots[a].layer < slots[b].layer {
                    (a, b)
                } else {
                    (b, a)
                };
                down[hi].push(lo);
                up[lo].push(hi);
            }
        }
        let mut order: Vec<Vec<usize>> = vec![Vec::new(); layers];
        let mut by_rank: Vec<usize> = (0..slots.len()).collect();
        by_rank.sort_by_key(|&s| rank[s]);
        for s in by_rank {
            order[slots[s].layer].push(s);
        }
        let mut pos = vec![0f64; slots.len()];
        let set_pos = |order: &Vec<Vec<usize>>, pos: &mut Vec<f64>| {
            for layer in order {
                for (i, &s) in layer.iter().enumerate() {
                    pos[s] = i as f64;
                }
            }
        };
        set_pos(&order, &mut pos);
        for sweep in 0..8 {
            let downward = sweep % 2 == 0;
            let range: Vec<usize> = if downward {
                (1..layers).collect()
            } else {
                (0..layers.saturating_sub(1)).rev().collect()
            };
            for l in range {
                let neighbours = if downward { &up } else { &down };
                let mut keyed: Vec<(f64, usize)> = order[l]
                    .iter()
                    .map(|&s| {
                        let ns = &neighbours[s];
                        let key = if ns.is_empty() {
                            pos[s]
                        } else {
                            ns.iter().map(|&t| pos[t]).sum::<f64>() / ns.len() as f64
                        };
                        (key, s)
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                order[l] = keyed.into_iter().map(|(_, s)| s).collect();
                for (i, &s) in order[l].iter().enumerate() {
                    pos[s] = i as f64;
                }
            }
        }
        // 5. x: packed, then pulled towards neighbours' centres without overlapping.
        for layer in &order {
            let mut x = 0.0;
            for &s in layer {
                slots[s].x = x + slots[s].width / 2.0;
                x += slots[s].width + GAP_X;
            }
        }
        for round in 0..12 {
            let downward = round % 2 == 0;
            let range: Vec<usize> = if downward {
                (1..layers).collect()
            } else {
                (0..layers.saturating_sub(1)).rev().collect()
            };
            for l in range {
                let neighbours = if downward { &up } else { &down };
                let wanted: Vec<f64> = order[l]
                    .iter()
                    .map(|&s| {
                        let ns = &neighbours[s];
                        if ns.is_empty() {
                            slots[s].x
                        } else {
                            ns.iter().map(|&t| slots[t].x).sum::<f64>() / ns.len() as f64
                        }
                    })
                    .collect();
                place(&order[l], &wanted, &mut slots);
            }
        }
        let min_x = slots
            .iter()
            .map(|s| s.x - s.width / 2.0)
            .fold(f64::INFINITY, f64::min);
        if min_x.is_finite() {
            for s in &mut slots {
                s.x += MARGIN - min_x;
            }
        }
        // 6. Ports: spread the edges leaving (entering) a node along its bottom (top),
        //    ordered by where they go.
        let mut ports = vec![(0.0, 0.0); chains.len()];
        let mut leaving: Vec<Vec<(f64, usize)>> = vec![Vec::new(); n];
        let mut entering: Vec<Vec<(f64, usize)>> = vec![Vec::new(); n];
        for (i, chain) in chains.iter().enumerate() {
            if chain.len() < 2 || chain[0] == chain[chain.len() - 1] {
                continue;
            }
            let (first, second) = (chain[0], chain[1]);
            let (last, before) = (chain[chain.len() - 1], chain[chain.len() - 2]);
            leaving[first].push((slots[second].x, i));
            entering[last].push((slots[before].x, i));
        }
        for v in 0..n {
            for (list, tail) in [(&mut leaving[v], true), (&mut entering[v], false)] {
                list.sort_by(|a, b| a.0.total_cmp(&b.0));
                let k = list.len() as f64;
                let step = (NODE_W - 40.0) / k.max(1.0);
                let step = step.min(28.0);
                for (j, &(_, e)) in list.iter().enumerate() {
                    let offset = (j as f64 - (k - 1.0) / 2.0) * step;
                    if tail {
                        ports[e].0 = offset;
                    } else {
                        ports[e].1 = offset;
                    }
                }
            }
        }
        Layout {
            slots,
            chains,
            layers,
            ports,
        }
    }

    fn size(&self) -> (f64, f64) {
        let width = self
            .slots
            .iter()
            .map(|s| s.x + s.width / 2.0)
            .fold(0.0, f64::max)
            + MARGIN;
        let height = MARGIN * 2.0 + self.layers as f64 * (NODE_H + GAP_Y) - GAP_Y;
        (width.max(2.0 * MARGIN), height.max(2.0 * MARGIN))
    }

    fn top(&self, slot: usize) -> f64 {
        MARGIN + self.slots[slot].layer as f64 * (NODE_H + GAP_Y)
    }

    fn node_corner(&self, v: usize) -> (f64, f64) {
        (self.slots[v].x - NODE_W / 2.0, self.top(v))
    }

    /// The points of edge `e`, from where it leaves its tail to the tip of its arrow.
    fn route(&self, e: usize) -> Vec<(f64, f64)> {
        let chain = &self.chains[e];
        if chain.len() == 2 && chain[0] == chain[1] {
            // A node that leads to itself: a small loop on its right side.
            let v = chain[0];
            let (x, y) = self.node_corner(v);
            let right = x + NODE_W;
            return vec![
                (right, y + NODE_H * 0.3),
                (right + 22.0, y + NODE_H * 0.3),
                (right + 22.0, y + NODE_H * 0.7),
                (right + 2.0, y + NODE_H * 0.7),
            ];
        }
        let (tail_port, head_port) = self.ports[e];
        let last = chain.len() - 1;
        let mut points = Vec::with_capacity(chain.len() + 2);
        for (i, &s) in chain.iter().enumerate() {
            let slot = self.slots[s];
            let top = self.top(s);
            let going_down = if i < last {
                self.slots[chain[i + 1]].layer > slot.layer
            } else {
                self.slots[chain[i - 1]].layer < slot.layer
            };
            if i == 0 {
                let y = if going_down { top + NODE_H } else { top };
                points.push((slot.x + tail_port, y));
            } else if i == last {
                let y = if going_down { top } else { top + NODE_H };
                points.push((slot.x + head_port, y));
            } else {
                // A waypoint: pass through the layer's band vertically.
                let (a, b) = if going_down {
                    (top, top + NODE_H)
                } else {
                    (top + NODE_H, top)
                };
                points.push((slot.x, a));
                points.push((slot.x, b));
            }
        }
        points
    }
}

/// Places a layer's slots, in order, as near their wanted centres as the gaps allow:
/// a left-to-right pass that only pushes right, a right-to-left pass that only pushes
/// left, and the average of the two.
fn place(order: &[usize], wanted: &[f64], slots: &mut [Slot]) {
    let k = order.len();
    if k == 0 {
        return;
    }
    let mut right = vec![0.0; k];
    for i in 0..k {
        let w = slots[order[i]].width;
        right[i] = if i == 0 {
            wanted[0]
        } else {
            let prev = order[i - 1];
            wanted[i].max(right[i - 1] + slots[prev].width / 2.0 + GAP_X + w / 2.0)
        };
    }
    let mut left = vec![0.0; k];
    for i in (0..k).rev() {
        let w = slots[order[i]].width;
        left[i] = if i == k - 1 {
            wanted[i]
        } else {
            let next = order[i + 1];
            wanted[i].min(left[i + 1] - slots[next].width / 2.0 - GAP_X - w / 2.0)
        };
    }
    // The average of two valid placements keeps every gap.
    for i in 0..k {
        slots[order[i]].x = (right[i] + left[i]) / 2.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Vec<Tree> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
        let catalogue = troubletree::Catalogue::from_dir(root).expect("the shipped trees check");
        catalogue.trees().cloned().collect()
    }

    #[test]
    fn the_picture_is_the_exporters_graph_for_every_shipped_tree() {
        for tree in shipped() {
            let picture = Picture::of(&tree, "zh");
            assert_eq!(picture.nodes.len(), tree.node_count(), "{}", tree.id());
            assert!(
                picture.nodes.iter().all(|n| n.kind != Kind::Node),
                "{}: the exporter's shapes were not read",
                tree.id()
            );
            let edges = tree.edges();
            assert_eq!(picture.edges.len(), edges.len());
            for (drawn, edge) in picture.edges.iter().zip(&edges) {
                assert_eq!(picture.nodes[drawn.from].id, edge.from);
                assert_eq!(picture.nodes[drawn.to].id, edge.to);
            }
            let start = picture.nodes.iter().filter(|n| n.start).collect::<Vec<_>>();
            assert_eq!(start.len(), 1);
            assert_eq!(start[0].id, tree.start());
        }
    }

    #[test]
    fn labels_come_back_unescaped() {
        let tree = Tree::from_str(
            r#"Tree(id: "t", locales: ["en"], start: "a", nodes: [
                Act(id: "a", text: "Press \"OK\" & wait \\ here", next: "b", solved: "c"),
                Resolve(id: "b", text: "Try <later>."),
                Resolve(id: "c", text: "Fixed."),
            ])"#,
        )
        .expect("compiles");
        let p = Picture::of(&tree, "en");
        assert_eq!(p.nodes[0].text, "Press \"OK\" & wait \\ here");
        assert_eq!(p.nodes[0].kind, Kind::Act);
        assert!(p.nodes[0].start);
        assert_eq!(p.nodes[1].text, "Try <later>.");
        assert_eq!(p.nodes[1].kind, Kind::Resolve);
        assert_eq!(p.edges.len(), 2);
        assert_eq!((p.edges[0].from, p.edges[0].to), (0, 2));
    }

    #[test]
    fn hostile_text_is_escaped_in_the_svg() {
        let tree = Tree::from_str(
            r#"Tree(id: "t", locales: ["en"], title: { "en": "</title><script>alert(1)</script>" }, start: "a", nodes: [
                Ask(id: "a", text: "\"><img src=x onerror=alert(1)>", answers: [
                    Answer(value: true, text: "<b>yes</b>", next: "b"),
                    Answer(value: false, text: "javascript:alert(1)", next: "b"),
                ]),
                Resolve(id: "b", text: "<script>window.pwned=1</script>"),
            ])"#,
        )
        .expect("compiles");
        let svg = svg(&Picture::of(&tree, "en"), None);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<img"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        assert!(
            svg.contains("&lt;script&gt;window.pwned=1&lt;/script&gt;"),
            "{svg}"
        );
        assert!(svg.contains("&quot;&gt;&lt;img src=x"), "{svg}");
        // Well formed: every element opened is closed (a rough count).
        assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
    }

    #[test]
    fn xml_drops_what_xml_cannot_carry() {
        assert_eq!(xml("a\u{1}b\u{fffe}<'\""), "ab&lt;&#39;&quot;");
    }

    #[test]
    fn every_node_has_its_own_box_and_loops_point_back() {
        for tree in shipped() {
            let picture = Picture::of(&tree, "en");
            let layout = Layout::new(&picture);
            let n = picture.nodes.len();
            let mut boxes: Vec<(f64, f64)> = (0..n).map(|v| layout.node_corner(v)).collect();
            boxes.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.total_cmp(&b.0)));
            for pair in boxes.windows(2) {
                let same_row = (pair[0].1 - pair[1].1).abs() < 1.0;
                assert!(
                    !same_row || pair[1].0 - pair[0].0 >= NODE_W + GAP_X - 0.5,
                    "{}: overlapping boxes {pair:?}",
                    tree.id()
                );
            }
            for e in 0..picture.edges.len() {
                let points = layout.route(e);
                assert!(points.len() >= 2);
                assert!(points.iter().all(|(x, y)| x.is_finite() && y.is_finite()));
            }
        }
    }

    #[test]
    fn a_huge_tree_is_not_drawn_but_said_to_be_too_large() {
        let picture = Picture {
            title: None,
            nodes: vec![
                Node {
                    id: "n".into(),
                    kind: Kind::Resolve,
                    text: String::new(),
                    start: false,
                };
                MAX_DRAWN_NODES + 1
            ],
            edges: Vec::new(),
        };
        let drawn = svg(&picture, None);
        assert!(drawn.len() < 1000);
        assert!(drawn.contains("too many to draw"));
    }

    #[test]
    fn a_long_chain_with_loops_back_stays_bounded() {
        // 1500 nodes in a chain, each also leading back to the start: every loop edge
        // would cross up to 1500 layers.
        let n = 1_500;
        let picture = Picture {
            title: None,
            nodes: (0..n)
                .map(|i| Node {
                    id: format!("n{i}"),
                    kind: Kind::Ask,
                    text: String::new(),
                    start: i == 0,
                })
                .collect(),
            edges: (0..n - 1)
                .flat_map(|i| {
                    [
                        Edge {
                            from: i,
                            to: i + 1,
                            label: String::new(),
                            limit: false,
                        },
                        Edge {
                            from: i + 1,
                            to: 0,
                            label: String::new(),
                            limit: true,
                        },
                    ]
                })
                .collect(),
        };
        let layout = Layout::new(&picture);
        assert!(layout.slots.len() <= n + MAX_WAYPOINTS);
        for e in 0..picture.edges.len() {
            assert!(
                layout
                    .route(e)
                    .iter()
                    .all(|(x, y)| x.is_finite() && y.is_finite())
            );
        }
    }

    #[test]
    fn wrap_cuts_to_the_lines_given() {
        let lines = wrap(&"很长的文字".repeat(10), 184.0, 11.0, 3);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with('…'));
        let lines = wrap("Restart the router and wait", 184.0, 11.0, 3);
        assert_eq!(lines, ["Restart the router and wait"]);
        assert!(wrap("", 184.0, 11.0, 3).is_empty());
    }
}
