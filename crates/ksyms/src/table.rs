//! Reading a table: header validation and binary-search lookup. Never
//! panics, whatever the bytes.

use crate::format::{TableError, ENTRY_LEN, FORMAT_VERSION, HEADER_LEN, MAGIC};

/// One entry of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol<'a> {
    /// First address of the symbol.
    pub start: u64,
    /// Size in bytes; 0 when unknown.
    pub size: u32,
    /// Demangled name; `None` if the stored name is not valid.
    pub name: Option<&'a str>,
}

/// A validated view of a table's bytes.
#[derive(Debug, Clone, Copy)]
pub struct KsymTable<'a> {
    entries: &'a [[u8; ENTRY_LEN]],
    names: &'a [u8],
}

impl<'a> KsymTable<'a> {
    /// Checks the header and that the entries and names it announces exist.
    /// Entry contents (order, name offsets) are checked lazily by lookups.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, TableError> {
        let header = bytes.get(..HEADER_LEN).ok_or(TableError::TooShort)?;
        if header.get(..4) != Some(MAGIC.as_slice()) {
            return Err(TableError::BadMagic);
        }
        let version = read_u32(header, 4).ok_or(TableError::TooShort)?;
        if version != FORMAT_VERSION {
            return Err(TableError::UnsupportedVersion { version });
        }
        let count = read_u32(header, 8).ok_or(TableError::TooShort)?;
        let names_len = read_u32(header, 12).ok_or(TableError::TooShort)?;
        let entries_len = usize::try_from(count)
            .ok()
            .and_then(|count| count.checked_mul(ENTRY_LEN))
            .ok_or(TableError::Truncated)?;
        let names_start = HEADER_LEN
            .checked_add(entries_len)
            .ok_or(TableError::Truncated)?;
        let names_end = usize::try_from(names_len)
            .ok()
            .and_then(|len| names_start.checked_add(len))
            .ok_or(TableError::Truncated)?;
        let entry_bytes = bytes
            .get(HEADER_LEN..names_start)
            .ok_or(TableError::Truncated)?;
        let names = bytes
            .get(names_start..names_end)
            .ok_or(TableError::Truncated)?;
        let (entries, _) = entry_bytes.as_chunks::<ENTRY_LEN>();
        Ok(Self { entries, names })
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the table holds no symbols.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The symbol at `index` in address order.
    pub fn symbol(&self, index: usize) -> Option<Symbol<'a>> {
        let entry = self.entries.get(index)?;
        Some(Symbol {
            start: entry_start(entry),
            size: read_u32(entry, 8)?,
            name: self.name_at(read_u32(entry, 12)?),
        })
    }

    /// All symbols in address order.
    pub fn iter(&self) -> impl Iterator<Item = Symbol<'a>> + '_ {
        (0..self.len()).filter_map(|index| self.symbol(index))
    }

    /// The symbol containing `addr` and the offset of `addr` into it, by the
    /// rule in the crate documentation.
    pub fn lookup(&self, addr: u64) -> Option<(&'a str, u64)> {
        let after = self
            .entries
            .partition_point(|entry| entry_start(entry) <= addr);
        let symbol = self.symbol(after.checked_sub(1)?)?;
        let offset = addr.checked_sub(symbol.start)?;
        if symbol.size != 0 && offset >= u64::from(symbol.size) {
            return None;
        }
        Some((symbol.name?, offset))
    }

    /// The NUL-terminated UTF-8 name starting at `offset` in the blob.
    fn name_at(&self, offset: u32) -> Option<&'a str> {
        let rest = self.names.get(usize::try_from(offset).ok()?..)?;
        let len = rest.iter().position(|&byte| byte == 0)?;
        core::str::from_utf8(rest.get(..len)?).ok()
    }
}

/// Looks `addr` up in the table `table` (e.g. the `.ksyms` section bytes).
/// Returns the symbol's name and the offset of `addr` into it; `None` when
/// there is no table (zero-filled section), the table is damaged, or no
/// symbol covers `addr`.
pub fn lookup(table: &[u8], addr: u64) -> Option<(&str, u64)> {
    KsymTable::parse(table).ok()?.lookup(addr)
}

fn entry_start(entry: &[u8; ENTRY_LEN]) -> u64 {
    let [a, b, c, d, e, f, g, h, ..] = *entry;
    u64::from_le_bytes([a, b, c, d, e, f, g, h])
}

fn read_u32(bytes: &[u8], offset: usize) -> Option<u32> {
    let end = offset.checked_add(4)?;
    let field: [u8; 4] = bytes.get(offset..end)?.try_into().ok()?;
    Some(u32::from_le_bytes(field))
}
