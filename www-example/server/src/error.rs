//! The error response of the API: a status and the JSON body `{"code", "message", "field"}`.

use std::fmt::Display;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// A failed request: its HTTP status, a message that names the problem and the fix, and the
/// body field at fault, if any.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status of the response, also sent as `code`.
    pub status: StatusCode,
    /// A readable message, starting in lower case.
    pub message: String,
    /// The body field at fault (`"email"`), for invalid input.
    pub field: Option<String>,
}

impl ApiError {
    /// Makes a 400 error about the request as a whole.
    pub fn bad_request(message: String) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message,
            field: None,
        }
    }

    /// Makes a 401 error, whose response carries the `WWW-Authenticate` challenge.
    pub fn unauthorized(message: &str) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: message.to_string(),
            field: None,
        }
    }

    /// Makes a 404 error.
    pub fn not_found(message: String) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message,
            field: None,
        }
    }

    /// Makes a 404 error for an `hgid` that no profile has.
    pub fn unknown_hgid(hgid: &str) -> ApiError {
        ApiError::not_found(format!(
            "unknown hgid {hgid}: identify again without an hgid to get a new one"
        ))
    }

    /// Makes a 500 error and logs its cause, which the response leaves out.
    pub fn internal(context: &str, cause: impl Display) -> ApiError {
        tracing::error!(error = %cause, "{context}");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("internal error: {context}"),
            field: None,
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> ApiError {
        ApiError::internal("database query failed", error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Server errors were logged with their cause when they were made. A 404 is routine
        // (a page requests a missing file, or an SDK sends a stale hgid), so it logs at info.
        let status = self.status.as_u16();
        let field = self.field.as_deref();
        if self.status == StatusCode::NOT_FOUND {
            tracing::info!(status, field, "request rejected: {}", self.message);
        } else if self.status.is_client_error() {
            tracing::warn!(status, field, "request rejected: {}", self.message);
        }

        let mut body = json!({ "code": self.status.as_u16(), "message": self.message });
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"herogi\""),
            );
        }
        response
    }
}
