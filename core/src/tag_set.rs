//! [`TagSet`]: the merge rules of tags, independent of where an id is stored (spec §3.2–3.4).
//!
//! A `TagSet` borrows the key and value text and holds at most `T` tags. It applies
//! spectator-py's rules in the order a caller feeds it:
//!
//! * [`TagSet::apply_user`]: user tags, dict semantics (a repeated key: the last value wins), then
//!   validation (a tag whose key or final value is empty is dropped, and the set remembers that
//!   a warning is due);
//! * [`TagSet::apply_common`]: extra common tags, validated silently, overriding user tags;
//! * [`TagSet::apply_env`]: `nf.container` / `nf.process` values from the environment, trimmed,
//!   ignored when blank, overriding both.
//!
//! [`TagSet::sort`] then orders the tags by their original, unsanitized key (byte order, which
//! is Python's code-point order), and [`write_id`] renders `name,k=v,…` with sanitizing.
//!
//! [`IdParts`] runs those steps in the one order an id is built in, for every kind of stored
//! id: [`MeterId`](crate::MeterId) (fixed memory) and spectator-std's `MeterId` (heap) keep
//! what it gives; [`write_display`] is their shared `Display`.

use core::fmt;

use crate::meter_id::IdError;
use crate::sanitize::{sanitized_len, write_sanitized};
use crate::warn::warning;
use crate::write::{all_or_nothing, LineWrite, Overflow};

/// The common tag set from `NETFLIX_CONTAINER_NAME` / `TITUS_CONTAINER_NAME`.
pub const CONTAINER_TAG: &str = "nf.container";
/// The common tag set from `NETFLIX_PROCESS_NAME`.
pub const PROCESS_TAG: &str = "nf.process";

/// More tags than the set's capacity `T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TooManyTags;

/// Extra common tags and environment values merged into every id a registry builds (§3.4).
///
/// ```
/// use spectator_core::CommonTags;
/// let common = CommonTags { extra: &[("app", "www")], container: Some(" main "), process: None };
/// # let _ = common;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CommonTags<'a> {
    /// `Config.extra_common_tags`: empty keys or values are dropped silently.
    pub extra: &'a [(&'a str, &'a str)],
    /// The container name (first non-blank of `NETFLIX_CONTAINER_NAME`, `TITUS_CONTAINER_NAME`).
    pub container: Option<&'a str>,
    /// The process name (`NETFLIX_PROCESS_NAME`).
    pub process: Option<&'a str>,
}

impl<'a> CommonTags<'a> {
    /// The first candidate that is not blank once trimmed, trimmed like Python's `str.strip()`
    /// (Unicode white space and the separators U+001C to U+001F).
    ///
    /// ```
    /// use spectator_core::CommonTags;
    /// assert_eq!(CommonTags::first_non_blank([Some("  "), None, Some(" b ")]), Some("b"));
    /// ```
    pub fn first_non_blank<I: IntoIterator<Item = Option<&'a str>>>(
        candidates: I,
    ) -> Option<&'a str> {
        candidates
            .into_iter()
            .flatten()
            .map(python_strip)
            .find(|s| !s.is_empty())
    }
}

/// `s` without the leading and trailing characters Python's `str.isspace()` is true for.
fn python_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// Tags being merged, borrowed, at most `T` of them.
///
/// ```
/// use spectator_core::TagSet;
/// let mut set: TagSet<'_, 4> = TagSet::new();
/// set.apply_user(&[("b", "2"), ("a", "1"), ("b", "")]).unwrap();
/// assert!(set.dropped_any());
/// set.sort();
/// assert_eq!(set.as_slice(), &[("a", "1")]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct TagSet<'a, const T: usize> {
    tags: heapless::Vec<(&'a str, &'a str), T>,
    dropped: bool,
}

impl<'a, const T: usize> TagSet<'a, T> {
    /// An empty set.
    pub const fn new() -> Self {
        Self {
            tags: heapless::Vec::new(),
            dropped: false,
        }
    }

