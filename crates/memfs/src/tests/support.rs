//! Shared test helpers.

use crate::{Config, Credentials, FileType, InodeId, MemFs, NodeKind, PathAt, Timestamp, Walker};
use std::vec::Vec;

pub(crate) const T0: Timestamp = Timestamp::new(1_000, 0);
pub(crate) const T1: Timestamp = Timestamp::new(2_000, 5);
pub(crate) const ROOT: Credentials<'static> = Credentials::ROOT;

pub(crate) fn new_fs() -> MemFs {
    MemFs::new(&Config::default(), T0)
}

pub(crate) fn root_walker(fs: &MemFs) -> Walker<'static> {
    Walker {
        root: fs.root(),
        cred: ROOT,
    }
}

/// Resolves `path` from the root as root, following a final symlink.
pub(crate) fn resolve(fs: &MemFs, path: &str) -> Result<InodeId, crate::Errno> {
    fs.resolve(fs.root(), fs.root(), path.as_bytes(), true)
}

pub(crate) fn at(fs: &MemFs, path: &'static str) -> PathAt<'static> {
    PathAt::new(fs.root(), path.as_bytes())
}

/// Creates directories and files from a list like `["a/", "a/f", "b/"]` (a trailing slash means a directory).
pub(crate) fn build(fs: &mut MemFs, paths: &[&str]) {
    for path in paths {
        let parent = fs
            .resolve_parent(fs.root(), fs.root(), path.as_bytes())
            .unwrap();
        let crate::LastComponent::Name(name) = parent.last else {
            panic!("bad test path {path}")
        };
        if parent.trailing_slash {
            fs.mkdir(parent.dir, name, 0o755, &ROOT, T0).unwrap();
        } else {
            fs.create(parent.dir, name, NodeKind::Regular, 0o644, &ROOT, T0)
                .unwrap();
        }
    }
}

/// Names in directory `dir` (without `.` and `..`) via `read_dir`, in listing order.
pub(crate) fn names(fs: &MemFs, dir: InodeId) -> Vec<std::string::String> {
    let (bytes, _) = fs.read_dir(dir, 2, 1 << 20).unwrap();
    parse_dirents(&bytes)
        .into_iter()
        .map(|record| std::string::String::from_utf8(record.name).unwrap())
        .collect()
}

/// One decoded `linux_dirent64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) ino: u64,
    pub(crate) off: u64,
    pub(crate) reclen: usize,
    pub(crate) dtype: u8,
    pub(crate) name: Vec<u8>,
}

pub(crate) fn parse_dirents(mut bytes: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let ino = u64::from_le_bytes(bytes[0..8].try_into().unwrap());
        let off = u64::from_le_bytes(bytes[8..16].try_into().unwrap());
        let reclen = usize::from(u16::from_le_bytes(bytes[16..18].try_into().unwrap()));
        let dtype = bytes[18];
        let name_and_pad = &bytes[19..reclen];
        let nul = name_and_pad.iter().position(|&b| b == 0).unwrap();
        assert!(
            name_and_pad[nul..].iter().all(|&b| b == 0),
            "padding must be zero"
        );
        assert_eq!(reclen % 8, 0);
        out.push(Record {
            ino,
            off,
            reclen,
            dtype,
            name: name_and_pad[..nul].to_vec(),
        });
        bytes = &bytes[reclen..];
    }
    out
}

pub(crate) fn file_type(fs: &MemFs, path: &str) -> FileType {
    fs.file_type(
        fs.resolve(fs.root(), fs.root(), path.as_bytes(), false)
            .unwrap(),
    )
    .unwrap()
}

/// xorshift64*: a small deterministic PRNG for the randomized tests.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-ish in `0..bound` (bound > 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}
