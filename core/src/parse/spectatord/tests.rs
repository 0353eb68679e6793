//! Unit tests of the spectatord line parser and datagram splitter.

extern crate std;

use std::string::{String, ToString};
use std::vec::Vec;

use super::*;

fn ok(line: &str) -> Accepted<'_> {
    match parse_line(line.as_bytes()) {
        Ok(accepted) => accepted,
        Err(e) => panic!("{line:?} rejected: {e}"),
    }
}

fn err(line: &str) -> Rejected {
    match parse_line(line.as_bytes()) {
        Ok(accepted) => panic!("{line:?} accepted: {accepted:?}"),
        Err(e) => e,
    }
}

fn message(line: &str) -> String {
    err(line).to_string()
}

fn float(line: &str) -> f64 {
    match ok(line).value {
        ParsedValue::Float(v) => v,
        other => panic!("{line:?}: {other:?}"),
    }
}

fn warning(line: &str) -> Option<String> {
    ok(line).warning.map(|w| w.to_string())
}

fn tags(line: &str) -> Vec<(&str, &str)> {
    ok(line)
        .tags
        .map(|(k, v)| {
            (
                core::str::from_utf8(k).unwrap(),
                core::str::from_utf8(v).unwrap(),
            )
        })
        .collect()
}

fn datagram(d: &[u8]) -> Vec<(usize, &[u8], Result<Accepted<'_>, Rejected>)> {
    parse_datagram(d)
        .map(|l| (l.offset, l.line, l.result))
        .collect()
}

#[test]
fn spectator_py_lines_are_accepted() {
    let a = ok("c:server.numRequests,id=failed:1");
    assert_eq!(a.symbol, b'c');
    assert_eq!(a.option, None);
    assert_eq!(a.name, b"server.numRequests");
    assert_eq!(a.value, ParsedValue::Float(1.0));
    assert_eq!(a.warning, None);
    assert_eq!(tags("c:server.numRequests,id=failed:1"), [("id", "failed")]);
    let g = ok("g,60:queue.size,k=v:42");
    assert_eq!((g.symbol, g.option), (b'g', Some(60)));
    assert_eq!(
        ok("A:time.sinceLastSuccess:0").value,
        ParsedValue::Float(0.0)
    );
    assert_eq!(
        ok("U:bytes:18446744073709551615").value,
        ParsedValue::Unsigned(u64::MAX)
    );
    assert_eq!(float("t:latency:1e-05"), 1e-5);
    for symbol in "AcCdDgmtTUX".chars() {
        let line = std::format!("{symbol}:n:1");
        assert_eq!(ok(&line).symbol, symbol as u8);
    }
}

#[test]
fn option_rules() {
    assert_eq!(ok("c,:n:1").option, Some(0));
    assert_eq!(ok("c,5:n:1").option, Some(5));
    assert_eq!(ok("c,-3:n:1").option, Some(-3));
    assert_eq!(ok("g, +7:n:1").option, Some(7));
    assert_eq!(ok("X,1543160297100:m:42").option, Some(1_543_160_297_100));
    assert_eq!(
        ok("g,99999999999999999999:n:1").option,
        Some(i64::MAX),
        "strtoll saturates"
    );
    for line in [
        "g,0:x:1",
        "g,-5:x:1",
        "g,:x:1",
        "g,abc:x:1",
        "g,-99999999999999999999:x:1",
    ] {
        assert_eq!(err(line), Rejected::InvalidGaugeTtl { index: 2 }, "{line}");
    }
    assert_eq!(
        message("g,0:x:1"),
        "Invalid ttl specified for gauge at index 2"
    );
    assert_eq!(
        err("X,0:x:1"),
        Rejected::InvalidSampledTimestamp { index: 2 }
    );
    assert_eq!(
        message("X,-1:x:1"),
        "Invalid timestamp specified for monotonic sampled source at index 2"
    );
}

#[test]
fn separator_rules() {
    assert_eq!(err("g,1.5:x:1"), Rejected::ExpectingSeparator { index: 3 });
    assert_eq!(message("g,1.5:x:1"), "Expecting separator ':' at index 3");
    assert_eq!(err("c"), Rejected::ExpectingSeparator { index: 1 });
    assert_eq!(err(""), Rejected::ExpectingSeparator { index: 1 });
    assert_eq!(err("cc:x:1"), Rejected::ExpectingSeparator { index: 1 });
    assert_eq!(err("c,"), Rejected::ExpectingSeparator { index: 2 });
    assert_eq!(err("c,abc:x:1"), Rejected::ExpectingSeparator { index: 2 });
    assert_eq!(err("c,12x:x:1"), Rejected::ExpectingSeparator { index: 4 });
    assert_eq!(err("c, 12 :x:1"), Rejected::ExpectingSeparator { index: 5 });
    // An unknown symbol still gets the separator checks first.
    assert_eq!(err("S,1.5:x:1"), Rejected::ExpectingSeparator { index: 3 });
}

