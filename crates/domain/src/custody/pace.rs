//! The PACE detention-clock engine: pure functions of a [`CustodyRecord`] and the time now.
//!
//! All limit arithmetic is in real elapsed time (`Timestamp` and `SignedDuration`), so a
//! detention across the Europe/London clock change is still exactly 24 hours. The
//! "detention clock" is the time that counts towards the limits: from the relevant time,
//! over every period in custody (it carries on after a return on bail, s47(6)), less time at
//! or travelling to hospital when the detainee was not being questioned (s41(6)).
//!
//! Needs a legal check before live use: the numbers follow `shared/domain/rules.md`, but
//! some citations in the messages are the authors' reading rather than checked against the
//! statute and codes: s42(4)(a)/(b), s43(5), s43(12), s44(3); Code C 8.6, 9.3, 12.2, 3.6 to
//! 3.10 and Annex H; TACT Schedule 8 paras 8, 21, 24 and 36; and the extra 3 hours after an
//! arrest for breach of pre-charge bail conditions (see [`BREACH_EXTRA_HOURS`]). Under the
//! Terrorism Act the limit is a flat 14 days from arrest and warrants do not move it.

use super::error::CustodyError;
use super::model::{
    CustodyRecord, Disposal, Entry, EntryKind, Officer, Regime, RelevantTimeBasis, Right,
    RiskOccasion, line,
};
use super::rank::Rank;
use crate::ValidationErrors;
use crate::time::{format_date, format_instant, london, london_date};
use jiff::{SignedDuration, Span, Timestamp};
use serde::{Deserialize, Serialize};

/// Hours of detention without charge from the relevant time (s41(1)).
pub const STANDARD_LIMIT_HOURS: i64 = 24;
/// The furthest a superintendent may extend detention, in hours after the relevant time (s42).
pub const SUPERINTENDENT_MAX_HOURS: u32 = 36;
/// The longest a warrant of further detention, or its extension, may run (s43(12), s44(3)).
pub const WARRANT_MAX_HOURS: u32 = 36;
/// The time after the 36-hour point within which a warrant may still be sought when no court
/// could sit (s43(5)(b)).
pub const WARRANT_GRACE_HOURS: i64 = 6;
/// The absolute maximum of PACE detention without charge, from the relevant time (s44(3)).
pub const PACE_MAX_HOURS: i64 = 96;
/// The absolute maximum of Terrorism Act detention, from arrest (TACT Sch 8).
pub const TERRORISM_MAX_DAYS: i64 = 14;
/// Extra hours on the clock after an arrest for breach of pre-charge bail conditions.
///
/// rules.md: "since 28 Oct 2022 an arrest for breach of pre-charge bail conditions allows an
/// extra 3 hours". TODO(verify): confirm the exact provision (Police, Crime, Sentencing and
/// Courts Act 2022 amendments to PACE) and whether the 3 hours are added to the remaining
/// time on each such arrest, as this engine does, or apply otherwise.
pub const BREACH_EXTRA_HOURS: i64 = 3;
/// First review of detention, hours after detention is first authorised (s40(3)(a)).
pub const FIRST_REVIEW_HOURS: i64 = 6;
/// Later reviews, at most this many hours apart (s40(3)(b), (c)).
pub const REVIEW_INTERVAL_HOURS: i64 = 9;
/// Terrorism Act reviews, at most this many hours apart (TACT Sch 8 para 21).
pub const TERRORISM_REVIEW_HOURS: i64 = 12;
/// Rights may be delayed to at most this many hours after the relevant time (s56(3), s58(5)).
pub const RIGHT_DELAY_MAX_HOURS: i64 = 36;
/// Under the Terrorism Act rights may be delayed to at most 48 hours after arrest
/// (TACT Sch 8 para 8).
pub const TERRORISM_RIGHT_DELAY_MAX_HOURS: i64 = 48;

const fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

const fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

/// `t + d`, saturating at the ends of the representable range.
fn plus(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.saturating_add(d).unwrap_or(if d.is_negative() {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// A duration for a sentence: `23 h 5 min`, `45 min`, `-1 h 10 min`.
pub fn format_duration(d: SignedDuration) -> String {
    let sign = if d.is_negative() { "-" } else { "" };
    let total = d.abs().as_mins();
    let (h, m) = (total / 60, total % 60);
    match (h, m) {
        (0, m) => format!("{sign}{m} min"),
        (h, 0) => format!("{sign}{h} h"),
        (h, m) => format!("{sign}{h} h {m} min"),
    }
}

/// The relevant time (the start of the detention clock) and which rule fixed it.
pub fn relevant_time(booking: &super::model::Booking) -> (Timestamp, &'static str) {
    if booking.regime == Regime::Terrorism {
        return (
            booking.arrested_at,
            "the time of arrest under section 41 of the Terrorism Act 2000 (Sch 8)",
        );
    }
    let earlier_of = |arrival: Option<Timestamp>,
                      cap: Timestamp,
                      arrival_reason: &'static str,
                      cap_reason: &'static str| match arrival {
        Some(a) if a <= cap => (a, arrival_reason),
        _ => (cap, cap_reason),
    };
    match &booking.basis {
        RelevantTimeBasis::Arrival => (
            booking.arrived_at,
            "arrival at the first police station after arrest (s41(2)(d))",
        ),
        RelevantTimeBasis::OtherForceArea {
            arrival_in_investigating_area,
        } => earlier_of(
            *arrival_in_investigating_area,
            plus(booking.arrested_at, hours(24)),
            "arrival at the first police station in the investigating area (s41(2)(a))",
            "24 hours after the arrest in another police area, earlier than arrival in the investigating area (s41(2)(a), (3))",
        ),
        RelevantTimeBasis::OutsideEnglandAndWales {
            entered_england_wales_at,
            arrival_in_investigating_area,
        } => earlier_of(
            *arrival_in_investigating_area,
            plus(*entered_england_wales_at, hours(24)),
            "arrival at the first police station in the investigating area after arrest outside England and Wales (s41(2)(b))",
            "24 hours after entering England and Wales, earlier than arrival in the investigating area (s41(2)(b))",
        ),
        RelevantTimeBasis::VoluntaryAttendance => (
            booking.arrested_at,
            "the time of arrest at the station after attending voluntarily (s41(2)(c))",
        ),
        RelevantTimeBasis::StreetBail => (
            booking.arrived_at,
            "arrival at the station to answer street bail (s41(2)(ca))",
        ),
    }
}

/// The months of pre-charge bail (from the first bail date) a rank may authorise: 3 for the
/// custody officer (a sergeant), 6 for an inspector, 9 for a superintendent; beyond that only
/// a magistrates' court. `None` for a constable.
pub fn pre_charge_bail_limit(rank: Rank) -> Option<u32> {
    match rank {
        Rank::Constable => None,
        Rank::Sergeant => Some(3),
        Rank::Inspector | Rank::ChiefInspector => Some(6),
        _ => Some(9),
    }
}

// ---------------------------------------------------------------------------------------
// Status

/// What is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    /// A review of detention.
    Review,
    /// A cell visit.
    Visit,
    /// A cell visit with rousing (intoxicated detainee).
    Rouse,
    /// A meal.
    Meal,
    /// The start of an 8-hour rest.
    Rest,
    /// A risk assessment.
    RiskAssessment,
    /// The end of the authorised detention.
    LimitReached,
    /// The end of a delay of a right.
    RightDelayEnds,
}

/// One action that is due, upcoming or overdue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Due {
    /// What.
    pub what: DueKind,
    /// By when.
    pub at: Timestamp,
    /// `now` is past `at`.
    pub overdue: bool,
    /// Why, naming the rule.
    pub note: String,
}

