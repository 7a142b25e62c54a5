//! The geographic area a measure covers.

crate::stored_enum! {
    /// A value of `measure_version.area_covered`.
    pub enum Area ("area") {
        England => "ENGLAND",
        Wales => "WALES",
        Scotland => "SCOTLAND",
        NorthernIreland => "NORTHERN_IRELAND",
        Overseas => "OVERSEAS",
    }
}

impl Area {
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

/// Describes an area for readers: all four nations are "United Kingdom", all five
/// "UK and overseas", otherwise "England, Wales and overseas" (capitalised only when first).
pub fn describe_area_covered(areas: &[Area]) -> String {
    let mut areas = areas.to_vec();
    areas.sort();
    areas.dedup();
    let nations = [
        Area::England,
        Area::Wales,
        Area::Scotland,
        Area::NorthernIreland,
    ];
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
    fn round_trips_through_the_stored_value() {
        for area in Area::ALL {
            assert_eq!(area.as_str().parse(), Ok(*area));
        }
        assert!("MARS".parse::<Area>().is_err());
    }

    #[test]
    fn describes_areas_as_the_model_does() {
        assert_eq!(describe_area_covered(Area::ALL), "UK and overseas");
        assert_eq!(
            describe_area_covered(&[Wales, England, Scotland, NorthernIreland]),
            "United Kingdom"
        );
        assert_eq!(describe_area_covered(&[England]), "England");
        assert_eq!(
            describe_area_covered(&[England, Wales]),
            "England and Wales"
        );
        assert_eq!(
            describe_area_covered(&[Overseas, Scotland, England]),
            "England, Scotland and overseas"
        );
        assert_eq!(describe_area_covered(&[Overseas]), "Overseas");
        assert_eq!(describe_area_covered(&[]), "");
    }
}
