//! User types and the capabilities each one grants.

use std::fmt;
use std::str::FromStr;

/// The four kinds of publisher account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserType {
    /// An editor in a government department: sees and edits only the measures shared with them.
    Departmental,
    /// An editor in the central unit.
    CentralEditor,
    /// A central editor who can also publish and manage users, topics and data sources.
    Admin,
    /// A developer: everything an admin can do, plus system operations.
    Developer,
}

/// What a user may do. Stored per user (`users.capabilities`), copied from the user type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    Read,
    UpdateMeasure,
    CreateVersion,
    CreateMeasure,
    DeleteMeasure,
    ViewDashboards,
    Publish,
    ManageUsers,
    OrderMeasures,
    ManageDataSources,
    ManageTopics,
    CopyMeasure,
    ManageSystem,
}

impl UserType {
    pub const ALL: [UserType; 4] = [
        UserType::Departmental,
        UserType::CentralEditor,
        UserType::Admin,
        UserType::Developer,
    ];

    /// The value stored in `users.user_type` (the model's names).
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::Departmental => "DEPT_USER",
            UserType::CentralEditor => "RDU_USER",
            UserType::Admin => "ADMIN_USER",
            UserType::Developer => "DEV_USER",
        }
    }

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
        capabilities.extend([CreateMeasure, DeleteMeasure, ViewDashboards]);
        if self == UserType::CentralEditor {
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

impl Capability {
    pub const ALL: [Capability; 13] = [
        Capability::Read,
        Capability::UpdateMeasure,
        Capability::CreateVersion,
        Capability::CreateMeasure,
        Capability::DeleteMeasure,
        Capability::ViewDashboards,
        Capability::Publish,
        Capability::ManageUsers,
        Capability::OrderMeasures,
        Capability::ManageDataSources,
        Capability::ManageTopics,
        Capability::CopyMeasure,
        Capability::ManageSystem,
    ];

    /// The value stored in `users.capabilities`.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Read => "READ",
            Capability::UpdateMeasure => "UPDATE_MEASURE",
            Capability::CreateVersion => "CREATE_VERSION",
            Capability::CreateMeasure => "CREATE_MEASURE",
            Capability::DeleteMeasure => "DELETE_MEASURE",
            Capability::ViewDashboards => "VIEW_DASHBOARDS",
            Capability::Publish => "PUBLISH",
            Capability::ManageUsers => "MANAGE_USERS",
            Capability::OrderMeasures => "ORDER_MEASURES",
            Capability::ManageDataSources => "MANAGE_DATA_SOURCES",
            Capability::ManageTopics => "MANAGE_TOPICS",
            Capability::CopyMeasure => "COPY_MEASURE",
            Capability::ManageSystem => "MANAGE_SYSTEM",
        }
    }
}

impl fmt::Display for UserType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown user type “{0}”: use one of DEPT_USER, RDU_USER, ADMIN_USER, DEV_USER")]
pub struct UnknownUserType(pub String);

impl FromStr for UserType {
    type Err = UnknownUserType;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        UserType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownUserType(text.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown capability “{0}”")]
pub struct UnknownCapability(pub String);

impl FromStr for Capability {
    type Err = UnknownCapability;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|capability| capability.as_str() == text)
            .ok_or_else(|| UnknownCapability(text.to_owned()))
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
        for kind in UserType::ALL {
            for capability in [Read, UpdateMeasure, CreateVersion] {
                assert!(has(kind, capability), "{kind} lacks {capability:?}");
            }
        }
        for capability in [CreateMeasure, DeleteMeasure, ViewDashboards] {
            assert!(!has(Departmental, capability));
            assert!(has(CentralEditor, capability));
        }
        for capability in [Publish, ManageUsers, OrderMeasures, ManageDataSources, ManageTopics] {
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
            assert_eq!(kind.as_str().parse(), Ok(kind));
        }
        for capability in Capability::ALL {
            assert_eq!(capability.as_str().parse(), Ok(capability));
        }
        assert!("ROOT".parse::<UserType>().is_err());
    }
}
