//! Property fuzzing of the parsers every request goes through: the value types of
//! `xk_contracts::types`, the page tokens, and the `grpc-timeout` header parser. Each
//! property runs `XK_FUZZ_CASES` cases (default 4,096): never a panic on arbitrary input,
//! and round trips (build -> parse, encode -> decode, masked never shows the whole id).
//! The unit-level proptests next to each type cover the valid alphabets; these add
//! arbitrary text, near misses and cross-checks against an independent oracle.

use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;
use xk_contracts::types::{Fen, HouseholdId, RegionCode, RegionPrefix, ResidentId, parse_ymd};
use xk_runtime::layers::parse_grpc_timeout;
use xk_runtime::paging::{decode_token, encode_token, page_size};

/// Cases per property.
fn cases() -> u32 {
    std::env::var("XK_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4096)
}

/// "Today" for the parsers that need one (fixed, so cases replay).
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
}

/// A valid resident id from its parts.
fn valid_id() -> impl Strategy<Value = ResidentId> {
    (
        prop::sample::select(vec!["420625", "110105", "420602", "659001"]),
        0i64..(365 * 150),
        0u16..1000,
    )
        .prop_map(|(addr, days, seq)| {
            let birth =
                NaiveDate::from_ymd_opt(1876, 1, 1).unwrap() + chrono::Days::new(days as u64);
            ResidentId::build(addr, birth, seq)
        })
}

/// Text that is often almost an id, a code or a token: digits, X, separators, CJK,
/// astral-plane characters, whitespace.
fn near_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::char::range('0', '9'),
            1 => Just('X'),
            1 => Just('x'),
            1 => Just(' '),
            1 => Just('-'),
            1 => Just('.'),
            1 => Just('盛'),
            1 => Just('𡐓'),
            1 => any::<char>(),
        ],
        0..max,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// The oracle for `grpc-timeout` (gRPC over HTTP/2): 1 to 8 ASCII digits and a unit.
