//! [`StaticId`]: a meter id fixed at compile time, whose rendered text lives in flash.

use core::fmt;

use crate::sanitize::allowed;

/// A rendered `name,k=v,…` id checked at compile time, whose text lives in flash.
///
/// A [`MeterId`](crate::MeterId) sanitizes and orders its tags at run time and keeps the
/// result in RAM: right for ids built from run-time values. Firmware usually knows its ids
/// when it is compiled; [`static_id!`](crate::static_id) checks such an id while compiling
/// and leaves only a `&'static str` in flash. [`static_meter!`](crate::static_meter) goes one
/// step further and renders the meter's whole line prefix, so meters are `const` items that
/// take no RAM and no code to build:
///
/// ```
/// use spectator_core::{static_id, StaticId};
///
/// const ID: StaticId = static_id!("button.presses", "button" => "left", "mode" => "hold");
/// assert_eq!(ID.as_str(), "button.presses,button=left,mode=hold");
/// ```
///
/// The checks are the rules a `MeterId` applies, turned into errors: the name, keys and values
/// are non-empty and use only the 67 allowed characters (`-._~^`, digits, letters; nothing is
/// sanitized silently), and tags come in strictly ascending key order (the order spectator-py
/// writes them; a repeated key is an error). An id that breaks one does not compile:
///
/// ```compile_fail
/// const BAD: spectator_core::StaticId = spectator_core::static_id!("temp", "unit" => "°C");
/// ```
///
/// An id the Atlas backend will drop (a name over 255 characters, a tag key under 2 or over
/// 60, a value over 120) compiles, as spectatord accepts it, with a warning.
///
/// Build it with [`static_id!`](crate::static_id), or with [`StaticId::new`] in a `const`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StaticId(&'static str);

/// Why a text is not a rendered id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StaticIdError {
    /// The name is empty.
    EmptyName,
    /// A tag has no `=`.
    MissingValue,
    /// A tag key is empty.
    EmptyKey,
    /// A tag value is empty.
    EmptyValue,
    /// A character outside `-._~^0-9A-Za-z` (other than the `,` and `=` separators).
    DisallowedChar,
    /// Tag keys are not in strictly ascending order (or a key is repeated).
    UnsortedTags,
}

impl StaticIdError {
    /// What is wrong, in words (the compile error [`static_id!`](crate::static_id) shows).
    pub const fn message(&self) -> &'static str {
        match self {
            StaticIdError::EmptyName => "static meter id: the name is empty",
            StaticIdError::MissingValue => "static meter id: a tag has no `=value`",
            StaticIdError::EmptyKey => "static meter id: a tag key is empty",
            StaticIdError::EmptyValue => "static meter id: a tag value is empty",
            StaticIdError::DisallowedChar => {
                "static meter id: only -._~^ digits and ASCII letters are allowed"
            }
            StaticIdError::UnsortedTags => {
                "static meter id: tags must be in ascending key order, each key once"
            }
        }
    }
}

impl fmt::Display for StaticIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for StaticIdError {}

impl StaticId {
    /// Checks a rendered id, `name` or `name,k1=v1,k2=v2` with keys in ascending order.
    ///
    /// ```
    /// use spectator_core::{StaticId, StaticIdError};
    /// const ID: StaticId = match StaticId::new("disk.used,dev=sda1") {
    ///     Ok(id) => id,
    ///     Err(e) => panic!("{}", e.message()),
    /// };
    /// assert_eq!(ID.as_str(), "disk.used,dev=sda1");
    /// assert_eq!(StaticId::new("disk.used,dev=sda1,bus=usb"), Err(StaticIdError::UnsortedTags));
    /// ```
    pub const fn new(rendered: &'static str) -> Result<Self, StaticIdError> {
        let b = rendered.as_bytes();
        let name_end = field_end(b, 0);
        if name_end == 0 {
            return Err(StaticIdError::EmptyName);
        }
        if name_end < b.len() && b[name_end] != b',' {
            return Err(StaticIdError::DisallowedChar);
        }
        // (start, end) of the previous key, for the order check.
        let mut prev: Option<(usize, usize)> = None;
        let mut i = name_end;
        while i < b.len() {
            // b[i] is the ',' before a tag.
            let key_start = i + 1;
            let key_end = field_end(b, key_start);
            if key_end == b.len() || b[key_end] == b',' {
                return Err(StaticIdError::MissingValue);
            }
            if b[key_end] != b'=' {
                return Err(StaticIdError::DisallowedChar);
            }
            if key_end == key_start {
                return Err(StaticIdError::EmptyKey);
            }
            let value_end = field_end(b, key_end + 1);
            if value_end == key_end + 1 {
                return Err(StaticIdError::EmptyValue);
            }
            if value_end < b.len() && b[value_end] != b',' {
                return Err(StaticIdError::DisallowedChar);
            }
            if let Some((s, e)) = prev {
                if !ascending(b, s, e, key_start, key_end) {
                    return Err(StaticIdError::UnsortedTags);
                }
            }
            prev = Some((key_start, key_end));
            i = value_end;
        }
        Ok(StaticId(rendered))
    }

