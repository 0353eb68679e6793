//! The Atlas backend's limits on ids (spec §12.1): what spectatord accepts but Atlas drops.
//!
//! spectatord checks no lengths. When it publishes, the Atlas aggregator refuses a measurement
//! whose name is not 1 to 255 characters long, or that has a tag key not 2 to 60 characters
//! long or a tag value not 1 to 120 characters long; spectatord only counts the refusals
//! (`spectator.measurements{id=dropped,error=validation}`), so the data is lost with no message
//! near the program that sent it. [`check_id`] applies the same rules to an id before it leaves
//! the device or when a tool such as `spectator listen` receives it.
//!
//! Lengths are counted in characters (`char`s). An id as spectatord keys it is ASCII (every
//! byte outside `-._~^0-9A-Za-z` becomes `_`), so for it characters and bytes agree; for an id
//! not yet sanitized, each character becomes one `_` in the clients, and so counts once too.
//!
//! ```
//! use spectator_core::parse::atlas::{check_id, AtlasRule};
//!
//! assert_eq!(check_id("server.requestCount", [("status", "200")]), Ok(()));
//! let broken = check_id("req", [("k", "v")]).unwrap_err();
//! assert_eq!(broken, AtlasRule::KeyLength { key: "k", len: 1 });
//! assert_eq!(
//!     broken.to_string(),
//!     "tag key 'k' is 1 character long; Atlas accepts 2 to 60"
//! );
//! ```

use core::fmt;
use core::ops::RangeInclusive;

/// Lengths Atlas accepts for a meter name.
pub const NAME_LENGTH: RangeInclusive<usize> = 1..=255;
/// Lengths Atlas accepts for a tag key.
pub const KEY_LENGTH: RangeInclusive<usize> = 2..=60;
/// Lengths Atlas accepts for a tag value.
pub const VALUE_LENGTH: RangeInclusive<usize> = 1..=120;

/// The first Atlas rule an id breaks, with what breaks it.
///
/// `Display` renders a one-line reason, e.g. `name is 300 characters long; Atlas accepts 1 to
/// 255`. The tag's key is shown as given (at most its first 60 characters, then `…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AtlasRule<'a> {
    /// The name is not [`NAME_LENGTH`] characters long.
    NameLength {
        /// Its length in characters.
        len: usize,
    },
    /// A tag key is not [`KEY_LENGTH`] characters long.
    KeyLength {
        /// The key.
        key: &'a str,
        /// Its length in characters.
        len: usize,
    },
    /// A tag value is not [`VALUE_LENGTH`] characters long.
    ValueLength {
        /// The key of the tag.
        key: &'a str,
        /// The value's length in characters.
        len: usize,
    },
}

/// Checks an id against the Atlas backend's limits: the name, then each tag in the given order
/// (key, then value). Returns the first rule broken.
///
/// `tags` are the id's tags as they are published, so after the rules that drop or merge tags
/// (an empty key or value is dropped by the clients but kept by spectatord, which is why it
/// shows up here).
pub fn check_id<'a, I>(name: &str, tags: I) -> Result<(), AtlasRule<'a>>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let len = name.chars().count();
    if !NAME_LENGTH.contains(&len) {
        return Err(AtlasRule::NameLength { len });
    }
    for (key, value) in tags {
        check_tag(key, value)?;
    }
    Ok(())
}

/// Checks one tag against the Atlas backend's limits (key first).
pub fn check_tag<'a>(key: &'a str, value: &'a str) -> Result<(), AtlasRule<'a>> {
    let len = key.chars().count();
    if !KEY_LENGTH.contains(&len) {
        return Err(AtlasRule::KeyLength { key, len });
    }
    let len = value.chars().count();
    if !VALUE_LENGTH.contains(&len) {
        return Err(AtlasRule::ValueLength { key, len });
    }
    Ok(())
}

