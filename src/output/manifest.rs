//! The output directory's record of what slocc wrote: `.slocc-manifest`, one line per file in
//! the format of `sha256sum` (`HASH  PATH`). slocc replaces or removes a file only when the
//! manifest lists it and its content still has the listed hash: a file slocc did not write is
//! never touched, whatever its first line says, and a generated file someone edited is
//! reported instead of being overwritten. Reading ownership costs one small file plus the
//! outputs themselves, never a walk of everything under the directory.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{contained, read_record, Error};

/// The manifest's file name inside the output directory.
pub(crate) const FILE: &str = ".slocc-manifest";

/// Paths relative to the output directory, each with the SHA-256 of what slocc wrote there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    files: BTreeMap<String, String>,
    /// The text it was read from, when the directory had a manifest (a directory written by
    /// slocc before manifests existed has none).
    text: Option<String>,
}

/// What the manifest says about a file on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// slocc wrote it and nobody changed it since.
    Owned,
    /// slocc wrote it, and it has been edited since.
    Edited,
    /// slocc did not write it (or there is no manifest to say so).
    Unlisted,
}

impl Manifest {
    /// Reads `dir`'s manifest; an absent one is an empty manifest. Lines that are not
    /// `HASH  PATH` are ignored: they prove nothing, so they own nothing. A well-formed line
    /// whose path is not a plain path inside `dir` (absolute, `..`, through a symbolic link,
    /// slocc's own bookkeeping) is an error naming the line: the manifest can arrive in a pull
    /// request, and what it lists is what slocc may replace or delete.
    pub(crate) fn read(dir: &Path) -> Result<Self, Error> {
        let at = dir.join(FILE);
        let Some(text) = read_record(&at)? else {
            return Ok(Self::default());
        };
        let mut files = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let Some((hash, path)) = line.split_once("  ") else {
                continue;
            };
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            contained(dir, path).map_err(|refused| refused.error(&at, i + 1, path))?;
            files.insert(path.to_string(), hash.to_ascii_lowercase());
        }
        Ok(Self {
            files,
            text: Some(text),
        })
    }

    /// Whether the directory had a manifest.
    pub(crate) fn present(&self) -> bool {
        self.text.is_some()
    }

    /// Whether the manifest was read from exactly `text`.
    pub(crate) fn read_from(&self, text: &str) -> bool {
        self.text.as_deref() == Some(text)
    }

    /// What the manifest says of `relative`, whose content on disk is `on_disk`.
    pub(crate) fn claim(&self, relative: &str, on_disk: &[u8]) -> Claim {
        match self.files.get(relative) {
            None => Claim::Unlisted,
            Some(hash) if *hash == hash_of(on_disk) => Claim::Owned,
            Some(_) => Claim::Edited,
        }
    }

    /// Whether `relative` is listed.
    pub(crate) fn contains(&self, relative: &str) -> bool {
        self.files.contains_key(relative)
    }

    /// The hash listed for `relative`.
    pub(crate) fn hash(&self, relative: &str) -> Option<&String> {
        self.files.get(relative)
    }

    /// Every listed path, sorted.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Lists `relative` with the hash of `content`.
    pub(crate) fn insert(&mut self, relative: &str, content: &[u8]) {
        self.files.insert(relative.to_string(), hash_of(content));
    }

    /// Lists `relative` with `hash`, as another manifest listed it.
    pub(crate) fn insert_hash(&mut self, relative: &str, hash: &str) {
        self.files.insert(relative.to_string(), hash.to_string());
    }

    /// The manifest's text: sorted, so the same outputs give the same bytes.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        for (path, hash) in &self.files {
            out.push_str(hash);
            out.push_str("  ");
            out.push_str(path);
            out.push('\n');
        }
        out
    }
}

/// SHA-256 of `content`, as lowercase hex.
fn hash_of(content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_follow_the_hash_not_the_first_line() {
        let mut manifest = Manifest::default();
        manifest.insert("a.rules.yml", b"# Generated by slocc\nx\n");
        assert_eq!(
            manifest.claim("a.rules.yml", b"# Generated by slocc\nx\n"),
            Claim::Owned
        );
        assert_eq!(
            manifest.claim("a.rules.yml", b"# Generated by slocc\ny\n"),
            Claim::Edited
        );
        assert_eq!(
            manifest.claim("b.rules.yml", b"# Generated by slocc\nx\n"),
            Claim::Unlisted
        );
    }

    #[test]
    fn the_manifest_reads_back_what_it_wrote_and_ignores_junk() {
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = Manifest::default();
        manifest.insert("dashboards/x.json", b"{}");
        manifest.insert("a.rules.yml", b"groups: []\n");
        let text = manifest.render() + "not a line\nabc  short-hash\n";
        std::fs::write(dir.path().join(FILE), &text).unwrap();
        let read = Manifest::read(dir.path()).unwrap();
        assert!(read.present());
        assert_eq!(
            read.paths().collect::<Vec<_>>(),
            ["a.rules.yml", "dashboards/x.json"]
        );
        assert_eq!(read.render(), manifest.render());
        assert!(!Manifest::read(&dir.path().join("none")).unwrap().present());
        assert_eq!(
            hash_of(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
