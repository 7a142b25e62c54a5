//! Publishing at a set time, from the version page: a publisher enters a date and a time in
//! UK local time, which is stored in UTC; the site builder's scheduler publishes the version
//! then (`almanac_editorial::scheduled_publishing`). Both steps, and their audit events, are
//! the library's; this module reads the form and explains what is wrong with it.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime};
use chrono::{TimeZone, Utc};
use chrono_tz::Europe::London;
use serde::Deserialize;

use almanac_content::Capability;
use almanac_editorial::scheduled_publishing::{self, ScheduleError};
use almanac_editorial::workflow::WorkflowError;

use super::versions::{self, VersionPath};
use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Form, FormErrors};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/cms/{topic}/{subtopic}/{measure}/{version}/schedule",
            post(schedule),
        )
        .route(
            "/cms/{topic}/{subtopic}/{measure}/{version}/schedule/cancel",
            post(cancel),
        )
}

/// The ids of the form's inputs: the error summary links to them.
pub const DAY: &str = "publish-date-day";
pub const MONTH: &str = "publish-date-month";
pub const YEAR: &str = "publish-date-year";
pub const HOUR: &str = "publish-time-hour";
pub const MINUTE: &str = "publish-time-minute";
/// The form as a whole, for problems that are not about one field (the page's status).
pub const SCHEDULE: &str = "schedule";

/// The publishing time as entered: UK local time, each part as typed so that it can be shown
/// again with its error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ScheduleForm {
    pub day: String,
    pub month: String,
    pub year: String,
    pub hour: String,
    pub minute: String,
}

/// The schedule form as the version page shows it: what was entered, and the error of the
/// date and of the time groups with the inputs each concerns (GOV.UK date input pattern).
#[derive(Debug, Clone, Default)]
pub struct ScheduleFormView {
    pub entered: ScheduleForm,
    pub date_error: String,
    pub time_error: String,
    /// A problem with the form as a whole, such as the page's status.
    pub form_error: String,
    inputs_in_error: Vec<&'static str>,
}

impl ScheduleFormView {
    pub fn input_in_error(&self, id: &str) -> bool {
        self.inputs_in_error.contains(&id)
    }

    fn date_problem(&mut self, message: impl Into<String>, inputs: &[&'static str]) {
        self.date_error = message.into();
        self.inputs_in_error.extend_from_slice(inputs);
    }

    fn time_problem(&mut self, message: impl Into<String>, inputs: &[&'static str]) {
        self.time_error = message.into();
        self.inputs_in_error.extend_from_slice(inputs);
    }

    fn has_problems(&self) -> bool {
        !self.date_error.is_empty() || !self.time_error.is_empty() || !self.form_error.is_empty()
    }

    /// The error summary's entries: each links to the first input of its group in error.
    pub fn form_errors(&self) -> FormErrors {
        let mut errors = FormErrors::default();
        if !self.form_error.is_empty() {
            errors.add(SCHEDULE, self.form_error.clone());
        }
        for (message, inputs) in [
            (&self.date_error, [DAY, MONTH, YEAR].as_slice()),
            (&self.time_error, [HOUR, MINUTE].as_slice()),
        ] {
            if message.is_empty() {
                continue;
            }
            let first = inputs
                .iter()
                .copied()
                .find(|id| self.input_in_error(id))
                .unwrap_or(inputs[0]);
            errors.add(first, message.clone());
        }
        errors
    }
}

/// A form part: `None` when left empty, `Some(None)` when it is not a number of at most
/// `digits` digits.
fn number(text: &str, digits: usize) -> Option<Option<u32>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.len() > digits || !text.chars().all(|c| c.is_ascii_digit()) {
        return Some(None);
    }
    Some(text.parse().ok())
}

/// "a day", "a day and month", "a day, month and year" for the parts left empty.
fn missing_parts(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("a {one}"),
        [first @ .., last] => format!("a {} and {last}", first.join(", ")),
    }
}

