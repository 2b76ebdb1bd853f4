//! Descriptive attributes of a person: gender, self-defined ethnicity, nationality, PNC
//! style warning markers, and local flags.
//!
//! Each is a closed list (or, for [`Flag`], a tightly shaped token) so that statistics,
//! disproportionality monitoring and officer-safety warnings count and match the same
//! codes everywhere. Labels are for pages; codes are what is stored and exchanged.

use serde::{Deserialize, Serialize};

use super::clean::{TextProblem, single_line, string_value};

// ---------------------------------------------------------------------------------------
// Gender
// ---------------------------------------------------------------------------------------

/// Gender as recorded on a person record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Gender {
    Male,
    Female,
    Other,
    NotKnown,
}

impl Gender {
    pub const ALL: [Gender; 4] = [
        Gender::Male,
        Gender::Female,
        Gender::Other,
        Gender::NotKnown,
    ];

    /// Accepts `male`, `female`, `other`, `not_known` (any case), and an empty string,
    /// which means not known: a form with no option chosen records that, not an error.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() {
            return Ok(Gender::NotKnown);
        }
        Self::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| "Select a gender".to_owned())
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Other => "other",
            Gender::NotKnown => "not_known",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Gender::Male => "Male",
            Gender::Female => "Female",
            Gender::Other => "Other",
            Gender::NotKnown => "Not known",
        }
    }
}

string_value!(Gender);

// ---------------------------------------------------------------------------------------
// Self-defined ethnicity
/// The methods of a value drawn from a fixed table of (variant, code, label) rows, the
/// table listing every variant once in declaration order (the tests check it): `all()`,
/// `parse()` by code in any case, `code()`, `label()`, `as_str()`.
macro_rules! code_table {
    ($ty:ident, $n:literal, $refusal:literal) => {
        impl $ty {
            /// Every value, in table order (the order a form lists them).
            pub fn all() -> [$ty; $n] {
                Self::TABLE.map(|(v, _, _)| v)
            }

            /// Parses a code, any case.
            pub fn parse(s: &str) -> Result<Self, String> {
                let t = s.trim();
                Self::TABLE
                    .iter()
                    .find(|(_, code, _)| code.eq_ignore_ascii_case(t))
                    .map(|(v, _, _)| *v)
                    .ok_or_else(|| $refusal.to_owned())
            }

            pub fn code(&self) -> &'static str {
                self.entry().1
            }

            pub fn label(&self) -> &'static str {
                self.entry().2
            }

            pub fn as_str(&self) -> &'static str {
                self.code()
            }

            fn entry(&self) -> &'static ($ty, &'static str, &'static str) {
                // TABLE lists every variant exactly once in declaration order, so the
                // index is always in range.
                &Self::TABLE[*self as usize]
            }
        }
    };
}

// ---------------------------------------------------------------------------------------

/// Self-defined ethnicity, the Home Office "18+1" codes (2011 census categories) that
/// police forces must use when a person has been asked to state their own ethnicity (as
/// opposed to the officer-observed IC codes).
///
/// Checked against the published 18+1 list (Criminal Justice System Exchange Data
/// Standards, as summarised on Wikipedia's "Self defined ethnicity"): 18 codes plus NS.
/// It has no Roma code: "Roma" was added by the 2021 census for England and Wales but is
/// not an 18+1 code, so it is recorded as W9 until the national standard changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Ethnicity {
    A1,
    A2,
    A3,
    A4,
    A9,
    B1,
    B2,
    B9,
    M1,
    M2,
    M3,
    M9,
    O2,
    O9,
    W1,
    W2,
    W3,
    W9,
    NS,
}

