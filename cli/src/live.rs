//! `spectator listen --live`: a full-screen view of what spectatord would publish, refreshed at
//! every step.
//!
//! One row per meter: its type, id, the step's figure and a sparkline of that figure over the
//! last [`HISTORY`] steps (counters: the rate; gauges, max gauges and age gauges: the value;
//! timers and distribution summaries: p99 for the percentile ones, the max otherwise;
//! monotonic counters: the delta). A status bar counts the step's lines, rejected lines and
//! lines whose ids Atlas drops. Keys: `s` cycles the sort order (id, type, figure), `/` starts
//! a filter on the id (typed, `Enter` keeps it, `Esc` clears it), `↑`/`↓` scroll, `q` quits.
//!
//! The view ([`LiveView`]) is independent of the terminal: it takes [`StepReport`]s and key
//! presses and draws on any ratatui backend, so its tests draw on a `TestBackend`. [`run`]
//! drives it in the terminal (crossterm, alternate screen, raw mode).

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Stdout};
use std::time::Duration;

use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{execute, terminal};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table};
use ratatui::{Frame, Terminal};
use spectator_core::MeterKind;

use crate::listen::{Listener, StepClock};
use crate::report::{fmt_short, time_of_day, Published, StepReport};

/// Steps kept per meter for its sparkline.
pub const HISTORY: usize = 60;

/// The sparkline's levels, lowest first.
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The order of the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// By id, then type (as the table).
    Id,
    /// By type, then id.
    Type,
    /// By the current figure, largest first; meters without one this step last.
    Figure,
}

impl SortBy {
    fn next(self) -> Self {
        match self {
            SortBy::Id => SortBy::Type,
            SortBy::Type => SortBy::Figure,
            SortBy::Figure => SortBy::Id,
        }
    }

    fn name(self) -> &'static str {
        match self {
            SortBy::Id => "id",
            SortBy::Type => "type",
            SortBy::Figure => "figure",
        }
    }
}

/// What a key press did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOutcome {
    /// Nothing to do.
    Ignored,
    /// The view changed: draw it again.
    Redraw,
    /// `q` (or `Ctrl-C`): leave.
    Quit,
}

/// One meter's row.
#[derive(Debug, Clone)]
struct Series {
    kind: MeterKind,
    id: String,
    /// The figure of each of the last steps, oldest first; `None` where nothing was published.
    values: VecDeque<Option<f64>>,
    /// The current step's figure as text (`rate=2.4/s`), empty when nothing was published.
    label: String,
}

impl Series {
    fn current(&self) -> Option<f64> {
        self.values.back().copied().flatten()
    }
}

/// The figure a row plots for a published value, and its text.
pub fn figure(kind: MeterKind, value: &Published) -> (f64, String) {
    let s = if kind.is_timer() { "s" } else { "" };
    match *value {
        Published::Rate { rate, .. } => (rate, format!("rate={}/s", fmt_short(rate))),
        Published::Gauge { value, .. } => (value, format!("value={}", fmt_short(value))),
        Published::Max(v) => (v, format!("max={}", fmt_short(v))),
        Published::Age(v) => (v, format!("age={}s", fmt_short(v))),
        Published::Distribution {
            count,
            max,
            percentiles: Some(p),
            ..
        } => {
            let p99 = p[2];
            let text = format!(
                "p99={}{s} max={}{s} n={count}",
                fmt_short(p99),
                fmt_short(max)
            );
            (p99, text)
        }
        Published::Distribution { count, max, .. } => {
            (max, format!("max={}{s} n={count}", fmt_short(max)))
        }
        Published::Delta(v) => (v, format!("delta={}", fmt_short(v))),
    }
}