fn grpc_timeout_oracle(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=9).contains(&b.len())
        && b[..b.len() - 1].iter().all(u8::is_ascii_digit)
        && matches!(b[b.len() - 1], b'H' | b'M' | b'S' | b'm' | b'u' | b'n')
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn resident_id_parse_never_panics_and_accepts_only_what_it_returns(s in near_text(22)) {
        if let Ok(id) = ResidentId::parse(&s, today()) {
            prop_assert_eq!(id.as_str(), s.to_uppercase());
            prop_assert!(!id.masked().contains(id.as_str()));
        }
        let _ = ResidentId::parse_stored(&s);
    }

    #[test]
    fn a_built_id_parses_back_and_masks(id in valid_id()) {
        let back = ResidentId::parse(id.as_str(), today()).unwrap();
        prop_assert_eq!(back.as_str(), id.as_str());
        let m = id.masked();
        prop_assert_eq!(m.chars().count(), 18);
        prop_assert!(!m.contains(id.as_str()));
        prop_assert!(!m.contains(&id.as_str()[6..14]), "birth date hidden");
        prop_assert_eq!(&m[..6], &id.as_str()[..6]);
        prop_assert_eq!(&m[14..], &id.as_str()[14..]);
        prop_assert!(!format!("{id:?}").contains(id.as_str()), "Debug masks");
    }

    #[test]
    fn one_changed_character_is_always_rejected(id in valid_id(), pos in 0usize..18, c in prop::sample::select("0123456789X".chars().collect::<Vec<_>>())) {
        let mut chars: Vec<char> = id.as_str().chars().collect();
        prop_assume!(chars[pos] != c);
        chars[pos] = c;
        let s: String = chars.into_iter().collect();
        // MOD 11-2 catches every single substitution.
        prop_assert!(ResidentId::parse(&s, today()).is_err(), "{} accepted", s);
    }

    #[test]
    fn region_code_and_prefix_parse_arbitrary_text(s in near_text(14)) {
        if let Ok(c) = RegionCode::parse(&s) {
            prop_assert_eq!(c.as_str(), s.as_str());
            prop_assert_eq!(s.len(), 12);
            // Every code is inside its own county and township prefixes.
            for n in [6, 9, 12] {
                let p = RegionPrefix::parse(&s[..n]).unwrap();
                prop_assert!(p.contains(&c));
            }
        }
        if let Ok(p) = RegionPrefix::parse(&s) {
            prop_assert_eq!(p.as_str(), s.as_str());
            prop_assert!([6, 9, 12].contains(&s.len()));
            prop_assert!(p.like_pattern().starts_with(&s));
        }
    }

    #[test]
    fn prefix_contains_iff_code_starts_with_it(code in "4206251[0-9]{2}[0-3][0-9]{2}", n in prop::sample::select(vec![6usize, 9, 12]), other in "42062510[0-9][0-3][0-9]{2}") {
        if let (Ok(c), Ok(p)) = (RegionCode::parse(&other), RegionPrefix::parse(&code[..n])) {
            prop_assert_eq!(p.contains(&c), other.starts_with(&code[..n]));
        }
    }

    #[test]
    fn household_id_parse_arbitrary_text(s in prop_oneof![near_text(40), "\\PC{0,80}"]) {
        if let Ok(h) = HouseholdId::parse(&s) {
            prop_assert_eq!(h.as_str(), s.as_str());
            prop_assert!(!s.is_empty() && s.trim() == s);
        }
    }

    #[test]
    fn parse_ymd_agrees_with_the_calendar(y in prop_oneof![any::<i32>(), 1800i32..2300], m in prop_oneof![any::<i32>(), -1i32..14], d in prop_oneof![any::<i32>(), -1i32..33]) {
        match parse_ymd(y, m, d) {
            Ok(date) => {
                prop_assert_eq!((date.year(), date.month() as i32, date.day() as i32), (y, m, d));
                prop_assert!((1850..=2200).contains(&y));
            }
            Err(_) => {
                let real = u32::try_from(m).ok().zip(u32::try_from(d).ok())
                    .and_then(|(m, d)| NaiveDate::from_ymd_opt(y, m, d));
                prop_assert!(real.is_none() || !(1850..=2200).contains(&y));
            }
        }
    }

    #[test]
    fn fen_parse_never_panics_and_round_trips(s in prop_oneof![near_text(24), "-?[0-9]{1,20}(\\.[0-9]{0,3})?"], v in any::<i64>()) {
        if let Ok(f) = Fen::parse(&s) {
            prop_assert_eq!(Fen::parse(&f.to_string()).unwrap(), f);
        }
        let f = Fen::new(v);
        prop_assert_eq!(Fen::parse(&f.to_string()).unwrap(), f);
    }

    #[test]
    fn page_tokens_decode_arbitrary_text_and_round_trip(t in prop_oneof![near_text(40), "[0-9a-f]{16}\\.[0-9a-f]{0,40}", "\\PC{0,60}"], filter in "\\PC{0,20}", key in "\\PC{0,30}", n in any::<i32>()) {
        let _ = decode_token(&t, &filter);
        let tok = encode_token(&filter, &key);
        prop_assert_eq!(decode_token(&tok, &filter).unwrap(), Some(key.clone()));
        let other = format!("{filter}~");
        prop_assert!(decode_token(&tok, &other).is_err(), "a token only works with its filter");
        match page_size(n) {
            Ok(size) => prop_assert!(n >= 0 && (1..=1000).contains(&size)),
            Err(_) => prop_assert!(n < 0),
        }
    }

    #[test]
    fn grpc_timeout_accepts_exactly_the_spec(s in prop_oneof![near_text(10), "[+-]?[0-9]{0,10}[HMSmunx ]", "\\PC{0,12}"]) {
        let got = parse_grpc_timeout(&s);
        prop_assert_eq!(got.is_some(), grpc_timeout_oracle(&s), "{:?} -> {:?}", s, got);
    }
}
