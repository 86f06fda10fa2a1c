//! Enrolments, person-years, institutions and cases, with the indexes the summary and the
//! lists use.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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
enum PersonYears {
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
    TotalFen,
    OutOfPolicyFen,
    BasicFen,
    SeriousFen,
    AssistanceFen,
    SupplementaryFen,
    PersonalInPolicyFen,
    PersonalOutOfPolicyFen,
    PersonalTotalFen,
    DBasicDeductibleUsedFen,
    DSeriousBurdenFen,
    DAssistancePaidFen,
    DInCountyPersonalFen,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Enrolments::Table)
                .if_not_exists()
                .col(string_len(Enrolments::ResidentId, 18))
                .col(integer(Enrolments::CoverageYear))
                .col(string_len(Enrolments::HouseholdId, 32))
                .col(string_len(Enrolments::VillageCode, 12))
                .col(integer(Enrolments::CollectionYear))
                .col(integer(Enrolments::Scheme))
                .col(boolean(Enrolments::RegisteredPoor))
                .col(big_integer(Enrolments::PremiumFen))
                .col(big_integer(Enrolments::GovernmentPaidFen))
                .col(big_integer(Enrolments::PersonalPaidFen))
                .col(integer(Enrolments::Payer))
                .col(timestamp_with_time_zone(Enrolments::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(Enrolments::ResidentId)
                        .col(Enrolments::CoverageYear),
                )
                .to_owned(),
        )
        .await?;
        // Covering index for SummarizeByRegion's enrolment GROUP BY.
        m.create_index(
            Index::create()
                .name("idx_enrolments_region_summary")
                .table(Enrolments::Table)
                .col(Enrolments::CoverageYear)
                .col(Enrolments::VillageCode)
                .col(Enrolments::RegisteredPoor)
                .col(Enrolments::PremiumFen)
                .col(Enrolments::GovernmentPaidFen)
                .col(Enrolments::PersonalPaidFen)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PersonYears::Table)
                .if_not_exists()
                .col(string_len(PersonYears::ResidentId, 18))
                .col(integer(PersonYears::CoverageYear))
                .col(string_len(PersonYears::VillageCode, 12))
                .col(boolean(PersonYears::RegisteredPoor))
                .col(big_integer(PersonYears::BasicDeductibleUsedFen))
                .col(big_integer(PersonYears::SeriousBurdenFen))
                .col(big_integer(PersonYears::AssistancePaidFen))
                .col(big_integer(PersonYears::InCountyPersonalFen))
                .col(big_integer(PersonYears::Cases))
                .col(big_integer(PersonYears::TotalFen))
                .col(big_integer(PersonYears::BasicFen))
                .col(big_integer(PersonYears::SeriousFen))
                .col(big_integer(PersonYears::AssistanceFen))
                .col(big_integer(PersonYears::SupplementaryFen))
                .col(big_integer(PersonYears::PersonalInPolicyFen))
                .col(big_integer(PersonYears::PersonalOutOfPolicyFen))
                .col(big_integer(PersonYears::PersonalTotalFen))
                .primary_key(
                    Index::create()
                        .col(PersonYears::ResidentId)
                        .col(PersonYears::CoverageYear),
                )
                .to_owned(),
        )
        .await?;
        // Covering index for SummarizeByRegion's settlement GROUP BY.
        m.create_index(
            Index::create()
                .name("idx_person_years_region_summary")
                .table(PersonYears::Table)
                .col(PersonYears::CoverageYear)
                .col(PersonYears::VillageCode)
                .col(PersonYears::Cases)
                .col(PersonYears::TotalFen)
                .col(PersonYears::BasicFen)
                .col(PersonYears::SeriousFen)
                .col(PersonYears::AssistanceFen)
                .col(PersonYears::SupplementaryFen)
                .col(PersonYears::PersonalInPolicyFen)
                .col(PersonYears::PersonalTotalFen)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Institutions::Table)
                .if_not_exists()
                .col(string_len(Institutions::Code, 32).primary_key())
                .col(string(Institutions::Name))
                .col(integer(Institutions::Level))
                .col(boolean(Institutions::InCounty))
                .col(boolean(Institutions::OneStop))
                .col(boolean(Institutions::TreatFirstPayLater))
                .col(timestamp_with_time_zone(Institutions::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Cases::Table)
                .if_not_exists()
                .col(big_pk_auto(Cases::Id))
                .col(integer(Cases::Kind))
                .col(big_integer(Cases::ReversesId))
                .col(string_len(Cases::ResidentId, 18))
                .col(integer(Cases::CoverageYear))
                .col(string_len(Cases::VillageCode, 12))
                .col(string_len(Cases::InstitutionCode, 32))
                .col(integer(Cases::InstitutionLevel))
                .col(boolean(Cases::InCounty))
                .col(boolean(Cases::OneStop))
                .col(date(Cases::AdmissionDate))
                .col(date(Cases::DischargeDate))
                .col(boolean(Cases::ChronicOutpatient))
                .col(boolean(Cases::RegisteredPoor))
                .col(big_integer(Cases::TotalFen))
                .col(big_integer(Cases::OutOfPolicyFen))
                .col(big_integer(Cases::BasicFen))
                .col(big_integer(Cases::SeriousFen))
                .col(big_integer(Cases::AssistanceFen))
                .col(big_integer(Cases::SupplementaryFen))
                .col(big_integer(Cases::PersonalInPolicyFen))
                .col(big_integer(Cases::PersonalOutOfPolicyFen))
                .col(big_integer(Cases::PersonalTotalFen))
                .col(big_integer(Cases::DBasicDeductibleUsedFen))
                .col(big_integer(Cases::DSeriousBurdenFen))
                .col(big_integer(Cases::DAssistancePaidFen))
                .col(big_integer(Cases::DInCountyPersonalFen))
                .col(timestamp_with_time_zone(Cases::CreatedAt))
                .to_owned(),
        )
        .await?;
        // A person-year's cases in settlement order (GetPersonYear, latest-case check).
        m.create_index(
            Index::create()
                .name("idx_cases_person_year")
                .table(Cases::Table)
                .col(Cases::ResidentId)
                .col(Cases::CoverageYear)
                .col(Cases::Id)
                .to_owned(),
        )
        .await?;
        // Finds the reversal of a settlement (is it reversed already?).
        m.create_index(
            Index::create()
                .name("idx_cases_reverses")
                .table(Cases::Table)
                .col(Cases::ReversesId)
                .col(Cases::Kind)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        xk_runtime::migration::drop_tables(
            m,
            [
                Cases::Table.into_iden(),
                Institutions::Table.into_iden(),
                PersonYears::Table.into_iden(),
                Enrolments::Table.into_iden(),
            ],
        )
        .await
    }
}
