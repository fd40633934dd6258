//! The durable jobs table: enqueue, claim with a lease (`FOR UPDATE SKIP
//! LOCKED` on Postgres), complete, and fail with backoff or dead-letter.
//! Every change after a claim is fenced by the lease token, so a worker whose
//! lease expired can no longer touch a job someone else now runs.

use super::{Store, Tx};
use crate::error::AppResult;
use crate::{on_read, on_tx};
use shared::JobId;
use uuid::Uuid;

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const DEAD: &str = "dead";

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    #[sqlx(try_from = "String")]
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub lease_until: Option<i64>,
    pub lease_token: Option<String>,
    pub last_error: Option<String>,
}

impl Job {
    /// The payload as JSON; `Err` says why the job cannot run.
    /// Whether this attempt was its last: a failure now makes it dead.
    pub fn is_last_attempt(&self) -> bool {
        self.attempts >= self.max_attempts
    }

    pub fn payload_json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.payload).map_err(|e| e.to_string())
    }

    /// The id the payload names under `key` (`message`, `contact`, …).
    pub fn names<T: std::str::FromStr>(&self, key: &str) -> Result<T, String> {
        named(&self.payload_json()?, key)
    }
}

/// The id `payload` names under `key`; `Err` says why the job cannot run.
pub fn named<T: std::str::FromStr>(payload: &serde_json::Value, key: &str) -> Result<T, String> {
    payload[key]
        .as_str()
        .and_then(|raw| raw.parse().ok())
        .ok_or_else(|| format!("the job names no {key}"))
}

#[derive(Clone, Debug)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: i64,
    pub max_attempts: i64,
}

impl NewJob {
    pub fn now(kind: &str, payload: serde_json::Value, now: i64) -> Self {
        NewJob {
            kind: kind.to_owned(),
            payload,
            run_at: now,
            max_attempts: 8,
        }
    }
}

const JOB_COLUMNS: &str =
    "id, kind, payload, status, attempts, max_attempts, run_at, lease_until, lease_token, last_error";

pub async fn enqueue(tx: &mut Tx, now: i64, job: &NewJob) -> AppResult<JobId> {
    let id = JobId(Uuid::new_v4());
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at) \
             VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $6)",
        )
        .bind(id.to_string())
        .bind(&job.kind)
        .bind(job.payload.to_string())
        .bind(job.max_attempts)
        .bind(job.run_at)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(id)
}

