//! How a stored record is shown: summary-list rows built from the typed entity, so every
//! value appears in its canonical, human form (dates the GOV.UK way, phone numbers
//! nationally, registrations spaced).

use bluelamp_domain::RecordKind;
use bluelamp_domain::pole::{Event, Link, Location, Object, ObjectDetails, Person};
use bluelamp_domain::time::{format_date, format_instant};
use bluelamp_domain::values::ShortText;
use serde_json::Value;

/// One row of a summary list. `href` makes the value a link.
#[derive(Debug, Clone)]
pub struct Row {
    pub key: String,
    pub value: String,
    pub href: Option<String>,
}

fn row(key: &str, value: impl Into<String>) -> Row {
    Row {
        key: key.into(),
        value: value.into(),
        href: None,
    }
}

fn opt(rows: &mut Vec<Row>, key: &str, value: Option<&ShortText>) {
    if let Some(v) = value {
        rows.push(row(key, v.as_str()));
    }
}

/// The key details shown in the bar at the top of a person page.
#[derive(Debug, Clone, Default)]
pub struct KeyDetails {
    pub name: String,
    pub date_of_birth: String,
    pub identifiers: Vec<String>,
    pub warnings: Vec<String>,
}

pub fn person_key_details(body: &Value) -> Option<KeyDetails> {
    let p: Person = serde_json::from_value(body.clone()).ok()?;
    Some(KeyDetails {
        name: p.summary(),
        date_of_birth: p.date_of_birth.display(),
        identifiers: p
            .identifiers
            .iter()
            .map(|i| format!("{} {}", i.id_type().as_str(), i.value_str()))
            .collect(),
        warnings: p
            .warning_markers
            .iter()
            .map(|w| format!("{} ({})", w.label(), w.code()))
            .collect(),
    })
}

pub fn rows(kind: RecordKind, body: &Value) -> Vec<Row> {
    let typed = match kind {
        RecordKind::Person => serde_json::from_value::<Person>(body.clone())
            .ok()
            .map(|p| person_rows(&p)),
        RecordKind::Object => serde_json::from_value::<Object>(body.clone())
            .ok()
            .map(|o| object_rows(&o)),
        RecordKind::Location => serde_json::from_value::<Location>(body.clone())
            .ok()
            .map(|l| location_rows(&l)),
        RecordKind::Event => serde_json::from_value::<Event>(body.clone())
            .ok()
            .map(|e| event_rows(&e)),
        RecordKind::Link => serde_json::from_value::<Link>(body.clone())
            .ok()
            .map(|l| link_rows(&l)),
    };
    // A record that no longer matches today's types (an old version) is still shown, plainly.
    typed.unwrap_or_else(|| raw_rows(body))
}

