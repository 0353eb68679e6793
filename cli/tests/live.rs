//! The live view (`listen --live`) drawn on ratatui's `TestBackend` for a fixed sequence of
//! steps: the exact screen, sorting, filtering and quitting by key.

use std::time::Duration;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use spectator_cli::live::{buffer_lines, sparkline, KeyOutcome, LiveView, SortBy};
use spectator_cli::{Aggregator, Nanos, StepReport, SECOND};

/// 2023-11-14T22:13:20Z.
const T0: Nanos = 1_700_000_000 * SECOND;

/// Three steps of 5 s: a counter, a gauge, a percentile timer, a rejected line and an id Atlas
/// drops.
fn steps() -> Vec<StepReport> {
    let mut a = Aggregator::new(Duration::from_secs(5));
    let mut reports = Vec::new();
    a.ingest(
        b"c:req,status=200:5\ng:queue:3\nT:lat:0.25\nT:lat:0.5\ng,0:bad:1\nc:x,k=v:1",
        T0 + SECOND,
    );
    reports.push(a.step(T0 + 5 * SECOND));
    a.ingest(b"c:req,status=200:10\ng:queue:7\nT:lat:1", T0 + 6 * SECOND);
    reports.push(a.step(T0 + 10 * SECOND));
    a.ingest(b"c:req,status=200:1\nc:x,k=v:2", T0 + 11 * SECOND);
    reports.push(a.step(T0 + 15 * SECOND));
    reports
}

fn view() -> LiveView {
    let mut view = LiveView::new("listening on udp://127.0.0.1:1234");
    for report in steps() {
        view.push(&report);
    }
    view
}

fn draw(view: &LiveView, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view.render(f)).unwrap();
    buffer_lines(terminal.backend().buffer())
}