#[test]
fn name_rules() {
    assert_eq!(err("c::1"), Rejected::MissingName);
    assert_eq!(message("c::1"), "Missing name");
    assert_eq!(err("c:,a=b:1"), Rejected::MissingName);
    assert_eq!(err("c:"), Rejected::MissingName);
    assert_eq!(err("c:name"), Rejected::MissingName);
    assert_eq!(err("c:name 1"), Rejected::MissingName);
    assert_eq!(err("S::1"), Rejected::MissingName);
    assert_eq!(parse_line(b"c:a b\xff:1").unwrap().name, b"a b\xff");
}

#[test]
fn tag_rules() {
    assert_eq!(
        tags("c:n,foo=bar,k=v1,k2=v2:2"),
        [("foo", "bar"), ("k", "v1"), ("k2", "v2")]
    );
    // Empty keys and values are accepted.
    assert_eq!(tags("c:n,=:1"), [("", "")]);
    assert_eq!(tags("c:n,a=:1"), [("a", "")]);
    assert_eq!(tags("c:n,=b:1"), [("", "b")]);
    // The key runs to the next `=` wherever it is.
    assert_eq!(tags("c:n,a:b=c:1"), [("a:b", "c")]);
    assert_eq!(tags("c:n,a,b=c:1"), [("a,b", "c")]);
    // The value runs to the next `,` or `:`; `=` is an ordinary byte in it.
    assert_eq!(tags("c:n,a=b=c:1"), [("a", "b=c")]);
    assert_eq!(message("c:n,a=b"), "Missing value");
    assert_eq!(err("c:n,a=b,c=d"), Rejected::MissingValue);
    assert_eq!(err("S:n,a=b"), Rejected::MissingValue);
}

#[test]
fn repeated_keys_keep_the_last_value() {
    let a = ok("c:n,k=1,j=2,k=3:1");
    assert_eq!(a.tags.count(), 3);
    assert_eq!(a.tags.get(b"k"), Some(&b"3"[..]));
    assert_eq!(a.tags.get(b"j"), Some(&b"2"[..]));
    assert_eq!(a.tags.get(b"x"), None);
    assert_eq!(ok("c:n:1").tags.count(), 0);
}

#[test]
fn comma_without_equals_skips_one_byte() {
    // Tag parsing stops; the value starts two bytes after the `,`.
    let a = ok("c:n,:5");
    assert_eq!((a.name, a.tags.count()), (&b"n"[..], 0));
    assert_eq!(a.value, ParsedValue::Float(5.0));
    assert_eq!(float("c:n,x5"), 5.0);
    assert_eq!(float("c:n,a=b,:7"), 7.0);
    assert_eq!(tags("c:n,a=b,:7"), [("a", "b")]);
    assert_eq!(err("c:n,a:1"), Rejected::UnparsableValue);
    assert_eq!(err("c:n,:"), Rejected::UnparsableValue);
    assert_eq!(err("c:n,a=b,cd:1"), Rejected::UnparsableValue);
}

#[test]
fn trailing_comma_reads_past_a_lone_line_as_empty() {
    assert_eq!(err("c:n,"), Rejected::UnparsableValue);
    assert_eq!(err("c:n,a=b,"), Rejected::UnparsableValue);
}

#[test]
fn value_forms() {
    assert_eq!(float("c:x:.001"), 0.001);
    assert_eq!(float("c:x:1e+16"), 1e16);
    assert_eq!(float("c:x:0x1p3"), 8.0);
    assert_eq!(float("c:x: \t42"), 42.0);
    assert_eq!(float("c:x:+Inf"), f64::INFINITY);
    assert_eq!(float("c:x:infinity"), f64::INFINITY);
    assert_eq!(float("c:x:-inf"), f64::NEG_INFINITY);
    assert!(float("c:x:nan").is_nan());
    assert!(float("c:x:NaN").is_nan());
    let negative_nan = float("c:x:-nan");
    assert!(negative_nan.is_nan() && negative_nan.is_sign_negative());
    assert_eq!(float("c:x:1\r"), 1.0);
    assert_eq!(warning("c:x:1\r"), None);
    assert_eq!(err("c:x:"), Rejected::UnparsableValue);
    assert_eq!(err("c:x:abc"), Rejected::UnparsableValue);
    assert_eq!(message("c:x:True"), "Unable to parse value for measurement");
    assert_eq!(err("c:x:."), Rejected::UnparsableValue);
}