fn person_rows(p: &Person) -> Vec<Row> {
    let mut r = vec![row("Family name", p.family_name.as_str())];
    if let Some(g) = &p.given_names {
        r.push(row("Given names", g.as_str()));
    }
    r.push(row("Date of birth", p.date_of_birth.display()));
    r.push(row("Gender", p.gender.label()));
    if let Some(e) = &p.ethnicity {
        r.push(row(
            "Self-defined ethnicity",
            format!("{} - {}", e.code(), e.label()),
        ));
    }
    if let Some(n) = &p.nationality {
        r.push(row("Nationality", n.name()));
    }
    opt(&mut r, "Place of birth", p.place_of_birth.as_ref());
    for o in &p.other_names {
        let name = match &o.given_names {
            Some(g) => format!("{}, {}", o.family_name.as_str().to_uppercase(), g.as_str()),
            None => o.family_name.as_str().to_uppercase(),
        };
        r.push(row(
            &format!("Other name ({})", o.name_type.label().to_lowercase()),
            name,
        ));
    }
    for i in &p.identifiers {
        r.push(row(i.id_type().label(), i.value_str()));
    }
    if !p.flags.is_empty() {
        r.push(row(
            "Flags",
            p.flags
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    let d = &p.description;
    if let Some(h) = d.height_cm {
        r.push(row("Height", format!("{h} cm")));
    }
    opt(&mut r, "Build", d.build.as_ref());
    opt(&mut r, "Hair", d.hair.as_ref());
    opt(&mut r, "Eyes", d.eyes.as_ref());
    if let Some(m) = &d.marks {
        r.push(row("Scars, marks and tattoos", m.as_str()));
    }
    r
}

fn object_rows(o: &Object) -> Vec<Row> {
    let mut r = Vec::new();
    match &o.details {
        ObjectDetails::Vehicle {
            vrm,
            make,
            model,
            colour,
            vin,
        } => {
            r.push(row("Kind", "Vehicle"));
            r.push(row("Registration", vrm.display_spaced()));
            opt(&mut r, "Make", make.as_ref());
            opt(&mut r, "Model", model.as_ref());
            opt(&mut r, "Colour", colour.as_ref());
            if let Some(v) = vin {
                r.push(row("VIN", v.as_str()));
            }
        }
        ObjectDetails::Phone {
            number,
            imei,
            make,
            model,
        } => {
            r.push(row("Kind", "Phone or device"));
            if let Some(n) = number {
                r.push(row("Number", n.display_national()));
                r.push(row("Number (international)", n.as_str()));
            }
            if let Some(i) = imei {
                r.push(row("IMEI", i.as_str()));
            }
            opt(&mut r, "Make", make.as_ref());
            opt(&mut r, "Model", model.as_ref());
        }
        ObjectDetails::Weapon {
            weapon_type,
            serial_number,
        } => {
            r.push(row("Kind", "Weapon"));
            r.push(row("Type", weapon_type.as_str()));
            opt(&mut r, "Serial number", serial_number.as_ref());
        }
        ObjectDetails::Document {
            document_type,
            number,
            issuing_country,
        } => {
            r.push(row("Kind", "Document"));
            r.push(row("Type", document_type.as_str()));
            opt(&mut r, "Number", number.as_ref());
            if let Some(c) = issuing_country {
                r.push(row("Issuing country", c.name()));
            }
        }
        ObjectDetails::Property {
            category,
            serial_number,
        } => {
            r.push(row("Kind", "Property"));
            r.push(row("What it is", category.as_str()));
            opt(&mut r, "Serial number", serial_number.as_ref());
        }
        ObjectDetails::Drugs {
            drug_type,
            quantity,
        } => {
            r.push(row("Kind", "Drugs"));
            r.push(row("Type", drug_type.as_str()));
            opt(&mut r, "Quantity", quantity.as_ref());
        }
    }
    if let Some(d) = &o.description {
        r.push(row("Description", d.as_str()));
    }
    r
}

fn location_rows(l: &Location) -> Vec<Row> {
    let mut r = Vec::new();
    if !l.address_lines.is_empty() {
        r.push(row(
            "Address",
            l.address_lines
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    opt(&mut r, "Town or city", l.town.as_ref());
    if let Some(p) = &l.postcode {
        r.push(row("Postcode", p.as_str()));
    }
    r.push(row("Type", l.location_type.label()));
    if let Some(c) = &l.coordinates {
        r.push(row(
            "Coordinates (WGS84)",
            format!("{:.6}, {:.6}", c.lat(), c.lon()),
        ));
    }
    if let Some(u) = &l.uprn {
        r.push(row("UPRN", u.as_str()));
    }
    if let Some(d) = &l.description {
        r.push(row("Description", d.as_str()));
    }
    r
}

fn event_rows(e: &Event) -> Vec<Row> {
    let mut r = vec![
        row("Type", e.event_type.label()),
        row("Title", e.title.as_str()),
        row("Started", format_instant(e.starts_at)),
    ];
    if let Some(end) = e.ends_at {
        r.push(row("Ended", format_instant(end)));
    }
    if let Some(loc) = e.location_id {
        r.push(Row {
            key: "Location".into(),
            value: "View the location".into(),
            href: Some(format!("/locations/{loc}")),
        });
    }
    if let Some(n) = &e.narrative {
        r.push(row("What happened", n.as_str()));
    }
    r
}

fn link_rows(l: &Link) -> Vec<Row> {
    let mut r = vec![
        row("Role", l.role.label()),
        Row {
            key: "From".into(),
            value: "View the record".into(),
            href: Some(format!("/records/{}", l.from)),
        },
        Row {
            key: "To".into(),
            value: "View the record".into(),
            href: Some(format!("/records/{}", l.to)),
        },
    ];
    if let Some(d) = l.valid_from {
        r.push(row("Valid from", format_date(d)));
    }
    if let Some(d) = l.valid_to {
        r.push(row("Valid to", format_date(d)));
    }
    if let Some(a) = l.asserted_by {
        r.push(Row {
            key: "Recorded from".into(),
            value: "View the record".into(),
            href: Some(format!("/records/{a}")),
        });
    }
    if let Some(n) = &l.notes {
        r.push(row("Notes", n.as_str()));
    }
    r
}

fn raw_rows(body: &Value) -> Vec<Row> {
    let mut out = Vec::new();
    if let Value::Object(map) = body {
        for (k, v) in map {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            out.push(row(&k.replace('_', " "), text));
        }
    }
    out
}
