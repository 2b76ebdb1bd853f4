//! The canonical encoding of an audit record: the bytes its leaf hash is taken over.
//!
//! JSON with object keys sorted by their UTF-8 bytes, no insignificant whitespace, and
//! serde_json's escaping of strings and numbers (the JCS idea, RFC 8785, without its
//! floating-point rules: audit records hold no floats). The record is encoded from what the
//! store returns, so a database that reorders keys (PostgreSQL's JSONB) gives the same bytes
//! as one that keeps them (SQLite).

use bluelamp_domain::AuditEntry;
use serde_json::Value;

/// Writes `v` canonically.
pub fn to_canonical(v: &Value, out: &mut String) {
    let mut bytes = Vec::with_capacity(256);
    write_canonical(v, &mut bytes);
    // serde_json writes UTF-8 only, so nothing is replaced here.
    out.push_str(&String::from_utf8_lossy(&bytes));
}

/// Writes `v` canonically as bytes, with no copy of its keys or strings on the way (a bulk
/// load hashes every record it writes this way).
pub fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    write_canonical_with(v, out, &|n, out| write_scalar(n, out));
}

/// [`write_canonical`] with numbers written by `number` (a record's content hash writes
/// floats so that reading them back cannot change the bytes).
pub fn write_canonical_with(
    v: &Value,
    out: &mut Vec<u8>,
    number: &dyn Fn(&serde_json::Number, &mut Vec<u8>),
) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, x)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(k, out);
                out.push(b':');
                write_canonical_with(x, out, number);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical_with(x, out, number);
            }
            out.push(b']');
        }
        Value::Number(n) => number(n, out),
        other => write_scalar(other, out),
    }
}

/// A string, number, boolean or null as serde_json writes it. Writing to a `Vec` cannot
/// fail, nor can serialising a string or a `Value` (it holds no non-finite numbers).
pub fn write_scalar<T: serde::Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(out, v);
}

/// The bytes of audit record number `seq`: its position in the log is part of what is
/// hashed, so moving a record is as visible as changing it.
pub fn record_bytes(seq: i64, entry: &AuditEntry) -> Vec<u8> {
    let mut v = serde_json::to_value(entry).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("seq".into(), Value::from(seq));
        // Instants to the microsecond, the precision both stores keep.
        map.insert(
            "at".into(),
            Value::String(bluelamp_domain::time::to_rfc3339_micros(entry.at)),
        );
    }
    let mut out = Vec::with_capacity(512);
    write_canonical(&v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The encoding before it wrote bytes directly: the audit trail's leaf hashes were taken
    /// over its output, so the current one must give exactly the same bytes.
    fn earlier_encoding(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    if let Some(x) = map.get(k) {
                        earlier_encoding(x, out);
                    }
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    earlier_encoding(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::from),
            "[\\x00-\\x1f\"\\\\a-zé\u{7f}\u{2028}]{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec(("[a-zA-Z_\\x00-\\x1f\"é]{0,6}", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn bytes_are_those_of_the_earlier_encoding(v in any_json()) {
            let (mut now, mut before) = (String::new(), String::new());
            to_canonical(&v, &mut now);
            earlier_encoding(&v, &mut before);
            proptest::prop_assert_eq!(now, before);
        }
    }

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": "é\n"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":"é\n","y":[1,2]},"b":1}"#).unwrap();
        let (mut sa, mut sb) = (String::new(), String::new());
        to_canonical(&a, &mut sa);
        to_canonical(&b, &mut sb);
        assert_eq!(sa, sb);
        assert_eq!(sa, r#"{"a":{"x":"é\n","y":[1,2]},"b":1}"#);
    }

    #[test]
    fn the_position_and_every_field_change_the_bytes() {
        let at: jiff::Timestamp = "2026-11-22T10:00:00.123456Z".parse().unwrap();
        let e = AuditEntry::new(
            at,
            bluelamp_domain::Actor {
                user_id: "pc1".into(),
                display_name: "PC 1".into(),
            },
            bluelamp_domain::AuditAction::View,
            "bluelamp-web",
            Default::default(),
        )
        .with_details(json!({"b": 2, "a": 1}));
        let base = record_bytes(7, &e);
        assert_ne!(base, record_bytes(8, &e));
        let mut other = e.clone();
        other.actor.user_id = "pc2".into();
        assert_ne!(base, record_bytes(7, &other));
        let text = String::from_utf8(base).unwrap();
        assert!(
            text.contains(r#""at":"2026-11-22T10:00:00.123456Z""#),
            "{text}"
        );
        assert!(text.contains(r#""details":{"a":1,"b":2}"#), "{text}");
    }
}
