//! Source builds: `pkg build` of recipes with `build.steps`, source packages (`--source`), and
//! `pkg install --from-source` / the automatic fallback to a source package.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

mod common;

use common::{path_str, run_pkg, run_pkg_once, World};
use sha2::{Digest, Sha256};

/// A gzip-compressed tar of `(path, contents, mode)` files, made the same way every time.
fn tarball(files: &[(&str, &str, u32)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    for (path, contents, mode) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(*mode);
        header.set_mtime(1_700_000_000);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, path, contents.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The steps of the test recipe: fill in a template from the tarball, install it and a local
/// file (a plain source) into `$DESTDIR`, with a symlink and a directory.
const STEPS: &[&str] = &[
    "cd hello-1.0 && sed \"s/@WHO@/world/\" hello.in > hello",
    "install -D -m 0755 hello-1.0/hello \"$DESTDIR/usr/bin/hello\"",
    "install -D -m 0644 greeting.txt \"$DESTDIR/usr/share/hello/greeting.txt\"",
    "ln -s hello \"$DESTDIR/usr/bin/hi\" && mkdir -p \"$DESTDIR/var/lib/hello\"",
    "date -u -d \"@$SOURCE_DATE_EPOCH\" +%Y > \"$DESTDIR/usr/share/hello/year\"",
];

struct Sources {
    tarball: Vec<u8>,
    greeting: &'static str,
}

fn sources() -> Sources {
    Sources {
        tarball: tarball(&[
            (
                "hello-1.0/hello.in",
                "#!/bin/sh\necho Hello, @WHO@\n",
                0o644,
            ),
            ("hello-1.0/README", "read me\n", 0o644),
        ]),
        greeting: "hi there\n",
    }
}

/// Writes a recipe `name` 1.0 into `dir` with `steps`: the tarball is a source by `tarball_url`
/// (None: a path in the recipe's directory) with SHA-256 `tarball_sha` (None: the right one), and
/// `greeting.txt` is a local source.
fn recipe(
    dir: &Path,
    name: &str,
    extra: &str,
    steps: &[&str],
    tarball_url: Option<&str>,
    tarball_sha: Option<&str>,
) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    let sources = sources();
    fs::write(dir.join("hello-1.0.tar.gz"), &sources.tarball).unwrap();
    fs::write(dir.join("greeting.txt"), sources.greeting).unwrap();
    let url = tarball_url.map_or_else(|| "hello-1.0.tar.gz".to_owned(), str::to_owned);
    let sha = tarball_sha.map_or_else(|| sha256(&sources.tarball), str::to_owned);
    let steps: Vec<String> = steps.iter().map(|step| format!("'''{step}'''")).collect();
    fs::write(
        dir.join("package.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"1.0\"\nsummary = \"Says hello\"\nlicense = \"MIT\"\n\
             privacy = \"none\"\n{extra}\n\
             [[source]]\nurl = \"{url}\"\nsha256 = \"{sha}\"\n\
             [[source]]\nurl = \"greeting.txt\"\nsha256 = \"{}\"\n\
             [build]\nsteps = [{}]\n",
            sha256(sources.greeting.as_bytes()),
            steps.join(", ")
        ),
    )
    .unwrap();
    dir.to_owned()
}

impl Scratch {
    fn new() -> Self {
        let world = World::new();
        let tmp = world.dir.path().join("tmp");
        fs::create_dir(&tmp).unwrap();
        Self { world, tmp }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.world.dir.path().join(name)
    }

    fn secret(&self) -> String {
        path_str(&self.path("keys/repo.secret")).to_owned()
    }

    /// `pkg ARGS` with TMPDIR (where build directories go) set to the scratch's own.
    fn pkg(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
        let mut all = vec![("TMPDIR", path_str(&self.tmp))];
        all.extend_from_slice(env);
        run_pkg(&self.world.root(), args, &all)
    }

    /// `pkg build DIR --key … --out OUT [--cache CACHE] EXTRA…`.
    fn build(&self, dir: &Path, out: &str, extra: &[&str]) -> (i32, String) {
        let (out, cache, key) = (self.path(out), self.path("cache"), self.secret());
        let mut args = vec![
            "build",
            path_str(dir),
            "--key",
            &key,
            "--out",
            path_str(&out),
        ];
        // A source package is not built, so it takes no cache.
        if !extra.contains(&"--source") {
            args.extend(["--cache", path_str(&cache)]);
        }
        args.extend_from_slice(extra);
        self.pkg(&args, &[])
    }

    /// Nothing is left in TMPDIR: build directories are removed.
    fn assert_tmp_empty(&self) {
        let left: Vec<_> = fs::read_dir(&self.tmp).unwrap().collect();
        assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    }
}

struct Scratch {
    world: World,
    tmp: PathBuf,
}

fn only_line(out: &str, suffix: &str) -> PathBuf {
    PathBuf::from(
        out.lines()
            .find(|line| line.ends_with(suffix))
            .unwrap_or_else(|| panic!("no `{suffix}` line in {out}")),
    )
}

#[test]
fn a_recipe_with_steps_builds_and_installs() {
    let s = Scratch::new();
    let tarball = s.path("upstream/hello-1.0.tar.gz");
    fs::create_dir_all(tarball.parent().unwrap()).unwrap();
    fs::write(&tarball, sources().tarball).unwrap();
    let url = format!("file://{}", tarball.display());
    let dir = recipe(&s.path("hello"), "hello", "", STEPS, Some(&url), None);
    let (code, out) = s.build(&dir, "out", &[]);
    assert_eq!(code, 0, "{out}");
    let package = only_line(&out, ".pkg");
    assert_eq!(package, s.path("out/hello-1.0-1.x86_64.pkg"));
    s.assert_tmp_empty();
    let log = fs::read_to_string(s.path("out/hello-1.0-1.x86_64.log")).unwrap();
    assert!(log.contains("==> step 5/5"), "{log}");
    assert!(log.contains("==> isolation: "), "{log}");
    // The fetched tarball is in the cache under its hash.
    let cached = s
        .path("cache")
        .join(sha256(&sources().tarball))
        .join("hello-1.0.tar.gz");
    assert!(cached.is_file());

    let (code, out) = s.pkg(&["install", path_str(&package)], &[]);
    assert_eq!(code, 0, "{out}");
    let root = s.world.root();
    assert_eq!(
        fs::read_to_string(root.join("usr/bin/hello")).unwrap(),
        "#!/bin/sh\necho Hello, world\n"
    );
    let mode = fs::metadata(root.join("usr/bin/hello"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755);
    assert_eq!(
        fs::read_to_string(root.join("usr/share/hello/greeting.txt")).unwrap(),
        "hi there\n"
    );
    assert_eq!(
        fs::read_link(root.join("usr/bin/hi")).unwrap(),
        Path::new("hello")
    );
    assert!(root.join("var/lib/hello").is_dir());
    assert_eq!(
        fs::read_to_string(root.join("usr/share/hello/year")).unwrap(),
        "1970\n",
        "SOURCE_DATE_EPOCH is 0 unless given"
    );
    let (code, out) = s.pkg(&["verify"], &[]);
    assert_eq!(code, 0, "{out}");

    // A second build takes the tarball from the cache: the original may be gone.
    fs::remove_file(&tarball).unwrap();
    let (code, out) = s.build(&dir, "again", &[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_wrong_source_hash_is_refused_naming_the_url() {
    let s = Scratch::new();
    let tarball = s.path("upstream/hello-1.0.tar.gz");
    fs::create_dir_all(tarball.parent().unwrap()).unwrap();
    fs::write(&tarball, sources().tarball).unwrap();
    let url = format!("file://{}", tarball.display());
    let wrong = sha256(b"something else");
    let dir = recipe(
        &s.path("hello"),
        "hello",
        "",
        STEPS,
        Some(&url),
        Some(&wrong),
    );
    let (code, out) = s.build(&dir, "out", &[]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains(&url), "{out}");
    assert!(out.contains(&format!("expected {wrong}")), "{out}");
    assert!(!s.path("out/hello-1.0-1.x86_64.pkg").exists());
    assert!(!s
        .path("cache")
        .join(&wrong)
        .join("hello-1.0.tar.gz")
        .exists());
    s.assert_tmp_empty();

    // A local source with a wrong hash is refused too, naming its file.
    let dir = recipe(&s.path("hello"), "hello", "", STEPS, None, None);
    fs::write(s.path("hello/greeting.txt"), "changed\n").unwrap();
    let (code, out) = s.build(&dir, "out", &[]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("greeting.txt"), "{out}");
}

#[test]
fn a_failing_step_is_reported_with_its_number_command_status_and_log() {
    let s = Scratch::new();
    let steps = [
        "echo one",
        "echo this went wrong >&2; exit 3",
        "echo three > \"$DESTDIR/three\"",
    ];
    let dir = recipe(&s.path("bad"), "bad", "", &steps, None, None);
    let (code, out) = s.build(&dir, "out", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("step 2 of 3 failed (exit status 3)"), "{out}");
    assert!(out.contains("`echo this went wrong >&2; exit 3`"), "{out}");
    assert!(
        out.contains("this went wrong"),
        "the log's last lines: {out}"
    );
    assert!(out.contains("bad-1.0-1.x86_64.log"), "{out}");
    assert!(!s.path("out/bad-1.0-1.x86_64.pkg").exists());
    s.assert_tmp_empty();

    // With --keep the build directory stays, and the error says where.
    let (code, out) = s.build(&dir, "out", &["--keep"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the build directory is kept"), "{out}");
    assert_eq!(fs::read_dir(&s.tmp).unwrap().count(), 1);

    // Steps that install nothing make no package.
    let dir = recipe(&s.path("empty"), "empty", "", &["true"], None, None);
    let (code, out) = s.build(&dir, "out", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("installed nothing"), "{out}");
}

#[test]
fn steps_see_only_the_clean_environment() {
    let s = Scratch::new();
    let steps = [
        "env > \"$DESTDIR/env\"",
        "cat > \"$DESTDIR/stdin\"",
        "umask > \"$DESTDIR/umask\"",
    ];
    let dir = recipe(&s.path("env"), "env", "", &steps, None, None);
    let key = s.secret();
    let (code, out) = s.pkg(
        &[
            "build",
            path_str(&dir),
            "--key",
            &key,
            "--out",
            path_str(&s.path("out")),
            "--cache",
            path_str(&s.path("cache")),
            "--keep",
        ],
        &[("BASALT_LEAK", "1"), ("SOURCE_DATE_EPOCH", "1700000000")],
    );
    assert_eq!(code, 0, "{out}");
    let kept = PathBuf::from(
        out.lines()
            .find_map(|line| line.strip_prefix("build directory kept: "))
            .unwrap_or_else(|| panic!("{out}")),
    );
    assert!(kept.starts_with(&s.tmp), "{out}");
    let dest = kept.join("dest");
    let env = fs::read_to_string(dest.join("env")).unwrap();
    let mut names: Vec<&str> = env
        .lines()
        .filter_map(|line| line.split_once('=').map(|(name, _)| name))
        // What the shell itself sets.
        .filter(|name| !["PWD", "OLDPWD", "SHLVL", "_"].contains(name))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "DESTDIR",
            "HOME",
            "JOBS",
            "LC_ALL",
            "PATH",
            "SOURCE_DATE_EPOCH",
            "SRCDIR",
            "TZ"
        ],
        "{env}"
    );
    for expected in [
        "LC_ALL=C".to_owned(),
        "TZ=UTC".to_owned(),
        "SOURCE_DATE_EPOCH=1700000000".to_owned(),
        format!("DESTDIR={}", dest.display()),
        format!("SRCDIR={}", kept.join("src").display()),
        format!("HOME={}", kept.join("home").display()),
    ] {
        assert!(
            env.lines().any(|line| line == expected),
            "{expected}: {env}"
        );
    }
    assert_eq!(
        fs::read(dest.join("stdin")).unwrap(),
        b"",
        "stdin is /dev/null"
    );
    assert_eq!(
        fs::read_to_string(dest.join("umask")).unwrap().trim(),
        "0022"
    );
}

#[test]
fn the_same_recipe_and_sources_give_identical_bytes() {
    let s = Scratch::new();
    let dir = recipe(&s.path("hello"), "hello", "", STEPS, None, None);
    let (code, out) = s.build(&dir, "one", &[]);
    assert_eq!(code, 0, "{out}");
    // Another build directory, and the recipe's files rewritten (new times).
    fs::write(s.path("hello/greeting.txt"), sources().greeting).unwrap();
    let (code, out) = s.build(&dir, "two", &[]);
    assert_eq!(code, 0, "{out}");
    let one = fs::read(s.path("one/hello-1.0-1.x86_64.pkg")).unwrap();
    let two = fs::read(s.path("two/hello-1.0-1.x86_64.pkg")).unwrap();
    assert!(one == two, "two builds differ");
    // The source packages too.
    for out in ["one", "two"] {
        let (code, text) = s.build(&dir, out, &["--source"]);
        assert_eq!(code, 0, "{text}");
    }
    assert_eq!(
        fs::read(s.path("one/hello-1.0-1.src.pkg")).unwrap(),
        fs::read(s.path("two/hello-1.0-1.src.pkg")).unwrap()
    );
}

/// A repository with `base` (binary), and `hello` (depending on base) as a source package and,
/// when `binary` is set, as a prebuilt binary package saying "prebuilt".
fn repository(s: &Scratch, binary: bool) {
    let hello = recipe(
        &s.path("hello"),
        "hello",
        "depends = [\"base\"]",
        STEPS,
        None,
        None,
    );
    let (code, out) = s.build(&hello, "repo", &["--source"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        only_line(&out, ".src.pkg"),
        s.path("repo/hello-1.0-1.src.pkg")
    );
    s.world.build("base", &Default::default());
    if binary {
        let prebuilt = s.path("prebuilt");
        fs::create_dir_all(prebuilt.join("root/usr/bin")).unwrap();
        fs::write(prebuilt.join("root/usr/bin/hello"), "prebuilt\n").unwrap();
        let text = fs::read_to_string(hello.join("package.toml")).unwrap();
        let head = text.split("[[source]]").next().unwrap();
        fs::write(
            prebuilt.join("package.toml"),
            format!("{head}[build]\nstaging = \"root\"\n"),
        )
        .unwrap();
        let (code, out) = s.build(&prebuilt, "repo", &[]);
        assert_eq!(code, 0, "{out}");
    }
    s.world.index();
}

#[test]
fn the_index_marks_source_packages() {
    let s = Scratch::new();
    repository(&s, true);
    let (index, _) = basalt_pkg::index::load_index(&s.path("repo/index.bpi"), None).unwrap();
    let mut seen: Vec<(String, bool)> = index
        .packages
        .iter()
        .map(|entry| (entry.file.clone(), entry.source))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("base-1.0-1.x86_64.pkg".to_owned(), false),
            ("hello-1.0-1.src.pkg".to_owned(), true),
            ("hello-1.0-1.x86_64.pkg".to_owned(), false),
        ]
    );
    // The source package has the binary's metadata, and lists the recipe and its local files.
    let src = basalt_pkg::package::PackageReader::open(&s.path("repo/hello-1.0-1.src.pkg"), None)
        .unwrap();
    let bin =
        basalt_pkg::package::PackageReader::open(&s.path("repo/hello-1.0-1.x86_64.pkg"), None)
            .unwrap();
    assert_eq!(src.header.meta, bin.header.meta);
    let paths: Vec<&str> = src.header.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["greeting.txt", "hello-1.0.tar.gz", "package.toml"]);
}

#[test]
fn the_binary_is_preferred_and_from_source_builds() {
    let s = Scratch::new();
    repository(&s, true);
    let repo = s.path("repo");
    let (code, out) = s.pkg(&["install", "--repo", path_str(&repo), "hello"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("from source"), "{out}");
    assert_eq!(s.world.read("usr/bin/hello").as_deref(), Some("prebuilt\n"));

    let (code, out) = s.pkg(&["remove", "hello"], &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = s.pkg(
        &[
            "install",
            "--repo",
            path_str(&repo),
            "--from-source",
            "hello",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("building hello 1.0-1 from source, as asked (--from-source)"),
        "{out}"
    );
    assert_eq!(
        s.world.read("usr/bin/hello").as_deref(),
        Some("#!/bin/sh\necho Hello, world\n")
    );
    assert!(
        s.world.read("usr/bin/base").is_some(),
        "dependency installed"
    );
    // Built with the root's local build key, which the root now trusts.
    let (_, keys) = s.pkg(&["key", "list"], &[]);
    assert!(keys.contains("local-build"), "{keys}");
    assert!(s
        .world
        .root()
        .join("var/cache/basalt/pkg-build/packages/hello-1.0-1.x86_64.log")
        .is_file());
    s.assert_tmp_empty();
}

#[test]
fn a_package_with_only_a_source_package_is_built_automatically() {
    let s = Scratch::new();
    repository(&s, false);
    let repo = s.path("repo");
    let (code, out) = s.pkg(&["install", "--repo", path_str(&repo), "hello"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "building hello 1.0-1 from source, as the repository has no binary package of it"
        ),
        "{out}"
    );
    assert_eq!(
        s.world.read("usr/bin/hello").as_deref(),
        Some("#!/bin/sh\necho Hello, world\n")
    );
    let (code, out) = s.pkg(&["verify"], &[]);
    assert_eq!(code, 0, "{out}");

    // A newer version, again only as a source package, is built by upgrade.
    let newer = recipe(&s.path("hello-2"), "hello", "", STEPS, None, None);
    let text = fs::read_to_string(newer.join("package.toml")).unwrap();
    fs::write(
        newer.join("package.toml"),
        text.replace("version = \"1.0\"", "version = \"2.0\"")
            .replace("s/@WHO@/world/", "s/@WHO@/again/"),
    )
    .unwrap();
    let (code, out) = s.build(&newer, "repo", &["--source"]);
    assert_eq!(code, 0, "{out}");
    s.world.index();
    let (code, out) = s.pkg(&["upgrade", "--repo", path_str(&repo)], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("building hello 2.0-1 from source"), "{out}");
    assert_eq!(
        s.world.read("usr/bin/hello").as_deref(),
        Some("#!/bin/sh\necho Hello, again\n")
    );
}

#[test]
fn tampered_or_untrusted_source_packages_are_refused() {
    let s = Scratch::new();
    repository(&s, false);
    let repo = s.path("repo");
    let file = repo.join("hello-1.0-1.src.pkg");
    let good = fs::read(&file).unwrap();
    // One flipped byte in the payload (its end) and in the signed header (its start).
    for at in [good.len() - 10, 40] {
        let mut bad = good.clone();
        bad[at] ^= 1;
        fs::write(&file, &bad).unwrap();
        let (code, out) = s.pkg(&["install", "--repo", path_str(&repo), "hello"], &[]);
        assert_eq!(code, 3, "{out}");
        assert!(out.contains("hello-1.0-1.src.pkg: refused"), "{out}");
        let (code, out) = s.pkg(&["install", path_str(&file)], &[]);
        assert_eq!(code, 3, "{out}");
        assert!(out.contains("hello-1.0-1.src.pkg: refused"), "{out}");
        assert!(s.world.read("usr/bin/hello").is_none());
    }
    // A source package signed by a key the root does not trust.
    fs::write(&file, &good).unwrap();
    let (other, _, _) = basalt_pkg::keys::generate("other", &s.path("other-keys")).unwrap();
    let elsewhere = s.path("elsewhere");
    let key = path_str(&other).to_owned();
    let (code, out) = run_pkg_once(
        &s.world.root(),
        &[
            "build",
            path_str(&s.path("hello")),
            "--source",
            "--key",
            &key,
            "--out",
            path_str(&elsewhere),
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = s.pkg(
        &["install", path_str(&elsewhere.join("hello-1.0-1.src.pkg"))],
        &[],
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("is not trusted"), "{out}");
    assert!(s.world.read("usr/bin/hello").is_none());

    // The untouched source package, named on the command line, is built and installed (with
    // the package file of its dependency).
    let base = repo.join("base-1.0-1.x86_64.pkg");
    let (code, out) = s.pkg(&["install", path_str(&base), path_str(&file)], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("from the source package named"), "{out}");
    assert_eq!(
        s.world.read("usr/bin/hello").as_deref(),
        Some("#!/bin/sh\necho Hello, world\n")
    );
}

/// Serves `body` over HTTP on a loopback port to at most one client, then stops; returns the
/// port and the thread, which yields how many requests it answered.
fn serve_once(body: Vec<u8>) -> (u16, std::thread::JoinHandle<usize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = std::thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return 0;
        };
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
            line.clear();
        }
        let mut stream = reader.into_inner();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
        1
    });
    (port, thread)
}

#[test]
fn http_sources_are_fetched_once_into_the_cache() {
    let s = Scratch::new();
    let (port, server) = serve_once(sources().tarball);
    let url = format!("http://127.0.0.1:{port}/dist/hello-1.0.tar.gz");
    let dir = recipe(&s.path("hello"), "hello", "", STEPS, Some(&url), None);
    let no_proxy = [("NO_PROXY", "127.0.0.1"), ("no_proxy", "127.0.0.1")];
    let (out_dir, cache, key) = (s.path("out"), s.path("cache"), s.secret());
    let args = [
        "build",
        path_str(&dir),
        "--key",
        &key,
        "--out",
        path_str(&out_dir),
        "--cache",
        path_str(&cache),
    ];
    let (code, out) = s.pkg(&args, &no_proxy);
    assert_eq!(code, 0, "{out}");
    assert_eq!(server.join().unwrap(), 1);
    // The server is gone: the second build can only succeed from the cache.
    let (code, out) = s.pkg(&args, &no_proxy);
    assert_eq!(code, 0, "{out}");
}

/// Makes the repository at `url` the root's only one and syncs it.
fn configure_and_update(s: &Scratch, url: &str) {
    let config = s.world.root().join("etc/basalt/pkg");
    fs::create_dir_all(&config).unwrap();
    fs::write(
        config.join("repos.toml"),
        format!("[[repo]]\nname = \"main\"\nurls = [\"{url}\"]\n"),
    )
    .unwrap();
    let (code, out) = s.pkg(&["update"], &[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn configured_repositories_build_source_only_packages_and_honour_from_source() {
    let s = Scratch::new();
    repository(&s, true);
    configure_and_update(&s, &format!("file://{}", s.path("repo").display()));
    // The binary package is preferred.
    let (code, out) = s.pkg(&["install", "hello"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("from source"), "{out}");
    assert_eq!(s.world.read("usr/bin/hello").as_deref(), Some("prebuilt\n"));
    let (code, out) = s.pkg(&["remove", "hello"], &[]);
    assert_eq!(code, 0, "{out}");
    // --from-source downloads the source package and builds it.
    let (code, out) = s.pkg(&["install", "--from-source", "hello"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("building hello 1.0-1 from source, as asked (--from-source)"),
        "{out}"
    );
    assert_eq!(
        s.world.read("usr/bin/hello").as_deref(),
        Some("#!/bin/sh\necho Hello, world\n")
    );
    s.assert_tmp_empty();
}

#[test]
fn configured_repositories_build_a_package_that_has_only_a_source_package() {
    let s = Scratch::new();
    repository(&s, false);
    configure_and_update(&s, &s.path("repo").display().to_string());
    let (code, out) = s.pkg(&["install", "hello"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("as the repository has no binary package of it"),
        "{out}"
    );
    assert!(s.world.read("usr/bin/base").is_some(), "{out}");
    assert_eq!(
        s.world.read("usr/bin/hello").as_deref(),
        Some("#!/bin/sh\necho Hello, world\n")
    );
}
