//! Users and teams: the read models behind accounts and access.

use super::{is_unique_violation, Store, Tx};
use crate::error::{AppError, AppResult};
use crate::{on_read, on_tx};
use shared::api::{Team, TeamRef, User};
use shared::{Language, Role, TeamId, UserId};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    name: String,
    role: String,
    active: bool,
    created_at: i64,
    must_change_password: bool,
    language: Option<String>,
    capacity: i64,
    availability: String,
    external_id: Option<String>,
}

/// What sign-in needs: the user and their password hash.
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    user_id: String,
    team_id: String,
    team_name: String,
}

fn parse_id<T: std::str::FromStr>(raw: &str) -> AppResult<T> {
    raw.parse()
        .map_err(|_| AppError::internal(anyhow::anyhow!("corrupt id in database")))
}

fn to_user(row: UserRow, teams: Vec<TeamRef>) -> AppResult<User> {
    Ok(User {
        id: parse_id(&row.id)?,
        email: row.email,
        name: row.name,
        role: row
            .role
            .parse()
            .map_err(|e: String| AppError::internal(anyhow::anyhow!(e)))?,
        active: row.active,
        teams,
        created_at: row.created_at,
        must_change_password: row.must_change_password,
        // A tag this build does not speak (a newer node wrote it) reads as the browser's.
        language: row.language.as_deref().and_then(Language::from_tag),
        capacity: row.capacity,
        availability: row.availability.parse().unwrap_or_default(),
        external_id: row.external_id,
    })
}

const USER_COLUMNS: &str =
    "id, email, name, role, active, created_at, must_change_password, language, capacity, availability, \
     external_id";

/// New user fields, already validated.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub teams: &'a [TeamId],
}

pub async fn insert_user(tx: &mut Tx, now: i64, new: &NewUser<'_>) -> AppResult<UserId> {
    let id = UserId(Uuid::new_v4());
    let result = on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO users (id, email, name, role, password_hash, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, TRUE, $6, $6)",
        )
        .bind(id.to_string())
        .bind(new.email)
        .bind(new.name)
        .bind(new.role.as_str())
        .bind(new.password_hash)
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    });
    match result {
        Ok(_) => {}
        Err(err) if is_unique_violation(&err, "email") => {
            return Err(AppError::conflict_because(
                "email_taken",
                format!("A user with the email {} already exists.", new.email),
            ))
        }
        Err(err) => return Err(err.into()),
    }
    set_teams(tx, id, new.teams).await?;
    Ok(id)
}

/// Replaces a user's team memberships; unknown teams are a validation error.
/// The user a portal sign-in names (the one linked to `subject`, else the
/// one with `email`): their id, the portal subject they are linked to (if
/// any) and whether they are active. Locked until the transaction ends.
pub async fn portal_match(
    tx: &mut Tx,
    subject: &str,
    email: &str,
) -> AppResult<Option<(UserId, Option<String>, bool)>> {
    let sql = format!(
        "SELECT id, external_id, active FROM users WHERE external_id = $1 OR email = $2 \
         ORDER BY CASE WHEN external_id = $1 THEN 0 ELSE 1 END LIMIT 1{}",
        tx.backend().for_update()
    );
    let row: Option<(String, Option<String>, bool)> = on_tx!(tx, c => {
        sqlx::query_as(&sql)
            .bind(subject)
            .bind(email)
            .fetch_optional(&mut *c)
            .await?
    });
    row.map(|(id, linked, active)| Ok((parse_id(&id)?, linked, active)))
        .transpose()
}

/// An admin links a user to the portal subject `subject`, or unlinks them
/// (`None`), whatever they were linked to; a subject linked to someone else
/// is a conflict.
pub async fn relink_external_id(tx: &mut Tx, user: UserId, subject: Option<&str>) -> AppResult<()> {
    let result = on_tx!(tx, c => {
        sqlx::query("UPDATE users SET external_id = $1 WHERE id = $2")
            .bind(subject)
            .bind(user.to_string())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    });
    match result {
        Ok(done) => found_user(done),
        Err(err) if is_unique_violation(&err, "external_id") => Err(AppError::conflict_because(
            "external_id_taken",
            "Another user is linked to that portal ID.",
        )),
        Err(err) => Err(err.into()),
    }
}

