//! Which ethnicity classification the figures of a chart or table use (the model's
//! `EthnicityClassificationFinder` and `EthnicityClassificationMatcher`).
//!
//! The reference data is compiled in: `classification_definitions.csv` (the classifications)
//! and `classification_lookup.csv` (raw labels found on real pages, mapped to standard
//! values). Both are from the Ethnicity Facts and Figures publisher, Crown Copyright (Cabinet
//! Office), released under the MIT License; see `data/reference/README.md`.
//!
//! Detection, for the values of a category column:
//!
//! 1. **Standardise** each distinct value: trimmed, without case, runs of spaces as one, it
//!    is looked up in the lookup ("Asian or Asian British" → "Asian", "Total"… see
//!    [`ALMANAC_LOOKUP_ADDITIONS`]), or else taken as a standard value if it is one
//!    ("Other inc Mixed and Chinese"). Anything else is **unrecognised**, and then no
//!    classification matches: the editor chooses one, or a custom one.
//! 2. **Match**: a classification (one code of the definitions, `+` variants included) fits
//!    when every standard value in the data is one of its values, every value it requires is
//!    there, and no two different values of the data would be shown under the same name.
//!    That last rule is Almanac's: the model would take "Chinese" and "Other" both as "Other
//!    inc Chinese" (5A), which shows readers two rows with one label.
//! 3. **Rank**: the most detailed first (the most distinct values shown, leaving out "All"
//!    and the unknowns), then the one that renames fewest of the data's values (so "Other"
//!    is 2011's "Other" (5B) before 2001's "Other inc Chinese" (5A)), then the usual order
//!    of classifications.
//! 4. **Flags**: `includes_parents` when the data has every broader group of the
//!    classification ("Asian" above "Indian"…) as the CSV's Parent column says, counting
//!    only the parents of required values, as the model did. A code with `+` is the same
//!    classification with its broad groups: the result names the base code (the `+` codes
//!    are not stored) with `includes_parents`. `includes_all` when "All" (or "Total"…) is
//!    there, `includes_unknown` when "Unknown", "Unclassified" or "Unmatched" is.
//!
//! A dimension then takes the classification of its chart or its table
//! ([`Classifier::dimension_classification`]), and the edit page says which
//! ([`ClassificationSource`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

const DEFINITIONS_CSV: &str =
    include_str!("../../../data/reference/classification_definitions.csv");
const LOOKUP_CSV: &str = include_str!("../../../data/reference/classification_lookup.csv");

/// Raw labels that real tables use and the model's lookup lacks. The lookup itself is
/// reference data kept unchanged, so Almanac's additions live here.
pub const ALMANAC_LOOKUP_ADDITIONS: &[(&str, &str)] = &[
    ("total", "All"),
    ("all people", "All"),
    ("prefer not to say", "Unknown"),
    // The 2011 census's name for the broad group; the lookup has only variants of it.
    ("mixed/multiple ethnic groups", "Mixed"),
    ("don't know", "Unknown"),
];

/// The standard value of an "All" row.
pub const ALL: &str = "All";
/// Standard values meaning that the ethnicity is not known.
pub const UNKNOWN_VALUES: [&str; 3] = ["Unknown", "Unclassified", "Unmatched"];

/// Standard values every classification has that are not ethnic groups, so do not make a
/// classification more detailed.
fn is_outside_classification(standard: &str) -> bool {
    standard == ALL || standard == "Not applicable" || UNKNOWN_VALUES.contains(&standard)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    #[error("{file}, line {line}: {message}")]
    ReferenceData {
        file: &'static str,
        line: usize,
        message: String,
    },
    #[error("There is no ethnicity classification “{code}”. The classifications are: {known}.")]
    UnknownCode { code: String, known: String },
    #[error(
        "“{code}” is the variant of {base} with broad groups, which is not stored. Choose {base} \
         and say that the data includes the broad groups (parents)."
    )]
    AggregateCode { code: String, base: String },
    #[error(
        "The classification {code} has no broader groups, so the data cannot include its \
         parents."
    )]
    NoParents { code: String },
}

/// A classification as the publisher stores and lists it (a base code: `6B`, never `6B+`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub code: String,
    /// For example "ONS 2011 - 18+1".
    pub name: String,
    pub long_name: String,
    /// Whether some of its values have a broader group (in the base code or its `+` variant).
    pub has_parents: bool,
    /// How many ethnic groups it has (its required values, as the database stores them).
    pub ethnic_groups: usize,
}

/// The data's facts that go with a classification, as the editor may also state them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassificationFlags {
    pub includes_parents: bool,
    pub includes_all: bool,
    pub includes_unknown: bool,
}

/// The classification of a dimension, as stored (`dimension_categorisation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassificationMatch {
    pub code: String,
    pub name: String,
    pub includes_parents: bool,
    pub includes_all: bool,
    pub includes_unknown: bool,
}

impl ClassificationMatch {
    /// A classification the editor chose instead of the detected one, checked against the
    /// known codes (without case; `+` codes are refused with a message saying what to do).
    pub fn custom(code: &str, flags: ClassificationFlags) -> Result<Self, ClassifyError> {
        Classifier::reference().custom(code, flags)
    }

    pub fn flags(&self) -> ClassificationFlags {
        ClassificationFlags {
            includes_parents: self.includes_parents,
            includes_all: self.includes_all,
            includes_unknown: self.includes_unknown,
        }
    }
}

