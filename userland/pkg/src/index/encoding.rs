//! The binary body of `index.bpi` (index format 4): a string table, a pool of string ids for
//! lists, one fixed-size record per package, and the time the index was made. Every string is stored once, so a name that
//! many packages depend on costs four bytes per mention; decoding is a bounds-checked walk over
//! the bytes with no parser in between. The layout is documented in `docs/pkg-format.md`.
//!
//! Decoding never trusts a length or an id: every read is checked against the bytes there are,
//! and a body that is signed but malformed gets a `DecodeError` saying what is wrong.
#![forbid(unsafe_code)]

use std::collections::HashMap;

use crate::index::{Index, IndexEntry};
use crate::recipe::{InstallActions, Metadata, Privacy};

/// The id that stands for "no string" (a package without a homepage, default install actions).
const NONE: u32 = u32::MAX;
/// Bytes per package record.
pub const RECORD_LEN: usize = 10 * 4 + 8 + 2 + 4 + 6 * 2 + 4;

/// Why a signed body is not an index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("truncated in {0}")]
    Truncated(&'static str),
    #[error("string {index} ends at {end}, before the previous one or past the {total} bytes of strings")]
    BadStringEnd {
        index: usize,
        end: u32,
        total: usize,
    },
    #[error("string {0} is not UTF-8")]
    NotUtf8(usize),
    #[error("package {record}: {field} refers to string {id}, but there are {count}")]
    BadStringId {
        record: usize,
        field: &'static str,
        id: u32,
        count: usize,
    },
    #[error("package {record}: its lists ({start}+{len}) lie outside the {pool} list entries")]
    BadList {
        record: usize,
        start: u32,
        len: usize,
        pool: usize,
    },
    #[error("package {record}: privacy code {code} is not a level")]
    BadPrivacy { record: usize, code: u8 },
    #[error("package {record}: source flag {code} is not 0 or 1")]
    BadSourceFlag { record: usize, code: u8 },
    #[error("package {record}: install actions: {error}")]
    BadInstall { record: usize, error: String },
    #[error("the list pool refers to string {id}, but there are {count}")]
    BadPoolId { id: u32, count: usize },
    #[error("the counts ({strings} bytes of strings, {ids} strings, {pool} list entries, {records} packages) do not add up to the body's {body} bytes")]
    BadLengths {
        strings: usize,
        ids: usize,
        pool: usize,
        records: usize,
        body: usize,
    },
}

/// Why an index cannot be written in this encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("more than {0} strings or list entries")]
    TooMany(u32),
    #[error("package `{0}` has a list longer than 65535")]
    ListTooLong(String),
}

