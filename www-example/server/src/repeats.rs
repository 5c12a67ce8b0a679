//! Request ids of identify calls that succeeded, so a client's retry of a call that did reach
//! the server gets the same response and changes nothing.

use rusqlite::{Connection, OptionalExtension};

use crate::db::NOW;

/// How long a request id is remembered. A client retries a call for minutes, not days.
const KEEP_FOR: &str = "-1 day";

/// Finds the `hgid` and device id that an earlier call with this request id returned.
///
/// # Errors
///
/// Returns the SQLite error when the query fails.
pub fn find(
    connection: &Connection,
    request_id: &str,
) -> rusqlite::Result<Option<(String, String)>> {
    connection
        .query_row(
            "SELECT hgid, device_id FROM identify_requests WHERE request_id = ?1",
            [request_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
}

/// Records the response of a call with this request id, and forgets the ids older than a day, so
/// the table stays small.
///
/// # Errors
///
/// Returns the SQLite error when a statement fails.
pub fn record(
    connection: &Connection,
    request_id: &str,
    hgid: &str,
    device_id: &str,
) -> rusqlite::Result<()> {
    connection.execute(
        &format!(
            "DELETE FROM identify_requests \
             WHERE created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '{KEEP_FOR}')"
        ),
        [],
    )?;
    connection.execute(
        &format!(
            "INSERT INTO identify_requests (request_id, hgid, device_id, created_at) \
             VALUES (?1, ?2, ?3, {NOW})"
        ),
        [request_id, hgid, device_id],
    )?;
    Ok(())
}