    /// The rendered id, as written between type and value in each line.
    pub const fn as_str(&self) -> &'static str {
        self.0
    }

    /// Whether the Atlas backend accepts the id (name 1-255 characters, tag keys 2-60, values
    /// 1-120; [`crate::parse::atlas`]). [`static_id!`](crate::static_id) warns at compile time
    /// when it does not: spectatord takes such an id, and Atlas drops its data.
    ///
    /// ```
    /// use spectator_core::StaticId;
    /// assert!(StaticId::new("disk.used,dev=sda1").unwrap().atlas_ok());
    /// assert!(!StaticId::new("disk.used,d=sda1").unwrap().atlas_ok()); // a 1-character key
    /// ```
    pub const fn atlas_ok(&self) -> bool {
        // Only ASCII is allowed: characters are bytes.
        let b = self.0.as_bytes();
        let name_end = field_end(b, 0);
        if name_end > 255 {
            return false;
        }
        let mut i = name_end;
        while i < b.len() {
            let key_end = field_end(b, i + 1);
            let value_end = field_end(b, key_end + 1);
            let (key, value) = (key_end - i - 1, value_end - key_end - 1);
            if key < 2 || key > 60 || value > 120 {
                return false;
            }
            i = value_end;
        }
        true
    }
}

/// What [`static_id!`](crate::static_id) uses to warn, at compile time, about an id Atlas will
/// drop: `AtlasCheck::<false>::ATLAS` is deprecated. Not public API.
#[doc(hidden)]
pub struct AtlasCheck<const OK: bool>;

impl AtlasCheck<false> {
    /// Used for an id that breaks Atlas's limits.
    #[deprecated(
        note = "static meter id: Atlas drops ids whose name is not 1-255 characters, a tag key not 2-60 or a tag value not 1-120 (spectatord accepts it; the data is lost)"
    )]
    pub const ATLAS: () = ();
}

impl AtlasCheck<true> {
    /// Used for an id within Atlas's limits.
    pub const ATLAS: () = ();
}

impl fmt::Display for StaticId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl crate::meters::Identity for StaticId {
    #[inline]
    fn spectatord_id(&self) -> &str {
        self.0
    }
}

/// The end of the run of allowed bytes that starts at `start`.
const fn field_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < b.len() && allowed(b[i]) {
        i += 1;
    }
    i
}

/// Whether `b[s1..e1] < b[s2..e2]`, bytewise.
const fn ascending(b: &[u8], s1: usize, e1: usize, s2: usize, e2: usize) -> bool {
    let (mut i, mut j) = (s1, s2);
    while i < e1 && j < e2 {
        if b[i] != b[j] {
            return b[i] < b[j];
        }
        i += 1;
        j += 1;
    }
    i == e1 && j < e2
}

