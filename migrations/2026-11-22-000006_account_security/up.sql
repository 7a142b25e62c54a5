-- What accounts need beyond the model's: single-use expiring tokens, lockout kept apart from
-- deactivation, TOTP second factor with recovery codes, and sessions that remember whether
-- the second factor was given.

CREATE TABLE account_token (
    id bigserial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose text NOT NULL CONSTRAINT account_token_purpose_known
        CHECK (purpose IN ('INVITE', 'PASSWORD_RESET', 'REACTIVATE')),
    token_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    CONSTRAINT account_token_expires_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX account_token_user_id_idx ON account_token (user_id, purpose);
COMMENT ON TABLE account_token IS 'Links sent by email. Single use: used_at is set in the transaction that acts on the token; issuing a new token of a purpose retires the older ones.';
COMMENT ON COLUMN account_token.token_hash IS 'SHA-256 (hex) of the random part of the token: a leaked table gives no working links.';

CREATE TABLE recovery_code (
    id bigserial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at timestamptz,
    UNIQUE (user_id, code_hash)
);
COMMENT ON TABLE recovery_code IS 'One-time codes that stand in for the authenticator app; SHA-256 (hex) of the normalised code.';

ALTER TABLE users
    ADD COLUMN locked_at timestamptz,
    ADD COLUMN totp_secret bytea,
    ADD COLUMN totp_enabled_at timestamptz,
    ADD COLUMN totp_last_step bigint,
    ADD CONSTRAINT users_totp_enabled_has_secret CHECK (totp_enabled_at IS NULL OR totp_secret IS NOT NULL);
COMMENT ON COLUMN users.locked_at IS 'Set after three failed logins in a row; cleared by the reactivation link. Separate from active, which admins control.';
COMMENT ON COLUMN users.totp_secret IS 'The TOTP secret, encrypted (XChaCha20-Poly1305, key derived from SECRET_KEY). Present but not enabled while enrolment is under way.';
COMMENT ON COLUMN users.totp_last_step IS 'The last accepted 30-second time step, so that a code cannot be replayed.';

ALTER TABLE user_session
    ADD COLUMN second_factor_at timestamptz;
COMMENT ON COLUMN user_session.second_factor_at IS 'When the second factor was given; NULL while the session has only the password (or the account has no second factor).';
