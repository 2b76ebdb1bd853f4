//! The entry forms, one per kind of record, as data: which fields, their labels and hints,
//! and how the posted form becomes the same input the JSON API takes. One template renders
//! them all, so every form has the same GOV.UK patterns (error summary, a message by each
//! field, date entry as day / month / year).

use bluelamp_domain::pole::input::{
    DescriptionInput, EventInput, IdentifierInput, LocationInput, MarkingInput, ObjectDetailsInput,
    ObjectInput, OtherNameInput, PersonInput, RestrictionInput,
};
use bluelamp_domain::pole::{EventType, LocationType};
use bluelamp_domain::values::{Ethnicity, Nationality, WarningMarker};
use bluelamp_domain::{Classification, ValidationErrors};
use serde_json::Value;
use std::collections::HashMap;

/// A posted form: every (name, value) pair in order, so repeated checkboxes survive.
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_string(), value.into()));
    }
}

#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Debug, Clone)]
pub struct DatePart {
    pub name: String,
    pub label: &'static str,
    pub value: String,
    pub width: &'static str,
}

/// One question on a form.
#[derive(Debug, Clone)]
pub struct Field {
    /// text, textarea, select, checkboxes, date, time, heading
    pub kind: &'static str,
    pub name: String,
    pub label: String,
    pub hint: String,
    pub value: String,
    pub error: Option<String>,
    pub options: Vec<Opt>,
    pub parts: Vec<DatePart>,
    /// A CSS width class for short answers (`input--width-10`).
    pub width: &'static str,
    pub autocomplete: &'static str,
}

impl Field {
    fn new(kind: &'static str, name: &str, label: &str) -> Self {
        Self {
            kind,
            name: name.into(),
            label: label.into(),
            hint: String::new(),
            value: String::new(),
            error: None,
            options: Vec::new(),
            parts: Vec::new(),
            width: "",
            autocomplete: "off",
        }
    }
    fn text(name: &str, label: &str) -> Self {
        Self::new("text", name, label)
    }
    fn hint(mut self, h: &str) -> Self {
        self.hint = h.into();
        self
    }
    fn width(mut self, w: &'static str) -> Self {
        self.width = w;
        self
    }
    fn heading(label: &str) -> Self {
        Self::new("heading", "", label)
    }
    fn select(name: &str, label: &str, options: Vec<(String, String)>) -> Self {
        let mut f = Self::new("select", name, label);
        f.options = options
            .into_iter()
            .map(|(value, label)| Opt {
                value,
                label,
                selected: false,
            })
            .collect();
        f
    }
    fn password(name: &str, label: &str) -> Self {
        let mut f = Self::new("password", name, label);
        f.autocomplete = "new-password";
        f
    }
    fn checkboxes(name: &str, label: &str, options: Vec<(String, String)>) -> Self {
        let mut f = Self::select(name, label, options);
        f.kind = "checkboxes";
        f
    }
    fn date(prefix: &str, label: &str) -> Self {
        let mut f = Self::new("date", prefix, label);
        f.parts = vec![
            DatePart {
                name: format!("{prefix}-day"),
                label: "Day",
                value: String::new(),
                width: "input--width-2",
            },
            DatePart {
                name: format!("{prefix}-month"),
                label: "Month",
                value: String::new(),
                width: "input--width-2",
            },
            DatePart {
                name: format!("{prefix}-year"),
                label: "Year",
                value: String::new(),
                width: "input--width-4",
            },
        ];
        f
    }
    /// The id the error summary links to: the input itself, or a date's first part.
    pub fn target_id(&self) -> String {
        match self.parts.first() {
            Some(p) => p.name.clone(),
            None => self.name.clone(),
        }
    }
}

/// Fills every field's value (and options' selection) from the form data.
pub fn fill(fields: &mut [Field], data: &FormData) {
    for f in fields.iter_mut() {
        match f.kind {
            "date" => {
                for p in f.parts.iter_mut() {
                    p.value = data.get(&p.name).to_string();
                }
            }
            "checkboxes" => {
                let chosen = data.all(&f.name);
                for o in f.options.iter_mut() {
                    o.selected = chosen.contains(&o.value.as_str());
                }
            }
            "select" => {
                let v = data.get(&f.name);
                f.value = v.to_string();
                for o in f.options.iter_mut() {
                    o.selected = o.value == v;
                }
            }
            // A password is never sent back to the browser.
            "heading" | "password" => {}
            _ => f.value = data.get(&f.name).to_string(),
        }
    }
}

/// An error to show at the top of the page, linking to its field.
#[derive(Debug, Clone)]
pub struct ErrorLink {
    pub target: String,
    pub message: String,
}

