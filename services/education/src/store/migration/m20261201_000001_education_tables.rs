//! Students, letters, visits, subsidies, cases and surveys, with the indexes the summary,
//! the exception list and the per-student reads use.

use sea_orm_migration::prelude::*;
use xk_runtime::migration::Schema;

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

xk_runtime::schema_migration!(Migration, schema);

/// The education service's tables and the indexes the summary, the exception list and the
/// per-student reads use.
fn schema() -> Schema {
    Schema::new()
        .table(Students::Table)
        .key(Students::ResidentId)
        .resident_id(Students::ResidentId)
        .household_id(Students::HouseholdId)
        .region_code(Students::VillageCode)
        .integer(Students::Status)
        .integer(Students::Grade)
        .boolean(Students::Incoming)
        .boolean(Students::Guaranteed)
        .date_null(Students::GuaranteedUntil)
        .boolean(Students::OpenCase)
        .integer(Students::LettersSent)
        .integer(Students::SubsidyCount)
        .fen(Students::SubsidyTotalFen)
        .date(Students::StatusSince)
        .version(Students::Version)
        .doc(Students::Doc)
        .written_at(Students::UpdatedAt)
        // Covering index for SummarizeByRegion and the not-guaranteed exceptions: every
        // column they read, region first.
        .index("idx_students_region_summary")
        .on(Students::VillageCode)
        .on(Students::Status)
        .on(Students::Guaranteed)
        .on(Students::GuaranteedUntil)
        .on(Students::OpenCase)
        .on(Students::Incoming)
        .on(Students::LettersSent)
        .on(Students::SubsidyCount)
        .on(Students::SubsidyTotalFen)
        .table(Letters::Table)
        .key(Letters::Number)
        .document_number(Letters::Number)
        .resident_id(Letters::ResidentId)
        .region_code(Letters::VillageCode)
        .date(Letters::SentOn)
        .string(Letters::Recipient)
        .date_null(Letters::ReplyOn)
        .string_null(Letters::ProofRef)
        .boolean(Letters::HasProof)
        .index("idx_letters_region_summary")
        .on(Letters::VillageCode)
        .on(Letters::SentOn)
        .on(Letters::ReplyOn)
        .on(Letters::HasProof)
        .index("idx_letters_student")
        .on(Letters::ResidentId)
        .table(Visits::Table)
        .big_pk_auto(Visits::Id)
        .resident_id(Visits::ResidentId)
        .date(Visits::VisitDate)
        .integer(Visits::SchoolYear)
        .string(Visits::Teacher)
        .big_integer(Visits::Hours)
        .index("idx_visits_student_year")
        .on(Visits::ResidentId)
        .on(Visits::SchoolYear)
        .on(Visits::Hours)
        .table(Subsidies::Table)
        .big_pk_auto(Subsidies::Id)
        .resident_id(Subsidies::ResidentId)
        .integer(Subsidies::Programme)
        .fen(Subsidies::AmountFen)
        .date(Subsidies::PaidOn)
        .big_integer(Subsidies::Days)
        .index("idx_subsidies_student")
        .on(Subsidies::ResidentId)
        .table(Cases::Table)
        .key(Cases::CaseId)
        .document_number(Cases::CaseId)
        .resident_id(Cases::ResidentId)
        .boolean(Cases::Open)
        .date(Cases::OpenedOn)
        .doc(Cases::Doc)
        .index("idx_cases_student")
        .on(Cases::ResidentId)
        .table(Surveys::Table)
        .key(Surveys::SurveyId)
        .document_number(Surveys::SurveyId)
        .string(Surveys::Name)
        .date(Surveys::ConductedOn)
        .table(SurveyFindings::Table)
        .key(SurveyFindings::SurveyId)
        .key(SurveyFindings::RegionCode)
        .document_number(SurveyFindings::SurveyId)
        .region_code(SurveyFindings::RegionCode)
        .big_integer(SurveyFindings::ChildrenSurveyed)
        .big_integer(SurveyFindings::UnablePhysical)
        .big_integer(SurveyFindings::PlacedNearby)
        .big_integer(SurveyFindings::TaughtAtHome)
}
