//! Console output: quiet by default, one warning per distinct problem, everything in debug mode.

use super::global::Global;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;

static DEBUG: Global<Cell<bool>> = Global(Cell::new(false));
static WARNED: Global<RefCell<Vec<&'static str>>> = Global(RefCell::new(Vec::new()));

const PREFIX: &str = "herogi: ";

// A page may replace a console method with one that throws, or remove `console`. The imports
// are marked `catch`, so such an exception returns here as an `Err` that is ignored, instead of
// unwinding through the wasm frames and skipping their clean-up.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = log, catch)]
    fn console_log(line: &str) -> Result<(), JsValue>;

    #[wasm_bindgen(js_namespace = console, js_name = warn, catch)]
    fn console_warn(line: &str) -> Result<(), JsValue>;

    #[wasm_bindgen(js_namespace = console, js_name = error, catch)]
    fn console_error(line: &str) -> Result<(), JsValue>;
}

/// Turns debug logging on or off.
pub fn set_debug(on: bool) {
    DEBUG.set(on);
}

/// Logs what the SDK does, in debug mode only.
pub fn debug(parts: &[&str]) {
    if DEBUG.get() {
        let _ = console_log(&line(parts));
    }
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
        let _ = console_warn(&line(parts));
    }
}

/// Logs an error the page must fix, such as an invalid `init`.
pub fn error(parts: &[&str]) {
    let _ = console_error(&line(parts));
}

fn line(parts: &[&str]) -> alloc::string::String {
    [&[PREFIX], parts].concat().concat()
}
