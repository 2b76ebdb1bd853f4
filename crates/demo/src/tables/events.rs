//! Bundled event tables: the scenarios an event is built from (type, title, where it
//! happens, what objects are involved, how the narrative opens) and the neutral follow-up
//! sentences police narratives are padded with. In titles and openings `{label}` is the
//! location's address line, `{place}` a description of the location and `{time}` a 24-hour
//! clock time.

/// Where a scenario happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    /// The home of the person the event is about (a victim's or reporter's own home, or
    /// another recent household's home when that person is the suspect).
    Home,
    /// A home or the street outside one, or a public place.
    HomeOrStreet,
    Commercial,
    Licensed,
    Public,
    /// Any of the non-residential places nearby.
    Anywhere,
}

/// Objects a scenario brings with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Involves {
    Nothing,
    Property,
    /// A weapon, with this percentage chance.
    Weapon(u8),
    /// Property, and a weapon with this percentage chance.
    PropertyAndWeapon(u8),
    Drugs,
    /// The victim's own vehicle, when they have one.
    Vehicle,
    /// The outcome of a search: usually nothing, sometimes drugs, a weapon or property.
    Search,
}

pub struct Scenario {
    pub event_type: &'static str,
    pub title: &'static str,
    pub weight: u32,
    pub place: Where,
    pub involves: Involves,
    pub openings: &'static [&'static str],
    /// Whether the event usually has an end time (an arrest ends at custody, a burglary
    /// is discovered some hours later).
    pub has_end: bool,
}

const fn s(
    event_type: &'static str,
    title: &'static str,
    weight: u32,
    place: Where,
    involves: Involves,
    has_end: bool,
    openings: &'static [&'static str],
) -> Scenario {
    Scenario {
        event_type,
        title,
        weight,
        place,
        involves,
        openings,
        has_end,
    }
}

pub const CRIMES: &[Scenario] = &[
    s(
        "crime",
        "Burglary dwelling at {label}",
        12,
        Where::Home,
        Involves::Property,
        true,
        &[
            "Between {time} and the following morning, entry was gained to {place} via a rear window.",
            "The occupant returned to {place} at {time} to find the front door forced and property missing.",
            "Entry was forced to the rear door of {place} and the premises were searched.",
        ],
    ),
    s(
        "crime",
        "Theft of motor vehicle",
        7,
        Where::HomeOrStreet,
        Involves::Vehicle,
        true,
        &[
            "The owner reports that their vehicle was taken from outside {place} overnight.",
            "The vehicle was parked at {place} at {time} and was found missing a short time later.",
        ],
    ),
    s(
        "crime",
        "Theft from motor vehicle",
        7,
        Where::HomeOrStreet,
        Involves::Property,
        false,
        &[
            "A window of a vehicle parked at {place} was smashed and items were taken from inside.",
            "The owner returned to their vehicle at {place} at {time} to find the glovebox emptied.",
        ],
    ),
    s(
        "crime",
        "Assault occasioning ABH",
        8,
        Where::Licensed,
        Involves::Weapon(30),
        false,
        &[
            "At around {time} the victim was assaulted outside {place}, sustaining a facial injury.",
            "An altercation took place inside {place} at approximately {time}, during which the victim was punched repeatedly.",
        ],
    ),
    s(
        "crime",
        "Common assault",
        8,
        Where::Anywhere,
        Involves::Nothing,
        false,
        &[
            "The victim reports being pushed and struck once at {place} at around {time}.",
            "A verbal argument at {place} at {time} escalated and the victim was slapped.",
        ],
    ),
    s(
        "crime",
        "Robbery of personal property",
        5,
        Where::Public,
        Involves::PropertyAndWeapon(40),
        false,
        &[
            "At approximately {time} the victim was approached at {place} by a male who demanded their phone.",
            "The victim was threatened at {place} at around {time} and handed over their belongings.",
        ],
    ),
    s(
        "crime",
        "Shoplifting at {label}",
        10,
        Where::Commercial,
        Involves::Property,
        false,
        &[
            "Staff at {place} report that a person left the store at {time} without paying for goods.",
            "A person was seen on CCTV concealing items at {place} at around {time} before leaving.",
        ],
    ),
    s(
        "crime",
        "Criminal damage to motor vehicle",
        6,
        Where::HomeOrStreet,
        Involves::Nothing,
        false,
        &[
            "A vehicle parked at {place} was found with its tyres slashed and its paintwork scratched.",
        ],
    ),
    s(
        "crime",
        "Criminal damage to dwelling",
        4,
        Where::Home,
        Involves::Nothing,
        false,
        &["The front window of {place} was smashed at around {time}."],
    ),
    s(
        "crime",
        "Possession with intent to supply",
        4,
        Where::Public,
        Involves::Drugs,
        false,
        &["Officers on patrol at {place} at {time} observed what appeared to be a drug deal."],
    ),
    s(
        "crime",
        "Possession of an offensive weapon",
        3,
        Where::Public,
        Involves::Weapon(100),
        false,
        &["At {time} officers at {place} recovered a weapon from a person in the area."],
    ),
    s(
        "crime",
        "Harassment",
        5,
        Where::Home,
        Involves::Nothing,
        false,
        &[
            "The victim reports receiving repeated unwanted messages and calls over several weeks.",
            "The victim reports that a former partner has repeatedly attended {place} uninvited.",
        ],
    ),
    s(
        "crime",
        "Fraud by false representation",
        4,
        Where::Home,
        Involves::Nothing,
        false,
        &[
            "The victim reports being contacted by a caller claiming to be from their bank and transferring money as a result.",
        ],
    ),
    s(
        "crime",
        "Theft of pedal cycle",
        4,
        Where::Public,
        Involves::Property,
        false,
        &["A bicycle secured at {place} was found missing at {time}, the lock having been cut."],
    ),
];

