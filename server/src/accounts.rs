//! Account operations shared by the API and the command line: validate,
//! change the read model and append the event in one transaction.

use crate::auth::hash_password;
use crate::error::{AppError, AppResult};
use crate::portal::{PortalConfig, PortalIdentity, Refusal};
use crate::store::events::{append, NewEvent};
use crate::store::{tokens, users, Store};
use serde_json::json;
use shared::api::{CreateUser, Team, TeamMessages, UpdateUser, User, MIN_PASSWORD_LEN};
use shared::{Language, Role, TeamId, UserId};

/// Whether `email` looks like an address mail can be sent to.
pub fn is_email(email: &str) -> bool {
    email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace)
}

pub fn normalise_email(raw: &str) -> AppResult<String> {
    let email = raw.trim().to_lowercase();
    if is_email(&email) {
        Ok(email)
    } else {
        Err(AppError::validation(
            "email",
            "Enter an email address like name@example.com.",
        ))
    }
}

fn validate_name(raw: &str) -> AppResult<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::validation("name", "Enter a name."));
    }
    if name.chars().count() > 100 {
        return Err(AppError::validation(
            "name",
            "Names can be at most 100 characters.",
        ));
    }
    Ok(name.to_owned())
}

pub fn validate_password(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::validation(
            "password",
            format!("Passwords need at least {MIN_PASSWORD_LEN} characters."),
        ));
    }
    if password.len() > 1024 {
        return Err(AppError::validation(
            "password",
            "Passwords can be at most 1024 bytes.",
        ));
    }
    Ok(())
}

pub async fn create_user(
    store: &Store,
    now: i64,
    actor: Option<UserId>,
    input: &CreateUser,
) -> AppResult<User> {
    let email = normalise_email(&input.email)?;
    let name = validate_name(&input.name)?;
    validate_password(&input.password)?;
    let password_hash = hash_password(&input.password)?;
    let mut tx = store.begin().await?;
    let new = users::NewUser {
        email: &email,
        name: &name,
        role: input.role,
        password_hash: &password_hash,
        teams: &input.teams,
    };
    let id = users::insert_user(&mut tx, now, &new).await?;
    let payload = json!({ "user": id, "email": email, "name": name, "role": input.role, "teams": input.teams });
    append(
        &mut tx,
        now,
        &[NewEvent::new("user.created", actor, payload)],
    )
    .await?;
    store.commit(tx).await?;
    store.user(id).await?.ok_or(AppError::NotFound("That user"))
}

/// A portal subject as an admin types it: trimmed, 1 to 255 characters
/// (an empty one is refused; `null` unlinks).
fn portal_subject(subject: &str) -> AppResult<String> {
    let subject = subject.trim();
    if subject.is_empty() || subject.chars().count() > 255 || subject.chars().any(char::is_control)
    {
        return Err(AppError::validation(
            "external_id",
            "A portal ID has 1 to 255 characters, without line breaks; leave it out to keep it, or send null to unlink.",
        ));
    }
    Ok(subject.to_owned())
}

pub async fn update_user(
    store: &Store,
    now: i64,
    actor: UserId,
    id: UserId,
    input: &UpdateUser,
) -> AppResult<User> {
    let name = input.name.as_deref().map(validate_name).transpose()?;
    let before = store
        .user(id)
        .await?
        .ok_or(AppError::NotFound("That user"))?;
    let demotes_admin = before.role == Role::Admin
        && (input.role.is_some_and(|r| r != Role::Admin) || input.active == Some(false));
    if actor == id && (demotes_admin || input.active == Some(false)) {
        return Err(AppError::conflict_because(
            "own_account",
            "You cannot deactivate or demote your own account.",
        ));
    }
    let mut tx = store.begin().await?;
    if demotes_admin && users::other_active_admins(&mut tx, id).await? == 0 {
        return Err(AppError::conflict_because(
            "last_admin",
            "Harbour needs at least one active admin.",
        ));
    }
    let external_id = input
        .external_id
        .as_ref()
        .map(|subject| subject.as_deref().map(portal_subject).transpose())
        .transpose()?;
    if let Some(capacity) = input.capacity {
        if !(1..=shared::assignment::MAX_CAPACITY).contains(&capacity) {
            return Err(AppError::validation(
                "capacity",
                "Choose a capacity from 1 to 100 conversations.",
            ));
        }
    }
    users::update_user_fields(&mut tx, now, id, name.as_deref(), input.role, input.active).await?;
    if let Some(capacity) = input.capacity {
        users::set_capacity(&mut tx, now, id, capacity).await?;
    }
    if let Some(teams) = &input.teams {
        users::set_teams(&mut tx, id, teams).await?;
    }
    if let Some(subject) = &external_id {
        users::relink_external_id(&mut tx, id, subject.as_deref()).await?;
    }
    if input.active == Some(false) {
        tokens::revoke_user_tokens(&mut tx, now, id).await?;
    }
    // The change as applied (a portal ID trimmed).
    let changes = UpdateUser {
        external_id: external_id.clone(),
        ..input.clone()
    };
    let payload = json!({ "user": id, "changes": changes });
    append(
        &mut tx,
        now,
        &[NewEvent::new("user.updated", Some(actor), payload)],
    )
    .await?;
    store.commit(tx).await?;
    store.user(id).await?.ok_or(AppError::NotFound("That user"))
}

