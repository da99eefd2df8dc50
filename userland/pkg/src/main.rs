//! `pkg`: the command line of Basalt's package manager.
//!
//! Exit codes: 0 success, 1 error, 2 bad usage, 3 input refused (bad signature, untrusted or
//! revoked key, tampered or unsafe contents, a package the privacy policy refuses), 4 a request
//! the solver cannot satisfy, 5 `pkg audit` found packages that declare telemetry or tracking.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use basalt_pkg::db::{check_entry, Database};
use basalt_pkg::keys::{self, KeyStore};
use basalt_pkg::owners::Ids;
use basalt_pkg::package::{PackageFile, PackageReader};
use basalt_pkg::privacy::{self, Answering};
use basalt_pkg::refused::Refused;
use basalt_pkg::solver::{SolveError, Universe};
use basalt_pkg::{
    build, config, fetch_many, generation, index, install, repo, repo_commands, repo_queries,
    source_build, srcpkg, sync,
};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};

#[derive(Parser)]
#[command(name = "pkg", version, about = "Basalt's package manager", long_about = None)]
struct Cli {
    /// The root directory to manage (its keys are in ROOT/etc/basalt/pkg/keys).
    #[arg(long, global = true, default_value = "/")]
    root: PathBuf,
    /// Print what a change would do, and change nothing.
    #[arg(long, global = true)]
    dry_run: bool,
    /// Change the root without asking (without it pkg asks on a terminal and refuses otherwise).
    #[arg(long, short = 'y', global = true)]
    yes: bool,
    /// Install packages whose privacy level the policy (ROOT/etc/basalt/pkg/pkg.toml) says to
    /// confirm, without asking (needed with --yes; `deny` still refuses).
    #[arg(long, global = true)]
    allow_tracking: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage signing keys and the root's trusted keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Build the package described by DIR/package.toml: from source (`build.steps`, in a clean
    /// build directory, the log beside the package) or from its prebuilt `build.staging`
    /// directory; with --source, pack the recipe itself as NAME-VERSION.src.pkg.
    Build {
        dir: PathBuf,
        /// The secret key file to sign with.
        #[arg(long)]
        key: PathBuf,
        /// Where to write the package file.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Make a source package (the recipe and its local files) instead of building.
        #[arg(long, conflicts_with_all = ["cache", "keep"])]
        source: bool,
        /// The source cache (default: $XDG_CACHE_HOME/basalt-pkg/sources or
        /// ~/.cache/basalt-pkg/sources).
        #[arg(long)]
        cache: Option<PathBuf>,
        /// Keep the build directory (its path is printed).
        #[arg(long)]
        keep: bool,
    },
    /// Repository maintenance.
    #[command(subcommand)]
    Repo(RepoCommand),
    /// Verify package files completely: signature, trusted signer, every file's hash.
    Check { files: Vec<PathBuf> },
    /// Show a repository package (by name), or a package file's metadata and file list (its
    /// signature checked; a FILE ends in `.pkg` or has a `/`).
    Info {
        #[arg(value_name = "NAME|FILE")]
        package: String,
        /// Also list the files (of a package file).
        #[arg(long)]
        files: bool,
    },
    /// Verify a package file and extract it into DEST, which must not exist yet.
    Extract { file: PathBuf, dest: PathBuf },
    /// Fetch every configured repository's signed index (ROOT/etc/basalt/pkg/repos.toml).
    Update,
    /// Find packages in the synced repositories whose name, provides or summary contains TERM.
    Search { term: String },
    /// Install package files, or packages by name with their dependencies from the configured
    /// repositories (or from --repo DIR), as one transaction.
    Install {
        /// A local repository directory (holding index.bpi) to resolve names in, instead of
        /// the configured repositories.
        #[arg(long)]
        repo: Option<PathBuf>,
        /// Build the chosen packages from their source packages (signed with the root's local
        /// build key); without it only packages with no binary package are built (with --repo).
        #[arg(long)]
        from_source: bool,
        /// Package files (ending in `.pkg` or with a `/`; `*.src.pkg` ones are built first), or
        /// package names with optional constraints (`hello >= 2`).
        #[arg(required = true)]
        packages: Vec<String>,
    },
    /// Remove installed packages (all in one transaction); refused if others depend on them.
    Remove {
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Upgrade installed packages (all, or NAME…) to the newest versions the solver allows in
    /// the configured repositories (or --repo DIR), changing as little as possible, as one
    /// transaction.
    Upgrade {
        /// A local repository directory (holding index.bpi), instead of the configured
        /// repositories.
        #[arg(long)]
        repo: Option<PathBuf>,
        /// Build the new versions from their source packages (as for install).
        #[arg(long)]
        from_source: bool,
        names: Vec<String>,
    },
    /// List the generations: number, time and what each transaction changed.
    History,
    /// Return to generation N (default: the one before the current) as a new transaction, from
    /// the package files kept in ROOT/var/cache/basalt/pkg.
    Rollback { number: Option<u64> },
    /// Empty the download cache (ROOT/var/cache/basalt/pkg/downloads; the package files kept
    /// for rollback stay).
    Clean,
    /// List the packages of the synced repositories (installed ones marked), or with
    /// --installed only the installed packages.
    List {
        #[arg(long)]
        installed: bool,
    },
    /// List the files of an installed package.
    Files { name: String },
    /// Show which installed package owns PATH.
    Owner { path: String },
    /// Check installed files against their packages' manifests (all packages, or NAME):
    /// contents, modes, link targets and (when run as root) owners.
    Verify { name: Option<String> },
    /// List installed packages by declared privacy level (tracking, telemetry, none) with the
    /// root's policy for each and a summary line. Exits 0 when every package is `none`, 5 when
    /// some declare telemetry or tracking, 1 on error.
    Audit,
    /// Show which packages of an index installing REQUESTS would choose.
    Resolve {
        /// The repository index file.
        #[arg(long)]
        index: PathBuf,
        /// Package names with optional constraints, e.g. `hello >= 2`.
        #[arg(required = true)]
        requests: Vec<String>,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Make a new key pair NAME.secret and NAME.pub in DIR.
    Generate {
        name: String,
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// List the root's trusted and revoked keys.
    List,
    /// Trust the public key in FILE for this root.
    Trust { file: PathBuf },
    /// Stop trusting a key (by name or key id); it cannot be trusted again.
    Revoke { key: String },
}

#[derive(Subcommand)]
enum RepoCommand {
    /// Write DIR/index.bpi: the signed index of every DIR/*.pkg (each signed by a trusted key).
    Index {
        dir: PathBuf,
        /// The secret key file to sign the index with.
        #[arg(long)]
        key: PathBuf,
    },
}

fn bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let template = format!("{what} {{bar:40}} {{bytes}}/{{total_bytes}} {{msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

fn run(cli: Cli) -> Result<()> {
    let store = KeyStore::for_root(&cli.root);
    let flags = flags(&cli);
    match cli.command {
        Command::Key(KeyCommand::Generate { name, dir }) => {
            let (secret, public, id) = keys::generate(&name, &dir)?;
            println!(
                "key {name} ({id}): secret {}, public {}",
                secret.display(),
                public.display()
            );
        }
        Command::Key(KeyCommand::List) => {
            for key in store.trusted()? {
                println!("trusted {} {}", key.id(), key.name);
            }
            for key in store.revoked()? {
                println!("revoked {} {}", key.id(), key.name);
            }
        }
        Command::Key(KeyCommand::Trust { file }) => {
            let key = store.trust(&file)?;
            println!("trusted {} {}", key.id(), key.name);
        }
        Command::Key(KeyCommand::Revoke { key }) => {
            let key = store.revoke(&key)?;
            println!("revoked {} {}", key.id(), key.name);
        }
        Command::Build {
            dir,
            key,
            out,
            source,
            cache,
            keep,
        } => {
            let secret = keys::read_secret(&key)?;
            if source {
                println!(
                    "{}",
                    srcpkg::write_source_package(&dir, &out, &secret.key)?.display()
                );
                return Ok(());
            }
            let options = build::Options {
                cache: cache.unwrap_or_else(build::default_cache),
                keep,
                log: None,
            };
            let staged = build::staged_bytes(&dir)?;
            let progress = if staged > 0 {
                bar(staged, "packing")
            } else {
                let spinner = ProgressBar::new_spinner();
                spinner.enable_steady_tick(std::time::Duration::from_millis(120));
                spinner
            };
            let built = build::build_with(
                &dir,
                &out,
                &secret.key,
                &options,
                &mut |message| progress.set_message(message.to_owned()),
                &mut |bytes| progress.inc(bytes),
            );
            progress.finish_and_clear();
            let built = built?;
            if let Some(log) = &built.log {
                eprintln!("build log: {}", log.display());
            }
            if let Some(kept) = &built.kept {
                eprintln!("build directory kept: {}", kept.display());
            }
            println!("{}", built.package.display());
        }
        Command::Repo(RepoCommand::Index { dir, key }) => {
            let secret = keys::read_secret(&key)?;
            let progress = ProgressBar::new_spinner();
            let (written, index) = index::index_dir(&dir, &secret.key, Some(&store), |path| {
                progress.set_message(path.display().to_string());
                progress.inc(1);
            })?;
            progress.finish_and_clear();
            println!("{}: {} packages", written.display(), index.packages.len());
        }
        Command::Check { files } => {
            for file in files {
                let reader = PackageReader::open(&file, Some(&store))?;
                let total = payload_bytes(&reader);
                let progress = bar(total, "checking");
                let signer = keys::key_id(&reader.signer);
                reader.verify(|bytes| progress.inc(bytes))?;
                progress.finish_and_clear();
                println!("{}: ok, signed by key {signer}", file.display());
            }
        }
        Command::Info { package, files } if !looks_like_file(&package) => {
            if files {
                anyhow::bail!("--files lists a package file's files; for an installed package use `pkg files {package}`");
            }
            let (synced, missing) = sync::load(&cli.root, &store)?;
            repo_commands::warn_unsynced(&missing);
            let available = sync::available(&synced);
            match repo_queries::info(
                &available,
                &repo_commands::installed_versions(&cli.root)?,
                &package,
            ) {
                Some(lines) => lines.iter().for_each(|line| println!("{line}")),
                None => anyhow::bail!("no synced repository has a package {package}"),
            }
        }
        Command::Info { package, files } => {
            let file = PathBuf::from(package);
            let reader = PackageReader::open(&file, Some(&store))?;
            let meta = &reader.header.meta;
            println!(
                "{} {} ({})\n  {}",
                meta.name, meta.version, meta.arch, meta.summary
            );
            println!("  license: {}  privacy: {}", meta.license, meta.privacy);
            for line in repo_queries::relation_and_action_lines(meta) {
                println!("{line}");
            }
            println!("  signed by key {}", keys::key_id(&reader.signer));
            if files {
                for entry in &reader.header.entries {
                    println!(
                        "{:o} {}:{} {}",
                        entry.mode, entry.owner, entry.group, entry.path
                    );
                }
            }
        }
        Command::Extract { file, dest } => {
            let reader = PackageReader::open(&file, Some(&store))?;
            let progress = bar(payload_bytes(&reader), "extracting");
            reader.extract(&dest, |bytes| progress.inc(bytes))?;
            progress.finish_and_clear();
        }
        Command::Install {
            repo,
            from_source,
            packages,
        } => {
            let lock = writer(&cli.root)?;
            let request = repo::Request::Install(&packages);
            let files = match repo {
                None if packages.iter().all(|p| looks_like_file(p)) => packages
                    .iter()
                    .map(|file| match srcpkg::is_source_file(file) {
                        true => source_build::build_chosen_file(&cli.root, &store, file.as_ref()),
                        false => Ok(PathBuf::from(file)),
                    })
                    .map(|file| file.map(PackageFile::from))
                    .collect::<Result<_>>()
                    .map(Some)?,
                None if packages.iter().any(|p| looks_like_file(p)) => anyhow::bail!(
                    "give package files or package names, not both (a file ends in .pkg or has a /)"
                ),
                _ => by_name(
                    &cli.root,
                    cli.dry_run,
                    &store,
                    (repo, request, from_source),
                    &lock,
                )?,
            };
            if let Some(files) = files {
                transact(&cli.root, flags, &lock, &files, &[])?;
            }
        }
        Command::Remove { names } => {
            let lock = writer(&cli.root)?;
            transact(&cli.root, flags, &lock, &[], &names)?;
        }
        Command::Upgrade {
            repo,
            from_source,
            names,
        } => {
            let lock = writer(&cli.root)?;
            let request = repo::Request::Upgrade(&names);
            let files = by_name(
                &cli.root,
                cli.dry_run,
                &store,
                (repo, request, from_source),
                &lock,
            )?;
            if let Some(files) = files {
                transact(&cli.root, flags, &lock, &files, &[])?;
            }
        }
        Command::History => {
            for generation in generation::all(&cli.root)? {
                println!(
                    "{} {} {}",
                    generation.number,
                    format_time(generation.time),
                    generation.changes.join(", ")
                );
            }
        }
        Command::Rollback { number } => {
            let lock = writer(&cli.root)?;
            let current = generation::current(&cli.root)?;
            let number = match number {
                Some(number) => number,
                None if current == 0 => anyhow::bail!("there is no generation to return to"),
                None => current - 1,
            };
            let target = generation::get(&cli.root, number)?;
            let installed = Database::for_root(&cli.root).all()?;
            let removes: Vec<String> = installed
                .iter()
                .filter(|h| !target.installed.iter().any(|m| m.name == h.meta.name))
                .map(|h| h.meta.name.clone())
                .collect();
            let mut files = Vec::new();
            for member in &target.installed {
                if installed
                    .iter()
                    .any(|h| h.meta.name == member.name && h.meta.version == member.version)
                {
                    continue;
                }
                let file = generation::cached_file(&cli.root, &member.name, &member.version);
                if !file.exists() {
                    anyhow::bail!(
                        "generation {number} needs {} {}, whose package file is missing from the cache ({}); nothing was changed",
                        member.name,
                        member.version,
                        file.display()
                    );
                }
                files.push(PackageFile::from(file));
            }
            transact(&cli.root, flags, &lock, &files, &removes)?;
        }
        Command::List { installed: false } => {
            let (synced, missing) = sync::load(&cli.root, &store)?;
            repo_commands::warn_unsynced(&missing);
            let available = sync::available(&synced);
            for line in
                repo_queries::list(&available, &repo_commands::installed_versions(&cli.root)?)
            {
                println!("{line}");
            }
        }
        Command::Update => {
            let lock = writer(&cli.root)?;
            repo_commands::update(&cli.root, &store, &lock)?;
        }
        Command::Search { term } => {
            let (synced, missing) = sync::load(&cli.root, &store)?;
            repo_commands::warn_unsynced(&missing);
            let available = sync::available(&synced);
            let lines = repo_queries::search(
                &available,
                &repo_commands::installed_versions(&cli.root)?,
                &term,
            );
            if lines.is_empty() {
                anyhow::bail!("no package matches `{term}`");
            }
            lines.iter().for_each(|line| println!("{line}"));
        }
        Command::Clean => {
            let _lock = writer(&cli.root)?;
            let (files, bytes) = fetch_many::clean(&cli.root)?;
            println!(
                "removed {files} files ({bytes} bytes, {}) from {}",
                indicatif::HumanBytes(bytes),
                fetch_many::cache_dir(&cli.root).display()
            );
        }
        Command::List { installed: true } => {
            for header in Database::for_root(&cli.root).all()? {
                println!(
                    "{} {} [privacy: {}]",
                    header.meta.name, header.meta.version, header.meta.privacy
                );
            }
        }
        Command::Files { name } => {
            let header = Database::for_root(&cli.root)
                .get(&name)?
                .ok_or_else(|| anyhow::anyhow!("{name} is not installed"))?;
            for entry in header.entries {
                println!("/{}", entry.path);
            }
        }
        Command::Owner { path } => match Database::for_root(&cli.root).owner(&path)? {
            Some(name) => println!("{name}"),
            None => anyhow::bail!("no installed package owns {path}"),
        },
        Command::Verify { name } => {
            let db = Database::for_root(&cli.root);
            let headers = match name {
                Some(name) => vec![db
                    .get(&name)?
                    .ok_or_else(|| anyhow::anyhow!("{name} is not installed"))?],
                None => db.all()?,
            };
            let ids = Ids::load(&cli.root)?;
            let mut problems = 0;
            for header in headers {
                for entry in &header.entries {
                    let problem = check_entry(&cli.root, entry)
                        .or_else(|| ids.check_installed(&cli.root, entry));
                    if let Some(problem) = problem {
                        println!("{}: {problem}", header.meta.name);
                        problems += 1;
                    }
                }
            }
            if problems > 0 {
                return Err(Refused::new(
                    &cli.root,
                    format!("{problems} installed files differ from their packages"),
                )
                .into());
            }
        }
        Command::Audit => {
            let policy = config::Config::load(&cli.root)?.privacy;
            let installed = Database::for_root(&cli.root).all()?;
            let metas: Vec<&basalt_pkg::recipe::Metadata> =
                installed.iter().map(|h| &h.meta).collect();
            let (report, flagged) = privacy::audit(&policy, &metas);
            print!("{report}");
            if flagged {
                return Err(privacy::Flagged {
                    count: metas
                        .iter()
                        .filter(|m| m.privacy != basalt_pkg::recipe::Privacy::None)
                        .count(),
                }
                .into());
            }
        }
        Command::Resolve { index, requests } => {
            let (loaded, _) = index::open_index(&index, Some(&store))?;
            let universe = Universe::new(loaded.packages())
                .with_context(|| format!("{}: bad package metadata", index.display()))?;
            for package in universe.resolve(&requests)? {
                println!("{} {}", package.name(), package.version());
            }
        }
    }
    Ok(())
}

/// Whether a command-line argument names a package file rather than a package (names have
/// neither a `/` nor the `.pkg` ending).
fn looks_like_file(argument: &str) -> bool {
    argument.ends_with(".pkg") || argument.contains('/')
}

/// The package files an install or upgrade by name needs, from the local repository `repo` or
/// else the configured ones; `None` when a dry run over the configured ones said what it would do.
fn by_name(
    root: &std::path::Path,
    dry_run: bool,
    store: &KeyStore,
    (repo, request, from_source): (Option<PathBuf>, repo::Request, bool),
    lock: &install::Lock,
) -> Result<Option<Vec<PackageFile>>> {
    match repo {
        Some(repo) => repo::choose(root, store, &repo, request, from_source).map(Some),
        None => {
            Ok(
                repo_commands::from_repositories(root, store, request, dry_run, from_source, lock)?
                    .map(|files| files.into_iter().map(PackageFile::from).collect()),
            )
        }
    }
}

/// Takes the root's writer lock and finishes any interrupted transaction, so that what is read
/// next is the root's real state.
fn writer(root: &std::path::Path) -> Result<install::Lock> {
    let lock = install::lock(root)?;
    install::recover(root, &lock)?;
    Ok(lock)
}

/// The options of a changing command.
#[derive(Clone, Copy)]
struct Flags {
    dry_run: bool,
    yes: bool,
    allow_tracking: bool,
}

fn flags(cli: &Cli) -> Flags {
    Flags {
        dry_run: cli.dry_run,
        yes: cli.yes,
        allow_tracking: cli.allow_tracking,
    }
}

/// Asks `question` on the terminal; true for yes.
fn ask(question: &str) -> Result<bool> {
    print!("{question}");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Plans a transaction, shows it, applies the privacy policy, asks (or not), and runs it.
fn transact(
    root: &std::path::Path,
    Flags {
        dry_run,
        yes,
        allow_tracking,
    }: Flags,
    lock: &install::Lock,
    files: &[PackageFile],
    remove: &[String],
) -> Result<()> {
    let plan = install::plan(root, lock, files, remove)?;
    if plan.changes.is_empty() {
        println!("nothing to do");
        return Ok(());
    }
    for change in &plan.changes {
        println!("{change}");
    }
    for line in plan.action_lines() {
        println!("{line}");
    }
    let policy = config::Config::load(root)?.privacy;
    let packages: Vec<(&std::path::Path, &basalt_pkg::recipe::Metadata)> = plan
        .installs()
        .map(|(file, header)| (file, &header.meta))
        .collect();
    let answering = if dry_run {
        Answering::DryRun
    } else if yes {
        Answering::Yes
    } else if std::io::stdin().is_terminal() {
        Answering::Ask
    } else {
        Answering::NoTerminal
    };
    for line in privacy::review(
        &policy,
        &config::path(root),
        &packages,
        answering,
        allow_tracking,
        ask,
    )? {
        println!("{line}");
    }
    if dry_run {
        println!("dry run: nothing was changed");
        return Ok(());
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            anyhow::bail!(
                "refusing to change {} without --yes: standard input is not a terminal to ask on",
                root.display()
            );
        }
        print!("Proceed? [Y/n] ");
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "" | "y" | "Y" | "yes") {
            anyhow::bail!("aborted; nothing was changed");
        }
    }
    let progress = bar(plan.payload_bytes(), "installing");
    let result = plan.execute(|bytes| progress.inc(bytes));
    progress.finish_and_clear();
    result?;
    println!("done: generation {}", generation::current(root)?);
    Ok(())
}

/// `YYYY-MM-DD HH:MM:SS UTC` for seconds since the epoch.
fn format_time(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

fn payload_bytes(reader: &PackageReader) -> u64 {
    reader
        .header
        .entries
        .iter()
        .map(|entry| match entry.kind {
            basalt_pkg::manifest::EntryKind::File { size, .. } => size,
            _ => 0,
        })
        .sum()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pkg: {error:#}");
            if error.downcast_ref::<Refused>().is_some() {
                ExitCode::from(3)
            } else if error.downcast_ref::<privacy::Flagged>().is_some() {
                ExitCode::from(5)
            } else if error.downcast_ref::<SolveError>().is_some() {
                ExitCode::from(4)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
