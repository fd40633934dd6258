//! The hardened reader: size, depth and element limits, no DTD, only the five
//! predefined entities and character references, exact text preserved.

use quick_xml::errors::Error as QuickXmlError;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

use super::{Fields, Value, XmlError};

/// Largest document accepted (WeChat bodies are a few KB).
pub const MAX_XML_LEN: usize = 1024 * 1024;
/// Deepest element nesting accepted, counting `<xml>` as 1.
pub const MAX_DEPTH: usize = 16;
/// Most elements accepted in one document.
pub const MAX_ELEMENTS: usize = 10_000;

/// The body of a safe/compatible-mode push: the ciphertext and its addressee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedEnvelope {
    /// Our original id (`gh_…`), when present.
    pub to_user_name: Option<String>,
    /// The base64 ciphertext, exactly as sent (CDATA unwrapped).
    pub encrypt: String,
}

/// Parses an encrypted push body and extracts its `Encrypt` element.
pub fn parse_encrypted_envelope(body: &[u8]) -> Result<EncryptedEnvelope, XmlError> {
    let fields = parse(body)?;
    let encrypt = fields
        .text("Encrypt")
        .ok_or(XmlError::MissingElement("Encrypt"))?;
    Ok(EncryptedEnvelope {
        to_user_name: fields.text("ToUserName").map(str::to_owned),
        encrypt: encrypt.to_owned(),
    })
}

/// Parses `<xml>…</xml>` into its child elements.
///
/// Text and adjacent CDATA sections are joined and kept byte-for-byte;
/// whitespace between child elements is ignored. Anything outside the
/// accepted subset of XML is a typed error, never a panic.
pub fn parse(input: &[u8]) -> Result<Fields, XmlError> {
    if input.len() > MAX_XML_LEN {
        return Err(XmlError::TooLarge);
    }
    let text = std::str::from_utf8(input).map_err(|_| XmlError::InvalidUtf8)?;
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.check_comments = true;
    config.expand_empty_elements = false;

    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Fields> = None;
    let mut elements = 0usize;

    loop {
        let event = reader
            .read_event()
            .map_err(|err| malformed(reader.error_position(), &err))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(XmlError::ContentOutsideRoot);
            }
            Event::Start(start) => {
                elements += 1;
                let frame = open(&start, &stack, elements)?;
                stack.push(frame);
            }
            Event::Empty(start) => {
                elements += 1;
                let frame = open(&start, &stack, elements)?;
                close(frame, &mut stack, &mut root)?;
            }
            Event::End(_) => {
                // check_end_names guarantees the name matches the open frame.
                let frame = stack.pop().ok_or_else(|| XmlError::Malformed {
                    position: reader.buffer_position(),
                    message: "unexpected end tag".to_owned(),
                })?;
                close(frame, &mut stack, &mut root)?;
            }
            Event::Text(text) => {
                let text = text.decode().map_err(|_| XmlError::InvalidUtf8)?;
                append_text(&mut stack, &text)?;
            }
            Event::CData(cdata) => {
                let text = cdata.decode().map_err(|_| XmlError::InvalidUtf8)?;
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(&text),
                    None => return Err(XmlError::ContentOutsideRoot),
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = resolve_reference(&reference)?;
                let mut buf = [0u8; 4];
                append_text(&mut stack, resolved.encode_utf8(&mut buf))?;
            }
            Event::DocType(_) => return Err(XmlError::DtdNotAllowed),
            Event::Decl(_) if stack.is_empty() && root.is_none() => {}
            Event::Decl(_) => {
                return Err(XmlError::Malformed {
                    position: reader.buffer_position(),
                    message: "XML declaration after the start of the document".to_owned(),
                })
            }
            // Comments and processing instructions carry nothing we use.
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => {
                if !stack.is_empty() {
                    return Err(XmlError::Malformed {
                        position: reader.buffer_position(),
                        message: "unexpected end of document".to_owned(),
                    });
                }
                return root.ok_or(XmlError::NoRoot);
            }
        }
    }
}

/// An element being read.
struct Frame {
    name: String,
    text: String,
    children: Fields,
    has_children: bool,
}

fn open(start: &BytesStart<'_>, stack: &[Frame], elements: usize) -> Result<Frame, XmlError> {
    if elements > MAX_ELEMENTS {
        return Err(XmlError::TooManyElements);
    }
    if stack.len() >= MAX_DEPTH {
        return Err(XmlError::TooDeep);
    }
    let name = std::str::from_utf8(start.name().as_ref())
        .map_err(|_| XmlError::InvalidUtf8)?
        .to_owned();
    // WeChat sends no attributes; still insist that any present are well-formed.
    for attribute in start.attributes() {
        attribute.map_err(|err| XmlError::Malformed {
            position: 0,
            message: err.to_string(),
        })?;
    }
    if stack.is_empty() && name != "xml" {
        return Err(XmlError::UnexpectedRoot(name));
    }
    Ok(Frame {
        name,
        text: String::new(),
        children: Fields::default(),
        has_children: false,
    })
}

fn close(frame: Frame, stack: &mut [Frame], root: &mut Option<Fields>) -> Result<(), XmlError> {
    let is_root = stack.is_empty();
    if (frame.has_children || is_root) && !is_xml_whitespace(&frame.text) {
        return Err(XmlError::MixedContent(frame.name));
    }
    match stack.last_mut() {
        None => *root = Some(frame.children),
        Some(parent) => {
            let value = if frame.has_children {
                Value::Map(frame.children)
            } else {
                Value::Text(frame.text)
            };
            parent.has_children = true;
            parent.children.push(frame.name, value);
        }
    }
    Ok(())
}

