//! Configured repositories: `pkg update` over file://, http:// and https:// mirrors, refusing
//! tampered indexes; search, info and list; installs through the download cache with mirror
//! fallback and priorities; `require_vpn`; `pkg clean`.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

mod common;
#[path = "support/server.rs"]
mod server;

use common::{path_str, Spec, World};
use server::{Route, Server};

/// Moves the package file `built` into the repository directory `dir`.
fn move_into(built: &Path, dir: &Path) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    let target = dir.join(built.file_name().unwrap());
    fs::rename(built, &target).unwrap();
    target
}

/// Writes `dir/index.bpi` signed with the key file `key`.
fn index_with(world: &World, dir: &Path, key: &Path) -> (i32, String) {
    world.pkg_once(
        &["repo", "index", path_str(dir), "--key", path_str(key)],
        &[],
    )
}

fn repo_key(world: &World) -> PathBuf {
    world.dir.path().join("keys/repo.secret")
}

fn write_config(world: &World, file: &str, text: &str) {
    let path = world.root().join("etc/basalt/pkg").join(file);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn one_repo(world: &World, name: &str, urls: &[String]) {
    let urls: Vec<String> = urls.iter().map(|url| format!("\"{url}\"")).collect();
    write_config(
        world,
        "repos.toml",
        &format!(
            "[[repo]]\nname = \"{name}\"\nurls = [{}]\n",
            urls.join(", ")
        ),
    );
}

/// Configures `world`'s repository directory as repository `main`, syncs it, and returns the
/// synced index.
fn sync_the_local_repo(world: &World) -> Vec<u8> {
    one_repo(
        world,
        "main",
        &[format!("file://{}", world.repo().display())],
    );
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 0, "{out}");
    synced_index(world, "main")
}

fn synced_index(world: &World, name: &str) -> Vec<u8> {
    fs::read(
        world
            .root()
            .join(format!("var/lib/basalt/pkg/repos/{name}.bpi")),
    )
    .unwrap()
}

fn flip_byte(path: &Path) {
    let mut bytes = fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(path, bytes).unwrap();
}

fn routes(list: &[(&str, &Path, bool)]) -> HashMap<String, Route> {
    list.iter()
        .map(|(prefix, dir, tamper)| {
            (
                prefix.to_string(),
                Route {
                    dir: dir.to_path_buf(),
                    tamper: *tamper,
                },
            )
        })
        .collect()
}

