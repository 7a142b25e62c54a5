ALTER TABLE user_session DROP COLUMN second_factor_at;
ALTER TABLE users
    DROP CONSTRAINT users_totp_enabled_has_secret,
    DROP COLUMN totp_last_step,
    DROP COLUMN totp_enabled_at,
    DROP COLUMN totp_secret,
    DROP COLUMN locked_at;
DROP TABLE recovery_code;
DROP TABLE account_token;
