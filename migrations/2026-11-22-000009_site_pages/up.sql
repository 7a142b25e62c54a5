-- The public site's own pages (about, methodology guides, cookies, privacy, accessibility
-- statement, style guide) and the homepage's introduction, written in the publisher as
-- markdown. A page keeps a draft and, once published, the published copy: editors change
-- the draft freely and the site shows the published copy until someone publishes again.

CREATE TABLE site_page (
    id serial PRIMARY KEY,
    -- The address under the site root without slashes at either end; '' is the homepage.
    path varchar(200) NOT NULL CONSTRAINT site_page_path_key UNIQUE
        CONSTRAINT site_page_path_format
        CHECK (path = '' OR path ~ '^[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)*$'),
    title text NOT NULL,
    summary text,
    body text NOT NULL DEFAULT '',
    published_title text,
    published_summary text,
    published_body text,
    published_at timestamptz,
    published_by text,
    lock_version integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text,
    CONSTRAINT site_page_published_copy_complete CHECK (
        (published_at IS NULL) = (published_title IS NULL)
        AND (published_at IS NULL) = (published_body IS NULL)
    )
);
COMMENT ON COLUMN site_page.summary IS 'One or two sentences: the meta description, and the line under the link in the site''s page list.';
COMMENT ON COLUMN site_page.lock_version IS 'Optimistic lock: incremented on every save; a save carrying an older value is a conflict.';
COMMENT ON COLUMN site_page.published_at IS 'NULL while the page has never been published, or after it was unpublished.';

-- Writing site pages is new: give it to every account whose type has it (everyone but
-- departmental users), as the capabilities column's comment promises.
UPDATE users
SET capabilities = array_append(capabilities, 'EDIT_SITE_PAGES')
WHERE user_type <> 'DEPARTMENTAL' AND NOT ('EDIT_SITE_PAGES' = ANY (capabilities));

-- The homepage's introduction always exists, so editors can always edit it.
INSERT INTO site_page (path, title, body) VALUES ('', 'Homepage', '');
