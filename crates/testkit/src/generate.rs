//! Generated trees, for benchmarks and tests: valid, bilingual, realistic in shape, and
//! of any size.
//!
//! [`tree`] writes the RON text of a tree of exactly the requested number of nodes, the
//! same for the same seed. Its flow is made of *steps*, each a small block of the shapes
//! the shipped trees use:
//!
//! - a question (`Ask`) with two to four answers, on no fact, on a `Bool` fact (one
//!   answer per value) or on a `Choice` fact (one answer per choice);
//! - an instruction (`Act`), usually with `solved`;
//! - an automatic decision (`Decide`) with one to three rules on declared `Bool`,
//!   `Number` and `Choice` facts (`Eq`, `In`, `Gt`..., sometimes under `All`, `Any`,
//!   `Not`), and a free-input question on a `Number` fact followed by a decision on it;
//! - a bounded retry loop: an `Act` with `limit: Limit(times: 2, then: ...)` and a
//!   question whose "same error" answer leads back to it;
//! - the step's own fix (`Act`), resolution (`Resolve`) and hand-over (`Escalate`), and
//!   a final question and two terminals shared by the whole tree.
//!
//! Steps open new steps (each answer or rule may lead to one), join steps that others
//! opened (so that several nodes lead into the same sub-flow), or end the walk. Steps
//! only lead to steps opened later, so the flow has no loop but the bounded retries;
//! they are opened breadth first, so a walk passes only a few dozen steps even in a tree
//! of a million nodes; and they are written depth first, each step followed by the
//! sub-flows it opens, as a person would write them. Every fact has a bilingual `ask`,
//! every `Choice` fact has `labels`, every text is written in `zh` and `en`: the tree
//! loads with no finding at all, not even a warning.
//!
//! [`wide_paths`] writes a narrow tree with an astronomical number of distinct walks,
//! for benchmarks of path counting.
//!
//! Both generators run in time linear in their output and never recurse: a million
//! nodes (260 MB of text) take about a third of a second.
//!
//! ```
//! use troubletree::Tree;
//! use troubletree_testkit::generate;
//!
//! let text = generate::tree(500, 7);
//! let tree = Tree::from_str(&text)?;
//! assert_eq!(tree.node_count(), 500);
//! assert!(tree.warnings().is_empty());
//! assert_eq!(text, generate::tree(500, 7)); // the same seed gives the same tree
//! # Ok::<(), troubletree::LoadError>(())
//! ```
//!
//! The `generate` example prints one to standard output, to feed the command line:
//!
//! ```sh
//! cargo run --release --example generate -- 1000000 > /tmp/big.ron   # NODES [SEED]
//! /usr/bin/time -v ./target/release/troubletree check /tmp/big.ron    # time, peak memory
//! ```

use std::fmt::Write as _;

/// The fewest nodes [`tree`] writes: the final question and the two shared terminals.
pub const MIN_NODES: usize = 3;

/// The most nodes [`tree`] writes: about 2.6 GB of text, far beyond what the loader
/// accepts from a file (16 MiB), and within reach of a test machine's memory.
pub const MAX_NODES: usize = 10_000_000;

/// The most layers [`wide_paths`] writes (about 4 GB of text).
pub const MAX_LAYERS: usize = 10_000_000;

/// A size beyond [`MAX_NODES`] or [`MAX_LAYERS`]: the text would not fit in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge {
    /// What was asked for.
    pub asked: usize,
    /// The largest size accepted.
    pub max: usize,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot generate a tree of size {}: the largest is {}",
            self.asked, self.max
        )
    }
}

impl std::error::Error for TooLarge {}

/// The RON text of a valid tree with exactly `nodes` nodes (at least [`MIN_NODES`]),
/// built from `seed`.
///
/// The same `nodes` and `seed` always give the same text. The tree declares
/// `locales: ["zh", "en"]` and `3 × nodes / 40` facts (from 3 to 1 023, in `Bool`,
/// `Choice` and `Number` thirds), and loads with no error and no warning. Its shapes are
/// described in the [module documentation](self).
///
/// ```
/// let text = troubletree_testkit::generate::tree(1_000, 42);
/// let report = troubletree::Loader::new().tree("generated.ron", &text);
/// assert!(report.findings.is_empty());
/// assert_eq!(report.loaded.map(|t| t.node_count()), Some(1_000));
/// ```
///
/// # Panics
///
/// When `nodes` is over [`MAX_NODES`], with a message naming the limit (the text would
/// not fit in memory); [`try_tree`] returns an error instead.
pub fn tree(nodes: usize, seed: u64) -> String {
    try_tree(nodes, seed).unwrap_or_else(|e| panic!("{e}"))
}

/// [`tree`], or an error when `nodes` is over [`MAX_NODES`].
///
/// ```
/// use troubletree_testkit::generate::{MAX_NODES, try_tree};
/// assert_eq!(try_tree(usize::MAX, 1).unwrap_err().max, MAX_NODES);
/// assert!(try_tree(10, 1).is_ok());
/// ```
///
/// # Errors
///
/// [`TooLarge`] when `nodes` is over [`MAX_NODES`].
pub fn try_tree(nodes: usize, seed: u64) -> Result<String, TooLarge> {
    if nodes > MAX_NODES {
        return Err(TooLarge {
            asked: nodes,
            max: MAX_NODES,
        });
    }
    Ok(generate_tree(nodes, seed))
}

fn generate_tree(nodes: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let facts = Facts::new(nodes);
    let blocks = plan(nodes.saturating_sub(MIN_NODES), &facts, &mut rng);
    let mut out = Out::with_capacity(nodes.saturating_mul(190).saturating_add(4096));
    let steps = blocks.len();
    out.header(nodes, seed, &facts, steps);
    for (k, block) in blocks.iter().enumerate() {
        out.block(k, steps, block, &facts, &mut rng);
    }
    out.finale();
    out.text
}

