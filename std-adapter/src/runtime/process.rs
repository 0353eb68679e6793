//! [`ProcessSample`]: the process's health as the operating system reports it, read once per
//! collection; each figure is `None` where the platform (or a failed read) does not give it.
//!
//! | figure | Linux, Android | other Unix (macOS, BSDs) | others |
//! |---|---|---|---|
//! | open descriptors | `/proc/self/fd` | `/dev/fd` | — |
//! | descriptor limit | `getrlimit(RLIMIT_NOFILE)` | same | — |
//! | resource usage | `getrusage(RUSAGE_SELF)` | same | — |
//! | resident set size | `/proc/self/statm` (procfs) | — | — |
//! | threads | `/proc/self/stat` (procfs) | — | — |
//! | CPUs | [`std::thread::available_parallelism`] | same | same |

/// `getrusage(RUSAGE_SELF)`: cumulative since the process started, except `max_rss_bytes`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Usage {
    pub(crate) user_seconds: f64,
    pub(crate) system_seconds: f64,
    /// The peak resident set size, in bytes on every platform (Linux reports KiB).
    pub(crate) max_rss_bytes: u64,
    pub(crate) minor_faults: u64,
    pub(crate) major_faults: u64,
    pub(crate) block_inputs: u64,
    pub(crate) block_outputs: u64,
    pub(crate) voluntary_switches: u64,
    pub(crate) involuntary_switches: u64,
}

/// One reading of the process's health.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct ProcessSample {
    /// Open file descriptors (not counting the one used to count them).
    pub(crate) fds: Option<u64>,
    /// The soft `RLIMIT_NOFILE`; `None` when unlimited.
    pub(crate) fd_limit: Option<u64>,
    pub(crate) usage: Option<Usage>,
    /// The current resident set size in bytes.
    pub(crate) rss_bytes: Option<u64>,
    pub(crate) threads: Option<u64>,
    /// [`std::thread::available_parallelism`]: CPUs this process may use (affinity, cgroup
    /// quota).
    pub(crate) cpus: Option<u64>,
}

impl ProcessSample {
    /// Reads every figure the platform gives. The descriptors are counted first, before
    /// anything else here opens one.
    pub(crate) fn read() -> Self {
        let fds = open_fds();
        Self {
            fds,
            fd_limit: fd_limit(),
            usage: usage(),
            rss_bytes: linux::rss_bytes(),
            threads: linux::threads(),
            cpus: std::thread::available_parallelism()
                .ok()
                .map(|n| n.get() as u64),
        }
    }
}

/// Logs a figure that could not be read (at debug: a sandbox without `/proc` would otherwise
/// log every period).
#[cfg_attr(not(unix), allow(dead_code))]
fn skipped<T, E: std::fmt::Display>(figure: &str, result: Result<T, E>) -> Option<T> {
    result
        .map_err(|e| log::debug!(target: "spectator::runtime", "{figure} not collected: {e}"))
        .ok()
}

/// The entries of the descriptor directory (`/proc/self/fd`, `/dev/fd`), less the one
/// descriptor the listing itself holds open.
///
/// Linux 6.2 and later give the count as the directory's size, without opening it. procfs's
/// `fd_count` is not used: it counts its own descriptor of `/proc/self` and, before Linux 6.2,
/// the `.` and `..` entries and its listing's descriptor.
#[cfg(unix)]
fn open_fds() -> Option<u64> {
    const DIR: &str = if cfg!(any(target_os = "linux", target_os = "android")) {
        "/proc/self/fd"
    } else {
        "/dev/fd"
    };
    if cfg!(any(target_os = "linux", target_os = "android")) {
        if let Some(size) = skipped("rust.fd", std::fs::metadata(DIR)).map(|m| m.len()) {
            if size > 0 {
                return Some(size);
            }
        }
    }
    let entries = skipped("rust.fd", std::fs::read_dir(DIR))?;
    Some((entries.count() as u64).saturating_sub(1))
}

#[cfg(not(unix))]
fn open_fds() -> Option<u64> {
    None
}

