DROP TABLE audit_event;
DROP FUNCTION audit_event_refuse_change();
DROP TABLE user_session;
DROP TABLE invalid_user_login_attempt;
DROP TABLE users;
