//! Custody pages: the suite board (live, polled by htmx), booking in, the custody record with
//! its PACE clock and the forms that add entries, and a printable custody record.

use super::{Chrome, PageId, chrome, error_page, marking_class, render};
use crate::AppState;
use crate::caller::CurrentUser;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bluelamp_app::AppError;
use bluelamp_app::custody::{
    BoardRow, BookIn, CustodyView, DetentionDecision, RightsInput, RiskInput, station_key,
};
use bluelamp_domain::custody::{
    Booking, ClockStatus, Due, DueKind, EntryKind, Offence, Officer, Rank, Regime,
    RelevantTimeBasis, TrialMode, format_duration,
};
use bluelamp_domain::time::{format_instant, local};
use bluelamp_domain::{Classification, Marking, RecordId, ValidationErrors};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

use super::forms::{ErrorLink, FormData};

// ------------------------------------------------------------------ shared display

/// `14:05`, or `29 Nov 14:05` when not on the day of `now` (Europe/London).
fn short_time(t: Timestamp, now: Timestamp) -> String {
    let (z, n) = (local(t), local(now));
    if z.date() == n.date() {
        z.strftime("%H:%M").to_string()
    } else {
        z.strftime("%-d %b %H:%M").to_string()
    }
}

fn due_label(k: DueKind) -> &'static str {
    match k {
        DueKind::Review => "Review",
        DueKind::Visit => "Cell visit",
        DueKind::Rouse => "Visit and rouse",
        DueKind::Meal => "Meal",
        DueKind::Rest => "Rest period",
        DueKind::RiskAssessment => "Risk assessment",
        DueKind::LimitReached => "Detention limit",
        DueKind::RightDelayEnds => "Delay of a right ends",
    }
}

/// An action not yet overdue but due within this long is "due soon" on the board.
pub(crate) const DUE_SOON: SignedDuration = SignedDuration::from_mins(15);
/// A detention (in custody, not charged) with at most this long left before its limit is
/// "near its limit" on the board (the clock engine warns from the same point).
pub(crate) const LIMIT_SOON: SignedDuration = SignedDuration::from_hours(2);

/// True when `d` is an action (anything but the detention limit itself, which the board
/// counts on its own) that is not overdue and is due within [`DUE_SOON`] of `now`.
fn due_soon(d: &Due, now: Timestamp) -> bool {
    d.what != DueKind::LimitReached && !d.overdue && d.at.duration_since(now) <= DUE_SOON
}

/// True when the pre-charge detention limit applies (in custody, not charged).
fn pre_charge(s: &ClockStatus) -> bool {
    s.in_custody && s.charged_at.is_none()
}

/// In custody, not charged, and the limit is still ahead but at most [`LIMIT_SOON`] away.
fn limit_soon(s: &ClockStatus) -> bool {
    pre_charge(s) && s.time_left.is_positive() && s.time_left <= LIMIT_SOON
}

/// In custody, not charged, and the limit has been reached.
fn past_limit(s: &ClockStatus) -> bool {
    pre_charge(s) && !s.time_left.is_positive()
}

/// The board's alert summary: what needs the custody officer now, over every detainee.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BoardAlerts {
    /// Actions (reviews, visits, meals, rests, risk assessments, ends of delays) overdue.
    overdue: usize,
    /// Actions not overdue and due within [`DUE_SOON`].
    due_soon: usize,
    /// Detentions within [`LIMIT_SOON`] of their limit, not yet past it.
    limit_soon: usize,
    /// Detentions past their limit (the detainee must be charged or released now).
    past_limit: usize,
}

/// Counts the alerts over the statuses of the detainees on a board, as at `now`. The
/// detention limit is counted by detention, never as an action, so nothing counts twice.
pub(crate) fn board_alerts<'a>(
    statuses: impl IntoIterator<Item = &'a ClockStatus>,
    now: Timestamp,
) -> BoardAlerts {
    let mut a = BoardAlerts::default();
    for s in statuses.into_iter().filter(|s| s.in_custody) {
        for d in s.due.iter().filter(|d| d.what != DueKind::LimitReached) {
            if d.overdue {
                a.overdue += 1;
            } else if due_soon(d, now) {
                a.due_soon += 1;
            }
        }
        a.limit_soon += usize::from(limit_soon(s));
        a.past_limit += usize::from(past_limit(s));
    }
    a
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl BoardAlerts {
    /// Anything the custody officer must act on now (overdue, or past a limit).
    fn urgent(&self) -> bool {
        self.overdue > 0 || self.past_limit > 0
    }

    /// The summary in words: only the counts that are not zero, joined by " · ".
    fn text(&self) -> String {
        let mins = DUE_SOON.as_mins();
        let hours = LIMIT_SOON.as_hours();
        let mut parts = Vec::new();
        if self.past_limit > 0 {
            parts.push(count(
                self.past_limit,
                "detention past its limit",
                "detentions past their limit",
            ));
        }
        if self.overdue > 0 {
            parts.push(format!(
                "{} overdue",
                count(self.overdue, "action", "actions")
            ));
        }
        if self.due_soon > 0 {
            parts.push(format!(
                "{} due in the next {mins} minutes",
                count(self.due_soon, "action", "actions")
            ));
        }
        if self.limit_soon > 0 {
            parts.push(count(
                self.limit_soon,
                &format!("detention within {hours} hours of its limit"),
                &format!("detentions within {hours} hours of their limit"),
            ));
        }
        if parts.is_empty() {
            format!(
                "Nothing overdue or due in the next {mins} minutes; no detention within {hours} hours of its limit"
            )
        } else {
            parts.join(" · ")
        }
    }
}

struct DueView {
    what: &'static str,
    at: String,
    at_full: String,
    overdue: bool,
    /// Not overdue, and due within [`DUE_SOON`].
    soon: bool,
    note: String,
}

fn due_views(s: &ClockStatus) -> Vec<DueView> {
    s.due
        .iter()
        .map(|d| DueView {
            what: due_label(d.what),
            at: short_time(d.at, s.now),
            at_full: format_instant(d.at),
            overdue: d.overdue,
            soon: due_soon(d, s.now),
            note: d.note.clone(),
        })
        .collect()
}

/// The clock in words for a page.
struct ClockView {
    in_custody: bool,
    relevant_time: String,
    relevant_time_reason: String,
    detained_for: String,
    limit_at: String,
    limit_reason: String,
    time_left: String,
    over: bool,
    warnings: Vec<String>,
    due: Vec<DueView>,
    overdue: usize,
    authorisations: Vec<AuthView>,
}

struct AuthView {
    what: &'static str,
    rank: String,
    possible: bool,
    why: String,
    latest: String,
}

fn auth_label(k: bluelamp_domain::custody::AuthorisationKind) -> &'static str {
    use bluelamp_domain::custody::AuthorisationKind as A;
    match k {
        A::Review => "Review of detention",
        A::Extension36 => "Extension to 36 hours",
        A::Warrant => "Warrant of further detention",
        A::DelayLegalAdvice => "Delay legal advice",
        A::DelaySomeoneInformed => "Delay telling someone",
        A::PreChargeBail3 => "Pre-charge bail up to 3 months",
        A::PreChargeBail6 => "Pre-charge bail up to 6 months",
        A::PreChargeBail9 => "Pre-charge bail up to 9 months",
    }
}

