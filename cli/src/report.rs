//! [`StepReport`]: what spectatord would publish for one step, and its two renderings, a table
//! ([`StepReport::render_table`]) and a JSON object ([`StepReport::to_json`]).

use std::fmt::Write as _;

use serde_json::{json, Map, Value as Json};
use spectator_core::parse::spectatord::ParsedValue;
use spectator_core::MeterKind;

use crate::aggregator::METER_TTL;
use crate::clock::{Nanos, SECOND};
use crate::id::CanonicalId;
use crate::percentile::SHOWN;

/// spectatord's default gauge TTL in seconds.
const DEFAULT_TTL_SECONDS: i64 = METER_TTL / SECOND;

/// What one meter publishes for a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Published {
    /// A counter: the sum of the step's increments and the rate per second (sum / step).
    Rate {
        /// Increments per second.
        rate: f64,
        /// The sum of the increments.
        sum: f64,
    },
    /// A gauge's last value (reported until its TTL runs out).
    Gauge {
        /// The value.
        value: f64,
        /// The TTL in seconds spectatord applies (at least 5, default 900).
        ttl_seconds: i64,
    },
    /// A max gauge: the largest value set during the step.
    Max(f64),
    /// An age gauge: seconds since the last success.
    Age(f64),
    /// A timer or distribution summary: the step's count, total and maximum (seconds for
    /// timers), and for percentile timers and distribution summaries the percentiles Atlas
    /// estimates from the step's buckets.
    Distribution {
        /// How many values were recorded.
        count: u64,
        /// Their total.
        total: f64,
        /// The largest.
        max: f64,
        /// p50, p90, p99 and p99.9 ([`crate::percentile::SHOWN`]), seconds for timers; `None`
        /// for plain timers and distribution summaries. A percentile timer that got only
        /// negative values has percentiles (spectatord buckets them at 1 ns) and a count of 0.
        percentiles: Option<[f64; 4]>,
    },
    /// A monotonic counter: the increase since the previous step.
    Delta(f64),
}

/// One published meter.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The meter type.
    pub kind: MeterKind,
    /// The meter id.
    pub id: CanonicalId,
    /// What it publishes.
    pub value: Published,
}

/// A line spectatord rejected or accepted with a warning, and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The line (invalid UTF-8 shown as U+FFFD).
    pub line: String,
    /// spectatord's message.
    pub message: String,
    /// For a rejected line, the warning spectatord logged before rejecting it (an unknown type
    /// with characters after the value: `While parsing x:5x: Got 5 parsing value, ignoring
    /// chars starting at x`).
    pub warning: Option<String>,
}

/// An id that spectatord accepts and the Atlas backend drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId {
    /// The id, `name,k=v,…`.
    pub id: String,
    /// The rule it breaks, e.g. `tag key 'k' is 1 character long; Atlas accepts 2 to 60`.
    pub reason: String,
}

/// Line and datagram counts of a step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// Datagrams received.
    pub datagrams: u64,
    /// Bytes received.
    pub bytes: u64,
    /// Lines parsed (accepted + rejected).
    pub lines: u64,
    /// Lines spectatord accepts.
    pub accepted: u64,
    /// Accepted lines that carried trailing characters after the value (spectatord logs a
    /// warning and keeps the value).
    pub warnings: u64,
    /// Lines spectatord rejects.
    pub rejected: u64,
    /// Accepted lines that change nothing that is shown: `X` lines and age gauges over the
    /// limit of 1000.
    pub ignored: u64,
    /// Accepted lines whose id the Atlas backend drops (see [`StepReport::invalid_for_atlas`]).
    pub invalid_for_atlas: u64,
}

/// What spectatord would publish at the end of one step, with the step's line counts.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// 1 for the first step.
    pub step: u64,
    /// When the step ended.
    pub time: Nanos,
    /// The step length in seconds (the divisor of counter rates).
    pub step_seconds: f64,
    /// The step's line counts.
    pub counts: LineCounts,
    /// Published meters, sorted by id, then type.
    pub rows: Vec<Row>,
    /// The step's rejected lines (at most [`crate::MESSAGES_PER_STEP`]).
    pub rejected: Vec<Note>,
    /// The step's lines accepted with a warning (at most [`crate::MESSAGES_PER_STEP`]).
    pub warnings: Vec<Note>,
    /// The ids of the step's lines that the Atlas backend drops, once each, sorted.
    pub invalid_for_atlas: Vec<InvalidId>,
    /// Other remarks (X lines seen, the age gauge limit reached, …).
    pub notes: Vec<String>,
}