/// What currently authorises the detention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LimitBasis {
    /// 24 hours from the relevant time (s41(1)).
    Standard24,
    /// A superintendent's extension (s42) to `until_hours` after the relevant time.
    Superintendent36 {
        /// Hours after the relevant time.
        until_hours: u32,
    },
    /// A warrant of further detention (s43) or its extension (s44).
    Warrant {
        /// The issuing court.
        court: String,
        /// When issued.
        issued_at: Timestamp,
        /// Hours from issue.
        hours: u32,
    },
    /// The Terrorism Act maximum of 14 days from arrest.
    Terrorism14Days,
}

/// When the currently authorised detention ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetentionLimit {
    /// The instant the authorised detention ends, if the clock runs from now without a
    /// break (already shifted by uncounted hospital time and by time on bail).
    pub at: Timestamp,
    /// The detention-clock time authorised in all (24 h, 36 h, ...; plus 3 h for a breach
    /// arrest).
    pub allowed: SignedDuration,
    /// What authorises it.
    pub basis: LimitBasis,
    /// The same in a sentence.
    pub reason: String,
}

/// Which authorisation an option is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorisationKind {
    /// A review of detention.
    Review,
    /// An extension to 36 hours (s42).
    Extension36,
    /// A warrant of further detention or its extension (s43, s44).
    Warrant,
    /// Delaying legal advice (s58).
    DelayLegalAdvice,
    /// Delaying telling someone of the arrest (s56).
    DelaySomeoneInformed,
    /// Pre-charge bail up to 3 months.
    PreChargeBail3,
    /// Pre-charge bail up to 6 months.
    PreChargeBail6,
    /// Pre-charge bail up to 9 months.
    PreChargeBail9,
}

/// Whether an authorisation could be given now, by whom, and by when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorisationOption {
    /// Which authorisation.
    pub kind: AuthorisationKind,
    /// The lowest rank that may give it (for a warrant: the applicant; the court issues it).
    pub min_rank: Rank,
    /// `Ok` when it could be given now, otherwise why not.
    pub possible: Result<(), String>,
    /// The latest instant it could be given, when there is one.
    pub latest_at: Option<Timestamp>,
}

/// The state of the detention clock and everything due, as at `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockStatus {
    /// The time the status was worked out for.
    pub now: Timestamp,
    /// The start of the detention clock.
    pub relevant_time: Timestamp,
    /// Which rule fixed it.
    pub relevant_time_reason: String,
    /// PACE or the Terrorism Act.
    pub regime: Regime,
    /// In custody now (false after a disposal; true again after a return on bail).
    pub in_custody: bool,
    /// At (or travelling to or from) hospital now.
    pub at_hospital: bool,
    /// The clock is counting now.
    pub clock_running: bool,
    /// When detention was first authorised in the current period in custody.
    pub detention_authorised_at: Option<Timestamp>,
    /// When the detainee was charged (the pre-charge limit then no longer applies).
    pub charged_at: Option<Timestamp>,
    /// Detention-clock time used, over every period in custody, less uncounted hospital
    /// time.
    pub detained_for: SignedDuration,
    /// When the authorised detention ends.
    pub limit: DetentionLimit,
    /// `limit.allowed - detained_for`; negative when over.
    pub time_left: SignedDuration,
    /// The next review of detention.
    pub next_review: Option<Due>,
    /// The next cell visit (kind `Rouse` when rousing is required).
    pub next_visit: Option<Due>,
    /// The next meal owed.
    pub next_meal: Option<Due>,
    /// When the next continuous 8-hour rest must start.
    pub rest: Option<Due>,
    /// A risk assessment that must be done.
    pub risk_assessment_due: Option<Due>,
    /// Everything due, earliest first.
    pub due: Vec<Due>,
    /// Things the custody officer must see now.
    pub warnings: Vec<String>,
    /// Which authorisations are possible now, by which rank, and why not.
    pub authorisations: Vec<AuthorisationOption>,
}

type Iv = (Timestamp, Timestamp);

fn normalise(mut v: Vec<Iv>) -> Vec<Iv> {
    v.retain(|(a, b)| a < b);
    v.sort();
    let mut out: Vec<Iv> = Vec::with_capacity(v.len());
    for (a, b) in v {
        if let Some(last) = out.last_mut()
            && a <= last.1
        {
            if b > last.1 {
                last.1 = b;
            }
            continue;
        }
        out.push((a, b));
    }
    out
}

/// `a` less `b`; both normalised.
fn subtract(a: &[Iv], b: &[Iv]) -> Vec<Iv> {
    let mut out = Vec::new();
    for &(s, e) in a {
        let mut cur = s;
        for &(bs, be) in b {
            if be <= cur || bs >= e {
                continue;
            }
            if bs > cur {
                out.push((cur, bs));
            }
            cur = cur.max(be);
            if cur >= e {
                break;
            }
        }
        if cur < e {
            out.push((cur, e));
        }
    }
    out
}

/// One stay in custody: from booking (or a return on bail) to a disposal.
#[derive(Debug, Clone)]
struct Period {
    /// Index of the entry that opened it (the `BailReturn`), `None` for the booking.
    opened_by: Option<usize>,
    arrived: Timestamp,
    clock_from: Timestamp,
    breach: bool,
    /// The disposal that ended it: time, entry index.
    ended: Option<(Timestamp, usize)>,
}

/// The record worked through once, as at `now`.
struct Timeline<'a> {
    record: &'a CustodyRecord,
    now: Timestamp,
    rt: Timestamp,
    rt_reason: &'static str,
    periods: Vec<Period>,
    hospital: Vec<Iv>,
    counted: Vec<Iv>,
    at_hospital: bool,
    charged_at: Option<Timestamp>,
}

