//! Where a run's artifacts go: one interface, held in memory for comparisons (`check`, `diff`,
//! `compile --check`) or staged into the output and runbooks directories (`compile`).

use std::path::Path;
use std::sync::Mutex;

use super::{Error, Output, Stager, Written};

/// Who owns a file, and so how it may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// slocc owns the whole file (rules, dashboards): it goes to the output directory, replaces
    /// only a file slocc generated, and is removed when no longer produced.
    Generated,
    /// People own the file and slocc a marked region (runbooks): the content was already merged
    /// with the file on disk, goes to the runbooks directory, and is never removed.
    Region,
}

/// One file a run produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Artifact {
    /// Path relative to its directory.
    pub(crate) path: String,
    /// The whole content.
    pub(crate) content: String,
    /// Which directory and rules apply.
    pub(crate) owner: Owner,
}

/// Receives artifacts from any thread.
pub(crate) trait Sink: Sync {
    /// Takes one artifact.
    fn put(&self, artifact: Artifact) -> Result<(), Error>;
}

/// Artifacts kept in memory, by owner.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    generated: Mutex<Output>,
    regions: Mutex<Output>,
}

impl Memory {
    /// The generated files and the region-owned files (runbooks).
    pub(crate) fn into_outputs(self) -> (Output, Output) {
        let take = |m: Mutex<Output>| m.into_inner().unwrap_or_else(|e| e.into_inner());
        (take(self.generated), take(self.regions))
    }
}

impl Sink for Memory {
    fn put(&self, artifact: Artifact) -> Result<(), Error> {
        let target = match artifact.owner {
            Owner::Generated => &self.generated,
            Owner::Region => &self.regions,
        };
        // A panic elsewhere cannot leave the map half-updated: each insert is one operation.
        target
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(artifact.path, artifact.content);
        Ok(())
    }
}

/// Artifacts compared with the output directory as they arrive (`compile --check`): only what
/// differs is kept, so a fleet's outputs are never in memory all at once. Runbooks arrive only
/// when `compile` would create or refresh them, so each is kept as it would be written.
pub(crate) struct Compare {
    dir: std::path::PathBuf,
    state: Mutex<Compared>,
}

/// What a [`Compare`] found.
#[derive(Debug, Default)]
pub(crate) struct Compared {
    /// Every generated file the run produces.
    pub(crate) produced: std::collections::BTreeSet<String>,
    /// Generated files that differ from the directory's, or are missing from it.
    pub(crate) stale: Vec<super::Stale>,
    /// Runbooks `compile` would write, by path, with their content.
    pub(crate) runbooks: Vec<(String, String)>,
}

impl Compare {
    /// Compares with the output directory `dir`.
    pub(crate) fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            state: Mutex::default(),
        }
    }

    /// What differs; with `complete` (every service of the specs), generated files the
    /// directory's manifest lists that the run no longer produces too.
    pub(crate) fn finish(self, complete: bool) -> Result<Compared, Error> {
        let mut found = self
            .state
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Produced files by path, then the leftovers in the manifest's order.
        found.stale.sort_by(|a, b| a.path.cmp(&b.path));
        if complete {
            let leftovers = super::leftovers(&self.dir, |p| found.produced.contains(p))?;
            found.stale.extend(leftovers);
        }
        found.runbooks.sort();
        Ok(found)
    }
}

impl Sink for Compare {
    fn put(&self, artifact: Artifact) -> Result<(), Error> {
        let stale = match artifact.owner {
            Owner::Generated => super::stale_file(&self.dir, &artifact.path, &artifact.content)?,
            Owner::Region => None,
        };
        let mut found = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match artifact.owner {
            Owner::Generated => {
                found.stale.extend(stale);
                found.produced.insert(artifact.path);
            }
            Owner::Region => found.runbooks.push((artifact.path, artifact.content)),
        }
        Ok(())
    }
}

/// Passes artifacts on to another sink, noting the path of each generated file (what one
/// service wrote, for the fingerprint cache).
pub(crate) struct Recording<'s> {
    inner: &'s dyn Sink,
    paths: Mutex<Vec<String>>,
}

impl<'s> Recording<'s> {
    /// Records what goes into `inner`.
    pub(crate) fn new(inner: &'s dyn Sink) -> Self {
        Self {
            inner,
            paths: Mutex::default(),
        }
    }

    /// The generated files put.
    pub(crate) fn into_paths(self) -> Vec<String> {
        self.paths
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Sink for Recording<'_> {
    fn put(&self, artifact: Artifact) -> Result<(), Error> {
        if artifact.owner == Owner::Generated {
            self.paths
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(artifact.path.clone());
        }
        self.inner.put(artifact)
    }
}

/// Artifacts staged into the output directory and (when there is one) the runbooks directory,
/// appearing all at once at [`Disk::commit`], or not at all.
pub(crate) struct Disk {
    generated: Stager,
    regions: Option<Stager>,
}

impl Disk {
    /// Stages into `out` and `runbooks`. When `complete` (every service of the specs), files
    /// slocc generated earlier and no longer produces are removed at commit.
    pub(crate) fn new(out: &Path, runbooks: Option<&Path>, complete: bool) -> Result<Self, Error> {
        let generated = if complete {
            Stager::generated(out)?
        } else {
            Stager::generated_keeping(out)?
        };
        Ok(Self {
            generated,
            regions: runbooks.map(Stager::replacing).transpose()?,
        })
    }

    /// Keeps generated `files` (path and hash) as they are ([`Stager::keep`]).
    pub(crate) fn keep<'a>(&self, files: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> bool {
        self.generated.keep(files)
    }

    /// Moves everything into place: generated outputs first, then runbooks.
    pub(crate) fn commit(self) -> Result<Written, Error> {
        let written = self.generated.commit()?;
        if let Some(regions) = self.regions {
            regions.commit()?;
        }
        Ok(written)
    }
}

impl Sink for Disk {
    fn put(&self, artifact: Artifact) -> Result<(), Error> {
        match (artifact.owner, &self.regions) {
            (Owner::Generated, _) => self.generated.put(&artifact.path, &artifact.content),
            (Owner::Region, Some(regions)) => regions.put(&artifact.path, &artifact.content),
            (Owner::Region, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(path: &str, owner: Owner) -> Artifact {
        Artifact {
            path: path.into(),
            content: format!("# Generated by slocc\n{path}\n"),
            owner,
        }
    }

    #[test]
    fn memory_and_disk_receive_the_same_artifacts() {
        let dir = tempfile::tempdir().unwrap();
        let (out, runbooks) = (dir.path().join("out"), dir.path().join("runbooks"));
        let memory = Memory::default();
        let disk = Disk::new(&out, Some(&runbooks), true).unwrap();
        for sink in [&memory as &dyn Sink, &disk] {
            sink.put(artifact("a.rules.yml", Owner::Generated)).unwrap();
            sink.put(artifact("a/x.md", Owner::Region)).unwrap();
        }
        disk.commit().unwrap();
        let (generated, regions) = memory.into_outputs();
        for (relative, content) in generated.files() {
            assert_eq!(
                &std::fs::read_to_string(out.join(relative)).unwrap(),
                content
            );
        }
        for (relative, content) in regions.files() {
            assert_eq!(
                &std::fs::read_to_string(runbooks.join(relative)).unwrap(),
                content
            );
        }
    }
}