fn clock_view(s: &ClockStatus) -> ClockView {
    let due = due_views(s);
    ClockView {
        in_custody: s.in_custody,
        relevant_time: format_instant(s.relevant_time),
        relevant_time_reason: s.relevant_time_reason.clone(),
        detained_for: format_duration(s.detained_for),
        limit_at: format_instant(s.limit.at),
        limit_reason: s.limit.reason.clone(),
        time_left: format_duration(s.time_left),
        over: s.time_left.is_negative() && s.charged_at.is_none(),
        warnings: s.warnings.clone(),
        overdue: due.iter().filter(|d| d.overdue).count(),
        due,
        authorisations: s
            .authorisations
            .iter()
            .map(|a| AuthView {
                what: auth_label(a.kind),
                rank: a.min_rank.label().to_string(),
                possible: a.possible.is_ok(),
                why: a.possible.as_ref().err().cloned().unwrap_or_default(),
                latest: a.latest_at.map(format_instant).unwrap_or_default(),
            })
            .collect(),
    }
}

// ------------------------------------------------------------------ the board

struct BoardItem {
    href: String,
    custody_number: String,
    detainee: String,
    station: String,
    arrived: String,
    detained_for: String,
    time_left: String,
    over: bool,
    /// In custody, not charged, and within [`LIMIT_SOON`] of the limit.
    limit_soon: bool,
    next: Option<DueView>,
    overdue: Vec<&'static str>,
    /// Actions due soon after the next one, "Cell visit 14:05".
    also_soon: Vec<String>,
    last_visit: String,
    observation: String,
}

fn board_item(r: &BoardRow) -> BoardItem {
    let s = &r.status;
    let observation = r
        .custody
        .entries
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EntryKind::RiskAssessment {
                observation_level,
                intoxicated,
                ..
            } => Some(format!(
                "Level {observation_level}{}",
                if *intoxicated { ", intoxicated" } else { "" }
            )),
            _ => None,
        })
        .unwrap_or_default();
    let last_visit = r
        .custody
        .entries
        .iter()
        .rev()
        .find(|e| matches!(e.kind, EntryKind::CellVisit { .. }))
        .map(|e| short_time(e.at, s.now))
        .unwrap_or_else(|| "None yet".into());
    BoardItem {
        last_visit,
        href: format!("/custody/{}", r.id),
        custody_number: r.custody.custody_number.clone(),
        detainee: r
            .detainee
            .as_ref()
            .map(|d| d.summary.clone())
            .unwrap_or_default(),
        station: r.custody.booking.station.clone(),
        arrived: short_time(r.custody.booking.arrived_at, s.now),
        detained_for: format_duration(s.detained_for),
        time_left: format_duration(s.time_left),
        over: s.time_left.is_negative() && s.charged_at.is_none(),
        limit_soon: limit_soon(s),
        next: due_views(s).into_iter().next(),
        also_soon: s
            .due
            .iter()
            .skip(1)
            .filter(|d| due_soon(d, s.now))
            .map(|d| format!("{} {}", due_label(d.what), short_time(d.at, s.now)))
            .collect(),
        overdue: s
            .due
            .iter()
            .filter(|d| d.overdue)
            .map(|d| due_label(d.what))
            .collect(),
        observation,
    }
}

#[derive(Template)]
#[template(path = "custody_board.html")]
struct BoardPage {
    chrome: Chrome,
    station: String,
    rows_html: String,
}

#[derive(Template)]
#[template(path = "custody_board_rows.html")]
struct BoardRows {
    station: String,
    station_query: String,
    items: Vec<BoardItem>,
    alerts: BoardAlerts,
    updated: String,
}

#[derive(Debug, Deserialize)]
struct BoardParams {
    #[serde(default)]
    station: String,
}

async fn board_rows(
    state: &AppState,
    user: &CurrentUser,
    station: &str,
) -> Result<BoardRows, AppError> {
    let rows = state.custody.board(&user.caller, station).await?;
    // Every row's clock was worked out as at one instant: count and show as at that one.
    let now = rows
        .first()
        .map(|r| r.status.now)
        .unwrap_or_else(|| state.pole.clock().now());
    Ok(BoardRows {
        station: station_key(station),
        station_query: super::urlencode(&station_key(station)),
        items: rows.iter().map(board_item).collect(),
        alerts: board_alerts(rows.iter().map(|r| &r.status), now),
        updated: local(now).strftime("%H:%M:%S").to_string(),
    })
}

async fn board(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<BoardParams>,
) -> Response {
    match board_rows(&state, &user, &p.station).await {
        Ok(rows) => match rows.render() {
            Ok(rows_html) => render(
                StatusCode::OK,
                &BoardPage {
                    chrome: chrome(&state, &user, "custody"),
                    station: station_key(&p.station),
                    rows_html,
                },
            ),
            Err(e) => error_page(&state, &user, AppError::Internal(e.to_string())),
        },
        Err(e) => error_page(&state, &user, e),
    }
}

/// The board's table alone, for htmx to poll.
async fn board_fragment(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<BoardParams>,
) -> Response {
    match board_rows(&state, &user, &p.station).await {
        Ok(rows) => render(StatusCode::OK, &rows),
        Err(e) => error_page(&state, &user, e),
    }
}

// ------------------------------------------------------------------ booking in

#[derive(Template)]
#[template(path = "custody_new.html")]
struct BookInPage {
    chrome: Chrome,
    errors: Vec<ErrorLink>,
    v: HashMap<String, String>,
    e: HashMap<String, String>,
    person: String,
    ranks: Vec<(&'static str, &'static str)>,
    modes: Vec<(&'static str, &'static str)>,
}

impl BookInPage {
    fn val(&self, k: &str) -> String {
        self.v.get(k).cloned().unwrap_or_default()
    }
    fn err(&self, k: &str) -> String {
        self.e.get(k).cloned().unwrap_or_default()
    }
    fn is(&self, k: &str, value: &str) -> bool {
        self.v.get(k).map(String::as_str) == Some(value)
    }
}

fn ranks() -> Vec<(&'static str, &'static str)> {
    Rank::ALL.iter().map(|r| (r.code(), r.label())).collect()
}

const MODES: [(&str, &str); 3] = [
    ("either_way", "Either way"),
    ("indictable", "Indictable only"),
    ("summary", "Summary only"),
];

#[derive(Debug, Deserialize)]
struct NewParams {
    #[serde(default)]
    person: String,
}

fn default_rank(account_rank: &str) -> String {
    Rank::parse(account_rank)
        .map(|r| r.code().to_string())
        .unwrap_or_else(|_| Rank::Sergeant.code().to_string())
}

async fn new_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<NewParams>,
) -> Response {
    let mut v = HashMap::new();
    let now = local(state.pole.clock().now())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    v.insert("person_id".to_string(), p.person.trim().to_string());
    v.insert("arrived".to_string(), now);
    v.insert(
        "officer_name".to_string(),
        user.auth.principal.display_name.clone(),
    );
    v.insert(
        "officer_rank".to_string(),
        default_rank(&user.auth.account_rank),
    );
    v.insert("observation_level".to_string(), "1".to_string());
    v.insert("offence1_mode".to_string(), "either_way".to_string());
    v.insert("regime".to_string(), "pace".to_string());
    v.insert("basis".to_string(), "arrival".to_string());
    v.insert("detention".to_string(), "authorise".to_string());
    v.insert("rights_given".to_string(), "yes".to_string());
    v.insert(
        "classification".to_string(),
        "OFFICIAL-SENSITIVE".to_string(),
    );
    let person = person_summary(&state, &user, &p.person).await;
    render(
        StatusCode::OK,
        &BookInPage {
            chrome: chrome(&state, &user, "custody"),
            errors: Vec::new(),
            v,
            e: HashMap::new(),
            person,
            ranks: ranks(),
            modes: MODES.to_vec(),
        },
    )
}

