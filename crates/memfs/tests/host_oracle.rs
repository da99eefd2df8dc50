//! The oracle: the same random operations on a `MemFs` and on a real directory of this Linux host (tmpfs at
//! `/dev/shm` when available), comparing every result and errno, and the whole trees every so often.
//!
//! Paths are generated so that they can never climb above the test directory: `..` only appears right after a
//! name (`name/..`), and symlink targets are relative chains of plain names, which only ever lead downwards.

use basalt_memfs::{
    Config, Credentials, Errno, FileType, InodeId, MemFs, PathAt, RenameFlags, Timestamp, Walker,
};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

const NOW: Timestamp = Timestamp::new(1_700_000_000, 0);
const NAMES: [&str; 4] = ["a", "b", "c", "d"];

/// xorshift64*, fixed seeds.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn name(&mut self) -> &'static str {
        NAMES[self.below(NAMES.len() as u64) as usize]
    }

    /// A relative path of 1–3 components: names, `.`, `name/..`, sometimes doubled or trailing slashes, rarely
    /// a component that is too long.
    fn path(&mut self) -> String {
        let mut path = String::new();
        let components = [1, 1, 1, 2, 2, 3][self.below(6) as usize];
        for i in 0..components {
            if i > 0 {
                path.push_str(if self.below(10) == 0 { "//" } else { "/" });
            }
            match self.below(12) {
                0 => path.push('.'),
                1 => {
                    path.push_str(self.name());
                    path.push_str("/..");
                }
                2 if self.below(8) == 0 => path.push_str(&"n".repeat(256)),
                _ => path.push_str(self.name()),
            }
        }
        if self.below(6) == 0 {
            path.push('/');
        }
        path
    }

    /// A symlink target: plain names only, so following it never leaves the test directory.
    fn target(&mut self) -> String {
        let mut target = String::from(self.name());
        if self.below(3) == 0 {
            target.push('/');
            target.push_str(self.name());
        }
        if self.below(5) == 0 {
            target.push('/');
        }
        target
    }
}

/// What one operation returned, in a form both sides can produce.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    Err(u16),
    Type(FileType, u64),
    Bytes(Vec<u8>),
    Names(Vec<String>),
}

fn host_errno(error: io::Error) -> Outcome {
    Outcome::Err(error.raw_os_error().expect("an OS error") as u16)
}

fn host<T>(result: io::Result<T>) -> Outcome {
    match result {
        Ok(_) => Outcome::Done,
        Err(error) => host_errno(error),
    }
}

fn mem<T>(result: Result<T, Errno>) -> Outcome {
    match result {
        Ok(_) => Outcome::Done,
        Err(errno) => Outcome::Err(errno.0),
    }
}

fn host_type(file_type: fs::FileType) -> FileType {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_dir() {
        FileType::Directory
    } else if file_type.is_symlink() {
        FileType::Symlink
    } else if file_type.is_fifo() {
        FileType::Fifo
    } else {
        FileType::Regular
    }
}

