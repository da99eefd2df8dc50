//! The definitions in a services directory: good files, templates, and the errors of bad ones.
#![forbid(unsafe_code)]

use crate::def::{valid_name, DefError, Definition, DefinitionFile};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default)]
pub struct Catalog {
    /// Plain services and templates by base name (`getty` for `getty@.toml`).
    files: BTreeMap<String, DefinitionFile>,
    /// Files that could not be read or parsed, by the service name their file name gives.
    pub errors: BTreeMap<String, DefError>,
}

impl Catalog {
    /// Reads every `*.toml` in `dir` (a missing directory is an empty catalog).
    pub fn load(dir: &Path) -> Self {
        let mut catalog = Self::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return catalog;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let key = path
                .file_stem()
                .and_then(|s| s.to_str())
                .map(|s| s.trim_end_matches('@').to_string())
                .unwrap_or_default();
            match DefinitionFile::read(&path) {
                Ok(file) => {
                    catalog.files.insert(key, file);
                }
                Err(error) => {
                    catalog.errors.insert(key, error);
                }
            }
        }
        catalog
    }

    /// The services started at boot: every plain service, and each template's `instances`; and the bad
    /// files, so that they are listed as failed with their error.
    pub fn boot_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.errors.keys().cloned().collect();
        for file in self.files.values() {
            if file.is_template() {
                names.extend(
                    file.boot_instances()
                        .iter()
                        .map(|i| format!("{}@{i}", file.base())),
                );
            } else {
                names.push(file.base().to_string());
            }
        }
        names
    }

    /// Whether a file (good or bad) exists for `name`'s service or template.
    pub fn knows(&self, name: &str) -> bool {
        let base = name.split_once('@').map_or(name, |(base, _)| base);
        self.files.contains_key(base) || self.errors.contains_key(base)
    }

    /// The definition of `name` (`NAME` or `TEMPLATE@INSTANCE`), or why there is none.
    pub fn resolve(&self, name: &str) -> Result<Definition, String> {
        if !valid_name(name) {
            return Err(format!("`{name}` is not a valid service name"));
        }
        let (base, instance) = match name.split_once('@') {
            Some((base, instance)) => (base, Some(instance)),
            None => (name, None),
        };
        if let Some(error) = self.errors.get(base) {
            return Err(error.to_string());
        }
        match self.files.get(base) {
            Some(file) if file.is_template() == instance.is_some() => {
                file.instantiate(instance).map_err(|e| e.to_string())
            }
            Some(file) if file.is_template() => Err(format!(
                "{base} is a template: name an instance ({base}@INSTANCE)"
            )),
            Some(_) => Err(format!(
                "{base} is not a template, so {name} does not exist"
            )),
            None => Err(format!("no service {name}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_names_resolution_and_errors() {
        let dir = tempfile::tempdir().expect("temp dir");
        let write =
            |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
        write("web.toml", "command = \"/bin/web\"\n");
        write(
            "getty@.toml",
            "command = \"/sbin/getty\"\nargs = [\"%i\"]\ninstances = [\"ttyS0\", \"ttyS1\"]\n",
        );
        write("broken.toml", "command = 1\n");
        write("notes.txt", "not a definition");
        let catalog = Catalog::load(dir.path());
        let mut boot = catalog.boot_names();
        boot.sort();
        assert_eq!(boot, ["broken", "getty@ttyS0", "getty@ttyS1", "web"]);
        assert!(catalog.knows("getty@tty9") && catalog.knows("broken") && !catalog.knows("nosuch"));
        assert_eq!(
            catalog.resolve("getty@tty9").expect("instance").args,
            ["tty9"]
        );
        assert!(catalog
            .resolve("getty")
            .expect_err("template")
            .contains("is a template"));
        assert!(catalog
            .resolve("web@x")
            .expect_err("not a template")
            .contains("not a template"));
        assert!(catalog
            .resolve("broken")
            .expect_err("broken")
            .contains("broken.toml:1"));
        assert_eq!(catalog.resolve("nosuch"), Err("no service nosuch".into()));
        assert!(catalog
            .resolve("a/b")
            .expect_err("bad name")
            .contains("not a valid service name"));
        assert!(Catalog::load(&dir.path().join("missing"))
            .boot_names()
            .is_empty());
    }
}
