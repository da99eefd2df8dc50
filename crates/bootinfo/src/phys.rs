//! Access to physical memory through the caller, plus little-endian field readers.

use crate::BootInfoError;

/// Read access to physical memory, provided by the kernel (e.g. through its direct map).
pub trait PhysRead {
    /// Copies `buf.len()` bytes at physical address `phys` into `buf`; returns false if
    /// any part of the range is not readable.
    fn read(&self, phys: u64, buf: &mut [u8]) -> bool;
}

/// `base + offset`, or an overflow error.
pub(crate) fn offset_address(base: u64, offset: u64) -> Result<u64, BootInfoError> {
    base.checked_add(offset)
        .ok_or(BootInfoError::AddressOverflow)
}

/// Reads `N` bytes at `phys`.
pub(crate) fn read_array<const N: usize>(
    mem: &impl PhysRead,
    phys: u64,
) -> Result<[u8; N], BootInfoError> {
    // Reject ranges that wrap around before asking the reader.
    offset_address(phys, N as u64)?;
    let mut bytes = [0u8; N];
    if mem.read(phys, &mut bytes) {
        Ok(bytes)
    } else {
        Err(BootInfoError::Unreadable { phys, len: N })
    }
}

/// Little-endian `u32` at `offset` of a byte array the caller read.
pub(crate) fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    let mut field = [0u8; 4];
    if let Some(source) = bytes.get(offset..offset.saturating_add(4)) {
        field.copy_from_slice(source);
    }
    u32::from_le_bytes(field)
}

/// Little-endian `u64` at `offset` of a byte array the caller read.
pub(crate) fn u64_at(bytes: &[u8], offset: usize) -> u64 {
    let mut field = [0u8; 8];
    if let Some(source) = bytes.get(offset..offset.saturating_add(8)) {
        field.copy_from_slice(source);
    }
    u64::from_le_bytes(field)
}

/// Byte at `offset` of a byte array the caller read.
pub(crate) fn u8_at(bytes: &[u8], offset: usize) -> u8 {
    bytes.get(offset).copied().unwrap_or_default()
}
