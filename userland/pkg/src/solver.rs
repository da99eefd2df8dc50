//! Dependency resolution: the packages of an index as resolvo solvables.
//!
//! Every package name is a resolvo name; every package version a solvable of it. A dependency
//! `d` becomes a union of version sets: the versions of the package named `d.name` that meet the
//! bounds, and for every package that provides `d.name`, its versions whose provide meets them.
//! Conflicts and replaces become resolvo constraints ("if that package is chosen, it must lie
//! outside these versions"), so they never pull anything in.
#![forbid(unsafe_code)]

use std::cell::{OnceCell, RefCell};
use std::fmt;

use anyhow::{anyhow, Result};
use hashbrown::{HashMap, HashTable};
use resolvo::utils::{Pool, VersionSet};
use resolvo::{
    Candidates, Condition, ConditionId, ConditionalRequirement, Dependencies, DependencyProvider,
    Interner, KnownDependencies, NameId, Problem, Requirement, SolvableId, Solver, SolverCache,
    StringId, UnsolvableOrCancelled, VersionSetId, VersionSetUnionId,
};

use crate::index::PackageRef;
use crate::recipe::Metadata;
use crate::version::{dependency_name, Dependency, Version};

/// What the solver reads of a package: owned metadata, a reference to it, or a package of a
/// loaded index (`PackageRef`, whose strings stay in the index).
pub trait Package {
    fn name(&self) -> &str;
    /// The full version, `[epoch:]upstream[-release]`.
    fn version(&self) -> &str;
    fn depends(&self) -> impl Iterator<Item = &str>;
    fn provides(&self) -> impl Iterator<Item = &str>;
    fn conflicts(&self) -> impl Iterator<Item = &str>;
    fn replaces(&self) -> impl Iterator<Item = &str>;
}

impl Package for Metadata {
    fn name(&self) -> &str {
        &self.name
    }
    fn version(&self) -> &str {
        &self.version
    }
    fn depends(&self) -> impl Iterator<Item = &str> {
        self.depends.iter().map(String::as_str)
    }
    fn provides(&self) -> impl Iterator<Item = &str> {
        self.provides.iter().map(String::as_str)
    }
    fn conflicts(&self) -> impl Iterator<Item = &str> {
        self.conflicts.iter().map(String::as_str)
    }
    fn replaces(&self) -> impl Iterator<Item = &str> {
        self.replaces.iter().map(String::as_str)
    }
}

impl<P: Package> Package for &P {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn version(&self) -> &str {
        (**self).version()
    }
    fn depends(&self) -> impl Iterator<Item = &str> {
        (**self).depends()
    }
    fn provides(&self) -> impl Iterator<Item = &str> {
        (**self).provides()
    }
    fn conflicts(&self) -> impl Iterator<Item = &str> {
        (**self).conflicts()
    }
    fn replaces(&self) -> impl Iterator<Item = &str> {
        (**self).replaces()
    }
}

impl Package for PackageRef<'_> {
    fn name(&self) -> &str {
        PackageRef::name(self)
    }
    fn version(&self) -> &str {
        PackageRef::version(self)
    }
    fn depends(&self) -> impl Iterator<Item = &str> {
        PackageRef::depends(self)
    }
    fn provides(&self) -> impl Iterator<Item = &str> {
        PackageRef::provides(self)
    }
    fn conflicts(&self) -> impl Iterator<Item = &str> {
        PackageRef::conflicts(self)
    }
    fn replaces(&self) -> impl Iterator<Item = &str> {
        PackageRef::replaces(self)
    }
}

/// A set of candidates of one name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Set {
    /// Versions of the package named `dep.name` that meet its bounds.
    Named(Dependency),
    /// Versions of some package that provide `dep.name` with a version meeting its bounds.
    ProvidedBy(Dependency),
    /// Everything outside the inner set.
    Not(Box<Set>),
}

impl VersionSet for Set {
    type V = usize;
}

impl fmt::Display for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Set::Named(dep) if dep.bounds.is_empty() => f.write_str("*"),
            Set::Named(dep) => f.write_str(dep.to_string().trim_start_matches(&dep.name).trim()),
            Set::ProvidedBy(dep) => write!(f, "providing {dep}"),
            Set::Not(inner) => write!(f, "other than {inner}"),
        }
    }
}

