//! The fixed shape of the demo site: the eight public topics of the model with their
//! subtopics, and how a real measure title is placed in them.

pub struct TopicSpec {
    pub slug: &'static str,
    pub title: &'static str,
    pub short_title: Option<&'static str>,
    pub description: &'static str,
    pub subtopics: &'static [&'static str],
    /// Words in a measure title that place it in this topic.
    pub keywords: &'static [&'static str],
    /// Subjects for synthetic measure titles.
    pub subjects: &'static [&'static str],
}

pub const TOPICS: [TopicSpec; 8] = [
    TopicSpec {
        slug: "crime-justice-and-the-law",
        title: "Crime, justice and the law",
        short_title: None,
        description: "Policing, crime, courts, sentencing, prisons and youth justice.",
        subtopics: &["Policing", "Crime and reoffending", "Courts, sentencing and tribunals", "Prisons and custody"],
        keywords: &["police", "arrest", "prison", "stop and search", "court", "sentenc", "crime", "victim", "offend", "custod", "justice", "judici", "youth", "prosecut", "magistrate", "tribunal", "legal aid"],
        subjects: &["Arrests for violent offences", "Cautions issued", "Remand decisions", "Reoffending within one year", "Victims of fraud", "Use of force by police", "Custodial sentence lengths", "Jury service"],
    },
    TopicSpec {
        slug: "culture-and-community",
        title: "Culture and community",
        short_title: None,
        description: "Participation in arts, sport and civic life, and how people feel about their communities.",
        subtopics: &["Arts, media and sport", "Civic participation", "Identity and belonging", "Digital"],
        keywords: &["art", "sport", "volunteer", "vote", "voting", "belong", "neighbourhood", "library", "museum", "heritage", "internet", "civic", "discriminat", "trust", "cultur", "charit", "media", "religio"],
        subjects: &["Visits to heritage sites", "Participation in team sport", "Formal volunteering", "Sense of belonging to Britain", "Trust in local police", "Internet use", "Library visits", "Charitable giving"],
    },
    TopicSpec {
        slug: "education-skills-and-training",
        title: "Education, skills and training",
        short_title: Some("Education"),
        description: "Early years, school attainment, absence and exclusions, further and higher education and apprenticeships.",
        subtopics: &["Early years", "Pupil attainment", "Absence and exclusions", "Further and higher education", "Apprenticeships and training"],
        keywords: &["school", "pupil", "educat", "apprentic", "universit", "gcse", "a level", "exclusion", "absence", "key stage", "student", "learn", "degree", "qualification", "phonics", "attainment", "early years", "graduat", "entry", "skills", "english as", "teacher", "progress 8", "attainment 8"],
        subjects: &["Reading attainment at age 7", "Maths attainment at age 11", "Fixed-period exclusions", "Persistent absence", "Entry to higher education", "Apprenticeship starts", "Adult skills participation", "Early learning goals"],
    },
    TopicSpec {
        slug: "health",
        title: "Health",
        short_title: None,
        description: "Physical and mental health, use of health services, and what patients think of them.",
        subtopics: &["Physical health", "Mental health", "Alcohol, smoking and drug use", "Health services and patient experience"],
        keywords: &["health", "hospital", "mental", "smok", "obes", "death", "mortality", "gp", "nhs", "cancer", "diabet", "alcohol", "vaccin", "patient", "drug", "dental", "disabilit", "physical", "birth", "maternity", "well-being", "wellbeing", "illness", "infant", "screening", "overweight", "diet", "fruit", "activity", "detention", "psycholog", "suicide", "care"],
        subjects: &["Hospital admissions for asthma", "Diabetes prevalence", "Childhood vaccination uptake", "Waiting times for therapy", "Adults who smoke", "Satisfaction with GP services", "Breast screening uptake", "Emergency admissions"],
    },
    TopicSpec {
        slug: "housing",
        title: "Housing",
        short_title: None,
        description: "Home ownership, renting, housing conditions, homelessness and social housing.",
        subtopics: &["Home ownership and renting", "Housing conditions", "Homelessness and housing support"],
        keywords: &["housing", "home", "rent", "homeless", "overcrowd", "tenure", "property", "social hous", "mortgage", "tenant", "accommodation", "bedroom", "dwelling"],
        subjects: &["First-time buyers", "Private renters", "Households in temporary accommodation", "Non-decent homes", "Social housing lettings", "Households with damp", "Housing benefit claimants", "Mortgage arrears"],
    },
    TopicSpec {
        slug: "uk-population-by-ethnicity",
        title: "UK population by ethnicity",
        short_title: Some("UK population"),
        description: "The size, age and location of the UK's ethnic groups.",
        subtopics: &["National and regional populations", "Demographics"],
        keywords: &["population", "census", "age profile", "language", "born", "migrat", "household composition", "regional ethnic"],
        subjects: &["Population by local authority", "Median age", "Households by size", "Main language spoken", "Country of birth", "Population change", "People living in cities", "Families with dependent children"],
    },
    TopicSpec {
        slug: "work-pay-and-benefits",
        title: "Work, pay and benefits",
        short_title: None,
        description: "Employment, unemployment, pay, income, poverty and benefits.",
        subtopics: &["Employment", "Unemployment and economic inactivity", "Pay and income", "Benefits"],
        keywords: &["employ", "unemploy", "pay", "income", "benefit", "poverty", "earn", "wage", "economic", "job", "work", "universal credit", "pension", "debt", "saving", "low income", "hours", "self-employ", "allowance", "credit", "wealth", "neet"],
        subjects: &["Employment rate", "Economic inactivity", "Average hourly pay", "Households below average income", "Universal Credit claims", "Zero-hours contracts", "Part-time working", "Pension saving"],
    },
    TopicSpec {
        slug: "workforce-and-business",
        title: "Workforce and business",
        short_title: None,
        description: "Who works in the public sector, and ownership of businesses.",
        subtopics: &["Public sector workforce", "Business"],
        keywords: &["workforce", "staff", "civil service", "teachers", "doctor", "nurse", "armed forces", "officers", "business", "employees", "senior", "recruit", "entrepren", "board", "judges", "firefight", "magistrates"],
        subjects: &["NHS staff in senior roles", "Teachers by grade", "Civil servants by grade", "Police officers", "Armed forces intake", "Firefighters", "Small business ownership", "Access to finance for businesses"],
    },
];

/// Picks the topic whose keywords best match a measure title (the first on a tie); titles
/// matching nothing go to culture and community.
pub fn topic_for_title(title: &str) -> usize {
    let lower = title.to_lowercase();
    let mut best = (0, 1usize);
    for (index, topic) in TOPICS.iter().enumerate() {
        let score = topic
            .keywords
            .iter()
            .filter(|keyword| lower.contains(*keyword))
            .count();
        if score > best.0 {
            best = (score, index);
        }
    }
    best.1
}

/// Classifications that generated charts and tables use (their values come from the
/// reference data).
pub const CLASSIFICATION_IDS: [&str; 5] = ["5A", "6A", "2A", "18B", "9A"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_real_titles_in_sensible_topics() {
        let slug = |title| TOPICS[topic_for_title(title)].slug;
        assert_eq!(slug("Absence from school"), "education-skills-and-training");
        assert_eq!(slug("Stop and search"), "crime-justice-and-the-law");
        assert_eq!(slug("Home ownership"), "housing");
        assert_eq!(slug("Something unheard of"), "culture-and-community");
    }
}
