//! Structured values inside attributes: Logfire (and others) store dicts, lists and Pydantic
//! models as JSON strings, and describe them in `logfire.json_schema`. This reads such strings
//! into a tree that keeps the keys in their written order, with the model titles the schema gives.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value with object keys in written order and numbers as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// "object", "array", "string", "number", "boolean" or "null".
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::Str(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// Children of an object or array, with their keys (array items as "0", "1", …).
    pub fn children(&self) -> Vec<(String, &Json)> {
        match self {
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
            Json::Object(fields) => fields.iter().map(|(k, v)| (k.clone(), v)).collect(),
            _ => Vec::new(),
        }
    }

    /// Compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::Str(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
            Json::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// A one-line preview: scalars as they are, containers as `{3 keys}` / `[2 items]`.
    pub fn preview(&self) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => b.to_string(),
            Json::Number(n) => n.clone(),
            Json::Str(s) => serde_json::Value::String(s.clone()).to_string(),
            Json::Array(items) => match items.len() {
                1 => "[1 item]".into(),
                n => format!("[{n} items]"),
            },
            Json::Object(fields) => match fields.len() {
                1 => "{1 key}".into(),
                n => format!("{{{n} keys}}"),
            },
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.to_string()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.to_string()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
        Ok(Json::Number(
            serde_json::Number::from_f64(n).map_or_else(|| n.to_string(), |n| n.to_string()),
        ))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::Str(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut fields = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            fields.push((k, v));
        }
        Ok(Json::Object(fields))
    }
}

/// The JSON object or array a string holds, if it is one (scalars stay strings).
pub fn parse_structured(text: &str) -> Option<Json> {
    if !looks_structured(text) {
        return None;
    }
    serde_json::from_str::<Json>(text).ok()
}

/// Whether `text` may hold a JSON object or array (it starts like one), before reading it.
pub fn looks_structured(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with('{') || t.starts_with('[')
}

/// An attribute value as a tree, when it has structure: a string holding a JSON object or array,
/// or an OTLP array or key-value list.
pub fn from_attribute(
    session: &crate::model::Session,
    value: &crate::model::Value,
) -> Option<Json> {
    match value {
        crate::model::Value::Str(s) => parse_structured(session.strings.get(*s)),
        crate::model::Value::Array(_) | crate::model::Value::KvList(_) => {
            Some(convert(session, value))
        }
        _ => None,
    }
}

fn convert(session: &crate::model::Session, value: &crate::model::Value) -> Json {
    use crate::model::Value as V;
    match value {
        V::Empty => Json::Null,
        V::Str(s) => Json::Str(session.strings.get(*s).to_string()),
        V::Bool(b) => Json::Bool(*b),
        V::Int(n) => Json::Number(n.to_string()),
        V::Double(x) => Json::Number(x.to_string()),
        V::Bytes(b) => Json::Str(b.iter().map(|x| format!("{x:02x}")).collect()),
        V::Array(items) => Json::Array(items.iter().map(|i| convert(session, i)).collect()),
        V::KvList(kvs) => Json::Object(
            kvs.iter()
                .map(|kv| {
                    (
                        session.strings.get(kv.key).to_string(),
                        convert(session, &kv.value),
                    )
                })
                .collect(),
        ),
    }
}

/// A JSON schema (as `logfire.json_schema` holds), kept as generic JSON.
pub type Schema = serde_json::Value;

/// A step down a value: an object key or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// The part of a JSON schema describing what `step` leads to from the value `schema` describes.
pub fn schema_child<'a>(
    schema: &'a serde_json::Value,
    step: &Step,
) -> Option<&'a serde_json::Value> {
    match step {
        Step::Key(k) => schema
            .get("properties")
            .and_then(|p| p.get(k))
            .or_else(|| schema.get("additionalProperties").filter(|v| v.is_object())),
        Step::Index(i) => schema
            .get("prefixItems")
            .and_then(|p| p.get(*i))
            .or_else(|| schema.get("items")),
    }
}

/// The title a schema gives a value (a Pydantic model's class name), or the Python type Logfire
/// noted (`x-python-datatype`) for types without a title.
pub fn schema_title(schema: &serde_json::Value) -> Option<String> {
    schema
        .get("title")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            schema
                .get("x-python-datatype")
                .and_then(serde_json::Value::as_str)
                .filter(|t| !matches!(*t, "PydanticModel" | "dataclass"))
                .map(str::to_string)
        })
}

/// The schema of attribute `key` in a span's `logfire.json_schema` text.
pub fn attribute_schema(json_schema: &str, key: &str) -> Option<serde_json::Value> {
    let schema: serde_json::Value = serde_json::from_str(json_schema).ok()?;
    schema_child(&schema, &Step::Key(key.to_string())).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_order_and_numbers_their_text() {
        let j =
            parse_structured(r#"{"zeta":1,"alpha":[true,null,1.50,"x"],"n":12345678901234567890}"#)
                .expect("json");
        let keys: Vec<String> = j.children().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["zeta", "alpha", "n"]);
        assert_eq!(
            j.to_json(),
            r#"{"zeta":1,"alpha":[true,null,1.5,"x"],"n":12345678901234567890}"#
        );
        assert_eq!(j.preview(), "{3 keys}");
    }

    #[test]
    fn only_objects_and_arrays_are_structured() {
        assert!(parse_structured("42").is_none());
        assert!(parse_structured("\"text\"").is_none());
        assert!(parse_structured("{not json").is_none());
        assert!(parse_structured("plain words").is_none());
        assert_eq!(parse_structured(" []"), Some(Json::Array(Vec::new())));
    }

    #[test]
    fn schema_titles_follow_keys_and_items() {
        let schema = r#"{"type":"object","properties":{"fastapi.arguments.values":{"type":"object","properties":{"order":{"type":"object","title":"OrderRequest","x-python-datatype":"PydanticModel","properties":{"lines":{"type":"array","items":{"type":"object","title":"OrderLine"}}}}}}}}"#;
        let values = attribute_schema(schema, "fastapi.arguments.values").expect("schema");
        let order = schema_child(&values, &Step::Key("order".into())).expect("order");
        assert_eq!(schema_title(order).as_deref(), Some("OrderRequest"));
        let lines = schema_child(order, &Step::Key("lines".into())).expect("lines");
        let line = schema_child(lines, &Step::Index(3)).expect("item");
        assert_eq!(schema_title(line).as_deref(), Some("OrderLine"));
        assert_eq!(schema_title(lines), None);
        assert!(attribute_schema(schema, "missing").is_none());
        assert!(attribute_schema("not json", "x").is_none());
    }
}