/// A relation string as the solver uses it, or why it cannot (kept so that it is parsed once).
type Parsed<T> = Result<T, String>;

/// What a package provides: each provided name with its version, if it gives one.
type Provided = Vec<(String, Option<Version>)>;

/// The sets a conflict or replaces excludes, with the name each belongs to.
type Exclusions = Vec<(NameId, VersionSetId)>;

/// The packages to choose from, with the solver's view of them.
///
/// Building it copies nothing per package: packages are grouped by name in a table of indices,
/// resolvo asks for the candidates of a name and the dependencies of a candidate only when it
/// reaches them, so versions are parsed per name on first request, and every distinct relation
/// string is parsed and interned once however many packages carry it (Debian's thousands of
/// `libc6 >= 2.34`). A large index with a small request touches a small part of it.
pub struct Universe<P> {
    packages: Vec<P>,
    /// Each package's parsed version, filled when the candidates of its name are first asked
    /// for; `None` inside when the version does not parse.
    versions: Vec<OnceCell<Option<Version>>>,
    /// Each package's provides (name, version), parsed when a provided set first asks.
    provides: Vec<OnceCell<Provided>>,
    /// Package name → its group: records `members[starts[g]..starts[g + 1]]`. The table holds
    /// group numbers and is searched by the name of a group's first record.
    groups: HashTable<u32>,
    starts: Vec<u32>,
    members: Vec<u32>,
    /// Provided name → the groups (names) of packages that provide it, sorted by name.
    providers: HashMap<String, Vec<u32>>,
    /// Dependency text → its requirement.
    requirements: RefCell<HashMap<String, Parsed<Requirement>>>,
    /// Conflict or replaces text → the sets it excludes, by package name.
    exclusions: RefCell<HashMap<String, Parsed<Exclusions>>>,
    hasher: hashbrown::DefaultHashBuilder,
    /// Per package, a preference that outranks the version when candidates are ordered (a
    /// repository's priority); empty means all equal.
    rank: Vec<i32>,
    pool: Pool<Set, String>,
}

impl<P: Package> Universe<P> {
    /// The solver's view of `packages` (each validated metadata, as the index loader ensures;
    /// a version or dependency that does not parse keeps only that package out of solutions).
    pub fn new(packages: impl IntoIterator<Item = P>) -> Result<Self> {
        let packages: Vec<P> = packages.into_iter().collect();
        let hasher = hashbrown::DefaultHashBuilder::default();
        let hash = |name: &str| std::hash::BuildHasher::hash_one(&hasher, name);
        // Group by name: first each record's group, then the groups laid out contiguously.
        let mut groups: HashTable<u32> = HashTable::with_capacity(packages.len() / 2);
        let mut firsts: Vec<u32> = Vec::new();
        let mut group_of: Vec<u32> = Vec::with_capacity(packages.len());
        let mut previous: Option<(&str, u32)> = None;
        for (record, package) in packages.iter().enumerate() {
            let name = package.name();
            // Indexes are sorted by name: a version of the same package as the one before
            // needs no lookup.
            if let Some((previous_name, group)) = previous.filter(|(other, _)| *other == name) {
                group_of.push(group);
                previous = Some((previous_name, group));
                continue;
            }
            let group = *groups
                .entry(
                    hash(name),
                    |&group| packages[firsts[group as usize] as usize].name() == name,
                    |&group| hash(packages[firsts[group as usize] as usize].name()),
                )
                .or_insert_with(|| {
                    firsts.push(record as u32);
                    firsts.len() as u32 - 1
                })
                .get();
            group_of.push(group);
            previous = Some((name, group));
        }
        // Only the provided names are needed now (checked, not parsed into versions).
        let mut providers: HashMap<String, Vec<u32>> = HashMap::new();
        for (package, &group) in packages.iter().zip(&group_of) {
            for text in package.provides() {
                Dependency::check(text).map_err(|error| {
                    anyhow!("package `{}`: provides `{text}`: {error}", package.name())
                })?;
                let groups = providers.entry_ref(dependency_name(text)).or_default();
                if !groups.contains(&group) {
                    groups.push(group);
                }
            }
        }
        let group_name = |group: u32| packages[firsts[group as usize] as usize].name();
        for groups in providers.values_mut() {
            groups.sort_by(|&a, &b| group_name(a).cmp(group_name(b)));
        }
        let mut starts = vec![0u32; firsts.len() + 1];
        for &group in &group_of {
            starts[group as usize + 1] += 1;
        }
        for group in 0..firsts.len() {
            starts[group + 1] += starts[group];
        }
        let mut fill = starts.clone();
        let mut members = vec![0u32; packages.len()];
        for (record, &group) in group_of.iter().enumerate() {
            members[fill[group as usize] as usize] = record as u32;
            fill[group as usize] += 1;
        }
        Ok(Self {
            versions: (0..packages.len()).map(|_| OnceCell::new()).collect(),
            provides: (0..packages.len()).map(|_| OnceCell::new()).collect(),
            groups,
            starts,
            members,
            providers,
            requirements: RefCell::default(),
            exclusions: RefCell::default(),
            hasher,
            packages,
            rank: Vec::new(),
            pool: Pool::new(),
        })
    }