/// A catalogue of `trees` generated trees (ids `t0`, `t1`...), each of `nodes` nodes,
/// linked by `Goto`: in tree `i`, about a third of the resolutions and hand-overs become
/// a `Goto` into a later tree (at its start), so links never form a loop and a journey
/// crosses trees. Facts with the same name and type in two trees carry over a jump.
/// Returns `(file name, text)` pairs for [`troubletree::Catalogue::from_texts`].
///
/// ```
/// let files = troubletree_testkit::generate::catalogue(3, 40, 7);
/// let named: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
/// let catalogue = troubletree::Catalogue::from_texts(&named)?;
/// assert_eq!(catalogue.len(), 3);
/// # Ok::<(), troubletree::LoadError>(())
/// ```
pub fn catalogue(trees: usize, nodes: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed ^ 0x5eed_ca7a_1065_0000);
    let mut out = Vec::with_capacity(trees);
    for i in 0..trees {
        let id = format!("t{i}");
        let mut text = String::new();
        for line in tree(nodes, seed.wrapping_add(i as u64)).lines() {
            let trimmed = line.trim_start();
            let terminal =
                trimmed.starts_with("Resolve(id: \"") || trimmed.starts_with("Escalate(id: \"");
            if line.starts_with("    id: \"generated\"") {
                text.push_str(&format!("    id: \"{id}\","));
            } else if terminal && i + 1 < trees && rng.below(3) == 0 {
                let node = trimmed.split('"').nth(1).unwrap_or_default();
                let target = i + 1 + rng.below(trees - i - 1);
                text.push_str(&format!(
                    "        Goto(id: \"{node}\", tree: \"t{target}\"),"
                ));
            } else {
                text.push_str(line);
            }
            text.push('\n');
        }
        out.push((format!("{id}.ron"), text));
    }
    out
}

/// The RON text of a valid tree with `2^layers` distinct walks from its start to its end,
/// in `3 * layers + 1` nodes.
///
/// Each layer is a question with two answers, `left` and `right`, leading to two
/// different instructions that both lead to the next layer's question (a chain of
/// diamonds); the last layer leads to a `Resolve`. With 201 layers the tree has more
/// than 2^200 walks in 604 nodes, so only a counting algorithm that never enumerates
/// walks can measure it.
///
/// ```
/// let text = troubletree_testkit::generate::wide_paths(3);
/// let tree = troubletree::Tree::from_str(&text)?;
/// assert_eq!(tree.node_count(), 10);
/// assert!(tree.warnings().is_empty());
/// # Ok::<(), troubletree::LoadError>(())
/// ```
///
/// # Panics
///
/// When `layers` is over [`MAX_LAYERS`], with a message naming the limit;
/// [`try_wide_paths`] returns an error instead.
pub fn wide_paths(layers: usize) -> String {
    try_wide_paths(layers).unwrap_or_else(|e| panic!("{e}"))
}

/// [`wide_paths`], or an error when `layers` is over [`MAX_LAYERS`].
///
/// # Errors
///
/// [`TooLarge`] when `layers` is over [`MAX_LAYERS`].
pub fn try_wide_paths(layers: usize) -> Result<String, TooLarge> {
    if layers > MAX_LAYERS {
        return Err(TooLarge {
            asked: layers,
            max: MAX_LAYERS,
        });
    }
    Ok(generate_wide_paths(layers))
}

fn generate_wide_paths(layers: usize) -> String {
    let mut out = Out::with_capacity(layers.saturating_mul(400).saturating_add(1024));
    out.line("// Generated by troubletree_testkit::generate::wide_paths: a chain of diamonds.");
    out.push("// Every layer doubles the number of distinct walks: 2^");
    out.num(layers);
    out.push(" in all.\n");
    out.line("Tree(");
    out.line("    format: 1,");
    out.line("    id: \"wide_paths\",");
    out.push("    title: ");
    out.text(("很多条路径", "Very many walks"));
    out.push(",\n");
    out.line("    locales: [\"zh\", \"en\"],");
    out.push("    start: \"");
    out.layer_id("layer", 0, layers);
    out.push("\",\n");
    out.line("    nodes: [");
    for i in 0..layers {
        out.push("        Ask(id: \"");
        out.layer_id("layer", i, layers);
        out.push("\", text: ");
        out.text(("走左边还是右边？", "Left or right?"));
        out.push(", answers: [Answer(value: \"left\", text: ");
        out.text(("左边", "Left"));
        out.push(", next: \"");
        out.layer_id("left", i, layers);
        out.push("\"), Answer(value: \"right\", text: ");
        out.text(("右边", "Right"));
        out.push(", next: \"");
        out.layer_id("right", i, layers);
        out.push("\")]),\n");
        for (side, text) in [
            ("left", ("请从左边继续。", "Go on from the left.")),
            ("right", ("请从右边继续。", "Go on from the right.")),
        ] {
            out.push("        Act(id: \"");
            out.layer_id(side, i, layers);
            out.push("\", text: ");
            out.text(text);
            out.push(", next: \"");
            out.layer_id("layer", i + 1, layers);
            out.push("\"),\n");
        }
    }
    out.push("        Resolve(id: \"done\", text: ");
    out.text(("到达终点。", "You made it to the end."));
    out.push("),\n");
    out.line("    ],");
    out.line(")");
    out.text
}

// ------------------------------------------------------------------------ randomness

/// SplitMix64: tiny, fast, and good enough for shapes.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        // The modulo bias is irrelevant for shapes; `n` is small.
        (self.next() % n as u64) as usize
    }

    /// True with `percent` % probability.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

// ----------------------------------------------------------------------------- words

type Phrase = (&'static str, &'static str);

/// The values of a `Choice` fact, each with its label.
type Choices = &'static [(&'static str, Phrase)];

/// Stems of `Bool` facts, with the question that asks for them.
const BOOL_FACTS: [(&str, Phrase); 5] = [
    (
        "network_ok",
        (
            "你的网络连接正常吗？",
            "Is your network connection working?",
        ),
    ),
    (
        "money_debited",
        ("钱已经被扣走了吗？", "Has the money already been taken?"),
    ),
    (
        "card_bound",
        (
            "这张银行卡还绑定在账户上吗？",
            "Is the bank card still linked to your account?",
        ),
    ),
    (
        "sms_received",
        (
            "收到验证码短信了吗？",
            "Did you receive the verification SMS?",
        ),
    ),
    (
        "app_updated",
        ("APP已经是最新版本了吗？", "Is the app up to date?"),
    ),
];

