//! `spectator listen --live` end to end in a real terminal: tmux runs it on a loopback port,
//! the test sends lines over UDP, reads the screen with `capture-pane`, checks the rows and the
//! status bar, and quits with `q`. Every wait is bounded. Without tmux the test says so and
//! passes (CI installs tmux: scripts/setup.sh).

use std::net::UdpSocket;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A tmux server of its own (`-L`), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// The visible screen of the session's pane.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "live"]).stdout)
            .into_owned()
    }

    fn alive(&self) -> bool {
        self.run(&["has-session", "-t", "live"]).status.success()
    }

    /// Waits (at most `limit`) for the screen to satisfy `done`, calling `meanwhile` between
    /// looks; returns the last screen.
    fn wait_for(
        &self,
        limit: Duration,
        mut meanwhile: impl FnMut(),
        done: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "gave up after {limit:?}; the screen:\n{screen}"
            );
            meanwhile();
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

const DATAGRAM: &str = "\
c:server.requestCount,status=200:5
g:server.requestsInFlight:42
T:server.requestLatency:0.25
T:server.requestLatency:0.5
g,0:bad:1
c:x,k=v:1";

#[test]
fn live_view_in_a_real_terminal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipping: tmux is not installed (scripts/setup.sh installs it)");
        return;
    }
    let tmux = Tmux {
        socket: format!("spectator-live-{}", std::process::id()),
    };
    let command = format!(
        "{} listen --live --udp 127.0.0.1:0 --step 1",
        env!("CARGO_BIN_EXE_spectator")
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "live",
        "-x",
        "120",
        "-y",
        "12",
        &command,
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    // The title says where it listens.
    let screen = tmux.wait_for(Duration::from_secs(20), || {}, |s| s.contains("udp://"));
    let addr = screen
        .split("udp://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in\n{screen}"));
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let send = || {
        socket.send_to(DATAGRAM.as_bytes(), addr).unwrap();
    };
    // Lines every 200 ms until three steps with data are on screen.
    let screen = tmux.wait_for(Duration::from_secs(30), send, |s| {
        s.contains("step 4 at") && s.contains("server.requestLatency")
    });
    let rows: Vec<&str> = screen.lines().collect();
    let row = |kind: &str, id: &str| {
        rows.iter()
            .find(|l| l.split_whitespace().take(2).eq([kind, id]))
            .unwrap_or_else(|| panic!("no {kind} {id} row in\n{screen}"))
            .to_string()
    };
    assert!(row("counter", "server.requestCount,status=200").contains("rate="));
    assert!(row("gauge", "server.requestsInFlight").contains("value=42"));
    assert!(row("percentile-timer", "server.requestLatency").contains("p99="));
    assert!(row("counter", "x,k=v").contains("rate="));
    // Sparklines of several steps.
    assert!(
        row("gauge", "server.requestsInFlight").ends_with("███"),
        "{screen}"
    );
    assert!(
        screen.contains("last rejected (step")
            && screen.contains("'g,0:bad:1': Invalid ttl specified for gauge at index 2"),
        "{screen}"
    );
    let status = rows
        .iter()
        .find(|l| l.contains(" meters · lines "))
        .unwrap_or_else(|| panic!("no status bar in\n{screen}"));
    assert!(status.contains("Atlas-invalid"), "{status}");
    println!("{screen}");
    if let Some(dir) = option_env!("CARGO_TARGET_TMPDIR") {
        let _ = std::fs::write(format!("{dir}/live_view.txt"), &screen);
    }
    // `/` filters by id.
    tmux.run(&["send-keys", "-t", "live", "/", "x", ",", "Enter"]);
    tmux.wait_for(
        Duration::from_secs(10),
        || {},
        |s| s.contains("filter: x, [Esc clears]") && !s.contains("server.requestLatency  "),
    );
    // `q` quits, and the terminal is given back.
    tmux.run(&["send-keys", "-t", "live", "q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.alive() {
        assert!(
            Instant::now() < deadline,
            "q did not quit:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
