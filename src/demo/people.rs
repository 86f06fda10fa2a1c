//! People of the demo county: valid resident ids (real check characters, birth dates that
//! match the ages, sex in the 17th digit) that never repeat, and households of plausible
//! composition.

use std::collections::HashSet;

use chrono::{Datelike, Days, Months, NaiveDate};
use rand::Rng;
use xk_contracts::pb::registry::v1::{HealthCondition, LabourCapacity, Relation};
use xk_contracts::types::ResidentId;

use super::names;

/// One person as the generator plans them.
#[derive(Debug, Clone)]
pub struct Person {
    /// Resident id (18 characters, valid check character).
    pub id: String,
    /// Name.
    pub name: String,
    /// Birth date (inside the id).
    pub birth: NaiveDate,
    /// Relation to the head.
    pub relation: Relation,
    /// Health.
    pub health: HealthCondition,
    /// Labour capacity.
    pub labour: LabourCapacity,
    /// The year the person entered the archive.
    pub registered_year: i32,
}

impl Person {
    /// Age in whole years on `on`.
    pub fn age_on(&self, on: NaiveDate) -> i32 {
        let mut age = on.year() - self.birth.year();
        if (on.month(), on.day()) < (self.birth.month(), self.birth.day()) {
            age -= 1;
        }
        age
    }
}

/// Hands out resident ids that are unique across the county: (address, birth date,
/// sequence) is never reused.
#[derive(Debug, Default)]
pub struct IdAllocator {
    /// Every (address code, birth date, sequence) handed out.
    used: HashSet<(String, NaiveDate, u16)>,
}

impl IdAllocator {
    /// A new id for someone born on `birth` in `address` (6 digits); odd sequence for men.
    pub fn next(
        &mut self,
        rng: &mut impl Rng,
        address: &str,
        birth: NaiveDate,
        male: bool,
    ) -> String {
        loop {
            let mut seq: u16 = rng.random_range(0..1000);
            if (seq % 2 == 1) != male {
                seq = if seq == 999 { 998 } else { seq + 1 };
            }
            if self.used.insert((address.to_string(), birth, seq)) {
                return ResidentId::build(address, birth, seq).as_str().to_string();
            }
        }
    }
}

/// A birth date `age` whole years before `today`, on a random day of that year of life.
pub fn birth_for_age(rng: &mut impl Rng, today: NaiveDate, age: u32) -> NaiveDate {
    let start = today
        .checked_sub_months(Months::new(12 * (age + 1)))
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .unwrap_or(today);
    let span = (today
        .checked_sub_months(Months::new(12 * age))
        .unwrap_or(today)
        - start)
        .num_days()
        .max(1);
    start + chrono::Duration::days(rng.random_range(0..span))
}

fn labour_for(rng: &mut impl Rng, age: u32, health: HealthCondition) -> LabourCapacity {
    if !(16..=65).contains(&age) {
        return LabourCapacity::NotWorkingAge;
    }
    match health {
        HealthCondition::SeriousIllness | HealthCondition::Disabled => {
            if rng.random_bool(0.5) {
                LabourCapacity::None
            } else {
                LabourCapacity::Weak
            }
        }
        HealthCondition::ChronicIllness => LabourCapacity::Weak,
        _ => LabourCapacity::Full,
    }
}

fn health_for(rng: &mut impl Rng, age: u32) -> HealthCondition {
    let x: f64 = rng.random();
    let (chronic, serious, disabled) = if age < 18 {
        (0.02, 0.01, 0.02)
    } else if age < 60 {
        (0.10, 0.04, 0.07)
    } else {
        (0.25, 0.08, 0.08)
    };
    if x < chronic {
        HealthCondition::ChronicIllness
    } else if x < chronic + serious {
        HealthCondition::SeriousIllness
    } else if x < chronic + serious + disabled {
        HealthCondition::Disabled
    } else {
        HealthCondition::Healthy
    }
}

/// Builds people of one household.
pub struct Family<'a, R: Rng> {
    /// The county's random source.
    pub rng: &'a mut R,
    /// The county's id allocator.
    pub ids: &'a mut IdAllocator,
    /// The day ages are counted at.
    pub today: NaiveDate,
    /// Address code of the ids.
    pub address: &'a str,
    /// The year the household entered the archive (members born later enter at birth).
    pub identified_year: i32,
}

