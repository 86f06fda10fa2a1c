//! Statistical region codes (统计用区划代码) and the prefixes that select a county, township
//! or village.
//!
//! Every record is filed under a 12-digit village code and every summary is asked for a
//! prefix, so both are validated here: 2 digits province, 2 prefecture, 2 county, 3 township,
//! 3 village. The prefecture and county parts are not range-checked: cities without counties
//! (Dongguan 4419, Zhongshan 4420) use county part `00`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Why a region code or prefix was rejected. The caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegionError {
    /// Wrong number of characters.
    #[error("must be {expected} digits, got {got}")]
    WrongLength {
        /// What was expected: "12" or "6, 9 or 12".
        expected: &'static str,
        /// Number of characters (not bytes) sent.
        got: usize,
    },
    /// A character is not an ASCII digit.
    #[error("character {position} must be a digit 0-9, got '{found}'")]
    NotADigit {
        /// 1-based character position.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The province part (digits 1-2) is outside 11..=82.
    #[error("province part {value} is outside 11..=82")]
    Province {
        /// Digits 1-2 as sent.
        value: String,
    },
    /// The township part (digits 7-9) is outside 001..=599.
    #[error(
        "township part {value} is outside 001..=599 (001-099 subdistricts, 100-199 towns, \
         200-399 townships, 400-599 zones and farms)"
    )]
    Township {
        /// Digits 7-9 as sent.
        value: String,
    },
    /// The village part (digits 10-12) is outside 001..=399.
    #[error("village part {value} is outside 001..=399 (001-199 communities, 200-399 villages)")]
    Village {
        /// Digits 10-12 as sent.
        value: String,
    },
}

/// What a township-level code names, from its 3-digit part; used by summaries and forms that
/// label towns (镇) and townships (乡) differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TownshipKind {
    /// 001-099: urban subdistrict (街道). Part of the national standard's 001..=599 range;
    /// Gucheng has none, but codes elsewhere do.
    Subdistrict,
    /// 100-199: town (镇).
    Town,
    /// 200-399: township (乡).
    Township,
    /// 400-599: development zone, forest or state farm (林场, 农场 …) run like a township.
    ZoneOrFarm,
}

/// What a village-level code names, from its 3-digit part (村 vs 社区 counts are reported
/// separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VillageKind {
    /// 001-199: urban community (社区, 居委会).
    Community,
    /// 200-399: village (村, 村委会).
    Village,
}

/// How deep a [`RegionPrefix`] goes; decides which level a summary aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegionLevel {
    /// 6 digits: a county.
    County,
    /// 9 digits: a township.
    Township,
    /// 12 digits: a single village or community.
    Village,
}

/// Checks `s` as a 6-, 9- or 12-digit region code (the caller has checked the length):
/// digits only, province 11..=82, and township and village parts as far as they go.
fn validate(s: &str) -> Result<(), RegionError> {
    if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(RegionError::NotADigit {
            position: i + 1,
            found: c,
        });
    }
    let part = |r: std::ops::Range<usize>| -> u32 { s[r].parse().expect("ASCII digits") };
    if !(11..=82).contains(&part(0..2)) {
        return Err(RegionError::Province {
            value: s[0..2].to_string(),
        });
    }
    if s.len() >= 9 && !(1..=599).contains(&part(6..9)) {
        return Err(RegionError::Township {
            value: s[6..9].to_string(),
        });
    }
    if s.len() >= 12 && !(1..=399).contains(&part(9..12)) {
        return Err(RegionError::Village {
            value: s[9..12].to_string(),
        });
    }
    Ok(())
}

/// Classifies a validated 3-digit township part (001..=599).
fn township_kind_of(part: &str) -> TownshipKind {
    match part.parse::<u32>().expect("validated digits") {
        100..=199 => TownshipKind::Town,
        200..=399 => TownshipKind::Township,
        400.. => TownshipKind::ZoneOrFarm,
        _ => TownshipKind::Subdistrict,
    }
}

/// A validated 12-digit village-level region code; the key every household and site is filed
/// under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(String);

