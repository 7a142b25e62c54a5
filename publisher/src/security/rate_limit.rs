//! Per-client rate limits on sign-in and emailed-link endpoints, on top of the per-account
//! lockout: they slow password guessing across many accounts from one address.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::AppState;
use crate::error::AppError;
use crate::security::client_ip;

/// Forget idle clients once this many are tracked, so the table cannot grow without bound.
const MAX_TRACKED_CLIENTS: usize = 10_000;

#[derive(Clone)]
pub struct RateLimits {
    sign_in: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl RateLimits {
    pub fn new(per_minute: u32) -> RateLimits {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        RateLimits {
            sign_in: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
        }
    }
}

/// Refuses a client over its allowance with 429 and `Retry-After`.
pub async fn sign_in(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    // Without a known address (no proxy header, no socket) everyone shares one allowance:
    // stricter, never looser.
    let client = client_ip(&parts, state.config.trusted_proxy_hops)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let limiter = &state.rate_limits.sign_in;
    if limiter.len() > MAX_TRACKED_CLIENTS {
        limiter.retain_recent();
    }
    if let Err(not_until) = limiter.check_key(&client) {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        return AppError::TooManyRequests {
            retry_after_seconds: wait.as_secs().max(1),
        }
        .into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}