/// A double as spectatord's messages print it ({fmt}'s `{}`): `42`, `0.5`, `1e+16`, `nan`.
pub fn fmt_number(value: f64) -> String {
    ParsedValue::Float(value).to_string()
}

/// A number to 4 significant digits, printed like [`fmt_number`]: `0.2684`, `1234`, `1.235e+16`.
pub fn fmt_short(value: f64) -> String {
    if !value.is_finite() || value == 0.0 {
        return fmt_number(value);
    }
    let rounded: f64 = format!("{value:.3e}").parse().unwrap_or(value);
    fmt_number(rounded)
}

/// `HH:MM:SS` (UTC) of an epoch time.
pub(crate) fn time_of_day(time: Nanos) -> String {
    let secs = time.div_euclid(SECOND).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Published {
    /// The value column of the table, e.g. `rate=2.4/s`, `count=3 total=0.6s max=0.3s`, and
    /// for percentile meters ` p50=0.2684s p90=0.4933s p99=0.5345s p99.9=0.5367s`.
    /// Numbers are printed exactly (as spectatord's messages print doubles), except ages,
    /// which are rounded to milliseconds, and percentiles (estimates), to 4 significant digits;
    /// a gauge's TTL is shown when it is not the default.
    pub fn describe(&self, kind: MeterKind) -> String {
        let seconds = if kind.is_timer() { "s" } else { "" };
        match *self {
            Published::Rate { rate, .. } => format!("rate={}/s", fmt_number(rate)),
            Published::Gauge { value, ttl_seconds } if ttl_seconds != DEFAULT_TTL_SECONDS => {
                format!("value={} ttl={ttl_seconds}s", fmt_number(value))
            }
            Published::Gauge { value, .. } => format!("value={}", fmt_number(value)),
            Published::Max(v) => format!("max={}", fmt_number(v)),
            Published::Age(v) => format!("age={v:.3}s"),
            Published::Distribution {
                count,
                total,
                max,
                percentiles,
            } => {
                let mut text = format!(
                    "count={count} total={}{seconds} max={}{seconds}",
                    fmt_number(total),
                    fmt_number(max)
                );
                for ((name, _), v) in SHOWN.iter().zip(percentiles.iter().flatten()) {
                    let _ = write!(text, " {name}={}{seconds}", fmt_short(*v));
                }
                text
            }
            Published::Delta(v) => format!("delta={}", fmt_number(v)),
        }
    }

    fn json_fields(&self, out: &mut Map<String, Json>) {
        match *self {
            Published::Rate { rate, sum } => {
                out.insert("rate".into(), number(rate));
                out.insert("sum".into(), number(sum));
            }
            Published::Gauge { value, ttl_seconds } => {
                out.insert("value".into(), number(value));
                out.insert("ttl_seconds".into(), json!(ttl_seconds));
            }
            Published::Max(v) | Published::Age(v) => {
                out.insert("value".into(), number(v));
            }
            Published::Distribution {
                count,
                total,
                max,
                percentiles,
            } => {
                out.insert("count".into(), json!(count));
                out.insert("total".into(), number(total));
                out.insert("max".into(), number(max));
                if let Some(values) = percentiles {
                    let shown: Map<String, Json> = SHOWN
                        .iter()
                        .zip(values)
                        .map(|((name, _), v)| ((*name).to_owned(), number(v)))
                        .collect();
                    out.insert("percentiles".into(), Json::Object(shown));
                }
            }
            Published::Delta(v) => {
                out.insert("delta".into(), number(v));
            }
        }
    }
}

/// A JSON number, or the strings `"inf"`, `"-inf"`, `"nan"` that JSON cannot hold as numbers.
fn number(value: f64) -> Json {
    serde_json::Number::from_f64(value)
        .map_or_else(|| Json::String(fmt_number(value)), Json::Number)
}

fn notes_json(notes: &[Note], key: &str) -> Json {
    notes
        .iter()
        .map(|n| {
            let mut note = json!({ "line": n.line, key: n.message });
            if let (Some(warning), Some(fields)) = (&n.warning, note.as_object_mut()) {
                fields.insert("warning".into(), json!(warning));
            }
            note
        })
        .collect()
}

impl StepReport {
    /// The header line: step number, time, length and line counts.
    pub fn header(&self) -> String {
        let c = &self.counts;
        let mut header = format!(
            "== step {} at {}Z ({} s): {}",
            self.step,
            time_of_day(self.time),
            fmt_number(self.step_seconds),
            plural(c.lines, "line", "lines"),
        );
        if c.lines > 0 {
            let _ = write!(header, ", {} accepted", c.accepted);
            if c.warnings > 0 {
                let _ = write!(header, " ({} with a warning)", c.warnings);
            }
            let _ = write!(header, ", {} rejected", c.rejected);
            if c.ignored > 0 {
                let _ = write!(header, ", {} ignored", c.ignored);
            }
            if c.invalid_for_atlas > 0 {
                let _ = write!(header, ", {} with ids Atlas drops", c.invalid_for_atlas);
            }
        }
        header.push_str(" ==");
        header
    }

    /// The step as a text table: a header line, then one row per published meter (`TYPE`,
    /// `ID`, `VALUE`), then the lines accepted with a warning, rejected lines that got a
    /// warning first, the ids Atlas drops and other notes.
    ///
    /// ```text
    /// == step 2 at 12:00:10Z (5 s): 4 lines, 3 accepted (1 with a warning), 1 rejected, 1 with ids Atlas drops ==
    /// TYPE     ID                              VALUE
    /// counter  server.requestCount,status=200  rate=0.4/s
    /// gauge    server.requestsInFlight         value=3
    /// counter  x,k=v                           rate=0.2/s
    /// note: accepted with a warning: 'c:server.requestCount,status=200:1x': Got 1 parsing value, ignoring chars starting at x
    /// note: Atlas drops 'x,k=v': tag key 'k' is 1 character long; Atlas accepts 2 to 60
    /// ```
    pub fn render_table(&self) -> String {
        let mut out = self.header();
        out.push('\n');
        let cells: Vec<[String; 3]> = self
            .rows
            .iter()
            .map(|r| {
                [
                    r.kind.name().to_owned(),
                    r.id.to_string(),
                    r.value.describe(r.kind),
                ]
            })
            .collect();
        if cells.is_empty() {
            out.push_str("(nothing published)\n");
        } else {
            let header = ["TYPE".to_owned(), "ID".to_owned(), "VALUE".to_owned()];
            let width = |i: usize| {
                cells
                    .iter()
                    .chain([&header])
                    .map(|c| c[i].chars().count())
                    .max()
                    .unwrap_or(0)
            };
            let (w0, w1) = (width(0), width(1));
            for row in [&header].into_iter().chain(cells.iter()) {
                let _ = writeln!(out, "{:w0$}  {:w1$}  {}", row[0], row[1], row[2]);
            }
        }
        for w in &self.warnings {
            let _ = writeln!(
                out,
                "note: accepted with a warning: '{}': {}",
                w.line, w.message
            );
        }
        let shown = self.warnings.len() as u64;
        if self.counts.warnings > shown {
            let _ = writeln!(
                out,
                "note: {} more lines accepted with a warning",
                self.counts.warnings - shown
            );
        }
        for r in &self.rejected {
            if let Some(warning) = &r.warning {
                let _ = writeln!(
                    out,
                    "note: rejected after a warning: '{}': {warning}; then {}",
                    r.line, r.message
                );
            }
        }
        for invalid in &self.invalid_for_atlas {
            let _ = writeln!(
                out,
                "note: Atlas drops '{}': {}",
                invalid.id, invalid.reason
            );
        }
        for n in &self.notes {
            let _ = writeln!(out, "note: {n}");
        }
        out
    }

    /// The step as one JSON object (the schema is in the README and on [`crate::listen`]).
    pub fn to_json(&self) -> Json {
        let meters: Vec<Json> = self
            .rows
            .iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("type".into(), json!(r.kind.name()));
                m.insert(
                    "symbol".into(),
                    json!(char::from(r.kind.symbol()).to_string()),
                );
                m.insert("id".into(), json!(r.id.to_string()));
                m.insert("name".into(), json!(r.id.name));
                let tags: Map<String, Json> =
                    r.id.tags
                        .iter()
                        .map(|(k, v)| (k.clone(), json!(v)))
                        .collect();
                m.insert("tags".into(), Json::Object(tags));
                r.value.json_fields(&mut m);
                Json::Object(m)
            })
            .collect();
        let c = &self.counts;
        json!({
            "step": self.step,
            "time_ms": self.time.div_euclid(1_000_000),
            "step_seconds": self.step_seconds,
            "datagrams": c.datagrams,
            "bytes": c.bytes,
            "lines": {
                "total": c.lines,
                "accepted": c.accepted,
                "warnings": c.warnings,
                "rejected": c.rejected,
                "ignored": c.ignored,
            },
            "meters": meters,
            "rejected": notes_json(&self.rejected, "error"),
            "warnings": notes_json(&self.warnings, "warning"),
            "invalid_for_atlas": self
                .invalid_for_atlas
                .iter()
                .map(|i| json!({"id": i.id, "reason": i.reason}))
                .collect::<Vec<_>>(),
            "notes": self.notes,
        })
    }
}