fn read_date(form: &ScheduleForm, view: &mut ScheduleFormView) -> Option<NaiveDate> {
    let parts = [
        ("day", DAY, number(&form.day, 2)),
        ("month", MONTH, number(&form.month, 2)),
        ("year", YEAR, number(&form.year, 4)),
    ];
    let missing: Vec<_> = parts
        .iter()
        .filter(|(_, _, value)| value.is_none())
        .collect();
    if missing.len() == parts.len() {
        view.date_problem("Enter the date to publish the page", &[DAY, MONTH, YEAR]);
        return None;
    }
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|(name, _, _)| *name).collect();
        let inputs: Vec<&'static str> = missing.iter().map(|(_, id, _)| *id).collect();
        view.date_problem(
            format!("Date must include {}", missing_parts(&names)),
            &inputs,
        );
        return None;
    }
    if form.year.trim().len() != 4 {
        view.date_problem("Year must include 4 numbers", &[YEAR]);
        return None;
    }
    let [Some(Some(day)), Some(Some(month)), Some(Some(year))] = parts.map(|(_, _, value)| value)
    else {
        view.date_problem("Date must be a real date", &[DAY, MONTH, YEAR]);
        return None;
    };
    let date = i32::try_from(year)
        .ok()
        .and_then(|year| NaiveDate::from_ymd_opt(year, month, day));
    if date.is_none() {
        view.date_problem("Date must be a real date", &[DAY, MONTH, YEAR]);
    }
    date
}

fn read_time(form: &ScheduleForm, view: &mut ScheduleFormView) -> Option<NaiveTime> {
    let (hour, minute) = (number(&form.hour, 2), number(&form.minute, 2));
    match (hour, minute) {
        (None, None) => {
            view.time_problem("Enter the time to publish the page", &[HOUR, MINUTE]);
            None
        }
        (None, Some(_)) => {
            view.time_problem("Time must include an hour", &[HOUR]);
            None
        }
        (Some(_), None) => {
            view.time_problem("Time must include a minute", &[MINUTE]);
            None
        }
        (Some(hour), Some(minute)) => {
            let time = hour
                .zip(minute)
                .and_then(|(hour, minute)| NaiveTime::from_hms_opt(hour, minute, 0));
            if time.is_none() {
                view.time_problem(
                    "Time must be a real time on the 24-hour clock, for example 09:30 or 17:45",
                    &[HOUR, MINUTE],
                );
            }
            time
        }
    }
}

/// A UK local time as UTC. At the autumn clock change the hour from 01:00 repeats: the
/// earlier one (still summer time) is meant, so that a page is never published later than
/// its editor expects. In spring the hour from 01:00 does not exist, which the editor is
/// told rather than have it moved silently.
pub fn uk_local_to_utc(local: NaiveDateTime) -> Result<DateTime<Utc>, String> {
    match London.from_local_datetime(&local) {
        LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Ok(earlier.with_timezone(&Utc)),
        LocalResult::None => {
            let exists = |at: NaiveDateTime| London.from_local_datetime(&at).earliest().is_some();
            let step = Duration::minutes(1);
            let mut gap_start = local;
            while !exists(gap_start - step) {
                gap_start -= step;
            }
            let mut gap_end = local;
            while !exists(gap_end) {
                gap_end += step;
            }
            Err(format!(
                "{} on {} does not exist in the UK: the clocks go forward from {} to {} that night. Choose another time",
                local.format("%H:%M"),
                local.format("%-d %B %Y"),
                gap_start.format("%H:%M"),
                gap_end.format("%H:%M"),
            ))
        }
    }
}

/// How the version page states a publishing time: in UK local time, as it was entered.
pub fn uk_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&London)
        .format("%-d %B %Y at %H:%M")
        .to_string()
}

