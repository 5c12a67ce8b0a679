//! `POST /v1/identify`: validates the body, applies the identity rules, and returns the
//! profile's `hgid` and `deviceId`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::ApiError;
use crate::identify::{self, Invalid};
use crate::logging::ProfileNote;
use crate::merge;
use crate::routes::app::AppState;
use crate::routes::cors::X_REQUEST_ID;
use crate::routes::limits::body_error;

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
    let body = body.map_err(body_error)?;
    let request_id = request_id(&headers)?;
    let request = identify::parse(&body, &state.custom_attributes).map_err(invalid_body)?;

    let identified = state
        .store
        .run(move |connection| merge::identify(connection, &request, request_id.as_deref()))
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
