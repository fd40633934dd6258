//! What the supervisor's floor reads beyond counts (issue 14 §5): the
//! conversations under SLA pressure, and today's figures with the
//! conversations behind each.

use super::sla::headline_of;
use super::{stored, Store};
use crate::error::AppResult;
use crate::on_read;
use shared::assignment::{FigureItem, TodayFigures, Waiting};
use shared::sla::SlaMetric;
use shared::TeamId;
use std::collections::HashMap;

/// At most this many conversations stand behind one figure.
const MOST: i64 = 2_000;

/// A team's conversations under SLA pressure.
#[derive(Default)]
pub struct Pressure {
    pub breached: Vec<Waiting>,
    pub at_risk: Vec<Waiting>,
}

impl Store {
    /// By team, the unresolved conversations whose SLA has breached, and
    /// those past their warning, at `now`; most pressing first.
    pub async fn sla_pressure(&self, now: i64) -> AppResult<HashMap<TeamId, Pressure>> {
        type Row = (
            String,
            String,
            Option<String>,
            String,
            i64,
            Option<String>,
            String,
        );
        let rows: Vec<Row> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT v.id, v.team_id, COALESCE(k.name, k.remark), k.open_id, \
                 COALESCE(v.waiting_since, v.last_message_at), u.name, v.sla \
                 FROM conversations v JOIN contacts k ON k.id = v.contact_id \
                 LEFT JOIN users u ON u.id = v.assignee \
                 WHERE v.sla IS NOT NULL AND v.status <> 'resolved' AND v.team_id IS NOT NULL",
            )
            .fetch_all(pool)
            .await?
        });
        let mut teams: HashMap<TeamId, Pressure> = HashMap::new();
        for (id, team, contact_name, open_id, waiting_since, assignee_name, sla) in rows {
            let Some(sla) = headline_of(Some(&sla)) else {
                continue;
            };
            let (breached, at_risk) = (sla.breached(now), sla.at_risk(now));
            if !breached && !at_risk {
                continue;
            }
            let waiting = Waiting {
                id: stored(&id)?,
                contact_name,
                open_id,
                waiting_since,
                assignee_name,
                sla: Some(sla),
            };
            let pressure = teams.entry(stored(&team)?).or_default();
            if breached {
                pressure.breached.push(waiting);
            } else {
                pressure.at_risk.push(waiting);
            }
        }
        let due = |w: &Waiting| {
            w.sla
                .as_ref()
                .and_then(|s| s.breached_at.or(s.due_at))
                .unwrap_or(i64::MAX)
        };
        for pressure in teams.values_mut() {
            pressure.breached.sort_by_key(due);
            pressure.at_risk.sort_by_key(due);
        }
        Ok(teams)
    }

    /// Each team's figures since `day_start` (a Hong Kong midnight).
    pub async fn today_figures(&self, day_start: i64) -> AppResult<HashMap<TeamId, TodayFigures>> {
        let mut teams: HashMap<TeamId, TodayFigures> = HashMap::new();
        // Conversations that came in today, and the first reply by a person.
        type InRow = (
            String,
            String,
            Option<String>,
            String,
            i64,
            Option<i64>,
            Option<String>,
        );
        let rows: Vec<InRow> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT v.id, v.team_id, COALESCE(k.name, k.remark), k.open_id, v.created_at, \
                 (SELECT MIN(m.created_at) FROM messages m WHERE m.conversation_id = v.id \
                    AND m.direction = 'out' AND m.author IS NOT NULL), \
                 (SELECT m.author FROM messages m WHERE m.conversation_id = v.id \
                    AND m.direction = 'out' AND m.author IS NOT NULL ORDER BY m.position LIMIT 1) \
                 FROM conversations v JOIN contacts k ON k.id = v.contact_id \
                 WHERE v.created_at >= $1 AND v.team_id IS NOT NULL ORDER BY v.created_at LIMIT $2",
            )
            .bind(day_start)
            .bind(MOST)
            .fetch_all(pool)
            .await?
        });
        for (id, team, contact_name, open_id, created_at, replied_at, by) in rows {
            let figures = teams.entry(stored(&team)?).or_default();
            let item = FigureItem {
                id: stored(&id)?,
                contact_name,
                open_id,
                at: created_at,
                ms: None,
                agent: None,
                metric: None,
            };
            if let Some(replied_at) = replied_at {
                figures.first_responses.push(FigureItem {
                    at: replied_at,
                    ms: Some(replied_at - created_at),
                    agent: by.as_deref().map(stored).transpose()?,
                    ..item.clone()
                });
            }
            figures.came_in.push(item);
        }
        // Resolved today, timed from the client's first message after the
        // resolve before (or the first ever).
        type ResolvedRow = (
            String,
            String,
            Option<String>,
            String,
            i64,
            Option<String>,
            Option<i64>,
        );
        let rows: Vec<ResolvedRow> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT e.conversation_id, v.team_id, COALESCE(k.name, k.remark), k.open_id, e.created_at, e.author, \
                 (SELECT MIN(m.created_at) FROM messages m WHERE m.conversation_id = e.conversation_id \
                    AND m.direction = 'in' AND m.position < e.position \
                    AND m.position > COALESCE((SELECT MAX(p.position) FROM messages p \
                      WHERE p.conversation_id = e.conversation_id AND p.direction = 'activity' \
                      AND p.kind = 'resolved' AND p.position < e.position), 0)) \
                 FROM messages e JOIN conversations v ON v.id = e.conversation_id \
                 JOIN contacts k ON k.id = v.contact_id \
                 WHERE e.direction = 'activity' AND e.kind = 'resolved' AND e.created_at >= $1 \
                   AND v.team_id IS NOT NULL \
                 ORDER BY e.created_at LIMIT $2",
            )
            .bind(day_start)
            .bind(MOST)
            .fetch_all(pool)
            .await?
        });
        for (id, team, contact_name, open_id, at, by, started_at) in rows {
            teams
                .entry(stored(&team)?)
                .or_default()
                .resolved
                .push(FigureItem {
                    id: stored(&id)?,
                    contact_name,
                    open_id,
                    at,
                    ms: started_at.map(|started| at - started),
                    agent: by.as_deref().map(stored).transpose()?,
                    metric: None,
                });
        }
        // SLA breaches recorded today.
        type BreachRow = (String, String, Option<String>, String, i64, String);
        let rows: Vec<BreachRow> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT b.conversation_id, b.team_id, COALESCE(k.name, k.remark), k.open_id, b.breached_at, b.metric \
                 FROM sla_breaches b JOIN conversations v ON v.id = b.conversation_id \
                 JOIN contacts k ON k.id = v.contact_id \
                 WHERE b.breached_at >= $1 AND b.team_id IS NOT NULL ORDER BY b.breached_at LIMIT $2",
            )
            .bind(day_start)
            .bind(MOST)
            .fetch_all(pool)
            .await?
        });
        for (id, team, contact_name, open_id, at, metric) in rows {
            teams
                .entry(stored(&team)?)
                .or_default()
                .breaches
                .push(FigureItem {
                    id: stored(&id)?,
                    contact_name,
                    open_id,
                    at,
                    ms: None,
                    agent: None,
                    metric: Some(stored::<SlaMetric>(&metric)?),
                });
        }
        Ok(teams)
    }
}