/// Enqueues several jobs with one statement.
pub async fn enqueue_many(tx: &mut Tx, now: i64, jobs: &[NewJob]) -> AppResult<()> {
    for chunk in jobs.chunks(tx.backend().batch_rows(9)) {
        let sql = format!(
            "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at) \
             VALUES {}",
            super::value_rows(chunk.len(), 9, 1)
        );
        on_tx!(tx, c => {
            let mut query = sqlx::query(&sql);
            for job in chunk {
                query = query
                    .bind(Uuid::new_v4().to_string())
                    .bind(&job.kind)
                    .bind(job.payload.to_string())
                    .bind(QUEUED)
                    .bind(0_i64)
                    .bind(job.max_attempts)
                    .bind(job.run_at)
                    .bind(now)
                    .bind(now);
            }
            query.execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

/// Delay before retry `attempt` (1-based): exponential from 1 s, capped at
/// one hour, plus up to 50 % jitter so failing jobs do not retry in lockstep.
pub fn backoff_ms(attempt: i64, jitter: f64) -> i64 {
    let base = 1_000_i64.saturating_mul(1_i64 << attempt.clamp(1, 22).saturating_sub(1));
    let capped = base.min(3_600_000);
    capped + (capped as f64 * 0.5 * jitter.clamp(0.0, 1.0)) as i64
}

impl Store {
    pub async fn enqueue_job(&self, now: i64, job: &NewJob) -> AppResult<JobId> {
        let mut tx = self.begin().await?;
        let id = enqueue(&mut tx, now, job).await?;
        self.commit(tx).await?;
        Ok(id)
    }

    /// Claims up to `limit` due jobs (queued and due, or running with an
    /// expired lease) for `lease_ms`, each with a fresh lease token.
    pub async fn claim_jobs(&self, now: i64, lease_ms: i64, limit: i64) -> AppResult<Vec<Job>> {
        let token = Uuid::new_v4().to_string();
        let lock = self.backend().for_update_skip_locked();
        let sql = format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $2, \
             lease_token = $3, updated_at = $1 \
             WHERE id IN (SELECT id FROM jobs WHERE \
                 (status = 'queued' AND run_at <= $1) OR (status = 'running' AND lease_until < $1) \
                 ORDER BY run_at LIMIT $4{lock}) \
             RETURNING {JOB_COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let mut jobs: Vec<Job> = on_tx!(&mut tx, c => {
            sqlx::query_as(&sql)
                .bind(now)
                .bind(now + lease_ms)
                .bind(&token)
                .bind(limit)
                .fetch_all(&mut *c)
                .await?
        });
        tx.commit_quietly().await?;
        jobs.sort_by_key(|j| j.run_at);
        Ok(jobs)
    }

    /// Extends a running job's lease; false when the lease was lost.
    pub async fn extend_lease(&self, job: &Job, lease_until: i64) -> AppResult<bool> {
        self.fenced_update(
            job,
            "UPDATE jobs SET lease_until = $3 WHERE id = $1 AND lease_token = $2 AND status = 'running'",
            lease_until,
        )
        .await
    }

    /// Marks a job done; false when the lease was lost (another worker owns it).
    pub async fn complete_job(&self, job: &Job, now: i64) -> AppResult<bool> {
        self.fenced_update(
            job,
            "UPDATE jobs SET status = 'done', lease_until = NULL, updated_at = $3 \
             WHERE id = $1 AND lease_token = $2 AND status = 'running'",
            now,
        )
        .await
    }

    /// Records a failure: back to `queued` at `run_at` (or after the backoff),
    /// or `dead` when out of attempts. False when the lease was lost.
    pub async fn fail_job(
        &self,
        job: &Job,
        now: i64,
        error: &str,
        run_at: Option<i64>,
        jitter: f64,
    ) -> AppResult<bool> {
        let dead = job.is_last_attempt();
        let run_at = run_at.unwrap_or_else(|| now + backoff_ms(job.attempts, jitter));
        let status = if dead { DEAD } else { QUEUED };
        let error: String = error.chars().take(2_000).collect();
        let sql = "UPDATE jobs SET status = $3, run_at = $4, last_error = $5, lease_until = NULL, \
                   lease_token = NULL, updated_at = $6 \
                   WHERE id = $1 AND lease_token = $2 AND status = 'running'";
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, c => {
            sqlx::query(sql)
                .bind(job.id.to_string())
                .bind(&job.lease_token)
                .bind(status)
                .bind(run_at)
                .bind(&error)
                .bind(now)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        tx.commit_quietly().await?;
        Ok(n == 1)
    }

    /// Hands a claimed job that was not started back to the queue, as if it
    /// had never been claimed (the server is stopping).
    pub async fn release_job(&self, job: &Job, now: i64) -> AppResult<bool> {
        self.fenced_update(
            job,
            "UPDATE jobs SET status = 'queued', attempts = attempts - 1, lease_until = NULL, \
             lease_token = NULL, updated_at = $3 WHERE id = $1 AND lease_token = $2 AND status = 'running'",
            now,
        )
        .await
    }

    /// Runs `sql` with binds (job id, lease token, `third`) if the lease is still ours.
    async fn fenced_update(&self, job: &Job, sql: &str, third: i64) -> AppResult<bool> {
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, c => {
            sqlx::query(sql)
                .bind(job.id.to_string())
                .bind(&job.lease_token)
                .bind(third)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        tx.commit_quietly().await?;
        Ok(n == 1)
    }

    pub async fn job(&self, id: JobId) -> AppResult<Option<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        Ok(
            on_read!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await?),
        )
    }

    /// Jobs waiting or running, for `/metrics`.
    pub async fn job_queue_depth(&self) -> AppResult<i64> {
        Ok(on_read!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")
                .fetch_one(pool)
                .await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(1, 0.0), 1_000);
        assert_eq!(backoff_ms(2, 0.0), 2_000);
        assert_eq!(backoff_ms(5, 0.0), 16_000);
        assert_eq!(backoff_ms(40, 0.0), 3_600_000);
        assert_eq!(backoff_ms(1, 1.0), 1_500);
    }
}
