//! [`MeterId`]: a meter's name and tags, with its protocol text rendered once, in fixed memory.

use core::fmt;

use crate::tag_set::{write_display, CommonTags, IdParts, TooManyTags};

/// Why an id could not be built. Ids are never truncated silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IdError {
    /// The name is empty. spectator-py accepts it and writes `c::1`, which spectatord rejects
    /// with "Missing name"; we refuse it up front (a documented divergence).
    EmptyName,
    /// The rendered id or the original text does not fit the id's capacity `N`.
    TooLong,
    /// More tags than the id's tag capacity `T`.
    TooManyTags,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdError::EmptyName => "meter name is empty",
            IdError::TooLong => "meter id does not fit its capacity",
            IdError::TooManyTags => "meter id has more tags than its capacity",
        })
    }
}

impl core::error::Error for IdError {}

impl From<TooManyTags> for IdError {
    fn from(_: TooManyTags) -> Self {
        IdError::TooManyTags
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Span {
    key_end: u16,
    value_end: u16,
}

/// A meter's identity: a name and tags, plus the rendered `name,k=v,…` prefix of its lines.
///
/// `N` bounds both the rendered text and the original (unsanitized) text of the name and tags,
/// in bytes; `T` bounds the number of tags. Both are the user's choice, and the whole id lives
/// inline (about `2 * N + 4 * T` bytes). Tags are kept sorted by their original key, which is
/// the order they take in the line.
///
/// ```
/// use spectator_core::MeterId;
/// let id: MeterId<64> = MeterId::new("server.numRequests", &[("id", "failed"), ("country", "é")])?;
/// assert_eq!(id.spectatord_id(), "server.numRequests,country=_,id=failed");
/// let id2 = id.with_tag("status", "200")?;
/// assert_eq!(id2.tag("status"), Some("200"));
/// assert_eq!(id2.tag("country"), Some("é"));
/// # Ok::<(), spectator_core::IdError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MeterId<const N: usize, const T: usize = 8> {
    /// The name followed by each tag's key and value, all unsanitized, tags sorted by key.
    raw: heapless::String<N>,
    name_end: u16,
    spans: heapless::Vec<Span, T>,
    rendered: heapless::String<N>,
}

impl<const N: usize, const T: usize> MeterId<N, T> {
    const CAPACITY_FITS_U16: () = assert!(
        N <= u16::MAX as usize,
        "MeterId capacity N must be at most 65535"
    );

    /// Builds an id from a name and user tags.
    ///
    /// A repeated key keeps its last value; tags whose key or value is empty are dropped with a
    /// warning (through `log` or `defmt` when enabled). The construction is [`IdParts`]'s.
    pub fn new(name: &str, tags: &[(&str, &str)]) -> Result<Self, IdError> {
        Self::from_parts(&IdParts::new(name, tags)?)
    }

    /// Builds an id the way a registry's `new_id` does: user tags, then the extra common tags
    /// and environment tags of `common` on top (spec §3.4).
    ///
    /// ```
    /// use spectator_core::{CommonTags, MeterId};
    /// let common = CommonTags { extra: &[("app", "www")], container: None, process: Some("p") };
    /// let id: MeterId<64> = MeterId::with_common_tags("x", &[("app", "mine")], &common)?;
    /// assert_eq!(id.spectatord_id(), "x,app=www,nf.process=p");
    /// # Ok::<(), spectator_core::IdError>(())
    /// ```
    pub fn with_common_tags(
        name: &str,
        tags: &[(&str, &str)],
        common: &CommonTags<'_>,
    ) -> Result<Self, IdError> {
        Self::from_parts(&IdParts::with_common_tags(name, tags, common)?)
    }

    /// A copy with `key` set to `value` (an empty `value` removes `key`, like spectator-py).
    pub fn with_tag(&self, key: &str, value: &str) -> Result<Self, IdError> {
        self.with_tags(&[(key, value)])
    }

    /// A copy with `tags` merged on top of this id's tags, like [`MeterId::new`] merges them.
    pub fn with_tags(&self, tags: &[(&str, &str)]) -> Result<Self, IdError> {
        if tags.is_empty() {
            return Ok(self.clone());
        }
        Self::from_parts(&IdParts::retagged(self.name(), self.tags(), tags)?)
    }

    /// Stores a built id: its original text and its rendering, in `N` bytes each.
    ///
    /// ```
    /// use spectator_core::{tag_set::IdParts, MeterId};
    /// let parts: IdParts<'_, 4> = IdParts::new("x", &[("k", "v")])?;
    /// assert_eq!(MeterId::<16, 4>::from_parts(&parts)?.spectatord_id(), "x,k=v");
    /// assert_eq!(MeterId::<4, 4>::from_parts(&parts), Err(spectator_core::IdError::TooLong));
    /// # Ok::<(), spectator_core::IdError>(())
    /// ```
    pub fn from_parts(parts: &IdParts<'_, T>) -> Result<Self, IdError> {
        let () = Self::CAPACITY_FITS_U16;
        parts.warn_if_invalid_for_atlas();
        let mut id = Self {
            raw: heapless::String::new(),
            name_end: 0,
            spans: heapless::Vec::new(),
            rendered: heapless::String::new(),
        };
        id.raw
            .push_str(parts.name())
            .map_err(|_| IdError::TooLong)?;
        id.name_end = id.raw.len() as u16;
        for &(k, v) in parts.tags() {
            id.raw.push_str(k).map_err(|_| IdError::TooLong)?;
            let key_end = id.raw.len() as u16;
            id.raw.push_str(v).map_err(|_| IdError::TooLong)?;
            let span = Span {
                key_end,
                value_end: id.raw.len() as u16,
            };
            id.spans.push(span).map_err(|_| IdError::TooManyTags)?;
        }
        parts
            .write_id(&mut id.rendered)
            .map_err(|_| IdError::TooLong)?;
        Ok(id)
    }

