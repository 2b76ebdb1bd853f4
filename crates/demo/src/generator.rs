//! The streaming generator. It works through "blocks" (a neighbourhood in one town: a few
//! streets, some shops, pubs and public places) and, within each block, households: an
//! address, the 1 to 4 persons living there, their vehicles and phones, their links to
//! each other and to the address, and the events they are involved in. Each household's
//! items are queued and handed out before the next household is built, so memory stays
//! flat however many persons are asked for; the only state carried between households is
//! bounded (the current block, a few recent persons and homes, and a fixed-size sample of
//! earlier persons for near-duplicates).

use std::collections::VecDeque;

use bluelamp_domain::RecordId;
use bluelamp_domain::pole::input::{
    LinkInput, LocationInput, MarkingInput, ObjectDetailsInput, ObjectInput, PersonInput,
};

use crate::calendar::{self, Ymd};
use crate::formats;
use crate::person::{Draft, Facts, Profile, SAMPLE_SIZE};
use crate::rng::Rng;
use crate::tables::objects::{COLOURS, PHONES, VEHICLES};
use crate::tables::places::{
    BUSINESSES, DWELLING, LICENSED_KINDS, PARKS, PUBLIC_PLACES, PUBS, STREET_FIRST, STREET_TYPE,
    TOWNS, Town,
};
use crate::{DemoConfig, DemoItem};

/// Id timestamps start this many milliseconds per requested person before `as_of` and go
/// up by one millisecond per item, so ids sort in the order items are emitted and stay at
/// or before `as_of` (a run makes about 8 items per person).
const ID_MS_PER_PERSON: u64 = 16;

/// Need-to-know compartments used on SECRET records.
const COMPARTMENTS: &[&str] = &["OP-KESTREL", "OP-HERON", "OP-MERLIN", "OP-FALCON", "PSD"];

/// How many recent persons and homes are kept for associates, co-participants and
/// burglary targets.
const RECENT_PERSONS: usize = 64;
const RECENT_HOMES: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlaceKind {
    Residential,
    Commercial,
    Licensed,
    Public,
}

/// A location already emitted, with the words used for it in titles and narratives.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub id: RecordId,
    pub kind: PlaceKind,
    /// The first address line, for titles: "14 Station Road", "Victoria Park".
    pub label: String,
    /// How a narrative refers to it: "the convenience store at 3 High Street".
    pub phrase: String,
}

struct Street {
    name: String,
    inward: [[u8; 3]; 2],
    lat: f64,
    lon: f64,
}

/// The neighbourhood households are currently being generated in.
pub(crate) struct Block {
    town: &'static Town,
    streets: Vec<Street>,
    pub places: Vec<Place>,
}

impl Block {
    /// The post town the block is in.
    pub(crate) fn town_name(&self) -> &'static str {
        self.town.name
    }
}

/// A member of the household being generated.
pub(crate) struct Member {
    pub id: RecordId,
    pub facts: Facts,
    pub vehicles: Vec<RecordId>,
}

/// The demo data stream. Build it with [`crate::generate`].
pub struct Demo {
    pub(crate) rng: Rng,
    pub(crate) as_of_ms: i64,
    pub(crate) as_of: Ymd,
    next_id_ms: u64,
    max_id_ms: u64,
    out: VecDeque<DemoItem>,
    persons_left: u64,
    persons_made: u64,
    block: Option<Block>,
    households_left: u32,
    pub(crate) recent_persons: VecDeque<RecordId>,
    pub(crate) recent_homes: VecDeque<Place>,
    pub(crate) sample: Vec<Profile>,
    secret_allowed: bool,
}

impl Demo {
    /// The stream for `config`; nothing is generated until items are asked for.
    pub fn new(config: DemoConfig) -> Self {
        let as_of_ms = config.as_of.as_millisecond();
        let max_id_ms = u64::try_from(as_of_ms).unwrap_or(0);
        Self {
            rng: Rng::new(config.seed),
            as_of_ms,
            as_of: calendar::date_of_ms(as_of_ms),
            next_id_ms: max_id_ms.saturating_sub(config.persons.saturating_mul(ID_MS_PER_PERSON)),
            max_id_ms,
            out: VecDeque::with_capacity(64),
            persons_left: config.persons,
            persons_made: 0,
            block: None,
            households_left: 0,
            recent_persons: VecDeque::with_capacity(RECENT_PERSONS),
            recent_homes: VecDeque::with_capacity(RECENT_HOMES),
            sample: Vec::with_capacity(SAMPLE_SIZE.min(config.persons as usize)),
            secret_allowed: config.max_classification >= bluelamp_domain::Classification::Secret,
        }
    }

