//! select(2)'s fd_set: a bit array in 64-bit words, of which the first `nfds` bits count.

/// Bytes of user memory one fd_set of `nfds` descriptors occupies (Linux copies whole longs).
pub fn bytes_for(nfds: usize) -> usize {
    nfds.div_ceil(64) * 8
}

/// Whether bit `fd` is set in `set`.
pub fn is_set(set: &[u8], fd: usize) -> bool {
    set.get(fd / 8).is_some_and(|b| b & (1 << (fd % 8)) != 0)
}

/// Set bit `fd` in `set` (ignored past its end).
pub fn set(set: &mut [u8], fd: usize) {
    if let Some(b) = set.get_mut(fd / 8) {
        *b |= 1 << (fd % 8);
    }
}

/// The descriptors below `nfds` set in any of the three sets, in increasing order.
pub fn members<'a>(
    sets: [&'a [u8]; 3],
    nfds: usize,
) -> impl Iterator<Item = (usize, [bool; 3])> + 'a {
    (0..nfds).filter_map(move |fd| {
        let bits = [
            is_set(sets[0], fd),
            is_set(sets[1], fd),
            is_set(sets[2], fd),
        ];
        bits.iter().any(|&b| b).then_some((fd, bits))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_whole_words() {
        assert_eq!(bytes_for(0), 0);
        assert_eq!(bytes_for(1), 8);
        assert_eq!(bytes_for(64), 8);
        assert_eq!(bytes_for(65), 16);
    }

    #[test]
    fn bits_and_members() {
        let mut r = [0u8; 16];
        let mut w = [0u8; 16];
        let e = [0u8; 16];
        set(&mut r, 3);
        set(&mut w, 3);
        set(&mut w, 70);
        set(&mut w, 500);
        assert!(is_set(&r, 3) && !is_set(&r, 4));
        let m: alloc::vec::Vec<_> = members([&r, &w, &e], 71).collect();
        assert_eq!(m, [(3, [true, true, false]), (70, [false, true, false])]);
        let m: alloc::vec::Vec<_> = members([&r, &w, &e], 70).collect();
        assert_eq!(m.len(), 1);
    }
}
