//! herogi: the browser identify SDK of the Herogi customer data platform.
//!
//! The browser-free core (argument shifting, field rules, request bodies, identity rules) is plain
//! Rust, tested natively and shared with the local Identify API server, so the SDK and the server
//! apply the same rules. The browser glue lives in `web` and is compiled for wasm32 only.
#![deny(missing_docs)]

pub mod args;
pub mod config;
pub mod error;
pub mod fields;
pub mod identity;
pub mod iso;
pub mod json;
pub mod payload;
pub mod value;

#[cfg(target_arch = "wasm32")]
mod web;
