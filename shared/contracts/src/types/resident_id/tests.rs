//! Resident ids: the check digit, every field of the layout, and the parse/serde paths,
//! by example and by property.

use super::*;
use proptest::prelude::*;
use serde::de::IntoDeserializer;
use serde::de::value::{Error as ValueError, StrDeserializer};

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn today() -> NaiveDate {
    ymd(2020, 6, 1)
}

fn parse(s: &str) -> Result<ResidentId, IdError> {
    ResidentId::parse(s, today())
}

#[test]
fn known_good_ids_parse() {
    let a = parse("11010519491231002X").unwrap();
    assert_eq!(a.as_str(), "11010519491231002X");
    assert_eq!(a.birth_date(), ymd(1949, 12, 31));
    assert_eq!(a.address_code(), "110105");
    assert!(!a.is_male());

    let b = parse("440524188001010014").unwrap();
    assert_eq!(b.as_str(), "440524188001010014");
    assert_eq!(b.birth_date(), ymd(1880, 1, 1));
    assert_eq!(b.address_code(), "440524");
    assert!(b.is_male());
}

#[test]
fn known_bad_id_fails_on_check_character() {
    assert_eq!(
        parse("340524198001010013"),
        Err(IdError::CheckMismatch {
            expected: check_char("34052419800101001").unwrap(),
            got: '3'
        })
    );
    assert_eq!(check_char("34052419800101001"), Some('X'));
}

#[test]
fn check_char_matches_known_examples_and_rejects_bad_input() {
    assert_eq!(check_char("11010519491231002"), Some('X'));
    assert_eq!(check_char("44052418800101001"), Some('4'));
    assert_eq!(check_char("1101051949123100"), None);
    assert_eq!(check_char("110105194912310021"), None);
    assert_eq!(check_char("1101051949123100a"), None);
    assert_eq!(check_char("１101051949123100"), None);
}

#[test]
fn lowercase_x_is_accepted_and_stored_uppercase() {
    let id = parse("11010519491231002x").unwrap();
    assert_eq!(id.as_str(), "11010519491231002X");
    assert_eq!(id, parse("11010519491231002X").unwrap());
}

#[test]
fn wrong_lengths_are_reported() {
    assert_eq!(
        parse("11010519491231002"),
        Err(IdError::WrongLength { got: 17 })
    );
    assert_eq!(
        parse("11010519491231002X1"),
        Err(IdError::WrongLength { got: 19 })
    );
    assert_eq!(parse(""), Err(IdError::WrongLength { got: 0 }));
    assert_eq!(
        parse("11010519491231002").unwrap_err().to_string(),
        "must be 18 characters, got 17"
    );
    // Characters, not bytes: 18 Chinese characters are 18 characters.
    assert_eq!(
        parse(&"张".repeat(18)),
        Err(IdError::NotADigit {
            position: 1,
            found: '张'
        })
    );
}

#[test]
fn letters_inside_are_rejected_with_position() {
    assert_eq!(
        parse("1101051949A231002X"),
        Err(IdError::NotADigit {
            position: 11,
            found: 'A'
        })
    );
    assert_eq!(
        parse("X1010519491231002X").unwrap_err().to_string(),
        "character 1 must be a digit 0-9, got 'X'"
    );
    // x is only allowed as the check character.
    assert_eq!(
        parse("1101051949123100xX"),
        Err(IdError::NotADigit {
            position: 17,
            found: 'x'
        })
    );
    // Full-width digits are not ASCII digits.
    assert_eq!(
        parse("１1010519491231002X"),
        Err(IdError::NotADigit {
            position: 1,
            found: '１'
        })
    );
}

#[test]
fn bad_check_character_is_rejected() {
    assert_eq!(
        parse("11010519491231002Y"),
        Err(IdError::BadCheckCharacter { found: 'Y' })
    );
}

#[test]
fn surrounding_whitespace_is_rejected() {
    assert_eq!(
        parse(" 11010519491231002X"),
        Err(IdError::SurroundingWhitespace)
    );
    assert_eq!(
        parse("11010519491231002X\n"),
        Err(IdError::SurroundingWhitespace)
    );
}

