-- Dashboard materialized views. Each has the unique index that
-- REFRESH MATERIALIZED VIEW CONCURRENTLY requires; refresh them in the order created,
-- since the last three read the first.

CREATE MATERIALIZED VIEW latest_published_measure_versions AS
SELECT DISTINCT ON (mv.measure_id) mv.*
FROM measure_version mv
WHERE mv.status = 'APPROVED'
ORDER BY mv.measure_id, mv.version_major DESC, mv.version_minor DESC;
CREATE UNIQUE INDEX latest_published_measure_versions_id_idx ON latest_published_measure_versions (id);

CREATE MATERIALIZED VIEW latest_published_measure_versions_by_geography AS
SELECT
    t.id AS topic_id, t.title AS topic_title, t.slug AS topic_slug,
    s.id AS subtopic_id, s.title AS subtopic_title, s.slug AS subtopic_slug, s.position AS subtopic_position,
    m.id AS measure_id, m.slug AS measure_slug, m.position AS measure_position,
    lp.id AS measure_version_id, lp.title AS measure_version_title,
    g.name AS geography_name, g.position AS geography_position
FROM latest_published_measure_versions lp
JOIN measure m ON m.id = lp.measure_id
JOIN subtopic s ON s.id = m.subtopic_id
JOIN topic t ON t.id = s.topic_id
JOIN lowest_level_of_geography g ON g.name = lp.lowest_level_of_geography_id;
CREATE UNIQUE INDEX latest_published_measure_versions_by_geography_id_idx
    ON latest_published_measure_versions_by_geography (measure_version_id);

CREATE MATERIALIZED VIEW ethnic_groups_by_dimension AS
SELECT DISTINCT ON (d.guid, e.value)
    t.id AS topic_id, t.title AS topic_title, t.slug AS topic_slug,
    s.id AS subtopic_id, s.title AS subtopic_title, s.slug AS subtopic_slug, s.position AS subtopic_position,
    m.id AS measure_id, m.slug AS measure_slug, m.position AS measure_position,
    lp.id AS measure_version_id, lp.title AS measure_version_title,
    d.guid AS dimension_guid, d.title AS dimension_title, d.position AS dimension_position,
    c.id AS classification_id, c.title AS classification_title,
    e.value AS ethnicity_value, e.position AS ethnicity_position
FROM latest_published_measure_versions lp
JOIN measure m ON m.id = lp.measure_id
JOIN subtopic s ON s.id = m.subtopic_id
JOIN topic t ON t.id = s.topic_id
JOIN dimension d ON d.measure_version_id = lp.id
JOIN dimension_categorisation dc ON dc.dimension_guid = d.guid
JOIN classification c ON c.id = dc.classification_id
JOIN (
    SELECT classification_id, ethnicity_id, false AS is_parent FROM ethnicity_in_classification
    UNION ALL
    SELECT classification_id, ethnicity_id, true AS is_parent FROM parent_ethnicity_in_classification
) member ON member.classification_id = c.id AND (NOT member.is_parent OR dc.includes_parents)
JOIN ethnicity e ON e.id = member.ethnicity_id
ORDER BY d.guid, e.value, member.is_parent;
CREATE UNIQUE INDEX ethnic_groups_by_dimension_key
    ON ethnic_groups_by_dimension (dimension_guid, ethnicity_value);

CREATE MATERIALIZED VIEW classifications_by_dimension AS
SELECT
    t.id AS topic_id, t.title AS topic_title, t.slug AS topic_slug,
    s.id AS subtopic_id, s.title AS subtopic_title, s.slug AS subtopic_slug, s.position AS subtopic_position,
    m.id AS measure_id, m.slug AS measure_slug, m.position AS measure_position,
    lp.id AS measure_version_id, lp.title AS measure_version_title,
    d.guid AS dimension_guid, d.title AS dimension_title, d.position AS dimension_position,
    c.id AS classification_id, c.title AS classification_title, c.position AS classification_position,
    dc.includes_parents, dc.includes_all, dc.includes_unknown
FROM latest_published_measure_versions lp
JOIN measure m ON m.id = lp.measure_id
JOIN subtopic s ON s.id = m.subtopic_id
JOIN topic t ON t.id = s.topic_id
JOIN dimension d ON d.measure_version_id = lp.id
JOIN dimension_categorisation dc ON dc.dimension_guid = d.guid
JOIN classification c ON c.id = dc.classification_id;
CREATE UNIQUE INDEX classifications_by_dimension_key
    ON classifications_by_dimension (dimension_guid, classification_id);
