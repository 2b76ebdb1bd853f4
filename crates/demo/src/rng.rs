//! The seeded pseudo-random number generator behind every generated value.
//!
//! This is xoshiro256** (Blackman and Vigna), seeded through SplitMix64, written out here on
//! purpose rather than taken from the `rand` crate: the demo data set must stay byte-for-byte
//! identical for a given seed across dependency upgrades, and `rand` has changed its
//! algorithms and sampling methods between releases before. Do not change the algorithm or
//! the way the helpers below consume numbers unless you mean to change every data set.

/// One step of SplitMix64: used only to spread a 64-bit seed over xoshiro's 256-bit state.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256**: fast, small state, good statistical quality. Not for cryptography.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Self { s }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A number in `0..n` (0 when `n` is 0), by widening multiplication (Lemire). The bias
    /// is below 2^-40 for the small ranges used here.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// An index into a slice of length `n` (0 when `n` is 0).
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// A number in `lo..=hi` (`lo` when `hi < lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// A float in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniformly chosen element; `None` only for an empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.index(items.len()))
    }

    /// An element chosen with earlier entries more likely (index = n * u^2, so the first
    /// tenth of a table is picked about a third of the time): tables are ordered from most
    /// to least common.
    pub fn pick_common<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let u = self.unit();
        let i = (u * u * items.len() as f64) as usize;
        items.get(i.min(items.len().saturating_sub(1)))
    }

    /// An element chosen with earlier entries mildly more likely (index = n * (u^2 + u) / 2,
    /// so the first entry is three times as likely as the last): for long tails of names,
    /// none of which is common.
    pub fn pick_gently<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let u = self.unit();
        let i = ((u * u + u) / 2.0 * items.len() as f64) as usize;
        items.get(i.min(items.len().saturating_sub(1)))
    }

    /// An element chosen in proportion to its weight; `None` for an empty or all-zero table.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> Option<&'a T> {
        self.weighted_by(items, |(_, w)| *w).map(|(t, _)| t)
    }

    /// An element chosen in proportion to the weight `weight` gives it; `None` for an empty
    /// or all-zero table.
    pub fn weighted_by<'a, T>(
        &mut self,
        items: &'a [T],
        weight: impl Fn(&T) -> u32,
    ) -> Option<&'a T> {
        let total: u64 = items.iter().map(|t| u64::from(weight(t))).sum();
        let mut r = self.below(total);
        for item in items {
            let w = u64::from(weight(item));
            if r < w {
                return Some(item);
            }
            r -= w;
        }
        None
    }

    /// How many times a coin with probability `p` comes up before it fails, capped at `max`
    /// (a geometric count with mean `p / (1 - p)`).
    pub fn geometric(&mut self, p: f64, max: u32) -> u32 {
        let mut n = 0;
        while n < max && self.chance(p) {
            n += 1;
        }
        n
    }

    pub fn bytes10(&mut self) -> [u8; 10] {
        let a = self.next_u64().to_le_bytes();
        let b = self.next_u64().to_le_bytes();
        [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], b[0], b[1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_same_stream_and_different_seeds_differ() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let mut c = Rng::new(43);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn stream_for_seed_zero_is_pinned() {
        // Pins the algorithm: if this changes, every demo data set changes.
        let mut r = Rng::new(0);
        let first = r.next_u64();
        let mut again = Rng::new(0);
        assert_eq!(first, again.next_u64());
        assert_eq!(first, PINNED_SEED0_FIRST);
    }

    const PINNED_SEED0_FIRST: u64 = 0x99EC_5F36_CB75_F2B4;

    #[test]
    fn below_and_range_stay_in_bounds() {
        let mut r = Rng::new(7);
        for _ in 0..10_000 {
            assert!(r.below(10) < 10);
            let x = r.range(5, 9);
            assert!((5..=9).contains(&x));
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.range(3, 3), 3);
    }

    #[test]
    fn weighted_pick_follows_weights_roughly() {
        let mut r = Rng::new(1);
        let table = [("a", 90), ("b", 10), ("c", 0)];
        let mut counts = [0u32; 3];
        for _ in 0..10_000 {
            match r.weighted(&table) {
                Some(&"a") => counts[0] += 1,
                Some(&"b") => counts[1] += 1,
                _ => counts[2] += 1,
            }
        }
        assert!((8_500..9_500).contains(&counts[0]), "{counts:?}");
        assert_eq!(counts[2], 0);
    }
}
