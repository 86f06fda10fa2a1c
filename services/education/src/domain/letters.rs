//! Notification letters (协查函) for children studying outside the county or province.
//!
//! The county sends a letter to the receiving school or county education bureau; a reply
//! (or other proof of enrolment) confirms the child is in school there. A letter with no
//! reply after `letter_reply_days` is an alert.

use chrono::NaiveDate;

use super::policy::Policy;
use super::{FieldViolation, into_result, is_blank, not_in_future, require_text, rules};

/// One notification letter as recorded by the Education Bureau.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// The letter's number (函号), so the receiving bureau's reply can be matched to it.
    pub number: String,
    /// Day it was sent; the reply deadline counts from here.
    pub sent_on: NaiveDate,
    /// Receiving school or county education bureau, so follow-ups know whom to chase.
    pub recipient: String,
    /// Day the reply arrived; `None` while unanswered. A reply confirms enrolment.
    pub reply_on: Option<NaiveDate>,
    /// Reference to other proof of enrolment (e.g. a school certificate); confirms
    /// enrolment like a reply when the receiving side never answers.
    pub proof_ref: Option<String>,
}

impl Letter {
    /// Whether, as of `today`, the letter has a reply dated between sending and today.
    pub fn replied(&self, today: NaiveDate) -> bool {
        self.reply_on
            .is_some_and(|r| self.sent_on <= r && r <= today)
    }

    /// Whether there is a non-blank proof reference.
    pub fn has_proof(&self) -> bool {
        self.proof_ref.as_deref().is_some_and(|p| !is_blank(p))
    }

    /// Whether the letter confirms the child's enrolment elsewhere as of `today`: it was
    /// sent, and it has a reply or a proof.
    pub fn confirms_enrolment(&self, today: NaiveDate) -> bool {
        self.sent_on <= today && (self.replied(today) || self.has_proof())
    }

    /// The overdue alert for this letter: unanswered past the deadline and no proof
    /// obtained either (once proof is in hand, chasing the reply no longer matters).
    pub fn overdue(&self, today: NaiveDate, p: &Policy) -> bool {
        !self.has_proof() && letter_overdue(self.sent_on, self.reply_on, today, p)
    }
}

/// Whether a letter sent on `sent_on` is overdue on `today`: no reply by `today`, and more
/// than `letter_reply_days` days have passed (day 30 is still on time, day 31 is overdue).
/// A reply dated after `today` does not count yet.
pub fn letter_overdue(
    sent_on: NaiveDate,
    reply_on: Option<NaiveDate>,
    today: NaiveDate,
    p: &Policy,
) -> bool {
    if reply_on.is_some_and(|r| r <= today) {
        return false;
    }
    (today - sent_on).num_days() > i64::from(p.letter_reply_days)
}

/// The reply deadline: the last day a reply is on time.
pub fn reply_due(sent_on: NaiveDate, p: &Policy) -> NaiveDate {
    sent_on
        .checked_add_days(chrono::Days::new(u64::from(p.letter_reply_days)))
        .unwrap_or(NaiveDate::MAX)
}

/// Validate a letter before it is recorded: required text present, no date in the future,
/// reply not before sending.
pub fn validate_letter(letter: &Letter, today: NaiveDate) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    require_text(
        &mut v,
        "number",
        &letter.number,
        "the letter number is required",
    );
    require_text(
        &mut v,
        "recipient",
        &letter.recipient,
        "the receiving school or bureau is required",
    );
    not_in_future(&mut v, "sent_on", "sent", letter.sent_on, today);
    if let Some(r) = letter.reply_on {
        not_in_future(&mut v, "reply_on", "reply", r, today);
        if r < letter.sent_on {
            v.push(FieldViolation::rule(
                rules::REPLY_BEFORE_SENT,
                "reply_on",
                format!("reply date {r} is before the sent date {}", letter.sent_on),
            ));
        }
    }
    if letter.proof_ref.as_deref().is_some_and(is_blank) {
        v.push(FieldViolation::invalid(
            "proof_ref",
            "proof reference is blank; omit it when there is no proof",
        ));
    }
    into_result(v)
}

