//! The SQLite database: opening it, its schema, and running queries off the async threads.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::Connection;

use crate::error::ApiError;

/// The schema version that this server writes, kept in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

/// Profiles, one row per visitor. The opt-ins default to `OPTIN` when a request never gave them,
/// and `custom_attributes` is the JSON text of an object.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS profiles (
    hgid              TEXT PRIMARY KEY NOT NULL,
    device_id         TEXT NOT NULL,
    external_user_id  TEXT UNIQUE,
    email             TEXT,
    mobile_no         TEXT,
    firstname         TEXT,
    lastname          TEXT,
    city              TEXT,
    gender            TEXT,
    language          TEXT,
    country           TEXT,
    timezone          TEXT,
    current_location  TEXT,
    facebook_id       TEXT,
    twitter_id        TEXT,
    line_id           TEXT,
    email_optin       TEXT NOT NULL DEFAULT 'OPTIN',
    sms_optin         TEXT NOT NULL DEFAULT 'OPTIN',
    push_optin        TEXT NOT NULL DEFAULT 'OPTIN',
    web_push_optin    TEXT NOT NULL DEFAULT 'OPTIN',
    location_optin    TEXT NOT NULL DEFAULT 'OPTIN',
    custom_attributes TEXT NOT NULL DEFAULT '{}',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS identify_requests (
    request_id TEXT PRIMARY KEY NOT NULL,
    hgid       TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX IF NOT EXISTS identify_requests_by_age ON identify_requests (created_at);
";

/// The current UTC time as SQLite writes it in the tables, such as `2024-05-01T12:00:00.123Z`.
pub const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// The one connection to the database, shared by the request handlers.
///
/// A single connection behind a mutex serialises every query, which is plenty for a local
/// server and makes each identify call's read-then-write atomic with respect to the others.
#[derive(Clone)]
pub struct Store {
    connection: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens or creates the database at `path` (`:memory:` for one that lives in memory), in
    /// WAL mode, and creates the tables when missing.
    ///
    /// # Errors
    ///
    /// Fails when SQLite cannot open or set up the file, or when a newer version of this
    /// server wrote it.
    pub fn open(path: &Path) -> Result<Store, OpenError> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(5))?;

        // An in-memory database returns "memory" and stays in that mode.
        let mode: String =
            connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;

        // In WAL mode, FULL makes SQLite fsync the WAL at every commit, and a 200 is sent only
        // after the commit, so a write that got a 200 survives a power loss or an OS crash (on a
        // disk that honours fsync). NORMAL would survive a killed process too, because the OS keeps
        // the written WAL, but its last commits may roll back after a power loss (SQLite 3.54,
        // PRAGMA synchronous and WAL documentation).
        connection.pragma_update(None, "synchronous", "FULL")?;
        tracing::debug!(journal_mode = %mode, synchronous = "FULL", "database opened");

        let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(OpenError::NewerSchema(version));
        }
        create_tables(&connection)?;

        Ok(Store {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `work` with the connection on a blocking thread, so SQLite's file I/O never stalls
    /// the async runtime.
    ///
    /// # Errors
    ///
    /// Returns the error of `work`, or an internal error when the blocking task panicked.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        let task = tokio::task::spawn_blocking(move || {
            // A panic while the lock was held left no open transaction: dropping a rusqlite
            // transaction rolls it back. So the connection is still usable.
            let mut guard = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut guard)
        });
        match task.await {
            Ok(result) => result,
            Err(join_error) => Err(ApiError::internal("database task failed", join_error)),
        }
    }

    /// Checkpoints the WAL into the database file and closes the connection. SQLite then
    /// removes the `-wal` and `-shm` files.
    ///
    /// # Errors
    ///
    /// Returns the SQLite error when the checkpoint or the close fails.
    pub fn close(self) -> rusqlite::Result<()> {
        match Arc::try_unwrap(self.connection) {
            Ok(mutex) => {
                let connection = mutex.into_inner().unwrap_or_else(PoisonError::into_inner);
                connection.close().map_err(|(_, error)| error)
            }
            // A query that outlived the grace period still holds a reference. Every committed
            // write is in the WAL already, so a checkpoint is all that is left to do.
            Err(shared) => {
                let connection = shared.lock().unwrap_or_else(PoisonError::into_inner);
                connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            }
        }
    }
}

/// Creates the tables that are missing and records the schema version.
///
/// # Errors
///
/// Returns the SQLite error when a statement fails.
pub fn create_tables(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch(SCHEMA)?;
    connection.pragma_update(None, "user_version", SCHEMA_VERSION)
}

/// A database that could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// SQLite failed to open the file or to create the tables.
    Sqlite(rusqlite::Error),
    /// The file has a schema version newer than this server writes.
    NewerSchema(i64),
}

impl From<rusqlite::Error> for OpenError {
    fn from(error: rusqlite::Error) -> OpenError {
        OpenError::Sqlite(error)
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Sqlite(error) => write!(f, "{error}"),
            OpenError::NewerSchema(version) => write!(
                f,
                "the database has schema version {version}, newer than this server's \
                 {SCHEMA_VERSION}: use a newer herogi-server or another --db file"
            ),
        }
    }
}

impl std::error::Error for OpenError {}
