//! Building `tonic::Status` the same way in every service: INVALID_ARGUMENT carries a
//! `google.rpc.BadRequest` naming each offending field; FAILED_PRECONDITION carries a
//! `google.rpc.PreconditionFailure`; NOT_FOUND and ALREADY_EXISTS carry a
//! `google.rpc.ResourceInfo`. Database failures become UNAVAILABLE (the database did not
//! answer: retry) or INTERNAL (a bug), never a caller's fault code, and their text is
//! logged, not sent.

use sea_orm::DbErr;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// Field violations collected while validating one request, so the caller learns about
/// every bad field at once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Violations {
    /// (field path such as `household.members[1].resident_id`, what is wrong).
    items: Vec<(String, String)>,
}

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` is wrong, and why.
    pub fn add(&mut self, field: impl Into<String>, description: impl std::fmt::Display) {
        self.items.push((field.into(), description.to_string()));
    }

    /// Records the error of a `Result`, returning its value if any.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: impl Into<String>,
        r: Result<T, E>,
    ) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The recorded violations.
    pub fn items(&self) -> &[(String, String)] {
        &self.items
    }

    /// Adds every violation of `other`, with `prefix` before each field path.
    pub fn extend_prefixed(&mut self, prefix: &str, other: Violations) {
        for (f, d) in other.items {
            self.items.push((format!("{prefix}{f}"), d));
        }
    }

    /// `Ok(())` if empty, else the INVALID_ARGUMENT status.
    pub fn into_result(self) -> Result<(), Status> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.into_status())
        }
    }

    /// INVALID_ARGUMENT with a BadRequest detail listing every violation, up to
    /// [`MAX_LISTED_VIOLATIONS`] (the message gives the whole count).
    pub fn into_status(self) -> Status {
        let listed = if self.items.len() > MAX_LISTED_VIOLATIONS {
            format!(" (the first {MAX_LISTED_VIOLATIONS} listed)")
        } else {
            String::new()
        };
        let message = match self.items.as_slice() {
            [(f, d)] => format!("invalid {f}: {d}"),
            items => format!(
                "{} invalid fields{listed}, first {}: {}",
                items.len(),
                items.first().map(|i| i.0.as_str()).unwrap_or(""),
                items.first().map(|i| i.1.as_str()).unwrap_or("")
            ),
        };
        let violations: Vec<FieldViolation> = self
            .items
            .into_iter()
            .take(MAX_LISTED_VIOLATIONS)
            .map(|(f, d)| FieldViolation::new(f, d))
            .collect();
        Status::with_error_details(
            Code::InvalidArgument,
            message,
            ErrorDetails::with_bad_request(violations),
        )
    }
}

/// The most field violations one BadRequest lists. The details travel in a trailer: an
/// import batch of 5,000 bad records would otherwise send a header block of hundreds of
/// kilobytes, which HTTP/2 clients refuse (the connection is closed with
/// `too_many_continuations` and the caller sees a transport error instead of its
/// INVALID_ARGUMENT). Fifty name the pattern; the message gives the whole count.
pub const MAX_LISTED_VIOLATIONS: usize = 50;

/// INVALID_ARGUMENT for one field.
pub fn invalid(field: impl Into<String>, description: impl std::fmt::Display) -> Status {
    let mut v = Violations::new();
    v.add(field, description);
    v.into_status()
}

/// FAILED_PRECONDITION: the request is well formed but breaks a rule given the stored
/// state. `rule` is a SCREAMING_SNAKE_CASE identifier clients can switch on; `subject`
/// names what it applies to (a field or a resource).
pub fn failed_precondition(rule: &str, subject: &str, description: impl Into<String>) -> Status {
    let description = description.into();
    Status::with_error_details(
        Code::FailedPrecondition,
        description.clone(),
        ErrorDetails::with_precondition_failure_violation(rule, subject, description),
    )
}

/// NOT_FOUND for a resource.
pub fn not_found(resource_type: &str, name: &str) -> Status {
    Status::with_error_details(
        Code::NotFound,
        format!("{resource_type} {name} not found"),
        ErrorDetails::with_resource_info(resource_type, name, "", "not found"),
    )
}

/// ALREADY_EXISTS for a resource.
pub fn already_exists(resource_type: &str, name: &str, description: &str) -> Status {
    Status::with_error_details(
        Code::AlreadyExists,
        format!("{resource_type} {name} already exists: {description}"),
        ErrorDetails::with_resource_info(resource_type, name, "", description),
    )
}

/// ABORTED: the etag the update was based on is stale.
pub fn stale_etag(resource_type: &str, name: &str, sent: &str, current: &str) -> Status {
    Status::with_error_details(
        Code::Aborted,
        format!(
            "{resource_type} {name} changed: etag {sent:?} is stale, current is {current:?}; re-read and retry"
        ),
        ErrorDetails::with_resource_info(resource_type, name, "", "stale etag"),
    )
}

/// Maps a database error to a status and logs its text (which may quote data) only at
/// the server. Connection trouble is UNAVAILABLE (retryable); a serialization failure or a
/// deadlock is ABORTED with the [`RETRY_MARKER`], which the retry layer
/// ([`crate::retry`]) turns into a re-run of the whole call; text PostgreSQL cannot store
/// (a NUL character) is the caller's INVALID_ARGUMENT; anything else INTERNAL.
pub fn db_status(e: DbErr) -> Status {
    if sqlstate(&e).as_deref() == Some(PG_CHARACTER_NOT_IN_REPERTOIRE) {
        // The caller's text, not the server: PostgreSQL refuses U+0000 in text columns and
        // parameters. The statement failed, so the transaction writes nothing.
        tracing::debug!(error = %e, "text with a NUL character refused by the database");
        return invalid(
            "request",
            "text fields must not contain the NUL character (U+0000)",
        );
    }
    let fault = classify(&e);
    match fault {
        DbFault::Conflict => tracing::info!(error = %e, "transaction conflict"),
        DbFault::Unavailable => tracing::warn!(error = %e, "database unavailable"),
        DbFault::Other => tracing::error!(error = %e, "database error"),
    }
    match fault {
        DbFault::Unavailable => {
            Status::unavailable("the database is not answering; retry with backoff")
        }
        DbFault::Conflict => conflict_retry("the write conflicted with a concurrent one; retry it"),
        DbFault::Other => {
            Status::internal("database error; the operators have the details in the service log")
        }
    }
}

/// What a database error means for the call that met it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFault {
    /// The connection or the server is gone or going (restart, failover, network,
    /// pool exhausted): the call may succeed later, so the caller should retry.
    Unavailable,
    /// The transaction lost a race (serialization failure, deadlock) and was rolled back:
    /// running it again is safe and usually succeeds at once.
    Conflict,
    /// Anything else: a bug or a broken database.
    Other,
}

/// Sorts a database error into [`DbFault`].
pub fn classify(e: &DbErr) -> DbFault {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    if matches!(e, DbErr::Conn(_) | DbErr::ConnectionAcquire(_)) || is_busy(e) {
        return DbFault::Unavailable;
    }
    let (DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s))) = e else {
        return DbFault::Other;
    };
    match &**s {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => DbFault::Unavailable,
        Sqlx::Database(d) => match d.code().as_deref() {
            Some(code) => classify_sqlstate(code),
            None => DbFault::Other,
        },
        _ => DbFault::Other,
    }
}

/// Sorts a PostgreSQL SQLSTATE: class 08 (connection exception) and the operator
/// interventions that end a session (57P01 admin shutdown, 57P02 crash shutdown,
/// 57P03 cannot connect now) are [`DbFault::Unavailable`]; 40001 (serialization failure)
/// and 40P01 (deadlock detected) are [`DbFault::Conflict`].
pub fn classify_sqlstate(code: &str) -> DbFault {
    match code {
        "40001" | "40P01" => DbFault::Conflict,
        "57P01" | "57P02" | "57P03" => DbFault::Unavailable,
        c if c.starts_with("08") => DbFault::Unavailable,
        _ => DbFault::Other,
    }
}

/// Response header (gRPC metadata) by which a handler asks the retry layer to run the
/// call again: its transaction lost a race and wrote nothing. The layer removes it before
/// the answer leaves the server.
pub const RETRY_MARKER: &str = "xk-internal-retry";

/// ABORTED carrying the [`RETRY_MARKER`]: the call's transaction lost a race with a
/// concurrent one and wrote nothing, so the server may run the call again. Handlers
/// return it for any such race (a serialization failure, a key claimed by a concurrent
/// writer); if the retries run out, the caller sees a plain ABORTED.
pub fn conflict_retry(message: impl Into<String>) -> Status {
    let mut status = Status::aborted(message);
    status.metadata_mut().insert(
        RETRY_MARKER,
        tonic::metadata::MetadataValue::from_static("conflict"),
    );
    status
}

/// Whether a status carries the [`RETRY_MARKER`].
pub fn is_conflict_retry(status: &Status) -> bool {
    status.metadata().contains_key(RETRY_MARKER)
}

/// PostgreSQL's SQLSTATE for a character it cannot store: U+0000 in a text value.
const PG_CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";

/// The SQLSTATE of a database error, when the database reported one.
fn sqlstate(e: &DbErr) -> Option<String> {
    use sea_orm::RuntimeErr;
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => s
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned()),
        _ => None,
    }
}

/// Whether a database error is a unique-constraint violation (a duplicate key).
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

fn is_busy(e: &DbErr) -> bool {
    let s = e.to_string();
    s.contains("database is locked") || s.contains("SQLITE_BUSY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_of_violations_is_cut_and_counted() {
        let mut v = Violations::new();
        for i in 0..MAX_LISTED_VIOLATIONS + 10 {
            v.add(format!("records[{i}].fen"), "must not be negative");
        }
        let s = v.into_status();
        assert_eq!(s.code(), Code::InvalidArgument);
        assert_eq!(
            s.message(),
            "60 invalid fields (the first 50 listed), first records[0].fen: must not be negative"
        );
        use tonic_types::StatusExt;
        let listed = s.get_details_bad_request().unwrap().field_violations;
        assert_eq!(listed.len(), MAX_LISTED_VIOLATIONS);
        assert_eq!(listed[49].field, "records[49].fen");
    }

    #[test]
    fn violations_become_invalid_argument_with_every_field() {
        let mut v = Violations::new();
        v.add("household.village_code", "must be 12 digits, got 11");
        v.add(
            "household.members[1].resident_id",
            "check character should be 7, got 3",
        );
        let s = v.into_status();
        assert_eq!(s.code(), Code::InvalidArgument);
        let br = s.get_details_bad_request().expect("bad request detail");
        let fields: Vec<&str> = br
            .field_violations
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            fields,
            ["household.village_code", "household.members[1].resident_id"]
        );
        assert!(s.message().contains("2 invalid fields"));
    }

    #[test]
    fn precondition_carries_rule_and_subject() {
        let s = failed_precondition(
            "NOT_POOR",
            "household H1",
            "household H1 has exited already",
        );
        assert_eq!(s.code(), Code::FailedPrecondition);
        let pf = s
            .get_details_precondition_failure()
            .expect("precondition detail");
        assert_eq!(pf.violations[0].r#type, "NOT_POOR");
        assert_eq!(pf.violations[0].subject, "household H1");
    }

    /// A database error with a chosen SQLSTATE, as the PostgreSQL driver reports one.
    #[derive(Debug)]
    struct FakeDbError(&'static str);

    impl std::fmt::Display for FakeDbError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "error with SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for FakeDbError {}

    impl sea_orm::sqlx::error::DatabaseError for FakeDbError {
        fn message(&self) -> &str {
            "fake"
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sea_orm::sqlx::error::ErrorKind {
            sea_orm::sqlx::error::ErrorKind::Other
        }
    }

    fn query_err(e: sea_orm::sqlx::Error) -> DbErr {
        DbErr::Query(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(e)))
    }

    fn with_sqlstate(code: &'static str) -> DbErr {
        query_err(sea_orm::sqlx::Error::Database(Box::new(FakeDbError(code))))
    }

    #[test]
    fn connection_failures_are_unavailable() {
        for code in [
            "57P01", "57P02", "57P03", "08000", "08003", "08006", "08P01",
        ] {
            assert_eq!(
                db_status(with_sqlstate(code)).code(),
                Code::Unavailable,
                "SQLSTATE {code}"
            );
        }
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        for e in [
            query_err(sea_orm::sqlx::Error::Io(reset)),
            query_err(sea_orm::sqlx::Error::PoolTimedOut),
            query_err(sea_orm::sqlx::Error::PoolClosed),
            DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::ConnectionClosed),
        ] {
            let text = e.to_string();
            assert_eq!(db_status(e).code(), Code::Unavailable, "{text}");
        }
    }

    #[test]
    fn conflicts_are_aborted_with_the_retry_marker() {
        for code in ["40001", "40P01"] {
            let s = db_status(with_sqlstate(code));
            assert_eq!(s.code(), Code::Aborted, "SQLSTATE {code}");
            assert!(is_conflict_retry(&s), "SQLSTATE {code} asks for a retry");
        }
        let s = db_status(with_sqlstate("23505"));
        assert_eq!(
            s.code(),
            Code::Internal,
            "an unhandled unique violation is a bug"
        );
        assert!(!is_conflict_retry(&s));
        assert!(!is_conflict_retry(&stale_etag("household", "H", "1", "2")));
    }

    #[test]
    fn other_database_errors_stay_internal_and_nul_is_the_callers() {
        assert_eq!(db_status(with_sqlstate("42P01")).code(), Code::Internal);
        assert_eq!(
            db_status(DbErr::Custom("boom".into())).code(),
            Code::Internal
        );
        assert_eq!(
            db_status(with_sqlstate(PG_CHARACTER_NOT_IN_REPERTOIRE)).code(),
            Code::InvalidArgument
        );
    }

    #[test]
    fn empty_violations_pass() {
        assert!(Violations::new().into_result().is_ok());
    }
}