async fn person_summary(state: &AppState, user: &CurrentUser, id: &str) -> String {
    match id.trim().parse::<RecordId>() {
        Ok(id) => state
            .pole
            .get(&user.caller, id, Some(bluelamp_domain::RecordKind::Person))
            .await
            .map(|r| r.summary)
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// A UK local date and time from a `datetime-local` input (`2026-11-30T14:05`).
fn local_input(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("Enter the date and time".into());
    }
    let dt: jiff::civil::DateTime = s
        .parse()
        .map_err(|_| "Enter a real date and time, like 30/11/2026 14:05".to_string())?;
    dt.to_zoned(bluelamp_domain::time::london())
        .map(|z| z.timestamp())
        .map_err(|_| "Enter a real date and time".to_string())
}

/// Where the book-in form shows an error the use case names.
fn book_in_field(field: &str) -> String {
    let f = field.strip_prefix("booking.").unwrap_or(field);
    if let Some(rest) = f.strip_prefix("offences.") {
        let (i, sub) = rest.split_once('.').unwrap_or((rest, "description"));
        let n = i.parse::<usize>().map(|i| i + 1).unwrap_or(1);
        return if sub == "mode" {
            format!("offence{n}_mode")
        } else {
            format!("offence{n}")
        };
    }
    match f {
        "arrested_at" => "arrested".into(),
        "arrived_at" => "arrived".into(),
        "basis.arrival_in_investigating_area" => "basis_arrival".into(),
        "basis.entered_england_wales_at" => "basis_entered".into(),
        "offences" => "offence1".into(),
        "risk.observation_level" => "observation_level".into(),
        "risk.notes" => "risk_notes".into(),
        "detention.grounds" | "detention.reason" | "grounds" | "reason" => {
            "detention_grounds".into()
        }
        "by.name" | "detention.by.name" => "officer_name".into(),
        "custody_number" => "station".into(),
        other => other.replace('.', "_"),
    }
}

fn book_in_input(data: &FormData) -> Result<BookIn, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let person_id = e.check(
        "person_id",
        data.get("person_id")
            .trim()
            .parse::<RecordId>()
            .map_err(|_| "Enter the id of the detainee's person record".to_string()),
    );
    let arrested_at = e.check("arrested", local_input(data.get("arrested")));
    let arrived_at = e.check("arrived", local_input(data.get("arrived")));
    let mut offences = Vec::new();
    for n in 1..=3 {
        let d = data.get(&format!("offence{n}")).trim();
        if d.is_empty() {
            continue;
        }
        let mode = match data.get(&format!("offence{n}_mode")) {
            "indictable" => TrialMode::Indictable,
            "summary" => TrialMode::Summary,
            "either_way" => TrialMode::EitherWay,
            _ => {
                e.push(
                    format!("offence{n}_mode"),
                    "Choose how the offence is tried",
                );
                TrialMode::EitherWay
            }
        };
        offences.push(Offence {
            description: d.to_string(),
            mode,
        });
    }
    let regime = match data.get("regime") {
        "terrorism" => Regime::Terrorism,
        _ => Regime::Pace,
    };
    let optional_time = |e: &mut ValidationErrors, name: &str| -> Option<Timestamp> {
        let s = data.get(name).trim();
        if s.is_empty() {
            None
        } else {
            e.check(name, local_input(s))
        }
    };
    let basis = match data.get("basis") {
        "voluntary_attendance" => RelevantTimeBasis::VoluntaryAttendance,
        "street_bail" => RelevantTimeBasis::StreetBail,
        "other_force_area" => RelevantTimeBasis::OtherForceArea {
            arrival_in_investigating_area: optional_time(&mut e, "basis_arrival"),
        },
        "outside_england_and_wales" => {
            let entered = e.check("basis_entered", local_input(data.get("basis_entered")));
            RelevantTimeBasis::OutsideEnglandAndWales {
                entered_england_wales_at: entered.unwrap_or(Timestamp::UNIX_EPOCH),
                arrival_in_investigating_area: optional_time(&mut e, "basis_arrival"),
            }
        }
        _ => RelevantTimeBasis::Arrival,
    };
    let rank = e.check("officer_rank", Rank::parse(data.get("officer_rank")));
    let observation_level = e.check(
        "observation_level",
        data.get("observation_level")
            .parse::<u8>()
            .map_err(|_| "Choose the observation level".to_string()),
    );
    let classification = e.check(
        "classification",
        data.get("classification").parse::<Classification>(),
    );
    let detention = match data.get("detention") {
        "refuse" => DetentionDecision::Refuse {
            reason: data.get("detention_grounds").to_string(),
        },
        _ => DetentionDecision::Authorise {
            grounds: data.get("detention_grounds").to_string(),
        },
    };
    let rights = (data.get("rights_given") == "yes").then(|| RightsInput {
        legal_advice_requested: data.get("legal_advice_requested") == "yes",
        someone_informed_requested: data.get("someone_informed_requested") == "yes",
    });
    match (
        person_id,
        arrested_at,
        arrived_at,
        rank,
        observation_level,
        classification,
    ) {
        (
            Some(person_id),
            Some(arrested_at),
            Some(arrived_at),
            Some(rank),
            Some(level),
            Some(c),
        ) if e.is_empty() => Ok(BookIn {
            person_id,
            booking: Booking {
                station: data.get("station").to_string(),
                arrested_at,
                arrest_place: data.get("arrest_place").to_string(),
                arresting_officer: data.get("arresting_officer").to_string(),
                grounds: data.get("grounds").to_string(),
                arrived_at,
                offences,
                regime,
                basis,
            },
            custody_officer: Officer {
                name: data.get("officer_name").to_string(),
                rank,
            },
            risk: RiskInput {
                observation_level: level,
                intoxicated: data.get("intoxicated") == "yes",
                notes: data.get("risk_notes").to_string(),
            },
            rights,
            detention,
            marking: Some(Marking::new(c, Vec::new(), Vec::new())),
        }),
        _ => Err(e),
    }
}

async fn book_in(State(state): State<AppState>, user: CurrentUser, data: FormData) -> Response {
    let result = match book_in_input(&data) {
        Ok(input) => state.custody.book_in(&user.caller, input).await,
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(view) => {
            Redirect::to(&format!("/custody/{}?done=booked", view.record.id)).into_response()
        }
        Err(AppError::Invalid(v)) => {
            let mut e = HashMap::new();
            let mut errors = Vec::new();
            for f in v.0 {
                let target = book_in_field(&f.field);
                errors.push(ErrorLink {
                    target: target.clone(),
                    message: f.message.clone(),
                });
                e.entry(target).or_insert(f.message);
            }
            let v: HashMap<String, String> = data.0.iter().cloned().collect();
            let person = person_summary(&state, &user, data.get("person_id")).await;
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &BookInPage {
                    chrome: chrome(&state, &user, "custody"),
                    errors,
                    v,
                    e,
                    person,
                    ranks: ranks(),
                    modes: MODES.to_vec(),
                },
            )
        }
        Err(e) => error_page(&state, &user, e),
    }
}

