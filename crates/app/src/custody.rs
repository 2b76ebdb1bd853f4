//! Custody: booking a detainee in, keeping the custody record (append-only entries checked
//! against PACE by the domain's clock engine) and the suite board.
//!
//! A custody record is an event record of type `custody_episode` in the one POLE store, so it
//! is versioned, marked, audited and linked like everything else: the detainee's person
//! record is linked to it with the role `detainee`. Its body holds the event fields every
//! event has, the detainee, and the [`CustodyRecord`] itself; each entry writes a new
//! version, so the history shows who recorded what and when. The summary begins
//! "In custody at STATION" while the detainee is in the suite, which is what the board
//! lists (an index range, however many closed records there are).

use crate::access::decision_details;
use crate::{AppError, Caller, PoleService};
use bluelamp_authz::Action;
use bluelamp_domain::custody::{
    Booking, ClockStatus, CustodyError, CustodyRecord, Entry, EntryKind, Officer, RiskOccasion,
    status,
};
use bluelamp_domain::pole::{Link, LinkRole};
use bluelamp_domain::{
    AuditAction, Classification, Marking, RecordId, RecordKind, ValidationErrors, Version, time,
};
use bluelamp_events::envelope::{RecordChange, record_event};
use bluelamp_store::{Change, ListOrder, ListQuery, NewRecord, StoredRecord, WriteOp};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The event type of a custody record.
pub const CUSTODY_EVENT_TYPE: &str = "custody_episode";

/// The most detainees a board shows (a large suite holds about 60).
pub const BOARD_MAX: u32 = 200;

/// What the custody officer decides at booking in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum DetentionDecision {
    /// Detention authorised (s37), with the grounds.
    Authorise { grounds: String },
    /// Detention refused: the person is to be released.
    Refuse { reason: String },
}

/// The risk assessment done at booking in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskInput {
    /// Observation level 1 (general) to 4 (close proximity).
    pub observation_level: u8,
    /// Drunk or intoxicated: visit and rouse every 30 minutes.
    pub intoxicated: bool,
    #[serde(default)]
    pub notes: String,
}

/// Rights as given at booking in.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RightsInput {
    pub legal_advice_requested: bool,
    pub someone_informed_requested: bool,
}

/// Everything needed to book a detainee in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookIn {
    /// The detainee's person record (found by search, or created first).
    pub person_id: RecordId,
    pub booking: Booking,
    /// The custody officer booking in, with their rank.
    pub custody_officer: Officer,
    pub risk: RiskInput,
    /// Rights given at booking in; `None` when they could not be given yet (say, the
    /// detainee is too drunk to understand them).
    #[serde(default)]
    pub rights: Option<RightsInput>,
    pub detention: DetentionDecision,
    /// Defaults to OFFICIAL-SENSITIVE: a custody record is personal and sensitive.
    #[serde(default)]
    pub marking: Option<Marking>,
}

/// The person held, as the custody record names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detainee {
    pub id: RecordId,
    pub summary: String,
}

/// A custody record as a page or the API shows it.
#[derive(Debug, Clone)]
pub struct CustodyView {
    pub record: StoredRecord,
    pub custody: CustodyRecord,
    pub detainee: Option<Detainee>,
    pub status: ClockStatus,
}

/// One detainee on the suite board.
#[derive(Debug, Clone)]
pub struct BoardRow {
    pub id: RecordId,
    pub version: Version,
    pub marking: Marking,
    pub custody: CustodyRecord,
    pub detainee: Option<Detainee>,
    pub status: ClockStatus,
}

