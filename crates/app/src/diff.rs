//! Field-by-field differences between two versions of a record, for the history view.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// Dotted path: `family_name`, `identifiers.0.value`, `details.colour`.
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The fields that differ between `before` and `after`, in field order.
pub fn diff(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk("", Some(before), Some(after), &mut out);
    out
}

fn show(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn walk(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(&join(path, k), x.get(k), y.get(k), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            for i in 0..x.len().max(y.len()) {
                walk(&join(path, &i.to_string()), x.get(i), y.get(i), out);
            }
        }
        (Some(Value::Object(x)), None) => {
            for (k, v) in x {
                walk(&join(path, k), Some(v), None, out);
            }
        }
        (None, Some(Value::Object(y))) => {
            for (k, v) in y {
                walk(&join(path, k), None, Some(v), out);
            }
        }
        (a, b) => {
            let before = a.and_then(show);
            let after = b.and_then(show);
            if before != after {
                out.push(FieldChange {
                    field: path.to_string(),
                    before,
                    after,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_names_each_changed_field_with_before_and_after() {
        let a = json!({"family_name": "Smith", "given_names": "John", "identifiers": [], "description": {"hair": "brown"}});
        let b = json!({"family_name": "Smyth", "given_names": "John", "identifiers": [{"type": "NI", "value": "QQ123456C"}], "description": {"hair": null}});
        let d = diff(&a, &b);
        let fields: Vec<_> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "description.hair",
                "family_name",
                "identifiers.0.type",
                "identifiers.0.value"
            ]
        );
        assert_eq!(d[1].before.as_deref(), Some("Smith"));
        assert_eq!(d[1].after.as_deref(), Some("Smyth"));
        assert_eq!(d[0].after, None);
    }

    #[test]
    fn identical_versions_have_no_differences() {
        let a = json!({"a": [1, 2, {"b": "c"}]});
        assert!(diff(&a, &a).is_empty());
    }
}
