//! The custody record: the booking-in details and an append-only list of time-stamped
//! entries. Everything here is stored as JSON and round-trips exactly; the rules that decide
//! whether an entry may be added live in [`super::pace`].

use super::error::CustodyError;
use super::pace;
use super::rank::Rank;
use crate::ValidationErrors;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Longest single-line text (names, places, stations, courts).
pub const MAX_LINE_CHARS: usize = 200;
/// Longest narrative text (grounds, reasons, notes).
pub const MAX_TEXT_CHARS: usize = 4_000;

/// How an offence may be tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialMode {
    /// Indictable only (Crown Court).
    Indictable,
    /// Triable either way: indictable for PACE purposes.
    EitherWay,
    /// Summary only (magistrates' court).
    Summary,
}

impl TrialMode {
    /// Whether the offence is indictable for PACE purposes (either-way offences are).
    pub fn is_indictable(&self) -> bool {
        matches!(self, TrialMode::Indictable | TrialMode::EitherWay)
    }
}

/// An offence the detainee is arrested for or charged with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offence {
    /// The offence as worded on the record ("Burglary (dwelling)").
    pub description: String,
    /// How it may be tried.
    pub mode: TrialMode,
}

/// The law the person is detained under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// Police and Criminal Evidence Act 1984.
    Pace,
    /// Terrorism Act 2000 s41 (Schedule 8, Code H).
    Terrorism,
}

/// Which of the s41(2) cases fixes the relevant time (the start of the detention clock).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RelevantTimeBasis {
    /// The ordinary case: arrival at the first police station after arrest (s41(2)(d)).
    Arrival,
    /// Arrested in another police area of England & Wales for an offence investigated here,
    /// and not questioned there (s41(2)(a), (3)).
    OtherForceArea {
        /// Arrival at the first station in the investigating area, once known.
        arrival_in_investigating_area: Option<Timestamp>,
    },
    /// Arrested outside England & Wales (s41(2)(b)).
    OutsideEnglandAndWales {
        /// When the person entered England & Wales.
        entered_england_wales_at: Timestamp,
        /// Arrival at the first station in the investigating area, once known.
        arrival_in_investigating_area: Option<Timestamp>,
    },
    /// Attended the station voluntarily and was arrested there (s41(2)(c)).
    VoluntaryAttendance,
    /// Attending to answer street bail (s30A; s41(2)(ca)).
    StreetBail,
}

/// The booking-in details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    /// The custody suite.
    pub station: String,
    /// When the person was arrested.
    pub arrested_at: Timestamp,
    /// Where the person was arrested.
    pub arrest_place: String,
    /// The arresting officer (name or collar number).
    pub arresting_officer: String,
    /// The grounds for arrest as given to the custody officer.
    pub grounds: String,
    /// Arrival at the (first) police station.
    pub arrived_at: Timestamp,
    /// The offences the person is arrested for.
    pub offences: Vec<Offence>,
    /// PACE or the Terrorism Act.
    pub regime: Regime,
    /// Which s41(2) case fixes the relevant time.
    pub basis: RelevantTimeBasis,
}