impl Ethnicity {
    const TABLE: [(Ethnicity, &'static str, &'static str); 19] = [
        (Ethnicity::A1, "A1", "Asian or Asian British: Indian"),
        (Ethnicity::A2, "A2", "Asian or Asian British: Pakistani"),
        (Ethnicity::A3, "A3", "Asian or Asian British: Bangladeshi"),
        (Ethnicity::A4, "A4", "Asian or Asian British: Chinese"),
        (
            Ethnicity::A9,
            "A9",
            "Asian or Asian British: any other Asian background",
        ),
        (
            Ethnicity::B1,
            "B1",
            "Black, Black British, Caribbean or African: Caribbean",
        ),
        (
            Ethnicity::B2,
            "B2",
            "Black, Black British, Caribbean or African: African",
        ),
        (
            Ethnicity::B9,
            "B9",
            "Black, Black British, Caribbean or African: any other Black, Black British or Caribbean background",
        ),
        (
            Ethnicity::M1,
            "M1",
            "Mixed or multiple ethnic groups: White and Black Caribbean",
        ),
        (
            Ethnicity::M2,
            "M2",
            "Mixed or multiple ethnic groups: White and Black African",
        ),
        (
            Ethnicity::M3,
            "M3",
            "Mixed or multiple ethnic groups: White and Asian",
        ),
        (
            Ethnicity::M9,
            "M9",
            "Mixed or multiple ethnic groups: any other Mixed or multiple ethnic background",
        ),
        (Ethnicity::O2, "O2", "Other ethnic group: Arab"),
        (
            Ethnicity::O9,
            "O9",
            "Other ethnic group: any other ethnic group",
        ),
        (
            Ethnicity::W1,
            "W1",
            "White: English, Welsh, Scottish, Northern Irish or British",
        ),
        (Ethnicity::W2, "W2", "White: Irish"),
        (Ethnicity::W3, "W3", "White: Gypsy or Irish Traveller"),
        (Ethnicity::W9, "W9", "White: any other White background"),
        (Ethnicity::NS, "NS", "Not stated"),
    ];
}

code_table!(Ethnicity, 19, "Select an ethnicity");

string_value!(Ethnicity);

// ---------------------------------------------------------------------------------------
// Nationality
// ---------------------------------------------------------------------------------------

/// A nationality, as the ISO 3166-1 alpha-3 code of the country (`GBR`, `POL`, ...).
/// Only current codes are accepted; the English short name is for pages.
///
/// `Deserialize` is written by hand: the derive would tie the deserializer's lifetime to
/// the `'static` table references and refuse to read from a borrowed buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Nationality {
    code: &'static str,
    name: &'static str,
}

impl Nationality {
    /// Parses an alpha-3 code, any case.
    pub fn parse(s: &str) -> Result<Self, String> {
        const MESSAGE: &str = "Select a nationality";
        let t = s.trim();
        if t.len() != 3 || !t.is_ascii() {
            return Err(MESSAGE.to_owned());
        }
        let upper = t.to_ascii_uppercase();
        COUNTRIES
            .binary_search_by(|(code, _)| (*code).cmp(upper.as_str()))
            .ok()
            .and_then(|i| COUNTRIES.get(i))
            .map(|(code, name)| Nationality { code, name })
            .ok_or_else(|| MESSAGE.to_owned())
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn as_str(&self) -> &'static str {
        self.code
    }

    /// Every (code, name) pair, sorted by code, for building a select list.
    pub fn all() -> &'static [(&'static str, &'static str)] {
        COUNTRIES
    }
}

string_value!(Nationality);

