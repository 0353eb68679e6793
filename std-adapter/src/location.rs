//! [`Location`]: where a registry writes, parsed from spectator-py's location strings (spec §6).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use crate::error::ConfigError;

/// spectatord's default UDP address.
pub const DEFAULT_UDP: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1234);
/// spectatord's default Unix datagram socket.
pub const DEFAULT_UNIX: &str = "/run/spectatord/spectatord.unix";

/// A parsed output location.
///
/// ```
/// use spectator_std::Location;
/// assert_eq!(Location::parse("udp://[::1]:1234")?, Location::Udp("[::1]:1234".parse().unwrap()));
/// assert_eq!(Location::parse("file:///tmp/my%20metrics")?, Location::File("/tmp/my metrics".into()));
/// assert!(Location::parse("udp://localhost").is_err()); // no port
/// # Ok::<(), spectator_std::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `none`: every line is discarded.
    None,
    /// `memory`: lines are kept in a [`MemoryWriter`](crate::MemoryWriter), for tests.
    Memory,
    /// `stdout`: one line per line of output.
    Stdout,
    /// `stderr`: one line per line of output.
    Stderr,
    /// `file://PATH`: appended to a file (percent-decoded path).
    File(PathBuf),
    /// `udp`, `udp://HOST:PORT`: datagrams to a UDP address (IPv4 or IPv6).
    Udp(SocketAddr),
    /// `unix`, `unix://PATH`: datagrams to a Unix datagram socket.
    Unix(PathBuf),
}

impl Location {
    /// Whether spectator-py accepts `location` (a prefix check for the URL forms).
    ///
    /// ```
    /// assert!(spectator_std::Location::is_valid("udp://"));
    /// assert!(!spectator_std::Location::is_valid("UDP"));
    /// ```
    pub fn is_valid(location: &str) -> bool {
        matches!(
            location,
            "none" | "memory" | "stdout" | "stderr" | "udp" | "unix"
        ) || ["file://", "udp://", "unix://"]
            .iter()
            .any(|p| location.starts_with(p))
    }

    /// Parses a location string. Host names are resolved here, once, to an IPv4 address.
    pub fn parse(location: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::InvalidLocation(location.to_owned());
        Ok(match location {
            "none" => Location::None,
            "memory" => Location::Memory,
            "stdout" => Location::Stdout,
            "stderr" => Location::Stderr,
            "udp" => Location::Udp(DEFAULT_UDP),
            "unix" => Location::Unix(PathBuf::from(DEFAULT_UNIX)),
            _ => {
                if let Some(rest) = location.strip_prefix("file://") {
                    let path = percent_decode(url_path(rest));
                    if path.is_empty() {
                        return Err(ConfigError::MissingPath(location.to_owned()));
                    }
                    Location::File(PathBuf::from(path))
                } else if let Some(rest) = location.strip_prefix("unix://") {
                    let path = url_path(rest);
                    if path.is_empty() {
                        return Err(ConfigError::MissingPath(location.to_owned()));
                    }
                    Location::Unix(PathBuf::from(path))
                } else if let Some(rest) = location.strip_prefix("udp://") {
                    Location::Udp(udp_address(location, url_netloc(rest))?)
                } else {
                    return Err(invalid());
                }
            }
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::None => f.write_str("none"),
            Location::Memory => f.write_str("memory"),
            Location::Stdout => f.write_str("stdout"),
            Location::Stderr => f.write_str("stderr"),
            Location::File(p) => write!(f, "file://{}", p.display()),
            Location::Udp(a) => write!(f, "udp://{a}"),
            Location::Unix(p) => write!(f, "unix://{}", p.display()),
        }
    }
}

/// The authority part of a URL after `scheme://`: up to the first `/`, `?` or `#`.
fn url_netloc(rest: &str) -> &str {
    &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())]
}

/// The path part of a URL after `scheme://`, without query or fragment (like `urlparse().path`).
fn url_path(rest: &str) -> &str {
    let after_netloc = &rest[url_netloc(rest).len()..];
    let end = after_netloc.find(['?', '#']).unwrap_or(after_netloc.len());
    &after_netloc[..end]
}

