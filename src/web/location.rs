//! The visitor's position from the Geolocation API, asked once: at `init`, or at the first
//! call that allows it when the visitor had opted out. js/io.js makes the request.

use alloc::string::String;
use alloc::vec;

use super::global::Global;
use super::{console, io};
use crate::fields;
use crate::value::{Number, Value};
use core::cell::RefCell;
use wasm_bindgen::prelude::*;

/// How long a call waits for a pending answer, in milliseconds.
pub const MAX_WAIT_MS: f64 = 3000.0;

/// The answer of the Geolocation API.
#[derive(Clone)]
pub enum Location {
    /// Not asked (no `askLocation`, or no Geolocation API).
    Unavailable,
    /// Not asked yet: `askLocation` is set, but the visitor had opted out at `init`.
    Deferred,
    /// Requested; the browser has not responded yet.
    Pending,
    /// The `currentLocation` text of the visitor's position.
    Known(String),
}

/// The page's position, or the reason it is missing.
pub static CURRENT: Global<RefCell<Location>> = Global(RefCell::new(Location::Unavailable));

/// Asks the browser for the position once; the result lands in [`CURRENT`] through [`located`].
pub fn ask() {
    *CURRENT.borrow_mut() = Location::Pending;
    if !io::ask_location() {
        console::debug(&["the Geolocation API is not available; location is left out"]);
        *CURRENT.borrow_mut() = Location::Unavailable;
    }
}

/// Stores the browser's result: the position, or NaN for none, each number with the text
/// `String(n)` gives it.
#[wasm_bindgen(js_name = coreLocated)]
pub fn located(latitude: f64, longitude: f64, latitude_text: String, longitude_text: String) {
    let number = |value, text| Value::Number(Number { value, text });
    let value = Value::Object(vec![
        ("latitude".into(), number(latitude, latitude_text)),
        ("longitude".into(), number(longitude, longitude_text)),
    ]);
    *CURRENT.borrow_mut() = match fields::location(&value) {
        Ok(location) => {
            console::debug(&["position known: ", &location]);
            Location::Known(location)
        }
        Err(_) => Location::Unavailable,
    };
}
