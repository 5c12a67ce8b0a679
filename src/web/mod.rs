//! Browser glue: the functions the JavaScript shim calls, and thin wrappers of the browser APIs.

mod console;
mod convert;
mod exports;
mod global;
mod http;
mod io;
mod location;
mod sdk;
mod storage;
