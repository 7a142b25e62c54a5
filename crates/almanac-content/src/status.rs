//! The editorial workflow of a measure version.

crate::stored_enum! {
    /// Where a measure version is in its workflow:
    ///
    /// ```text
    /// DRAFT → INTERNAL_REVIEW → DEPARTMENT_REVIEW → APPROVED
    ///           ↘ REJECTED ↙          ↙
    ///               ↓ (back to draft)
    ///             DRAFT
    /// ```
    pub enum PublishStatus ("publish status") {
        Draft => "DRAFT",
        InternalReview => "INTERNAL_REVIEW",
        DepartmentReview => "DEPARTMENT_REVIEW",
        Approved => "APPROVED",
        Rejected => "REJECTED",
    }
}

impl PublishStatus {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_stored_value() {
        for status in PublishStatus::ALL {
            assert_eq!(status.as_str().parse::<PublishStatus>(), Ok(*status));
        }
        assert!("PUBLISHED".parse::<PublishStatus>().is_err());
    }

    #[test]
    fn only_draft_and_rejected_are_editable() {
        let editable: Vec<_> = PublishStatus::ALL
            .iter()
            .copied()
            .filter(|status| status.is_editable())
            .collect();
        assert_eq!(editable, [PublishStatus::Draft, PublishStatus::Rejected]);
    }
}
