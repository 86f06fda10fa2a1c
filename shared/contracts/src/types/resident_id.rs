//! Resident identity numbers (公民身份号码, GB 11643-1999) and masking of personal data.
//!
//! Every person in every service is keyed by this number, so it is validated once, here, and
//! kept out of logs: `{:?}` prints the masked form and errors never echo the whole number.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use super::date::{MAX_YEAR, MIN_YEAR};

/// Weights of the first 17 digits in the GB 11643-1999 check (2^(18-i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check character for each value of the weighted sum mod 11.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Length of a resident id in characters.
const LEN: usize = 18;

/// Why a resident id was rejected. The caller adds the field name. No variant carries the
/// whole id, so an error message can be logged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    /// Leading or trailing whitespace (often a copy-paste slip).
    #[error("has leading or trailing whitespace; send it trimmed")]
    SurroundingWhitespace,
    /// Not exactly 18 characters.
    #[error("must be 18 characters, got {got}")]
    WrongLength {
        /// Number of characters (not bytes) sent.
        got: usize,
    },
    /// One of the first 17 characters is not an ASCII digit.
    #[error("character {position} must be a digit 0-9, got '{found}'")]
    NotADigit {
        /// 1-based character position.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The 18th character is neither a digit nor X.
    #[error("check character (18th) must be a digit or X, got '{found}'")]
    BadCheckCharacter {
        /// The offending character.
        found: char,
    },
    /// The address code (first 6 digits) cannot be a real one.
    #[error("address code {code} is not plausible: its first digit (the province) must be 1-9")]
    ImplausibleAddressCode {
        /// The first 6 characters as sent.
        code: String,
    },
    /// Digits 7-14 do not form a calendar date.
    #[error("birth date {raw} is not a real date")]
    BirthDateNotReal {
        /// Digits 7-14 laid out as YYYY-MM-DD.
        raw: String,
    },
    /// The birth date is before 1850-01-01 or after 2200-12-31.
    #[error("birth date {birth} is outside {MIN_YEAR}-01-01..={MAX_YEAR}-12-31")]
    BirthDateOutOfRange {
        /// The birth date encoded in the id.
        birth: NaiveDate,
    },
    /// The birth date is after the day of the check.
    #[error("birth date {birth} is in the future (today is {today})")]
    BirthDateInFuture {
        /// The birth date encoded in the id.
        birth: NaiveDate,
        /// The day the check was made against.
        today: NaiveDate,
    },
    /// The check character does not match the first 17 digits (a typo somewhere).
    #[error("check character should be {expected}, got {got}")]
    CheckMismatch {
        /// The check character the first 17 digits call for.
        expected: char,
        /// The check character sent (uppercased).
        got: char,
    },
    /// [`ResidentId::try_build`] was given a sequence number above 999.
    #[error("sequence number {seq} must be 0..=999")]
    SequenceOutOfRange {
        /// The sequence number given.
        seq: u16,
    },
}

/// A validated resident identity number (GB 11643-1999), stored with an uppercase `X`.
///
/// Exists so that no service handles an unchecked id string. `Display` and serde give the
/// full number (callers decide where it may go); `Debug` gives the masked form so ids never
/// leak into logs through `{:?}`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentId(String);

/// Computes the GB 11643-1999 check character for the first 17 digits of an id; `None` unless
/// `first17` is exactly 17 ASCII digits. Public so generators and tools share one algorithm.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != LEN - 1 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(CHECK_CHARS[(sum % 11) as usize])
}

impl ResidentId {
    /// Validates a resident id as entered: 18 characters, 17 digits and a check character
    /// (lowercase `x` accepted, stored as `X`), a plausible address code, a real birth date
    /// between 1850-01-01 and `today`, and a matching check character. The address code is
    /// deliberately not looked up in a division list: abolished counties stay valid.
    pub fn parse(s: &str, today: NaiveDate) -> Result<ResidentId, IdError> {
        Self::parse_inner(s, Some(today))
    }

    /// Validates like [`ResidentId::parse`] but without the not-in-the-future check, for
    /// values read back from storage or the wire that were checked when first entered (and
    /// for serde, which has no `today`). Do not use it for new input.
    pub fn parse_stored(s: &str) -> Result<ResidentId, IdError> {
        Self::parse_inner(s, None)
    }