impl<'a> Timeline<'a> {
    fn new(record: &'a CustodyRecord, now: Timestamp) -> Self {
        let (rt, rt_reason) = relevant_time(&record.booking);
        let mut periods = vec![Period {
            opened_by: None,
            arrived: record.booking.arrived_at,
            clock_from: rt,
            breach: false,
            ended: None,
        }];
        let mut hospital = Vec::new();
        let mut questioned = Vec::new();
        let mut left_for_hospital: Option<Timestamp> = None;
        let mut charged_at = None;
        for (i, e) in record.entries.iter().enumerate() {
            match &e.kind {
                EntryKind::Disposal { .. } => {
                    if let Some(p) = periods.last_mut()
                        && p.ended.is_none()
                    {
                        p.ended = Some((e.at, i));
                    }
                    if let Some(from) = left_for_hospital.take() {
                        hospital.push((from, e.at));
                    }
                }
                EntryKind::BailReturn {
                    arrived_at,
                    breach_arrest,
                } => periods.push(Period {
                    opened_by: Some(i),
                    arrived: *arrived_at,
                    clock_from: *arrived_at,
                    breach: *breach_arrest,
                    ended: None,
                }),
                EntryKind::HospitalDeparted => left_for_hospital = Some(e.at),
                EntryKind::HospitalReturned => {
                    if let Some(from) = left_for_hospital.take() {
                        hospital.push((from, e.at));
                    }
                }
                EntryKind::QuestionedInHospital { from, to } => questioned.push((*from, *to)),
                EntryKind::Charged { .. } if charged_at.is_none() => charged_at = Some(e.at),
                _ => {}
            }
        }
        let at_hospital = left_for_hospital.is_some();
        if let Some(from) = left_for_hospital {
            hospital.push((from, now.max(from)));
        }
        let clock: Vec<Iv> = periods
            .iter()
            .map(|p| (p.clock_from, p.ended.map_or(now, |(at, _)| at)))
            .collect();
        let hospital = normalise(hospital);
        let uncounted = subtract(&hospital, &normalise(questioned));
        let counted = subtract(&normalise(clock), &uncounted);
        Timeline {
            record,
            now,
            rt,
            rt_reason,
            periods,
            hospital,
            counted,
            at_hospital,
            charged_at,
        }
    }

    fn regime(&self) -> Regime {
        self.record.booking.regime
    }

    fn current(&self) -> &Period {
        // `periods` always holds the booking's period.
        &self.periods[self.periods.len() - 1]
    }

    fn in_custody(&self) -> bool {
        self.current().ended.is_none()
    }

