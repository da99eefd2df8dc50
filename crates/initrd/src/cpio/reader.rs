//! Iterating the entries of one or more concatenated newc archives.

use super::entry::Entry;
use super::header::{self, Header, HEADER_LEN};
use crate::CpioError;

/// Name of the entry that ends an archive.
const TRAILER_NAME: &str = "TRAILER!!!";
/// Headers, names and data are each padded to this alignment (relative to the start).
const ALIGNMENT: usize = 4;

/// Iterator over the entries of a newc archive, yielding `Result<Entry, CpioError>`.
///
/// `TRAILER!!!` entries are consumed, not yielded. As in Linux's initramfs unpacker,
/// further archives may follow a trailer after NUL padding, and NUL bytes before the first
/// archive are skipped too; each archive must start 4-byte aligned. Data simply ending at
/// an entry boundary (no trailer) ends the iteration. After an error the iterator is
/// finished.
#[derive(Debug, Clone)]
pub struct CpioReader<'a> {
    archive: &'a [u8],
    offset: usize,
    /// True at the start and after a trailer, where NUL padding may appear.
    between_archives: bool,
    finished: bool,
}

impl<'a> CpioReader<'a> {
    /// Starts reading `archive` (offsets and alignment are relative to its first byte).
    pub fn new(archive: &'a [u8]) -> Self {
        Self {
            archive,
            offset: 0,
            between_archives: true,
            finished: false,
        }
    }

    /// Skips NUL padding between archives; the next archive must then be aligned.
    fn skip_padding(&mut self) -> Result<(), CpioError> {
        let rest = self.archive.get(self.offset..).unwrap_or_default();
        let zeros = rest.iter().take_while(|&&byte| byte == 0).count();
        self.offset += zeros;
        if self.offset < self.archive.len() && !self.offset.is_multiple_of(ALIGNMENT) {
            return Err(CpioError::Misaligned {
                offset: self.offset,
            });
        }
        Ok(())
    }

    /// Reads the entry at the current offset and moves past it.
    fn read_entry(&mut self) -> Result<Entry<'a>, CpioError> {
        let offset = self.offset;
        let header = header::parse(self.archive, offset)?;
        let overflow = CpioError::SizeOverflow { offset };
        let truncated = CpioError::Truncated { offset };

        let name_start = offset.checked_add(HEADER_LEN).ok_or(overflow)?;
        let name_size = usize::try_from(header.name_size).map_err(|_| overflow)?;
        let name_end = name_start.checked_add(name_size).ok_or(overflow)?;
        let name_with_nul = self.archive.get(name_start..name_end).ok_or(truncated)?;
        let name = decode_name(name_with_nul, offset)?;

        let data_start = align_up(name_end).ok_or(overflow)?;
        let data_size = usize::try_from(header.file_size).map_err(|_| overflow)?;
        let data_end = data_start.checked_add(data_size).ok_or(overflow)?;
        let data = self.archive.get(data_start..data_end).ok_or(truncated)?;
        if let Some(expected) = header.checksum {
            let sum = data
                .iter()
                .fold(0u32, |acc, &byte| acc.wrapping_add(u32::from(byte)));
            if sum != expected {
                return Err(CpioError::ChecksumMismatch { offset });
            }
        }

        // Missing padding after the very last entry is tolerated: the offset then lies
        // past the end, which simply ends the iteration.
        self.offset = align_up(data_end).ok_or(overflow)?;
        Ok(make_entry(name, &header, data))
    }
}

/// Splits off the terminating NUL and checks the name is a clean UTF-8 string.
fn decode_name(name_with_nul: &[u8], offset: usize) -> Result<&str, CpioError> {
    let (last, name) = name_with_nul
        .split_last()
        .ok_or(CpioError::BadName { offset })?;
    if *last != 0 || name.contains(&0) {
        return Err(CpioError::BadName { offset });
    }
    core::str::from_utf8(name).map_err(|_| CpioError::NameNotUtf8 { offset })
}

fn align_up(value: usize) -> Option<usize> {
    value.checked_next_multiple_of(ALIGNMENT)
}

fn make_entry<'a>(name: &'a str, header: &Header, data: &'a [u8]) -> Entry<'a> {
    Entry {
        name,
        ino: header.ino,
        mode: header.mode,
        uid: header.uid,
        gid: header.gid,
        nlink: header.nlink,
        mtime: header.mtime,
        dev_major: header.dev_major,
        dev_minor: header.dev_minor,
        rdev_major: header.rdev_major,
        rdev_minor: header.rdev_minor,
        data,
    }
}

impl<'a> Iterator for CpioReader<'a> {
    type Item = Result<Entry<'a>, CpioError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.finished {
            if self.between_archives {
                if let Err(error) = self.skip_padding() {
                    self.finished = true;
                    return Some(Err(error));
                }
                self.between_archives = false;
            }
            if self.offset >= self.archive.len() {
                self.finished = true;
                return None;
            }
            match self.read_entry() {
                Ok(entry) if entry.name == TRAILER_NAME => self.between_archives = true,
                Ok(entry) => return Some(Ok(entry)),
                Err(error) => {
                    self.finished = true;
                    return Some(Err(error));
                }
            }
        }
        None
    }
}

impl core::iter::FusedIterator for CpioReader<'_> {}
