//! Field types that accept every way real writers encode a value, so one odd field never fails a
//! document: int64 as a string, a number or protobuf.js's `{low, high}`; enums as numbers or
//! names; AnyValues with unknown or missing fields.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// An unsigned 64-bit number as any writer encodes it. `Invalid` keeps what could not be read.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum LenientU64 {
    #[default]
    Absent,
    Value(u64),
    Invalid(String),
}

impl LenientU64 {
    pub fn get(&self) -> Option<u64> {
        match self {
            LenientU64::Value(v) => Some(*v),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for LenientU64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(U64Visitor)
    }
}

struct U64Visitor;

impl<'de> Visitor<'de> for U64Visitor {
    type Value = LenientU64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an unsigned 64-bit integer")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientU64, E> {
        Ok(LenientU64::Value(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientU64, E> {
        Ok(u64::try_from(v).map_or_else(|_| LenientU64::Invalid(v.to_string()), LenientU64::Value))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientU64, E> {
        if v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 {
            // Written as a float by a JavaScript writer; exact up to 2^53, the best that exists.
            Ok(LenientU64::Value(v as u64))
        } else {
            Ok(LenientU64::Invalid(v.to_string()))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientU64, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(LenientU64::Absent);
        }
        Ok(t.parse::<u64>()
            .map_or_else(|_| LenientU64::Invalid(v.to_string()), LenientU64::Value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<LenientU64, E> {
        Ok(LenientU64::Absent)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<LenientU64, E> {
        Ok(LenientU64::Invalid(v.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LenientU64, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LenientU64::Invalid("an array".into()))
    }

    /// protobuf.js Long: `{"low": i32, "high": i32, "unsigned": bool}`.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LenientU64, A::Error> {
        let (mut low, mut high) = (None::<i64>, None::<i64>);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "low" => low = Some(map.next_value::<LenientI64>()?.0.unwrap_or(0)),
                "high" => high = Some(map.next_value::<LenientI64>()?.0.unwrap_or(0)),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match (low, high) {
            (Some(low), Some(high)) => {
                let v = ((high as u32 as u64) << 32) | (low as u32 as u64);
                Ok(LenientU64::Value(v))
            }
            _ => Ok(LenientU64::Invalid("an object without low/high".into())),
        }
    }
}

/// A signed 64-bit number from a number or a string; `None` when unreadable.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LenientI64(pub Option<i64>);

impl<'de> Deserialize<'de> for LenientI64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(LenientI64(match RawScalar::deserialize(d)? {
            RawScalar::Int(i) => Some(i),
            RawScalar::UInt(u) => i64::try_from(u).ok(),
            RawScalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
            RawScalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }))
    }
}

/// An enum written as a number or a name.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum LenientEnum {
    #[default]
    Absent,
    Number(i64),
    Name(String),
    Invalid,
}

impl<'de> Deserialize<'de> for LenientEnum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match RawScalar::deserialize(d)? {
            RawScalar::Int(i) => LenientEnum::Number(i),
            RawScalar::UInt(u) => {
                i64::try_from(u).map_or(LenientEnum::Invalid, LenientEnum::Number)
            }
            RawScalar::Str(s) => match s.trim().parse::<i64>() {
                Ok(n) => LenientEnum::Number(n),
                Err(_) => LenientEnum::Name(s),
            },
            RawScalar::Null => LenientEnum::Absent,
            _ => LenientEnum::Invalid,
        })
    }
}

/// A string field that borrows from the input when it can (no escapes), and tolerates other JSON
/// types (numbers and booleans kept as their text). The hot path of OTLP decoding.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LenientStr<'a>(pub Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for LenientStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(LenientStr(match Scalar::<'de>::deserialize(d)? {
            Scalar::Str(s) => Some(s),
            Scalar::Int(i) => Some(Cow::Owned(i.to_string())),
            Scalar::UInt(u) => Some(Cow::Owned(u.to_string())),
            Scalar::Float(f) => Some(Cow::Owned(f.to_string())),
            Scalar::Bool(b) => Some(Cow::Owned(b.to_string())),
            Scalar::Null | Scalar::Compound => None,
        }))
    }
}