/// A sparkline of `values` (oldest first), right-aligned in `width` characters: each step one
/// character, scaled from min(0, lowest) to max(0, highest); a step without a figure is a space,
/// a non-finite figure `·`.
pub fn sparkline(values: &VecDeque<Option<f64>>, width: usize) -> String {
    let finite = || values.iter().flatten().copied().filter(|v| v.is_finite());
    let low = finite().fold(0.0f64, f64::min);
    let high = finite().fold(0.0f64, f64::max);
    let skip = values.len().saturating_sub(width);
    let mut line = " ".repeat(width.saturating_sub(values.len()));
    for v in values.iter().skip(skip) {
        line.push(match v {
            None => ' ',
            Some(v) if !v.is_finite() => '·',
            Some(_) if high <= low => LEVELS[0],
            Some(v) => {
                let level = ((v - low) / (high - low) * (LEVELS.len() - 1) as f64).round();
                LEVELS[(level as usize).min(LEVELS.len() - 1)]
            }
        });
    }
    line
}

/// The live view's state: the meters' histories, the last step's counts, the sort order and the
/// filter.
#[derive(Debug, Clone)]
pub struct LiveView {
    title: String,
    series: BTreeMap<(String, MeterKind), Series>,
    last: Option<StepReport>,
    /// The latest rejected line seen, with its step.
    last_rejected: Option<(u64, String)>,
    rejected_total: u64,
    invalid_total: u64,
    sort: SortBy,
    filter: String,
    editing: bool,
    scroll: usize,
    finished: Option<String>,
}

