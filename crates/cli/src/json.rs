//! JSON output that carries no raw control character.
//!
//! serde_json escapes what JSON requires (C0 controls, `"` and `\`) and writes everything
//! else raw, so DEL, the C1 controls (U+009B is a one-character CSI on some terminals),
//! bidirectional overrides and zero-width characters from a tree would reach whoever
//! prints the JSON. This writer escapes every character that
//! [`troubletree::text::is_unprintable`] names as `\uXXXX`: the data is unchanged for a JSON
//! reader, and the bytes are safe for a terminal.
//!
//! This file depends on nothing else of the command line: the fuzz crate includes it
//! (`fuzz/src/lib.rs`) to check that no input escapes it.

use std::io;

use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

/// `value` as pretty JSON (two-space indent, as `serde_json::to_string_pretty`), every
/// unprintable character escaped.
pub(crate) fn to_string_pretty<T: ?Sized + serde::Serialize>(
    value: &T,
) -> serde_json::Result<String> {
    write(value, Escaping(PrettyFormatter::new()))
}

/// `value` as compact JSON (as `serde_json::to_string`), every unprintable character
/// escaped.
pub(crate) fn to_string<T: ?Sized + serde::Serialize>(value: &T) -> serde_json::Result<String> {
    write(value, Escaping(CompactFormatter))
}

fn write<T: ?Sized + serde::Serialize, F: Formatter>(
    value: &T,
    formatter: F,
) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(128);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut serializer)?;
    // The formatter writes only what serde_json gives it (valid UTF-8) and ASCII escapes.
    String::from_utf8(out).map_err(|e| serde_json::Error::io(io::Error::other(e)))
}

/// A serde_json formatter (pretty or compact), with string fragments escaped further.
struct Escaping<F>(F);

impl<F: Formatter> Formatter for Escaping<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if troubletree::text::is_unprintable(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unprintable_characters_are_escaped_and_come_back() {
        let text = "a\u{1b}]0;x\u{7}b\u{7f}c\u{9b}d\u{202e}e\u{200b}f\u{2028}g\u{e0041}h\n充";
        let json = to_string_pretty(&serde_json::json!({ "k\u{9b}": text })).unwrap();
        assert_eq!(
            json,
            "{\n  \"k\\u009b\": \"a\\u001b]0;x\\u0007b\\u007fc\\u009bd\\u202ee\\u200bf\\u2028g\\udb40\\udc41h\\n充\"\n}"
        );
        assert!(
            !json
                .chars()
                .any(|c| troubletree::text::is_unprintable(c) || c == '\t')
        );
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["k\u{9b}"], text);
    }

    #[test]
    fn the_layouts_are_serde_jsons() {
        let value = serde_json::json!({ "a": [1, { "b": null }], "c": [], "d": {}, "e": "x" });
        assert_eq!(
            to_string_pretty(&value).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
        assert_eq!(
            to_string(&value).unwrap(),
            serde_json::to_string(&value).unwrap()
        );
        assert_eq!(to_string("a\u{2028}").unwrap(), r#""a\u2028""#);
    }
}
