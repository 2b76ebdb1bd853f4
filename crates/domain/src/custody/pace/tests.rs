use super::*;
use crate::custody::model::{
    Booking, Offence, ReviewDecision, ReviewMode, RiskOccasion, TrialMode,
};
use proptest::prelude::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn h(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
}

fn m(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

/// Monday 2 March 2026, 10:00 UTC (GMT): arrival at the station.
fn t0() -> Timestamp {
    ts("2026-03-02T10:00:00Z")
}

fn at(d: SignedDuration) -> Timestamp {
    t0() + d
}

fn off(rank: Rank) -> Officer {
    Officer {
        name: format!("{} Jones", rank.label()),
        rank,
    }
}

fn booking_with(arrived: Timestamp, modes: &[TrialMode], regime: Regime) -> Booking {
    Booking {
        station: "Northtown custody suite".into(),
        arrested_at: arrived - m(30),
        arrest_place: "High Street, Northtown".into(),
        arresting_officer: "PC 1234 Patel".into(),
        grounds: "Seen leaving the premises with the property".into(),
        arrived_at: arrived,
        offences: modes
            .iter()
            .map(|mode| Offence {
                description: "Burglary (dwelling)".into(),
                mode: *mode,
            })
            .collect(),
        regime,
        basis: RelevantTimeBasis::Arrival,
    }
}

fn record_with(modes: &[TrialMode], regime: Regime) -> CustodyRecord {
    CustodyRecord::open("NT/0001/26", booking_with(t0(), modes, regime), t0()).unwrap()
}

fn record() -> CustodyRecord {
    record_with(&[TrialMode::Indictable], Regime::Pace)
}

fn try_add(r: &mut CustodyRecord, when: Timestamp, kind: EntryKind) -> Result<(), CustodyError> {
    r.append(Entry::new(when, "PS 123 Smith", kind), when)
}

fn add(r: &mut CustodyRecord, when: Timestamp, kind: EntryKind) {
    try_add(r, when, kind).unwrap();
}

fn risk(occasion: RiskOccasion, level: u8, intoxicated: bool) -> EntryKind {
    EntryKind::RiskAssessment {
        occasion,
        observation_level: level,
        intoxicated,
        notes: String::new(),
    }
}

/// A booking risk assessment and detention authorised, both at `when`.
fn authorise(r: &mut CustodyRecord, when: Timestamp) {
    add(r, when, risk(RiskOccasion::Booking, 1, false));
    add(
        r,
        when,
        EntryKind::DetentionAuthorised {
            by: off(Rank::Sergeant),
            grounds: "To secure and preserve evidence by questioning".into(),
        },
    );
}

fn review_by(rank: Rank) -> EntryKind {
    EntryKind::Review {
        by: off(rank),
        mode: ReviewMode::InPerson,
        representations: "none".into(),
        decision: ReviewDecision::ContinueDetention,
        note: String::new(),
    }
}

fn extension(rank: Rank, until_hours: u32) -> EntryKind {
    EntryKind::Extension {
        by: off(rank),
        until_hours,
        grounds: "Further interviews needed; forensic results awaited".into(),
    }
}

fn pcb(return_at: Timestamp, rank: Rank) -> EntryKind {
    EntryKind::Disposal {
        outcome: Disposal::PreChargeBail {
            return_at,
            conditions: vec!["Not to contact the complainant".into()],
            authorised_by: off(rank),
        },
    }
}

/// An authorised detention with reviews at 5 h and 14 h.
fn reviewed_twice() -> CustodyRecord {
    let mut r = record();
    authorise(&mut r, t0());
    add(&mut r, at(h(5)), review_by(Rank::Inspector));
    add(&mut r, at(h(14)), review_by(Rank::Inspector));
    r
}

fn charged(r: &CustodyRecord) -> EntryKind {
    EntryKind::Charged {
        offences: r.booking.offences.clone(),
    }
}

fn refusal(e: CustodyError) -> String {
    e.to_string()
}

// -- relevant time --------------------------------------------------------------------------

#[test]
fn ordinary_relevant_time_is_arrival() {
    let r = record();
    assert_eq!(relevant_time(&r.booking).0, t0());
    assert!(relevant_time(&r.booking).1.contains("s41(2)(d)"));
    assert_eq!(status(&r, at(h(1))).relevant_time, t0());
}

#[test]
fn other_area_relevant_time_is_earlier_of_arrival_or_24h_after_arrest() {
    let mut b = booking_with(t0(), &[TrialMode::Indictable], Regime::Pace);
    let arrest = b.arrested_at;
    // Arrives in the investigating area just under 24 h after arrest: that arrival.
    b.basis = RelevantTimeBasis::OtherForceArea {
        arrival_in_investigating_area: Some(arrest + h(24) - m(1)),
    };
    assert_eq!(relevant_time(&b).0, arrest + h(24) - m(1));
    assert!(relevant_time(&b).1.contains("s41(2)(a)"));
    // Just over: 24 h after arrest.
    b.basis = RelevantTimeBasis::OtherForceArea {
        arrival_in_investigating_area: Some(arrest + h(24) + m(1)),
    };
    assert_eq!(relevant_time(&b).0, arrest + h(24));
    assert!(relevant_time(&b).1.contains("(3)"));
    // Not there yet: 24 h after arrest.
    b.basis = RelevantTimeBasis::OtherForceArea {
        arrival_in_investigating_area: None,
    };
    assert_eq!(relevant_time(&b).0, arrest + h(24));
}

#[test]
fn outside_england_and_wales_relevant_time_is_earlier_of_arrival_or_24h_after_entry() {
    let mut b = booking_with(t0(), &[TrialMode::Indictable], Regime::Pace);
    let entered = b.arrested_at + h(2);
    b.basis = RelevantTimeBasis::OutsideEnglandAndWales {
        entered_england_wales_at: entered,
        arrival_in_investigating_area: Some(entered + h(3)),
    };
    assert_eq!(relevant_time(&b).0, entered + h(3));
    b.basis = RelevantTimeBasis::OutsideEnglandAndWales {
        entered_england_wales_at: entered,
        arrival_in_investigating_area: Some(entered + h(30)),
    };
    assert_eq!(relevant_time(&b).0, entered + h(24));
    assert!(relevant_time(&b).1.contains("s41(2)(b)"));
}

#[test]
fn voluntary_attendance_relevant_time_is_arrest() {
    let mut b = booking_with(t0(), &[TrialMode::Indictable], Regime::Pace);
    b.basis = RelevantTimeBasis::VoluntaryAttendance;
    // Attended at 10:00, arrested at 11:15 in the station.
    b.arrested_at = t0() + m(75);
    assert!(b.validate().is_ok());
    assert_eq!(relevant_time(&b).0, t0() + m(75));
    assert!(relevant_time(&b).1.contains("s41(2)(c)"));
}

#[test]
fn street_bail_relevant_time_is_arrival() {
    let mut b = booking_with(t0(), &[TrialMode::Indictable], Regime::Pace);
    b.basis = RelevantTimeBasis::StreetBail;
    assert_eq!(relevant_time(&b).0, t0());
    assert!(relevant_time(&b).1.contains("s41(2)(ca)"));
}

#[test]
fn clock_does_not_start_before_the_relevant_time() {
    // Held in another area; the clock starts 24 h after arrest.
    let mut b = booking_with(t0(), &[TrialMode::Indictable], Regime::Pace);
    b.basis = RelevantTimeBasis::OtherForceArea {
        arrival_in_investigating_area: None,
    };
    let rt = b.arrested_at + h(24);
    let r = CustodyRecord::open("NT/2", b, t0()).unwrap();
    let s = status(&r, at(h(2)));
    assert_eq!(s.detained_for, SignedDuration::ZERO);
    assert_eq!(s.limit.at, rt + h(24));
    assert!(!s.clock_running);
}

// -- limits ---------------------------------------------------------------------------------

#[test]
fn limit_is_24h_from_relevant_time() {
    let mut r = record();
    authorise(&mut r, t0() + m(10));
    let s = status(&r, at(h(1)));
    assert_eq!(s.limit.at, at(h(24)));
    assert_eq!(s.limit.basis, LimitBasis::Standard24);
    assert_eq!(s.detained_for, h(1));
    assert_eq!(s.time_left, h(23));
    assert!(s.in_custody && s.clock_running);
    let limit_due = s
        .due
        .iter()
        .find(|d| d.what == DueKind::LimitReached)
        .unwrap();
    assert_eq!(limit_due.at, at(h(24)));
}

#[test]
fn limit_warnings_within_two_hours_and_when_over() {
    let mut r = record();
    authorise(&mut r, t0());
    assert!(
        status(&r, at(h(21)))
            .warnings
            .iter()
            .all(|w| !w.contains("limit"))
    );
    let near = status(&r, at(h(22) + m(30)));
    assert!(
        near.warnings
            .iter()
            .any(|w| w.contains("reached in 1 h 30 min"))
    );
    let over = status(&r, at(h(25)));
    assert_eq!(over.time_left, -h(1));
    assert!(
        over.warnings
            .iter()
            .any(|w| w.contains("must be charged or released now"))
    );
    assert!(
        over.due
            .iter()
            .any(|d| d.what == DueKind::LimitReached && d.overdue)
    );
}

#[test]
fn extension_refused_for_summary_only() {
    let mut r = record_with(&[TrialMode::Summary, TrialMode::Summary], Regime::Pace);
    authorise(&mut r, t0());
    add(&mut r, at(h(5)), review_by(Rank::Inspector));
    add(&mut r, at(h(14)), review_by(Rank::Inspector));
    let e = try_add(&mut r, at(h(20)), extension(Rank::Superintendent, 36)).unwrap_err();
    assert!(matches!(e, CustodyError::NotIndictable { .. }));
    assert_eq!(
        refusal(e),
        "An extension to 36 hours needs an indictable offence (PACE s42); every offence here is summary-only."
    );
}

#[test]
fn either_way_offence_counts_as_indictable() {
    assert!(TrialMode::EitherWay.is_indictable());
    assert!(!TrialMode::Summary.is_indictable());
    let mut r = record_with(&[TrialMode::Summary, TrialMode::EitherWay], Regime::Pace);
    authorise(&mut r, t0());
    add(&mut r, at(h(5)), review_by(Rank::Inspector));
    add(&mut r, at(h(14)), review_by(Rank::Inspector));
    add(&mut r, at(h(20)), extension(Rank::Superintendent, 36));
}

#[test]
fn extension_refused_before_second_review() {
    let mut r = record();
    authorise(&mut r, t0());
    add(&mut r, at(h(5)), review_by(Rank::Inspector));
    let e = try_add(&mut r, at(h(10)), extension(Rank::Superintendent, 36)).unwrap_err();
    let msg = refusal(e);
    assert!(msg.contains("before the second review"), "{msg}");
    assert!(msg.contains("only one review has"), "{msg}");
}

#[test]
fn extension_refused_after_24h() {
    let mut r = reviewed_twice();
    add(&mut r, at(h(23)), review_by(Rank::Inspector));
    let e = try_add(
        &mut r,
        at(h(24) + m(1)),
        extension(Rank::Superintendent, 36),
    )
    .unwrap_err();
    assert!(refusal(e).contains("more than 24 hours after the relevant time"));
    // At exactly 24 h it may still be given.
    let mut r = reviewed_twice();
    add(&mut r, at(h(24)), extension(Rank::Superintendent, 36));
}

#[test]
fn extension_refused_below_superintendent() {
    let mut r = reviewed_twice();
    let e = try_add(&mut r, at(h(20)), extension(Rank::ChiefInspector, 36)).unwrap_err();
    assert_eq!(
        e,
        CustodyError::RankTooLow {
            action: "An extension to 36 hours",
            needed: Rank::Superintendent,
            given: Rank::ChiefInspector,
            rule: "PACE s42(1)",
        }
    );
    assert!(refusal(e).contains("a superintendent or above"));
}

#[test]
fn extension_refused_beyond_36h() {
    let mut r = reviewed_twice();
    let e = try_add(&mut r, at(h(20)), extension(Rank::ChiefSuperintendent, 40)).unwrap_err();
    assert!(refusal(e).contains("at most 36 hours"));
}

#[test]
fn extension_moves_limit_to_36h() {
    let mut r = reviewed_twice();
    add(&mut r, at(h(20)), extension(Rank::Superintendent, 36));
    let s = status(&r, at(h(21)));
    assert_eq!(s.limit.at, at(h(36)));
    assert_eq!(
        s.limit.basis,
        LimitBasis::Superintendent36 { until_hours: 36 }
    );
    assert_eq!(s.time_left, h(15));
    // A shorter extension, then a second one up to 36 h.
    let mut r = reviewed_twice();
    add(&mut r, at(h(20)), extension(Rank::Superintendent, 30));
    assert_eq!(status(&r, at(h(21))).limit.at, at(h(30)));
    let e = try_add(&mut r, at(h(21)), extension(Rank::Superintendent, 28)).unwrap_err();
    assert!(refusal(e).contains("beyond the current limit of 30 hours"));
    add(&mut r, at(h(22)), extension(Rank::Superintendent, 36));
    assert_eq!(status(&r, at(h(23))).limit.at, at(h(36)));
}

fn warrant(issued_at: Timestamp, hours: u32) -> EntryKind {
    EntryKind::Warrant {
        court: "Northtown Magistrates' Court".into(),
        issued_at,
        hours,
    }
}

#[test]
fn warrant_runs_from_issue_and_never_beyond_96h() {
    let mut r = reviewed_twice();
    add(&mut r, at(h(20)), extension(Rank::Superintendent, 36));
    // Issued at 30 h for 36 h: runs to 66 h.
    add(&mut r, at(h(31)), warrant(at(h(30)), 36));
    let s = status(&r, at(h(32)));
    assert_eq!(s.limit.at, at(h(66)));
    assert!(matches!(
        s.limit.basis,
        LimitBasis::Warrant { hours: 36, .. }
    ));
    // A warrant of more than 36 hours is refused.
    let e = try_add(&mut r, at(h(60)), warrant(at(h(60)), 37)).unwrap_err();
    assert!(refusal(e).contains("at most 36 hours from issue"));
    // An extension issued at 65 h for 36 h would end at 101 h.
    let e = try_add(&mut r, at(h(65)), warrant(at(h(65)), 36)).unwrap_err();
    let msg = refusal(e);
    assert!(
        msg.contains("beyond 96 hours") && msg.contains("101 h"),
        "{msg}"
    );
    // For 31 h it ends at exactly 96 h.
    add(&mut r, at(h(65)), warrant(at(h(65)), 31));
    let s = status(&r, at(h(70)));
    assert_eq!(s.limit.at, at(h(96)));
    assert_eq!(s.limit.allowed, h(96));
    // Nothing can take it further.
    let e = try_add(&mut r, at(h(90)), warrant(at(h(90)), 7)).unwrap_err();
    assert!(refusal(e).contains("96 hours"));
}

#[test]
fn warrant_refused_once_detention_has_expired() {
    let mut r = record();
    authorise(&mut r, t0());
    // Only 24 h authorised; a warrant issued at 25 h is too late.
    let e = try_add(&mut r, at(h(25)), warrant(at(h(25)), 36)).unwrap_err();
    assert!(refusal(e).contains("s43(5)"));
    // Within the 24 h it is fine.
    let mut r = record();
    authorise(&mut r, t0());
    add(&mut r, at(h(23)), warrant(at(h(23)), 36));
    assert_eq!(status(&r, at(h(24))).limit.at, at(h(59)));
}

#[test]
fn warrant_refused_for_summary_only() {
    let mut r = record_with(&[TrialMode::Summary], Regime::Pace);
    authorise(&mut r, t0());
    let e = try_add(&mut r, at(h(20)), warrant(at(h(20)), 36)).unwrap_err();
    assert!(matches!(
        e,
        CustodyError::NotIndictable {
            rule: "PACE s43(4)",
            ..
        }
    ));
}

#[test]
fn hospital_time_not_counted_unless_questioned() {
    let mut r = record();
    authorise(&mut r, t0());
    add(&mut r, at(h(2)), EntryKind::HospitalDeparted);
    let during = status(&r, at(h(3)));
    assert!(during.at_hospital && !during.clock_running);
    assert_eq!(during.detained_for, h(2));
    assert!(during.next_visit.is_none());
    assert!(during.warnings.iter().any(|w| w.contains("s41(6)")));
    add(
        &mut r,
        at(h(5)),
        EntryKind::QuestionedInHospital {
            from: at(h(3)),
            to: at(h(3) + m(30)),
        },
    );
    add(&mut r, at(h(6)), EntryKind::HospitalReturned);
    let s = status(&r, at(h(10)));
    // 4 h away, 30 min of it questioned: 3 h 30 min not counted.
    assert_eq!(s.detained_for, h(6) + m(30));
    assert_eq!(s.limit.at, at(h(27) + m(30)));
    assert_eq!(s.time_left + s.detained_for, h(24));
}

#[test]
fn questioning_outside_a_hospital_visit_is_refused() {
    let mut r = record();
    authorise(&mut r, t0());
    let e = try_add(
        &mut r,
        at(h(2)),
        EntryKind::QuestionedInHospital {
            from: at(h(1)),
            to: at(h(2)),
        },
    )
    .unwrap_err();
    assert!(refusal(e).contains("not within a recorded hospital visit"));
}

/// Detained 10 h, bailed at 10 h for a month, back 30 days later.
fn bailed_and_returned(breach: bool) -> (CustodyRecord, Timestamp) {
    let mut r = record();
    authorise(&mut r, t0());
    add(&mut r, at(h(10)), risk(RiskOccasion::Release, 1, false));
    add(
        &mut r,
        at(h(10)),
        pcb(at(h(10)) + h(24 * 28), Rank::Sergeant),
    );
    let during = status(&r, at(h(20)));
    assert!(!during.in_custody);
    assert_eq!(during.detained_for, h(10));
    assert!(during.due.is_empty());
    let back = at(h(10)) + h(24 * 30);
    add(
        &mut r,
        back + m(5),
        EntryKind::BailReturn {
            arrived_at: back,
            breach_arrest: breach,
        },
    );
    (r, back)
}

#[test]
fn bail_return_continues_the_original_clock() {
    let (r, back) = bailed_and_returned(false);
    let s = status(&r, back + h(1));
    assert!(s.in_custody);
    assert_eq!(s.detained_for, h(11));
    assert_eq!(s.time_left, h(13));
    assert_eq!(s.limit.at, back + h(14));
    // Detention must be authorised again, after a new risk assessment.
    assert_eq!(s.risk_assessment_due.as_ref().unwrap().at, back);
    assert!(s.next_review.is_none());
}

#[test]
fn breach_of_bail_arrest_adds_three_hours() {
    let (r, back) = bailed_and_returned(true);
    let s = status(&r, back + h(1));
    assert_eq!(s.limit.allowed, h(27));
    assert_eq!(s.limit.at, back + h(17));
    assert!(s.limit.reason.contains("breach of pre-charge bail"));
}

#[test]
fn bail_return_only_after_pre_charge_bail() {
    let mut r = record();
    authorise(&mut r, t0());
    let back = EntryKind::BailReturn {
        arrived_at: at(h(1)),
        breach_arrest: false,
    };
    let e = try_add(&mut r, at(h(1)), back.clone()).unwrap_err();
    assert_eq!(
        e,
        CustodyError::NotOnBail {
            outcome: "still in custody"
        }
    );
    add(&mut r, at(h(2)), risk(RiskOccasion::Release, 1, false));
    add(
        &mut r,
        at(h(2)),
        EntryKind::Disposal {
            outcome: Disposal::ReleasedUnderInvestigation,
        },
    );
    let e = try_add(
        &mut r,
        at(h(3)),
        EntryKind::BailReturn {
            arrived_at: at(h(3)),
            breach_arrest: false,
        },
    )
    .unwrap_err();
    assert!(refusal(e).contains("released under investigation"));
}

// -- reviews --------------------------------------------------------------------------------

#[test]
fn first_review_within_6h_then_every_9h() {
    let mut r = record();
    authorise(&mut r, t0() + m(15));
    let s = status(&r, at(h(1)));
    let review = s.next_review.unwrap();
    assert_eq!(review.at, at(h(6) + m(15)));
    assert!(!review.overdue);
    // An early first review: the second is within 9 h of it.
    add(&mut r, at(h(5)), review_by(Rank::Inspector));
    assert_eq!(status(&r, at(h(6))).next_review.unwrap().at, at(h(14)));
    add(&mut r, at(h(14)), review_by(Rank::Inspector));
    assert_eq!(status(&r, at(h(15))).next_review.unwrap().at, at(h(23)));
    // Overdue once the time passes.
    let late = status(&r, at(h(23) + m(1)));
    assert!(late.next_review.unwrap().overdue);
    assert!(
        late.warnings
            .iter()
            .any(|w| w.contains("review of detention"))
    );
}

#[test]
fn review_by_below_inspector_refused_before_charge() {
    let mut r = record();
    authorise(&mut r, t0());
    let e = try_add(&mut r, at(h(5)), review_by(Rank::Sergeant)).unwrap_err();
    assert!(matches!(
        e,
        CustodyError::RankTooLow {
            needed: Rank::Inspector,
            ..
        }
    ));
    // After charge the custody officer reviews.
    let charge = charged(&r);
    add(&mut r, at(h(5)), charge);
    add(&mut r, at(h(6)), review_by(Rank::Sergeant));
    let s = status(&r, at(h(7)));
    assert!(
        s.next_review
            .unwrap()
            .note
            .contains("custody officer after charge")
    );
    assert!(s.due.iter().all(|d| d.what != DueKind::LimitReached));
    assert_eq!(
        s.risk_assessment_due.unwrap().note,
        "Re-do the risk assessment at charge"
    );
}

#[test]
fn review_refused_before_detention_is_authorised() {
    let mut r = record();
    let e = try_add(&mut r, at(m(10)), review_by(Rank::Inspector)).unwrap_err();
    assert!(refusal(e).contains("not been authorised"));
}

#[test]
fn postponed_review_moves_due_time() {
    let mut r = record();
    authorise(&mut r, t0());
    add(
        &mut r,
        at(h(5) + m(50)),
        EntryKind::ReviewPostponed {
            by: off(Rank::Inspector),
            reason: "Detainee in interview".into(),
            until: at(h(7)),
        },
    );
    let s = status(&r, at(h(6) + m(30)));
    let due = s.next_review.unwrap();
    assert_eq!(due.at, at(h(7)));
    assert!(!due.overdue);
    assert!(due.note.contains("Detainee in interview"));
    // Done late at 7 h: the next is still 9 h after the 6 h point (s40(7)).
    add(&mut r, at(h(7)), review_by(Rank::Inspector));
    assert_eq!(status(&r, at(h(8))).next_review.unwrap().at, at(h(15)));
}

#[test]
fn terrorism_reviews_every_12h_and_max_14_days() {
    let mut r = record_with(&[TrialMode::Indictable], Regime::Terrorism);
    let arrest = r.booking.arrested_at;
    authorise(&mut r, t0());
    let s = status(&r, at(h(1)));
    assert_eq!(s.relevant_time, arrest);
    assert_eq!(s.limit.at, arrest + h(24 * 14));
    assert_eq!(s.limit.basis, LimitBasis::Terrorism14Days);
    assert_eq!(s.next_review.unwrap().at, at(h(12)));
    add(&mut r, at(h(11)), review_by(Rank::Inspector));
    assert_eq!(status(&r, at(h(12))).next_review.unwrap().at, at(h(23)));
    // After 24 h from arrest the review officer is a superintendent.
    let e = try_add(&mut r, at(h(24)), review_by(Rank::Inspector)).unwrap_err();
    assert!(matches!(
        e,
        CustodyError::RankTooLow {
            needed: Rank::Superintendent,
            ..
        }
    ));
    add(&mut r, at(h(24)), review_by(Rank::Superintendent));
    // Done after its due time (23 h): the next is 12 h after the due time.
    assert_eq!(status(&r, at(h(25))).next_review.unwrap().at, at(h(35)));
    // No superintendent's extension under the Terrorism Act.
    let e = try_add(&mut r, at(h(25)), extension(Rank::Superintendent, 36)).unwrap_err();
    assert!(refusal(e).contains("Terrorism Act"));
}

// -- welfare --------------------------------------------------------------------------------

#[test]
fn intoxicated_detainee_visited_and_roused_every_30_minutes() {
    let mut r = record();
    add(&mut r, t0(), risk(RiskOccasion::Booking, 2, true));
    add(
        &mut r,
        t0(),
        EntryKind::DetentionAuthorised {
            by: off(Rank::Sergeant),
            grounds: "To obtain evidence by questioning".into(),
        },
    );
    let v = status(&r, at(m(10))).next_visit.unwrap();
    assert_eq!(v.what, DueKind::Rouse);
    assert_eq!(v.at, at(m(30)));
    add(
        &mut r,
        at(m(25)),
        EntryKind::CellVisit {
            roused: Some(true),
            condition: "Roused, responded, asleep again".into(),
        },
    );
    assert_eq!(status(&r, at(m(26))).next_visit.unwrap().at, at(m(55)));
    // A visit without recording rousing is refused for this detainee.
    let e = try_add(
        &mut r,
        at(m(50)),
        EntryKind::CellVisit {
            roused: None,
            condition: "Asleep".into(),
        },
    )
    .unwrap_err();
    match e {
        CustodyError::Invalid(v) => assert!(v.message_for("kind.roused").is_some()),
        other => panic!("unexpected {other:?}"),
    }
    // Could not be roused: a warning.
    add(
        &mut r,
        at(m(50)),
        EntryKind::CellVisit {
            roused: Some(false),
            condition: "Unresponsive".into(),
        },
    );
    assert!(
        status(&r, at(m(51)))
            .warnings
            .iter()
            .any(|w| w.contains("could not be roused"))
    );
}

#[test]
fn sober_detainee_visited_hourly() {
    let mut r = record();
    authorise(&mut r, t0());
    let v = status(&r, at(m(10))).next_visit.unwrap();
    assert_eq!(v.what, DueKind::Visit);
    assert_eq!(v.at, at(h(1)));
    add(
        &mut r,
        at(m(40)),
        EntryKind::CellVisit {
            roused: None,
            condition: "Awake, no concerns".into(),
        },
    );
    assert_eq!(status(&r, at(m(45))).next_visit.unwrap().at, at(m(100)));
}

#[test]
fn overdue_visit_shows_overdue_when_clock_moves() {
    let mut r = record();
    authorise(&mut r, t0());
    let before = status(&r, at(m(59)));
    assert!(!before.next_visit.unwrap().overdue);
    let after = status(&r, at(m(61)));
    assert!(after.next_visit.as_ref().unwrap().overdue);
    assert!(after.warnings.iter().any(|w| w.contains("cell visit")));
    assert!(
        after
            .due
            .iter()
            .any(|d| d.what == DueKind::Visit && d.overdue)
    );
}

#[test]
fn risk_assessment_due_at_booking_before_authorisation() {
    let r = record();
    let s = status(&r, at(m(5)));
    let due = s.risk_assessment_due.unwrap();
    assert_eq!(due.at, t0());
    assert!(due.note.contains("booking"));
    assert!(s.warnings.iter().any(|w| w.contains("not been authorised")));
}

#[test]
fn meals_and_rest_are_owed_over_24_hours() {
    let mut r = record();
    authorise(&mut r, t0());
    let s = status(&r, at(h(1)));
    assert_eq!(s.next_meal.as_ref().unwrap().at, at(h(8)));
    assert_eq!(s.rest.as_ref().unwrap().at, at(h(16)));
    add(&mut r, at(h(5)), EntryKind::Meal { main: false });
    add(&mut r, at(h(12)), EntryKind::Meal { main: false });
    add(&mut r, at(h(18)), EntryKind::Meal { main: false });
    let s = status(&r, at(h(19)));
    // Three light meals: the main meal is owed by 24 h.
    let meal = s.next_meal.unwrap();
    assert_eq!(meal.at, at(h(24)));
    assert!(meal.note.contains("main meal"));
    // An 8 h rest resets the rest due time.
    let mut r = record();
    authorise(&mut r, t0());
    add(&mut r, at(h(2)), EntryKind::RestStarted);
    assert!(status(&r, at(h(3))).rest.is_none());
    add(&mut r, at(h(10)), EntryKind::RestEnded);
    assert_eq!(status(&r, at(h(11))).rest.unwrap().at, at(h(26)));
    let e = try_add(&mut r, at(h(11)), EntryKind::RestEnded).unwrap_err();
    assert!(refusal(e).contains("No rest period"));
}

// -- rights ---------------------------------------------------------------------------------

fn delay(right: Right, rank: Rank, until: Timestamp) -> EntryKind {
    EntryKind::RightDelayed {
        right,
        by: off(rank),
        reason: "Would lead to alerting others suspected of the offence".into(),
        until,
    }
}

#[test]
fn legal_advice_delay_needs_indictable_and_superintendent_and_ends_by_36h() {
    let mut summary = record_with(&[TrialMode::Summary], Regime::Pace);
    authorise(&mut summary, t0());
    let e = try_add(
        &mut summary,
        at(h(1)),
        delay(Right::LegalAdvice, Rank::Superintendent, at(h(6))),
    )
    .unwrap_err();
    assert!(matches!(
        e,
        CustodyError::NotIndictable {
            rule: "PACE s58(6)",
            ..
        }
    ));

    let mut r = record();
    authorise(&mut r, t0());
    let e = try_add(
        &mut r,
        at(h(1)),
        delay(Right::LegalAdvice, Rank::ChiefInspector, at(h(6))),
    )
    .unwrap_err();
    assert!(matches!(
        e,
        CustodyError::RankTooLow {
            needed: Rank::Superintendent,
            ..
        }
    ));
    let e = try_add(
        &mut r,
        at(h(1)),
        delay(Right::LegalAdvice, Rank::Superintendent, at(h(36) + m(1))),
    )
    .unwrap_err();
    assert!(refusal(e).contains("at most 36 hours after the relevant time"));
    add(
        &mut r,
        at(h(1)),
        delay(Right::LegalAdvice, Rank::Superintendent, at(h(36))),
    );
    // Telling someone: an inspector will do, a sergeant will not.
    let e = try_add(
        &mut r,
        at(h(1)),
        delay(Right::SomeoneInformed, Rank::Sergeant, at(h(6))),
    )
    .unwrap_err();
    assert!(matches!(
        e,
        CustodyError::RankTooLow {
            needed: Rank::Inspector,
            ..
        }
    ));
    add(
        &mut r,
        at(h(1)),
        delay(Right::SomeoneInformed, Rank::Inspector, at(h(6))),
    );
    let s = status(&r, at(h(5) + m(30)));
    let ends: Vec<_> = s
        .due
        .iter()
        .filter(|d| d.what == DueKind::RightDelayEnds)
        .collect();
    assert_eq!(ends.len(), 2);
    assert!(s.warnings.iter().any(|w| w.contains("ends at")));
    let s = status(&r, at(h(7)));
    assert!(s.warnings.iter().any(|w| w.contains("must now be allowed")));
    add(
        &mut r,
        at(h(7)),
        EntryKind::RightDelayEnded {
            right: Right::SomeoneInformed,
        },
    );
    let e = try_add(
        &mut r,
        at(h(7)),
        EntryKind::RightDelayEnded {
            right: Right::SomeoneInformed,
        },
    )
    .unwrap_err();
    assert!(refusal(e).contains("no delay"));
}

// -- bail -----------------------------------------------------------------------------------

#[test]
fn pre_charge_bail_3_6_9_months_by_rank() {
    assert_eq!(pre_charge_bail_limit(Rank::Constable), None);
    assert_eq!(pre_charge_bail_limit(Rank::Sergeant), Some(3));
    assert_eq!(pre_charge_bail_limit(Rank::Inspector), Some(6));
    assert_eq!(pre_charge_bail_limit(Rank::ChiefInspector), Some(6));
    assert_eq!(pre_charge_bail_limit(Rank::Superintendent), Some(9));

    let mut r = record();
    authorise(&mut r, t0());
    add(&mut r, at(h(3)), risk(RiskOccasion::Release, 1, false));
    let now = at(h(4)); // 2 March 2026
    let check = |r: &CustodyRecord, day: &str, rank: Rank| {
        can_append(r, &pcb(ts(&format!("{day}T10:00:00Z")), rank), now)
    };
    assert!(check(&r, "2026-06-02", Rank::Sergeant).is_ok());
    let e = check(&r, "2026-06-03", Rank::Sergeant).unwrap_err();
    assert!(refusal(e).contains("needs an inspector"));
    assert!(check(&r, "2026-06-03", Rank::Inspector).is_ok());
    assert!(check(&r, "2026-09-02", Rank::Inspector).is_ok());
    let e = check(&r, "2026-09-03", Rank::Inspector).unwrap_err();
    assert!(refusal(e).contains("needs a superintendent"));
    assert!(check(&r, "2026-12-02", Rank::Superintendent).is_ok());
    let e = check(&r, "2026-12-03", Rank::ChiefConstable).unwrap_err();
    assert!(refusal(e).contains("magistrates' court"));
    let e = check(&r, "2026-04-01", Rank::Constable).unwrap_err();
    assert!(matches!(e, CustodyError::RankTooLow { .. }));
}

#[test]
fn disposal_needs_a_fresh_risk_assessment() {
    let mut r = record();
    authorise(&mut r, t0());
    let nfa = EntryKind::Disposal {
        outcome: Disposal::NoFurtherAction,
    };
    let e = try_add(&mut r, at(h(2)), nfa.clone()).unwrap_err();
    assert!(refusal(e).contains("pre-release risk assessment"));
    add(&mut r, at(h(2)), risk(RiskOccasion::Release, 1, false));
    add(&mut r, at(h(2)), nfa);
    assert!(!status(&r, at(h(3))).in_custody);
}

#[test]
fn post_charge_outcomes_need_a_charge() {
    let mut r = record();
    authorise(&mut r, t0());
    add(&mut r, at(h(2)), risk(RiskOccasion::BailRefused, 1, false));
    let remand = EntryKind::Disposal {
        outcome: Disposal::Charged { remanded: true },
    };
    let e = try_add(&mut r, at(h(2)), remand.clone()).unwrap_err();
    assert!(refusal(e).contains("Record the charge"));
    let charge = charged(&r);
    add(&mut r, at(h(3)), charge);
    // The bail-refused assessment must follow the charge.
    assert!(try_add(&mut r, at(h(3)), remand.clone()).is_err());
    add(&mut r, at(h(3)), risk(RiskOccasion::BailRefused, 1, false));
    add(&mut r, at(h(3)), remand);
    // No pre-charge bail after charge (and not after disposal either).
    assert!(can_append(&r, &pcb(at(h(100)), Rank::Sergeant), at(h(4))).is_err());
}

// -- clock change ---------------------------------------------------------------------------

#[test]
fn detention_across_clock_change_is_exactly_24h_real_time() {
    // 12:00 BST on Saturday 24 October 2026 is 11:00 UTC; the clocks go back on the 25th.
    let arrival = "2026-10-24T12:00:00[Europe/London]"
        .parse::<jiff::Zoned>()
        .unwrap()
        .timestamp();
    assert_eq!(arrival, ts("2026-10-24T11:00:00Z"));
    let mut r = CustodyRecord::open(
        "NT/9",
        booking_with(arrival, &[TrialMode::Indictable], Regime::Pace),
        arrival,
    )
    .unwrap();
    authorise(&mut r, arrival);
    let s = status(&r, arrival + h(1));
    assert_eq!(s.limit.at, arrival + h(24));
    let local = crate::time::local(s.limit.at);
    assert_eq!((local.day(), local.hour(), local.minute()), (25, 11, 0));
    assert_eq!(crate::time::format_time(s.limit.at), "11am");
}

// -- the record -----------------------------------------------------------------------------

#[test]
fn correction_is_a_new_entry_and_original_kept() {
    let mut r = record();
    authorise(&mut r, t0());
    add(
        &mut r,
        at(m(30)),
        EntryKind::Property {
            items: "Phone, wallet".into(),
        },
    );
    let original = r.entries[2].clone();
    add(
        &mut r,
        at(m(40)),
        EntryKind::Correction {
            of: 2,
            text: "Also a set of keys".into(),
        },
    );
    assert_eq!(r.entries.len(), 4);
    assert_eq!(r.entries[2], original);
    assert_eq!(r.corrections_of(2).len(), 1);
    let e = try_add(
        &mut r,
        at(m(41)),
        EntryKind::Correction {
            of: 9,
            text: "x".into(),
        },
    )
    .unwrap_err();
    assert_eq!(e, CustodyError::NoSuchEntry { index: 9, len: 4 });
}

#[test]
fn entries_after_disposal_refused() {
    let mut r = record();
    authorise(&mut r, t0());
    add(&mut r, at(h(2)), risk(RiskOccasion::Release, 1, false));
    add(
        &mut r,
        at(h(2)),
        EntryKind::Disposal {
            outcome: Disposal::NoFurtherAction,
        },
    );
    let e = try_add(&mut r, at(h(3)), EntryKind::Meal { main: true }).unwrap_err();
    assert!(matches!(e, CustodyError::AfterDisposal { .. }));
    assert!(refusal(e).contains("released with no further action"));
    add(
        &mut r,
        at(h(3)),
        EntryKind::Note {
            text: "Property returned".into(),
        },
    );
    add(
        &mut r,
        at(h(3)),
        EntryKind::Correction {
            of: 0,
            text: "Observation level was 2".into(),
        },
    );
    assert!(matches!(
        try_add(
            &mut r,
            at(h(4)),
            EntryKind::BailReturn {
                arrived_at: at(h(4)),
                breach_arrest: false
            }
        ),
        Err(CustodyError::NotOnBail { .. })
    ));
}

#[test]
fn entry_in_the_future_refused() {
    let mut r = record();
    let e = r
        .append(
            Entry::new(at(h(2)), "PS 1", EntryKind::Meal { main: false }),
            at(h(1)),
        )
        .unwrap_err();
    assert!(matches!(e, CustodyError::InTheFuture { .. }));
    assert!(refusal(e).contains("in the future"));
    let e = try_add(&mut r, t0() - h(2), EntryKind::Meal { main: false }).unwrap_err();
    assert!(matches!(e, CustodyError::BeforeArrest { .. }));
    add(&mut r, at(h(1)), EntryKind::Meal { main: false });
    let e = try_add(&mut r, at(m(30)), EntryKind::Meal { main: false }).unwrap_err();
    assert!(matches!(e, CustodyError::OutOfOrder { .. }));
}

#[test]
fn entry_fields_are_named_when_missing() {
    let mut r = record();
    let e = r
        .append(
            Entry::new(
                at(m(1)),
                " ",
                EntryKind::DetentionAuthorised {
                    by: Officer {
                        name: String::new(),
                        rank: Rank::Sergeant,
                    },
                    grounds: String::new(),
                },
            ),
            at(m(1)),
        )
        .unwrap_err();
    let CustodyError::Invalid(v) = e else {
        panic!("expected field errors")
    };
    let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["recorded_by", "kind.by.name", "kind.grounds"]);
}