/// Stems of `Choice` facts: the question, and each choice with its label.
const CHOICE_FACTS: [(&str, Phrase, Choices); 3] = [
    (
        "pay_method",
        ("这笔钱是用什么方式付的？", "How did you pay?"),
        &[
            ("balance", ("钱包余额", "Wallet balance")),
            ("bank_card", ("储蓄卡", "Debit card")),
            ("credit_card", ("信用卡", "Credit card")),
        ],
    ),
    (
        "account_status",
        ("你的账户现在是什么状态？", "What state is your account in?"),
        &[
            ("normal", ("正常", "Normal")),
            ("restricted", ("被限制", "Restricted")),
            ("unverified", ("未实名认证", "Not verified")),
            ("frozen", ("已冻结", "Frozen")),
        ],
    ),
    (
        "channel",
        ("你是在哪里操作的？", "Where did you do it?"),
        &[
            ("app", ("手机APP", "The phone app")),
            ("web", ("网页", "The website")),
            ("counter", ("银行柜台", "A bank counter")),
        ],
    ),
];

/// Stems of `Number` facts: the question, and thresholds worth comparing with.
const NUMBER_FACTS: [(&str, Phrase, [u32; 3]); 3] = [
    (
        "hours_since_debit",
        (
            "从扣款到现在过去了几个小时？",
            "How many hours ago was the money taken?",
        ),
        [24, 48, 72],
    ),
    (
        "amount",
        ("涉及的金额是多少元？", "What is the amount, in yuan?"),
        [500, 5000, 50000],
    ),
    (
        "attempts",
        ("你已经试了几次？", "How many times have you tried?"),
        [1, 2, 3],
    ),
];

/// Questions that fill no fact. Texts are written as RON string contents (escaped).
const QUESTIONS: [Phrase; 6] = [
    (
        "页面上有错误提示吗？",
        "Does the page show an error message?",
    ),
    ("问题是今天才出现的吗？", "Did the problem start today?"),
    ("换一台手机试过吗？", "Have you tried another phone?"),
    (
        "商家那边显示收到款了吗？",
        "Does the merchant show the payment as received?",
    ),
    (
        r#"页面提示\"系统繁忙\"吗？"#,
        r#"Does the page say \"system busy\"?"#,
    ),
    (
        "账单里能看到这笔交易吗？",
        "Can you see the transaction in your bill?",
    ),
];

/// Answer values of questions that fill no fact, with their labels.
const ANSWERS: [(&str, Phrase); 4] = [
    ("yes", ("是", "Yes")),
    ("no", ("否", "No")),
    ("not_sure", ("不确定", "Not sure")),
    ("later", ("稍后再看", "I will check later")),
];

const ACTS: [Phrase; 6] = [
    (
        "请退出APP后重新登录。",
        "Log out of the app and sign in again.",
    ),
    (
        "请切换到移动数据后再试一次。",
        "Switch to mobile data and try again.",
    ),
    (
        "请把APP更新到最新版本。",
        "Update the app to the latest version.",
    ),
    ("请换一张银行卡再试。", "Try again with another bank card."),
    (
        "请等待10分钟后刷新账单。",
        "Wait ten minutes, then refresh your bill.",
    ),
    (
        "请在「我的-设置-安全」里检查登录设备。",
        "Check the signed-in devices under Me > Settings > Security.",
    ),
];

const RESOLUTIONS: [Phrase; 4] = [
    ("问题已解决。", "The problem is solved."),
    ("钱已到账。", "The money has arrived."),
    ("付款成功了。", "The payment went through."),
    ("账户已恢复正常。", "Your account is back to normal."),
];

const REASONS: [Phrase; 3] = [
    (
        "多次尝试后仍未解决，需要客服处理。",
        "Still failing after several tries; customer service must take over.",
    ),
    (
        "需要人工核查交易记录。",
        "An agent must check the transaction records.",
    ),
    (
        "账户可能有风险，请尽快联系客服。",
        "The account may be at risk; contact customer service now.",
    ),
];

const PREPARE: [Phrase; 4] = [
    ("注册手机号", "Your registered phone number"),
    ("交易时间和金额", "The time and amount of the transaction"),
    ("错误提示的截图", "A screenshot of the error message"),
    ("银行卡后四位", "The last four digits of the card"),
];

const PRIORITIES: [&str; 4] = ["Low", "Normal", "High", "Urgent"];
const CHANNELS: [&str; 4] = ["Hotline", "InApp", "Chat", "Email"];

// ------------------------------------------------------------------------------ facts

/// The declared facts: `count` of them, kinds in turn `Bool`, `Choice`, `Number`.
struct Facts {
    count: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum FactKind {
    Bool,
    Choice,
    Number,
}

impl Facts {
    fn new(nodes: usize) -> Self {
        let count = (nodes / 40).clamp(1, 341) * 3;
        Facts { count }
    }

    fn kind(i: usize) -> FactKind {
        match i % 3 {
            0 => FactKind::Bool,
            1 => FactKind::Choice,
            _ => FactKind::Number,
        }
    }

    /// A random fact of the given kind.
    fn pick(&self, kind: FactKind, rng: &mut Rng) -> usize {
        let offset = match kind {
            FactKind::Bool => 0,
            FactKind::Choice => 1,
            FactKind::Number => 2,
        };
        rng.below(self.count / 3) * 3 + offset
    }

    /// The stem index of fact `i` within its kind's list.
    fn stem(i: usize, stems: usize) -> usize {
        (i / 3) % stems
    }

    fn choices(i: usize) -> &'static [(&'static str, Phrase)] {
        CHOICE_FACTS[Self::stem(i, CHOICE_FACTS.len())].2
    }
}

// ----------------------------------------------------------------------------- blocks

