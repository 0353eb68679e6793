//! [`Aggregator`]: datagrams in, spectatord's view of each step out.
//!
//! Every line goes through spectatord's acceptance rules
//! ([`parse_datagram`](spectator_core::parse::spectatord::parse_datagram)); accepted lines
//! update one meter per (type, id), with spectatord's semantics (spec §12.4, and spectatord's
//! meter classes):
//!
//! | type | on each line | published at each step |
//! |---|---|---|
//! | `c` counter | `Add(v)`, negatives ignored, NaN poisons the step | `sum / step` per second, if the sum is `> 0`; reset |
//! | `g` gauge | `Set(v)`; the option is the TTL in seconds (min 5, default 900), kept by later lines without one | the last value, until the gauge is not updated for longer than its TTL; NaN is not published |
//! | `m` max gauge | `max(current, v)` | the step's maximum, if any value was set; reset |
//! | `A` age gauge | `0` → now, else `v` epoch seconds | seconds since then, every step, never expires (at most 1000 age gauges) |
//! | `t`, `T` timers | `int64(v * 1e9)` ns, negatives ignored; `T` also counts the value, clamped to [1 ns, 24 h], in its percentile bucket (negatives too) | count, total and max in seconds, if any; `T`: p50, p90, p99, p99.9 in seconds; reset |
//! | `d` distribution summary | `v`, negatives and NaN ignored | count, total, max, if any; reset |
//! | `D` percentile distribution summary | `int64(v)` (truncated), negatives ignored; counted in its percentile bucket | as `d`, with p50, p90, p99, p99.9 |
//! | `C` monotonic counter | `Set(v)` | `v - previous` if `> 0`; the first step sets the baseline |
//! | `U` monotonic counter (u64) | `Set(v)` | `v - previous` modulo 2^64 if `> 0` (over 2^63: published as 0); the first step sets the baseline |
//! | `X` monotonic sampled | counted, not shown (spectatord garbles its values at 429cd8d) | — |
//!
//! Percentiles are estimated from the step's bucket counts as Atlas does (see
//! [`crate::percentile`]). Every step also lists the ids Atlas will drop
//! ([`spectator_core::parse::atlas::check_id`]), once each, with the rule they break.
//!
//! Meters other than age gauges and gauges are forgotten after 15 minutes without an update
//! (spectatord's `--meter_ttl`), so a monotonic counter then starts a new baseline; gauges are
//! forgotten when their TTL runs out.
//!
//! The hot path allocates nothing: each accepted line's raw type-and-id bytes (`c:name,k=v`)
//! are looked up in a hash map that interns them; only the first line of an id (and rejected
//! lines, up to [`MESSAGES_PER_STEP`] a step) allocate.

use std::collections::HashMap;
use std::time::Duration;

use foldhash::fast::FixedState;
use spectator_core::parse::atlas::check_id;
use spectator_core::parse::spectatord::{parse_datagram, Accepted, ParsedValue};
use spectator_core::MeterKind;

use crate::clock::{Nanos, SECOND};
use crate::id::CanonicalId;
use crate::percentile::{self, index_of, Buckets, LENGTH, TIMER_MAX_NANOS, TIMER_MIN_NANOS};
use crate::report::{InvalidId, LineCounts, Note, Published, Row, StepReport};

/// Rejected lines and lines accepted with a warning kept (and printed) per step; further ones
/// are only counted.
pub const MESSAGES_PER_STEP: usize = 100;
/// spectatord's default gauge TTL and meter expiry (`--meter_ttl`): 15 minutes.
pub const METER_TTL: Nanos = 15 * 60 * SECOND;
/// spectatord's smallest gauge TTL: 5 seconds.
pub const MIN_GAUGE_TTL: Nanos = 5 * SECOND;
/// spectatord's limit on age gauges (`--age_gauge_limit`).
pub const AGE_GAUGE_LIMIT: usize = 1000;
/// The raw-id cache is cleared when it holds this many keys (many distinct spellings of ids).
const CACHE_LIMIT: usize = 1 << 20;
/// A cache entry for an id that is ignored (an age gauge over the limit).
const IGNORED: u32 = u32::MAX;
/// 2^63 as spectatord writes it for `U` deltas that look like overflows.
const U_OVERFLOW: f64 = 9.223372e18;

