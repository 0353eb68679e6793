//! C-string and byte-search helpers shared by the parser, the tags and the datagram splitter.

/// The length of the C string `bytes` holds: up to its first NUL.
pub(super) fn c_len(bytes: &[u8]) -> usize {
    find_byte(bytes, 0, 0).unwrap_or(bytes.len())
}

/// The index of the first `needle` at or after `from`.
pub(super) fn find_byte(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    let found = bytes.get(from..)?.iter().position(|&b| b == needle)?;
    Some(from + found)
}

/// The index of the first `,` or `:` at or after `from` (C++ `find_first_of(",:")`).
pub(super) fn find_separator(bytes: &[u8], from: usize) -> Option<usize> {
    let found = bytes
        .get(from..)?
        .iter()
        .position(|&b| b == b',' || b == b':')?;
    Some(from + found)
}

/// How many leading bytes of `bytes` are `byte`.
pub(super) fn count_leading(bytes: Option<&[u8]>, byte: u8) -> usize {
    bytes.map_or(0, |b| b.iter().take_while(|&&c| c == byte).count())
}
