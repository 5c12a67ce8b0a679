//! Waiting: a delay that the browser's `online` event or the page going away cuts short.

use super::global::Global;
use core::cell::RefCell;
use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The resolve function of the current wait, if one is running.
static WAKE: Global<RefCell<Option<Function>>> = Global(RefCell::new(None));

/// Waits `ms` milliseconds, or less when [`wake`] is called. Returns whether it was woken.
pub async fn sleep(ms: f64) -> bool {
    let wait = Promise::new(&mut |resolve, _| {
        let global: web_sys::Window = js_sys::global().unchecked_into();
        let _ = global.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        *WAKE.borrow_mut() = Some(resolve);
    });
    let woken = JsFuture::from(wait).await;
    *WAKE.borrow_mut() = None;
    woken.is_ok_and(|value| value.is_truthy())
}

/// Ends the current wait at once.
pub fn wake() {
    let resolve = WAKE.borrow_mut().take();
    if let Some(resolve) = resolve {
        let _ = resolve.call1(&JsValue::UNDEFINED, &JsValue::TRUE);
    }
}

/// Waits `ms` milliseconds, not cut short by [`wake`].
pub async fn delay(ms: f64) {
    let wait = Promise::new(&mut |resolve, _| {
        let global: web_sys::Window = js_sys::global().unchecked_into();
        let _ = global.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
    });
    let _ = JsFuture::from(wait).await;
}