#[test]
fn unsigned_values() {
    assert_eq!(
        ok("U:x:-1").value,
        ParsedValue::Unsigned(18_446_744_073_709_551_615)
    );
    assert_eq!(
        ok("U:x:99999999999999999999").value,
        ParsedValue::Unsigned(u64::MAX)
    );
    assert_eq!(warning("U:x:99999999999999999999"), None);
    let a = ok("U:x:21.5");
    assert_eq!(a.value, ParsedValue::Unsigned(21));
    assert_eq!(
        a.warning.unwrap().to_string(),
        "Got 21 parsing value, ignoring chars starting at .5"
    );
    assert_eq!(
        warning("U:x:1e3").unwrap(),
        "Got 1 parsing value, ignoring chars starting at e3"
    );
    assert_eq!(err("U:x:nan"), Rejected::UnparsableValue);
    assert_eq!(err("U:x:.5"), Rejected::UnparsableValue);
}

#[test]
fn trailing_bytes_give_a_warning() {
    let a = ok("c:name:123abc");
    assert_eq!(a.value, ParsedValue::Float(123.0));
    assert_eq!(a.warning.unwrap().ignored, b"abc");
    assert_eq!(
        warning("c:name:123abc").unwrap(),
        "Got 123 parsing value, ignoring chars starting at abc"
    );
    assert_eq!(
        warning("c:x:1e").unwrap(),
        "Got 1 parsing value, ignoring chars starting at e"
    );
    assert_eq!(
        warning("c:x:1.5:2").unwrap(),
        "Got 1.5 parsing value, ignoring chars starting at :2"
    );
    assert_eq!(
        warning("g:x:1e20x").unwrap(),
        "Got 1e+20 parsing value, ignoring chars starting at x"
    );
    assert_eq!(
        warning("g:x:-nan(").unwrap(),
        "Got -nan parsing value, ignoring chars starting at ("
    );
    assert_eq!(
        warning("g:x:infx").unwrap(),
        "Got inf parsing value, ignoring chars starting at x"
    );
    assert_eq!(
        warning("g:x:1\u{e9}").unwrap(),
        "Got 1 parsing value, ignoring chars starting at \u{e9}"
    );
    let raw = parse_line(b"g:x:1\xff!").unwrap().warning.unwrap();
    assert_eq!(
        raw.to_string(),
        "Got 1 parsing value, ignoring chars starting at \u{fffd}!"
    );
    // Only the first byte after the number is looked at.
    assert_eq!(warning("c:x:1 junk"), None);
    assert_eq!(warning("c:x:1\tjunk"), None);
}

#[test]
fn unknown_types_are_checked_last() {
    assert_eq!(err("S:x:AQ=="), Rejected::UnparsableValue);
    assert_eq!(message("S:x:AQ=="), "Unable to parse value for measurement");
    assert_eq!(err("S:x:12"), Rejected::UnknownType { symbol: b'S' });
    assert_eq!(message("S:x:12"), "Unknown type: S");
    assert_eq!(message("s:x:12"), "Unknown type: s");
    assert_eq!(
        message("S:users:aMOpbGxv"),
        "Unable to parse value for measurement"
    );
    assert_eq!(message("1:c:1"), "Unknown type: 1");
    assert_eq!(err("1:c:x:1"), Rejected::UnparsableValue);
    assert_eq!(
        parse_line(b"\xc3:x:1").unwrap_err().to_string(),
        "Unknown type: \u{fffd}"
    );
    // The option of an unknown type is parsed and kept before it fails.
    assert_eq!(err("Z,0:x:1"), Rejected::UnknownType { symbol: b'Z' });
}

/// The warning `parse_datagram` gives with each line, as spectatord logs it.
fn logged_warning(d: &str) -> Vec<Option<String>> {
    parse_datagram(d.as_bytes())
        .map(|l| l.warning.map(|w| w.logged().to_string()))
        .collect()
}

