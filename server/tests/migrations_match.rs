//! The SQLite and PostgreSQL migrations are two hand-kept copies of one
//! schema. This test normalises both folders (comments, spacing, the case
//! of words outside quotes, the integer and byte type names) and fails when
//! a migration exists on one backend only or a pair says different things.
//!
//! A statement that must differ (full-text search: FTS5 against tsvector)
//! is marked in both files by a comment line `-- dialect: <why>` directly
//! before it, and is then compared by what it creates, not how; one that
//! exists on one backend only is marked `-- dialect only: <why>`. Migrations
//! already applied somewhere cannot gain a marker (sqlx checksums every
//! file), so those few are listed in `KNOWN_DIALECT_STATEMENTS` instead.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Statements of already-applied migrations that differ by design: the
/// file and the start of the normalised statement on each side.
const KNOWN_DIALECT_STATEMENTS: &[(&str, &str, &str)] = &[(
    "0005_search.sql",
    "create virtual table message_search using fts5",
    "create table message_search",
)];

/// Statements of already-applied migrations on one backend only: the file,
/// the backend, and the start of the normalised statement.
const KNOWN_ONE_BACKEND_STATEMENTS: &[(&str, &str, &str)] = &[(
    "0005_search.sql",
    "postgres",
    "create index message_search_terms on message_search using gin",
)];

/// What differs only in spelling between the two dialects.
const SAME_TYPES: &[(&str, &str)] = &[
    ("bigint", "int"),
    ("integer", "int"),
    ("smallint", "int"),
    ("bytea", "bytes"),
    ("blob", "bytes"),
];

fn folder(backend: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend)
}

fn migration_names(backend: &str) -> BTreeSet<String> {
    std::fs::read_dir(folder(backend))
        .expect("migrations folder")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .collect()
}

/// How a comment line marked the statement after it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mark {
    None,
    /// `-- dialect:`: written differently on purpose.
    Dialect,
    /// `-- dialect only:`: on this backend only.
    OneBackend,
}

/// One statement, normalised, and how it was marked.
#[derive(Debug, PartialEq)]
struct Statement {
    text: String,
    mark: Mark,
}

/// A word as both dialects mean it: lowercased, type names unified.
fn normalise_word(word: &str) -> String {
    let word = word.to_lowercase();
    SAME_TYPES
        .iter()
        .find(|(dialect, _)| *dialect == word)
        .map_or(word, |(_, common)| (*common).to_owned())
}

/// One statement being read: its tokens so far and how it was marked.
#[derive(Default)]
struct Reading {
    tokens: Vec<String>,
    word: String,
    mark: Option<Mark>,
}

impl Reading {
    fn end_word(&mut self) {
        if !self.word.is_empty() {
            let word = normalise_word(&self.word);
            self.tokens.push(word);
            self.word.clear();
        }
    }

    fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.word.is_empty()
    }
}

/// Splits a migration into normalised statements. Quoted text ('…', "…",
/// $$…$$) stays verbatim and may hold `;` or `--`; comments are dropped,
/// but a `-- dialect:` or `-- dialect only:` comment marks the statement
/// that follows it.
fn statements(sql: &str) -> Vec<Statement> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut current = Reading::default();
    let mut pending_mark = None;
    let mut i = 0;
    let quoted_until = |start: usize, close: &str| -> usize {
        let rest: String = chars[start..].iter().collect();
        rest.find(close).map_or(chars.len(), |at| {
            start + rest[..at].chars().count() + close.chars().count()
        })
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '-' && next == Some('-') {
            let end = (i..chars.len())
                .find(|&k| chars[k] == '\n')
                .unwrap_or(chars.len());
            let comment: String = chars[i + 2..end].iter().collect();
            let comment = comment.trim_start();
            let mark = if comment.starts_with("dialect only:") {
                Some(Mark::OneBackend)
            } else if comment.starts_with("dialect:") {
                Some(Mark::Dialect)
            } else {
                None
            };
            if mark.is_some() {
                if current.is_empty() {
                    current.mark = mark;
                } else {
                    pending_mark = mark;
                }
            }
            current.end_word();
            i = end;
            continue;
        }
        let close = match (c, next) {
            ('\'', _) => Some("'"),
            ('"', _) => Some("\""),
            ('$', Some('$')) => Some("$$"),
            _ => None,
        };
        if let Some(close) = close {
            current.end_word();
            let open = close.chars().count();
            let end = quoted_until(i + open, close);
            current
                .tokens
                .push(chars[i..end.min(chars.len())].iter().collect());
            i = end;
            continue;
        }
        match c {
            ';' => {
                current.end_word();
                if !current.tokens.is_empty() {
                    out.push(Statement {
                        text: current.tokens.join(" "),
                        mark: current.mark.unwrap_or(Mark::None),
                    });
                }
                current = Reading {
                    mark: pending_mark.take(),
                    ..Reading::default()
                };
            }
            '(' | ')' | ',' | '=' => {
                current.end_word();
                current.tokens.push(c.to_string());
            }
            c if c.is_whitespace() => current.end_word(),
            c => current.word.push(c),
        }
        i += 1;
    }
    current.end_word();
    if !current.tokens.is_empty() {
        out.push(Statement {
            text: current.tokens.join(" "),
            mark: current.mark.unwrap_or(Mark::None),
        });
    }
    out
}

/// The statements of `file` on `backend` that both backends must share.
fn shared_statements(file: &str, backend: &str, sql: &str) -> Vec<Statement> {
    statements(sql)
        .into_iter()
        .filter(|s| s.mark != Mark::OneBackend)
        .filter(|s| {
            !KNOWN_ONE_BACKEND_STATEMENTS
                .iter()
                .any(|(f, b, start)| *f == file && *b == backend && s.text.starts_with(start))
        })
        .collect()
}

