//! The private directory every worker works in, and its removal at the end.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// A directory only this run uses.
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
    c_path: CString,
}

impl WorkDir {
    /// Creates `sysfuzz.<pid>` (mode 0700) in `$TMPDIR`, `/tmp` or the current directory, the first that works.
    pub fn create(pid: u32) -> io::Result<Self> {
        let name = format!("sysfuzz.{pid}");
        let mut last_error = io::Error::from(io::ErrorKind::NotFound);
        for base in candidate_bases() {
            let path = base.join(&name);
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Self::at(path),
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    fn at(path: PathBuf) -> io::Result<Self> {
        let absolute = std::path::absolute(&path)?;
        let c_path = CString::new(absolute.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        Ok(Self {
            path: absolute,
            c_path,
        })
    }

    /// The absolute path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The absolute path for `chdir`.
    pub fn c_path(&self) -> &CString {
        &self.c_path
    }

    /// Removes the directory and everything the workers left in it (symbolic links are removed, not followed).
    pub fn remove(self) -> io::Result<()> {
        std::fs::remove_dir_all(&self.path)
    }
}

fn candidate_bases() -> Vec<PathBuf> {
    let mut bases = Vec::new();
    if let Some(tmpdir) = std::env::var_os("TMPDIR").map(PathBuf::from) {
        if tmpdir.is_absolute() {
            bases.push(tmpdir);
        }
    }
    bases.push(PathBuf::from("/tmp"));
    bases.push(PathBuf::from("."));
    bases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_private_directory_and_removes_it_with_contents() {
        // A pid no real process has, so parallel tests and runs cannot collide.
        let dir = WorkDir::create(u32::MAX - 7).expect("create");
        let path = dir.path().to_path_buf();
        assert!(path.is_absolute());
        assert!(path.ends_with(format!("sysfuzz.{}", u32::MAX - 7)));
        assert_eq!(dir.c_path().as_bytes(), path.as_os_str().as_bytes());
        let metadata = std::fs::metadata(&path).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(metadata.permissions().mode() & 0o777, 0o700);
        std::fs::create_dir(path.join("d0")).unwrap();
        std::fs::write(path.join("d0").join("f0"), b"x").unwrap();
        std::os::unix::fs::symlink("/", path.join("l0")).unwrap();
        dir.remove().expect("remove");
        assert!(!path.exists());
        assert!(Path::new("/").exists());
    }

    #[test]
    fn bases_are_absolute_tmp_first_then_the_current_directory() {
        let bases = candidate_bases();
        assert_eq!(bases.last(), Some(&PathBuf::from(".")));
        assert!(bases.contains(&PathBuf::from("/tmp")));
        assert!(bases[..bases.len() - 1]
            .iter()
            .all(|base| base.is_absolute()));
    }
}
