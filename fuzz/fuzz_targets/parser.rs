//! Both parsers on arbitrary bytes.
//!
//! `parse::python::parse_protocol_line` (on valid UTF-8):
//! * accepts exactly the lines with two `:` whose tags each have one `=`, with the error the
//!   `:` and `=` counts call for otherwise;
//! * symbol, name and value are slices of the input at the places the model says (symbol a
//!   prefix of the first field, name a prefix of the id, value the last field), the line is
//!   `first:id:value`, and the tags are the id's `,`-separated `k=v` parts.
//!
//! `parse::spectatord::parse_line` and `parse_datagram` (on any bytes):
//! * no panic; an accepted line has a known symbol (its first byte), a non-empty name without
//!   `,` `:` or NUL, a positive option on `g` and `X`, and name and tags that are slices of the
//!   line and warning text a slice of the input; a rejection's index lies within the line;
//! * `parse_datagram` yields lines in order at their offsets, without `\n` or NUL, non-empty
//!   except a first line at offset 0 when the datagram starts with `\n`, and covering every
//!   byte before the first NUL that is not `\n`; each line's verdict is `parse_line`'s unless
//!   the line ends with `,` (spectatord then reads the next line) or is that empty first line,
//!   and it always is `parse_line`'s verdict on the rest of the datagram with the line's `\n`
//!   made a NUL (spectatord's own view of its buffer), reads past the line's end included;
//! * `parse_line` reads past a NUL only for a line that ends with `,` or starts with the NUL,
//!   and a line without `\n` gets the verdict of the first line of the same bytes as a datagram.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spectator_core::parse::python::{parse_protocol_line, PyParseError};
use spectator_core::parse::spectatord::{self, Accepted, Rejected};

/// Whether `part` lies inside `whole` (by address).
fn within(whole: &[u8], part: &[u8]) -> bool {
    let start = whole.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    part.is_empty() || (p >= start && p + part.len() <= start + whole.len())
}

/// The byte offset of `part` in `whole`, which must hold it.
fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    assert!(within(whole, part), "not a slice of the input");
    part.as_ptr() as usize - whole.as_ptr() as usize
}

fn check_python(line: &str) {
    let colons = line.bytes().filter(|&b| b == b':').count();
    let result = parse_protocol_line(line);
    if colons < 2 {
        assert_eq!(result, Err(PyParseError::NotEnoughFields(colons + 1)));
        return;
    }
    if colons > 2 {
        assert_eq!(result, Err(PyParseError::TooManyFields));
        return;
    }
    let mut fields = line.split(':');
    let (first, id, value) = (
        fields.next().unwrap(),
        fields.next().unwrap(),
        fields.next().unwrap(),
    );
    let tag_texts: Vec<&str> = id.split(',').skip(1).collect();
    let bad_tag = tag_texts
        .iter()
        .map(|t| t.bytes().filter(|&b| b == b'=').count())
        .find(|&n| n != 1);
    match bad_tag {
        Some(0) => {
            assert_eq!(result, Err(PyParseError::TagWithoutValue));
            return;
        }
        Some(_) => {
            assert_eq!(result, Err(PyParseError::TagWithExtraEquals));
            return;
        }
        None => {}
    }
    let py = result.expect("two colons and well-formed tags are accepted");
    let bytes = line.as_bytes();
    // Every slice is a substring of the input, at the right place.
    assert_eq!(offset_in(bytes, py.symbol.as_bytes()), 0);
    assert_eq!(py.symbol, first.split(',').next().unwrap());
    let id_at = first.len() + 1;
    if !py.name.is_empty() {
        assert_eq!(offset_in(bytes, py.name.as_bytes()), id_at);
    }
    assert_eq!(py.name, id.split(',').next().unwrap());
    if !py.value.is_empty() {
        assert_eq!(offset_in(bytes, py.value.as_bytes()), id_at + id.len() + 1);
    }
    assert_eq!(py.value, value);
    for text in [py.symbol, py.name, py.value] {
        assert!(within(bytes, text.as_bytes()));
        assert!(!text.contains(':'));
    }
    assert!(!py.symbol.contains(',') && !py.name.contains(','));
    let tags: Vec<(&str, &str)> = py.tags().collect();
    assert_eq!(tags.len(), tag_texts.len());
    for ((k, v), text) in tags.iter().zip(&tag_texts) {
        assert!(within(bytes, k.as_bytes()) && within(bytes, v.as_bytes()));
        assert_eq!(format!("{k}={v}"), *text);
    }
    if let Some(kind) = py.kind() {
        assert_eq!(py.symbol.as_bytes(), [kind.symbol()]);
    }
}

