//! `POST /v1/identify`: validates the body, applies the identity rules, and returns the
//! profile's `hgid` and `deviceId`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::ApiError;
use crate::identify::{self, Invalid};
use crate::logging::ProfileNote;
use crate::merge::{self, Outcome};
use crate::routes::app::AppState;
use crate::routes::cors::X_REQUEST_ID;
use crate::routes::limits::body_error;
use crate::switches::{Counter, TestSwitches};

/// Maximum length of a request id, in characters.
const MAX_REQUEST_ID_CHARS: usize = 128;

/// Handles an identify call. Nothing is stored unless every field is valid.
///
/// The body is read whatever its `Content-Type`, so a client that sends JSON as `text/plain`
/// to avoid a CORS preflight is served too.
pub async fn identify(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if let Some(switches) = &state.switches {
        if let Some(fault) = inject(switches).await {
            return Ok(fault);
        }
    }

    let body = body.map_err(body_error)?;
    let request_id = request_id(&headers)?;
    let request = identify::parse(&body, &state.custom_attributes).map_err(invalid_body)?;

    let switches = state.switches.clone();
    let identified = state
        .store
        .run(move |connection| {
            let identified = merge::identify(connection, &request, request_id.as_deref())?;
            // Counted here, after the commit, because a client that hangs up drops the handler
            // but not this blocking task.
            if let Some(switches) = switches {
                switches.count(match identified.outcome {
                    Outcome::Repeated => Counter::Repeated,
                    Outcome::Created | Outcome::Updated => Counter::Applied,
                });
            }
            Ok(identified)
        })
        .await?;

    let mut response = Json(json!({
        "hgid": identified.hgid,
        "deviceId": identified.device_id,
    }))
    .into_response();
    response.extensions_mut().insert(ProfileNote {
        hgid: identified.hgid,
        outcome: identified.outcome.as_str(),
    });
    Ok(response)
}

/// Counts the request, waits for the injected delay, if any, and returns the injected fault's
/// response, if any.
async fn inject(switches: &TestSwitches) -> Option<Response> {
    switches.count(Counter::Received);
    let injection = switches.next_injection()?;
    if !injection.delay.is_zero() {
        tokio::time::sleep(injection.delay).await;
    }
    let (status, retry_after) = injection.fault?;

    switches.count(Counter::Faulted);
    tracing::info!(
        status = status.as_u16(),
        "responding with an injected fault"
    );
    let error = ApiError {
        status,
        message: "injected fault".to_string(),
        field: None,
    };
    let mut response = error.into_response();
    if let Some(value) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Some(response)
}

/// Reads the optional request id: 1 to 128 visible ASCII characters.
fn request_id(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(X_REQUEST_ID) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    let visible = text.bytes().all(|b| b.is_ascii_graphic());
    if text.is_empty() || text.len() > MAX_REQUEST_ID_CHARS || !visible {
        return Err(ApiError::bad_request(format!(
            "invalid x-request-id header: expected 1 to {MAX_REQUEST_ID_CHARS} visible ASCII \
             characters"
        )));
    }
    Ok(Some(text.to_string()))
}

fn invalid_body(invalid: Invalid) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        message: invalid.message,
        field: invalid.field,
    }
}