#[test]
fn address_code_must_start_with_province_digit() {
    let id = ResidentId::build("110105", ymd(1980, 1, 1), 1);
    let zeroed = format!("0{}", &id.as_str()[1..17]);
    let s = format!("{zeroed}{}", check_char(&zeroed).unwrap());
    assert_eq!(
        parse(&s),
        Err(IdError::ImplausibleAddressCode {
            code: "010105".into()
        })
    );
    let all_zero = "00000019800101001";
    let s = format!("{all_zero}{}", check_char(all_zero).unwrap());
    assert_eq!(
        parse(&s).unwrap_err().to_string(),
        "address code 000000 is not plausible: its first digit (the province) must be 1-9"
    );
    // A code absent from any division list is still accepted.
    let unknown = ResidentId::build("999999", ymd(1980, 1, 1), 1);
    assert_eq!(parse(unknown.as_str()), Ok(unknown));
}

fn with_birth(digits8: &str) -> String {
    let first17 = format!("420625{digits8}123");
    format!("{first17}{}", check_char(&first17).unwrap())
}

#[test]
fn feb_29_valid_only_in_leap_years() {
    let leap = parse(&with_birth("20000229")).unwrap();
    assert_eq!(leap.birth_date(), ymd(2000, 2, 29));
    let leap2016 = parse(&with_birth("20160229")).unwrap();
    assert_eq!(leap2016.birth_date(), ymd(2016, 2, 29));
    assert_eq!(
        parse(&with_birth("20190229")),
        Err(IdError::BirthDateNotReal {
            raw: "2019-02-29".into()
        })
    );
    assert_eq!(
        parse(&with_birth("19000229")).unwrap_err().to_string(),
        "birth date 1900-02-29 is not a real date"
    );
}

#[test]
fn impossible_birth_dates_are_rejected() {
    for digits in ["20190230", "19801301", "19800001", "19800100", "19800431"] {
        assert!(
            matches!(
                parse(&with_birth(digits)),
                Err(IdError::BirthDateNotReal { .. })
            ),
            "{digits}"
        );
    }
    assert_eq!(
        parse(&with_birth("20190230")).unwrap_err().to_string(),
        "birth date 2019-02-30 is not a real date"
    );
}

#[test]
fn future_birth_date_is_rejected_but_today_is_fine() {
    let born_today = with_birth("20200601");
    assert_eq!(parse(&born_today).unwrap().birth_date(), today());
    let tomorrow = with_birth("20200602");
    assert_eq!(
        parse(&tomorrow),
        Err(IdError::BirthDateInFuture {
            birth: ymd(2020, 6, 2),
            today: today()
        })
    );
    assert_eq!(
        parse(&tomorrow).unwrap_err().to_string(),
        "birth date 2020-06-02 is in the future (today is 2020-06-01)"
    );
    // Stored values skip only the future check.
    assert_eq!(
        ResidentId::parse_stored(&tomorrow).unwrap().birth_date(),
        ymd(2020, 6, 2)
    );
}

#[test]
fn birth_before_1850_is_rejected() {
    assert_eq!(
        parse(&with_birth("18491231")),
        Err(IdError::BirthDateOutOfRange {
            birth: ymd(1849, 12, 31)
        })
    );
    assert_eq!(
        parse(&with_birth("18500101")).unwrap().birth_date(),
        ymd(1850, 1, 1)
    );
    assert!(matches!(
        ResidentId::parse_stored(&with_birth("22010101")),
        Err(IdError::BirthDateOutOfRange { .. })
    ));
}

#[test]
fn check_mismatch_message_names_both_characters() {
    // 11010519491231002X with the check character changed to 3.
    assert_eq!(
        parse("110105194912310023").unwrap_err().to_string(),
        "check character should be X, got 3"
    );
}

