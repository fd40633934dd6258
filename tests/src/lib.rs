//! Shared test support: a real SQLite file or a fresh, uniquely named
//! PostgreSQL database per test (dropped afterwards), and `spawn_app`,
//! which runs the real server in-process on port 0.

pub mod app;
pub mod browser;
pub mod browser_desk;
pub mod db;
pub mod desk;
pub mod socket;

pub use app::{spawn_app, TestApp};
pub use db::{Backend, TestDb};

/// Generates one `#[tokio::test]` per backend for an `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::db::postgres_available().await {
                        super::$name($crate::Backend::Postgres).await
                    }
                }
            }
        )*
    };
}