/// A double converted to `int64_t` the way x86-64 does it (`cvttsd2si`): truncated, and
/// `i64::MIN` for NaN and values out of range (spectatord's `static_cast<int64_t>`).
fn c_int64(value: f64) -> i64 {
    if value.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&value) {
        i64::MIN
    } else {
        value as i64
    }
}

/// The state of one meter between steps.
#[derive(Debug, Clone, Copy)]
enum State {
    Counter {
        sum: f64,
    },
    Gauge {
        value: f64,
        ttl: Nanos,
    },
    MaxGauge {
        max: f64,
    },
    Age {
        last_success: Nanos,
    },
    Timer {
        count: u64,
        total: i64,
        max: i64,
    },
    Distribution {
        count: u64,
        total: f64,
        max: f64,
    },
    Monotonic {
        value: f64,
        previous: f64,
    },
    MonotonicUint {
        value: u64,
        previous: u64,
        initialized: bool,
    },
}

impl State {
    fn new(kind: MeterKind) -> Self {
        match kind {
            MeterKind::Counter => State::Counter { sum: 0.0 },
            MeterKind::Gauge => State::Gauge {
                value: f64::NAN,
                ttl: METER_TTL,
            },
            MeterKind::MaxGauge => State::MaxGauge { max: f64::MIN },
            MeterKind::AgeGauge => State::Age { last_success: 0 },
            MeterKind::Timer | MeterKind::PercentileTimer => State::Timer {
                count: 0,
                total: 0,
                max: 0,
            },
            MeterKind::DistributionSummary | MeterKind::PercentileDistributionSummary => {
                State::Distribution {
                    count: 0,
                    total: 0.0,
                    max: 0.0,
                }
            }
            MeterKind::MonotonicCounter => State::Monotonic {
                value: f64::NAN,
                previous: f64::NAN,
            },
            // Never created for `S` (see `KINDS`).
            MeterKind::MonotonicCounterUint | MeterKind::DistinctCountSketch => {
                State::MonotonicUint {
                    value: 0,
                    previous: 0,
                    initialized: false,
                }
            }
        }
    }
}

#[derive(Debug)]
struct Meter {
    kind: MeterKind,
    id: CanonicalId,
    state: State,
    updated: Nanos,
    /// The step's counts per percentile bucket (`T` and `D` only).
    buckets: Option<Box<Buckets>>,
    /// Why Atlas drops the id, if it does.
    invalid_for_atlas: Option<Box<str>>,
    /// The last step (numbered from 1) in which the id was listed as invalid for Atlas.
    listed_in_step: u64,
}

/// The [`percentile::SHOWN`] estimates of a step's bucket counts (divided by `scale`), if any;
/// the counts restart at 0.
fn take_percentiles(buckets: &mut Option<Box<Buckets>>, scale: f64) -> Option<[f64; 4]> {
    let counts = buckets.as_deref_mut()?;
    if counts.iter().all(|&c| c == 0) {
        return None;
    }
    let shown = percentile::shown(counts, scale);
    *counts = [0; LENGTH];
    Some(shown)
}

