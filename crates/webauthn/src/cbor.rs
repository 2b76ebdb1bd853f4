//! The little CBOR (RFC 8949) that WebAuthn needs: definite-length integers, byte and text
//! strings, arrays, maps and the simple values. Authenticators send canonical CBOR; anything
//! else (indefinite lengths, tags, floats) is refused rather than guessed at.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cbor {
    Int(i128),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Cbor>),
    Map(Vec<(Cbor, Cbor)>),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CborError(pub String);

impl fmt::Display for CborError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed CBOR: {}", self.0)
    }
}

impl Cbor {
    /// The value at integer key `k` of a map.
    pub fn get_int(&self, k: i128) -> Option<&Cbor> {
        match self {
            Cbor::Map(m) => m
                .iter()
                .find(|(key, _)| *key == Cbor::Int(k))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at text key `k` of a map.
    pub fn get_text(&self, k: &str) -> Option<&Cbor> {
        match self {
            Cbor::Map(m) => m
                .iter()
                .find(|(key, _)| matches!(key, Cbor::Text(t) if t == k))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Cbor::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i128> {
        match self {
            Cbor::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Cbor::Text(t) => Some(t),
            _ => None,
        }
    }
}

const MAX_DEPTH: usize = 16;
const MAX_ITEMS: u64 = 10_000;

/// Decodes one item from the start of `input`; returns it and how many bytes it took.
pub fn decode(input: &[u8]) -> Result<(Cbor, usize), CborError> {
    let mut pos = 0;
    let v = item(input, &mut pos, 0)?;
    Ok((v, pos))
}

fn take<'a>(input: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], CborError> {
    let end = pos
        .checked_add(n)
        .filter(|e| *e <= input.len())
        .ok_or_else(|| CborError("it ends early".into()))?;
    let s = &input[*pos..end];
    *pos = end;
    Ok(s)
}

fn argument(input: &[u8], pos: &mut usize, info: u8) -> Result<u64, CborError> {
    Ok(match info {
        0..=23 => u64::from(info),
        24 => u64::from(take(input, pos, 1)?[0]),
        25 => {
            let b = take(input, pos, 2)?;
            u64::from(u16::from_be_bytes([b[0], b[1]]))
        }
        26 => {
            let b = take(input, pos, 4)?;
            u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        }
        27 => {
            let b = take(input, pos, 8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_be_bytes(a)
        }
        _ => return Err(CborError("indefinite or reserved length".into())),
    })
}

fn item(input: &[u8], pos: &mut usize, depth: usize) -> Result<Cbor, CborError> {
    if depth > MAX_DEPTH {
        return Err(CborError("nested too deeply".into()));
    }
    let head = take(input, pos, 1)?[0];
    let (major, info) = (head >> 5, head & 0x1f);
    if major == 7 {
        return match info {
            20 => Ok(Cbor::Bool(false)),
            21 => Ok(Cbor::Bool(true)),
            22 => Ok(Cbor::Null),
            _ => Err(CborError(format!("unsupported simple value {info}"))),
        };
    }
    let arg = argument(input, pos, info)?;
    let len = |a: u64| usize::try_from(a).map_err(|_| CborError("length too large".into()));
    match major {
        0 => Ok(Cbor::Int(i128::from(arg))),
        1 => Ok(Cbor::Int(-1 - i128::from(arg))),
        2 => Ok(Cbor::Bytes(take(input, pos, len(arg)?)?.to_vec())),
        3 => String::from_utf8(take(input, pos, len(arg)?)?.to_vec())
            .map(Cbor::Text)
            .map_err(|_| CborError("text is not UTF-8".into())),
        4 => {
            if arg > MAX_ITEMS {
                return Err(CborError("too many items".into()));
            }
            let mut v = Vec::new();
            for _ in 0..arg {
                v.push(item(input, pos, depth + 1)?);
            }
            Ok(Cbor::Array(v))
        }
        5 => {
            if arg > MAX_ITEMS {
                return Err(CborError("too many items".into()));
            }
            let mut m = Vec::new();
            for _ in 0..arg {
                let k = item(input, pos, depth + 1)?;
                let v = item(input, pos, depth + 1)?;
                m.push((k, v));
            }
            Ok(Cbor::Map(m))
        }
        _ => Err(CborError(format!("unsupported major type {major}"))),
    }
}

/// Encodes a value (used to store COSE keys as the authenticator sent them, and in tests).
pub fn encode(v: &Cbor, out: &mut Vec<u8>) {
    fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
        let m = major << 5;
        if arg < 24 {
            out.push(m | arg as u8);
        } else if arg <= u64::from(u8::MAX) {
            out.push(m | 24);
            out.push(arg as u8);
        } else if arg <= u64::from(u16::MAX) {
            out.push(m | 25);
            out.extend_from_slice(&(arg as u16).to_be_bytes());
        } else if arg <= u64::from(u32::MAX) {
            out.push(m | 26);
            out.extend_from_slice(&(arg as u32).to_be_bytes());
        } else {
            out.push(m | 27);
            out.extend_from_slice(&arg.to_be_bytes());
        }
    }
    match v {
        Cbor::Int(i) if *i >= 0 => head(out, 0, u64::try_from(*i).unwrap_or(u64::MAX)),
        Cbor::Int(i) => head(out, 1, u64::try_from(-1 - *i).unwrap_or(u64::MAX)),
        Cbor::Bytes(b) => {
            head(out, 2, b.len() as u64);
            out.extend_from_slice(b);
        }
        Cbor::Text(t) => {
            head(out, 3, t.len() as u64);
            out.extend_from_slice(t.as_bytes());
        }
        Cbor::Array(a) => {
            head(out, 4, a.len() as u64);
            for x in a {
                encode(x, out);
            }
        }
        Cbor::Map(m) => {
            head(out, 5, m.len() as u64);
            for (k, x) in m {
                encode(k, out);
                encode(x, out);
            }
        }
        Cbor::Bool(false) => out.push(0xf4),
        Cbor::Bool(true) => out.push(0xf5),
        Cbor::Null => out.push(0xf6),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rfc_8949_appendix_a_examples_decode() {
        let cases: [(&[u8], Cbor); 7] = [
            (&[0x00], Cbor::Int(0)),
            (&[0x18, 0x64], Cbor::Int(100)),
            (&[0x38, 0x63], Cbor::Int(-100)),
            (&[0x20], Cbor::Int(-1)),
            (&[0x44, 1, 2, 3, 4], Cbor::Bytes(vec![1, 2, 3, 4])),
            (&[0x62, 0x22, 0x5c], Cbor::Text("\"\\".into())),
            (
                &[0xa2, 0x01, 0x02, 0x03, 0x04],
                Cbor::Map(vec![
                    (Cbor::Int(1), Cbor::Int(2)),
                    (Cbor::Int(3), Cbor::Int(4)),
                ]),
            ),
        ];
        for (bytes, want) in cases {
            let (got, used) = decode(bytes).unwrap();
            assert_eq!(got, want);
            assert_eq!(used, bytes.len());
            let mut again = Vec::new();
            encode(&got, &mut again);
            assert_eq!(again, bytes);
        }
    }

    #[test]
    fn truncated_indefinite_and_deep_input_is_refused() {
        assert!(decode(&[0x44, 1, 2]).is_err());
        assert!(decode(&[0x5f]).is_err());
        assert!(decode(&[0x81; 40]).is_err());
        assert!(decode(&[0xc1, 0x00]).is_err(), "tags are not accepted");
    }
}