/// The body for `index`. The same index always gives the same bytes (string ids in order of
/// first use).
pub fn encode(index: &Index) -> Result<Vec<u8>, EncodeError> {
    // Install actions are rare and nested: each is stored as one JSON string.
    let installs: Vec<Option<String>> = index
        .packages
        .iter()
        .map(|entry| {
            (entry.meta.install != InstallActions::default())
                .then(|| serde_json::to_string(&entry.meta.install).unwrap_or_default())
        })
        .collect();
    let mut strings = Strings::default();
    let mut pool: Vec<u32> = Vec::new();
    let mut records: Vec<u8> = Vec::with_capacity(index.packages.len() * RECORD_LEN);
    for (entry, install_json) in index.packages.iter().zip(&installs) {
        // Naming every field (no `..`) makes a new Metadata field a compile error here, so it
        // cannot be silently left out of the index.
        let Metadata {
            name,
            version,
            summary,
            license,
            homepage,
            arch,
            privacy,
            depends,
            provides,
            conflicts,
            replaces,
            optional,
            config,
            install: _,
        } = &entry.meta;
        let install = match install_json {
            Some(json) => strings.id(json)?,
            None => NONE,
        };
        let homepage = match homepage {
            Some(homepage) => strings.id(homepage)?,
            None => NONE,
        };
        for id in [
            strings.id(name)?,
            strings.id(version)?,
            strings.id(summary)?,
            strings.id(license)?,
            homepage,
            strings.id(arch)?,
            strings.id(&entry.file)?,
            strings.id(&entry.sha256)?,
            strings.id(&entry.signer)?,
            install,
        ] {
            records.extend_from_slice(&id.to_le_bytes());
        }
        records.extend_from_slice(&entry.size.to_le_bytes());
        records.push(match privacy {
            Privacy::None => 0,
            Privacy::Telemetry => 1,
            Privacy::Tracking => 2,
        });
        records.push(u8::from(entry.source));
        let start = u32::try_from(pool.len()).map_err(|_| EncodeError::TooMany(u32::MAX))?;
        records.extend_from_slice(&start.to_le_bytes());
        for list in [depends, provides, conflicts, replaces, config] {
            let len =
                u16::try_from(list.len()).map_err(|_| EncodeError::ListTooLong(name.clone()))?;
            records.extend_from_slice(&len.to_le_bytes());
            for text in list {
                pool.push(strings.id(text)?);
            }
        }
        let len =
            u16::try_from(optional.len()).map_err(|_| EncodeError::ListTooLong(name.clone()))?;
        records.extend_from_slice(&len.to_le_bytes());
        for (key, why) in optional {
            pool.push(strings.id(key)?);
            pool.push(strings.id(why)?);
        }
        records.extend_from_slice(&strings.id(&entry.header_sha256)?.to_le_bytes());
    }
    let count = |n: usize| u32::try_from(n).map_err(|_| EncodeError::TooMany(u32::MAX));
    // The string bytes come first so that a reader can keep them as they are (no copy); the
    // time and the counts come last.
    let mut out = strings.bytes;
    out.reserve(4 * strings.ends.len() + 4 * pool.len() + records.len() + 8 + 16);
    for end in &strings.ends {
        out.extend_from_slice(&end.to_le_bytes());
    }
    for id in &pool {
        out.extend_from_slice(&id.to_le_bytes());
    }
    out.extend_from_slice(&records);
    let total = out.len() - records.len() - 4 * pool.len() - 4 * strings.ends.len();
    out.extend_from_slice(&index.time.to_le_bytes());
    for n in [total, strings.ends.len(), pool.len(), index.packages.len()] {
        out.extend_from_slice(&count(n)?.to_le_bytes());
    }
    Ok(out)
}

/// The string table being built: each distinct string once.
#[derive(Default)]
struct Strings<'a> {
    ids: HashMap<&'a str, u32>,
    ends: Vec<u32>,
    bytes: Vec<u8>,
}

impl<'a> Strings<'a> {
    fn id(&mut self, text: &'a str) -> Result<u32, EncodeError> {
        if let Some(&id) = self.ids.get(text) {
            return Ok(id);
        }
        let id = u32::try_from(self.ends.len())
            .ok()
            .filter(|&id| id < NONE)
            .ok_or(EncodeError::TooMany(NONE))?;
        self.bytes.extend_from_slice(text.as_bytes());
        let end = u32::try_from(self.bytes.len()).map_err(|_| EncodeError::TooMany(u32::MAX))?;
        self.ends.push(end);
        self.ids.insert(text, id);
        Ok(id)
    }
}

/// A decoded index: the string table, the list pool and one record per package, each id
/// checked, so that reading a package afterwards cannot fail. Strings are borrowed from it, not
/// copied: this is what makes loading a large index cheap.
#[derive(Debug, Clone, Default)]
pub struct IndexView {
    /// Every string, concatenated (checked as UTF-8 once, at every string boundary).
    pub(super) text: String,
    /// Where each string ends in `text`; string `i` starts where `i - 1` ends.
    pub(super) ends: Vec<u32>,
    /// The lists of every record, as string ids.
    pub(super) pool: Vec<u32>,
    pub(super) records: Vec<Record>,
    /// When the index was made (see [`Index::time`]).
    pub time: u64,
}

/// One package as string ids (each checked to name a string).
#[derive(Debug, Clone)]
pub(super) struct Record {
    pub(super) name: u32,
    pub(super) version: u32,
    pub(super) summary: u32,
    pub(super) license: u32,
    pub(super) homepage: Option<u32>,
    pub(super) arch: u32,
    pub(super) file: u32,
    pub(super) sha256: u32,
    pub(super) header_sha256: u32,
    pub(super) signer: u32,
    pub(super) install: Option<Box<InstallActions>>,
    pub(super) size: u64,
    pub(super) privacy: Privacy,
    pub(super) source: bool,
    /// The first id of this record's lists in the pool.
    pub(super) lists: u32,
    /// Lengths of depends, provides, conflicts, replaces, config, and optional (in pairs).
    pub(super) lens: [u16; 6],
}

