//! [`MeterKind`]: the eleven meter types, their protocol symbols and client-side filters
//! (spec §1 and §5).

use crate::value::Value;

/// Which values a meter writes; the others are dropped silently, like spectator-py does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Filter {
    /// Every value is written.
    None,
    /// Only values `> 0` (counters). NaN, zero, `-0.0` and negatives are dropped.
    Positive,
    /// Only values `>= 0` (timers, distribution summaries). NaN and negatives are dropped.
    NonNegative,
}

/// One of the eleven meter types of the protocol.
///
/// ```
/// use spectator_core::MeterKind;
/// assert_eq!(MeterKind::Counter.symbol(), b'c');
/// assert_eq!(MeterKind::from_symbol(b'T'), Some(MeterKind::PercentileTimer));
/// assert!(!MeterKind::Counter.accepts(&(-1).into()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MeterKind {
    /// `A`: seconds since the last success; `now()` writes `0`.
    AgeGauge,
    /// `c`: a rate per second of increments.
    Counter,
    /// `S`: a distinct-count sketch (not understood by the public spectatord 429cd8d).
    DistinctCountSketch,
    /// `d`: count, total, total of squares and max of recorded amounts.
    DistributionSummary,
    /// `g`: the last value set, with an optional TTL in seconds.
    Gauge,
    /// `m`: the maximum value set in each interval.
    MaxGauge,
    /// `C`: a monotonically increasing floating-point total; spectatord reports deltas.
    MonotonicCounter,
    /// `U`: a monotonically increasing `u64` total; spectatord reports deltas.
    MonotonicCounterUint,
    /// `D`: a distribution summary with percentiles.
    PercentileDistributionSummary,
    /// `T`: a timer with percentiles.
    PercentileTimer,
    /// `t`: a timer, in seconds.
    Timer,
}

impl MeterKind {
    /// All kinds, in the order of spectator-py's registry methods.
    pub const ALL: [MeterKind; 11] = [
        MeterKind::AgeGauge,
        MeterKind::Counter,
        MeterKind::DistinctCountSketch,
        MeterKind::DistributionSummary,
        MeterKind::Gauge,
        MeterKind::MaxGauge,
        MeterKind::MonotonicCounter,
        MeterKind::MonotonicCounterUint,
        MeterKind::PercentileDistributionSummary,
        MeterKind::PercentileTimer,
        MeterKind::Timer,
    ];

    /// The one-byte protocol symbol.
    #[inline]
    pub const fn symbol(self) -> u8 {
        match self {
            MeterKind::AgeGauge => b'A',
            MeterKind::Counter => b'c',
            MeterKind::DistinctCountSketch => b'S',
            MeterKind::DistributionSummary => b'd',
            MeterKind::Gauge => b'g',
            MeterKind::MaxGauge => b'm',
            MeterKind::MonotonicCounter => b'C',
            MeterKind::MonotonicCounterUint => b'U',
            MeterKind::PercentileDistributionSummary => b'D',
            MeterKind::PercentileTimer => b'T',
            MeterKind::Timer => b't',
        }
    }

