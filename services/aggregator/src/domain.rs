//! The aggregator's pure rules, no I/O; every module here is unit-tested.
//!
//! | module | what it decides |
//! |---|---|
//! | [`deadline`] | each upstream call's budget and whether a failed read is retried |
//! | [`section`] | the status of one service's section: available or why not |
//! | [`summary`] | the exceptions of DOMAIN.md §8 from the services' counts; combining the five answers |
//! | [`exit`] | the exit criteria of one household's file |
//! | [`snapshot`] | snapshot months and ids |

pub mod deadline;
pub mod exit;
pub mod section;
pub mod snapshot;
pub mod summary;

/// Masks a household id for logs: first 4 characters and the length. Household ids are
/// not personal data, but an id plus a log line can identify a family; keep logs coarse.
pub fn mask_household(id: &str) -> String {
    let head: String = id.chars().take(4).collect();
    format!("{head}…({})", id.chars().count())
}

#[cfg(test)]
mod tests {
    #[test]
    fn household_ids_are_masked_to_four_characters_and_the_length() {
        assert_eq!(super::mask_household("HH000123"), "HH00…(8)");
    }
}