impl<'de> Deserialize<'de> for Nationality {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Nationality::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// ISO 3166-1 alpha-3 codes with English short names, sorted by code (binary-searched).
/// Generated from the Debian `iso-codes` 4.15.0 data (`iso_3166-1.json`); where that data
/// gives a common name ("Bolivia" rather than "Bolivia, Plurinational State of") the common
/// name is used, and a few comma-inverted names are written the way they are said.
static COUNTRIES: &[(&str, &str)] = &[
    ("ABW", "Aruba"),
    ("AFG", "Afghanistan"),
    ("AGO", "Angola"),
    ("AIA", "Anguilla"),
    ("ALA", "Åland Islands"),
    ("ALB", "Albania"),
    ("AND", "Andorra"),
    ("ARE", "United Arab Emirates"),
    ("ARG", "Argentina"),
    ("ARM", "Armenia"),
    ("ASM", "American Samoa"),
    ("ATA", "Antarctica"),
    ("ATF", "French Southern Territories"),
    ("ATG", "Antigua and Barbuda"),
    ("AUS", "Australia"),
    ("AUT", "Austria"),
    ("AZE", "Azerbaijan"),
    ("BDI", "Burundi"),
    ("BEL", "Belgium"),
    ("BEN", "Benin"),
    ("BES", "Bonaire, Sint Eustatius and Saba"),
    ("BFA", "Burkina Faso"),
    ("BGD", "Bangladesh"),
    ("BGR", "Bulgaria"),
    ("BHR", "Bahrain"),
    ("BHS", "Bahamas"),
    ("BIH", "Bosnia and Herzegovina"),
    ("BLM", "Saint Barthélemy"),
    ("BLR", "Belarus"),
    ("BLZ", "Belize"),
    ("BMU", "Bermuda"),
    ("BOL", "Bolivia"),
    ("BRA", "Brazil"),
    ("BRB", "Barbados"),
    ("BRN", "Brunei Darussalam"),
    ("BTN", "Bhutan"),
    ("BVT", "Bouvet Island"),
    ("BWA", "Botswana"),
    ("CAF", "Central African Republic"),
    ("CAN", "Canada"),
    ("CCK", "Cocos (Keeling) Islands"),
    ("CHE", "Switzerland"),
    ("CHL", "Chile"),
    ("CHN", "China"),
    ("CIV", "Côte d'Ivoire"),
    ("CMR", "Cameroon"),
    ("COD", "Democratic Republic of the Congo"),
    ("COG", "Congo"),
    ("COK", "Cook Islands"),
    ("COL", "Colombia"),
    ("COM", "Comoros"),
    ("CPV", "Cabo Verde"),
    ("CRI", "Costa Rica"),
    ("CUB", "Cuba"),
    ("CUW", "Curaçao"),
    ("CXR", "Christmas Island"),
    ("CYM", "Cayman Islands"),
    ("CYP", "Cyprus"),
    ("CZE", "Czechia"),
    ("DEU", "Germany"),
    ("DJI", "Djibouti"),
    ("DMA", "Dominica"),
    ("DNK", "Denmark"),
    ("DOM", "Dominican Republic"),
    ("DZA", "Algeria"),
    ("ECU", "Ecuador"),
    ("EGY", "Egypt"),
    ("ERI", "Eritrea"),
    ("ESH", "Western Sahara"),
    ("ESP", "Spain"),
    ("EST", "Estonia"),
    ("ETH", "Ethiopia"),
    ("FIN", "Finland"),
    ("FJI", "Fiji"),
    ("FLK", "Falkland Islands"),
    ("FRA", "France"),
    ("FRO", "Faroe Islands"),
    ("FSM", "Micronesia"),
    ("GAB", "Gabon"),
    ("GBR", "United Kingdom"),
    ("GEO", "Georgia"),
    ("GGY", "Guernsey"),
    ("GHA", "Ghana"),
    ("GIB", "Gibraltar"),
    ("GIN", "Guinea"),
    ("GLP", "Guadeloupe"),
    ("GMB", "Gambia"),
    ("GNB", "Guinea-Bissau"),
    ("GNQ", "Equatorial Guinea"),
    ("GRC", "Greece"),
    ("GRD", "Grenada"),
    ("GRL", "Greenland"),
    ("GTM", "Guatemala"),
    ("GUF", "French Guiana"),
    ("GUM", "Guam"),
    ("GUY", "Guyana"),
    ("HKG", "Hong Kong"),
    ("HMD", "Heard Island and McDonald Islands"),
    ("HND", "Honduras"),
    ("HRV", "Croatia"),
    ("HTI", "Haiti"),
    ("HUN", "Hungary"),
    ("IDN", "Indonesia"),
    ("IMN", "Isle of Man"),
    ("IND", "India"),
    ("IOT", "British Indian Ocean Territory"),
    ("IRL", "Ireland"),
    ("IRN", "Iran"),
    ("IRQ", "Iraq"),
    ("ISL", "Iceland"),
    ("ISR", "Israel"),
    ("ITA", "Italy"),
    ("JAM", "Jamaica"),
    ("JEY", "Jersey"),
    ("JOR", "Jordan"),
    ("JPN", "Japan"),
    ("KAZ", "Kazakhstan"),
    ("KEN", "Kenya"),
    ("KGZ", "Kyrgyzstan"),
    ("KHM", "Cambodia"),
    ("KIR", "Kiribati"),
    ("KNA", "Saint Kitts and Nevis"),
    ("KOR", "South Korea"),
    ("KWT", "Kuwait"),
    ("LAO", "Laos"),
    ("LBN", "Lebanon"),
    ("LBR", "Liberia"),
    ("LBY", "Libya"),
    ("LCA", "Saint Lucia"),
    ("LIE", "Liechtenstein"),
    ("LKA", "Sri Lanka"),
    ("LSO", "Lesotho"),
    ("LTU", "Lithuania"),
    ("LUX", "Luxembourg"),
    ("LVA", "Latvia"),
    ("MAC", "Macao"),
    ("MAF", "Saint Martin (French part)"),
    ("MAR", "Morocco"),
    ("MCO", "Monaco"),
    ("MDA", "Moldova"),
    ("MDG", "Madagascar"),
    ("MDV", "Maldives"),
    ("MEX", "Mexico"),
    ("MHL", "Marshall Islands"),
    ("MKD", "North Macedonia"),
    ("MLI", "Mali"),
    ("MLT", "Malta"),
    ("MMR", "Myanmar"),
    ("MNE", "Montenegro"),
    ("MNG", "Mongolia"),
    ("MNP", "Northern Mariana Islands"),
    ("MOZ", "Mozambique"),
    ("MRT", "Mauritania"),
    ("MSR", "Montserrat"),
    ("MTQ", "Martinique"),
    ("MUS", "Mauritius"),
    ("MWI", "Malawi"),
    ("MYS", "Malaysia"),
    ("MYT", "Mayotte"),
    ("NAM", "Namibia"),
    ("NCL", "New Caledonia"),
    ("NER", "Niger"),
    ("NFK", "Norfolk Island"),
    ("NGA", "Nigeria"),
    ("NIC", "Nicaragua"),
    ("NIU", "Niue"),
    ("NLD", "Netherlands"),
    ("NOR", "Norway"),
    ("NPL", "Nepal"),
    ("NRU", "Nauru"),
    ("NZL", "New Zealand"),
    ("OMN", "Oman"),
    ("PAK", "Pakistan"),
    ("PAN", "Panama"),
    ("PCN", "Pitcairn"),
    ("PER", "Peru"),
    ("PHL", "Philippines"),
    ("PLW", "Palau"),
    ("PNG", "Papua New Guinea"),
    ("POL", "Poland"),
    ("PRI", "Puerto Rico"),
    ("PRK", "North Korea"),
    ("PRT", "Portugal"),
    ("PRY", "Paraguay"),
    ("PSE", "Palestine"),
    ("PYF", "French Polynesia"),
    ("QAT", "Qatar"),
    ("REU", "Réunion"),
    ("ROU", "Romania"),
    ("RUS", "Russian Federation"),
    ("RWA", "Rwanda"),
    ("SAU", "Saudi Arabia"),
    ("SDN", "Sudan"),
    ("SEN", "Senegal"),
    ("SGP", "Singapore"),
    ("SGS", "South Georgia and the South Sandwich Islands"),
    ("SHN", "Saint Helena, Ascension and Tristan da Cunha"),
    ("SJM", "Svalbard and Jan Mayen"),
    ("SLB", "Solomon Islands"),
    ("SLE", "Sierra Leone"),
    ("SLV", "El Salvador"),
    ("SMR", "San Marino"),
    ("SOM", "Somalia"),
    ("SPM", "Saint Pierre and Miquelon"),
    ("SRB", "Serbia"),
    ("SSD", "South Sudan"),
    ("STP", "Sao Tome and Principe"),
    ("SUR", "Suriname"),
    ("SVK", "Slovakia"),
    ("SVN", "Slovenia"),
    ("SWE", "Sweden"),
    ("SWZ", "Eswatini"),
    ("SXM", "Sint Maarten (Dutch part)"),
    ("SYC", "Seychelles"),
    ("SYR", "Syria"),
    ("TCA", "Turks and Caicos Islands"),
    ("TCD", "Chad"),
    ("TGO", "Togo"),
    ("THA", "Thailand"),
    ("TJK", "Tajikistan"),
    ("TKL", "Tokelau"),
    ("TKM", "Turkmenistan"),
    ("TLS", "Timor-Leste"),
    ("TON", "Tonga"),
    ("TTO", "Trinidad and Tobago"),
    ("TUN", "Tunisia"),
    ("TUR", "Türkiye"),
    ("TUV", "Tuvalu"),
    ("TWN", "Taiwan"),
    ("TZA", "Tanzania"),
    ("UGA", "Uganda"),
    ("UKR", "Ukraine"),
    ("UMI", "United States Minor Outlying Islands"),
    ("URY", "Uruguay"),
    ("USA", "United States"),
    ("UZB", "Uzbekistan"),
    ("VAT", "Holy See (Vatican City)"),
    ("VCT", "Saint Vincent and the Grenadines"),
    ("VEN", "Venezuela"),
    ("VGB", "British Virgin Islands"),
    ("VIR", "US Virgin Islands"),
    ("VNM", "Vietnam"),
    ("VUT", "Vanuatu"),
    ("WLF", "Wallis and Futuna"),
    ("WSM", "Samoa"),
    ("YEM", "Yemen"),
    ("ZAF", "South Africa"),
    ("ZMB", "Zambia"),
    ("ZWE", "Zimbabwe"),
];

// ---------------------------------------------------------------------------------------
// Warning markers
// ---------------------------------------------------------------------------------------

/// A PNC-style warning signal: a two-letter code shown to any officer who deals with the
/// person, for their safety or the person's.
///
/// The codes and labels follow the commonly published PNC warning signals. The PNC
/// manual's own list could not be checked from here, so treat the set as the one this
/// service supports rather than a copy of the national table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum WarningMarker {
    Alleges,
    Ailment,
    Contagious,
    Drugs,
    Escaper,
    Explosives,
    Firearms,
    Impersonates,
    MentalHealth,
    SelfHarm,
    Suicidal,
    Violent,
    Weapons,
}