pub async fn reset_password(
    store: &Store,
    now: i64,
    actor: UserId,
    id: UserId,
    password: &str,
) -> AppResult<()> {
    validate_password(password)?;
    let hash = hash_password(password)?;
    let mut tx = store.begin().await?;
    users::set_password_hash(&mut tx, now, id, &hash, false).await?;
    tokens::revoke_user_tokens(&mut tx, now, id).await?;
    append(
        &mut tx,
        now,
        &[NewEvent::new(
            "user.password_reset",
            Some(actor),
            json!({ "user": id }),
        )],
    )
    .await?;
    store.commit(tx).await?;
    Ok(())
}

/// The signed-in user chooses a new password, knowing the current one.
/// Their other sign-ins end; `session` (this one) carries on.
pub async fn change_own_password(
    store: &Store,
    now: i64,
    id: UserId,
    session: Option<&str>,
    new_password: &str,
) -> AppResult<User> {
    validate_password(new_password)?;
    let hash = hash_password(new_password)?;
    let mut tx = store.begin().await?;
    users::set_password_hash(&mut tx, now, id, &hash, false).await?;
    tokens::revoke_user_tokens_except(&mut tx, now, id, session).await?;
    append(
        &mut tx,
        now,
        &[NewEvent::new(
            "user.password_changed",
            Some(id),
            json!({ "user": id }),
        )],
    )
    .await?;
    store.commit(tx).await?;
    store.user(id).await?.ok_or(AppError::NotFound("That user"))
}

/// The signed-in user picks the app's language (`None`: the browser's).
pub async fn set_own_language(
    store: &Store,
    now: i64,
    id: UserId,
    language: Option<Language>,
) -> AppResult<User> {
    let mut tx = store.begin().await?;
    users::set_language(&mut tx, now, id, language).await?;
    append(
        &mut tx,
        now,
        &[NewEvent::new(
            "user.language_changed",
            Some(id),
            json!({ "user": id, "language": language }),
        )],
    )
    .await?;
    store.commit(tx).await?;
    store.user(id).await?.ok_or(AppError::NotFound("That user"))
}

pub async fn create_team(
    store: &Store,
    now: i64,
    actor: Option<UserId>,
    name: &str,
) -> AppResult<Team> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::validation(
            "name",
            "Enter a team name of at most 80 characters.",
        ));
    }
    let mut tx = store.begin().await?;
    let id: TeamId = users::insert_team(&mut tx, now, name).await?;
    let event =
        NewEvent::new("team.created", actor, json!({ "team": id, "name": name })).in_team(Some(id));
    append(&mut tx, now, &[event]).await?;
    store.commit(tx).await?;
    Ok(Team {
        id,
        name: name.to_owned(),
        member_count: 0,
        created_at: now,
        welcome_text: None,
        closing_text: None,
        assignment: Default::default(),
    })
}

