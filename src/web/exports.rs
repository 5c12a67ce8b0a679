//! The functions the JavaScript shim calls, each with the page's arguments as they came.

use super::global::Global;
use super::sdk::{self, Call, Sdk};
use super::storage::Store;
use super::{console, convert, location};
use crate::args;
use crate::config;
use crate::error::Error;
use crate::fields::{self, Field};
use crate::payload::{Identify, Section};
use crate::value::Value;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{OnceCell, RefCell};
use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Configures the SDK from `init`'s arguments, in either form, with `base` the document's base
/// URL when the page called `init`. A second call warns and keeps the first configuration;
/// invalid settings are logged as a console error. Returns whether the SDK is configured.
#[wasm_bindgen(js_name = coreInit)]
pub fn init(args: Array, base: String) -> bool {
    if sdk::is_initialized() {
        console::warn_once(
            "init-twice",
            &["init was called again; the first configuration is kept"],
        );
        return true;
    }
    let config =
        match config::parse_init(&convert::arguments(&args), &convert::BrowserPage { base }) {
            Ok(config) => config,
            Err(error) => {
                console::error(&["init failed: ", &error.message]);
                return false;
            }
        };
    console::set_debug(config.debug);
    console::debug(&[
        "init: apiUrl ",
        &config.api_url,
        ", app id ",
        &config.app_id,
    ]);

    let store = Store::open();
    let location = Rc::new(RefCell::new(location::Location::Unavailable));
    if config.ask_location && store.location_optout() {
        *location.borrow_mut() = location::Location::Deferred;
    } else if config.ask_location {
        location::ask(&location);
    }
    let authorization = config.authorization();
    let tab = crate::queue::uuid_v4(random_bytes());
    sdk::install(Sdk {
        config,
        authorization,
        store,
        location,
        detected: detect(),
        tab,
    });
    listen_to_page();
    true
}

/// Forgets the visitor, for a logout on a shared computer: the next call starts a new
/// visitor, while calls made before it are still sent for the old one.
#[wasm_bindgen(js_name = coreReset)]
pub fn reset() {
    sdk::reset();
}

/// Returns the visitor's hgid, or `null` before the first answer or after `reset`.
#[wasm_bindgen(js_name = coreGetHgid)]
pub fn get_hgid() -> Option<String> {
    sdk::hgid()
}

/// Sends at once when the browser is back online, and sends what is queued as the page goes
/// away or is hidden (a hidden page may never come back).
fn listen_to_page() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_online = Closure::<dyn FnMut()>::new(|| {
        console::debug(&["back online; sending the queue"]);
        super::timer::wake();
        sdk::start_sending();
    });
    let on_exit = Closure::<dyn FnMut()>::new(|| {
        let hidden = web_sys::window()
            .and_then(|window| window.document())
            .is_some_and(|document| {
                document.visibility_state() == web_sys::VisibilityState::Hidden
            });
        if hidden {
            sdk::flush_on_exit();
        } else {
            sdk::page_visible();
        }
    });
    let on_pagehide = Closure::<dyn FnMut()>::new(sdk::page_hide);
    let _ = window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
    let _ =
        window.add_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref());
    if let Some(document) = window.document() {
        let _ = document
            .add_event_listener_with_callback("visibilitychange", on_exit.as_ref().unchecked_ref());
    }
    // The listeners live as long as the page.
    on_online.forget();
    on_pagehide.forget();
    on_exit.forget();
}

