//! Bill numbers on cases, unique per institution, and the over-cap count's column in the
//! summary's covering index.
//!
//! A case carries the institution's bill number and which settlement of that bill it is
//! (`bill_settlement`: 1, then 2 after a reversal and a new settlement, …). A reversal row
//! copies both from the settlement it reverses. The unique index on
//! (institution, bill, kind, bill_settlement) is what refuses a bill settled twice, even by
//! two transactions racing on different person-years, and a settlement reversed twice.
//! Cases stored before this migration get the bill number `legacy-<settlement id>`, so
//! they stay distinct.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Adds the bill columns and index, and widens the person-year summary index.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    Kind,
    InstitutionCode,
    BillNumber,
    BillSettlement,
}

#[derive(DeriveIden)]
enum PersonYears {
    Table,
    CoverageYear,
    VillageCode,
    Cases,
    TotalFen,
    BasicFen,
    SeriousFen,
    AssistanceFen,
    SupplementaryFen,
    PersonalInPolicyFen,
    PersonalTotalFen,
    InCountyPersonalFen,
}

/// The summary index before this migration (without the in-county personal column).
const OLD_SUMMARY_INDEX: &str = "idx_person_years_region_summary";
/// The summary index with `in_county_personal_fen`, which the over-cap count reads.
const SUMMARY_INDEX: &str = "idx_person_years_region_summary_v2";
/// The unique bill index.
const BILL_INDEX: &str = "idx_cases_bill";

/// The person-year summary index: (coverage year, village code) then the summed columns,
/// with `in_county_personal_fen` when `with_in_county` (so the over-cap count is covered).
fn summary_index(name: &str, with_in_county: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(name)
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
        .col(PersonYears::PersonalTotalFen);
    if with_in_county {
        index.col(PersonYears::InCountyPersonalFen);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds one at a time.
        m.alter_table(
            Table::alter()
                .table(Cases::Table)
                .add_column(string_len(Cases::BillNumber, 64).default(""))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Cases::Table)
                .add_column(integer(Cases::BillSettlement).default(1))
                .to_owned(),
        )
        .await?;
        // A reversal takes the number of the settlement it reverses, so the pair stays
        // one bill.
        // `||` and CAST … AS TEXT mean the same on SQLite and PostgreSQL.
        m.get_connection()
            .execute_unprepared(
                "UPDATE cases SET bill_number = 'legacy-' || \
                 CAST(CASE WHEN kind = 2 THEN reverses_id ELSE id END AS TEXT)",
            )
            .await?;
        m.create_index(
            Index::create()
                .name(BILL_INDEX)
                .table(Cases::Table)
                .col(Cases::InstitutionCode)
                .col(Cases::BillNumber)
                .col(Cases::Kind)
                .col(Cases::BillSettlement)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(summary_index(SUMMARY_INDEX, true)).await?;
        xk_runtime::migration::drop_index(m, OLD_SUMMARY_INDEX, PersonYears::Table).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(summary_index(OLD_SUMMARY_INDEX, false))
            .await?;
        xk_runtime::migration::drop_index(m, SUMMARY_INDEX, PersonYears::Table).await?;
        xk_runtime::migration::drop_index(m, BILL_INDEX, Cases::Table).await?;
        for column in [Cases::BillSettlement, Cases::BillNumber] {
            m.alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