/// Sets a team's WeCom welcome and closing messages (blank removes one);
/// the event keeps what clients will be sent.
pub async fn set_team_messages(
    store: &Store,
    now: i64,
    actor: UserId,
    team: TeamId,
    messages: &TeamMessages,
) -> AppResult<Team> {
    let clean = |text: &Option<String>| {
        text.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let (welcome, closing) = (clean(&messages.welcome_text), clean(&messages.closing_text));
    for (field, text) in [("welcome_text", &welcome), ("closing_text", &closing)] {
        check_wecom_text(field, text.as_deref())?;
    }
    let mut tx = store.begin().await?;
    if !users::set_team_messages(&mut tx, team, welcome.as_deref(), closing.as_deref()).await? {
        return Err(AppError::NotFound("That team"));
    }
    let event = NewEvent::new(
        "team.messages_changed",
        Some(actor),
        json!({ "team": team, "welcome_text": welcome, "closing_text": closing }),
    )
    .in_team(Some(team));
    append(&mut tx, now, &[event]).await?;
    store.commit(tx).await?;
    store
        .list_teams()
        .await?
        .into_iter()
        .find(|t| t.id == team)
        .ok_or(AppError::NotFound("That team"))
}

/// Refuses a welcome or closing text longer than WeCom takes, naming `field`.
pub fn check_wecom_text(field: &str, text: Option<&str>) -> AppResult<()> {
    if text.is_some_and(|t| t.trim().len() > wechat::kf::MAX_TEXT_BYTES) {
        return Err(AppError::validation(
            field,
            format!(
                "WeCom takes at most {} bytes of text (about 680 Chinese characters).",
                wechat::kf::MAX_TEXT_BYTES
            ),
        ));
    }
    Ok(())
}

/// A password hash no password matches: users the portal created sign in
/// through the portal until an admin sets them a password.
const NO_PASSWORD: &str = "!portal";

/// The user a verified portal token names, after using up its id: linked
/// by the portal's subject, else by email (and linked from then on), else
/// created when just-in-time creation is on. Says whether it was created.
pub async fn portal_user(
    store: &Store,
    now: i64,
    portal: &PortalConfig,
    identity: &PortalIdentity,
) -> AppResult<(UserId, bool)> {
    let jit_teams: Vec<TeamId> = match portal.jit.as_ref().and_then(|r| r.team.as_deref()) {
        Some(name) => match store.team_by_name(name).await? {
            Some(team) => vec![team],
            None => {
                tracing::warn!(
                    team = name,
                    "HARBOUR_PORTAL_JIT_TEAM names no team; the new user joins none"
                );
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let mut tx = store.begin().await?;
    let unused = tokens::claim_portal_token_id(
        &mut tx,
        now,
        &portal.issuer,
        &identity.token_id,
        identity.expires_at_ms,
    )
    .await?;
    if !unused {
        return Err(Refusal::Reused.into());
    }
    let linked = |id: UserId, event: &'static str| {
        NewEvent::new(
            event,
            None,
            json!({ "user": id, "issuer": portal.issuer, "subject": identity.subject }),
        )
    };
    let found = users::portal_match(&mut tx, &identity.subject, &identity.email).await?;
    if found.as_ref().is_some_and(|(_, _, active)| !active) {
        // Refused before anything is linked.
        return Err(AppError::AccountDisabled);
    }
    let (id, created) = match found {
        Some((id, Some(subject), _)) if subject == identity.subject => (id, false),
        Some((_, Some(_), _)) => return Err(Refusal::SubjectMismatch.into()),
        Some((id, None, _)) => {
            if !users::set_external_id(&mut tx, id, &identity.subject).await? {
                // Linked to someone else between the look and the link.
                return Err(Refusal::SubjectMismatch.into());
            }
            append(&mut tx, now, &[linked(id, "user.portal_linked")]).await?;
            (id, false)
        }
        None => {
            let Some(rule) = &portal.jit else {
                // The token is used up all the same: it cannot be tried again.
                store.commit(tx).await?;
                return Err(Refusal::UnknownUser.into());
            };
            let new = users::NewUser {
                email: &identity.email,
                name: &identity.name,
                role: rule.role,
                password_hash: NO_PASSWORD,
                teams: &jit_teams,
            };
            let id = users::insert_user(&mut tx, now, &new).await?;
            // A new user has no link yet: this sets it.
            users::set_external_id(&mut tx, id, &identity.subject).await?;
            let payload = json!({
                "user": id, "email": identity.email, "name": identity.name, "role": rule.role,
                "teams": jit_teams, "via": "portal", "subject": identity.subject,
            });
            append(
                &mut tx,
                now,
                &[NewEvent::new("user.created", None, payload)],
            )
            .await?;
            (id, true)
        }
    };
    store.commit(tx).await?;
    Ok((id, created))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            normalise_email("  Amy@Example.COM ").ok().as_deref(),
            Some("amy@example.com")
        );
        for bad in ["", "amy", "amy@", "@x.com", "amy@localhost", "a my@x.com"] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_passwords_name_the_field() {
        match validate_password("short") {
            Err(AppError::Validation { field, .. }) => assert_eq!(field, "password"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