/// `%XX` sequences decoded as UTF-8 bytes (invalid sequences kept as written), like `unquote`.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn udp_address(location: &str, netloc: &str) -> Result<SocketAddr, ConfigError> {
    // Drop any user info, as urlparse does.
    let hostport = netloc.rsplit_once('@').map_or(netloc, |(_, hp)| hp);
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| ConfigError::InvalidLocation(location.to_owned()))?;
        (host, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let port = match port {
        None | Some("") => return Err(ConfigError::MissingPort(location.to_owned())),
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| ConfigError::InvalidPort(location.to_owned()))?,
    };
    let host = host.to_ascii_lowercase();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    if host.is_empty() {
        return Err(ConfigError::InvalidLocation(location.to_owned()));
    }
    // Host names resolve to IPv4, as spectator-py's AF_INET socket does.
    let resolved = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| ConfigError::Unresolvable(location.to_owned(), e.to_string()))?;
    let mut addrs: Vec<SocketAddr> = resolved.collect();
    addrs.sort_by_key(|a| !a.is_ipv4());
    addrs
        .into_iter()
        .next()
        .ok_or_else(|| ConfigError::Unresolvable(location.to_owned(), "no address".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names() {
        assert_eq!(Location::parse("none").unwrap(), Location::None);
        assert_eq!(Location::parse("memory").unwrap(), Location::Memory);
        assert_eq!(Location::parse("stdout").unwrap(), Location::Stdout);
        assert_eq!(Location::parse("stderr").unwrap(), Location::Stderr);
        assert_eq!(Location::parse("udp").unwrap(), Location::Udp(DEFAULT_UDP));
        assert_eq!(
            Location::parse("unix").unwrap(),
            Location::Unix(DEFAULT_UNIX.into())
        );
        for bad in ["", "UDP", "tcp://x:1", "file:/x", " udp"] {
            assert_eq!(
                Location::parse(bad),
                Err(ConfigError::InvalidLocation(bad.into())),
                "{bad:?}"
            );
            assert!(!Location::is_valid(bad));
        }
    }

    #[test]
    fn udp_urls() {
        let udp = |s: &str| Location::parse(s).map(|l| l.to_string());
        assert_eq!(udp("udp://127.0.0.1:8125").unwrap(), "udp://127.0.0.1:8125");
        assert_eq!(udp("udp://[::1]:1234").unwrap(), "udp://[::1]:1234");
        assert_eq!(udp("udp://[FE80::1]:9").unwrap(), "udp://[fe80::1]:9");
        assert_eq!(udp("udp://localhost:1234").unwrap(), "udp://127.0.0.1:1234");
        assert_eq!(
            udp("udp://LOCALHOST:1234/path?q#f").unwrap(),
            "udp://127.0.0.1:1234"
        );
        assert_eq!(
            udp("udp://localhost"),
            Err(ConfigError::MissingPort("udp://localhost".into()))
        );
        assert_eq!(
            udp("udp://"),
            Err(ConfigError::MissingPort("udp://".into()))
        );
        assert_eq!(
            udp("udp://[::1]"),
            Err(ConfigError::MissingPort("udp://[::1]".into()))
        );
        assert_eq!(
            udp("udp://h:abc"),
            Err(ConfigError::InvalidPort("udp://h:abc".into()))
        );
        assert_eq!(
            udp("udp://h:99999"),
            Err(ConfigError::InvalidPort("udp://h:99999".into()))
        );
        assert!(matches!(
            udp("udp://no-such-host.invalid:1"),
            Err(ConfigError::Unresolvable(..))
        ));
    }

    #[test]
    fn file_and_unix_paths() {
        let p = |s: &str| Location::parse(s);
        assert_eq!(p("file:///tmp/x").unwrap(), Location::File("/tmp/x".into()));
        assert_eq!(
            p("file://localhost/tmp/x").unwrap(),
            Location::File("/tmp/x".into())
        );
        assert_eq!(
            p("file:///tmp/a%20b?q=1#f").unwrap(),
            Location::File("/tmp/a b".into())
        );
        assert_eq!(
            p("file:///tmp/%C3%A9").unwrap(),
            Location::File("/tmp/é".into())
        );
        assert_eq!(
            p("file://relative"),
            Err(ConfigError::MissingPath("file://relative".into()))
        );
        assert_eq!(
            p("unix:///run/s.sock").unwrap(),
            Location::Unix("/run/s.sock".into())
        );
        assert_eq!(
            p("unix://rel/path").unwrap(),
            Location::Unix("/path".into())
        );
        assert_eq!(p("unix:///a%20b").unwrap(), Location::Unix("/a%20b".into()));
        assert_eq!(
            p("unix://"),
            Err(ConfigError::MissingPath("unix://".into()))
        );
    }
}