impl Booking {
    /// Every problem with the booking, naming the field (`offences.0.description`).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        line(&mut e, "station", &self.station, "Enter the custody suite");
        line(
            &mut e,
            "arrest_place",
            &self.arrest_place,
            "Enter where the arrest was made",
        );
        line(
            &mut e,
            "arresting_officer",
            &self.arresting_officer,
            "Enter the arresting officer",
        );
        long(
            &mut e,
            "grounds",
            &self.grounds,
            "Enter the grounds for arrest",
        );
        if self.offences.is_empty() {
            e.push("offences", "Enter at least one offence");
        }
        for (i, o) in self.offences.iter().enumerate() {
            e.extend_prefixed(&format!("offences.{i}"), o.validate());
        }
        let voluntary = matches!(self.basis, RelevantTimeBasis::VoluntaryAttendance);
        if !voluntary && self.arrived_at < self.arrested_at {
            e.push(
                "arrived_at",
                "The arrival at the station must be at or after the arrest",
            );
        }
        match &self.basis {
            RelevantTimeBasis::OtherForceArea {
                arrival_in_investigating_area: Some(a),
            } if *a < self.arrested_at => e.push(
                "basis.arrival_in_investigating_area",
                "The arrival in the investigating area must be at or after the arrest",
            ),
            RelevantTimeBasis::OutsideEnglandAndWales {
                entered_england_wales_at,
                arrival_in_investigating_area,
            } => {
                if *entered_england_wales_at < self.arrested_at {
                    e.push(
                        "basis.entered_england_wales_at",
                        "Entry into England and Wales must be at or after the arrest",
                    );
                }
                if let Some(a) = arrival_in_investigating_area
                    && a < entered_england_wales_at
                {
                    e.push(
                        "basis.arrival_in_investigating_area",
                        "The arrival in the investigating area must be at or after entering England and Wales",
                    );
                }
            }
            _ => {}
        }
        e.into_result(|| ())
    }

    /// Whether any offence is indictable (either-way counts).
    pub fn any_indictable(&self) -> bool {
        self.offences.iter().any(|o| o.mode.is_indictable())
    }
}

impl Offence {
    /// Problems with this offence, naming fields relative to it (`description`).
    pub fn validate(&self) -> ValidationErrors {
        let mut e = ValidationErrors::new();
        line(
            &mut e,
            "description",
            &self.description,
            "Enter the offence",
        );
        e
    }
}

/// Who did or authorised something, as recorded by the custody officer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Officer {
    /// Name or collar number.
    pub name: String,
    /// Rank at the time.
    pub rank: Rank,
}

/// How a review of detention was carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewMode {
    /// The review officer was present.
    InPerson,
    /// By telephone (s40A).
    Telephone,
    /// By video link (s45A).
    Video,
}

/// What a review of detention decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Further detention is authorised.
    ContinueDetention,
    /// The detainee is to be released.
    Release,
    /// The detainee is to be charged.
    Charge,
}

/// A right whose exercise may be delayed (Code C Annex B).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    /// To consult a solicitor (s58).
    LegalAdvice,
    /// To have someone told of the arrest (s56).
    SomeoneInformed,
}

impl Right {
    /// The right in a sentence ("legal advice").
    pub fn label(&self) -> &'static str {
        match self {
            Right::LegalAdvice => "legal advice",
            Right::SomeoneInformed => "having someone told of the arrest",
        }
    }
}

/// Why a risk assessment was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskOccasion {
    /// At booking in, before detention is authorised.
    Booking,
    /// At charge.
    Charge,
    /// When bail after charge is refused.
    BailRefused,
    /// Before release (pre-release risk assessment).
    Release,
    /// Before transfer to another station or agency.
    Transfer,
    /// Any other time circumstances change.
    Other,
}

/// How the detention ended. Every outcome ends the custody episode; only pre-charge bail
/// can lead to a return on the same record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Disposal {
    /// Charged; kept in custody for court (`remanded`) or released to appear.
    Charged {
        /// Bail refused: kept in custody for the next court.
        remanded: bool,
    },
    /// Released on bail before charge, to return on a date.
    PreChargeBail {
        /// When the person must return.
        return_at: Timestamp,
        /// The bail conditions, one per item (empty when unconditional).
        conditions: Vec<String>,
        /// Who authorised the bail period (3 months sergeant, 6 inspector, 9 superintendent).
        authorised_by: Officer,
    },
    /// Released under investigation, without bail.
    ReleasedUnderInvestigation,
    /// Released with no further action.
    NoFurtherAction,
    /// Handed to another station, force or agency.
    Transferred {
        /// Where to.
        to: String,
    },
    /// Charged and released on bail to a court date.
    PostChargeBail {
        /// When the person must appear at court.
        court_date: Timestamp,
    },
}