pub const INCIDENTS: &[Scenario] = &[
    s(
        "incident",
        "Anti-social behaviour at {label}",
        25,
        Where::Anywhere,
        Involves::Nothing,
        false,
        &["A group of youths was reported causing a nuisance at {place} at around {time}."],
    ),
    s(
        "incident",
        "Concern for welfare",
        20,
        Where::Home,
        Involves::Nothing,
        true,
        &[
            "A relative raised concern for the occupant of {place}, who had not been seen for several days.",
        ],
    ),
    s(
        "incident",
        "Domestic incident (non-crime)",
        20,
        Where::Home,
        Involves::Nothing,
        true,
        &["Police attended {place} at {time} following a verbal argument between two occupants."],
    ),
    s(
        "incident",
        "Suspicious vehicle near {label}",
        10,
        Where::HomeOrStreet,
        Involves::Nothing,
        false,
        &["A vehicle was reported parked with its engine running near {place} for over an hour."],
    ),
    s(
        "incident",
        "Road traffic collision near {label}",
        15,
        Where::Public,
        Involves::Nothing,
        true,
        &["A two-vehicle collision occurred near {place} at {time}."],
    ),
    s(
        "incident",
        "Missing person from {label}",
        10,
        Where::Home,
        Involves::Nothing,
        true,
        &[
            "The informant reports that a family member left {place} at {time} and has not returned.",
        ],
    ),
];

pub const CALLS: &[Scenario] = &[
    s(
        "call_for_service",
        "Report of a disturbance at {label}",
        30,
        Where::Anywhere,
        Involves::Nothing,
        true,
        &["A caller reported shouting and banging at {place} at {time}."],
    ),
    s(
        "call_for_service",
        "Report of suspicious persons near {label}",
        25,
        Where::HomeOrStreet,
        Involves::Nothing,
        false,
        &["A caller reported two persons trying car door handles near {place}."],
    ),
    s(
        "call_for_service",
        "Alarm activation at {label}",
        15,
        Where::Commercial,
        Involves::Nothing,
        true,
        &["An intruder alarm activated at {place} at {time}."],
    ),
    s(
        "call_for_service",
        "Report of an abandoned vehicle",
        10,
        Where::Public,
        Involves::Nothing,
        false,
        &["A caller reported a vehicle left unattended at {place} for several days."],
    ),
    s(
        "call_for_service",
        "Noise complaint at {label}",
        20,
        Where::Home,
        Involves::Nothing,
        false,
        &["A neighbour reported loud music coming from {place} late into the night."],
    ),
];

pub const ARRESTS: &[Scenario] = &[
    s(
        "arrest",
        "Arrest on suspicion of burglary",
        20,
        Where::HomeOrStreet,
        Involves::Property,
        true,
        &["The suspect was arrested at {place} at {time} on suspicion of burglary."],
    ),
    s(
        "arrest",
        "Arrest on suspicion of assault",
        20,
        Where::Licensed,
        Involves::Nothing,
        true,
        &[
            "Officers attended {place} at {time} following reports of a fight and the suspect was arrested.",
        ],
    ),
    s(
        "arrest",
        "Arrest for possession with intent to supply",
        15,
        Where::Public,
        Involves::Drugs,
        true,
        &[
            "The suspect was seen at {place} at {time} making what appeared to be exchanges with passers-by and was arrested.",
        ],
    ),
    s(
        "arrest",
        "Arrest on warrant",
        15,
        Where::Home,
        Involves::Nothing,
        true,
        &[
            "Officers attended {place} at {time} and executed an arrest warrant issued by the magistrates' court.",
        ],
    ),
    s(
        "arrest",
        "Arrest for theft",
        15,
        Where::Commercial,
        Involves::Property,
        true,
        &[
            "The suspect was detained by security staff at {place} and arrested on police arrival at {time}.",
        ],
    ),
    s(
        "arrest",
        "Arrest for drink driving",
        10,
        Where::Public,
        Involves::Nothing,
        true,
        &[
            "Following a roadside breath test near {place} at {time}, the driver provided a positive sample and was arrested.",
        ],
    ),
    s(
        "arrest",
        "Arrest for possession of an offensive weapon",
        5,
        Where::Public,
        Involves::Weapon(100),
        true,
        &["The suspect was stopped at {place} at {time} and found to be carrying a weapon."],
    ),
];

