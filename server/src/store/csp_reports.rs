//! What browsers reported the CSP blocked, apart from the event log (anyone
//! can post a report): one row per distinct report, counted, the newest
//! [`KEPT`] kept.

use super::Store;
use crate::error::AppResult;
use crate::{on_read, on_tx};

/// Distinct reports kept.
pub const KEPT: i64 = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CspReport {
    pub directive: String,
    pub blocked: String,
    pub document: String,
    pub source: String,
    pub count: i64,
    pub first_at: i64,
    pub last_at: i64,
}

impl Store {
    /// Counts one report (a new row, or one more of a known one).
    pub async fn record_csp_report(
        &self,
        now: i64,
        directive: &str,
        blocked: &str,
        document: &str,
        source: &str,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO csp_reports (directive, blocked, document, source, count, first_at, last_at) \
                 VALUES ($1, $2, $3, $4, 1, $5, $5) \
                 ON CONFLICT (directive, blocked, document) DO UPDATE SET \
                   count = csp_reports.count + 1, last_at = excluded.last_at, source = excluded.source",
            )
            .bind(directive)
            .bind(blocked)
            .bind(document)
            .bind(source)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        on_tx!(&mut tx, c => {
            sqlx::query(
                "DELETE FROM csp_reports WHERE last_at < \
                 (SELECT last_at FROM csp_reports ORDER BY last_at DESC LIMIT 1 OFFSET $1)",
            )
            .bind(KEPT - 1)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        self.commit(tx).await?;
        Ok(())
    }

    /// The kept reports, most recently seen first.
    pub async fn csp_reports(&self) -> AppResult<Vec<CspReport>> {
        Ok(on_read!(self, pool => {
            sqlx::query_as(
                "SELECT directive, blocked, document, source, count, first_at, last_at \
                 FROM csp_reports ORDER BY last_at DESC",
            )
            .fetch_all(pool)
            .await?
        }))
    }
}