/// Any JSON value reduced to what a scalar field can use, borrowing strings from the input.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Cow<'a, str>),
    /// An array or object where a scalar was expected (skipped).
    Compound,
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BorrowingScalarVisitor)
    }
}

struct BorrowingScalarVisitor;

impl<'de> Visitor<'de> for BorrowingScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(i64::try_from(v).map_or(Scalar::UInt(v), Scalar::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Compound)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Compound)
    }
}

/// Any JSON value, reduced to what a scalar field can use; the owned form of [`Scalar`].
#[derive(Clone, Debug, PartialEq)]
pub enum RawScalar {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    /// An array or object where a scalar was expected (skipped).
    Compound,
}

impl<'de> Deserialize<'de> for RawScalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Scalar::<'de>::deserialize(d)? {
            Scalar::Null => RawScalar::Null,
            Scalar::Bool(b) => RawScalar::Bool(b),
            Scalar::Int(i) => RawScalar::Int(i),
            Scalar::UInt(u) => RawScalar::UInt(u),
            Scalar::Float(f) => RawScalar::Float(f),
            Scalar::Str(s) => RawScalar::Str(s.into_owned()),
            Scalar::Compound => RawScalar::Compound,
        })
    }
}

/// An OTLP AnyValue as written, before interning. Unknown fields are kept to be reported.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum RawAnyValue<'a> {
    #[default]
    Empty,
    Str(Cow<'a, str>),
    Bool(bool),
    Int(i64),
    Double(f64),
    /// base64 text as written.
    Bytes(Cow<'a, str>),
    Array(Vec<RawAnyValue<'a>>),
    KvList(Vec<RawKeyValue<'a>>),
    /// A field no AnyValue has (e.g. `anyValue`), with its scalar value when it had one.
    Unknown {
        field: String,
        value: Option<Box<RawAnyValue<'a>>>,
    },
    /// A known field holding the wrong JSON type.
    Invalid {
        field: String,
    },
}

/// An OTLP KeyValue as written.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RawKeyValue<'a> {
    #[serde(borrow)]
    pub key: LenientStr<'a>,
    #[serde(borrow)]
    pub value: RawAnyValue<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawValues<T> {
    #[serde(
        deserialize_with = "null_default",
        bound(deserialize = "T: Deserialize<'de>")
    )]
    values: Vec<T>,
}

/// A field written as `null` reads as its default (an empty list, an empty object), as if it
/// were left out: Go's `encoding/json` writes a nil slice as `null`, and a span with
/// `"links": null` was skipped whole.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl<'de: 'a, 'a> Deserialize<'de> for RawAnyValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnyValueVisitor)
    }
}

struct AnyValueVisitor;