impl Disposal {
    /// The risk-assessment occasions that satisfy the assessment this outcome needs.
    pub fn risk_occasions(&self) -> &'static [RiskOccasion] {
        match self {
            Disposal::Charged { remanded: true } => &[RiskOccasion::BailRefused],
            Disposal::Transferred { .. } => &[RiskOccasion::Transfer],
            _ => &[RiskOccasion::Release],
        }
    }

    /// The outcome in a sentence ("released on pre-charge bail").
    pub fn label(&self) -> &'static str {
        match self {
            Disposal::Charged { remanded: true } => "charged and kept in custody for court",
            Disposal::Charged { remanded: false } => "charged",
            Disposal::PreChargeBail { .. } => "released on pre-charge bail",
            Disposal::ReleasedUnderInvestigation => "released under investigation",
            Disposal::NoFurtherAction => "released with no further action",
            Disposal::Transferred { .. } => "transferred",
            Disposal::PostChargeBail { .. } => "charged and bailed to court",
        }
    }
}

/// What a custody record entry records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntryKind {
    /// The custody officer authorised detention (s37).
    DetentionAuthorised {
        /// The custody officer.
        by: Officer,
        /// Why detention is necessary.
        grounds: String,
    },
    /// The custody officer refused detention; the person must be released.
    DetentionRefused {
        /// The custody officer.
        by: Officer,
        /// Why.
        reason: String,
    },
    /// A review of detention (s40; TACT Sch 8 Part II).
    Review {
        /// The review officer.
        by: Officer,
        /// In person, by telephone or by video.
        mode: ReviewMode,
        /// Representations by the detainee or their solicitor ("none" when none).
        representations: String,
        /// The decision.
        decision: ReviewDecision,
        /// Anything else the review officer recorded (may be empty).
        note: String,
    },
    /// A review could not be done when due (s40(4)).
    ReviewPostponed {
        /// The review officer.
        by: Officer,
        /// Why it was impracticable.
        reason: String,
        /// When it will now be done.
        until: Timestamp,
    },
    /// A superintendent extended detention (s42).
    Extension {
        /// The authorising officer.
        by: Officer,
        /// The new limit in hours after the relevant time (at most 36).
        until_hours: u32,
        /// Why.
        grounds: String,
    },
    /// A warrant of further detention (s43) or its extension (s44); the period runs from
    /// issue.
    Warrant {
        /// The issuing court.
        court: String,
        /// When the court issued it.
        issued_at: Timestamp,
        /// How long it authorises, from issue (at most 36).
        hours: u32,
    },
    /// The detainee was told their rights (Code C 3.1).
    RightsGiven {
        /// They asked for legal advice.
        legal_advice_requested: bool,
        /// They asked for someone to be told of the arrest.
        someone_informed_requested: bool,
    },
    /// A right was delayed (Code C Annex B).
    RightDelayed {
        /// Which right.
        right: Right,
        /// Who authorised the delay.
        by: Officer,
        /// Why.
        reason: String,
        /// Until when (at most 36 hours after the relevant time).
        until: Timestamp,
    },
    /// A delay of a right ended; the right must now be allowed.
    RightDelayEnded {
        /// Which right.
        right: Right,
    },
    /// A risk assessment (Code C 3.6 to 3.10).
    RiskAssessment {
        /// Why it was done now.
        occasion: RiskOccasion,
        /// Observation level 1 (general) to 4 (close proximity).
        observation_level: u8,
        /// Drunk or intoxicated: visit and rouse every 30 minutes.
        intoxicated: bool,
        /// Anything else (may be empty).
        notes: String,
    },
    /// A cell visit.
    CellVisit {
        /// Whether the detainee was roused; `None` when rousing was not required.
        roused: Option<bool>,
        /// How the detainee was.
        condition: String,
    },
    /// A meal was offered.
    Meal {
        /// A main meal rather than a light one.
        main: bool,
    },
    /// A rest period began.
    RestStarted,
    /// A rest period ended.
    RestEnded,
    /// The detainee left for hospital (the clock stops, s41(6)).
    HospitalDeparted,
    /// The detainee came back from hospital.
    HospitalReturned,
    /// The detainee was questioned at or on the way to hospital; this time counts.
    QuestionedInHospital {
        /// From.
        from: Timestamp,
        /// To.
        to: Timestamp,
    },
    /// An interview.
    Interview {
        /// Start.
        started_at: Timestamp,
        /// End.
        ended_at: Timestamp,
    },
    /// A solicitor visited.
    SolicitorVisit {
        /// The solicitor.
        name: String,
    },
    /// Property recorded.
    Property {
        /// The items.
        items: String,
    },
    /// A health-care matter.
    HealthCare {
        /// What happened.
        note: String,
    },
    /// The detainee was charged.
    Charged {
        /// The offences charged.
        offences: Vec<Offence>,
    },
    /// The detention ended.
    Disposal {
        /// How.
        outcome: Disposal,
    },
    /// The detainee returned on pre-charge bail (or was arrested for failing to, or for
    /// breaching its conditions): the record re-opens and the clock continues (s47(6)).
    BailReturn {
        /// Arrival at the station.
        arrived_at: Timestamp,
        /// Arrested for breach of pre-charge bail conditions: 3 more hours.
        breach_arrest: bool,
    },
    /// A free-text note.
    Note {
        /// The note.
        text: String,
    },
    /// A correction of an earlier entry, which is kept as it was.
    Correction {
        /// The index of the corrected entry.
        of: usize,
        /// The correction.
        text: String,
    },
}

