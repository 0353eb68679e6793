//! `StaticId::new` against `MeterId`: a text is accepted exactly when it is what a `MeterId`
//! renders for some clean name and tags, and then it is that rendering.

use proptest::prelude::*;
use spectator_core::{MeterId, StaticId};

type Id = MeterId<512, 8>;

/// Clean fields (allowed characters only, non-empty), so `MeterId` changes nothing but order.
fn field() -> impl Strategy<Value = String> {
    "[-._~^0-9A-Za-z]{1,8}"
}

/// Any text over an alphabet with every separator and some disallowed characters, and texts
/// shaped like ids (keys in any order, repeated or empty parts), so both verdicts are common.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-c,=. é_]{0,24}",
        "(a|b|_|)(,(a|b|c|é|)=(x|_|y z|))*(,|=|)",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn a_meter_id_rendering_is_a_static_id(
        name in field(),
        tags in proptest::collection::btree_map(field(), field(), 0..6),
    ) {
        let pairs: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let id = Id::new(&name, &pairs).unwrap();
        let rendered: &'static str = Box::leak(id.spectatord_id().to_owned().into_boxed_str());
        prop_assert_eq!(StaticId::new(rendered).map(|s| s.as_str()), Ok(rendered));
    }

    #[test]
    fn a_static_id_is_a_meter_id_rendering(s in text()) {
        let leaked: &'static str = Box::leak(s.clone().into_boxed_str());
        let parsed = StaticId::new(leaked);
        // Rebuild through MeterId from the parts, if the text splits into name and k=v tags.
        let mut parts = s.split(',');
        let name = parts.next().unwrap_or_default();
        let tags: Option<Vec<(&str, &str)>> = parts.map(|t| t.split_once('=')).collect();
        let rebuilt = tags.and_then(|tags| {
            let id = Id::new(name, &tags).ok()?;
            // Same text and nothing dropped, merged or sanitized.
            (id.spectatord_id() == s && id.tags().count() == tags.len()).then_some(id)
        });
        prop_assert_eq!(parsed.is_ok(), rebuilt.is_some(), "{:?}: {:?}", s, parsed);
    }
}
