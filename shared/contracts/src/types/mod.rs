//! Validated value types shared by every xiaokang service (DOMAIN.md section 2).
//!
//! A value of one of these types has passed its checks, so services convert wire strings
//! and integers once, at the edge, and never re-validate. Each parse error says what is
//! wrong with the value; the caller adds the field name.
//!
//! Module map:
//! - [`resident_id`]: [`ResidentId`] (GB 11643-1999 identity number; `Debug` is masked),
//!   [`check_char`], [`mask_name`], [`IdError`].
//! - [`region`]: [`RegionCode`] (12-digit village code), [`RegionPrefix`] (6/9/12-digit
//!   county, township or village scope), [`TownshipKind`], [`VillageKind`], [`RegionLevel`],
//!   [`RegionError`].
//! - [`household_id`]: [`HouseholdId`] (archive card number), [`HouseholdIdError`].
//! - [`money`]: [`Fen`] (integer fen, shown as yuan), [`MoneyError`].
//! - [`date`]: [`parse_ymd`], [`not_in_future`], [`DateError`], the year bounds
//!   [`MIN_YEAR`] and [`MAX_YEAR`].
//!
//! Serde: every type (de)serializes as a plain string, or for [`Fen`] a plain integer of
//! fen; deserializing runs the same checks as `parse`, except that [`ResidentId`] skips the
//! not-in-the-future check (see [`ResidentId::parse_stored`]).

pub mod date;
pub mod household_id;
pub mod money;
pub mod region;
pub mod resident_id;

pub use date::{
    DateError, FIRST_FIGURE_YEAR, MAX_YEAR, MIN_YEAR, figure_year, months_after, not_in_future,
    parse_ymd,
};
pub use household_id::{HouseholdId, HouseholdIdError, MAX_HOUSEHOLD_ID_LEN};
pub use money::{Fen, MoneyError};
pub use region::{RegionCode, RegionError, RegionLevel, RegionPrefix, TownshipKind, VillageKind};
pub use resident_id::{IdError, ResidentId, check_char, mask_name};
