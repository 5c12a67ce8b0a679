//! The router: the API routes behind Basic auth, static files for every other path, and the
//! CORS, logging and body-size layers around them all.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::auth::{self, Credentials, Guard};
use crate::db::Store;
use crate::error::ApiError;
use crate::logging;
use crate::routes::cors::{self, AllowedOrigins};
use crate::routes::limits::{self, BODY_IDLE_TIMEOUT, MAX_BODY_BYTES};
use crate::routes::{admin, identify, static_files, users};
use crate::switches::TestSwitches;

/// The state that the API handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The keys that `customAttributes` may hold; others are dropped.
    pub custom_attributes: BTreeSet<String>,
    /// The test switches, when the server runs with them.
    pub switches: Option<Arc<TestSwitches>>,
}

/// Path prefix of the API, where every request needs the app's credentials.
const API_PREFIX: &str = "/v1/";

/// Path prefix of the test switches, which need the credentials too.
const ADMIN_PREFIX: &str = "/admin/";

/// Builds the router of the whole server.
pub fn router(
    state: AppState,
    credentials: Credentials,
    origins: AllowedOrigins,
    static_dirs: &[PathBuf],
) -> Router {
    let api = Router::new()
        .route(
            "/v1/identify",
            post(identify::identify).fallback(method_not_allowed),
        )
        .route(
            "/v1/users/{hgid}",
            get(users::get_profile).fallback(method_not_allowed),
        )
        .with_state(Arc::new(state.clone()));

    // Without the switches, the admin paths fall through to the static files and get 404.
    let mut protected = vec![API_PREFIX];
    let api = match state.switches {
        Some(switches) => {
            protected.push(ADMIN_PREFIX);
            api.merge(admin::routes(switches))
        }
        None => api,
    };

    let files = static_files::serve.with_state(Arc::new(static_files::directories(static_dirs)));
    let guard = Arc::new(Guard::new(credentials, protected));

    // The last layer added runs first. Logging records every response, preflights included, and
    // CORS responds to preflights before auth, which guards every API path, known or not.
    api.fallback_service(files)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyTimeoutLayer::new(BODY_IDLE_TIMEOUT))
        .layer(middleware::from_fn(limits::reject_declared_oversize))
        .layer(middleware::from_fn_with_state(
            guard,
            auth::require_basic_auth,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::new(origins),
            cors::handle,
        ))
        .layer(middleware::from_fn(logging::trace_request))
}

/// Rejects a method that the route does not serve with 405; the router adds the `Allow` header.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: format!("method {method} is not allowed on {}", uri.path()),
        field: None,
    }
}
