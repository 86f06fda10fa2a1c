//! The demo county: Gucheng (420625) as its 2019 report describes it, generated
//! deterministically from a seed and loaded through the public RPCs only, as each bureau's
//! system would, with that bureau's token.
//!
//! Module map:
//! - [`published`]: the acceptance table of DOMAIN.md §1 (what must come out); it lives
//!   at the crate's root, where [`crate::fixtures`] reads it too.
//! - [`names`]: townships, village and person names.
//! - [`people`]: resident ids, birth dates, household composition.
//! - [`registry`], [`education`], [`health`], [`housing`], [`water`]: each bureau's
//!   records, planned from the archive so identifiers agree across services.
//! - [`load`]: sends a planned county to a running suite (client-streaming imports where
//!   they exist, bounded-concurrency unary calls elsewhere) with a progress bar per service.
//! - [`check`]: compares the aggregator's summary with the published figures.
//! - [`run`]: load if empty, read the summary back, check it (`demo`, `up --demo`, tests).

pub mod check;
pub mod education;
pub mod health;
pub mod housing;
pub mod load;
pub mod names;
pub mod people;
pub use crate::fixtures::county_today;
pub use crate::published;
pub mod registry;
pub mod run;
pub mod water;

use chrono::NaiveDate;
use rand::SeedableRng;
use rand::rngs::StdRng;
use xk_contracts::pb::registry::v1::{Household, Village};

/// The seed `xiaokang demo` uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 420_625;

/// A whole county, planned: every request each bureau will send.
#[derive(Debug, Clone)]
pub struct County {
    /// The seed it was generated from (also in every request id, so a reload is a replay).
    pub seed: u64,
    /// The day ages and school years were counted at.
    pub today: NaiveDate,
    /// Villages and communities.
    pub villages: Vec<Village>,
    /// Households (archive and edge), with the members who left since 2014 as history.
    pub households: Vec<Household>,
    /// Households that exited in 2019 (the exit-accuracy check asks about each).
    pub exited_in_year: Vec<String>,
    /// Education Bureau.
    pub education: education::EducationLoad,
    /// Medical Security Bureau.
    pub health: health::HealthLoad,
    /// Relocation office.
    pub housing: housing::HousingLoad,
    /// Water Resources Bureau.
    pub water: water::WaterLoad,
}

impl County {
    /// Gucheng from `seed`, with ages and school years counted at `today`. The same seed
    /// and day give the same county, byte for byte.
    pub fn generate(seed: u64, today: NaiveDate) -> County {
        Self::generate_for(seed, today, published::COUNTY)
    }

    /// The same county shape under another 6-digit county code (growth benchmarks load
    /// several counties side by side; ids never collide because the code is in them).
    pub fn generate_for(seed: u64, today: NaiveDate, county: &str) -> County {
        Self::generate_scaled(seed, today, county, 1)
    }

    /// The county with every archive group `scale` times as large (growth benchmarks:
    /// 1 ≈ 50,000 people, 10 ≈ 500,000, 20 ≈ 1,000,000). Only scale 1 reproduces the
    /// published figures.
    pub fn generate_scaled(seed: u64, today: NaiveDate, county: &str, scale: u32) -> County {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut ids = people::IdAllocator::default();
        let mut archive = registry::generate(&mut rng, &mut ids, county, today, scale);
        let mut education = education::generate(&mut rng, &mut ids, &mut archive, seed, today);
        let mut health = health::generate(&mut rng, &archive, seed);
        let housing = housing::generate(&mut rng, &archive, seed, county, scale);
        let water = water::generate(&mut rng, &archive);
        in_key_order(&mut health, &mut education);
        let mut left: Vec<Option<_>> = vec![None; archive.homes.len()];
        for (i, person, reason, on) in &archive.removed {
            left[*i] = Some((person, *reason, *on));
        }
        let households = archive
            .homes
            .iter()
            .zip(&left)
            .map(|(h, x)| registry::household_pb(&mut rng, h, *x))
            .collect();
        let exited_in_year = archive
            .homes
            .iter()
            .filter(|h| h.group == registry::Group::Exited2019)
            .map(|h| h.id.clone())
            .collect();
        County {
            seed,
            today,
            villages: archive.villages,
            households,
            exited_in_year,
            education,
            health,
            housing,
            water,
        }
    }

    /// Every person's resident id and name the county holds (the privacy test looks for
    /// them in the logs).
    pub fn identities(&self) -> impl Iterator<Item = (&str, &str)> {
        self.households
            .iter()
            .flat_map(|h| &h.members)
            .map(|m| (m.resident_id.as_str(), m.name.as_str()))
    }
}

/// Puts the records keyed by resident id in key order, as a bureau's export would be: an
/// import then adds to the end of each primary-key index instead of at a random place in
/// it, which at ten million people is the difference between touching a page per batch
/// and a page per row (README, "Growth"). Households are generated in archive-number
/// order already; the registry's members stay in household order (their resident ids are
/// random within it).
fn in_key_order(health: &mut health::HealthLoad, education: &mut education::EducationLoad) {
    health
        .enrolments
        .sort_by(|a, b| (&a.resident_id, a.coverage_year).cmp(&(&b.resident_id, b.coverage_year)));
    let patient = |cases: &Vec<xk_contracts::pb::health::v1::SettleCaseRequest>| {
        cases
            .first()
            .and_then(|c| c.hospital_case.as_ref())
            .map(|c| c.resident_id.clone())
    };
    health.cases.sort_by_cached_key(patient);
    education
        .students
        .sort_by(|a, b| a.resident_id.cmp(&b.resident_id));
}
