//! Money as an integer number of fen (分, 1/100 yuan).
//!
//! Premiums, subsidies and hospital settlements must add up to the fen and reproduce the
//! county's published figures, so amounts are never floating point.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Why an amount was rejected. The caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// A negative amount where only zero or more makes sense (costs, premiums, incomes paid).
    #[error("must not be negative, got {fen} fen")]
    Negative {
        /// The amount sent, in fen.
        fen: i64,
    },
    /// The amount does not fit in an `i64` number of fen.
    #[error("{yuan} yuan is too large to hold in fen")]
    Overflow {
        /// The amount in yuan, as given.
        yuan: String,
    },
    /// A string is not a yuan amount of the form `-1234.56`.
    #[error("'{input}' is not a yuan amount like 1234.56: {reason}")]
    NotAnAmount {
        /// The text sent.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// An amount of money in fen (1/100 yuan). Signed, so differences and refunds can be
/// expressed; use [`Fen::non_negative`] for inputs that must not be negative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fen(i64);

impl Fen {
    /// Zero fen, the start of every sum.
    pub const ZERO: Fen = Fen(0);

    /// Validates an amount that must be zero or more (a cost, a premium, a subsidy).
    pub fn non_negative(v: i64) -> Result<Fen, MoneyError> {
        if v < 0 {
            Err(MoneyError::Negative { fen: v })
        } else {
            Ok(Fen(v))
        }
    }

    /// A whole number of yuan, for policy amounts stated in yuan (220-yuan premium, 5,000-yuan
    /// cap). Returns an error instead of overflowing.
    pub fn from_yuan(yuan: i64) -> Result<Fen, MoneyError> {
        yuan.checked_mul(100)
            .map(Fen)
            .ok_or_else(|| MoneyError::Overflow {
                yuan: yuan.to_string(),
            })
    }

    /// A signed amount in fen with no check, for values computed by the caller (differences,
    /// values read back from storage).
    pub const fn new(fen: i64) -> Fen {
        Fen(fen)
    }

    /// The amount in fen, for storage and the wire.
    pub const fn value(self) -> i64 {
        self.0
    }

    /// Sum, or `None` on overflow.
    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    /// Difference (may be negative), or `None` on overflow.
    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// Parses a yuan amount as people write it: optional `-`, whole yuan, and optionally `.`
    /// with one or two digits of jiao and fen (`1234.56`, `1234.5`, `1234`). Inverse of
    /// `Display`.
    pub fn parse(s: &str) -> Result<Fen, MoneyError> {
        let bad = |reason| MoneyError::NotAnAmount {
            input: s.to_string(),
            reason,
        };
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = match body.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (body, None),
        };
        if whole.is_empty() {
            return Err(bad("no yuan digits before the decimal point"));
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("yuan part must be digits 0-9"));
        }
        let cents: i64 = match frac {
            None => 0,
            Some(f) if f.is_empty() || f.len() > 2 => {
                return Err(bad("one or two digits must follow the decimal point"));
            }
            Some(f) if !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(bad("fen part must be digits 0-9"));
            }
            Some(f) => {
                let v: i64 = f.parse().expect("1-2 ASCII digits");
                if f.len() == 1 { v * 10 } else { v }
            }
        };
        let overflow = || MoneyError::Overflow {
            yuan: body.to_string(),
        };
        let whole: i64 = whole.parse().map_err(|_| overflow())?;
        // Build negatives downwards so that i64::MIN fen ("-92233720368547758.08") parses.
        let signed = whole.checked_mul(100).and_then(|w| {
            if negative {
                (-w).checked_sub(cents)
            } else {
                w.checked_add(cents)
            }
        });
        signed.map(Fen).ok_or_else(overflow)
    }
}

impl fmt::Display for Fen {
    /// Yuan with two decimals: `1234.56`, `-0.05`, `0.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Fen {
    type Err = MoneyError;
    /// See [`Fen::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Fen {
    /// A plain integer number of fen.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Fen {
    /// A plain integer number of fen; any `i64` is a valid (signed) amount.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i64::deserialize(deserializer).map(Fen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as ValueError;

    #[test]
    fn non_negative_rejects_negatives() {
        assert_eq!(Fen::non_negative(0).unwrap().value(), 0);
        assert_eq!(Fen::non_negative(22_000).unwrap().value(), 22_000);
        assert_eq!(Fen::non_negative(-1), Err(MoneyError::Negative { fen: -1 }));
        assert_eq!(
            Fen::non_negative(-500).unwrap_err().to_string(),
            "must not be negative, got -500 fen"
        );
    }

    #[test]
    fn from_yuan_is_checked() {
        assert_eq!(Fen::from_yuan(220).unwrap().value(), 22_000);
        assert_eq!(Fen::from_yuan(-3).unwrap().value(), -300);
        assert_eq!(
            Fen::from_yuan(i64::MAX / 100).unwrap().value(),
            i64::MAX / 100 * 100
        );
        assert_eq!(
            Fen::from_yuan(i64::MAX / 100 + 1),
            Err(MoneyError::Overflow {
                yuan: (i64::MAX / 100 + 1).to_string()
            })
        );
        assert!(matches!(
            Fen::from_yuan(i64::MIN),
            Err(MoneyError::Overflow { .. })
        ));
    }