#[cfg(test)]
pub(crate) fn letter(sent_on: NaiveDate, reply_on: Option<NaiveDate>) -> Letter {
    Letter {
        number: "谷教函〔2019〕12号".to_string(),
        sent_on,
        recipient: "襄阳市襄州区教育局".to_string(),
        reply_on,
        proof_ref: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::*;

    /// A letter sent on 1 September 2019: overdue or not on a day, given its reply date.
    #[test]
    fn overdue_after_thirty_days_without_a_reply() {
        let p = test_policy();
        let sent = d(2019, 9, 1);
        assert_eq!(reply_due(sent, &p), d(2019, 10, 1));
        let cases = [
            ("day 30 is on time", None, d(2019, 10, 1), false),
            ("day 31 is overdue", None, d(2019, 10, 2), true),
            ("replied", Some(d(2019, 9, 5)), d(2020, 1, 1), false),
            // A late reply still clears the alert.
            ("late reply", Some(d(2019, 12, 1)), d(2020, 1, 1), false),
            // A reply dated after today does not count yet.
            ("reply not yet", Some(d(2019, 12, 1)), d(2019, 11, 1), true),
        ];
        for (case, reply, today, overdue) in cases {
            assert_eq!(letter_overdue(sent, reply, today, &p), overdue, "{case}");
        }
    }

    #[test]
    fn proof_clears_overdue_and_confirms() {
        let p = test_policy();
        let mut l = letter(d(2019, 9, 1), None);
        assert!(l.overdue(d(2019, 11, 1), &p));
        assert!(!l.confirms_enrolment(d(2019, 11, 1)));
        l.proof_ref = Some("学籍证明 2019-0412".to_string());
        assert!(!l.overdue(d(2019, 11, 1), &p));
        assert!(l.confirms_enrolment(d(2019, 11, 1)));
        l.proof_ref = Some("  ".to_string());
        assert!(!l.confirms_enrolment(d(2019, 11, 1)));
    }

    #[test]
    fn reply_confirms_only_once_received() {
        let l = letter(d(2019, 9, 1), Some(d(2019, 9, 20)));
        assert!(!l.confirms_enrolment(d(2019, 9, 19)));
        assert!(l.confirms_enrolment(d(2019, 9, 20)));
        let before_sent = letter(d(2019, 9, 1), Some(d(2019, 8, 20)));
        assert!(!before_sent.confirms_enrolment(d(2019, 10, 1)));
    }

    #[test]
    fn valid_letter_passes() {
        let l = letter(d(2019, 9, 1), Some(d(2019, 9, 20)));
        assert_eq!(validate_letter(&l, d(2019, 10, 1)), Ok(()));
    }

    #[test]
    fn invalid_letter_reports_every_field() {
        let l = Letter {
            number: " ".to_string(),
            sent_on: d(2019, 10, 5),
            recipient: String::new(),
            reply_on: Some(d(2019, 10, 3)),
            proof_ref: Some(String::new()),
        };
        let err = validate_letter(&l, d(2019, 10, 1)).unwrap_err();
        let fields: Vec<(&str, ViolationKind)> =
            err.iter().map(|v| (v.field.as_str(), v.kind)).collect();
        assert_eq!(
            fields,
            vec![
                ("number", ViolationKind::InvalidArgument),
                ("recipient", ViolationKind::InvalidArgument),
                ("sent_on", ViolationKind::InvalidArgument),
                ("reply_on", ViolationKind::InvalidArgument),
                ("reply_on", ViolationKind::FailedPrecondition),
                ("proof_ref", ViolationKind::InvalidArgument),
            ]
        );
        assert_eq!(err[4].rule, crate::domain::rules::REPLY_BEFORE_SENT);
    }

    proptest! {
        #[test]
        fn overdue_iff_unanswered_past_deadline(sent_off in 0u64..400, wait in 0u64..400) {
            let p = test_policy();
            let sent = d(2019, 1, 1) + chrono::Days::new(sent_off);
            let today = sent + chrono::Days::new(wait);
            prop_assert_eq!(letter_overdue(sent, None, today, &p), wait > 30);
            prop_assert!(!letter_overdue(sent, Some(sent), today, &p));
        }
    }
}