impl Meter {
    #[inline]
    fn update(&mut self, line: &Accepted<'_>, now: Nanos) {
        self.updated = now;
        let v = match line.value {
            ParsedValue::Float(v) => v,
            ParsedValue::Unsigned(u) => u as f64,
        };
        let buckets = &mut self.buckets;
        match &mut self.state {
            State::Counter { sum } => {
                // `if (delta < 0) return;`: NaN is added, and poisons the step.
                if v >= 0.0 || v.is_nan() {
                    *sum += v;
                }
            }
            State::Gauge { value, ttl } => {
                *value = v;
                if let Some(seconds) = line.option.filter(|&s| s > 0) {
                    *ttl = seconds.saturating_mul(SECOND).max(MIN_GAUGE_TTL);
                }
            }
            State::MaxGauge { max } => {
                if v > *max {
                    *max = v;
                }
            }
            State::Age { last_success } => {
                *last_success = if v == 0.0 { now } else { c_int64(v * 1e9) };
            }
            State::Timer { count, total, max } => {
                let nanos = c_int64(v * 1e9);
                if nanos >= 0 {
                    *count += 1;
                    *total = total.wrapping_add(nanos);
                    *max = (*max).max(nanos);
                }
                // spectatord's PercentileTimer records the clamped value whatever its sign.
                if let Some(counts) = buckets {
                    counts[index_of(nanos.clamp(TIMER_MIN_NANOS, TIMER_MAX_NANOS))] += 1;
                }
            }
            State::Distribution { count, total, max } => {
                let amount = match buckets {
                    Some(counts) => {
                        let amount = c_int64(v);
                        if amount >= 0 {
                            counts[index_of(amount)] += 1;
                        }
                        amount as f64
                    }
                    None => v,
                };
                if amount >= 0.0 {
                    *count += 1;
                    *total += amount;
                    if amount > *max {
                        *max = amount;
                    }
                }
            }
            State::Monotonic { value, .. } => *value = v,
            State::MonotonicUint { value, .. } => {
                *value = match line.value {
                    ParsedValue::Unsigned(u) => u,
                    ParsedValue::Float(f) => f as u64,
                }
            }
        }
    }

    /// spectatord's `Measure`: what the meter publishes at `now`, resetting per-step state.
    fn measure(&mut self, now: Nanos, step_seconds: f64) -> Option<Published> {
        let buckets = &mut self.buckets;
        match &mut self.state {
            State::Counter { sum } => {
                let s = std::mem::replace(sum, 0.0);
                (s > 0.0).then(|| Published::Rate {
                    rate: s / step_seconds,
                    sum: s,
                })
            }
            State::Gauge { value, ttl } => {
                if now.saturating_sub(self.updated) > *ttl {
                    *value = f64::NAN;
                }
                (!value.is_nan()).then_some(Published::Gauge {
                    value: *value,
                    ttl_seconds: *ttl / SECOND,
                })
            }
            State::MaxGauge { max } => {
                let m = std::mem::replace(max, f64::MIN);
                (m != f64::MIN).then_some(Published::Max(m))
            }
            State::Age { last_success } => {
                Some(Published::Age(now.wrapping_sub(*last_success) as f64 / 1e9))
            }
            State::Timer { count, total, max } => {
                let percentiles = take_percentiles(buckets, 1e9);
                let published =
                    (*count > 0 || percentiles.is_some()).then(|| Published::Distribution {
                        count: *count,
                        total: *total as f64 / 1e9,
                        max: *max as f64 / 1e9,
                        percentiles,
                    });
                (*count, *total, *max) = (0, 0, 0);
                published
            }
            State::Distribution { count, total, max } => {
                let percentiles = take_percentiles(buckets, 1.0);
                let published = (*count > 0).then_some(Published::Distribution {
                    count: *count,
                    total: *total,
                    max: *max,
                    percentiles,
                });
                (*count, *total, *max) = (0, 0.0, 0.0);
                published
            }
            State::Monotonic { value, previous } => {
                let delta = *value - *previous;
                *previous = *value;
                (delta > 0.0).then_some(Published::Delta(delta))
            }
            State::MonotonicUint {
                value,
                previous,
                initialized,
            } => {
                let delta = if *initialized {
                    value.wrapping_sub(*previous) as f64
                } else {
                    f64::NAN
                };
                *previous = *value;
                *initialized = true;
                (delta > 0.0).then_some(Published::Delta(if delta > U_OVERFLOW {
                    0.0
                } else {
                    delta
                }))
            }
        }
    }

