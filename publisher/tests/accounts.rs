//! Accounts end to end through the publisher's routes, against a real Postgres and a real
//! SMTP server: invites, passwords, two-factor, lockout, emailed links, CSRF, headers,
//! rate limits and the audit log.

mod common;

use almanac_accounts::two_factor;
use almanac_content::UserType;
use axum::http::StatusCode;
use chrono::Utc;
use common::{PASSWORD, TestApp};

#[tokio::test]
async fn invite_set_password_enrol_two_factor_sign_in_and_out() {
    let app = TestApp::new();
    let admin = app.user("admin@cabinetoffice.gov.uk", UserType::Admin);
    let mut admin_browser = app.client();
    admin_browser
        .sign_in(&app, &admin.email)
        .await
        .assert_redirect("/");

    // The admin invites a developer (two-factor is required for developers).
    let invited = admin_browser
        .post(
            "/admin/users/add",
            &[
                ("email", "Dev.Person@digital.cabinet-office.gov.uk"),
                ("user_type", "DEV_USER"),
            ],
        )
        .await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.body);
    let user_page = admin_browser.get(invited.location()).await;
    user_page.assert_contains("Invitation sent.");
    user_page.assert_contains("Invited");

    let emails = app.emails(1);
    let email = &emails[0];
    assert_eq!(email.to, vec!["Dev.Person@digital.cabinet-office.gov.uk"]);
    assert_eq!(email.subject, "Your invitation to the Almanac publisher");
    assert!(email.html.contains("/register/confirm-account/"));
    let link = TestApp::link_in(email);
    assert!(link.starts_with("/register/confirm-account/"), "{link}");

    // The invitee follows the link; a weak password is refused with advice, and nothing changes.
    let mut browser = app.client();
    browser
        .get(&link)
        .await
        .assert_contains("Create your password");
    let weak = browser
        .post(
            &link,
            &[
                ("password", "password1234"),
                ("confirm_password", "password1234"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    weak.assert_contains("Your password is too easy to guess.");
    assert!(
        !app.user_by_email("dev.person@digital.cabinet-office.gov.uk")
            .unwrap()
            .active
    );
    let mismatched = browser
        .post(
            &link,
            &[
                ("password", PASSWORD),
                ("confirm_password", "something else entirely"),
            ],
        )
        .await;
    mismatched.assert_contains("The passwords you entered do not match");

    let accepted = browser
        .post(
            &link,
            &[("password", PASSWORD), ("confirm_password", PASSWORD)],
        )
        .await;
    accepted.assert_redirect("/account/two-factor/setup");
    // Until two-factor is set up, nothing else opens.
    browser
        .get("/")
        .await
        .assert_redirect("/account/two-factor/setup");
    browser
        .get("/admin")
        .await
        .assert_redirect("/account/two-factor/setup");

    let setup = browser.get("/account/two-factor/setup").await;
    setup.assert_contains("<svg");
    let user = app
        .user_by_email("dev.person@digital.cabinet-office.gov.uk")
        .unwrap();
    assert!(user.active && user.totp_secret.is_some() && user.totp_enabled_at.is_none());
    let wrong = browser
        .post("/account/two-factor/setup", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.assert_contains("The code is not correct");
    let code = two_factor::current_code(app.keys(), &user, Utc::now()).unwrap();
    let enrolled = browser
        .post("/account/two-factor/setup", &[("code", &code)])
        .await;
    assert_eq!(enrolled.status, StatusCode::OK);
    enrolled.assert_contains("Two-factor authentication is on");
    let recovery_codes: Vec<String> = enrolled
        .body
        .match_indices("<li><code>")
        .map(|(at, _)| enrolled.body[at + 10..at + 21].to_owned())
        .collect();
    assert_eq!(recovery_codes.len(), 10);
    assert_eq!(browser.get("/").await.status, StatusCode::OK);

    // Sign out ends the session; signing in again needs the password and a second factor.
    browser
        .post("/auth/logout", &[])
        .await
        .assert_redirect("/auth/login?signed_out=1");
    browser.get("/").await.assert_redirect("/auth/login");
    let password_step = browser
        .post(
            "/auth/login",
            &[
                ("email", "dev.person@digital.cabinet-office.gov.uk"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(
        password_step.location().starts_with("/auth/two-factor"),
        "{}",
        password_step.location()
    );
    browser.get("/").await.assert_redirect("/auth/two-factor");
    // The code used at enrolment cannot be replayed; a recovery code works once.
    let replay = browser.post("/auth/two-factor", &[("code", &code)]).await;
    replay.assert_contains("has already been used");
    browser
        .post(
            "/auth/two-factor",
            &[("code", &recovery_codes[0].to_uppercase())],
        )
        .await
        .assert_redirect("/");
    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    browser
        .get("/account")
        .await
        .assert_contains("9 recovery codes left");

    let actions = app.audit_actions();
    for expected in [
        "invite_sent",
        "invite_accepted",
        "two_factor_enabled",
        "login",
        "logout",
        "login_failed",
        "recovery_code_used",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} not in {actions:?}"
        );
    }
}

#[tokio::test]
async fn three_wrong_passwords_lock_the_account_until_the_emailed_link_is_used() {
    let app = TestApp::new();
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.client();
    for attempt in 1..=3 {
        let page = browser
            .post(
                "/auth/login",
                &[
                    ("email", "editor@ons.gov.uk"),
                    ("password", "wrong password here"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        if attempt < 3 {
            page.assert_contains("Enter a correct email address and password");
        } else {
            page.assert_contains("Too many failed attempts to sign in");
        }
    }
    assert!(app.reload(&editor).locked_at.is_some());
    // Locked: even the right password is refused, with the same words.
    let right = browser
        .post(
            "/auth/login",
            &[("email", "editor@ons.gov.uk"), ("password", PASSWORD)],
        )
        .await;
    right.assert_contains("Too many failed attempts to sign in");

    let emails = app.emails(1);
    assert_eq!(
        emails[0].subject,
        "Your Almanac publisher account has been locked"
    );
    let link = TestApp::link_in(&emails[0]);
    assert!(link.starts_with("/register/reactivate/"), "{link}");
    browser
        .get(&link)
        .await
        .assert_contains("Unlock your account");
    let new_password = "amber lantern quiet 77";
    browser
        .post(
            &link,
            &[
                ("password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await
        .assert_redirect("/");
    let unlocked = app.reload(&editor);
    assert!(unlocked.locked_at.is_none());
    assert_eq!(unlocked.failed_login_count, 0);
    // The old password is gone; the new one works.
    let mut other = app.client();
    other
        .post(
            "/auth/login",
            &[("email", "editor@ons.gov.uk"), ("password", PASSWORD)],
        )
        .await
        .assert_contains("Enter a correct email address and password");
    other
        .post(
            "/auth/login",
            &[("email", "editor@ons.gov.uk"), ("password", new_password)],
        )
        .await
        .assert_redirect("/");
    let actions = app.audit_actions();
    assert!(
        actions.contains(&"account_locked".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"account_reactivated".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn unknown_addresses_are_answered_exactly_like_real_ones() {
    let app = TestApp::new();
    app.user("real@dwp.gov.uk", UserType::CentralEditor);
    let mut browser = app.client();
    let mut answers = Vec::new();
    for email in ["real@dwp.gov.uk", "nobody@dwp.gov.uk"] {
        for _ in 0..4 {
            let page = browser
                .post(
                    "/auth/login",
                    &[("email", email), ("password", "not the password")],
                )
                .await;
            answers.push((page.status, page.body.replace(email, "EMAIL")));
        }
    }
    let (real, unknown) = answers.split_at(4);
    assert_eq!(
        real, unknown,
        "the answers differ between a real and an unknown address"
    );
    assert!(real[3].1.contains("Too many failed attempts to sign in"));
    // The reset form says the same thing for both, and mails only the real one.
    for email in ["real@dwp.gov.uk", "nobody@dwp.gov.uk"] {
        let page = browser.post("/auth/forgot", &[("email", email)]).await;
        page.assert_contains("Check your email");
    }
    let emails = app.emails(2);
    assert!(
        emails
            .iter()
            .all(|email| email.to == vec!["real@dwp.gov.uk"]),
        "{:?}",
        emails.iter().map(|e| &e.to).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn emailed_links_work_once_and_expire() {
    let app = TestApp::new();
    app.user("analyst@moj.gov.uk", UserType::CentralEditor);
    let mut browser = app.client();
    browser
        .post("/auth/forgot", &[("email", "analyst@moj.gov.uk")])
        .await;
    let link = TestApp::link_in(&app.emails(1)[0]);
    assert!(link.starts_with("/auth/reset/"), "{link}");
    let new_password = "copper meadow signal 19";
    browser
        .post(
            &link,
            &[
                ("password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await
        .assert_redirect("/");

    // Used: a clear page, not an error, and nothing changes.
    let mut again = app.client();
    let reused = again.get(&link).await;
    assert_eq!(reused.status, StatusCode::GONE);
    reused.assert_contains("This link has already been used");
    let reused_post = again
        .post(
            &link,
            &[
                ("password", "another good password 5"),
                ("confirm_password", "another good password 5"),
            ],
        )
        .await;
    assert_eq!(reused_post.status, StatusCode::GONE);
    again
        .post(
            "/auth/login",
            &[("email", "analyst@moj.gov.uk"), ("password", new_password)],
        )
        .await
        .assert_redirect("/");

    // Expired.
    again
        .post("/auth/forgot", &[("email", "analyst@moj.gov.uk")])
        .await;
    let second = TestApp::link_in(&app.emails(2)[1]);
    {
        use almanac_content::schema::account_token::dsl::*;
        use diesel::prelude::*;
        diesel::update(account_token.filter(used_at.is_null()))
            .set((
                created_at.eq(Utc::now() - chrono::Duration::hours(50)),
                expires_at.eq(Utc::now() - chrono::Duration::hours(2)),
            ))
            .execute(&mut app.conn())
            .unwrap();
    }
    let expired = again.get(&second).await;
    assert_eq!(expired.status, StatusCode::GONE);
    expired.assert_contains("This link has expired");
    expired.assert_contains("Get a new link");

    // Tampered with, or for another purpose.
    let tampered = format!("{}x", second);
    let page = again.get(&tampered).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    page.assert_contains("This link is not valid");
    let token = second.trim_start_matches("/auth/reset/");
    let page = again
        .get(&format!("/register/confirm-account/{token}"))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::new();
    let admin = app.user("admin@dfe.gov.uk", UserType::Admin);
    let mut browser = app.signed_in(&admin);
    browser.get("/admin/users/add").await;
    let fields = [
        ("email", "new.person@dfe.gov.uk"),
        ("user_type", "RDU_USER"),
    ];
    let missing = browser.post_raw("/admin/users/add", &fields, &[]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    missing.assert_contains("This form has expired");
    let mut wrong = fields.to_vec();
    wrong.push(("csrf_token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    let wrong_token = browser.post_raw("/admin/users/add", &wrong, &[]).await;
    assert_eq!(wrong_token.status, StatusCode::FORBIDDEN);
    // A token from another visitor's cookie is no good either.
    let mut stranger = app.client();
    stranger.get("/auth/login").await;
    let theirs =
        publisher::security::csrf::token_for(app.keys(), &stranger.cookies["almanac_csrf"]);
    let mut borrowed = fields.to_vec();
    borrowed.push(("csrf_token", &theirs));
    assert_eq!(
        browser
            .post_raw("/admin/users/add", &borrowed, &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A cross-site Origin is refused even with the right token.
    let mine = publisher::security::csrf::token_for(app.keys(), &browser.cookies["almanac_csrf"]);
    let mut good = fields.to_vec();
    good.push(("csrf_token", &mine));
    let cross = browser
        .post_raw(
            "/admin/users/add",
            &good,
            &[
                ("origin", "https://evil.example"),
                ("host", "publisher.test"),
            ],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    // Signing out is a state change too.
    assert_eq!(
        browser.post_raw("/auth/logout", &[], &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(app.user_by_email("new.person@dfe.gov.uk").is_none());
    // The header form of the token (for fetch calls) is accepted.
    let via_header = browser
        .post_raw("/admin/users/add", &fields, &[("x-csrf-token", &mine)])
        .await;
    assert_eq!(
        via_header.status,
        StatusCode::SEE_OTHER,
        "{}",
        via_header.body
    );
    assert!(app.user_by_email("new.person@dfe.gov.uk").is_some());
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::with(&[("PUBLIC_URL", "https://publisher.test")]);
    let admin = app.user("admin@dfe.gov.uk", UserType::CentralEditor);
    let mut anonymous = app.client();
    let mut editor = app.signed_in(&admin);
    let pages = [
        anonymous.get("/auth/login").await,
        anonymous.get("/").await,
        anonymous.get("/no/such/page").await,
        anonymous.get("/assets/almanac/css/site.css").await,
        anonymous.post_raw("/auth/login", &[], &[]).await,
        editor.get("/admin/users").await,
        editor.get("/account").await,
    ];
    for page in &pages {
        let csp = page.header("content-security-policy");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self';"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(page.header("x-frame-options"), "DENY");
        assert_eq!(page.header("x-content-type-options"), "nosniff");
        assert_eq!(page.header("referrer-policy"), "same-origin");
        assert!(
            page.header("strict-transport-security")
                .starts_with("max-age=")
        );
    }
    assert_eq!(pages[6].header("cache-control"), "no-store");
    // 403 for a capability says nothing about what exists.
    assert_eq!(pages[5].status, StatusCode::FORBIDDEN);
    assert_eq!(editor.get("/admin/users/999999").await.body, pages[5].body);
    // Over HTTPS the cookies are Secure.
    let cookies: Vec<&str> = pages[0]
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cookies
            .iter()
            .all(|c| c.contains("Secure") && c.contains("HttpOnly") && c.contains("SameSite=Lax")),
        "{cookies:?}"
    );
    // Over plain HTTP there is no HSTS.
    let plain = TestApp::new();
    let page = plain.client().get("/auth/login").await;
    assert_eq!(page.header("strict-transport-security"), "");
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_client_address() {
    let app = TestApp::with(&[("LOGIN_ATTEMPTS_PER_MINUTE", "3")]);
    let mut browser = app.client_from("203.0.113.7:4000");
    for _ in 0..3 {
        let page = browser
            .post(
                "/auth/login",
                &[
                    ("email", "someone@x.gov.uk"),
                    ("password", "whatever it is"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let limited = browser
        .post(
            "/auth/login",
            &[
                ("email", "someone@x.gov.uk"),
                ("password", "whatever it is"),
            ],
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.header("retry-after").parse::<u64>().unwrap() >= 1);
    limited.assert_contains("Too many attempts");
    // Emailed-link pages share the allowance; another address has its own.
    assert_eq!(
        browser.get("/auth/reset/abc.def").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut elsewhere = app.client_from("198.51.100.2:4000");
    assert_eq!(
        elsewhere.get("/auth/reset/abc.def").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn deactivation_and_logout_end_every_session_of_the_user() {
    let app = TestApp::new();
    let admin = app.user("admin@hmrc.gov.uk", UserType::Admin);
    let editor = app.user("editor@hmrc.gov.uk", UserType::CentralEditor);
    let mut laptop = app.client();
    laptop
        .sign_in(&app, &editor.email)
        .await
        .assert_redirect("/");
    let mut phone = app.client();
    phone
        .sign_in(&app, &editor.email)
        .await
        .assert_redirect("/");
    // Logging out on one ends both.
    laptop.post("/auth/logout", &[]).await;
    phone
        .get("/")
        .await
        .assert_redirect("/auth/login?timed_out=1");
    phone.get("/").await.assert_redirect("/auth/login");

    let mut again = app.client();
    again
        .sign_in(&app, &editor.email)
        .await
        .assert_redirect("/");
    let mut admin_browser = app.signed_in(&admin);
    // An admin cannot deactivate themselves.
    let own = admin_browser
        .post(&format!("/admin/users/{}/deactivate", admin.id), &[])
        .await;
    own.assert_contains("You cannot deactivate your own account");
    admin_browser
        .post(&format!("/admin/users/{}/deactivate", editor.id), &[])
        .await
        .assert_redirect(&format!("/admin/users/{}?notice=deactivated", editor.id));
    again
        .get("/")
        .await
        .assert_redirect("/auth/login?timed_out=1");
    // And cannot sign in again.
    again
        .post(
            "/auth/login",
            &[("email", &editor.email), ("password", PASSWORD)],
        )
        .await
        .assert_contains("Enter a correct email address and password");
}

#[tokio::test]
async fn admins_manage_types_shares_and_see_the_audit_log() {
    let app = TestApp::new();
    almanac_seed::seed(
        &mut app.conn(),
        almanac_seed::SeedOptions {
            measures: 12,
            seed: 7,
        },
    )
    .unwrap();
    let admin = app.user("admin@dhsc.gov.uk", UserType::Admin);
    let editor = app.user("editor@dhsc.gov.uk", UserType::CentralEditor);
    let dept = app.user("analyst@nhs.net", UserType::Departmental);
    let mut browser = app.signed_in(&admin);

    browser
        .post(&format!("/admin/users/{}/make-admin", editor.id), &[])
        .await
        .assert_redirect(&format!("/admin/users/{}?notice=type-changed", editor.id));
    let promoted = app.reload(&editor);
    assert_eq!(promoted.user_type(), Some(UserType::Admin));
    assert!(promoted.can(almanac_content::Capability::ManageUsers));
    browser
        .post(
            &format!("/admin/users/{}/make-central-editor", editor.id),
            &[],
        )
        .await;
    assert!(
        !app.reload(&editor)
            .can(almanac_content::Capability::ManageUsers)
    );
    // An admin cannot demote themselves.
    browser
        .post(
            &format!("/admin/users/{}/make-central-editor", admin.id),
            &[],
        )
        .await
        .assert_contains("You cannot change the type of your own account");
    assert_eq!(app.reload(&admin).user_type(), Some(UserType::Admin));

    let measures = almanac_content::measures::all(&mut app.conn()).unwrap();
    let measure = &measures[0];
    let mut dept_browser = app.signed_in(&dept);
    let versions = format!("/cms/{}/versions", measure.path());
    assert_eq!(
        dept_browser.get(&versions).await.status,
        StatusCode::FORBIDDEN
    );
    let id = measure.id.to_string();
    browser
        .post(
            &format!("/admin/users/{}/share", dept.id),
            &[("measure_id", &id)],
        )
        .await
        .assert_redirect(&format!("/admin/users/{}?notice=shared", dept.id));
    assert_eq!(dept_browser.get(&versions).await.status, StatusCode::OK);
    dept_browser
        .get("/cms")
        .await
        .assert_contains(&measure.title.replace('\'', "&#39;"));
    browser
        .post(
            &format!("/admin/users/{}/remove-share/{}", dept.id, measure.id),
            &[],
        )
        .await;
    assert_eq!(
        dept_browser.get(&versions).await.status,
        StatusCode::FORBIDDEN
    );
    // Sharing with someone who is not departmental is refused with a reason.
    browser
        .post(
            &format!("/admin/users/{}/share", editor.id),
            &[("measure_id", &id)],
        )
        .await
        .assert_contains("Only departmental users have measures shared with them");

    let audit = browser.get("/admin/audit").await;
    for action in ["user_type_changed", "measure_shared", "measure_unshared"] {
        audit.assert_contains(action);
    }
    // Deleting removes the account but keeps its history.
    browser
        .post(&format!("/admin/users/{}/delete", dept.id), &[])
        .await
        .assert_redirect("/admin/users");
    assert!(app.user_by_email("analyst@nhs.net").is_none());
    browser
        .get("/admin/audit")
        .await
        .assert_contains("user_deleted");
}

#[tokio::test]
async fn bad_input_to_account_forms_gets_clear_messages_and_changes_nothing() {
    let app = TestApp::new();
    let admin = app.user("admin@dft.gov.uk", UserType::Admin);
    app.user("taken@dft.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&admin);
    let cases: [(&[(&str, &str)], &str); 7] = [
        (
            &[("email", ""), ("user_type", "RDU_USER")],
            "Enter an email address",
        ),
        (
            &[("email", "not an email"), ("user_type", "RDU_USER")],
            "Enter an email address in the correct format",
        ),
        (
            &[("email", "someone@gmail.com"), ("user_type", "RDU_USER")],
            "Accounts can only be created for government or NHS email addresses",
        ),
        (
            &[("email", "TAKEN@dft.gov.uk"), ("user_type", "RDU_USER")],
            "An account for TAKEN@dft.gov.uk already exists",
        ),
        (&[("email", "new@dft.gov.uk")], "Choose the type of account"),
        (
            &[("email", "new@dft.gov.uk"), ("user_type", "ROOT")],
            "Choose the type of account",
        ),
        (
            &[("email", "new@dft.gov.uk"), ("user_type", "ADMIN_USER")],
            "Choose the type of account",
        ),
    ];
    for (fields, message) in cases {
        let page = browser.post("/admin/users/add", fields).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        page.assert_contains(message);
        page.assert_contains("There is a problem");
    }
    assert!(app.user_by_email("new@dft.gov.uk").is_none());
    assert!(app.user_by_email("someone@gmail.com").is_none());

    let mut visitor = app.client();
    let empty = visitor.post("/auth/login", &[]).await;
    empty.assert_contains("Enter your email address");
    empty.assert_contains("Enter your password");
    visitor
        .post("/auth/forgot", &[("email", "nope")])
        .await
        .assert_contains("Enter an email address in the correct format");
    let share = browser
        .post(
            &format!("/admin/users/{}/share", admin.id),
            &[("measure_id", "abc")],
        )
        .await;
    share.assert_contains("Choose a measure to share");
    // A body that is not a form: the publisher's own 400 page, not a bare line of text.
    let token = publisher::security::csrf::token_for(app.keys(), &browser.cookies["almanac_csrf"]);
    let json = browser
        .send(
            axum::http::Request::post("/admin/users/add")
                .header("content-type", "application/json")
                .header("x-csrf-token", token)
                .body(axum::body::Body::from(r#"{"email":"json@dft.gov.uk"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(json.status, StatusCode::BAD_REQUEST);
    json.assert_contains("The form could not be read");
    assert!(app.user_by_email("json@dft.gov.uk").is_none());
    let audit = browser.get("/admin/audit?page=zero").await;
    assert_eq!(audit.status, StatusCode::BAD_REQUEST);
    audit.assert_contains("The page number must be a whole number");
    assert_eq!(app.emails(0).len(), 0);
}

#[tokio::test]
async fn sessions_end_after_the_idle_and_absolute_timeouts() {
    use almanac_content::schema::user_session::dsl::*;
    use diesel::prelude::*;
    let app = TestApp::with(&[("SESSION_IDLE_MINUTES", "30"), ("SESSION_MAX_HOURS", "8")]);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.client();
    browser
        .sign_in(&app, &editor.email)
        .await
        .assert_redirect("/");
    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    let row: (chrono::DateTime<Utc>, chrono::DateTime<Utc>) = user_session
        .select((created_at, expires_at))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(row.1 - row.0, chrono::Duration::hours(8));

    // Unused for 31 minutes: ended, and the browser is told why.
    diesel::update(user_session)
        .set(last_seen_at.eq(Utc::now() - chrono::Duration::minutes(31)))
        .execute(&mut app.conn())
        .unwrap();
    browser
        .get("/account")
        .await
        .assert_redirect("/auth/login?timed_out=1&next=%2Faccount");
    let left: i64 = user_session.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(left, 0, "the ended session is deleted");
    browser
        .get("/auth/login?timed_out=1")
        .await
        .assert_contains("Your session has ended");

    // Busy but past the absolute limit: ended too.
    browser
        .sign_in(&app, &editor.email)
        .await
        .assert_redirect("/");
    diesel::update(user_session)
        .set(expires_at.eq(Utc::now() - chrono::Duration::seconds(1)))
        .execute(&mut app.conn())
        .unwrap();
    browser
        .get("/account")
        .await
        .assert_redirect("/auth/login?timed_out=1&next=%2Faccount");
}

#[tokio::test]
async fn signing_in_replaces_the_session_id() {
    let app = TestApp::new();
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.client();
    browser
        .sign_in(&app, &editor.email)
        .await
        .assert_redirect("/");
    let first = browser.cookies["almanac_session"].clone();
    let csrf_before = browser.cookies["almanac_csrf"].clone();
    browser
        .sign_in(&app, &editor.email)
        .await
        .assert_redirect("/");
    assert_ne!(browser.cookies["almanac_session"], first);
    assert_ne!(
        browser.cookies["almanac_csrf"], csrf_before,
        "the CSRF cookie rotates too"
    );
    // The old id no longer works.
    let mut stale = app.client();
    stale.cookies.insert("almanac_session".to_owned(), first);
    stale
        .get("/account")
        .await
        .assert_redirect("/auth/login?timed_out=1&next=%2Faccount");
    // Only the session id's hash is stored.
    use diesel::prelude::*;
    let ids: Vec<String> = almanac_content::schema::user_session::table
        .select(almanac_content::schema::user_session::id)
        .load(&mut app.conn())
        .unwrap();
    assert!(!ids.contains(&browser.cookies["almanac_session"]));
    assert_eq!(ids[0].len(), 64);
}