    #[test]
    fn checked_arithmetic() {
        let a = Fen::from_yuan(5_000).unwrap();
        let b = Fen::non_negative(123_456).unwrap();
        assert_eq!(a.checked_add(b), Some(Fen::new(623_456)));
        assert_eq!(b.checked_sub(a), Some(Fen::new(-376_544)));
        assert_eq!(Fen::new(i64::MAX).checked_add(Fen::new(1)), None);
        assert_eq!(Fen::new(i64::MIN).checked_sub(Fen::new(1)), None);
        assert_eq!(Fen::ZERO.checked_add(Fen::ZERO), Some(Fen::default()));
    }

    #[test]
    fn display_as_yuan() {
        assert_eq!(Fen::new(123_456).to_string(), "1234.56");
        assert_eq!(Fen::new(0).to_string(), "0.00");
        assert_eq!(Fen::new(5).to_string(), "0.05");
        assert_eq!(Fen::new(100).to_string(), "1.00");
        assert_eq!(Fen::new(-5).to_string(), "-0.05");
        assert_eq!(Fen::new(-123_456).to_string(), "-1234.56");
        assert_eq!(Fen::new(i64::MIN).to_string(), "-92233720368547758.08");
        assert_eq!(Fen::new(i64::MAX).to_string(), "92233720368547758.07");
    }

    #[test]
    fn parse_yuan_strings() {
        assert_eq!(Fen::parse("1234.56"), Ok(Fen::new(123_456)));
        assert_eq!(Fen::parse("1234.5"), Ok(Fen::new(123_450)));
        assert_eq!(Fen::parse("1234"), Ok(Fen::new(123_400)));
        assert_eq!(Fen::parse("-0.05"), Ok(Fen::new(-5)));
        assert_eq!(Fen::parse("-0.00"), Ok(Fen::ZERO));
        assert_eq!(Fen::parse("-92233720368547758.08"), Ok(Fen::new(i64::MIN)));
        assert_eq!(
            Fen::parse("-92233720368547758.09"),
            Err(MoneyError::Overflow {
                yuan: "92233720368547758.09".into()
            })
        );
        assert_eq!(
            Fen::parse("92233720368547758.08"),
            Err(MoneyError::Overflow {
                yuan: "92233720368547758.08".into()
            })
        );
        assert!(matches!(
            Fen::parse("99999999999999999999"),
            Err(MoneyError::Overflow { .. })
        ));
        assert_eq!(Fen::parse("92233720368547758.07"), Ok(Fen::new(i64::MAX)));
    }

    #[test]
    fn parse_rejects_malformed_amounts() {
        for (s, reason) in [
            ("", "no yuan digits before the decimal point"),
            (".5", "no yuan digits before the decimal point"),
            ("1.", "one or two digits must follow the decimal point"),
            ("1.234", "one or two digits must follow the decimal point"),
            ("1.2a", "fen part must be digits 0-9"),
            ("+1.00", "yuan part must be digits 0-9"),
            ("1,000.00", "yuan part must be digits 0-9"),
            (" 1.00", "yuan part must be digits 0-9"),
            ("--1", "yuan part must be digits 0-9"),
        ] {
            assert_eq!(
                Fen::parse(s),
                Err(MoneyError::NotAnAmount {
                    input: s.to_string(),
                    reason
                }),
                "{s:?}"
            );
        }
        assert_eq!(
            "1.234".parse::<Fen>().unwrap_err().to_string(),
            "'1.234' is not a yuan amount like 1234.56: one or two digits must follow the \
             decimal point"
        );
    }

    #[test]
    fn deserializes_from_plain_integer() {
        let de: Result<Fen, ValueError> = Fen::deserialize(22_000i64.into_deserializer());
        assert_eq!(de.unwrap(), Fen::from_yuan(220).unwrap());
        let neg: Result<Fen, ValueError> = Fen::deserialize((-7i64).into_deserializer());
        assert_eq!(neg.unwrap().value(), -7);
    }

    proptest! {
        #[test]
        fn display_round_trips(v in any::<i64>()) {
            let f = Fen::new(v);
            prop_assert_eq!(Fen::parse(&f.to_string()), Ok(f));
        }

        #[test]
        fn display_matches_yuan_arithmetic(
            yuan in -1_000_000_000_000i64..1_000_000_000_000,
            fen in 0i64..100,
        ) {
            let whole = Fen::from_yuan(yuan).unwrap();
            let part = Fen::non_negative(fen).unwrap();
            let amount = if yuan < 0 {
                whole.checked_sub(part).unwrap()
            } else {
                whole.checked_add(part).unwrap()
            };
            let expected = if yuan < 0 {
                format!("-{}.{fen:02}", -yuan)
            } else {
                format!("{yuan}.{fen:02}")
            };
            prop_assert_eq!(amount.to_string(), expected);
            let expected_fen = if yuan < 0 { yuan * 100 - fen } else { yuan * 100 + fen };
            prop_assert_eq!(amount.value(), expected_fen);
            prop_assert_eq!(Fen::parse(&amount.to_string()), Ok(amount));
        }

        #[test]
        fn add_then_sub_is_identity(
            a in -1_000_000_000_000i64..1_000_000_000_000,
            b in -1_000_000_000_000i64..1_000_000_000_000,
        ) {
            let (fa, fb) = (Fen::new(a), Fen::new(b));
            prop_assert_eq!(fa.checked_add(fb).and_then(|s| s.checked_sub(fb)), Some(fa));
        }
    }
}
