//! Protective monitoring: rules over the audit trail that raise alerts for professional
//! standards. The monitor reads committed audit records in order and raises an alert, as an
//! audit record of its own (action `alert`, actor `system:protective-monitoring`), when:
//!
//! - **volume**: one user consults (views, histories, lists) more records in an hour than the
//!   threshold;
//! - **unusual hour**: a user with enough history acts at an hour of the day (UK time) that
//!   holds less than the threshold share of their last 30 days' activity;
//! - **flagged record**: a user consults a person flagged as sensitive (VIP, staff, ...) or a
//!   record restricted to named teams and officers;
//! - **repeated denials**: one user is refused the threshold number of times in 15 minutes;
//! - **own or colleague's name**: a user searches for their own surname or a colleague's;
//! - **break glass**: every request for access outside need to know, and every decision.
//!
//! Alerts are in the trail, so they are tamper-evident and fed to the monitoring centre like
//! everything else; the alerts page lists them and professional standards close them (also
//! audited). After a restart the monitor goes back over the last hour of the trail, skipping
//! records it has already raised alerts for; activity during a longer outage is not looked
//! at again (a known gap).

use crate::{Access, AppError, Caller};
use bluelamp_authz::Action;
use bluelamp_domain::audit::AuditSubject;
use bluelamp_domain::{
    Actor, AuditAction, AuditEntry, AuditOutcome, Clock, RecordId, RecordKind, RequestContext, time,
};
use bluelamp_store::{AuditQuery, AuditRow, Store};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use tokio::sync::Mutex;

/// The monitor's actor in the trail.
pub const MONITOR: &str = "protective-monitoring";

/// Person flags that make a consultation worth a professional-standards look.
pub const SENSITIVE_FLAGS: [&str; 6] = [
    "VIP",
    "STAFF",
    "POLICE STAFF",
    "POLICE OFFICER",
    "PUBLIC FIGURE",
    "CELEBRITY",
];

/// The thresholds (configurable per deployment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonitoringPolicy {
    /// Consultations by one user in any hour above which an alert is raised.
    pub consultations_per_hour: u32,
    /// Refusals of one user within 15 minutes that raise an alert.
    pub denials_per_15_minutes: u32,
    /// An hour of the day holding less than this share (per cent) of a user's activity is
    /// unusual for them.
    pub unusual_hour_percent: u32,
    /// Records of history a user needs before unusual hours are judged.
    pub min_history: u32,
    /// Seconds between looks at the trail.
    pub every_seconds: u64,
    /// Hours between checks of every record against the trail (`audit::check_records`);
    /// 0 turns the check off.
    pub records_check_hours: u32,
}

impl Default for MonitoringPolicy {
    fn default() -> Self {
        Self {
            consultations_per_hour: 300,
            denials_per_15_minutes: 5,
            unusual_hour_percent: 1,
            min_history: 200,
            every_seconds: 5,
            records_check_hours: 24,
        }
    }
}

/// The rules, named as alerts carry them.
pub mod rule {
    pub const VOLUME: &str = "volume";
    pub const UNUSUAL_HOUR: &str = "unusual_hour";
    pub const FLAGGED_RECORD: &str = "flagged_record";
    pub const REPEATED_DENIALS: &str = "repeated_denials";
    pub const OWN_OR_COLLEAGUE_NAME: &str = "own_or_colleague_name";
    pub const BREAK_GLASS: &str = "break_glass";
    /// Records that do not hold what the audit trail says was written to them.
    pub const RECORDS_CHANGED: &str = "records_changed";
}

