//! Building events for a household member: choosing a scenario (crime, incident, call for
//! service, arrest, stop and search, intelligence report), where and when it happened, the
//! title and narrative, the other persons and the objects involved, and the links that tie
//! them together (each asserted by the event and carrying its marking). Objects point at
//! the event they were involved in (`object -> event`, role `involved`).

use bluelamp_domain::pole::input::{EventInput, LinkInput, ObjectDetailsInput, ObjectInput};

use crate::DemoItem;
use crate::calendar::{self, MS_PER_DAY, MS_PER_MINUTE};
use crate::generator::{Block, Demo, Member, Place, PlaceKind, link};
use crate::tables::events::{
    ARRESTS, CALLS, CRIMES, INCIDENTS, INTELLIGENCE, Involves, SEARCHES, Scenario, Where,
    follow_ups,
};
use crate::tables::objects::{DRUGS, PROPERTY, WEAPONS};

/// Event types for a person with a PNC record (more arrests, searches and intelligence).
const OFFENDER_TYPES: &[(&[Scenario], u32)] = &[
    (CRIMES, 35),
    (ARRESTS, 20),
    (SEARCHES, 15),
    (INTELLIGENCE, 15),
    (INCIDENTS, 10),
    (CALLS, 5),
];

/// Event types for everyone else (mostly victims, witnesses and callers).
const OTHER_TYPES: &[(&[Scenario], u32)] = &[
    (CRIMES, 40),
    (INCIDENTS, 25),
    (CALLS, 25),
    (SEARCHES, 5),
    (ARRESTS, 3),
    (INTELLIGENCE, 2),
];

/// Relative frequency of events by hour of day (UTC), peaking in the evening.
const HOURS: &[(i64, u32)] = &[
    (0, 4),
    (1, 3),
    (2, 3),
    (3, 2),
    (4, 1),
    (5, 1),
    (6, 2),
    (7, 3),
    (8, 4),
    (9, 4),
    (10, 5),
    (11, 5),
    (12, 5),
    (13, 5),
    (14, 5),
    (15, 6),
    (16, 7),
    (17, 7),
    (18, 7),
    (19, 7),
    (20, 7),
    (21, 7),
    (22, 6),
    (23, 5),
];

/// The scenarios (domestic incidents, harassment) whose other party usually lives in the
/// same household.
fn is_domestic(title: &str) -> bool {
    title.starts_with("Domestic") || title == "Harassment" || title == "Concern for welfare"
}

impl Demo {
    /// The events household member `i` is involved in: none for most people, a few for
    /// persons with a PNC record.
    pub(crate) fn events_for(&mut self, block: &Block, home: &Place, members: &[Member], i: usize) {
        let Some(m) = members.get(i) else { return };
        let p = if m.facts.pnc { 0.45 } else { 0.25 };
        let count = self.rng.geometric(p, 6);
        for _ in 0..count {
            self.event(block, home, members, m);
        }
    }

