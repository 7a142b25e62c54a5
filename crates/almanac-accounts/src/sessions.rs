//! Server-side sessions. The browser holds a random value; the table holds its SHA-256, the
//! user, and when the session started, was last used and must end.

use chrono::{DateTime, Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use almanac_content::models::User;
use almanac_content::schema::{user_session, users};

use crate::keys::{random_token, sha256_hex};

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused for this long ends.
    pub idle: Duration,
    /// No session lasts longer than this, however busy.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(60),
            absolute: Duration::hours(12),
        }
    }
}

/// Recording `last_seen_at` on every request would write on every page view; a minute's
/// precision is plenty for an idle timeout measured in tens of minutes.
const TOUCH_INTERVAL: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_session)]
pub struct Session {
    pub id: String,
    pub user_id: i32,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub second_factor_at: Option<DateTime<Utc>>,
}

/// Where a request comes from, kept with the session.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Starts a session and returns the value for the cookie. A new value every time: signing
/// in never reuses a session id a visitor had before (no session fixation).
pub fn start(
    conn: &mut PgConnection,
    user_id: i32,
    second_factor_done: bool,
    client: &Client,
    policy: &SessionPolicy,
    now: DateTime<Utc>,
) -> QueryResult<String> {
    let cookie_value = random_token(32);
    let user_agent = client
        .user_agent
        .as_deref()
        .map(|agent| agent.chars().take(300).collect::<String>());
    diesel::insert_into(user_session::table)
        .values((
            user_session::id.eq(sha256_hex(cookie_value.as_bytes())),
            user_session::user_id.eq(user_id),
            user_session::created_at.eq(now),
            user_session::last_seen_at.eq(now),
            user_session::expires_at.eq(now + policy.absolute),
            user_session::ip.eq(client.ip.as_deref()),
            user_session::user_agent.eq(user_agent),
            user_session::second_factor_at.eq(second_factor_done.then_some(now)),
        ))
        .execute(conn)?;
    Ok(cookie_value)
}

/// Ends the session a browser had (if any) and starts a new one: at sign-in, and whenever a
/// session gains rights (the second factor), so a session id is never promoted in place.
#[allow(clippy::too_many_arguments)]
pub fn replace(
    conn: &mut PgConnection,
    old_cookie_value: Option<&str>,
    user_id: i32,
    second_factor_done: bool,
    client: &Client,
    policy: &SessionPolicy,
    now: DateTime<Utc>,
) -> QueryResult<String> {
    if let Some(old) = old_cookie_value {
        end(conn, old)?;
    }
    start(conn, user_id, second_factor_done, client, policy, now)
}

/// The live session for a cookie value and its user. Ends (and forgets) a session that has
/// expired or whose account can no longer sign in.
pub fn find(
    conn: &mut PgConnection,
    cookie_value: &str,
    policy: &SessionPolicy,
    now: DateTime<Utc>,
) -> QueryResult<Option<(Session, User)>> {
    let id = sha256_hex(cookie_value.as_bytes());
    let found: Option<(Session, User)> = user_session::table
        .inner_join(users::table)
        .filter(user_session::id.eq(&id))
        .select((Session::as_select(), User::as_select()))
        .first(conn)
        .optional()?;
    let Some((session, user)) = found else {
        return Ok(None);
    };
    let idle_expiry = session.last_seen_at + policy.idle;
    let can_sign_in = user.active && user.locked_at.is_none();
    if now >= session.expires_at || now >= idle_expiry || !can_sign_in {
        diesel::delete(user_session::table.find(&id)).execute(conn)?;
        return Ok(None);
    }
    if now - session.last_seen_at >= TOUCH_INTERVAL {
        diesel::update(user_session::table.find(&id))
            .set(user_session::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some((session, user)))
}

pub fn end(conn: &mut PgConnection, cookie_value: &str) -> QueryResult<()> {
    diesel::delete(user_session::table.find(sha256_hex(cookie_value.as_bytes()))).execute(conn)?;
    Ok(())
}

/// Ends every session of a user: at logout, deactivation, lockout and password change.
pub fn end_all(conn: &mut PgConnection, user_id: i32) -> QueryResult<usize> {
    diesel::delete(user_session::table.filter(user_session::user_id.eq(user_id))).execute(conn)
}

/// How many live sessions a user has (shown to admins).
pub fn count_for(conn: &mut PgConnection, user_id: i32, now: DateTime<Utc>) -> QueryResult<i64> {
    user_session::table
        .filter(user_session::user_id.eq(user_id))
        .filter(user_session::expires_at.gt(now))
        .count()
        .get_result(conn)
}