    /// Makes the solver try packages with a higher `rank` (one per package, in the order given
    /// to [`Universe::new`]) before those with a lower one, whatever their versions; among
    /// equal ranks the newest comes first.
    pub fn with_rank(mut self, rank: Vec<i32>) -> Self {
        self.rank = rank;
        self
    }

    fn rank(&self, record: usize) -> i32 {
        self.rank.get(record).copied().unwrap_or(0)
    }

    fn record(&self, solvable: SolvableId) -> usize {
        self.pool.resolve_solvable(solvable).record
    }

    /// The records of the package called `name`.
    fn named(&self, name: &str) -> Option<&[u32]> {
        let hash = std::hash::BuildHasher::hash_one(&self.hasher, name);
        let first = |group: u32| self.members[self.starts[group as usize] as usize] as usize;
        let group = *self
            .groups
            .find(hash, |&group| self.packages[first(group)].name() == name)?
            as usize;
        Some(&self.members[self.starts[group] as usize..self.starts[group + 1] as usize])
    }

    /// The provides of `record`, parsed on first use (they were checked when building).
    fn provided(&self, record: usize) -> &[(String, Option<Version>)] {
        self.provides[record].get_or_init(|| {
            self.packages[record]
                .provides()
                .filter_map(|text| text.parse::<Dependency>().ok())
                .map(|dep| {
                    let version = dep.bounds.into_iter().next().map(|(_, version)| version);
                    (dep.name, version)
                })
                .collect()
        })
    }

    fn version(&self, record: usize) -> Option<&Version> {
        self.versions[record]
            .get_or_init(|| self.packages[record].version().parse().ok())
            .as_ref()
    }

    fn contains(&self, set: &Set, record: usize) -> bool {
        match set {
            // An unparsable version is excluded from every solution (see `get_candidates`);
            // letting it match keeps it in view so that errors can say why it was left out.
            Set::Named(dep) => self
                .version(record)
                .is_none_or(|version| dep.accepts(version)),
            Set::ProvidedBy(dep) => self.provided(record).iter().any(|(name, version)| {
                name == &dep.name
                    && (dep.bounds.is_empty()
                        || version.as_ref().is_some_and(|version| dep.accepts(version)))
            }),
            Set::Not(inner) => !self.contains(inner, record),
        }
    }

    /// The version sets that can satisfy `dep`, by package name.
    fn sets_for(&self, dep: &Dependency) -> Vec<(NameId, Set)> {
        let mut sets = vec![(
            self.pool.intern_package_name(dep.name.as_str()),
            Set::Named(dep.clone()),
        )];
        if let Some(groups) = self.providers.get(&dep.name) {
            for &group in groups {
                let first = self.members[self.starts[group as usize] as usize];
                let provider = self.packages[first as usize].name();
                if provider != dep.name {
                    sets.push((
                        self.pool.intern_package_name(provider),
                        Set::ProvidedBy(dep.clone()),
                    ));
                }
            }
        }
        sets
    }

