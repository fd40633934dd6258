//! WeChat's flat callback XML: a hardened reader into an ordered field map, the
//! encrypted envelope, and a CDATA writer for replies.
//!
//! Every value is kept as exact text (numbers stay strings, whitespace is not
//! trimmed); nested elements become [`Value::Map`], repeated ones [`Value::List`].

mod parse;
mod write;

pub use parse::{
    parse, parse_encrypted_envelope, EncryptedEnvelope, MAX_DEPTH, MAX_ELEMENTS, MAX_XML_LEN,
};
pub use write::{cdata, XmlWriter};

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use thiserror::Error;

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum XmlError {
    /// The input is larger than [`MAX_XML_LEN`].
    #[error("the XML document is larger than 1 MiB")]
    TooLarge,
    /// The input is not UTF-8.
    #[error("the XML document is not valid UTF-8")]
    InvalidUtf8,
    /// Elements are nested deeper than [`MAX_DEPTH`].
    #[error("the XML document is nested too deeply")]
    TooDeep,
    /// The document has more than [`MAX_ELEMENTS`] elements.
    #[error("the XML document has too many elements")]
    TooManyElements,
    /// A `<!DOCTYPE …>` (and so any entity declaration) was present.
    #[error("DTDs and entity declarations are not accepted")]
    DtdNotAllowed,
    /// An entity other than the five predefined ones was referenced.
    #[error("the entity `&{0};` is not one of the predefined XML entities")]
    UnknownEntity(String),
    /// A character reference names a character XML does not allow.
    #[error("a character reference is not a legal XML character")]
    IllegalCharRef,
    /// The root element is not `<xml>`.
    #[error("the root element is `<{0}>`, expected `<xml>`")]
    UnexpectedRoot(String),
    /// There is no root element at all.
    #[error("the document has no root element")]
    NoRoot,
    /// Something other than whitespace or comments is outside the root element.
    #[error("there is content outside the root element")]
    ContentOutsideRoot,
    /// An element mixes text with child elements.
    #[error("the element `<{0}>` mixes text and child elements")]
    MixedContent(String),
    /// The document is not well-formed.
    #[error("the XML is malformed at byte {position}: {message}")]
    Malformed {
        /// Byte offset where the reader gave up.
        position: u64,
        /// The reader's description of the problem.
        message: String,
    },
    /// An element the caller requires is absent (e.g. `Encrypt`).
    #[error("the element `<{0}>` is missing")]
    MissingElement(&'static str),
}

impl XmlError {
    /// Stable machine code for logs and API answers.
    pub fn code(&self) -> &'static str {
        match self {
            XmlError::TooLarge => "xml_too_large",
            XmlError::InvalidUtf8 => "xml_invalid_utf8",
            XmlError::TooDeep => "xml_too_deep",
            XmlError::TooManyElements => "xml_too_many_elements",
            XmlError::DtdNotAllowed => "xml_dtd_not_allowed",
            XmlError::UnknownEntity(_) => "xml_unknown_entity",
            XmlError::IllegalCharRef => "xml_illegal_char_ref",
            XmlError::UnexpectedRoot(_) => "xml_unexpected_root",
            XmlError::NoRoot => "xml_no_root",
            XmlError::ContentOutsideRoot => "xml_content_outside_root",
            XmlError::MixedContent(_) => "xml_mixed_content",
            XmlError::Malformed { .. } => "xml_malformed",
            XmlError::MissingElement("Encrypt") => "missing_encrypt",
            XmlError::MissingElement(_) => "xml_missing_element",
        }
    }
}

/// One element's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text and CDATA, joined, exactly as sent (`""` for an empty element).
    Text(String),
    /// An element with child elements.
    Map(Fields),
    /// The same element name repeated among its siblings, in document order.
    List(Vec<Value>),
}

impl Value {
    /// The text, if this is a text element.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The children, if this is an element with child elements.
    pub fn as_map(&self) -> Option<&Fields> {
        match self {
            Value::Map(fields) => Some(fields),
            _ => None,
        }
    }

    /// This value as a list: a repeated element's items, or a one-item list
    /// for an element that happened to appear once.
    pub fn items(&self) -> Vec<&Value> {
        match self {
            Value::List(items) => items.iter().collect(),
            other => vec![other],
        }
    }
}

/// The child elements of one element, in document order by first occurrence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    entries: Vec<(String, Value)>,
}

impl Fields {
    /// The value of the child element `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The text of the child element `name`, if it is a text element.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_text)
    }

    /// The children of the child element `name`, if it has child elements.
    pub fn map(&self, name: &str) -> Option<&Fields> {
        self.get(name).and_then(Value::as_map)
    }

    /// Element names and values in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of distinct child element names.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no child elements.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a child; a repeated name turns the first occurrence into a list.
    fn push(&mut self, name: String, value: Value) {
        let Some((_, existing)) = self.entries.iter_mut().find(|(n, _)| *n == name) else {
            self.entries.push((name, value));
            return;
        };
        match existing {
            Value::List(items) => items.push(value),
            single => {
                let first = std::mem::replace(single, Value::List(Vec::with_capacity(2)));
                if let Value::List(items) = single {
                    items.push(first);
                    items.push(value);
                }
            }
        }
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (name, value) in &self.entries {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Text(text) => serializer.serialize_str(text),
            Value::Map(fields) => fields.serialize(serializer),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}
