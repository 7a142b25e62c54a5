//! The accounts library against a real Postgres: what must hold even when requests race or
//! the clock moves.

use std::sync::{Arc, Barrier};

use almanac_accounts::audit::Origin;
use almanac_accounts::login::{self, LoginOutcome};
use almanac_accounts::tokens::{self, TokenError, TokenFailure, TokenPurpose};
use almanac_accounts::two_factor::{self, SecondFactor, TwoFactorError};
use almanac_accounts::users::{self, AccountError, NewAccount, create_account};
use almanac_accounts::{AccountPolicy, SecretKey};
use almanac_content::UserType;
use almanac_test_support::TestDatabase;
use chrono::{Duration, Utc};

const PASSWORD: &str = "violet kettle orbit 42";

fn keys() -> SecretKey {
    SecretKey::new(b"library-test-secret-key-0123456789abcdef").unwrap()
}

#[test]
fn a_token_redeemed_by_two_requests_at_once_works_only_once() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    let user = create_account(
        &mut conn,
        &NewAccount {
            email: "jo@x.gov.uk",
            user_type: UserType::CentralEditor,
            password: Some(PASSWORD),
        },
    )
    .unwrap();
    let token = tokens::issue(
        &mut conn,
        &keys(),
        user.id,
        TokenPurpose::PasswordReset,
        Utc::now(),
    )
    .unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let outcomes: Vec<Result<(), AccountError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|n| {
                let (barrier, token, url) =
                    (barrier.clone(), token.clone(), database.url().to_owned());
                scope.spawn(move || {
                    let mut conn = almanac_content::db::connect(&url).unwrap();
                    let password = format!("amber lantern quiet {n}7");
                    barrier.wait();
                    users::set_password_from_link(
                        &mut conn,
                        &keys(),
                        &Origin::default(),
                        &token,
                        TokenPurpose::PasswordReset,
                        &password,
                        &password,
                        Utc::now(),
                    )
                    .map(drop)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let succeeded = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(succeeded, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .any(|outcome| matches!(outcome, Err(AccountError::Token(TokenError::Used))))
    );
}

#[test]
fn tokens_expire_after_48_hours_and_a_new_one_retires_the_old() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    let user = create_account(
        &mut conn,
        &NewAccount {
            email: "jo@x.gov.uk",
            user_type: UserType::CentralEditor,
            password: None,
        },
    )
    .unwrap();
    let issued_at = Utc::now() - Duration::hours(47);
    let first =
        tokens::issue(&mut conn, &keys(), user.id, TokenPurpose::Invite, issued_at).unwrap();
    assert!(tokens::check(&mut conn, &keys(), &first, TokenPurpose::Invite, Utc::now()).is_ok());
    let later = Utc::now() + Duration::hours(1) + Duration::seconds(1);
    assert!(matches!(
        tokens::check(&mut conn, &keys(), &first, TokenPurpose::Invite, later),
        Err(TokenFailure::Refused(TokenError::Expired))
    ));
    let second = tokens::issue(
        &mut conn,
        &keys(),
        user.id,
        TokenPurpose::Invite,
        Utc::now(),
    )
    .unwrap();
    assert!(matches!(
        tokens::check(&mut conn, &keys(), &first, TokenPurpose::Invite, Utc::now()),
        Err(TokenFailure::Refused(TokenError::Used))
    ));
    assert!(
        tokens::check(
            &mut conn,
            &keys(),
            &second,
            TokenPurpose::Invite,
            Utc::now()
        )
        .is_ok()
    );
    // Another deployment's key, or another purpose, does not accept it.
    let other_keys = SecretKey::new(b"another-deployment-key-0123456789abcdef").unwrap();
    assert!(matches!(
        tokens::check(
            &mut conn,
            &other_keys,
            &second,
            TokenPurpose::Invite,
            Utc::now()
        ),
        Err(TokenFailure::Refused(TokenError::Invalid))
    ));
    assert!(matches!(
        tokens::check(
            &mut conn,
            &keys(),
            &second,
            TokenPurpose::Reactivate,
            Utc::now()
        ),
        Err(TokenFailure::Refused(TokenError::Invalid))
    ));
}

#[test]
fn totp_codes_work_once_and_recovery_codes_once_each() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    let user = create_account(
        &mut conn,
        &NewAccount {
            email: "dev@x.gov.uk",
            user_type: UserType::Developer,
            password: Some(PASSWORD),
        },
    )
    .unwrap();
    let keys = keys();
    let enrolment = two_factor::begin_enrolment(&mut conn, &keys, &user).unwrap();
    assert!(
        enrolment
            .otpauth_url
            .starts_with("otpauth://totp/Almanac:dev%40x.gov.uk?"),
        "{}",
        enrolment.otpauth_url
    );
    assert!(enrolment.qr_svg.starts_with("<svg"));
    // Reloading the set-up page shows the same secret.
    let user = users::get(&mut conn, user.id).unwrap();
    assert_eq!(
        two_factor::begin_enrolment(&mut conn, &keys, &user)
            .unwrap()
            .secret,
        enrolment.secret
    );
    // The stored secret is encrypted, not the base32 the app is shown.
    assert!(
        !String::from_utf8_lossy(user.totp_secret.as_ref().unwrap()).contains(&enrolment.secret)
    );

    let t0 = Utc::now() - Duration::minutes(10);
    let code = two_factor::current_code(&keys, &user, t0).unwrap();
    assert!(matches!(
        two_factor::confirm_enrolment(&mut conn, &keys, &user, "123", t0),
        Err(TwoFactorError::WrongCode)
    ));
    let recovery = two_factor::confirm_enrolment(&mut conn, &keys, &user, &code, t0).unwrap();
    assert_eq!(recovery.len(), 10);
    let user = users::get(&mut conn, user.id).unwrap();

    // The enrolment code cannot be used again, nor can one from before it.
    assert!(matches!(
        two_factor::verify(&mut conn, &keys, &user, &code, t0),
        Err(TwoFactorError::WrongCode)
    ));
    let t1 = t0 + Duration::seconds(60);
    let next = two_factor::current_code(&keys, &user, t1).unwrap();
    assert_eq!(
        two_factor::verify(&mut conn, &keys, &user, &next, t1).unwrap(),
        SecondFactor::Code
    );
    let user = users::get(&mut conn, user.id).unwrap();
    assert!(matches!(
        two_factor::verify(&mut conn, &keys, &user, &next, t1),
        Err(TwoFactorError::WrongCode)
    ));
    // A code from an hour ago is refused outright.
    let stale = two_factor::current_code(&keys, &user, t0 - Duration::hours(1)).unwrap();
    assert!(
        two_factor::verify(&mut conn, &keys, &user, &stale, t1 + Duration::seconds(60)).is_err()
    );

    let spaced = recovery[0].replace('-', " ").to_uppercase();
    assert_eq!(
        two_factor::verify(&mut conn, &keys, &user, &spaced, t1).unwrap(),
        SecondFactor::RecoveryCode { remaining: 9 }
    );
    assert!(matches!(
        two_factor::verify(&mut conn, &keys, &user, &recovery[0], t1),
        Err(TwoFactorError::WrongCode)
    ));
    // New codes replace the old ones.
    let fresh = two_factor::regenerate_recovery_codes(&mut conn, &user).unwrap();
    assert!(two_factor::verify(&mut conn, &keys, &user, &recovery[1], t1).is_err());
    assert!(two_factor::verify(&mut conn, &keys, &user, &fresh[0], t1).is_ok());
}