    /// A new record id: UUIDv7 whose time part rises by a millisecond per item (capped at
    /// `as_of`) and whose random part comes from the seeded generator.
    fn new_id(&mut self) -> RecordId {
        let ms = self.next_id_ms.min(self.max_id_ms);
        self.next_id_ms += 1;
        let bytes = self.rng.bytes10();
        RecordId(uuid::Builder::from_unix_timestamp_millis(ms, &bytes).into_uuid())
    }

    /// Emits a record with a fresh id, given the `DemoItem` variant to wrap it in
    /// (`DemoItem::Person`, ...), and returns the id. A link's ends, and an event's location,
    /// must have been emitted already.
    pub(crate) fn emit<T>(&mut self, variant: fn(RecordId, T) -> DemoItem, input: T) -> RecordId {
        let id = self.new_id();
        self.out.push_back(variant(id, input));
        id
    }

    /// A marking: `secret` in a thousand SECRET (with a compartment), `sensitive` in a
    /// thousand OFFICIAL-SENSITIVE, otherwise none (OFFICIAL).
    pub(crate) fn marking(&mut self, sensitive: u64, secret: u64) -> Option<MarkingInput> {
        let r = self.rng.below(1000);
        if r < secret {
            let compartment = self.rng.pick(COMPARTMENTS).copied().unwrap_or("PSD");
            let caveats = if self.rng.chance(0.3) {
                vec!["UK EYES ONLY".to_owned()]
            } else {
                Vec::new()
            };
            Some(MarkingInput {
                classification: if self.secret_allowed {
                    "SECRET".to_owned()
                } else {
                    "OFFICIAL-SENSITIVE".to_owned()
                },
                compartments: vec![compartment.to_owned()],
                caveats,
                restriction: None,
            })
        } else if r < secret + sensitive {
            Some(MarkingInput {
                classification: "OFFICIAL-SENSITIVE".to_owned(),
                ..MarkingInput::default()
            })
        } else {
            None
        }
    }

    /// Builds the next household (starting a new block when the current one is full).
    /// Returns false when every person has been generated.
    fn fill(&mut self) -> bool {
        if self.persons_left == 0 {
            return false;
        }
        let block = match self.block.take() {
            Some(b) if self.households_left > 0 => b,
            _ => self.new_block(),
        };
        self.household(&block);
        self.households_left = self.households_left.saturating_sub(1);
        self.block = Some(block);
        true
    }

    fn jitter(&mut self, lat: f64, lon: f64, spread: f64) -> (f64, f64) {
        let lat = lat + (self.rng.unit() - 0.5) * spread;
        let lon = lon + (self.rng.unit() - 0.5) * spread * 1.6;
        ((lat * 1e6).round() / 1e6, (lon * 1e6).round() / 1e6)
    }

    fn street_name(&mut self) -> String {
        let first = self.rng.pick(STREET_FIRST).copied().unwrap_or("High");
        let kind = self.rng.weighted(STREET_TYPE).copied().unwrap_or("Road");
        format!("{first} {kind}")
    }

    pub(crate) fn new_block(&mut self) -> Block {
        let town = self
            .rng
            .weighted_by(TOWNS, |t| t.weight)
            .unwrap_or(&TOWNS[0]);
        let n_streets = self.rng.range(5, 9) as usize;
        let mut streets: Vec<Street> = Vec::with_capacity(n_streets);
        while streets.len() < n_streets {
            let name = self.street_name();
            if streets.iter().any(|s| s.name == name) {
                continue;
            }
            let inward = [
                formats::inward_code(&mut self.rng),
                formats::inward_code(&mut self.rng),
            ];
            let (lat, lon) = self.jitter(town.lat, town.lon, 0.03);
            streets.push(Street {
                name,
                inward,
                lat,
                lon,
            });
        }
        let mut block = Block {
            town,
            streets,
            places: Vec::new(),
        };
        let kinds = [
            (PlaceKind::Commercial, self.rng.range(2, 3)),
            (PlaceKind::Licensed, self.rng.range(1, 2)),
            (PlaceKind::Public, self.rng.range(2, 3)),
        ];
        for (kind, count) in kinds {
            for _ in 0..count {
                let place = self.non_residential(&block, kind);
                block.places.push(place);
            }
        }
        self.households_left = self.rng.range(25, 60) as u32;
        block
    }

