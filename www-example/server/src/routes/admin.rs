//! The test-switch endpoints under `/admin/`, mounted only with `--test-switches`. The
//! `switches` module describes what they do.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value as JsonValue};

use crate::error::ApiError;
use crate::routes::app::method_not_allowed;
use crate::routes::limits::body_error;
use crate::switches::{FaultPlan, Stats, TestSwitches};

/// Maximum `count` of a fault setting.
const MAX_COUNT: u64 = 10_000;

/// Maximum `delayMs` of a fault setting, long enough to outlast a client's request timeout. A
/// delay over the 10 s shutdown grace period lets a stop cut the delayed request off.
const MAX_DELAY_MS: u64 = 30_000;

/// Maximum length of `retryAfter`, in characters.
const MAX_RETRY_AFTER_CHARS: usize = 64;

/// The fields of a `POST /admin/faults` body.
const FAULT_FIELDS: &str = "status, count, retryAfter, delayMs";

/// Builds the routes of the test switches.
pub fn routes(switches: Arc<TestSwitches>) -> Router {
    Router::new()
        .route(
            "/admin/faults",
            post(set_faults).fallback(method_not_allowed),
        )
        .route("/admin/stats", get(stats).fallback(method_not_allowed))
        .route(
            "/admin/stats/reset",
            post(reset_stats).fallback(method_not_allowed),
        )
        .with_state(switches)
}