#[test]
fn unknown_types_with_trailing_chars_log_the_warning_first() {
    // spectatord 429cd8d: `get_measurement` sets the warning, `parse_line` logs it, then the
    // switch on the type rejects the line.
    let line = parse_datagram(b"S:x:5x").next().unwrap();
    assert_eq!(line.result, Err(Rejected::UnknownType { symbol: b'S' }));
    let warning = line.warning.unwrap();
    assert_eq!(warning.value, ParsedValue::Float(5.0));
    assert_eq!(
        (warning.ignored, warning.measurement),
        (&b"x"[..], &b"x:5x"[..])
    );
    assert_eq!(
        warning.logged().to_string(),
        "While parsing x:5x: Got 5 parsing value, ignoring chars starting at x"
    );
    assert_eq!(
        logged_warning(
            "S:x:5x
c,7:req,k=v:1x
S:x:5
S:x:AQ==
g,0:q:1x
q:x:1 x
Z,3:n,a=b:2.5.1"
        ),
        [
            Some("While parsing x:5x: Got 5 parsing value, ignoring chars starting at x".into()),
            Some(
                "While parsing req,k=v:1x: Got 1 parsing value, ignoring chars starting at x"
                    .into()
            ),
            // No trailing characters, a value that does not parse, an error before the value,
            // a C space after the value: no warning.
            None,
            None,
            None,
            None,
            Some(
                "While parsing n,a=b:2.5.1: Got 2.5 parsing value, ignoring chars starting at .1"
                    .into()
            ),
        ]
    );
    // The accepted line's warning is the same as `Accepted::warning`.
    let accepted = parse_datagram(b"c:n:1x").next().unwrap();
    assert_eq!(accepted.warning, accepted.result.unwrap().warning);
}

#[test]
fn x_rules() {
    let x = ok("X:x:1");
    assert_eq!((x.symbol, x.option), (b'X', None));
    assert!(!x.is_recorded());
    assert!(ok("X,1543160297100:x:1").is_recorded());
    assert!(ok("c:x:1").is_recorded());
}

#[test]
fn nul_ends_a_line() {
    assert_eq!(float("c:x:12\x0034"), 12.0);
    assert_eq!(warning("c:x:12\x00junk"), None);
    assert_eq!(err("c:x\x00:1"), Rejected::MissingName);
}

#[test]
fn fmt_style_numbers() {
    let shown = |v: f64| ParsedValue::Float(v).to_string();
    assert_eq!(shown(0.0), "0");
    assert_eq!(shown(-0.0), "-0");
    assert_eq!(shown(1.0), "1");
    assert_eq!(shown(123.0), "123");
    assert_eq!(shown(1.5), "1.5");
    assert_eq!(shown(-2.25), "-2.25");
    assert_eq!(shown(0.1), "0.1");
    assert_eq!(shown(0.0001), "0.0001");
    assert_eq!(shown(0.00012), "0.00012");
    assert_eq!(shown(0.00001), "1e-05");
    assert_eq!(shown(1.5e-7), "1.5e-07");
    assert_eq!(shown(1e15), "1000000000000000");
    assert_eq!(shown(1.5e15), "1500000000000000");
    assert_eq!(shown(1234567.125), "1234567.125");
    assert_eq!(shown(1e16), "1e+16");
    assert_eq!(shown(1.2345e16), "1.2345e+16");
    assert_eq!(shown(1e100), "1e+100");
    assert_eq!(shown(f64::MAX), "1.7976931348623157e+308");
    assert_eq!(shown(f64::from_bits(1)), "5e-324");
    assert_eq!(shown(f64::INFINITY), "inf");
    assert_eq!(shown(f64::NEG_INFINITY), "-inf");
    assert_eq!(shown(f64::NAN), "nan");
    assert_eq!(shown(-f64::NAN), "-nan");
    assert_eq!(
        ParsedValue::Unsigned(u64::MAX).to_string(),
        "18446744073709551615"
    );
}

#[test]
fn rejected_index_accessor() {
    assert_eq!(err("g,0:x:1").index(), Some(2));
    assert_eq!(err("g,1.5:x:1").index(), Some(3));
    assert_eq!(err("c::1").index(), None);
    assert_eq!(err("S:x:1").index(), None);
}

#[test]
fn datagram_splitting() {
    let lines = datagram(b"c:a:1\nc:b:2\n\n\nc:c:3\n\n");
    let offsets: Vec<usize> = lines.iter().map(|l| l.0).collect();
    assert_eq!(offsets, [0, 6, 14]);
    assert_eq!(lines[2].1, b"c:c:3");
    assert!(lines.iter().all(|l| l.2.is_ok()));
    assert!(datagram(b"").is_empty());
    assert!(datagram(b"\0c:a:1").is_empty());
    assert_eq!(datagram(b"c:a:1").len(), 1);
    // A NUL ends the datagram.
    let lines = datagram(b"c:a:1\nc:b:2\0\nc:c:3");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1].1, b"c:b:2");
    // `\r\n` leaves the `\r` in the line, harmless after a value.
    let lines = datagram(b"c:a:1\r\nc:b,k=v\r:2\r\n");
    assert_eq!(lines[0].1, b"c:a:1\r");
    assert_eq!(lines[0].2.unwrap().warning, None);
    let second = lines[1].2.unwrap();
    assert_eq!(second.tags.get(b"k"), Some(&b"v\r"[..]));
}

