//! Violations of a record's nested parts: each part is validated by its own function with
//! field paths relative to itself, and reported under the part's prefix.

use crate::violation::FieldViolation;

/// The violations of one nested part, each with `prefix.` before its field path (see
/// [`FieldViolation::prefixed`]); none for a part that passed.
pub fn within(
    prefix: &str,
    part: Result<(), Vec<FieldViolation>>,
) -> impl Iterator<Item = FieldViolation> {
    part.err()
        .unwrap_or_default()
        .into_iter()
        .map(move |v| v.prefixed(prefix))
}
