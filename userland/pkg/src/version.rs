//! Package versions `[epoch:]upstream[-release]` and their ordering.
//!
//! The grammar is Debian's (policy 5.6.12): the epoch is an unsigned number before the first
//! `:`; the release (Debian's revision) is what follows the *last* `-`, so the upstream part may
//! contain `-` only when there is a release; upstream starts with a digit and holds letters,
//! digits and `. + ~ -`; the release holds letters, digits and `. + ~`; neither may be empty, and
//! no `:` may follow the epoch's.
//!
//! The ordering follows Debian's (dpkg's `verrevcmp`): the epoch is compared as a number, then the
//! upstream version and then the release are compared piecewise, alternating between runs of
//! non-digits (letters sort before other characters, `~` sorts before anything, even the end)
//! and runs of digits (compared as numbers, so `1.10 > 1.9`).
#![forbid(unsafe_code)]

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A parsed version. `release` is `None` only in constraints that do not name one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    pub epoch: u64,
    pub upstream: String,
    pub release: Option<String>,
}

/// Why a version string is not a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("empty version")]
    Empty,
    #[error("epoch `{0}` is not a number")]
    BadEpoch(String),
    #[error("upstream version must start with a digit: `{0}`")]
    NoLeadingDigit(String),
    #[error("character `{0}` is not allowed in a version (upstream: letters, digits, . + ~ -; release: letters, digits, . + ~)")]
    BadChar(char),
    #[error("upstream version `{0}` contains `-` but there is no release")]
    HyphenWithoutRelease(String),
}

impl Version {
    /// A version from its parts, validated as `parse` would.
    pub fn new(epoch: u64, upstream: &str, release: Option<&str>) -> Result<Self, VersionError> {
        check_part(upstream, true)?;
        match release {
            Some(release) => check_part(release, false)?,
            // Printed, `1-2` would read back as upstream `1`, release `2`.
            None if upstream.contains('-') => {
                return Err(VersionError::HyphenWithoutRelease(upstream.to_owned()))
            }
            None => {}
        }
        Ok(Self {
            epoch,
            upstream: upstream.to_owned(),
            release: release.map(str::to_owned),
        })
    }

    /// Whether `self` (a package's full version) satisfies `wanted` compared with `op`. A
    /// wanted version without a release matches every release of its upstream version.
    pub fn satisfies(&self, op: Op, wanted: &Version) -> bool {
        let order = if wanted.release.is_none() {
            self.epoch
                .cmp(&wanted.epoch)
                .then_with(|| compare_part(&self.upstream, &wanted.upstream))
        } else {
            self.cmp(wanted)
        };
        op.accepts(order)
    }
}

fn check_part(part: &str, upstream: bool) -> Result<(), VersionError> {
    if part.is_empty() {
        return Err(VersionError::Empty);
    }
    if upstream && !part.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(VersionError::NoLeadingDigit(part.to_owned()));
    }
    // `-` can only reach an upstream part: the release is split off at the last one.
    match part.chars().find(|&c| {
        !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~') || (upstream && c == '-'))
    }) {
        Some(bad) => Err(VersionError::BadChar(bad)),
        None => Ok(()),
    }
}

/// A version's parts, borrowed from its text: what parsing checks before anything is copied.
struct Parts<'a> {
    epoch: u64,
    upstream: &'a str,
    release: Option<&'a str>,
}

impl<'a> Parts<'a> {
    fn parse(text: &'a str) -> Result<Self, VersionError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(VersionError::Empty);
        }
        let (epoch, rest) = match text.split_once(':') {
            // Digits only: `u64::from_str` would also take `+1`.
            Some((epoch, rest))
                if !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (
                    epoch
                        .parse::<u64>()
                        .map_err(|_| VersionError::BadEpoch(epoch.to_owned()))?,
                    rest,
                )
            }
            Some((epoch, _)) => return Err(VersionError::BadEpoch(epoch.to_owned())),
            None => (0, text),
        };
        // The release is after the last hyphen; earlier ones belong to the upstream version
        // (so an upstream version has a `-` only when there is a release).
        let (upstream, release) = match rest.rsplit_once('-') {
            Some((upstream, release)) => (upstream, Some(release)),
            None => (rest, None),
        };
        check_part(upstream, true)?;
        if let Some(release) = release {
            check_part(release, false)?;
        }
        Ok(Self {
            epoch,
            upstream,
            release,
        })
    }

    fn to_version(&self) -> Version {
        Version {
            epoch: self.epoch,
            upstream: self.upstream.to_owned(),
            release: self.release.map(str::to_owned),
        }
    }
}

