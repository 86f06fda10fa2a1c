//! Test support for the services' policy books, next to [`crate::policy::testing`]: the
//! refusals every service's loader must make the same way, so an old or mistyped book fails
//! at start-up instead of running on a default.

use std::fmt::Debug;

use crate::policy::PolicyError;
use crate::policy::testing::edited;

/// Asserts that `load` refuses, each for being no book at all:
/// - an empty book ([`PolicyError::Empty`]);
/// - `book` with its years nested under `[years.N]` (the layout before the runtime's one
///   book format), naming the nested table; `first_year` is the year of `book`'s first
///   entry;
/// - `book` without its line `key_line` (`key = value`), and with a misspelt copy of that
///   key next to it;
/// - `book` with each of the service's own `bad_edits` made alone (`from` replaced by `to`;
///   `from` must occur).
pub fn assert_refuses_bad_books<T: Debug>(
    load: impl Fn(&str) -> Result<T, PolicyError>,
    book: &str,
    first_year: i32,
    key_line: &str,
    bad_edits: &[(&str, &str)],
) {
    let empty = load("");
    assert!(matches!(empty, Err(PolicyError::Empty)), "{empty:?}");

    let table = format!("[{first_year}");
    let nested_table = format!("[years.{first_year}");
    let nested = edited(book, &[(table.as_str(), nested_table.as_str())]);
    let refused = load(&nested).err();
    let named = format!("[years.{first_year}]");
    assert!(
        matches!(refused, Some(PolicyError::Parse(ref m)) if m.contains(&named)),
        "{refused:?}"
    );

    let (key, value) = key_line
        .split_once(" = ")
        .expect("key_line is `key = value`");
    let misspelt = format!("{key_line}\n{key}_misspelt = {value}");
    let key_edits = [(key_line, ""), (key_line, misspelt.as_str())];
    for &(from, to) in key_edits.iter().chain(bad_edits) {
        let refused = load(&edited(book, &[(from, to)]));
        assert!(
            matches!(refused, Err(PolicyError::Parse(_))),
            "{from:?} -> {to:?}: {refused:?}"
        );
    }
}