/// Where an exit of a step leads.
#[derive(Clone, Copy, PartialEq)]
enum Exit {
    /// Another step's entry (a later one: steps only lead forward).
    Step(u32),
    /// The step's own fix (`Act`).
    Fix,
    /// The step's own hand-over (`Escalate`).
    Agent,
    /// The tree's shared `Resolve`.
    Resolved,
    /// The tree's shared `Escalate`.
    Escalated,
    /// The tree's shared final question.
    Final,
    /// While planning: a step yet to be made.
    New,
    /// While planning: a step already made but not planned yet (a shared sub-flow).
    Merge,
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// `Ask` on no fact; one answer per exit.
    Question,
    /// `Ask` on a `Bool` fact; exits for `true`, `false`.
    BoolAsk,
    /// `Ask` on a `Choice` fact; one exit per choice.
    ChoiceAsk,
    /// `Decide`: exit 0 is `otherwise`, the others are rules.
    Decide,
    /// `Ask` on a `Number` fact, then a `Decide` on it (as `Decide`).
    Input,
    /// `Act` with a limit, and a question leading back to it: exit 0 is "different",
    /// exit 1 (if any) is "worse"; `then` is the limit's.
    Retry,
    /// `Act`: exit 0 is `next`; with a second exit it has `solved`.
    Act,
}

/// One step, with every choice that decides its size and its ids. Texts, conditions and
/// other details are chosen while writing.
#[derive(Clone, Copy)]
struct Block {
    shape: Shape,
    fact: usize,
    exits: [Exit; 4],
    len: u8,
    /// The exit that is the main way on.
    main: u8,
    /// Where the retry loop's limit leads.
    then: Exit,
    /// Whether the fix (or the retry, or the instruction) is `solved` by a local
    /// `Resolve`.
    fixed_here: bool,
    /// The steps this one opened: `children` of them from `first_child` on.
    first_child: u32,
    children: u8,
}

impl Block {
    /// A plain instruction: one node, one way on.
    fn act(next: Exit) -> Self {
        Block {
            shape: Shape::Act,
            fact: 0,
            exits: [next; 4],
            len: 1,
            main: 0,
            then: Exit::Escalated,
            fixed_here: false,
            first_child: 0,
            children: 0,
        }
    }

    fn exits(&self) -> &[Exit] {
        &self.exits[..usize::from(self.len)]
    }

    fn has(&self, exit: Exit) -> bool {
        self.exits().contains(&exit) || (self.shape == Shape::Retry && self.then == exit)
    }

    fn solved_somewhere(&self) -> bool {
        self.has(Exit::Fix)
            || self.shape == Shape::Retry
            || (self.shape == Shape::Act && self.len > 1)
    }

    fn size(&self) -> usize {
        let base = match self.shape {
            Shape::Input | Shape::Retry => 2,
            _ => 1,
        };
        base + usize::from(self.has(Exit::Fix))
            + usize::from(self.fixed_here)
            + usize::from(self.has(Exit::Agent))
    }

    /// Nodes this step adds beyond the one node reserved for it: its own nodes, and one
    /// for each new step it opens.
    fn cost(&self) -> usize {
        self.size() - 1 + self.exits().iter().filter(|&&e| e == Exit::New).count()
    }

    /// Where the flow goes on from the step's fix: the main way on.
    fn after(&self) -> Exit {
        self.exits[usize::from(self.main)]
    }
}

/// Where a branch (an answer or a rule other than the main way on) leads, when it
/// neither opens nor joins a step.
fn branch(rng: &mut Rng) -> Exit {
    match rng.below(100) {
        0..45 => Exit::Fix,
        45..65 => Exit::Agent,
        65..75 => Exit::Resolved,
        75..88 => Exit::Escalated,
        _ => Exit::Final,
    }
}

/// A step's shape, with its exits still to be chosen.
fn shape(facts: &Facts, rng: &mut Rng) -> Block {
    let mut block = Block::act(Exit::Final);
    match rng.below(100) {
        0..22 => {
            block.shape = Shape::Question;
            block.len = 2 + rng.below(3) as u8;
        }
        22..38 => {
            block.shape = Shape::BoolAsk;
            block.fact = facts.pick(FactKind::Bool, rng);
            block.len = 2;
        }
        38..48 => {
            block.shape = Shape::ChoiceAsk;
            block.fact = facts.pick(FactKind::Choice, rng);
            block.len = Facts::choices(block.fact).len() as u8;
        }
        48..64 => {
            block.shape = Shape::Decide;
            block.len = 2 + rng.below(3) as u8;
        }
        64..72 => {
            block.shape = Shape::Input;
            block.fact = facts.pick(FactKind::Number, rng);
            block.len = 2 + rng.below(2) as u8;
        }
        72..82 => {
            block.shape = Shape::Retry;
            block.len = 1 + rng.below(2) as u8;
            block.then = if rng.chance(50) {
                Exit::Agent
            } else {
                Exit::Escalated
            };
        }
        _ => {
            block.shape = Shape::Act;
            block.len = 1 + u8::from(rng.chance(80));
        }
    }
    // A question's main answer is not always the first one.
    if matches!(
        block.shape,
        Shape::Question | Shape::BoolAsk | Shape::ChoiceAsk
    ) {
        block.main = rng.below(usize::from(block.len)) as u8;
    }
    block
}

