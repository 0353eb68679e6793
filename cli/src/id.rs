//! [`CanonicalId`]: a meter id the way spectatord keys it.

use std::fmt;

use spectator_core::sanitize::{is_allowed, REPLACEMENT};

/// A meter's name and tags as spectatord keys them (spec §12.3): every byte outside
/// `-._~^0-9A-Za-z` becomes `_` (byte-wise, so an unsanitized `é` becomes `__`), a key repeated
/// after that keeps its last value, and tags are sorted by key.
///
/// ```
/// use spectator_cli::CanonicalId;
/// let id = CanonicalId::from_raw(b"req count", [(&b"b"[..], &b"2"[..]), (b"a x", b"1"), (b"a_x", b"3")]);
/// assert_eq!(id.to_string(), "req_count,a_x=3,b=2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CanonicalId {
    /// The sanitized name.
    pub name: String,
    /// The sanitized tags, sorted by key, keys unique.
    pub tags: Vec<(String, String)>,
}

/// `bytes` with every byte outside the allow-list replaced by `_`.
fn sanitize(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| char::from(if is_allowed(b) { b } else { REPLACEMENT }))
        .collect()
}

impl CanonicalId {
    /// The id of a line's raw name and tags (in line order).
    pub fn from_raw<'a>(name: &[u8], tags: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Self {
        let mut sorted: Vec<(String, String)> = Vec::new();
        for (key, value) in tags {
            let (key, value) = (sanitize(key), sanitize(value));
            match sorted.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
                Ok(at) => sorted[at].1 = value,
                Err(at) => sorted.insert(at, (key, value)),
            }
        }
        Self {
            name: sanitize(name),
            tags: sorted,
        }
    }
}

/// `name,k=v,…`, tags sorted by key: the protocol's own id syntax.
impl fmt::Display for CanonicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (k, v) in &self.tags {
            write!(f, ",{k}={v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_sanitized_one_by_one() {
        let id = CanonicalId::from_raw("café".as_bytes(), []);
        assert_eq!(id.name, "caf__");
    }

    #[test]
    fn empty_keys_and_values_are_kept() {
        let id = CanonicalId::from_raw(b"n", [(&b""[..], &b"v"[..]), (b"k", b"")]);
        assert_eq!(id.to_string(), "n,=v,k=");
    }
}
