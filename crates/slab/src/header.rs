//! The per-slab header kept in the last words of each slab, accessed via the backend.

use crate::backend::Backend;
use crate::placement::{slab_bytes, CLASS_COUNT, CLASS_SIZES};

/// Bytes in one machine word.
const WORD_BYTES: usize = core::mem::size_of::<usize>();

/// Header fields, in word order.
#[derive(Clone, Copy)]
pub(crate) enum Field {
    /// `TAG_BASE + class index`; lets dealloc reject addresses that are not slab objects.
    Tag = 0,
    /// Objects currently handed out.
    InUse,
    /// Address of the first free object, or 0.
    FreeHead,
    /// Offset of the first never-used object; all objects below it are live or free-listed.
    Bump,
    /// Previous slab in the class's partial list, or 0.
    Prev,
    /// Next slab in the class's partial list, or 0.
    Next,
}

/// Words in the header.
const HEADER_WORDS: usize = 6;

/// Bytes in the header.
pub(crate) const HEADER_BYTES: usize = HEADER_WORDS * WORD_BYTES;

/// Tag values are `TAG_BASE + class`; fits in 32 bits so 32-bit targets work too.
const TAG_BASE: usize = 0x51AB_0000;

/// Tag identifying a live slab of class `index`.
pub(crate) const fn tag(index: usize) -> usize {
    TAG_BASE + index
}

/// Objects that fit in one slab of class `index` next to the header.
pub(crate) const fn capacity(index: usize) -> usize {
    (slab_bytes(index) - HEADER_BYTES) / CLASS_SIZES[index]
}

// Every class must hold several objects, or the keep-one-slab policy stops making sense.
const _: () = {
    let mut index = 0;
    while index < CLASS_COUNT {
        assert!(capacity(index) >= 7);
        index += 1;
    }
};

/// A slab identified by its base address and class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slab {
    /// First byte of the slab (aligned to the slab size, never 0).
    pub(crate) base: usize,
    /// Size-class index.
    pub(crate) class: usize,
}

impl Slab {
    /// Slab of class `class` that contains `addr` (by masking with the slab size).
    pub(crate) fn containing(addr: usize, class: usize) -> Slab {
        Slab {
            base: addr & !(slab_bytes(class) - 1),
            class,
        }
    }

    /// Address of a header field; the header occupies the last `HEADER_BYTES` of the slab.
    fn field_addr(self, field: Field) -> usize {
        self.base + (slab_bytes(self.class) - HEADER_BYTES) + field as usize * WORD_BYTES
    }

    /// Read a header field.
    pub(crate) fn get<B: Backend>(self, backend: &B, field: Field) -> usize {
        backend.read_word(self.field_addr(field))
    }

    /// Write a header field.
    pub(crate) fn set<B: Backend>(self, backend: &mut B, field: Field, value: usize) {
        backend.write_word(self.field_addr(field), value);
    }

    /// Write a fresh header: tagged, empty, unlinked.
    pub(crate) fn init<B: Backend>(self, backend: &mut B) {
        self.set(backend, Field::Tag, tag(self.class));
        for field in [
            Field::InUse,
            Field::FreeHead,
            Field::Bump,
            Field::Prev,
            Field::Next,
        ] {
            self.set(backend, field, 0);
        }
    }
}
