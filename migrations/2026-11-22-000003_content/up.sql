-- The content hierarchy: topic > subtopic > measure > measure_version > dimension,
-- with each version's uploads and data sources.

CREATE TABLE topic (
    id serial PRIMARY KEY,
    slug varchar(64) NOT NULL CONSTRAINT topic_slug_key UNIQUE,
    title text NOT NULL,
    short_title text,
    description text,
    additional_description text,
    meta_description text,
    position integer NOT NULL DEFAULT 0
);
COMMENT ON COLUMN topic.description IS 'Sentence under the topic on the homepage.';
COMMENT ON COLUMN topic.additional_description IS 'Markdown paragraph on the topic page.';

CREATE TABLE subtopic (
    id serial PRIMARY KEY,
    topic_id integer NOT NULL REFERENCES topic (id) ON DELETE RESTRICT,
    slug varchar(64) NOT NULL,
    title text NOT NULL,
    position integer NOT NULL DEFAULT 0,
    CONSTRAINT subtopic_topic_id_slug_key UNIQUE (topic_id, slug)
);

-- The model links measures to subtopics many-to-many but always uses exactly one subtopic;
-- a plain foreign key says what is meant and lets the database enforce slug uniqueness.
CREATE TABLE measure (
    id serial PRIMARY KEY,
    subtopic_id integer NOT NULL REFERENCES subtopic (id) ON DELETE RESTRICT,
    slug varchar(255) NOT NULL,
    position integer NOT NULL DEFAULT 0,
    reference varchar(32),
    retired boolean NOT NULL DEFAULT false,
    replaced_by_measure_id integer REFERENCES measure (id) ON DELETE RESTRICT,
    CONSTRAINT measure_subtopic_id_slug_key UNIQUE (subtopic_id, slug),
    CONSTRAINT measure_not_replaced_by_itself CHECK (replaced_by_measure_id <> id)
);
COMMENT ON COLUMN measure.reference IS 'Internal measure code.';
COMMENT ON COLUMN measure.retired IS 'Archived: hidden from topic pages but still built, with a banner naming replaced_by_measure_id.';

CREATE TABLE measure_version (
    id serial PRIMARY KEY,
    measure_id integer NOT NULL REFERENCES measure (id) ON DELETE CASCADE,
    -- Stored as two integers so that 10.0 sorts after 9.0 (the model sorted strings).
    version_major integer NOT NULL CONSTRAINT measure_version_major_positive CHECK (version_major >= 1),
    version_minor integer NOT NULL CONSTRAINT measure_version_minor_not_negative CHECK (version_minor >= 0),
    template_version smallint NOT NULL DEFAULT 2 CONSTRAINT measure_version_template_known CHECK (template_version IN (1, 2)),
    latest boolean NOT NULL DEFAULT true,
    lock_version integer NOT NULL DEFAULT 1,
    status text NOT NULL DEFAULT 'DRAFT' CONSTRAINT measure_version_status_known
        CHECK (status IN ('DRAFT', 'INTERNAL_REVIEW', 'DEPARTMENT_REVIEW', 'APPROVED', 'REJECTED')),
    review_token text,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_updated_by text,
    published_at date,
    published_by text,
    title text NOT NULL,
    description text,
    summary text,
    need_to_know text,
    measure_summary text,
    ethnicity_definition_summary text,
    area_covered text[] NOT NULL DEFAULT '{}' CONSTRAINT measure_version_area_covered_known
        CHECK (area_covered <@ ARRAY['ENGLAND', 'WALES', 'SCOTLAND', 'NORTHERN_IRELAND', 'OVERSEAS']::text[]),
    time_covered text,
    lowest_level_of_geography_id text REFERENCES lowest_level_of_geography (name) ON DELETE RESTRICT,
    external_edit_summary text,
    internal_edit_summary text,
    update_corrects_data_mistake boolean,
    update_corrects_measure_version_id integer REFERENCES measure_version (id) ON DELETE SET NULL,
    methodology text,
    suppression_and_disclosure text,
    estimation text,
    related_publications text,
    qmi_url text,
    further_technical_information text,
    CONSTRAINT measure_version_measure_id_version_key UNIQUE (measure_id, version_major, version_minor),
    CONSTRAINT measure_version_published_has_date CHECK (status <> 'APPROVED' OR published_at IS NOT NULL)
);
-- Exactly one row per measure is the latest created version.
CREATE UNIQUE INDEX measure_version_one_latest_per_measure ON measure_version (measure_id) WHERE latest;
CREATE INDEX measure_version_status_idx ON measure_version (status);
COMMENT ON COLUMN measure_version.lock_version IS 'Optimistic lock: incremented on every save; a save carrying an older value is a conflict.';
COMMENT ON COLUMN measure_version.latest IS 'True for the latest created version of the measure, which may be a draft.';
COMMENT ON COLUMN measure_version.estimation IS 'Shown under the heading "Rounding".';

