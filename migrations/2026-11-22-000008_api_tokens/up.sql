-- Tokens for the JSON API (`Authorization: Bearer …`), made by a user on their account page
-- and acting with that user's capabilities and shares.
CREATE TABLE api_token (
    id serial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL CONSTRAINT api_token_name_not_blank CHECK (btrim(name) <> ''),
    token_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_token_user_id_idx ON api_token (user_id);
COMMENT ON COLUMN api_token.token_hash IS 'SHA-256 (hex) of the token, which is shown once when made.';