impl RegionCode {
    /// Validates a 12-digit code: ASCII digits, province 11..=82, township 001..=599, village
    /// 001..=399.
    pub fn parse(s: &str) -> Result<RegionCode, RegionError> {
        let got = s.chars().count();
        if got != 12 {
            return Err(RegionError::WrongLength {
                expected: "12",
                got,
            });
        }
        validate(s)?;
        Ok(RegionCode(s.to_string()))
    }

    /// The code as stored and sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit county the village belongs to.
    pub fn county(&self) -> &str {
        &self.0[..6]
    }

    /// The 9-digit township the village belongs to.
    pub fn township(&self) -> &str {
        &self.0[..9]
    }

    /// Whether the code names a community (社区) or a village (村).
    pub fn village_kind(&self) -> VillageKind {
        if &self.0[9..12] <= "199" {
            VillageKind::Community
        } else {
            VillageKind::Village
        }
    }

    /// Whether the township is a subdistrict, town, township, or zone/farm.
    pub fn township_kind(&self) -> TownshipKind {
        township_kind_of(&self.0[6..9])
    }
}

/// A validated 6-, 9- or 12-digit region prefix naming a county, township or village; the
/// scope of every summary and search.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionPrefix(String);

impl RegionPrefix {
    /// Validates a prefix: 6, 9 or 12 ASCII digits, each part present checked as for
    /// [`RegionCode`].
    pub fn parse(s: &str) -> Result<RegionPrefix, RegionError> {
        let got = s.chars().count();
        if ![6, 9, 12].contains(&got) {
            return Err(RegionError::WrongLength {
                expected: "6, 9 or 12",
                got,
            });
        }
        validate(s)?;
        Ok(RegionPrefix(s.to_string()))
    }

    /// The prefix as stored and sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// County, township or village, from the prefix length.
    pub fn level(&self) -> RegionLevel {
        match self.0.len() {
            6 => RegionLevel::County,
            9 => RegionLevel::Township,
            _ => RegionLevel::Village,
        }
    }

    /// Whether `code` lies within this county, township or village.
    pub fn contains(&self, code: &RegionCode) -> bool {
        code.as_str().starts_with(&self.0)
    }

    /// The prefix followed by `%`, for `region_code LIKE ?` queries. No escaping is needed:
    /// a validated prefix holds digits only.
    pub fn like_pattern(&self) -> String {
        format!("{}%", self.0)
    }
}