CREATE TABLE dimension (
    guid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    measure_version_id integer NOT NULL REFERENCES measure_version (id) ON DELETE CASCADE,
    title text NOT NULL,
    time_period text,
    summary text,
    position integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dimension_measure_version_id_title_key UNIQUE (measure_version_id, title)
);

-- Chart and table hang off their dimension (1:1, enforced by the primary key), so deleting
-- or copying a dimension takes them along.
CREATE TABLE dimension_chart (
    dimension_guid uuid PRIMARY KEY REFERENCES dimension (guid) ON DELETE CASCADE,
    classification_id varchar(16) REFERENCES classification (id) ON DELETE RESTRICT,
    includes_parents boolean NOT NULL DEFAULT false,
    includes_all boolean NOT NULL DEFAULT false,
    includes_unknown boolean NOT NULL DEFAULT false,
    settings_and_source_data jsonb NOT NULL DEFAULT '{}',
    chart_object jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE dimension_table (
    dimension_guid uuid PRIMARY KEY REFERENCES dimension (guid) ON DELETE CASCADE,
    classification_id varchar(16) REFERENCES classification (id) ON DELETE RESTRICT,
    includes_parents boolean NOT NULL DEFAULT false,
    includes_all boolean NOT NULL DEFAULT false,
    includes_unknown boolean NOT NULL DEFAULT false,
    settings_and_source_data jsonb NOT NULL DEFAULT '{}',
    table_object jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE dimension_categorisation (
    dimension_guid uuid NOT NULL REFERENCES dimension (guid) ON DELETE CASCADE,
    classification_id varchar(16) NOT NULL REFERENCES classification (id) ON DELETE RESTRICT,
    includes_parents boolean NOT NULL,
    includes_all boolean NOT NULL,
    includes_unknown boolean NOT NULL,
    PRIMARY KEY (dimension_guid, classification_id)
);
COMMENT ON TABLE dimension_categorisation IS 'The classification of a dimension, derived from its chart or table (whichever has more values); feeds the dashboards.';

CREATE TABLE upload (
    guid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    measure_version_id integer NOT NULL REFERENCES measure_version (id) ON DELETE CASCADE,
    title text NOT NULL,
    file_name text NOT NULL,
    description text,
    size_bytes bigint NOT NULL CONSTRAINT upload_size_not_negative CHECK (size_bytes >= 0),
    scan_status text NOT NULL DEFAULT 'PENDING' CONSTRAINT upload_scan_status_known
        CHECK (scan_status IN ('PENDING', 'CLEAN', 'INFECTED', 'FAILED')),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT upload_measure_version_id_title_key UNIQUE (measure_version_id, title),
    CONSTRAINT upload_measure_version_id_file_name_key UNIQUE (measure_version_id, file_name)
);
COMMENT ON COLUMN upload.scan_status IS 'Only CLEAN uploads may be downloaded, previewed or published.';

CREATE TABLE data_source (
    id serial PRIMARY KEY,
    title varchar(255) NOT NULL,
    type_of_data text[] NOT NULL DEFAULT '{}' CONSTRAINT data_source_type_of_data_known
        CHECK (type_of_data <@ ARRAY['ADMINISTRATIVE', 'SURVEY']::text[]),
    type_of_statistic_id integer REFERENCES type_of_statistic (id) ON DELETE RESTRICT,
    publisher_id varchar(32) REFERENCES organisation (id) ON DELETE RESTRICT,
    source_url text,
    publication_date text,
    note_on_corrections_or_updates text,
    frequency_of_release_id integer REFERENCES frequency_of_release (id) ON DELETE RESTRICT,
    frequency_of_release_other text,
    purpose text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN data_source.publication_date IS 'Free text as written by the publisher, e.g. "March 2019".';

-- position 0 is the primary source, 1 the secondary: the unique key caps a version at two.
CREATE TABLE data_source_in_measure_version (
    data_source_id integer NOT NULL REFERENCES data_source (id) ON DELETE RESTRICT,
    measure_version_id integer NOT NULL REFERENCES measure_version (id) ON DELETE CASCADE,
    position smallint NOT NULL CONSTRAINT data_source_in_measure_version_position_known CHECK (position IN (0, 1)),
    PRIMARY KEY (data_source_id, measure_version_id),
    CONSTRAINT data_source_in_measure_version_position_key UNIQUE (measure_version_id, position)
);

CREATE TABLE user_measure (
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    measure_id integer NOT NULL REFERENCES measure (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, measure_id)
);
COMMENT ON TABLE user_measure IS 'Measures shared with departmental users, who can see and edit only these.';