/// Chooses the steps, breadth first from the start: each step opens new steps while the
/// node budget allows, joins steps already opened (shared sub-flows), or ends in a
/// resolution or a hand-over. Steps only lead to later steps, so the flow has no loop
/// but the retry loops, and it is shallow (a walk passes about log(nodes) steps). The
/// sizes add up to exactly `budget` nodes.
fn plan(budget: usize, facts: &Facts, rng: &mut Rng) -> Vec<Block> {
    /// How far ahead among the steps opened but not planned a join may lead.
    const JOIN_WINDOW: usize = 16;
    let mut blocks: Vec<Block> = Vec::with_capacity(budget / 2 + 1);
    if budget == 0 {
        return blocks;
    }
    // Steps opened so far, and nodes promised: each opened step has at least one.
    let (mut opened, mut promised) = (1usize, 1usize);
    let mut k = 0usize;
    while k < opened {
        let slack = budget - promised;
        let waiting = opened - k - 1;
        // Open new steps while the budget exceeds what the waiting steps will need.
        let grow = slack > (waiting + 1) * 3;
        let mut block = shape(facts, rng);
        let main = usize::from(block.main);
        for (e, exit) in block
            .exits
            .iter_mut()
            .enumerate()
            .take(usize::from(block.len))
        {
            *exit = if e == main {
                if grow {
                    Exit::New
                } else if waiting > 0 && rng.chance(70) {
                    Exit::Merge
                } else {
                    Exit::Final
                }
            } else {
                match rng.below(100) {
                    0..45 if grow => Exit::New,
                    0..60 if waiting > 0 => Exit::Merge,
                    _ => branch(rng),
                }
            };
        }
        match block.shape {
            Shape::Retry if block.len > 1 => {
                block.exits[1] = if rng.chance(50) {
                    Exit::Agent
                } else {
                    Exit::Escalated
                };
            }
            // `solved` (written from `fixed_here`).
            Shape::Act if block.len > 1 => block.exits[1] = Exit::Resolved,
            _ => {}
        }
        block.fixed_here = block.solved_somewhere() && rng.chance(50);
        // Too big for what is left: no new steps, then no nodes of its own, then a plain
        // instruction.
        let instead = if waiting > 0 {
            Exit::Merge
        } else {
            Exit::Final
        };
        while block.cost() > slack {
            if let Some(e) = block.exits[..usize::from(block.len)]
                .iter()
                .rposition(|&e| e == Exit::New)
            {
                block.exits[e] = instead;
            } else if block.has(Exit::Fix) || block.has(Exit::Agent) || block.fixed_here {
                for exit in &mut block.exits {
                    *exit = match *exit {
                        Exit::Fix => Exit::Resolved,
                        Exit::Agent => Exit::Escalated,
                        other => other,
                    };
                }
                if block.then == Exit::Agent {
                    block.then = Exit::Escalated;
                }
                block.fixed_here = false;
            } else {
                block = Block::act(instead);
            }
        }
        // The last step waiting while nodes are left: open one more.
        if waiting == 0 && block.cost() < slack && !block.exits().contains(&Exit::New) {
            block.exits[usize::from(block.main)] = Exit::New;
        }
        promised += block.size() - 1;
        let joinable = waiting.min(JOIN_WINDOW);
        block.first_child = u32::try_from(opened).unwrap_or(u32::MAX);
        for exit in block.exits.iter_mut().take(usize::from(block.len)) {
            *exit = match *exit {
                Exit::New => {
                    opened += 1;
                    promised += 1;
                    block.children += 1;
                    Exit::Step(u32::try_from(opened - 1).unwrap_or(u32::MAX))
                }
                Exit::Merge => {
                    let j = k + 1 + rng.below(joinable);
                    Exit::Step(u32::try_from(j).unwrap_or(u32::MAX))
                }
                other => other,
            };
        }
        blocks.push(block);
        k += 1;
    }
    depth_first(blocks)
}

/// Puts the steps in the order a person writes a flow: each step followed by the
/// sub-flows it opens, one after the other (depth first), and renumbers them so that
/// ids follow the file.
fn depth_first(blocks: Vec<Block>) -> Vec<Block> {
    let mut rank = vec![0u32; blocks.len()];
    let mut order = Vec::with_capacity(blocks.len());
    let mut stack = if blocks.is_empty() {
        vec![]
    } else {
        vec![0u32]
    };
    while let Some(k) = stack.pop() {
        rank[k as usize] = u32::try_from(order.len()).unwrap_or(u32::MAX);
        order.push(k);
        let block = &blocks[k as usize];
        // Pushed last to first, so that the first child comes out first.
        stack.extend(
            (0..u32::from(block.children))
                .rev()
                .map(|c| block.first_child + c),
        );
    }
    order
        .into_iter()
        .map(|k| {
            let mut block = blocks[k as usize];
            for exit in &mut block.exits {
                if let Exit::Step(j) = exit {
                    *j = rank[*j as usize];
                }
            }
            block
        })
        .collect()
}

// ----------------------------------------------------------------------------- output

/// The text being written, with small helpers that avoid `format!` per node.
struct Out {
    text: String,
}

impl Out {
    fn with_capacity(capacity: usize) -> Self {
        Out {
            text: String::with_capacity(capacity),
        }
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn line(&mut self, s: &str) {
        self.text.push_str(s);
        self.text.push('\n');
    }

    fn num(&mut self, n: usize) {
        // Writing to a String cannot fail.
        let _ = write!(self.text, "{n}");
    }

    /// Writes a small number without the formatting machinery: ids are most of the text.
    fn index(&mut self, mut n: usize) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[at..] {
            self.text.push(char::from(d));
        }
    }

    fn text(&mut self, (zh, en): Phrase) {
        self.push("{\"zh\": \"");
        self.push(zh);
        self.push("\", \"en\": \"");
        self.push(en);
        self.push("\"}");
    }

    fn layer_id(&mut self, prefix: &str, i: usize, layers: usize) {
        if prefix == "layer" && i >= layers {
            self.push("done");
        } else {
            self.push(prefix);
            self.push("_");
            self.index(i);
        }
    }

    fn fact_name(&mut self, i: usize) {
        let stem = match Facts::kind(i) {
            FactKind::Bool => BOOL_FACTS[Facts::stem(i, BOOL_FACTS.len())].0,
            FactKind::Choice => CHOICE_FACTS[Facts::stem(i, CHOICE_FACTS.len())].0,
            FactKind::Number => NUMBER_FACTS[Facts::stem(i, NUMBER_FACTS.len())].0,
        };
        self.push(stem);
        self.push("_");
        self.index(i);
    }

