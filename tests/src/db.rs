//! Test databases: a SQLite file in a temp dir, or a PostgreSQL database
//! named `harbour_test_<uuid>` created for one test and dropped after it.

use std::path::PathBuf;

pub use harbour_server::store::Backend;

/// The server PostgreSQL tests connect to; `HARBOUR_TEST_POSTGRES` overrides.
pub fn postgres_base() -> String {
    std::env::var("HARBOUR_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Whether PostgreSQL answers. Under `CI=true` an unreachable server is a
/// failure, never a silent skip.
pub async fn postgres_available() -> bool {
    let url = format!("{}/postgres", postgres_base());
    let ok = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        use sqlx::Connection;
        sqlx::PgConnection::connect(&url).await.is_ok()
    })
    .await
    .unwrap_or(false);
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("PostgreSQL is not reachable at {} and CI=true: start it (pg_ctlcluster 15 main start)", postgres_base());
        }
        eprintln!(
            "skipping: PostgreSQL is not reachable at {}",
            postgres_base()
        );
    }
    ok
}

pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("harbour.db").display());
                TestDb {
                    backend,
                    url,
                    dir,
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let name = format!("harbour_test_{}", uuid::Uuid::new_v4().simple());
                admin_exec(&format!("CREATE DATABASE {name}")).await;
                let url = format!("{}/{name}", postgres_base());
                TestDb {
                    backend,
                    url,
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// Runs `sql` over a connection of its own, behind Harbour's back, as
    /// someone with SQL access would: a test setting a scene, or an attacker.
    pub async fn execute(&self, sql: &str) {
        use sqlx::Connection;
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("open SQLite");
                sqlx::query(sql).execute(&mut conn).await.expect(sql);
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(sql).execute(&mut conn).await.expect(sql);
            }
        }
    }

    /// Runs `sql` and says whether the database accepted it (a guard
    /// refusing it is an `Err` with the database's message).
    pub async fn try_execute(&self, sql: &str) -> Result<(), String> {
        use sqlx::Connection;
        let result = match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("open SQLite");
                sqlx::query(sql).execute(&mut conn).await.map(drop)
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(sql).execute(&mut conn).await.map(drop)
            }
        };
        result.map_err(|e| e.to_string())
    }

    /// Runs `sql` as an attacker with full write access would: first
    /// dropping the triggers that keep the event log append-only.
    pub async fn tamper(&self, sql: &str) {
        let drops: &[&str] = match self.backend {
            Backend::Sqlite => &[
                "DROP TRIGGER IF EXISTS events_refuse_delete",
                "DROP TRIGGER IF EXISTS events_refuse_update",
            ],
            Backend::Postgres => &[
                "DROP TRIGGER IF EXISTS events_guard ON events",
                "DROP TRIGGER IF EXISTS events_refuse_truncate ON events",
            ],
        };
        for drop in drops {
            self.execute(drop).await;
        }
        self.execute(sql).await;
    }

    /// Reads rows with `sql` over a connection of its own: what a test
    /// checks in the database itself, not through Harbour.
    pub async fn query<T>(&self, sql: &str) -> Vec<T>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        use sqlx::Connection;
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("open SQLite");
                sqlx::query_as(sql).fetch_all(&mut conn).await.expect(sql)
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query_as(sql).fetch_all(&mut conn).await.expect(sql)
            }
        }
    }

    /// A store on this database, migrated.
    pub async fn store(&self) -> harbour_server::store::Store {
        let store = harbour_server::store::Store::connect(
            &self.url,
            &harbour_server::store::StoreOptions::default(),
        )
        .await
        .expect("connect");
        store.migrate().await.expect("migrate");
        store
    }
}

async fn admin_exec(sql: &str) {
    use sqlx::Connection;
    let url = format!("{}/postgres", postgres_base());
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(sql).execute(&mut conn).await.expect(sql);
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Drop runs outside async; use a private runtime on its own thread.
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(admin_exec(&sql));
                }
            })
            .join();
        }
    }
}

/// Appends `n` test events, one transaction each, at times 1000, 1001, …
pub async fn write_test_events(store: &harbour_server::store::Store, n: usize) {
    use harbour_server::store::events::{append, NewEvent};
    for i in 0..n {
        let mut tx = store.begin().await.expect("begin");
        append(
            &mut tx,
            1_000 + i as i64,
            &[NewEvent::new(
                "test.written",
                None,
                serde_json::json!({ "i": i, "text": "還款 repayment" }),
            )],
        )
        .await
        .expect("append");
        store.commit(tx).await.expect("commit");
    }
}