impl From<&RegionCode> for RegionPrefix {
    /// A 12-digit prefix selecting exactly one village.
    fn from(code: &RegionCode) -> Self {
        RegionPrefix(code.0.clone())
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RegionPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RegionCode {
    type Err = RegionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl FromStr for RegionPrefix {
    type Err = RegionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for RegionCode {
    /// A plain string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RegionCode {
    /// A plain string, validated by [`RegionCode::parse`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        RegionCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for RegionPrefix {
    /// A plain string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RegionPrefix {
    /// A plain string, validated by [`RegionPrefix::parse`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        RegionPrefix::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as ValueError;

    fn code(township: &str, village: &str) -> String {
        format!("420625{township}{village}")
    }

    #[test]
    fn gucheng_codes_parse() {
        let c = RegionCode::parse("420625100001").unwrap();
        assert_eq!(c.as_str(), "420625100001");
        assert_eq!(c.county(), "420625");
        assert_eq!(c.township(), "420625100");
        assert_eq!(c.township_kind(), TownshipKind::Town);
        assert_eq!(c.village_kind(), VillageKind::Community);

        let c = RegionCode::parse("420625200201").unwrap();
        assert_eq!(c.township_kind(), TownshipKind::Township);
        assert_eq!(c.village_kind(), VillageKind::Village);

        let c = RegionCode::parse("420625500210").unwrap();
        assert_eq!(c.township_kind(), TownshipKind::ZoneOrFarm);
    }

    #[test]
    fn township_edge_values() {
        let kind = |t: &str| RegionCode::parse(&code(t, "001")).map(|c| c.township_kind());
        assert_eq!(
            kind("000"),
            Err(RegionError::Township {
                value: "000".into()
            })
        );
        assert_eq!(kind("001"), Ok(TownshipKind::Subdistrict));
        assert_eq!(kind("099"), Ok(TownshipKind::Subdistrict));
        assert_eq!(kind("100"), Ok(TownshipKind::Town));
        assert_eq!(kind("199"), Ok(TownshipKind::Town));
        assert_eq!(kind("200"), Ok(TownshipKind::Township));
        assert_eq!(kind("399"), Ok(TownshipKind::Township));
        assert_eq!(kind("400"), Ok(TownshipKind::ZoneOrFarm));
        assert_eq!(kind("599"), Ok(TownshipKind::ZoneOrFarm));
        assert_eq!(
            kind("600"),
            Err(RegionError::Township {
                value: "600".into()
            })
        );
        assert_eq!(
            kind("999"),
            Err(RegionError::Township {
                value: "999".into()
            })
        );
    }

    #[test]
    fn village_edge_values() {
        let kind = |v: &str| RegionCode::parse(&code("100", v)).map(|c| c.village_kind());
        assert_eq!(
            kind("000"),
            Err(RegionError::Village {
                value: "000".into()
            })
        );
        assert_eq!(kind("001"), Ok(VillageKind::Community));
        assert_eq!(kind("199"), Ok(VillageKind::Community));
        assert_eq!(kind("200"), Ok(VillageKind::Village));
        assert_eq!(kind("399"), Ok(VillageKind::Village));
        assert_eq!(
            kind("400"),
            Err(RegionError::Village {
                value: "400".into()
            })
        );
        assert!(matches!(kind("999"), Err(RegionError::Village { .. })));
    }

    #[test]
    fn province_edge_values() {
        let p = |prov: &str| RegionCode::parse(&format!("{prov}0625100001")).map(|_| ());
        assert_eq!(p("10"), Err(RegionError::Province { value: "10".into() }));
        assert_eq!(p("11"), Ok(()));
        assert_eq!(p("82"), Ok(()));
        assert_eq!(p("83"), Err(RegionError::Province { value: "83".into() }));
        assert_eq!(p("00"), Err(RegionError::Province { value: "00".into() }));
    }

    #[test]
    fn county_part_00_is_allowed() {
        // Dongguan has no counties: its townships hang directly under 441900.
        let c = RegionCode::parse("441900003001").unwrap();
        assert_eq!(c.county(), "441900");
        assert_eq!(c.township_kind(), TownshipKind::Subdistrict);
    }

    #[test]
    fn lengths_and_characters() {
        assert_eq!(
            RegionCode::parse("42062510000").unwrap_err().to_string(),
            "must be 12 digits, got 11"
        );
        assert_eq!(
            RegionCode::parse("4206251000011"),
            Err(RegionError::WrongLength {
                expected: "12",
                got: 13
            })
        );
        assert_eq!(
            RegionCode::parse("42062510O001"),
            Err(RegionError::NotADigit {
                position: 9,
                found: 'O'
            })
        );
        assert_eq!(
            RegionCode::parse(" 42062510001"),
            Err(RegionError::NotADigit {
                position: 1,
                found: ' '
            })
        );
        assert_eq!(
            RegionCode::parse("４20625100001"),
            Err(RegionError::NotADigit {
                position: 1,
                found: '４'
            })
        );
    }

    #[test]
    fn error_messages_say_what_is_wrong() {
        assert_eq!(
            RegionCode::parse("420625600001").unwrap_err().to_string(),
            "township part 600 is outside 001..=599 (001-099 subdistricts, 100-199 towns, \
             200-399 townships, 400-599 zones and farms)"
        );
        assert_eq!(
            RegionCode::parse("420625100400").unwrap_err().to_string(),
            "village part 400 is outside 001..=399 (001-199 communities, 200-399 villages)"
        );
        assert_eq!(
            RegionPrefix::parse("4206251").unwrap_err().to_string(),
            "must be 6, 9 or 12 digits, got 7"
        );
    }

    #[test]
    fn prefix_levels() {
        assert_eq!(
            RegionPrefix::parse("420625").unwrap().level(),
            RegionLevel::County
        );
        assert_eq!(
            RegionPrefix::parse("420625102").unwrap().level(),
            RegionLevel::Township
        );
        assert_eq!(
            RegionPrefix::parse("420625102201").unwrap().level(),
            RegionLevel::Village
        );
        for len in [0usize, 2, 5, 7, 8, 10, 11, 13] {
            assert_eq!(
                RegionPrefix::parse(&"420625102201999"[..len.min(15)]),
                Err(RegionError::WrongLength {
                    expected: "6, 9 or 12",
                    got: len
                })
            );
        }
    }

    #[test]
    fn prefix_parts_validated_as_far_as_they_go() {
        assert!(matches!(
            RegionPrefix::parse("100625"),
            Err(RegionError::Province { .. })
        ));
        assert!(matches!(
            RegionPrefix::parse("420625000"),
            Err(RegionError::Township { .. })
        ));
        assert!(matches!(
            RegionPrefix::parse("420625600"),
            Err(RegionError::Township { .. })
        ));
        assert!(matches!(
            RegionPrefix::parse("420625100000"),
            Err(RegionError::Village { .. })
        ));
        assert_eq!(
            RegionPrefix::parse("420625500").unwrap().as_str(),
            "420625500"
        );
    }

    #[test]
    fn prefix_contains_and_like_pattern() {
        let county = RegionPrefix::parse("420625").unwrap();
        let town = RegionPrefix::parse("420625102").unwrap();
        let inside = RegionCode::parse("420625102201").unwrap();
        let other_town = RegionCode::parse("420625103201").unwrap();
        let other_county = RegionCode::parse("420626102201").unwrap();
        assert!(county.contains(&inside));
        assert!(county.contains(&other_town));
        assert!(!county.contains(&other_county));
        assert!(town.contains(&inside));
        assert!(!town.contains(&other_town));
        let village = RegionPrefix::from(&inside);
        assert_eq!(village.level(), RegionLevel::Village);
        assert!(village.contains(&inside));
        assert!(!village.contains(&other_town));
        assert_eq!(county.like_pattern(), "420625%");
        assert_eq!(town.like_pattern(), "420625102%");
    }

    #[test]
    fn from_str_display_and_deserialize() {
        let c: RegionCode = "420625100001".parse().unwrap();
        assert_eq!(c.to_string(), "420625100001");
        let p: RegionPrefix = "420625".parse().unwrap();
        assert_eq!(p.to_string(), "420625");
        let ok: Result<RegionCode, ValueError> =
            RegionCode::deserialize("420625100001".into_deserializer());
        assert_eq!(ok.unwrap(), c);
        let bad: Result<RegionPrefix, ValueError> =
            RegionPrefix::deserialize("42062".into_deserializer());
        assert_eq!(
            bad.unwrap_err().to_string(),
            "must be 6, 9 or 12 digits, got 5"
        );
    }

    /// The rules, written independently of `validate`, as an oracle.
    fn oracle(s: &str) -> bool {
        let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap();
        (11..=82).contains(&n(0..2))
            && (1..=599).contains(&n(6..9))
            && (1..=399).contains(&n(9..12))
    }

    fn valid_code() -> impl Strategy<Value = String> {
        (11u32..=82, 0u32..10_000, 1u32..=599, 1u32..=399)
            .prop_map(|(p, mid, t, v)| format!("{p:02}{mid:04}{t:03}{v:03}"))
    }

    proptest! {
        #[test]
        fn code_round_trips(s in valid_code()) {
            let c = RegionCode::parse(&s).unwrap();
            prop_assert_eq!(c.as_str(), s.as_str());
            prop_assert_eq!(RegionCode::parse(c.as_str()).unwrap(), c.clone());
            prop_assert_eq!(c.to_string(), s);
        }

        #[test]
        fn code_parse_agrees_with_oracle(s in "[0-9]{12}") {
            prop_assert_eq!(RegionCode::parse(&s).is_ok(), oracle(&s));
        }

        #[test]
        fn contains_agrees_with_starts_with(
            a in valid_code(),
            b in valid_code(),
            len in prop::sample::select(vec![6usize, 9, 12]),
            same in any::<bool>(),
        ) {
            let code = RegionCode::parse(&a).unwrap();
            // Half the time take the prefix from the code itself so both outcomes are exercised.
            let source = if same { &a } else { &b };
            let prefix = RegionPrefix::parse(&source[..len]).unwrap();
            prop_assert_eq!(prefix.contains(&code), a.starts_with(&source[..len]));
            if same {
                prop_assert!(prefix.contains(&code));
            }
            prop_assert_eq!(prefix.like_pattern(), format!("{}%", &source[..len]));
        }
    }
}