    fn requirement(&self, dep: &Dependency) -> Requirement {
        let ids: Vec<VersionSetId> = self
            .sets_for(dep)
            .into_iter()
            .map(|(name, set)| self.pool.intern_version_set(name, set))
            .collect();
        match ids.as_slice() {
            [single] => Requirement::Single(*single),
            [first, rest @ ..] => Requirement::Union(
                self.pool
                    .intern_version_set_union(*first, rest.iter().copied()),
            ),
            [] => unreachable!("sets_for always returns the named set"),
        }
    }

    /// The requirement of a dependency text, parsed and interned on first use.
    fn cached_requirement(&self, text: &str) -> Parsed<Requirement> {
        if let Some(found) = self.requirements.borrow().get(text) {
            return found.clone();
        }
        let parsed = text
            .parse::<Dependency>()
            .map(|dep| self.requirement(&dep))
            .map_err(|error| format!("its dependency `{text}` is not valid: {error}"));
        self.requirements
            .borrow_mut()
            .insert(text.to_owned(), parsed.clone());
        parsed
    }

    /// The sets a conflict or replaces text excludes, parsed and interned on first use.
    fn cached_exclusions(&self, text: &str, what: &str) -> Parsed<Exclusions> {
        if let Some(found) = self.exclusions.borrow().get(text) {
            return found.clone();
        }
        let parsed = text
            .parse::<Dependency>()
            .map(|dep| {
                self.sets_for(&dep)
                    .into_iter()
                    .map(|(name, set)| {
                        (
                            name,
                            self.pool.intern_version_set(name, Set::Not(Box::new(set))),
                        )
                    })
                    .collect()
            })
            .map_err(|error| format!("its {what} `{text}` is not valid: {error}"));
        self.exclusions
            .borrow_mut()
            .insert(text.to_owned(), parsed.clone());
        parsed
    }
}

impl<P: Package + Clone> Universe<P> {
    /// Resolves installing every request (dependency strings); returns the chosen packages
    /// sorted by name, or a readable explanation of why it is impossible.
    pub fn resolve(self, requests: &[String]) -> Result<Vec<P>, SolveError> {
        let mut requirements = Vec::new();
        for text in requests {
            let dep: Dependency = text
                .parse()
                .map_err(|error| SolveError::BadRequest(format!("`{text}`: {error}")))?;
            requirements.push(ConditionalRequirement::from(self.requirement(&dep)));
        }
        let mut solver = Solver::new(self);
        match solver.solve(Problem::new().requirements(requirements)) {
            Ok(solution) => {
                let universe = solver.provider();
                // Each name looked up once, not once per comparison.
                let mut chosen: Vec<(&str, usize)> = solution
                    .into_iter()
                    .map(|solvable| universe.record(solvable))
                    .map(|record| (universe.packages[record].name(), record))
                    .collect();
                chosen.sort_unstable();
                Ok(chosen
                    .into_iter()
                    .map(|(_, record)| universe.packages[record].clone())
                    .collect())
            }
            Err(UnsolvableOrCancelled::Unsolvable(conflict)) => Err(SolveError::Impossible(
                conflict.display_user_friendly(&solver).to_string(),
            )),
            Err(UnsolvableOrCancelled::Cancelled(_)) => {
                Err(SolveError::Impossible("resolution was cancelled".into()))
            }
        }
    }
}

/// Why a request cannot be resolved.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    #[error("bad request {0}")]
    BadRequest(String),
    #[error("the request cannot be satisfied:\n{0}")]
    Impossible(String),
}

impl<P: Package> Interner for Universe<P> {
    type NameId = NameId;
    type SolvableId = SolvableId;

