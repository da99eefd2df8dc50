//! `pkg`: the command line of Basalt's package manager.
//!
//! Exit codes: 0 success, 1 error, 2 bad usage, 3 input refused (bad signature, untrusted or
//! revoked key, tampered or unsafe contents), 4 a request the solver cannot satisfy.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use basalt_pkg::db::{check_entry, Database};
use basalt_pkg::keys::{self, KeyStore};
use basalt_pkg::package::PackageReader;
use basalt_pkg::refused::Refused;
use basalt_pkg::solver::{SolveError, Universe};
use basalt_pkg::{build, generation, index, install, repo};
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage signing keys and the root's trusted keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Pack the package described by DIR/package.toml (its prebuilt `build.staging` directory).
    Build {
        dir: PathBuf,
        /// The secret key file to sign with.
        #[arg(long)]
        key: PathBuf,
        /// Where to write the package file.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Repository maintenance.
    #[command(subcommand)]
    Repo(RepoCommand),
    /// Verify package files completely: signature, trusted signer, every file's hash.
    Check { files: Vec<PathBuf> },
    /// Show a package file's metadata and file list (its signature checked).
    Info {
        file: PathBuf,
        /// Also list the files.
        #[arg(long)]
        files: bool,
    },
    /// Verify a package file and extract it into DEST, which must not exist yet.
    Extract { file: PathBuf, dest: PathBuf },
    /// Install package files, or (with --repo) packages by name with their dependencies; each
    /// package is one transaction.
    Install {
        /// A local repository directory (holding index.bpi) to resolve names in.
        #[arg(long)]
        repo: Option<PathBuf>,
        /// Package files, or package names (with optional constraints) when --repo is given.
        #[arg(required = true)]
        packages: Vec<String>,
    },
    /// Remove installed packages (all in one transaction); refused if others depend on them.
    Remove {
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Upgrade installed packages (all, or NAME…) to the newest versions the solver allows in a
    /// local repository, changing as little as possible, as one transaction.
    Upgrade {
        /// A local repository directory (holding index.bpi).
        #[arg(long)]
        repo: PathBuf,
        names: Vec<String>,
    },
    /// List the generations: number, time and what each transaction changed.
    History,
    /// Return to generation N (default: the one before the current) as a new transaction, from
    /// the package files kept in ROOT/var/cache/basalt/pkg.
    Rollback { number: Option<u64> },
    /// List packages (today only the installed ones, with --installed).
    List {
        #[arg(long)]
        installed: bool,
    },
    /// List the files of an installed package.
    Files { name: String },
    /// Show which installed package owns PATH.
    Owner { path: String },
    /// Check installed files against their packages' manifests (all packages, or NAME).
    Verify { name: Option<String> },
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
        Command::Build { dir, key, out } => {
            let secret = keys::read_secret(&key)?;
            let progress = bar(build::staged_bytes(&dir)?, "packing");
            let written = build::build(&dir, &out, &secret.key, |bytes| progress.inc(bytes))?;
            progress.finish_and_clear();
            println!("{}", written.display());
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
        Command::Info { file, files } => {
            let reader = PackageReader::open(&file, Some(&store))?;
            let meta = &reader.header.meta;
            println!(
                "{} {} ({})\n  {}",
                meta.name, meta.version, meta.arch, meta.summary
            );
            println!("  license: {}  privacy: {}", meta.license, meta.privacy);
            for (label, list) in [
                ("depends", &meta.depends),
                ("provides", &meta.provides),
                ("conflicts", &meta.conflicts),
            ] {
                if !list.is_empty() {
                    println!("  {label}: {}", list.join(", "));
                }
            }
            println!("  signed by key {}", keys::key_id(&reader.signer));
            if files {
                for entry in &reader.header.entries {
                    println!("{:o} {}", entry.mode, entry.path);
                }
            }
        }
        Command::Extract { file, dest } => {
            let reader = PackageReader::open(&file, Some(&store))?;
            let progress = bar(payload_bytes(&reader), "extracting");
            reader.extract(&dest, |bytes| progress.inc(bytes))?;
            progress.finish_and_clear();
        }
        Command::Install { repo, packages } => {
            let lock = writer(&cli.root)?;
            let files = match repo {
                None => packages.iter().map(PathBuf::from).collect(),
                Some(repo) => {
                    repo::choose(&cli.root, &store, &repo, repo::Request::Install(&packages))?
                }
            };
            transact(&cli.root, (cli.dry_run, cli.yes), &lock, &files, &[])?;
        }
        Command::Remove { names } => {
            let lock = writer(&cli.root)?;
            transact(&cli.root, (cli.dry_run, cli.yes), &lock, &[], &names)?;
        }
        Command::Upgrade { repo, names } => {
            let lock = writer(&cli.root)?;
            let files = repo::choose(&cli.root, &store, &repo, repo::Request::Upgrade(&names))?;
            transact(&cli.root, (cli.dry_run, cli.yes), &lock, &files, &[])?;
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
                files.push(file);
            }
            transact(&cli.root, (cli.dry_run, cli.yes), &lock, &files, &removes)?;
        }
        Command::List { installed } => {
            if !installed {
                anyhow::bail!(
                    "listing repository packages is not supported yet; use `pkg list --installed`"
                );
            }
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
            let mut problems = 0;
            for header in headers {
                for entry in &header.entries {
                    if let Some(problem) = check_entry(&cli.root, entry) {
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

/// Takes the root's writer lock and finishes any interrupted transaction, so that what is read
/// next is the root's real state.
fn writer(root: &std::path::Path) -> Result<install::Lock> {
    let lock = install::lock(root)?;
    install::recover(root, &lock)?;
    Ok(lock)
}

/// Plans a transaction, shows it, asks (or not), and runs it.
fn transact(
    root: &std::path::Path,
    (dry_run, yes): (bool, bool),
    lock: &install::Lock,
    files: &[PathBuf],
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
    let total = files
        .iter()
        .filter_map(|file| PackageReader::open(file, None).ok())
        .map(|reader| payload_bytes(&reader))
        .sum();
    let progress = bar(total, "installing");
    plan.execute(|bytes| progress.inc(bytes))?;
    progress.finish_and_clear();
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
            } else if error.downcast_ref::<SolveError>().is_some() {
                ExitCode::from(4)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