impl From<&bluelamp_domain::FieldError> for ErrorLink {
    fn from(e: &bluelamp_domain::FieldError) -> Self {
        Self {
            target: e.field.clone(),
            message: e.message.clone(),
        }
    }
}

/// Puts each validation error beside its field. `map` turns an input path
/// (`identifiers.1.value`) into a form field name; errors with no field go to the summary,
/// linked to the first field.
pub fn attach_errors(
    fields: &mut [Field],
    errors: &ValidationErrors,
    map: &HashMap<String, String>,
) -> Vec<ErrorLink> {
    let mut out = Vec::new();
    for e in &errors.0 {
        let name = map
            .get(&e.field)
            .cloned()
            .unwrap_or_else(|| e.field.clone());
        let field = fields
            .iter_mut()
            .find(|f| f.name == name && f.kind != "heading");
        match field {
            Some(f) => {
                if f.error.is_none() {
                    f.error = Some(e.message.clone());
                }
                out.push(ErrorLink {
                    target: f.target_id(),
                    message: e.message.clone(),
                });
            }
            None => {
                let target = fields
                    .iter()
                    .find(|f| f.kind != "heading")
                    .map(|f| f.target_id())
                    .unwrap_or_default();
                out.push(ErrorLink {
                    target,
                    message: e.message.clone(),
                });
            }
        }
    }
    out
}

fn options<T>(
    items: impl IntoIterator<Item = T>,
    f: impl Fn(&T) -> (String, String),
) -> Vec<(String, String)> {
    items.into_iter().map(|t| f(&t)).collect()
}

fn nationality_options() -> Vec<(String, String)> {
    Nationality::all()
        .iter()
        .map(|(code, name)| (code.to_string(), name.to_string()))
        .collect()
}

fn with_blank(mut v: Vec<(String, String)>, blank: &str) -> Vec<(String, String)> {
    v.insert(0, (String::new(), blank.into()));
    v
}

