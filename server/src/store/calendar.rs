//! Where the calendar lives (see `crate::calendar`): teams' weekly hours and
//! dated exceptions, Hong Kong's general holidays, and closures. Each change
//! is written with its event by `crate::calendar_admin`.

use super::{Store, Tx};
use crate::calendar::{
    format_date, hong_kong_general_holidays, parse_date, Closure, ClosureReason, DayRule,
    Exception, Holiday, TeamCalendar, Window,
};
use crate::error::AppResult;
use crate::{on_read, on_tx};
use shared::api::{ClosureView, HolidayView, HoursException, TeamHours};
use shared::TeamId;

/// Marks that the built-in holidays were filled in, so holidays an admin
/// removes stay removed.
const HOLIDAYS_SEEDED: &str = "holidays_seeded";

#[derive(sqlx::FromRow)]
struct ClosureRow {
    id: String,
    reason: String,
    reason_text: Option<String>,
    teams: Option<String>,
    reply_en: Option<String>,
    reply_zh: Option<String>,
    starts_at: i64,
    ends_at: Option<i64>,
}

impl ClosureRow {
    fn view(self) -> ClosureView {
        ClosureView {
            id: self.id,
            reason: self.reason,
            text: self.reason_text,
            teams: self
                .teams
                .and_then(|t| serde_json::from_str::<Vec<TeamId>>(&t).ok()),
            reply_en: self.reply_en,
            reply_zh: self.reply_zh,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        }
    }
}

/// A closure as the calendar reads it.
pub fn closure_of(view: &ClosureView) -> Closure {
    Closure {
        starts_at: view.starts_at,
        ends_at: view.ends_at,
        reason: match view.reason.as_str() {
            "typhoon" => ClosureReason::Typhoon,
            "black_rainstorm" => ClosureReason::BlackRainstorm,
            _ => ClosureReason::Other {
                text: view.text.clone().unwrap_or_default(),
            },
        },
    }
}

const CLOSURE_COLUMNS: &str =
    "id, reason, reason_text, teams, reply_en, reply_zh, starts_at, ends_at";

