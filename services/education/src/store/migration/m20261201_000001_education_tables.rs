//! Students, letters, visits, subsidies, cases and surveys, with the indexes the summary,
//! the exception list and the per-student reads use.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates the education service's tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Students {
    Table,
    ResidentId,
    HouseholdId,
    VillageCode,
    Status,
    Grade,
    Incoming,
    Guaranteed,
    GuaranteedUntil,
    OpenCase,
    LettersSent,
    SubsidyCount,
    SubsidyTotalFen,
    StatusSince,
    Version,
    Doc,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Letters {
    Table,
    Number,
    ResidentId,
    VillageCode,
    SentOn,
    Recipient,
    ReplyOn,
    ProofRef,
    HasProof,
}

#[derive(DeriveIden)]
enum Visits {
    Table,
    Id,
    ResidentId,
    VisitDate,
    SchoolYear,
    Teacher,
    Hours,
}

#[derive(DeriveIden)]
enum Subsidies {
    Table,
    Id,
    ResidentId,
    Programme,
    AmountFen,
    PaidOn,
    Days,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    CaseId,
    ResidentId,
    Open,
    OpenedOn,
    Doc,
}

#[derive(DeriveIden)]
enum Surveys {
    Table,
    SurveyId,
    Name,
    ConductedOn,
}

#[derive(DeriveIden)]
enum SurveyFindings {
    Table,
    SurveyId,
    RegionCode,
    ChildrenSurveyed,
    UnablePhysical,
    PlacedNearby,
    TaughtAtHome,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Students::Table)
                .if_not_exists()
                .col(string_len(Students::ResidentId, 18).primary_key())
                .col(string_len(Students::HouseholdId, 32))
                .col(string_len(Students::VillageCode, 12))
                .col(integer(Students::Status))
                .col(integer(Students::Grade))
                .col(boolean(Students::Incoming))
                .col(boolean(Students::Guaranteed))
                .col(date_null(Students::GuaranteedUntil))
                .col(boolean(Students::OpenCase))
                .col(integer(Students::LettersSent))
                .col(integer(Students::SubsidyCount))
                .col(big_integer(Students::SubsidyTotalFen))
                .col(date(Students::StatusSince))
                .col(big_integer(Students::Version))
                .col(blob(Students::Doc))
                .col(timestamp_with_time_zone(Students::UpdatedAt))
                .to_owned(),
        )
        .await?;
        // Covering index for SummarizeByRegion and the not-guaranteed exceptions: every
        // column they read, region first.
        m.create_index(
            Index::create()
                .name("idx_students_region_summary")
                .table(Students::Table)
                .col(Students::VillageCode)
                .col(Students::Status)
                .col(Students::Guaranteed)
                .col(Students::GuaranteedUntil)
                .col(Students::OpenCase)
                .col(Students::Incoming)
                .col(Students::LettersSent)
                .col(Students::SubsidyCount)
                .col(Students::SubsidyTotalFen)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Letters::Table)
                .if_not_exists()
                .col(string_len(Letters::Number, 64).primary_key())
                .col(string_len(Letters::ResidentId, 18))
                .col(string_len(Letters::VillageCode, 12))
                .col(date(Letters::SentOn))
                .col(string(Letters::Recipient))
                .col(date_null(Letters::ReplyOn))
                .col(string_null(Letters::ProofRef))
                .col(boolean(Letters::HasProof))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_letters_region_summary")
                .table(Letters::Table)
                .col(Letters::VillageCode)
                .col(Letters::SentOn)
                .col(Letters::ReplyOn)
                .col(Letters::HasProof)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_letters_student")
                .table(Letters::Table)
                .col(Letters::ResidentId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Visits::Table)
                .if_not_exists()
                .col(big_pk_auto(Visits::Id))
                .col(string_len(Visits::ResidentId, 18))
                .col(date(Visits::VisitDate))
                .col(integer(Visits::SchoolYear))
                .col(string(Visits::Teacher))
                .col(big_integer(Visits::Hours))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_visits_student_year")
                .table(Visits::Table)
                .col(Visits::ResidentId)
                .col(Visits::SchoolYear)
                .col(Visits::Hours)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Subsidies::Table)
                .if_not_exists()
                .col(big_pk_auto(Subsidies::Id))
                .col(string_len(Subsidies::ResidentId, 18))
                .col(integer(Subsidies::Programme))
                .col(big_integer(Subsidies::AmountFen))
                .col(date(Subsidies::PaidOn))
                .col(big_integer(Subsidies::Days))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_subsidies_student")
                .table(Subsidies::Table)
                .col(Subsidies::ResidentId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Cases::Table)
                .if_not_exists()
                .col(string_len(Cases::CaseId, 64).primary_key())
                .col(string_len(Cases::ResidentId, 18))
                .col(boolean(Cases::Open))
                .col(date(Cases::OpenedOn))
                .col(blob(Cases::Doc))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_cases_student")
                .table(Cases::Table)
                .col(Cases::ResidentId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Surveys::Table)
                .if_not_exists()
                .col(string_len(Surveys::SurveyId, 64).primary_key())
                .col(string(Surveys::Name))
                .col(date(Surveys::ConductedOn))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SurveyFindings::Table)
                .if_not_exists()
                .col(string_len(SurveyFindings::SurveyId, 64))
                .col(string_len(SurveyFindings::RegionCode, 12))
                .col(big_integer(SurveyFindings::ChildrenSurveyed))
                .col(big_integer(SurveyFindings::UnablePhysical))
                .col(big_integer(SurveyFindings::PlacedNearby))
                .col(big_integer(SurveyFindings::TaughtAtHome))
                .primary_key(
                    Index::create()
                        .col(SurveyFindings::SurveyId)
                        .col(SurveyFindings::RegionCode),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        xk_runtime::migration::drop_tables(
            m,
            [
                SurveyFindings::Table.into_iden(),
                Surveys::Table.into_iden(),
                Cases::Table.into_iden(),
                Subsidies::Table.into_iden(),
                Visits::Table.into_iden(),
                Letters::Table.into_iden(),
                Students::Table.into_iden(),
            ],
        )
        .await
    }
}