    /// The name as given (unsanitized).
    pub fn name(&self) -> &str {
        self.raw
            .get(..usize::from(self.name_end))
            .unwrap_or_default()
    }

    /// The tags as given (unsanitized, validated), sorted by key.
    pub fn tags(&self) -> impl Iterator<Item = (&str, &str)> + Clone + '_ {
        let starts = core::iter::once(self.name_end).chain(self.spans.iter().map(|s| s.value_end));
        starts.zip(self.spans.iter()).map(move |(start, span)| {
            let key = self.raw.get(usize::from(start)..usize::from(span.key_end));
            let value = self
                .raw
                .get(usize::from(span.key_end)..usize::from(span.value_end));
            (key.unwrap_or_default(), value.unwrap_or_default())
        })
    }

    /// The value of tag `key`, if present.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The rendered `name,k=v,…` text placed between the type and the value of each line.
    #[inline]
    pub fn spectatord_id(&self) -> &str {
        &self.rendered
    }
}

impl<const N: usize, const T: usize> fmt::Debug for MeterId<N, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Renders like spectator-py's `str(MeterId)`: `MeterId(name=x, tags={'k': 'v'})`.
impl<const N: usize, const T: usize> fmt::Display for MeterId<N, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_display(f, self.name(), self.tags())
    }
}

#[cfg(feature = "defmt")]
#[cfg_attr(docsrs, doc(cfg(feature = "defmt")))]
impl<const N: usize, const T: usize> defmt::Format for MeterId<N, T> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "MeterId({=str})", self.spectatord_id());
    }
}

impl<const N: usize, const T: usize> crate::meters::Identity for MeterId<N, T> {
    #[inline]
    fn spectatord_id(&self) -> &str {
        MeterId::spectatord_id(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Id = MeterId<128, 8>;

    #[test]
    fn renders_sorted_sanitized_prefix_once() {
        let id = Id::new("server.numRequests", &[("id", "failed")]).unwrap();
        assert_eq!(id.spectatord_id(), "server.numRequests,id=failed");
        let id = Id::new(
            "a b",
            &[
                ("b", "B"),
                ("B", "b"),
                ("a", "1"),
                ("_", "u"),
                ("~", "t"),
                ("-", "d"),
                ("0", "z"),
                ("^", "c"),
            ],
        )
        .unwrap();
        assert_eq!(id.spectatord_id(), "a_b,-=d,0=z,B=b,^=c,_=u,a=1,b=B,~=t");
    }

    #[test]
    fn duplicate_keys_after_sanitizing_are_kept() {
        let id = Id::new("x", &[("a b", "1"), ("a_b", "2")]).unwrap();
        assert_eq!(id.spectatord_id(), "x,a_b=1,a_b=2");
    }

    #[test]
    fn accessors_return_original_text() {
        let id = Id::new("café", &[("z", "2"), ("é", "ü")]).unwrap();
        assert_eq!(id.name(), "café");
        let tags: heapless::Vec<(&str, &str), 4> = id.tags().collect();
        assert_eq!(&tags[..], &[("z", "2"), ("é", "ü")]);
        assert_eq!(id.tag("é"), Some("ü"));
        assert_eq!(id.tag("x"), None);
        assert_eq!(id.spectatord_id(), "caf_,z=2,_=_");
    }

    #[test]
    fn with_tag_overrides_adds_and_removes() {
        let id = Id::new("x", &[("a", "1"), ("b", "2")]).unwrap();
        assert_eq!(id.with_tag("a", "9").unwrap().spectatord_id(), "x,a=9,b=2");
        assert_eq!(
            id.with_tag("0", "z").unwrap().spectatord_id(),
            "x,0=z,a=1,b=2"
        );
        assert_eq!(id.with_tag("a", "").unwrap().spectatord_id(), "x,b=2");
        assert_eq!(id.with_tags(&[]).unwrap(), id);
        assert_eq!(
            id.with_tags(&[("c", "3"), ("a", "")])
                .unwrap()
                .spectatord_id(),
            "x,b=2,c=3"
        );
    }

    #[test]
    fn equality_ignores_input_order() {
        let a = Id::new("x", &[("a", "1"), ("b", "2")]).unwrap();
        let b = Id::new("x", &[("b", "2"), ("a", "1")]).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, Id::new("x", &[("a", "1")]).unwrap());
    }

    #[test]
    fn errors_instead_of_truncation() {
        assert_eq!(Id::new("", &[]), Err(IdError::EmptyName));
        assert_eq!(MeterId::<4, 1>::new("abcde", &[]), Err(IdError::TooLong));
        assert_eq!(
            MeterId::<8, 1>::new("ab", &[("k", "v"), ("l", "w")]),
            Err(IdError::TooManyTags)
        );
        // The raw text fits but the rendered separators do not.
        assert_eq!(
            MeterId::<5, 1>::new("ab", &[("k", "v")]),
            Err(IdError::TooLong)
        );
        // Non-ASCII raw text is longer than its rendering.
        assert_eq!(
            MeterId::<4, 1>::new("éé", &[]).unwrap().spectatord_id(),
            "__"
        );
        assert_eq!(MeterId::<3, 1>::new("éé", &[]), Err(IdError::TooLong));
    }

    #[test]
    fn display_looks_like_python() {
        let id = Id::new("x", &[("b", "2"), ("a", "1")]).unwrap();
        let mut s: heapless::String<64> = heapless::String::new();
        core::fmt::write(&mut s, format_args!("{id}")).unwrap();
        assert_eq!(s, "MeterId(name=x, tags={'a': '1', 'b': '2'})");
    }
}