#[test]
fn update_from_a_file_url_then_search_info_list_and_install() {
    let world = World::new();
    let hello = world.build("hello", &Spec::default());
    world.build(
        "libgreet",
        &Spec {
            version: "2.0",
            ..Spec::default()
        },
    );
    world.index();
    one_repo(
        &world,
        "main",
        &[format!("file://{}", world.repo().display())],
    );

    let (code, out) = world.pkg(&["search", "greet"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("not been synced"), "{out}");

    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("main: 2 packages, signed by key"), "{out}");
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(unchanged)"), "{out}");

    let (code, out) = world.pkg(&["search", "GREET"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("libgreet 2.0-1 (main) - s"), "{out}");
    assert!(!out.contains("hello"), "{out}");
    let (code, out) = world.pkg(&["search", "nothing-like-this"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no package matches"), "{out}");

    let (code, out) = world.pkg(&["info", "hello"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("hello 1.0-1"), "{out}");
    assert!(out.contains("repository: main (priority 0)"), "{out}");
    assert!(out.contains("privacy: none"), "{out}");
    assert!(out.contains("installed: no"), "{out}");
    let (code, out) = world.pkg(&["info", "absent"]);
    assert_eq!(code, 1, "{out}");
    // A package file is still shown as a file.
    let (code, out) = world.pkg(&["info", path_str(&hello)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("signed by key"), "{out}");

    let (code, out) = world.pkg(&["list"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(!out.contains("installed"), "{out}");

    let (code, out) = world.pkg(&["--dry-run", "install", "hello"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("would install hello 1.0-1 from main"), "{out}");
    assert!(world.read("usr/bin/hello").is_none());

    let (code, out) = world.pkg(&["install", "hello"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(world.read("usr/bin/hello").unwrap(), "hello 1.0\n");
    let (_, out) = world.pkg(&["list"]);
    assert!(
        out.contains("hello 1.0-1 (main) [installed 1.0-1]"),
        "{out}"
    );
    assert!(out.contains("libgreet 2.0-1 (main) - s"), "{out}");
    let (_, out) = world.pkg(&["info", "hello"]);
    assert!(out.contains("installed: 1.0-1"), "{out}");
    // --installed still lists only what is installed.
    let (_, out) = world.pkg(&["list", "--installed"]);
    assert_eq!(out.lines().count(), 1, "{out}");
}

#[test]
fn bad_repos_toml_is_an_error_naming_file_and_line() {
    let world = World::new();
    write_config(
        &world,
        "repos.toml",
        "[[repo]]\nname = \"main\"\nurls = [\"/srv\"]\nmirrors = 2\n",
    );
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("repos.toml"), "{out}");
    assert!(out.contains("line 4"), "{out}");
}

#[test]
fn update_over_http_falls_through_dead_and_tampered_mirrors() {
    let world = World::new();
    world.build("hello", &Spec::default());
    world.index();
    let server = Server::start(
        routes(&[
            ("/good", &world.repo(), false),
            ("/bad", &world.repo(), true),
        ]),
        None,
    );
    let dead = format!("http://127.0.0.1:{}/repo", server::dead_port());
    one_repo(
        &world,
        "main",
        &[
            dead.clone(),
            server.url("http", "/bad"),
            server.url("http", "/good"),
        ],
    );
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{dead}/index.bpi failed")), "{out}");
    assert!(
        out.contains(&format!("{}/index.bpi failed", server.url("http", "/bad"))),
        "{out}"
    );
    assert!(out.contains("refused"), "{out}");
    assert!(
        out.contains(&format!("from {}/index.bpi", server.url("http", "/good"))),
        "{out}"
    );

    let (code, out) = world.pkg(&["install", "hello"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("SHA-256 is"), "{out}");
    assert!(
        out.contains(&format!("from {}/hello-", server.url("http", "/good"))),
        "{out}"
    );
    assert_eq!(world.read("usr/bin/hello").unwrap(), "hello 1.0\n");
}

#[test]
fn every_mirror_bad_fails_and_installs_nothing() {
    let world = World::new();
    world.build("hello", &Spec::default());
    world.index();
    let good = world.dir.path().join("good");
    fs::create_dir_all(&good).unwrap();
    fs::copy(world.repo().join("index.bpi"), good.join("index.bpi")).unwrap();
    let server = Server::start(
        routes(&[("/bad", &world.repo(), true), ("/index-only", &good, false)]),
        None,
    );
    one_repo(
        &world,
        "main",
        &[
            server.url("http", "/index-only"),
            server.url("http", "/bad"),
        ],
    );
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = world.pkg(&["install", "hello"]);
    // Not every mirror served bad bytes (one had no file), so this is a failure, not a refusal.
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 of 1 downloads failed"), "{out}");
    assert!(out.contains("no mirror served hello-"), "{out}");
    assert!(out.contains("SHA-256 is"), "{out}");
    assert!(out.contains("404"), "{out}");
    assert!(world.read("usr/bin/hello").is_none());
    assert!(!world.installed().contains("hello"));
}

#[test]
fn a_tampered_or_untrusted_index_is_refused_and_the_old_one_kept() {
    let world = World::new();
    world.build("hello", &Spec::default());
    world.index();
    let good = sync_the_local_repo(&world);

    let index = world.repo().join("index.bpi");
    let original = fs::read(&index).unwrap();
    flip_byte(&index);
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("main: FAILED"), "{out}");
    assert!(out.contains("refused"), "{out}");
    assert!(out.contains("the index synced before is kept"), "{out}");
    assert_eq!(synced_index(&world, "main"), good);

    // Signed by a key the root does not trust.
    fs::write(&index, &original).unwrap();
    let (_, _, other) =
        basalt_pkg::keys::generate("other", &world.dir.path().join("other-keys")).unwrap();
    let (code, out) = index_with(
        &world,
        &world.repo(),
        &world.dir.path().join("other-keys/other.secret"),
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains(&format!("key {other} is not trusted")),
        "{out}"
    );
    assert_eq!(synced_index(&world, "main"), good);
    let (code, out) = world.pkg(&["search", "hello"]);
    assert_eq!(code, 0, "{out}");

    // A tampered synced index is refused when read, too.
    flip_byte(&world.root().join("var/lib/basalt/pkg/repos/main.bpi"));
    let (code, out) = world.pkg(&["install", "hello"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("main.bpi: refused"), "{out}");
}

#[test]
fn the_higher_priority_repository_wins_then_the_newer_version() {
    let world = World::new();
    let low = world.dir.path().join("low");
    let high = world.dir.path().join("high");
    let v2 = world.build(
        "hello",
        &Spec {
            version: "2.0",
            ..Spec::default()
        },
    );
    move_into(&v2, &low);
    let v1 = world.build("hello", &Spec::default());
    move_into(&v1, &high);
    let tool = world.build("tool", &Spec::default());
    fs::copy(&tool, low.join(tool.file_name().unwrap())).unwrap();
    move_into(&tool, &high);
    let v3 = world.build(
        "hello",
        &Spec {
            version: "3.0",
            ..Spec::default()
        },
    );
    move_into(&v3, &low);
    for dir in [&low, &high] {
        let (code, out) = index_with(&world, dir, &repo_key(&world));
        assert_eq!(code, 0, "{out}");
    }
    write_config(
        &world,
        "repos.toml",
        &format!(
            "[[repo]]\nname = \"low\"\nurls = [\"{}\"]\n\n[[repo]]\nname = \"high\"\nurls = [\"file://{}\"]\npriority = 10\n",
            low.display(),
            high.display()
        ),
    );
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("low: 3 packages") && out.contains("high: 2 packages"),
        "{out}"
    );

    let (_, out) = world.pkg(&["info", "hello"]);
    assert!(out.contains("hello 1.0-1"), "{out}");
    assert!(out.contains("repository: high (priority 10)"), "{out}");
    assert!(
        out.contains("other versions: 3.0-1 (low), 2.0-1 (low)"),
        "{out}"
    );

    let (code, out) = world.pkg(&["install", "hello", "tool"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(world.read("usr/bin/hello").unwrap(), "hello 1.0\n");
    assert!(out.contains("tool 1.0-1 (high)"), "{out}");
    // A request only the lower priority can meet gets its newest fitting version.
    let (code, out) = world.pkg(&["install", "hello >= 2"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(world.read("usr/bin/hello").unwrap(), "hello 3.0\n");
    assert!(out.contains("hello 3.0-1 (low)"), "{out}");
}

#[test]
fn cached_downloads_are_reused_and_clean_empties_only_the_download_cache() {
    let world = World::new();
    let built = world.build("hello", &Spec::default());
    world.build("other", &Spec::default());
    world.index();
    let file = built.file_name().unwrap().to_str().unwrap().to_owned();
    let server = Server::start(routes(&[("/r", &world.repo(), false)]), None);
    one_repo(&world, "main", &[server.url("http", "/r")]);
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 0, "{out}");
    let fetched = |server: &Server| {
        server
            .requests()
            .iter()
            .filter(|path| path.ends_with(&file))
            .count()
    };

    let (code, out) = world.pkg(&["install", "hello", "other"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 of 2 packages downloaded"), "{out}");
    assert_eq!(fetched(&server), 1);
    let (code, out) = world.pkg(&["remove", "hello"]);
    assert_eq!(code, 0, "{out}");

    let (code, out) = world.pkg(&["install", "hello"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("hello 1.0-1 (main): in the download cache"),
        "{out}"
    );
    assert!(out.contains("0 of 1 packages downloaded"), "{out}");
    assert_eq!(fetched(&server), 1, "the second install downloaded again");

    // A damaged cached file is downloaded again.
    let cached = world
        .root()
        .join("var/cache/basalt/pkg/downloads/main")
        .join(&file);
    flip_byte(&cached);
    world.pkg(&["remove", "hello"]);
    let (code, out) = world.pkg(&["install", "hello"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(fetched(&server), 2);

    // A partial download left by a killed pkg is removed by the next download.
    let leftover = cached.with_file_name(format!(".{file}.part.99999.ThreadId(2)"));
    fs::write(&leftover, "partial").unwrap();
    world.pkg(&["remove", "hello"]);
    let (code, out) = world.pkg(&["install", "hello"]);
    assert_eq!(code, 0, "{out}");
    assert!(!leftover.exists());

    let (code, out) = world.pkg(&["clean"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("removed 2 files"), "{out}");
    assert!(!world.root().join("var/cache/basalt/pkg/downloads").exists());
    // The generation cache that rollback needs stays.
    assert!(world
        .root()
        .join("var/cache/basalt/pkg")
        .join("hello_1.0-1.pkg")
        .exists());
    let (code, out) = world.pkg(&["clean"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("removed 0 files (0 bytes, "), "{out}");
}

#[test]
fn require_vpn_refuses_network_downloads_unless_the_interface_is_up() {
    let world = World::new();
    world.build("hello", &Spec::default());
    world.index();
    let server = Server::start(routes(&[("/r", &world.repo(), false)]), None);
    write_config(
        &world,
        "repos.toml",
        &format!(
            "[[repo]]\nname = \"net\"\nurls = [\"{}\"]\n[[repo]]\nname = \"local\"\nurls = [\"file://{}\"]\n",
            server.url("http", "/r"),
            world.repo().display()
        ),
    );
    write_config(&world, "pkg.toml", "require_vpn = \"nosuchvpn9\"\n");
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("net: FAILED"), "{out}");
    assert!(
        out.contains("network download refused: pkg.toml says require_vpn = \"nosuchvpn9\""),
        "{out}"
    );
    assert!(out.contains("there is no interface nosuchvpn9"), "{out}");
    // file:// is not network.
    assert!(out.contains("local: 1 packages"), "{out}");
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    // The loopback interface is up (flags IFF_UP, operstate unknown).
    write_config(&world, "pkg.toml", "require_vpn = \"lo\"\n");
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("net: 1 packages"), "{out}");

    // Package downloads are refused too: only the network repository is left.
    write_config(
        &world,
        "repos.toml",
        &format!(
            "[[repo]]\nname = \"net\"\nurls = [\"{}\"]\n",
            server.url("http", "/r")
        ),
    );
    write_config(&world, "pkg.toml", "require_vpn = \"nosuchvpn9\"\n");
    let (code, out) = world.pkg(&["install", "hello"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("require_vpn"), "{out}");
    assert!(world.read("usr/bin/hello").is_none());
    write_config(&world, "pkg.toml", "require_vpn = \"lo\"\n");
    let (code, out) = world.pkg(&["install", "hello"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn https_with_a_repository_ca_and_refused_without_it() {
    let world = World::new();
    world.build("hello", &Spec::default());
    world.index();
    let (ca_pem, tls) = server::test_ca();
    write_config(&world, "ca/test.pem", &ca_pem);
    let server = Server::start(routes(&[("/r", &world.repo(), false)]), Some(tls));
    let url = server.url("https", "/r");
    write_config(
        &world,
        "repos.toml",
        &format!(
            "[[repo]]\nname = \"secure\"\nurls = [\"{url}\"]\nca = \"ca/test.pem\"\n\
             [[repo]]\nname = \"noca\"\nurls = [\"{url}\"]\n"
        ),
    );
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("secure: 1 packages"), "{out}");
    assert!(out.contains("noca: FAILED"), "{out}");
    assert!(
        out.contains("invalid peer certificate: UnknownIssuer"),
        "{out}"
    );

    let (code, out) = world.pkg(&["install", "hello"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("from {url}/hello-")), "{out}");
    assert_eq!(world.read("usr/bin/hello").unwrap(), "hello 1.0\n");
}

#[test]
fn upgrade_uses_the_configured_repositories() {
    let world = World::new();
    world.build("hello", &Spec::default());
    world.index();
    one_repo(
        &world,
        "main",
        &[format!("file://{}", world.repo().display())],
    );
    world.pkg(&["update"]);
    let (code, out) = world.pkg(&["install", "hello"]);
    assert_eq!(code, 0, "{out}");
    world.build(
        "hello",
        &Spec {
            version: "1.1",
            ..Spec::default()
        },
    );
    world.index();
    let (code, out) = world.pkg(&["upgrade"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing to do"), "not synced yet: {out}");
    world.pkg(&["update"]);
    let (code, out) = world.pkg(&["upgrade"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(world.read("usr/bin/hello").unwrap(), "hello 1.1\n");
}

#[test]
fn dependencies_resolve_across_repositories() {
    let world = World::new();
    let base = world.dir.path().join("base");
    let apps = world.dir.path().join("apps");
    move_into(&world.build("lib", &Spec::default()), &base);
    move_into(
        &world.build(
            "app",
            &Spec {
                depends: &["lib >= 1"],
                ..Spec::default()
            },
        ),
        &apps,
    );
    for dir in [&base, &apps] {
        let (code, out) = index_with(&world, dir, &repo_key(&world));
        assert_eq!(code, 0, "{out}");
    }
    write_config(
        &world,
        "repos.toml",
        &format!(
            "[[repo]]\nname = \"base\"\nurls = [\"{}\"]\n[[repo]]\nname = \"apps\"\nurls = [\"{}\"]\n",
            base.display(),
            apps.display()
        ),
    );
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = world.pkg(&["install", "app"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("app 1.0-1 (apps): downloaded"), "{out}");
    assert!(out.contains("lib 1.0-1 (base): downloaded"), "{out}");
    assert_eq!(world.read("usr/bin/lib").unwrap(), "lib 1.0\n");
    // An impossible request is explained by the solver (exit code 4).
    let (code, out) = world.pkg(&["install", "lib >= 5"]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("cannot be satisfied"), "{out}");
}

/// An index older than the one synced (a mirror serving an old, signed index again) is refused
/// and the synced one kept; a newer one replaces it.
#[test]
fn an_older_index_than_the_synced_one_is_refused() {
    let world = World::new();
    world.build("hello", &Spec::default());
    let index_with_time = |time: &str| {
        world.pkg_once(
            &[
                "repo",
                "index",
                path_str(&world.repo()),
                "--key",
                path_str(&repo_key(&world)),
            ],
            &[("SOURCE_DATE_EPOCH", time)],
        )
    };
    let index_at = |time: &str| {
        let (code, out) = index_with_time(time);
        assert_eq!(code, 0, "{out}");
    };
    index_at("2000000000");
    let synced = sync_the_local_repo(&world);
    index_at("1999999999");
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("made at 1999999999") && out.contains("before the one synced already"),
        "{out}"
    );
    assert!(out.contains("the index synced before is kept"), "{out}");
    assert_eq!(synced_index(&world, "main"), synced);
    // The same index again is fine, and so is a newer one.
    index_at("2000000000");
    assert_eq!(world.pkg(&["update"]).0, 0);
    index_at("2000000001");
    let (code, out) = world.pkg(&["update"]);
    assert_eq!(code, 0, "{out}");
    assert_ne!(synced_index(&world, "main"), synced);
    // A bad SOURCE_DATE_EPOCH is an error, not a guess.
    let (code, out) = index_with_time("yesterday");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("SOURCE_DATE_EPOCH `yesterday`"), "{out}");
}