    fn display_solvable(&self, solvable: SolvableId) -> impl fmt::Display + '_ {
        self.packages[self.record(solvable)].version().to_owned()
    }

    fn display_name(&self, name: NameId) -> impl fmt::Display + '_ {
        self.pool.resolve_package_name(name).clone()
    }

    fn display_version_set(&self, version_set: VersionSetId) -> impl fmt::Display + '_ {
        self.pool.resolve_version_set(version_set).to_string()
    }

    fn display_string(&self, string_id: StringId) -> impl fmt::Display + '_ {
        self.pool.resolve_string(string_id).to_owned()
    }

    fn version_set_name(&self, version_set: VersionSetId) -> NameId {
        self.pool.resolve_version_set_package_name(version_set)
    }

    fn solvable_name(&self, solvable: SolvableId) -> NameId {
        self.pool.resolve_solvable(solvable).name
    }

    fn version_sets_in_union(
        &self,
        union: VersionSetUnionId,
    ) -> impl Iterator<Item = VersionSetId> {
        self.pool.resolve_version_set_union(union)
    }

    fn resolve_condition(&self, condition: ConditionId) -> Condition {
        self.pool.resolve_condition(condition).clone()
    }
}

impl<P: Package> DependencyProvider for Universe<P> {
    async fn filter_candidates(
        &self,
        candidates: &[SolvableId],
        version_set: VersionSetId,
        inverse: bool,
    ) -> Vec<SolvableId> {
        let set = self.pool.resolve_version_set(version_set);
        candidates
            .iter()
            .copied()
            .filter(|&solvable| self.contains(set, self.record(solvable)) != inverse)
            .collect()
    }

    async fn get_candidates(&self, name: NameId) -> Option<Candidates> {
        // resolvo caches this per name, so each name's solvables are interned once.
        let records = self.named(self.pool.resolve_package_name(name))?;
        let mut candidates = Candidates::default();
        for &record in records {
            let record = record as usize;
            let solvable = self.pool.intern_solvable(name, record);
            candidates.candidates.push(solvable);
            if self.version(record).is_none() {
                let reason = format!(
                    "its version `{}` is not a valid version",
                    self.packages[record].version()
                );
                candidates
                    .excluded
                    .push((solvable, self.pool.intern_string(reason)));
            }
        }
        Some(candidates)
    }

    async fn sort_candidates(&self, _solver: &SolverCache<Self>, solvables: &mut [SolvableId]) {
        // Newest first: the solver tries candidates in this order. Versions were parsed when
        // the candidates were produced; an unparsable one (excluded anyway) sorts last.
        // A higher rank (repository priority) comes before any version.
        solvables.sort_by(|a, b| {
            let (a, b) = (self.record(*a), self.record(*b));
            self.rank(b)
                .cmp(&self.rank(a))
                .then_with(|| self.version(b).cmp(&self.version(a)))
        });
    }