/// A custody suite's name as stored and searched: trimmed, upper case, single spaces.
pub fn station_key(station: &str) -> String {
    station
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// The board's summary prefix for a suite, or for every suite when `station` is empty.
fn board_prefix(station: &str) -> String {
    if station.is_empty() {
        "In custody at ".to_string()
    } else {
        format!("In custody at {} · ", station_key(station))
    }
}

fn summary(custody: &CustodyRecord, detainee: &str, in_custody: bool) -> String {
    let station = station_key(&custody.booking.station);
    if in_custody {
        format!(
            "In custody at {station} · {} · {detainee}",
            custody.custody_number
        )
    } else {
        format!(
            "Left custody at {station} · {} · {detainee}",
            custody.custody_number
        )
    }
}

/// A custody number: the suite's first letters, the year and a number counted per suite
/// and year ("CEN/26/00042").
fn custody_number(station: &str, year: i16, n: i64) -> String {
    let code: String = station_key(station)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(3)
        .collect();
    format!("{code}/{:02}/{n:05}", year.rem_euclid(100))
}

/// Custody rule refusals become validation errors the edges show by the form: field errors
/// keep their names (without the `kind.` prefix), a refusal by the rules is named `entry`.
pub fn custody_error(e: CustodyError) -> AppError {
    match e {
        CustodyError::Invalid(v) => {
            let mut out = ValidationErrors::new();
            for f in v.0 {
                let field = f
                    .field
                    .strip_prefix("kind.")
                    .unwrap_or(&f.field)
                    .to_string();
                out.push(field, f.message);
            }
            AppError::Invalid(out)
        }
        other => AppError::Invalid(ValidationErrors::single("entry", other.to_string())),
    }
}

fn body(custody: &CustodyRecord, detainee: &Detainee, ends_at: Option<Timestamp>) -> Value {
    json!({
        "event_type": CUSTODY_EVENT_TYPE,
        "title": format!("Custody {} · {}", custody.custody_number, detainee.summary),
        "starts_at": time::to_rfc3339(custody.booking.arrived_at),
        "ends_at": ends_at.map(time::to_rfc3339),
        "location_id": null,
        "narrative": null,
        "detainee": detainee,
        "custody": custody,
    })
}

/// Reads the custody record and detainee from a stored record; `None` when it is not a
/// custody record.
fn parse_record(rec: &StoredRecord) -> Option<(CustodyRecord, Option<Detainee>)> {
    if rec.kind != RecordKind::Event || rec.subtype.as_deref() != Some(CUSTODY_EVENT_TYPE) {
        return None;
    }
    let custody = serde_json::from_value(rec.body.get("custody")?.clone()).ok()?;
    let detainee = rec
        .body
        .get("detainee")
        .and_then(|d| serde_json::from_value(d.clone()).ok());
    Some((custody, detainee))
}

/// True when a stored record is a custody record (the generic event forms must not edit it).
pub fn is_custody_record(rec: &StoredRecord) -> bool {
    rec.kind == RecordKind::Event
        && rec.subtype.as_deref() == Some(CUSTODY_EVENT_TYPE)
        && rec.body.get("custody").is_some()
}

#[derive(Clone)]
pub struct CustodyService {
    pole: PoleService,
}

impl CustodyService {
    pub fn new(pole: PoleService) -> Self {
        Self { pole }
    }

    fn now(&self) -> Timestamp {
        self.pole.clock().now()
    }

    async fn require_custody(
        &self,
        caller: &Caller,
        audit_action: AuditAction,
        marking: &Marking,
        subjects: Vec<bluelamp_domain::audit::AuditSubject>,
    ) -> Result<bluelamp_authz::Decision, AppError> {
        let access = self.pole.access();
        let d = access.decide(caller, Action::Custody, RecordKind::Event, marking);
        if d.allowed {
            Ok(d)
        } else {
            Err(access
                .refuse(
                    caller,
                    audit_action,
                    subjects,
                    &d,
                    &format!("keep a custody record marked {}", marking.banner()),
                )
                .await)
        }
    }

    /// Books a detainee in: opens the custody record with the booking risk assessment, the
    /// custody officer's decision on detention and (when given) the rights, gives it the
    /// suite's next custody number and links the detainee's person record to it. One
    /// audited change: all of it is written or none. If the person record changed in the
    /// instant of booking (the change holds it as it was checked), the booking is made
    /// again from the record as it is, once: a person merged meanwhile is then refused by
    /// name, as any merged record is, rather than with a bare conflict. The first attempt's
    /// custody number is then not used.
    #[tracing::instrument(skip_all, err(level = "warn"), fields(user.id = %caller.actor().user_id))]
    pub async fn book_in(&self, caller: &Caller, input: BookIn) -> Result<CustodyView, AppError> {
        match self.book_in_once(caller, input.clone()).await {
            Err(AppError::Conflict { id, .. }) if id == input.person_id => {
                tracing::info!(person = %id, "the person changed while being booked in; booking again");
                self.book_in_once(caller, input).await
            }
            outcome => outcome,
        }
    }

    async fn book_in_once(&self, caller: &Caller, input: BookIn) -> Result<CustodyView, AppError> {
        let now = self.now();
        let mut booking = input.booking;
        booking.station = station_key(&booking.station);
        let mut custody =
            CustodyRecord::open("pending", booking, now).map_err(|v| prefixed("booking", v))?;
        let by = caller.actor().display_name;
        let risk = EntryKind::RiskAssessment {
            occasion: RiskOccasion::Booking,
            observation_level: input.risk.observation_level,
            intoxicated: input.risk.intoxicated,
            notes: input.risk.notes,
        };
        let decision = match input.detention {
            DetentionDecision::Authorise { grounds } => EntryKind::DetentionAuthorised {
                by: input.custody_officer.clone(),
                grounds,
            },
            DetentionDecision::Refuse { reason } => EntryKind::DetentionRefused {
                by: input.custody_officer.clone(),
                reason,
            },
        };
        let mut kinds = vec![("risk", risk), ("detention", decision)];
        if let Some(r) = input.rights {
            kinds.push((
                "rights",
                EntryKind::RightsGiven {
                    legal_advice_requested: r.legal_advice_requested,
                    someone_informed_requested: r.someone_informed_requested,
                },
            ));
        }
        for (prefix, kind) in kinds {
            custody
                .append(Entry::new(now, by.clone(), kind), now)
                .map_err(|e| match custody_error(e) {
                    AppError::Invalid(v) => prefixed(prefix, v),
                    other => other,
                })?;
        }

        // The detainee must be a person record the custody officer can see.
        let access = self.pole.access();
        let person = self
            .pole
            .store()
            .load(&[input.person_id])
            .await?
            .into_iter()
            .next()
            .filter(|r| {
                r.kind == RecordKind::Person
                    && access
                        .decide(caller, Action::Read, r.kind, &r.marking)
                        .allowed
            })
            .ok_or_else(|| ValidationErrors::single("person_id", "No person has this id"))?;
        if let Some(note) = crate::merge::MergedInto::of(&person) {
            return Err(ValidationErrors::single(
                "person_id",
                format!(
                    "This person was merged into {}: book in that record",
                    note.id
                ),
            )
            .into());
        }

        let marking = input.marking.unwrap_or_else(|| {
            Marking::new(Classification::OfficialSensitive, Vec::new(), Vec::new())
        });
        let permit = self
            .require_custody(caller, AuditAction::Create, &marking, vec![])
            .await?;

        let year = time::local(now).year();
        let n = self
            .pole
            .store()
            .next_reference(&format!("custody:{}:{year}", custody.booking.station))
            .await?;
        custody.custody_number = custody_number(&custody.booking.station, year, n);
        let detainee = Detainee {
            id: person.id,
            summary: person.summary.clone(),
        };
        let st = status(&custody, now);
        let id = RecordId::new_at(now);
        let rec = NewRecord {
            id,
            kind: RecordKind::Event,
            marking: marking.clone(),
            summary: summary(&custody, &detainee.summary, st.in_custody),
            subtype: Some(CUSTODY_EVENT_TYPE.into()),
            body: body(&custody, &detainee, (!st.in_custody).then_some(now)),
            link: None,
        };
        let link_id = RecordId::new_at(now);
        let link = self.pole.link_record(
            link_id,
            &Link {
                from: person.id,
                to: id,
                role: LinkRole::Detainee,
                valid_from: Some(time::london_date(now)),
                valid_to: None,
                asserted_by: Some(id),
                notes: None,
            },
            marking,
        )?;
        let correlation = caller.context.correlation_id.clone();
        let events = vec![
            record_event(
                id,
                RecordKind::Event,
                1,
                RecordChange::Created,
                None,
                now,
                correlation.clone(),
            ),
            record_event(
                link_id,
                RecordKind::Link,
                1,
                RecordChange::Created,
                Some((person.id, id, LinkRole::Detainee.as_str())),
                now,
                correlation,
            ),
        ];
        let written = self
            .pole
            .commit(Change {
                // The person as checked above: merged since, the booking is refused rather
                // than leave its detainee link on a record nobody sees.
                ops: vec![
                    WriteOp::Unchanged {
                        id: person.id,
                        base_version: person.version,
                    },
                    WriteOp::Insert(rec),
                    WriteOp::Insert(link),
                ],
                audit: caller
                    .audit(self.pole.clock(), AuditAction::Create)
                    .with_details(json!({
                        "custody": "book_in",
                        "custody_number": custody.custody_number,
                        "station": custody.booking.station,
                        "detainee_id": person.id,
                        "decision": decision_details(&permit),
                    })),
                events,
            })
            .await?;
        let record = written
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| AppError::Internal("store did not write the custody record".into()))?;
        Ok(CustodyView {
            record,
            custody,
            detainee: Some(detainee),
            status: st,
        })
    }

    /// A custody record with its clock as at now (an audited consultation).
    pub async fn get(&self, caller: &Caller, id: RecordId) -> Result<CustodyView, AppError> {
        let record = self.pole.get(caller, id, Some(RecordKind::Event)).await?;
        let (custody, detainee) = parse_record(&record).ok_or(AppError::NotFound(id))?;
        let status = status(&custody, self.now());
        Ok(CustodyView {
            record,
            custody,
            detainee,
            status,
        })
    }

    /// Adds one entry to a custody record, provided nobody has added another since
    /// `base_version` and the PACE rules allow it. `at` defaults to now; an earlier time is
    /// accepted when it is not before the last entry.
    #[tracing::instrument(skip_all, err(level = "warn"), fields(user.id = %caller.actor().user_id, record.id = %id))]
    pub async fn record(
        &self,
        caller: &Caller,
        id: RecordId,
        base_version: Version,
        at: Option<Timestamp>,
        kind: EntryKind,
    ) -> Result<CustodyView, AppError> {
        let current = self
            .pole
            .load_visible(caller, id, AuditAction::Update)
            .await?;
        let (mut custody, detainee) = parse_record(&current).ok_or(AppError::NotFound(id))?;
        let decision = self
            .require_custody(
                caller,
                AuditAction::Update,
                &current.marking,
                vec![bluelamp_store::subject(&current)],
            )
            .await?;
        if current.version != base_version {
            return Err(AppError::Conflict {
                id,
                expected: base_version,
                current: current.version,
            });
        }
        let now = self.now();
        let code = kind.code();
        let entry = Entry::new(at.unwrap_or(now), caller.actor().display_name, kind);
        custody.append(entry, now).map_err(custody_error)?;
        let st = status(&custody, now);
        let detainee_summary = detainee
            .as_ref()
            .map(|d| d.summary.clone())
            .unwrap_or_default();
        let ends_at = (!st.in_custody).then(|| {
            custody
                .entries
                .iter()
                .rev()
                .find(|e| matches!(e.kind, EntryKind::Disposal { .. }))
                .map(|e| e.at)
                .unwrap_or(now)
        });
        let new_body = match &detainee {
            Some(d) => body(&custody, d, ends_at),
            None => {
                let mut b = current.body.clone();
                b["custody"] = serde_json::to_value(&custody)
                    .map_err(|e| AppError::Internal(format!("cannot encode custody: {e}")))?;
                b
            }
        };
        let event = record_event(
            id,
            RecordKind::Event,
            base_version + 1,
            RecordChange::Updated,
            None,
            now,
            caller.context.correlation_id.clone(),
        );
        let written = self
            .pole
            .commit(Change {
                ops: vec![WriteOp::Update {
                    id,
                    base_version,
                    marking: current.marking.clone(),
                    summary: summary(&custody, &detainee_summary, st.in_custody),
                    subtype: Some(CUSTODY_EVENT_TYPE.into()),
                    body: new_body,
                }],
                audit: caller
                    .audit(self.pole.clock(), AuditAction::Update)
                    .with_details(json!({
                        "custody": code,
                        "custody_number": custody.custody_number,
                        "entry": custody.entries.len() - 1,
                        "base_version": base_version,
                        "decision": decision_details(&decision),
                    })),
                events: vec![event],
            })
            .await?;
        let record = written
            .into_iter()
            .next()
            .ok_or_else(|| AppError::Internal("store wrote nothing".into()))?;
        Ok(CustodyView {
            record,
            custody,
            detainee,
            status: st,
        })
    }

    /// Every detainee in a suite (every suite when `station` is empty) that the caller may
    /// see, soonest due action first (an audited list).
    pub async fn board(&self, caller: &Caller, station: &str) -> Result<Vec<BoardRow>, AppError> {
        let mut query = ListQuery::new(RecordKind::Event);
        query.subtype = Some(CUSTODY_EVENT_TYPE.into());
        query.summary_prefix = Some(board_prefix(station));
        query.order = ListOrder::Summary;
        query.per_page = BOARD_MAX;
        let page = self.pole.list(caller, query).await?;
        let now = self.now();
        let mut rows: Vec<BoardRow> = page
            .items
            .into_iter()
            .filter_map(|r| {
                let (custody, detainee) = parse_record(&r)?;
                let status = status(&custody, now);
                status.in_custody.then_some(BoardRow {
                    id: r.id,
                    version: r.version,
                    marking: r.marking,
                    custody,
                    detainee,
                    status,
                })
            })
            .collect();
        rows.sort_by_key(|r| {
            (
                r.status.due.first().map(|d| d.at).unwrap_or(Timestamp::MAX),
                r.custody.custody_number.clone(),
            )
        });
        Ok(rows)
    }
}

fn prefixed(prefix: &str, v: ValidationErrors) -> AppError {
    let mut out = ValidationErrors::new();
    out.extend_prefixed(prefix, v);
    AppError::Invalid(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custody_numbers_count_per_suite_and_year() {
        assert_eq!(custody_number("Central", 2026, 42), "CEN/26/00042");
        assert_eq!(custody_number("  st  albans ", 2027, 1), "STA/27/00001");
    }

    #[test]
    fn station_names_are_compared_in_one_form() {
        assert_eq!(station_key("  Central   North "), "CENTRAL NORTH");
        assert_eq!(board_prefix("central"), "In custody at CENTRAL · ");
        assert_eq!(board_prefix(""), "In custody at ");
    }
}
