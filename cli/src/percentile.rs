//! Percentiles as Spectator, spectatord and Atlas compute them.
//!
//! spectatord records every value of a percentile timer (`T`, in nanoseconds) or percentile
//! distribution summary (`D`) into one of Spectator's 276 percentile buckets (Java's
//! `com.netflix.spectator.api.histogram.PercentileBuckets`, spectatord's
//! `percentile_buckets.cc`) and publishes one counter per bucket (tag `percentile=T0042`, the
//! index in hex). Atlas's `:percentiles` sums those counters per bucket and estimates each
//! percentile by linear interpolation inside the bucket where the cumulative count crosses it
//! ([`percentiles`]), then divides by 1e9 for timers, so they read in seconds.
//!
//! The buckets: 1, 2, 3, then from each power of 4 (4, 16, 64, …) up in steps of a third of
//! it, while below the next power of 4 minus that step (4, 5, …, 14, 16, 21, …, 56, 64, 85, …),
//! and `i64::MAX` last. A bucket's value is an upper bound: [`index_of`] gives the first bucket
//! whose value is greater than the value, except for the values from the last bucket of a run
//! to the next power of 4 (15, 61 to 63, 253 to 255, …), which Spectator's arithmetic puts one
//! bucket higher (15 in 21's bucket rather than 16's); this module does the same.
//!
//! spectatord clamps timer values to [1 ns, 24 h] before bucketing ([`TIMER_MIN_NANOS`],
//! [`TIMER_MAX_NANOS`]): a negative `T` value, which the timer's own count ignores, still lands
//! in the 1 ns bucket. Distribution summaries are not clamped (negative values are dropped
//! before).
//!
//! ```
//! use spectator_cli::percentile::{bucket, index_of, percentiles, Buckets, LENGTH};
//! assert_eq!((index_of(0), index_of(4), index_of(87)), (0, 4, 25));
//! assert_eq!(bucket(87), 106);
//! let mut counts: Buckets = [0; LENGTH];
//! for v in 1..=100 {
//!     counts[index_of(v)] += 1;
//! }
//! let [p50, p90] = percentiles(&counts, [50.0, 90.0]);
//! assert!((p50 - 50.0).abs() < 5.0 && (p90 - 90.0).abs() < 9.0);
//! ```

/// The number of buckets.
pub const LENGTH: usize = 276;

/// Counts per bucket.
pub type Buckets = [u64; LENGTH];

/// spectatord's smallest percentile-timer value: 1 ns.
pub const TIMER_MIN_NANOS: i64 = 1;
/// spectatord's largest percentile-timer value: 24 hours.
pub const TIMER_MAX_NANOS: i64 = 24 * 3600 * 1_000_000_000;

/// The percentiles `spectator listen` shows, with their names.
pub const SHOWN: [(&str, f64); 4] = [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9)];

/// Each power of 4 starts a run of buckets `delta = power / 3` apart, up to `4 * power - delta`.
const fn generate() -> ([i64; LENGTH], [usize; 32]) {
    let mut values = [0i64; LENGTH];
    let mut starts = [0usize; 32];
    values[0] = 1;
    values[1] = 2;
    values[2] = 3;
    let mut len = 3;
    let mut exp = 2;
    let mut run = 1;
    while exp < 64 {
        let mut current: i64 = 1 << exp;
        let delta = current / 3;
        // For 4^31 the next power of 4 overflows (as in Java's `long`): no bucket.
        let next = (current << 2).wrapping_sub(delta);
        starts[run] = len;
        while current < next {
            values[len] = current;
            len += 1;
            current += delta;
        }
        exp += 2;
        run += 1;
    }
    values[len] = i64::MAX;
    assert!(len + 1 == LENGTH);
    (values, starts)
}

const TABLES: ([i64; LENGTH], [usize; 32]) = generate();

/// The bucket values, ascending: `BUCKETS[index_of(v)]` is the bucket of `v`.
pub static BUCKETS: [i64; LENGTH] = TABLES.0;

/// Where the run of each power of 4 (`4^k` for index `k`) starts in [`BUCKETS`].
const POWER_OF_4_INDEX: [usize; 32] = TABLES.1;