impl Store {
    /// Fills in the built-in general holidays, once.
    pub async fn seed_holidays(&self) -> AppResult<()> {
        let mut tx = self.begin().await?;
        let first = on_tx!(&mut tx, c => {
            sqlx::query("INSERT INTO harbour_settings (name, value) VALUES ($1, '2027') ON CONFLICT (name) DO NOTHING")
                .bind(HOLIDAYS_SEEDED)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        if first == 1 {
            for holiday in hong_kong_general_holidays() {
                insert_holiday(&mut tx, &holiday).await?;
            }
        }
        Ok(self.commit(tx).await?)
    }

    pub async fn holidays(&self) -> AppResult<Vec<HolidayView>> {
        let rows: Vec<(String, String, String)> = on_read!(self, pool => {
            sqlx::query_as("SELECT date, name, name_zh FROM holidays ORDER BY date")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(date, name, name_zh)| HolidayView {
                date,
                name,
                name_zh,
            })
            .collect())
    }

    /// A team's weekly hours and exceptions, as stored.
    pub async fn team_hours(&self, team: TeamId) -> AppResult<TeamHours> {
        let windows: Vec<(i64, i64, i64)> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT weekday, start_min, end_min FROM team_hours WHERE team_id = $1 ORDER BY weekday, start_min",
            )
            .bind(team.to_string())
            .fetch_all(pool)
            .await?
        });
        let mut weekly = vec![Vec::new(); 7];
        for (weekday, start, end) in windows {
            if let (Some(day), Ok(start), Ok(end)) = (
                weekly.get_mut(usize::try_from(weekday).unwrap_or(usize::MAX)),
                u16::try_from(start),
                u16::try_from(end),
            ) {
                day.push(Window { start, end }.to_string());
            }
        }
        let exceptions: Vec<(String, bool, String)> = on_read!(self, pool => {
            sqlx::query_as("SELECT date, closed, windows FROM team_exceptions WHERE team_id = $1 ORDER BY date")
                .bind(team.to_string())
                .fetch_all(pool)
                .await?
        });
        Ok(TeamHours {
            weekly,
            exceptions: exceptions
                .into_iter()
                .map(|(date, closed, windows)| HoursException {
                    date,
                    closed,
                    windows: serde_json::from_str(&windows).unwrap_or_default(),
                })
                .collect(),
        })
    }

    /// Closures that have not ended by `now`, newest first.
    pub async fn closures(&self, now: i64) -> AppResult<Vec<ClosureView>> {
        let sql = format!(
            "SELECT {CLOSURE_COLUMNS} FROM closures WHERE ends_at IS NULL OR ends_at > $1 ORDER BY starts_at DESC"
        );
        let rows: Vec<ClosureRow> = on_read!(self, pool => {
            sqlx::query_as(&sql).bind(now).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(ClosureRow::view).collect())
    }

    pub async fn closure(&self, id: &str) -> AppResult<Option<ClosureView>> {
        let sql = format!("SELECT {CLOSURE_COLUMNS} FROM closures WHERE id = $1");
        let row: Option<ClosureRow> = on_read!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(ClosureRow::view))
    }

    /// The calendar of a conversation in `team`: with no team, open all
    /// day every day, and closed only by closures for every team.
    pub async fn calendar_of(
        &self,
        team: Option<TeamId>,
        now: i64,
    ) -> AppResult<(TeamCalendar, Vec<ClosureView>)> {
        if let Some(team) = team {
            return self.team_calendar(team, now).await;
        }
        let views: Vec<ClosureView> = self
            .closures(now)
            .await?
            .into_iter()
            .filter(|c| c.teams.is_none())
            .collect();
        let calendar = TeamCalendar::always_open(views.iter().map(closure_of).collect());
        Ok((calendar, views))
    }

    /// Everything that decides `team`'s hours at and after `now`, with the
    /// closures that apply to the team as the API shows them.
    pub async fn team_calendar(
        &self,
        team: TeamId,
        now: i64,
    ) -> AppResult<(TeamCalendar, Vec<ClosureView>)> {
        let stored = self.team_hours(team).await?;
        let mut hours = crate::calendar::WeeklyHours::default();
        for (day, windows) in hours.days.iter_mut().zip(&stored.weekly) {
            *day = windows.iter().filter_map(|w| Window::parse(w)).collect();
        }
        let holidays = self
            .holidays()
            .await?
            .into_iter()
            .filter_map(|h| {
                Some(Holiday {
                    date: parse_date(&h.date)?,
                    name: h.name,
                    name_zh: h.name_zh,
                })
            })
            .collect();
        let exceptions = stored
            .exceptions
            .iter()
            .filter_map(|e| {
                Some(Exception {
                    date: parse_date(&e.date)?,
                    rule: if e.closed {
                        DayRule::Closed
                    } else {
                        DayRule::Hours {
                            windows: e.windows.iter().filter_map(|w| Window::parse(w)).collect(),
                        }
                    },
                })
            })
            .collect();
        let views: Vec<ClosureView> = self
            .closures(now)
            .await?
            .into_iter()
            .filter(|c| c.teams.as_ref().is_none_or(|teams| teams.contains(&team)))
            .collect();
        let calendar = TeamCalendar {
            hours,
            holidays,
            exceptions,
            closures: views.iter().map(closure_of).collect(),
        };
        Ok((calendar, views))
    }
}