#[test]
fn lockout_counts_failures_in_a_row_and_a_success_resets_the_count() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    let policy = AccountPolicy::default();
    create_account(
        &mut conn,
        &NewAccount {
            email: "jo@x.gov.uk",
            user_type: UserType::CentralEditor,
            password: Some(PASSWORD),
        },
    )
    .unwrap();
    let attempt = |conn: &mut diesel::PgConnection, password: &str| {
        login::check_password(
            conn,
            &keys(),
            &policy,
            &Origin::default(),
            "JO@x.gov.uk",
            password,
            Utc::now(),
        )
        .unwrap()
    };
    for _ in 0..2 {
        assert!(matches!(
            attempt(&mut conn, "wrong"),
            LoginOutcome::WrongCredentials
        ));
    }
    assert!(matches!(
        attempt(&mut conn, PASSWORD),
        LoginOutcome::Accepted { .. }
    ));
    for _ in 0..2 {
        assert!(matches!(
            attempt(&mut conn, "wrong"),
            LoginOutcome::WrongCredentials
        ));
    }
    match attempt(&mut conn, "wrong") {
        LoginOutcome::Locked {
            reactivation: Some(reactivation),
        } => {
            assert!(reactivation.user.locked_at.is_some());
        }
        other => panic!("expected a fresh lock, got {other:?}"),
    }
    // Locked: no second reactivation email for later attempts.
    assert!(matches!(
        attempt(&mut conn, PASSWORD),
        LoginOutcome::Locked { reactivation: None }
    ));
}