    fn header(&mut self, nodes: usize, seed: u64, facts: &Facts, steps: usize) {
        self.push("// Generated by troubletree_testkit::generate::tree(");
        self.num(nodes);
        self.push(", ");
        let _ = write!(self.text, "{seed}");
        self.push("): steps of questions, decisions, instructions and\n");
        self.line(
            "// bounded retry loops that open, join or end sub-flows, with fixes, resolutions and",
        );
        self.line("// hand-overs along the way.");
        self.line("Tree(");
        self.line("    format: 1,");
        self.line("    id: \"generated\",");
        self.line("    version: 1,");
        self.push("    title: ");
        self.text(("生成的排障流程", "A generated troubleshooting flow"));
        self.push(",\n");
        self.line("    locales: [\"zh\", \"en\"],");
        self.line("    facts: [");
        for i in 0..facts.count {
            self.push("        Fact(name: \"");
            self.fact_name(i);
            self.push("\", type: ");
            match Facts::kind(i) {
                FactKind::Bool => {
                    self.push("Bool, ask: ");
                    self.text(BOOL_FACTS[Facts::stem(i, BOOL_FACTS.len())].1);
                }
                FactKind::Number => {
                    self.push("Number, ask: ");
                    self.text(NUMBER_FACTS[Facts::stem(i, NUMBER_FACTS.len())].1);
                }
                FactKind::Choice => {
                    let (_, ask, choices) = CHOICE_FACTS[Facts::stem(i, CHOICE_FACTS.len())];
                    self.push("Choice([");
                    for (j, (value, _)) in choices.iter().enumerate() {
                        if j > 0 {
                            self.push(", ");
                        }
                        self.push("\"");
                        self.push(value);
                        self.push("\"");
                    }
                    self.push("]), ask: ");
                    self.text(ask);
                    self.push(", labels: {");
                    for (j, (value, label)) in choices.iter().enumerate() {
                        if j > 0 {
                            self.push(", ");
                        }
                        self.push("\"");
                        self.push(value);
                        self.push("\": ");
                        self.text(*label);
                    }
                    self.push("}");
                }
            }
            self.push("),\n");
        }
        self.line("    ],");
        self.push("    start: \"");
        self.step_id(0, steps, "");
        self.push("\",\n");
        self.line("    nodes: [");
    }

    /// The id of step `k`'s entry, or of one of its own nodes (`suffix`); with no step
    /// at all, the final question.
    fn step_id(&mut self, k: usize, steps: usize, suffix: &str) {
        if k >= steps {
            self.push("final_check");
        } else {
            self.push("step_");
            self.index(k);
            self.push(suffix);
        }
    }

    fn exit(&mut self, k: usize, steps: usize, exit: Exit) {
        match exit {
            Exit::Step(j) => self.step_id(j as usize, steps, ""),
            Exit::Fix => self.step_id(k, steps, "_fix"),
            Exit::Agent => self.step_id(k, steps, "_agent"),
            Exit::Resolved => self.push("resolved"),
            Exit::Escalated => self.push("escalate_agent"),
            // Planning placeholders never reach the text.
            Exit::Final | Exit::New | Exit::Merge => self.push("final_check"),
        }
    }

    fn block(&mut self, k: usize, steps: usize, block: &Block, facts: &Facts, rng: &mut Rng) {
        let exits = block.exits();
        match block.shape {
            Shape::Question => {
                self.node_start("Ask", k, steps, "");
                self.text(rng.pick(&QUESTIONS));
                self.push(", answers: [");
                let first = rng.below(ANSWERS.len());
                for (j, &exit) in exits.iter().enumerate() {
                    let (value, label) = ANSWERS[(first + j) % ANSWERS.len()];
                    self.answer(&format_args!("\"{value}\""), label, k, steps, exit, j);
                }
                self.push("]),\n");
            }
            Shape::BoolAsk => {
                self.node_start("Ask", k, steps, "");
                self.text(BOOL_FACTS[Facts::stem(block.fact, BOOL_FACTS.len())].1);
                self.push(", fact: \"");
                self.fact_name(block.fact);
                self.push("\", answers: [");
                for (j, &exit) in exits.iter().enumerate() {
                    let (value, label) = if j == 0 {
                        ("true", ("是", "Yes"))
                    } else {
                        ("false", ("否", "No"))
                    };
                    self.answer(&value, label, k, steps, exit, j);
                }
                self.push("]),\n");
            }
            Shape::ChoiceAsk => {
                let (_, ask, choices) = CHOICE_FACTS[Facts::stem(block.fact, CHOICE_FACTS.len())];
                self.node_start("Ask", k, steps, "");
                self.text(ask);
                self.push(", fact: \"");
                self.fact_name(block.fact);
                self.push("\", answers: [");
                for (j, (&exit, (value, label))) in exits.iter().zip(choices).enumerate() {
                    self.answer(&format_args!("\"{value}\""), *label, k, steps, exit, j);
                }
                self.push("]),\n");
            }
            Shape::Decide => {
                self.decide(k, steps, "", exits, None, facts, rng);
            }
            Shape::Input => {
                let (_, ask, _) = NUMBER_FACTS[Facts::stem(block.fact, NUMBER_FACTS.len())];
                self.node_start("Ask", k, steps, "");
                self.text(ask);
                self.push(", fact: \"");
                self.fact_name(block.fact);
                self.push("\", next: \"");
                self.step_id(k, steps, "_rule");
                self.push("\"),\n");
                self.decide(k, steps, "_rule", exits, Some(block.fact), facts, rng);
            }
            Shape::Retry => {
                self.line("        // A bounded retry loop: at most twice, then hand over.");
                self.node_start("Act", k, steps, "");
                self.text((
                    "请稍等几分钟后再试一次。",
                    "Wait a few minutes and try again.",
                ));
                self.push(", next: \"");
                self.step_id(k, steps, "_check");
                self.push("\", solved: \"");
                self.solved(k, steps, block);
                self.push("\", limit: Limit(times: 2, then: \"");
                self.exit(k, steps, block.then);
                self.push("\")),\n");
                self.node_start("Ask", k, steps, "_check");
                self.text(("还是同样的错误吗？", "Is it the same error?"));
                self.push(", answers: [");
                let again = Exit::Step(u32::try_from(k).unwrap_or(u32::MAX));
                self.answer(&"\"same\"", ("一样", "Yes, the same"), k, steps, again, 0);
                self.answer(
                    &"\"different\"",
                    ("不一样了", "No, a different one"),
                    k,
                    steps,
                    exits[0],
                    1,
                );
                if let Some(&worse) = exits.get(1) {
                    self.answer(
                        &"\"worse\"",
                        ("更严重了", "It got worse"),
                        k,
                        steps,
                        worse,
                        2,
                    );
                }
                self.push("]),\n");
            }
            Shape::Act => {
                self.node_start("Act", k, steps, "");
                self.text(rng.pick(&ACTS));
                self.push(", next: \"");
                self.exit(k, steps, exits[0]);
                self.push("\"");
                if exits.len() > 1 {
                    self.push(", solved: \"");
                    self.solved(k, steps, block);
                    self.push("\"");
                }
                self.push("),\n");
            }
        }
        if block.has(Exit::Fix) {
            self.node_start("Act", k, steps, "_fix");
            self.text(rng.pick(&ACTS));
            self.push(", next: \"");
            self.exit(k, steps, block.after());
            self.push("\", solved: \"");
            self.solved(k, steps, block);
            self.push("\"),\n");
        }
        if block.fixed_here {
            self.node_start("Resolve", k, steps, "_fixed");
            self.text(rng.pick(&RESOLUTIONS));
            self.push("),\n");
        }
        if block.has(Exit::Agent) {
            self.escalate(k, steps, rng);
        }
    }