impl WarningMarker {
    const TABLE: [(WarningMarker, &'static str, &'static str); 13] = [
        (WarningMarker::Alleges, "AG", "Alleges"),
        (WarningMarker::Ailment, "AT", "Ailment"),
        (WarningMarker::Contagious, "CO", "Contagious"),
        (WarningMarker::Drugs, "DR", "Drugs"),
        (WarningMarker::Escaper, "ES", "Escaper"),
        (WarningMarker::Explosives, "EX", "Explosives"),
        (WarningMarker::Firearms, "FI", "Firearms"),
        (WarningMarker::Impersonates, "IM", "Impersonates"),
        (WarningMarker::MentalHealth, "MH", "Mental health"),
        (WarningMarker::SelfHarm, "SH", "Self-harm"),
        (WarningMarker::Suicidal, "SU", "Suicidal"),
        (WarningMarker::Violent, "VI", "Violent"),
        (WarningMarker::Weapons, "WE", "Weapons"),
    ];
}

code_table!(WarningMarker, 13, "Select a warning marker");

string_value!(WarningMarker);

// ---------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------

const FLAG_MESSAGE: &str = "Flag must only include letters, numbers, spaces and hyphens";

/// A local flag on a record (`VIP`, `STAFF`, `MISSING`): 1 to 30 characters of ASCII
/// letters, digits, spaces and hyphens, upper-cased, whitespace collapsed. Flags are
/// matched exactly in searches and rules, so case and spacing never distinguish two flags.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Flag(String);