// ------------------------------------------------------------------ entry forms

/// How one question of an entry form becomes JSON.
#[derive(Clone, Copy)]
enum In {
    Text,
    Long,
    When,
    Check,
    Roused,
    Rank,
    Choice(&'static [(&'static str, &'static str)]),
    Number,
    /// A 1-based entry number shown to users, stored 0-based.
    EntryNumber,
    Lines,
    /// One offence: `<name>.description` and `<name>.mode`, stored as a one-item list.
    Offence,
    Const(&'static str),
    ConstTrue,
}

struct Q {
    name: &'static str,
    label: &'static str,
    input: In,
}

const fn q(name: &'static str, label: &'static str, input: In) -> Q {
    Q { name, label, input }
}

struct Spec {
    code: &'static str,
    entry_type: &'static str,
    title: &'static str,
    section: &'static str,
    questions: &'static [Q],
}

const REVIEW_MODES: &[(&str, &str)] = &[
    ("in_person", "In person"),
    ("telephone", "By telephone"),
    ("video", "By video link"),
];
const REVIEW_DECISIONS: &[(&str, &str)] = &[
    ("continue_detention", "Continue detention"),
    ("release", "Release"),
    ("charge", "Charge"),
];
const RIGHTS: &[(&str, &str)] = &[
    ("legal_advice", "Legal advice (s58)"),
    (
        "someone_informed",
        "Having someone told of the arrest (s56)",
    ),
];
const OCCASIONS: &[(&str, &str)] = &[
    ("other", "Change in circumstances"),
    ("charge", "At charge"),
    ("bail_refused", "Bail refused"),
    ("release", "Before release"),
    ("transfer", "Before transfer"),
    ("booking", "At booking in"),
];
const LEVELS: &[(&str, &str)] = &[
    ("1", "1: general observation"),
    ("2", "2: intermittent observation"),
    ("3", "3: constant observation"),
    ("4", "4: close proximity"),
];
const MEALS: &[(&str, &str)] = &[("false", "Light meal"), ("true", "Main meal")];

const SPECS: &[Spec] = &[
    Spec {
        code: "visit",
        entry_type: "cell_visit",
        title: "Cell visit",
        section: "Care",
        questions: &[
            q("condition", "How was the detainee?", In::Long),
            q("roused", "Rousing", In::Roused),
        ],
    },
    Spec {
        code: "meal",
        entry_type: "meal",
        title: "Meal",
        section: "Care",
        questions: &[q("main", "Meal offered", In::Choice(MEALS))],
    },
    Spec {
        code: "risk",
        entry_type: "risk_assessment",
        title: "Risk assessment",
        section: "Care",
        questions: &[
            q("occasion", "Why now", In::Choice(OCCASIONS)),
            q("observation_level", "Observation level", In::Choice(LEVELS)),
            q(
                "intoxicated",
                "Drunk or intoxicated (visit and rouse every 30 minutes)",
                In::Check,
            ),
            q("notes", "Notes", In::Long),
        ],
    },
    Spec {
        code: "rest-start",
        entry_type: "rest_started",
        title: "Rest period started",
        section: "Care",
        questions: &[],
    },
    Spec {
        code: "rest-end",
        entry_type: "rest_ended",
        title: "Rest period ended",
        section: "Care",
        questions: &[],
    },
    Spec {
        code: "health",
        entry_type: "health_care",
        title: "Health care",
        section: "Care",
        questions: &[q("note", "What happened", In::Long)],
    },
    Spec {
        code: "hospital-out",
        entry_type: "hospital_departed",
        title: "Left for hospital (clock stops)",
        section: "Care",
        questions: &[],
    },
    Spec {
        code: "hospital-back",
        entry_type: "hospital_returned",
        title: "Back from hospital",
        section: "Care",
        questions: &[],
    },
    Spec {
        code: "hospital-questioned",
        entry_type: "questioned_in_hospital",
        title: "Questioned at hospital (counts)",
        section: "Care",
        questions: &[q("from", "From", In::When), q("to", "To", In::When)],
    },
    Spec {
        code: "property",
        entry_type: "property",
        title: "Property",
        section: "Care",
        questions: &[q("items", "Items", In::Long)],
    },
    Spec {
        code: "review",
        entry_type: "review",
        title: "Review of detention",
        section: "Reviews and authorisations",
        questions: &[
            q("by.name", "Review officer", In::Text),
            q("by.rank", "Their rank", In::Rank),
            q("mode", "How", In::Choice(REVIEW_MODES)),
            q(
                "representations",
                "Representations by the detainee or solicitor",
                In::Long,
            ),
            q("decision", "Decision", In::Choice(REVIEW_DECISIONS)),
            q("note", "Notes", In::Long),
        ],
    },
    Spec {
        code: "postpone",
        entry_type: "review_postponed",
        title: "Review postponed",
        section: "Reviews and authorisations",
        questions: &[
            q("by.name", "Review officer", In::Text),
            q("by.rank", "Their rank", In::Rank),
            q("reason", "Why it is impracticable now", In::Long),
            q("until", "When it will be done", In::When),
        ],
    },
    Spec {
        code: "extension",
        entry_type: "extension",
        title: "Extension (superintendent)",
        section: "Reviews and authorisations",
        questions: &[
            q("by.name", "Authorising officer", In::Text),
            q("by.rank", "Their rank", In::Rank),
            q(
                "until_hours",
                "Detention extended to (hours after the relevant time, at most 36)",
                In::Number,
            ),
            q("grounds", "Grounds", In::Long),
        ],
    },
    Spec {
        code: "warrant",
        entry_type: "warrant",
        title: "Warrant of further detention",
        section: "Reviews and authorisations",
        questions: &[
            q("court", "Issuing court", In::Text),
            q("issued_at", "Issued", In::When),
            q("hours", "Hours from issue (at most 36)", In::Number),
        ],
    },
    Spec {
        code: "delay",
        entry_type: "right_delayed",
        title: "Delay a right",
        section: "Reviews and authorisations",
        questions: &[
            q("right", "Right", In::Choice(RIGHTS)),
            q("by.name", "Authorising officer", In::Text),
            q("by.rank", "Their rank", In::Rank),
            q("reason", "Why", In::Long),
            q("until", "Until", In::When),
        ],
    },
    Spec {
        code: "delay-end",
        entry_type: "right_delay_ended",
        title: "End a delay",
        section: "Reviews and authorisations",
        questions: &[q("right", "Right", In::Choice(RIGHTS))],
    },
    Spec {
        code: "authorise",
        entry_type: "detention_authorised",
        title: "Detention authorised",
        section: "Reviews and authorisations",
        questions: &[
            q("by.name", "Custody officer", In::Text),
            q("by.rank", "Their rank", In::Rank),
            q("grounds", "Grounds", In::Long),
        ],
    },
    Spec {
        code: "rights",
        entry_type: "rights_given",
        title: "Rights given",
        section: "Rights and interviews",
        questions: &[
            q(
                "legal_advice_requested",
                "Asked for legal advice",
                In::Check,
            ),
            q(
                "someone_informed_requested",
                "Asked for someone to be told",
                In::Check,
            ),
        ],
    },
    Spec {
        code: "solicitor",
        entry_type: "solicitor_visit",
        title: "Solicitor visit",
        section: "Rights and interviews",
        questions: &[q("name", "Solicitor", In::Text)],
    },
    Spec {
        code: "interview",
        entry_type: "interview",
        title: "Interview",
        section: "Rights and interviews",
        questions: &[
            q("started_at", "Started", In::When),
            q("ended_at", "Ended", In::When),
        ],
    },
    Spec {
        code: "charge",
        entry_type: "charged",
        title: "Charged",
        section: "Charge and release",
        questions: &[q("offences", "Offence charged", In::Offence)],
    },
    Spec {
        code: "bail",
        entry_type: "disposal",
        title: "Released on pre-charge bail",
        section: "Charge and release",
        questions: &[
            q("outcome.type", "", In::Const("pre_charge_bail")),
            q("outcome.return_at", "Return to the station on", In::When),
            q(
                "outcome.conditions",
                "Conditions, one per line (none for unconditional bail)",
                In::Lines,
            ),
            q("outcome.authorised_by.name", "Bail authorised by", In::Text),
            q("outcome.authorised_by.rank", "Their rank", In::Rank),
        ],
    },
    Spec {
        code: "rui",
        entry_type: "disposal",
        title: "Released under investigation",
        section: "Charge and release",
        questions: &[q(
            "outcome.type",
            "",
            In::Const("released_under_investigation"),
        )],
    },
    Spec {
        code: "nfa",
        entry_type: "disposal",
        title: "No further action",
        section: "Charge and release",
        questions: &[q("outcome.type", "", In::Const("no_further_action"))],
    },
    Spec {
        code: "court-bail",
        entry_type: "disposal",
        title: "Charged and bailed to court",
        section: "Charge and release",
        questions: &[
            q("outcome.type", "", In::Const("post_charge_bail")),
            q("outcome.court_date", "Court date", In::When),
        ],
    },
    Spec {
        code: "remand",
        entry_type: "disposal",
        title: "Charged and kept for court",
        section: "Charge and release",
        questions: &[
            q("outcome.type", "", In::Const("charged")),
            q("outcome.remanded", "", In::ConstTrue),
        ],
    },
    Spec {
        code: "transfer",
        entry_type: "disposal",
        title: "Transferred",
        section: "Charge and release",
        questions: &[
            q("outcome.type", "", In::Const("transferred")),
            q("outcome.to", "To", In::Text),
        ],
    },
    Spec {
        code: "bail-return",
        entry_type: "bail_return",
        title: "Returned on bail",
        section: "Charge and release",
        questions: &[
            q("arrived_at", "Arrived at the station", In::When),
            q(
                "breach_arrest",
                "Arrested for breaching bail conditions (3 more hours)",
                In::Check,
            ),
        ],
    },
    Spec {
        code: "note",
        entry_type: "note",
        title: "Note",
        section: "Notes",
        questions: &[q("text", "Note", In::Long)],
    },
    Spec {
        code: "correction",
        entry_type: "correction",
        title: "Correct an entry",
        section: "Notes",
        questions: &[
            q("of", "Entry number", In::EntryNumber),
            q("text", "The correction", In::Long),
        ],
    },
];

/// Puts `value` at a dotted path in a JSON object.
fn put(obj: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            obj.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let child = obj
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = child {
                put(m, rest, value);
            }
        }
    }
}

