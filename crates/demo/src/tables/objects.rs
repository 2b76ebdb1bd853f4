//! Bundled object tables: vehicle makes and models (with the make's world manufacturer
//! identifier for VINs), colours, phone handsets, weapons, drugs and stolen property.

/// Make, model, weight, and the VIN world manufacturer identifier for the make.
pub const VEHICLES: &[(&str, &str, u32, &str)] = &[
    ("Ford", "Fiesta", 30, "WF0"),
    ("Vauxhall", "Corsa", 28, "W0L"),
    ("Ford", "Focus", 25, "WF0"),
    ("Volkswagen", "Golf", 22, "WVW"),
    ("Vauxhall", "Astra", 18, "W0L"),
    ("Nissan", "Qashqai", 15, "SJN"),
    ("Volkswagen", "Polo", 15, "WVW"),
    ("BMW", "3 Series", 12, "WBA"),
    ("Mercedes-Benz", "C-Class", 10, "WDD"),
    ("Audi", "A3", 10, "WAU"),
    ("Toyota", "Yaris", 10, "VNK"),
    ("Kia", "Sportage", 10, "KNA"),
    ("Peugeot", "208", 9, "VF3"),
    ("Ford", "Kuga", 8, "WF0"),
    ("Mini", "Hatch", 8, "WMW"),
    ("Toyota", "Corolla", 8, "SB1"),
    ("Nissan", "Juke", 8, "SJN"),
    ("Hyundai", "Tucson", 7, "TMA"),
    ("Skoda", "Octavia", 7, "TMB"),
    ("Renault", "Clio", 7, "VF1"),
    ("BMW", "1 Series", 7, "WBA"),
    ("Mercedes-Benz", "A-Class", 7, "WDD"),
    ("Honda", "Civic", 6, "SHH"),
    ("Citroen", "C3", 6, "VF7"),
    ("Fiat", "500", 6, "ZFA"),
    ("Seat", "Ibiza", 6, "VSS"),
    ("Audi", "A4", 6, "WAU"),
    ("Ford", "Transit", 6, "WF0"),
    ("Land Rover", "Range Rover Evoque", 5, "SAL"),
    ("Vauxhall", "Mokka", 5, "W0L"),
    ("Kia", "Picanto", 5, "KNA"),
    ("Hyundai", "i10", 5, "NLH"),
    ("Dacia", "Sandero", 5, "UU1"),
    ("Tesla", "Model 3", 4, "LRW"),
    ("Volvo", "XC60", 4, "YV1"),
    ("Toyota", "Prius", 4, "JTD"),
    ("Suzuki", "Swift", 4, "TSM"),
    ("Mazda", "CX-5", 3, "JMZ"),
    ("Jaguar", "XE", 2, "SAJ"),
    ("Yamaha", "NMAX 125", 3, "JYA"),
    ("Honda", "PCX125", 3, "MLH"),
];

pub const COLOURS: &[(&str, u32)] = &[
    ("Black", 18),
    ("Grey", 18),
    ("White", 16),
    ("Silver", 15),
    ("Blue", 14),
    ("Red", 10),
    ("Green", 3),
    ("Orange", 2),
    ("Yellow", 1),
    ("Brown", 1),
    ("Purple", 1),
    ("Bronze", 1),
];

/// The letters of a current-format VRM's first letter (the DVLA region).
pub const VRM_REGION_LETTERS: &[u8] = b"ABCDEFGHKLMNOPRSVWY";

/// Letters used elsewhere in a current-format VRM: I, Q and Z are never used.
pub const VRM_LETTERS: &[u8] = b"ABCDEFGHJKLMNOPRSTUVWXY";

/// Letters a VIN may use (never I, O or Q) and digits.
pub const VIN_CHARS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";

/// Handset make, model, weight.
pub const PHONES: &[(&str, &str, u32)] = &[
    ("Apple", "iPhone 13", 14),
    ("Apple", "iPhone 14", 12),
    ("Samsung", "Galaxy A14", 12),
    ("Apple", "iPhone 15", 10),
    ("Apple", "iPhone 12", 8),
    ("Samsung", "Galaxy S23", 8),
    ("Samsung", "Galaxy A54", 8),
    ("Apple", "iPhone SE", 5),
    ("Google", "Pixel 7a", 5),
    ("Motorola", "moto g54", 4),
    ("Xiaomi", "Redmi Note 12", 4),
    ("Nokia", "105", 5),
    ("Alcatel", "1066", 2),
    ("OnePlus", "Nord CE 3", 2),
    ("Oppo", "A78", 2),
    ("Doro", "6820", 1),
];

pub const WEAPONS: &[(&str, u32)] = &[
    ("Kitchen knife", 25),
    ("Lock knife", 12),
    ("Bladed article", 12),
    ("Machete", 6),
    ("Baseball bat", 10),
    ("Screwdriver", 8),
    ("Hammer", 6),
    ("Knuckleduster", 5),
    ("Imitation firearm", 4),
    ("Pepper spray", 3),
];

/// Drug type and the plausible quantities it is found in.
pub const DRUGS: &[(&str, &[&str], u32)] = &[
    (
        "Cannabis (herbal)",
        &["2 grams", "5 grams", "12 grams", "28 grams", "3 bags"],
        40,
    ),
    ("Cocaine", &["1 gram", "3 wraps", "8 wraps", "14 grams"], 20),
    ("Crack cocaine", &["4 wraps", "10 wraps", "2 grams"], 10),
    ("Heroin", &["3 wraps", "9 wraps", "5 grams"], 10),
    ("MDMA", &["6 tablets", "20 tablets", "2 grams"], 8),
    ("Ketamine", &["1 gram", "4 grams"], 5),
    ("Amphetamine", &["3 grams", "10 grams"], 4),
    ("Nitrous oxide", &["2 canisters", "1 large canister"], 3),
];

/// Stolen or found property: category, weight, whether it usually carries a serial number.
pub const PROPERTY: &[(&str, u32, bool)] = &[
    ("Mobile phone", 20, false),
    ("Bicycle", 12, true),
    ("Laptop", 10, true),
    ("Jewellery", 10, false),
    ("Power tools", 8, true),
    ("Wallet", 8, false),
    ("Handbag", 7, false),
    ("Cash", 7, false),
    ("Watch", 5, true),
    ("Catalytic converter", 5, true),
    ("E-scooter", 4, true),
    ("Games console", 4, true),
    ("Television", 3, true),
    ("Bank card", 5, false),
];
