//! A test-only encoder written from the format description in the crate
//! docs, independent of the real builder, so lookups can be tested without
//! the `build` feature.

use std::vec::Vec;

/// Encodes `(start, size, name)` triples in the given order (callers sort).
pub fn encode(symbols: &[(u64, u32, &str)]) -> Vec<u8> {
    let mut names = Vec::new();
    let mut entries = Vec::new();
    for &(start, size, name) in symbols {
        entries.extend_from_slice(&start.to_le_bytes());
        entries.extend_from_slice(&size.to_le_bytes());
        entries.extend_from_slice(&(names.len() as u32).to_le_bytes());
        names.extend_from_slice(name.as_bytes());
        names.push(0);
    }
    let mut out = Vec::new();
    out.extend_from_slice(b"KSYM");
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&(symbols.len() as u32).to_le_bytes());
    out.extend_from_slice(&(names.len() as u32).to_le_bytes());
    out.extend_from_slice(&entries);
    out.extend_from_slice(&names);
    out
}
