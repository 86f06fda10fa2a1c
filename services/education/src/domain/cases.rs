//! Return-to-school cases (劝返) for children who dropped out or never enrolled.
//!
//! A case is opened, followed up any number of times, and closed only once the child's
//! status counts as guaranteed again: `Open -> FollowingUp* -> Closed`. The state is
//! derived from the recorded events, so it cannot disagree with them.

use chrono::NaiveDate;

use super::guarantee::{Guarantee, Reason};
use super::{ViolationKind, rules};

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseState {
    /// Opened, no follow-up yet.
    Open,
    /// At least one follow-up recorded, child not yet back.
    FollowingUp,
    /// Closed: the child is back (guaranteed).
    Closed,
}

/// One follow-up visit or call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    /// Day of the follow-up; events must not go back in time.
    pub date: NaiveDate,
    /// Who followed up (teacher, village cadre), for accountability.
    pub by: String,
    /// What happened, so the next person knows where the family stands.
    pub note: String,
}

/// A return-to-school case for one child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnCase {
    /// Day the case was opened; the first event.
    pub opened_on: NaiveDate,
    /// Follow-ups in date order; their presence moves the case to `FollowingUp`.
    pub follow_ups: Vec<FollowUp>,
    /// Day the case was closed; `Some` means `Closed` and no further events.
    pub closed_on: Option<NaiveDate>,
}

/// A case transition that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The case is already closed; nothing may be added to it.
    #[error("the case is closed")]
    CaseClosed,
    /// The child is not guaranteed, so the case must stay open.
    #[error("the child is not back in school ({}); the case stays open", reason.name())]
    NotGuaranteed {
        /// Why the child is not guaranteed, so the caller knows what is still missing.
        reason: Reason,
    },
    /// The event is dated before the case's latest event.
    #[error("event dated {date} is before the case's latest event on {latest}")]
    OutOfOrder {
        /// The date of the rejected event.
        date: NaiveDate,
        /// The latest recorded event's date.
        latest: NaiveDate,
    },
    /// The event is dated after today.
    #[error("event date {0} is in the future")]
    FutureDate(NaiveDate),
}

impl RuleError {
    /// The stable id of the broken rule; `None` for a future date, which is a malformed
    /// value rather than a broken rule.
    pub fn rule(&self) -> Option<&'static str> {
        match self {
            RuleError::CaseClosed => Some(rules::CASE_CLOSED),
            RuleError::NotGuaranteed { .. } => Some(rules::NOT_GUARANTEED),
            RuleError::OutOfOrder { .. } => Some(rules::EVENT_OUT_OF_ORDER),
            RuleError::FutureDate(_) => None,
        }
    }

    /// The gRPC status the error calls for.
    pub fn kind(&self) -> ViolationKind {
        match self.rule() {
            None => ViolationKind::InvalidArgument,
            Some(_) => ViolationKind::FailedPrecondition,
        }
    }

    /// The request field the error is about: the case itself when it is closed or the
    /// child is not back, otherwise the event's date (`date_field`).
    pub fn field<'a>(&self, date_field: &'a str) -> &'a str {
        match self {
            RuleError::CaseClosed | RuleError::NotGuaranteed { .. } => "case_id",
            RuleError::OutOfOrder { .. } | RuleError::FutureDate(_) => date_field,
        }
    }
}

/// Whether a case may be closed given the guarantee of the child's current status.
pub fn can_close(status_guarantee: &Guarantee) -> Result<(), RuleError> {
    if status_guarantee.guaranteed {
        Ok(())
    } else {
        Err(RuleError::NotGuaranteed {
            reason: status_guarantee.reason,
        })
    }
}

impl ReturnCase {
    /// A new case opened on `opened_on`.
    pub fn open(opened_on: NaiveDate) -> ReturnCase {
        ReturnCase {
            opened_on,
            follow_ups: Vec::new(),
            closed_on: None,
        }
    }

    /// The state derived from the events.
    pub fn state(&self) -> CaseState {
        if self.closed_on.is_some() {
            CaseState::Closed
        } else if self.follow_ups.is_empty() {
            CaseState::Open
        } else {
            CaseState::FollowingUp
        }
    }

