//! One direction of imports: every module of `src/` names only its own stage and the stages
//! below it (`docs/architecture.md`, "Floors"). A path that climbs (`model` naming
//! `crate::emit`, `output` naming `crate::pipeline`) fails here with the file and line, test
//! modules included: a test that needs a higher stage lives on that stage's floor. Modules
//! that share a floor (`diag` and `output`, `cli` and `fuzzing`) do not name each other.

use std::path::{Path, PathBuf};

use regex::Regex;

/// Each top-level module and its floor; a module may name the floors below its own.
const FLOORS: [(&str, u8); 11] = [
    ("vocab", 0),
    ("diag", 1),
    ("output", 1),
    ("spec", 2),
    ("model", 3),
    ("emit", 4),
    ("pipeline", 5),
    ("live", 6),
    ("report", 7),
    ("cli", 8),
    ("fuzzing", 8),
];

fn floor(module: &str) -> Option<u8> {
    FLOORS.iter().find(|(m, _)| *m == module).map(|(_, f)| *f)
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

/// The top-level module a file belongs to and how deep below `src/` its module sits
/// (`src/model/validate/sli.rs` is `model`, depth 3), or `None` for the crate root.
fn module_of(relative: &Path) -> Option<(String, usize)> {
    let parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let top = parts[0].trim_end_matches(".rs").to_string();
    if top == "lib" || top == "main" {
        return None;
    }
    let last = parts.last().map(String::as_str);
    let depth = parts.len() - usize::from(last == Some("mod.rs"));
    Some((top, depth))
}

/// Every top-level module a file's text names: `crate::x`, `crate::{x, y::z}`, and `super::`
/// chains long enough to reach the crate root.
fn named_modules(text: &str, depth: usize) -> Vec<(usize, String)> {
    let paths = Regex::new(r"\bcrate::(\w+)|\bcrate::\{([^}]*)\}|\b((?:super::)+)(\w+)").unwrap();
    let heads = Regex::new(r"(?:^|,)\s*(\w+)").unwrap();
    let mut named = Vec::new();
    for found in paths.captures_iter(text) {
        let line = text[..found.get(0).unwrap().start()].matches('\n').count() + 1;
        if let Some(module) = found.get(1) {
            named.push((line, module.as_str().to_string()));
        } else if let Some(group) = found.get(2) {
            for head in heads.captures_iter(group.as_str()) {
                named.push((line, head[1].to_string()));
            }
        } else if found[3].matches("super::").count() >= depth {
            named.push((line, found[4].to_string()));
        }
    }
    named
}

#[test]
fn no_module_imports_a_stage_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut climbs = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let Some((top, depth)) = module_of(relative) else {
            continue;
        };
        let own = floor(&top).unwrap_or_else(|| panic!("src/{top}: give it a floor in FLOORS"));
        let text = std::fs::read_to_string(file).unwrap();
        for (line, named) in named_modules(&text, depth) {
            let upward = floor(&named).is_some_and(|f| f > own || (f == own && named != top));
            if upward {
                climbs.push(format!(
                    "src/{}:{line}: {top} names {named}",
                    relative.display()
                ));
            }
        }
    }
    assert!(
        climbs.is_empty(),
        "upward (or sideways) imports:\n{}",
        climbs.join("\n")
    );
}

#[test]
fn the_checker_sees_each_way_of_naming_a_module() {
    let text = "use crate::emit::x;\nuse crate::{model, pipeline::y};\nsuper::super::cli::z();\n";
    let named = named_modules(text, 2);
    assert_eq!(
        named,
        [
            (1, "emit".to_string()),
            (2, "model".to_string()),
            (2, "pipeline".to_string()),
            (3, "cli".to_string()),
        ]
    );
    assert!(named_modules("super::x", 2).is_empty());
    assert_eq!(
        module_of(Path::new("model/validate/sli.rs")),
        Some(("model".into(), 3))
    );
    assert_eq!(
        module_of(Path::new("model/mod.rs")),
        Some(("model".into(), 1))
    );
}
