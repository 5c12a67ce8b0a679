//! Console output: quiet by default, one warning per distinct problem, everything in debug mode.

use super::global::Global;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use wasm_bindgen::JsValue;

static DEBUG: Global<Cell<bool>> = Global(Cell::new(false));
static WARNED: Global<RefCell<Vec<&'static str>>> = Global(RefCell::new(Vec::new()));

const PREFIX: &str = "herogi: ";

/// Turns debug logging on or off.
pub fn set_debug(on: bool) {
    DEBUG.set(on);
}

/// Logs what the SDK does, in debug mode only.
pub fn debug(parts: &[&str]) {
    if DEBUG.get() {
        web_sys::console::log_1(&line(parts));
    }
}

/// Logs a warning with a value that the console shows expanded.
pub fn warn_with(parts: &[&str], value: &JsValue) {
    web_sys::console::warn_2(&line(parts), value);
}

/// Logs a warning once per `key` for the page's life.
pub fn warn_once(key: &'static str, parts: &[&str]) {
    let first = {
        let mut warned = WARNED.borrow_mut();
        let first = !warned.contains(&key);
        if first {
            warned.push(key);
        }
        first
    };
    if first {
        web_sys::console::warn_1(&line(parts));
    }
}

/// Logs an error the page must fix, such as an invalid `init`.
pub fn error(parts: &[&str]) {
    web_sys::console::error_1(&line(parts));
}

fn line(parts: &[&str]) -> JsValue {
    JsValue::from_str(&[&[PREFIX], parts].concat().concat())
}
