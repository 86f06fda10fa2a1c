use std::collections::BTreeMap;

use super::*;

fn book() -> PolicyBook {
    embedded_book().expect("embedded policy.toml is valid")
}

fn p2019() -> Policy {
    book().for_year(2019).expect("2019 present").clone()
}

/// A book of these years' tables, in the shape of `policy.toml`.
fn book_toml(years: &[(i32, Policy)]) -> String {
    #[derive(Serialize)]
    struct Out {
        years: BTreeMap<String, Policy>,
    }
    let years = years
        .iter()
        .map(|(y, p)| (y.to_string(), p.clone()))
        .collect();
    toml::to_string(&Out { years }).expect("serialises")
}

/// A book holding one year, 2019's table, with `edit` applied, serialised back to TOML.
fn edited_book_toml(edit: impl FnOnce(&mut Policy)) -> String {
    let mut p = p2019();
    edit(&mut p);
    book_toml(&[(2019, p)])
}

/// The violations of 2019's table with `edit` applied.
fn violations_of(edit: impl FnOnce(&mut Policy)) -> Vec<PolicyViolation> {
    let mut p = p2019();
    edit(&mut p);
    p.validate().expect_err("the edit breaks a rule")
}

/// The year and reason the loader gives for an invalid book.
fn refusal_of(text: &str) -> (i32, String) {
    match book_from_toml(text) {
        Err(PolicyError::Invalid { year, reason }) => (year, reason),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn embedded_book_has_the_three_coverage_years() {
    let b = book();
    assert_eq!(
        b.iter().map(|(y, _)| *y).collect::<Vec<_>>(),
        vec![2019, 2020, 2021]
    );
}

#[test]
fn embedded_premiums_are_the_published_ones() {
    let b = book();
    let premium = |y| b.for_year(y).unwrap().premium.individual_fen;
    assert_eq!(premium(2019), 22_000);
    assert_eq!(premium(2020), 25_000);
    assert_eq!(premium(2021), 28_000);
    for y in [2019, 2020, 2021] {
        assert_eq!(
            b.for_year(y).unwrap().premium.poor_government_share_bp,
            10_000
        );
    }
}

#[test]
fn embedded_defaults_are_the_documented_ones() {
    for (year, p) in book().iter() {
        let b = &p.basic;
        assert_eq!(
            b.poor_deductible_in_county_bp, 0,
            "{year}: waived in county"
        );
        assert_eq!(
            b.poor_deductible_out_of_county_bp, 5_000,
            "{year}: halved outside"
        );
        // One row per institution level: in-county poor rate, rate and deductible, then
        // the out-of-county poor rate.
        let levels: Vec<(u32, u32, i64, u32)> = InstitutionLevel::ALL
            .iter()
            .map(|&l| {
                let t = b.in_county.get(l);
                (
                    t.poor_rate_bp,
                    t.rate_bp,
                    t.deductible_fen,
                    b.out_of_county.get(l).poor_rate_bp,
                )
            })
            .collect();
        assert_eq!(
            levels,
            vec![
                (9_000, 8_500, 0, 8_000),
                (9_000, 8_500, 20_000, 8_000),
                (8_000, 7_500, 50_000, 7_000),
                (7_000, 6_500, 80_000, 7_000),
                (6_000, 5_500, 150_000, 6_000),
            ],
            "{year}"
        );
        assert_eq!(
            b.chronic_outpatient,
            BasicTerms {
                deductible_fen: 0,
                rate_bp: 6_000,
                poor_rate_bp: 7_000
            }
        );
        assert_eq!(
            p.serious_illness,
            SeriousIllness {
                deductible_fen: 500_000,
                rate_bp: 6_000,
                poor_deductible_fen: 250_000,
                poor_rate_bp: 6_500
            }
        );
        assert_eq!(
            p.medical_assistance,
            MedicalAssistance {
                rate_bp: 7_000,
                annual_cap_fen: 2_000_000
            }
        );
        assert_eq!(
            p.supplementary,
            Supplementary {
                annual_personal_cap_fen: 500_000,
                inpatient_target_bp: 9_000,
                chronic_outpatient_target_bp: 8_000
            }
        );
    }
}

#[test]
fn for_year_picks_the_latest_year_not_after() {
    let b = book();
    assert!(b.for_year(2018).is_none());
    assert_eq!(b.for_year(2019).unwrap().premium.individual_fen, 22_000);
    assert_eq!(b.for_year(2020).unwrap().premium.individual_fen, 25_000);
    assert_eq!(b.for_year(2021).unwrap().premium.individual_fen, 28_000);
    assert_eq!(b.for_year(2030).unwrap().premium.individual_fen, 28_000);
}

#[test]
fn for_year_skips_gaps() {
    let b = book();
    let p2021 = b.for_year(2021).unwrap().clone();
    let gap = book_from_toml(&book_toml(&[(2019, p2019()), (2021, p2021)])).unwrap();
    assert_eq!(gap.for_year(2020).unwrap().premium.individual_fen, 22_000);
    assert_eq!(gap.effective_year(2020), Some(2019));
    assert_eq!(gap.for_year(2021).unwrap().premium.individual_fen, 28_000);
}

#[test]
fn policy_round_trips_through_toml() {
    let text = edited_book_toml(|_| {});
    let back = book_from_toml(&text).unwrap();
    assert_eq!(back.iter().count(), 1);
    assert_eq!(back.for_year(2019).unwrap(), &p2019());
}

#[test]
fn premium_split_government_pays_for_the_poor() {
    let p = p2019();
    assert_eq!(
        p.premium.split(true),
        PremiumSplit {
            government_fen: 22_000,
            personal_fen: 0
        }
    );
    assert_eq!(
        p.premium.split(false),
        PremiumSplit {
            government_fen: 0,
            personal_fen: 22_000
        }
    );
    let partial = Premium {
        individual_fen: 22_001,
        poor_government_share_bp: 5_000,
    };
    // floor(22001 / 2) = 11000 to the government, the odd fen to the person.
    assert_eq!(
        partial.split(true),
        PremiumSplit {
            government_fen: 11_000,
            personal_fen: 11_001
        }
    );
}

/// 2019's table with one figure broken: the one violation it gives, naming the figure's
/// path and what is wrong.
#[test]
fn one_broken_figure_is_one_violation_naming_its_path() {
    type Edit = fn(&mut Policy);
    let cases: [(&str, Edit, &str, &str); 4] = [
        (
            "rate above 100 percent",
            |p| p.basic.in_county.county.poor_rate_bp = 12_000,
            "basic.in_county.county.poor_rate_bp",
            "12000 bp exceeds 10000 bp (100%)",
        ),
        (
            "negative amount",
            |p| p.medical_assistance.annual_cap_fen = -1,
            "medical_assistance.annual_cap_fen",
            "-1 fen is negative",
        ),
        (
            "poor rate below the general one",
            |p| p.basic.out_of_county.city.poor_rate_bp = 6_000,
            "basic.out_of_county.city.poor_rate_bp",
            "6000 bp is below rate_bp (6500 bp): the poor's rate is never lower",
        ),
        (
            "poor serious-illness deductible above the general one",
            |p| p.serious_illness.poor_deductible_fen = 600_000,
            "serious_illness.poor_deductible_fen",
            "600000 fen is above serious_illness.deductible_fen (500000 fen): \
             the poor's deductible is never higher",
        ),
    ];
    for (case, edit, field, problem) in cases {
        let want = PolicyViolation {
            field: field.into(),
            problem: problem.into(),
        };
        assert_eq!(violations_of(edit), vec![want], "{case}");
    }
}

#[test]
fn every_violation_of_a_year_is_listed() {
    let edit = |p: &mut Policy| {
        p.premium.individual_fen = -5;
        p.basic.poor_deductible_in_county_bp = 10_001;
        p.basic.chronic_outpatient.deductible_fen = -100;
        p.serious_illness.rate_bp = 10_001; // also above poor_rate_bp
        p.supplementary.chronic_outpatient_target_bp = 20_000;
    };
    let v = violations_of(edit);
    let fields: Vec<&str> = v.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "premium.individual_fen",
            "basic.poor_deductible_in_county_bp",
            "basic.chronic_outpatient.deductible_fen",
            "serious_illness.rate_bp",
            "serious_illness.poor_rate_bp",
            "supplementary.chronic_outpatient_target_bp",
        ]
    );
    let (year, reason) = refusal_of(&edited_book_toml(edit));
    assert_eq!(year, 2019);
    assert!(
        reason.starts_with("premium.individual_fen: -5 fen is negative; "),
        "{reason}"
    );
    assert_eq!(reason.matches("; ").count(), 5, "{reason}");
}