/// Properties of an accepted line whose own bytes are `line`, inside the buffer `input`.
fn check_accepted(input: &[u8], line: &[u8], accepted: &Accepted<'_>) {
    assert_eq!(Some(&accepted.symbol), line.first());
    assert!(
        b"AcCdDgmtTUX".contains(&accepted.symbol),
        "{:?}",
        accepted.symbol
    );
    assert!(!accepted.name.is_empty(), "accepted with an empty name");
    assert!(within(line, accepted.name), "the name is not in its line");
    assert!(!accepted.name.iter().any(|b| matches!(b, b',' | b':' | 0)));
    if accepted.symbol == b'g' || accepted.symbol == b'X' {
        assert!(accepted.option.is_none_or(|o| o > 0), "{accepted:?}");
    }
    assert_eq!(
        accepted.is_recorded(),
        accepted.symbol != b'X' || accepted.option.is_some()
    );
    for (k, v) in accepted.tags {
        assert!(within(line, k) && within(line, v), "a tag outside its line");
        assert!(!v.iter().any(|b| matches!(b, b',' | b':' | 0)));
        assert!(!k.contains(&b'='));
    }
    if let Some(w) = accepted.warning {
        // The value may be read from the next line of the datagram (a trailing `,`).
        assert!(within(input, w.ignored));
        assert!(!w.ignored.is_empty());
        assert!(same(&w.value, &accepted.value));
        let _ = w.to_string();
    }
    let _ = accepted.value.to_string();
}

/// Results compared through `Debug`, where NaN values are equal (and `-0.0` is not `0.0`).
fn same<T: core::fmt::Debug, U: core::fmt::Debug>(a: &T, b: &U) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

fn check_line(line: &[u8]) {
    let result = spectatord::parse_line(line);
    let until_nul = line.split(|&b| b == 0).next().unwrap();
    match &result {
        Ok(accepted) => check_accepted(line, until_nul, accepted),
        Err(rejected) => {
            if let Some(index) = rejected.index() {
                // A line that starts with NUL has symbol NUL and is read past its end, as
                // spectatord reads its buffer; otherwise indexes stay within the line.
                let bound = if until_nul.is_empty() {
                    line.len().max(1)
                } else {
                    until_nul.len()
                };
                assert!(index <= bound, "{rejected:?} in {line:?}");
            }
            if let Rejected::UnknownType { symbol } = rejected {
                assert_eq!(Some(symbol), until_nul.first().or(Some(&0)));
            }
            let _ = rejected.to_string();
        }
    }
    // Bytes after a NUL are read only when the line ends with `,` (or starts with the NUL).
    if !until_nul.is_empty() && until_nul.last() != Some(&b',') {
        assert!(
            same(&spectatord::parse_line(until_nul), &result),
            "{line:?}"
        );
    }
    // Without `\n`, a line is judged as the first line of the same bytes as a datagram.
    if !until_nul.is_empty() && !line.contains(&b'\n') {
        let mut lines = spectatord::parse_datagram(line);
        let first = lines.next().unwrap();
        assert_eq!((first.offset, first.line), (0, until_nul));
        assert!(same(&first.result, &result), "{line:?}");
        assert!(lines.next().is_none());
    }
}

fn check_datagram(datagram: &[u8]) {
    let bytes = datagram.split(|&b| b == 0).next().unwrap();
    let mut covered: Vec<u8> = Vec::new();
    let mut next_offset = 0;
    for (i, l) in spectatord::parse_datagram(datagram).enumerate() {
        assert!(l.offset >= next_offset, "lines out of order");
        assert_eq!(&bytes[l.offset..l.offset + l.line.len()], l.line);
        assert!(!l.line.contains(&b'\n') && !l.line.contains(&0));
        let leading_empty = i == 0 && l.offset == 0 && bytes.first() == Some(&b'\n');
        if leading_empty {
            assert!(l.line.is_empty());
            assert!(l.result.is_err(), "the empty first line is always rejected");
        } else {
            assert!(!l.line.is_empty(), "an empty line at {}", l.offset);
            // Only the `\n`s between lines are skipped.
            assert!(bytes[next_offset..l.offset].iter().all(|&b| b == b'\n'));
            // Only a trailing `,` makes spectatord read beyond the line.
            if l.line.last() != Some(&b',') {
                assert!(
                    same(&l.result, &spectatord::parse_line(l.line)),
                    "{:?}",
                    l.line
                );
            }
        }
        // spectatord's view of the line: the rest of the datagram with the line's `\n` made a
        // NUL. `parse_line` on exactly that gives the datagram's verdict, reads past the end
        // included.
        let mut rest = datagram[l.offset..].to_vec();
        if let Some(end) = rest.get_mut(l.line.len()) {
            *end = 0;
        }
        assert!(
            same(&l.result, &spectatord::parse_line(&rest)),
            "line at {} of {datagram:?}",
            l.offset
        );
        if let Ok(accepted) = &l.result {
            check_accepted(datagram, l.line, accepted);
        }
        covered.extend_from_slice(l.line);
        next_offset = l.offset + l.line.len();
    }
    assert!(bytes[next_offset..].iter().all(|&b| b == b'\n'));
    let expected: Vec<u8> = bytes.iter().copied().filter(|&b| b != b'\n').collect();
    assert_eq!(covered, expected, "lines do not cover the datagram");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = core::str::from_utf8(data) {
        check_python(text);
        for line in text.split('\n') {
            check_python(line);
        }
    }
    check_line(data);
    check_datagram(data);
    for line in data.split(|&b| b == b'\n') {
        check_line(line);
    }
});