    fn primary_role(&mut self, event_type: &str, pnc: bool) -> &'static str {
        let table: &[(&str, u32)] = match (event_type, pnc) {
            ("crime", true) => &[("suspect", 70), ("victim", 20), ("witness", 10)],
            ("crime", false) => &[
                ("victim", 65),
                ("witness", 15),
                ("reporting_person", 10),
                ("suspect", 10),
            ],
            ("incident", true) => &[
                ("suspect", 50),
                ("reporting_person", 20),
                ("victim", 15),
                ("witness", 15),
            ],
            ("incident", false) => &[
                ("reporting_person", 35),
                ("victim", 25),
                ("witness", 20),
                ("suspect", 20),
            ],
            ("call_for_service", _) => &[("reporting_person", 1)],
            _ => &[("suspect", 1)],
        };
        self.rng.weighted(table).copied().unwrap_or("witness")
    }

    fn other_role(&mut self, primary: &str) -> &'static str {
        let table: &[(&str, u32)] = match primary {
            "suspect" => &[("victim", 50), ("witness", 30), ("suspect", 20)],
            "victim" => &[("suspect", 60), ("witness", 40)],
            _ => &[("suspect", 60), ("victim", 40)],
        };
        self.rng.weighted(table).copied().unwrap_or("witness")
    }

    /// Where an event happened, as a place already emitted.
    fn event_place(
        &mut self,
        block: &Block,
        home: &Place,
        sc: &Scenario,
        role: &str,
    ) -> Option<Place> {
        // A suspect's crime at "home" is at someone else's home nearby.
        let home_for = |demo: &mut Demo| {
            if role == "suspect" && sc.event_type == "crime" && !demo.recent_homes.is_empty() {
                let j = demo.rng.index(demo.recent_homes.len());
                demo.recent_homes.get(j).cloned()
            } else {
                Some(home.clone())
            }
        };
        match sc.place {
            Where::Home => home_for(self),
            Where::HomeOrStreet if self.rng.chance(0.5) => home_for(self),
            Where::HomeOrStreet | Where::Public => {
                self.place_of_kind(block, Some(PlaceKind::Public)).cloned()
            }
            Where::Commercial => self
                .place_of_kind(block, Some(PlaceKind::Commercial))
                .cloned(),
            Where::Licensed => self
                .place_of_kind(block, Some(PlaceKind::Licensed))
                .cloned(),
            Where::Anywhere => self.place_of_kind(block, None).cloned(),
        }
    }

    fn event(&mut self, block: &Block, home: &Place, members: &[Member], m: &Member) {
        let types = if m.facts.pnc {
            OFFENDER_TYPES
        } else {
            OTHER_TYPES
        };
        let table = self.rng.weighted(types).copied().unwrap_or(CRIMES);
        let Some(sc) = self.rng.weighted_by(table, |s| s.weight) else {
            return;
        };
        let role = self.primary_role(sc.event_type, m.facts.pnc);
        let Some(place) = self.event_place(block, home, sc, role) else {
            return;
        };

        // When: a day in the five years before as_of (never the as_of day itself, so the
        // event is always in the past), at an hour weighted towards the evening.
        let as_of_day = self.as_of_ms.div_euclid(MS_PER_DAY);
        let day = as_of_day - self.rng.range(1, 1825) as i64;
        let hour = self.rng.weighted(HOURS).copied().unwrap_or(12);
        let start = day * MS_PER_DAY + hour * 3_600_000 + self.rng.below(60) as i64 * MS_PER_MINUTE;
        let ends_at = if sc.has_end && self.rng.chance(0.7) {
            let end = (start + self.rng.range(10, 480) as i64 * MS_PER_MINUTE).min(self.as_of_ms);
            calendar::rfc3339_ms(end)
        } else {
            String::new()
        };
        let local_time = calendar::hhmm(start + calendar::london_offset_ms(start));

        let title = sc.title.replace("{label}", &place.label);
        let mut narrative = self
            .rng
            .pick(sc.openings)
            .copied()
            .unwrap_or_default()
            .replace("{place}", &place.phrase)
            .replace("{time}", &local_time);

        // What a search found decides its objects and a sentence of the narrative.
        let mut found: Option<ObjectDetailsInput> = None;
        if sc.involves == Involves::Search {
            let (sentence, details) = match self.rng.below(100) {
                0..70 => (
                    "Nothing was found and the subject was allowed to go on their way.",
                    None,
                ),
                70..90 => (
                    "A quantity of suspected controlled drugs was found and seized.",
                    Some(self.drugs()),
                ),
                90..97 => ("A weapon was found and seized.", Some(self.weapon())),
                _ => (
                    "Property believed to be stolen was found and seized.",
                    Some(self.property()),
                ),
            };
            narrative.push(' ');
            narrative.push_str(sentence);
            found = details;
        }
        let extra = follow_ups(sc.event_type);
        let n = self.rng.geometric(0.55, 3);
        let mut used: [usize; 3] = [usize::MAX; 3];
        for k in 0..n as usize {
            let j = self.rng.index(extra.len());
            if used.contains(&j) {
                continue;
            }
            if let (Some(slot), Some(sentence)) = (used.get_mut(k), extra.get(j)) {
                *slot = j;
                narrative.push(' ');
                narrative.push_str(sentence);
            }
        }

        let marking = if sc.event_type == "intelligence_report" {
            self.marking(750, 100)
        } else {
            self.marking(80, 20)
        };
        let event = self.emit(
            DemoItem::Event,
            EventInput {
                event_type: sc.event_type.to_owned(),
                title,
                starts_at: calendar::rfc3339_ms(start),
                ends_at,
                location_id: place.id.to_string(),
                narrative,
                marking: marking.clone(),
            },
        );
        let asserted = |l: LinkInput| LinkInput {
            asserted_by: event.to_string(),
            marking: marking.clone(),
            ..l
        };
        self.emit(
            DemoItem::Link,
            asserted(link(event, place.id, "occurred_at")),
        );
        self.emit(DemoItem::Link, asserted(link(m.id, event, role)));

        // Another person involved: someone from the same household for domestic matters,
        // otherwise someone from the neighbourhood.
        let other_chance = match sc.event_type {
            "crime" => 0.45,
            "incident" => 0.4,
            "intelligence_report" => 0.25,
            "arrest" => 0.2,
            "call_for_service" => 0.1,
            _ => 0.05,
        };
        if self.rng.chance(other_chance) {
            let other = if is_domestic(sc.title) && members.len() > 1 {
                let j = self.rng.index(members.len());
                members.get(j).map(|o| o.id).filter(|id| *id != m.id)
            } else if !self.recent_persons.is_empty() {
                let j = self.rng.index(self.recent_persons.len());
                self.recent_persons.get(j).copied()
            } else {
                None
            };
            if let Some(other) = other {
                let other_role = self.other_role(role);
                self.emit(DemoItem::Link, asserted(link(other, event, other_role)));
            }
        }

        // Objects involved, each linked to the event (object -> event, role "involved").
        let mut objects: Vec<ObjectDetailsInput> = Vec::new();
        match sc.involves {
            Involves::Nothing => {}
            Involves::Property => objects.push(self.property()),
            Involves::Weapon(p) => {
                if self.rng.below(100) < u64::from(p) {
                    objects.push(self.weapon());
                }
            }
            Involves::PropertyAndWeapon(p) => {
                objects.push(self.property());
                if self.rng.below(100) < u64::from(p) {
                    objects.push(self.weapon());
                }
            }
            Involves::Drugs => objects.push(self.drugs()),
            Involves::Search => objects.extend(found),
            Involves::Vehicle => {
                let own = (role != "suspect")
                    .then(|| m.vehicles.first().copied())
                    .flatten();
                let vehicle = match own {
                    Some(v) => v,
                    None => {
                        let (mut v, _) = self.vehicle();
                        v.marking = marking.clone();
                        self.emit(DemoItem::Object, v)
                    }
                };
                self.emit(DemoItem::Link, asserted(link(vehicle, event, "involved")));
            }
        }
        for details in objects {
            let id = self.emit(
                DemoItem::Object,
                ObjectInput {
                    details,
                    description: String::new(),
                    marking: marking.clone(),
                },
            );
            self.emit(DemoItem::Link, asserted(link(id, event, "involved")));
        }
    }

    fn serial(&mut self) -> String {
        const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";
        let mut s = String::with_capacity(10);
        for _ in 0..3 {
            s.push(char::from(
                LETTERS
                    .get(self.rng.index(LETTERS.len()))
                    .copied()
                    .unwrap_or(b'X'),
            ));
        }
        for _ in 0..7 {
            s.push(char::from(b'0' + self.rng.below(10) as u8));
        }
        s
    }

    fn property(&mut self) -> ObjectDetailsInput {
        let (category, _, has_serial) = self
            .rng
            .weighted_by(PROPERTY, |p| p.1)
            .copied()
            .unwrap_or(("Mobile phone", 1, false));
        let serial_number = if has_serial && self.rng.chance(0.5) {
            self.serial()
        } else {
            String::new()
        };
        ObjectDetailsInput::Property {
            category: category.to_owned(),
            serial_number,
        }
    }

    fn weapon(&mut self) -> ObjectDetailsInput {
        let weapon_type = self
            .rng
            .weighted(WEAPONS)
            .copied()
            .unwrap_or("Bladed article");
        ObjectDetailsInput::Weapon {
            weapon_type: weapon_type.to_owned(),
            serial_number: String::new(),
        }
    }

    fn drugs(&mut self) -> ObjectDetailsInput {
        let (drug_type, quantities, _) = self.rng.weighted_by(DRUGS, |d| d.2).copied().unwrap_or((
            "Cannabis (herbal)",
            &["2 grams"],
            1,
        ));
        let quantity = self.rng.pick(quantities).copied().unwrap_or_default();
        ObjectDetailsInput::Drugs {
            drug_type: drug_type.to_owned(),
            quantity: quantity.to_owned(),
        }
    }
}
