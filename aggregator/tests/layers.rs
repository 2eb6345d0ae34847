//! The import graph of the aggregator's modules has no circle: neither between the top-level modules
//! nor between the modules inside any folder (`http/{ingest,openapi}`, `store/mysql/{stats,summary}`),
//! the domain imports no other module, and the stores import only the layers below them. Each
//! stats report has its one home (its pure part in `domain/report/`, its read in `report/`), below
//! the routes. Every
//! `crate::`, `super::` and `self::` path of `src/` (tests included) counts; read as text, so it
//! runs without building anything but this file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;
/// A module's path below the crate root: `["store", "mysql", "stats"]`; the root is empty.
type ModPath = Vec<String>;

/// What `store` may import besides itself: the pure layers below it.
const BELOW_STORE: [&str; 2] = ["domain", "visitor"];

/// The stats reports: each has its answer, pure fold and CSV table in `domain/report/<name>.rs`
/// and its read (what the route, its CSV, the MCP tool and the CLI answer) in `report/<name>.rs`.
const REPORTS: [&str; 12] = [
    "daily",
    "hourly",
    "time",
    "sessions",
    "features",
    "feature_data",
    "programs",
    "errors",
    "clients",
    "now",
    "journey",
    "funnel",
];

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

/// The module a file below `src/` holds: `a/b.rs` and `a/b/mod.rs` are `a::b`, `lib.rs` and
/// `main.rs` the root.
fn module_of(src: &Path, file: &Path) -> ModPath {
    let mut parts: ModPath = file
        .strip_prefix(src)
        .expect("below src/")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.strip_suffix(".rs").unwrap_or(&last);
    if !(stem == "mod" || (parts.is_empty() && (stem == "lib" || stem == "main"))) {
        parts.push(stem.to_string());
    }
    parts
}

/// The paths a `crate::`, `super::` or `self::` of `line` names, resolved from module `here`
/// (`crate::{a, b::{c, d}}` gives `a`, `b::c` and `b::d`). Comment lines are passed over: a doc link
/// is no import.
fn paths_used(line: &str, here: &[String]) -> Vec<ModPath> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return Vec::new();
    }
    let mut paths = Vec::new();
    for prefix in ["crate::", "super::", "self::"] {
        for (at, _) in code.match_indices(prefix) {
            // `usage_crate::x`, `$crate::x` and the second `super` of `super::super::x` start no path.
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':' || c == '$') {
                continue;
            }
            let mut base: ModPath = match prefix {
                "crate::" => Vec::new(),
                _ => here.to_vec(),
            };
            let mut rest = &code[at + prefix.len()..];
            if prefix == "super::" {
                base.pop();
                while let Some(more) = rest.strip_prefix("super::") {
                    base.pop();
                    rest = more;
                }
            }
            for tail in expand(rest) {
                let mut path = base.clone();
                path.extend(tail);
                paths.push(path);
            }
        }
    }
    paths
}

/// The paths a use tree names: `a::b::C` is one, `{a, b::{c, d}}` three.
fn expand(rest: &str) -> Vec<ModPath> {
    if let Some(inner) = rest.strip_prefix('{') {
        return top_level_items(inner)
            .into_iter()
            .flat_map(expand)
            .collect();
    }
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() || name == "self" {
        return vec![Vec::new()];
    }
    match rest[name.len()..].strip_prefix("::") {
        Some(more) => expand(more)
            .into_iter()
            .map(|tail| std::iter::once(name.clone()).chain(tail).collect())
            .collect(),
        None => vec![vec![name]],
    }
}

/// The items of a `{...}` group (its opening brace taken off), nested groups kept whole.
fn top_level_items(inner: &str) -> Vec<&str> {
    let (mut items, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(inner[start..i].trim());
                return items;
            }
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

/// The module each line of a file is in: the file's, or an inline `mod x { ... }` of it (whose
/// `super` is the file's module). Relies on rustfmt's layout: an inline module closes with a `}` at
/// the indentation of its `mod` line.
fn line_modules(file_module: &[String], text: &str) -> Vec<(ModPath, String)> {
    let mut inline: Vec<(usize, String)> = Vec::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.trim_start();
        let indent = line.len() - code.len();
        if code.starts_with('}') && inline.last().is_some_and(|(at, _)| *at == indent) {
            inline.pop();
        }
        let mut here = file_module.to_vec();
        here.extend(inline.iter().map(|(_, name)| name.clone()));
        out.push((here, line.to_string()));
        let decl = code.strip_prefix("pub ").unwrap_or(code);
        if let Some(name) = decl.strip_prefix("mod ").and_then(|d| d.strip_suffix(" {")) {
            inline.push((indent, name.to_string()));
        }
    }
    out
}

