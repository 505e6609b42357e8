//! Serialising objects for the update section. Own writer rather than lopdf's so the
//! exact bytes (and offsets) of the appended section are under our control.

use lopdf::{Dictionary, Object, StringFormat};
use std::io::Write;

pub(crate) fn write_object(out: &mut Vec<u8>, obj: &Object) {
    match obj {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Object::Real(r) => write_parsed_real(out, *r),
        Object::Name(n) => write_name(out, n),
        Object::String(s, StringFormat::Hexadecimal) => {
            out.push(b'<');
            for b in s {
                let _ = write!(out, "{b:02X}");
            }
            out.push(b'>');
        }
        Object::String(s, StringFormat::Literal) => write_literal(out, s),
        Object::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(out, item);
            }
            out.push(b']');
        }
        Object::Dictionary(d) => write_dict(out, d),
        Object::Stream(s) => {
            // /Length must describe the bytes we write, whatever the parsed dict said.
            let mut dict = s.dict.clone();
            dict.set("Length", Object::Integer(s.content.len() as i64));
            write_dict(out, &dict);
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(&s.content);
            out.extend_from_slice(b"\nendstream");
        }
        Object::Reference((n, g)) => {
            let _ = write!(out, "{n} {g} R");
        }
    }
}

fn write_dict(out: &mut Vec<u8>, d: &Dictionary) {
    out.extend_from_slice(b"<<");
    for (k, v) in d.iter() {
        write_name(out, k);
        out.push(b' ');
        write_object(out, v);
    }
    out.extend_from_slice(b">>");
}

/// A real read from the original, written so it parses back to the same
/// value (Rust prints the shortest round-trip form, never an exponent):
/// rounding would make a copied /MediaBox look changed to a verifier.
fn write_parsed_real(out: &mut Vec<u8>, r: f32) {
    if !r.is_finite() || r == 0.0 {
        out.push(b'0');
        return;
    }
    let _ = write!(out, "{r}");
}

pub(crate) fn write_real(out: &mut Vec<u8>, r: f64) {
    if !r.is_finite() {
        out.push(b'0');
        return;
    }
    // PDF reals have no exponent form; four decimals are well below a device pixel.
    let s = format!("{r:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    out.extend_from_slice(if s.is_empty() || s == "-" { "0" } else { s }.as_bytes());
}

fn write_name(out: &mut Vec<u8>, n: &[u8]) {
    out.push(b'/');
    for &b in n {
        let regular = (0x21..=0x7e).contains(&b) && !b"#()<>[]{}/%".contains(&b);
        if regular {
            out.push(b);
        } else {
            let _ = write!(out, "#{b:02X}");
        }
    }
}

fn write_literal(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'(');
    for &b in s {
        match b {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
    out.push(b')');
}

/// A PDF text string: ASCII stays literal, anything else becomes UTF-16BE with BOM.
pub(crate) fn text_string(s: &str) -> Object {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut v = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_be_bytes());
        }
        Object::String(v, StringFormat::Hexadecimal)
    }
}

pub(crate) fn name(s: &str) -> Object {
    Object::Name(s.as_bytes().to_vec())
}

pub(crate) fn real(r: f64) -> Object {
    Object::Real(r as f32)
}

/// Flate-compresses `data`; compression into a Vec cannot fail short of OOM, and
/// on any error we fall back to storing the data uncompressed.
pub(crate) fn deflate(data: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).ok()?;
    enc.finish().ok()
}

/// A stream object, compressed when that works.
pub(crate) fn stream(mut dict: Dictionary, data: Vec<u8>) -> Object {
    match deflate(&data) {
        Some(z) => {
            dict.set("Filter", name("FlateDecode"));
            Object::Stream(lopdf::Stream::new(dict, z))
        }
        None => Object::Stream(lopdf::Stream::new(dict, data)),
    }
}
