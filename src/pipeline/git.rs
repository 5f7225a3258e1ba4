//! Spec files as they are at a git revision (`diff --base`, `backtest --base`).

use std::path::PathBuf;

use super::Error;
use crate::diag::Sources;

/// Reads the spec files under `paths` as they are at git revision `rev`, named as in the
/// working tree so that both sides' generated headers match.
pub(crate) fn sources_at_revision(rev: &str, paths: &[PathBuf]) -> Result<Sources, Error> {
    let git = |args: &[&str]| -> Result<String, Error> {
        let output = std::process::Command::new("git")
            .args(args)
            .output()
            .map_err(|e| Error::Git(format!("cannot run git: {e}")))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(Error::Git(
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            ))
        }
    };
    if rev.starts_with('-') {
        return Err(Error::Git(format!("`{rev}` is not a revision")));
    }
    git(&["rev-parse", "--git-dir"]).map_err(|_| {
        Error::Git(format!(
            "`--base {rev}` needs a git repository, and the working directory is not in one"
        ))
    })?;
    git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])
    .map_err(|_| Error::Git(format!("unknown git revision `{rev}`")))?;
    let mut args = vec!["ls-tree", "-r", "--name-only", rev, "--"];
    let shown: Vec<String> = paths
        .iter()
        .map(|p| crate::vocab::path::display(p))
        .collect();
    args.extend(shown.iter().map(String::as_str));
    let mut files: Vec<String> = git(&args)?
        .lines()
        .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
        .map(str::to_string)
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::NoSpecs(format!(
            "{} at revision `{rev}`",
            shown.join(", ")
        )));
    }
    let mut sources = Sources::default();
    for file in files {
        let text = git(&["show", &format!("{rev}:./{file}")])?;
        sources.add(file, text);
    }
    Ok(sources)
}