impl Version {
    /// Whether `text` is a version, without building it.
    pub fn check(text: &str) -> Result<(), VersionError> {
        Parts::parse(text).map(|_| ())
    }
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Parts::parse(text).map(|parts| parts.to_version())
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if let Some(release) = &self.release {
            write!(f, "-{release}")?;
        }
        Ok(())
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| compare_part(&self.upstream, &other.upstream))
            .then_with(|| {
                compare_part(
                    self.release.as_deref().unwrap_or(""),
                    other.release.as_deref().unwrap_or(""),
                )
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The weight of one non-digit character: `~` below the end of the string, the end below
/// letters, letters below everything else.
fn char_weight(c: Option<u8>) -> i32 {
    match c {
        Some(b'~') => -1,
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's comparison of one version part.
fn compare_part(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // A run of non-digits.
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let wa = char_weight(a.get(i).copied().filter(|c| !c.is_ascii_digit()));
            let wb = char_weight(b.get(j).copied().filter(|c| !c.is_ascii_digit()));
            if wa != wb {
                return wa.cmp(&wb);
            }
            if i < a.len() && !a[i].is_ascii_digit() {
                i += 1;
            }
            if j < b.len() && !b[j].is_ascii_digit() {
                j += 1;
            }
        }
        // A run of digits, compared as numbers of any length.
        let start_a = skip_zeros(a, i);
        let start_b = skip_zeros(b, j);
        i = start_a
            + a[start_a..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
        j = start_b
            + b[start_b..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
        let order = (i - start_a)
            .cmp(&(j - start_b))
            .then_with(|| a[start_a..i].cmp(&b[start_b..j]));
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

fn skip_zeros(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && text[at] == b'0' {
        at += 1;
    }
    at
}

/// A comparison operator in a constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Less,
    LessOrEqual,
    Equal,
    GreaterOrEqual,
    Greater,
}

impl Op {
    fn accepts(self, order: Ordering) -> bool {
        match self {
            Op::Less => order == Ordering::Less,
            Op::LessOrEqual => order != Ordering::Greater,
            Op::Equal => order == Ordering::Equal,
            Op::GreaterOrEqual => order != Ordering::Less,
            Op::Greater => order == Ordering::Greater,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Less => "<",
            Op::LessOrEqual => "<=",
            Op::Equal => "=",
            Op::GreaterOrEqual => ">=",
            Op::Greater => ">",
        }
    }
}

/// A package name with zero or more version bounds, all of which must hold: `musl >= 1.2, < 2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dependency {
    pub name: String,
    pub bounds: Vec<(Op, Version)>,
}

/// Why a dependency string cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DependencyError {
    #[error("package name `{0}` is not valid (lowercase letters, digits, and + - . _, starting with a letter or digit)")]
    BadName(String),
    #[error("`{0}` is not a constraint (expected an operator < <= = >= > and a version)")]
    BadConstraint(String),
    #[error("version in `{text}`: {error}")]
    BadVersion { text: String, error: VersionError },
}

/// Whether `name` is a valid package name.
pub fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    name.len() <= 128
        && bytes
            .first()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.iter().all(|&b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'_')
        })
}

impl Dependency {
    /// Whether `version` meets every bound.
    pub fn accepts(&self, version: &Version) -> bool {
        self.bounds
            .iter()
            .all(|(op, wanted)| version.satisfies(*op, wanted))
    }
}