/// Bounds-checked reads from the front of the body.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if len > self.bytes.len() {
            return Err(DecodeError::Truncated(what));
        }
        let (taken, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(taken)
    }
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Checks and decodes a body (keeping its string bytes as the view's text).
pub fn decode(mut body: Vec<u8>) -> Result<IndexView, DecodeError> {
    let Some(counts_at) = body.len().checked_sub(16) else {
        return Err(DecodeError::Truncated("the counts"));
    };
    let [total, count, pool_len, record_count] =
        std::array::from_fn(|i| le_u32(&body, counts_at + 4 * i) as usize);
    let expected = [
        total,
        4 * count,
        4 * pool_len,
        RECORD_LEN * record_count,
        8,
        16,
    ]
    .iter()
    .try_fold(0usize, |sum, &part| sum.checked_add(part));
    if expected != Some(body.len()) {
        return Err(DecodeError::BadLengths {
            strings: total,
            ids: count,
            pool: pool_len,
            records: record_count,
            body: body.len(),
        });
    }
    let time_at = counts_at - 8;
    let time = u64::from_le_bytes(std::array::from_fn(|i| body[time_at + i]));
    let mut reader = Reader {
        bytes: &body[total..time_at],
    };
    let ends: Vec<u32> = u32s(reader.take(4 * count, "the string table")?).collect();
    let mut start = 0usize;
    for (index, &end) in ends.iter().enumerate() {
        let end_at = end as usize;
        let last = index + 1 == ends.len();
        if end_at < start || end_at > total || (last && end_at != total) {
            return Err(DecodeError::BadStringEnd { index, end, total });
        }
        start = end_at;
    }
    if ends.is_empty() && total != 0 {
        return Err(DecodeError::BadStringEnd {
            index: 0,
            end: 0,
            total,
        });
    }
    // One UTF-8 check for all strings, then one at each boundary: slicing the text at the ends
    // afterwards can never split a character (or panic).
    let text = match std::str::from_utf8(&body[..total]) {
        Ok(text) => text,
        Err(error) => {
            let at = error.valid_up_to() as u32;
            return Err(DecodeError::NotUtf8(ends.partition_point(|&end| end <= at)));
        }
    };
    if let Some(index) = ends
        .iter()
        .position(|&end| !text.is_char_boundary(end as usize))
    {
        return Err(DecodeError::NotUtf8(index));
    }
    let strings = ends.len();
    let pool: Vec<u32> = u32s(reader.take(4 * pool_len, "the list pool")?).collect();
    if let Some(&id) = pool.iter().find(|&&id| id as usize >= strings) {
        return Err(DecodeError::BadPoolId { id, count: strings });
    }
    let mut records = Vec::with_capacity(record_count);
    for record in 0..record_count {
        let raw = reader.take(RECORD_LEN, "the package records")?;
        let string = |at: usize, field: &'static str| -> Result<u32, DecodeError> {
            let id = le_u32(raw, at);
            if (id as usize) < strings {
                Ok(id)
            } else {
                Err(DecodeError::BadStringId {
                    record,
                    field,
                    id,
                    count: strings,
                })
            }
        };
        let optional_string = |at: usize, field: &'static str| {
            if le_u32(raw, at) == NONE {
                Ok(None)
            } else {
                string(at, field).map(Some)
            }
        };
        let install = match optional_string(36, "install")? {
            None => None,
            Some(id) => {
                let json = &text[string_range(&ends, id)];
                Some(Box::new(serde_json::from_str(json).map_err(|error| {
                    DecodeError::BadInstall {
                        record,
                        error: error.to_string(),
                    }
                })?))
            }
        };
        let privacy = match raw[48] {
            0 => Privacy::None,
            1 => Privacy::Telemetry,
            2 => Privacy::Tracking,
            code => return Err(DecodeError::BadPrivacy { record, code }),
        };
        let source = match raw[49] {
            0 => false,
            1 => true,
            code => return Err(DecodeError::BadSourceFlag { record, code }),
        };
        let lists = le_u32(raw, 50);
        let lens: [u16; 6] =
            std::array::from_fn(|i| u16::from_le_bytes([raw[54 + 2 * i], raw[55 + 2 * i]]));
        let needed =
            lens[..5].iter().map(|&len| usize::from(len)).sum::<usize>() + 2 * usize::from(lens[5]);
        if (lists as usize).saturating_add(needed) > pool_len {
            return Err(DecodeError::BadList {
                record,
                start: lists,
                len: needed,
                pool: pool_len,
            });
        }
        records.push(Record {
            name: string(0, "name")?,
            version: string(4, "version")?,
            summary: string(8, "summary")?,
            license: string(12, "license")?,
            homepage: optional_string(16, "homepage")?,
            arch: string(20, "arch")?,
            file: string(24, "file")?,
            sha256: string(28, "sha256")?,
            header_sha256: string(66, "header_sha256")?,
            signer: string(32, "signer")?,
            install,
            size: u64::from_le_bytes(std::array::from_fn(|i| raw[40 + i])),
            privacy,
            source,
            lists,
            lens,
        });
    }
    body.truncate(total);
    let text = String::from_utf8(body).map_err(|_| DecodeError::NotUtf8(0))?;
    Ok(IndexView {
        text,
        ends,
        pool,
        records,
        time,
    })
}