// -- authorisations -------------------------------------------------------------------------

fn option(s: &ClockStatus, kind: AuthorisationKind) -> &AuthorisationOption {
    s.authorisations.iter().find(|a| a.kind == kind).unwrap()
}

#[test]
fn authorisations_say_what_is_possible_by_whom_and_why_not() {
    let mut r = record();
    authorise(&mut r, t0());
    add(&mut r, at(h(5)), review_by(Rank::Inspector));
    let s = status(&r, at(h(6)));
    let ext = option(&s, AuthorisationKind::Extension36);
    assert_eq!(ext.min_rank, Rank::Superintendent);
    assert!(ext.possible.as_ref().unwrap_err().contains("second review"));
    assert_eq!(ext.latest_at, Some(at(h(24))));
    assert_eq!(
        option(&s, AuthorisationKind::Review).min_rank,
        Rank::Inspector
    );
    assert!(option(&s, AuthorisationKind::Review).possible.is_ok());
    assert!(
        option(&s, AuthorisationKind::DelayLegalAdvice)
            .possible
            .is_ok()
    );
    assert_eq!(
        option(&s, AuthorisationKind::DelaySomeoneInformed).min_rank,
        Rank::Inspector
    );
    assert!(option(&s, AuthorisationKind::Warrant).possible.is_ok());
    // Pre-charge bail needs the pre-release risk assessment first.
    assert!(
        option(&s, AuthorisationKind::PreChargeBail3)
            .possible
            .as_ref()
            .unwrap_err()
            .contains("risk assessment")
    );
    add(&mut r, at(h(14)), review_by(Rank::Inspector));
    add(&mut r, at(h(14)), risk(RiskOccasion::Release, 1, false));
    let s = status(&r, at(h(15)));
    assert!(option(&s, AuthorisationKind::Extension36).possible.is_ok());
    assert!(
        option(&s, AuthorisationKind::PreChargeBail9)
            .possible
            .is_ok()
    );

    let mut summary = record_with(&[TrialMode::Summary], Regime::Pace);
    authorise(&mut summary, t0());
    let s = status(&summary, at(h(1)));
    assert!(
        option(&s, AuthorisationKind::DelayLegalAdvice)
            .possible
            .as_ref()
            .unwrap_err()
            .contains("summary-only")
    );
}

