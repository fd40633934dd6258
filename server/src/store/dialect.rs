//! Every place where SQLite and PostgreSQL need different SQL, in one file.
//! The rest of the store is written once, in SQL both accept (`$n`
//! placeholders, `ON CONFLICT … DO NOTHING`, `RETURNING`); a new difference
//! belongs here, named for what it does, not in a `match` at the call site.

use super::{Backend, Tx};

impl Tx {
    /// Which SQL this transaction speaks.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

impl Backend {
    /// Appended to a `SELECT` in a write transaction that reads rows and then
    /// changes them: PostgreSQL locks the rows until commit. SQLite needs
    /// nothing, as `BEGIN IMMEDIATE` already holds its one write lock.
    pub fn for_update(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// The hidden column naming a row of a table without a key (to delete
    /// one of several equal rows).
    pub fn row_id(self) -> &'static str {
        match self {
            Backend::Sqlite => "rowid",
            Backend::Postgres => "ctid",
        }
    }

    /// How many rows of `cols` values one multi-row statement takes.
    /// SQLite files every numbered parameter in a list it searches from
    /// the start (when it prepares the statement, and again when sqlx binds
    /// `$N` by name), so a statement's cost grows with the square of its
    /// parameters: 1,000 messages of 12 values in one statement took
    /// 185 ms, in statements of about 500 values a fraction of that (see
    /// BENCHMARKS.md). PostgreSQL binds by position and gains from fewer
    /// round trips: up to 1,000 rows.
    pub fn batch_rows(self, cols: usize) -> usize {
        match self {
            Backend::Sqlite => (500 / cols.max(1)).max(1),
            Backend::Postgres => (65_535 / cols.max(1)).clamp(1, 1000),
        }
    }

    /// [`Backend::for_update`] for the rows of the table aliased `alias`
    /// only, when the query joins others that must stay unlocked.
    pub fn for_update_of(self, alias: &str) -> String {
        match self {
            Backend::Sqlite => String::new(),
            Backend::Postgres => format!(" FOR UPDATE OF {alias}"),
        }
    }

    /// Appended to the sub-select that picks work for one worker: rows
    /// another node is claiming are skipped, not waited for.
    pub fn for_update_skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// One multi-row insert of `rows` pairs (message id, space-separated
    /// terms) into the full-text index: an FTS5 table on SQLite, a tsvector
    /// column on PostgreSQL. A message indexed twice keeps its first entry.
    pub fn insert_search_terms(self, rows: usize) -> String {
        let values = value_rows(rows, 2, 1);
        match self {
            Backend::Sqlite => {
                format!("INSERT INTO message_search (message_id, terms) VALUES {values}")
            }
            // Terms never hold a space (see `crate::search::index_terms`).
            Backend::Postgres => format!(
                "INSERT INTO message_search (message_id, terms) \
                 SELECT id, array_to_tsvector(string_to_array(terms, ' ')) \
                 FROM (VALUES {values}) AS batch (id, terms) ON CONFLICT DO NOTHING"
            ),
        }
    }

    /// The query for message ids whose index holds every one of `terms`,
    /// newest first, each with its place in the index (binds: the match
    /// text, `LIMIT`, and the place to read before: keyset paging, so the
    /// fiftieth window costs what the first does), and the match text to
    /// bind as `$1`.
    pub fn search_candidates(self, terms: &[String]) -> (&'static str, String) {
        match self {
            Backend::Sqlite => (
                "SELECT message_id, rowid FROM message_search WHERE message_search MATCH $1 \
                 AND rowid < $3 ORDER BY rowid DESC LIMIT $2",
                terms
                    .iter()
                    .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
                    .collect::<Vec<_>>()
                    .join(" AND "),
            ),
            Backend::Postgres => (
                "SELECT message_id, n FROM message_search WHERE terms @@ $1::tsquery \
                 AND n < $3 ORDER BY n DESC LIMIT $2",
                terms
                    .iter()
                    .map(|t| format!("'{}'", t.replace('\'', "''").replace('\\', "\\\\")))
                    .collect::<Vec<_>>()
                    .join(" & "),
            ),
        }
    }
}

/// Tells the other nodes that the log grew to `seq`, delivered when `tx`
/// commits; they then read it from their own last `seq`. A SQLite database
/// has one node, which the store wakes itself.
pub(super) async fn announce_appended(tx: &mut Tx, seq: i64) -> Result<(), sqlx::Error> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(super::notify::EVENTS_CHANNEL)
            .bind(seq.to_string())
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Placeholders for `count` values numbered from `$first`: `$1, $2, $3`.
/// Both backends read them.
pub fn marks(count: usize, first: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Placeholders for a multi-row statement: `rows` groups of `cols` values,
/// numbered from `$first`: `($1, $2), ($3, $4)`.
pub fn value_rows(rows: usize, cols: usize, first: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", marks(cols, first + row * cols)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_rows_number_every_value_once() {
        assert_eq!(marks(3, 4), "$4, $5, $6");
        assert_eq!(marks(0, 1), "");
        assert_eq!(value_rows(2, 3, 2), "($2, $3, $4), ($5, $6, $7)");
        assert_eq!(value_rows(1, 1, 1), "($1)");
        assert_eq!(value_rows(0, 4, 1), "");
    }

    #[test]
    fn sqlite_statements_stay_small_and_postgres_ones_take_a_thousand_rows() {
        assert_eq!(Backend::Sqlite.batch_rows(12), 41);
        assert_eq!(Backend::Sqlite.batch_rows(1), 500);
        assert_eq!(Backend::Sqlite.batch_rows(900), 1);
        assert_eq!(Backend::Postgres.batch_rows(12), 1000);
        assert_eq!(Backend::Postgres.batch_rows(100), 655);
    }

    #[test]
    fn only_postgres_locks_rows() {
        assert_eq!(Backend::Sqlite.for_update(), "");
        assert_eq!(Backend::Postgres.for_update(), " FOR UPDATE");
        assert_eq!(Backend::Postgres.for_update_of("v"), " FOR UPDATE OF v");
        assert_eq!(Backend::Sqlite.for_update_of("v"), "");
        assert!(Backend::Postgres
            .for_update_skip_locked()
            .ends_with("SKIP LOCKED"));
    }

    #[test]
    fn search_terms_are_quoted_for_each_index() {
        let terms = vec!["還款".to_owned(), "a\"b".to_owned(), "it's".to_owned()];
        let (_, sqlite) = Backend::Sqlite.search_candidates(&terms);
        assert_eq!(sqlite, "\"還款\" AND \"a\"\"b\" AND \"it's\"");
        let (_, postgres) = Backend::Postgres.search_candidates(&terms);
        assert_eq!(postgres, "'還款' & 'a\"b' & 'it''s'");
    }
}