    fn parse_inner(s: &str, today: Option<NaiveDate>) -> Result<ResidentId, IdError> {
        if s.trim() != s {
            return Err(IdError::SurroundingWhitespace);
        }
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != LEN {
            return Err(IdError::WrongLength { got: chars.len() });
        }
        if let Some((i, &c)) = chars[..LEN - 1]
            .iter()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_digit())
        {
            return Err(IdError::NotADigit {
                position: i + 1,
                found: c,
            });
        }
        let got = match chars[LEN - 1] {
            c @ '0'..='9' => c,
            'x' | 'X' => 'X',
            found => return Err(IdError::BadCheckCharacter { found }),
        };
        // All 18 characters are ASCII from here on, so byte slicing is safe.
        let first17 = &s[..LEN - 1];
        if s.as_bytes()[0] == b'0' {
            return Err(IdError::ImplausibleAddressCode {
                code: s[..6].to_string(),
            });
        }
        let birth = birth_from_digits(&s[6..14])?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&birth.year()) {
            return Err(IdError::BirthDateOutOfRange { birth });
        }
        if let Some(today) = today
            && birth > today
        {
            return Err(IdError::BirthDateInFuture { birth, today });
        }
        let expected = check_char(first17).expect("17 ASCII digits checked above");
        if expected != got {
            return Err(IdError::CheckMismatch { expected, got });
        }
        let mut id = String::with_capacity(LEN);
        id.push_str(first17);
        id.push(got);
        Ok(ResidentId(id))
    }

    /// Builds a valid id from its parts, computing the check character; exists for the
    /// synthetic data generator and tests.
    ///
    /// # Panics
    ///
    /// If the parts cannot form a valid id (see [`ResidentId::try_build`]): a generator
    /// passing such parts has a bug.
    pub fn build(address6: &str, birth: NaiveDate, seq3: u16) -> ResidentId {
        match Self::try_build(address6, birth, seq3) {
            Ok(id) => id,
            Err(e) => panic!("ResidentId::build: {e}"),
        }
    }

    /// Builds a valid id from its parts like [`ResidentId::build`], returning an error instead
    /// of panicking when `address6` is not 6 digits starting 1-9, `birth` is outside
    /// 1850..=2200 or `seq3` exceeds 999. No future check: the caller picks `birth`.
    pub fn try_build(address6: &str, birth: NaiveDate, seq3: u16) -> Result<ResidentId, IdError> {
        let plausible = address6.len() == 6
            && address6.bytes().all(|b| b.is_ascii_digit())
            && !address6.starts_with('0');
        if !plausible {
            return Err(IdError::ImplausibleAddressCode {
                code: address6.to_string(),
            });
        }
        if !(MIN_YEAR..=MAX_YEAR).contains(&birth.year()) {
            return Err(IdError::BirthDateOutOfRange { birth });
        }
        if seq3 > 999 {
            return Err(IdError::SequenceOutOfRange { seq: seq3 });
        }
        let first17 = format!("{address6}{}{seq3:03}", birth.format("%Y%m%d"));
        let check = check_char(&first17).expect("17 ASCII digits by construction");
        Ok(ResidentId(format!("{first17}{check}")))
    }

    /// The full id, for storage and for callers allowed to see it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date encoded in digits 7-14 (checked at parse time).
    pub fn birth_date(&self) -> NaiveDate {
        birth_from_digits(&self.0[6..14]).expect("validated at construction")
    }

    /// Sex as recorded in the id: the 17th digit is odd for men, even for women.
    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }

    /// The 6-digit address code of the place of first registration (may name a county that
    /// no longer exists).
    pub fn address_code(&self) -> &str {
        &self.0[..6]
    }

    /// The id with the birth date hidden (`420625********123X`): first 6 and last 4 kept.
    /// Use it wherever an id is shown to someone who does not need the whole number.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }

    /// Age in full years (周岁) on `date`; 0 if `date` is before the birth date. Someone born
    /// on 29 February turns a year older on 1 March in non-leap years.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        let birth = self.birth_date();
        if date < birth {
            return 0;
        }
        let mut years = date.year() - birth.year();
        if (date.month(), date.day()) < (birth.month(), birth.day()) {
            years -= 1;
        }
        u32::try_from(years).unwrap_or(0)
    }
}

/// Reads YYYYMMDD (8 ASCII digits) as a date.
fn birth_from_digits(d: &str) -> Result<NaiveDate, IdError> {
    let num = |r: std::ops::Range<usize>| d[r].parse::<u32>().ok();
    let date = match (num(0..4), num(4..6), num(6..8)) {
        (Some(y), Some(m), Some(day)) => NaiveDate::from_ymd_opt(y as i32, m, day),
        _ => None,
    };
    date.ok_or_else(|| IdError::BirthDateNotReal {
        raw: format!("{}-{}-{}", &d[0..4], &d[4..6], &d[6..8]),
    })
}

impl fmt::Display for ResidentId {
    /// The full id: `Display` is for places that are allowed to show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ResidentId {
    /// The masked id, so `{:?}` in logs and panics never reveals a birth date.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentId").field(&self.masked()).finish()
    }
}

impl Serialize for ResidentId {
    /// The full id as a plain string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ResidentId {
    /// A plain string validated by [`ResidentId::parse_stored`]: every rule except the
    /// not-in-the-future check, which needs a `today` that deserialization does not have.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        ResidentId::parse_stored(&s).map_err(serde::de::Error::custom)
    }
}

/// Masks a person's name for display to people who need to know a record exists but not
/// whose it is: the first character is kept and every other one becomes `*` ("张三丰" ->
/// "张**"). Works on Unicode scalar values, so supplementary-plane characters count as one.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
    }
}

#[cfg(test)]
mod tests;
