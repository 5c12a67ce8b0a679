//! `GET /v1/users/{hgid}`: a stored profile, to check what the SDK sent.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::error::ApiError;
use crate::logging::ProfileNote;
use crate::profile;
use crate::routes::app::AppState;

/// Returns the stored profile as JSON, or 404 when no profile has this `hgid`.
pub async fn get_profile(
    State(state): State<Arc<AppState>>,
    Path(hgid): Path<String>,
) -> Result<Response, ApiError> {
    let key = hgid.clone();
    let found = state
        .store
        .run(move |connection| Ok(profile::find_by_hgid(connection, &key)?))
        .await?;
    let Some(stored) = found else {
        return Err(ApiError::unknown_hgid(&hgid));
    };
    let mut response = Json(stored.to_json()).into_response();
    response.extensions_mut().insert(ProfileNote {
        hgid,
        outcome: "read",
    });
    Ok(response)
}