fn press(view: &mut LiveView, code: KeyCode) -> KeyOutcome {
    view.key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[test]
fn the_screen_after_three_steps() {
    let expected = [
        "spectator listen --live · listening on udp://127.0.0.1:1234 · step 3 at 22:13:35Z (5 s)",
        "TYPE              ID              NOW         LAST STEPS",
        "percentile-timer  lat                                                                              ▄█",
        "gauge             queue           value=7                                                          ▄██",
        "counter           req,status=200  rate=0.2/s                                                       ▅█▂",
        "counter           x,k=v           rate=0.4/s                                                       ▅ █",
        "",
        "last rejected (step 1): 'g,0:bad:1': Invalid ttl specified for gauge at index 2",
        "4 meters · lines 2 · rejected 0 (1 in all) · Atlas-invalid 1 (2 in all) · sort: id [s] · filter [/] ·",
    ];
    assert_eq!(draw(&view(), 102, 9), expected);
}

#[test]
fn each_step_shows_its_figure() {
    // After the first step: the timer's p99 and max, in seconds.
    let mut view = LiveView::new("t");
    view.push(&steps()[0]);
    let screen = draw(&view, 120, 8);
    assert_eq!(
        screen[2],
        "percentile-timer  lat             p99=0.5351s max=0.5s n=2                                                             █"
    );
    assert_eq!(
        screen[1].split_whitespace().collect::<Vec<_>>(),
        ["TYPE", "ID", "NOW", "LAST", "STEPS"]
    );
    assert!(
        screen[7]
            .starts_with("4 meters · lines 6 · rejected 1 (1 in all) · Atlas-invalid 1 (1 in all)"),
        "{}",
        screen[7]
    );
}

#[test]
fn sort_filter_scroll_and_quit_by_key() {
    let mut view = view();
    let ids = |screen: &[String]| -> Vec<String> {
        screen[2..6]
            .iter()
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
            .collect()
    };
    // `s`: by type, then by the current figure (largest first; none last).
    assert_eq!(press(&mut view, KeyCode::Char('s')), KeyOutcome::Redraw);
    assert_eq!(view.sort(), SortBy::Type);
    assert_eq!(
        ids(&draw(&view, 102, 9)),
        ["req,status=200", "x,k=v", "queue", "lat"]
    );
    press(&mut view, KeyCode::Char('s'));
    assert_eq!(view.sort(), SortBy::Figure);
    let screen = draw(&view, 102, 9);
    assert_eq!(ids(&screen), ["queue", "x,k=v", "req,status=200", "lat"]);
    assert!(screen[8].contains("sort: figure [s]"), "{}", screen[8]);
    press(&mut view, KeyCode::Char('s'));
    assert_eq!(view.sort(), SortBy::Id);
    // `/`, typed text, Enter: a filter on the id ('q' is text while typing).
    press(&mut view, KeyCode::Char('/'));
    for c in "qu".chars() {
        assert_eq!(press(&mut view, KeyCode::Char(c)), KeyOutcome::Redraw);
    }
    let screen = draw(&view, 140, 9);
    assert!(screen[8].contains("1 meters"), "{}", screen[8]);
    assert!(screen[8].contains("filter: qu_ [Enter]"), "{}", screen[8]);
    press(&mut view, KeyCode::Backspace);
    press(&mut view, KeyCode::Char('e'));
    press(&mut view, KeyCode::Enter);
    assert_eq!(view.filter(), "qe");
    press(&mut view, KeyCode::Esc);
    press(&mut view, KeyCode::Char('/'));
    for c in "s=".chars() {
        press(&mut view, KeyCode::Char(c));
    }
    press(&mut view, KeyCode::Enter);
    let screen = draw(&view, 140, 9);
    assert_eq!(ids(&screen), ["req,status=200"]);
    assert!(
        screen[8].contains("filter: s= [Esc clears]"),
        "{}",
        screen[8]
    );
    // Esc clears it.
    press(&mut view, KeyCode::Esc);
    assert_eq!(view.filter(), "");
    // A short screen: the rows that do not fit are counted, ↓ scrolls.
    // (6 lines: the title, the header, 2 rows, the last rejected line, the status bar.)
    let screen = draw(&view, 130, 6);
    assert_eq!(screen.len(), 6);
    assert!(screen[5].contains("· 2 more [↓]"), "{}", screen[5]);
    press(&mut view, KeyCode::Down);
    let screen = draw(&view, 130, 6);
    assert!(
        screen[2].contains("queue") && screen[5].contains("· 1 more [↓]"),
        "{screen:?}"
    );
    // Other keys do nothing; `q` and Ctrl-C quit.
    assert_eq!(press(&mut view, KeyCode::Char('x')), KeyOutcome::Ignored);
    assert_eq!(press(&mut view, KeyCode::Char('q')), KeyOutcome::Quit);
    assert_eq!(
        view.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        KeyOutcome::Quit
    );
}

#[test]
fn sparklines_scale_from_zero_and_keep_60_steps() {
    let values = |v: &[Option<f64>]| v.iter().copied().collect();
    assert_eq!(
        sparkline(
            &values(&[Some(0.0), Some(1.0), None, Some(2.0), Some(f64::NAN)]),
            7
        ),
        "  ▁▅ █·"
    );
    // Negative values: scaled from the lowest.
    assert_eq!(
        sparkline(&values(&[Some(-1.0), Some(0.0), Some(1.0)]), 3),
        "▁▅█"
    );
    // All zero: the lowest level.
    assert_eq!(sparkline(&values(&[Some(0.0), Some(0.0)]), 2), "▁▁");
    // Narrower than the history: the latest steps.
    assert_eq!(
        sparkline(&values(&[Some(8.0), Some(1.0), Some(8.0)]), 2),
        "▂█"
    );
    // The view keeps 60 steps per meter, and forgets a meter after 60 steps without data.
    let mut a = Aggregator::new(Duration::from_secs(1));
    let mut view = LiveView::new("t");
    a.ingest(
        b"g,5:g:1
c:c:1",
        T0,
    );
    // The counter is published in step 1, the gauge (TTL 5 s) in steps 1 to 5.
    for k in 1..=61 {
        view.push(&a.step(T0 + k * SECOND));
    }
    let screen = draw(&view, 200, 6);
    assert!(screen[2].starts_with("gauge"), "{screen:?}");
    assert!(screen[3].is_empty(), "the counter has gone: {screen:?}");
    // Its line: value 1 in steps 2 to 5 of the last 60 (the top, scaled from 0), then
    // nothing (trailing spaces are not kept).
    assert!(screen[2].ends_with(" ████"), "{}", screen[2]);
    for k in 62..=64 {
        view.push(&a.step(T0 + k * SECOND));
    }
    assert!(draw(&view, 200, 6)[2].starts_with("gauge"));
    view.push(&a.step(T0 + 65 * SECOND));
    assert!(draw(&view, 200, 6)[2].is_empty());
}