/// Checks every record against the audit trail (`audit_log::check_records`) and, when any
/// was changed outside Bluelamp, raises one alert naming them (the first 20) for
/// professional standards, unless the same problems were alerted on last time
/// (`already_raised`, kept by the caller between rounds). Returns what the check found.
pub async fn records_check_round(
    store: &dyn Store,
    clock: &dyn Clock,
    already_raised: &mut Vec<String>,
) -> Result<crate::audit_log::RecordsReport, AppError> {
    let report = crate::audit_log::check_records(store).await?;
    if report.problems == *already_raised {
        // Nothing new since the last alert this process raised (or all still well).
        return Ok(report);
    }
    already_raised.clone_from(&report.problems);
    if report.ok() {
        tracing::info!(
            checked = report.checked,
            "every record holds what the audit trail says was written to it"
        );
        return Ok(report);
    }
    tracing::error!(problems = report.problems.len(), first = %report.problems[0], "records changed outside Bluelamp");
    let actor = Actor::system(MONITOR);
    let alert = AuditEntry::new(
        clock.now(),
        actor.clone(),
        AuditAction::Alert,
        "bluelamp-monitoring",
        RequestContext::default(),
    )
    .with_details(json!({
        "rule": rule::RECORDS_CHANGED,
        "user_id": actor.user_id,
        "user_name": actor.display_name,
        "summary": format!(
            "{} record(s) do not hold what the audit trail says was written to them: changed outside Bluelamp. The first: {}",
            report.problems.len(),
            report.problems[0]
        ),
        "problems": report.problems.iter().take(20).collect::<Vec<_>>(),
        "trigger_seqs": [],
    }));
    store.audit_only(alert).await?;
    Ok(report)
}

/// Runs [`records_check_round`] ten minutes after start (so a node restarted every day
/// still checks) and then every `every`, until `stop`.
pub async fn run_records_check(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    every: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut wait = every.min(std::time::Duration::from_secs(600));
    let mut already_raised = Vec::new();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => { wait = every; }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() { break; }
                continue;
            }
        }
        if let Err(e) =
            records_check_round(store.as_ref(), clock.as_ref(), &mut already_raised).await
        {
            tracing::error!(error = %e, "the check of records against the audit trail failed");
        }
    }
}

#[derive(Default)]
struct UserHistory {
    /// Activity by hour of day (UK), over the last 30 days and since.
    hours: [u32; 24],
    total: u32,
    loaded: bool,
}

#[derive(Default)]
struct State {
    /// The last audit seq looked at.
    cursor: Option<i64>,
    consultations: HashMap<String, VecDeque<Timestamp>>,
    denials: HashMap<String, VecDeque<Timestamp>>,
    /// (rule, user, key) -> when an alert was last raised: one alert per rule, user and key
    /// per quiet period.
    raised: HashMap<(String, String, String), Timestamp>,
    /// Seqs already alerted on (from before a restart).
    alerted_seqs: HashSet<i64>,
    history: HashMap<String, UserHistory>,
    /// Surname -> user ids with it, refreshed every few minutes.
    surnames: HashMap<String, Vec<String>>,
    surnames_at: Option<Timestamp>,
}

/// The monitor: `run_once` looks at everything new in the trail.
#[derive(Clone)]
pub struct Monitor {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    policy: MonitoringPolicy,
    state: Arc<Mutex<State>>,
}