/// The name part of a dependency text (what comes before any bound); not checked.
pub fn dependency_name(text: &str) -> &str {
    let text = text.trim();
    let end = text
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '='))
        .unwrap_or(text.len());
    &text[..end]
}

/// Reads a dependency, handing each bound to `bound`; returns the name.
fn parse_dependency<'a>(
    text: &'a str,
    mut bound: impl FnMut(Op, Parts<'a>),
) -> Result<&'a str, DependencyError> {
    let text = text.trim();
    let name = dependency_name(text);
    if !valid_name(name) {
        return Err(DependencyError::BadName(name.to_owned()));
    }
    let rest = text[name.len()..].trim();
    if !rest.is_empty() {
        for text in rest.split(',') {
            let text = text.trim();
            let (op, version) = [
                ("<=", Op::LessOrEqual),
                (">=", Op::GreaterOrEqual),
                ("<", Op::Less),
                (">", Op::Greater),
                ("=", Op::Equal),
            ]
            .iter()
            .find_map(|(symbol, op)| text.strip_prefix(symbol).map(|v| (*op, v.trim())))
            .ok_or_else(|| DependencyError::BadConstraint(text.to_owned()))?;
            let parts = Parts::parse(version).map_err(|error| DependencyError::BadVersion {
                text: text.to_owned(),
                error,
            })?;
            bound(op, parts);
        }
    }
    Ok(name)
}

impl Dependency {
    /// Whether `text` is a dependency, without building it (nothing is allocated unless it is
    /// not one).
    pub fn check(text: &str) -> Result<(), DependencyError> {
        Self::check_with(text, |_| {})
    }

    /// `check`, handing the operator of each bound to `bound`.
    pub fn check_with(text: &str, mut bound: impl FnMut(Op)) -> Result<(), DependencyError> {
        parse_dependency(text, |op, _| bound(op)).map(|_| ())
    }
}