    /// The kind for a protocol symbol (spectator-py's `get_meter_class`).
    pub fn from_symbol(symbol: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.symbol() == symbol)
    }

    /// spectator-py's registry method name, e.g. `pct_timer`.
    pub const fn python_name(self) -> &'static str {
        match self {
            MeterKind::AgeGauge => "age_gauge",
            MeterKind::Counter => "counter",
            MeterKind::DistinctCountSketch => "distinct_count_sketch",
            MeterKind::DistributionSummary => "distribution_summary",
            MeterKind::Gauge => "gauge",
            MeterKind::MaxGauge => "max_gauge",
            MeterKind::MonotonicCounter => "monotonic_counter",
            MeterKind::MonotonicCounterUint => "monotonic_counter_uint",
            MeterKind::PercentileDistributionSummary => "pct_distribution_summary",
            MeterKind::PercentileTimer => "pct_timer",
            MeterKind::Timer => "timer",
        }
    }

    /// The kind's kebab-case name, as the `spectator` command spells it (`spectator send
    /// percentile-timer …`) and as its reports show it, e.g. `percentile-timer`.
    ///
    /// ```
    /// use spectator_core::MeterKind;
    /// assert_eq!(MeterKind::PercentileTimer.name(), "percentile-timer");
    /// assert_eq!(MeterKind::from_name("max-gauge"), Some(MeterKind::MaxGauge));
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            MeterKind::AgeGauge => "age-gauge",
            MeterKind::Counter => "counter",
            MeterKind::DistinctCountSketch => "distinct-count-sketch",
            MeterKind::DistributionSummary => "distribution-summary",
            MeterKind::Gauge => "gauge",
            MeterKind::MaxGauge => "max-gauge",
            MeterKind::MonotonicCounter => "monotonic-counter",
            MeterKind::MonotonicCounterUint => "monotonic-counter-uint",
            MeterKind::PercentileDistributionSummary => "percentile-distribution-summary",
            MeterKind::PercentileTimer => "percentile-timer",
            MeterKind::Timer => "timer",
        }
    }

    /// The kind whose [`name`](Self::name) is `name` (exactly, lower case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// One line on what the kind measures and what spectatord publishes for it, for help
    /// texts, e.g. `durations in seconds, with percentiles` for a percentile timer.
    pub const fn description(self) -> &'static str {
        match self {
            MeterKind::AgeGauge => "time since a success (value 0 for now, or epoch seconds)",
            MeterKind::Counter => "increments, published as a rate per second",
            MeterKind::DistinctCountSketch => {
                "distinct values (rejected by the public spectatord 429cd8d)"
            }
            MeterKind::DistributionSummary => "amounts (count, total, max)",
            MeterKind::Gauge => "the last value set, with an optional TTL",
            MeterKind::MaxGauge => "the maximum of each step",
            MeterKind::MonotonicCounter => "a growing total; spectatord publishes the deltas",
            MeterKind::MonotonicCounterUint => {
                "a growing u64 total; spectatord publishes the deltas"
            }
            MeterKind::PercentileDistributionSummary => "amounts, with percentiles",
            MeterKind::PercentileTimer => "durations in seconds, with percentiles",
            MeterKind::Timer => "durations in seconds",
        }
    }

    /// Whether spectatord records the kind's values into percentile buckets (`T` and `D`).
    pub const fn has_percentiles(self) -> bool {
        matches!(
            self,
            MeterKind::PercentileTimer | MeterKind::PercentileDistributionSummary
        )
    }

    /// Whether the kind's values are durations in seconds (`t` and `T`).
    pub const fn is_timer(self) -> bool {
        matches!(self, MeterKind::Timer | MeterKind::PercentileTimer)
    }

    /// Whether spectatord's figures for a step do not depend on the order in which the kind's
    /// lines arrive (spec §12.4): sums, counts, maxima and percentile buckets (`c d m t D T`,
    /// and `S`), unlike the kinds where the last line wins or consecutive values become deltas
    /// (`A g C U`). Lines of an order-free kind may be reordered between threads, e.g. kept in
    /// per-thread buffers.
    ///
    /// ```
    /// use spectator_core::MeterKind;
    /// assert!(MeterKind::Timer.is_order_free());
    /// assert!(!MeterKind::Gauge.is_order_free());
    /// ```
    pub const fn is_order_free(self) -> bool {
        matches!(
            self,
            MeterKind::Counter
                | MeterKind::DistinctCountSketch
                | MeterKind::DistributionSummary
                | MeterKind::MaxGauge
                | MeterKind::PercentileDistributionSummary
                | MeterKind::PercentileTimer
                | MeterKind::Timer
        )
    }

    /// The client-side filter of this kind.
    #[inline]
    pub const fn filter(self) -> Filter {
        match self {
            MeterKind::Counter => Filter::Positive,
            MeterKind::DistributionSummary
            | MeterKind::PercentileDistributionSummary
            | MeterKind::PercentileTimer
            | MeterKind::Timer => Filter::NonNegative,
            _ => Filter::None,
        }
    }

    /// Whether a line is written for `value`.
    #[inline]
    pub fn accepts(self, value: &Value<'_>) -> bool {
        match self.filter() {
            Filter::None => true,
            Filter::Positive => value.is_positive(),
            Filter::NonNegative => value.is_non_negative(),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn symbols_are_the_protocol_ones() {
        let symbols: heapless::Vec<u8, 11> = MeterKind::ALL.iter().map(|k| k.symbol()).collect();
        assert_eq!(&symbols[..], b"AcSdgmCUDTt");
        for k in MeterKind::ALL {
            assert_eq!(MeterKind::from_symbol(k.symbol()), Some(k));
        }
        assert_eq!(MeterKind::from_symbol(b'X'), None);
    }

    #[test]
    fn names_are_kebab_case_and_round_trip() {
        for k in MeterKind::ALL {
            assert_eq!(MeterKind::from_name(k.name()), Some(k));
            assert!(k
                .name()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-'));
            // The Python method name is the same words, but for the `pct_` abbreviation.
            let python = k
                .python_name()
                .replace('_', "-")
                .replace("pct-", "percentile-");
            assert_eq!(python, k.name());
            assert!(!k.description().is_empty());
        }
        assert_eq!(MeterKind::from_name("Counter"), None);
        assert_eq!(MeterKind::from_name("pct-timer"), None);
        let with_percentiles: heapless::Vec<u8, 11> = MeterKind::ALL
            .iter()
            .filter(|k| k.has_percentiles())
            .map(|k| k.symbol())
            .collect();
        assert_eq!(&with_percentiles[..], b"DT");
        assert!(MeterKind::Timer.is_timer() && MeterKind::PercentileTimer.is_timer());
        assert!(!MeterKind::PercentileDistributionSummary.is_timer());
    }

    #[test]
    #[cfg(feature = "float")]
    fn filters_match_spectator_py() {
        use MeterKind::*;
        let neg = Value::Float(-1.0);
        let zero = Value::Int(0);
        let nan = Value::Float(f64::NAN);
        let neg_zero = Value::Float(-0.0);
        for k in [
            AgeGauge,
            Gauge,
            MaxGauge,
            MonotonicCounter,
            MonotonicCounterUint,
        ] {
            assert!(k.accepts(&neg) && k.accepts(&nan) && k.accepts(&zero));
        }
        assert!(!Counter.accepts(&zero) && !Counter.accepts(&neg_zero) && !Counter.accepts(&nan));
        for k in [
            Timer,
            PercentileTimer,
            DistributionSummary,
            PercentileDistributionSummary,
        ] {
            assert!(k.accepts(&zero) && k.accepts(&neg_zero));
            assert!(!k.accepts(&neg) && !k.accepts(&nan));
        }
    }
}
