//! Turning a symbol list into table bytes (format in the crate docs).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::build_error::BuildError;
use crate::format::{ENTRY_LEN, FORMAT_VERSION, HEADER_LEN, MAGIC};

/// A symbol as collected from an ELF, name already demangled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawSymbol {
    pub start: u64,
    /// 0 = unknown.
    pub size: u64,
    pub name: String,
}

/// Encoded table bytes and the number of symbols in them.
pub(crate) struct EncodedTable {
    pub bytes: Vec<u8>,
    pub symbols: usize,
}

/// Sorts, keeps one symbol per address and encodes. At a shared address a
/// sized symbol beats an unsized label; ties go to the smaller name so the
/// output is deterministic. Sizes above u32::MAX are clamped.
pub(crate) fn encode_table(mut symbols: Vec<RawSymbol>) -> Result<EncodedTable, BuildError> {
    symbols.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then((b.size != 0).cmp(&(a.size != 0)))
            .then_with(|| a.name.cmp(&b.name))
    });
    symbols.dedup_by_key(|symbol| symbol.start);

    let count = u32::try_from(symbols.len()).map_err(|_| BuildError::TooManySymbols {
        count: symbols.len(),
    })?;
    // Identical names (e.g. generic instances once hashes are gone) share
    // one copy in the blob.
    let mut names = Vec::new();
    let mut name_offsets: BTreeMap<&str, u32> = BTreeMap::new();
    let mut entries = Vec::with_capacity(symbols.len().saturating_mul(ENTRY_LEN));
    for symbol in &symbols {
        let offset = match name_offsets.get(symbol.name.as_str()) {
            Some(&offset) => offset,
            None => {
                let offset = u32::try_from(names.len())
                    .map_err(|_| BuildError::NamesTooLarge { bytes: names.len() })?;
                names.extend_from_slice(symbol.name.as_bytes());
                names.push(0);
                name_offsets.insert(&symbol.name, offset);
                offset
            }
        };
        let size = u32::try_from(symbol.size).unwrap_or(u32::MAX);
        entries.extend_from_slice(&symbol.start.to_le_bytes());
        entries.extend_from_slice(&size.to_le_bytes());
        entries.extend_from_slice(&offset.to_le_bytes());
    }
    let names_len =
        u32::try_from(names.len()).map_err(|_| BuildError::NamesTooLarge { bytes: names.len() })?;

    let mut table = Vec::with_capacity(HEADER_LEN + entries.len() + names.len());
    table.extend_from_slice(&MAGIC);
    table.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    table.extend_from_slice(&count.to_le_bytes());
    table.extend_from_slice(&names_len.to_le_bytes());
    table.extend_from_slice(&entries);
    table.extend_from_slice(&names);
    Ok(EncodedTable {
        bytes: table,
        symbols: symbols.len(),
    })
}