impl LiveView {
    /// An empty view; `title` heads the screen (e.g. `listening on udp://[::]:1234`).
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            series: BTreeMap::new(),
            last: None,
            last_rejected: None,
            rejected_total: 0,
            invalid_total: 0,
            sort: SortBy::Id,
            filter: String::new(),
            editing: false,
            scroll: 0,
            finished: None,
        }
    }

    /// Takes the next step: every meter's history moves on; meters with nothing published for
    /// [`HISTORY`] steps are dropped.
    pub fn push(&mut self, report: &StepReport) {
        for series in self.series.values_mut() {
            series.values.push_back(None);
            series.label.clear();
        }
        for row in &report.rows {
            let (value, label) = figure(row.kind, &row.value);
            let key = (row.id.to_string(), row.kind);
            let series = self.series.entry(key).or_insert_with(|| Series {
                kind: row.kind,
                id: row.id.to_string(),
                values: VecDeque::from([None]),
                label: String::new(),
            });
            if let Some(last) = series.values.back_mut() {
                *last = Some(value);
            }
            series.label = label;
        }
        for series in self.series.values_mut() {
            while series.values.len() > HISTORY {
                series.values.pop_front();
            }
        }
        self.series
            .retain(|_, s| s.values.iter().any(Option::is_some));
        if let Some(note) = report.rejected.last() {
            let text = format!("'{}': {}", note.line, note.message);
            self.last_rejected = Some((report.step, text));
        }
        self.rejected_total += report.counts.rejected;
        self.invalid_total += report.counts.invalid_for_atlas;
        self.last = Some(report.clone());
    }

    /// Shows `note` in the status bar from now on (e.g. that the demo has finished).
    pub fn set_finished(&mut self, note: impl Into<String>) {
        self.finished = Some(note.into());
    }

    /// The current sort order.
    pub fn sort(&self) -> SortBy {
        self.sort
    }

    /// The current filter (part of the id).
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Handles a key press.
    pub fn key(&mut self, key: KeyEvent) -> KeyOutcome {
        if key.kind == KeyEventKind::Release {
            return KeyOutcome::Ignored;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return KeyOutcome::Quit;
        }
        if self.editing {
            match key.code {
                KeyCode::Char(c) => self.filter.push(c),
                KeyCode::Backspace => {
                    self.filter.pop();
                }
                KeyCode::Enter => self.editing = false,
                KeyCode::Esc => {
                    self.filter.clear();
                    self.editing = false;
                }
                _ => return KeyOutcome::Ignored,
            }
            self.scroll = 0;
            return KeyOutcome::Redraw;
        }
        match key.code {
            KeyCode::Char('q') => return KeyOutcome::Quit,
            KeyCode::Char('s') => self.sort = self.sort.next(),
            KeyCode::Char('/') => {
                self.editing = true;
                self.scroll = 0;
            }
            KeyCode::Esc => self.filter.clear(),
            KeyCode::Down => self.scroll = self.scroll.saturating_add(1),
            KeyCode::Up => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageDown => self.scroll = self.scroll.saturating_add(10),
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(10),
            _ => return KeyOutcome::Ignored,
        }
        KeyOutcome::Redraw
    }

    /// The rows shown: filtered by id, sorted.
    fn rows(&self) -> Vec<&Series> {
        let mut rows: Vec<&Series> = self
            .series
            .values()
            .filter(|s| s.id.contains(self.filter.as_str()))
            .collect();
        match self.sort {
            SortBy::Id => {}
            SortBy::Type => rows.sort_by(|a, b| a.kind.name().cmp(b.kind.name())),
            SortBy::Figure => rows.sort_by(|a, b| {
                let key = |s: &Series| s.current().filter(|v| !v.is_nan());
                match (key(a), key(b)) {
                    (Some(x), Some(y)) => y.total_cmp(&x),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
            }),
        }
        rows
    }

    /// Draws the view on `frame`.
    pub fn render(&self, frame: &mut Frame<'_>) {
        let [title, body, message, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(frame.area());

        let step = match &self.last {
            Some(r) => format!(
                "step {} at {}Z ({} s)",
                r.step,
                time_of_day(r.time),
                crate::fmt_number(r.step_seconds)
            ),
            None => "waiting for the first step".to_owned(),
        };
        let heading = format!("spectator listen --live · {} · {step}", self.title);
        frame.render_widget(
            Paragraph::new(heading).style(Style::new().add_modifier(Modifier::BOLD)),
            title,
        );

        let rows = self.rows();
        let visible = usize::from(body.height.saturating_sub(1));
        let scroll = self.scroll.min(rows.len().saturating_sub(visible));
        let shown: Vec<&Series> = rows.iter().skip(scroll).take(visible).copied().collect();
        let type_width = shown
            .iter()
            .map(|s| s.kind.name().len())
            .chain(["TYPE".len()])
            .max()
            .unwrap_or(4);
        let now_width = shown
            .iter()
            .map(|s| s.label.chars().count())
            .chain(["NOW".len()])
            .max()
            .unwrap_or(3);
        // The ids first, the sparkline in what is left (10 to 60 steps).
        let id_width = shown
            .iter()
            .map(|s| s.id.chars().count())
            .max()
            .unwrap_or(2);
        let free = usize::from(body.width).saturating_sub(type_width + now_width + 6);
        let spark_width = free.saturating_sub(id_width).clamp(10, HISTORY);
        let table_rows: Vec<Row<'_>> = shown
            .iter()
            .map(|s| {
                Row::new([
                    s.kind.name().to_owned(),
                    s.id.clone(),
                    s.label.clone(),
                    sparkline(&s.values, spark_width),
                ])
            })
            .collect();
        let header = Row::new(["TYPE", "ID", "NOW", "LAST STEPS"])
            .style(Style::new().add_modifier(Modifier::UNDERLINED));
        let table = Table::new(
            table_rows,
            [
                Constraint::Length(type_width as u16),
                Constraint::Fill(1),
                Constraint::Length(now_width as u16),
                Constraint::Length(spark_width as u16),
            ],
        )
        .header(header)
        .column_spacing(2);
        frame.render_widget(table, body);

        let last_rejected = self
            .last_rejected
            .as_ref()
            .map(|(step, text)| format!("last rejected (step {step}): {text}"))
            .unwrap_or_default();
        frame.render_widget(Paragraph::new(last_rejected), message);

        let counts = self.last.as_ref().map(|r| r.counts).unwrap_or_default();
        let more = rows.len().saturating_sub(scroll + shown.len());
        let mut bar = match &self.finished {
            Some(note) => format!("{note} · "),
            None => String::new(),
        };
        bar += &format!(
            "{} meters · lines {} · rejected {} ({} in all) · Atlas-invalid {} ({} in all) · sort: {} [s]",
            rows.len(),
            counts.lines,
            counts.rejected,
            self.rejected_total,
            counts.invalid_for_atlas,
            self.invalid_total,
            self.sort.name(),
        );
        if self.editing {
            bar.push_str(&format!(" · filter: {}_ [Enter]", self.filter));
        } else if self.filter.is_empty() {
            bar.push_str(" · filter [/]");
        } else {
            bar.push_str(&format!(" · filter: {} [Esc clears]", self.filter));
        }
        if more > 0 {
            bar.push_str(&format!(" · {more} more [↓]"));
        }
        if self.finished.is_none() {
            bar.push_str(" · q quits");
        }
        frame.render_widget(
            Paragraph::new(Line::from(bar)).style(Style::new().add_modifier(Modifier::REVERSED)),
            status,
        );
    }
}

/// The text of a drawn buffer, one string per row, trailing spaces removed.
pub fn buffer_lines(buffer: &ratatui::buffer::Buffer) -> Vec<String> {
    let area = buffer.area;
    (area.top()..area.bottom())
        .map(|y| {
            let line: String = (area.left()..area.right())
                .map(|x| buffer[(x, y)].symbol())
                .collect();
            line.trim_end().to_owned()
        })
        .collect()
}

/// Puts the terminal back (raw mode off, main screen, cursor shown) when dropped.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
        let _ = execute!(
            io::stdout(),
            terminal::LeaveAlternateScreen,
            ratatui::crossterm::cursor::Show
        );
    }
}

