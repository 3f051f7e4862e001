//! Conversions between `aws_smithy_types::Document` (what the Converse API uses for
//! tool input and schemas) and `serde_json::Value` (what serde works with).
//!
//! Numbers stay exact: non-negative integers are `PosInt`, negative ones `NegInt`,
//! everything else `Float`, and back.

use std::collections::HashMap;

use aws_smithy_types::{Document, Number};
use serde_json::Value;

/// A JSON value as a `Document`.
pub fn from_json(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(number_from_json(n)),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(from_json).collect()),
        Value::Object(map) => Document::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), from_json(value)))
                .collect::<HashMap<_, _>>(),
        ),
    }
}

fn number_from_json(n: &serde_json::Number) -> Number {
    if let Some(u) = n.as_u64() {
        Number::PosInt(u)
    } else if let Some(i) = n.as_i64() {
        Number::NegInt(i)
    } else {
        // serde_json without arbitrary_precision always has an f64 here.
        Number::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// A `Document` as a JSON value. A non-finite float (which JSON cannot hold)
/// becomes `null`.
pub fn to_json(document: &Document) -> Value {
    match document {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Document::Object(map) => {
            Value::Object(map.iter().map(|(key, value)| (key.clone(), to_json(value))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_keep_their_kind() {
        assert_eq!(from_json(&json!(42)), Document::Number(Number::PosInt(42)));
        assert_eq!(from_json(&json!(-7)), Document::Number(Number::NegInt(-7)));
        assert_eq!(from_json(&json!(2.5)), Document::Number(Number::Float(2.5)));
        assert_eq!(from_json(&json!(u64::MAX)), Document::Number(Number::PosInt(u64::MAX)));
        assert_eq!(to_json(&Document::Number(Number::NegInt(i64::MIN))), json!(i64::MIN));
    }

    #[test]
    fn round_trip_of_a_nested_value() {
        let value = json!({
            "code": "print(1)",
            "flags": [true, false, null],
            "nested": {"n": -3, "x": 0.125, "big": 18_446_744_073_709_551_615_u64, "s": ""},
            "empty": {}
        });
        assert_eq!(to_json(&from_json(&value)), value);
    }

    #[test]
    fn non_finite_floats_become_null() {
        assert_eq!(to_json(&Document::Number(Number::Float(f64::INFINITY))), Value::Null);
    }

    #[test]
    fn document_objects_convert() {
        let doc = Document::Object(HashMap::from([(
            "code".to_owned(),
            Document::String("print(2)".into()),
        )]));
        assert_eq!(to_json(&doc), json!({"code": "print(2)"}));
    }
}