/// A [`StaticId`] checked at compile time: `static_id!("name", "key" => "value", …)`, with
/// string literals and keys in ascending order. An invalid id is a compile error that says
/// what is wrong (see [`StaticIdError::message`]).
///
/// ```
/// use spectator_core::{static_id, StaticId};
/// const ID: StaticId = static_id!("appliance.events", "kind" => "sensor", "status" => "ok");
/// assert_eq!(ID.as_str(), "appliance.events,kind=sensor,status=ok");
/// assert_eq!(static_id!("uptime").as_str(), "uptime");
/// ```
///
/// ```compile_fail
/// // Keys out of order: "static meter id: tags must be in ascending key order, each key once".
/// let id = spectator_core::static_id!("events", "status" => "ok", "kind" => "sensor");
/// ```
#[macro_export]
macro_rules! static_id {
    ($name:literal $(, $key:literal => $value:literal)* $(,)?) => {{
        const ID: $crate::StaticId =
            match $crate::StaticId::new(::core::concat!($name $(, ",", $key, "=", $value)*)) {
                ::core::result::Result::Ok(id) => id,
                ::core::result::Result::Err(e) => ::core::panic!("{}", e.message()),
            };
        const ATLAS_OK: bool = ID.atlas_ok();
        #[allow(clippy::let_unit_value)]
        let () = $crate::__AtlasCheck::<ATLAS_OK>::ATLAS;
        ID
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MeterId;

    #[test]
    fn valid_ids() {
        for text in [
            "n",
            "server.numRequests",
            "a,k=v",
            "a,K=1,k=2",
            "a,k=v,k2=v",
            "x-._~^9,a.b=~^-_.",
            "m,a=1,b=2,c=3,d=4,e=5",
        ] {
            assert_eq!(
                StaticId::new(text).map(|id| id.as_str()),
                Ok(text),
                "{text}"
            );
        }
    }

    #[test]
    fn invalid_ids() {
        use StaticIdError::*;
        for (text, err) in [
            ("", EmptyName),
            (",k=v", EmptyName),
            ("a b", DisallowedChar),
            ("a=b", DisallowedChar),
            ("café", DisallowedChar),
            ("a,k", MissingValue),
            ("a,k,j=v", MissingValue),
            ("a,", MissingValue),
            ("a,=v", EmptyKey),
            ("a,k=", EmptyValue),
            ("a,k=,j=v", EmptyValue),
            ("a,k=v=w", DisallowedChar),
            ("a,k=v w", DisallowedChar),
            ("a,k v=w", DisallowedChar),
            ("a,k=v,k=w", UnsortedTags),
            ("a,k=v,j=w", UnsortedTags),
            ("a,kk=v,k=w", UnsortedTags),
        ] {
            assert_eq!(StaticId::new(text), Err(err), "{text:?}");
        }
    }

    #[test]
    fn atlas_limits() {
        extern crate std;
        use std::format;
        let ok = |text| StaticId::new(text).unwrap().atlas_ok();
        let name = "n".repeat(255);
        assert!(ok(&*name.clone().leak()));
        assert!(!ok(&*(name + "n").leak()));
        assert!(ok("a,kk=v"));
        assert!(!ok("a,k=v"));
        assert!(ok(
            &*format!("a,{}={}", "k".repeat(60), "v".repeat(120)).leak()
        ));
        assert!(!ok(&*format!("a,{}=v", "k".repeat(61)).leak()));
        assert!(!ok(&*format!("a,kk={}", "v".repeat(121)).leak()));
        assert!(!ok("a,kk=v,z=1"));
    }

    #[test]
    fn the_macro_renders_like_meter_id() {
        let id: MeterId<64, 4> =
            MeterId::new("appliance.events", &[("status", "ok"), ("kind", "sensor")]).unwrap();
        let fixed = static_id!("appliance.events", "kind" => "sensor", "status" => "ok");
        assert_eq!(fixed.as_str(), id.spectatord_id());
        let id: MeterId<64, 4> =
            MeterId::new("a", &[("b", "1"), ("B", "2"), ("a.b", "3")]).unwrap();
        assert_eq!(
            {
                #[allow(deprecated)] // 1-character keys: Atlas would drop this id
                let id = static_id!("a", "B" => "2", "a.b" => "3", "b" => "1",);
                id.as_str()
            },
            id.spectatord_id()
        );
    }
}