pub const SEARCHES: &[Scenario] = &[
    s(
        "stop_and_search",
        "Stop and search under section 23 Misuse of Drugs Act 1971",
        60,
        Where::Public,
        Involves::Search,
        true,
        &[
            "The subject was stopped at {place} at {time} after officers detected a strong smell of cannabis.",
            "The subject was seen at {place} at {time} apparently exchanging small packages and was stopped.",
        ],
    ),
    s(
        "stop_and_search",
        "Stop and search under section 1 PACE",
        35,
        Where::Public,
        Involves::Search,
        true,
        &[
            "The subject was stopped at {place} at {time} matching the description of a suspect for a recent theft.",
        ],
    ),
    s(
        "stop_and_search",
        "Stop and search under section 60 CJPOA 1994",
        5,
        Where::Public,
        Involves::Search,
        true,
        &["A section 60 authority was in force and the subject was stopped at {place} at {time}."],
    ),
];

pub const INTELLIGENCE: &[Scenario] = &[
    s(
        "intelligence_report",
        "Intelligence: suspected drug supply from {label}",
        35,
        Where::Home,
        Involves::Nothing,
        false,
        &[
            "Information has been received that the subject is supplying controlled drugs from {place}.",
        ],
    ),
    s(
        "intelligence_report",
        "Intelligence: association with county lines activity",
        20,
        Where::Home,
        Involves::Nothing,
        false,
        &[
            "It is reported that the subject is involved in a county lines network operating in the area.",
        ],
    ),
    s(
        "intelligence_report",
        "Intelligence: suspected handling of stolen goods",
        15,
        Where::Home,
        Involves::Nothing,
        false,
        &["The subject is believed to be storing and selling stolen power tools from {place}."],
    ),
    s(
        "intelligence_report",
        "Intelligence: possession of weapons",
        15,
        Where::Home,
        Involves::Nothing,
        false,
        &["Information suggests the subject keeps a knife at {place} and carries it when out."],
    ),
    s(
        "intelligence_report",
        "Intelligence: frequenting {label}",
        15,
        Where::Licensed,
        Involves::Nothing,
        false,
        &[
            "The subject is reported to frequent {place} and to associate with known offenders there.",
        ],
    ),
];

/// Sentences that follow the opening, by event type.
pub fn follow_ups(event_type: &str) -> &'static [&'static str] {
    match event_type {
        "crime" => &[
            "Officers attended and spoke to the victim.",
            "House-to-house enquiries were carried out.",
            "CCTV has been requested from nearby premises.",
            "No forensic opportunities were identified.",
            "A crime scene investigator has been requested.",
            "The victim has been given a crime reference number and victim support details.",
            "Enquiries are ongoing.",
            "A description of the suspect has been circulated.",
            "No injuries were reported.",
        ],
        "incident" => &[
            "Officers attended and gave words of advice.",
            "No offences were disclosed.",
            "The matter was resolved at the scene.",
            "Safeguarding referrals have been considered.",
            "Partner agencies have been informed.",
        ],
        "call_for_service" => &[
            "A unit was dispatched and arrived within 15 minutes.",
            "Officers attended but no persons were found.",
            "The caller was updated.",
            "The call was closed with no further action.",
        ],
        "arrest" => &[
            "The suspect was conveyed to custody.",
            "The suspect was interviewed under caution.",
            "The suspect was released under investigation.",
            "The suspect was charged and remanded to appear at the magistrates' court.",
            "The suspect was bailed with conditions.",
        ],
        "stop_and_search" => &[
            "The grounds for the search were explained.",
            "A record of the search was offered.",
            "Body-worn video was activated throughout.",
        ],
        _ => &[
            "The information has been evaluated and assessed as probably true.",
            "Further research is recommended.",
            "The report has been shared with the neighbourhood policing team.",
            "No further dissemination without reference to the originator.",
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [&[Scenario]; 6] = [CRIMES, INCIDENTS, CALLS, ARRESTS, SEARCHES, INTELLIGENCE];

    #[test]
    fn every_table_has_weight_and_openings() {
        for table in ALL {
            assert!(table.iter().map(|s| s.weight).sum::<u32>() > 0);
            let first = table[0].event_type;
            for s in table {
                assert_eq!(s.event_type, first);
                assert!(!s.openings.is_empty(), "{}", s.title);
                assert!(!follow_ups(s.event_type).is_empty());
            }
        }
    }

    #[test]
    fn placeholders_are_only_label_place_and_time() {
        for table in ALL {
            for s in table {
                for text in s.openings.iter().chain([&s.title]) {
                    let stripped = text
                        .replace("{label}", "")
                        .replace("{place}", "")
                        .replace("{time}", "");
                    assert!(!stripped.contains('{') && !stripped.contains('}'), "{text}");
                }
            }
        }
    }
}
