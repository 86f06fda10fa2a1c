//! Field violations that know which status they call for: malformed input
//! (INVALID_ARGUMENT) or a broken rule (FAILED_PRECONDITION). The pure domain modules of
//! the services return these; the api layer turns a list of them into one status.

use std::fmt;

/// Which gRPC status a violation calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViolationKind {
    /// The value is malformed by itself; `INVALID_ARGUMENT`.
    InvalidArgument,
    /// The value breaks a rule or conflicts with the current state; `FAILED_PRECONDITION`.
    FailedPrecondition,
}

impl ViolationKind {
    /// The status for a whole list of violations: malformed input wins, because a request
    /// must be well-formed before its rules are worth discussing. `None` for an empty list.
    pub fn overall(violations: &[FieldViolation]) -> Option<ViolationKind> {
        if violations.is_empty() {
            None
        } else if violations
            .iter()
            .any(|v| v.kind == ViolationKind::InvalidArgument)
        {
            Some(ViolationKind::InvalidArgument)
        } else {
            Some(ViolationKind::FailedPrecondition)
        }
    }
}

/// One problem with one field of a request, in the shape of `google.rpc.BadRequest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the offending field (snake_case, dot-separated), so the caller can point at it.
    pub field: String,
    /// Human-readable explanation, including the limit that was broken, so the caller can fix it.
    pub description: String,
    /// Whether the field is malformed or breaks a rule; selects the gRPC status code.
    pub kind: ViolationKind,
    /// For a broken rule, its stable SCREAMING_SNAKE_CASE id (the precondition
    /// violation's `type`, which clients switch on); empty for a malformed value.
    pub rule: &'static str,
}

impl FieldViolation {
    /// A malformed-value violation.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        FieldViolation {
            field: field.into(),
            description: description.into(),
            kind: ViolationKind::InvalidArgument,
            rule: "",
        }
    }

    /// A breach of the rule `rule` (a stable id) by `field`, given the stored state.
    pub fn rule(
        rule: &'static str,
        field: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        FieldViolation {
            field: field.into(),
            description: description.into(),
            kind: ViolationKind::FailedPrecondition,
            rule,
        }
    }

    /// The same violation with `prefix.` in front of its field path, for nested messages.
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.field = format!("{prefix}.{}", self.field);
        self
    }
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// `Ok(())` for no violations, otherwise all of them.
pub fn into_result(violations: Vec<FieldViolation>) -> Result<(), Vec<FieldViolation>> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

/// Declares a service's rule ids: each a `pub const` whose value is its own name (so the
/// name cannot drift from the value clients switch on), and `ALL`, every id, for the test
/// that the contract lists them ([`assert_rule_ids_listed`]). Doc comments on the ids pass
/// through.
#[macro_export]
macro_rules! rule_ids {
    ($($(#[doc = $doc:literal])* $id:ident,)+) => {
        $($(#[doc = $doc])* pub const $id: &str = stringify!($id);)+

        /// Every rule id, for the test that they are distinct and listed in the proto.
        pub const ALL: &[&str] = &[$($id),+];
    };
}

/// Test support: asserts that `ids` are distinct SCREAMING_SNAKE_CASE words and that each
/// stands as a whole word in a comment line of `proto` (the rule table in the contract's
/// header), so a client reading the contract finds every id it may switch on.
pub fn assert_rule_ids_listed(proto: &str, ids: &[&str]) {
    let mut seen = std::collections::BTreeSet::new();
    let commented: std::collections::BTreeSet<&str> = proto
        .lines()
        .filter(|line| line.trim_start().starts_with("//"))
        .flat_map(|line| line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
        .collect();
    for id in ids {
        assert!(seen.insert(id), "{id} is declared twice");
        assert!(
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
            "{id} is not SCREAMING_SNAKE_CASE"
        );
        assert!(
            commented.contains(id),
            "the proto's rule table does not list {id}"
        );
    }
}

/// True when a text is empty or only whitespace: a required field left blank, which every
/// service refuses the same way.
pub fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    mod sample {
        crate::rule_ids! {
            /// A rule for the test.
            FIRST_RULE,
            SECOND_RULE,
        }
    }

    #[test]
    fn rule_ids_are_their_names_and_must_be_listed() {
        assert_eq!(sample::FIRST_RULE, "FIRST_RULE");
        assert_eq!(sample::ALL, ["FIRST_RULE", "SECOND_RULE"]);
        assert_rule_ids_listed("// | FIRST_RULE | a |\n//   SECOND_RULE  b\n", sample::ALL);
        let unlisted = std::panic::catch_unwind(|| {
            assert_rule_ids_listed("// FIRST_RULE_X\nSECOND_RULE\n", &["FIRST_RULE"])
        });
        assert!(
            unlisted.is_err(),
            "a longer word or an uncommented line does not list it"
        );
        let twice = std::panic::catch_unwind(|| assert_rule_ids_listed("// A", &["A", "A"]));
        assert!(twice.is_err());
    }

    #[test]
    fn blank_is_empty_or_whitespace() {
        assert!(is_blank(""));
        assert!(is_blank(" \t\u{3000}"), "an ideographic space is blank too");
        assert!(!is_blank(" 教 "));
        assert!(!is_blank("x"));
    }

    #[test]
    fn malformed_input_wins_and_prefixes_nest() {
        let rule = FieldViolation::rule("MILESTONE_ORDER", "moved_in", "before acceptance");
        let bad = FieldViolation::invalid("area", "negative").prefixed("housing");
        assert_eq!(bad.field, "housing.area");
        assert_eq!(ViolationKind::overall(&[]), None);
        assert_eq!(
            ViolationKind::overall(std::slice::from_ref(&rule)),
            Some(ViolationKind::FailedPrecondition)
        );
        assert_eq!(
            ViolationKind::overall(&[rule, bad.clone()]),
            Some(ViolationKind::InvalidArgument)
        );
        assert_eq!(bad.to_string(), "housing.area: negative");
        assert_eq!(into_result(vec![]), Ok(()));
    }
}
