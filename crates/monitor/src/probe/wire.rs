//! Typed, lenient views of provider JSON. A model list can run to megabytes; parsing it into a
//! `serde_json::Value` would build a tree several times the body's size only to read one field per
//! model. These types keep just the fields a probe reads: serde skips everything else without
//! allocating it. A field of an unexpected type reads as absent (as `Value::as_str` did), so a
//! server that is odd in one place still gets its other fields read.

use super::classify::Failure;
use super::http::Reply;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;

/// Parses a reply's body as `T`, failing like `Reply::json` does.
pub(crate) fn parse<T: DeserializeOwned + Default>(reply: &Reply) -> Result<T, Failure> {
    parse_bytes(&reply.body).map_err(|message| Failure {
        http_status: Some(reply.status),
        ..Failure::bad_response(message)
    })
}

/// A JSON document read as the object `T`; any other JSON (an array, a string) reads as an
/// object with none of `T`'s fields, as `Value::get` saw it.
pub(crate) fn parse_bytes<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, String> {
    parse_any::<Obj<T>>(body).map(|o| o.0.unwrap_or_default())
}

/// A JSON document read as `T`, whatever it is.
pub(crate) fn parse_any<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("response is not JSON ({e})"))
}

/// Whether a JSON document is a bare array (some OpenAI-compatible servers list models so).
pub(crate) fn is_array(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

/// Consumes whatever a visitor was handed that it does not want.
fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the visitor methods for the JSON types a lenient value does not want: each reads
/// as `$none`, and containers are consumed without being kept.
macro_rules! refuse {
    ($none:expr; $($method:ident($ty:ty)),*) => {
        $(fn $method<E: de::Error>(self, _: $ty) -> Result<Self::Value, E> { Ok($none) })*
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> { Ok($none) }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> { Ok($none) }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    };
}

/// A string, or absent when the field holds anything else.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Text(pub Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text(Some(s.to_string())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Text, E> {
                Ok(Text(Some(s)))
            }
            refuse!(Text(None); visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64));
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text, A::Error> {
                skip_seq(seq).map(|()| Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text, A::Error> {
                skip_map(map).map(|()| Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A non-negative integer, or absent when the field holds anything else.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Num(pub Option<u64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Num, E> {
                Ok(Num(Some(n)))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Num, E> {
                Ok(Num(u64::try_from(n).ok()))
            }
            refuse!(Num(None); visit_bool(bool), visit_f64(f64), visit_str(&str));
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Num, A::Error> {
                skip_seq(seq).map(|()| Num(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Num, A::Error> {
                skip_map(map).map(|()| Num(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A boolean, or absent when the field holds anything else.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Flag(pub Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Flag, E> {
                Ok(Flag(Some(b)))
            }
            refuse!(Flag(None); visit_i64(i64), visit_u64(u64), visit_f64(f64), visit_str(&str));
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Flag, A::Error> {
                skip_seq(seq).map(|()| Flag(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Flag, A::Error> {
                skip_map(map).map(|()| Flag(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Whether a field holds a non-empty string (anything else reads as `false`), without keeping
/// the string: a streamed token's text is only ever tested for being there.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Filled(pub bool);

impl<'de> Deserialize<'de> for Filled {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Filled;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Filled, E> {
                Ok(Filled(!s.is_empty()))
            }
            refuse!(Filled(false); visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64));
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Filled, A::Error> {
                skip_seq(seq).map(|()| Filled(false))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Filled, A::Error> {
                skip_map(map).map(|()| Filled(false))
            }
        }
        d.deserialize_any(V)
    }
}

/// The first element of an array read as `T` (the rest skipped), or absent when the value is
/// not an array or the array is empty: what `Value::pointer("/list/0")` saw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct First<T>(pub Option<T>);

impl<T> Default for First<T> {
    fn default() -> Self {
        First(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for First<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = First<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First<T>, A::Error> {
                let first = seq.next_element::<T>()?;
                skip_seq(seq).map(|()| First(first))
            }
            refuse!(First(None); visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64), visit_str(&str));
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<First<T>, A::Error> {
                skip_map(map).map(|()| First(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// Whether a field is there at all, whatever it holds (`null` included: `"error": null` is
/// still an error field, as `Value::get` saw it).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Present(pub bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Present(true))
    }
}

/// An object read as `T`, or absent when the value is not an object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
            }
            refuse!(Obj(None); visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64), visit_str(&str));
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Obj<T>, A::Error> {
                skip_seq(seq).map(|()| Obj(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// An array of objects read as `T` (other elements skipped), or absent when the value is not
/// an array.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Objects<T>(pub Option<Vec<T>>);

impl<T> Default for Objects<T> {
    fn default() -> Self {
        Objects(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Objects<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Objects<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Objects<T>, A::Error> {
                // Not `size_hint`: a server must not choose how much is reserved.
                let mut items = Vec::new();
                while let Some(Obj(item)) = seq.next_element::<Obj<T>>()? {
                    items.extend(item);
                }
                Ok(Objects(Some(items)))
            }
            refuse!(Objects(None); visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64), visit_str(&str));
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Objects<T>, A::Error> {
                skip_map(map).map(|()| Objects(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<T> Objects<T> {
    /// The objects, or none when the value was not an array.
    pub fn items(self) -> Option<Vec<T>> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct Probe {
        a: Text,
        n: Num,
        f: Flag,
        e: Present,
        list: Objects<Item>,
    }

    #[derive(Deserialize, Default, Debug, PartialEq)]
    #[serde(default)]
    struct Item {
        id: Text,
    }

    fn probe(json: &str) -> Probe {
        parse_bytes(json.as_bytes()).unwrap()
    }

    #[test]
    fn wrong_types_read_as_absent_and_others_are_skipped() {
        let p =
            probe(r#"{"a": 1, "n": "x", "f": [1], "list": {"id": "m"}, "other": {"deep": [1,2]}}"#);
        assert_eq!(
            (p.a.0, p.n.0, p.f.0, p.e.0, p.list.0),
            (None, None, None, false, None)
        );
        let p = probe(
            r#"{"a": "s", "n": 7, "f": true, "e": null, "list": [{"id": "m"}, 3, "x", {"id": 4}, {}]}"#,
        );
        assert_eq!(p.a.0.as_deref(), Some("s"));
        assert_eq!((p.n.0, p.f.0, p.e.0), (Some(7), Some(true), true));
        let ids: Vec<_> = p.list.0.unwrap().into_iter().map(|i| i.id.0).collect();
        assert_eq!(ids, [Some("m".to_string()), None, None]);
        assert_eq!(probe(r#"{"n": -1}"#).n.0, None);
    }

    #[test]
    fn not_json_fails_and_deep_nesting_is_answered_not_overflowed() {
        assert!(parse_bytes::<Probe>(b"<html>").is_err());
        // Nesting is skipped iteratively by serde_json, or refused by its recursion limit: an
        // answer either way, never a stack overflow.
        for open in ["[", "{\"a\":", "{\"list\":"] {
            let n = 100_000;
            let close = if open == "[" { "]" } else { "}" };
            for field in ["other", "list", "a"] {
                let deep = format!("{{\"{field}\": {}1{}}}", open.repeat(n), close.repeat(n));
                let _ = parse_bytes::<Probe>(deep.as_bytes());
                let cut = format!("{{\"{field}\": {}1", open.repeat(n));
                assert!(parse_bytes::<Probe>(cut.as_bytes()).is_err());
            }
        }
        assert_eq!(parse_bytes::<Probe>(b"[1, 2]").map(|p| p.a.0), Ok(None));
        assert!(is_array(b" \n[{}]") && !is_array(b"{}"));
    }
}

#[cfg(test)]
mod props;