#[test]
fn status_serialises_to_json() {
    let r = reviewed_twice();
    let s = status(&r, at(h(15)));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["in_custody"], true);
    assert_eq!(json["limit"]["basis"]["type"], "standard24");
    let back: ClockStatus = serde_json::from_value(json).unwrap();
    assert_eq!(back, s);
}

// -- properties -----------------------------------------------------------------------------

fn step_kind(choice: u8, p: u8, when: Timestamp, r: &CustodyRecord) -> EntryKind {
    let rank = Rank::ALL[usize::from(p) % Rank::ALL.len()];
    let pm = SignedDuration::from_mins(i64::from(p));
    match choice % 22 {
        0 => risk(RiskOccasion::Booking, 1 + p % 4, p.is_multiple_of(3)),
        1 => EntryKind::DetentionAuthorised {
            by: off(Rank::Sergeant),
            grounds: "grounds".into(),
        },
        2 => review_by(rank.max(Rank::Inspector)),
        3 => EntryKind::ReviewPostponed {
            by: off(rank),
            reason: "busy".into(),
            until: when + pm,
        },
        4 => extension(rank.max(Rank::Superintendent), 25 + u32::from(p % 13)),
        5 => warrant(when - pm, u32::from(p % 40)),
        6 => EntryKind::CellVisit {
            roused: [None, Some(true), Some(false)][usize::from(p % 3)],
            condition: "fine".into(),
        },
        7 => EntryKind::Meal {
            main: p.is_multiple_of(2),
        },
        8 => EntryKind::RestStarted,
        9 => EntryKind::RestEnded,
        10 => EntryKind::HospitalDeparted,
        11 => EntryKind::HospitalReturned,
        12 => EntryKind::QuestionedInHospital {
            from: when - pm - m(20),
            to: when - pm,
        },
        13 => delay(
            if p.is_multiple_of(2) {
                Right::LegalAdvice
            } else {
                Right::SomeoneInformed
            },
            rank,
            when + SignedDuration::from_mins(i64::from(p) * 10),
        ),
        14 => EntryKind::RightDelayEnded {
            right: Right::LegalAdvice,
        },
        15 if p.is_multiple_of(8) => charged(r),
        16 => pcb(when + h(24 * i64::from(p % 200)), rank),
        17 if p.is_multiple_of(8) => EntryKind::Disposal {
            outcome: Disposal::NoFurtherAction,
        },
        17 => review_by(Rank::Inspector),
        18 => EntryKind::BailReturn {
            arrived_at: when - pm,
            breach_arrest: p.is_multiple_of(2),
        },
        15 | 19 => EntryKind::Note {
            text: "note".into(),
        },
        20 => EntryKind::Correction {
            of: usize::from(p),
            text: "correction".into(),
        },
        _ => risk(
            [
                RiskOccasion::Release,
                RiskOccasion::Transfer,
                RiskOccasion::Charge,
            ][usize::from(p % 3)],
            1,
            false,
        ),
    }
}