/// A value of the data as one classification shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassifiedValue {
    /// As in the data (first spelling, when the data repeats it).
    pub raw: String,
    pub standard: String,
    /// The name the classification gives it ("Other" is "Other inc Mixed" in 4A).
    pub display: String,
    /// Its broader group; itself when it has none.
    pub parent: String,
    /// Where it sorts (the definitions' Order).
    pub order: i32,
}

/// A classification that fits the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub classification: ClassificationMatch,
    /// How many distinct ethnic groups the classification shows for this data.
    pub detail: usize,
    /// Every distinct value of the data, as this classification shows it.
    pub values: Vec<ClassifiedValue>,
}

/// A distinct value of the data and its standard value, when the lookup knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StandardisedValue {
    pub raw: String,
    pub standard: Option<String>,
}

/// What detection found. The publisher shows `candidates` (best first) and lets the editor
/// choose another or a custom classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detection {
    pub best: Option<ClassificationMatch>,
    pub candidates: Vec<Candidate>,
    /// Every distinct value of the data, in the order first seen.
    pub values: Vec<StandardisedValue>,
    /// Values the lookup does not know, in the order first seen.
    pub unrecognised: Vec<String>,
}

#[derive(Debug, Clone)]
struct Item {
    display: String,
    parent: String,
    order: i32,
}

/// One code of the definitions: a classification, or its `+` variant with broad groups.
#[derive(Debug, Clone)]
struct Variant {
    /// Index into `Classifier::classifications`.
    base: usize,
    items: HashMap<String, Item>,
    required_displays: BTreeSet<String>,
    /// Broader groups of required values (empty when the variant has no hierarchy).
    required_parents: BTreeSet<String>,
}

/// The reference classifications and lookup.
#[derive(Debug, Clone)]
pub struct Classifier {
    classifications: Vec<Classification>,
    variants: Vec<Variant>,
    lookup: HashMap<String, String>,
    /// Every standard value, by its lookup key.
    standard_values: HashMap<String, String>,
}

static REFERENCE: LazyLock<Classifier> = LazyLock::new(|| {
    Classifier::from_csv(DEFINITIONS_CSV, LOOKUP_CSV)
        .expect("the compiled-in reference data parses (checked by the tests)")
});

/// Trimmed, lower case, runs of whitespace (non-breaking spaces too) as one space, and
/// typographic apostrophes as plain ones (word processors turn "don't" into "don’t").
fn lookup_key(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .replace('\u{2019}', "'")
}

/// Sorts codes as the publisher lists them: 2A, 2B, 4A … 18B.
fn code_sort_key(code: &str) -> (u32, String) {
    let digits: String = code.chars().take_while(char::is_ascii_digit).collect();
    (digits.parse().unwrap_or(u32::MAX), code.to_owned())
}

fn csv_records(
    file: &'static str,
    text: &str,
) -> Result<Vec<(usize, csv::StringRecord)>, ClassifyError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .enumerate()
        .map(|(index, record)| {
            let line = index + 2;
            record
                .map(|record| (line, record))
                .map_err(|error| ClassifyError::ReferenceData {
                    file,
                    line,
                    message: error.to_string(),
                })
        })
        .collect()
}