    /// A set holding tags that are already valid, such as those of an existing id.
    pub fn from_valid<I: IntoIterator<Item = (&'a str, &'a str)>>(
        tags: I,
    ) -> Result<Self, TooManyTags> {
        let mut set = Self::new();
        for (k, v) in tags {
            set.set(k, v)?;
        }
        Ok(set)
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.tags.iter().position(|(k, _)| *k == key)
    }

    /// Sets `key` to `value`, replacing an existing value.
    fn set(&mut self, key: &'a str, value: &'a str) -> Result<(), TooManyTags> {
        match self.position(key) {
            Some(i) => {
                if let Some(slot) = self.tags.get_mut(i) {
                    slot.1 = value;
                }
                Ok(())
            }
            None => self.tags.push((key, value)).map_err(|_| TooManyTags),
        }
    }

    fn remove(&mut self, key: &str) {
        if let Some(i) = self.position(key) {
            self.tags.swap_remove(i);
        }
    }

    /// Merges user tags like `dict.update` followed by validation.
    ///
    /// A key's last value wins; a key whose last value is empty, and an empty key, end up absent,
    /// and [`dropped_any`](Self::dropped_any) becomes true.
    pub fn apply_user(&mut self, tags: &[(&'a str, &'a str)]) -> Result<(), TooManyTags> {
        for (i, &(k, v)) in tags.iter().enumerate() {
            if k.is_empty() {
                self.dropped = true;
            } else if v.is_empty() {
                self.remove(k);
                let overridden = tags
                    .get(i + 1..)
                    .unwrap_or_default()
                    .iter()
                    .any(|t| t.0 == k);
                self.dropped |= !overridden;
            } else {
                self.set(k, v)?;
            }
        }
        Ok(())
    }

    /// Merges already-validated common tags: empty keys or values are skipped silently and do
    /// not remove anything.
    pub fn apply_common(&mut self, tags: &[(&'a str, &'a str)]) -> Result<(), TooManyTags> {
        for &(k, v) in tags {
            if !k.is_empty() && !v.is_empty() {
                self.set(k, v)?;
            }
        }
        Ok(())
    }

    /// Merges the environment tags: `nf.container` and `nf.process`, trimmed, when not blank.
    pub fn apply_env(
        &mut self,
        container: Option<&'a str>,
        process: Option<&'a str>,
    ) -> Result<(), TooManyTags> {
        for (key, value) in [(CONTAINER_TAG, container), (PROCESS_TAG, process)] {
            if let Some(v) = CommonTags::first_non_blank([value]) {
                self.set(key, v)?;
            }
        }
        Ok(())
    }

    /// Merges all of `common`: extra tags, then the environment tags.
    pub fn apply_common_tags(&mut self, common: &CommonTags<'a>) -> Result<(), TooManyTags> {
        self.apply_common(common.extra)?;
        self.apply_env(common.container, common.process)
    }

    /// Orders tags by their original key (byte order).
    pub fn sort(&mut self) {
        // An insertion sort: tag sets are small, and it is about 3 KB smaller in firmware than
        // the standard library's sort.
        for i in 1..self.tags.len() {
            let mut j = i;
            while j > 0 && self.tags[j - 1].0 > self.tags[j].0 {
                self.tags.swap(j - 1, j);
                j -= 1;
            }
        }
    }

    /// The tags, in the order they are (sorted after [`sort`](Self::sort)).
    pub fn as_slice(&self) -> &[(&'a str, &'a str)] {
        &self.tags
    }

    /// Whether user tags were dropped for an empty key or value (a warning is due).
    pub fn dropped_any(&self) -> bool {
        self.dropped
    }
}

/// Renders `name,k=v,…` with every part sanitized, tags in the order given (all or nothing).
///
/// ```
/// let mut out: heapless::String<32> = heapless::String::new();
/// spectator_core::tag_set::write_id(&mut out, "req count", [("é", "1"), ("z", "2")]).unwrap();
/// assert_eq!(out.as_str(), "req_count,é=1,z=2".replace('é', "_"));
/// ```
pub fn write_id<'t, W, I>(out: &mut W, name: &str, tags: I) -> Result<(), Overflow>
where
    W: LineWrite + ?Sized,
    I: IntoIterator<Item = (&'t str, &'t str)>,
{
    all_or_nothing(out, |out| {
        write_sanitized(out, name)?;
        for (k, v) in tags {
            out.push_ascii(b',')?;
            write_sanitized(out, k)?;
            out.push_ascii(b'=')?;
            write_sanitized(out, v)?;
        }
        Ok(())
    })
}