/// The index of the bucket of `v`: 0 for `v <= 0`, `v` up to 4, then from the power of 4 at or
/// below `v` and its run, saturating at the last bucket.
#[inline]
pub fn index_of(v: i64) -> usize {
    if v <= 0 {
        return 0;
    }
    if v <= 4 {
        return v as usize;
    }
    let mut shift = 63 - v.leading_zeros();
    let mut power_of_4 = 1i64 << shift;
    if !shift.is_multiple_of(2) {
        shift -= 1;
        power_of_4 >>= 1;
    }
    let delta = power_of_4 / 3;
    let offset = ((v - power_of_4) / delta) as usize;
    let pos = offset + POWER_OF_4_INDEX[(shift / 2) as usize];
    if pos >= LENGTH - 1 {
        LENGTH - 1
    } else {
        pos + 1
    }
}

/// The value of the bucket of `v`.
#[inline]
pub fn bucket(v: i64) -> i64 {
    BUCKETS[index_of(v)]
}

/// Estimates the percentiles `pcts` (ascending, each in `0.0..=100.0`) from bucket counts, as
/// Spectator's `PercentileBuckets.percentiles` and Atlas's `:percentiles` do: walk the
/// buckets accumulating counts; where the cumulative share reaches a percentile, interpolate
/// linearly between the previous bucket's value and this one's. NaN when all counts are 0.
pub fn percentiles<const N: usize>(counts: &Buckets, pcts: [f64; N]) -> [f64; N] {
    let mut results = [f64::NAN; N];
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return results;
    }
    let total = total as f64;
    let mut at = 0;
    let (mut prev, mut prev_p, mut prev_b) = (0u64, 0.0f64, 0i64);
    for (&count, &next_b) in counts.iter().zip(BUCKETS.iter()) {
        let next = prev + count;
        let next_p = 100.0 * next as f64 / total;
        while at < N && next_p >= pcts[at] {
            let f = (pcts[at] - prev_p) / (next_p - prev_p);
            results[at] = f * (next_b - prev_b) as f64 + prev_b as f64;
            at += 1;
        }
        if at >= N {
            return results;
        }
        (prev, prev_p, prev_b) = (next, next_p, next_b);
    }
    // Only reached through rounding: the last share is 100.
    while at < N {
        let f = (pcts[at] - prev_p) / (100.0 - prev_p);
        results[at] = f * (i64::MAX - prev_b) as f64 + prev_b as f64;
        at += 1;
    }
    results
}