/// For each folder (a module with modules inside), the edges between the modules directly inside
/// it: `a -> b` when code in `a` (or below it) names something in `b` (or below it). The root's
/// graph is the one between the top-level modules.
fn folder_graphs(src: &Path) -> BTreeMap<ModPath, Graph> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graphs: BTreeMap<ModPath, Graph> = BTreeMap::new();
    for file in &files {
        let module = module_of(src, file);
        for depth in 0..module.len() {
            graphs
                .entry(module[..depth].to_vec())
                .or_default()
                .entry(module[depth].clone())
                .or_default();
        }
    }
    for file in &files {
        let module = module_of(src, file);
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (here, line) in line_modules(&module, &text) {
            for used in paths_used(&line, &here) {
                // The folder holding both: the longest path they share.
                let shared = module.iter().zip(&used).take_while(|(a, b)| a == b).count();
                let (Some(from), Some(to)) = (module.get(shared), used.get(shared)) else {
                    continue; // a module naming itself, its folder or a module inside it
                };
                let Some(graph) = graphs.get_mut(&module[..shared]) else {
                    continue;
                };
                if graph.contains_key(to) {
                    graph
                        .get_mut(from)
                        .expect("a module of the folder")
                        .insert(to.clone());
                } // else an item of the folder's own file, not a module
            }
        }
    }
    graphs
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

fn top_level(graphs: &BTreeMap<ModPath, Graph>) -> &Graph {
    &graphs[&Vec::new()]
}

#[test]
fn the_top_level_modules_import_each_other_without_a_circle() {
    let graphs = folder_graphs(&src());
    let graph = top_level(&graphs);
    assert!(
        graph.len() > 10 && graph["http"].contains("store"),
        "the graph was not read: {graph:?}"
    );
    if let Some(cycle) = find_cycle(graph) {
        panic!(
            "import circle between top-level modules: {}\n(graph: {graph:#?})",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_modules_inside_each_folder_import_each_other_without_a_circle() {
    let graphs = folder_graphs(&src());
    let http = &graphs[&vec!["http".to_string()]];
    assert!(
        graphs.len() > 5 && http["openapi"].contains("stats"),
        "the graphs were not read: {graphs:?}"
    );
    let circles: Vec<String> = graphs
        .iter()
        .filter(|(folder, _)| !folder.is_empty())
        .filter_map(|(folder, graph)| {
            let cycle = find_cycle(graph)?;
            Some(format!("{}/{{{}}}", folder.join("/"), cycle.join(" -> ")))
        })
        .collect();
    assert!(
        circles.is_empty(),
        "import circles inside folders (move the shared item to the module that owns it):\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_domain_imports_nothing_and_the_store_only_what_is_below_it() {
    let graphs = folder_graphs(&src());
    let graph = top_level(&graphs);
    assert_eq!(graph["domain"], BTreeSet::new(), "domain imports");
    let above: Vec<&String> = graph["store"]
        .iter()
        .filter(|m| !BELOW_STORE.contains(&m.as_str()))
        .collect();
    assert!(above.is_empty(), "store imports {above:?}");
}

#[test]
fn each_report_has_one_home_below_the_routes() {
    let graphs = folder_graphs(&src());
    let graph = top_level(&graphs);
    for upper in ["http", "mcp"] {
        assert!(
            !graph["report"].contains(upper),
            "report imports {upper}: a report's read must not depend on the route that serves it"
        );
    }
    // The routes: `http/stats/reports/` (`activity.rs`, `ranked.rs`), and a report's own file there
    // (`time.rs`, `journey.rs`).
    let mut files = Vec::new();
    rust_files(&src().join("http/stats"), &mut files);
    let routes: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("a route file"))
        .collect();
    for name in REPORTS {
        for home in [
            format!("domain/report/{name}.rs"),
            format!("report/{name}.rs"),
        ] {
            assert!(src().join(&home).is_file(), "{name}: no {home}");
        }
        assert!(
            routes.contains(&format!("report::{name}::read(")),
            "the route of {name} does not answer report::{name}::read"
        );
    }
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

    let p = |s: &str| -> ModPath { s.split("::").map(String::from).collect() };
    let here = p("store::mysql::stats");
    assert_eq!(
        paths_used("use crate::{domain::x, store::{A, b::C}};", &here),
        vec![p("domain::x"), p("store::A"), p("store::b::C")]
    );
    assert_eq!(
        paths_used(
            "    let x = crate::report::now() + super::summary::y();",
            &here
        ),
        vec![p("report::now"), p("store::mysql::summary::y")]
    );
    assert_eq!(
        paths_used("use super::super::{sql, self};", &here),
        vec![p("store::sql"), p("store")]
    );
    assert_eq!(
        paths_used("use self::inner::X;", &here),
        vec![p("store::mysql::stats::inner::X")]
    );
    assert!(paths_used("/// [`crate::store::Store`]", &here).is_empty());
    assert!(paths_used("use usage_crate::store; $crate::x", &here).is_empty());

    let lines = line_modules(
        &p("a::b"),
        "use super::c;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\nfn f() {}\n",
    );
    let modules: Vec<String> = lines.iter().map(|(m, _)| m.join("::")).collect();
    assert_eq!(
        modules,
        ["a::b", "a::b", "a::b", "a::b::tests", "a::b", "a::b"]
    );
    assert_eq!(module_of(Path::new("s"), Path::new("s/x/mod.rs")), p("x"));
    assert_eq!(module_of(Path::new("s"), Path::new("s/x/y.rs")), p("x::y"));
    assert!(module_of(Path::new("s"), Path::new("s/lib.rs")).is_empty());
}