/// How [`run`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `q` was pressed.
    Quit,
    /// The number of steps asked for was reached.
    Steps,
}

/// What [`run`] does after the last step asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterLastStep {
    /// Leave at once.
    Leave,
    /// Keep showing the view, with this note, until `q`.
    Hold(String),
}

/// Runs the live view of `listener` in the terminal until `q`, or until `steps` steps have
/// ended (then as `after` says), handing each step's report to `on_step` too. Steps end on the
/// wall clock's step boundaries, as [`crate::listen::run_steps`]'s.
pub fn run(
    listener: &Listener,
    title: &str,
    steps: Option<u64>,
    after: AfterLastStep,
    on_step: impl FnMut(&StepReport),
) -> io::Result<Ended> {
    terminal::enable_raw_mode()?;
    let _guard = TerminalGuard;
    execute!(io::stdout(), terminal::EnterAlternateScreen)?;
    let mut term: Terminal<CrosstermBackend<Stdout>> =
        Terminal::new(CrosstermBackend::new(io::stdout()))?;
    term.clear()?;
    drive(&mut term, listener, title, steps, after, on_step, || {
        if event::poll(Duration::ZERO)? {
            return Ok(Some(event::read()?));
        }
        Ok(None)
    })
}

/// The event loop of [`run`] on any backend; `next_event` returns a pending terminal event, if
/// any (it must not block).
fn drive<B: Backend>(
    term: &mut Terminal<B>,
    listener: &Listener,
    title: &str,
    steps: Option<u64>,
    after: AfterLastStep,
    mut on_step: impl FnMut(&StepReport),
    mut next_event: impl FnMut() -> io::Result<Option<Event>>,
) -> io::Result<Ended>
where
    io::Error: From<B::Error>,
{
    let mut view = LiveView::new(title);
    let mut clock = StepClock::new(listener.now(), listener.step_length());
    let mut done = 0u64;
    let mut holding = false;
    term.draw(|f| view.render(f))?;
    loop {
        let mut redraw = false;
        while let Some(e) = next_event()? {
            match e {
                Event::Key(key) => match view.key(key) {
                    KeyOutcome::Quit => return Ok(Ended::Quit),
                    KeyOutcome::Redraw => redraw = true,
                    KeyOutcome::Ignored => {}
                },
                Event::Resize(..) => redraw = true,
                _ => {}
            }
        }
        if !holding && listener.now() >= clock.due() {
            let report = listener.step();
            on_step(&report);
            view.push(&report);
            done += 1;
            redraw = true;
            if steps == Some(done) {
                match &after {
                    AfterLastStep::Leave => {
                        term.draw(|f| view.render(f))?;
                        return Ok(Ended::Steps);
                    }
                    AfterLastStep::Hold(note) => {
                        view.set_finished(note.clone());
                        holding = true;
                    }
                }
            }
            clock.advance(listener.now());
        }
        if redraw {
            term.draw(|f| view.render(f))?;
        }
        let wait = if holding {
            Duration::from_millis(100)
        } else {
            clock
                .remaining(listener.now())
                .min(Duration::from_millis(50))
        };
        std::thread::sleep(wait);
    }
}