fn string_range(ends: &[u32], id: u32) -> std::ops::Range<usize> {
    let id = id as usize;
    let start = if id == 0 { 0 } else { ends[id - 1] as usize };
    start..ends[id] as usize
}

impl IndexView {
    /// How many packages there are.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every package, in index order.
    pub fn packages(&self) -> impl ExactSizeIterator<Item = PackageRef<'_>> + '_ {
        (0..self.records.len()).map(move |at| PackageRef { view: self, at })
    }

    /// Package number `at` (in index order), if there is one.
    pub fn package(&self, at: usize) -> Option<PackageRef<'_>> {
        (at < self.records.len()).then_some(PackageRef { view: self, at })
    }

    /// The string ids of one list of record `at` (in bounds: checked when decoding).
    pub(super) fn list_ids(&self, at: usize, list: List) -> &[u32] {
        let record = &self.records[at];
        let lens = record.lens.map(usize::from);
        let start = record.lists as usize + lens[..list as usize].iter().sum::<usize>();
        let len = if matches!(list, List::Optional) {
            2 * lens[5]
        } else {
            lens[list as usize]
        };
        &self.pool[start..start + len]
    }

    pub(super) fn string(&self, id: u32) -> &str {
        &self.text[string_range(&self.ends, id)]
    }

    /// The owned form, every entry materialized.
    pub fn to_index(&self) -> Index {
        Index {
            packages: self.packages().map(|package| package.entry()).collect(),
            time: self.time,
        }
    }
}

/// One package of an `IndexView`: its fields borrowed from the view.
#[derive(Clone, Copy)]
pub struct PackageRef<'a> {
    view: &'a IndexView,
    at: usize,
}

impl std::fmt::Debug for PackageRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.name(), self.version())
    }
}

/// Which list of a record.
#[derive(Clone, Copy)]
pub(super) enum List {
    Depends = 0,
    Provides = 1,
    Conflicts = 2,
    Replaces = 3,
    Config = 4,
    Optional = 5,
}