    async fn get_dependencies(&self, solvable: SolvableId) -> Dependencies {
        let package = &self.packages[self.record(solvable)];
        let own_name = self.pool.resolve_solvable(solvable).name;
        let mut known = KnownDependencies::default();
        let mut fill = || -> Result<(), String> {
            for text in package.depends() {
                known
                    .requirements
                    .push(self.cached_requirement(text)?.into());
            }
            let excludes = package
                .conflicts()
                .map(|text| (text, "conflict"))
                .chain(package.replaces().map(|text| (text, "replaces")));
            for (text, what) in excludes {
                // A package that conflicts with what it provides (the usual way to say "only
                // one provider of X") does not conflict with itself.
                for (name, set) in self.cached_exclusions(text, what)? {
                    if name != own_name {
                        known.constrains.push(set);
                    }
                }
            }
            Ok(())
        };
        match fill() {
            Ok(()) => Dependencies::Known(known),
            Err(reason) => Dependencies::Unknown(self.pool.intern_string(reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::Privacy;

    fn pkg(
        name: &str,
        version: &str,
        depends: &[&str],
        provides: &[&str],
        conflicts: &[&str],
    ) -> Metadata {
        Metadata {
            name: name.into(),
            version: version.into(),
            summary: "test".into(),
            license: "MIT".into(),
            homepage: None,
            arch: "x86_64".into(),
            privacy: Privacy::None,
            depends: depends.iter().map(|s| s.to_string()).collect(),
            provides: provides.iter().map(|s| s.to_string()).collect(),
            conflicts: conflicts.iter().map(|s| s.to_string()).collect(),
            replaces: Vec::new(),
            optional: Default::default(),
            config: Vec::new(),
            install: Default::default(),
        }
    }

    fn solve(packages: Vec<Metadata>, requests: &[&str]) -> Result<Vec<String>, SolveError> {
        let requests: Vec<String> = requests.iter().map(|s| s.to_string()).collect();
        Universe::new(packages)
            .unwrap()
            .resolve(&requests)
            .map(|chosen| {
                chosen
                    .into_iter()
                    .map(|m| format!("{} {}", m.name, m.version))
                    .collect()
            })
    }

    #[test]
    fn picks_newest_versions_that_fit() {
        let packages = vec![
            pkg("app", "2.0-1", &["lib >= 1.5, < 3"], &[], &[]),
            pkg("lib", "1.0-1", &[], &[], &[]),
            pkg("lib", "2.0-1", &[], &[], &[]),
            pkg("lib", "3.0-1", &[], &[], &[]),
        ];
        assert_eq!(
            solve(packages, &["app"]).unwrap(),
            ["app 2.0-1", "lib 2.0-1"]
        );
    }

    #[test]
    fn backtracks_over_versions() {
        let packages = vec![
            pkg("app", "1.0-1", &["lib", "tool"], &[], &[]),
            pkg("lib", "1.0-1", &[], &[], &[]),
            pkg("lib", "2.0-1", &[], &[], &[]),
            pkg("tool", "1.0-1", &["lib < 2"], &[], &[]),
        ];
        assert_eq!(
            solve(packages, &["app"]).unwrap(),
            ["app 1.0-1", "lib 1.0-1", "tool 1.0-1"]
        );
    }

    #[test]
    fn provides_satisfy_dependencies() {
        let packages = vec![
            pkg("script", "1.0-1", &["sh >= 1"], &[], &[]),
            pkg("busybox", "1.36-1", &[], &["sh = 1.0"], &["sh"]),
        ];
        assert_eq!(
            solve(packages, &["script"]).unwrap(),
            ["busybox 1.36-1", "script 1.0-1"]
        );
        let too_old = vec![
            pkg("script", "1.0-1", &["sh >= 2"], &[], &[]),
            pkg("busybox", "1.36-1", &[], &["sh = 1.0"], &[]),
        ];
        assert!(solve(too_old, &["script"]).is_err());
    }

    #[test]
    fn conflicts_are_respected_and_explained() {
        let packages = vec![
            pkg("a", "1.0-1", &[], &[], &["b"]),
            pkg("b", "1.0-1", &[], &[], &[]),
        ];
        let error = solve(packages, &["a", "b"]).unwrap_err().to_string();
        assert!(error.contains("cannot be satisfied"), "{error}");
        assert!(error.contains('a') && error.contains('b'), "{error}");
    }

    #[test]
    fn conflicts_choose_another_version() {
        let packages = vec![
            pkg("a", "2.0-1", &[], &[], &["b"]),
            pkg("a", "1.0-1", &[], &[], &[]),
            pkg("b", "1.0-1", &[], &[], &[]),
        ];
        assert_eq!(
            solve(packages, &["a", "b"]).unwrap(),
            ["a 1.0-1", "b 1.0-1"]
        );
    }

    #[test]
    fn missing_packages_are_explained() {
        let packages = vec![pkg("app", "1.0-1", &["libmissing"], &[], &[])];
        let error = solve(packages, &["app"]).unwrap_err().to_string();
        assert!(error.contains("libmissing"), "{error}");
    }

    #[test]
    fn version_conflicts_name_both_sides() {
        let packages = vec![
            pkg("app", "1.0-1", &["lib >= 2", "tool"], &[], &[]),
            pkg("tool", "1.0-1", &["lib < 2"], &[], &[]),
            pkg("lib", "1.0-1", &[], &[], &[]),
            pkg("lib", "2.0-1", &[], &[], &[]),
        ];
        let error = solve(packages, &["app"]).unwrap_err().to_string();
        assert!(error.contains("lib") && error.contains("tool"), "{error}");
    }

    #[test]
    fn a_package_with_a_bad_version_is_left_out_and_explained() {
        let packages = vec![
            pkg("lib", "1.0-1", &[], &[], &[]),
            pkg("lib", "x2-1", &[], &[], &[]),
        ];
        assert_eq!(solve(packages, &["lib"]).unwrap(), ["lib 1.0-1"]);
        let only_bad = vec![pkg("lib", "x2-1", &[], &[], &[])];
        let error = solve(only_bad, &["lib"]).unwrap_err().to_string();
        assert!(error.contains("not a valid version"), "{error}");
    }

    #[test]
    fn a_package_with_a_bad_dependency_is_left_out_and_explained() {
        let packages = vec![
            pkg("app", "2.0-1", &["lib >= !"], &[], &[]),
            pkg("app", "1.0-1", &["lib"], &[], &[]),
            pkg("lib", "1.0-1", &[], &[], &[]),
        ];
        assert_eq!(
            solve(packages, &["app"]).unwrap(),
            ["app 1.0-1", "lib 1.0-1"]
        );
        let only_bad = vec![pkg("app", "2.0-1", &["lib >= !"], &[], &[])];
        let error = solve(only_bad, &["app"]).unwrap_err().to_string();
        assert!(error.contains("lib >= !"), "{error}");
    }

    #[test]
    fn a_loaded_index_resolves_as_its_metadata_does() {
        use crate::index::{encoding, Index, IndexEntry};
        let packages = vec![
            pkg("app", "2.0-1", &["lib >= 2", "sh"], &[], &[]),
            pkg("app", "1.0-1", &["lib"], &[], &[]),
            pkg("lib", "1.0-1", &[], &[], &[]),
            pkg("lib", "2.0-1", &[], &[], &["old"]),
            pkg("busybox", "1.36-1", &[], &["sh = 1.0"], &["sh"]),
            pkg("old", "1.0-1", &[], &[], &[]),
        ];
        let index = Index {
            time: 0,
            packages: packages
                .iter()
                .map(|meta| IndexEntry {
                    meta: meta.clone(),
                    file: format!("{}.pkg", meta.name),
                    size: 0,
                    sha256: String::new(),
                    header_sha256: String::new(),
                    signer: String::new(),
                    source: false,
                })
                .collect(),
        };
        let view = encoding::decode(encoding::encode(&index).unwrap()).unwrap();
        for request in [&["app"][..], &["app", "old"], &["app = 1.0"]] {
            let requests: Vec<String> = request.iter().map(|s| s.to_string()).collect();
            let from_view = Universe::new(view.packages())
                .unwrap()
                .resolve(&requests)
                .map(|chosen| {
                    chosen
                        .iter()
                        .map(|p| format!("{} {}", p.name(), p.version()))
                        .collect::<Vec<_>>()
                })
                .map_err(|error| error.to_string());
            let from_metadata = solve(packages.clone(), request).map_err(|error| error.to_string());
            assert_eq!(from_view, from_metadata, "{request:?}");
        }
        let by_reference = Universe::new(packages.iter()).unwrap();
        let chosen = by_reference.resolve(&["app".to_string()]).unwrap();
        assert_eq!(chosen[0].version, "2.0-1");
    }

    #[test]
    fn a_higher_rank_wins_over_a_newer_version_unless_it_cannot_fit() {
        let packages = vec![
            pkg("lib", "2.0-1", &[], &[], &[]),
            pkg("lib", "1.0-1", &[], &[], &[]),
        ];
        let chosen = Universe::new(packages.clone())
            .unwrap()
            .with_rank(vec![0, 10])
            .resolve(&["lib".to_string()])
            .unwrap();
        assert_eq!(chosen[0].version, "1.0-1");
        let chosen = Universe::new(packages)
            .unwrap()
            .with_rank(vec![0, 10])
            .resolve(&["lib >= 2".to_string()])
            .unwrap();
        assert_eq!(chosen[0].version, "2.0-1");
    }

    #[test]
    fn unrequested_parts_of_the_index_are_not_parsed() {
        // Laziness is what makes large indexes fast; a bad entry nobody asks about is unseen.
        let packages = vec![
            pkg("app", "1.0-1", &[], &[], &[]),
            pkg("unrelated", "1.0-1", &["lib >= !"], &[], &[]),
        ];
        let universe = Universe::new(packages).unwrap();
        let chosen = universe.resolve(&["app".to_string()]).unwrap();
        assert_eq!(chosen.len(), 1);
    }
}