    /// Whether spectatord would have dropped the meter by `now`.
    fn expired(&self, now: Nanos) -> bool {
        let idle = now.saturating_sub(self.updated);
        match self.state {
            State::Age { .. } => false,
            State::Gauge { ttl, .. } => idle > ttl,
            _ => idle > METER_TTL,
        }
    }
}

/// Where `part` (a subslice of `line`) ends in `line`.
#[inline]
fn end_in(line: &[u8], part: &[u8]) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= line.len()).then_some(end)
}

/// The bytes of an accepted line that determine its meter: from the type to the end of the
/// last tag (`g,60:name,k=v`). `None` if the id does not lie within the line.
#[inline]
fn raw_key<'a>(line: &'a [u8], accepted: &Accepted<'a>) -> Option<&'a [u8]> {
    let name_end = end_in(line, accepted.name)?;
    let end = if line.get(name_end) == Some(&b':') {
        name_end
    } else {
        let last = accepted.tags.last().map_or(accepted.name, |(_, v)| v);
        end_in(line, last)?
    };
    line.get(..end)
}

/// The meter kind of each symbol spectatord records, `None` for `X`, `S` (which spectatord
/// 429cd8d rejects anyway) and unknown bytes.
static KINDS: [Option<MeterKind>; 256] = {
    let mut table = [None; 256];
    let mut i = 0;
    while i < MeterKind::ALL.len() {
        let kind = MeterKind::ALL[i];
        if !matches!(kind, MeterKind::DistinctCountSketch) {
            table[kind.symbol() as usize] = Some(kind);
        }
        i += 1;
    }
    table
};

/// Turns datagrams into what spectatord would publish, step by step. The caller supplies the
/// time of each datagram and of each step, so tests drive it without sleeping.
///
/// ```
/// use spectator_cli::{Aggregator, SECOND};
/// use std::time::Duration;
///
/// let mut agg = Aggregator::new(Duration::from_secs(5));
/// let t0 = 1_700_000_000 * SECOND;
/// agg.ingest(b"c:requests,status=200:1\nc:requests,status=200:4\ng,0:bad:1", t0);
/// let report = agg.step(t0 + 5 * SECOND);
/// assert_eq!(report.counts.rejected, 1);
/// assert_eq!(report.rows[0].value.describe(report.rows[0].kind), "rate=1/s");
/// ```
pub struct Aggregator {
    step: Duration,
    cache: HashMap<Box<[u8]>, u32, FixedState>,
    index: HashMap<(MeterKind, CanonicalId), u32>,
    meters: Vec<Meter>,
    age_gauges: usize,
    counts: LineCounts,
    rejected: Vec<Note>,
    warnings: Vec<Note>,
    /// Meters whose ids Atlas drops, updated in this step.
    invalid: Vec<u32>,
    notes: Vec<String>,
    messages: Vec<String>,
    steps: u64,
    age_limit_noted: bool,
}

