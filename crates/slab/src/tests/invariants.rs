//! Structural consistency check of the partial lists and slab headers.

use super::host_backend::HostBackend;
use crate::header::{capacity, tag, Field, Slab};
use crate::placement::CLASS_SIZES;
use crate::{Backend, SlabAllocator};

/// Panics with a description if any structural invariant is broken.
pub(crate) fn check(allocator: &SlabAllocator, backend: &HostBackend) {
    let stats = allocator.stats();
    assert_eq!(
        stats.pages_held,
        backend.pages_outstanding(),
        "page accounting"
    );
    for (class, &size) in CLASS_SIZES.iter().enumerate() {
        let mut partial_slabs = 0;
        let mut previous = 0;
        let mut cursor = allocator.partial_head(class);
        while cursor != 0 {
            let slab = Slab {
                base: cursor,
                class,
            };
            assert_eq!(slab.get(backend, Field::Tag), tag(class), "bad tag");
            assert_eq!(slab.get(backend, Field::Prev), previous, "broken prev link");
            let in_use = slab.get(backend, Field::InUse);
            let bump = slab.get(backend, Field::Bump);
            assert!(in_use < capacity(class), "full slab on the partial list");
            assert!(
                bump.is_multiple_of(size) && bump <= capacity(class) * size,
                "bad bump"
            );
            let mut free_objects = 0;
            let mut object = slab.get(backend, Field::FreeHead);
            while object != 0 {
                assert!(
                    object >= cursor && object - cursor < bump,
                    "free object out of slab"
                );
                assert_eq!((object - cursor) % size, 0, "free object misaligned");
                free_objects += 1;
                assert!(free_objects <= capacity(class), "free-list cycle");
                object = backend.read_word(object);
            }
            assert_eq!(
                free_objects + in_use,
                bump / size,
                "object accounting in slab"
            );
            partial_slabs += 1;
            previous = cursor;
            cursor = slab.get(backend, Field::Next);
        }
        assert!(
            partial_slabs <= stats.slabs_held[class],
            "more partial slabs than held"
        );
    }
}