#[test]
fn rates_at_exactly_100_percent_and_zero_amounts_are_valid() {
    let text = edited_book_toml(|p| {
        p.basic.in_county.village.rate_bp = 10_000;
        p.basic.in_county.village.poor_rate_bp = 10_000;
        p.medical_assistance.annual_cap_fen = 0;
        p.supplementary.annual_personal_cap_fen = 0;
    });
    let b = book_from_toml(&text).unwrap();
    assert_eq!(
        b.for_year(2019).unwrap().basic.in_county.village.rate_bp,
        10_000
    );
}

/// Loads the embedded text with the first `from` replaced by `to`, checks that it is a
/// parse error naming `named`, and gives the error back for further checks.
fn parse_error_naming(from: &str, to: &str, named: &str) -> PolicyError {
    let text = DEFAULT_POLICY_TOML.replacen(from, to, 1);
    let err = book_from_toml(&text).unwrap_err();
    assert!(matches!(err, PolicyError::Parse(_)), "{err:?}");
    assert!(err.to_string().contains(named), "{err}");
    err
}

#[test]
fn unknown_key_is_a_parse_error() {
    let err = parse_error_naming("rate_bp = 7000", "rate_pb = 7000", "rate_pb");
    // The error points into the operator's own text, not a re-serialised copy.
    let line = DEFAULT_POLICY_TOML
        .lines()
        .position(|l| l.contains("rate_bp = 7000"))
        .unwrap()
        + 1;
    assert!(err.to_string().contains(&format!("line {line},")), "{err}");
}