/// `n character(s) long`.
fn write_len(f: &mut fmt::Formatter<'_>, len: usize) -> fmt::Result {
    let unit = if len == 1 { "character" } else { "characters" };
    write!(f, "{len} {unit} long")
}

/// A key shown in a message: at most 60 characters, then `…`.
fn write_key(f: &mut fmt::Formatter<'_>, key: &str) -> fmt::Result {
    let max = *KEY_LENGTH.end();
    match key.char_indices().nth(max) {
        Some((cut, _)) => write!(f, "'{}…'", key.get(..cut).unwrap_or(key)),
        None => write!(f, "'{key}'"),
    }
}

impl fmt::Display for AtlasRule<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let range = match *self {
            AtlasRule::NameLength { len } => {
                f.write_str("name is ")?;
                write_len(f, len)?;
                NAME_LENGTH
            }
            AtlasRule::KeyLength { key, len } => {
                f.write_str("tag key ")?;
                write_key(f, key)?;
                f.write_str(" is ")?;
                write_len(f, len)?;
                KEY_LENGTH
            }
            AtlasRule::ValueLength { key, len } => {
                f.write_str("value of tag ")?;
                write_key(f, key)?;
                f.write_str(" is ")?;
                write_len(f, len)?;
                VALUE_LENGTH
            }
        };
        write!(f, "; Atlas accepts {} to {}", range.start(), range.end())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::{String, ToString};

    use super::*;

    fn reason(name: &str, tags: &[(&str, &str)]) -> Option<String> {
        check_id(name, tags.iter().copied())
            .err()
            .map(|r| r.to_string())
    }

    #[test]
    fn boundaries_of_every_rule() {
        let long = |n: usize| "x".repeat(n);
        assert_eq!(reason(&long(1), &[]), None);
        assert_eq!(reason(&long(255), &[]), None);
        assert_eq!(
            check_id(&long(256), []),
            Err(AtlasRule::NameLength { len: 256 })
        );
        assert_eq!(
            reason("", &[]).as_deref(),
            Some("name is 0 characters long; Atlas accepts 1 to 255")
        );
        for ok in [2, 60] {
            assert_eq!(reason("n", &[(&long(ok), "v")]), None, "key of {ok}");
        }
        for bad in [0, 1, 61] {
            let key = long(bad);
            assert_eq!(
                check_id("n", [(key.as_str(), "v")]),
                Err(AtlasRule::KeyLength {
                    key: &key,
                    len: bad
                })
            );
        }
        for ok in [1, 120] {
            assert_eq!(reason("n", &[("kk", &long(ok))]), None, "value of {ok}");
        }
        for bad in [0, 121] {
            let value = long(bad);
            assert_eq!(
                check_id("n", [("kk", value.as_str())]),
                Err(AtlasRule::ValueLength {
                    key: "kk",
                    len: bad
                })
            );
        }
    }

    #[test]
    fn the_first_rule_broken_is_reported() {
        assert_eq!(
            reason("", &[("k", "")]).as_deref(),
            Some("name is 0 characters long; Atlas accepts 1 to 255")
        );
        assert_eq!(
            reason("n", &[("ok", "1"), ("kk", ""), ("k", "v")]).as_deref(),
            Some("value of tag 'kk' is 0 characters long; Atlas accepts 1 to 120")
        );
        assert_eq!(
            reason("n", &[("k", "")]).as_deref(),
            Some("tag key 'k' is 1 character long; Atlas accepts 2 to 60")
        );
    }

    #[test]
    fn lengths_are_characters_and_long_keys_are_cut_in_messages() {
        // 2 characters, 4 bytes.
        assert_eq!(check_tag("éé", "v"), Ok(()));
        let key = "é".repeat(61);
        let message = check_tag(&key, "v").unwrap_err().to_string();
        assert_eq!(
            message,
            std::format!(
                "tag key '{}…' is 61 characters long; Atlas accepts 2 to 60",
                "é".repeat(60)
            )
        );
    }
}