/// An id built and validated, not yet stored: a name and its tags, merged, validated and sorted.
///
/// The one construction of a meter id (spectator-py's `MeterId(...)` and a registry's
/// `new_id`), in this order:
///
/// 1. user tags ([`TagSet::apply_user`]: a repeated key keeps its last value, a tag whose key
///    or value is empty is dropped);
/// 2. common tags, when building through a registry ([`TagSet::apply_common_tags`]);
/// 3. an empty name is refused ([`IdError::EmptyName`], with a warning);
/// 4. one warning when step 1 dropped tags;
/// 5. tags sorted by their original key ([`TagSet::sort`]).
///
/// [`MeterId`](crate::MeterId) and spectator-std's `MeterId` store the result; the parts
/// borrow the caller's text and hold at most `T` tags.
///
/// ```
/// use spectator_core::tag_set::IdParts;
/// use spectator_core::CommonTags;
/// let common = CommonTags { extra: &[("app", "www")], container: None, process: None };
/// let parts: IdParts<'_, 8> = IdParts::with_common_tags("req count", &[("z", "1"), ("a", "")], &common)?;
/// assert_eq!((parts.name(), parts.tags()), ("req count", &[("app", "www"), ("z", "1")][..]));
/// let mut id: heapless::String<32> = heapless::String::new();
/// parts.write_id(&mut id).unwrap();
/// assert_eq!((id.as_str(), parts.rendered_len()), ("req_count,app=www,z=1", 21));
/// # Ok::<(), spectator_core::IdError>(())
/// ```
#[derive(Debug, Clone)]
pub struct IdParts<'a, const T: usize> {
    name: &'a str,
    tags: TagSet<'a, T>,
}

impl<'a, const T: usize> IdParts<'a, T> {
    /// An id from a name and user tags.
    pub fn new(name: &'a str, tags: &[(&'a str, &'a str)]) -> Result<Self, IdError> {
        let mut set = TagSet::new();
        set.apply_user(tags)?;
        Self::finish(name, set)
    }

    /// An id from a name and user tags, with `common`'s extra and environment tags on top
    /// (spec §3.4).
    pub fn with_common_tags(
        name: &'a str,
        tags: &[(&'a str, &'a str)],
        common: &CommonTags<'a>,
    ) -> Result<Self, IdError> {
        let mut set = TagSet::new();
        set.apply_user(tags)?;
        set.apply_common_tags(common)?;
        Self::finish(name, set)
    }

    /// An existing id's `name` and (valid) `current` tags with `tags` merged on top, as user
    /// tags: an empty value removes its key, like spectator-py's `with_tags`.
    ///
    /// ```
    /// use spectator_core::tag_set::IdParts;
    /// let parts: IdParts<'_, 4> = IdParts::retagged("x", [("a", "1"), ("b", "2")], &[("a", ""), ("c", "3")])?;
    /// assert_eq!(parts.tags(), &[("b", "2"), ("c", "3")]);
    /// # Ok::<(), spectator_core::IdError>(())
    /// ```
    pub fn retagged<I: IntoIterator<Item = (&'a str, &'a str)>>(
        name: &'a str,
        current: I,
        tags: &[(&'a str, &'a str)],
    ) -> Result<Self, IdError> {
        let mut set = TagSet::from_valid(current)?;
        set.apply_user(tags)?;
        Self::finish(name, set)
    }

    /// Steps 3 to 5 (see the type's doc): the checks and warnings every id goes through, in
    /// this one place.
    fn finish(name: &'a str, mut tags: TagSet<'a, T>) -> Result<Self, IdError> {
        if name.is_empty() {
            warning!("spectator::meter_id", "MeterId refused: the name is empty");
            return Err(IdError::EmptyName);
        }
        if tags.dropped_any() {
            warning!(
                "spectator::meter_id",
                "MeterId(name={}) has tag keys or values which are zero-length strings; proceeding with truncated tags",
                name
            );
        }
        tags.sort();
        Ok(Self { name, tags })
    }