fn marking_fields() -> Vec<Field> {
    vec![
        Field::heading("Protective marking"),
        Field::select(
            "classification",
            "Classification",
            options(Classification::ALL, |c| {
                (c.as_str().to_string(), c.as_str().to_string())
            }),
        )
        .hint("Most police information is OFFICIAL."),
        Field::text("compartments", "Compartments (optional)")
            .hint("Need-to-know groups, separated by commas, for example OP-KESTREL"),
        Field::text("caveats", "Handling caveats (optional)")
            .hint("Separated by commas, for example UK EYES ONLY"),
        Field::text("restricted_teams", "Restrict to teams (optional)")
            .hint("Unit codes separated by commas, for example MIT, PSD. Only these teams, the officers named below and their supervisors will see the record."),
        Field::text("restricted_officers", "Restrict to officers (optional)")
            .hint("User names separated by commas, for example the officer in the case"),
    ]
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

fn marking_input(data: &FormData) -> Option<MarkingInput> {
    let c = data.get("classification").trim();
    let comps = split_list(data.get("compartments"));
    let cavs = split_list(data.get("caveats"));
    let teams = split_list(data.get("restricted_teams"));
    let officers = split_list(data.get("restricted_officers"));
    let restriction = if teams.is_empty() && officers.is_empty() {
        None
    } else {
        Some(RestrictionInput { teams, officers })
    };
    if (c.is_empty() || c == "OFFICIAL")
        && comps.is_empty()
        && cavs.is_empty()
        && restriction.is_none()
    {
        return None;
    }
    Some(MarkingInput {
        classification: if c.is_empty() {
            "OFFICIAL".into()
        } else {
            c.into()
        },
        compartments: comps,
        caveats: cavs,
        restriction,
    })
}

fn marking_map(map: &mut HashMap<String, String>) {
    map.insert("marking.classification".into(), "classification".into());
    for i in 0..50 {
        map.insert(format!("marking.compartments.{i}"), "compartments".into());
        map.insert(format!("marking.caveats.{i}"), "caveats".into());
        map.insert(
            format!("marking.restriction.teams.{i}"),
            "restricted_teams".into(),
        );
        map.insert(
            format!("marking.restriction.officers.{i}"),
            "restricted_officers".into(),
        );
    }
    map.insert("marking.restriction".into(), "restricted_teams".into());
}

/// Form data from a stored record's marking, for an edit form.
fn marking_data(data: &mut FormData, marking: &bluelamp_domain::Marking) {
    data.set("classification", marking.classification.as_str());
    data.set(
        "compartments",
        marking
            .compartments
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    );
    data.set(
        "caveats",
        marking
            .caveats
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    );
    if let Some(r) = &marking.restriction {
        data.set(
            "restricted_teams",
            r.teams
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
        data.set("restricted_officers", r.officers.join(", "));
    }
}

// ---------------------------------------------------------------- persons

pub fn person_fields() -> Vec<Field> {
    let mut f = vec![
        Field::text("family_name", "Family name").width("input--width-20"),
        Field::text("given_names", "Given names").hint("All given names, in order").width("input--width-20"),
        Field::date("dob", "Date of birth").hint("For example, 27 3 1985. Leave the day, or the day and month, empty if they are not known."),
        Field::select("gender", "Gender", vec![
            ("not_known".into(), "Not known".into()),
            ("male".into(), "Male".into()),
            ("female".into(), "Female".into()),
            ("other".into(), "Other".into()),
        ]),
        Field::select("ethnicity", "Self-defined ethnicity", with_blank(options(Ethnicity::all(), |e| (e.code().to_string(), format!("{} - {}", e.code(), e.label()))), "Not recorded")),
        Field::select("nationality", "Nationality", with_blank(nationality_options(), "Not recorded")),
        Field::text("place_of_birth", "Place of birth").width("input--width-20"),
        Field::textarea("other_names", "Other names and aliases").hint("One per line: family name, given names. For example: Smyth, Johnny"),
        Field::heading("Identifiers"),
        Field::text("pnc", "PNC ID").hint("For example, 2024/0123456A or 24/123456A").width("input--width-10"),
        Field::text("cro", "CRO number").width("input--width-10"),
        Field::text("ni", "National Insurance number").hint("For example, QQ 12 34 56 C").width("input--width-10"),
        Field::heading("Warnings and description"),
        Field::checkboxes("warning_markers", "Warning markers", options(WarningMarker::all(), |w| (w.code().to_string(), format!("{} ({})", w.label(), w.code())))),
        Field::text("flags", "Flags").hint("Separated by commas, for example VIP, STAFF").width("input--width-20"),
        Field::text("height_cm", "Height in centimetres").width("input--width-4"),
        Field::text("build", "Build").width("input--width-10"),
        Field::text("hair", "Hair").width("input--width-10"),
        Field::text("eyes", "Eyes").width("input--width-10"),
        Field::textarea("marks", "Scars, marks and tattoos"),
    ];
    f.extend(marking_fields());
    f
}

impl Field {
    fn textarea(name: &str, label: &str) -> Self {
        Self::new("textarea", name, label)
    }
}

/// A date from three boxes: "YYYY-MM-DD", "YYYY-MM" or "YYYY"; parts the user left empty are
/// left out, so the domain decides whether the combination is allowed.
fn dob_string(data: &FormData, prefix: &str) -> Result<String, String> {
    let d = data.get(&format!("{prefix}-day")).trim();
    let m = data.get(&format!("{prefix}-month")).trim();
    let y = data.get(&format!("{prefix}-year")).trim();
    let num = |s: &str, what: &str, max: u32| -> Result<u32, String> {
        s.parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| format!("The {what} must be a real {what}"))
    };
    match (d.is_empty(), m.is_empty(), y.is_empty()) {
        (true, true, true) => Ok(String::new()),
        (_, _, true) => Err("Enter the year of birth".into()),
        (false, true, false) => Err("Enter the month of birth as well as the day".into()),
        (true, true, false) => Ok(format!("{:04}", num(y, "year", 9999)?)),
        (true, false, false) => Ok(format!(
            "{:04}-{:02}",
            num(y, "year", 9999)?,
            num(m, "month", 12)?
        )),
        (false, false, false) => Ok(format!(
            "{:04}-{:02}-{:02}",
            num(y, "year", 9999)?,
            num(m, "month", 12)?,
            num(d, "day", 31)?
        )),
    }
}

/// An optional full date from three boxes, as `YYYY-MM-DD`; all empty means none.
pub fn full_date(data: &FormData, prefix: &str) -> Result<String, String> {
    let d = data.get(&format!("{prefix}-day")).trim();
    let m = data.get(&format!("{prefix}-month")).trim();
    let y = data.get(&format!("{prefix}-year")).trim();
    if d.is_empty() && m.is_empty() && y.is_empty() {
        return Ok(String::new());
    }
    match (d.parse::<i8>(), m.parse::<i8>(), y.parse::<i16>()) {
        (Ok(d), Ok(m), Ok(y)) => jiff::civil::Date::new(y, m, d)
            .map(|date| date.to_string())
            .map_err(|_| "Enter a real date".to_string()),
        _ => Err("Enter the date with a day, month and year, or leave all three empty".to_string()),
    }
}

/// The posted person form as the API's input, with the map from input paths to form fields.
pub fn person_input(
    data: &FormData,
) -> Result<(PersonInput, HashMap<String, String>), ValidationErrors> {
    let mut map = HashMap::new();
    map.insert("date_of_birth".to_string(), "dob".to_string());
    let date_of_birth = dob_string(data, "dob").map_err(|m| ValidationErrors::single("dob", m))?;
    let mut identifiers = Vec::new();
    for (field, id_type) in [("pnc", "PNC"), ("cro", "CRO"), ("ni", "NI")] {
        let v = data.get(field).trim();
        if !v.is_empty() {
            map.insert(
                format!("identifiers.{}.value", identifiers.len()),
                field.to_string(),
            );
            identifiers.push(IdentifierInput {
                id_type: id_type.into(),
                value: v.into(),
            });
        }
    }
    let mut other_names = Vec::new();
    for line in data
        .get("other_names")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let (family, given) = line.split_once(',').unwrap_or((line, ""));
        map.insert(
            format!("other_names.{}.family_name", other_names.len()),
            "other_names".into(),
        );
        map.insert(
            format!("other_names.{}.given_names", other_names.len()),
            "other_names".into(),
        );
        other_names.push(OtherNameInput {
            family_name: family.trim().into(),
            given_names: given.trim().into(),
            name_type: "alias".into(),
        });
    }
    map.insert("other_names".into(), "other_names".into());
    for i in 0..50 {
        map.insert(format!("warning_markers.{i}"), "warning_markers".into());
        map.insert(format!("flags.{i}"), "flags".into());
    }
    for d in ["height_cm", "build", "hair", "eyes", "marks"] {
        map.insert(format!("description.{d}"), d.into());
    }
    marking_map(&mut map);
    let height = data.get("height_cm").trim();
    let height_cm = if height.is_empty() {
        None
    } else {
        Some(height.parse::<u16>().map_err(|_| {
            ValidationErrors::single(
                "height_cm",
                "Enter the height as a whole number of centimetres",
            )
        })?)
    };
    Ok((
        PersonInput {
            family_name: data.get("family_name").into(),
            given_names: data.get("given_names").into(),
            other_names,
            date_of_birth,
            gender: data.get("gender").into(),
            ethnicity: data.get("ethnicity").into(),
            place_of_birth: data.get("place_of_birth").into(),
            nationality: data.get("nationality").into(),
            description: DescriptionInput {
                height_cm,
                build: data.get("build").into(),
                hair: data.get("hair").into(),
                eyes: data.get("eyes").into(),
                marks: data.get("marks").into(),
            },
            identifiers,
            warning_markers: data
                .all("warning_markers")
                .into_iter()
                .map(String::from)
                .collect(),
            flags: split_list(data.get("flags")),
            marking: marking_input(data),
        },
        map,
    ))
}

fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The form data that shows a stored person in the edit form.
pub fn person_data(body: &Value, marking: &bluelamp_domain::Marking) -> FormData {
    let mut d = FormData::default();
    for k in [
        "family_name",
        "given_names",
        "gender",
        "ethnicity",
        "nationality",
        "place_of_birth",
    ] {
        d.set(k, s(body, k));
    }
    let dob = s(body, "date_of_birth");
    let parts: Vec<&str> = dob.split('-').collect();
    d.set("dob-year", parts.first().copied().unwrap_or(""));
    d.set(
        "dob-month",
        parts
            .get(1)
            .map(|m| m.trim_start_matches('0'))
            .unwrap_or(""),
    );
    d.set(
        "dob-day",
        parts
            .get(2)
            .map(|m| m.trim_start_matches('0'))
            .unwrap_or(""),
    );
    if let Some(ids) = body.get("identifiers").and_then(Value::as_array) {
        for id in ids {
            let field = match s(id, "type").as_str() {
                "PNC" => "pnc",
                "CRO" => "cro",
                "NI" => "ni",
                _ => continue,
            };
            d.set(field, s(id, "value"));
        }
    }
    if let Some(names) = body.get("other_names").and_then(Value::as_array) {
        let lines: Vec<String> = names
            .iter()
            .map(|n| {
                format!("{}, {}", s(n, "family_name"), s(n, "given_names"))
                    .trim_end_matches(", ")
                    .to_string()
            })
            .collect();
        d.set("other_names", lines.join("\n"));
    }
    for w in body
        .get("warning_markers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        d.set("warning_markers", w.as_str().unwrap_or(""));
    }
    let flags: Vec<&str> = body
        .get("flags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    d.set("flags", flags.join(", "));
    if let Some(desc) = body.get("description") {
        for k in ["height_cm", "build", "hair", "eyes", "marks"] {
            d.set(k, s(desc, k));
        }
    }
    marking_data(&mut d, marking);
    d
}

// ---------------------------------------------------------------- objects

pub const OBJECT_KINDS: [(&str, &str); 6] = [
    ("vehicle", "Vehicle"),
    ("phone", "Phone or device"),
    ("weapon", "Weapon"),
    ("document", "Document"),
    ("property", "Property item"),
    ("drugs", "Drugs"),
];

pub fn object_fields(kind: &str) -> Vec<Field> {
    let mut f = match kind {
        "vehicle" => vec![
            Field::text("vrm", "Registration number")
                .hint("For example, AB12 CDE")
                .width("input--width-10"),
            Field::text("make", "Make").width("input--width-10"),
            Field::text("model", "Model").width("input--width-10"),
            Field::text("colour", "Colour").width("input--width-10"),
            Field::text("vin", "Vehicle identification number (VIN)").width("input--width-20"),
        ],
        "phone" => vec![
            Field::text("number", "Phone number")
                .hint("In any format, for example 07700 900123 or +44 7700 900123")
                .width("input--width-20"),
            Field::text("imei", "IMEI")
                .hint("15 digits")
                .width("input--width-20"),
            Field::text("make", "Make").width("input--width-10"),
            Field::text("model", "Model").width("input--width-10"),
        ],
        "weapon" => vec![
            Field::text("weapon_type", "Type of weapon")
                .hint("For example, kitchen knife")
                .width("input--width-20"),
            Field::text("serial_number", "Serial number").width("input--width-20"),
        ],
        "document" => vec![
            Field::text("document_type", "Type of document")
                .hint("For example, passport")
                .width("input--width-20"),
            Field::text("number", "Document number").width("input--width-20"),
            Field::select(
                "issuing_country",
                "Issuing country",
                with_blank(nationality_options(), "Not known"),
            ),
        ],
        "property" => vec![
            Field::text("category", "What is it?")
                .hint("For example, bicycle, laptop, jewellery")
                .width("input--width-20"),
            Field::text("serial_number", "Serial number").width("input--width-20"),
        ],
        _ => vec![
            Field::text("drug_type", "Type of drug").width("input--width-20"),
            Field::text("quantity", "Quantity")
                .hint("For example, 12 wraps, 30 g")
                .width("input--width-10"),
        ],
    };
    f.push(Field::textarea("description", "Description"));
    f.extend(marking_fields());
    f
}

pub fn object_input(
    kind: &str,
    data: &FormData,
) -> Result<(ObjectInput, HashMap<String, String>), ValidationErrors> {
    let g = |k: &str| data.get(k).to_string();
    let details = match kind {
        "vehicle" => ObjectDetailsInput::Vehicle {
            vrm: g("vrm"),
            make: g("make"),
            model: g("model"),
            colour: g("colour"),
            vin: g("vin"),
        },
        "phone" => ObjectDetailsInput::Phone {
            number: g("number"),
            imei: g("imei"),
            make: g("make"),
            model: g("model"),
        },
        "weapon" => ObjectDetailsInput::Weapon {
            weapon_type: g("weapon_type"),
            serial_number: g("serial_number"),
        },
        "document" => ObjectDetailsInput::Document {
            document_type: g("document_type"),
            number: g("number"),
            issuing_country: g("issuing_country"),
        },
        "property" => ObjectDetailsInput::Property {
            category: g("category"),
            serial_number: g("serial_number"),
        },
        "drugs" => ObjectDetailsInput::Drugs {
            drug_type: g("drug_type"),
            quantity: g("quantity"),
        },
        _ => {
            return Err(ValidationErrors::single(
                "kind",
                "Choose what kind of object this is",
            ));
        }
    };
    let mut map = HashMap::new();
    for f in [
        "vrm",
        "make",
        "model",
        "colour",
        "vin",
        "number",
        "imei",
        "weapon_type",
        "serial_number",
        "document_type",
        "issuing_country",
        "category",
        "drug_type",
        "quantity",
    ] {
        map.insert(format!("details.{f}"), f.to_string());
    }
    marking_map(&mut map);
    Ok((
        ObjectInput {
            details,
            description: g("description"),
            marking: marking_input(data),
        },
        map,
    ))
}

pub fn object_data(body: &Value, marking: &bluelamp_domain::Marking) -> FormData {
    let mut d = FormData::default();
    if let Some(details) = body.get("details").and_then(Value::as_object) {
        for (k, v) in details {
            if let Some(v) = v.as_str() {
                d.set(k, v);
            }
        }
    }
    d.set("description", s(body, "description"));
    marking_data(&mut d, marking);
    d
}

// ---------------------------------------------------------------- locations

pub fn location_fields() -> Vec<Field> {
    let mut f = vec![
        Field::text("address_line_1", "Address line 1")
            .hint("Building and street")
            .width("input--width-20"),
        Field::text("address_line_2", "Address line 2 (optional)").width("input--width-20"),
        Field::text("town", "Town or city").width("input--width-20"),
        Field::text("postcode", "Postcode").width("input--width-10"),
        Field::select(
            "location_type",
            "Type of location",
            options(LocationType::ALL, |t| {
                (t.as_str().to_string(), t.label().to_string())
            }),
        ),
        Field::text("latitude", "Latitude (optional)")
            .hint("WGS84, for example 53.8008")
            .width("input--width-10"),
        Field::text("longitude", "Longitude (optional)")
            .hint("WGS84, for example -1.5491")
            .width("input--width-10"),
        Field::text("uprn", "UPRN (optional)")
            .hint("Unique Property Reference Number")
            .width("input--width-10"),
        Field::textarea("description", "Description")
            .hint("For a place without an address, say where it is"),
    ];
    f.extend(marking_fields());
    f
}

pub fn location_input(
    data: &FormData,
) -> Result<(LocationInput, HashMap<String, String>), ValidationErrors> {
    let mut e = ValidationErrors::new();
    let mut coord = |name: &str| -> Option<f64> {
        let v = data.get(name).trim();
        if v.is_empty() {
            return None;
        }
        match v.parse::<f64>() {
            Ok(n) => Some(n),
            Err(_) => {
                e.push(name, format!("Enter the {name} as a decimal number"));
                None
            }
        }
    };
    let latitude = coord("latitude");
    let longitude = coord("longitude");
    if !e.is_empty() {
        return Err(e);
    }
    let mut map = HashMap::new();
    map.insert("address_lines".into(), "address_line_1".into());
    map.insert("address_lines.0".into(), "address_line_1".into());
    map.insert("address_lines.1".into(), "address_line_2".into());
    marking_map(&mut map);
    Ok((
        LocationInput {
            address_lines: vec![
                data.get("address_line_1").into(),
                data.get("address_line_2").into(),
            ],
            town: data.get("town").into(),
            postcode: data.get("postcode").into(),
            uprn: data.get("uprn").into(),
            latitude,
            longitude,
            location_type: data.get("location_type").into(),
            description: data.get("description").into(),
            marking: marking_input(data),
        },
        map,
    ))
}

pub fn location_data(body: &Value, marking: &bluelamp_domain::Marking) -> FormData {
    let mut d = FormData::default();
    let lines: Vec<String> = body
        .get("address_lines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    d.set("address_line_1", lines.first().cloned().unwrap_or_default());
    d.set("address_line_2", lines.get(1).cloned().unwrap_or_default());
    for k in ["town", "postcode", "uprn", "location_type", "description"] {
        d.set(k, s(body, k));
    }
    if let Some(c) = body.get("coordinates") {
        d.set("latitude", s(c, "lat"));
        d.set("longitude", s(c, "lon"));
    }
    marking_data(&mut d, marking);
    d
}

// ---------------------------------------------------------------- events

pub fn event_fields() -> Vec<Field> {
    let mut f = vec![
        Field::select(
            "event_type",
            "Type of event",
            options(EventType::ALL, |t| {
                (t.as_str().to_string(), t.label().to_string())
            }),
        ),
        Field::text("title", "Title")
            .hint("One line, for example: Burglary at 12 High Street")
            .width("input--width-30"),
        Field::date("starts", "Date it started"),
        Field::text("starts-time", "Time it started")
            .hint("24-hour clock, UK time, for example 21:14")
            .width("input--width-4"),
        Field::date("ends", "Date it ended (optional)"),
        Field::text("ends-time", "Time it ended (optional)").width("input--width-4"),
        Field::text("location_id", "Location record id (optional)")
            .hint("Or link the event to a location after saving it")
            .width("input--width-30"),
        Field::textarea("narrative", "What happened"),
    ];
    f.extend(marking_fields());
    f
}

/// A UK local date and time from the form as an RFC 3339 instant. During the autumn clock
/// change an hour happens twice; the earlier is taken (jiff's "compatible" rule).
fn local_instant(data: &FormData, prefix: &str, required: bool) -> Result<String, String> {
    let d = data.get(&format!("{prefix}-day")).trim();
    let m = data.get(&format!("{prefix}-month")).trim();
    let y = data.get(&format!("{prefix}-year")).trim();
    let t = data.get(&format!("{prefix}-time")).trim();
    if d.is_empty() && m.is_empty() && y.is_empty() && t.is_empty() {
        return if required {
            Err("Enter the date".into())
        } else {
            Ok(String::new())
        };
    }
    let (Ok(day), Ok(month), Ok(year)) = (d.parse::<i8>(), m.parse::<i8>(), y.parse::<i16>())
    else {
        return Err("Enter a real date, with day, month and year".into());
    };
    let date =
        jiff::civil::Date::new(year, month, day).map_err(|_| "Enter a real date".to_string())?;
    let time = if t.is_empty() {
        jiff::civil::Time::midnight()
    } else {
        let (h, mi) = t
            .split_once(':')
            .or_else(|| t.split_once('.'))
            .unwrap_or((t, "0"));
        match (h.trim().parse::<i8>(), mi.trim().parse::<i8>()) {
            (Ok(h), Ok(mi)) => jiff::civil::Time::new(h, mi, 0, 0)
                .map_err(|_| "Enter a real time, like 21:14".to_string())?,
            _ => return Err("Enter a real time, like 21:14".into()),
        }
    };
    let zoned = date
        .to_datetime(time)
        .to_zoned(bluelamp_domain::time::london())
        .map_err(|_| "Enter a real date and time".to_string())?;
    Ok(bluelamp_domain::time::to_rfc3339(zoned.timestamp()))
}

pub fn event_input(
    data: &FormData,
) -> Result<(EventInput, HashMap<String, String>), ValidationErrors> {
    let mut e = ValidationErrors::new();
    let starts_at = e
        .check("starts", local_instant(data, "starts", true))
        .unwrap_or_default();
    let ends_at = e
        .check("ends", local_instant(data, "ends", false))
        .unwrap_or_default();
    if !e.is_empty() {
        return Err(e);
    }
    let mut map = HashMap::new();
    map.insert("starts_at".into(), "starts".into());
    map.insert("ends_at".into(), "ends".into());
    marking_map(&mut map);
    Ok((
        EventInput {
            event_type: data.get("event_type").into(),
            title: data.get("title").into(),
            starts_at,
            ends_at,
            location_id: data.get("location_id").into(),
            narrative: data.get("narrative").into(),
            marking: marking_input(data),
        },
        map,
    ))
}

pub fn event_data(body: &Value, marking: &bluelamp_domain::Marking) -> FormData {
    let mut d = FormData::default();
    for k in ["event_type", "title", "location_id", "narrative"] {
        d.set(k, s(body, k));
    }
    for (key, prefix) in [("starts_at", "starts"), ("ends_at", "ends")] {
        if let Ok(t) = s(body, key).parse::<jiff::Timestamp>() {
            let z = bluelamp_domain::time::local(t);
            d.set(&format!("{prefix}-day"), z.day().to_string());
            d.set(&format!("{prefix}-month"), z.month().to_string());
            d.set(&format!("{prefix}-year"), z.year().to_string());
            d.set(
                &format!("{prefix}-time"),
                format!("{:02}:{:02}", z.hour(), z.minute()),
            );
        }
    }
    marking_data(&mut d, marking);
    d
}

// ---------------------------------------------------------------- users

pub fn user_fields(creating: bool) -> Vec<Field> {
    use bluelamp_domain::Role;
    let mut f = Vec::new();
    if creating {
        f.push(
            Field::text("username", "User name")
                .hint(
                    "Lower-case letters, digits, dots, hyphens and underscores, for example pc4721",
                )
                .width("input--width-20"),
        );
    }
    f.extend([
        Field::text("display_name", "Name").hint("As shown on records, for example PC 4721 Jones"),
        Field::text("rank", "Rank or grade")
            .hint("For example PC, DS or Police staff")
            .width("input--width-10"),
        Field::text("number", "Collar or staff number (optional)").width("input--width-10"),
        Field::checkboxes(
            "roles",
            "Roles",
            Role::ALL
                .iter()
                .map(|r| (r.as_str().to_string(), r.label().to_string()))
                .collect(),
        ),
        Field::text("unit", "Unit")
            .hint("A unit code, for example CID-NORTH")
            .width("input--width-20"),
        Field::select(
            "clearance",
            "Vetting clearance",
            options(Classification::ALL, |c| {
                (c.as_str().to_string(), c.as_str().to_string())
            }),
        )
        .hint("The highest classification this user may see"),
        Field::text("compartments", "Compartments (optional)")
            .hint("Need-to-know groups the user holds, separated by commas"),
    ]);
    if creating {
        f.push(Field::password("password", "First password").hint(
            "At least 8 characters and not a common password. Give it to the user in person.",
        ));
    } else {
        f.push(Field::checkboxes(
            "disabled",
            "Account",
            vec![(
                "yes".into(),
                "Disabled: the user cannot sign in and every session they have ends now".into(),
            )],
        ));
    }
    f
}

pub fn user_input(data: &FormData) -> bluelamp_app::identity::UserInput {
    bluelamp_app::identity::UserInput {
        username: data.get("username").to_string(),
        display_name: data.get("display_name").to_string(),
        rank: data.get("rank").to_string(),
        number: data.get("number").to_string(),
        roles: data.all("roles").into_iter().map(String::from).collect(),
        unit: data.get("unit").to_string(),
        clearance: data.get("clearance").to_string(),
        compartments: split_list(data.get("compartments")),
        disabled: data.get("disabled") == "yes",
    }
}

pub fn user_data(a: &bluelamp_store::UserAccount) -> FormData {
    let p = &a.principal;
    let mut d = FormData(Vec::new());
    d.set("username", p.username.as_str());
    d.set("display_name", p.display_name.as_str());
    d.set("rank", a.rank.as_str());
    d.set("number", a.number.as_str());
    for r in &p.roles {
        d.set("roles", r.as_str());
    }
    d.set("unit", p.unit.as_str());
    d.set("clearance", p.clearance.as_str());
    d.set(
        "compartments",
        p.compartments
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    );
    if a.disabled {
        d.set("disabled", "yes");
    }
    d
}

pub fn user_map() -> HashMap<String, String> {
    let mut map = HashMap::new();
    for i in 0..50 {
        map.insert(format!("roles.{i}"), "roles".into());
        map.insert(format!("compartments.{i}"), "compartments".into());
    }
    map
}

pub fn token_fields() -> Vec<Field> {
    vec![
        Field::text("label", "Token name")
            .hint("What the token is for, for example 'Reporting script'"),
        Field::text("days", "Lifetime in days")
            .hint("From 1 to 90")
            .width("input--width-4"),
        Field::checkboxes(
            "write",
            "Permissions",
            vec![(
                "yes".into(),
                "Allow changes (without this the token may only read)".into(),
            )],
        ),
    ]
}

/// Changing one's own password: the current one first.
pub fn own_password_fields() -> Vec<Field> {
    let mut f = vec![
        Field::password("current_password", "Current password")
            .hint("Users who sign in with their force account have no Bluelamp password to change"),
    ];
    f.extend(password_fields());
    f
}

pub fn password_fields() -> Vec<Field> {
    vec![
        Field::password("password", "New password")
            .hint("At least 8 characters and not a common password"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn partial_date_of_birth_from_three_boxes() {
        assert_eq!(
            dob_string(&form(&[("dob-year", "1985")]), "dob").unwrap(),
            "1985"
        );
        assert_eq!(
            dob_string(&form(&[("dob-month", "3"), ("dob-year", "1985")]), "dob").unwrap(),
            "1985-03"
        );
        assert_eq!(
            dob_string(
                &form(&[("dob-day", "2"), ("dob-month", "3"), ("dob-year", "1985")]),
                "dob"
            )
            .unwrap(),
            "1985-03-02"
        );
        assert!(dob_string(&form(&[("dob-day", "2"), ("dob-year", "1985")]), "dob").is_err());
        assert!(
            dob_string(
                &form(&[("dob-day", "2"), ("dob-month", "13"), ("dob-year", "1985")]),
                "dob"
            )
            .is_err()
        );
    }

    #[test]
    fn event_time_is_read_as_uk_local_time_across_the_clock_change() {
        // 1 July: BST, so 21:14 local is 20:14 UTC.
        let summer = form(&[
            ("starts-day", "1"),
            ("starts-month", "7"),
            ("starts-year", "2026"),
            ("starts-time", "21:14"),
        ]);
        assert_eq!(
            local_instant(&summer, "starts", true).unwrap(),
            "2026-07-01T20:14:00.000Z"
        );
        let winter = form(&[
            ("starts-day", "1"),
            ("starts-month", "12"),
            ("starts-year", "2026"),
            ("starts-time", "21:14"),
        ]);
        assert_eq!(
            local_instant(&winter, "starts", true).unwrap(),
            "2026-12-01T21:14:00.000Z"
        );
    }

    #[test]
    fn person_form_maps_identifier_errors_back_to_their_boxes() {
        let (input, map) = person_input(&form(&[
            ("family_name", "Smith"),
            ("ni", "bad"),
            ("pnc", "2024/1"),
        ]))
        .unwrap();
        assert_eq!(input.identifiers[0].id_type, "PNC");
        assert_eq!(map["identifiers.0.value"], "pnc");
        assert_eq!(map["identifiers.1.value"], "ni");
    }
}
