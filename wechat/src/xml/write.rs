//! Writing WeChat-style XML: one element per line, strings in CDATA with `]]>`
//! split across sections, numbers bare.

/// Wraps `text` in CDATA, splitting any `]]>` into adjacent sections
/// (`]]]]><![CDATA[>`), which every XML reader joins back.
///
/// Characters XML 1.0 cannot carry at all (most C0 controls) are replaced by
/// U+FFFD so the output is always well-formed.
pub fn cdata(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 12);
    out.push_str("<![CDATA[");
    let mut rest = text;
    while let Some(at) = rest.find("]]>") {
        push_legal(&mut out, &rest[..at]);
        out.push_str("]]]]><![CDATA[>");
        rest = &rest[at + 3..];
    }
    push_legal(&mut out, rest);
    out.push_str("]]>");
    out
}

fn push_legal(out: &mut String, text: &str) {
    out.extend(text.chars().map(|ch| match ch {
        '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'.. => ch,
        _ => '\u{FFFD}',
    }));
}

/// Builds `<xml>…</xml>` one element per line, like WeChat's own samples.
///
/// Element names are `&'static str` on purpose: names are ours, only values
/// come from users, and values always go through [`cdata`] or a digit check.
#[derive(Debug, Clone)]
pub struct XmlWriter {
    out: String,
}

impl Default for XmlWriter {
    fn default() -> Self {
        XmlWriter::new()
    }
}

impl XmlWriter {
    /// Starts a document with `<xml>` and a newline.
    pub fn new() -> Self {
        XmlWriter {
            out: String::from("<xml>\n"),
        }
    }

    /// `<name><![CDATA[value]]></name>` and a newline.
    pub fn text(&mut self, name: &'static str, value: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.out.push_str(&cdata(value));
        self.close_line(name)
    }

    /// `<name>value</name>` when `value` is all ASCII digits, otherwise the
    /// same as [`XmlWriter::text`].
    pub fn number(&mut self, name: &'static str, value: &str) -> &mut Self {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return self.text(name, value);
        }
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.out.push_str(value);
        self.close_line(name)
    }

    /// Opens a nested element: `<name>` and a newline.
    pub fn start(&mut self, name: &'static str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(">\n");
        self
    }

    /// Closes a nested element: `</name>` and a newline.
    pub fn end(&mut self, name: &'static str) -> &mut Self {
        self.close_line(name)
    }

    /// Closes `</xml>` (no trailing newline) and returns the document.
    pub fn finish(&mut self) -> String {
        let mut out = std::mem::take(&mut self.out);
        out.push_str("</xml>");
        out
    }

    fn close_line(&mut self, name: &'static str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_splits_the_terminator() {
        assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
        assert_eq!(
            cdata("]]>]]>"),
            "<![CDATA[]]]]><![CDATA[>]]]]><![CDATA[>]]>"
        );
        assert_eq!(cdata(""), "<![CDATA[]]>");
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(cdata("a\u{1}b"), "<![CDATA[a\u{FFFD}b]]>");
    }

    #[test]
    fn numbers_are_bare_and_anything_else_is_cdata() {
        let xml = XmlWriter::new()
            .number("CreateTime", "1717004000")
            .number("Nonce", "12a")
            .finish();
        assert_eq!(
            xml,
            "<xml>\n<CreateTime>1717004000</CreateTime>\n<Nonce><![CDATA[12a]]></Nonce>\n</xml>"
        );
    }
}
