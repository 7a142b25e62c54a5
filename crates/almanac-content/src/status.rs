//! The editorial workflow of a measure version.

use std::fmt;
use std::str::FromStr;

/// Where a measure version is in its workflow:
///
/// ```text
/// DRAFT → INTERNAL_REVIEW → DEPARTMENT_REVIEW → APPROVED
///           ↘ REJECTED ↙          ↙
///               ↓ (back to draft)
///             DRAFT
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublishStatus {
    Draft,
    InternalReview,
    DepartmentReview,
    Approved,
    Rejected,
}

impl PublishStatus {
    pub const ALL: [PublishStatus; 5] = [
        PublishStatus::Draft,
        PublishStatus::InternalReview,
        PublishStatus::DepartmentReview,
        PublishStatus::Approved,
        PublishStatus::Rejected,
    ];

    /// The value stored in `measure_version.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            PublishStatus::Draft => "DRAFT",
            PublishStatus::InternalReview => "INTERNAL_REVIEW",
            PublishStatus::DepartmentReview => "DEPARTMENT_REVIEW",
            PublishStatus::Approved => "APPROVED",
            PublishStatus::Rejected => "REJECTED",
        }
    }

    /// How editors see the status.
    pub fn label(self) -> &'static str {
        match self {
            PublishStatus::Draft => "Draft",
            PublishStatus::InternalReview => "Internal review",
            PublishStatus::DepartmentReview => "Department review",
            PublishStatus::Approved => "Published",
            PublishStatus::Rejected => "Rejected",
        }
    }

    /// Content can be changed only in these states: review and publication freeze it.
    pub fn is_editable(self) -> bool {
        matches!(self, PublishStatus::Draft | PublishStatus::Rejected)
    }

    pub fn is_published(self) -> bool {
        self == PublishStatus::Approved
    }
}

impl fmt::Display for PublishStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown publish status “{0}”")]
pub struct UnknownStatus(pub String);

impl FromStr for PublishStatus {
    type Err = UnknownStatus;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        PublishStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| UnknownStatus(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_stored_value() {
        for status in PublishStatus::ALL {
            assert_eq!(status.as_str().parse::<PublishStatus>(), Ok(status));
        }
        assert!("PUBLISHED".parse::<PublishStatus>().is_err());
    }

    #[test]
    fn only_draft_and_rejected_are_editable() {
        let editable: Vec<_> = PublishStatus::ALL
            .into_iter()
            .filter(|status| status.is_editable())
            .collect();
        assert_eq!(editable, [PublishStatus::Draft, PublishStatus::Rejected]);
    }
}