impl FromStr for Dependency {
    type Err = DependencyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut bounds = Vec::new();
        let name = parse_dependency(text, |op, parts| bounds.push((op, parts.to_version())))?;
        Ok(Self {
            name: name.to_owned(),
            bounds,
        })
    }
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (index, (op, version)) in self.bounds.iter().enumerate() {
            let separator = if index == 0 { " " } else { ", " };
            write!(f, "{separator}{} {version}", op.symbol())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    #[test]
    fn ordering_matches_dpkg() {
        // Each pair: left < right under dpkg --compare-versions.
        let ascending = [
            ("1.0", "1.1"),
            ("1.9", "1.10"),
            ("1.0~rc1", "1.0"),
            ("1.0~~", "1.0~"),
            ("1.0", "1.0a"),
            ("1.0a", "1.0+"),
            ("1.0", "1.0.1"),
            ("1.0-1", "1.0-2"),
            ("1.0-9", "1.0-10"),
            ("2.0", "1:0.1"),
            ("1:1.0", "2:0.1"),
            ("1.01", "1.2"),
            ("0.9.9", "1.0~beta"),
            ("1.0-1", "1.0.1-1"),
        ];
        for (low, high) in ascending {
            assert_eq!(v(low).cmp(&v(high)), Ordering::Less, "{low} < {high}");
            assert_eq!(v(high).cmp(&v(low)), Ordering::Greater, "{high} > {low}");
        }
        assert_eq!(v("1.001").cmp(&v("1.1")), Ordering::Equal);
        assert_eq!(v("0:1.0-1"), v("1.0-1"));
    }

    /// Real Debian versions (bookworm's lists), ascending as `dpkg --compare-versions` orders
    /// them; none equal.
    const DPKG_ASCENDING: &[&str] = &[
        "0.0.2012-06-kde4.8-4",
        "0.1.3-5-1",
        "0.1.4-3+deb12u1",
        "0.3b-10+b1",
        "0.4.1-1+b4",
        "0.6-42-ga14256a-0.1+b2",
        "0.15.0-1+b1",
        "0.16-1-1",
        "1.0~rc1",
        "1.0~rc1-1",
        "1.0",
        "1.0-1~bpo1",
        "1.0-1",
        "0:1.0-2",
        "1.0a",
        "1.0+b1",
        "1.0-2-1",
        "1.0-10-1",
        "1.0-283-g9d4029a-2+deb12u1",
        "1.0.1.0-2+b1",
        "1.0.12-1+b1",
        "1.1+13-1+b2",
        "1.2-11-3",
        "1.2.0+ds-1",
        "1.4-6-1+b2",
        "1.4-22-1",
        "1.07-2",
        "1.9.9+dfsg-2",
        "1.12-3",
        "1.26-7",
        "1.33.3-2",
        "2.4.10-20151007-1312Z+dfsg2-3.1",
        "2.30",
        "2.30-1",
        "3.12.3-2",
        "4.3.5+20200129-dfsg1-1+b2",
        "6.6.2+dfsg1-1+deb12u1",
        "15.10.6-1",
        "1:0.1",
        "1:0.9.28-sdl2-1",
        "1:4.2.8p15+dfsg-2~1.2.2+dfsg1-1+deb12u1",
    ];

    #[test]
    fn real_debian_versions_parse_and_sort_as_dpkg_sorts_them() {
        let parsed: Vec<Version> = DPKG_ASCENDING.iter().map(|text| v(text)).collect();
        for (low, high) in parsed.iter().zip(&parsed[1..]) {
            assert_eq!(low.cmp(high), Ordering::Less, "{low} < {high}");
        }
        for (text, version) in DPKG_ASCENDING.iter().zip(&parsed) {
            assert_eq!(version.to_string(), text.trim_start_matches("0:"));
        }
        let hyphens = v("1:4.2.8p15+dfsg-2~1.2.2+dfsg1-1+deb12u1");
        assert_eq!(hyphens.epoch, 1);
        assert_eq!(hyphens.upstream, "4.2.8p15+dfsg-2~1.2.2+dfsg1");
        assert_eq!(hyphens.release.as_deref(), Some("1+deb12u1"));
    }

    /// Compares with dpkg itself, when this machine has it: every version in its dpkg status
    /// file and (with `lz4`) apt lists must parse, and a spread sample of them must order as
    /// `dpkg --compare-versions` orders them.
    #[test]
    fn ordering_matches_dpkg_on_this_machines_versions() {
        use std::process::Command;
        let dpkg = |a: &str, op: &str, b: &str| {
            Command::new("dpkg")
                .args(["--compare-versions", a, op, b])
                .status()
                .ok()
                .map(|status| status.success())
        };
        if dpkg("1", "lt", "2") != Some(true) {
            eprintln!("no dpkg here: skipped");
            return;
        }
        let mut text = std::fs::read_to_string("/var/lib/dpkg/status").unwrap_or_default();
        if let Ok(lists) = std::fs::read_dir("/var/lib/apt/lists") {
            for list in lists.filter_map(|entry| entry.ok().map(|entry| entry.path())) {
                if list.to_string_lossy().ends_with("_Packages.lz4") {
                    if let Ok(out) = Command::new("lz4").arg("-dc").arg(&list).output() {
                        text.push_str(&String::from_utf8_lossy(&out.stdout));
                    }
                }
            }
        }
        let all: std::collections::BTreeSet<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("Version: "))
            .map(str::trim)
            .collect();
        let refused: Vec<&&str> = all
            .iter()
            .filter(|text| text.parse::<Version>().is_err())
            .collect();
        assert!(
            refused.is_empty(),
            "{} refused, e.g. {:?}",
            refused.len(),
            &refused[..refused.len().min(5)]
        );
        // Every n-th version, so that the sample spans the whole range; then neighbours in
        // that sample (close versions) and pairs far apart.
        let step = (all.len() / 150).max(1);
        let sample: Vec<&str> = all.iter().copied().step_by(step).collect();
        let pairs = sample
            .iter()
            .zip(sample.iter().skip(1))
            .chain(sample.iter().zip(sample.iter().rev()));
        let mut compared = 0;
        for (a, b) in pairs {
            let ours = v(a).cmp(&v(b));
            let op = match ours {
                Ordering::Less => "lt",
                Ordering::Equal => "eq",
                Ordering::Greater => "gt",
            };
            assert_eq!(
                dpkg(a, op, b),
                Some(true),
                "we say {a} {op} {b}; dpkg does not"
            );
            compared += 1;
        }
        eprintln!(
            "{} versions parsed, {compared} comparisons agree with dpkg",
            all.len()
        );
    }

    #[test]
    fn parses_and_prints_parts() {
        let version = v("3:1.2.3-4");
        assert_eq!(
            (
                version.epoch,
                version.upstream.as_str(),
                version.release.as_deref()
            ),
            (3, "1.2.3", Some("4"))
        );
        assert_eq!(version.to_string(), "3:1.2.3-4");
        assert_eq!(v("1.0").to_string(), "1.0");
    }

    #[test]
    fn refuses_bad_versions() {
        assert_eq!("".parse::<Version>(), Err(VersionError::Empty));
        assert_eq!(
            "x:1".parse::<Version>(),
            Err(VersionError::BadEpoch("x".into()))
        );
        assert_eq!(
            "beta".parse::<Version>(),
            Err(VersionError::NoLeadingDigit("beta".into()))
        );
        assert_eq!("1.0 2".parse::<Version>(), Err(VersionError::BadChar(' ')));
        assert_eq!("1.0-".parse::<Version>(), Err(VersionError::Empty));
        assert_eq!("-1".parse::<Version>(), Err(VersionError::Empty));
        assert_eq!(
            "+1:2".parse::<Version>(),
            Err(VersionError::BadEpoch("+1".into()))
        );
        assert_eq!(
            ":1".parse::<Version>(),
            Err(VersionError::BadEpoch("".into()))
        );
        // Debian: no `:` after the epoch's, no `-` or `_` in a release, `_` nowhere.
        assert_eq!("1:2:3".parse::<Version>(), Err(VersionError::BadChar(':')));
        assert_eq!("1.0_1".parse::<Version>(), Err(VersionError::BadChar('_')));
        assert_eq!(
            "1.0-1_2".parse::<Version>(),
            Err(VersionError::BadChar('_'))
        );
        assert_eq!("1:1.0".parse::<Version>().map(|v| v.epoch), Ok(1));
        assert_eq!(
            Version::new(0, "1-2", None),
            Err(VersionError::HyphenWithoutRelease("1-2".into()))
        );
        assert!(Version::new(0, "1-2", Some("3")).is_ok());
    }

    #[test]
    fn constraints_without_release_match_every_release() {
        let dep: Dependency = "musl = 1.2".parse().unwrap();
        assert!(dep.accepts(&v("1.2-7")));
        assert!(!dep.accepts(&v("1.2.1-1")));
        let exact: Dependency = "musl = 1.2-3".parse().unwrap();
        assert!(exact.accepts(&v("1.2-3")));
        assert!(!exact.accepts(&v("1.2-4")));
    }

    #[test]
    fn parses_dependency_ranges() {
        let dep: Dependency = "zlib >= 1.2, < 2".parse().unwrap();
        assert_eq!(dep.name, "zlib");
        assert_eq!(dep.bounds.len(), 2);
        assert!(dep.accepts(&v("1.3-1")));
        assert!(!dep.accepts(&v("2.0-1")));
        assert!(!dep.accepts(&v("1.1-1")));
        assert_eq!(dep.to_string(), "zlib >= 1.2, < 2");
        let bare: Dependency = "sh".parse().unwrap();
        assert!(bare.bounds.is_empty() && bare.accepts(&v("0.1")));
        assert!(matches!(
            "Zlib".parse::<Dependency>(),
            Err(DependencyError::BadName(_))
        ));
        assert!(matches!(
            "zlib ~ 1".parse::<Dependency>(),
            Err(DependencyError::BadConstraint(_))
        ));
        assert!(matches!(
            "zlib >= x".parse::<Dependency>(),
            Err(DependencyError::BadVersion { .. })
        ));
    }
}
