//! Effective-dated policy: each service's thresholds and amounts live in a TOML book keyed
//! by policy year, so next year's numbers are a configuration change, not a code change.
//!
//! ```toml
//! [2019]
//! poverty_line_fen = 321800
//! [2020]
//! poverty_line_fen = 400000
//! ```
//! The policy for a year is the entry of the latest year not after it. A year before the
//! book's first entry has no policy: a request that needs one is INVALID_ARGUMENT naming
//! its year field ([`PolicyBook::require`]), rather than judged by rules made later. A
//! service whose valid inputs reach back further starts its built-in book earlier.
//!
//! Every service keeps its policy in a `PolicyBook<ItsPolicy>`; the checks a year's
//! numbers must pass (a positive poverty line, ordered layers …) go to
//! [`PolicyBook::from_toml_checked`].

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

/// A policy per effective year.
#[derive(Debug, Clone)]
pub struct PolicyBook<T> {
    /// Effective year -> policy.
    years: BTreeMap<i32, T>,
}

/// Why a policy book could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Not valid TOML for this policy.
    #[error("policy is not valid: {0}")]
    Parse(String),
    /// A year's numbers break a check of the service's.
    #[error("policy for {year} is not valid: {reason}")]
    Invalid {
        /// The effective year of the entry.
        year: i32,
        /// What is wrong with it.
        reason: String,
    },
    /// A table name is not a year.
    #[error("policy table {0:?} is not a year")]
    BadYear(String),
    /// No entries.
    #[error("policy book is empty")]
    Empty,
}

impl<T: DeserializeOwned> PolicyBook<T> {
    /// Parses a book from TOML.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        let raw: BTreeMap<String, T> =
            toml::from_str(text).map_err(|e| PolicyError::Parse(e.to_string()))?;
        let mut years = BTreeMap::new();
        for (k, v) in raw {
            let y: i32 = k.parse().map_err(|_| PolicyError::BadYear(k.clone()))?;
            years.insert(y, v);
        }
        if years.is_empty() {
            return Err(PolicyError::Empty);
        }
        Ok(Self { years })
    }

    /// Parses a book from TOML and runs `check` on every year's entry.
    pub fn from_toml_checked(
        text: &str,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> Result<Self, PolicyError> {
        let book = Self::from_toml(text)?;
        for (year, policy) in &book.years {
            check(policy).map_err(|reason| PolicyError::Invalid {
                year: *year,
                reason,
            })?;
        }
        Ok(book)
    }
}

impl<T> PolicyBook<T> {
    /// The policy in force in `year`: the latest entry not after it; `None` before the
    /// book starts.
    pub fn for_year(&self, year: i32) -> Option<&T> {
        self.years.range(..=year).next_back().map(|(_, v)| v)
    }

    /// The effective year of the entry in force in `year` (`None` before the book starts).
    pub fn effective_year(&self, year: i32) -> Option<i32> {
        self.years.range(..=year).next_back().map(|(y, _)| *y)
    }

    /// The policy in force in `year`, or INVALID_ARGUMENT naming `field` (the request field
    /// that carries the year) when the book starts later.
    pub fn require(&self, year: i32, field: &str) -> Result<&T, crate::api_error::ApiError> {
        self.for_year(year).ok_or_else(|| {
            crate::api_error::ApiError::invalid(
                field,
                format!(
                    "no policy covers year {year}: the policy book starts in {}",
                    self.first_year()
                ),
            )
        })
    }

    /// The year of the book's first entry.
    pub fn first_year(&self) -> i32 {
        // A book is never empty (`from_toml` refuses that), so the fallback is unreachable.
        self.years.keys().next().copied().unwrap_or(i32::MAX)
    }

    /// Every (year, policy) pair, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (&i32, &T)> {
        self.years.iter()
    }
}

impl PolicyError {
    /// The year and the separate problems of an [`PolicyError::Invalid`] book (the
    /// services' checks join every problem of a year with "; "), `None` for the other
    /// kinds.
    pub fn problems(&self) -> Option<(i32, Vec<&str>)> {
        match self {
            Self::Invalid { year, reason } => Some((*year, reason.split("; ").collect())),
            _ => None,
        }
    }
}

