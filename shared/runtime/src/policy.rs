//! Effective-dated policy: each service's thresholds and amounts live in a TOML book keyed
//! by policy year, so next year's numbers are a configuration change, not a code change.
//!
//! ```toml
//! [2019]
//! poverty_line_fen = 321800
//! [2020]
//! poverty_line_fen = 400000
//! ```
//! The policy for a year is the entry of the latest year not after it.

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
}

impl<T> PolicyBook<T> {
    /// The policy in force in `year`: the latest entry not after it, or the earliest entry
    /// for years before the book starts.
    pub fn for_year(&self, year: i32) -> &T {
        self.years
            .range(..=year)
            .next_back()
            .or_else(|| self.years.iter().next())
            .map(|(_, v)| v)
            .expect("a PolicyBook is never empty")
    }

    /// Every (year, policy) pair, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (&i32, &T)> {
        self.years.iter()
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
        assert_eq!(b.for_year(2019).line, 1);
        assert_eq!(b.for_year(2020).line, 1);
        assert_eq!(b.for_year(2021).line, 3);
        assert_eq!(b.for_year(2030).line, 3);
        assert_eq!(b.for_year(2000).line, 1);
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