    /// The entries of the current period in custody, with their indexes.
    fn current_entries(&self) -> impl Iterator<Item = (usize, &'a Entry)> + '_ {
        let from = self.current().opened_by.map_or(0, |i| i + 1);
        self.record.entries.iter().enumerate().skip(from)
    }

    /// Detention-clock time used up to `t` (at most `now`).
    fn used_at(&self, t: Timestamp) -> SignedDuration {
        self.counted
            .iter()
            .filter(|(s, _)| *s < t)
            .map(|(s, e)| (*e).min(t).duration_since(*s))
            .sum()
    }

    fn used(&self) -> SignedDuration {
        self.used_at(self.now)
    }

    /// Where the clock runs from if it runs without a break from now.
    fn running_from(&self) -> Timestamp {
        if self.in_custody() {
            self.now.max(self.current().clock_from)
        } else {
            self.now
        }
    }

    fn clock_running(&self) -> bool {
        self.in_custody() && !self.at_hospital && self.now >= self.current().clock_from
    }

    /// The instant the clock reaches `v`: in the past when already used, otherwise assuming
    /// it runs from now without a break.
    fn instant_at(&self, v: SignedDuration) -> Timestamp {
        let used = self.used();
        if v > used {
            return plus(self.running_from(), v - used);
        }
        let mut acc = SignedDuration::ZERO;
        for (s, e) in &self.counted {
            let len = e.duration_since(*s);
            if acc + len >= v {
                return plus(*s, v - acc);
            }
            acc += len;
        }
        self.counted.first().map_or(self.rt, |(s, _)| *s)
    }

    /// The clock projected to a future (or past) instant `t`, from the entry time `at`.
    fn projected(&self, at: Timestamp, t: Timestamp) -> SignedDuration {
        self.used_at(at) + t.duration_since(at)
    }

    fn ext_hours(&self) -> Option<u32> {
        self.record
            .entries
            .iter()
            .filter_map(|e| match e.kind {
                EntryKind::Extension { until_hours, .. } => Some(until_hours),
                _ => None,
            })
            .max()
    }

    fn latest_warrant(&self) -> Option<(&'a str, Timestamp, u32)> {
        self.record
            .entries
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EntryKind::Warrant {
                    court,
                    issued_at,
                    hours,
                } => Some((court.as_str(), *issued_at, *hours)),
                _ => None,
            })
    }

    fn breaches(&self) -> i64 {
        self.periods.iter().filter(|p| p.breach).count() as i64
    }

    /// The detention-clock time authorised in all, and by what.
    fn allowed(&self) -> (SignedDuration, LimitBasis, String) {
        if self.regime() == Regime::Terrorism {
            return (
                hours(TERRORISM_MAX_DAYS * 24),
                LimitBasis::Terrorism14Days,
                "the Terrorism Act maximum of 14 days from arrest (TACT Sch 8 Part III); detention beyond 48 hours needs a warrant from a judicial authority".into(),
            );
        }
        let breaches = self.breaches();
        let breach_note = if breaches > 0 {
            format!(
                ", plus {} h for an arrest for breach of pre-charge bail conditions",
                breaches * BREACH_EXTRA_HOURS
            )
        } else {
            String::new()
        };
        let (mut allowed, mut basis, mut reason) = match self.ext_hours() {
            Some(h) if i64::from(h) > STANDARD_LIMIT_HOURS => (
                hours(i64::from(h)),
                LimitBasis::Superintendent36 { until_hours: h },
                format!(
                    "{h} hours from the relevant time, extended by a superintendent (s42){breach_note}"
                ),
            ),
            _ => (
                hours(STANDARD_LIMIT_HOURS),
                LimitBasis::Standard24,
                format!("24 hours from the relevant time (s41(1)){breach_note}"),
            ),
        };
        allowed += hours(breaches * BREACH_EXTRA_HOURS);
        if let Some((court, issued_at, h)) = self.latest_warrant() {
            let end = self.used_at(issued_at) + hours(i64::from(h));
            if end >= allowed {
                allowed = end;
                reason = format!(
                    "a warrant of further detention issued by {court} at {} for {h} hours from issue (s43, s44)",
                    format_instant(issued_at)
                );
                basis = LimitBasis::Warrant {
                    court: court.to_string(),
                    issued_at,
                    hours: h,
                };
            }
        }
        if allowed > hours(PACE_MAX_HOURS) {
            allowed = hours(PACE_MAX_HOURS);
            reason.push_str("; capped at the absolute maximum of 96 hours (s44(3))");
        }
        (allowed, basis, reason)
    }

    fn charged(&self) -> bool {
        self.charged_at.is_some()
    }

    fn first_authorised(&self) -> Option<Timestamp> {
        self.current_entries().find_map(|(_, e)| match e.kind {
            EntryKind::DetentionAuthorised { .. } => Some(e.at),
            _ => None,
        })
    }

    fn latest_risk(&self) -> Option<(&'a Entry, u8, bool)> {
        fn risk(e: &Entry) -> Option<(&Entry, u8, bool)> {
            match e.kind {
                EntryKind::RiskAssessment {
                    observation_level,
                    intoxicated,
                    ..
                } => Some((e, observation_level, intoxicated)),
                _ => None,
            }
        }
        let from = self.current().opened_by.map_or(0, |i| i + 1);
        let entries = &self.record.entries;
        entries
            .get(from..)
            .and_then(|current| current.iter().rev().find_map(risk))
            .or_else(|| entries.iter().rev().find_map(risk))
    }

    fn rousing_required(&self) -> bool {
        matches!(self.latest_risk(), Some((_, _, true)))
    }

    fn resting(&self) -> bool {
        let mut resting = false;
        for (_, e) in self.current_entries() {
            match e.kind {
                EntryKind::RestStarted => resting = true,
                EntryKind::RestEnded => resting = false,
                _ => {}
            }
        }
        resting
    }

    /// The latest delay of `right` that has not been ended: its entry, officer and end.
    fn active_delay(&self, right: Right) -> Option<(&'a Officer, Timestamp)> {
        let mut active = None;
        for e in &self.record.entries {
            match &e.kind {
                EntryKind::RightDelayed {
                    right: r,
                    by,
                    until,
                    ..
                } if *r == right => active = Some((by, *until)),
                EntryKind::RightDelayEnded { right: r } if *r == right => active = None,
                _ => {}
            }
        }
        active
    }

    fn pre_charge_reviews_before(&self, t: Timestamp) -> usize {
        let charged = self.charged_at;
        self.record
            .entries
            .iter()
            .filter(|e| matches!(e.kind, EntryKind::Review { .. }))
            .filter(|e| e.at <= t && charged.is_none_or(|c| e.at < c))
            .count()
    }

    /// The lowest rank that may review detention at `t`, and the rule.
    fn review_rank(&self, t: Timestamp) -> (Rank, &'static str) {
        match self.regime() {
            Regime::Terrorism => {
                if t.duration_since(self.record.booking.arrested_at) <= hours(24) {
                    (Rank::Inspector, "TACT Sch 8 para 24")
                } else {
                    (Rank::Superintendent, "TACT Sch 8 para 24")
                }
            }
            Regime::Pace if self.charged() => (Rank::Sergeant, "PACE s40(1)(a)"),
            Regime::Pace => (Rank::Inspector, "PACE s40(1)(b)"),
        }
    }

    fn overdue(&self, at: Timestamp) -> bool {
        self.now > at
    }

    fn due(&self, what: DueKind, at: Timestamp, note: impl Into<String>) -> Due {
        Due {
            what,
            at,
            overdue: self.overdue(at),
            note: note.into(),
        }
    }

    fn next_review(&self) -> Option<Due> {
        if !self.in_custody() {
            return None;
        }
        let t0 = self.first_authorised()?;
        let (first, interval) = match self.regime() {
            Regime::Pace => (hours(FIRST_REVIEW_HOURS), hours(REVIEW_INTERVAL_HOURS)),
            Regime::Terrorism => (hours(TERRORISM_REVIEW_HOURS), hours(TERRORISM_REVIEW_HOURS)),
        };
        let mut due = plus(t0, first);
        let mut postponed: Option<(Timestamp, &str)> = None;
        for (_, e) in self.current_entries() {
            match &e.kind {
                EntryKind::Review { .. } if e.at >= t0 => {
                    // A late (postponed) review does not move the later ones (s40(7)).
                    let anchor = e.at.min(due);
                    due = plus(anchor, interval);
                    postponed = None;
                }
                EntryKind::ReviewPostponed { until, reason, .. } if e.at >= t0 => {
                    postponed = Some((*until, reason.as_str()));
                }
                _ => {}
            }
        }
        let (rank, rule) = self.review_rank(self.now);
        let who = match (self.regime(), self.charged()) {
            (Regime::Pace, true) => format!(
                "Review by the custody officer after charge ({rule}); the pre-charge review rules no longer apply"
            ),
            (Regime::Pace, false) => format!(
                "Review by {} or above not involved in the investigation ({rule}): first within 6 hours of detention being authorised, then every 9 hours",
                rank.in_sentence()
            ),
            (Regime::Terrorism, _) => format!(
                "Review by {} or above ({rule}), at most every 12 hours",
                rank.in_sentence()
            ),
        };
        Some(match postponed {
            Some((until, reason)) => self.due(
                DueKind::Review,
                until,
                format!(
                    "{who}. Postponed from {} (s40(4)): {reason}",
                    format_instant(due)
                ),
            ),
            None => self.due(DueKind::Review, due, who),
        })
    }

    fn next_visit(&self) -> Option<Due> {
        if !self.in_custody() || self.at_hospital {
            return None;
        }
        // From the latest visit; before the first, from when detention was authorised.
        let anchor = self
            .current_entries()
            .filter(|(_, e)| matches!(e.kind, EntryKind::CellVisit { .. }))
            .map(|(_, e)| e.at)
            .last()
            .or_else(|| self.first_authorised())
            .unwrap_or(self.current().arrived);
        let (interval, what, note) = match self.latest_risk() {
            Some((_, _, true)) => (
                mins(30),
                DueKind::Rouse,
                "Visit and rouse at least every 30 minutes: intoxicated (Code C 9.3, Annex H)"
                    .to_string(),
            ),
            Some((_, 2, false)) => (
                mins(30),
                DueKind::Visit,
                "Observation level 2: visit at least every 30 minutes".to_string(),
            ),
            Some((_, level, false)) if level >= 3 => (
                mins(30),
                DueKind::Visit,
                format!(
                    "Observation level {level} ({}): record a check at least every 30 minutes",
                    if level == 3 {
                        "constant observation"
                    } else {
                        "close proximity"
                    }
                ),
            ),
            _ => (
                mins(60),
                DueKind::Visit,
                "Visit at least every hour (Code C 9.3)".to_string(),
            ),
        };
        Some(self.due(what, plus(anchor, interval), note))
    }

    fn next_meal(&self) -> Option<Due> {
        if !self.in_custody() {
            return None;
        }
        let start = self.current().arrived;
        let mut last_any = start;
        let mut last_main = start;
        for (_, e) in self.current_entries() {
            if let EntryKind::Meal { main } = e.kind {
                last_any = e.at;
                if main {
                    last_main = e.at;
                }
            }
        }
        let light_at = plus(last_any, hours(8));
        let main_at = plus(last_main, hours(24));
        Some(if main_at <= light_at {
            self.due(
                DueKind::Meal,
                main_at,
                "A main meal is owed: at least 2 light and 1 main meal in any 24 hours (Code C 8.6)",
            )
        } else {
            self.due(
                DueKind::Meal,
                light_at,
                "A meal is owed: at least 2 light and 1 main meal in any 24 hours (Code C 8.6)",
            )
        })
    }

    fn rest(&self) -> Option<Due> {
        if !self.in_custody() || self.resting() {
            return None;
        }
        let mut anchor = self.current().arrived;
        let mut started: Option<Timestamp> = None;
        for (_, e) in self.current_entries() {
            match e.kind {
                EntryKind::RestStarted => started = Some(e.at),
                EntryKind::RestEnded => {
                    if let Some(s) = started.take()
                        && e.at.duration_since(s) >= hours(8)
                    {
                        anchor = e.at;
                    }
                }
                _ => {}
            }
        }
        Some(self.due(
            DueKind::Rest,
            plus(anchor, hours(16)),
            "Start a continuous 8 hours' rest, free from questioning and travel, so there is one in every 24 hours (Code C 12.2)",
        ))
    }

    fn risk_assessment_due(&self) -> Option<Due> {
        if !self.in_custody() {
            return None;
        }
        // Only assessments in the current period in custody count.
        let assessed = |since: Timestamp, occasion: Option<RiskOccasion>| {
            self.current_entries().any(|(_, e)| {
                matches!(e.kind, EntryKind::RiskAssessment { occasion: o, .. }
                    if e.at >= since && occasion.is_none_or(|want| want == o))
            })
        };
        let p = self.current();
        if !assessed(Timestamp::MIN, None) {
            let note = if p.opened_by.is_some() {
                "Risk assessment on return on bail, before detention is authorised (Code C 3.6)"
            } else {
                "Risk assessment at booking in, before detention is authorised (Code C 3.6)"
            };
            return Some(self.due(DueKind::RiskAssessment, p.arrived, note));
        }
        match self.charged_at {
            Some(c) if !assessed(c, Some(RiskOccasion::Charge)) => Some(self.due(
                DueKind::RiskAssessment,
                c,
                "Re-do the risk assessment at charge",
            )),
            _ => None,
        }
    }
}