/// A user's surname as their display name ends ("PS 201 Patel" -> "patel").
fn surname(display_name: &str) -> Option<String> {
    display_name
        .split_whitespace()
        .last()
        .map(|s| {
            s.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|s| s.chars().count() >= 3 && s.chars().all(char::is_alphabetic))
}

fn is_consultation(a: AuditAction) -> bool {
    matches!(
        a,
        AuditAction::View | AuditAction::ViewHistory | AuditAction::List | AuditAction::Search
    )
}

/// The surname a list or search looked for, lower case: a list's name filter (its first
/// word), or a search's family name.
fn searched_surname(e: &AuditEntry) -> Option<String> {
    let text = match e.action {
        AuditAction::List => e.details.get("summary_prefix")?.as_str()?,
        AuditAction::Search => e.details.get("family_name")?.as_str()?,
        _ => return None,
    };
    let first = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .find(|w| !w.is_empty())?;
    Some(first.to_lowercase())
}

impl Monitor {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, policy: MonitoringPolicy) -> Self {
        Self {
            store,
            clock,
            policy,
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    pub fn policy(&self) -> MonitoringPolicy {
        self.policy
    }

    /// Where to start after a restart: the last hour of the trail, and the seqs that
    /// earlier alerts already covered.
    async fn resume(&self, st: &mut State) -> Result<(), AppError> {
        let now = self.clock.now();
        let before_window = self
            .store
            .audit_search(&AuditQuery {
                to: Some(
                    now.saturating_sub(SignedDuration::from_hours(1))
                        .unwrap_or(now),
                ),
                limit: 1,
                ..Default::default()
            })
            .await?;
        st.cursor = Some(before_window.first().map(|r| r.seq).unwrap_or(0));
        let earlier = self
            .store
            .audit_search(&AuditQuery {
                action: Some(AuditAction::Alert),
                from: Some(
                    now.saturating_sub(SignedDuration::from_hours(2))
                        .unwrap_or(now),
                ),
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        for a in earlier {
            if let Some(seqs) = a
                .entry
                .details
                .get("trigger_seqs")
                .and_then(Value::as_array)
            {
                st.alerted_seqs
                    .extend(seqs.iter().filter_map(Value::as_i64));
            }
        }
        Ok(())
    }

    /// Reloads users' surnames when this batch holds a search by name (so a new colleague
    /// counts at once), or every five minutes.
    async fn refresh_surnames(
        &self,
        st: &mut State,
        now: Timestamp,
        rows: &[AuditRow],
    ) -> Result<(), AppError> {
        let searched = rows.iter().any(|r| searched_surname(&r.entry).is_some());
        let fresh = st
            .surnames_at
            .is_some_and(|t| now.duration_since(t) < SignedDuration::from_mins(5));
        if fresh && !searched {
            return Ok(());
        }
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for u in self.store.users().await? {
            if let Some(s) = surname(&u.principal.display_name) {
                map.entry(s)
                    .or_default()
                    .push(u.principal.username.as_str().to_string());
            }
        }
        st.surnames = map;
        st.surnames_at = Some(now);
        Ok(())
    }

    async fn history<'a>(
        &self,
        st: &'a mut State,
        user: &str,
        now: Timestamp,
    ) -> Result<&'a mut UserHistory, AppError> {
        let needs_load = !st.history.get(user).is_some_and(|h| h.loaded);
        if needs_load {
            let rows = self
                .store
                .audit_search(&AuditQuery {
                    user_id: Some(user.to_string()),
                    from: Some(
                        now.saturating_sub(SignedDuration::from_hours(24 * 30))
                            .unwrap_or(now),
                    ),
                    limit: 10_000,
                    ..Default::default()
                })
                .await?;
            let mut h = UserHistory {
                loaded: true,
                ..Default::default()
            };
            for r in rows {
                let hour = usize::try_from(time::local(r.entry.at).hour()).unwrap_or(0) % 24;
                h.hours[hour] += 1;
                h.total += 1;
            }
            st.history.insert(user.to_string(), h);
        }
        Ok(st.history.entry(user.to_string()).or_default())
    }

    /// Looks at every audit record committed since the last call and writes the alerts the
    /// rules raise. Returns the alerts written.
    pub async fn run_once(&self) -> Result<Vec<AuditEntry>, AppError> {
        let mut st = self.state.lock().await;
        if st.cursor.is_none() {
            self.resume(&mut st).await?;
        }
        let mut raised = Vec::new();
        loop {
            let after = st.cursor.unwrap_or(0);
            let rows = self.store.audit_entries(after, 1_000).await?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                break;
            };
            let now = self.clock.now();
            self.refresh_surnames(&mut st, now, &rows).await?;
            let flagged = self.flagged_records(&rows).await?;
            for row in &rows {
                raised.extend(self.check(&mut st, row, &flagged).await?);
            }
            st.cursor = Some(last);
        }
        for alert in &raised {
            self.store.audit_only(alert.clone()).await?;
        }
        Ok(raised)
    }

    /// The persons and restricted records among the records these audit rows consulted.
    async fn flagged_records(
        &self,
        rows: &[AuditRow],
    ) -> Result<HashMap<RecordId, String>, AppError> {
        let ids: Vec<RecordId> = rows
            .iter()
            .filter(|r| matches!(r.entry.action, AuditAction::View | AuditAction::ViewHistory))
            .filter(|r| !r.entry.actor.user_id.starts_with("system:"))
            .flat_map(|r| r.entry.subjects.iter())
            .filter(|s| s.kind != RecordKind::Link)
            .map(|s| s.id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut out = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        for chunk in ids.chunks(500) {
            for rec in self.store.load(chunk).await? {
                if rec.marking.restriction.is_some() {
                    out.insert(
                        rec.id,
                        "a record restricted to named teams and officers".into(),
                    );
                    continue;
                }
                if rec.kind == RecordKind::Person {
                    let flags: Vec<String> = rec
                        .body
                        .get("flags")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_uppercase)
                                .collect()
                        })
                        .unwrap_or_default();
                    if let Some(f) = flags.iter().find(|f| SENSITIVE_FLAGS.contains(&f.as_str())) {
                        out.insert(rec.id, format!("a person flagged {f}"));
                    }
                }
            }
        }
        Ok(out)
    }

    fn alert(
        &self,
        rule: &str,
        row: &AuditRow,
        summary: String,
        trigger_seqs: Vec<i64>,
        subjects: Vec<AuditSubject>,
    ) -> AuditEntry {
        let mut e = AuditEntry::new(
            self.clock.now(),
            Actor::system(MONITOR),
            AuditAction::Alert,
            "bluelamp-monitoring",
            RequestContext::default(),
        )
        .with_details(json!({
            "rule": rule,
            "user_id": row.entry.actor.user_id,
            "user_name": row.entry.actor.display_name,
            "summary": summary,
            "trigger_seqs": trigger_seqs,
            "source_address": row.entry.context.source_address,
        }));
        e.subjects = subjects;
        e
    }

    /// True (and remembered) when no alert for this rule, user and key was raised within
    /// `quiet` before `at`.
    fn first_in(
        st: &mut State,
        rule: &str,
        user: &str,
        key: &str,
        at: Timestamp,
        quiet: SignedDuration,
    ) -> bool {
        let k = (rule.to_string(), user.to_string(), key.to_string());
        match st.raised.get(&k) {
            Some(t) if at.duration_since(*t) < quiet => false,
            _ => {
                st.raised.insert(k, at);
                true
            }
        }
    }

    async fn check(
        &self,
        st: &mut State,
        row: &AuditRow,
        flagged: &HashMap<RecordId, String>,
    ) -> Result<Vec<AuditEntry>, AppError> {
        let e = &row.entry;
        let user = e.actor.user_id.clone();
        if user.starts_with("system:") || st.alerted_seqs.contains(&row.seq) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let hour = SignedDuration::from_hours(1);
        let day = SignedDuration::from_hours(24);

        if matches!(
            e.action,
            AuditAction::BreakGlassRequest | AuditAction::BreakGlassDecision
        ) && e.outcome == AuditOutcome::Success
        {
            let what = if e.action == AuditAction::BreakGlassRequest {
                format!(
                    "{} asked for access outside their need to know: \"{}\"",
                    e.actor.display_name,
                    e.details
                        .get("reason")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                )
            } else if e.details.get("approved").and_then(Value::as_bool) == Some(true) {
                format!(
                    "{} approved break-glass access for {}",
                    e.actor.display_name,
                    e.details
                        .get("requested_by")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                )
            } else {
                format!(
                    "{} refused break-glass access for {}",
                    e.actor.display_name,
                    e.details
                        .get("requested_by")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                )
            };
            out.push(self.alert(
                rule::BREAK_GLASS,
                row,
                what,
                vec![row.seq],
                e.subjects.clone(),
            ));
        }

        if is_consultation(e.action) {
            let q = st.consultations.entry(user.clone()).or_default();
            q.push_back(e.at);
            while q.front().is_some_and(|t| e.at.duration_since(*t) > hour) {
                q.pop_front();
            }
            let n = q.len();
            if n > self.policy.consultations_per_hour as usize
                && Self::first_in(st, rule::VOLUME, &user, "", e.at, hour)
            {
                out.push(self.alert(
                    rule::VOLUME,
                    row,
                    format!(
                        "{} consulted {n} records in an hour (threshold {})",
                        e.actor.display_name, self.policy.consultations_per_hour
                    ),
                    vec![row.seq],
                    Vec::new(),
                ));
            }
        }

        if e.outcome == AuditOutcome::Denied {
            let window = SignedDuration::from_mins(15);
            let q = st.denials.entry(user.clone()).or_default();
            q.push_back(e.at);
            while q.front().is_some_and(|t| e.at.duration_since(*t) > window) {
                q.pop_front();
            }
            let n = q.len();
            if n >= self.policy.denials_per_15_minutes as usize
                && Self::first_in(st, rule::REPEATED_DENIALS, &user, "", e.at, window)
            {
                out.push(self.alert(
                    rule::REPEATED_DENIALS,
                    row,
                    format!(
                        "{} was refused {n} times in 15 minutes",
                        e.actor.display_name
                    ),
                    vec![row.seq],
                    e.subjects.clone(),
                ));
            }
        }

        if matches!(e.action, AuditAction::View | AuditAction::ViewHistory)
            && e.outcome == AuditOutcome::Success
        {
            for s in &e.subjects {
                if let Some(why) = flagged.get(&s.id)
                    && Self::first_in(
                        st,
                        rule::FLAGGED_RECORD,
                        &user,
                        &s.id.to_string(),
                        e.at,
                        day,
                    )
                {
                    out.push(self.alert(
                        rule::FLAGGED_RECORD,
                        row,
                        format!("{} consulted {why}", e.actor.display_name),
                        vec![row.seq],
                        vec![s.clone()],
                    ));
                }
            }
        }

        if let Some(wanted) = searched_surname(e)
            && let Some(owners) = st.surnames.get(&wanted).cloned()
        {
            let own = owners.contains(&user);
            let colleagues: Vec<&String> = owners.iter().filter(|o| **o != user).collect();
            let whose = if own {
                "their own surname".to_string()
            } else {
                format!(
                    "the surname of {}",
                    colleagues
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            if Self::first_in(st, rule::OWN_OR_COLLEAGUE_NAME, &user, &wanted, e.at, day) {
                out.push(self.alert(
                    rule::OWN_OR_COLLEAGUE_NAME,
                    row,
                    format!(
                        "{} searched for {whose} (\"{wanted}\")",
                        e.actor.display_name
                    ),
                    vec![row.seq],
                    Vec::new(),
                ));
            }
        }

        // Unusual hour: judged against the user's history before this record.
        let min_history = self.policy.min_history;
        let percent = self.policy.unusual_hour_percent;
        let at_hour = usize::try_from(time::local(e.at).hour()).unwrap_or(0) % 24;
        let unusual = {
            let h = self.history(st, &user, e.at).await?;
            let unusual = h.total >= min_history
                && u64::from(h.hours[at_hour]) * 100 < u64::from(percent) * u64::from(h.total);
            h.hours[at_hour] += 1;
            h.total += 1;
            unusual
        };
        if unusual
            && Self::first_in(
                st,
                rule::UNUSUAL_HOUR,
                &user,
                &at_hour.to_string(),
                e.at,
                day,
            )
        {
            out.push(self.alert(
                rule::UNUSUAL_HOUR,
                row,
                format!(
                    "{} used Bluelamp at {} UK time, an hour they rarely work",
                    e.actor.display_name,
                    time::local(e.at).strftime("%H:%M")
                ),
                vec![row.seq],
                Vec::new(),
            ));
        }
        Ok(out)
    }

    /// Looks at the trail every `every` until `stop` turns true.
    pub async fn run(
        self,
        every: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            if let Err(e) = self.run_once().await {
                tracing::error!(error = %e, "protective monitoring failed a round");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => {
                    if *stop.borrow() { break; }
                }
            }
        }
    }
}

