//! The import graph of the aggregator's top-level modules (`crate::<module>` in every file of
//! `src/`, tests included) has no circle, the domain imports no other module, and the stores import
//! only the layers below them. Read as text, so it runs without building anything but this file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// What `store` may import besides itself: the pure layers below it.
const BELOW_STORE: [&str; 2] = ["domain", "visitor"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules named after each `crate::` of `line`, `crate::{a, b::c}` included.
/// Comment lines are passed over: a doc link is no import.
fn crate_uses(line: &str) -> Vec<String> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return Vec::new();
    }
    let mut names = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        // `usage_crate::x` or `my_crate::x` is not this crate.
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        let group = match rest.strip_prefix('{') {
            Some(inner) => top_level_items(inner),
            None => vec![rest],
        };
        for item in group {
            let name: String = item
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.push(name);
            }
        }
    }
    names
}

/// The items of a `{...}` group (its opening brace taken off), nested groups kept whole.
fn top_level_items(inner: &str) -> Vec<&str> {
    let (mut items, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(inner[start..].trim());
    items
}

/// Edges from each top-level module to the others it names.
fn import_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let module_of = |path: &Path| -> String {
        let first = path
            .strip_prefix(src)
            .expect("below src/")
            .components()
            .next()
            .expect("a file below src/");
        let name = first.as_os_str().to_string_lossy();
        name.strip_suffix(".rs").unwrap_or(&name).to_string()
    };
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(f))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for file in &files {
        let from = module_of(file);
        let Some(edges) = graph.get_mut(&from) else {
            continue; // lib.rs, main.rs: the roots, which import everything
        };
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for name in text.lines().flat_map(crate_uses) {
            if name != from && modules.contains(&name) {
                edges.insert(name);
            }
        }
    }
    graph
}

/// A circle of the graph, as the modules along it (the first again at the end), if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_top_level_modules_import_each_other_without_a_circle() {
    let graph = import_graph(&src());
    assert!(
        graph.len() > 10 && graph["http"].contains("store"),
        "the graph was not read: {graph:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "import circle between top-level modules: {}\n(graph: {graph:#?})",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_domain_imports_nothing_and_the_store_only_what_is_below_it() {
    let graph = import_graph(&src());
    assert_eq!(graph["domain"], BTreeSet::new(), "domain imports");
    let above: Vec<&String> = graph["store"]
        .iter()
        .filter(|m| !BELOW_STORE.contains(&m.as_str()))
        .collect();
    assert!(above.is_empty(), "store imports {above:?}");
}

#[test]
fn the_check_finds_a_circle_and_reads_every_form_of_use() {
    let graph: Graph = [
        ("http", vec!["store"]),
        ("store", vec!["report"]),
        ("report", vec!["domain", "store"]),
        ("domain", vec![]),
    ]
    .into_iter()
    .map(|(m, to)| (m.to_string(), to.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        find_cycle(&graph),
        // Reached from `http`: the circle as it is walked from there.
        Some(vec!["store".into(), "report".into(), "store".into()])
    );
    let mut acyclic = graph.clone();
    acyclic.get_mut("report").unwrap().remove("store");
    assert_eq!(find_cycle(&acyclic), None);
    assert_eq!(
        crate_uses("use crate::{domain::x, store::{A, B}};"),
        vec!["domain", "store"]
    );
    assert_eq!(
        crate_uses("    let x = crate::report::now() + crate::http::y();"),
        vec!["report", "http"]
    );
    assert!(crate_uses("/// [`crate::store::Store`]").is_empty());
    assert!(crate_uses("use usage_crate::store;").is_empty());
}
