-- Publisher accounts, their server-side sessions, failed logins for unknown emails,
-- and the append-only audit log.

CREATE TABLE users (
    id serial PRIMARY KEY,
    email text NOT NULL,
    password_hash text,
    active boolean NOT NULL DEFAULT false,
    confirmed_at timestamptz,
    user_type text NOT NULL CONSTRAINT users_user_type_known
        CHECK (user_type IN ('DEPT_USER', 'RDU_USER', 'ADMIN_USER', 'DEV_USER')),
    capabilities text[] NOT NULL DEFAULT '{}',
    last_login_at timestamptz,
    current_login_at timestamptz,
    last_login_ip text,
    current_login_ip text,
    login_count integer NOT NULL DEFAULT 0,
    failed_login_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Emails are compared case-insensitively: "Jo@x.gov.uk" and "jo@x.gov.uk" are one account.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
COMMENT ON COLUMN users.capabilities IS 'Copied from the user type when the account is created or its type changes, so that a data migration can grant a new capability to existing users.';

CREATE TABLE invalid_user_login_attempt (
    id bigserial PRIMARY KEY,
    email text NOT NULL,
    ip text,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invalid_user_login_attempt_email_idx ON invalid_user_login_attempt (lower(email), attempted_at);
COMMENT ON TABLE invalid_user_login_attempt IS 'Failed logins for emails with no account, so they are throttled like real ones. No password is kept.';

CREATE TABLE user_session (
    id text PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ip text,
    user_agent text
);
CREATE INDEX user_session_user_id_idx ON user_session (user_id);
COMMENT ON COLUMN user_session.id IS 'SHA-256 of the session cookie value: a leaked table does not give live sessions.';

CREATE TABLE audit_event (
    id bigserial PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_user_id integer,
    actor_email text,
    action text NOT NULL,
    subject_type text,
    subject_id text,
    details jsonb NOT NULL DEFAULT '{}',
    ip text
);
CREATE INDEX audit_event_occurred_at_idx ON audit_event (occurred_at);
CREATE INDEX audit_event_subject_idx ON audit_event (subject_type, subject_id);
COMMENT ON TABLE audit_event IS 'Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE. actor_user_id has no foreign key so that deleting a user keeps their history.';

CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER audit_event_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