impl<'a> PackageRef<'a> {
    fn record(&self) -> &'a Record {
        &self.view.records[self.at]
    }

    fn text(&self, id: u32) -> &'a str {
        self.view.string(id)
    }

    /// The position of this package in its index.
    pub fn position(&self) -> usize {
        self.at
    }

    pub fn name(&self) -> &'a str {
        self.text(self.record().name)
    }

    pub fn version(&self) -> &'a str {
        self.text(self.record().version)
    }

    pub fn summary(&self) -> &'a str {
        self.text(self.record().summary)
    }

    pub fn license(&self) -> &'a str {
        self.text(self.record().license)
    }

    pub fn homepage(&self) -> Option<&'a str> {
        self.record().homepage.map(|id| self.text(id))
    }

    pub fn arch(&self) -> &'a str {
        self.text(self.record().arch)
    }

    pub fn privacy(&self) -> Privacy {
        self.record().privacy
    }

    /// The package file, relative to the index.
    pub fn file(&self) -> &'a str {
        self.text(self.record().file)
    }

    pub fn size(&self) -> u64 {
        self.record().size
    }

    pub fn sha256(&self) -> &'a str {
        self.text(self.record().sha256)
    }

    /// The SHA-256 of the package file's signed header (see [`IndexEntry::header_sha256`]).
    pub fn header_sha256(&self) -> &'a str {
        self.text(self.record().header_sha256)
    }

    pub fn signer(&self) -> &'a str {
        self.text(self.record().signer)
    }

    pub fn source(&self) -> bool {
        self.record().source
    }

    /// The install actions, when not the default (none).
    pub fn install(&self) -> Option<&'a InstallActions> {
        self.record().install.as_deref()
    }

    fn list(&self, list: List) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let view = self.view;
        view.list_ids(self.at, list)
            .iter()
            .map(move |&id| view.string(id))
    }

    pub fn depends(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        self.list(List::Depends)
    }

    pub fn provides(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        self.list(List::Provides)
    }

    pub fn conflicts(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        self.list(List::Conflicts)
    }

    pub fn replaces(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        self.list(List::Replaces)
    }

    pub fn config(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        self.list(List::Config)
    }

    /// Optional dependencies: (dependency, why one would want it).
    pub fn optional(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let mut texts = self.list(List::Optional);
        std::iter::from_fn(move || Some((texts.next()?, texts.next()?)))
    }

    /// The owned metadata.
    pub fn meta(&self) -> Metadata {
        let owned = |list: List| self.list(list).map(str::to_owned).collect();
        Metadata {
            name: self.name().to_owned(),
            version: self.version().to_owned(),
            summary: self.summary().to_owned(),
            license: self.license().to_owned(),
            homepage: self.homepage().map(str::to_owned),
            arch: self.arch().to_owned(),
            privacy: self.privacy(),
            depends: owned(List::Depends),
            provides: owned(List::Provides),
            conflicts: owned(List::Conflicts),
            replaces: owned(List::Replaces),
            optional: self
                .optional()
                .map(|(key, why)| (key.to_owned(), why.to_owned()))
                .collect(),
            config: owned(List::Config),
            install: self.install().cloned().unwrap_or_default(),
        }
    }

    /// The owned index entry.
    pub fn entry(&self) -> IndexEntry {
        IndexEntry {
            meta: self.meta(),
            file: self.file().to_owned(),
            size: self.size(),
            sha256: self.sha256().to_owned(),
            header_sha256: self.header_sha256().to_owned(),
            signer: self.signer().to_owned(),
            source: self.source(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::{Directory, User};

    fn sample() -> Index {
        let (packages, _) = crate::bench::generated(12, 1);
        let mut packages: Vec<IndexEntry> = packages
            .into_iter()
            .map(|meta| IndexEntry {
                file: format!("{}-{}.pkg", meta.name, meta.version),
                meta,
                size: 1234,
                sha256: "ab".repeat(32),
                header_sha256: "cd".repeat(32),
                signer: "0123456789abcdef".into(),
                source: false,
            })
            .collect();
        let rich = &mut packages[23];
        rich.source = true;
        rich.meta.homepage = Some("https://example.org/ünïcode".into());
        rich.meta.privacy = Privacy::Telemetry;
        rich.meta.replaces.push("old".into());
        rich.meta.config.push("etc/x.conf".into());
        rich.meta.optional.insert("doc".into(), "manuals".into());
        rich.meta.install.users.push(User {
            name: "daemon".into(),
            uid: Some(7),
            home: None,
            shell: None,
        });
        rich.meta.install.directories.push(Directory {
            path: "var/x".into(),
            mode: 0o750,
            owner: "daemon".into(),
            group: "daemon".into(),
        });
        Index {
            packages,
            time: 1_700_000_000,
        }
    }

    #[test]
    fn round_trips_every_field() {
        let index = sample();
        let body = encode(&index).unwrap();
        assert_eq!(encode(&index).unwrap(), body, "reproducible");
        let view = decode(body).unwrap();
        assert_eq!(view.to_index(), index);
        let rich = view.package(23).unwrap();
        assert_eq!(rich.homepage(), Some("https://example.org/ünïcode"));
        assert_eq!(rich.optional().collect::<Vec<_>>(), [("doc", "manuals")]);
        assert!(rich.source() && rich.install().is_some());
        assert_eq!(
            decode(
                encode(&Index {
                    packages: vec![],
                    time: 0
                })
                .unwrap()
            )
            .unwrap()
            .len(),
            0
        );
    }

    #[test]
    fn every_truncation_is_refused() {
        let body = encode(&sample()).unwrap();
        for len in 0..body.len() {
            assert!(decode(body[..len].to_vec()).is_err(), "cut at {len}");
        }
        let mut longer = body.clone();
        longer.insert(0, b'x');
        assert!(matches!(
            decode(longer),
            Err(DecodeError::BadLengths { .. })
        ));
    }

    /// Offsets of the parts of a body, for corrupting them on purpose.
    struct Layout {
        ends: usize,
        strings: usize,
        bytes: usize,
        pool: usize,
        pool_len: usize,
        records: usize,
        counts: usize,
    }

    fn layout(body: &[u8]) -> Layout {
        let counts = body.len() - 16;
        let bytes = le_u32(body, counts) as usize;
        let strings = le_u32(body, counts + 4) as usize;
        let pool_len = le_u32(body, counts + 8) as usize;
        let pool = bytes + 4 * strings;
        Layout {
            ends: bytes,
            strings,
            bytes,
            pool,
            pool_len,
            records: pool + 4 * pool_len,
            counts,
        }
    }

    fn put_u32(body: &mut [u8], at: usize, value: u32) {
        body[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    #[test]
    fn bad_lengths_offsets_and_ids_get_clear_errors() {
        let body = encode(&sample()).unwrap();
        let at = layout(&body);
        let bad = |change: &dyn Fn(&mut Vec<u8>)| {
            let mut body = body.clone();
            change(&mut body);
            decode(body).err().map(|error| error.to_string())
        };
        let message = |change: &dyn Fn(&mut Vec<u8>), expected: &str| {
            let found = bad(change).unwrap_or_default();
            assert!(
                found.contains(expected),
                "{found:?} should say {expected:?}"
            );
        };
        // Counts that do not add up to the body: refused before allocating.
        for count in 0..4 {
            message(
                &|b| put_u32(b, at.counts + 4 * count, u32::MAX),
                "do not add up",
            );
        }
        message(&|b| put_u32(b, at.counts, 0), "do not add up");
        // A string ending before the previous one.
        message(&|b| put_u32(b, at.ends + 4, 0), "string 1 ends at 0");
        // Bytes that are not UTF-8, and a boundary inside a character.
        message(&|b| b[0] = 0xff, "string 0 is not UTF-8");
        message(&|b| put_u32(b, at.pool - 4, at.bytes as u32 - 1), "ends at");
        let text = &body[..at.bytes];
        let multibyte = text.iter().position(|&b| b >= 0x80).unwrap();
        let string = (0..at.strings)
            .find(|&i| le_u32(&body, at.ends + 4 * i) as usize > multibyte)
            .unwrap();
        message(
            &|b| put_u32(b, at.ends + 4 * string, multibyte as u32 + 1),
            "is not UTF-8",
        );
        // Ids that name no string, in a record and in the pool.
        message(
            &|b| put_u32(b, at.records, at.strings as u32),
            "package 0: name refers to string",
        );
        message(
            &|b| put_u32(b, at.records + 4 * 6, u32::MAX - 1),
            "package 0: file refers",
        );
        message(
            &|b| put_u32(b, at.pool + 4, at.strings as u32 + 9),
            "the list pool refers",
        );
        // Lists reaching past the pool.
        let last = at.records + RECORD_LEN * 23;
        message(
            &|b| put_u32(b, last + 50, at.pool_len as u32),
            "package 23: its lists",
        );
        message(
            &|b| put_u32(b, last + 50, u32::MAX),
            "package 23: its lists",
        );
        message(&|b| b[last + 48] = 9, "privacy code 9");
        message(&|b| b[last + 49] = 2, "source flag 2");
        // Install actions that are not JSON of install actions.
        let install = le_u32(&body, last + 36);
        message(
            &|b| put_u32(b, last + 36, install - 1),
            "package 23: install actions",
        );
    }

    #[test]
    fn no_corruption_panics() {
        let body = encode(&sample()).unwrap();
        for at in 0..body.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut changed = body.clone();
                changed[at] ^= flip;
                let _ = decode(changed);
            }
        }
    }
}