impl<R: Rng> Family<'_, R> {
    /// One person of `age` with `relation`.
    pub fn person(&mut self, surname: &str, relation: Relation, age: u32, male: bool) -> Person {
        let birth = birth_for_age(self.rng, self.today, age);
        let id = self.ids.next(self.rng, self.address, birth, male);
        let health = health_for(self.rng, age);
        let labour = labour_for(self.rng, age, health);
        let family_name = if relation == Relation::Spouse {
            names::surname(self.rng)
        } else {
            surname
        };
        Person {
            id,
            name: names::person(self.rng, family_name),
            birth,
            relation,
            health,
            labour,
            registered_year: self.identified_year.max(birth.year()),
        }
    }

    /// A household of `size` people: a head, a spouse, then children, parents or
    /// grandchildren. `elderly` makes the head older (relocated and single households).
    pub fn household(&mut self, size: u32, elderly: bool) -> Vec<Person> {
        let surname = names::surname(self.rng);
        let head_age = if elderly {
            self.rng.random_range(55..80)
        } else {
            self.rng.random_range(28..72)
        };
        let head_male = self.rng.random_bool(0.8);
        let mut out = vec![self.person(surname, Relation::Head, head_age, head_male)];
        if size >= 2 {
            let age = (head_age as i32 + self.rng.random_range(-5..5)).clamp(20, 90) as u32;
            out.push(self.person(surname, Relation::Spouse, age, !head_male));
        }
        for _ in 2..size {
            let x: f64 = self.rng.random();
            let (relation, age) = if x < 0.12 && head_age < 60 {
                (
                    Relation::Parent,
                    (head_age + self.rng.random_range(22..30)).min(95),
                )
            } else if x < 0.25 && head_age >= 50 {
                (Relation::Grandchild, self.rng.random_range(0..14))
            } else {
                let max = head_age.saturating_sub(18).clamp(1, 26);
                (Relation::Child, self.rng.random_range(0..max))
            };
            let male = self.rng.random_bool(0.52);
            out.push(self.person(surname, relation, age, male));
        }
        out
    }
}

/// `households` sizes that add up to exactly `people`, each 1..=7, spread around the mean.
pub fn sizes(rng: &mut impl Rng, households: usize, people: i64) -> Vec<u32> {
    assert!(
        households > 0 && people >= households as i64,
        "every household has a member"
    );
    let base = (people / households as i64) as u32;
    let rem = (people % households as i64) as usize;
    let mut out = vec![base; households];
    for s in out.iter_mut().take(rem) {
        *s += 1;
    }
    // Move people between households without changing the total, for a realistic spread.
    for _ in 0..households {
        let i = rng.random_range(0..households);
        let j = rng.random_range(0..households);
        if i != j && out[i] > 1 && out[j] < 7 {
            out[i] -= 1;
            out[j] += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn sizes_add_up_and_stay_in_range() {
        let mut rng = StdRng::seed_from_u64(7);
        for (h, p) in [
            (39usize, 92i64),
            (210, 470),
            (4_013, 7_734),
            (1, 1),
            (10, 70),
        ] {
            let s = sizes(&mut rng, h, p);
            assert_eq!(s.len(), h);
            assert_eq!(s.iter().map(|&x| i64::from(x)).sum::<i64>(), p);
            assert!(s.iter().all(|&x| (1..=7).contains(&x)), "{s:?}");
        }
    }

    #[test]
    fn ids_are_valid_unique_and_carry_birth_and_sex() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut ids = IdAllocator::default();
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default();
        let mut seen = HashSet::new();
        for n in 0..5_000u32 {
            let birth = birth_for_age(&mut rng, today, n % 90);
            let male = n % 2 == 0;
            let id = ids.next(&mut rng, "420625", birth, male);
            let parsed = ResidentId::parse(&id, today).expect("valid id");
            assert_eq!(parsed.birth_date(), birth);
            assert_eq!(parsed.is_male(), male);
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn birth_for_age_gives_that_age() {
        let mut rng = StdRng::seed_from_u64(3);
        let today = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap_or_default();
        for age in 0..100u32 {
            let birth = birth_for_age(&mut rng, today, age);
            let p = Person {
                id: String::new(),
                name: String::new(),
                birth,
                relation: Relation::Head,
                health: HealthCondition::Healthy,
                labour: LabourCapacity::Full,
                registered_year: 2014,
            };
            assert_eq!(p.age_on(today), age as i32, "birth {birth}");
        }
    }
}