/// The name a `CREATE …` statement gives (a table, index or view), so a
/// dialect-marked pair is still checked to create the same thing.
fn created_name(statement: &str) -> Option<&str> {
    let words: Vec<&str> = statement.split(' ').collect();
    let at = words
        .iter()
        .position(|w| matches!(*w, "table" | "index" | "view"))?;
    words
        .iter()
        .skip(at + 1)
        .find(|w| !matches!(**w, "if" | "not" | "exists"))
        .copied()
}

fn known_dialect(file: &str, sqlite: &str, postgres: &str) -> bool {
    KNOWN_DIALECT_STATEMENTS
        .iter()
        .any(|(f, s, p)| *f == file && sqlite.starts_with(s) && postgres.starts_with(p))
}

/// Every way the pair `file` drifted, as sentences.
fn drift(file: &str, sqlite: &str, postgres: &str) -> Vec<String> {
    let sqlite = shared_statements(file, "sqlite", sqlite);
    let postgres = shared_statements(file, "postgres", postgres);
    let mut problems = Vec::new();
    if sqlite.len() != postgres.len() {
        problems.push(format!(
            "{file}: {} statements for SQLite, {} for PostgreSQL",
            sqlite.len(),
            postgres.len()
        ));
    }
    for (s, p) in sqlite.iter().zip(&postgres) {
        if s.text == p.text {
            continue;
        }
        let marked = (s.mark == Mark::Dialect && p.mark == Mark::Dialect)
            || known_dialect(file, &s.text, &p.text);
        let same_thing = created_name(&s.text).is_some_and(|n| Some(n) == created_name(&p.text));
        if marked && same_thing {
            continue;
        }
        problems.push(format!(
            "{file}: the backends differ\n  sqlite:   {}\n  postgres: {}",
            s.text, p.text
        ));
    }
    problems
}

#[test]
fn every_migration_exists_for_both_backends() {
    let sqlite = migration_names("sqlite");
    let postgres = migration_names("postgres");
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "migrations on one backend only: SQLite {only_sqlite:?}, PostgreSQL {only_postgres:?}"
    );
}

#[test]
fn the_two_migration_folders_say_the_same_thing() {
    let mut problems = Vec::new();
    for name in migration_names("sqlite").intersection(&migration_names("postgres")) {
        let read = |backend: &str| {
            std::fs::read_to_string(folder(backend).join(name)).expect("read migration")
        };
        problems.extend(drift(name, &read("sqlite"), &read("postgres")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_changed_column_type_is_drift() {
    let sqlite = "CREATE TABLE t (id TEXT PRIMARY KEY, at INTEGER NOT NULL);";
    let postgres = "create table t (\n  id text primary key, -- the id\n  at BIGINT not null\n);";
    assert!(drift("x.sql", sqlite, postgres).is_empty());
    let drifted = "CREATE TABLE t (id TEXT PRIMARY KEY, at TEXT NOT NULL);";
    assert_eq!(drift("x.sql", drifted, postgres).len(), 1);
}

#[test]
fn a_statement_on_one_side_only_is_drift_unless_marked() {
    let sqlite = "CREATE TABLE t (id TEXT); CREATE INDEX t_id ON t (id);";
    let postgres = "CREATE TABLE t (id TEXT);";
    assert!(!drift("x.sql", sqlite, postgres).is_empty());
    let marked =
        "CREATE TABLE t (id TEXT);\n-- dialect only: SQLite needs it\nCREATE INDEX t_id ON t (id);";
    assert!(drift("x.sql", marked, postgres).is_empty());
}

#[test]
fn a_marked_dialect_statement_may_differ_but_must_create_the_same_thing() {
    let sqlite = "-- dialect: full-text search\nCREATE VIRTUAL TABLE s USING fts5(terms);";
    let postgres = "-- dialect: full-text search\nCREATE TABLE s (terms TSVECTOR);";
    assert!(drift("x.sql", sqlite, postgres).is_empty());
    let other = "-- dialect: full-text search\nCREATE TABLE other (terms TSVECTOR);";
    assert_eq!(drift("x.sql", sqlite, other).len(), 1);
    let unmarked = "CREATE TABLE s (terms TSVECTOR);";
    assert_eq!(drift("x.sql", sqlite, unmarked).len(), 1);
}

#[test]
fn quoted_text_is_compared_as_written() {
    let sqlite = "CREATE TABLE t (s TEXT DEFAULT 'none', k TEXT DEFAULT '--; x');";
    let postgres = "CREATE TABLE t (s TEXT DEFAULT 'None', k TEXT DEFAULT '--; x');";
    assert_eq!(drift("x.sql", sqlite, postgres).len(), 1);
    assert!(drift("x.sql", sqlite, sqlite).is_empty());
    assert_eq!(statements(sqlite).len(), 1, "a ; in quotes ends nothing");
}

#[test]
fn a_mark_needs_both_sides_to_create_the_same_named_thing() {
    let sqlite = "-- dialect: x\nINSERT INTO t VALUES (1);";
    let postgres = "-- dialect: x\nINSERT INTO t VALUES (2);";
    assert_eq!(drift("x.sql", sqlite, postgres).len(), 1);
    let trailing = "CREATE TABLE a (id TEXT); -- dialect: for the next one\nCREATE VIRTUAL TABLE s USING fts5(terms);";
    let other =
        "CREATE TABLE a (id TEXT);\n-- dialect: for the next one\nCREATE TABLE s (terms TSVECTOR);";
    assert!(drift("x.sql", trailing, other).is_empty());
}
