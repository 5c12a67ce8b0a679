//! The visitor's position from the Geolocation API, asked once: at `init`, or at the first
//! call that allows it when the visitor had opted out.

use alloc::string::String;
use alloc::vec;

use super::{console, convert};
use crate::fields;
use crate::value::Value;
use alloc::rc::Rc;
use core::cell::RefCell;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// How long a call waits for a pending answer, in milliseconds.
pub const MAX_WAIT_MS: f64 = 3000.0;

/// The answer of the Geolocation API.
#[derive(Clone)]
pub enum Location {
    /// Not asked (no `askLocation`, or no Geolocation API).
    Unavailable,
    /// Not asked yet: `askLocation` is set, but the visitor had opted out at `init`.
    Deferred,
    /// Asked; the promise resolves when the browser answers.
    Pending(Promise),
    /// The `currentLocation` text of the visitor's position.
    Known(String),
}

/// Asks the browser for the position once; the position or its absence lands in `cell`.
pub fn ask(cell: &Rc<RefCell<Location>>) {
    *cell.borrow_mut() = Location::Unavailable;
    let geolocation = web_sys::window().and_then(|window| window.navigator().geolocation().ok());
    let Some(geolocation) = geolocation else {
        console::debug(&["the Geolocation API is not available; location is left out"]);
        return;
    };

    let mut resolve_slot: Option<Function> = None;
    let ready = Promise::new(&mut |resolve, _| resolve_slot = Some(resolve));
    let resolve = resolve_slot.unwrap_or_else(|| Function::from(JsValue::UNDEFINED));
    *cell.borrow_mut() = Location::Pending(ready);

    let on_position = {
        let (cell, resolve) = (cell.clone(), resolve.clone());
        Closure::once_into_js(move |position: JsValue| {
            let coords = convert::get(&position, "coords");
            let coordinate = |key: &str| {
                convert::number(convert::get(&coords, key).as_f64().unwrap_or(f64::NAN))
            };
            let value = Value::Object(vec![
                ("latitude".into(), coordinate("latitude")),
                ("longitude".into(), coordinate("longitude")),
            ]);
            *cell.borrow_mut() = match fields::location(&value) {
                Ok(location) => {
                    console::debug(&["position known: ", &location]);
                    Location::Known(location)
                }
                Err(_) => Location::Unavailable,
            };
            let _ = resolve.call0(&JsValue::UNDEFINED);
        })
    };
    let on_error = {
        let cell = cell.clone();
        Closure::once_into_js(move |error: JsValue| {
            let message = convert::get(&error, "message")
                .as_string()
                .unwrap_or_default();
            console::debug(&["no position (", &message, "); location is left out"]);
            *cell.borrow_mut() = Location::Unavailable;
            let _ = resolve.call0(&JsValue::UNDEFINED);
        })
    };

    let options = web_sys::PositionOptions::new();
    options.set_maximum_age(10 * 60 * 1000);
    options.set_timeout(30_000);
    let asked = geolocation.get_current_position_with_error_callback_and_options(
        on_position.unchecked_ref(),
        Some(on_error.unchecked_ref()),
        &options,
    );
    if asked.is_err() {
        *cell.borrow_mut() = Location::Unavailable;
    }
}

/// Waits for a pending answer until `deadline` (milliseconds since the epoch).
pub async fn wait(cell: &Rc<RefCell<Location>>, deadline: f64) {
    let pending = match &*cell.borrow() {
        Location::Pending(ready) => ready.clone(),
        _ => return,
    };
    let remaining = (deadline - js_sys::Date::now()).max(0.0);
    let timeout = Promise::new(&mut |resolve, _| {
        let global: web_sys::Window = js_sys::global().unchecked_into();
        let _ = global
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, remaining as i32);
    });
    let _ = JsFuture::from(Promise::race(&js_sys::Array::of2(&pending, &timeout))).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    async fn wait_ends_by_the_deadline() {
        // Headless Chromium under WebDriver has no position to give: the answer is an error or
        // never comes, and a call must not wait past its deadline either way.
        let cell = Rc::new(RefCell::new(Location::Deferred));
        ask(&cell);
        let start = js_sys::Date::now();
        wait(&cell, start + 300.0).await;
        let waited = js_sys::Date::now() - start;
        assert!(waited < 2000.0, "waited {waited} ms");
        assert!(!matches!(&*cell.borrow(), Location::Known(_)));
    }

    #[wasm_bindgen_test]
    async fn wait_returns_at_once_without_a_request() {
        for state in [Location::Unavailable, Location::Deferred] {
            let cell = Rc::new(RefCell::new(state));
            let start = js_sys::Date::now();
            wait(&cell, start + 5000.0).await;
            assert!(js_sys::Date::now() - start < 1000.0);
        }
    }
}