impl Classifier {
    /// The compiled-in reference data.
    pub fn reference() -> &'static Classifier {
        &REFERENCE
    }

    /// Reads classification definitions and a lookup in the reference CSV formats.
    pub fn from_csv(definitions_csv: &str, lookup_csv: &str) -> Result<Classifier, ClassifyError> {
        const DEFINITIONS: &str = "classification_definitions.csv";
        const LOOKUP: &str = "classification_lookup.csv";
        let mut classifications: Vec<Classification> = Vec::new();
        let mut variants: Vec<(String, Variant)> = Vec::new();
        let mut standard_values = HashMap::new();
        for (line, record) in csv_records(DEFINITIONS, definitions_csv)? {
            let field = |index: usize| record.get(index).unwrap_or_default().trim();
            let bad = |message: String| ClassifyError::ReferenceData {
                file: DEFINITIONS,
                line,
                message,
            };
            let code = field(0);
            let (standard, display, parent) = (field(3), field(4), field(5));
            if code.is_empty() || standard.is_empty() || display.is_empty() || parent.is_empty() {
                return Err(bad("Code, Standard, Display and Parent are required".into()));
            }
            let order: i32 = field(6)
                .parse()
                .map_err(|_| bad(format!("Order “{}” is not a whole number", field(6))))?;
            let required = field(7).eq_ignore_ascii_case("true");
            let base_code = code.trim_end_matches('+');
            let base = match classifications.iter().position(|c| c.code == base_code) {
                Some(index) => index,
                None => {
                    classifications.push(Classification {
                        code: base_code.to_owned(),
                        // A `+` variant's name adds " - Aggregates"; the base row has the
                        // name to show, and comes first in the file.
                        name: field(1).to_owned(),
                        long_name: field(2).to_owned(),
                        has_parents: false,
                        ethnic_groups: 0,
                    });
                    classifications.len() - 1
                }
            };
            if code == base_code {
                classifications[base].name = field(1).to_owned();
                classifications[base].long_name = field(2).to_owned();
            }
            let variant = match variants.iter().position(|(c, _)| c == code) {
                Some(index) => &mut variants[index].1,
                None => {
                    variants.push((
                        code.to_owned(),
                        Variant {
                            base,
                            items: HashMap::new(),
                            required_displays: BTreeSet::new(),
                            required_parents: BTreeSet::new(),
                        },
                    ));
                    &mut variants.last_mut().expect("just pushed").1
                }
            };
            if variant.items.contains_key(standard) {
                return Err(bad(format!("“{standard}” is listed twice in {code}")));
            }
            variant.items.insert(
                standard.to_owned(),
                Item {
                    display: display.to_owned(),
                    parent: parent.to_owned(),
                    order,
                },
            );
            if required {
                variant.required_displays.insert(display.to_owned());
                if parent != display {
                    variant.required_parents.insert(parent.to_owned());
                }
            }
            standard_values.insert(lookup_key(standard), standard.to_owned());
        }
        for (code, variant) in &variants {
            let classification = &mut classifications[variant.base];
            if !variant.required_parents.is_empty() {
                classification.has_parents = true;
            }
            if *code == classification.code {
                classification.ethnic_groups = variant.required_displays.len();
            }
        }

        let mut lookup = HashMap::new();
        const ADDITIONS: &str = "ALMANAC_LOOKUP_ADDITIONS";
        let additions = (1..)
            .zip(ALMANAC_LOOKUP_ADDITIONS)
            .map(|(line, (raw, standard))| {
                (ADDITIONS, line, (*raw).to_owned(), (*standard).to_owned())
            });
        let rows = csv_records(LOOKUP, lookup_csv)?
            .into_iter()
            .map(|(line, record)| {
                (
                    LOOKUP,
                    line,
                    record.get(0).unwrap_or_default().to_owned(),
                    record.get(1).unwrap_or_default().trim().to_owned(),
                )
            });
        for (file, line, raw, standard) in rows.chain(additions) {
            let key = lookup_key(&raw);
            let bad = |message: String| ClassifyError::ReferenceData {
                file,
                line,
                message,
            };
            if key.is_empty() || standard.is_empty() {
                return Err(bad("both columns are required".into()));
            }
            // A standard value no classification has (the lookup maps some labels to
            // "Other (inc Gypsy/Traveller/Irish Traveller)") is allowed: it matches nothing.
            match lookup.get(&key) {
                Some(existing) if *existing != standard => {
                    return Err(bad(format!(
                        "“{raw}” maps to “{standard}” here but to “{existing}” before"
                    )));
                }
                Some(_) => {}
                None => {
                    lookup.insert(key, standard);
                }
            }
        }

        // Keep variant indexes valid while sorting the classifications into listing order.
        let mut order: Vec<usize> = (0..classifications.len()).collect();
        order.sort_by_key(|&index| code_sort_key(&classifications[index].code));
        let mut new_index = vec![0; classifications.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let classifications = order
            .iter()
            .map(|&old| classifications[old].clone())
            .collect();
        let variants = variants
            .into_iter()
            .map(|(_, mut variant)| {
                variant.base = new_index[variant.base];
                variant
            })
            .collect();
        Ok(Classifier {
            classifications,
            variants,
            lookup,
            standard_values,
        })
    }

    /// The classifications, in listing order (2A, 2B, 4A … 18B).
    pub fn classifications(&self) -> &[Classification] {
        &self.classifications
    }

    /// The classification with this code (without case).
    pub fn classification(&self, code: &str) -> Option<&Classification> {
        self.classifications
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(code.trim()))
    }

    /// The standard value of a raw label, when the lookup knows it.
    pub fn standardise(&self, raw: &str) -> Option<&str> {
        let key = lookup_key(raw);
        self.lookup
            .get(&key)
            .or_else(|| self.standard_values.get(&key))
            .map(String::as_str)
    }

    /// A classification the editor chose, checked against the known codes.
    pub fn custom(
        &self,
        code: &str,
        flags: ClassificationFlags,
    ) -> Result<ClassificationMatch, ClassifyError> {
        let code = code.trim();
        if let Some(base) = code.strip_suffix('+')
            && let Some(classification) = self.classification(base)
        {
            return Err(ClassifyError::AggregateCode {
                code: code.to_owned(),
                base: classification.code.clone(),
            });
        }
        let Some(classification) = self.classification(code) else {
            return Err(ClassifyError::UnknownCode {
                code: code.to_owned(),
                known: self
                    .classifications
                    .iter()
                    .map(|c| c.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        if flags.includes_parents && !classification.has_parents {
            return Err(ClassifyError::NoParents {
                code: classification.code.clone(),
            });
        }
        Ok(ClassificationMatch {
            code: classification.code.clone(),
            name: classification.name.clone(),
            includes_parents: flags.includes_parents,
            includes_all: flags.includes_all,
            includes_unknown: flags.includes_unknown,
        })
    }

    /// Finds the classifications that fit these values (the categories of a chart or table;
    /// repeats and blank values are fine). See the module documentation for how.
    pub fn detect<I, S>(&self, raw_values: I) -> Detection
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut values: Vec<StandardisedValue> = Vec::new();
        let mut seen = BTreeSet::new();
        for raw in raw_values {
            let raw = raw.as_ref().trim();
            if raw.is_empty() || !seen.insert(lookup_key(raw)) {
                continue;
            }
            values.push(StandardisedValue {
                raw: raw.to_owned(),
                standard: self.standardise(raw).map(str::to_owned),
            });
        }
        let unrecognised: Vec<String> = values
            .iter()
            .filter(|value| value.standard.is_none())
            .map(|value| value.raw.clone())
            .collect();
        let standards: BTreeSet<&str> = values
            .iter()
            .filter_map(|value| value.standard.as_deref())
            .collect();
        let includes_all = standards.contains(ALL);
        let includes_unknown = UNKNOWN_VALUES.iter().any(|u| standards.contains(u));

        let mut candidates: Vec<(usize, Candidate)> = Vec::new();
        if unrecognised.is_empty() && !values.is_empty() {
            for variant in &self.variants {
                let Some(fit) = fit(variant, &values, &standards) else {
                    continue;
                };
                let classification = &self.classifications[variant.base];
                let candidate = Candidate {
                    classification: ClassificationMatch {
                        code: classification.code.clone(),
                        name: classification.name.clone(),
                        includes_parents: fit.includes_parents,
                        includes_all,
                        includes_unknown,
                    },
                    detail: fit.detail,
                    values: fit.values,
                };
                match candidates
                    .iter_mut()
                    .find(|(_, c)| c.classification.code == classification.code)
                {
                    // The base code and its `+` variant both fit: one candidate, which
                    // includes parents if either way of reading the data says so.
                    Some((renamed, existing)) => {
                        if candidate.classification.includes_parents
                            && !existing.classification.includes_parents
                        {
                            *existing = candidate;
                            *renamed = fit.renamed;
                        }
                    }
                    None => candidates.push((fit.renamed, candidate)),
                }
            }
        }
        candidates.sort_by_key(|(renamed, candidate)| {
            let base = self
                .classifications
                .iter()
                .position(|c| c.code == candidate.classification.code);
            (std::cmp::Reverse(candidate.detail), *renamed, base)
        });
        let candidates: Vec<Candidate> = candidates.into_iter().map(|(_, c)| c).collect();
        Detection {
            best: candidates.first().map(|c| c.classification.clone()),
            candidates,
            values,
            unrecognised,
        }
    }
}

struct Fit {
    includes_parents: bool,
    detail: usize,
    renamed: usize,
    values: Vec<ClassifiedValue>,
}

/// How a variant shows the data, if it fits it.
fn fit(variant: &Variant, values: &[StandardisedValue], standards: &BTreeSet<&str>) -> Option<Fit> {
    // Every standard value of the data is one of the variant's…
    let mut shown_as: HashMap<&str, &str> = HashMap::new();
    for &standard in standards {
        let item = variant.items.get(standard)?;
        // …and no two are shown under one name.
        if shown_as.insert(item.display.as_str(), standard).is_some() {
            return None;
        }
    }
    // …and the values it requires are all there.
    if !variant
        .required_displays
        .iter()
        .all(|display| shown_as.contains_key(display.as_str()))
    {
        return None;
    }
    let includes_parents = !variant.required_parents.is_empty()
        && variant
            .required_parents
            .iter()
            .all(|parent| shown_as.contains_key(parent.as_str()));
    let detail = shown_as
        .values()
        .filter(|standard| !is_outside_classification(standard))
        .count();
    let renamed = shown_as
        .iter()
        .filter(|(display, standard)| display != standard)
        .count();
    let values = values
        .iter()
        .filter_map(|value| {
            let standard = value.standard.as_deref()?;
            let item = variant.items.get(standard)?;
            Some(ClassifiedValue {
                raw: value.raw.clone(),
                standard: standard.to_owned(),
                display: item.display.clone(),
                parent: item.parent.clone(),
                order: item.order,
            })
        })
        .collect();
    Some(Fit {
        includes_parents,
        detail,
        renamed,
        values,
    })
}

/// Where a dimension's classification came from, as the edit-dimension page says (the
/// model's `classification_source_string`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassificationSource {
    Table,
    Chart,
    ManuallySelected,
}

impl ClassificationSource {
    pub fn label(self) -> &'static str {
        match self {
            ClassificationSource::Table => "Table",
            ClassificationSource::Chart => "Chart",
            ClassificationSource::ManuallySelected => "Manually selected",
        }
    }

    /// The table's classification if the dimension has it, else the chart's, else the
    /// editor chose it.
    pub fn of(
        dimension: &ClassificationMatch,
        chart: Option<&ClassificationMatch>,
        table: Option<&ClassificationMatch>,
    ) -> ClassificationSource {
        if table == Some(dimension) {
            ClassificationSource::Table
        } else if chart == Some(dimension) {
            ClassificationSource::Chart
        } else {
            ClassificationSource::ManuallySelected
        }
    }
}

