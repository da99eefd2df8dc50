//! Memory region kinds and regions.

/// What a physical memory region may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionKind {
    /// Free RAM the kernel may allocate.
    Usable,
    /// Firmware-reserved or of unknown type: never touch.
    Reserved,
    /// Holds ACPI tables; usable once the kernel no longer needs them.
    AcpiReclaimable,
    /// ACPI non-volatile storage: must be preserved (across sleep too).
    AcpiNvs,
    /// RAM reported defective.
    Unusable,
}

impl RegionKind {
    /// Maps an E820 type (also used by PVH and Multiboot2 memory maps). Unknown types,
    /// including persistent memory (7) and vendor types, count as reserved.
    pub const fn from_e820(kind: u32) -> Self {
        match kind {
            1 => Self::Usable,
            3 => Self::AcpiReclaimable,
            4 => Self::AcpiNvs,
            5 => Self::Unusable,
            _ => Self::Reserved,
        }
    }

    /// Precedence when raw entries overlap: the more restrictive kind wins, so usable
    /// memory never covers anything firmware claims.
    pub(crate) const fn precedence(self) -> u8 {
        match self {
            Self::Usable => 0,
            Self::AcpiReclaimable => 1,
            Self::AcpiNvs => 2,
            Self::Reserved => 3,
            Self::Unusable => 4,
        }
    }
}

/// One entry of the sanitized memory map: `len` bytes from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryRegion {
    /// First physical address.
    pub start: u64,
    /// Length in bytes (never zero in a sanitized map).
    pub len: u64,
    /// What the region may be used for.
    pub kind: RegionKind,
}

impl MemoryRegion {
    /// One past the last address. Sanitized regions never extend past `u64::MAX`.
    pub const fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }

    /// The region from `start` to `end` (exclusive); `end >= start` is the caller's duty.
    pub(crate) const fn between(start: u64, end: u64, kind: RegionKind) -> Self {
        Self {
            start,
            len: end.saturating_sub(start),
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_e820_types() {
        assert_eq!(RegionKind::from_e820(1), RegionKind::Usable);
        assert_eq!(RegionKind::from_e820(2), RegionKind::Reserved);
        assert_eq!(RegionKind::from_e820(3), RegionKind::AcpiReclaimable);
        assert_eq!(RegionKind::from_e820(4), RegionKind::AcpiNvs);
        assert_eq!(RegionKind::from_e820(5), RegionKind::Unusable);
        for unknown in [0, 6, 7, 12, 0xF000_0000] {
            assert_eq!(RegionKind::from_e820(unknown), RegionKind::Reserved);
        }
    }

    #[test]
    fn usable_has_lowest_precedence() {
        for kind in [
            RegionKind::Reserved,
            RegionKind::AcpiReclaimable,
            RegionKind::AcpiNvs,
            RegionKind::Unusable,
        ] {
            assert!(kind.precedence() > RegionKind::Usable.precedence());
        }
    }
}
