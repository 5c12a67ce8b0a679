//! The HTTP routes and the layers around them.

mod admin;
pub mod app;
pub mod cors;
mod identify;
mod limits;
mod static_files;
mod users;