#[test]
fn missing_key_is_a_parse_error() {
    parse_error_naming("annual_cap_fen = 2000000", "", "annual_cap_fen");
}

#[test]
fn negative_rate_is_a_parse_error() {
    let text = DEFAULT_POLICY_TOML.replacen("rate_bp = 7000", "rate_bp = -7000", 1);
    assert!(matches!(book_from_toml(&text), Err(PolicyError::Parse(_))));
}

#[test]
fn non_year_key_is_rejected() {
    let text = DEFAULT_POLICY_TOML.replace("years.2020.", "years.next.");
    match book_from_toml(&text) {
        Err(PolicyError::BadYear(key)) => assert_eq!(key, "next"),
        other => panic!("expected BadYear, got {other:?}"),
    }
    let signed = DEFAULT_POLICY_TOML.replace("years.2020.", "years.\"+2020\".");
    match book_from_toml(&signed) {
        Err(PolicyError::BadYear(key)) => assert_eq!(key, "+2020"),
        other => panic!("expected BadYear, got {other:?}"),
    }
}

#[test]
fn empty_book_is_rejected() {
    let err = book_from_toml("[years]\n").unwrap_err();
    assert!(matches!(err, PolicyError::Empty), "{err:?}");
}

#[test]
fn lowest_invalid_year_is_reported() {
    let b = book();
    let mut p2020 = b.for_year(2020).unwrap().clone();
    let mut p2021 = b.for_year(2021).unwrap().clone();
    p2021.serious_illness.poor_rate_bp = 10_500;
    p2020.premium.individual_fen = -1;
    let text = book_toml(&[(2019, p2019()), (2020, p2020), (2021, p2021)]);
    let (year, reason) = refusal_of(&text);
    assert_eq!(year, 2020);
    assert!(reason.starts_with("premium.individual_fen"), "{reason}");
}

#[test]
fn institution_level_names() {
    let names: Vec<String> = InstitutionLevel::ALL
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        names,
        vec!["village", "township", "county", "city", "province"]
    );
    assert!(InstitutionLevel::Village < InstitutionLevel::Province);
}
