//! Household ids: the archive card number (户编号) that links one household's records across
//! every service (一户一档).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Longest household id accepted, in characters.
pub const MAX_HOUSEHOLD_ID_LEN: usize = 32;

/// Why a household id was rejected. The caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HouseholdIdError {
    /// Nothing was sent.
    #[error("must not be empty")]
    Empty,
    /// More than [`MAX_HOUSEHOLD_ID_LEN`] characters.
    #[error("must be at most {MAX_HOUSEHOLD_ID_LEN} characters, got {got}")]
    TooLong {
        /// Number of characters (not bytes) sent.
        got: usize,
    },
    /// Leading or trailing whitespace: rejected rather than trimmed, so two spellings of one
    /// id can never both be stored.
    #[error("has leading or trailing whitespace; send it trimmed")]
    SurroundingWhitespace,
    /// A character outside ASCII letters, digits, `-` and `_`.
    #[error(
        "character {position} is '{found}'; only ASCII letters, digits, '-' and '_' are allowed"
    )]
    InvalidChar {
        /// 1-based character position.
        position: usize,
        /// The offending character.
        found: char,
    },
}

/// A validated household id. Opaque (the county assigns it; no structure is assumed) but
/// restricted to 1..=32 ASCII letters, digits, `-` and `_` so it is safe in URLs, file names
/// and logs, and compared exactly (case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HouseholdId(String);

impl HouseholdId {
    /// Validates a household id as sent; whitespace around it is an error, not trimmed.
    pub fn parse(s: &str) -> Result<HouseholdId, HouseholdIdError> {
        if s.is_empty() {
            return Err(HouseholdIdError::Empty);
        }
        if s.trim() != s {
            return Err(HouseholdIdError::SurroundingWhitespace);
        }
        let got = s.chars().count();
        if got > MAX_HOUSEHOLD_ID_LEN {
            return Err(HouseholdIdError::TooLong { got });
        }
        if let Some((i, c)) = s
            .chars()
            .enumerate()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(HouseholdIdError::InvalidChar {
                position: i + 1,
                found: c,
            });
        }
        Ok(HouseholdId(s.to_string()))
    }

    /// The id as stored and sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HouseholdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for HouseholdId {
    type Err = HouseholdIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for HouseholdId {
    /// A plain string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for HouseholdId {
    /// A plain string, validated by [`HouseholdId::parse`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        HouseholdId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as ValueError;

    #[test]
    fn accepts_typical_ids() {
        for s in ["4206251000010001", "GC-2014-00017", "a_b-C", "x"] {
            assert_eq!(HouseholdId::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn length_bounds() {
        let max = "A".repeat(32);
        assert_eq!(HouseholdId::parse(&max).unwrap().as_str(), max);
        assert_eq!(
            HouseholdId::parse(&"A".repeat(33)),
            Err(HouseholdIdError::TooLong { got: 33 })
        );
        assert_eq!(HouseholdId::parse(""), Err(HouseholdIdError::Empty));
        assert_eq!(
            HouseholdId::parse(&"A".repeat(40)).unwrap_err().to_string(),
            "must be at most 32 characters, got 40"
        );
    }

    #[test]
    fn surrounding_whitespace_is_rejected_not_trimmed() {
        for s in [" GC-1", "GC-1 ", "\tGC-1", "GC-1\n", " "] {
            assert_eq!(
                HouseholdId::parse(s),
                Err(HouseholdIdError::SurroundingWhitespace),
                "{s:?}"
            );
        }
    }

    #[test]
    fn invalid_characters_are_named() {
        assert_eq!(
            HouseholdId::parse("GC 1"),
            Err(HouseholdIdError::InvalidChar {
                position: 3,
                found: ' '
            })
        );
        assert_eq!(
            HouseholdId::parse("谷城-1"),
            Err(HouseholdIdError::InvalidChar {
                position: 1,
                found: '谷'
            })
        );
        assert_eq!(
            HouseholdId::parse("GC/1").unwrap_err().to_string(),
            "character 3 is '/'; only ASCII letters, digits, '-' and '_' are allowed"
        );
        assert!(matches!(
            HouseholdId::parse("GC%1"),
            Err(HouseholdIdError::InvalidChar { found: '%', .. })
        ));
    }

    #[test]
    fn case_sensitive_and_round_trips() {
        let a: HouseholdId = "gc-1".parse().unwrap();
        let b: HouseholdId = "GC-1".parse().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.to_string(), "gc-1");
        let de: Result<HouseholdId, ValueError> =
            HouseholdId::deserialize("GC-1".into_deserializer());
        assert_eq!(de.unwrap(), b);
        let bad: Result<HouseholdId, ValueError> =
            HouseholdId::deserialize(" GC-1".into_deserializer());
        assert_eq!(
            bad.unwrap_err().to_string(),
            "has leading or trailing whitespace; send it trimmed"
        );
    }

    proptest! {
        #[test]
        fn allowed_alphabet_round_trips(s in "[A-Za-z0-9_-]{1,32}") {
            let id = HouseholdId::parse(&s).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
        }

        #[test]
        fn parse_agrees_with_rule(s in "\\PC{0,40}") {
            let rule = !s.is_empty()
                && s.chars().count() <= 32
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            prop_assert_eq!(HouseholdId::parse(&s).is_ok(), rule);
        }
    }
}