/// The entry a form describes, or the problems with it named by question.
fn entry_from_form(spec: &Spec, data: &FormData) -> Result<EntryKind, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let mut obj = Map::new();
    obj.insert("type".into(), Value::String(spec.entry_type.into()));
    for question in spec.questions {
        let raw = data.get(question.name).trim();
        let value = match question.input {
            In::Text | In::Long => Value::String(raw.to_string()),
            // Checked here: inside a tagged entry serde cannot say which field failed.
            In::Rank => match Rank::parse(raw) {
                Ok(r) => Value::String(r.code().to_string()),
                Err(m) => {
                    e.push(question.name, m);
                    continue;
                }
            },
            In::Choice(options) => {
                if options.iter().any(|(v, _)| *v == raw) {
                    match raw {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        _ => match raw.parse::<u8>() {
                            Ok(n) => Value::from(n),
                            Err(_) => Value::String(raw.to_string()),
                        },
                    }
                } else {
                    e.push(question.name, "Choose an answer from the list");
                    continue;
                }
            }
            In::When => match local_input(raw) {
                Ok(t) => Value::String(bluelamp_domain::time::to_rfc3339(t)),
                Err(m) => {
                    e.push(question.name, m);
                    continue;
                }
            },
            In::Check => Value::Bool(raw == "yes"),
            In::Roused => match raw {
                "yes" => Value::Bool(true),
                "no" => Value::Bool(false),
                _ => Value::Null,
            },
            In::Number => match raw.parse::<u32>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    e.push(question.name, "Enter a whole number");
                    continue;
                }
            },
            In::EntryNumber => match raw.parse::<usize>() {
                Ok(n) if n >= 1 => Value::from(n - 1),
                _ => {
                    e.push(question.name, "Enter the number of the entry to correct");
                    continue;
                }
            },
            In::Lines => Value::Array(
                raw.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| Value::String(l.to_string()))
                    .collect(),
            ),
            In::Offence => {
                let description = data.get(&format!("{}.description", question.name)).trim();
                let mode = data.get(&format!("{}.mode", question.name)).trim();
                serde_json::json!([{ "description": description, "mode": mode }])
            }
            In::Const(v) => Value::String(v.to_string()),
            In::ConstTrue => Value::Bool(true),
        };
        put(&mut obj, question.name, value);
    }
    if !e.is_empty() {
        return Err(e);
    }
    let value = Value::Object(obj);
    serde_path_to_error::deserialize::<_, EntryKind>(value).map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        let field = if path == "." {
            "entry".to_string()
        } else {
            path
        };
        ValidationErrors::single(field, format!("Check this answer: {message}"))
    })
}

/// One question as the template draws it.
struct QView {
    id: String,
    name: &'static str,
    label: &'static str,
    /// text, textarea, datetime, checkbox, select, number, offence, hidden
    kind: &'static str,
    value: String,
    options: Vec<(String, String)>,
    error: String,
}

struct FormView {
    code: &'static str,
    title: &'static str,
    open: bool,
    questions: Vec<QView>,
}

struct SectionView {
    title: &'static str,
    forms: Vec<FormView>,
}