    /// The first limit of the Atlas backend this id breaks (name 1-255 characters, tag keys
    /// 2-60, values 1-120; [`crate::parse::atlas`]), if any. spectatord accepts such an id but
    /// Atlas drops its data, so the clients warn, once per id, and send it anyway (as
    /// spectator-py does).
    ///
    /// ```
    /// use spectator_core::tag_set::IdParts;
    /// let parts: IdParts<'_, 4> = IdParts::new("x", &[("k", "v")])?;
    /// assert_eq!(parts.atlas_rule().map(|r| r.to_string()).as_deref(),
    ///     Some("tag key 'k' is 1 character long; Atlas accepts 2 to 60"));
    /// # Ok::<(), spectator_core::IdError>(())
    /// ```
    pub fn atlas_rule(&self) -> Option<crate::parse::atlas::AtlasRule<'a>> {
        crate::parse::atlas::check_id(self.name, self.tags.as_slice().iter().copied()).err()
    }

    /// Warns, through the enabled logging backend, when [`atlas_rule`](Self::atlas_rule)
    /// finds a broken limit; true when it did.
    pub fn warn_if_invalid_for_atlas(&self) -> bool {
        match self.atlas_rule() {
            Some(rule) => {
                warning!(
                    "spectator::meter_id",
                    "MeterId(name={}) is sent, but Atlas will drop it: {}",
                    self.name,
                    rule
                );
                true
            }
            None => false,
        }
    }

    /// The name as given (unsanitized).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The tags as given (unsanitized, validated), sorted by key.
    pub fn tags(&self) -> &[(&'a str, &'a str)] {
        self.tags.as_slice()
    }

    /// Renders the id's protocol text, `name,k=v,…`, sanitized (all or nothing).
    pub fn write_id<W: LineWrite + ?Sized>(&self, out: &mut W) -> Result<(), Overflow> {
        write_id(out, self.name, self.tags().iter().copied())
    }

    /// The length in bytes of what [`write_id`](Self::write_id) writes.
    pub fn rendered_len(&self) -> usize {
        let tags: usize = self
            .tags()
            .iter()
            .map(|(k, v)| 2 + sanitized_len(k) + sanitized_len(v))
            .sum();
        sanitized_len(self.name) + tags
    }
}

