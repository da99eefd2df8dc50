//! `<root>/etc/basalt/pkg/repos.toml`: the repositories a root installs from.
//!
//! ```toml
//! [[repo]]
//! name = "main"                                   # [a-z0-9][a-z0-9._-]*
//! urls = ["https://mirror.example/basalt",        # mirrors, tried in order
//!         "file:///srv/basalt"]                   # file://, http://, https:// or a path
//! priority = 10                                   # higher wins; default 0
//! ca = "ca/main.pem"                              # optional: trust only this CA for https
//! ```
//!
//! A URL names the directory that holds `index.bpi` and the package files. A relative `ca`
//! path is relative to `<root>/etc/basalt/pkg/`. A missing file means no repositories. Syntax
//! errors, unknown keys and bad values are errors naming the file and the line.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use toml::Spanned;

use crate::download::{locate, Location};

/// The path of the repository list in `root`.
pub fn path(root: &Path) -> PathBuf {
    root.join("etc/basalt/pkg/repos.toml")
}

/// One configured repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    pub name: String,
    /// Mirror base URLs, in the order to try them.
    pub urls: Vec<String>,
    pub priority: i32,
    /// A CA certificate file (PEM) that https mirrors must chain to, instead of the usual roots.
    pub ca: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    repo: Vec<RawRepo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRepo {
    name: Spanned<String>,
    urls: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    priority: i32,
    #[serde(default)]
    ca: Option<Spanned<String>>,
}

/// Whether `name` can name a repository (it becomes a file name).
fn valid_repo_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        && name.len() <= 64
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Reads `root`'s repository list; a missing file gives none.
pub fn load(root: &Path) -> Result<Vec<Repo>> {
    let file = path(root);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", file.display())),
    };
    parse(&text, &root.join("etc/basalt/pkg")).with_context(|| format!("{}", file.display()))
}

/// Parses the text of a repository list; relative `ca` paths are taken from `base`.
pub fn parse(text: &str, base: &Path) -> Result<Vec<Repo>> {
    // toml's own errors already say "at line L, column C".
    let raw: RawFile = toml::from_str(text)?;
    let mut repos: Vec<Repo> = Vec::new();
    for entry in raw.repo {
        let at = |span: std::ops::Range<usize>| format!("line {}", line_of(text, span.start));
        let name = entry.name.get_ref();
        if !valid_repo_name(name) {
            bail!(
                "{}: repository name `{name}` must be lowercase letters, digits, `.`, `_` or `-`",
                at(entry.name.span())
            );
        }
        if repos.iter().any(|repo| repo.name == *name) {
            bail!(
                "{}: repository `{name}` is listed twice",
                at(entry.name.span())
            );
        }
        if entry.urls.get_ref().is_empty() {
            bail!("{}: repository `{name}` has no urls", at(entry.urls.span()));
        }
        let mut urls = Vec::new();
        for url in entry.urls.get_ref() {
            locate(url.get_ref())
                .map_err(|error| anyhow::anyhow!("{}: {error}", at(url.span())))?;
            urls.push(url.get_ref().trim_end_matches('/').to_owned());
        }
        let ca = match &entry.ca {
            None => None,
            Some(ca) if ca.get_ref().is_empty() => {
                bail!("{}: `ca` is an empty path", at(ca.span()))
            }
            Some(ca) => {
                if !urls.iter().any(
                    |url| matches!(locate(url), Ok(Location::Http(u)) if u.starts_with("https://")),
                ) {
                    bail!(
                        "{}: repository `{name}` has a `ca` but no https:// url",
                        at(ca.span())
                    );
                }
                Some(base.join(ca.get_ref()))
            }
        };
        repos.push(Repo {
            name: name.clone(),
            urls,
            priority: entry.priority,
            ca,
        });
    }
    Ok(repos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Vec<Repo>> {
        parse(text, Path::new("/r/etc/basalt/pkg"))
    }

    #[test]
    fn repositories_are_read_in_order_with_defaults() {
        let repos = parse_str(
            "[[repo]]\nname = \"main\"\nurls = [\"https://m1/b/\", \"file:///srv/b\"]\npriority = 10\nca = \"ca.pem\"\n\
             [[repo]]\nname = \"extra\"\nurls = [\"/srv/extra\"]\n",
        )
        .unwrap();
        assert_eq!(repos.len(), 2);
        assert_eq!(repos[0].urls, ["https://m1/b", "file:///srv/b"]);
        assert_eq!(repos[0].priority, 10);
        assert_eq!(
            repos[0].ca.as_deref(),
            Some(Path::new("/r/etc/basalt/pkg/ca.pem"))
        );
        assert_eq!(repos[1].priority, 0);
        assert_eq!(repos[1].ca, None);
        assert!(parse_str("").unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("[[repo]]\nname = \"a\"\nurls = [\"/x\"]\nmirror = 1\n", "line 4"),
            ("[[repo]]\nname = \"a\"\n\nurls = [\"/x\", \"ftp://h/x\"]\n", "line 4"),
            ("[[repo]]\nname = \"A b\"\nurls = [\"/x\"]\n", "line 2"),
            ("[[repo]]\nname = \"a\"\nurls = []\n", "line 3"),
            ("[[repo]]\nname = \"a\"\nurls = [\"/x\"]\npriority = \"high\"\n", "line 4"),
            (
                "[[repo]]\nname = \"a\"\nurls = [\"/x\"]\n[[repo]]\nname = \"a\"\nurls = [\"/y\"]\n",
                "line 5",
            ),
            ("[[repo]]\nname = \"a\"\nurls = [\"http://x\"]\nca = \"c.pem\"\n", "line 4"),
            ("[[repo]]\nurls = [\"/x\"]\n", "name"),
        ];
        for (text, expected) in cases {
            let error = format!("{:#}", parse_str(text).unwrap_err());
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }
}