impl Classifier {
    /// The classification a dimension takes from its chart and table (the model's
    /// `update_dimension_classification_from_chart_or_table`): the one there is, or, when
    /// both have one, the one whose classification has more ethnic groups (the table's when
    /// they have as many). `None` when neither has one: the dimension then has none.
    pub fn dimension_classification(
        &self,
        chart: Option<&ClassificationMatch>,
        table: Option<&ClassificationMatch>,
    ) -> Option<ClassificationMatch> {
        let groups = |chosen: &ClassificationMatch| {
            self.classification(&chosen.code)
                .map_or(0, |classification| classification.ethnic_groups)
        };
        match (chart, table) {
            (Some(chart), Some(table)) if groups(chart) > groups(table) => Some(chart.clone()),
            (_, Some(table)) => Some(table.clone()),
            (Some(chart), None) => Some(chart.clone()),
            (None, None) => None,
        }
    }
}

/// Detects the classification of values with the compiled-in reference data.
///
/// ```
/// let detection = almanac_figures::detect_classification([
///     "All", "Asian", "Black", "Mixed", "White British", "White other", "White", "Other",
/// ]);
/// let best = detection.best.unwrap();
/// assert_eq!(best.code, "6B");
/// assert!(best.includes_parents && best.includes_all && !best.includes_unknown);
/// ```
pub fn detect_classification<I, S>(raw_values: I) -> Detection
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    Classifier::reference().detect(raw_values)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The best match's code and whether it includes parents, all and unknown.
    fn best(values: &[&str]) -> Option<(String, bool, bool, bool)> {
        detect_classification(values).best.map(|best| {
            (
                best.code,
                best.includes_parents,
                best.includes_all,
                best.includes_unknown,
            )
        })
    }

    fn best_code(values: &[&str]) -> Option<String> {
        best(values).map(|(code, ..)| code)
    }

    fn candidate_codes(values: &[&str]) -> Vec<String> {
        detect_classification(values)
            .candidates
            .into_iter()
            .map(|c| c.classification.code)
            .collect()
    }

    // The 2011 census 18+1, as ONS tables label it.
    const CENSUS_2011_18: [&str; 18] = [
        "White - British",
        "White - Irish",
        "White - Gypsy or Irish Traveller",
        "White - Other",
        "Mixed/multiple ethnic groups - White and Black Caribbean",
        "Mixed/multiple ethnic groups - White and Black African",
        "Mixed/multiple ethnic groups - White and Asian",
        "Mixed/multiple ethnic groups - Other",
        "Asian/Asian British - Indian",
        "Asian/Asian British - Pakistani",
        "Asian/Asian British - Bangladeshi",
        "Asian/Asian British - Chinese",
        "Asian/Asian British - Other",
        "Black African/Caribbean/Black British - African",
        "Black African/Caribbean/Black British - Caribbean",
        "Black African/Caribbean/Black British - Other",
        "Other ethnic group - Arab",
        "Other ethnic group - Any other",
    ];

    #[test]
    fn reference_data_loads_with_the_21_stored_classifications() {
        let classifier = Classifier::reference();
        let codes: Vec<&str> = classifier
            .classifications()
            .iter()
            .map(|c| c.code.as_str())
            .collect();
        assert_eq!(
            codes,
            [
                "2A", "2B", "4A", "4B", "5A", "5B", "5C", "6A", "6B", "6C", "6D", "7A", "8A", "9A",
                "10A", "10B", "12A", "13A", "16A", "18A", "18B"
            ]
        );
        // The base row's name, not the "+" variant's " - Aggregates".
        assert_eq!(
            classifier.classification("6b").unwrap().name,
            "6 - Asian, Black, Mixed, White British, White other, Other"
        );
        let with_parents: Vec<&str> = classifier
            .classifications()
            .iter()
            .filter(|c| c.has_parents)
            .map(|c| c.code.as_str())
            .collect();
        // 5C's White British and White other have White as parent in the CSV, although
        // 5C cannot hold "White" itself: kept, as the database loader keeps it.
        assert_eq!(
            with_parents,
            [
                "5C", "6B", "6C", "7A", "8A", "10B", "13A", "16A", "18A", "18B"
            ]
        );
    }

    #[test]
    fn standardising_ignores_case_spaces_and_non_breaking_spaces() {
        let classifier = Classifier::reference();
        assert_eq!(
            classifier.standardise("  ASIAN or asian BRITISH "),
            Some("Asian")
        );
        assert_eq!(
            classifier.standardise("White\u{a0}British"),
            Some("White British")
        );
        assert_eq!(classifier.standardise("Other  -  Chinese"), Some("Chinese"));
        // A standard value the lookup does not list is still a standard value.
        assert_eq!(
            classifier.standardise("other inc mixed and chinese"),
            Some("Other inc Mixed and Chinese")
        );
        assert_eq!(classifier.standardise("Total"), Some("All"));
        assert_eq!(classifier.standardise("Prefer not to say"), Some("Unknown"));
        assert_eq!(classifier.standardise("Don’t know"), Some("Unknown"));
        assert_eq!(classifier.standardise("Martian"), None);
    }

    #[test]
    fn census_2011_eighteen_groups_is_18a() {
        assert_eq!(
            best(&CENSUS_2011_18),
            Some(("18A".into(), false, false, false))
        );
        assert_eq!(candidate_codes(&CENSUS_2011_18), ["18A"]);
    }

    #[test]
    fn census_2011_with_the_five_broad_groups_and_all_includes_parents() {
        let mut values = vec![
            "All",
            "White",
            "Mixed/multiple ethnic group",
            "Asian/Asian British",
            "Black/African/Caribbean/Black British",
            "Other ethnic group",
        ];
        values.extend(CENSUS_2011_18);
        assert_eq!(best(&values), Some(("18A".into(), true, true, false)));
    }

    #[test]
    fn some_but_not_all_broad_groups_do_not_count_as_including_parents() {
        let mut values = vec!["Asian"];
        values.extend(CENSUS_2011_18);
        assert_eq!(best(&values), Some(("18A".into(), false, false, false)));
    }

    #[test]
    fn five_groups_of_2011_prefer_5b_over_the_2001_naming() {
        let values = ["Asian", "Black", "Mixed", "White", "Other"];
        assert_eq!(best_code(&values).as_deref(), Some("5B"));
        // 5A fits too ("Other" shown as "Other inc Chinese"), as a second choice.
        assert_eq!(candidate_codes(&values), ["5B", "5A"]);
    }

    #[test]
    fn five_groups_of_2001_with_other_including_chinese_is_5a() {
        let values = [
            "Asian or Asian British",
            "Black or Black British",
            "Mixed",
            "White",
            "Other inc Chinese",
        ];
        assert_eq!(best_code(&values).as_deref(), Some("5A"));
    }

    #[test]
    fn ons_2021_nineteen_groups_are_not_in_the_2019_reference_data() {
        // The 2021 census added "Roma"; no classification of the model has it.
        let short = [
            "Indian",
            "Pakistani",
            "Bangladeshi",
            "Chinese",
            "Asian other",
            "Black African",
            "Black Caribbean",
            "Black other",
            "Mixed White/Asian",
            "Mixed White/Black African",
            "Mixed White/Black Caribbean",
            "Mixed other",
            "White British",
            "White Irish",
            "Gypsy or Irish Traveller",
            "Roma",
            "White other",
            "Arab",
            "Any other ethnic group",
        ];
        let detection = detect_classification(short);
        assert_eq!(detection.best, None);
        assert!(detection.candidates.is_empty());
        assert_eq!(detection.unrecognised, ["Roma"]);

        // The 2021 census's own labels are mostly unknown to the lookup as well.
        let census_labels = [
            "Asian, Asian British or Asian Welsh: Bangladeshi",
            "Asian, Asian British or Asian Welsh: Chinese",
            "Black, Black British, Black Welsh, Caribbean or African: African",
            "Mixed or Multiple ethnic groups: White and Asian",
            "White: English, Welsh, Scottish, Northern Irish or British",
            "White: Irish",
            "White: Roma",
            "Other ethnic group: Arab",
        ];
        let detection = detect_classification(census_labels);
        assert_eq!(detection.best, None);
        assert!(detection.unrecognised.contains(&"White: Roma".to_owned()));
        assert!(!detection.unrecognised.contains(&"White: Irish".to_owned()));
    }

    #[test]
    fn white_british_and_white_other_split_is_6b_and_with_chinese_7a() {
        let values = [
            "Asian",
            "Black",
            "Mixed",
            "White British",
            "White other",
            "Other",
        ];
        assert_eq!(best(&values), Some(("6B".into(), false, false, false)));
        let values = [
            "Asian",
            "Black",
            "Chinese",
            "Mixed",
            "White British",
            "White other",
            "Other",
        ];
        assert_eq!(best_code(&values).as_deref(), Some("7A"));
    }

    #[test]
    fn white_as_a_parent_of_the_split_is_the_aggregate_variant_reported_as_its_base_code() {
        let values = [
            "Asian",
            "Black",
            "Mixed",
            "White",
            "White British",
            "White other",
            "Other",
        ];
        assert_eq!(best(&values), Some(("6B".into(), true, false, false)));
        assert!(
            candidate_codes(&values)
                .iter()
                .all(|code| !code.ends_with('+')),
            "the + codes are not stored"
        );
    }

    #[test]
    fn two_groups_white_and_bame() {
        assert_eq!(best_code(&["White", "BAME"]).as_deref(), Some("2A"));
        assert_eq!(
            best_code(&["White", "Ethnic minority"]).as_deref(),
            Some("2A")
        );
        assert_eq!(
            best_code(&["White", "Other than White"]).as_deref(),
            Some("2A")
        );
        assert_eq!(
            best_code(&["White British", "All other ethnic groups"]).as_deref(),
            Some("2B")
        );
        let detection = detect_classification(["White", "BAME"]);
        let displays: Vec<&str> = detection.candidates[0]
            .values
            .iter()
            .map(|v| v.display.as_str())
            .collect();
        assert_eq!(displays, ["White", "Other than White"]);
    }

    #[test]
    fn mixed_case_and_stray_spaces() {
        let values = [
            "  asian  ",
            "BLACK",
            "mixed",
            "White ",
            "other   ethnic group",
        ];
        assert_eq!(best_code(&values).as_deref(), Some("5B"));
        let detection = detect_classification(values);
        assert_eq!(detection.values[0].raw, "asian", "raw values are trimmed");
    }

    #[test]
    fn all_and_total_rows_set_includes_all() {
        for all in [
            "All",
            "Total",
            "All ethnic groups",
            "All categories: Ethnic group",
            "ALL",
        ] {
            let values = [all, "Asian", "Black", "Mixed", "White", "Other"];
            assert_eq!(
                best(&values),
                Some(("5B".into(), false, true, false)),
                "{all}"
            );
        }
    }

    #[test]
    fn unknown_rows_set_includes_unknown() {
        for unknown in [
            "Unknown",
            "Not known",
            "Prefer not to say",
            "Not stated",
            "Unreported",
        ] {
            let values = ["Asian", "Black", "Mixed", "White", "Other", unknown];
            assert_eq!(
                best(&values),
                Some(("5B".into(), false, false, true)),
                "{unknown}"
            );
        }
        let values = [
            "Total",
            "White",
            "Other than White",
            "Not known / prefer not to say",
        ];
        assert_eq!(best(&values), Some(("2A".into(), false, true, true)));
    }

    #[test]
    fn parents_and_children_together() {
        // APS detailed 13 with its broad groups: the 13A+ variant, stored as 13A.
        let values = [
            "Asian",
            "Bangladeshi",
            "Chinese",
            "Indian",
            "Pakistani",
            "Asian other",
            "Black",
            "Mixed",
            "Mixed White/Asian",
            "Mixed White/Black",
            "Mixed other",
            "White",
            "White British",
            "White Irish",
            "White other",
            "Other",
        ];
        assert_eq!(best(&values), Some(("13A".into(), true, false, false)));
        // Longitudinal education outcomes 10 with Asian and Black totals (10B+).
        let values = [
            "Asian",
            "Bangladeshi",
            "Chinese",
            "Indian",
            "Pakistani",
            "Any other Asian background",
            "Black",
            "Black African",
            "Black Caribbean",
            "Any other Black background",
            "White",
            "Other (including mixed)",
        ];
        assert_eq!(best(&values), Some(("10B".into(), true, false, false)));
        let detection = detect_classification(values);
        let indian = detection.candidates[0]
            .values
            .iter()
            .find(|v| v.raw == "Indian")
            .unwrap();
        assert_eq!((indian.parent.as_str(), indian.order), ("Asian", 1300));
    }

    #[test]
    fn a_breakdown_of_one_broad_group_fits_no_classification() {
        // A table of the Asian groups only: every value is known, but every classification
        // also requires Black, White… so the editor chooses a custom one.
        let values = [
            "Asian",
            "Indian",
            "Pakistani",
            "Bangladeshi",
            "Chinese",
            "Asian other",
        ];
        let detection = detect_classification(values);
        assert_eq!(detection.best, None);
        assert!(detection.unrecognised.is_empty());
        assert!(detection.values.iter().all(|v| v.standard.is_some()));
    }

    #[test]
    fn a_broad_group_the_classification_has_no_hierarchy_for_is_not_a_parent() {
        // 9A lists "Asian" as a value of its own, not as the parent of "Indian": the CSV's
        // Parent column decides, as in the model.
        let values = [
            "Asian",
            "Bangladeshi",
            "Chinese",
            "Indian",
            "Pakistani",
            "Asian other",
            "Black",
            "Mixed",
            "White",
            "Other",
        ];
        assert_eq!(best(&values), Some(("9A".into(), false, false, false)));
    }

    #[test]
    fn an_unrecognised_value_means_no_match_and_is_listed() {
        let detection = detect_classification([
            "Asian", "Black", "Martian", "Mixed", "White", "Other", "Martian",
        ]);
        assert_eq!(detection.best, None);
        assert!(detection.candidates.is_empty());
        assert_eq!(detection.unrecognised, ["Martian"]);
        assert_eq!(detection.values.len(), 6, "repeats are counted once");
    }

    #[test]
    fn duplicates_from_grouped_data_are_counted_once() {
        let values = [
            "White", "Black", "Asian", "Mixed", "Other", "White", "Black", "asian", "Mixed",
            "Other", "",
        ];
        assert_eq!(best_code(&values).as_deref(), Some("5B"));
        let detection = detect_classification(values);
        assert_eq!(detection.values.len(), 5);
        assert_eq!(detection.candidates[0].detail, 5);
    }

    #[test]
    fn dfe_eighteen_groups_with_gypsy_roma_and_irish_traveller_is_18b() {
        let values = [
            "White - British",
            "White - Irish",
            "Traveller of Irish heritage",
            "Gypsy / Roma",
            "Any other White background",
            "White and Black Caribbean",
            "White and Black African",
            "White and Asian",
            "Any other mixed background",
            "Indian",
            "Pakistani",
            "Bangladeshi",
            "Any other Asian background",
            "Black Caribbean",
            "Black African",
            "Any other Black background",
            "Chinese",
            "Any other ethnic group",
            "Unclassified",
        ];
        assert_eq!(best(&values), Some(("18B".into(), false, false, true)));
    }

    #[test]
    fn dfe_six_groups_with_chinese_is_6a_and_never_shows_two_rows_as_one() {
        let values = [
            "White",
            "Mixed",
            "Asian",
            "Black",
            "Chinese",
            "Any other ethnic group",
        ];
        // "Any other ethnic group" is "Any other", which 6A lacks; DfE's "Other" is "Other".
        assert_eq!(best_code(&values), None);
        let values = ["White", "Mixed", "Asian", "Black", "Chinese", "Other"];
        assert_eq!(best_code(&values).as_deref(), Some("6A"));
        // 5A would show "Chinese" and "Other" both as "Other inc Chinese".
        assert!(!candidate_codes(&values).contains(&"5A".to_owned()));
    }

    #[test]
    fn four_groups_with_other_including_mixed_is_4a() {
        let values = ["Asian", "Black", "White", "Other (including mixed)"];
        assert_eq!(best_code(&values).as_deref(), Some("4A"));
        let detection = detect_classification(values);
        assert_eq!(detection.candidates[0].values[3].display, "Other inc Mixed");
    }

    #[test]
    fn pakistani_and_bangladeshi_together_is_8a() {
        let values = [
            "Indian",
            "Pakistani/Bangladeshi",
            "Asian other inc Chinese",
            "Black",
            "Mixed",
            "White British",
            "White other",
            "Other",
        ];
        assert_eq!(best_code(&values).as_deref(), Some("8A"));
    }

    #[test]
    fn annual_population_survey_and_family_resources_survey() {
        let aps = [
            "Bangladeshi",
            "Chinese",
            "Indian",
            "Pakistani",
            "Asian other",
            "Black",
            "Mixed",
            "White",
            "Other",
        ];
        assert_eq!(best_code(&aps).as_deref(), Some("9A"));
        let frs = [
            "Bangladeshi",
            "Chinese",
            "Indian",
            "Pakistani",
            "Any other Asian background",
            "Black/African/Caribbean/Black British",
            "Mixed/Multiple ethnic groups",
            "White - British",
            "White - Other",
            "Other ethnic group",
        ];
        assert_eq!(best_code(&frs).as_deref(), Some("10A"));
    }

    #[test]
    fn nothing_or_only_totals_match_nothing() {
        assert_eq!(best_code(&[]), None);
        assert_eq!(best_code(&["", "  "]), None);
        let detection = detect_classification(["All", "Unknown"]);
        assert_eq!(detection.best, None);
        assert!(detection.unrecognised.is_empty());
    }

    #[test]
    fn a_custom_classification_is_checked_against_the_known_codes() {
        let flags = ClassificationFlags {
            includes_parents: true,
            includes_all: true,
            includes_unknown: false,
        };
        let chosen = ClassificationMatch::custom(" 18a ", flags).unwrap();
        assert_eq!(chosen.code, "18A");
        assert_eq!(chosen.name, "ONS 2011 - 18+1");
        assert_eq!(chosen.flags(), flags);
        assert!(ClassificationMatch::custom("6B", flags).is_ok());
        assert_eq!(
            ClassificationMatch::custom("6B+", flags),
            Err(ClassifyError::AggregateCode {
                code: "6B+".into(),
                base: "6B".into()
            })
        );
        assert_eq!(
            ClassificationMatch::custom("5B", flags),
            Err(ClassifyError::NoParents { code: "5B".into() })
        );
        let error = ClassificationMatch::custom("99Z", flags).unwrap_err();
        assert!(error.to_string().contains("2A, 2B, 4A"), "{error}");
    }

    #[test]
    fn a_dimension_takes_the_more_detailed_of_its_chart_and_table() {
        let classifier = Classifier::reference();
        assert_eq!(classifier.classification("18A").unwrap().ethnic_groups, 18);
        assert_eq!(classifier.classification("5B").unwrap().ethnic_groups, 5);
        assert_eq!(classifier.classification("2A").unwrap().ethnic_groups, 2);
        let chosen =
            |code: &str| ClassificationMatch::custom(code, ClassificationFlags::default()).unwrap();
        let (five, eighteen) = (chosen("5B"), chosen("18A"));
        let pick = |chart: Option<&ClassificationMatch>, table: Option<&ClassificationMatch>| {
            classifier
                .dimension_classification(chart, table)
                .map(|c| c.code)
        };
        assert_eq!(pick(Some(&eighteen), Some(&five)).as_deref(), Some("18A"));
        assert_eq!(pick(Some(&five), Some(&eighteen)).as_deref(), Some("18A"));
        assert_eq!(
            pick(Some(&five), Some(&chosen("5A"))).as_deref(),
            Some("5A"),
            "a tie goes to the table"
        );
        assert_eq!(pick(Some(&five), None).as_deref(), Some("5B"));
        assert_eq!(pick(None, Some(&five)).as_deref(), Some("5B"));
        assert_eq!(pick(None, None), None);

        assert_eq!(
            ClassificationSource::of(&five, Some(&five), Some(&five)),
            ClassificationSource::Table
        );
        assert_eq!(
            ClassificationSource::of(&eighteen, Some(&eighteen), Some(&five)).label(),
            "Chart"
        );
        let mut with_all = five.clone();
        with_all.includes_all = true;
        assert_eq!(
            ClassificationSource::of(&with_all, Some(&five), Some(&five)),
            ClassificationSource::ManuallySelected,
            "the flags count too"
        );
    }

    #[test]
    fn bad_reference_data_is_reported_with_its_line() {
        let definitions = "Code,Short,Long,Standard,Display,Parent,Order,Required\n\
                           5B,ONS,Long,Asian,Asian,Asian,1000,TRUE\n\
                           5B,ONS,Long,Black,Black,Black,x,TRUE\n";
        let error =
            Classifier::from_csv(definitions, "Ethnicity,Standard Ethnicity\n").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("classification_definitions.csv, line 3:"),
            "{error}"
        );

        let definitions = "Code,Short,Long,Standard,Display,Parent,Order,Required\n\
                           5B,ONS,Long,Asian,Asian,Asian,1000,TRUE\n\
                           5B,ONS,Long,All,All,All,0,\n\
                           5B,ONS,Long,Unknown,Unknown,Unknown,9980,\n";
        let lookup = "Ethnicity,Standard Ethnicity\nasian,Asian\nASIAN ,Black\n";
        let error = Classifier::from_csv(definitions, lookup).unwrap_err();
        assert!(error.to_string().contains("line 3"), "{error}");
    }
}
