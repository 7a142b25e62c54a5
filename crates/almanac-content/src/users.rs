//! User types and the capabilities each one grants.

crate::stored_enum! {
    /// The four kinds of publisher account (stored under the model's names).
    pub enum UserType ("user type") {
        /// An editor in a government department: sees and edits only the measures shared with them.
        Departmental => "DEPT_USER",
        /// An editor in the central unit.
        CentralEditor => "RDU_USER",
        /// A central editor who can also publish and manage users, topics and data sources.
        Admin => "ADMIN_USER",
        /// A developer: everything an admin can do, plus system operations.
        Developer => "DEV_USER",
    }
}

crate::stored_enum! {
    /// What a user may do. Stored per user (`users.capabilities`), copied from the user type.
    pub enum Capability ("capability") {
        Read => "READ",
        UpdateMeasure => "UPDATE_MEASURE",
        CreateVersion => "CREATE_VERSION",
        CreateMeasure => "CREATE_MEASURE",
        DeleteMeasure => "DELETE_MEASURE",
        ViewDashboards => "VIEW_DASHBOARDS",
        Publish => "PUBLISH",
        ManageUsers => "MANAGE_USERS",
        OrderMeasures => "ORDER_MEASURES",
        ManageDataSources => "MANAGE_DATA_SOURCES",
        ManageTopics => "MANAGE_TOPICS",
        CopyMeasure => "COPY_MEASURE",
        ManageSystem => "MANAGE_SYSTEM",
        EditSitePages => "EDIT_SITE_PAGES",
    }
}

impl UserType {
    pub fn label(self) -> &'static str {
        match self {
            UserType::Departmental => "Departmental user",
            UserType::CentralEditor => "Central editor",
            UserType::Admin => "Admin",
            UserType::Developer => "Developer",
        }
    }

    /// The capabilities an account of this type gets.
    pub fn capabilities(self) -> Vec<Capability> {
        use Capability::*;
        let mut capabilities = vec![Read, UpdateMeasure, CreateVersion];
        if self == UserType::Departmental {
            return capabilities;
        }
        capabilities.extend([CreateMeasure, DeleteMeasure, ViewDashboards, EditSitePages]);
        if self == UserType::CentralEditor {
            capabilities.sort();
            return capabilities;
        }
        // Admins manage the system too (as in the model's later versions): the build page
        // is theirs to use.
        capabilities.extend([
            Publish,
            ManageUsers,
            OrderMeasures,
            ManageDataSources,
            ManageTopics,
            ManageSystem,
        ]);
        if self == UserType::Developer {
            capabilities.push(CopyMeasure);
        }
        capabilities.sort();
        capabilities
    }
}

#[cfg(test)]
mod tests {
    use super::Capability::*;
    use super::*;

    fn has(kind: UserType, capability: Capability) -> bool {
        kind.capabilities().contains(&capability)
    }

    #[test]
    fn capability_table_matches_the_model() {
        use UserType::*;
        for &kind in UserType::ALL {
            for capability in [Read, UpdateMeasure, CreateVersion] {
                assert!(has(kind, capability), "{kind} lacks {capability:?}");
            }
        }
        for capability in [CreateMeasure, DeleteMeasure, ViewDashboards, EditSitePages] {
            assert!(!has(Departmental, capability));
            assert!(has(CentralEditor, capability));
        }
        for capability in [
            Publish,
            ManageUsers,
            OrderMeasures,
            ManageDataSources,
            ManageTopics,
        ] {
            assert!(!has(CentralEditor, capability));
            assert!(has(Admin, capability) && has(Developer, capability));
        }
        assert!(has(Admin, ManageSystem));
        assert!(!has(Admin, CopyMeasure));
        assert!(has(Developer, CopyMeasure));
    }

    #[test]
    fn names_round_trip() {
        for kind in UserType::ALL {
            assert_eq!(kind.as_str().parse(), Ok(*kind));
        }
        for capability in Capability::ALL {
            assert_eq!(capability.as_str().parse(), Ok(*capability));
        }
        assert!("ROOT".parse::<UserType>().is_err());
    }
}