#[cfg(unix)]
fn fd_limit() -> Option<u64> {
    use nix::sys::resource::{getrlimit, Resource, RLIM_INFINITY};
    let (soft, _hard) = skipped("rust.fd,id=max", getrlimit(Resource::RLIMIT_NOFILE))?;
    #[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not on every Unix
    (soft != RLIM_INFINITY).then_some(soft as u64)
}

#[cfg(not(unix))]
fn fd_limit() -> Option<u64> {
    None
}

#[cfg(unix)]
fn usage() -> Option<Usage> {
    use nix::sys::resource::{getrusage, UsageWho};
    use nix::sys::time::{TimeVal, TimeValLike};

    fn seconds(t: TimeVal) -> f64 {
        t.num_microseconds() as f64 / 1e6
    }
    fn count(n: nix::libc::c_long) -> u64 {
        u64::try_from(n).unwrap_or(0)
    }
    // Bytes on Apple platforms, KiB elsewhere (getrusage(2)).
    const MAX_RSS_UNIT: u64 = if cfg!(target_vendor = "apple") {
        1
    } else {
        1024
    };

    let u = skipped("rust.resource", getrusage(UsageWho::RUSAGE_SELF))?;
    Some(Usage {
        user_seconds: seconds(u.user_time()),
        system_seconds: seconds(u.system_time()),
        max_rss_bytes: count(u.max_rss()).saturating_mul(MAX_RSS_UNIT),
        minor_faults: count(u.minor_page_faults()),
        major_faults: count(u.major_page_faults()),
        block_inputs: count(u.block_reads()),
        block_outputs: count(u.block_writes()),
        voluntary_switches: count(u.voluntary_context_switches()),
        involuntary_switches: count(u.involuntary_context_switches()),
    })
}

#[cfg(not(unix))]
fn usage() -> Option<Usage> {
    None
}

/// What only Linux's `/proc` gives, parsed by procfs.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux {
    use super::skipped;
    use procfs::process::Process;

    pub(super) fn rss_bytes() -> Option<u64> {
        let statm = Process::myself().and_then(|p| p.statm());
        let statm = skipped("rust.memory.residentSetSize", statm)?;
        Some(statm.resident.saturating_mul(procfs::page_size()))
    }

    pub(super) fn threads() -> Option<u64> {
        let stat = skipped("rust.threads", Process::myself().and_then(|p| p.stat()))?;
        u64::try_from(stat.num_threads).ok()
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod linux {
    pub(super) fn rss_bytes() -> Option<u64> {
        None
    }

    pub(super) fn threads() -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn linux_gives_every_figure() {
        let s = ProcessSample::read();
        let (fds, limit) = (s.fds.unwrap(), s.fd_limit.unwrap());
        assert!(fds >= 3 && fds < limit, "{s:?}");
        let u = s.usage.unwrap();
        assert!(u.user_seconds >= 0.0 && u.system_seconds >= 0.0, "{u:?}");
        // At least a page (the peak and the current size are read at different times, and
        // the kernel's counters lag, so they are not compared).
        assert!(s.rss_bytes.unwrap() >= procfs::page_size(), "{s:?}");
        assert!(u.max_rss_bytes >= procfs::page_size(), "{u:?}");
        assert!(s.threads.unwrap() >= 1);
        assert!(s.cpus.unwrap() >= 1);
    }

    #[cfg(unix)]
    #[test]
    fn cumulative_figures_never_decrease() {
        let (a, b) = (usage().unwrap(), usage().unwrap());
        assert!(b.user_seconds >= a.user_seconds, "{a:?} {b:?}");
        assert!(b.system_seconds >= a.system_seconds);
        assert!(b.minor_faults >= a.minor_faults);
        assert!(b.voluntary_switches >= a.voluntary_switches);
        assert!(b.max_rss_bytes >= a.max_rss_bytes);
    }

    #[test]
    fn errors_are_skipped() {
        assert_eq!(skipped::<u8, _>("x", Err("no /proc")), None);
        assert_eq!(skipped::<u8, &str>("x", Ok(1)), Some(1));
    }
}