/// Writes an id like spectator-py's `str(MeterId)`, `MeterId(name=x, tags={'k': 'v'})`: the
/// `Display` of [`MeterId`](crate::MeterId) and of spectator-std's `MeterId`.
///
/// ```
/// let mut s: heapless::String<64> = heapless::String::new();
/// spectator_core::tag_set::write_display(&mut s, "x", [("a", "1"), ("b", "2")]).unwrap();
/// assert_eq!(s.as_str(), "MeterId(name=x, tags={'a': '1', 'b': '2'})");
/// ```
pub fn write_display<'t, W, I>(out: &mut W, name: &str, tags: I) -> fmt::Result
where
    W: fmt::Write + ?Sized,
    I: IntoIterator<Item = (&'t str, &'t str)>,
{
    write!(out, "MeterId(name={name}, tags={{")?;
    for (i, (k, v)) in tags.into_iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        write!(out, "{sep}'{k}': '{v}'")?;
    }
    out.write_str("})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(
        user: &[(&'static str, &'static str)],
        common: CommonTags<'static>,
    ) -> TagSet<'static, 8> {
        let mut set = TagSet::new();
        set.apply_user(user).unwrap();
        set.apply_common_tags(&common).unwrap();
        set.sort();
        set
    }

    #[test]
    fn user_tags_follow_dict_semantics() {
        let set = merged(&[("a", "1"), ("a", "2")], CommonTags::default());
        assert_eq!(set.as_slice(), &[("a", "2")]);
        assert!(!set.dropped_any());
        let set = merged(&[("a", ""), ("a", "1")], CommonTags::default());
        assert_eq!(set.as_slice(), &[("a", "1")]);
        assert!(
            !set.dropped_any(),
            "the empty value was overridden, Python sees a valid dict"
        );
        let set = merged(&[("a", "1"), ("a", "")], CommonTags::default());
        assert_eq!(set.as_slice(), &[]);
        assert!(set.dropped_any());
        let set = merged(&[("", "1"), (" ", " ")], CommonTags::default());
        assert_eq!(set.as_slice(), &[(" ", " ")]);
        assert!(set.dropped_any());
    }

    #[test]
    fn precedence_is_user_then_extra_then_env() {
        let common = CommonTags {
            extra: &[("nf.process", "cfg"), ("app", "www"), ("empty", "")],
            container: Some("  "),
            process: Some(" my proc/1 "),
        };
        let set = merged(&[("app", "user"), ("empty", "kept"), ("x", "y")], common);
        assert_eq!(
            set.as_slice(),
            &[
                ("app", "www"),
                ("empty", "kept"),
                ("nf.process", "my proc/1"),
                ("x", "y")
            ]
        );
        let mut out: heapless::String<64> = heapless::String::new();
        write_id(&mut out, "n", set.as_slice().iter().copied()).unwrap();
        assert_eq!(out, "n,app=www,empty=kept,nf.process=my_proc_1,x=y");
    }

    #[test]
    fn sorting_uses_the_unsanitized_key() {
        let set = merged(&[("z", "2"), ("é", "1")], CommonTags::default());
        let mut out: heapless::String<64> = heapless::String::new();
        write_id(&mut out, "x", set.as_slice().iter().copied()).unwrap();
        assert_eq!(out, "x,z=2,_=1");
        let set = merged(
            &[("a_b", "3"), ("a.b", "2"), ("a b", "1")],
            CommonTags::default(),
        );
        out.clear();
        write_id(&mut out, "x", set.as_slice().iter().copied()).unwrap();
        assert_eq!(out, "x,a_b=1,a.b=2,a_b=3");
    }

    #[test]
    fn env_values_are_stripped_like_python() {
        let strip = |v| CommonTags::first_non_blank([Some(v)]);
        assert_eq!(strip("\u{1c}fs\u{1f}"), Some("fs"));
        assert_eq!(strip("\u{a0}nbsp\u{2003}\u{3000}"), Some("nbsp"));
        assert_eq!(strip(" \t\n\u{b}\u{c}\r\u{85}"), None);
        assert_eq!(strip("a b"), Some("a b"));
    }

    #[test]
    fn id_parts_run_every_step_in_order() {
        let common = CommonTags {
            extra: &[("app", "www")],
            container: Some(" c "),
            process: None,
        };
        let parts: IdParts<'_, 4> =
            IdParts::with_common_tags("n", &[("z", "1"), ("app", "mine"), ("e", "")], &common)
                .unwrap();
        assert_eq!(
            parts.tags(),
            &[("app", "www"), ("nf.container", "c"), ("z", "1")]
        );
        assert_eq!(parts.rendered_len(), "n,app=www,nf.container=c,z=1".len());
        assert_eq!(
            IdParts::<'_, 4>::new("", &[("k", "v")]).unwrap_err(),
            IdError::EmptyName
        );
        assert_eq!(
            IdParts::<'_, 1>::new("n", &[("a", "1"), ("b", "2")]).unwrap_err(),
            IdError::TooManyTags
        );
        let retagged: IdParts<'_, 4> =
            IdParts::retagged("n", parts.tags().iter().copied(), &[("z", "")]).unwrap();
        assert_eq!(retagged.tags(), &[("app", "www"), ("nf.container", "c")]);
        let mut shown: heapless::String<64> = heapless::String::new();
        write_display(&mut shown, retagged.name(), retagged.tags().iter().copied()).unwrap();
        assert_eq!(
            shown,
            "MeterId(name=n, tags={'app': 'www', 'nf.container': 'c'})"
        );
    }

    #[test]
    fn capacity_is_reported() {
        let mut set: TagSet<'_, 1> = TagSet::new();
        assert_eq!(set.apply_user(&[("a", "1"), ("b", "2")]), Err(TooManyTags));
    }
}