/// Support for the services' policy tests: a book with figures edited, and the check that a
/// book is refused for exactly the problems expected. Panics are the point: these run in
/// tests only.
pub mod testing {
    use super::PolicyError;

    /// `text` with every `(from, to)` replacement made. Each `from` must occur: an edit
    /// that silently matches nothing (the default book changed) would make a test of a bad
    /// book test a good one.
    pub fn edited(text: &str, edits: &[(&str, &str)]) -> String {
        edits.iter().fold(text.to_string(), |text, (from, to)| {
            assert!(text.contains(from), "the policy text has no {from:?}");
            text.replace(from, to)
        })
    }

    /// Asserts that `result` refused the book as invalid for `year`, with one problem per
    /// entry of `fields`, in order, each naming its field.
    pub fn assert_invalid<T: std::fmt::Debug>(
        result: Result<T, PolicyError>,
        year: i32,
        fields: &[&str],
    ) {
        let err = result.expect_err("the book is refused");
        let Some((got_year, problems)) = err.problems() else {
            panic!("expected an invalid year, got {err:?}");
        };
        assert_eq!(got_year, year, "{err}");
        assert_eq!(problems.len(), fields.len(), "{problems:?}");
        for (problem, field) in problems.iter().zip(fields) {
            assert!(problem.contains(field), "{problem:?} does not name {field}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct P {
        line: i64,
    }

    #[test]
    fn latest_entry_not_after_the_year_applies() {
        let b: PolicyBook<P> =
            PolicyBook::from_toml("[2019]\nline = 1\n[2021]\nline = 3\n").unwrap();
        let line = |y| b.for_year(y).map(|p| p.line);
        assert_eq!(line(2019), Some(1));
        assert_eq!(line(2020), Some(1));
        assert_eq!(line(2021), Some(3));
        assert_eq!(line(2030), Some(3));
        assert_eq!(line(2018), None, "no policy before the book starts");
        assert_eq!(b.effective_year(2020), Some(2019));
        assert_eq!(b.first_year(), 2019);
    }

    #[test]
    fn a_year_before_the_book_is_invalid_argument_naming_the_field() {
        let b: PolicyBook<P> = PolicyBook::from_toml("[2019]\nline = 1\n").unwrap();
        assert_eq!(b.require(2019, "year").map(|p| p.line).ok(), Some(1));
        let s = tonic::Status::from(b.require(2018, "batch_year").unwrap_err());
        assert_eq!(s.code(), tonic::Code::InvalidArgument);
        assert!(s.message().contains("batch_year"), "{}", s.message());
        assert!(s.message().contains("starts in 2019"), "{}", s.message());
    }

    #[test]
    fn checks_run_on_every_year() {
        let text = "[2019]\nline = 1\n[2020]\nline = -1\n";
        let err = PolicyBook::<P>::from_toml_checked(text, |p| {
            (p.line > 0)
                .then_some(())
                .ok_or("line must be positive".to_string())
        })
        .unwrap_err();
        assert_eq!(
            err.problems(),
            Some((2020, vec!["line must be positive"])),
            "{err}"
        );
        assert_eq!(PolicyError::Empty.problems(), None);
    }

    #[test]
    fn edits_must_match_and_refusals_name_their_fields() {
        assert_eq!(
            testing::edited("a = 1\nb = 2\n", &[("a = 1", "a = 3")]),
            "a = 3\nb = 2\n"
        );
        let missing = std::panic::catch_unwind(|| testing::edited("a = 1", &[("c = 1", "")]));
        assert!(missing.is_err(), "an edit that matches nothing must fail");
        let refused: Result<(), _> = Err(PolicyError::Invalid {
            year: 2019,
            reason: "a must be positive; b must be below a".into(),
        });
        testing::assert_invalid(refused, 2019, &["a must", "b must"]);
    }

    #[test]
    fn rejects_bad_books() {
        assert!(matches!(
            PolicyBook::<P>::from_toml(""),
            Err(PolicyError::Empty)
        ));
        assert!(matches!(
            PolicyBook::<P>::from_toml("[soon]\nline = 1\n"),
            Err(PolicyError::BadYear(_))
        ));
        assert!(PolicyBook::<P>::from_toml("[2019]\nlin = 1\n").is_err());
    }
}