    fn pick_street<'b>(&mut self, block: &'b Block) -> Option<&'b Street> {
        self.rng.pick(&block.streets)
    }

    /// The postcode of a home somewhere in `block`.
    pub(crate) fn residential_postcode(&mut self, block: &Block) -> String {
        match self.pick_street(block) {
            Some(street) => {
                let inward = street.inward[self.rng.index(2)];
                formats::postcode(block.town.district, inward)
            }
            None => String::new(),
        }
    }

    fn postcode_on(&mut self, block: &Block, street: &Street) -> String {
        let inward = street.inward[self.rng.index(2)];
        formats::postcode(block.town.district, inward)
    }

    fn non_residential(&mut self, block: &Block, kind: PlaceKind) -> Place {
        // A block always has streets; this fallback only keeps the code free of panics.
        let Some(street) = self.pick_street(block) else {
            return Place {
                id: RecordId(uuid::Uuid::nil()),
                kind,
                label: String::new(),
                phrase: String::new(),
            };
        };
        let number = self.rng.range(1, 240);
        let (lines, label, phrase, description, location_type, uprn_chance) = match kind {
            PlaceKind::Commercial => {
                let business = self.rng.pick(BUSINESSES).copied().unwrap_or("Shop");
                let line = format!("{number} {}", street.name);
                let phrase = format!("the {} at {line}", business.to_lowercase());
                (
                    vec![line.clone()],
                    line,
                    phrase,
                    business,
                    "commercial",
                    0.9,
                )
            }
            PlaceKind::Licensed => {
                let name = self.rng.pick(PUBS).copied().unwrap_or("The Crown");
                let what = self
                    .rng
                    .weighted(LICENSED_KINDS)
                    .copied()
                    .unwrap_or("Public house");
                let line = format!("{number} {}", street.name);
                let label = format!("{name}, {}", street.name);
                let phrase = format!("{name} on {}", street.name);
                (
                    vec![name.to_owned(), line],
                    label,
                    phrase,
                    what,
                    "licensed_premises",
                    0.9,
                )
            }
            _ => {
                if self.rng.chance(0.3) {
                    let park = self.rng.pick(PARKS).copied().unwrap_or("Victoria Park");
                    (
                        vec![park.to_owned()],
                        park.to_owned(),
                        park.to_owned(),
                        "Park",
                        "public_place",
                        0.2,
                    )
                } else {
                    let (template, what) = self
                        .rng
                        .pick(PUBLIC_PLACES)
                        .copied()
                        .unwrap_or(("Car park, {street}", "Car park"));
                    let line = template.replace("{street}", &street.name);
                    let phrase = format!("the {} on {}", what.to_lowercase(), street.name);
                    (vec![line.clone()], line, phrase, what, "public_place", 0.2)
                }
            }
        };
        let postcode = self.postcode_on(block, street);
        let (lat, lon) = self.jitter(street.lat, street.lon, 0.003);
        let uprn = if self.rng.chance(uprn_chance) {
            formats::uprn(&mut self.rng)
        } else {
            String::new()
        };
        let marking = self.marking(20, 0);
        let id = self.emit(
            DemoItem::Location,
            LocationInput {
                address_lines: lines,
                town: block.town.name.to_owned(),
                postcode,
                uprn,
                latitude: Some(lat),
                longitude: Some(lon),
                location_type: location_type.to_owned(),
                description: description.to_owned(),
                marking,
            },
        );
        Place {
            id,
            kind,
            label,
            phrase,
        }
    }

    fn home(&mut self, block: &Block) -> Place {
        // A block always has streets; this fallback only keeps the code free of panics.
        let Some(street) = self.pick_street(block) else {
            return Place {
                id: RecordId(uuid::Uuid::nil()),
                kind: PlaceKind::Residential,
                label: String::new(),
                phrase: String::new(),
            };
        };
        let u = self.rng.unit();
        let number = 1 + (u * u * 180.0) as u32;
        let line = format!("{number} {}", street.name);
        let (lines, label, description) = if self.rng.chance(0.15) {
            let flat = self.rng.range(1, 24);
            let label = format!("Flat {flat}, {line}");
            (vec![format!("Flat {flat}"), line], label, "Flat")
        } else {
            let kind = self.rng.weighted(DWELLING).copied().unwrap_or("");
            (vec![line.clone()], line, kind)
        };
        let postcode = self.postcode_on(block, street);
        let (lat, lon) = self.jitter(street.lat, street.lon, 0.003);
        let uprn = if self.rng.chance(0.8) {
            formats::uprn(&mut self.rng)
        } else {
            String::new()
        };
        let marking = self.marking(20, 0);
        let id = self.emit(
            DemoItem::Location,
            LocationInput {
                address_lines: lines,
                town: block.town.name.to_owned(),
                postcode,
                uprn,
                latitude: Some(lat),
                longitude: Some(lon),
                location_type: "residential".to_owned(),
                description: description.to_owned(),
                marking,
            },
        );
        Place {
            id,
            kind: PlaceKind::Residential,
            phrase: label.clone(),
            label,
        }
    }

    /// A date between `from` and `to` days since the epoch (`from` if the range is empty).
    fn date_between(&mut self, from: i64, to: i64) -> Ymd {
        let days = if to > from {
            from + self.rng.below((to - from) as u64 + 1) as i64
        } else {
            from
        };
        calendar::civil_from_days(days)
    }

    fn household(&mut self, block: &Block) {
        let size = *self
            .rng
            .weighted(&[(1u64, 30), (2, 35), (3, 16), (4, 19)])
            .unwrap_or(&2);
        let size = size.min(self.persons_left);
        let home = self.home(block);
        let heritage = self.heritage();
        let mut members: Vec<Member> = Vec::with_capacity(size as usize);
        let mut head_family = String::new();
        let mut head_age = 40;
        let mut head_female = false;
        for i in 0..size {
            // A few percent of persons are deliberate near-duplicates of an earlier one.
            let duplicate = if self.rng.chance(0.03) {
                self.near_duplicate()
            } else {
                None
            };
            let (input, facts, family_of_head) = match duplicate {
                Some((input, facts)) => (input, facts, false),
                None if i == 0 => {
                    let (gender, female) = self.gender();
                    let age = self.adult_age();
                    let family = self.family_name(heritage.family, female);
                    let (input, facts) = self.person(Draft {
                        family,
                        female,
                        gender,
                        age,
                        heritage,
                        maiden: None,
                    });
                    (input, facts, false)
                }
                None => self.household_member(
                    i,
                    heritage,
                    (&head_family, head_age, head_female),
                    block.town_name(),
                ),
            };
            if i == 0 {
                head_family.clone_from(&input.family_name);
                head_age = facts.age;
                head_female = facts.female;
            }
            let seen = self.persons_made;
            self.remember(&input, facts, seen);
            let id = self.emit(DemoItem::Person, input);
            self.persons_made += 1;
            self.persons_left -= 1;
            let mut member = Member {
                id,
                facts,
                vehicles: Vec::new(),
            };
            self.belongings(&mut member);
            let valid_from = if self.rng.chance(0.6) {
                let from = calendar::days_from_civil(facts.birth)
                    .max(calendar::days_from_civil(self.as_of) - 15 * 365);
                let to = calendar::days_from_civil(self.as_of) - 7;
                self.date_between(from, to).iso()
            } else {
                String::new()
            };
            self.emit(
                DemoItem::Link,
                LinkInput {
                    valid_from,
                    ..link(id, home.id, "resides_at")
                },
            );
            if family_of_head && let Some(head) = members.first().map(|m| m.id) {
                self.emit(DemoItem::Link, link(id, head, "family_of"));
            }
            let associate_chance = if facts.pnc { 0.3 } else { 0.08 };
            if self.rng.chance(associate_chance) && !self.recent_persons.is_empty() {
                let j = self.rng.index(self.recent_persons.len());
                if let Some(&other) = self.recent_persons.get(j) {
                    let notes = match self.rng.below(6) {
                        0 => "Seen together on several occasions",
                        1 => "Co-accused in a previous matter",
                        2 => "Seen together in a vehicle",
                        _ => "",
                    };
                    self.emit(
                        DemoItem::Link,
                        LinkInput {
                            notes: notes.to_owned(),
                            ..link(id, other, "associate_of")
                        },
                    );
                }
            }
            members.push(member);
        }
        for i in 0..members.len() {
            self.events_for(block, &home, &members, i);
        }
        for m in &members {
            if self.recent_persons.len() == RECENT_PERSONS {
                self.recent_persons.pop_front();
            }
            self.recent_persons.push_back(m.id);
        }
        if self.recent_homes.len() == RECENT_HOMES {
            self.recent_homes.pop_front();
        }
        self.recent_homes.push_back(home);
    }

    /// A household member after the first: a partner, a child, a relative or a lodger.
    /// `head` is the head of the household's family name, age and whether female; a child
    /// born in Britain is usually born in `home_town`, where the household lives (so
    /// brothers and sisters share a place of birth, as they do in life). Returns whether
    /// they are family of the head of the household.
    pub(crate) fn household_member(
        &mut self,
        i: u64,
        heritage: crate::person::Heritage,
        (head_family, head_age, head_female): (&str, u32, bool),
        home_town: &str,
    ) -> (PersonInput, Facts, bool) {
        let can_have_children = (28..=62).contains(&head_age);
        let role = if i == 1 && self.rng.chance(0.65) {
            0 // partner
        } else if can_have_children && self.rng.chance(0.75) {
            1 // child
        } else if self.rng.chance(0.5) {
            2 // relative
        } else {
            3 // lodger
        };
        let (draft, family) = match role {
            0 => {
                let female = if self.rng.chance(0.93) {
                    !head_female
                } else {
                    head_female
                };
                let gender = if female { "female" } else { "male" };
                let age =
                    (i64::from(head_age) + self.rng.range(0, 12) as i64 - 6).clamp(18, 90) as u32;
                let shares_name = self.rng.chance(0.7);
                let (family, maiden) = if shares_name {
                    let maiden = if female && self.rng.chance(0.25) {
                        Some(self.family_name(heritage.family, true))
                    } else {
                        None
                    };
                    (surname_for(head_family, female), maiden)
                } else {
                    (self.family_name(heritage.family, female), None)
                };
                (
                    Draft {
                        family,
                        female,
                        gender,
                        age,
                        heritage,
                        maiden,
                    },
                    true,
                )
            }
            1 | 2 => {
                let (gender, female) = self.gender();
                let age = if role == 1 {
                    let oldest = head_age.saturating_sub(18).clamp(10, 25);
                    self.rng.range(10, u64::from(oldest)) as u32
                } else {
                    self.adult_age()
                };
                let family = if self.rng.chance(0.85) {
                    surname_for(head_family, female)
                } else {
                    self.family_name(heritage.family, female)
                };
                (
                    Draft {
                        family,
                        female,
                        gender,
                        age,
                        heritage,
                        maiden: None,
                    },
                    true,
                )
            }
            _ => {
                let (gender, female) = self.gender();
                let age = self.adult_age().min(70);
                let heritage = if self.rng.chance(0.5) {
                    self.heritage()
                } else {
                    heritage
                };
                let family = self.family_name(heritage.family, female);
                (
                    Draft {
                        family,
                        female,
                        gender,
                        age,
                        heritage,
                        maiden: None,
                    },
                    false,
                )
            }
        };
        let child = draft.age < 18;
        let (mut input, facts) = self.person(draft);
        if child
            && input.nationality == "GBR"
            && !input.place_of_birth.is_empty()
            && self.rng.chance(0.7)
        {
            home_town.clone_into(&mut input.place_of_birth);
        }
        (input, facts, family)
    }

    /// Vehicles (owner or keeper links) and phones (user links) for a new member.
    fn belongings(&mut self, m: &mut Member) {
        let age = m.facts.age;
        if age >= 17 && self.rng.chance(0.37) {
            let count = if self.rng.chance(0.12) { 2 } else { 1 };
            for _ in 0..count {
                let (vehicle, registered) = self.vehicle();
                let vid = self.emit(DemoItem::Object, vehicle);
                m.vehicles.push(vid);
                let roles: &[&str] = match self.rng.below(100) {
                    0..55 => &["owner"],
                    55..85 => &["keeper"],
                    _ => &["owner", "keeper"],
                };
                let since = if self.rng.chance(0.5) {
                    let from = calendar::days_from_civil(registered)
                        .max(calendar::days_from_civil(m.facts.birth) + 17 * 365);
                    let to = calendar::days_from_civil(self.as_of) - 1;
                    self.date_between(from.min(to), to).iso()
                } else {
                    String::new()
                };
                for role in roles {
                    self.emit(
                        DemoItem::Link,
                        LinkInput {
                            valid_from: since.clone(),
                            ..link(m.id, vid, role)
                        },
                    );
                }
            }
        }
        if age >= 11 {
            let mut phones = u32::from(self.rng.chance(0.55));
            if m.facts.pnc && self.rng.chance(0.25) {
                phones += 1;
            }
            for _ in 0..phones {
                let phone = self.phone();
                let pid = self.emit(DemoItem::Object, phone);
                self.emit(DemoItem::Link, link(m.id, pid, "user"));
            }
        }
    }

    /// A vehicle and the date it was first registered.
    pub(crate) fn vehicle(&mut self) -> (ObjectInput, Ymd) {
        let (make, model, _, wmi) = self
            .rng
            .weighted_by(VEHICLES, |v| v.2)
            .copied()
            .unwrap_or(("Ford", "Fiesta", 1, "WF0"));
        let as_of_days = calendar::days_from_civil(self.as_of);
        // Current-format marks began in September 2001.
        let earliest = calendar::days_from_civil(Ymd {
            year: 2001,
            month: 9,
            day: 1,
        })
        .max(as_of_days - 18 * 365);
        let registered = self.date_between(earliest, as_of_days - 30);
        let vrm = formats::vrm(&mut self.rng, registered);
        let colour = self.rng.weighted(COLOURS).copied().unwrap_or("Black");
        let vin = if self.rng.chance(0.5) {
            formats::vin(&mut self.rng, wmi)
        } else {
            String::new()
        };
        let description = match self.rng.below(40) {
            0 => "Tinted rear windows",
            1 => "Damage to nearside wing",
            2 => "Roof bars fitted",
            3 => "Aftermarket alloy wheels",
            _ => "",
        };
        let marking = self.marking(30, 5);
        let object = ObjectInput {
            details: ObjectDetailsInput::Vehicle {
                vrm,
                make: make.to_owned(),
                model: model.to_owned(),
                colour: colour.to_owned(),
                vin,
            },
            description: description.to_owned(),
            marking,
        };
        (object, registered)
    }

    fn phone(&mut self) -> ObjectInput {
        let (make, model, _) =
            self.rng
                .weighted_by(PHONES, |p| p.2)
                .copied()
                .unwrap_or(("Apple", "iPhone 13", 1));
        let known_handset = self.rng.chance(0.7);
        let number = formats::drama_mobile(&mut self.rng);
        let imei = if self.rng.chance(0.6) {
            formats::imei(&mut self.rng)
        } else {
            String::new()
        };
        let marking = self.marking(30, 5);
        ObjectInput {
            details: ObjectDetailsInput::Phone {
                number,
                imei,
                make: if known_handset {
                    make.to_owned()
                } else {
                    String::new()
                },
                model: if known_handset {
                    model.to_owned()
                } else {
                    String::new()
                },
            },
            description: String::new(),
            marking,
        }
    }

    /// A place of the given kind in the block, or any place in it.
    pub(crate) fn place_of_kind<'b>(
        &mut self,
        block: &'b Block,
        kind: Option<PlaceKind>,
    ) -> Option<&'b Place> {
        let n = block
            .places
            .iter()
            .filter(|p| kind.is_none_or(|k| p.kind == k))
            .count();
        if n == 0 {
            return self.rng.pick(&block.places);
        }
        let j = self.rng.index(n);
        block
            .places
            .iter()
            .filter(|p| kind.is_none_or(|k| p.kind == k))
            .nth(j)
    }
}

/// A link from one record to another with `role` and nothing else set.
pub(crate) fn link(from: RecordId, to: RecordId, role: &str) -> LinkInput {
    LinkInput {
        from_id: from.to_string(),
        to_id: to.to_string(),
        role: role.to_owned(),
        ..LinkInput::default()
    }
}

/// The head's family name as another member of the household carries it (Kowalski's wife
/// or daughter is Kowalska).
fn surname_for(head_family: &str, female: bool) -> String {
    if female {
        crate::person::feminine_family_name(head_family)
    } else {
        match head_family.strip_suffix("ska") {
            Some(stem) => format!("{stem}ski"),
            None => match head_family.strip_suffix("cka") {
                Some(stem) => format!("{stem}cki"),
                None => head_family.to_owned(),
            },
        }
    }
}

impl Iterator for Demo {
    type Item = DemoItem;

    fn next(&mut self) -> Option<DemoItem> {
        loop {
            if let Some(item) = self.out.pop_front() {
                return Some(item);
            }
            if !self.fill() {
                return None;
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.persons_left).unwrap_or(usize::MAX);
        (self.out.len().saturating_add(left), None)
    }
}

impl std::iter::FusedIterator for Demo {}