impl EntryKind {
    /// The entry's name as stored (`review_postponed`).
    pub fn code(&self) -> &'static str {
        match self {
            EntryKind::DetentionAuthorised { .. } => "detention_authorised",
            EntryKind::DetentionRefused { .. } => "detention_refused",
            EntryKind::Review { .. } => "review",
            EntryKind::ReviewPostponed { .. } => "review_postponed",
            EntryKind::Extension { .. } => "extension",
            EntryKind::Warrant { .. } => "warrant",
            EntryKind::RightsGiven { .. } => "rights_given",
            EntryKind::RightDelayed { .. } => "right_delayed",
            EntryKind::RightDelayEnded { .. } => "right_delay_ended",
            EntryKind::RiskAssessment { .. } => "risk_assessment",
            EntryKind::CellVisit { .. } => "cell_visit",
            EntryKind::Meal { .. } => "meal",
            EntryKind::RestStarted => "rest_started",
            EntryKind::RestEnded => "rest_ended",
            EntryKind::HospitalDeparted => "hospital_departed",
            EntryKind::HospitalReturned => "hospital_returned",
            EntryKind::QuestionedInHospital { .. } => "questioned_in_hospital",
            EntryKind::Interview { .. } => "interview",
            EntryKind::SolicitorVisit { .. } => "solicitor_visit",
            EntryKind::Property { .. } => "property",
            EntryKind::HealthCare { .. } => "health_care",
            EntryKind::Charged { .. } => "charged",
            EntryKind::Disposal { .. } => "disposal",
            EntryKind::BailReturn { .. } => "bail_return",
            EntryKind::Note { .. } => "note",
            EntryKind::Correction { .. } => "correction",
        }
    }

    /// Problems with the entry's own fields (text present and bounded, times in order),
    /// named `kind.<field>`. The custody rules are checked by [`pace::check_entry`].
    pub fn validate_fields(&self) -> ValidationErrors {
        let mut e = ValidationErrors::new();
        let officer = |e: &mut ValidationErrors, o: &Officer| {
            line(e, "kind.by.name", &o.name, "Enter the officer's name");
        };
        match self {
            EntryKind::DetentionAuthorised { by, grounds } => {
                officer(&mut e, by);
                long(
                    &mut e,
                    "kind.grounds",
                    grounds,
                    "Enter the grounds for detention",
                );
            }
            EntryKind::DetentionRefused { by, reason } => {
                officer(&mut e, by);
                long(
                    &mut e,
                    "kind.reason",
                    reason,
                    "Enter why detention was refused",
                );
            }
            EntryKind::Review {
                by,
                representations,
                note,
                ..
            } => {
                officer(&mut e, by);
                long(
                    &mut e,
                    "kind.representations",
                    representations,
                    "Record any representations, or \"none\"",
                );
                optional_long(&mut e, "kind.note", note);
            }
            EntryKind::ReviewPostponed { by, reason, .. } => {
                officer(&mut e, by);
                long(
                    &mut e,
                    "kind.reason",
                    reason,
                    "Enter why the review was postponed",
                );
            }
            EntryKind::Extension { by, grounds, .. } => {
                officer(&mut e, by);
                long(
                    &mut e,
                    "kind.grounds",
                    grounds,
                    "Enter the grounds for the extension",
                );
            }
            EntryKind::Warrant { court, hours, .. } => {
                line(&mut e, "kind.court", court, "Enter the issuing court");
                if *hours == 0 {
                    e.push("kind.hours", "Enter how many hours the warrant authorises");
                }
            }
            EntryKind::RightDelayed { by, reason, .. } => {
                officer(&mut e, by);
                long(
                    &mut e,
                    "kind.reason",
                    reason,
                    "Enter why the right is delayed",
                );
            }
            EntryKind::RiskAssessment {
                observation_level,
                notes,
                ..
            } => {
                if !(1..=4).contains(observation_level) {
                    e.push(
                        "kind.observation_level",
                        "Choose an observation level from 1 to 4",
                    );
                }
                optional_long(&mut e, "kind.notes", notes);
            }
            EntryKind::CellVisit { condition, .. } => {
                long(
                    &mut e,
                    "kind.condition",
                    condition,
                    "Enter the detainee's condition",
                );
            }
            EntryKind::QuestionedInHospital { from, to } => {
                if to <= from {
                    e.push("kind.to", "The end must be after the start");
                }
            }
            EntryKind::Interview {
                started_at,
                ended_at,
            } => {
                if ended_at <= started_at {
                    e.push("kind.ended_at", "The end must be after the start");
                }
            }
            EntryKind::SolicitorVisit { name } => {
                line(&mut e, "kind.name", name, "Enter the solicitor's name");
            }
            EntryKind::Property { items } => {
                long(&mut e, "kind.items", items, "Enter the property");
            }
            EntryKind::HealthCare { note } => long(&mut e, "kind.note", note, "Enter the note"),
            EntryKind::Charged { offences } => {
                if offences.is_empty() {
                    e.push("kind.offences", "Enter at least one offence charged");
                }
                for (i, o) in offences.iter().enumerate() {
                    e.extend_prefixed(&format!("kind.offences.{i}"), o.validate());
                }
            }
            EntryKind::Disposal { outcome } => match outcome {
                Disposal::PreChargeBail {
                    conditions,
                    authorised_by,
                    ..
                } => {
                    line(
                        &mut e,
                        "kind.outcome.authorised_by.name",
                        &authorised_by.name,
                        "Enter who authorised the bail",
                    );
                    for (i, c) in conditions.iter().enumerate() {
                        long(
                            &mut e,
                            &format!("kind.outcome.conditions.{i}"),
                            c,
                            "Enter the condition, or remove it",
                        );
                    }
                }
                Disposal::Transferred { to } => {
                    line(
                        &mut e,
                        "kind.outcome.to",
                        to,
                        "Enter where the detainee went",
                    );
                }
                _ => {}
            },
            EntryKind::Note { text } | EntryKind::Correction { text, .. } => {
                long(&mut e, "kind.text", text, "Enter the text");
            }
            EntryKind::RightsGiven { .. }
            | EntryKind::RightDelayEnded { .. }
            | EntryKind::Meal { .. }
            | EntryKind::RestStarted
            | EntryKind::RestEnded
            | EntryKind::HospitalDeparted
            | EntryKind::HospitalReturned
            | EntryKind::BailReturn { .. } => {}
        }
        e
    }
}

