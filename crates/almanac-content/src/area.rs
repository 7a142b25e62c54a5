//! The geographic area a measure covers.

use std::fmt;
use std::str::FromStr;

/// A value of `measure_version.area_covered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    England,
    Wales,
    Scotland,
    NorthernIreland,
    Overseas,
}

impl Area {
    pub const ALL: [Area; 5] = [
        Area::England,
        Area::Wales,
        Area::Scotland,
        Area::NorthernIreland,
        Area::Overseas,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Area::England => "ENGLAND",
            Area::Wales => "WALES",
            Area::Scotland => "SCOTLAND",
            Area::NorthernIreland => "NORTHERN_IRELAND",
            Area::Overseas => "OVERSEAS",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Area::England => "England",
            Area::Wales => "Wales",
            Area::Scotland => "Scotland",
            Area::NorthernIreland => "Northern Ireland",
            Area::Overseas => "Overseas",
        }
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown area “{0}”")]
pub struct UnknownArea(pub String);

impl FromStr for Area {
    type Err = UnknownArea;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Area::ALL
            .into_iter()
            .find(|area| area.as_str() == text)
            .ok_or_else(|| UnknownArea(text.to_owned()))
    }
}

/// Describes an area for readers: all four nations are "United Kingdom", all five
/// "UK and overseas", otherwise "England, Wales and overseas" (capitalised only when first).
pub fn describe_area_covered(areas: &[Area]) -> String {
    let mut areas = areas.to_vec();
    areas.sort();
    areas.dedup();
    let nations = [Area::England, Area::Wales, Area::Scotland, Area::NorthernIreland];
    if areas == Area::ALL {
        return "UK and overseas".to_owned();
    }
    if areas == nations {
        return "United Kingdom".to_owned();
    }
    let labels: Vec<String> = areas
        .iter()
        .enumerate()
        .map(|(index, area)| match area {
            Area::Overseas if index > 0 => "overseas".to_owned(),
            other => other.label().to_owned(),
        })
        .collect();
    match labels.as_slice() {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::Area::*;
    use super::*;

    #[test]
    fn describes_areas_as_the_model_does() {
        assert_eq!(describe_area_covered(&Area::ALL), "UK and overseas");
        assert_eq!(
            describe_area_covered(&[Wales, England, Scotland, NorthernIreland]),
            "United Kingdom"
        );
        assert_eq!(describe_area_covered(&[England]), "England");
        assert_eq!(describe_area_covered(&[England, Wales]), "England and Wales");
        assert_eq!(
            describe_area_covered(&[Overseas, Scotland, England]),
            "England, Scotland and overseas"
        );
        assert_eq!(describe_area_covered(&[Overseas]), "Overseas");
        assert_eq!(describe_area_covered(&[]), "");
    }
}
