//! `sanitize::write_sanitized` against a one-line model of spec §3.1.
//!
//! Input layout: byte 0 picks the length of a clean prefix already in the target, byte 1 the
//! capacity of a small `SliceWriter`; the rest is the text, taken as UTF-8 when valid and through
//! `String::from_utf8_lossy` always (so invalid input is exercised as U+FFFD).
//!
//! Checked for every target (`heapless::String<4096>`, `heapless::Vec<u8, 4096>`, a
//! `SliceWriter` of fuzzed capacity):
//! * on success: the output is the prefix followed by exactly the model's text (every `char`
//!   outside `-._~^0-9A-Za-z` becomes one `_`), its length is `sanitized_len(input)`, every byte
//!   is `is_allowed`, and clean input is copied unchanged;
//! * `Err(Overflow)` exactly when prefix + `sanitized_len` exceeds the capacity, and then the
//!   target is unchanged (all or nothing);
//! * `is_allowed` matches the allow-list, `is_clean` matches "the model changes nothing".
#![no_main]

use libfuzzer_sys::fuzz_target;
use spectator_core::sanitize::{is_allowed, is_clean, sanitized_len, write_sanitized, REPLACEMENT};
use spectator_core::{LineWrite, Overflow, SliceWriter};

const CAP: usize = 4096;

/// The allow-list, written independently of the crate's table.
fn model_allowed(b: u8) -> bool {
    b.is_ascii_digit()
        || b.is_ascii_uppercase()
        || b.is_ascii_lowercase()
        || matches!(b, b'-' | b'.' | b'_' | b'~' | b'^')
}

/// Spec §3.1: one output byte per `char`.
fn model(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() && model_allowed(c as u8) {
                c
            } else {
                char::from(REPLACEMENT)
            }
        })
        .collect()
}

/// Runs `write_sanitized` on a target that already holds `prefix` and has room for `cap` bytes.
fn check_target<W: LineWrite>(
    out: &mut W,
    contents: impl Fn(&W) -> &[u8],
    cap: usize,
    prefix: &str,
    s: &str,
) {
    out.push_text(prefix)
        .expect("the prefix fits the target by construction");
    assert_eq!(out.written(), prefix.len());
    let expected = model(s);
    let result = write_sanitized(out, s);
    if prefix.len() + expected.len() > cap {
        assert_eq!(result, Err(Overflow), "{s:?} cannot fit {cap} bytes");
        assert_eq!(
            contents(out),
            prefix.as_bytes(),
            "overflow changed the target"
        );
        assert_eq!(out.written(), prefix.len());
        return;
    }
    assert_eq!(result, Ok(()), "{s:?} fits {cap} bytes");
    let written = contents(out);
    assert_eq!(written.len(), out.written());
    let (head, tail) = written.split_at(prefix.len());
    assert_eq!(head, prefix.as_bytes(), "the prefix was changed");
    assert_eq!(tail, expected.as_bytes(), "sanitized {s:?}");
    assert_eq!(tail.len(), sanitized_len(s));
    assert!(tail.iter().all(|&b| is_allowed(b)), "{tail:?}");
    if is_clean(s) {
        assert_eq!(tail, s.as_bytes(), "clean input must be copied unchanged");
    }
}

fn check(prefix: &str, small_cap: usize, s: &str) {
    // The model and the crate agree on the text as a whole.
    let expected = model(s);
    assert_eq!(sanitized_len(s), s.chars().count());
    assert_eq!(sanitized_len(s), expected.len());
    assert_eq!(is_clean(s), expected == s, "is_clean({s:?})");
    for b in s.bytes() {
        assert_eq!(is_allowed(b), model_allowed(b), "is_allowed({b:#04x})");
    }

    let mut string: heapless::String<CAP> = heapless::String::new();
    check_target(&mut string, |w| w.as_bytes(), CAP, prefix, s);

    let mut vec: heapless::Vec<u8, CAP> = heapless::Vec::new();
    check_target(&mut vec, |w| w.as_slice(), CAP, prefix, s);

    let mut storage = [0u8; 256];
    let cap = small_cap.max(prefix.len());
    let mut slice = SliceWriter::new(&mut storage[..cap]);
    check_target(&mut slice, |w| w.as_bytes(), cap, prefix, s);
}

fuzz_target!(|data: &[u8]| {
    let [prefix_len, small_cap, text @ ..] = data else {
        return;
    };
    // A clean ASCII prefix of 0..=31 bytes, so that overflow has something to roll back to.
    let prefix = &"abcdefghijklmnopqrstuvwxyz-._~^0"[..usize::from(prefix_len % 32)];
    let small_cap = usize::from(*small_cap);

    if let Ok(s) = core::str::from_utf8(text) {
        check(prefix, small_cap, s);
    }
    let lossy = String::from_utf8_lossy(text);
    check(prefix, small_cap, &lossy);
});
