//! The README's `metrics` facade example is the crate's first doctest, line for line (the
//! README's Rust blocks are spectator-std's doctests, which cannot use this crate, so the
//! README marks it `ignore` and this test keeps the two the same).

#[test]
fn the_readme_example_is_the_crate_doctest() {
    let readme = include_str!("../../README.md");
    let lib = include_str!("../src/lib.rs");
    let section = &readme[readme.find("## Using the `metrics` facade").unwrap()..];
    let block = section
        .split("```rust,ignore\n")
        .nth(1)
        .and_then(|b| b.split("```\n").next())
        .unwrap();
    let block: Vec<&str> = block.lines().skip(1).collect(); // after the comment line
    let doc = lib.split("//! ```\n").nth(1).unwrap();
    let doc: Vec<&str> = doc
        .lines()
        .map(|l| l.strip_prefix("//! ").or(l.strip_prefix("//!")).unwrap())
        .collect();
    assert_eq!(block, doc);
}