impl Flag {
    pub const MAX_CHARS: usize = 30;

    pub fn parse(s: &str) -> Result<Self, String> {
        let text = match single_line(s, Self::MAX_CHARS) {
            Ok(text) => text,
            Err(TextProblem::Empty) => return Err("Enter a flag".to_owned()),
            Err(TextProblem::TooLong) => {
                return Err(format!(
                    "Flag must be {} characters or fewer",
                    Self::MAX_CHARS
                ));
            }
            Err(TextProblem::Hidden) => return Err(FLAG_MESSAGE.to_owned()),
        };
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
        {
            return Err(FLAG_MESSAGE.to_owned());
        }
        if !text.bytes().any(|b| b.is_ascii_alphanumeric()) {
            return Err("Enter a flag".to_owned());
        }
        Ok(Self(text.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(Flag);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn gender_parses_codes_and_empty_as_not_known() {
        assert_eq!(Gender::parse("male"), Ok(Gender::Male));
        assert_eq!(Gender::parse("Female"), Ok(Gender::Female));
        assert_eq!(Gender::parse("other"), Ok(Gender::Other));
        assert_eq!(Gender::parse("not_known"), Ok(Gender::NotKnown));
        assert_eq!(Gender::parse(""), Ok(Gender::NotKnown));
        assert_eq!(Gender::parse("  "), Ok(Gender::NotKnown));
        assert_eq!(Gender::parse("m"), Err("Select a gender".to_owned()));
    }

    #[test]
    fn gender_labels_and_round_trip() {
        assert_eq!(Gender::NotKnown.label(), "Not known");
        for g in Gender::ALL {
            assert_eq!(Gender::parse(g.as_str()), Ok(g));
            let json = serde_json::to_string(&g).unwrap();
            assert_eq!(serde_json::from_str::<Gender>(&json).unwrap(), g);
        }
        assert_eq!(
            serde_json::to_string(&Gender::NotKnown).unwrap(),
            "\"not_known\""
        );
    }

    #[test]
    fn ethnicity_has_the_18_plus_1_codes() {
        let codes: Vec<&str> = Ethnicity::all().iter().map(Ethnicity::code).collect();
        assert_eq!(
            codes,
            [
                "A1", "A2", "A3", "A4", "A9", "B1", "B2", "B9", "M1", "M2", "M3", "M9", "O2", "O9",
                "W1", "W2", "W3", "W9", "NS"
            ]
        );
    }

    #[test]
    fn ethnicity_table_is_in_declaration_order() {
        for (i, e) in Ethnicity::all().into_iter().enumerate() {
            assert_eq!(e as usize, i);
            assert_eq!(Ethnicity::parse(e.code()), Ok(e));
        }
    }

    #[test]
    fn ethnicity_parses_code_case_insensitively() {
        assert_eq!(Ethnicity::parse("w3"), Ok(Ethnicity::W3));
        assert_eq!(Ethnicity::parse(" ns "), Ok(Ethnicity::NS));
        assert_eq!(Ethnicity::W3.label(), "White: Gypsy or Irish Traveller");
        assert_eq!(Ethnicity::NS.label(), "Not stated");
    }

    #[test]
    fn ethnicity_rejects_codes_outside_18_plus_1() {
        // O1 (Chinese) was replaced by A4; W4 (Roma) is not an 18+1 code; IC codes are
        // observed ethnicity, a different list.
        for bad in ["O1", "W4", "IC1", "", "White"] {
            assert_eq!(
                Ethnicity::parse(bad),
                Err("Select an ethnicity".to_owned()),
                "{bad}"
            );
        }
    }

    #[test]
    fn ethnicity_serialises_as_code() {
        assert_eq!(serde_json::to_string(&Ethnicity::W1).unwrap(), "\"W1\"");
        assert_eq!(
            serde_json::from_str::<Ethnicity>("\"m2\"").unwrap(),
            Ethnicity::M2
        );
    }

    #[test]
    fn nationality_table_is_sorted_unique_and_complete() {
        assert_eq!(COUNTRIES.len(), 249);
        assert!(COUNTRIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(COUNTRIES.iter().all(|(c, n)| c.len() == 3
            && c.bytes().all(|b| b.is_ascii_uppercase())
            && !n.is_empty()));
    }

    #[test]
    fn nationality_parses_alpha3_codes() {
        let gb = Nationality::parse("gbr").unwrap();
        assert_eq!(gb.code(), "GBR");
        assert_eq!(gb.name(), "United Kingdom");
        assert_eq!(Nationality::parse("POL").unwrap().name(), "Poland");
        assert_eq!(Nationality::parse(" civ ").unwrap().name(), "Côte d'Ivoire");
        assert_eq!(Nationality::all().len(), 249);
    }

    #[test]
    fn nationality_rejects_unknown_and_alpha2_codes() {
        for bad in ["UK", "GB", "XXX", "ENG", "GBRR", "", "ÉTA"] {
            assert_eq!(
                Nationality::parse(bad),
                Err("Select a nationality".to_owned()),
                "{bad}"
            );
        }
    }

    #[test]
    fn nationality_serde_revalidates() {
        let n: Nationality = serde_json::from_str("\"irl\"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"IRL\"");
        assert!(serde_json::from_str::<Nationality>("\"ZZZ\"").is_err());
    }

    #[test]
    fn warning_marker_codes_and_labels() {
        let codes: Vec<&str> = WarningMarker::all()
            .iter()
            .map(WarningMarker::code)
            .collect();
        assert_eq!(
            codes,
            [
                "AG", "AT", "CO", "DR", "ES", "EX", "FI", "IM", "MH", "SH", "SU", "VI", "WE"
            ]
        );
        assert_eq!(WarningMarker::Firearms.label(), "Firearms");
        for (i, m) in WarningMarker::all().into_iter().enumerate() {
            assert_eq!(m as usize, i);
        }
    }

    #[test]
    fn warning_marker_parses_code_case_insensitively() {
        assert_eq!(WarningMarker::parse("fi"), Ok(WarningMarker::Firearms));
        assert_eq!(WarningMarker::parse(" Vi "), Ok(WarningMarker::Violent));
        assert_eq!(
            WarningMarker::parse("XX"),
            Err("Select a warning marker".to_owned())
        );
        assert!(WarningMarker::parse("Firearms").is_err());
    }

    #[test]
    fn warning_marker_serialises_as_code() {
        assert_eq!(
            serde_json::to_string(&WarningMarker::SelfHarm).unwrap(),
            "\"SH\""
        );
        assert_eq!(
            serde_json::from_str::<WarningMarker>("\"su\"").unwrap(),
            WarningMarker::Suicidal
        );
    }

    #[test]
    fn flag_upper_cases_and_collapses_spaces() {
        assert_eq!(Flag::parse(" vip ").unwrap().as_str(), "VIP");
        assert_eq!(Flag::parse("high  risk").unwrap().as_str(), "HIGH RISK");
        assert_eq!(Flag::parse("op-123").unwrap().as_str(), "OP-123");
    }

    #[test]
    fn flag_rejects_symbols_length_and_empty() {
        assert_eq!(Flag::parse("VIP!"), Err(FLAG_MESSAGE.to_owned()));
        assert_eq!(Flag::parse("STAFF_ONLY"), Err(FLAG_MESSAGE.to_owned()));
        assert_eq!(Flag::parse("CAFÉ"), Err(FLAG_MESSAGE.to_owned()));
        assert!(Flag::parse(&"A".repeat(30)).is_ok());
        assert_eq!(
            Flag::parse(&"A".repeat(31)),
            Err("Flag must be 30 characters or fewer".to_owned())
        );
        assert_eq!(Flag::parse(""), Err("Enter a flag".to_owned()));
        assert_eq!(Flag::parse("--"), Err("Enter a flag".to_owned()));
    }

    proptest! {
        #[test]
        fn attribute_parsers_never_panic(s in any::<String>()) {
            let _ = Gender::parse(&s);
            let _ = Ethnicity::parse(&s);
            let _ = Nationality::parse(&s);
            let _ = WarningMarker::parse(&s);
            let _ = Flag::parse(&s);
        }

        #[test]
        fn every_nationality_round_trips(i in 0usize..249) {
            let (code, name) = COUNTRIES[i];
            let n = Nationality::parse(&code.to_lowercase()).unwrap();
            prop_assert_eq!(n.code(), code);
            prop_assert_eq!(n.name(), name);
            prop_assert_eq!(Nationality::parse(&n.to_string()), Ok(n));
        }

        #[test]
        fn any_valid_flag_round_trips(s in "[A-Za-z0-9][A-Za-z0-9 -]{0,29}") {
            let f = Flag::parse(&s).unwrap();
            prop_assert_eq!(Flag::parse(&f.to_string()), Ok(f.clone()));
            prop_assert_eq!(f.as_str(), f.as_str().to_ascii_uppercase());
        }
    }
}
