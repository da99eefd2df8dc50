//! The system image (`out/initramfs-system.cpio.gz`) that `cargo xtask run` boots on Basalt or Debian's Linux:
//! `init` as PID 1 with its services (a getty on the serial console and two small demo services), `svc`,
//! `getty`, `login`, the package manager `pkg` with a small signed demo repository whose key the image trusts
//! ([`crate::pkg_demo_repo`]), busybox for everything else, and a root account whose password is [`ROOT_PASSWORD`].

use crate::initramfs::Initramfs;
use crate::paths::Paths;
use anyhow::{anyhow, Context, Result};
use std::fs;

/// root's password in the image (a test system: documented in README).
pub const ROOT_PASSWORD: &str = "basalt";

/// The salt of root's hash; fixed so that the same inputs give the same image (the password is public anyway).
const ROOT_SALT: &str = "basaltimage";

/// The host name the image sets.
pub const HOSTNAME: &str = "basalt";

/// A login prompt on the serial console, started again after each session. Stopped with SIGHUP, as a hangup ends a
/// login session (an interactive shell ignores SIGTERM); systemd's getty@.service does the same.
const GETTY_TEMPLATE: &str = r#"description = "login prompt on %i"
command = "/sbin/getty"
args = ["%i"]
session = true
restart = "always"
restart_delay_ms = 200
restart_limit = 1000
restart_window_s = 1
stop_signal = "HUP"
stop_timeout_ms = 2000
instances = ["ttyS0"]
"#;

/// A oneshot: done once it has exited with status 0.
const MOTD_SERVICE: &str = r#"description = "writes /run/motd, then is done"
type = "oneshot"
command = "/bin/sh"
args = ["-c", "echo \"Welcome to Basalt, booted by init. Try: svc list\" > /run/motd"]
"#;

/// A notify service with s6-style readiness on fd 3; starts after the oneshot.
const HEARTBEAT_SERVICE: &str = r#"description = "a long-running demo service that says when it is ready"
type = "notify"
ready_fd = 3
requires = ["motd"]
restart = "on-failure"
command = "/bin/sh"
args = ["-c", "echo heartbeat: started; echo >&3; while sleep 60; do echo heartbeat: alive; done"]
"#;

/// busybox's shell runs its own applets before searching PATH, and busybox has a runit `svc`: hence the alias.
const PROFILE: &str = r#"export PS1='\u@\h:\w\$ '
alias svc=/sbin/svc
[ -r /run/motd ] && cat /run/motd
"#;

const ISSUE: &str = "Basalt (\\s \\r) on \\l\n\n";

/// Builds out/initramfs-system.cpio.gz.
pub fn build_system_initramfs(paths: &Paths) -> Result<()> {
    let mut image = Initramfs::new();
    image.add_dir("dev", 0o755)?;
    // The kernel opens it as PID 1's stdin, stdout and stderr before devtmpfs is mounted.
    image.add_char_device("dev/console", 0o600, 5, 1)?;
    for dir in ["proc", "sys", "run", "var/log", "var/lib/basalt"] {
        image.add_dir(dir, 0o755)?;
    }
    image.add_dir("tmp", 0o1777)?;
    image.add_dir("root", 0o700)?;
    crate::build::add_busybox(&mut image)?;
    // Ours in /sbin, which comes before /bin (busybox's login and getty) in PATH.
    for (name, path) in crate::programs::build_svc_programs()? {
        let bytes = crate::build::strip_debug(&path)?;
        image.add_file(&format!("sbin/{name}"), 0o755, bytes)?;
    }
    image.add_symlink("init", "sbin/init")?;
    add_pkg(&mut image)?;
    let hash = root_hash()?;
    let files: [(&str, u32, String); 10] = [
        ("etc/hostname", 0o644, format!("{HOSTNAME}\n")),
        ("etc/issue", 0o644, ISSUE.into()),
        ("etc/profile", 0o644, PROFILE.into()),
        (
            "etc/passwd",
            0o644,
            "root:x:0:0:root:/root:/bin/sh\n".into(),
        ),
        ("etc/group", 0o644, "root:x:0:\ntty:x:5:\n".into()),
        (
            "etc/shadow",
            0o600,
            format!("root:{hash}:20000:0:99999:7:::\n"),
        ),
        (
            "etc/basalt/services/getty@.toml",
            0o644,
            GETTY_TEMPLATE.into(),
        ),
        ("etc/basalt/services/motd.toml", 0o644, MOTD_SERVICE.into()),
        (
            "etc/basalt/services/heartbeat.toml",
            0o644,
            HEARTBEAT_SERVICE.into(),
        ),
        ("etc/shells", 0o644, "/bin/sh\n".into()),
    ];
    for (path, mode, contents) in files {
        image.add_file(path, mode, contents.into_bytes())?;
    }
    let compressed = image.to_cpio_gz()?;
    let destination = paths.system_initramfs();
    fs::create_dir_all(paths.out())?;
    fs::write(&destination, &compressed)
        .with_context(|| format!("writing {}", destination.display()))?;
    println!(
        "initramfs: {} ({} KiB)",
        paths.display(&destination),
        compressed.len().div_ceil(1024)
    );
    Ok(())
}

/// `/usr/bin/pkg`, the demo repository in [`crate::pkg_demo_repo::REPO_DIR`] and its key trusted by `/`.
fn add_pkg(image: &mut Initramfs) -> Result<()> {
    let pkg = crate::programs::build_pkg()?;
    image.add_file("usr/bin/pkg", 0o755, crate::build::strip_debug(&pkg)?)?;
    let repo = crate::pkg_demo_repo::build(&pkg)?;
    for (name, bytes) in repo.files {
        image.add_file(
            &format!("{}/{name}", crate::pkg_demo_repo::REPO_DIR),
            0o644,
            bytes,
        )?;
    }
    image.add_file(
        &format!(
            "etc/basalt/pkg/keys/trusted/{}.pub",
            crate::pkg_demo_repo::KEY_NAME
        ),
        0o644,
        repo.public_key,
    )?;
    Ok(())
}

/// root's /etc/shadow field: SHA-512-crypt of [`ROOT_PASSWORD`], 5000 rounds.
fn root_hash() -> Result<String> {
    let params = sha_crypt::Sha512Params::new(sha_crypt::ROUNDS_DEFAULT)
        .map_err(|e| anyhow!("sha-crypt parameters: {e:?}"))?;
    let hash = sha_crypt::sha512_crypt_b64(ROOT_PASSWORD.as_bytes(), ROOT_SALT.as_bytes(), &params)
        .map_err(|e| anyhow!("hashing root's password: {e:?}"))?;
    Ok(format!("$6${ROOT_SALT}${hash}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_hash_is_sha512_crypt_of_the_password() {
        let hash = root_hash().expect("hash");
        assert!(hash.starts_with("$6$basaltimage$"), "{hash}");
        // `openssl passwd -6 -salt basaltimage basalt`.
        assert_eq!(hash, "$6$basaltimage$oeaEJz1uk0eRKpOHSuXu4pV/pWsuy5sv9L0N6l.xYzEVpB14zA4GPyuj7CkOZgn6XoWK2tvbGDDkZt6mS/r8O0");
    }
}