/// One time-stamped line of the custody record. Never edited: see [`EntryKind::Correction`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When it happened (entries are kept in time order).
    pub at: Timestamp,
    /// Who made the entry.
    pub recorded_by: String,
    /// What it records.
    pub kind: EntryKind,
}

impl Entry {
    /// A new entry.
    pub fn new(at: Timestamp, recorded_by: impl Into<String>, kind: EntryKind) -> Entry {
        Entry {
            at,
            recorded_by: recorded_by.into(),
            kind,
        }
    }
}

/// A custody record: the booking and its entries, append-only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustodyRecord {
    /// The force's custody number.
    pub custody_number: String,
    /// The booking-in details.
    pub booking: Booking,
    /// Every entry, oldest first.
    pub entries: Vec<Entry>,
}

impl CustodyRecord {
    /// Opens a record, checking the booking and that the arrest and arrival are not in the
    /// future of `now`.
    pub fn open(
        custody_number: impl Into<String>,
        booking: Booking,
        now: Timestamp,
    ) -> Result<CustodyRecord, ValidationErrors> {
        let custody_number = custody_number.into();
        let mut e = ValidationErrors::new();
        line(
            &mut e,
            "custody_number",
            &custody_number,
            "Enter the custody number",
        );
        if let Err(b) = booking.validate() {
            e.0.extend(b.0);
        }
        if booking.arrested_at > now {
            e.push("arrested_at", "The arrest cannot be in the future");
        }
        if booking.arrived_at > now {
            e.push("arrived_at", "The arrival cannot be in the future");
        }
        e.into_result(|| CustodyRecord {
            custody_number,
            booking,
            entries: Vec::new(),
        })
    }