    /// The date of the latest event (opening, follow-up or closing).
    pub fn latest_event(&self) -> NaiveDate {
        let last_follow_up = self.follow_ups.iter().map(|f| f.date).max();
        [Some(self.opened_on), last_follow_up, self.closed_on]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(self.opened_on)
    }

    fn check_event(&self, date: NaiveDate, today: NaiveDate) -> Result<(), RuleError> {
        if self.state() == CaseState::Closed {
            return Err(RuleError::CaseClosed);
        }
        if date > today {
            return Err(RuleError::FutureDate(date));
        }
        let latest = self.latest_event();
        if date < latest {
            return Err(RuleError::OutOfOrder { date, latest });
        }
        Ok(())
    }

    /// Record a follow-up. Refused on a closed case, for a future date, or before the
    /// latest event. A failed call leaves the case unchanged.
    pub fn follow_up(&mut self, f: FollowUp, today: NaiveDate) -> Result<(), RuleError> {
        self.check_event(f.date, today)?;
        self.follow_ups.push(f);
        Ok(())
    }

    /// Close the case on `on`, allowed only when `status_guarantee` (the child's status
    /// today) is guaranteed. A failed call leaves the case unchanged.
    pub fn close(
        &mut self,
        on: NaiveDate,
        status_guarantee: &Guarantee,
        today: NaiveDate,
    ) -> Result<(), RuleError> {
        self.check_event(on, today)?;
        can_close(status_guarantee)?;
        self.closed_on = Some(on);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::guarantee::{GuaranteeFacts, guarantee};
    use crate::domain::status::StudentStatus;
    use crate::domain::testing::*;

    fn fu(date: NaiveDate) -> FollowUp {
        FollowUp {
            date,
            by: "李校长".to_string(),
            note: "家访，家长同意返校".to_string(),
        }
    }

    fn g(status: StudentStatus) -> Guarantee {
        guarantee(
            &status,
            &GuaranteeFacts::default(),
            d(2019, 10, 1),
            &test_policy(),
        )
    }

    #[test]
    fn open_follow_up_close() {
        let today = d(2019, 10, 1);
        let mut c = ReturnCase::open(d(2019, 9, 5));
        assert_eq!(c.state(), CaseState::Open);
        assert_eq!(c.follow_up(fu(d(2019, 9, 10)), today), Ok(()));
        assert_eq!(c.state(), CaseState::FollowingUp);
        assert_eq!(c.follow_up(fu(d(2019, 9, 10)), today), Ok(()));
        assert_eq!(c.follow_ups.len(), 2);
        assert_eq!(
            c.close(d(2019, 9, 20), &g(StudentStatus::InCounty), today),
            Ok(())
        );
        assert_eq!(c.state(), CaseState::Closed);
        assert_eq!(c.closed_on, Some(d(2019, 9, 20)));
        assert_eq!(c.latest_event(), d(2019, 9, 20));
    }

    #[test]
    fn close_straight_from_open_when_guaranteed() {
        let mut c = ReturnCase::open(d(2019, 9, 5));
        assert_eq!(
            c.close(
                d(2019, 9, 5),
                &g(StudentStatus::SpecialSchool),
                d(2019, 9, 5)
            ),
            Ok(())
        );
        assert_eq!(c.state(), CaseState::Closed);
    }

    #[test]
    fn cannot_close_while_child_out_of_school() {
        let today = d(2019, 10, 1);
        let mut c = ReturnCase::open(d(2019, 9, 5));
        let before = c.clone();
        assert_eq!(
            c.close(today, &g(StudentStatus::DroppedOut), today),
            Err(RuleError::NotGuaranteed {
                reason: Reason::DroppedOut
            })
        );
        assert_eq!(c, before);
        let not_back = can_close(&g(StudentStatus::DroppedOut)).unwrap_err();
        assert_eq!(not_back.rule(), Some(rules::NOT_GUARANTEED));
        assert_eq!(not_back.field("closed_on"), "case_id");
        assert_eq!(
            can_close(&g(StudentStatus::NeverEnrolled)),
            Err(RuleError::NotGuaranteed {
                reason: Reason::NeverEnrolled
            })
        );
        assert_eq!(
            can_close(&g(StudentStatus::OutsideCounty)),
            Err(RuleError::NotGuaranteed {
                reason: Reason::ElsewhereNoLetter
            })
        );
        assert_eq!(can_close(&g(StudentStatus::InCounty)), Ok(()));
    }

    #[test]
    fn closed_case_takes_no_events() {
        let today = d(2019, 10, 1);
        let mut c = ReturnCase::open(d(2019, 9, 5));
        c.close(d(2019, 9, 6), &g(StudentStatus::InCounty), today)
            .unwrap();
        assert_eq!(c.follow_up(fu(today), today), Err(RuleError::CaseClosed));
        assert_eq!(
            c.close(today, &g(StudentStatus::InCounty), today),
            Err(RuleError::CaseClosed)
        );
        assert_eq!(c.follow_ups.len(), 0);
        assert_eq!(
            RuleError::CaseClosed.kind(),
            ViolationKind::FailedPrecondition
        );
        assert_eq!(RuleError::CaseClosed.rule(), Some(rules::CASE_CLOSED));
        assert_eq!(RuleError::CaseClosed.field("closed_on"), "case_id");
    }

    #[test]
    fn events_must_not_go_back_or_into_the_future() {
        let today = d(2019, 10, 1);
        let mut c = ReturnCase::open(d(2019, 9, 5));
        assert_eq!(
            c.follow_up(fu(d(2019, 9, 4)), today),
            Err(RuleError::OutOfOrder {
                date: d(2019, 9, 4),
                latest: d(2019, 9, 5)
            })
        );
        let err = c.follow_up(fu(d(2019, 10, 2)), today).unwrap_err();
        assert_eq!(err, RuleError::FutureDate(d(2019, 10, 2)));
        assert_eq!(err.kind(), ViolationKind::InvalidArgument);
        assert_eq!(err.rule(), None);
        c.follow_up(fu(d(2019, 9, 15)), today).unwrap();
        let err = c
            .close(d(2019, 9, 14), &g(StudentStatus::InCounty), today)
            .unwrap_err();
        assert_eq!(
            err,
            RuleError::OutOfOrder {
                date: d(2019, 9, 14),
                latest: d(2019, 9, 15)
            }
        );
        assert_eq!(err.kind(), ViolationKind::FailedPrecondition);
        assert_eq!(err.rule(), Some(rules::EVENT_OUT_OF_ORDER));
        assert_eq!(err.field("closed_on"), "closed_on");
        assert_eq!(c.state(), CaseState::FollowingUp);
    }

    #[test]
    fn error_messages_name_the_cause() {
        let e = RuleError::NotGuaranteed {
            reason: Reason::DroppedOut,
        };
        assert_eq!(
            e.to_string(),
            "the child is not back in school (dropped_out); the case stays open"
        );
    }

    proptest! {
        #[test]
        fn can_close_iff_guaranteed(guaranteed in any::<bool>()) {
            let gt = Guarantee { guaranteed, reason: Reason::InSchoolInCounty };
            prop_assert_eq!(can_close(&gt).is_ok(), guaranteed);
        }

        #[test]
        fn follow_ups_in_order_keep_case_open(gaps in proptest::collection::vec(0u64..30, 0..10)) {
            let start = d(2019, 9, 1);
            let mut c = ReturnCase::open(start);
            let mut date = start;
            for gap in &gaps {
                date = date + chrono::Days::new(*gap);
                prop_assert_eq!(c.follow_up(fu(date), d(2030, 1, 1)), Ok(()));
            }
            prop_assert_eq!(c.follow_ups.len(), gaps.len());
            prop_assert_eq!(
                c.state(),
                if gaps.is_empty() { CaseState::Open } else { CaseState::FollowingUp }
            );
            prop_assert_eq!(c.latest_event(), date);
        }
    }
}
