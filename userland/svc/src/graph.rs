//! The dependency graph: which services come before which, cycles, and when a waiting service may start.
//!
//! Meaning of the keys (documented in docs/svc-protocol.md as well):
//! - `requires = [X]`: starting this starts X; this starts only once X is ready, and fails if X fails.
//! - `wants = [X]`: starting this starts X; this waits until X is ready or has failed, and starts either way.
//! - `after = [X]`: only ordering: if X is being started, wait until it is ready or has failed.
//! - `before = [X]`: the same as X having `after = [this]`.
//!
//! Stopping runs the other way: a service is stopped only once everything ordered after it has stopped.
#![forbid(unsafe_code)]

use crate::def::Definition;
use std::collections::{BTreeMap, BTreeSet};

/// The edges of one service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub requires: BTreeSet<String>,
    pub wants: BTreeSet<String>,
    /// Ordering only: `after`, plus every service naming this one in `before`.
    pub after: BTreeSet<String>,
}

impl Node {
    /// Everything this service is ordered after.
    pub fn ordered_after(&self) -> impl Iterator<Item = &String> {
        self.requires
            .iter()
            .chain(self.wants.difference(&self.requires))
            .chain(
                self.after
                    .difference(&self.requires)
                    .filter(|n| !self.wants.contains(*n)),
            )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Graph {
    nodes: BTreeMap<String, Node>,
}

/// How far a dependency has come, as far as a waiting service cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepState {
    /// Ready (or a oneshot that has finished well).
    Ready,
    /// Being started, or waiting to be.
    Pending,
    /// Failed, or stopped and not being started again.
    Failed,
    /// Not running and nobody asked for it.
    Inactive,
    /// No such service.
    Missing,
}

/// What a waiting service should do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Start,
    Wait,
    Fail(String),
}

impl Graph {
    pub fn new<'a>(definitions: impl IntoIterator<Item = &'a Definition>) -> Self {
        let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
        let mut befores = Vec::new();
        for def in definitions {
            let node = nodes.entry(def.name.clone()).or_default();
            node.requires.extend(def.requires.iter().cloned());
            node.wants.extend(def.wants.iter().cloned());
            node.after.extend(def.after.iter().cloned());
            befores.extend(
                def.before
                    .iter()
                    .map(|later| (later.clone(), def.name.clone())),
            );
        }
        for (later, earlier) in befores {
            if let Some(node) = nodes.get_mut(&later) {
                node.after.insert(earlier);
            }
        }
        Self { nodes }
    }

    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.nodes.contains_key(name)
    }

    /// The services in dependency cycles, one sorted list per cycle (strongly connected component).
    pub fn cycles(&self) -> Vec<Vec<String>> {
        Tarjan::new(self).run()
    }

    /// `roots` plus everything they pull in through `requires` and `wants`, transitively.
    pub fn pulled_in(&self, roots: impl IntoIterator<Item = String>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<String> = roots.into_iter().collect();
        while let Some(name) = stack.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(node) = self.nodes.get(&name) {
                stack.extend(node.requires.iter().chain(&node.wants).cloned());
            }
        }
        seen
    }

    /// The services that require `name`, transitively (stopping `name` stops them first).
    pub fn requirers(&self, name: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![name.to_string()];
        while let Some(current) = stack.pop() {
            for (other, node) in &self.nodes {
                if node.requires.contains(&current) && seen.insert(other.clone()) {
                    stack.push(other.clone());
                }
            }
        }
        seen
    }

    /// The services ordered after `name` (they must stop before it does).
    pub fn ordered_after(&self, name: &str) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|(_, node)| node.ordered_after().any(|n| n == name))
            .map(|(other, _)| other.clone())
            .collect()
    }

    /// Whether the waiting service `name` can start, given how its dependencies stand.
    pub fn verdict(&self, name: &str, state_of: impl Fn(&str) -> DepState) -> Verdict {
        let Some(node) = self.nodes.get(name) else {
            return Verdict::Fail(format!("{name} has no definition"));
        };
        let mut wait = false;
        for dep in &node.requires {
            match state_of(dep) {
                DepState::Ready => {}
                DepState::Pending => wait = true,
                DepState::Missing => {
                    return Verdict::Fail(format!(
                        "requires {dep}, which has no (valid) definition"
                    ))
                }
                DepState::Failed | DepState::Inactive => {
                    return Verdict::Fail(format!("requires {dep}, which failed or stopped"))
                }
            }
        }
        for dep in node.ordered_after().filter(|d| !node.requires.contains(*d)) {
            if state_of(dep) == DepState::Pending {
                wait = true;
            }
        }
        if wait {
            Verdict::Wait
        } else {
            Verdict::Start
        }
    }
}

/// Tarjan's strongly-connected-components algorithm, iterative so a long chain cannot overflow the stack.
struct Tarjan<'g> {
    graph: &'g Graph,
    names: Vec<&'g String>,
    index_of: BTreeMap<&'g String, usize>,
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    next_index: usize,
    cycles: Vec<Vec<String>>,
}

impl<'g> Tarjan<'g> {
    fn new(graph: &'g Graph) -> Self {
        let names: Vec<&String> = graph.nodes.keys().collect();
        let index_of = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let count = names.len();
        Self {
            graph,
            names,
            index_of,
            index: vec![None; count],
            low: vec![0; count],
            on_stack: vec![false; count],
            stack: Vec::new(),
            next_index: 0,
            cycles: Vec::new(),
        }
    }

    fn successors(&self, v: usize) -> Vec<usize> {
        self.graph.nodes[self.names[v]]
            .ordered_after()
            .filter_map(|n| self.index_of.get(n).copied())
            .collect()
    }

    fn run(mut self) -> Vec<Vec<String>> {
        for root in 0..self.names.len() {
            if self.index[root].is_none() {
                self.visit(root);
            }
        }
        self.cycles.sort();
        self.cycles
    }

    fn visit(&mut self, root: usize) {
        // Each frame: the vertex and its successors still to look at.
        let mut frames: Vec<(usize, Vec<usize>)> = Vec::new();
        self.open(root);
        frames.push((root, self.successors(root)));
        while let Some((v, pending)) = frames.last_mut() {
            let v = *v;
            if let Some(w) = pending.pop() {
                match self.index[w] {
                    None => {
                        self.open(w);
                        let successors = self.successors(w);
                        frames.push((w, successors));
                    }
                    Some(w_index) if self.on_stack[w] => self.low[v] = self.low[v].min(w_index),
                    Some(_) => {}
                }
                continue;
            }
            frames.pop();
            if let Some((parent, _)) = frames.last() {
                self.low[*parent] = self.low[*parent].min(self.low[v]);
            }
            if Some(self.low[v]) == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    component.push(self.names[w].clone());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.cycles.push(component);
                }
            }
        }
    }

    fn open(&mut self, v: usize) {
        self.index[v] = Some(self.next_index);
        self.low[v] = self.next_index;
        self.next_index += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
    }
}

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