/// The [`SHOWN`] percentiles of `counts`, divided by `scale` (1e9 for timers: seconds).
pub fn shown(counts: &Buckets, scale: f64) -> [f64; 4] {
    percentiles(counts, SHOWN.map(|(_, p)| p)).map(|v| v / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_values_are_spectators() {
        assert_eq!(BUCKETS.len(), 276);
        assert_eq!(
            BUCKETS[..25],
            [
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 21, 26, 31, 36, 41, 46, 51, 56,
                64, 85
            ]
        );
        assert!(BUCKETS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(BUCKETS[274], 4_227_378_850_225_105_576);
        assert_eq!(BUCKETS[275], i64::MAX);
        assert_eq!(POWER_OF_4_INDEX[..4], [0, 3, 14, 23]);
    }

    #[test]
    fn index_of_known_values() {
        // The cases of Spectator's and spectatord's own tests.
        assert_eq!(index_of(-1), 0);
        assert_eq!(index_of(i64::MIN), 0);
        assert_eq!(index_of(0), 0);
        assert_eq!(index_of(1), 1);
        assert_eq!(index_of(2), 2);
        assert_eq!(index_of(3), 3);
        assert_eq!(index_of(4), 4);
        assert_eq!(index_of(87), 25);
        assert_eq!(index_of(i64::MAX), LENGTH - 1);
        // Around run boundaries: 14 in 16's bucket, but 15 (between the run's last bucket
        // and the next power of 4) one higher, in 21's, with 16 and 17, as Spectator does.
        assert_eq!((index_of(14), index_of(15), index_of(16)), (14, 15, 15));
        assert_eq!(
            (bucket(14), bucket(15), bucket(16), bucket(17)),
            (16, 21, 21, 21)
        );
        assert_eq!(
            (bucket(60), bucket(61), bucket(63), bucket(64)),
            (64, 85, 85, 85)
        );
        // One second in nanoseconds (just below 4^15), and 24 h (the percentile timer's
        // ceiling).
        assert_eq!(bucket(1_000_000_000), 1 << 30);
        assert_eq!(bucket(TIMER_MAX_NANOS), 93_824_992_236_885);
    }

    #[test]
    fn every_value_falls_below_its_bucket() {
        // A value's bucket is the first whose value is above it, or the next one (just below
        // a power of 4).
        let mut samples: Vec<i64> = (1..5000).collect();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            samples.push((x >> (x % 63)) as i64 & i64::MAX);
        }
        samples.extend(
            BUCKETS
                .iter()
                .flat_map(|&b| [b - 1, b, b.saturating_add(1)]),
        );
        let mut one_higher = 0;
        for v in samples.into_iter().filter(|&v| v >= 0) {
            let i = index_of(v);
            let first = BUCKETS.iter().position(|&b| b > v).unwrap_or(LENGTH - 1);
            assert!(i == first || i == first + 1, "{v}: {i} vs {first}");
            assert!(BUCKETS[i] > v || v == i64::MAX, "{v}");
            if i != first {
                one_higher += 1;
                // Only between a run's last bucket and the next power of 4.
                let power_of_4 = BUCKETS[first];
                assert_eq!(power_of_4.count_ones(), 1, "{v}");
                assert_eq!(power_of_4.trailing_zeros() % 2, 0, "{v}");
            }
        }
        assert!(one_higher > 0);
    }

    #[test]
    fn estimates_of_known_distributions() {
        let mut counts = [0u64; LENGTH];
        // Spectator's own test: 0..100_000, each percentile within 10%.
        for v in 0..100_000 {
            counts[index_of(v)] += 1;
        }
        let pcts = [0.0, 25.0, 50.0, 75.0, 90.0, 95.0, 98.0, 99.0, 99.5, 100.0];
        let results = percentiles(&counts, pcts);
        for (p, r) in pcts.iter().zip(results) {
            let expected = p * 1e3;
            assert!((r - expected).abs() <= 0.1 * expected + 1e-12, "p{p}: {r}");
        }
        // Exact values: the interpolation by hand.
        assert_eq!(results[0], 0.0);
        assert_eq!(results[9], 109_226.0);
        // One value: every percentile interpolates inside its bucket (64, 85].
        let mut one = [0u64; LENGTH];
        one[index_of(70)] += 1;
        assert_eq!(percentiles(&one, [50.0, 100.0]), [74.5, 85.0]);
        // p0 when the first bucket is empty: 0/0, as in Spectator.
        assert!(percentiles(&one, [0.0])[0].is_nan());
        // Two buckets of equal weight: the median is the top of the first.
        let mut two = [0u64; LENGTH];
        two[index_of(1)] += 10;
        two[index_of(1_000)] += 10;
        let [p50, p75] = percentiles(&two, [50.0, 75.0]);
        assert_eq!(p50, 2.0);
        assert_eq!(p75, 936.0 + 0.5 * (1024.0 - 936.0));
        assert!(percentiles(&[0; LENGTH], [50.0])[0].is_nan());
    }

    #[test]
    fn shown_scales_timers_to_seconds() {
        let mut counts = [0u64; LENGTH];
        counts[index_of(250_000_000)] += 1;
        counts[index_of(500_000_000)] += 1;
        let [p50, p90, p99, p999] = shown(&counts, 1e9);
        // 0.25 s is in the bucket (4^14 - 4^13 / 3, 4^14], 0.5 s in the one ending at
        // 4^14 + 3 * (4^14 / 3) = 2^29 - 1: the median is the top of the first.
        assert_eq!(bucket(250_000_000), 1 << 28);
        assert_eq!(bucket(500_000_000), (1 << 29) - 1);
        assert_eq!(p50, 0.268_435_456);
        assert!(p50 < p90 && p90 < p99 && p99 < p999 && p999 <= 0.536_870_911);
    }
}