/// Links a user to their portal subject unless they are linked already;
/// says whether it did (another sign-in may have linked them meanwhile).
pub async fn set_external_id(tx: &mut Tx, user: UserId, subject: &str) -> AppResult<bool> {
    let linked = on_tx!(tx, c => {
        sqlx::query("UPDATE users SET external_id = $1 WHERE id = $2 AND external_id IS NULL")
            .bind(subject)
            .bind(user.to_string())
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(linked == 1)
}

pub async fn set_teams(tx: &mut Tx, user: UserId, teams: &[TeamId]) -> AppResult<()> {
    on_tx!(tx, c => {
        sqlx::query("DELETE FROM team_members WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    for team in teams {
        let exists: Option<String> = on_tx!(tx, c => {
            sqlx::query_scalar("SELECT id FROM teams WHERE id = $1")
                .bind(team.to_string())
                .fetch_optional(&mut *c)
                .await?
        });
        if exists.is_none() {
            return Err(AppError::validation(
                "teams",
                format!("There is no team with id {team}."),
            ));
        }
        on_tx!(tx, c => {
            sqlx::query(
                "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(team.to_string())
            .bind(user.to_string())
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
    }
    Ok(())
}

pub async fn update_user_fields(
    tx: &mut Tx,
    now: i64,
    id: UserId,
    name: Option<&str>,
    role: Option<Role>,
    active: Option<bool>,
) -> AppResult<()> {
    let done = on_tx!(tx, c => {
        sqlx::query(
            "UPDATE users SET name = COALESCE($2, name), role = COALESCE($3, role), \
             active = COALESCE($4, active), updated_at = $5 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(name)
        .bind(role.map(Role::as_str))
        .bind(active)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    found_user(done)
}

/// How many conversations auto-assignment may give the user at once.
pub async fn set_capacity(tx: &mut Tx, now: i64, id: UserId, capacity: i64) -> AppResult<()> {
    let done = on_tx!(tx, c => {
        sqlx::query("UPDATE users SET capacity = $2, updated_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(capacity)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    found_user(done)
}

/// An update of one user row by id: none touched means no such user.
fn found_user(rows_affected: u64) -> AppResult<()> {
    if rows_affected == 0 {
        return Err(AppError::NotFound("That user"));
    }
    Ok(())
}

/// Sets the language the user chose (`None`: the browser's).
pub async fn set_language(
    tx: &mut Tx,
    now: i64,
    id: UserId,
    language: Option<Language>,
) -> AppResult<()> {
    let done = on_tx!(tx, c => {
        sqlx::query("UPDATE users SET language = $2, updated_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(language.map(Language::tag))
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    found_user(done)
}

/// Sets the password; `must_change`: the user must choose another before
/// anything else (the first admin's printed one).
pub async fn set_password_hash(
    tx: &mut Tx,
    now: i64,
    id: UserId,
    hash: &str,
    must_change: bool,
) -> AppResult<()> {
    let done = on_tx!(tx, c => {
        sqlx::query(
            "UPDATE users SET password_hash = $2, updated_at = $3, must_change_password = $4 WHERE id = $1",
        )
            .bind(id.to_string())
            .bind(hash)
            .bind(now)
            .bind(must_change)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    found_user(done)
}

/// Sets a team's WeCom welcome and closing messages; false when there is
/// no such team.
pub async fn set_team_messages(
    tx: &mut Tx,
    team: TeamId,
    welcome: Option<&str>,
    closing: Option<&str>,
) -> AppResult<bool> {
    let changed = on_tx!(tx, c => {
        sqlx::query("UPDATE teams SET welcome_text = $2, closing_text = $3 WHERE id = $1")
            .bind(team.to_string())
            .bind(welcome)
            .bind(closing)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(changed == 1)
}

pub async fn insert_team(tx: &mut Tx, now: i64, name: &str) -> AppResult<TeamId> {
    let id = TeamId(Uuid::new_v4());
    let result = on_tx!(tx, c => {
        sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(name)
            .bind(now)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    });
    match result {
        Ok(_) => Ok(id),
        Err(err) if is_unique_violation(&err, "teams") => Err(AppError::conflict_because(
            "team_name_taken",
            format!("A team named {name} already exists."),
        )),
        Err(err) => Err(err.into()),
    }
}

/// Counts active admins other than `except`, inside a write transaction.
pub async fn other_active_admins(tx: &mut Tx, except: UserId) -> AppResult<i64> {
    Ok(on_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = TRUE AND id <> $1",
        )
        .bind(except.to_string())
        .fetch_one(&mut *c)
        .await?
    }))
}

impl Store {
    async fn memberships(&self, user: Option<UserId>) -> AppResult<Vec<MembershipRow>> {
        let sql = "SELECT m.user_id, m.team_id, t.name AS team_name FROM team_members m \
                   JOIN teams t ON t.id = m.team_id WHERE ($1 IS NULL OR m.user_id = $1) \
                   ORDER BY t.name";
        let user = user.map(|u| u.to_string());
        Ok(on_read!(self, pool => {
            sqlx::query_as(sql).bind(&user).fetch_all(pool).await?
        }))
    }

    pub async fn user(&self, id: UserId) -> AppResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = on_read!(self, pool => {
            sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await?
        });
        let Some(row) = row else { return Ok(None) };
        let teams = self
            .memberships(Some(id))
            .await?
            .into_iter()
            .map(|m| {
                Ok(TeamRef {
                    id: parse_id(&m.team_id)?,
                    name: m.team_name,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        to_user(row, teams).map(Some)
    }

    /// The stored hash of a user's password.
    pub async fn password_hash(&self, id: UserId) -> AppResult<Option<String>> {
        Ok(on_read!(self, pool => {
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Asks the user to choose their own password at their next sign-in.
    pub async fn require_password_change(&self, id: UserId) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query("UPDATE users SET must_change_password = TRUE WHERE id = $1")
                .bind(id.to_string())
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        self.commit(tx).await?;
        Ok(())
    }

    pub async fn credentials(&self, email: &str) -> AppResult<Option<Credentials>> {
        let row: Option<(String, String)> = on_read!(self, pool => {
            sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(pool)
                .await?
        });
        let Some((id, password_hash)) = row else {
            return Ok(None);
        };
        let user = self
            .user(parse_id(&id)?)
            .await?
            .ok_or(AppError::NotFound("That user"))?;
        Ok(Some(Credentials {
            user,
            password_hash,
        }))
    }

    pub async fn list_users(&self) -> AppResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name, email");
        let rows: Vec<UserRow> =
            on_read!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        let memberships = self.memberships(None).await?;
        rows.into_iter()
            .map(|row| {
                let teams = memberships
                    .iter()
                    .filter(|m| m.user_id == row.id)
                    .map(|m| {
                        Ok(TeamRef {
                            id: parse_id(&m.team_id)?,
                            name: m.team_name.clone(),
                        })
                    })
                    .collect::<AppResult<Vec<_>>>()?;
                to_user(row, teams)
            })
            .collect()
    }

    pub async fn user_count(&self) -> AppResult<i64> {
        Ok(on_read!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await?
        }))
    }

    pub async fn list_teams(&self) -> AppResult<Vec<Team>> {
        type Row = (
            String,
            String,
            i64,
            i64,
            Option<String>,
            Option<String>,
            String,
        );
        let rows: Vec<Row> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT t.id, t.name, t.created_at, \
                 (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id) AS member_count, \
                 t.welcome_text, t.closing_text, t.assignment \
                 FROM teams t ORDER BY t.name",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(
                |(id, name, created_at, member_count, welcome_text, closing_text, assignment)| {
                    Ok(Team {
                        id: parse_id(&id)?,
                        name,
                        member_count,
                        created_at,
                        welcome_text,
                        closing_text,
                        assignment: assignment.parse().unwrap_or_default(),
                    })
                },
            )
            .collect()
    }

    pub async fn team_by_name(&self, name: &str) -> AppResult<Option<TeamId>> {
        let id: Option<String> = on_read!(self, pool => {
            sqlx::query_scalar("SELECT id FROM teams WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
        });
        id.map(|id| parse_id(&id)).transpose()
    }
}
