//! A small deterministic pseudo-random generator (Marsaglia's xorshift64), so that a seed reproduces a run.

/// xorshift64 state; never zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

/// Replaces a zero seed, which would make xorshift produce zeros forever.
const ZERO_SEED_REPLACEMENT: u64 = 0x9e37_79b9_7f4a_7c15;

impl Rng {
    /// A generator whose sequence is fully determined by `seed`.
    pub fn new(seed: u64) -> Self {
        let state = if seed == 0 {
            ZERO_SEED_REPLACEMENT
        } else {
            seed
        };
        Self { state }
    }

    /// A generator for one worker: distinct, reproducible streams for each (seed, slot, generation).
    pub fn for_worker(seed: u64, slot: usize, generation: u64) -> Self {
        let mixed = splitmix(seed ^ splitmix(slot as u64 ^ splitmix(generation)));
        Self::new(mixed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    /// A value in `0..bound`; 0 when `bound` is 0. The modulo bias is irrelevant for fuzzing.
    pub fn below(&mut self, bound: u64) -> u64 {
        match bound {
            0 => 0,
            _ => self.next_u64() % bound,
        }
    }

    /// An index into a collection of `len` items (0 when empty).
    pub fn index(&mut self, len: usize) -> usize {
        // `below` returns less than `len`, which came from a usize.
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    /// True once in `n` times on average (never when `n` is 0).
    pub fn one_in(&mut self, n: u64) -> bool {
        n != 0 && self.below(n) == 0
    }

    /// A random element of `items`, or `None` when it is empty.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.index(items.len())).copied()
    }
}

/// SplitMix64's finalizer: spreads nearby inputs (slot 0, 1, 2...) over the whole 64-bit space.
fn splitmix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn matches_the_published_xorshift64_step() {
        // x ^= x << 13; x ^= x >> 7; x ^= x << 17, worked by hand from 1.
        let mut rng = Rng::new(1);
        let mut x: u64 = 1;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        assert_eq!(x, 0x4082_2041);
        assert_eq!(rng.next_u64(), x);
    }

    #[test]
    fn zero_seed_still_produces_numbers() {
        let mut rng = Rng::new(0);
        assert!((0..10).map(|_| rng.next_u64()).any(|value| value != 0));
    }

    #[test]
    fn bounded_values_stay_in_range() {
        let mut rng = Rng::new(7);
        for bound in [1u64, 2, 3, 10, 1000, u64::MAX] {
            for _ in 0..200 {
                assert!(rng.below(bound) < bound);
            }
        }
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.index(0), 0);
        assert!(!rng.one_in(0));
        assert!(rng.one_in(1));
        assert_eq!(rng.pick::<u8>(&[]), None);
        assert_eq!(rng.pick(&[5]), Some(5));
    }

    #[test]
    fn worker_streams_differ_and_repeat() {
        let first = Rng::for_worker(1, 0, 0).next_u64();
        assert_eq!(first, Rng::for_worker(1, 0, 0).next_u64());
        assert_ne!(first, Rng::for_worker(1, 1, 0).next_u64());
        assert_ne!(first, Rng::for_worker(1, 0, 1).next_u64());
        assert_ne!(first, Rng::for_worker(2, 0, 0).next_u64());
    }

    #[test]
    fn every_value_below_a_small_bound_shows_up() {
        let mut rng = Rng::new(99);
        let mut seen = [false; 16];
        for _ in 0..1000 {
            seen[rng.index(16)] = true;
        }
        assert!(seen.iter().all(|&hit| hit));
    }
}