#[test]
fn masked_keeps_first_six_and_last_four() {
    let id = ResidentId::build("420625", ymd(1980, 5, 17), 123);
    assert_eq!(id.as_str().len(), 18);
    let masked = id.masked();
    assert_eq!(&masked[..6], "420625");
    assert_eq!(&masked[6..14], "********");
    assert_eq!(&masked[14..], &id.as_str()[14..]);
    assert_eq!(
        parse("11010519491231002X").unwrap().masked(),
        "110105********002X"
    );
}

#[test]
fn display_is_full_and_debug_is_masked() {
    let id = parse("11010519491231002X").unwrap();
    assert_eq!(id.to_string(), "11010519491231002X");
    let dbg = format!("{id:?}");
    assert_eq!(dbg, "ResidentId(\"110105********002X\")");
    assert!(!dbg.contains("19491231"));
    assert!(!format!("{:?}", Some(&id)).contains("19491231"));
}

#[test]
fn sex_from_17th_digit() {
    for seq in [0u16, 2, 10, 998] {
        assert!(!ResidentId::build("420625", ymd(1980, 1, 1), seq).is_male());
    }
    for seq in [1u16, 3, 11, 999] {
        assert!(ResidentId::build("420625", ymd(1980, 1, 1), seq).is_male());
    }
}

#[test]
fn age_in_full_years() {
    let id = ResidentId::build("420625", ymd(2000, 6, 15), 1);
    assert_eq!(id.age_on(ymd(2000, 6, 15)), 0);
    assert_eq!(id.age_on(ymd(2010, 6, 14)), 9);
    assert_eq!(id.age_on(ymd(2010, 6, 15)), 10);
    assert_eq!(id.age_on(ymd(2010, 12, 31)), 10);
    assert_eq!(id.age_on(ymd(1999, 1, 1)), 0);
}

#[test]
fn age_of_leap_day_birth() {
    let id = ResidentId::build("420625", ymd(2000, 2, 29), 1);
    assert_eq!(id.age_on(ymd(2001, 2, 28)), 0);
    assert_eq!(id.age_on(ymd(2001, 3, 1)), 1);
    assert_eq!(id.age_on(ymd(2004, 2, 28)), 3);
    assert_eq!(id.age_on(ymd(2004, 2, 29)), 4);
}

#[test]
fn build_computes_check_char() {
    let id = ResidentId::build("110105", ymd(1949, 12, 31), 2);
    assert_eq!(id.as_str(), "11010519491231002X");
    let id = ResidentId::build("440524", ymd(1880, 1, 1), 1);
    assert_eq!(id.as_str(), "440524188001010014");
}

#[test]
fn try_build_rejects_bad_parts() {
    let d = ymd(1980, 1, 1);
    assert!(matches!(
        ResidentId::try_build("42062", d, 1),
        Err(IdError::ImplausibleAddressCode { .. })
    ));
    assert!(matches!(
        ResidentId::try_build("020625", d, 1),
        Err(IdError::ImplausibleAddressCode { .. })
    ));
    assert!(matches!(
        ResidentId::try_build("42062a", d, 1),
        Err(IdError::ImplausibleAddressCode { .. })
    ));
    assert_eq!(
        ResidentId::try_build("420625", d, 1000),
        Err(IdError::SequenceOutOfRange { seq: 1000 })
    );
    assert_eq!(
        ResidentId::try_build("420625", ymd(1849, 1, 1), 1),
        Err(IdError::BirthDateOutOfRange {
            birth: ymd(1849, 1, 1)
        })
    );
}

#[test]
#[should_panic(expected = "sequence number 1000 must be 0..=999")]
fn build_panics_on_bad_parts() {
    let _ = ResidentId::build("420625", ymd(1980, 1, 1), 1000);
}

#[test]
fn ordering_and_hash_follow_the_string() {
    use std::collections::HashSet;
    let a = parse("11010519491231002X").unwrap();
    let b = parse("440524188001010014").unwrap();
    assert!(a < b);
    let set: HashSet<_> = [a.clone(), a.clone(), b].into_iter().collect();
    assert_eq!(set.len(), 2);
}