fn arb_record() -> impl Strategy<Value = (CustodyRecord, Timestamp)> {
    (
        0i64..400,
        prop::bool::ANY,
        prop::collection::vec((0i64..60, 0u8..22, 0u8..=255), 0..80),
        0i64..2000,
        prop::bool::ANY,
    )
        .prop_map(|(day, summary, steps, tail, authorised)| {
            let arrival = ts("2026-01-01T08:00:00Z") + h(24 * day);
            let mode = if summary {
                TrialMode::Summary
            } else {
                TrialMode::EitherWay
            };
            let mut r =
                CustodyRecord::open("P/1", booking_with(arrival, &[mode], Regime::Pace), arrival)
                    .unwrap();
            let mut when = arrival;
            if authorised {
                authorise(&mut r, arrival);
            }
            for (gap, choice, p) in steps {
                when += m(gap);
                // Long bail gaps now and then.
                if choice == 18 {
                    when += h(24 * 20);
                }
                if choice == 16 || choice == 17 {
                    let release = risk(RiskOccasion::Release, 1, false);
                    let _ = r.append(Entry::new(when, "PS 1", release), when);
                }
                let kind = step_kind(choice, p, when, &r);
                let _ = r.append(Entry::new(when, "PS 1", kind), when);
            }
            (r, when + m(tail))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn time_left_plus_detained_for_is_the_limit_whatever_the_entries((r, now) in arb_record()) {
        let s = status(&r, now);
        prop_assert_eq!(s.time_left + s.detained_for, s.limit.allowed);
        prop_assert!(s.detained_for >= SignedDuration::ZERO);
        prop_assert!(s.detained_for <= now.duration_since(s.relevant_time).max(SignedDuration::ZERO));
    }

    #[test]
    fn pace_limit_never_exceeds_96h_from_relevant_time((r, now) in arb_record()) {
        let s = status(&r, now);
        prop_assert!(s.limit.allowed <= h(PACE_MAX_HOURS));
        prop_assert!(s.limit.allowed >= h(STANDARD_LIMIT_HOURS));
    }

    #[test]
    fn next_visit_never_later_than_60_min_after_latest_visit((r, now) in arb_record()) {
        let s = status(&r, now);
        if let Some(v) = s.next_visit {
            let from = r.entries.iter().rposition(|e| matches!(e.kind, EntryKind::BailReturn { .. })).map_or(0, |i| i + 1);
            if let Some(last) = r.entries[from..].iter().rev().find(|e| matches!(e.kind, EntryKind::CellVisit { .. })) {
                prop_assert!(v.at <= last.at + m(60));
            }
            prop_assert!(v.at > now - h(24 * 400));
        }
    }

    #[test]
    fn due_items_are_sorted_and_flag_overdue((r, now) in arb_record()) {
        let s = status(&r, now);
        for w in s.due.windows(2) {
            prop_assert!(w[0].at <= w[1].at);
        }
        for d in &s.due {
            prop_assert_eq!(d.overdue, d.at < now);
        }
    }

    #[test]
    fn records_round_trip_through_json((r, now) in arb_record()) {
        let json = serde_json::to_string(&r).unwrap();
        let back: CustodyRecord = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &r);
        prop_assert_eq!(status(&back, now), status(&r, now));
    }
}

#[test]
fn refused_detention_warns_until_the_detainee_is_released() {
    let mut r = record();
    add(&mut r, t0(), risk(RiskOccasion::Booking, 3, false));
    add(
        &mut r,
        t0(),
        EntryKind::DetentionRefused {
            by: off(Rank::Sergeant),
            reason: "Insufficient grounds".into(),
        },
    );
    let s = status(&r, at(m(10)));
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("Detention was refused"))
    );
    assert!(s.next_visit.unwrap().note.contains("constant observation"));
}