#[test]
fn leading_newline_is_one_error_that_reads_ahead() {
    let lines = datagram(b"\nc:a:1");
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[0].0, lines[0].1), (0, &b""[..]));
    assert_eq!(lines[0].2, Err(Rejected::ExpectingSeparator { index: 1 }));
    assert!(lines[1].2.is_ok());
    assert_eq!(
        datagram(b"\n")[0].2,
        Err(Rejected::ExpectingSeparator { index: 1 })
    );
    let lines = datagram(b"\n\n\nc:a:1\n");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1].0, 3);
    // The bytes after the `\n` are read as the rest of the empty line.
    let lines = datagram(b"\n:x:1\nc:a:1");
    assert_eq!(lines[0].2, Err(Rejected::UnknownType { symbol: 0 }));
    assert_eq!(lines[0].2.unwrap_err().to_string(), "Unknown type: \0");
    assert_eq!(lines[1].1, b":x:1");
    assert_eq!(
        datagram(b"\n,0x:1")[0].2,
        Err(Rejected::ExpectingSeparator { index: 3 })
    );
    assert_eq!(
        datagram(b"\n,0:x:1")[0].2,
        Err(Rejected::UnknownType { symbol: 0 })
    );
    assert_eq!(
        datagram(b"\n:x,a=b\nc:1")[0].2,
        Err(Rejected::UnknownType { symbol: 0 })
    );
    assert_eq!(datagram(b"\n:\n")[0].2, Err(Rejected::MissingName));
}

#[test]
fn trailing_comma_reads_the_next_line() {
    let lines = datagram(b"c:n,\n5");
    let first = lines[0].2.unwrap();
    assert_eq!(
        (first.name, first.value),
        (&b"n"[..], ParsedValue::Float(5.0))
    );
    assert_eq!(lines[1].2, Err(Rejected::ExpectingSeparator { index: 1 }));
    // Later `\n`s are still in place: whitespace to strtod, and part of the ignored text.
    let lines = datagram(b"c:n,\n\n\n7x\nc:y:1");
    let first = lines[0].2.unwrap();
    assert_eq!(first.value, ParsedValue::Float(7.0));
    assert_eq!(first.warning.unwrap().ignored, b"x\nc:y:1");
    assert_eq!(lines.len(), 3);
    assert_eq!(
        datagram(b"c:n,\nc:y:1")[0].2,
        Err(Rejected::UnparsableValue)
    );
    assert_eq!(datagram(b"c:n,")[0].2, Err(Rejected::UnparsableValue));
}

#[test]
fn trailing_comma_reads_past_a_nul() {
    let lines = datagram(b"X:X,\x001");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].1, b"X:X,");
    let first = lines[0].2.unwrap();
    assert_eq!(
        (first.name, first.value),
        (&b"X"[..], ParsedValue::Float(1.0))
    );
    let a = parse_line(b"c:n,\x00 5 x").unwrap();
    assert_eq!(a.value, ParsedValue::Float(5.0));
    assert_eq!(a.warning, None);
    // The read stops at the next NUL.
    assert_eq!(err("c:n,\x00\x005"), Rejected::UnparsableValue);
    // Only the value is read there: a trailing `=` still needs its `,` or `:` in the line.
    assert_eq!(err("c:n,a=\x00:1"), Rejected::MissingValue);
}

#[test]
fn datagram_lines_match_parse_line_for_ordinary_lines() {
    let d = b"c:a:1\ng,0:b:1\nS:c:12\nd:e,k=v:3.5x\n";
    for l in parse_datagram(d) {
        assert_eq!(l.result, parse_line(l.line), "{:?}", l.line);
    }
}

#[test]
fn hostile_inputs_do_not_panic() {
    let samples: [&[u8]; 12] = [
        b"",
        b"\n",
        b",",
        b":",
        b",,",
        b"g,",
        b"c:,",
        b"c:n,=",
        b"c:n,a=,",
        b"\xff\xfe",
        b"c:n,a=b:\xff",
        b"\n\n,\n:\n,",
    ];
    for s in samples {
        let _ = parse_line(s);
        let _ = parse_datagram(s).count();
    }
    for a in 0..=255u8 {
        for b in [b',', b':', b'=', b'\n', b'1', 0, a] {
            let line = [a, b, b':', a, b, b'1', a];
            let _ = parse_line(&line).map(|x| x.tags.count());
            let _ = parse_datagram(&line).count();
        }
    }
}