#[test]
fn deserialize_goes_through_parse() {
    let ok: Result<ResidentId, ValueError> =
        ResidentId::deserialize(StrDeserializer::new("11010519491231002x"));
    assert_eq!(ok.unwrap().as_str(), "11010519491231002X");
    let bad: Result<ResidentId, ValueError> =
        ResidentId::deserialize("340524198001010013".into_deserializer());
    assert_eq!(
        bad.unwrap_err().to_string(),
        "check character should be X, got 3"
    );
}

#[test]
fn mask_name_keeps_first_char() {
    assert_eq!(mask_name("张三丰"), "张**");
    assert_eq!(mask_name("李四"), "李*");
    assert_eq!(mask_name("王"), "王");
    assert_eq!(mask_name(""), "");
    assert_eq!(mask_name("Ann"), "A**");
    // U+21413 is outside the BMP (4 bytes in UTF-8) but one character.
    assert_eq!(mask_name("\u{21413}小明"), "\u{21413}**");
    assert_eq!(mask_name("盛\u{21413}"), "盛*");
}

fn valid_parts() -> impl Strategy<Value = (String, NaiveDate, u16)> {
    (
        "[1-9][0-9]{5}",
        (1850i32..=2200, 1u32..=12, 1u32..=31),
        0u16..=999,
    )
        .prop_filter_map("real date", |(addr, (y, m, d), seq)| {
            NaiveDate::from_ymd_opt(y, m, d).map(|date| (addr, date, seq))
        })
}

proptest! {
    #[test]
    fn built_ids_parse_back_equal((addr, birth, seq) in valid_parts()) {
        let id = ResidentId::build(&addr, birth, seq);
        let parsed = ResidentId::parse(id.as_str(), ymd(2200, 12, 31)).unwrap();
        prop_assert_eq!(&parsed, &id);
        prop_assert_eq!(parsed.birth_date(), birth);
        prop_assert_eq!(parsed.address_code(), addr.as_str());
        prop_assert_eq!(parsed.is_male(), seq % 2 == 1);
        let lower = id.as_str().to_ascii_lowercase();
        prop_assert_eq!(ResidentId::parse_stored(&lower).unwrap(), id);
    }

    #[test]
    fn any_single_character_change_fails(
        (addr, birth, seq) in valid_parts(),
        pos in 0usize..18,
        pick in 0usize..11,
    ) {
        let id = ResidentId::build(&addr, birth, seq);
        let mut chars: Vec<char> = id.as_str().chars().collect();
        let alphabet: &[char] = if pos == 17 {
            &['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X']
        } else {
            &['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
        };
        let replacement = alphabet
            .iter()
            .copied()
            .filter(|&c| c != chars[pos])
            .nth(pick % (alphabet.len() - 1))
            .unwrap();
        chars[pos] = replacement;
        let changed: String = chars.into_iter().collect();
        prop_assert_ne!(changed.as_str(), id.as_str());
        prop_assert!(ResidentId::parse(&changed, ymd(2200, 12, 31)).is_err());
    }

    #[test]
    fn masked_never_contains_birth_digits((addr, birth, seq) in valid_parts()) {
        let id = ResidentId::build(&addr, birth, seq);
        let masked = id.masked();
        let birth_digits = &id.as_str()[6..14];
        prop_assert_eq!(masked.chars().count(), 18);
        prop_assert_eq!(&masked[6..14], "********");
        prop_assert!(!masked.contains(birth_digits));
        let debug = format!("{:?}", id);
        prop_assert!(!debug.contains(birth_digits));
    }

    #[test]
    fn mask_name_preserves_char_count(name in "\\PC{0,12}") {
        let masked = mask_name(&name);
        prop_assert_eq!(masked.chars().count(), name.chars().count());
        prop_assert_eq!(masked.chars().next(), name.chars().next());
        prop_assert!(masked.chars().skip(1).all(|c| c == '*'));
    }
}