/// Replaces the fault plan and returns it.
async fn set_faults(
    State(switches): State<Arc<TestSwitches>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<JsonValue>, ApiError> {
    let body = body.map_err(body_error)?;
    let plan = parse_plan(&body)?;
    tracing::info!(
        status = plan.status.map(|status| status.as_u16()),
        count = plan.remaining,
        delay_ms = plan.delay.as_millis() as u64,
        "fault plan set"
    );
    switches.set_plan(plan.clone());
    Ok(Json(plan_json(&plan)))
}

/// Returns the identify counters.
async fn stats(State(switches): State<Arc<TestSwitches>>) -> Json<Stats> {
    Json(switches.stats())
}

/// Sets the identify counters to zero and returns them.
async fn reset_stats(State(switches): State<Arc<TestSwitches>>) -> Json<Stats> {
    switches.reset_stats();
    Json(switches.stats())
}

/// Writes a plan in the form of the request body.
fn plan_json(plan: &FaultPlan) -> JsonValue {
    json!({
        "status": plan.status.map_or(200, |status| status.as_u16()),
        "count": plan.remaining,
        "retryAfter": plan.retry_after.as_ref().and_then(|value| value.to_str().ok()),
        "delayMs": plan.delay.as_millis() as u64,
    })
}

/// Parses a `POST /admin/faults` body.
fn parse_plan(body: &[u8]) -> Result<FaultPlan, ApiError> {
    let json: JsonValue = serde_json::from_slice(body)
        .map_err(|error| invalid(None, format!("invalid JSON body: {error}")))?;
    let JsonValue::Object(members) = json else {
        return Err(invalid(
            None,
            format!("the body must be a JSON object with the fields {FAULT_FIELDS}"),
        ));
    };

    let mut plan = FaultPlan::default();
    let mut count = None;
    for (name, value) in &members {
        match name.as_str() {
            "status" => plan.status = fault_status(value)?,
            "count" => count = Some(whole_number("count", value, MAX_COUNT)?),
            "retryAfter" => plan.retry_after = retry_after(value)?,
            "delayMs" => {
                plan.delay = Duration::from_millis(whole_number("delayMs", value, MAX_DELAY_MS)?)
            }
            _ => {
                let escaped: String = name.escape_debug().take(64).collect();
                return Err(invalid(
                    Some(&escaped),
                    format!(
                        "unknown field \"{escaped}\": the body may contain only {FAULT_FIELDS}"
                    ),
                ));
            }
        }
    }

    let count = count.ok_or_else(|| {
        invalid(
            Some("count"),
            "count is missing: give the number of identify requests the setting applies to, \
             or 0 to clear it"
                .to_string(),
        )
    })?;
    // MAX_COUNT fits in a u32.
    plan.remaining = count as u32;
    Ok(plan)
}

/// Reads `status`: 200 (or null) for a delay only, or an error status from 400 to 599.
fn fault_status(value: &JsonValue) -> Result<Option<StatusCode>, ApiError> {
    let rule = || {
        invalid(
            Some("status"),
            "status must be 200 or an error status from 400 to 599".to_string(),
        )
    };
    if value.is_null() {
        return Ok(None);
    }
    let code = value.as_u64().ok_or_else(rule)?;
    match code {
        200 => Ok(None),
        400..=599 => Ok(Some(StatusCode::from_u16(code as u16).map_err(|_| rule())?)),
        _ => Err(rule()),
    }
}

/// Reads a whole number from 0 to `max`.
fn whole_number(name: &str, value: &JsonValue, max: u64) -> Result<u64, ApiError> {
    value
        .as_u64()
        .filter(|number| *number <= max)
        .ok_or_else(|| {
            invalid(
                Some(name),
                format!("{name} must be a whole number from 0 to {max}"),
            )
        })
}

/// Reads `retryAfter`: null, or 1 to 64 visible ASCII characters sent as the header's value.
fn retry_after(value: &JsonValue) -> Result<Option<HeaderValue>, ApiError> {
    if value.is_null() {
        return Ok(None);
    }
    let rule = || {
        invalid(
            Some("retryAfter"),
            format!(
                "retryAfter must be the text of a Retry-After header, such as \"2\": 1 to \
                 {MAX_RETRY_AFTER_CHARS} visible ASCII characters or spaces"
            ),
        )
    };
    let text = value.as_str().ok_or_else(rule)?;
    let printable = text.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if text.is_empty() || text.len() > MAX_RETRY_AFTER_CHARS || !printable {
        return Err(rule());
    }
    HeaderValue::from_str(text).map(Some).map_err(|_| rule())
}

fn invalid(field: Option<&str>, message: String) -> ApiError {
    let mut error = ApiError::bad_request(message);
    error.field = field.map(str::to_string);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_setting() {
        let body = br#"{"status": 503, "count": 2, "retryAfter": "2", "delayMs": 0}"#;
        let plan = parse_plan(body).unwrap();
        assert_eq!(plan.status, Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(plan.remaining, 2);
        assert_eq!(plan.retry_after, Some(HeaderValue::from_static("2")));
        assert_eq!(plan.delay, Duration::ZERO);
    }

    #[test]
    fn status_200_or_missing_is_delay_only() {
        for body in [
            &br#"{"count": 1, "delayMs": 250}"#[..],
            br#"{"status": 200, "count": 1, "delayMs": 250}"#,
        ] {
            let plan = parse_plan(body).unwrap();
            assert_eq!(plan.status, None);
            assert_eq!(plan.delay, Duration::from_millis(250));
        }
    }

    #[test]
    fn rejects_bad_settings_by_field() {
        let cases: [(&[u8], Option<&str>); 11] = [
            (b"{", None),
            (b"[]", None),
            (br#"{"status": 503}"#, Some("count")),
            (br#"{"status": 302, "count": 1}"#, Some("status")),
            (br#"{"status": "503", "count": 1}"#, Some("status")),
            (br#"{"count": -1}"#, Some("count")),
            (br#"{"count": 1.5}"#, Some("count")),
            (br#"{"count": 1, "delayMs": 30001}"#, Some("delayMs")),
            (br#"{"count": 1, "retryAfter": 2}"#, Some("retryAfter")),
            (br#"{"count": 1, "retryAfter": "a\nb"}"#, Some("retryAfter")),
            (br#"{"count": 1, "when": "now"}"#, Some("when")),
        ];
        for (body, field) in cases {
            let error = parse_plan(body).unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST);
            assert_eq!(
                error.field.as_deref(),
                field,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
