//! Property tests: every line the core emits is one line, has the shape of spec §1, and is
//! accepted by the spectatord acceptance rules (except `S`, which spectatord 429cd8d rejects).

use proptest::prelude::*;
use spectator_core::parse::{python, spectatord};
use spectator_core::sanitize::is_allowed;
use spectator_core::{Measurement, MeterId, MeterKind, Value};

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._~^-]{0,12}",
        "[ ,=:\n\t\r\u{0}\u{7f}a-z]{0,8}",
        any::<String>().prop_map(|s| s.chars().take(16).collect()),
        "[éü😀ключ\u{301}\u{a0}\u{fffd}x]{0,6}",
    ]
}

fn any_value() -> impl Strategy<Value = (Value<'static>, Option<&'static [u8]>)> {
    prop_oneof![
        any::<i64>().prop_map(|v| (Value::Int(v), None)),
        any::<u64>().prop_map(|v| (Value::UInt(v), None)),
        any::<u64>().prop_map(|bits| (Value::Float(f64::from_bits(bits)), None)),
        prop::sample::select(vec![
            0.0,
            -0.0,
            1e16,
            1e-5,
            5e-324,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY
        ])
        .prop_map(|v| (Value::Float(v), None)),
        any::<i64>().prop_map(|v| (Value::IntBytes(v.to_le_bytes()), None)),
    ]
}

/// Checks the §1 grammar by hand and returns the value text.
fn check_shape(line: &str, kind: MeterKind, ttl: Option<u32>) -> &str {
    assert!(!line.contains('\n'), "one line: {line:?}");
    assert!(line.is_ascii(), "ASCII: {line:?}");
    let (head, rest) = line.split_once(':').expect("type field");
    let mut type_field = head.split(',');
    assert_eq!(type_field.next().unwrap().as_bytes(), [kind.symbol()]);
    assert_eq!(type_field.next().map(|t| t.parse::<u32>().unwrap()), ttl);
    let (id, value) = rest.rsplit_once(':').expect("id and value");
    let mut parts = id.split(',');
    let name = parts.next().unwrap();
    assert!(
        !name.is_empty() && name.bytes().all(is_allowed),
        "name {name:?}"
    );
    for tag in parts {
        let (k, v) = tag.split_once('=').expect("k=v");
        assert!(!k.is_empty() && !v.is_empty(), "tag {tag:?}");
        assert!(k.bytes().chain(v.bytes()).all(is_allowed), "tag {tag:?}");
    }
    value
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn every_line_is_well_formed_and_accepted(
        name in any_text(),
        tags in prop::collection::vec((any_text(), any_text()), 0..6),
        kind in prop::sample::select(MeterKind::ALL.to_vec()),
        (value, _) in any_value(),
        ttl in prop::option::of(1u32..=u32::MAX),
    ) {
        let tag_refs: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let Ok(id) = MeterId::<2048, 8>::new(&name, &tag_refs) else {
            prop_assert!(name.is_empty());
            return Ok(());
        };
        let value = match (kind, value) {
            (MeterKind::DistinctCountSketch, v @ (Value::IntBytes(_) | Value::Bytes(_))) => v,
            (MeterKind::DistinctCountSketch, _) => Value::Bytes(name.as_bytes()),
            (_, Value::IntBytes(b)) => Value::Int(i64::from_le_bytes(b)),
            (MeterKind::MonotonicCounterUint, Value::Int(v)) => Value::UInt(v as u64),
            (MeterKind::MonotonicCounterUint, Value::Float(v)) => Value::UInt(v.to_bits()),
            (_, v) => v,
        };
        let Some(m) = Measurement::filtered(kind, id.spectatord_id(), value) else {
            prop_assert!(!kind.accepts(&value));
            return Ok(());
        };
        let m = m.with_ttl(ttl.and_then(core::num::NonZeroU32::new));
        let mut line: heapless::String<4096> = heapless::String::new();
        m.write_to(&mut line).unwrap();
        let ttl_written = if kind == MeterKind::Gauge { ttl } else { None };
        let value_text = check_shape(&line, kind, ttl_written);

        let py = python::parse_protocol_line(&line).unwrap();
        prop_assert_eq!(py.value, value_text);

        let verdict = spectatord::parse_line(line.as_bytes());
        if kind == MeterKind::DistinctCountSketch {
            prop_assert!(verdict.is_err(), "spectatord 429cd8d has no S type");
        } else {
            let accepted = verdict.unwrap_or_else(|e| panic!("{line:?} rejected: {e}"));
            prop_assert!(accepted.warning.is_none(), "{line:?} accepted with a warning");
            prop_assert_eq!(accepted.symbol, kind.symbol());
        }
    }
}