    fn node_start(&mut self, kind: &str, k: usize, steps: usize, suffix: &str) {
        self.push("        ");
        self.push(kind);
        self.push("(id: \"");
        self.step_id(k, steps, suffix);
        self.push(if kind == "Resolve" {
            "\", text: "
        } else if kind == "Decide" {
            "\", rules: ["
        } else {
            "\", text: "
        });
    }

    /// Where the step's fix or retry leads when it worked.
    fn solved(&mut self, k: usize, steps: usize, block: &Block) {
        if block.fixed_here {
            self.step_id(k, steps, "_fixed");
        } else {
            self.push("resolved");
        }
    }

    fn answer(
        &mut self,
        value: &dyn std::fmt::Display,
        label: Phrase,
        k: usize,
        steps: usize,
        exit: Exit,
        j: usize,
    ) {
        if j > 0 {
            self.push(", ");
        }
        self.push("Answer(value: ");
        let _ = write!(self.text, "{value}");
        self.push(", text: ");
        self.text(label);
        self.push(", next: \"");
        self.exit(k, steps, exit);
        self.push("\")");
    }

    /// A `Decide` whose rules lead to `exits[1..]` and whose `otherwise` is `exits[0]`.
    /// With `number`, every rule compares that fact.
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &mut self,
        k: usize,
        steps: usize,
        suffix: &str,
        exits: &[Exit],
        number: Option<usize>,
        facts: &Facts,
        rng: &mut Rng,
    ) {
        self.node_start("Decide", k, steps, suffix);
        for (j, &exit) in exits.iter().enumerate().skip(1) {
            if j > 1 {
                self.push(", ");
            }
            self.push("Rule(when: ");
            match number {
                Some(fact) => self.compare(fact, rng),
                None => match rng.below(10) {
                    0 => {
                        self.push("All([");
                        self.condition(facts, rng);
                        self.push(", ");
                        self.condition(facts, rng);
                        self.push("])");
                    }
                    1 => {
                        self.push("Any([");
                        self.condition(facts, rng);
                        self.push(", ");
                        self.condition(facts, rng);
                        self.push("])");
                    }
                    2 => {
                        self.push("Not(");
                        self.condition(facts, rng);
                        self.push(")");
                    }
                    _ => self.condition(facts, rng),
                },
            }
            self.push(", next: \"");
            self.exit(k, steps, exit);
            self.push("\")");
        }
        self.push("], otherwise: \"");
        self.exit(k, steps, exits[0]);
        self.push("\"),\n");
    }

    /// A comparison of one random fact with a value of its type.
    fn condition(&mut self, facts: &Facts, rng: &mut Rng) {
        match rng.below(3) {
            0 => {
                let fact = facts.pick(FactKind::Bool, rng);
                self.push("Eq(\"");
                self.fact_name(fact);
                self.push(if rng.chance(50) {
                    "\", true)"
                } else {
                    "\", false)"
                });
            }
            1 => {
                let fact = facts.pick(FactKind::Choice, rng);
                let choices = Facts::choices(fact);
                let first = rng.below(choices.len());
                if rng.chance(50) {
                    self.push("Eq(\"");
                    self.fact_name(fact);
                    self.push("\", \"");
                    self.push(choices[first].0);
                    self.push("\")");
                } else {
                    self.push("In(\"");
                    self.fact_name(fact);
                    self.push("\", [\"");
                    self.push(choices[first].0);
                    self.push("\", \"");
                    self.push(choices[(first + 1) % choices.len()].0);
                    self.push("\"])");
                }
            }
            _ => {
                let fact = facts.pick(FactKind::Number, rng);
                self.compare(fact, rng);
            }
        }
    }

    /// `Gt`, `Ge`, `Lt` or `Le` of a `Number` fact with one of its thresholds.
    fn compare(&mut self, fact: usize, rng: &mut Rng) {
        let (_, _, thresholds) = NUMBER_FACTS[Facts::stem(fact, NUMBER_FACTS.len())];
        self.push(rng.pick(&["Gt(\"", "Ge(\"", "Lt(\"", "Le(\""]));
        self.fact_name(fact);
        self.push("\", ");
        self.index(rng.pick(&thresholds) as usize);
        self.push(")");
    }

    fn escalate(&mut self, k: usize, steps: usize, rng: &mut Rng) {
        self.push("        Escalate(id: \"");
        self.step_id(k, steps, "_agent");
        self.push("\", reason: ");
        self.text(rng.pick(&REASONS));
        self.push(", priority: ");
        self.push(rng.pick(&PRIORITIES));
        if rng.chance(75) {
            self.push(", channel: ");
            self.push(rng.pick(&CHANNELS));
        }
        let items = rng.below(PREPARE.len());
        if items > 0 {
            self.push(", prepare: [");
            let first = rng.below(PREPARE.len());
            for j in 0..items {
                if j > 0 {
                    self.push(", ");
                }
                self.text(PREPARE[(first + j) % PREPARE.len()]);
            }
            self.push("]");
        }
        self.push("),\n");
    }

    /// The final question and the two terminals every step may share.
    fn finale(&mut self) {
        self.line("        // Shared by the whole tree.");
        self.push("        Ask(id: \"final_check\", text: ");
        self.text(("现在问题解决了吗？", "Is the problem solved now?"));
        self.push(", answers: [Answer(value: \"yes\", text: ");
        self.text(("解决了", "Yes"));
        self.push(", next: \"resolved\"), Answer(value: \"no\", text: ");
        self.text(("没有", "No"));
        self.push(", next: \"escalate_agent\")]),\n");
        self.push("        Resolve(id: \"resolved\", text: ");
        self.text((
            "问题已解决，感谢你的耐心。",
            "The problem is solved. Thank you for your patience.",
        ));
        self.push("),\n");
        self.push("        Escalate(id: \"escalate_agent\", reason: ");
        self.text((
            "自助排查没有解决问题，需要客服处理。",
            "Self-service did not solve the problem; customer service must take over.",
        ));
        self.push(", priority: High, channel: Hotline, prepare: [");
        self.text(PREPARE[0]);
        self.push(", ");
        self.text(PREPARE[1]);
        self.push(", ");
        self.text(PREPARE[2]);
        self.push("]),\n");
        self.line("    ],");
        self.line(")");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_beyond_the_maximum_are_an_error_or_a_clear_panic() {
        use super::*;
        for asked in [MAX_NODES + 1, usize::MAX] {
            assert_eq!(
                try_tree(asked, 1),
                Err(TooLarge {
                    asked,
                    max: MAX_NODES
                })
            );
            let panic = std::panic::catch_unwind(|| tree(asked, 1)).expect_err("a panic");
            let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(message.contains("the largest is 10000000"), "{message}");
        }
        for asked in [MAX_LAYERS + 1, usize::MAX] {
            assert_eq!(
                try_wide_paths(asked),
                Err(TooLarge {
                    asked,
                    max: MAX_LAYERS
                })
            );
            let panic = std::panic::catch_unwind(|| wide_paths(asked)).expect_err("a panic");
            let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(message.contains("the largest is 10000000"), "{message}");
        }
        assert!(try_wide_paths(2).is_ok());
    }

    use super::*;
    use troubletree::Loader;

    fn assert_clean(text: &str) -> troubletree::Tree {
        let report = Loader::new().tree("generated.ron", text);
        assert!(
            report.findings.is_empty(),
            "{:#?}\n{}",
            report.findings,
            text.lines().take(40).collect::<Vec<_>>().join("\n")
        );
        report.loaded.expect("no finding, so a tree")
    }

    #[test]
    fn trees_check_clean_at_the_requested_size() {
        for nodes in [0, 1, 3, 4, 5, 10, 37, 100, 1_000, 5_000] {
            for seed in 0..8 {
                let tree = assert_clean(&tree(nodes, seed));
                assert_eq!(tree.node_count(), nodes.max(MIN_NODES), "seed {seed}");
            }
        }
    }

    #[test]
    fn walks_stay_short_in_large_trees() {
        let tree = assert_clean(&tree(20_000, 3));
        let edges = tree.edges();
        let mut next: std::collections::HashMap<&str, Vec<&str>> = Default::default();
        for edge in &edges {
            next.entry(edge.from).or_default().push(edge.to);
        }
        let mut depth = std::collections::HashMap::from([(tree.start(), 0usize)]);
        let mut queue = std::collections::VecDeque::from([tree.start()]);
        while let Some(at) = queue.pop_front() {
            let d = depth[at];
            for &to in next.get(at).into_iter().flatten() {
                if !depth.contains_key(to) {
                    depth.insert(to, d + 1);
                    queue.push_back(to);
                }
            }
        }
        assert_eq!(depth.len(), tree.node_count(), "every node is reachable");
        let deepest = depth.values().max().copied().unwrap_or(0);
        assert!(deepest < 80, "a node is {deepest} moves from the start");
    }

    #[test]
    fn the_same_seed_gives_the_same_tree() {
        assert_eq!(tree(2_000, 9), tree(2_000, 9));
        assert_ne!(tree(2_000, 9), tree(2_000, 10));
    }

    #[test]
    fn trees_have_every_shape() {
        let text = tree(2_000, 1);
        for needle in [
            "fact: \"network_ok",
            "fact: \"pay_method",
            "Choice([",
            "labels: {",
            "Decide(",
            "In(\"",
            "All([",
            "Any([",
            "Not(",
            "Gt(\"",
            "limit: Limit(times: 2, then:",
            "solved: ",
            "Resolve(",
            "Escalate(",
            "value: \"not_sure\"",
            "value: \"later\"",
        ] {
            assert!(text.contains(needle), "no {needle}");
        }
        // Several nodes lead into the same step.
        let tree = assert_clean(&text);
        let edges = tree.edges();
        let mut incoming = std::collections::HashMap::<&str, usize>::new();
        for edge in &edges {
            *incoming.entry(edge.to).or_default() += 1;
        }
        let shared = incoming
            .iter()
            .filter(|(id, n)| id.starts_with("step_") && **n >= 3)
            .count();
        assert!(shared > 100, "only {shared} steps with three ways in");
    }

    #[test]
    fn wide_paths_checks_clean() {
        for layers in [0, 1, 2, 201] {
            let tree = assert_clean(&wide_paths(layers));
            assert_eq!(tree.node_count(), 3 * layers + 1);
        }
    }
}
