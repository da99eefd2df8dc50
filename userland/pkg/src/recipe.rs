//! Recipes: `package.toml`, the packager's description of one package.
//!
//! Parsing is two steps: serde reads the TOML into raw tables (so syntax errors and missing or
//! unknown fields come with the TOML position), then `validate` checks every value and turns
//! strings into versions and dependencies, naming the file and the field on error.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::check_relative_path;
use crate::owner_rules::{self, OwnerRule};
use crate::version::{valid_name, Dependency, Version};

/// What a package does with its users' data, as its packager declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Privacy {
    /// No telemetry, no tracking.
    None,
    /// Sends usage or crash data.
    Telemetry,
    /// Tracks its users.
    Tracking,
}

impl std::fmt::Display for Privacy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Privacy::None => "none",
            Privacy::Telemetry => "telemetry",
            Privacy::Tracking => "tracking",
        })
    }
}

/// A recipe as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipe {
    package: RawPackage,
    #[serde(default)]
    source: Vec<Source>,
    #[serde(default)]
    build: Build,
    #[serde(default)]
    install: InstallActions,
    /// Staged path patterns → `user[:group]` (see `owner_rules`).
    #[serde(default)]
    owners: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackage {
    name: String,
    version: String,
    #[serde(default)]
    epoch: u64,
    #[serde(default = "default_release")]
    release: String,
    summary: String,
    license: String,
    #[serde(default)]
    homepage: Option<String>,
    #[serde(default = "default_arch")]
    arch: String,
    privacy: Privacy,
    #[serde(default)]
    depends: Vec<String>,
    #[serde(default)]
    provides: Vec<String>,
    #[serde(default)]
    conflicts: Vec<String>,
    #[serde(default)]
    replaces: Vec<String>,
    #[serde(default)]
    optional: BTreeMap<String, String>,
    #[serde(default)]
    config: Vec<String>,
}

fn default_release() -> String {
    "1".to_owned()
}

fn default_arch() -> String {
    "x86_64".to_owned()
}

/// One source file (an archive to unpack, or a file such as a patch): where it is — an
/// `http(s)://` or `file://` URL, or a path inside the recipe's directory — and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub url: String,
    pub sha256: String,
}

/// How the package is built: `steps`, shell commands run in order in a clean build directory
/// holding the sources (see build.rs), or `staging`, a directory of prebuilt files (relative to
/// the recipe) that is packed as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    #[serde(default)]
    pub steps: Vec<String>,
    #[serde(default)]
    pub staging: Option<PathBuf>,
}

/// Declarative install actions: no scripts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallActions {
    #[serde(default, rename = "user")]
    pub users: Vec<User>,
    #[serde(default, rename = "directory")]
    pub directories: Vec<Directory>,
    #[serde(default, rename = "trigger")]
    pub triggers: Vec<Trigger>,
}

/// A system user (and its group of the same name) to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    #[serde(default)]
    pub uid: Option<u32>,
    #[serde(default)]
    pub home: Option<String>,
    #[serde(default)]
    pub shell: Option<String>,
}

/// A directory to create (empty, with this mode and owner) if it does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    pub path: String,
    #[serde(default = "default_dir_mode")]
    pub mode: u32,
    #[serde(default = "default_owner")]
    pub owner: String,
    #[serde(default = "default_owner")]
    pub group: String,
}

fn default_dir_mode() -> u32 {
    0o755
}

fn default_owner() -> String {
    "root".to_owned()
}

/// A named system action (`ldconfig`, `fc-cache`, …) to run once per transaction when files under
/// one of `paths` change. The actions themselves are defined by the system, not the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub action: String,
    pub paths: Vec<String>,
}

/// A validated recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipe {
    pub meta: Metadata,
    pub sources: Vec<Source>,
    pub build: Build,
    /// Who owns which staged paths (all others are `root:root`).
    pub owners: Vec<OwnerRule>,
}

