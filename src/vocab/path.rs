//! How paths are named in messages and in generated files.

use std::path::Path;

/// A path as shown in diagnostics and messages: relative to the working directory when it is
/// inside it, `/`-separated, without `.` parts, so output never depends on how a path was
/// spelled; a path outside the working directory is shown whole, so two files of one name
/// stay apart.
pub(crate) fn display(path: &Path) -> String {
    let (relative, root) = if path.is_absolute() {
        match std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        {
            Some(inside) => (inside, ""),
            None => (path.to_path_buf(), "/"),
        }
    } else {
        (path.to_path_buf(), "")
    };
    let parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        if root.is_empty() {
            ".".into()
        } else {
            root.into()
        }
    } else {
        format!("{root}{}", parts.join("/"))
    }
}

/// A spec's name as generated files record it: [`display`]'s, but only the file name for a
/// file outside the working directory, so that no generated file holds an absolute path.
pub(crate) fn portable_name(shown: &str) -> String {
    match shown.strip_prefix('/') {
        Some(whole) => whole.rsplit('/').next().unwrap_or(whole).to_string(),
        None => shown.to_string(),
    }
}