/// An alert as the alerts page shows it.
#[derive(Debug, Clone)]
pub struct AlertView {
    pub seq: i64,
    pub entry: AuditEntry,
    /// The closing record, once closed.
    pub closed: Option<AuditEntry>,
}

/// The alerts page's use cases: list alerts, close one (professional standards).
#[derive(Clone)]
pub struct Alerts {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    access: Access,
}

impl Alerts {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, access: Access) -> Self {
        Self {
            store,
            clock,
            access,
        }
    }

    /// The newest alerts with whether each is closed (reading them is audited).
    pub async fn list(&self, caller: &Caller, limit: u32) -> Result<Vec<AlertView>, AppError> {
        self.access
            .require_system_action(
                caller,
                Action::ReadAudit,
                AuditAction::ReadAudit,
                "read alerts",
            )
            .await?;
        let alerts = self
            .store
            .audit_search(&AuditQuery {
                action: Some(AuditAction::Alert),
                limit: limit.clamp(1, 1_000),
                ..Default::default()
            })
            .await?;
        let closes = self
            .store
            .audit_search(&AuditQuery {
                action: Some(AuditAction::AlertClosed),
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        let mut closed: HashMap<i64, AuditEntry> = HashMap::new();
        for c in closes {
            if let Some(seq) = c.entry.details.get("alert_seq").and_then(Value::as_i64) {
                closed.entry(seq).or_insert(c.entry);
            }
        }
        self.store
            .audit_only(caller.audit(&self.clock, AuditAction::ReadAudit).with_details(json!({
                "alerts": { "returned_seqs": alerts.iter().map(|a| a.seq).collect::<Vec<_>>() },
            })))
            .await?;
        Ok(alerts
            .into_iter()
            .map(|a| AlertView {
                closed: closed.remove(&a.seq),
                seq: a.seq,
                entry: a.entry,
            })
            .collect())
    }

    /// Closes an alert with what was found (audited; closing twice is refused).
    pub async fn close(
        &self,
        caller: &Caller,
        alert_seq: i64,
        outcome: &str,
    ) -> Result<(), AppError> {
        self.access
            .require_system_action(
                caller,
                Action::ReadAudit,
                AuditAction::AlertClosed,
                "close alerts",
            )
            .await?;
        let outcome = outcome.trim();
        if outcome.is_empty() || outcome.chars().count() > 2_000 {
            return Err(bluelamp_domain::ValidationErrors::single(
                "outcome",
                "Say what was found (at most 2,000 characters)",
            )
            .into());
        }
        let exists = self
            .store
            .audit_search(&AuditQuery {
                action: Some(AuditAction::Alert),
                before_seq: Some(alert_seq + 1),
                limit: 1,
                ..Default::default()
            })
            .await?
            .first()
            .is_some_and(|r| r.seq == alert_seq);
        if !exists {
            return Err(bluelamp_domain::ValidationErrors::single(
                "alert",
                "No alert has this number",
            )
            .into());
        }
        let already = self
            .store
            .audit_search(&AuditQuery {
                action: Some(AuditAction::AlertClosed),
                limit: 10_000,
                ..Default::default()
            })
            .await?
            .iter()
            .any(|c| c.entry.details.get("alert_seq").and_then(Value::as_i64) == Some(alert_seq));
        if already {
            return Err(bluelamp_domain::ValidationErrors::single(
                "alert",
                "This alert is already closed",
            )
            .into());
        }
        self.store
            .audit_only(
                caller
                    .audit(&self.clock, AuditAction::AlertClosed)
                    .with_details(json!({ "alert_seq": alert_seq, "outcome": outcome })),
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_for_a_surname_counts_like_a_list_filtered_by_it() {
        let entry = |action, details| {
            AuditEntry::new(
                jiff::Timestamp::UNIX_EPOCH,
                Actor::system("test"),
                action,
                "test",
                RequestContext::default(),
            )
            .with_details(details)
        };
        assert_eq!(
            searched_surname(&entry(AuditAction::Search, json!({"family_name": "Patel"}))),
            Some("patel".into())
        );
        assert_eq!(
            searched_surname(&entry(
                AuditAction::List,
                json!({"summary_prefix": "PATEL, J"})
            )),
            Some("patel".into())
        );
        // A registration or postcode search names no surname.
        assert_eq!(
            searched_surname(&entry(AuditAction::Search, json!({"family_name": null}))),
            None
        );
        assert_eq!(
            searched_surname(&entry(AuditAction::View, json!({"family_name": "Patel"}))),
            None
        );
    }

    #[test]
    fn surnames_come_from_the_end_of_the_display_name() {
        assert_eq!(surname("PS 201 Patel").as_deref(), Some("patel"));
        assert_eq!(surname("Test test.officer"), None);
        assert_eq!(
            surname("Jo Li"),
            None,
            "too short to match searches reliably"
        );
    }
}
