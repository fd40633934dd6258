//! Canned responses in the composer: finding the `/shortcut` being typed,
//! picking matches, and filling in `{{contact.name}}` and the other variables.

use shared::api::CannedResponse;

/// Values for the variables a canned response may use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CannedContext {
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub agent_name: Option<String>,
    pub channel_name: Option<String>,
}

impl CannedContext {
    fn value(&self, variable: &str) -> Option<&str> {
        match variable {
            "contact.name" => self.contact_name.as_deref(),
            "contact.phone" => self.contact_phone.as_deref(),
            "contact.email" => self.contact_email.as_deref(),
            "agent.name" => self.agent_name.as_deref(),
            "channel.name" => self.channel_name.as_deref(),
            _ => None,
        }
    }
}

/// Fills in `{{variable}}`s (spaces inside the braces allowed). A variable
/// with no value becomes empty, an unknown one stays as written so the
/// agent sees it before sending.
pub fn render_canned(body: &str, context: &CannedContext) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                let name = after[..close].trim();
                if shared::api::CANNED_VARIABLES.contains(&name) {
                    out.push_str(context.value(name).unwrap_or_default());
                } else {
                    out.push_str(&rest[open..open + 2 + close + 2]);
                }
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `/shortcut` being typed at the caret, as (byte offset of the `/`,
/// the text after it). Only at the start of the text or of a line, so a
/// URL or "and/or" never opens the menu.
pub fn slash_query(before_caret: &str) -> Option<(usize, &str)> {
    let line_start = before_caret.rfind('\n').map_or(0, |i| i + 1);
    let line = &before_caret[line_start..];
    let query = line.strip_prefix('/')?;
    if query.chars().any(char::is_whitespace) {
        return None;
    }
    Some((line_start, query))
}

/// Responses whose shortcut starts with `query` first, then those whose
/// shortcut or title contains it; at most `limit`.
pub fn matching<'a>(
    responses: &'a [CannedResponse],
    query: &str,
    limit: usize,
) -> Vec<&'a CannedResponse> {
    let query = query.to_lowercase();
    let mut prefix: Vec<&CannedResponse> = Vec::new();
    let mut inside: Vec<&CannedResponse> = Vec::new();
    for response in responses {
        let shortcut = response.shortcut.to_lowercase();
        if shortcut.starts_with(&query) {
            prefix.push(response);
        } else if shortcut.contains(&query) || response.title.to_lowercase().contains(&query) {
            inside.push(response);
        }
    }
    prefix.sort_by(|a, b| a.shortcut.cmp(&b.shortcut));
    prefix.into_iter().chain(inside).take(limit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canned(shortcut: &str, title: &str) -> CannedResponse {
        CannedResponse {
            // Matching goes by shortcut and title only.
            id: shared::CannedResponseId(uuid::Uuid::nil()),
            team: None,
            owner: None,
            shortcut: shortcut.into(),
            title: title.into(),
            body: String::new(),
            updated_at: 0,
        }
    }

    #[test]
    fn variables_are_filled_in() {
        let context = CannedContext {
            contact_name: Some("陳大文".into()),
            agent_name: Some("Amy".into()),
            ..CannedContext::default()
        };
        assert_eq!(
            render_canned("你好 {{contact.name}}，我係 {{ agent.name }}。", &context),
            "你好 陳大文，我係 Amy。"
        );
    }

    #[test]
    fn missing_values_are_empty_and_unknown_variables_stay() {
        let context = CannedContext::default();
        assert_eq!(render_canned("Call {{contact.phone}}.", &context), "Call .");
        assert_eq!(
            render_canned("{{loan.amount}} due", &context),
            "{{loan.amount}} due"
        );
        assert_eq!(
            render_canned("open {{ never closed", &context),
            "open {{ never closed"
        );
    }

    #[test]
    fn the_slash_menu_opens_only_at_the_start_of_a_line() {
        assert_eq!(slash_query("/gre"), Some((0, "gre")));
        assert_eq!(slash_query("Hi\n/th"), Some((3, "th")));
        assert_eq!(slash_query("/"), Some((0, "")));
        assert_eq!(slash_query("and/or"), None);
        assert_eq!(slash_query("/greet there"), None);
        assert_eq!(slash_query("https://example.com"), None);
    }

    #[test]
    fn shortcuts_that_start_with_the_query_come_first() {
        let all = [
            canned("thanks", "Thank you"),
            canned("hours", "Opening hours"),
            canned("th", "Short"),
        ];
        let found: Vec<&str> = matching(&all, "th", 5)
            .iter()
            .map(|c| c.shortcut.as_str())
            .collect();
        assert_eq!(found, ["th", "thanks"]);
        let by_title: Vec<&str> = matching(&all, "open", 5)
            .iter()
            .map(|c| c.shortcut.as_str())
            .collect();
        assert_eq!(by_title, ["hours"]);
    }
}
