//! Producer round trip through the library and the `pkg` binary: build → index → resolve →
//! check → extract, and every way a package or index may be refused.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use basalt_pkg::envelope;
use basalt_pkg::index::{self, load_index};
use basalt_pkg::keys::{self, KeyStore};
use basalt_pkg::manifest::{Entry, EntryKind};
use basalt_pkg::package::{self, Header, PackageReader, Payload};
use basalt_pkg::recipe::Recipe;
use basalt_pkg::refused::Refused;
use basalt_pkg::solver::Universe;
use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};

struct World {
    dir: tempfile::TempDir,
    secret: SigningKey,
    store: KeyStore,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (secret, public, _) = keys::generate("repo", &dir.path().join("keys")).unwrap();
        let store = KeyStore::for_root(&dir.path().join("root"));
        store.trust(&public).unwrap();
        let secret = keys::read_secret(&secret).unwrap().key;
        Self { dir, secret, store }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A recipe directory for `name` whose staging holds a binary, a config file, a link and a
    /// directory.
    fn recipe(&self, name: &str, version: &str, depends: &[&str]) -> PathBuf {
        let dir = self.path(&format!("src-{name}-{version}"));
        if dir.exists() {
            return dir;
        }
        let staging = dir.join("root");
        fs::create_dir_all(staging.join("usr/bin")).unwrap();
        fs::create_dir_all(staging.join("etc")).unwrap();
        fs::create_dir_all(staging.join("var/empty")).unwrap();
        fs::write(
            staging.join(format!("usr/bin/{name}")),
            format!("#!/bin/sh\necho {name} {version}\n").repeat(500),
        )
        .unwrap();
        fs::set_permissions(
            staging.join(format!("usr/bin/{name}")),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        fs::write(
            staging.join(format!("etc/{name}.conf")),
            "greeting = hello\n",
        )
        .unwrap();
        symlink(name, staging.join(format!("usr/bin/{name}-link"))).unwrap();
        let depends: Vec<String> = depends.iter().map(|d| format!("{d:?}")).collect();
        let recipe = format!(
            "[package]\nname = \"{name}\"\nversion = \"{version}\"\nsummary = \"test package {name}\"\nlicense = \"MIT\"\n\
             privacy = \"none\"\ndepends = [{}]\nconfig = [\"etc/{name}.conf\"]\n[build]\nstaging = \"root\"\n",
            depends.join(", ")
        );
        fs::write(dir.join("package.toml"), recipe).unwrap();
        dir
    }

    fn build(&self, recipe: &Path, out: &str) -> PathBuf {
        basalt_pkg::build::build(recipe, &self.path(out), &self.secret, |_| {}).unwrap()
    }
}

fn refusal(result: anyhow::Result<impl Sized>) -> String {
    match result {
        Ok(_) => panic!("expected a refusal"),
        Err(error) => {
            assert!(
                error.downcast_ref::<Refused>().is_some(),
                "not a refusal: {error:#}"
            );
            format!("{error:#}")
        }
    }
}

#[test]
fn build_index_resolve_check_extract() {
    let world = World::new();
    let lib = world.build(&world.recipe("libgreet", "1.0", &[]), "repo");
    world.build(&world.recipe("libgreet", "2.0", &[]), "repo");
    let app = world.build(&world.recipe("greet", "1.0", &["libgreet < 2"]), "repo");
    assert_eq!(lib.file_name().unwrap(), "libgreet-1.0-1.x86_64.pkg");

    let (index_path, written) = index::index_dir(
        &world.path("repo"),
        &world.secret,
        Some(&world.store),
        |_| {},
    )
    .unwrap();
    let (loaded, _) = load_index(&index_path, Some(&world.store)).unwrap();
    assert_eq!(loaded, written);
    assert_eq!(loaded.packages.len(), 3);

    let universe = Universe::new(loaded.packages.iter().map(|entry| entry.meta.clone())).unwrap();
    let chosen: Vec<String> = universe
        .resolve(&["greet".into()])
        .unwrap()
        .into_iter()
        .map(|m| format!("{} {}", m.name, m.version))
        .collect();
    assert_eq!(chosen, ["greet 1.0-1", "libgreet 1.0-1"]);

    // The index's digest matches the file.
    let entry = loaded
        .packages
        .iter()
        .find(|e| e.meta.name == "greet")
        .unwrap();
    assert_eq!(
        entry.sha256,
        hex::encode(Sha256::digest(fs::read(&app).unwrap()))
    );

    PackageReader::open(&app, Some(&world.store))
        .unwrap()
        .verify(|_| {})
        .unwrap();
    let dest = world.path("extracted");
    PackageReader::open(&app, Some(&world.store))
        .unwrap()
        .extract(&dest, |_| {})
        .unwrap();
    let staged = world.path("src-greet-1.0/root");
    assert_eq!(
        fs::read(dest.join("usr/bin/greet")).unwrap(),
        fs::read(staged.join("usr/bin/greet")).unwrap()
    );
    assert_eq!(
        fs::metadata(dest.join("usr/bin/greet"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o755
    );
    assert_eq!(
        fs::read_link(dest.join("usr/bin/greet-link")).unwrap(),
        Path::new("greet")
    );
    assert!(dest.join("var/empty").is_dir());
}

#[test]
fn builds_are_reproducible() {
    let world = World::new();
    let recipe = world.recipe("same", "1.0", &[]);
    let first = fs::read(world.build(&recipe, "one")).unwrap();
    // Different file times and a copy in another place: the same bytes.
    let copy = world.path("copy");
    fs::create_dir_all(copy.join("root")).unwrap();
    Command::new("cp")
        .args(["-r"])
        .arg(recipe.join("root"))
        .arg(&copy)
        .status()
        .unwrap();
    fs::copy(recipe.join("package.toml"), copy.join("package.toml")).unwrap();
    let second = fs::read(world.build(&copy, "two")).unwrap();
    assert!(first == second, "two builds of the same inputs differ");
    let recipe_again = Recipe::load(&copy.join("package.toml")).unwrap();
    assert_eq!(recipe_again.meta.name, "same");
}

#[test]
fn flipped_bytes_in_header_and_payload_are_refused() {
    let world = World::new();
    let good = world.build(&world.recipe("flip", "1.0", &[]), "repo");
    let bytes = fs::read(&good).unwrap();
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let payload_start = 16 + header_len + 96;
    let bad = world.path("bad.pkg");
    // Every byte of the header and signature, and a spread of payload bytes.
    let payload_sample = (payload_start..bytes.len()).step_by(7);
    for at in (0..payload_start).chain(payload_sample) {
        let mut changed = bytes.clone();
        changed[at] ^= 0x20;
        fs::write(&bad, &changed).unwrap();
        let result =
            PackageReader::open(&bad, Some(&world.store)).and_then(|reader| reader.verify(|_| {}));
        let message = refusal(result);
        assert!(message.contains("bad.pkg"), "byte {at}: {message}");
    }
    // A flipped payload byte in extraction leaves nothing behind.
    let mut changed = bytes.clone();
    let last = changed.len() - 3;
    changed[last] ^= 0x20;
    fs::write(&bad, &changed).unwrap();
    let dest = world.path("never");
    refusal(
        PackageReader::open(&bad, Some(&world.store))
            .and_then(|reader| reader.extract(&dest, |_| {})),
    );
    assert!(!dest.exists());
    // Truncated and extended files.
    fs::write(&bad, &bytes[..bytes.len() - 1]).unwrap();
    refusal(PackageReader::open(&bad, Some(&world.store)).and_then(|reader| reader.verify(|_| {})));
    let mut longer = bytes.clone();
    longer.push(0);
    fs::write(&bad, &longer).unwrap();
    refusal(PackageReader::open(&bad, Some(&world.store)).and_then(|reader| reader.verify(|_| {})));
}

#[test]
fn flipped_bytes_in_the_index_are_refused() {
    let world = World::new();
    world.build(&world.recipe("indexed", "1.0", &[]), "repo");
    let (index_path, _) = index::index_dir(
        &world.path("repo"),
        &world.secret,
        Some(&world.store),
        |_| {},
    )
    .unwrap();
    let bytes = fs::read(&index_path).unwrap();
    let bad = world.path("bad.bpi");
    for at in 0..bytes.len() {
        let mut changed = bytes.clone();
        changed[at] ^= 0x01;
        fs::write(&bad, &changed).unwrap();
        let message = refusal(load_index(&bad, Some(&world.store)));
        assert!(message.contains("bad.bpi"), "byte {at}: {message}");
    }
}

#[test]
fn untrusted_and_revoked_keys_are_refused_by_name() {
    let world = World::new();
    let good = world.build(&world.recipe("signed", "1.0", &[]), "repo");
    let stranger = KeyStore::for_root(&world.path("other-root"));
    let message = refusal(PackageReader::open(&good, Some(&stranger)));
    let id = keys::key_id(&world.secret.verifying_key());
    assert!(
        message.contains(&id)
            && message.contains("not trusted")
            && message.contains("signed-1.0-1"),
        "{message}"
    );
    world.store.revoke("repo").unwrap();
    let message = refusal(PackageReader::open(&good, Some(&world.store)));
    assert!(
        message.contains(&id) && message.contains("revoked"),
        "{message}"
    );
    // Indexing refuses packages whose signer is not trusted.
    refusal(index::index_dir(
        &world.path("repo"),
        &world.secret,
        Some(&world.store),
        |_| {},
    ));
}

/// Writes a package with a hand-made manifest, signed by a trusted key: only the reader's own
/// checks stand between it and the file system.
fn forged(world: &World, entries: Vec<Entry>, contents: &[u8]) -> PathBuf {
    let recipe = Recipe::load(&world.recipe("forged", "1.0", &[]).join("package.toml")).unwrap();
    let payload = zstd::encode_all(contents, 3).unwrap();
    let header = Header {
        meta: recipe.meta,
        entries,
        payload: Payload {
            size: payload.len() as u64,
            sha256: hex::encode(Sha256::digest(&payload)),
        },
    };
    let mut bytes = envelope::seal(
        package::MAGIC,
        package::FORMAT,
        &serde_json::to_vec(&header).unwrap(),
        &world.secret,
    );
    bytes.extend_from_slice(&payload);
    let path = world.path("forged.pkg");
    fs::write(&path, bytes).unwrap();
    path
}

fn file(path: &str, contents: &[u8]) -> Entry {
    Entry {
        path: path.into(),
        kind: EntryKind::File {
            size: contents.len() as u64,
            blake3: basalt_pkg::manifest::digest_of(&mut &contents[..]).unwrap(),
        },
        mode: 0o644,
        owner: "root".into(),
        group: "root".into(),
    }
}

#[test]
fn path_escapes_are_refused() {
    let world = World::new();
    // The forging itself is sound: a safe manifest is accepted.
    let ok = forged(&world, vec![file("etc/ok", b"fine")], b"fine");
    PackageReader::open(&ok, Some(&world.store))
        .unwrap()
        .extract(&world.path("ok-dest"), |_| {})
        .unwrap();
    assert_eq!(fs::read(world.path("ok-dest/etc/ok")).unwrap(), b"fine");

    for path in [
        "../escape",
        "etc/../../escape",
        "/tmp/escape",
        "etc//x",
        "./x",
    ] {
        let bad = forged(&world, vec![file(path, b"evil")], b"evil");
        let message = refusal(PackageReader::open(&bad, Some(&world.store)));
        assert!(
            message.contains("unsafe manifest") && message.contains("forged.pkg"),
            "{path}: {message}"
        );
    }
    // A link to outside the root followed by a file "through" it.
    let link = Entry {
        path: "lib".into(),
        kind: EntryKind::Symlink {
            target: world.path("outside").display().to_string(),
        },
        mode: 0o777,
        owner: "root".into(),
        group: "root".into(),
    };
    fs::create_dir_all(world.path("outside")).unwrap();
    let bad = forged(&world, vec![link, file("lib/evil", b"evil")], b"evil");
    let message = refusal(PackageReader::open(&bad, Some(&world.store)));
    assert!(message.contains("below the symbolic link"), "{message}");
    assert!(!world.path("outside/evil").exists());
}

fn pkg(world: &World, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pkg"))
        .arg("--root")
        .arg(world.path("root"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn command_line_exit_codes() {
    let world = World::new();
    let recipe = world.recipe("cli", "1.0", &["missing-lib"]);
    let secret = world.path("keys/repo.secret");
    let repo = world.path("repo");
    let (code, out) = pkg(
        &world,
        &[
            "build",
            recipe.to_str().unwrap(),
            "--key",
            secret.to_str().unwrap(),
            "--out",
            repo.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    let built = PathBuf::from(out.trim());
    assert_eq!(pkg(&world, &["check", built.to_str().unwrap()]).0, 0);
    let (code, out) = pkg(
        &world,
        &[
            "repo",
            "index",
            repo.to_str().unwrap(),
            "--key",
            secret.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    let index = repo.join("index.bpi");
    let (code, out) = pkg(
        &world,
        &["resolve", "--index", index.to_str().unwrap(), "cli"],
    );
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("missing-lib"), "{out}");

    let mut bytes = fs::read(&built).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 0xff;
    fs::write(&built, bytes).unwrap();
    let (code, out) = pkg(&world, &["check", built.to_str().unwrap()]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("refused"), "{out}");
    assert_eq!(pkg(&world, &["no-such-command"]).0, 2);
    let (code, out) = pkg(&world, &["key", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains("trusted") && out.contains("repo"), "{out}");
}