/// The detention clock and everything due, as at `now`.
pub fn status(record: &CustodyRecord, now: Timestamp) -> ClockStatus {
    let tl = Timeline::new(record, now);
    let used = tl.used();
    let (allowed, basis, reason) = tl.allowed();
    let time_left = allowed - used;
    let limit = DetentionLimit {
        at: tl.instant_at(allowed),
        allowed,
        basis,
        reason,
    };
    let in_custody = tl.in_custody();
    let pre_charge = in_custody && !tl.charged();

    let next_review = tl.next_review();
    let next_visit = tl.next_visit();
    let next_meal = tl.next_meal();
    let rest = tl.rest();
    let risk_assessment_due = tl.risk_assessment_due();
    let mut due: Vec<Due> = [
        &next_review,
        &next_visit,
        &next_meal,
        &rest,
        &risk_assessment_due,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    let mut warnings = Vec::new();

    if pre_charge {
        due.push(tl.due(
            DueKind::LimitReached,
            limit.at,
            format!(
                "The detention limit: {}. Charge or release by then, or get an extension or warrant (s41(7))",
                limit.reason
            ),
        ));
        if time_left <= SignedDuration::ZERO {
            warnings.push(format!(
                "The detention limit was reached at {}: the detainee must be charged or released now (s41(7)).",
                format_instant(limit.at)
            ));
        } else if time_left <= hours(2) {
            warnings.push(format!(
                "The detention limit is reached in {}, at {}: decide on charge or release, or seek an extension or warrant.",
                format_duration(time_left),
                format_instant(limit.at)
            ));
        }
    }
    if in_custody {
        for right in [Right::LegalAdvice, Right::SomeoneInformed] {
            if let Some((by, until)) = tl.active_delay(right) {
                due.push(tl.due(
                    DueKind::RightDelayEnds,
                    until,
                    format!(
                        "The delay of {} authorised by {} ({}) ends: allow it then, or sooner if the grounds no longer apply",
                        right.label(),
                        by.name,
                        by.rank
                    ),
                ));
                if now >= until {
                    warnings.push(format!(
                        "The delay of {} ended at {}: the detainee must now be allowed it; record that the delay has ended.",
                        right.label(),
                        format_instant(until)
                    ));
                } else if until.duration_since(now) <= hours(1) {
                    warnings.push(format!(
                        "The delay of {} ends at {}.",
                        right.label(),
                        format_instant(until)
                    ));
                }
            }
        }
        if tl.first_authorised().is_none() {
            warnings.push(
                "Detention has not been authorised yet: the custody officer must decide as soon as practicable (s37)."
                    .into(),
            );
        }
        // The custody officer's latest decision on detention was a refusal.
        if let Some((_, refused)) = tl
            .current_entries()
            .filter(|(_, e)| {
                matches!(
                    e.kind,
                    EntryKind::DetentionRefused { .. } | EntryKind::DetentionAuthorised { .. }
                )
            })
            .last()
            .map(|(_, e)| (matches!(e.kind, EntryKind::DetentionRefused { .. }), e.at))
            .filter(|(refused, _)| *refused)
        {
            warnings.push(format!(
                "Detention was refused at {}: release the detainee and record the outcome.",
                format_instant(refused)
            ));
        }
        if tl.at_hospital {
            warnings.push(
                "The detainee is at hospital: the clock does not run except while they are questioned (s41(6)); the limit shown assumes they return now."
                    .into(),
            );
        }
        if let Some(c) = tl.charged_at {
            warnings.push(format!(
                "Charged at {}: the pre-charge detention limit no longer applies; reviews are by the custody officer (s40(1)(a)).",
                format_instant(c)
            ));
        }
        if let Some(r) = next_review.as_ref().filter(|d| d.overdue) {
            warnings.push(format!(
                "The review of detention due at {} is overdue.",
                format_instant(r.at)
            ));
        }
        if let Some(v) = next_visit.as_ref().filter(|d| d.overdue) {
            warnings.push(format!(
                "The cell visit due at {} is overdue.",
                format_instant(v.at)
            ));
        }
        if let Some(at) = tl
            .current_entries()
            .filter_map(|(_, e)| match e.kind {
                EntryKind::CellVisit { roused, .. } => Some((e.at, roused)),
                _ => None,
            })
            .last()
            .and_then(|(at, roused)| (roused == Some(false)).then_some(at))
        {
            warnings.push(format!(
                "At the last visit ({}) the detainee could not be roused: get medical help now (Code C Annex H).",
                format_instant(at)
            ));
        }
    }
    due.sort_by_key(|d| d.at);

    let authorisations = authorisations(record, &tl, next_review.as_ref());
    ClockStatus {
        now,
        relevant_time: tl.rt,
        relevant_time_reason: tl.rt_reason.to_string(),
        regime: record.booking.regime,
        in_custody,
        at_hospital: tl.at_hospital && in_custody,
        clock_running: tl.clock_running(),
        detention_authorised_at: tl.first_authorised(),
        charged_at: tl.charged_at,
        detained_for: used,
        limit,
        time_left,
        next_review,
        next_visit,
        next_meal,
        rest,
        risk_assessment_due,
        due,
        warnings,
        authorisations,
    }
}

fn officer(rank: Rank) -> Officer {
    Officer {
        name: "authorising officer".into(),
        rank,
    }
}

fn authorisations(
    record: &CustodyRecord,
    tl: &Timeline<'_>,
    next_review: Option<&Due>,
) -> Vec<AuthorisationOption> {
    let now = tl.now;
    let try_kind = |kind: EntryKind| {
        check(record, now, "custody officer", &kind, now).map_err(|e| e.to_string())
    };
    let mut out = Vec::new();

    let (review_rank, _) = tl.review_rank(now);
    out.push(AuthorisationOption {
        kind: AuthorisationKind::Review,
        min_rank: review_rank,
        possible: try_kind(EntryKind::Review {
            by: officer(review_rank),
            mode: super::model::ReviewMode::InPerson,
            representations: "none".into(),
            decision: super::model::ReviewDecision::ContinueDetention,
            note: String::new(),
        }),
        latest_at: next_review.map(|d| d.at),
    });

    out.push(AuthorisationOption {
        kind: AuthorisationKind::Extension36,
        min_rank: Rank::Superintendent,
        possible: try_kind(EntryKind::Extension {
            by: officer(Rank::Superintendent),
            until_hours: SUPERINTENDENT_MAX_HOURS,
            grounds: "grounds".into(),
        }),
        latest_at: (record.booking.regime == Regime::Pace)
            .then(|| tl.instant_at(hours(STANDARD_LIMIT_HOURS))),
    });

    let first_warrant = tl.latest_warrant().is_none();
    let used = tl.used();
    let warrant_hours = (hours(PACE_MAX_HOURS) - used)
        .as_hours()
        .clamp(1, i64::from(WARRANT_MAX_HOURS));
    out.push(AuthorisationOption {
        kind: AuthorisationKind::Warrant,
        min_rank: Rank::Constable,
        possible: try_kind(EntryKind::Warrant {
            court: "a magistrates' court".into(),
            issued_at: now,
            hours: u32::try_from(warrant_hours).unwrap_or(WARRANT_MAX_HOURS),
        }),
        latest_at: (record.booking.regime == Regime::Pace).then(|| {
            if first_warrant {
                tl.instant_at(hours(i64::from(SUPERINTENDENT_MAX_HOURS)))
            } else {
                tl.instant_at(tl.allowed().0)
            }
        }),
    });

    let (delay_max, tact) = match record.booking.regime {
        Regime::Pace => (hours(RIGHT_DELAY_MAX_HOURS), false),
        Regime::Terrorism => (hours(TERRORISM_RIGHT_DELAY_MAX_HOURS), true),
    };
    for (kind, right, rank) in [
        (
            AuthorisationKind::DelayLegalAdvice,
            Right::LegalAdvice,
            Rank::Superintendent,
        ),
        (
            AuthorisationKind::DelaySomeoneInformed,
            Right::SomeoneInformed,
            if tact {
                Rank::Superintendent
            } else {
                Rank::Inspector
            },
        ),
    ] {
        let latest = tl.instant_at(delay_max);
        let possible = if used >= delay_max {
            Err(format!(
                "A right can be delayed only until {} hours after the relevant time, and that time has passed.",
                delay_max.as_hours()
            ))
        } else {
            try_kind(EntryKind::RightDelayed {
                right,
                by: officer(rank),
                reason: "reason".into(),
                until: latest,
            })
        };
        out.push(AuthorisationOption {
            kind,
            min_rank: rank,
            possible,
            latest_at: Some(latest),
        });
    }

    let bail_date = first_bail_date(record).unwrap_or(now);
    for (kind, rank, months) in [
        (AuthorisationKind::PreChargeBail3, Rank::Sergeant, 3),
        (AuthorisationKind::PreChargeBail6, Rank::Inspector, 6),
        (AuthorisationKind::PreChargeBail9, Rank::Superintendent, 9),
    ] {
        let possible =
            match bail_limit_date(bail_date, months).and_then(|d| d.to_zoned(london()).ok()) {
                Some(z) => try_kind(EntryKind::Disposal {
                    outcome: Disposal::PreChargeBail {
                        return_at: z.timestamp(),
                        conditions: Vec::new(),
                        authorised_by: officer(rank),
                    },
                }),
                None => Err("The bail date is out of range.".to_string()),
            };
        out.push(AuthorisationOption {
            kind,
            min_rank: rank,
            possible,
            latest_at: None,
        });
    }
    out
}

fn first_bail_date(record: &CustodyRecord) -> Option<Timestamp> {
    record.entries.iter().find_map(|e| match e.kind {
        EntryKind::Disposal {
            outcome: Disposal::PreChargeBail { .. },
        } => Some(e.at),
        _ => None,
    })
}

/// The last London calendar day of a bail period of `months` from the bail date.
fn bail_limit_date(bail_at: Timestamp, months: u32) -> Option<jiff::civil::Date> {
    london_date(bail_at)
        .checked_add(Span::new().months(i64::from(months)))
        .ok()
}

// ---------------------------------------------------------------------------------------
// Checking entries

/// Whether an entry of this kind could be recorded now (timed `now`).
pub fn can_append(
    record: &CustodyRecord,
    kind: &EntryKind,
    now: Timestamp,
) -> Result<(), CustodyError> {
    check(record, now, "custody officer", kind, now)
}

/// Checks an entry against the custody rules as at `now`; [`CustodyRecord::append`] uses
/// it.
pub fn check_entry(
    record: &CustodyRecord,
    entry: &Entry,
    now: Timestamp,
) -> Result<(), CustodyError> {
    check(record, entry.at, &entry.recorded_by, &entry.kind, now)
}

fn refused(s: impl Into<String>) -> Result<(), CustodyError> {
    Err(CustodyError::Refused(s.into()))
}

fn at_least(
    given: Rank,
    needed: Rank,
    action: &'static str,
    rule: &'static str,
) -> Result<(), CustodyError> {
    if given < needed {
        Err(CustodyError::RankTooLow {
            action,
            needed,
            given,
            rule,
        })
    } else {
        Ok(())
    }
}

fn check(
    record: &CustodyRecord,
    at: Timestamp,
    recorded_by: &str,
    kind: &EntryKind,
    now: Timestamp,
) -> Result<(), CustodyError> {
    let mut errors = ValidationErrors::new();
    line(
        &mut errors,
        "recorded_by",
        recorded_by,
        "Enter who made the entry",
    );
    errors.0.extend(kind.validate_fields().0);
    if !errors.is_empty() {
        return Err(CustodyError::Invalid(errors));
    }
    let booking = &record.booking;
    if at > now {
        return Err(CustodyError::InTheFuture { at, now });
    }
    if at < booking.arrested_at {
        return Err(CustodyError::BeforeArrest {
            at,
            arrested_at: booking.arrested_at,
        });
    }
    if let Some(last) = record.entries.last()
        && at < last.at
    {
        return Err(CustodyError::OutOfOrder { at, last: last.at });
    }
    let tl = Timeline::new(record, now);
    let pace = booking.regime == Regime::Pace;

    match kind {
        EntryKind::Note { .. } => return Ok(()),
        EntryKind::Correction { of, .. } => {
            return if *of < record.entries.len() {
                Ok(())
            } else {
                Err(CustodyError::NoSuchEntry {
                    index: *of,
                    len: record.entries.len(),
                })
            };
        }
        EntryKind::BailReturn { arrived_at, .. } => {
            let last = tl.current().ended.and_then(|(_, i)| record.entries.get(i));
            return match last {
                Some(Entry {
                    at: bailed_at,
                    kind:
                        EntryKind::Disposal {
                            outcome: Disposal::PreChargeBail { .. },
                        },
                    ..
                }) => {
                    if arrived_at < bailed_at || *arrived_at > at {
                        refused(format!(
                            "The return must be timed after the release on bail ({}) and no later than this entry.",
                            format_instant(*bailed_at)
                        ))
                    } else {
                        Ok(())
                    }
                }
                Some(Entry {
                    kind: EntryKind::Disposal { outcome },
                    ..
                }) => Err(CustodyError::NotOnBail {
                    outcome: outcome.label(),
                }),
                _ => Err(CustodyError::NotOnBail {
                    outcome: "still in custody",
                }),
            };
        }
        _ => {}
    }
    if let Some((ended_at, i)) = tl.current().ended {
        let outcome = match record.entries.get(i).map(|e| &e.kind) {
            Some(EntryKind::Disposal { outcome }) => outcome.label(),
            _ => "released",
        };
        return Err(CustodyError::AfterDisposal {
            at: ended_at,
            outcome,
        });
    }
    let not_authorised = || {
        refused(
            "Detention has not been authorised yet: the custody officer must authorise it first (s37).",
        )
    };
    let after_charge = |what: &str| {
        refused(format!(
            "{what} is for detention before charge; the detainee was charged at {}.",
            tl.charged_at.map(format_instant).unwrap_or_default()
        ))
    };

    match kind {
        EntryKind::Review { by, .. } | EntryKind::ReviewPostponed { by, .. } => {
            if tl.first_authorised().is_none() {
                return not_authorised();
            }
            let (needed, rule) = tl.review_rank(at);
            at_least(by.rank, needed, "A review of detention", rule)?;
            if let EntryKind::ReviewPostponed { until, .. } = kind
                && *until <= at
            {
                return refused(
                    "A postponed review must be set for a later time than the postponement.",
                );
            }
        }
        EntryKind::Extension {
            by, until_hours, ..
        } => {
            if !pace {
                return refused(
                    "Under the Terrorism Act detention beyond 48 hours needs a warrant from a judicial authority (TACT Sch 8 Part III); a superintendent's extension does not apply.",
                );
            }
            if tl.charged() {
                return after_charge("An extension of detention");
            }
            if !booking.any_indictable() {
                return Err(CustodyError::NotIndictable {
                    action: "An extension to 36 hours",
                    rule: "PACE s42",
                });
            }
            at_least(
                by.rank,
                Rank::Superintendent,
                "An extension to 36 hours",
                "PACE s42(1)",
            )?;
            if tl.first_authorised().is_none() {
                return not_authorised();
            }
            if *until_hours > SUPERINTENDENT_MAX_HOURS {
                return refused(
                    "A superintendent can extend detention to at most 36 hours after the relevant time (PACE s42(1)); beyond that needs a warrant of further detention from a magistrates' court (s43).",
                );
            }
            let current = tl.ext_hours().unwrap_or(0).max(STANDARD_LIMIT_HOURS as u32);
            if *until_hours <= current {
                return refused(format!(
                    "The extension must run beyond the current limit of {current} hours after the relevant time."
                ));
            }
            if tl.latest_warrant().is_some() {
                return refused(
                    "A warrant of further detention already authorises this detention; a superintendent's extension cannot change it.",
                );
            }
            let used = tl.used_at(at);
            if used > hours(STANDARD_LIMIT_HOURS) {
                return refused(format!(
                    "An extension cannot be given more than 24 hours after the relevant time (PACE s42(4)(a)); {} of the detention clock has been used. Apply to a magistrates' court for a warrant of further detention (s43).",
                    format_duration(used)
                ));
            }
            let reviews = tl.pre_charge_reviews_before(at);
            if reviews < 2 {
                return refused(format!(
                    "An extension cannot be given before the second review of detention (PACE s42(4)(b)); {} been done.",
                    match reviews {
                        0 => "no review has".to_string(),
                        1 => "only one review has".to_string(),
                        n => format!("{n} reviews have"),
                    }
                ));
            }
        }
        EntryKind::Warrant {
            issued_at,
            hours: h,
            ..
        } => {
            if *issued_at > at || *issued_at < booking.arrested_at {
                return refused(
                    "The warrant's issue time must be after the arrest and no later than this entry.",
                );
            }
            if *h > WARRANT_MAX_HOURS && pace {
                return refused(
                    "A warrant of further detention, or an extension of one, can last at most 36 hours from issue (PACE s43(12), s44(3)).",
                );
            }
            if !pace {
                let end = plus(*issued_at, hours(i64::from(*h)));
                if end > plus(booking.arrested_at, hours(TERRORISM_MAX_DAYS * 24)) {
                    return refused(
                        "A warrant cannot authorise detention beyond 14 days after arrest (TACT Sch 8 para 36).",
                    );
                }
                return Ok(());
            }
            if tl.charged() {
                return after_charge("A warrant of further detention");
            }
            if !booking.any_indictable() {
                return Err(CustodyError::NotIndictable {
                    action: "A warrant of further detention",
                    rule: "PACE s43(4)",
                });
            }
            let used = tl.used_at(*issued_at);
            let (allowed, _, _) = tl.allowed();
            if tl.latest_warrant().is_none() {
                let thirty_six = hours(i64::from(SUPERINTENDENT_MAX_HOURS));
                let deadline = if allowed >= thirty_six {
                    thirty_six + hours(WARRANT_GRACE_HOURS)
                } else {
                    allowed
                };
                if used > deadline {
                    return refused(format!(
                        "A warrant of further detention must be issued while detention is still authorised: within 36 hours of the relevant time, or the 6 hours after that when no court could sit (PACE s43(5)). {} of the detention clock had been used when it was issued, beyond the {} authorised.",
                        format_duration(used),
                        format_duration(deadline)
                    ));
                }
            } else if used > allowed {
                return refused(format!(
                    "An extension of a warrant (PACE s44) must be issued before the current warrant expires; it expired at {} of the detention clock.",
                    format_duration(allowed)
                ));
            }
            let end = used + hours(i64::from(*h));
            if end > hours(PACE_MAX_HOURS) {
                return refused(format!(
                    "A warrant cannot authorise detention beyond 96 hours after the relevant time (PACE s44(3)); this one would end {} after it. At most {} can be granted.",
                    format_duration(end),
                    format_duration((hours(PACE_MAX_HOURS) - used).max(SignedDuration::ZERO))
                ));
            }
        }
        EntryKind::RightDelayed {
            right, by, until, ..
        } => {
            if tl.charged() {
                return after_charge("Delaying a right (Code C Annex B)");
            }
            let (needed, action, rule, max) = match (booking.regime, right) {
                (Regime::Pace, Right::LegalAdvice) => (
                    Rank::Superintendent,
                    "Delaying legal advice",
                    "PACE s58(6)",
                    RIGHT_DELAY_MAX_HOURS,
                ),
                (Regime::Pace, Right::SomeoneInformed) => (
                    Rank::Inspector,
                    "Delaying telling someone of the arrest",
                    "PACE s56(2)",
                    RIGHT_DELAY_MAX_HOURS,
                ),
                (Regime::Terrorism, Right::LegalAdvice) => (
                    Rank::Superintendent,
                    "Delaying legal advice",
                    "TACT Sch 8 para 8",
                    TERRORISM_RIGHT_DELAY_MAX_HOURS,
                ),
                (Regime::Terrorism, Right::SomeoneInformed) => (
                    Rank::Superintendent,
                    "Delaying telling someone of the arrest",
                    "TACT Sch 8 para 8",
                    TERRORISM_RIGHT_DELAY_MAX_HOURS,
                ),
            };
            if pace && !booking.any_indictable() {
                return Err(CustodyError::NotIndictable { action, rule });
            }
            at_least(by.rank, needed, action, rule)?;
            if *until <= at {
                return refused("The delay must end after it is authorised.");
            }
            let reaches = tl.projected(at, *until);
            if reaches > hours(max) {
                return refused(format!(
                    "A right can be delayed to at most {max} hours after the relevant time ({}); this delay would run to {} of the detention clock. The latest it can run to is {}.",
                    if pace { "PACE s56(3), s58(5)" } else { rule },
                    format_duration(reaches),
                    format_instant(plus(at, hours(max) - tl.used_at(at)))
                ));
            }
        }
        EntryKind::RightDelayEnded { right } if tl.active_delay(*right).is_none() => {
            return refused(format!("There is no delay of {} to end.", right.label()));
        }
        EntryKind::CellVisit { roused: None, .. } if tl.rousing_required() => {
            return Err(CustodyError::Invalid(ValidationErrors::single(
                "kind.roused",
                "This detainee is intoxicated and must be roused at every visit (Code C 9.3, Annex H): record whether they were roused",
            )));
        }
        EntryKind::RestStarted if tl.resting() => {
            return refused("A rest period is already running; record its end first.");
        }
        EntryKind::RestEnded if !tl.resting() => {
            return refused("No rest period is running.");
        }
        EntryKind::HospitalDeparted if tl.at_hospital => {
            return refused("The detainee is already recorded as at hospital.");
        }
        EntryKind::HospitalReturned if !tl.at_hospital => {
            return refused("The detainee is not recorded as at hospital.");
        }
        EntryKind::QuestionedInHospital { from, to } => {
            if *to > at || *from < booking.arrested_at {
                return refused(
                    "The questioning must be after the arrest and no later than this entry.",
                );
            }
            if !tl.hospital.iter().any(|(s, e)| s <= from && to <= e) {
                return refused(format!(
                    "Questioning counts only while the detainee is at hospital or on the way (s41(6)); {} to {} is not within a recorded hospital visit.",
                    format_instant(*from),
                    format_instant(*to)
                ));
            }
        }
        EntryKind::Interview {
            started_at,
            ended_at,
        } if *ended_at > at || *started_at < booking.arrested_at => {
            return refused(
                "The interview must be after the arrest and end no later than this entry.",
            );
        }
        EntryKind::Disposal { outcome } => check_disposal(record, &tl, at, outcome)?,
        _ => {}
    }
    Ok(())
}

fn check_disposal(
    record: &CustodyRecord,
    tl: &Timeline<'_>,
    at: Timestamp,
    outcome: &Disposal,
) -> Result<(), CustodyError> {
    match outcome {
        Disposal::Charged { .. } | Disposal::PostChargeBail { .. } if !tl.charged() => {
            return refused(format!(
                "Record the charge before recording that the detainee was {}.",
                outcome.label()
            ));
        }
        Disposal::PostChargeBail { court_date } if *court_date <= at => {
            return refused("The court date must be in the future.");
        }
        Disposal::PreChargeBail {
            return_at,
            authorised_by,
            ..
        } => {
            if tl.charged() {
                return refused(
                    "Pre-charge bail is not available after charge; bail the detainee to court instead.",
                );
            }
            if *return_at <= at {
                return refused("The bail return must be after the release.");
            }
            let bail_at = first_bail_date(record).unwrap_or(at);
            let Some(nine) = bail_limit_date(bail_at, 9) else {
                return refused("The bail date is out of range.");
            };
            let returns_on = london_date(*return_at);
            let bail_day = format_date(london_date(bail_at));
            if returns_on > nine {
                return refused(format!(
                    "Pre-charge bail beyond 9 months from the bail date ({bail_day}) can only be extended by a magistrates' court."
                ));
            }
            let Some(months) = pre_charge_bail_limit(authorised_by.rank) else {
                return Err(CustodyError::RankTooLow {
                    action: "Pre-charge bail",
                    needed: Rank::Sergeant,
                    given: authorised_by.rank,
                    rule: "PACE pre-charge bail, custody officer",
                });
            };
            let Some(limit) = bail_limit_date(bail_at, months) else {
                return refused("The bail date is out of range.");
            };
            if returns_on > limit {
                let needed = if bail_limit_date(bail_at, 6).is_some_and(|six| returns_on <= six) {
                    "an inspector"
                } else {
                    "a superintendent"
                };
                return refused(format!(
                    "A bail return on {} is more than {months} months after the bail date ({bail_day}), which is as far as {} can authorise; it needs {needed} or above (pre-charge bail: 3 months custody officer, 6 months inspector, 9 months superintendent, then a magistrates' court).",
                    format_date(returns_on),
                    authorised_by.rank.in_sentence()
                ));
            }
        }
        _ => {}
    }
    let occasions = outcome.risk_occasions();
    let since = tl.charged_at.unwrap_or(tl.current().arrived);
    let assessed = tl.current_entries().any(|(_, e)| {
        matches!(e.kind, EntryKind::RiskAssessment { occasion, .. }
            if e.at >= since && occasions.contains(&occasion))
    });
    if !assessed {
        let which = match occasions.first() {
            Some(RiskOccasion::BailRefused) => "on refusal of bail",
            Some(RiskOccasion::Transfer) => "before transfer",
            _ => "before release (a pre-release risk assessment)",
        };
        return refused(format!(
            "Record a risk assessment {which} first: the risk assessment is re-done at charge, refusal of bail, release and transfer (Code C 3.6 to 3.10)."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
