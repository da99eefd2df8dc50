//! Putting one fetched source into a build directory: archives (`.tar`, `.tar.gz`/`.tgz`,
//! `.tar.xz`/`.txz`, `.tar.zst`/`.tzst`) are unpacked, any other file is copied as it is.
//!
//! Unpacking refuses entries that would land outside the directory (`..` components, links
//! pointing out and then written through) and entries other than files, directories and links
//! (devices, fifos), naming the archive and the entry. Leading `/`s are dropped, as GNU tar does.
//! Modes are kept without set-id, sticky and group/other write bits; owners are not kept (the
//! build runs as whoever runs pkg); modification times are kept (build tools such as make
//! compare them).
#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Component, Path};

use anyhow::{anyhow, Context, Result};
use tar::EntryType;

use crate::refused::Refused;

/// How a source file is put into the build directory, judged by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tar,
    TarGz,
    TarXz,
    TarZst,
    /// Copied under its own name.
    Plain,
}

impl Kind {
    pub fn of(name: &str) -> Self {
        let name = name.to_ascii_lowercase();
        let ends = |suffixes: &[&str]| suffixes.iter().any(|suffix| name.ends_with(suffix));
        if ends(&[".tar"]) {
            Kind::Tar
        } else if ends(&[".tar.gz", ".tgz"]) {
            Kind::TarGz
        } else if ends(&[".tar.xz", ".txz"]) {
            Kind::TarXz
        } else if ends(&[".tar.zst", ".tzst"]) {
            Kind::TarZst
        } else {
            Kind::Plain
        }
    }
}

/// Puts the source file `file` (whose name, `name`, decides how) into the directory `dest`.
pub fn place(file: &Path, name: &str, dest: &Path) -> Result<()> {
    let open = || -> Result<BufReader<File>> {
        Ok(BufReader::new(File::open(file).with_context(|| {
            format!("cannot open {}", file.display())
        })?))
    };
    let kind = Kind::of(name);
    match kind {
        Kind::Plain => {
            let target = dest.join(name);
            fs::copy(file, &target).with_context(|| {
                format!("cannot copy {} to {}", file.display(), target.display())
            })?;
            Ok(())
        }
        Kind::Tar => unpack_tar(open()?, file, dest),
        Kind::TarGz => unpack_tar(flate2::read::GzDecoder::new(open()?), file, dest),
        Kind::TarXz => unpack_tar(lzma_rust2::XzReader::new(open()?, true), file, dest),
        Kind::TarZst => unpack_tar(
            zstd::Decoder::new(open()?).with_context(|| format!("{}: not zstd", file.display()))?,
            file,
            dest,
        ),
    }
}