fn form_views(
    open: Option<&str>,
    data: Option<&FormData>,
    errors: &HashMap<String, String>,
    default_name: &str,
    default_rank: &str,
) -> Vec<SectionView> {
    let mut sections: Vec<SectionView> = Vec::new();
    for spec in SPECS {
        let is_open = open == Some(spec.code);
        let mut questions = Vec::new();
        for question in spec.questions {
            let submitted = data
                .filter(|_| is_open)
                .map(|d| d.get(question.name).to_string());
            let (kind, options, default): (&'static str, Vec<(String, String)>, String) =
                match question.input {
                    In::Text if question.name.ends_with(".name") => {
                        ("text", Vec::new(), default_name.to_string())
                    }
                    In::Text => ("text", Vec::new(), String::new()),
                    In::Long | In::Lines => ("textarea", Vec::new(), String::new()),
                    In::When => ("datetime", Vec::new(), String::new()),
                    In::Check => ("checkbox", Vec::new(), String::new()),
                    In::Roused => (
                        "select",
                        vec![
                            (String::new(), "Rousing not required".into()),
                            ("yes".into(), "Roused and responded".into()),
                            ("no".into(), "Could not be roused".into()),
                        ],
                        String::new(),
                    ),
                    In::Rank => (
                        "select",
                        Rank::ALL
                            .iter()
                            .map(|r| (r.code().to_string(), r.label().to_string()))
                            .collect(),
                        default_rank.to_string(),
                    ),
                    In::Choice(opts) => (
                        "select",
                        opts.iter()
                            .map(|(a, b)| (a.to_string(), b.to_string()))
                            .collect(),
                        String::new(),
                    ),
                    In::Number | In::EntryNumber => ("number", Vec::new(), String::new()),
                    In::Offence => (
                        "offence",
                        MODES
                            .iter()
                            .map(|(a, b)| (a.to_string(), b.to_string()))
                            .collect(),
                        String::new(),
                    ),
                    In::Const(_) | In::ConstTrue => ("hidden", Vec::new(), String::new()),
                };
            let id = format!("{}-{}", spec.code, question.name.replace('.', "-"));
            questions.push(QView {
                error: if is_open {
                    errors.get(question.name).cloned().unwrap_or_default()
                } else {
                    String::new()
                },
                id,
                name: question.name,
                label: question.label,
                kind,
                value: submitted.unwrap_or(default),
                options,
            });
        }
        let view = FormView {
            code: spec.code,
            title: spec.title,
            open: is_open,
            questions,
        };
        match sections.iter_mut().find(|s| s.title == spec.section) {
            Some(s) => s.forms.push(view),
            None => sections.push(SectionView {
                title: spec.section,
                forms: vec![view],
            }),
        }
    }
    sections
}

// ------------------------------------------------------------------ the custody record

struct EntryView {
    number: usize,
    at: String,
    by: String,
    what: String,
    details: Vec<(String, String)>,
    corrected: bool,
}

fn humanise(key: &str) -> String {
    let s = key.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "Yes".into(),
        Value::Bool(false) => "No".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => match s.parse::<Timestamp>() {
            Ok(t) if s.len() >= 20 && s.contains('T') => format_instant(t),
            _ => match Rank::parse(s) {
                Ok(r) if s.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
                    r.label().to_string()
                }
                _ => humanise(s),
            },
        },
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join("; "),
        Value::Object(m) => {
            if let (Some(Value::String(name)), Some(Value::String(rank))) =
                (m.get("name"), m.get("rank"))
            {
                let rank = Rank::parse(rank)
                    .map(|r| r.label().to_string())
                    .unwrap_or_else(|_| rank.clone());
                return format!("{name} ({rank})");
            }
            m.iter()
                .map(|(k, v)| format!("{}: {}", humanise(k), value_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

fn entry_views(view: &CustodyView) -> Vec<EntryView> {
    let corrected: Vec<usize> = view
        .custody
        .entries
        .iter()
        .filter_map(|e| match e.kind {
            EntryKind::Correction { of, .. } => Some(of),
            _ => None,
        })
        .collect();
    view.custody
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let json = serde_json::to_value(&e.kind).unwrap_or(Value::Null);
            let mut details = Vec::new();
            if let Value::Object(m) = &json {
                for (k, v) in m {
                    if k == "type" {
                        continue;
                    }
                    let text = match (&e.kind, k.as_str(), v) {
                        (EntryKind::Correction { .. }, "of", Value::Number(n)) => {
                            format!("entry {}", n.as_u64().unwrap_or(0) + 1)
                        }
                        _ => value_text(v),
                    };
                    details.push((humanise(k), text));
                }
            }
            EntryView {
                number: i + 1,
                at: format_instant(e.at),
                by: e.recorded_by.clone(),
                what: humanise(e.kind.code()),
                details,
                corrected: corrected.contains(&i),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "custody_record.html")]
struct RecordPage {
    chrome: Chrome,
    id: RecordId,
    version: i64,
    notice: Option<String>,
    errors: Vec<ErrorLink>,
    marking_class: &'static str,
    marking_banner: String,
    custody_number: String,
    station: String,
    detainee: String,
    detainee_href: String,
    booking: Vec<(String, String)>,
    clock: ClockView,
    entries: Vec<EntryView>,
    sections: Vec<SectionView>,
    at_value: String,
    /// The suite, for the link back to its board.
    station_query: String,
    print: bool,
}

fn booking_rows(view: &CustodyView) -> Vec<(String, String)> {
    let b = &view.custody.booking;
    let mut rows = vec![
        (
            "Arrested".to_string(),
            format!("{} at {}", format_instant(b.arrested_at), b.arrest_place),
        ),
        ("Arresting officer".to_string(), b.arresting_officer.clone()),
        ("Grounds for arrest".to_string(), b.grounds.clone()),
        ("Arrived".to_string(), format_instant(b.arrived_at)),
        (
            "Detained under".to_string(),
            match b.regime {
                Regime::Pace => "PACE 1984".to_string(),
                Regime::Terrorism => "Terrorism Act 2000 s41".to_string(),
            },
        ),
    ];
    for (i, o) in b.offences.iter().enumerate() {
        rows.push((
            if i == 0 {
                "Offences".into()
            } else {
                String::new()
            },
            format!(
                "{} ({})",
                o.description,
                match o.mode {
                    TrialMode::Indictable => "indictable only",
                    TrialMode::EitherWay => "either way",
                    TrialMode::Summary => "summary only",
                }
            ),
        ));
    }
    rows
}

#[derive(Debug, Deserialize)]
struct RecordParams {
    #[serde(default)]
    done: String,
}

fn done_notice(code: &str) -> Option<String> {
    if code == "booked" {
        return Some("Detainee booked in".into());
    }
    SPECS
        .iter()
        .find(|s| s.code == code)
        .map(|s| format!("{} recorded", s.title))
}

#[allow(clippy::too_many_arguments)]
fn record_page(
    state: &AppState,
    user: &CurrentUser,
    view: &CustodyView,
    notice: Option<String>,
    errors: Vec<ErrorLink>,
    open: Option<&str>,
    data: Option<&FormData>,
    field_errors: &HashMap<String, String>,
    print: bool,
) -> RecordPage {
    let at_value = data
        .filter(|_| open.is_some())
        .map(|d| d.get("at").to_string())
        .unwrap_or_default();
    RecordPage {
        chrome: chrome(state, user, "custody"),
        id: view.record.id,
        version: view.record.version,
        notice,
        errors,
        marking_class: marking_class(view.record.marking.classification),
        marking_banner: view.record.marking.banner(),
        custody_number: view.custody.custody_number.clone(),
        station: view.custody.booking.station.clone(),
        detainee: view
            .detainee
            .as_ref()
            .map(|d| d.summary.clone())
            .unwrap_or_else(|| "Unknown".into()),
        detainee_href: view
            .detainee
            .as_ref()
            .map(|d| format!("/persons/{}", d.id))
            .unwrap_or_default(),
        booking: booking_rows(view),
        clock: clock_view(&view.status),
        entries: entry_views(view),
        sections: form_views(
            open,
            data,
            field_errors,
            &user.auth.principal.display_name,
            &default_rank(&user.auth.account_rank),
        ),
        at_value,
        station_query: super::urlencode(&view.custody.booking.station),
        print,
    }
}

async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    PageId(id): PageId,
    Query(p): Query<RecordParams>,
) -> Response {
    match state.custody.get(&user.caller, id).await {
        Ok(view) => render(
            StatusCode::OK,
            &record_page(
                &state,
                &user,
                &view,
                done_notice(&p.done),
                Vec::new(),
                None,
                None,
                &HashMap::new(),
                false,
            ),
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

#[derive(Template)]
#[template(path = "custody_print.html")]
struct PrintPage {
    page: RecordPage,
    printed: String,
}

async fn print(State(state): State<AppState>, user: CurrentUser, PageId(id): PageId) -> Response {
    match state.custody.get(&user.caller, id).await {
        Ok(view) => render(
            StatusCode::OK,
            &PrintPage {
                printed: format_instant(state.pole.clock().now()),
                page: record_page(
                    &state,
                    &user,
                    &view,
                    None,
                    Vec::new(),
                    None,
                    None,
                    &HashMap::new(),
                    true,
                ),
            },
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

async fn add_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    PageId(id): PageId,
    data: FormData,
) -> Response {
    let Some(spec) = SPECS.iter().find(|s| s.code == data.get("form")) else {
        return error_page(
            &state,
            &user,
            AppError::Invalid(ValidationErrors::single("form", "Choose what to record")),
        );
    };
    let base_version = data.get("base_version").trim().parse::<i64>().unwrap_or(0);
    let at = match data.get("at").trim() {
        "" => Ok(None),
        s => local_input(s).map(Some),
    };
    let result = match (at, entry_from_form(spec, &data)) {
        (Ok(at), Ok(kind)) => {
            state
                .custody
                .record(&user.caller, id, base_version, at, kind)
                .await
        }
        (Err(m), _) => Err(AppError::Invalid(ValidationErrors::single("at", m))),
        (_, Err(e)) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/custody/{id}?done={}", spec.code)).into_response(),
        Err(AppError::Invalid(v)) => match state.custody.get(&user.caller, id).await {
            Ok(view) => {
                let mut field_errors = HashMap::new();
                let mut errors = Vec::new();
                for f in v.0 {
                    let known = f.field == "at" || spec.questions.iter().any(|q| q.name == f.field);
                    let target = if f.field == "at" {
                        format!("{}-at", spec.code)
                    } else if known {
                        format!("{}-{}", spec.code, f.field.replace('.', "-"))
                    } else {
                        format!("{}-submit", spec.code)
                    };
                    errors.push(ErrorLink {
                        target,
                        message: f.message.clone(),
                    });
                    field_errors.entry(f.field).or_insert(f.message);
                }
                render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &record_page(
                        &state,
                        &user,
                        &view,
                        None,
                        errors,
                        Some(spec.code),
                        Some(&data),
                        &field_errors,
                        false,
                    ),
                )
            }
            Err(e) => error_page(&state, &user, e),
        },
        Err(e) => error_page(&state, &user, e),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/custody", get(board).post(book_in))
        .route("/custody/board", get(board_fragment))
        .route("/custody/new", get(new_form))
        .route("/custody/{id}", get(show))
        .route("/custody/{id}/print", get(print))
        .route("/custody/{id}/entries", post(add_entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    fn spec(code: &str) -> &'static Spec {
        SPECS.iter().find(|s| s.code == code).unwrap()
    }

    #[test]
    fn every_entry_form_names_a_distinct_code() {
        let mut codes: Vec<_> = SPECS.iter().map(|s| s.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), SPECS.len());
    }

    #[test]
    fn a_review_form_becomes_a_review_entry() {
        let kind = entry_from_form(
            spec("review"),
            &form(&[
                ("by.name", "Insp 12 Khan"),
                ("by.rank", "inspector"),
                ("mode", "telephone"),
                ("representations", "None"),
                ("decision", "continue_detention"),
                ("note", ""),
            ]),
        )
        .unwrap();
        match kind {
            EntryKind::Review { by, .. } => assert_eq!(by.rank, Rank::Inspector),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_answer_is_named_by_its_question() {
        let e = entry_from_form(
            spec("review"),
            &form(&[
                ("by.name", "Insp 12 Khan"),
                ("by.rank", "admiral"),
                ("mode", "telephone"),
                ("representations", "None"),
                ("decision", "continue_detention"),
            ]),
        )
        .unwrap_err();
        assert_eq!(e.0[0].field, "by.rank");
        let e = entry_from_form(
            spec("postpone"),
            &form(&[("by.rank", "inspector"), ("until", "yesterday")]),
        )
        .unwrap_err();
        assert_eq!(e.0[0].field, "until");
    }

    #[test]
    fn every_entry_form_with_its_defaults_becomes_its_entry_type() {
        // The first option of every list, today's time, and some text: each form must at
        // least produce an entry of its type (the rules may still refuse it).
        for spec in SPECS {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for q in spec.questions {
                let v = match q.input {
                    In::Text | In::Long | In::Lines => "Some text".to_string(),
                    In::When => "2026-11-30T10:00".to_string(),
                    In::Check => "yes".to_string(),
                    In::Roused => String::new(),
                    In::Rank => "inspector".to_string(),
                    In::Choice(opts) => opts[0].0.to_string(),
                    In::Number | In::EntryNumber => "1".to_string(),
                    In::Offence => {
                        pairs.push((format!("{}.description", q.name), "Theft".into()));
                        pairs.push((format!("{}.mode", q.name), "either_way".into()));
                        continue;
                    }
                    In::Const(_) | In::ConstTrue => continue,
                };
                pairs.push((q.name.to_string(), v));
            }
            let kind = entry_from_form(spec, &FormData(pairs))
                .unwrap_or_else(|e| panic!("{}: {e}", spec.code));
            assert_eq!(kind.code(), spec.entry_type, "{}", spec.code);
        }
    }

    #[test]
    fn corrections_are_numbered_as_users_see_entries() {
        match entry_from_form(spec("correction"), &form(&[("of", "3"), ("text", "x")])).unwrap() {
            EntryKind::Correction { of, .. } => assert_eq!(of, 2),
            other => panic!("{other:?}"),
        }
    }

    // ---------------------------------------------------------------- board alerts

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// A record booked in at Central: arrived 09:30, detention authorised at 10:00.
    fn booked() -> bluelamp_domain::custody::CustodyRecord {
        use bluelamp_domain::custody::{CustodyRecord, Entry, RiskOccasion};
        let at = t("2026-11-30T10:00:00Z");
        let mut c = CustodyRecord::open(
            "CEN/26/00001",
            Booking {
                station: "CENTRAL".into(),
                arrested_at: t("2026-11-30T09:10:00Z"),
                arrest_place: "High Street".into(),
                arresting_officer: "PC 1234 Jones".into(),
                grounds: "Seen leaving the shop with unpaid goods".into(),
                arrived_at: t("2026-11-30T09:30:00Z"),
                offences: vec![Offence {
                    description: "Theft from a shop".into(),
                    mode: TrialMode::EitherWay,
                }],
                regime: Regime::Pace,
                basis: RelevantTimeBasis::Arrival,
            },
            at,
        )
        .unwrap();
        for kind in [
            EntryKind::RiskAssessment {
                occasion: RiskOccasion::Booking,
                observation_level: 1,
                intoxicated: false,
                notes: String::new(),
            },
            EntryKind::DetentionAuthorised {
                by: Officer {
                    name: "PS 201 Patel".into(),
                    rank: Rank::Sergeant,
                },
                grounds: "To obtain evidence by questioning".into(),
            },
        ] {
            c.append(Entry::new(at, "PS 201 Patel", kind), at).unwrap();
        }
        c
    }

    /// A real status as at `now`, then with its due list and time left set by the test.
    fn clock(now: Timestamp, due: Vec<Due>, time_left: SignedDuration) -> ClockStatus {
        let mut s = bluelamp_domain::custody::status(&booked(), now);
        s.due = due;
        s.time_left = time_left;
        s
    }

    fn due(what: DueKind, at: Timestamp, now: Timestamp) -> Due {
        Due {
            what,
            at,
            overdue: now > at,
            note: String::new(),
        }
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    #[test]
    fn alerts_count_overdue_and_due_soon_actions_and_detentions_near_their_limit() {
        let now = t("2026-11-30T12:00:00Z");
        let at = |m: i64| now.checked_add(mins(m)).unwrap();
        let busy = clock(
            now,
            vec![
                due(DueKind::Visit, at(-20), now),
                due(DueKind::Review, at(-1), now),
                due(DueKind::Meal, at(10), now),
                due(DueKind::Rest, at(30), now),
                // The limit is counted by detention, never as an action.
                due(DueKind::LimitReached, at(5), now),
            ],
            mins(5),
        );
        let quiet = clock(
            now,
            vec![due(DueKind::Visit, at(40), now)],
            SignedDuration::from_hours(20),
        );
        let near = clock(
            now,
            vec![due(DueKind::Rouse, at(14), now)],
            SignedDuration::from_hours(2),
        );
        let a = board_alerts([&busy, &quiet, &near], now);
        assert_eq!(
            a,
            BoardAlerts {
                overdue: 2,
                due_soon: 2,
                limit_soon: 2,
                past_limit: 0,
            }
        );
        assert!(a.urgent());
        assert_eq!(
            a.text(),
            "2 actions overdue · 2 actions due in the next 15 minutes · 2 detentions within 2 hours of their limit"
        );
    }

    #[test]
    fn alert_windows_end_exactly_at_fifteen_minutes_and_two_hours() {
        let now = t("2026-11-30T12:00:00Z");
        let edge = now.checked_add(DUE_SOON).unwrap();
        let past_edge = edge.checked_add(SignedDuration::from_secs(1)).unwrap();
        let at_edge = clock(now, vec![due(DueKind::Visit, edge, now)], LIMIT_SOON);
        let beyond = clock(
            now,
            vec![due(DueKind::Visit, past_edge, now)],
            LIMIT_SOON + SignedDuration::from_secs(1),
        );
        assert_eq!(
            board_alerts([&at_edge], now),
            BoardAlerts {
                due_soon: 1,
                limit_soon: 1,
                ..Default::default()
            }
        );
        assert_eq!(board_alerts([&beyond], now), BoardAlerts::default());
    }

    #[test]
    fn past_the_limit_charged_and_released_detainees_are_not_near_their_limit() {
        let now = t("2026-11-30T12:00:00Z");
        let over = clock(now, vec![], mins(-10));
        let reached = clock(now, vec![], SignedDuration::ZERO);
        let mut charged = clock(now, vec![], mins(30));
        charged.charged_at = Some(t("2026-11-30T11:00:00Z"));
        let mut released = clock(
            now,
            vec![due(DueKind::Visit, t("2026-11-30T11:00:00Z"), now)],
            mins(30),
        );
        released.in_custody = false;
        let a = board_alerts([&over, &reached, &charged, &released], now);
        assert_eq!(
            a,
            BoardAlerts {
                past_limit: 2,
                ..Default::default()
            }
        );
        assert!(a.urgent());
        assert_eq!(a.text(), "2 detentions past their limit");
        assert_eq!(
            board_alerts([&clock(now, vec![], mins(-1))], now).text(),
            "1 detention past its limit"
        );
    }

    #[test]
    fn a_quiet_board_says_so() {
        let now = t("2026-11-30T12:00:00Z");
        let a = board_alerts(std::iter::empty(), now);
        assert!(!a.urgent());
        assert_eq!(
            a.text(),
            "Nothing overdue or due in the next 15 minutes; no detention within 2 hours of its limit"
        );
        let one = BoardAlerts {
            overdue: 1,
            due_soon: 1,
            limit_soon: 1,
            past_limit: 0,
        };
        assert_eq!(
            one.text(),
            "1 action overdue · 1 action due in the next 15 minutes · 1 detention within 2 hours of its limit"
        );
    }

    #[test]
    fn the_first_cell_visit_comes_due_then_overdue_as_the_clock_moves() {
        // Detention authorised at 10:00: the first visit is due at 11:00.
        let record = booked();
        let at = |s: &str| {
            let now = t(s);
            board_alerts([&bluelamp_domain::custody::status(&record, now)], now)
        };
        assert_eq!(at("2026-11-30T10:44:00Z"), BoardAlerts::default());
        assert_eq!(at("2026-11-30T10:50:00Z").due_soon, 1);
        assert_eq!(at("2026-11-30T11:01:00Z").overdue, 1);
        // 24 hours from arrival at 09:30: near the limit from 07:30 the next day.
        assert_eq!(at("2026-12-01T07:29:00Z").limit_soon, 0);
        assert_eq!(at("2026-12-01T07:30:00Z").limit_soon, 1);
        assert_eq!(at("2026-12-01T09:30:00Z").past_limit, 1);
    }

    #[test]
    fn the_board_fragment_shows_the_summary_and_tags_rows() {
        let now = t("2026-11-30T12:00:00Z");
        let at = |m: i64| now.checked_add(mins(m)).unwrap();
        let row = |n: &str, status: ClockStatus| BoardRow {
            id: RecordId::new_at(now),
            version: 2,
            marking: Marking::new(Classification::OfficialSensitive, vec![], vec![]),
            custody: {
                let mut c = booked();
                c.custody_number = n.into();
                c
            },
            detainee: None,
            status,
        };
        let rows = [
            row(
                "CEN/26/00001",
                clock(
                    now,
                    vec![
                        due(DueKind::Visit, at(5), now),
                        due(DueKind::Review, at(12), now),
                    ],
                    mins(90),
                ),
            ),
            row(
                "CEN/26/00002",
                clock(now, vec![due(DueKind::Visit, at(50), now)], mins(600)),
            ),
        ];
        let items: Vec<BoardItem> = rows.iter().map(board_item).collect();
        assert!(items[0].next.as_ref().unwrap().soon && items[0].limit_soon);
        assert_eq!(items[0].also_soon, ["Review 12:12"]);
        assert!(!items[1].next.as_ref().unwrap().soon && !items[1].limit_soon);
        let html = BoardRows {
            station: "CENTRAL".into(),
            station_query: "CENTRAL".into(),
            items,
            alerts: board_alerts(rows.iter().map(|r| &r.status), now),
            updated: "12:00:00".into(),
        }
        .render()
        .unwrap();
        assert!(html.contains(r#"role="status""#), "{html}");
        assert!(
            html.contains("2 actions due in the next 15 minutes · 1 detention within 2 hours"),
            "{html}"
        );
        // The next action and the one due soon after it.
        assert_eq!(html.matches(">Due soon<").count(), 2, "{html}");
        assert!(html.contains("Due soon</strong> Review 12:12"), "{html}");
        assert_eq!(html.matches(">Limit soon<").count(), 1, "{html}");
        assert!(!html.contains("Overdue"), "{html}");
    }

    #[test]
    fn local_times_are_uk_times() {
        let summer = local_input("2026-07-01T10:00").unwrap();
        assert_eq!(summer.to_string(), "2026-07-01T09:00:00Z");
        assert!(local_input("2026-13-01T10:00").is_err());
    }
}
