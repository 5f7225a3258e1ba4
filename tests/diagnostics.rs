//! Diagnostics as data: the code table in `src/diag/mod.rs` is the list of situations; each
//! code is built by exactly one constructor in a stage's `diags.rs`, nothing else builds a
//! diagnostic, and `docs/diagnostics.md` documents every code under its severity and no other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The code table: variant -> (printed code, severity).
fn table() -> BTreeMap<String, (String, String)> {
    let text = read(&root().join("src/diag/mod.rs"));
    let row = Regex::new(r#"(?m)^\s+(\w+) => "([a-z0-9-]+)", (Error|Warning), ""#).unwrap();
    let found: BTreeMap<_, _> = row
        .captures_iter(&text)
        .map(|c| (c[1].to_string(), (c[2].to_string(), c[3].to_string())))
        .collect();
    assert!(found.len() > 40, "the code table was not found: {found:?}");
    found
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

fn sources() -> Vec<(String, String)> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .iter()
        .map(|f| {
            let name = f
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (name, read(f))
        })
        .collect()
}

/// The part of a file that ships: everything before its first `#[cfg(test)]`, nothing of a
/// file of tests.
fn shipped(name: &str, text: &str) -> String {
    if name.ends_with("/tests.rs") {
        return String::new();
    }
    text.split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Each constructor of a `diags.rs` and the codes its body names.
fn constructors(name: &str, text: &str) -> Vec<(String, Vec<String>)> {
    let start = Regex::new(r"(?m)^pub\(crate\) fn (\w+)").unwrap();
    let code = Regex::new(r"Code::(\w+)").unwrap();
    let text = shipped(name, text);
    let starts: Vec<(usize, String)> = start
        .captures_iter(&text)
        .map(|c| (c.get(0).unwrap().start(), c[1].to_string()))
        .collect();
    let mut out = Vec::new();
    for (i, (at, fname)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |(next, _)| *next);
        let codes = code
            .captures_iter(&text[*at..end])
            .map(|c| c[1].to_string())
            .collect();
        out.push((format!("{name}: {fname}"), codes));
    }
    out
}

#[test]
fn each_code_is_built_by_exactly_one_constructor() {
    let table = table();
    let mut built: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, text) in sources() {
        if !name.ends_with("/diags.rs") {
            continue;
        }
        for (constructor, codes) in constructors(&name, &text) {
            assert!(
                codes.len() <= 1,
                "{constructor} builds {codes:?}: one constructor, one code"
            );
            for code in codes {
                built.entry(code).or_default().push(constructor.clone());
            }
        }
    }
    for variant in table.keys() {
        match built.get(variant).map(Vec::as_slice) {
            Some([_]) => {}
            Some(many) => panic!("Code::{variant} is built by {many:?}: one code, one constructor"),
            None => panic!("Code::{variant} is in the table but no constructor builds it"),
        }
    }
    for variant in built.keys() {
        assert!(
            table.contains_key(variant),
            "Code::{variant} is not in the table"
        );
    }
}

#[test]
fn nothing_but_the_constructors_builds_a_diagnostic() {
    let builds = Regex::new(r"Diagnostic::new\(|\bCode::\w+").unwrap();
    let mut strays = Vec::new();
    for (name, text) in sources() {
        if name.ends_with("/diags.rs") || name.starts_with("src/diag/") {
            continue;
        }
        let text = shipped(&name, &text);
        for found in builds.find_iter(&text) {
            let line = text[..found.start()].matches('\n').count() + 1;
            strays.push(format!("{name}:{line}: {}", found.as_str()));
        }
    }
    assert!(
        strays.is_empty(),
        "diagnostics built outside a stage's diags.rs:\n{}",
        strays.join("\n")
    );
}

#[test]
fn every_code_is_documented_under_its_severity_and_nothing_else_is() {
    let docs = read(&root().join("docs/diagnostics.md"));
    let errors_at = docs.find("\n## Errors\n").expect("an Errors section");
    let warnings_at = docs.find("\n## Warnings\n").expect("a Warnings section");
    let heading = Regex::new(r"(?m)^### `([a-z0-9-]+)`$").unwrap();
    let mut documented = BTreeMap::new();
    for found in heading.captures_iter(&docs) {
        let at = found.get(0).unwrap().start();
        let section = if at > warnings_at {
            "Warning"
        } else if at > errors_at {
            "Error"
        } else {
            "neither"
        };
        let previous = documented.insert(found[1].to_string(), section);
        assert!(previous.is_none(), "`{}` is documented twice", &found[1]);
    }
    let table = table();
    for (code, severity) in table.values() {
        assert_eq!(
            documented.remove(code.as_str()),
            Some(severity.as_str()),
            "`{code}` ({severity}) needs its section under ## {severity}s in docs/diagnostics.md"
        );
    }
    assert!(
        documented.is_empty(),
        "docs/diagnostics.md documents codes that do not exist: {documented:?}"
    );
}
