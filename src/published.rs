//! The county's published 2019 figures (DOMAIN.md §1): what the demo data must reproduce
//! and what the acceptance test and `xiaokang demo` check the aggregator's summary
//! against. These are the requirement, not computed results.

/// Gucheng County's statistical code.
pub const COUNTY: &str = "420625";
/// The year the figures describe (in-year counts, health coverage year).
pub const YEAR: i32 = 2019;
/// The archive's baseline (建档立卡) year.
pub const BASELINE_YEAR: i32 = 2014;

/// Archive households today (poor + exited).
pub const ARCHIVE_HOUSEHOLDS: i64 = 19_139;
/// Their current members.
pub const ARCHIVE_PEOPLE: i64 = 49_494;
/// People registered in 2014, including those removed since.
pub const BASELINE_PEOPLE: i64 = 51_125;
/// Households newly identified in 2019.
pub const IDENTIFIED_2019_HOUSEHOLDS: i64 = 39;
/// Their people.
pub const IDENTIFIED_2019_PEOPLE: i64 = 92;
/// Monitored households (unstable exited + edge).
pub const MONITORED_HOUSEHOLDS: i64 = 275;
/// Their people.
pub const MONITORED_PEOPLE: i64 = 736;
/// Monitored people as a share of the baseline, in hundredths of a percent (1.44%).
pub const MONITORED_SHARE_BP: i64 = 144;
/// Households that exited in 2019.
pub const EXITED_2019_HOUSEHOLDS: i64 = 210;
/// Their people.
pub const EXITED_2019_PEOPLE: i64 = 470;
/// Villages (村).
pub const VILLAGES: i64 = 242;
/// Communities (社区).
pub const COMMUNITIES: i64 = 48;
/// Poor villages, each with collective operating income at the threshold.
pub const POOR_VILLAGES: i64 = 37;
/// The collective income every poor village reaches, in fen (50,000 yuan).
pub const POOR_VILLAGE_INCOME_FEN: i64 = 5_000_000;

/// Compulsory-age children unable to attend for physical reasons (survey).
pub const UNABLE_PHYSICAL: i64 = 102;
/// Of them, placed in nearby schools.
pub const PLACED_NEARBY: i64 = 5;
/// Of them, taught at home (送教上门).
pub const TAUGHT_AT_HOME: i64 = 97;
/// Registered students studying outside the county, each with a notification letter.
pub const OUTSIDE_STUDENTS: i64 = 1_088;
/// Registered-poor students from other counties studying here, all subsidised.
pub const INCOMING_STUDENTS: i64 = 230;

/// Registered-poor people insured (the archive population).
pub const INSURED_POOR: i64 = 49_494;
/// The individual premium the county pays for each, in fen (220 yuan, coverage 2019).
pub const PREMIUM_FEN: i64 = 22_000;
/// Designated institutions, all with one-stop settlement and treat-first-pay-later.
pub const INSTITUTIONS: i64 = 18;
/// Personal in-county in-policy hospital payment cap a year, in fen (5,000 yuan).
pub const PERSONAL_CAP_FEN: i64 = 500_000;

/// Relocated households, all moved in.
pub const RELOCATED_HOUSEHOLDS: i64 = 4_013;
/// Their people.
pub const RELOCATED_PEOPLE: i64 = 7_734;
/// Homestead land reclaimed, in 0.01 mu (1,800 mu).
pub const RECLAIMED_CENTI_MU: i64 = 180_000;

/// Households whose drinking water is assessed and safe (安全 or 基本安全).
pub const WATER_HOUSEHOLDS: i64 = 19_139;
/// Their people.
pub const WATER_PEOPLE: i64 = 49_494;