/// The publishing time the form asks for, in UTC, or the form again with its errors. The
/// library checks the minimum notice; a time already past is refused here with its own
/// message.
pub fn requested_time(
    form: &ScheduleForm,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, Box<ScheduleFormView>> {
    let mut view = ScheduleFormView {
        entered: form.clone(),
        ..ScheduleFormView::default()
    };
    let date = read_date(form, &mut view);
    let time = read_time(form, &mut view);
    let (Some(date), Some(time)) = (date, time) else {
        return Err(Box::new(view));
    };
    match uk_local_to_utc(date.and_time(time)) {
        Ok(at) if at <= now => {
            view.time_problem("The time to publish must be in the future", &[HOUR, MINUTE]);
        }
        Ok(at) => return Ok(at),
        Err(message) => view.time_problem(message, &[HOUR, MINUTE]),
    }
    debug_assert!(view.has_problems());
    Err(Box::new(view))
}

async fn schedule(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Form(form): Form<ScheduleForm>,
) -> Result<Response, AppError> {
    let (page, testing) = versions::load(&state, &user, &path).await?;
    user.require(Capability::Publish)?;
    let now = Utc::now();
    let refused = match requested_time(&form, now) {
        Err(view) => *view,
        Ok(_) if testing => ScheduleFormView {
            entered: form,
            form_error: WorkflowError::TestingSpace.to_string(),
            ..ScheduleFormView::default()
        },
        Ok(at) => {
            let (actor, origin, version_id) = (user.user.clone(), user.origin(), page.version.id);
            let outcome = state
                .db
                .run(move |conn| {
                    match scheduled_publishing::schedule(conn, &actor, &origin, version_id, at, now)
                    {
                        Ok(_) => Ok(None),
                        Err(refusal) => problem(refusal).map(Some),
                    }
                })
                .await?;
            let Some(mut view) = outcome else {
                return Ok(Redirect::to(&format!("{}?done=scheduled", path.url())).into_response());
            };
            view.entered = form;
            view
        }
    };
    let errors = refused.form_errors();
    versions::version_page_with_schedule(&state, &user, page, testing, path.url(), errors, refused)
        .await
}

async fn cancel(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
) -> Result<Response, AppError> {
    let (page, testing) = versions::load(&state, &user, &path).await?;
    user.require(Capability::Publish)?;
    let (actor, origin, version_id) = (user.user.clone(), user.origin(), page.version.id);
    let outcome = state
        .db
        .run(
            move |conn| match scheduled_publishing::cancel(conn, &actor, &origin, version_id) {
                Ok(_) => Ok(None),
                Err(refusal) => problem(refusal).map(Some),
            },
        )
        .await?;
    match outcome {
        None => {
            Ok(Redirect::to(&format!("{}?done=schedule-cancelled", path.url())).into_response())
        }
        Some(view) => {
            let errors = view.form_errors();
            versions::version_page_with_schedule(
                &state,
                &user,
                page,
                testing,
                path.url(),
                errors,
                view,
            )
            .await
        }
    }
}

/// What the library refused, as the form shows it; refusals of access, and database
/// errors, become the usual HTTP errors.
fn problem(refusal: ScheduleError) -> Result<ScheduleFormView, AppError> {
    let mut view = ScheduleFormView::default();
    match refusal {
        ScheduleError::Forbidden => return Err(AppError::Forbidden),
        ScheduleError::UnknownVersion => return Err(AppError::NotFound),
        ScheduleError::Database(error) => return Err(error.into()),
        ScheduleError::TooSoon => view.time_problem(refusal.to_string(), &[HOUR, MINUTE]),
        ScheduleError::NotInReview(_) | ScheduleError::NotScheduled => {
            view.form_error = refusal.to_string();
        }
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(day: &str, month: &str, year: &str, hour: &str, minute: &str) -> ScheduleForm {
        ScheduleForm {
            day: day.to_owned(),
            month: month.to_owned(),
            year: year.to_owned(),
            hour: hour.to_owned(),
            minute: minute.to_owned(),
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    const NOW: &str = "2026-06-01T12:00:00Z";

    fn refused(form: &ScheduleForm) -> ScheduleFormView {
        *requested_time(form, utc(NOW)).expect_err("the form has a problem")
    }

    #[test]
    fn summer_and_winter_times_are_converted_to_utc() {
        let summer = requested_time(&form("1", "7", "2026", "9", "30"), utc(NOW)).unwrap();
        assert_eq!(summer, utc("2026-07-01T08:30:00Z"));
        let winter = requested_time(&form("01", "12", "2026", "09", "30"), utc(NOW)).unwrap();
        assert_eq!(winter, utc("2026-12-01T09:30:00Z"));
        assert_eq!(uk_time(summer), "1 July 2026 at 09:30");
        assert_eq!(uk_time(winter), "1 December 2026 at 09:30");
    }

    #[test]
    fn the_repeated_autumn_hour_means_the_earlier_one() {
        let at = requested_time(&form("25", "10", "2026", "1", "30"), utc(NOW)).unwrap();
        assert_eq!(at, utc("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn the_missing_spring_hour_is_refused_with_the_clock_change() {
        let view = refused(&form("28", "3", "2027", "1", "30"));
        assert_eq!(
            view.time_error,
            "01:30 on 28 March 2027 does not exist in the UK: the clocks go forward from 01:00 to 02:00 that night. Choose another time"
        );
        assert!(view.input_in_error(HOUR) && view.input_in_error(MINUTE));
        assert_eq!(view.date_error, "");
    }

    #[test]
    fn dates_that_do_not_exist_are_refused() {
        for (day, month, year) in [
            ("31", "2", "2027"),
            ("29", "2", "2027"),
            ("1", "13", "2027"),
        ] {
            let view = refused(&form(day, month, year, "9", "0"));
            assert_eq!(view.date_error, "Date must be a real date", "{day}/{month}");
            assert!(view.input_in_error(DAY) && view.input_in_error(YEAR));
        }
        assert!(requested_time(&form("29", "2", "2028", "9", "0"), utc(NOW)).is_ok());
        assert_eq!(
            refused(&form("x", "2", "2027", "9", "0")).date_error,
            "Date must be a real date"
        );
        assert_eq!(
            refused(&form("1", "2", "27", "9", "0")).date_error,
            "Year must include 4 numbers"
        );
    }

    #[test]
    fn missing_parts_are_named() {
        let view = refused(&form("", "", "", "", ""));
        assert_eq!(view.date_error, "Enter the date to publish the page");
        assert_eq!(view.time_error, "Enter the time to publish the page");
        let view = refused(&form("1", "", "", "9", ""));
        assert_eq!(view.date_error, "Date must include a month and year");
        assert_eq!(view.time_error, "Time must include a minute");
        assert!(!view.input_in_error(DAY) && view.input_in_error(MONTH));
        let summary: Vec<_> = view
            .form_errors()
            .all()
            .iter()
            .map(|(field, _)| *field)
            .collect();
        assert_eq!(summary, [MONTH, MINUTE]);
        assert_eq!(
            refused(&form("", "", "2027", "", "5")).date_error,
            "Date must include a day and month"
        );
        assert_eq!(
            refused(&form("1", "1", "2027", "", "5")).time_error,
            "Time must include an hour"
        );
    }

    #[test]
    fn times_off_the_24_hour_clock_are_refused() {
        for (hour, minute) in [("24", "00"), ("9", "60"), ("9am", "0"), ("-1", "0")] {
            assert_eq!(
                refused(&form("1", "12", "2026", hour, minute)).time_error,
                "Time must be a real time on the 24-hour clock, for example 09:30 or 17:45",
                "{hour}:{minute}"
            );
        }
    }

    #[test]
    fn past_times_are_refused() {
        let view = refused(&form("1", "6", "2026", "12", "59"));
        // 12:59 BST is 11:59 UTC, a minute before now.
        assert_eq!(view.time_error, "The time to publish must be in the future");
    }
}