/// Returns 16 random bytes from `crypto.getRandomValues`, or `Math.random` without it.
pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let crypto = web_sys::window().and_then(|window| window.crypto().ok());
    let filled =
        crypto.is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for byte in bytes.iter_mut() {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

/// Validates an `identify` call and queues it; returns the Promise of its outcome.
#[wasm_bindgen(js_name = coreIdentify)]
pub fn identify(args: Array) -> Promise {
    let values = convert::arguments(&args);
    let callback = values
        .iter()
        .position(|value| matches!(value, Value::Function))
        .and_then(|index| args.get(index as u32).dyn_into::<Function>().ok());

    let mut resolve = None;
    let mut reject = None;
    let promise = Promise::new(&mut |ok, fail| {
        resolve = Some(ok);
        reject = Some(fail);
    });
    if callback.is_some() {
        // With a callback the page hears of a failure there, so the rejection is handled. This
        // uses `then`, because a page may have removed `Promise.prototype.catch`.
        let _ = promise.then2(ignore_rejection(), ignore_rejection());
    }
    let (Some(resolve), Some(reject)) = (resolve, reject) else {
        return promise;
    };

    let mut call = Call {
        dropped: Array::new(),
        callback,
        resolve,
        reject,
        created: js_sys::Date::now(),
    };
    match args::shift(&values) {
        Ok(shifted) => {
            let mut request = Identify::build(&values, &shifted);
            call.dropped = report_dropped(&request, &args, &shifted);
            request.dropped.clear();
            sdk::submit(request, call);
        }
        Err(error) => settle_soon(call, error),
    }
    promise
}

/// Lists the dropped values with the page's own values, and warns once for the call.
fn report_dropped(request: &Identify, args: &Array, shifted: &args::Shifted) -> Array {
    let list = Array::new();
    let mut summary = String::new();
    for dropped in &request.dropped {
        let argument = |index: Option<usize>| args.get(index.unwrap_or(0) as u32);
        let value = match dropped.section {
            Section::UserAttributes => {
                convert::get(&argument(shifted.user_attributes), &dropped.key)
            }
            Section::Preferences => convert::get(&argument(shifted.preferences), &dropped.key),
            Section::CustomAttributes => argument(shifted.custom_attributes),
        };
        let entry = Object::new();
        convert::set(&entry, "field", &JsValue::from_str(&dropped.field));
        convert::set(&entry, "value", &value);
        convert::set(&entry, "reason", &JsValue::from_str(&dropped.reason));
        list.push(&entry);

        summary.push_str(if summary.is_empty() { "" } else { "; " });
        summary.push_str(&dropped.field);
        summary.push(' ');
        summary.push_str(&dropped.reason);
    }
    if !summary.is_empty() {
        console::warn_with(
            &[
                "identify left out invalid values and sent the rest: ",
                &summary,
            ],
            &list,
        );
    }
    list
}

/// Fails a call from a later microtask, so a callback never runs inside the page's own call.
fn settle_soon(call: Call, error: Error) {
    wasm_bindgen_futures::spawn_local(async move { sdk::settle(call, Err(error)) });
}

pub type Handler = Closure<dyn FnMut(JsValue)>;

/// A rejection handler that does nothing, made once and kept for the page's life.
static IGNORE: Global<OnceCell<Handler>> = Global(OnceCell::new());

/// Returns a handler that marks a rejection as handled and does nothing else.
pub fn ignore_rejection() -> &'static Handler {
    IGNORE.get_or_init(|| Closure::new(|_: JsValue| {}))
}

#[wasm_bindgen]
extern "C" {
    /// `Temporal.Now.timeZoneId()`, which throws where the browser has no Temporal.
    #[wasm_bindgen(catch, js_namespace = ["Temporal", "Now"], js_name = timeZoneId)]
    fn temporal_time_zone() -> Result<String, JsValue>;

    /// `Intl.DateTimeFormat`, whose constructor a page may have broken.
    #[wasm_bindgen(js_namespace = Intl)]
    type DateTimeFormat;

    #[wasm_bindgen(catch, constructor, js_namespace = Intl)]
    fn new() -> Result<DateTimeFormat, JsValue>;

    #[wasm_bindgen(catch, method, js_name = resolvedOptions)]
    fn resolved_options(this: &DateTimeFormat) -> Result<JsValue, JsValue>;
}

/// Returns the browser's time zone, from Temporal where the browser has it and from `Intl`
/// otherwise. A page's first `Intl.DateTimeFormat` took 13 to 27 ms in headless Chromium on a
/// 2-core machine, and Temporal under 1 ms.
fn time_zone() -> Option<String> {
    temporal_time_zone().ok().or_else(|| {
        let options = DateTimeFormat::new().ok()?.resolved_options().ok()?;
        convert::get(&options, "timeZone").as_string()
    })
}

/// Reads the browser's time zone and language, keeping only values that pass the field rules.
fn detect() -> Vec<(Field, String)> {
    let mut detected = Vec::new();
    if let Some(zone) = time_zone() {
        if let Ok(zone) = fields::normalize_text(Field::Timezone, &zone) {
            detected.push((Field::Timezone, zone));
        }
    }
    let language = web_sys::window().and_then(|window| window.navigator().language());
    if let Some(language) = language {
        if let Ok(language) = fields::normalize_text(Field::Language, &language) {
            detected.push((Field::Language, language));
        }
    }
    detected
}
