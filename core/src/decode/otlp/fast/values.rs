//! The OTLP value shapes the fast path reads at every level: attribute lists, key-values and
//! AnyValues (with their int64 and double encodings).

use super::scanner::{Scanner, Seen};
use super::{Bail, MAX_DEPTH, R};
use crate::decode::ingest::decode_base64;
use crate::decode::otlp::Reader;
use crate::model::intern::Sym;
use crate::model::{KeyValue, Value};

impl Scanner<'_> {
    /// A list of KeyValues.
    pub(super) fn attributes(
        &mut self,
        reader: &mut Reader<'_, '_>,
        depth: u32,
    ) -> R<Vec<KeyValue>> {
        if depth > MAX_DEPTH {
            return Err(Bail);
        }
        let level = depth as usize;
        while self.buffers.values.len() <= level {
            self.buffers.values.push(Vec::new());
        }
        let mut list = std::mem::take(&mut self.buffers.values[level]);
        list.clear();
        let read = self.array(|sc, _| {
            let kv = sc.key_value(reader, depth)?;
            list.push(kv);
            Ok(())
        });
        // Drained, not taken: the list keeps its capacity for the next span, and the span's own
        // vector is allocated once at its exact size.
        #[allow(clippy::drain_collect)]
        let out = read.map(|()| list.drain(..).collect());
        self.buffers.values[level] = list;
        out
    }

    pub(super) fn key_value(&mut self, reader: &mut Reader<'_, '_>, depth: u32) -> R<KeyValue> {
        let (mut key, mut value) = (Sym::EMPTY, Value::Empty);
        let mut seen = Seen(0);
        self.object(|sc, k| {
            match k {
                "key" => {
                    seen.first(0)?;
                    key = sc.text_field(reader)?;
                }
                "value" => {
                    seen.first(1)?;
                    value = sc.any_value(reader, depth)?;
                }
                _ => sc.skip(depth + 1)?,
            }
            Ok(())
        })?;
        Ok(KeyValue { key, value })
    }

    /// An AnyValue object with one field (or none), or `null`.
    pub(super) fn any_value(&mut self, reader: &mut Reader<'_, '_>, depth: u32) -> R<Value> {
        if depth > MAX_DEPTH {
            return Err(Bail);
        }
        if self.null()? {
            return Ok(Value::Empty);
        }
        let mut value = None;
        self.object(|sc, k| {
            if value.is_some() {
                return Err(Bail);
            }
            value = Some(match k {
                "stringValue" | "string_value" => {
                    if sc.null()? {
                        Value::Empty
                    } else {
                        Value::Str(sc.string_sym(reader)?)
                    }
                }
                "intValue" | "int_value" => Value::Int(sc.int_value()?),
                "boolValue" | "bool_value" => match sc.peek()? {
                    b't' => sc.literal(b"true").map(|()| Value::Bool(true))?,
                    b'f' => sc.literal(b"false").map(|()| Value::Bool(false))?,
                    _ => return Err(Bail),
                },
                "doubleValue" | "double_value" => Value::Double(sc.double_value()?),
                "bytesValue" | "bytes_value" => {
                    Value::Bytes(decode_base64(&sc.string()?).ok_or(Bail)?)
                }
                "arrayValue" | "array_value" => {
                    let mut items = Vec::new();
                    sc.values_object(depth, |sc| {
                        sc.array(|sc, _| {
                            items.push(sc.any_value(reader, depth + 1)?);
                            Ok(())
                        })
                    })?;
                    Value::Array(items)
                }
                "kvlistValue" | "kvlist_value" => {
                    let mut kvs = Vec::new();
                    sc.values_object(depth, |sc| {
                        kvs = sc.attributes(reader, depth + 1)?;
                        Ok(())
                    })?;
                    Value::KvList(kvs)
                }
                _ => return Err(Bail),
            });
            Ok(())
        })?;
        Ok(value.unwrap_or(Value::Empty))
    }

    /// `{"values": [...]}` of an array or kvlist value; `values` read by `list`.
    pub(super) fn values_object(
        &mut self,
        depth: u32,
        mut list: impl FnMut(&mut Self) -> R<()>,
    ) -> R<()> {
        let mut seen = Seen(0);
        self.object(|sc, k| {
            if k == "values" {
                seen.first(0)?;
                list(sc)
            } else {
                sc.skip(depth + 1)
            }
        })
    }

    pub(super) fn int_value(&mut self) -> R<i64> {
        if self.peek()? == b'"' {
            let t = self.string()?;
            return t.trim().parse::<i64>().map_err(|_| Bail);
        }
        let (a, b, integer) = self.number()?;
        if !integer {
            return Err(Bail);
        }
        self.s[a..b].parse::<i64>().map_err(|_| Bail)
    }

    pub(super) fn double_value(&mut self) -> R<f64> {
        if self.peek()? == b'"' {
            let t = self.string()?;
            return match t.trim() {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                t => t.parse().map_err(|_| Bail),
            };
        }
        let (a, b, integer) = self.number()?;
        if integer && self.b[a..b].starts_with(b"-0") {
            // serde_json reads -0 as the float -0.0.
            return Err(Bail);
        }
        if integer {
            // As the typed reader: an integer that fits i64, converted.
            return self.s[a..b]
                .parse::<i64>()
                .map(|i| i as f64)
                .map_err(|_| Bail);
        }
        // serde_json's own float reading, so both paths give the very same bits.
        serde_json::from_str::<f64>(&self.s[a..b]).map_err(|_| Bail)
    }
}