pub async fn insert_holiday(tx: &mut Tx, holiday: &Holiday) -> AppResult<bool> {
    let inserted = on_tx!(tx, c => {
        sqlx::query("INSERT INTO holidays (date, name, name_zh) VALUES ($1, $2, $3) ON CONFLICT (date) DO NOTHING")
            .bind(format_date(holiday.date))
            .bind(&holiday.name)
            .bind(&holiday.name_zh)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(inserted == 1)
}

pub async fn delete_holiday(tx: &mut Tx, date: &str) -> AppResult<bool> {
    let deleted = on_tx!(tx, c => {
        sqlx::query("DELETE FROM holidays WHERE date = $1")
            .bind(date)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(deleted == 1)
}

/// Replaces a team's weekly hours.
pub async fn set_team_hours(tx: &mut Tx, team: TeamId, weekly: &[Vec<Window>]) -> AppResult<()> {
    on_tx!(tx, c => {
        sqlx::query("DELETE FROM team_hours WHERE team_id = $1")
            .bind(team.to_string())
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    for (weekday, windows) in weekly.iter().enumerate() {
        for window in windows {
            on_tx!(tx, c => {
                sqlx::query("INSERT INTO team_hours (team_id, weekday, start_min, end_min) VALUES ($1, $2, $3, $4)")
                    .bind(team.to_string())
                    .bind(weekday as i64)
                    .bind(i64::from(window.start))
                    .bind(i64::from(window.end))
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
            });
        }
    }
    Ok(())
}

/// Sets (or, with `None`, removes) a team's exception on `date`.
pub async fn set_exception(
    tx: &mut Tx,
    team: TeamId,
    date: &str,
    rule: Option<(bool, &[String])>,
) -> AppResult<bool> {
    let changed = on_tx!(tx, c => {
        sqlx::query("DELETE FROM team_exceptions WHERE team_id = $1 AND date = $2")
            .bind(team.to_string())
            .bind(date)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    let Some((closed, windows)) = rule else {
        return Ok(changed == 1);
    };
    on_tx!(tx, c => {
        sqlx::query("INSERT INTO team_exceptions (team_id, date, closed, windows) VALUES ($1, $2, $3, $4)")
            .bind(team.to_string())
            .bind(date)
            .bind(closed)
            .bind(serde_json::to_string(windows).unwrap_or_else(|_| "[]".into()))
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(true)
}

pub async fn insert_closure(
    tx: &mut Tx,
    closure: &ClosureView,
    created_by: shared::UserId,
    now: i64,
) -> AppResult<()> {
    let teams = closure
        .teams
        .as_ref()
        .map(|t| serde_json::to_string(t).unwrap_or_else(|_| "[]".into()));
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO closures (id, reason, reason_text, teams, reply_en, reply_zh, starts_at, ends_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&closure.id)
        .bind(&closure.reason)
        .bind(&closure.text)
        .bind(teams)
        .bind(&closure.reply_en)
        .bind(&closure.reply_zh)
        .bind(closure.starts_at)
        .bind(closure.ends_at)
        .bind(created_by.to_string())
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Ends a closure at `now` unless it has ended already; false then.
pub async fn end_closure(tx: &mut Tx, id: &str, now: i64) -> AppResult<bool> {
    let ended = on_tx!(tx, c => {
        sqlx::query("UPDATE closures SET ends_at = $2 WHERE id = $1 AND (ends_at IS NULL OR ends_at > $2)")
            .bind(id)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(ended == 1)
}

/// Ends a closure at the time it was set to end.
pub const CLOSURE_END_JOB: &str = "closure.end";

/// The job that ends `closure` at `ends_at`.
pub fn closure_end_job(closure: &str, ends_at: i64, now: i64) -> super::jobs::NewJob {
    super::jobs::NewJob {
        run_at: ends_at,
        ..super::jobs::NewJob::now(
            CLOSURE_END_JOB,
            serde_json::json!({ "closure": closure, "ends_at": ends_at }),
            now,
        )
    }
}

/// The closure's set end came: records `closure.ended`, once, unless it was
/// ended by hand before (its end moved) or is gone.
pub async fn end_closure_on_schedule(
    store: &Store,
    now: i64,
    id: &str,
    ends_at: i64,
) -> AppResult<()> {
    if now < ends_at {
        return Ok(());
    }
    let Some(closure) = store.closure(id).await? else {
        return Ok(());
    };
    if closure.ends_at != Some(ends_at) {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    if !super::automation::claim_once(&mut tx, "closure.ended", id, "scheduled", now).await? {
        return Ok(());
    }
    let payload = serde_json::json!({ "closure": id, "ended_at": ends_at, "scheduled": true });
    super::events::append(
        &mut tx,
        now,
        &[super::events::NewEvent::new("closure.ended", None, payload)],
    )
    .await?;
    store.commit(tx).await?;
    Ok(())
}