    /// Adds an entry after checking it against the custody rules as at `now`
    /// (see [`pace::check_entry`]).
    pub fn append(&mut self, entry: Entry, now: Timestamp) -> Result<(), CustodyError> {
        pace::check_entry(self, &entry, now)?;
        self.entries.push(entry);
        Ok(())
    }

    /// The corrections made to entry `index`, oldest first.
    pub fn corrections_of(&self, index: usize) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| matches!(e.kind, EntryKind::Correction { of, .. } if of == index))
            .collect()
    }
}

fn bad_chars(s: &str, allow_breaks: bool) -> bool {
    s.chars().any(|c| {
        (c.is_control() && !(allow_breaks && (c == '\n' || c == '\t' || c == '\r')))
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    })
}

/// A required single line of text.
pub(crate) fn line(e: &mut ValidationErrors, field: &str, value: &str, missing: &str) {
    let t = value.trim();
    if t.is_empty() {
        e.push(field, missing);
    } else if t.chars().count() > MAX_LINE_CHARS {
        e.push(field, format!("Enter {MAX_LINE_CHARS} characters or fewer"));
    } else if bad_chars(t, false) {
        e.push(field, "Remove line breaks, tabs and hidden characters");
    }
}

/// A required narrative text.
pub(crate) fn long(e: &mut ValidationErrors, field: &str, value: &str, missing: &str) {
    if value.trim().is_empty() {
        e.push(field, missing);
    } else {
        optional_long(e, field, value);
    }
}