/// What a package says about itself; this is what package headers and the index carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub name: String,
    /// The full version, `[epoch:]version-release`.
    pub version: String,
    pub summary: String,
    pub license: String,
    #[serde(default)]
    pub homepage: Option<String>,
    pub arch: String,
    pub privacy: Privacy,
    #[serde(default)]
    pub depends: Vec<String>,
    #[serde(default)]
    pub provides: Vec<String>,
    #[serde(default)]
    pub conflicts: Vec<String>,
    #[serde(default)]
    pub replaces: Vec<String>,
    /// Optional dependency → why one would want it.
    #[serde(default)]
    pub optional: BTreeMap<String, String>,
    /// Configuration files (kept when changed locally).
    #[serde(default)]
    pub config: Vec<String>,
    #[serde(default)]
    pub install: InstallActions,
}

/// A recipe that cannot be used: the file, the field and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error("{file}: cannot read: {error}")]
    Read {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("{file}: {error}")]
    Syntax {
        file: PathBuf,
        error: Box<toml::de::Error>,
    },
    #[error("{file}: field `{field}`: {problem}")]
    Field {
        file: PathBuf,
        field: String,
        problem: String,
    },
}

impl Metadata {
    /// The parsed full version (validated when the metadata was made).
    pub fn parsed_version(&self) -> Result<Version, crate::version::VersionError> {
        self.version.parse()
    }

    /// Checks every field as a recipe's would be; `field` errors name the field.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |field: &str, problem: String| Err((field.to_owned(), problem));
        if !valid_name(&self.name) {
            return bad(
                "package.name",
                format!("`{}` is not a valid package name", self.name),
            );
        }
        if let Err(error) = self.parsed_version() {
            return bad("package.version", format!("`{}`: {error}", self.version));
        }
        if self.summary.trim().is_empty() || self.summary.contains('\n') {
            return bad("package.summary", "must be one non-empty line".to_owned());
        }
        if self.license.trim().is_empty() {
            return bad("package.license", "must not be empty".to_owned());
        }
        if let Some(homepage) = &self.homepage {
            if !(homepage.starts_with("https://") || homepage.starts_with("http://")) {
                return bad(
                    "package.homepage",
                    format!("`{homepage}` is not an http(s) URL"),
                );
            }
        }
        if !matches!(self.arch.as_str(), "x86_64" | "any") {
            return bad(
                "package.arch",
                format!("`{}`: expected `x86_64` or `any`", self.arch),
            );
        }
        for (field, list) in [
            ("package.depends", &self.depends),
            ("package.provides", &self.provides),
            ("package.conflicts", &self.conflicts),
            ("package.replaces", &self.replaces),
        ] {
            for (index, text) in list.iter().enumerate() {
                if let Err(error) = text.parse::<Dependency>() {
                    return bad(&format!("{field}[{index}]"), error.to_string());
                }
            }
        }
        for (index, text) in self.provides.iter().enumerate() {
            if let Ok(dep) = text.parse::<Dependency>() {
                if dep.bounds.len() > 1
                    || dep
                        .bounds
                        .iter()
                        .any(|(op, _)| *op != crate::version::Op::Equal)
                {
                    return bad(
                        &format!("package.provides[{index}]"),
                        "a provide is `name` or `name = version`".into(),
                    );
                }
            }
        }
        for name in self.optional.keys() {
            if let Err(error) = name.parse::<Dependency>() {
                return bad(&format!("package.optional.{name}"), error.to_string());
            }
        }
        for (index, path) in self.config.iter().enumerate() {
            if let Err(problem) = check_relative_path(path) {
                return bad(&format!("package.config[{index}]"), problem);
            }
        }
        for (index, user) in self.install.users.iter().enumerate() {
            if !valid_name(&user.name) || user.name.len() > 32 {
                return bad(
                    &format!("install.user[{index}].name"),
                    format!("`{}` is not a valid user name", user.name),
                );
            }
            for (what, value) in [("home", &user.home), ("shell", &user.shell)] {
                if let Some(value) = value {
                    if !value.starts_with('/') || value.contains([':', '\n', '\0']) {
                        return bad(
                            &format!("install.user[{index}].{what}"),
                            format!("`{value}`: expected an absolute path without `:`"),
                        );
                    }
                }
            }
        }
        for (index, dir) in self.install.directories.iter().enumerate() {
            if let Err(problem) = check_relative_path(&dir.path) {
                return bad(&format!("install.directory[{index}].path"), problem);
            }
            if dir.mode > 0o7777 {
                return bad(
                    &format!("install.directory[{index}].mode"),
                    format!("{:o} is not a mode", dir.mode),
                );
            }
        }
        for (index, trigger) in self.install.triggers.iter().enumerate() {
            if !valid_name(&trigger.action) {
                return bad(
                    &format!("install.trigger[{index}].action"),
                    format!("`{}` is not an action name", trigger.action),
                );
            }
            if trigger.paths.is_empty() {
                return bad(
                    &format!("install.trigger[{index}].paths"),
                    "must name at least one path".into(),
                );
            }
            for path in &trigger.paths {
                if let Err(problem) = check_relative_path(path) {
                    return bad(&format!("install.trigger[{index}].paths"), problem);
                }
            }
        }
        Ok(())
    }
}