impl std::fmt::Debug for Aggregator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aggregator")
            .field("step", &self.step)
            .field("meters", &self.meters.len())
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl Aggregator {
    /// An aggregator publishing every `step` (counter rates are divided by it).
    pub fn new(step: Duration) -> Self {
        Self {
            step,
            cache: HashMap::with_capacity_and_hasher(1024, FixedState::default()),
            index: HashMap::new(),
            meters: Vec::new(),
            age_gauges: 0,
            counts: LineCounts::default(),
            rejected: Vec::new(),
            warnings: Vec::new(),
            invalid: Vec::new(),
            notes: Vec::new(),
            messages: Vec::new(),
            steps: 0,
            age_limit_noted: false,
        }
    }

    /// The step length.
    pub fn step_length(&self) -> Duration {
        self.step
    }

    /// Line counts of the current step so far.
    pub fn counts(&self) -> LineCounts {
        self.counts
    }

    /// Takes one datagram received at `now`.
    pub fn ingest(&mut self, datagram: &[u8], now: Nanos) {
        self.counts.datagrams += 1;
        self.counts.bytes += datagram.len() as u64;
        for line in parse_datagram(datagram) {
            self.counts.lines += 1;
            match line.result {
                Ok(accepted) => {
                    self.counts.accepted += 1;
                    if let Some(warning) = &accepted.warning {
                        self.counts.warnings += 1;
                        if self.warnings.len() < MESSAGES_PER_STEP {
                            let note = Note {
                                line: String::from_utf8_lossy(line.line).into_owned(),
                                message: warning.to_string(),
                                warning: None,
                            };
                            self.messages
                                .push(format!("warning '{}': {}", note.line, note.message));
                            self.warnings.push(note);
                        }
                    }
                    self.record(line.line, &accepted, now);
                }
                Err(rejected) => {
                    self.counts.rejected += 1;
                    if self.rejected.len() < MESSAGES_PER_STEP {
                        // spectatord logs the warning of an unknown type's value first.
                        let warning = line.warning.map(|w| w.logged().to_string());
                        let note = Note {
                            line: String::from_utf8_lossy(line.line).into_owned(),
                            message: rejected.to_string(),
                            warning,
                        };
                        if let Some(warning) = &note.warning {
                            self.messages
                                .push(format!("warning '{}': {warning}", note.line));
                        }
                        self.messages
                            .push(format!("rejected '{}': {}", note.line, note.message));
                        self.rejected.push(note);
                    }
                }
            }
        }
    }

    #[inline]
    fn record(&mut self, line: &[u8], accepted: &Accepted<'_>, now: Nanos) {
        let Some(kind) = KINDS[usize::from(accepted.symbol)] else {
            // `X`: accepted by spectatord, not shown here.
            self.counts.ignored += 1;
            if accepted.symbol == b'X' {
                self.note_once("X lines (monotonic sampled sources) are accepted but not shown");
            }
            return;
        };
        let meter = match raw_key(line, accepted) {
            Some(key) => match self.cache.get(key) {
                Some(&meter) => meter,
                None => {
                    let meter = self.meter_for(kind, accepted);
                    if self.cache.len() >= CACHE_LIMIT {
                        self.cache.clear();
                    }
                    self.cache.insert(key.into(), meter);
                    meter
                }
            },
            None => self.meter_for(kind, accepted),
        };
        match self.meters.get_mut(meter as usize) {
            Some(m) => {
                m.update(accepted, now);
                if m.invalid_for_atlas.is_some() {
                    self.counts.invalid_for_atlas += 1;
                    if m.listed_in_step <= self.steps {
                        m.listed_in_step = self.steps + 1;
                        self.invalid.push(meter);
                    }
                }
            }
            None => self.counts.ignored += 1,
        }
    }

    /// The slow path: the meter for a line's canonical id, created if new.
    #[cold]
    fn meter_for(&mut self, kind: MeterKind, accepted: &Accepted<'_>) -> u32 {
        let id = CanonicalId::from_raw(accepted.name, accepted.tags);
        if let Some(&meter) = self.index.get(&(kind, id.clone())) {
            return meter;
        }
        if kind == MeterKind::AgeGauge {
            if self.age_gauges >= AGE_GAUGE_LIMIT {
                if !self.age_limit_noted {
                    self.age_limit_noted = true;
                    self.notes.push(format!(
                        "age gauge limit ({AGE_GAUGE_LIMIT}) reached: spectatord ignores new age gauges such as {id}"
                    ));
                }
                return IGNORED;
            }
            self.age_gauges += 1;
        }
        let meter = u32::try_from(self.meters.len()).unwrap_or(IGNORED);
        if meter == IGNORED {
            return IGNORED;
        }
        let invalid_for_atlas = check_id(&id.name, id.tags.iter().map(|(k, v)| (&**k, &**v)))
            .err()
            .map(|rule| rule.to_string().into_boxed_str());
        self.meters.push(Meter {
            kind,
            id: id.clone(),
            state: State::new(kind),
            updated: 0,
            buckets: kind.has_percentiles().then(|| Box::new([0; LENGTH])),
            invalid_for_atlas,
            listed_in_step: 0,
        });
        self.index.insert((kind, id), meter);
        meter
    }

    fn note_once(&mut self, note: &str) {
        if !self.notes.iter().any(|n| n == note) {
            self.notes.push(note.to_owned());
        }
    }

    /// The messages for rejected lines and warnings since the last call, ready to print
    /// (`rejected 'LINE': MESSAGE`, `warning 'LINE': MESSAGE`), at most
    /// [`MESSAGES_PER_STEP`] of each per step.
    pub fn take_messages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.messages)
    }

    /// Ends the step at `now`: what spectatord would publish, sorted by id then type. Resets
    /// the per-step state and the line counts.
    pub fn step(&mut self, now: Nanos) -> StepReport {
        self.steps += 1;
        let step_seconds = self.step.as_secs_f64();
        let mut rows: Vec<Row> = self
            .meters
            .iter_mut()
            .filter_map(|m| {
                let value = m.measure(now, step_seconds)?;
                Some(Row {
                    kind: m.kind,
                    id: m.id.clone(),
                    value,
                })
            })
            .collect();
        rows.sort_by(|a, b| a.id.cmp(&b.id).then(a.kind.cmp(&b.kind)));
        let mut invalid_for_atlas: Vec<InvalidId> = std::mem::take(&mut self.invalid)
            .into_iter()
            .filter_map(|i| self.meters.get(i as usize))
            .filter_map(|m| {
                Some(InvalidId {
                    id: m.id.to_string(),
                    reason: m.invalid_for_atlas.as_deref()?.to_owned(),
                })
            })
            .collect();
        // Once per id, whatever its types.
        invalid_for_atlas.sort_by(|a, b| a.id.cmp(&b.id));
        invalid_for_atlas.dedup_by(|a, b| a.id == b.id);
        if self.meters.iter().any(|m| m.expired(now)) {
            self.meters.retain(|m| !m.expired(now));
            self.index = self
                .meters
                .iter()
                .enumerate()
                .map(|(i, m)| ((m.kind, m.id.clone()), i as u32))
                .collect();
            self.cache.clear();
        }
        StepReport {
            step: self.steps,
            time: now,
            step_seconds,
            counts: std::mem::take(&mut self.counts),
            rows,
            rejected: std::mem::take(&mut self.rejected),
            warnings: std::mem::take(&mut self.warnings),
            invalid_for_atlas,
            notes: std::mem::take(&mut self.notes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_int64_is_x86_truncation() {
        assert_eq!(c_int64(1.9), 1);
        assert_eq!(c_int64(-1.9), -1);
        assert_eq!(c_int64(f64::NAN), i64::MIN);
        assert_eq!(c_int64(1e19), i64::MIN);
        assert_eq!(c_int64(-9.223_372_036_854_776e18), i64::MIN);
    }

    #[test]
    fn raw_key_spans_type_option_name_and_tags() {
        let line = b"g,60:name,a=1,b=2:5";
        let accepted = spectator_core::parse::spectatord::parse_line(line).unwrap();
        assert_eq!(raw_key(line, &accepted), Some(&b"g,60:name,a=1,b=2"[..]));
        let line = b"c:n,x5";
        let accepted = spectator_core::parse::spectatord::parse_line(line).unwrap();
        assert_eq!(raw_key(line, &accepted), Some(&b"c:n"[..]));
    }
}
