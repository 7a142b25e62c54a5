//! Version numbers of a measure: `MAJOR.MINOR`, ordered numerically.

use std::fmt;
use std::str::FromStr;

/// A measure version number such as `1.0` or `10.2`. Ordered numerically, so `9.0 < 10.0`
/// (the model compared strings and got this wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionNumber {
    pub major: i32,
    pub minor: i32,
}

/// The two kinds of update an editor can start from a published version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateKind {
    /// Clarifications or corrections: `X.Y` → `X.(Y+1)`; keeps uploads and data sources.
    Minor,
    /// A new edition, usually with new data: `X.Y` → `(X+1).0`; starts without either.
    Major,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}” is not a version number: use MAJOR.MINOR, for example 1.0 or 2.3")]
pub struct InvalidVersionNumber(String);

impl VersionNumber {
    pub const FIRST: VersionNumber = VersionNumber { major: 1, minor: 0 };

    pub fn new(major: i32, minor: i32) -> Result<Self, InvalidVersionNumber> {
        if major >= 1 && minor >= 0 {
            Ok(VersionNumber { major, minor })
        } else {
            Err(InvalidVersionNumber(format!("{major}.{minor}")))
        }
    }

    pub fn next(self, kind: UpdateKind) -> VersionNumber {
        match kind {
            UpdateKind::Minor => self.next_minor(),
            UpdateKind::Major => self.next_major(),
        }
    }

    pub fn next_minor(self) -> VersionNumber {
        VersionNumber {
            major: self.major,
            minor: self.minor + 1,
        }
    }

    pub fn next_major(self) -> VersionNumber {
        VersionNumber {
            major: self.major + 1,
            minor: 0,
        }
    }

    /// `X.0`: the first version of an edition.
    pub fn is_major(self) -> bool {
        self.minor == 0
    }

    pub fn is_first(self) -> bool {
        self == Self::FIRST
    }
}

impl fmt::Display for VersionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for VersionNumber {
    type Err = InvalidVersionNumber;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidVersionNumber(text.to_owned());
        let (major, minor) = text.split_once('.').ok_or_else(invalid)?;
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return Err(invalid());
        }
        let major = major.parse().map_err(|_| invalid())?;
        let minor = minor.parse().map_err(|_| invalid())?;
        VersionNumber::new(major, minor).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> VersionNumber {
        text.parse().unwrap()
    }

    #[test]
    fn orders_numerically_not_as_text() {
        let mut versions = [v("10.0"), v("9.0"), v("1.10"), v("1.2"), v("2.0")];
        versions.sort();
        let shown: Vec<String> = versions.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["1.2", "1.10", "2.0", "9.0", "10.0"]);
    }

    #[test]
    fn next_versions() {
        assert_eq!(v("1.1").next_minor(), v("1.2"));
        assert_eq!(v("1.1").next_major(), v("2.0"));
        assert_eq!(v("1.9").next(UpdateKind::Minor), v("1.10"));
        assert!(v("3.0").is_major());
        assert!(!v("3.1").is_major());
        assert!(v("1.0").is_first());
    }

    #[test]
    fn rejects_malformed_numbers() {
        for bad in [
            "",
            "1",
            "1.",
            ".1",
            "0.1",
            "1.-1",
            "a.b",
            "1.2.3",
            "+1.0",
            "1 .0",
            "99999999999.0",
        ] {
            assert!(bad.parse::<VersionNumber>().is_err(), "{bad:?} accepted");
        }
        let error = "latest".parse::<VersionNumber>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "“latest” is not a version number: use MAJOR.MINOR, for example 1.0 or 2.3"
        );
    }
}