impl Recipe {
    /// Reads and validates `package.toml` at `file`.
    pub fn load(file: &Path) -> Result<Self, RecipeError> {
        let text = std::fs::read_to_string(file).map_err(|error| RecipeError::Read {
            file: file.to_owned(),
            error,
        })?;
        Self::parse(&text, file)
    }

    /// Parses recipe text; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Self, RecipeError> {
        let raw: RawRecipe = toml::from_str(text).map_err(|error| RecipeError::Syntax {
            file: file.to_owned(),
            error: Box::new(error),
        })?;
        let field = |field: &str, problem: String| RecipeError::Field {
            file: file.to_owned(),
            field: field.to_owned(),
            problem,
        };
        let package = raw.package;
        let version = Version::new(package.epoch, &package.version, Some(&package.release))
            .map_err(|error| {
                field(
                    "package.version",
                    format!("`{}-{}`: {error}", package.version, package.release),
                )
            })?;
        let meta = Metadata {
            name: package.name,
            version: version.to_string(),
            summary: package.summary,
            license: package.license,
            homepage: package.homepage,
            arch: package.arch,
            privacy: package.privacy,
            depends: package.depends,
            provides: package.provides,
            conflicts: package.conflicts,
            replaces: package.replaces,
            optional: package.optional,
            config: package.config,
            install: raw.install,
        };
        meta.validate()
            .map_err(|(name, problem)| field(&name, problem))?;
        for (index, source) in raw.source.iter().enumerate() {
            if !source.url.contains("://") {
                // A plain path names a file in the recipe's directory (source packages carry it).
                if let Err(problem) = check_relative_path(&source.url) {
                    return Err(field(
                        &format!("source[{index}].url"),
                        format!("{problem}: a path must stay inside the recipe's directory"),
                    ));
                }
            } else if !["https://", "http://", "file://"]
                .iter()
                .any(|scheme| source.url.starts_with(scheme))
            {
                return Err(field(
                    &format!("source[{index}].url"),
                    format!(
                        "`{}`: expected http(s)://, file:// or a path in the recipe's directory",
                        source.url
                    ),
                ));
            }
            if source.sha256.len() != 64 || !source.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(field(
                    &format!("source[{index}].sha256"),
                    "expected 64 hexadecimal digits".into(),
                ));
            }
        }
        if let Some(staging) = &raw.build.staging {
            if staging.is_absolute()
                || staging
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                return Err(field(
                    "build.staging",
                    "must be a directory inside the recipe's directory".into(),
                ));
            }
        }
        let owners =
            owner_rules::parse(&raw.owners).map_err(|(name, problem)| field(&name, problem))?;
        Ok(Self {
            meta,
            sources: raw.source,
            build: raw.build,
            owners,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
[package]
name = "hello"
version = "2.12"
epoch = 1
release = "3"
summary = "Prints a greeting"
license = "GPL-3.0-or-later"
homepage = "https://www.gnu.org/software/hello/"
privacy = "none"
depends = ["musl >= 1.2"]
provides = ["greeter = 1.0"]
conflicts = ["hello-legacy"]
replaces = ["hello-old < 2"]
config = ["etc/hello.conf"]

[package.optional]
"hello-doc" = "manual pages"

[[source]]
url = "https://ftp.gnu.org/gnu/hello/hello-2.12.tar.gz"
sha256 = "cf04af86dc085268c5f4470fbae49b18afbc221b78096aab842d934a76bad0ab"

[build]
steps = ["./configure --prefix=/usr", "make"]
staging = "root"

[[install.user]]
name = "hello"
home = "/var/lib/hello"

[[install.directory]]
path = "var/lib/hello"
mode = 0o750
owner = "hello"

[[install.trigger]]
action = "ldconfig"
paths = ["usr/lib"]

[owners]
"var/lib/hello/**" = "hello"
"#;

    fn parse(text: &str) -> Result<Recipe, RecipeError> {
        Recipe::parse(text, Path::new("demo/package.toml"))
    }

    #[test]
    fn reads_every_field() {
        let recipe = parse(FULL).unwrap();
        let meta = &recipe.meta;
        assert_eq!(meta.name, "hello");
        assert_eq!(meta.version, "1:2.12-3");
        assert_eq!(meta.privacy, Privacy::None);
        assert_eq!(meta.depends, ["musl >= 1.2"]);
        assert_eq!(
            meta.optional.get("hello-doc").map(String::as_str),
            Some("manual pages")
        );
        assert_eq!(recipe.sources.len(), 1);
        assert_eq!(recipe.build.staging.as_deref(), Some(Path::new("root")));
        assert_eq!(meta.install.users[0].name, "hello");
        assert_eq!(meta.install.directories[0].mode, 0o750);
        assert_eq!(meta.install.triggers[0].action, "ldconfig");
        assert_eq!(recipe.owners[0].owner, "hello");
        assert_eq!(recipe.owners[0].group, "hello");
    }

    fn field_error(text: &str) -> String {
        match parse(text) {
            Err(RecipeError::Field { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_file_and_field() {
        let bad_dep = FULL.replace("musl >= 1.2", "musl >> 1.2");
        assert_eq!(field_error(&bad_dep), "package.depends[0]");
        let message = parse(&bad_dep).unwrap_err().to_string();
        assert!(
            message.starts_with("demo/package.toml: field `package.depends[0]`"),
            "{message}"
        );
        assert_eq!(
            field_error(&FULL.replace("version = \"2.12\"", "version = \"two\"")),
            "package.version"
        );
        assert_eq!(
            field_error(&FULL.replace("cf04af86", "zz04af86")),
            "source[0].sha256"
        );
        assert_eq!(
            field_error(&FULL.replace("https://ftp.gnu.org/gnu/hello/", "../")),
            "source[0].url"
        );
        assert_eq!(
            field_error(&FULL.replace("https://ftp.gnu.org/gnu/hello/", "ftp://h/")),
            "source[0].url"
        );
        assert!(parse(&FULL.replace("https://ftp.gnu.org/gnu/hello/", "files/")).is_ok());
        assert_eq!(
            field_error(&FULL.replace("path = \"var/lib/hello\"", "path = \"../etc\"")),
            "install.directory[0].path"
        );
        assert_eq!(
            field_error(&FULL.replace("\"etc/hello.conf\"", "\"/etc/hello.conf\"")),
            "package.config[0]"
        );
        assert_eq!(
            field_error(&FULL.replace("greeter = 1.0", "greeter >= 1.0")),
            "package.provides[0]"
        );
        assert_eq!(
            field_error(&FULL.replace("/**\" = \"hello\"", "/**\" = \"hel:lo:x\"")),
            "owners.\"var/lib/hello/**\""
        );
        assert_eq!(
            field_error(&FULL.replace("home = \"/var/lib/hello\"", "home = \"a:b\"")),
            "install.user[0].home"
        );
    }

    #[test]
    fn syntax_and_schema_errors_name_the_file() {
        for text in [
            FULL.replace("privacy = \"none\"", "privacy = \"some\""),
            FULL.replace("summary = \"Prints a greeting\"\n", ""),
            FULL.replace("license =", "licence ="),
            "[package\n".to_owned(),
        ] {
            let error = parse(&text).unwrap_err();
            assert!(matches!(error, RecipeError::Syntax { .. }), "{error}");
            assert!(
                error.to_string().starts_with("demo/package.toml: "),
                "{error}"
            );
        }
    }
}
