//! Directory values named in tree texts: `{hotline.hours}`, `{busy}`.

/// The fields a text may name of a channel: `{hotline.hours}` and so on.
///
/// - `name`: how texts call the channel (its `name`);
/// - `contact`: its `contact`;
/// - `hours`: its opening hours, `9:00–21:00` in Chinese and `09:00–21:00` otherwise;
/// - `reply`: its promised reply time in hours (`response_hours`);
/// - `usual`: its usual reply time in hours (`usual_hours`).
///
/// `{busy}` names the busy periods (`春节、双11`, `Spring Festival and Double 11`).
pub(crate) const VALUE_FIELDS: [&str; 5] = ["name", "contact", "hours", "reply", "usual"];

/// The reference that names the busy periods: `{busy}`.
pub(crate) const BUSY: &str = "busy";

/// A reference to a directory value in a tree text: `{channel.field}` or `{busy}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reference<'t> {
    /// Where it is in the text (bytes, braces included).
    pub start: usize,
    pub end: usize,
    /// The channel's id (or `busy`).
    pub channel: &'t str,
    /// The field, after the dot.
    pub field: Option<&'t str>,
}

impl Reference<'_> {
    /// Why the reference names no possible value whatever the directory, if it does not:
    /// a field that is not one of [`VALUE_FIELDS`], a field on `{busy}`, none on a
    /// channel.
    pub(crate) fn malformed(&self) -> Option<String> {
        use crate::limits::Quoted;
        match (self.channel, self.field) {
            (BUSY, None) => None,
            (BUSY, Some(_)) => Some("`{busy}` takes no field".to_owned()),
            (channel, None) => Some(format!(
                "name a value of channel {}: {}",
                Quoted(channel),
                VALUE_FIELDS
                    .iter()
                    .map(|f| format!("{{{channel}.{f}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            (_, Some(field)) if VALUE_FIELDS.contains(&field) => None,
            (_, Some(field)) => Some(format!(
                "{} is not a value of a channel (values: {})",
                Quoted(field),
                VALUE_FIELDS.join(", ")
            )),
        }
    }
}

/// The references to directory values in a text: `{busy}`, and each `{` followed by a
/// channel and a field joined by a dot (ASCII letters, digits, `_`, `-`) and `}`. Any
/// other brace is text, `{example}` included.
pub(crate) fn references(text: &str) -> Vec<Reference<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find('{') {
        let start = at + found;
        let rest = &text[start + 1..];
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            .count();
        let name = &rest[..len];
        let reference = match name.split_once('.') {
            Some((channel, field)) => Some((channel, Some(field))),
            None => (name == BUSY).then_some((name, None)),
        };
        if let Some((channel, field)) = reference
            && rest.as_bytes().get(len) == Some(&b'}')
        {
            out.push(Reference {
                start,
                end: start + len + 2,
                channel,
                field,
            });
            at = start + len + 2;
        } else {
            at = start + 1;
        }
    }
    out
}
