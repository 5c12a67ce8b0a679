//! `GET /v1/users/{hgid}`: a stored profile, to check what the SDK sent.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;

use crate::error::ApiError;
use crate::profile;
use crate::routes::app::AppState;

/// Returns the stored profile as JSON, or 404 when no profile has this `hgid`.
pub async fn get_profile(
    State(state): State<Arc<AppState>>,
    Path(hgid): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let key = hgid.clone();
    let found = state
        .store
        .run(move |connection| Ok(profile::find_by_hgid(connection, &key)?))
        .await?;
    match found {
        Some(stored) => Ok(Json(stored.to_json())),
        None => Err(ApiError::unknown_hgid(&hgid)),
    }
}
