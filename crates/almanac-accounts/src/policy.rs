//! Who may have an account, and who must use two-factor authentication.

use almanac_content::UserType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoFactorRule {
    /// Admins and developers must use it; others may.
    AdminsAndDevelopers,
    /// Everyone must.
    Everyone,
}

impl std::str::FromStr for TwoFactorRule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "admins" => Ok(TwoFactorRule::AdminsAndDevelopers),
            "all" => Ok(TwoFactorRule::Everyone),
            _ => Err("use `admins` (admins and developers) or `all`".to_owned()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AccountPolicy {
    /// Addresses at these domains, or their subdomains, may have accounts (lower case).
    pub allowed_domains: Vec<String>,
    /// Further addresses that may have accounts (lower case).
    pub allowed_addresses: Vec<String>,
    pub two_factor: TwoFactorRule,
}

impl Default for AccountPolicy {
    fn default() -> Self {
        AccountPolicy {
            allowed_domains: vec!["gov.uk".to_owned(), "nhs.net".to_owned()],
            allowed_addresses: Vec::new(),
            two_factor: TwoFactorRule::AdminsAndDevelopers,
        }
    }
}

impl AccountPolicy {
    /// Whether `email` (already checked to be well formed) may have an account.
    pub fn allows_email(&self, email: &str) -> bool {
        let email = email.trim().to_lowercase();
        if self.allowed_addresses.contains(&email) {
            return true;
        }
        let Some((_, domain)) = email.rsplit_once('@') else {
            return false;
        };
        self.allowed_domains
            .iter()
            .any(|allowed| domain == allowed || domain.ends_with(&format!(".{allowed}")))
    }

    pub fn requires_two_factor(&self, user_type: UserType) -> bool {
        match self.two_factor {
            TwoFactorRule::Everyone => true,
            TwoFactorRule::AdminsAndDevelopers => {
                matches!(user_type, UserType::Admin | UserType::Developer)
            }
        }
    }
}

/// Whether `email` looks like an address: one `@`, something before it, a dot in the domain,
/// no spaces. Deliverability is for the invite email to prove.
pub fn is_well_formed_email(email: &str) -> bool {
    let email = email.trim();
    email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn government_and_nhs_addresses_are_allowed() {
        let policy = AccountPolicy {
            allowed_addresses: vec!["analyst@example.org".to_owned()],
            ..AccountPolicy::default()
        };
        assert!(policy.allows_email("jo@cabinetoffice.gov.uk"));
        assert!(policy.allows_email("Jo@GOV.UK"));
        assert!(policy.allows_email("jo@nhs.net"));
        assert!(policy.allows_email("analyst@example.org"));
        assert!(!policy.allows_email("jo@notgov.uk"));
        assert!(!policy.allows_email("jo@gov.uk.example.com"));
        assert!(!policy.allows_email("jo@example.org"));
    }

    #[test]
    fn two_factor_rule() {
        let policy = AccountPolicy::default();
        assert!(policy.requires_two_factor(UserType::Admin));
        assert!(policy.requires_two_factor(UserType::Developer));
        assert!(!policy.requires_two_factor(UserType::Departmental));
        let strict = AccountPolicy {
            two_factor: TwoFactorRule::Everyone,
            ..AccountPolicy::default()
        };
        assert!(strict.requires_two_factor(UserType::Departmental));
    }

    #[test]
    fn email_shapes() {
        assert!(is_well_formed_email("a.b@c.gov.uk"));
        for bad in [
            "",
            "jo",
            "jo@",
            "@x.gov.uk",
            "jo@gov",
            "jo smith@x.gov.uk",
            "a@b@c.uk",
            "jo@.uk",
        ] {
            assert!(!is_well_formed_email(bad), "{bad}");
        }
    }
}