/// A narrative text that may be empty.
pub(crate) fn optional_long(e: &mut ValidationErrors, field: &str, value: &str) {
    if value.chars().count() > MAX_TEXT_CHARS {
        e.push(field, "Enter 4,000 characters or fewer");
    } else if bad_chars(value, true) {
        e.push(field, "Remove hidden characters");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn booking() -> Booking {
        Booking {
            station: "Northtown custody suite".into(),
            arrested_at: ts("2026-03-02T09:30:00Z"),
            arrest_place: "High Street, Northtown".into(),
            arresting_officer: "PC 1234 Patel".into(),
            grounds: "Seen leaving the premises with the property".into(),
            arrived_at: ts("2026-03-02T10:00:00Z"),
            offences: vec![Offence {
                description: "Burglary (dwelling)".into(),
                mode: TrialMode::EitherWay,
            }],
            regime: Regime::Pace,
            basis: RelevantTimeBasis::Arrival,
        }
    }

    #[test]
    fn a_complete_booking_is_valid() {
        assert!(booking().validate().is_ok());
        assert!(booking().any_indictable());
    }

    #[test]
    fn booking_errors_name_the_fields() {
        let mut b = booking();
        b.station = " ".into();
        b.grounds = String::new();
        b.offences = vec![Offence {
            description: String::new(),
            mode: TrialMode::Summary,
        }];
        b.arrived_at = ts("2026-03-02T09:00:00Z");
        let e = b.validate().unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["station", "grounds", "offences.0.description", "arrived_at"]
        );
        b.offences.clear();
        assert!(b.validate().unwrap_err().message_for("offences").is_some());
    }

    #[test]
    fn booking_text_is_bounded() {
        let mut b = booking();
        b.arrest_place = "x".repeat(MAX_LINE_CHARS + 1);
        b.grounds = "y".repeat(MAX_TEXT_CHARS + 1);
        b.arresting_officer = "PC\u{200B}1".into();
        let e = b.validate().unwrap_err();
        assert!(e.message_for("arrest_place").unwrap().contains("200"));
        assert!(e.message_for("grounds").unwrap().contains("4,000"));
        assert!(e.message_for("arresting_officer").is_some());
    }

    #[test]
    fn booking_basis_times_must_follow_the_arrest() {
        let mut b = booking();
        b.basis = RelevantTimeBasis::OutsideEnglandAndWales {
            entered_england_wales_at: ts("2026-03-02T09:00:00Z"),
            arrival_in_investigating_area: None,
        };
        assert!(
            b.validate()
                .unwrap_err()
                .message_for("basis.entered_england_wales_at")
                .is_some()
        );
    }

    #[test]
    fn record_cannot_be_opened_for_a_future_arrest() {
        let e = CustodyRecord::open("NT/1", booking(), ts("2026-03-02T09:45:00Z")).unwrap_err();
        assert!(e.message_for("arrived_at").is_some());
        let e = CustodyRecord::open("", booking(), ts("2026-03-02T11:00:00Z")).unwrap_err();
        assert!(e.message_for("custody_number").is_some());
    }

    #[test]
    fn entries_are_stored_as_tagged_snake_case_json() {
        let entry = Entry::new(
            ts("2026-03-02T10:05:00Z"),
            "PS 123 Smith",
            EntryKind::Disposal {
                outcome: Disposal::PreChargeBail {
                    return_at: ts("2026-04-02T10:00:00Z"),
                    conditions: vec!["Curfew 8pm to 6am".into()],
                    authorised_by: Officer {
                        name: "PS Smith".into(),
                        rank: Rank::Sergeant,
                    },
                },
            },
        );
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(json["kind"]["type"], "disposal");
        assert_eq!(json["kind"]["outcome"]["type"], "pre_charge_bail");
        assert_eq!(json["kind"]["outcome"]["authorised_by"]["rank"], "sergeant");
        assert_eq!(serde_json::from_value::<Entry>(json).unwrap(), entry);

        let b = booking();
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(json["basis"]["type"], "arrival");
        assert_eq!(json["regime"], "pace");
        assert_eq!(json["offences"][0]["mode"], "either_way");
        assert_eq!(serde_json::from_value::<Booking>(json).unwrap(), b);
    }
}
