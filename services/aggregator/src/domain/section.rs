//! The status of a section (one service's part of an answer): available, or unavailable
//! with the service's name, code and message.

use tonic::Status;
use xk_contracts::pb::aggregator::v1::{SectionState, SectionStatus};

/// The status of a section whose service answered.
pub fn available() -> SectionStatus {
    SectionStatus {
        state: SectionState::Available as i32,
        code: 0,
        message: String::new(),
    }
}

/// The status of a section whose service failed: the code and message, prefixed with the
/// service's name so the reader knows which one.
pub fn unavailable(service: &str, status: &Status) -> SectionStatus {
    SectionStatus {
        state: SectionState::Unavailable as i32,
        code: status.code() as i32,
        message: format!("{service}: {}", status.message()),
    }
}

/// Whether a section status is available.
pub fn is_available(s: &Option<SectionStatus>) -> bool {
    s.as_ref()
        .is_some_and(|s| s.state == SectionState::Available as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn statuses_name_the_service_and_code() {
        let s = unavailable("water", &Status::unavailable("connection refused"));
        assert_eq!(s.state, SectionState::Unavailable as i32);
        assert_eq!(s.code, Code::Unavailable as i32);
        assert!(s.message.starts_with("water: "));
        assert!(is_available(&Some(available())));
        assert!(!is_available(&Some(s)));
        assert!(!is_available(&None));
    }
}
