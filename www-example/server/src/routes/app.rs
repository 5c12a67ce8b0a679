//! The router: the API routes behind Basic auth, static files for every other path, and the
//! CORS, logging and body-size layers around them all.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::auth::{self, Credentials};
use crate::db::Store;
use crate::logging;
use crate::routes::limits::{self, BODY_IDLE_TIMEOUT, MAX_BODY_BYTES};
use crate::routes::{cors, identify, static_files, users};

/// The state that the API handlers share.
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The keys that `customAttributes` may hold; others are dropped.
    pub custom_attributes: BTreeSet<String>,
}

/// Builds the router of the whole server.
pub fn router(state: AppState, credentials: Credentials, static_dirs: &[PathBuf]) -> Router {
    let api = Router::new()
        .route("/v1/identify", post(identify::identify))
        .route("/v1/users/{hgid}", get(users::get_profile))
        .route_layer(middleware::from_fn_with_state(
            Arc::new(credentials),
            auth::require_basic_auth,
        ))
        .with_state(Arc::new(state));

    let files = static_files::serve.with_state(Arc::new(static_files::directories(static_dirs)));

    // The last layer added runs first, so logging records every response, preflights included.
    api.fallback_service(files)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyTimeoutLayer::new(BODY_IDLE_TIMEOUT))
        .layer(middleware::from_fn(limits::reject_declared_oversize))
        .layer(cors::layer())
        .layer(middleware::from_fn(cors::preflight_no_content))
        .layer(middleware::from_fn(logging::trace_request))
}
