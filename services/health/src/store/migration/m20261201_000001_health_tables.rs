//! Enrolments, person-years, institutions and cases, with the indexes the summary and the
//! lists use.

use sea_orm_migration::prelude::*;
use xk_runtime::migration::Schema;

/// Creates the health service's tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Enrolments {
    Table,
    ResidentId,
    CoverageYear,
    HouseholdId,
    VillageCode,
    CollectionYear,
    Scheme,
    RegisteredPoor,
    PremiumFen,
    GovernmentPaidFen,
    PersonalPaidFen,
    Payer,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum PersonYears {
    Table,
    ResidentId,
    CoverageYear,
    VillageCode,
    RegisteredPoor,
    BasicDeductibleUsedFen,
    SeriousBurdenFen,
    AssistancePaidFen,
    InCountyPersonalFen,
    Cases,
}

/// The amount columns both `person_years` (net, for the year) and `cases` (each case's
/// own) carry, in fen.
#[derive(DeriveIden)]
#[expect(
    clippy::enum_variant_names,
    reason = "the variants name columns, and every amount column ends in _fen"
)]
pub(super) enum Amounts {
    TotalFen,
    BasicFen,
    SeriousFen,
    AssistanceFen,
    SupplementaryFen,
    PersonalInPolicyFen,
    PersonalOutOfPolicyFen,
    PersonalTotalFen,
}

#[derive(DeriveIden)]
enum Institutions {
    Table,
    Code,
    Name,
    Level,
    InCounty,
    OneStop,
    TreatFirstPayLater,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    Kind,
    ReversesId,
    ResidentId,
    CoverageYear,
    VillageCode,
    InstitutionCode,
    InstitutionLevel,
    InCounty,
    OneStop,
    AdmissionDate,
    DischargeDate,
    ChronicOutpatient,
    RegisteredPoor,
    OutOfPolicyFen,
    DBasicDeductibleUsedFen,
    DSeriousBurdenFen,
    DAssistancePaidFen,
    DInCountyPersonalFen,
    CreatedAt,
}

xk_runtime::schema_migration!(Migration, schema);

/// The health service's tables and the indexes the summary and the lists use.
fn schema() -> Schema {
    Schema::new()
        .table(Enrolments::Table)
        .key(Enrolments::ResidentId)
        .key(Enrolments::CoverageYear)
        .resident_id(Enrolments::ResidentId)
        .integer(Enrolments::CoverageYear)
        .household_id(Enrolments::HouseholdId)
        .region_code(Enrolments::VillageCode)
        .integer(Enrolments::CollectionYear)
        .integer(Enrolments::Scheme)
        .boolean(Enrolments::RegisteredPoor)
        .fen(Enrolments::PremiumFen)
        .fen(Enrolments::GovernmentPaidFen)
        .fen(Enrolments::PersonalPaidFen)
        .integer(Enrolments::Payer)
        .written_at(Enrolments::CreatedAt)
        // Covering index for SummarizeByRegion's enrolment GROUP BY.
        .index("idx_enrolments_region_summary")
        .on(Enrolments::CoverageYear)
        .on(Enrolments::VillageCode)
        .on(Enrolments::RegisteredPoor)
        .on(Enrolments::PremiumFen)
        .on(Enrolments::GovernmentPaidFen)
        .on(Enrolments::PersonalPaidFen)
        .table(PersonYears::Table)
        .key(PersonYears::ResidentId)
        .key(PersonYears::CoverageYear)
        .resident_id(PersonYears::ResidentId)
        .integer(PersonYears::CoverageYear)
        .region_code(PersonYears::VillageCode)
        .boolean(PersonYears::RegisteredPoor)
        .fen(PersonYears::BasicDeductibleUsedFen)
        .fen(PersonYears::SeriousBurdenFen)
        .fen(PersonYears::AssistancePaidFen)
        .fen(PersonYears::InCountyPersonalFen)
        .big_integer(PersonYears::Cases)
        .fen(Amounts::TotalFen)
        .with(Amounts::layers_and_personal)
        // Covering index for SummarizeByRegion's settlement GROUP BY.
        .index("idx_person_years_region_summary")
        .on(PersonYears::CoverageYear)
        .on(PersonYears::VillageCode)
        .on(PersonYears::Cases)
        .on(Amounts::TotalFen)
        .on(Amounts::BasicFen)
        .on(Amounts::SeriousFen)
        .on(Amounts::AssistanceFen)
        .on(Amounts::SupplementaryFen)
        .on(Amounts::PersonalInPolicyFen)
        .on(Amounts::PersonalTotalFen)
        .table(Institutions::Table)
        .key(Institutions::Code)
        .code(Institutions::Code)
        .string(Institutions::Name)
        .integer(Institutions::Level)
        .boolean(Institutions::InCounty)
        .boolean(Institutions::OneStop)
        .boolean(Institutions::TreatFirstPayLater)
        .written_at(Institutions::UpdatedAt)
        .table(Cases::Table)
        .big_pk_auto(Cases::Id)
        .integer(Cases::Kind)
        .big_integer(Cases::ReversesId)
        .resident_id(Cases::ResidentId)
        .integer(Cases::CoverageYear)
        .region_code(Cases::VillageCode)
        .code(Cases::InstitutionCode)
        .integer(Cases::InstitutionLevel)
        .boolean(Cases::InCounty)
        .boolean(Cases::OneStop)
        .date(Cases::AdmissionDate)
        .date(Cases::DischargeDate)
        .boolean(Cases::ChronicOutpatient)
        .boolean(Cases::RegisteredPoor)
        .fen(Amounts::TotalFen)
        .fen(Cases::OutOfPolicyFen)
        .with(Amounts::layers_and_personal)
        .fen(Cases::DBasicDeductibleUsedFen)
        .fen(Cases::DSeriousBurdenFen)
        .fen(Cases::DAssistancePaidFen)
        .fen(Cases::DInCountyPersonalFen)
        .written_at(Cases::CreatedAt)
        // A person-year's cases in settlement order (GetPersonYear, latest-case check).
        .index("idx_cases_person_year")
        .on(Cases::ResidentId)
        .on(Cases::CoverageYear)
        .on(Cases::Id)
        // Finds the reversal of a settlement (is it reversed already?).
        .index("idx_cases_reverses")
        .on(Cases::ReversesId)
        .on(Cases::Kind)
}

impl Amounts {
    /// The four layers' payments and the personal payments, in column order: what a case
    /// pays and what a person-year sums.
    fn layers_and_personal(schema: Schema) -> Schema {
        schema
            .fen(Self::BasicFen)
            .fen(Self::SeriousFen)
            .fen(Self::AssistanceFen)
            .fen(Self::SupplementaryFen)
            .fen(Self::PersonalInPolicyFen)
            .fen(Self::PersonalOutOfPolicyFen)
            .fen(Self::PersonalTotalFen)
    }
}
