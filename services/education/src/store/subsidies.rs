//! Subsidy payments: recording one, reading a student's, and the school year's total that
//! the yearly entitlement is checked against.

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QuerySelect,
};
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::education::v1::Subsidy;

use xk_runtime::ApiError;

use super::entities::subsidy;
use super::query::rows_of_student;

/// A payment to store: the request's payment with its date parsed and its school year
/// settled (named by the caller or derived from the date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewPayment {
    /// `SubsidyProgramme` number.
    pub programme: i32,
    /// Amount in fen.
    pub amount_fen: i64,
    /// Day of payment.
    pub paid_on: NaiveDate,
    /// School days paid for (nutrition).
    pub days: i64,
    /// School year the payment counts towards (its starting calendar year).
    pub school_year: i32,
}

/// Records a subsidy payment.
pub async fn insert_subsidy<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    payment: &NewPayment,
) -> Result<(), ApiError> {
    subsidy::Entity::insert(subsidy::ActiveModel {
        id: NotSet,
        resident_id: Set(id.to_string()),
        programme: Set(payment.programme),
        amount_fen: Set(payment.amount_fen),
        paid_on: Set(payment.paid_on),
        days: Set(payment.days),
        school_year: Set(Some(payment.school_year)),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Every subsidy payment of a student, in date order. Rows stored before payments carried
/// a school year get `school_year_of(paid_on)`.
pub async fn subsidies_of<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    school_year_of: impl Fn(NaiveDate) -> i32,
) -> Result<Vec<Subsidy>, ApiError> {
    use subsidy::Column as S;
    let rows =
        rows_of_student::<subsidy::Entity, _>(conn, S::ResidentId, id, [S::PaidOn, S::Id]).await?;
    Ok(rows
        .into_iter()
        .map(|s| Subsidy {
            programme: s.programme,
            amount_fen: s.amount_fen,
            paid_on: Some(date_to_pb(s.paid_on)),
            days: s.days,
            school_year: s.school_year.unwrap_or_else(|| school_year_of(s.paid_on)),
        })
        .collect())
}

/// The school year a total is taken over: its starting calendar year, and its first and
/// last day for rows stored without a school year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearSpan {
    /// Starting calendar year, as stored in `school_year`.
    pub year: i32,
    /// First day of the school year.
    pub start: NaiveDate,
    /// Last day of the school year.
    pub end: NaiveDate,
}

/// What a student has been paid under `programme` for one school year, in fen, counted in
/// SQL: rows with that school year, plus rows without one paid within its days.
pub async fn paid_in_school_year<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    programme: i32,
    span: YearSpan,
) -> Result<i64, ApiError> {
    let in_year = Condition::any()
        .add(subsidy::Column::SchoolYear.eq(span.year))
        .add(
            Condition::all()
                .add(subsidy::Column::SchoolYear.is_null())
                .add(subsidy::Column::PaidOn.between(span.start, span.end)),
        );
    let total: Option<Option<i64>> = subsidy::Entity::find()
        .select_only()
        // PostgreSQL sums a BIGINT as NUMERIC: cast back to read an i64.
        .column_as(Expr::cust("CAST(SUM(amount_fen) AS BIGINT)"), "total")
        .filter(subsidy::Column::ResidentId.eq(id))
        .filter(subsidy::Column::Programme.eq(programme))
        .filter(in_year)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(total.flatten().unwrap_or(0))
}