/// Unpacks the tar stream `reader` (from `archive`, named in errors) into `dest`.
fn unpack_tar(reader: impl Read, archive: &Path, dest: &Path) -> Result<()> {
    let mut tar = tar::Archive::new(reader);
    tar.set_preserve_permissions(true);
    tar.set_mask(0o7022);
    tar.set_preserve_ownerships(false);
    tar.set_unpack_xattrs(false);
    tar.set_preserve_mtime(true);
    let broken =
        |error: io::Error| anyhow!("{}: not a readable archive: {error}", archive.display());
    // Directories last, deepest first, so that a read-only one does not block its contents.
    let mut directories = Vec::new();
    for entry in tar.entries().map_err(broken)? {
        let mut entry = entry.map_err(broken)?;
        let path = entry.path().map_err(broken)?.into_owned();
        let shown = path.display().to_string();
        let refuse = |reason: String| Refused::new(archive, format!("entry `{shown}` {reason}"));
        if path.components().any(|c| matches!(c, Component::ParentDir)) {
            return Err(refuse("has a `..` component".into()).into());
        }
        match entry.header().entry_type() {
            EntryType::Directory => {
                directories.push(entry);
                continue;
            }
            EntryType::Regular
            | EntryType::Continuous
            | EntryType::Symlink
            | EntryType::Link
            | EntryType::GNUSparse => {}
            // A pax global header (git archive writes the commit id in one) carries no file.
            EntryType::XGlobalHeader => continue,
            other => {
                return Err(
                    refuse(format!("is of a kind that cannot be unpacked ({other:?})")).into(),
                )
            }
        }
        let inside = entry
            .unpack_in(dest)
            .map_err(|error| refuse(format!("cannot be unpacked: {error}")))?;
        if !inside {
            return Err(refuse("would land outside the build directory".into()).into());
        }
    }
    directories.sort_by(|a, b| b.path_bytes().cmp(&a.path_bytes()));
    for mut directory in directories {
        let shown = String::from_utf8_lossy(&directory.path_bytes()).into_owned();
        let inside = directory.unpack_in(dest).map_err(|error| {
            Refused::new(
                archive,
                format!("entry `{shown}` cannot be unpacked: {error}"),
            )
        })?;
        if !inside {
            return Err(Refused::new(
                archive,
                format!("entry `{shown}` would land outside the build directory"),
            )
            .into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    /// A tar archive of `(path, contents, mode)` files and a symlink `link -> target` when given.
    fn tar_bytes(files: &[(&str, &str, u32)], link: Option<(&str, &str)>) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, contents, mode) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(contents.len() as u64);
            header.set_mode(*mode);
            header.set_entry_type(EntryType::Regular);
            // Written unchecked: the tests need names that tar's own checks would refuse.
            let name = path.as_bytes();
            header.as_old_mut().name[..name.len()].copy_from_slice(name);
            header.set_cksum();
            builder.append(&header, contents.as_bytes()).unwrap();
        }
        if let Some((path, target)) = link {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(EntryType::Symlink);
            header.set_size(0);
            builder.append_link(&mut header, path, target).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn names_decide_the_kind() {
        assert_eq!(Kind::of("hello-1.0.tar.gz"), Kind::TarGz);
        assert_eq!(Kind::of("x.TGZ"), Kind::TarGz);
        assert_eq!(Kind::of("x.tar.xz"), Kind::TarXz);
        assert_eq!(Kind::of("x.tar.zst"), Kind::TarZst);
        assert_eq!(Kind::of("x.tar"), Kind::Tar);
        assert_eq!(Kind::of("fix.patch"), Kind::Plain);
    }

    #[test]
    fn every_compression_unpacks_with_modes() {
        let tar = tar_bytes(
            &[
                ("hello-1.0/run.sh", "echo hi\n", 0o4777),
                ("hello-1.0/README", "r\n", 0o644),
            ],
            None,
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        let mut xz =
            lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
        xz.write_all(&tar).unwrap();
        let compressed = [
            ("a.tar", tar.clone()),
            ("a.tar.gz", gz.finish().unwrap()),
            ("a.tar.xz", xz.finish().unwrap()),
            ("a.tar.zst", zstd::encode_all(&tar[..], 3).unwrap()),
        ];
        for (name, bytes) in compressed {
            let dir = tempfile::tempdir().unwrap();
            let archive = write(dir.path(), name, &bytes);
            let dest = dir.path().join("out");
            fs::create_dir(&dest).unwrap();
            place(&archive, name, &dest).unwrap();
            assert_eq!(
                fs::read_to_string(dest.join("hello-1.0/run.sh")).unwrap(),
                "echo hi\n",
                "{name}"
            );
            let mode = fs::metadata(dest.join("hello-1.0/run.sh"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o7777,
                0o755,
                "{name}: set-id and group/other write dropped"
            );
        }
    }

    #[test]
    fn plain_files_are_copied() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "downloaded", b"patch\n");
        let dest = dir.path().join("out");
        fs::create_dir(&dest).unwrap();
        place(&file, "fix.patch", &dest).unwrap();
        assert_eq!(fs::read(dest.join("fix.patch")).unwrap(), b"patch\n");
    }

    #[test]
    fn escapes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        fs::create_dir(&dest).unwrap();
        let dotdot = write(
            dir.path(),
            "dotdot.tar",
            &tar_bytes(&[("../evil", "x", 0o644)], None),
        );
        let error = place(&dotdot, "dotdot.tar", &dest).unwrap_err();
        assert!(error.downcast_ref::<Refused>().is_some(), "{error:#}");
        assert!(error.to_string().contains("../evil"), "{error:#}");
        assert!(!dir.path().join("evil").exists());
        // A link pointing out of the directory, then a file written through it.
        let outside = dir.path().join("outside");
        fs::create_dir(&outside).unwrap();
        let mut through = tar_bytes(&[], Some(("link", outside.to_str().unwrap())));
        through.truncate(through.len() - 1024);
        through.extend(tar_bytes(&[("link/evil", "x", 0o644)], None));
        let archive = write(dir.path(), "through.tar", &through);
        let error = place(&archive, "through.tar", &dest).unwrap_err();
        assert!(error.downcast_ref::<Refused>().is_some(), "{error:#}");
        assert!(!outside.join("evil").exists());
    }

    #[test]
    fn devices_are_refused() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(EntryType::Char);
        header.set_size(0);
        header.set_path("dev/null").unwrap();
        header.set_cksum();
        builder.append(&header, &[][..]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let archive = write(dir.path(), "dev.tar", &builder.into_inner().unwrap());
        let error = place(&archive, "dev.tar", dir.path()).unwrap_err();
        assert!(error.to_string().contains("dev/null"), "{error:#}");
    }
}
