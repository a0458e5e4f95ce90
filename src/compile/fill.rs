//! Directory values in texts: a catalogue that holds a service directory fills in every
//! `{hotline.hours}` of its trees' texts once, when it is loaded, so that one edit of the
//! directory changes every text that names the value, and the walker's hot path shows
//! finished texts without looking anything up. A reference the directory cannot fill
//! is E017, at the text.
//!
//! The compiler has already refused references that no directory could fill (an unknown
//! field); here each is looked up in the one directory at hand.

use std::sync::Arc;

use petgraph::graph::NodeIndex;

use crate::diagnostic::{Code, Pending};
use crate::directory::{Directory, references};
use crate::limits::Quoted;
use crate::tree::{NodeKind, Text, Tree, TreeData};

/// `tree` with every directory value in its texts filled in from `directory`, or the
/// findings for the references the directory cannot fill. The tree as written stays
/// reachable from the filled one (`TreeData::written`).
pub(crate) fn fill(tree: &Tree, directory: &Directory) -> Result<Tree, Vec<Pending>> {
    let written = tree.0.written.clone().unwrap_or_else(|| tree.clone());
    let mut data: TreeData = (*written.0).clone();
    let mut filler = Filler {
        locales: data.locales.clone(),
        directory,
        pending: Vec::new(),
    };
    if let Some(title) = &mut data.title {
        filler.text(title, "title", None);
    }
    for (i, fact) in data.facts.iter_mut().enumerate() {
        if let Some(ask) = &mut fact.ask {
            filler.text(ask, &format!("facts.{i}.ask"), None);
        }
        if let Some(label) = &mut fact.label {
            filler.text(label, &format!("facts.{i}.label"), None);
        }
        for offer in fact.offers.iter_mut() {
            let path = format!("facts.{i}.labels.{}", offer.value);
            filler.text(&mut offer.text, &path, None);
        }
    }
    for i in 0..data.graph.node_count() {
        let id = Some(data.node_index.id_of(NodeIndex::new(i)));
        let node = &mut data.graph[NodeIndex::new(i)];
        match &mut node.kind {
            NodeKind::Ask { text, offers, .. } => {
                filler.text(text, &format!("nodes.{i}.text"), id);
                for (j, offer) in offers.iter_mut().enumerate() {
                    filler.text(&mut offer.text, &format!("nodes.{i}.answers.{j}.text"), id);
                }
            }
            // An `Act`'s answers are the engine's own labels.
            NodeKind::Act { text, .. } | NodeKind::Resolve { text, .. } => {
                filler.text(text, &format!("nodes.{i}.text"), id);
            }
            NodeKind::Escalate {
                reason,
                prepare,
                agent,
                ..
            } => {
                filler.text(reason, &format!("nodes.{i}.reason"), id);
                for (j, item) in prepare.iter_mut().enumerate() {
                    filler.text(item, &format!("nodes.{i}.prepare.{j}"), id);
                }
                if let Some(agent) = agent {
                    filler.text(agent, &format!("nodes.{i}.agent"), id);
                }
            }
            NodeKind::Decide { .. } | NodeKind::Goto { .. } => {}
        }
    }
    if !filler.pending.is_empty() {
        return Err(filler.pending);
    }
    data.written = Some(written);
    Ok(Tree(Arc::new(data)))
}

struct Filler<'d> {
    locales: Box<[Box<str>]>,
    directory: &'d Directory,
    pending: Vec<Pending>,
}

impl Filler<'_> {
    /// Fills the references of each locale's string of `text`, in that locale.
    fn text(&mut self, text: &mut Text, path: &str, node: Option<&str>) {
        // A plain string is the text of every locale: each problem is said once.
        let mut said: Vec<String> = Vec::new();
        if !text.0.iter().any(|string| string.contains('{')) {
            return;
        }
        // Texts are shared (interned): this one gets its own copy.
        let mut strings: Vec<Box<str>> = text.0.to_vec();
        for (i, string) in strings.iter_mut().enumerate() {
            if !string.contains('{') {
                continue;
            }
            let found = references(string);
            if found.is_empty() {
                continue;
            }
            let locale = self.locales.get(i).map_or("", |l| &**l);
            let mut out = String::with_capacity(string.len() + 32);
            let mut last = 0;
            for reference in &found {
                out.push_str(&string[last..reference.start]);
                let written = &string[reference.start..reference.end];
                match self.directory.value(reference, locale) {
                    Ok(value) => out.push_str(&value),
                    Err(why) => {
                        out.push_str(written);
                        let message = format!(
                            "this text names the directory value {}, but {why}",
                            Quoted(written)
                        );
                        if !said.contains(&message) {
                            said.push(message.clone());
                            self.pending.push(Pending {
                                code: Code::DirectoryValue,
                                path: format!("{path}.{locale}"),
                                message,
                                node: node.map(str::to_owned),
                            });
                        }
                    }
                }
                last = reference.end;
            }
            out.push_str(&string[last..]);
            *string = out.into();
        }
        text.0 = Arc::new(strings.into_boxed_slice());
    }
}
