-- Reference data: organisations, ethnicity classifications and the fixed lookups.
-- Rows are loaded by `site-builder load-reference` (idempotent), not by this migration,
-- so that the CSVs stay the single source of truth.

CREATE TABLE organisation (
    id varchar(32) PRIMARY KEY,
    name text NOT NULL,
    other_names text[] NOT NULL DEFAULT '{}',
    abbreviations text[] NOT NULL DEFAULT '{}',
    organisation_type text NOT NULL CONSTRAINT organisation_type_known CHECK (organisation_type IN (
        'Ad-hoc advisory group', 'Advisory non-departmental public body', 'Civil Service', 'Court',
        'Devolved administration', 'Executive agency', 'Executive non-departmental public body',
        'Executive office', 'Independent monitoring body', 'Ministerial department',
        'Non-ministerial department', 'Public corporation', 'Sub-organisation',
        'Tribunal non-departmental public body', 'Other')),
    start_date text CONSTRAINT organisation_start_date_format CHECK (start_date ~ '^\d{4}(-\d{2}(-\d{2})?)?$'),
    end_date text CONSTRAINT organisation_end_date_format CHECK (end_date ~ '^\d{4}(-\d{2}(-\d{2})?)?$'),
    parent_ids text[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE organisation IS 'UK public bodies that publish statistics (gov.uk organisation register).';
COMMENT ON COLUMN organisation.start_date IS 'As precise as the register records it: YYYY, YYYY-MM or YYYY-MM-DD.';

CREATE TABLE frequency_of_release (
    id serial PRIMARY KEY,
    description text NOT NULL CONSTRAINT frequency_of_release_description_key UNIQUE,
    position integer NOT NULL
);

CREATE TABLE type_of_statistic (
    id serial PRIMARY KEY,
    internal text NOT NULL CONSTRAINT type_of_statistic_internal_key UNIQUE,
    external text NOT NULL,
    position integer NOT NULL
);
COMMENT ON COLUMN type_of_statistic.internal IS 'Label shown to editors in the publisher.';
COMMENT ON COLUMN type_of_statistic.external IS 'Label shown to readers on the public site.';

CREATE TABLE lowest_level_of_geography (
    name text PRIMARY KEY,
    description text,
    position integer NOT NULL
);

CREATE TABLE classification (
    id varchar(16) PRIMARY KEY,
    title text NOT NULL,
    long_title text NOT NULL,
    position integer NOT NULL
);
COMMENT ON TABLE classification IS 'Ethnicity classifications such as 5A (Asian, Black, Mixed, White, Other).';

CREATE TABLE ethnicity (
    id serial PRIMARY KEY,
    value text NOT NULL CONSTRAINT ethnicity_value_key UNIQUE,
    position integer NOT NULL
);

CREATE TABLE ethnicity_in_classification (
    classification_id varchar(16) NOT NULL REFERENCES classification (id) ON DELETE CASCADE,
    ethnicity_id integer NOT NULL REFERENCES ethnicity (id) ON DELETE CASCADE,
    PRIMARY KEY (classification_id, ethnicity_id)
);

CREATE TABLE parent_ethnicity_in_classification (
    classification_id varchar(16) NOT NULL REFERENCES classification (id) ON DELETE CASCADE,
    ethnicity_id integer NOT NULL REFERENCES ethnicity (id) ON DELETE CASCADE,
    PRIMARY KEY (classification_id, ethnicity_id)
);

CREATE TABLE ethnicity_lookup (
    raw_value text PRIMARY KEY,
    standard_value text NOT NULL
);
COMMENT ON TABLE ethnicity_lookup IS 'Maps ethnicity labels found in source data (lower-cased) to standard values.';
COMMENT ON TABLE parent_ethnicity_in_classification IS 'Broader groups a classification can also report, e.g. "Asian" in 18B.';