fn append_text(stack: &mut [Frame], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(frame) => {
            frame.text.push_str(text);
            Ok(())
        }
        None if is_xml_whitespace(text) => Ok(()),
        None => Err(XmlError::ContentOutsideRoot),
    }
}

/// Resolves `&name;`: the five predefined entities and character references only.
fn resolve_reference(reference: &BytesRef<'_>) -> Result<char, XmlError> {
    let name = reference.decode().map_err(|_| XmlError::InvalidUtf8)?;
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(ch)) if is_xml_char(ch) => Ok(ch),
            _ => Err(XmlError::IllegalCharRef),
        };
    }
    resolve_xml_entity(&name)
        .and_then(|s| s.chars().next())
        .ok_or_else(|| XmlError::UnknownEntity(name.into_owned()))
}

/// XML 1.0 `Char` production (Rust `char` already excludes surrogates).
fn is_xml_char(ch: char) -> bool {
    matches!(ch, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_xml_whitespace(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

fn malformed(position: u64, err: &QuickXmlError) -> XmlError {
    XmlError::Malformed {
        position,
        message: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(xml: &str, name: &str) -> Option<String> {
        parse(xml.as_bytes())
            .ok()
            .and_then(|fields| fields.text(name).map(str::to_owned))
    }

    #[test]
    fn adjacent_cdata_sections_are_joined() {
        let xml = "<xml><Content><![CDATA[a]]]]><![CDATA[>b]]></Content></xml>";
        assert_eq!(text_of(xml, "Content").as_deref(), Some("a]]>b"));
    }

    #[test]
    fn whitespace_inside_text_is_preserved() {
        let xml = "<xml><Content><![CDATA[  two  ]]>\n</Content><N> 1 </N></xml>";
        assert_eq!(text_of(xml, "Content").as_deref(), Some("  two  \n"));
        assert_eq!(text_of(xml, "N").as_deref(), Some(" 1 "));
    }

    #[test]
    fn predefined_entities_and_char_refs_are_expanded() {
        let xml = "<xml><A>&lt;&amp;&gt;&quot;&apos;&#x4e2d;&#65;</A></xml>";
        assert_eq!(text_of(xml, "A").as_deref(), Some("<&>\"'中A"));
    }

    #[test]
    fn empty_elements_are_empty_strings() {
        let fields = parse(b"<xml><A/><B></B><C><![CDATA[]]></C></xml>").expect("valid");
        for name in ["A", "B", "C"] {
            assert_eq!(fields.text(name), Some(""));
        }
    }

    #[test]
    fn doctype_and_entity_declarations_are_rejected() {
        let xml = b"<!DOCTYPE xml [<!ENTITY x \"boom\">]><xml><A>&x;</A></xml>";
        assert_eq!(parse(xml), Err(XmlError::DtdNotAllowed));
    }

    #[test]
    fn undeclared_entities_are_rejected() {
        let err = parse(b"<xml><A>&x;</A></xml>").expect_err("unknown entity");
        assert_eq!(err, XmlError::UnknownEntity("x".to_owned()));
    }

    #[test]
    fn illegal_character_references_are_rejected() {
        assert_eq!(
            parse(b"<xml><A>&#0;</A></xml>"),
            Err(XmlError::IllegalCharRef)
        );
        assert_eq!(
            parse(b"<xml><A>&#1;</A></xml>"),
            Err(XmlError::IllegalCharRef)
        );
    }

    #[test]
    fn documents_over_the_size_limit_are_rejected() {
        let big = vec![b' '; MAX_XML_LEN + 1];
        assert_eq!(parse(&big), Err(XmlError::TooLarge));
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let xml = format!(
            "<xml>{}{}</xml>",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        assert_eq!(parse(xml.as_bytes()), Err(XmlError::TooDeep));
    }

    #[test]
    fn too_many_elements_are_rejected() {
        let xml = format!("<xml>{}</xml>", "<a/>".repeat(MAX_ELEMENTS));
        assert_eq!(parse(xml.as_bytes()), Err(XmlError::TooManyElements));
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        assert_eq!(parse(b"<xml><A>\xff</A></xml>"), Err(XmlError::InvalidUtf8));
    }

    #[test]
    fn malformed_documents_are_rejected() {
        for xml in [
            "",
            "<xml>",
            "<xml><A></B></xml>",
            "<xml><A>text<B/></A></xml>",
            "<xml></xml><xml></xml>",
            "<xml></xml>trailing",
            "<root></root>",
            "<xml><A x=></A></xml>",
            "<xml>bare text</xml>",
        ] {
            assert!(parse(xml.as_bytes()).is_err(), "{xml:?} should be rejected");
        }
    }

    #[test]
    fn repeated_elements_become_lists_in_document_order() {
        let fields = parse(b"<xml><L><A>1</A></L><L><A>2</A></L><M>x</M></xml>").expect("valid");
        let items = fields.get("L").map(Value::items).unwrap_or_default();
        let texts: Vec<_> = items
            .iter()
            .filter_map(|v| v.as_map().and_then(|m| m.text("A")))
            .collect();
        assert_eq!(texts, ["1", "2"]);
        let names: Vec<_> = fields.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["L", "M"]);
    }

    #[test]
    fn a_missing_encrypt_element_is_reported_by_name() {
        let err = parse_encrypted_envelope(b"<xml><ToUserName>gh</ToUserName></xml>")
            .expect_err("no Encrypt");
        assert_eq!(err.code(), "missing_encrypt");
    }
}
