//! [`MeterId`]: a heap-backed, cheaply cloned meter id: the core's one id construction
//! ([`IdParts`]), stored behind an `Arc`.

use std::fmt;
use std::sync::Arc;

use spectator_core::meters::Identity;
use spectator_core::tag_set::{write_display, IdParts};
use spectator_core::{CommonTags, IdError};

/// The most tags an id can have here (Atlas itself accepts far fewer).
pub const MAX_TAGS: usize = 128;

#[derive(Debug, PartialEq, Eq, Hash)]
struct Inner {
    name: String,
    tags: Vec<(String, String)>,
    rendered: String,
}

/// A meter's name and tags, with its `name,k=v,…` protocol text rendered once.
///
/// Built by the core's [`IdParts`], like [`spectator_core::MeterId`], so with spectator-py's
/// rules: a repeated key keeps its last value, tags with an empty key or value are dropped with
/// a warning, every character outside `-._~^0-9A-Za-z` becomes `_`, tags are ordered by their
/// original key. This type only stores the result, on the heap: any number of bytes, up to
/// [`MAX_TAGS`] tags. Cloning is an `Arc` clone.
///
/// ```
/// use spectator_std::MeterId;
/// let id = MeterId::new("server.numRequests", &[("id", "failed"), ("k", "")])?;
/// assert_eq!(id.spectatord_id(), "server.numRequests,id=failed");
/// assert_eq!(id.with_tag("status", "200")?.spectatord_id(), "server.numRequests,id=failed,status=200");
/// # Ok::<(), spectator_core::IdError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MeterId(Arc<Inner>);

/// Whether `rendered` is an Atlas-invalid id not warned about before. Remembers at most
/// [`WARNED_IDS`] ids; past that, every further invalid id is warned about once more each time.
fn first_time_invalid(rendered: &str) -> bool {
    static WARNED: std::sync::Mutex<Option<std::collections::HashSet<String>>> =
        std::sync::Mutex::new(None);
    let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
    let warned = warned.get_or_insert_with(Default::default);
    if warned.contains(rendered) {
        return false;
    }
    if warned.len() < WARNED_IDS {
        warned.insert(rendered.to_owned());
    }
    true
}

/// How many Atlas-invalid ids spectator-std remembers having warned about.
const WARNED_IDS: usize = 10_000;

impl MeterId {
    /// An id from a name and tags, without common tags.
    pub fn new(name: &str, tags: &[(&str, &str)]) -> Result<Self, IdError> {
        Ok(Self::from_parts(&IdParts::new(name, tags)?))
    }

    /// An id with common tags merged on top of the user's (spec §3.4).
    ///
    /// ```
    /// use spectator_core::CommonTags;
    /// use spectator_std::MeterId;
    /// let common = CommonTags { extra: &[("nf.app", "www")], container: None, process: None };
    /// let id = MeterId::with_common_tags("x", &[("nf.app", "mine")], &common)?;
    /// assert_eq!(id.spectatord_id(), "x,nf.app=www");
    /// # Ok::<(), spectator_core::IdError>(())
    /// ```
    pub fn with_common_tags(
        name: &str,
        tags: &[(&str, &str)],
        common: &CommonTags<'_>,
    ) -> Result<Self, IdError> {
        Ok(Self::from_parts(&IdParts::with_common_tags(
            name, tags, common,
        )?))
    }

    /// A copy with `key` set to `value` (an empty value removes the tag).
    pub fn with_tag(&self, key: &str, value: &str) -> Result<Self, IdError> {
        self.with_tags(&[(key, value)])
    }

    /// A copy with `tags` merged on top.
    pub fn with_tags(&self, tags: &[(&str, &str)]) -> Result<Self, IdError> {
        if tags.is_empty() {
            return Ok(self.clone());
        }
        let parts = IdParts::retagged(self.name(), self.tags(), tags)?;
        Ok(Self::from_parts(&parts))
    }

    /// Stores what the core's one id construction ([`IdParts`]) built; warns once per id
    /// (per process) that Atlas will drop it when it breaks Atlas's limits.
    fn from_parts(parts: &IdParts<'_, MAX_TAGS>) -> Self {
        let mut rendered = Rendered(String::with_capacity(parts.rendered_len()));
        let _ = parts.write_id(&mut rendered);
        if parts.atlas_rule().is_some() && first_time_invalid(&rendered.0) {
            parts.warn_if_invalid_for_atlas();
        }
        let tags = parts.tags().iter();
        Self(Arc::new(Inner {
            name: parts.name().to_owned(),
            tags: tags
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            rendered: rendered.0,
        }))
    }

    /// The name as given.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The tags as given (validated), sorted by key.
    pub fn tags(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.0.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The value of tag `key`.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The rendered `name,k=v,…` text.
    pub fn spectatord_id(&self) -> &str {
        &self.0.rendered
    }
}

impl Identity for MeterId {
    #[inline]
    fn spectatord_id(&self) -> &str {
        &self.0.rendered
    }
}

/// Renders like spectator-py's `str(MeterId)` (the core's [`write_display`]).
impl fmt::Display for MeterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_display(f, self.name(), self.tags())
    }
}

impl fmt::Debug for MeterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A growable [`LineWrite`](spectator_core::LineWrite) target: ids, and lines too long for
/// the stack.
pub(crate) struct Rendered(pub(crate) String);

impl spectator_core::LineWrite for Rendered {
    #[inline]
    fn push_text(&mut self, s: &str) -> Result<(), spectator_core::Overflow> {
        self.0.push_str(s);
        Ok(())
    }
    #[inline]
    fn push_ascii(&mut self, b: u8) -> Result<(), spectator_core::Overflow> {
        self.0.push(char::from(b));
        Ok(())
    }
    #[inline]
    fn written(&self) -> usize {
        self.0.len()
    }
    #[inline]
    fn truncate_to(&mut self, len: usize) {
        self.0.truncate(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_rules_as_the_core() {
        let id = MeterId::new(
            "café",
            &[("z", "2"), ("é", "1"), ("a b", "x"), ("a_b", "y")],
        )
        .unwrap();
        assert_eq!(id.spectatord_id(), "caf_,a_b=x,a_b=y,z=2,_=1");
        assert_eq!(id.name(), "café");
        assert_eq!(id.tag("é"), Some("1"));
        assert_eq!(MeterId::new("", &[]), Err(IdError::EmptyName));
        assert_eq!(id.with_tag("z", "").unwrap().tag("z"), None);
        assert_eq!(
            id.to_string(),
            "MeterId(name=café, tags={'a b': 'x', 'a_b': 'y', 'z': '2', 'é': '1'})"
        );
    }

    #[test]
    fn common_tags_override_user_tags() {
        let common = CommonTags {
            extra: &[("app", "www")],
            container: Some("c"),
            process: None,
        };
        let id = MeterId::with_common_tags("x", &[("app", "mine"), ("nf.container", "u")], &common)
            .unwrap();
        assert_eq!(id.spectatord_id(), "x,app=www,nf.container=c");
        assert_eq!(
            id.with_tag("app", "later").unwrap().spectatord_id(),
            "x,app=later,nf.container=c"
        );
    }
}
