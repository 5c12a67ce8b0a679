//! Static files from one or more directories, for the example page and the SDK build.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::error::ApiError;

/// Makes one file service per directory, in the order given.
pub fn directories(paths: &[PathBuf]) -> Vec<ServeDir> {
    paths.iter().map(ServeDir::new).collect()
}

/// Serves a `GET` or `HEAD` request from the first directory that has the file, with
/// `index.html` for a directory, or responds 404 when none has it.
pub async fn serve(State(directories): State<Arc<Vec<ServeDir>>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let not_found = || {
        ApiError::not_found(format!("not found: {} {}", parts.method, parts.uri.path()))
            .into_response()
    };
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return not_found();
    }

    for directory in directories.iter() {
        let mut probe = Request::new(Body::empty());
        *probe.method_mut() = parts.method.clone();
        *probe.uri_mut() = parts.uri.clone();
        *probe.version_mut() = parts.version;
        *probe.headers_mut() = parts.headers.clone();

        let response = match directory.clone().oneshot(probe).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        if response.status() != StatusCode::NOT_FOUND {
            return response.map(Body::new);
        }
    }
    not_found()
}