impl<'de> Visitor<'de> for AnyValueVisitor {
    type Value = RawAnyValue<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OTLP AnyValue object")
    }

    fn visit_unit<E: de::Error>(self) -> Result<RawAnyValue<'de>, E> {
        Ok(RawAnyValue::Empty)
    }

    // A bare scalar where an AnyValue object belongs: keep the value, reported as repaired.
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawAnyValue<'de>, E> {
        Ok(bare(RawAnyValue::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawAnyValue<'de>, E> {
        Ok(bare(RawAnyValue::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawAnyValue<'de>, E> {
        Ok(bare(
            i64::try_from(v).map_or(RawAnyValue::Double(v as f64), RawAnyValue::Int),
        ))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawAnyValue<'de>, E> {
        Ok(bare(RawAnyValue::Double(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawAnyValue<'de>, E> {
        Ok(bare(RawAnyValue::Str(Cow::Owned(v.to_string()))))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<RawAnyValue<'de>, E> {
        Ok(bare(RawAnyValue::Str(Cow::Borrowed(v))))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawAnyValue<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RawAnyValue::Invalid {
            field: "(an array)".into(),
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawAnyValue<'de>, A::Error> {
        let mut out = RawAnyValue::Empty;
        while let Some(LenientStr(key)) = map.next_key::<LenientStr<'de>>()? {
            let key = key.unwrap_or_default();
            let v = match &*key {
                "stringValue" | "string_value" => match map.next_value::<Scalar<'de>>()? {
                    Scalar::Str(s) => RawAnyValue::Str(s),
                    Scalar::Null => RawAnyValue::Empty,
                    _ => RawAnyValue::Invalid {
                        field: key.to_string(),
                    },
                },
                "boolValue" | "bool_value" => match map.next_value::<RawScalar>()? {
                    RawScalar::Bool(b) => RawAnyValue::Bool(b),
                    RawScalar::Str(s) if s.eq_ignore_ascii_case("true") => RawAnyValue::Bool(true),
                    RawScalar::Str(s) if s.eq_ignore_ascii_case("false") => {
                        RawAnyValue::Bool(false)
                    }
                    _ => RawAnyValue::Invalid {
                        field: key.to_string(),
                    },
                },
                "intValue" | "int_value" => match map.next_value::<LenientI64>()?.0 {
                    Some(i) => RawAnyValue::Int(i),
                    None => RawAnyValue::Invalid {
                        field: key.to_string(),
                    },
                },
                "doubleValue" | "double_value" => match map.next_value::<RawScalar>()? {
                    RawScalar::Float(f) => RawAnyValue::Double(f),
                    RawScalar::Int(i) => RawAnyValue::Double(i as f64),
                    RawScalar::Str(s) => match s.trim() {
                        "NaN" => RawAnyValue::Double(f64::NAN),
                        "Infinity" => RawAnyValue::Double(f64::INFINITY),
                        "-Infinity" => RawAnyValue::Double(f64::NEG_INFINITY),
                        t => t.parse().map_or(
                            RawAnyValue::Invalid {
                                field: key.to_string(),
                            },
                            RawAnyValue::Double,
                        ),
                    },
                    _ => RawAnyValue::Invalid {
                        field: key.to_string(),
                    },
                },
                "bytesValue" | "bytes_value" => match map.next_value::<Scalar<'de>>()? {
                    Scalar::Str(s) => RawAnyValue::Bytes(s),
                    _ => RawAnyValue::Invalid {
                        field: key.to_string(),
                    },
                },
                "arrayValue" | "array_value" => {
                    RawAnyValue::Array(map.next_value::<RawValues<RawAnyValue<'de>>>()?.values)
                }
                "kvlistValue" | "kvlist_value" => {
                    RawAnyValue::KvList(map.next_value::<RawValues<RawKeyValue<'de>>>()?.values)
                }
                _ => {
                    let value = match map.next_value::<Scalar<'de>>()? {
                        Scalar::Str(s) => Some(RawAnyValue::Str(s)),
                        Scalar::Bool(b) => Some(RawAnyValue::Bool(b)),
                        Scalar::Int(i) => Some(RawAnyValue::Int(i)),
                        Scalar::Float(f) => Some(RawAnyValue::Double(f)),
                        _ => None,
                    };
                    RawAnyValue::Unknown {
                        field: key.to_string(),
                        value: value.map(Box::new),
                    }
                }
            };
            // The first recognised field wins; a later duplicate does not erase it.
            if matches!(out, RawAnyValue::Empty) {
                out = v;
            }
        }
        Ok(out)
    }
}

/// A bare JSON scalar standing where an AnyValue object belongs.
fn bare(v: RawAnyValue<'_>) -> RawAnyValue<'_> {
    RawAnyValue::Unknown {
        field: "(bare value)".into(),
        value: Some(Box::new(v)),
    }
}