/// `renameat2(2)` on the host; std has no way to pass its flags.
fn host_renameat2(old: &Path, new: &Path, flags: u32) -> io::Result<()> {
    let old = CString::new(old.as_os_str().as_bytes()).expect("no NUL in test paths");
    let new = CString::new(new.as_os_str().as_bytes()).expect("no NUL in test paths");
    // SAFETY: both pointers are valid NUL-terminated strings that outlive the call; the call touches nothing else.
    let result = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            old.as_ptr(),
            libc::AT_FDCWD,
            new.as_ptr(),
            flags,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

struct Oracle {
    base: PathBuf,
    on_tmpfs: bool,
    fs: MemFs,
}

impl Oracle {
    fn new(tag: &str) -> Self {
        let shm = Path::new("/dev/shm");
        let (parent, on_tmpfs) = if shm.is_dir() {
            (shm.to_path_buf(), true)
        } else {
            (std::env::temp_dir(), false)
        };
        let base = parent.join(format!("basalt-memfs-oracle-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir(&base).expect("create the oracle directory");
        Self {
            base,
            on_tmpfs,
            fs: MemFs::new(&Config::default(), NOW),
        }
    }

    fn host_path(&self, path: &str) -> PathBuf {
        let mut full = self.base.as_os_str().to_owned();
        full.push("/");
        full.push(path);
        PathBuf::from(full)
    }

    fn walker(&self) -> Walker<'static> {
        Walker {
            root: self.fs.root(),
            cred: Credentials::ROOT,
        }
    }

    fn at<'p>(&self, path: &'p str) -> PathAt<'p> {
        PathAt::new(self.fs.root(), path.as_bytes())
    }

    fn stat_mem(&self, path: &str, follow: bool) -> Outcome {
        match self.fs.lookup_at(&self.walker(), self.at(path), follow) {
            Ok(ino) => self.describe(ino),
            Err(errno) => Outcome::Err(errno.0),
        }
    }

    /// Type plus what is comparable across filesystems: size of files and symlinks, link count, and directory
    /// sizes on tmpfs.
    fn describe(&self, ino: InodeId) -> Outcome {
        let stat = self.fs.stat(ino).expect("resolved inodes exist");
        let file_type = stat.file_type().expect("valid mode");
        let size = if file_type != FileType::Directory || self.on_tmpfs {
            stat.size
        } else {
            0
        };
        Outcome::Type(file_type, size * 1000 + stat.nlink)
    }

    fn stat_host(&self, path: &str, follow: bool) -> Outcome {
        let full = self.host_path(path);
        let metadata = if follow {
            fs::metadata(&full)
        } else {
            fs::symlink_metadata(&full)
        };
        match metadata {
            Ok(metadata) => {
                let file_type = host_type(metadata.file_type());
                let size = if file_type != FileType::Directory || self.on_tmpfs {
                    metadata.size()
                } else {
                    0
                };
                Outcome::Type(file_type, size * 1000 + metadata.nlink())
            }
            Err(error) => host_errno(error),
        }
    }

    /// Runs one random operation on both sides and returns both outcomes and a description.
    fn step(&mut self, rng: &mut Rng) -> (String, Outcome, Outcome) {
        let w = self.walker();
        let p = rng.path();
        let q = rng.path();
        let hp = self.host_path(&p);
        let hq = self.host_path(&q);
        match rng.below(15) {
            0 | 1 => (
                format!("mkdir {p:?}"),
                mem(self
                    .fs
                    .mkdir_at(&w, PathAt::new(self.fs.root(), p.as_bytes()), 0o755, NOW)),
                host(fs::create_dir(&hp)),
            ),
            2 => (
                format!("rmdir {p:?}"),
                mem(self
                    .fs
                    .rmdir_at(&w, PathAt::new(self.fs.root(), p.as_bytes()), NOW)),
                host(fs::remove_dir(&hp)),
            ),
            3 => (
                format!("unlink {p:?}"),
                mem(self
                    .fs
                    .unlink_at(&w, PathAt::new(self.fs.root(), p.as_bytes()), NOW)),
                host(fs::remove_file(&hp)),
            ),
            4 | 5 => {
                let (flags, name) = match rng.below(4) {
                    0 => (RenameFlags::NOREPLACE, "noreplace"),
                    1 => (RenameFlags::EXCHANGE, "exchange"),
                    _ => (RenameFlags::empty(), "plain"),
                };
                let root = self.fs.root();
                let mem_result = mem(self.fs.rename_at(
                    &w,
                    PathAt::new(root, p.as_bytes()),
                    PathAt::new(root, q.as_bytes()),
                    flags,
                    NOW,
                ));
                let host_result = if flags.is_empty() {
                    host(fs::rename(&hp, &hq))
                } else {
                    host(host_renameat2(&hp, &hq, flags.bits()))
                };
                (
                    format!("rename({name}) {p:?} {q:?}"),
                    mem_result,
                    host_result,
                )
            }
            6 => {
                let root = self.fs.root();
                let mem_result = mem(self.fs.link_at(
                    &w,
                    PathAt::new(root, p.as_bytes()),
                    false,
                    PathAt::new(root, q.as_bytes()),
                    NOW,
                ));
                (
                    format!("link {p:?} {q:?}"),
                    mem_result,
                    host(fs::hard_link(&hp, &hq)),
                )
            }
            7 => {
                let target = rng.target();
                let root = self.fs.root();
                let mem_result = mem(self.fs.symlink_at(
                    &w,
                    target.as_bytes(),
                    PathAt::new(root, p.as_bytes()),
                    NOW,
                ));
                (
                    format!("symlink {target:?} {p:?}"),
                    mem_result,
                    host(std::os::unix::fs::symlink(&target, &hp)),
                )
            }
            8 | 9 => {
                let exclusive = rng.below(3) == 0;
                let offset = rng.below(9000);
                let data = vec![(rng.below(255) + 1) as u8; rng.below(5000) as usize];
                let root = self.fs.root();
                let mem_result = match self.fs.open_create(
                    &w,
                    PathAt::new(root, p.as_bytes()),
                    0o644,
                    exclusive,
                    NOW,
                ) {
                    Ok((ino, _)) => mem(self.fs.write_at(ino, offset, &data, NOW)),
                    Err(errno) => Outcome::Err(errno.0),
                };
                let mut options = OpenOptions::new();
                options.write(true);
                if exclusive {
                    options.create_new(true);
                } else {
                    options.create(true);
                }
                let host_result = match options.open(&hp) {
                    Ok(file) => host(file.write_all_at(&data, offset)),
                    Err(error) => host_errno(error),
                };
                (
                    format!(
                        "create(excl={exclusive}) {p:?} + write {}@{offset}",
                        data.len()
                    ),
                    mem_result,
                    host_result,
                )
            }
            10 => {
                let size = rng.below(12_000);
                let mem_result =
                    match self
                        .fs
                        .lookup_at(&w, PathAt::new(self.fs.root(), p.as_bytes()), true)
                    {
                        Ok(ino) => mem(self.fs.truncate(ino, size, NOW)),
                        Err(errno) => Outcome::Err(errno.0),
                    };
                let host_result = match OpenOptions::new().write(true).open(&hp) {
                    Ok(file) => host(file.set_len(size)),
                    Err(error) => host_errno(error),
                };
                (format!("truncate {p:?} {size}"), mem_result, host_result)
            }
            11 => {
                let follow = rng.below(2) == 0;
                (
                    format!("stat(follow={follow}) {p:?}"),
                    self.stat_mem(&p, follow),
                    self.stat_host(&p, follow),
                )
            }
            12 => {
                let mem_result =
                    match self
                        .fs
                        .lookup_at(&w, PathAt::new(self.fs.root(), p.as_bytes()), false)
                    {
                        Ok(ino) => match self.fs.readlink(ino) {
                            Ok(target) => Outcome::Bytes(target.to_vec()),
                            Err(errno) => Outcome::Err(errno.0),
                        },
                        Err(errno) => Outcome::Err(errno.0),
                    };
                let host_result = match fs::read_link(&hp) {
                    Ok(target) => Outcome::Bytes(target.as_os_str().as_bytes().to_vec()),
                    Err(error) => host_errno(error),
                };
                (format!("readlink {p:?}"), mem_result, host_result)
            }
            13 => {
                let mem_result =
                    match self
                        .fs
                        .lookup_at(&w, PathAt::new(self.fs.root(), p.as_bytes()), true)
                    {
                        Ok(ino) => self
                            .read_all(ino)
                            .map_or_else(|errno| Outcome::Err(errno.0), Outcome::Bytes),
                        Err(errno) => Outcome::Err(errno.0),
                    };
                let host_result = match fs::read(&hp) {
                    Ok(bytes) => Outcome::Bytes(bytes),
                    Err(error) => host_errno(error),
                };
                (format!("read {p:?}"), mem_result, host_result)
            }
            _ => {
                let mem_result =
                    match self
                        .fs
                        .lookup_at(&w, PathAt::new(self.fs.root(), p.as_bytes()), true)
                    {
                        Ok(ino) => self
                            .list(ino)
                            .map_or_else(|errno| Outcome::Err(errno.0), Outcome::Names),
                        Err(errno) => Outcome::Err(errno.0),
                    };
                let host_result = match fs::read_dir(&hp) {
                    Ok(entries) => {
                        let mut names: Vec<String> = entries
                            .map(|e| e.unwrap().file_name().into_string().unwrap())
                            .collect();
                        names.sort();
                        Outcome::Names(names)
                    }
                    Err(error) => host_errno(error),
                };
                (format!("list {p:?}"), mem_result, host_result)
            }
        }
    }

    fn read_all(&self, ino: InodeId) -> Result<Vec<u8>, Errno> {
        let mut buf = vec![0; self.fs.stat(ino)?.size as usize];
        let n = self.fs.read_at(ino, 0, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Sorted names in a directory, without `.` and `..`, through `read_dir` in small chunks.
    fn list(&self, dir: InodeId) -> Result<Vec<String>, Errno> {
        let mut names = Vec::new();
        let mut cookie = 0;
        loop {
            let (bytes, next) = self.fs.read_dir(dir, cookie, 100)?;
            if bytes.is_empty() {
                break;
            }
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                let reclen = usize::from(u16::from_le_bytes([rest[16], rest[17]]));
                let name = &rest[19..reclen];
                let name = &name[..name.iter().position(|&b| b == 0).unwrap()];
                if name != b"." && name != b".." {
                    names.push(String::from_utf8(name.to_vec()).unwrap());
                }
                rest = &rest[reclen..];
            }
            cookie = next;
        }
        names.sort();
        Ok(names)
    }

    /// Compares both whole trees: names, types, sizes, link counts, contents, targets, and which names share an
    /// inode.
    fn compare_trees(&self, context: &str) {
        let mut host_to_mem: BTreeMap<u64, InodeId> = BTreeMap::new();
        self.compare_dir(
            &self.base.clone(),
            self.fs.root(),
            "",
            &mut host_to_mem,
            context,
        );
    }

    fn compare_dir(
        &self,
        host_dir: &Path,
        mem_dir: InodeId,
        shown: &str,
        inodes: &mut BTreeMap<u64, InodeId>,
        context: &str,
    ) {
        let mut host_names: Vec<String> = fs::read_dir(host_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        host_names.sort();
        let mem_names = self.list(mem_dir).unwrap();
        assert_eq!(mem_names, host_names, "{context}: entries of {shown:?}");
        for name in host_names {
            let host_path = host_dir.join(&name);
            let shown = format!("{shown}/{name}");
            let metadata = fs::symlink_metadata(&host_path).unwrap();
            let ino = self.fs.lookup(mem_dir, name.as_bytes()).unwrap();
            let previous = inodes.insert(metadata.ino(), ino);
            assert!(
                previous.is_none_or(|previous| previous == ino),
                "{context}: hard links differ at {shown}"
            );
            let stat = self.fs.stat(ino).unwrap();
            let file_type = host_type(metadata.file_type());
            assert_eq!(
                stat.file_type(),
                Some(file_type),
                "{context}: type of {shown}"
            );
            assert_eq!(stat.nlink, metadata.nlink(), "{context}: nlink of {shown}");
            match file_type {
                FileType::Directory => self.compare_dir(&host_path, ino, &shown, inodes, context),
                FileType::Symlink => {
                    let target = fs::read_link(&host_path).unwrap();
                    assert_eq!(
                        self.fs.readlink(ino).unwrap(),
                        target.as_os_str().as_bytes(),
                        "{context}: {shown}"
                    );
                }
                _ => {
                    assert_eq!(stat.size, metadata.size(), "{context}: size of {shown}");
                    assert_eq!(
                        self.read_all(ino).unwrap(),
                        fs::read(&host_path).unwrap(),
                        "{context}: {shown}"
                    );
                }
            }
        }
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.base);
    }
}

fn run(seed: u64, steps: usize) {
    let mut oracle = Oracle::new(&format!("{seed:x}"));
    let mut rng = Rng(seed);
    let mut failures = 0;
    let mut errnos = BTreeMap::new();
    for step in 0..steps {
        let (what, mem_result, host_result) = oracle.step(&mut rng);
        assert_eq!(
            mem_result, host_result,
            "seed {seed:#x} step {step}: {what}"
        );
        if let Outcome::Err(errno) = mem_result {
            *errnos
                .entry(Errno(errno).name().unwrap_or("?"))
                .or_insert(0) += 1;
            failures += 1;
        }
        if step % 50 == 49 {
            oracle.compare_trees(&format!("seed {seed:#x} after step {step} ({what})"));
        }
    }
    oracle.compare_trees(&format!("seed {seed:#x} at the end"));
    // The mix must exercise successes and every interesting error.
    assert!(
        failures > steps / 10 && failures < steps * 9 / 10,
        "{failures} failures in {steps} steps"
    );
    for name in [
        "EBUSY",
        "EEXIST",
        "EINVAL",
        "EISDIR",
        "ELOOP",
        "ENAMETOOLONG",
        "ENOENT",
        "ENOTDIR",
        "ENOTEMPTY",
        "EPERM",
    ] {
        assert!(
            errnos.contains_key(name),
            "seed {seed:#x}: no {name} in {errnos:?}"
        );
    }
}

#[test]
fn random_operations_match_the_host_seed_1() {
    run(0x0b5e_55ed, 6000);
}

#[test]
fn random_operations_match_the_host_seed_2() {
    run(0xfeed_beef_cafe, 6000);
}
