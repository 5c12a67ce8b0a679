//! The functions the JavaScript shim calls, each with the page's arguments as they came.

use super::global::Global;
use super::sdk::{self, Call, Sdk};
use super::storage;
use super::{console, convert, io, location};
use crate::args;
use crate::config::{self, Config};
use crate::error::push_u32;
use crate::fields::{self, Field};
use crate::json;
use crate::payload::{Identify, Section};
use crate::value::Value;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use wasm_bindgen::prelude::*;

/// The configuration of a valid `init`, until [`start`] applies it.
static CONFIGURED: Global<RefCell<Option<Config>>> = Global(RefCell::new(None));

/// Configures the SDK from `init`'s arguments, in either form, with `base` the document's base
/// URL when the page called `init`. A second call warns and keeps the first configuration;
/// invalid settings are logged as a console error. Returns whether the SDK is configured.
///
/// Only the settings are checked here, unless calls made before `init` wait. The rest of the
/// set-up (storage, the position request, delivery) waits for [`start`], when the page is idle
/// or makes its next call, so that a page's load does not wait for it.
#[wasm_bindgen(js_name = coreInit)]
pub fn init(args: &str, numbers: &[f64], base: String) -> bool {
    if sdk::is_initialized() || CONFIGURED.borrow().is_some() {
        console::warn_once(
            "init-twice",
            &["init was called again; the first configuration is kept"],
        );
        return true;
    }
    let config = match config::parse_init(
        &crate::read::arguments(args, numbers),
        &convert::BrowserPage { base },
    ) {
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
    *CONFIGURED.borrow_mut() = Some(config);
    // Calls made before `init` live only in memory until the SDK is installed, and a page may
    // go away before it is next idle, so they are queued (and stored) at once.
    if sdk::has_waiting_calls() {
        start();
    } else {
        io::start_soon();
    }
    true
}

/// Applies the configuration of `init`, once: opens storage, requests the position, and
/// installs the SDK, which queues the calls made before `init` and sends what earlier pages
/// left. js/io.js runs it when the page is idle after `init`, and every other export first.
#[wasm_bindgen(js_name = coreStart)]
pub fn start() {
    let Some(config) = CONFIGURED.borrow_mut().take() else {
        return;
    };
    storage::open(config.debug);
    if config.ask_location && storage::location_optout() {
        *location::CURRENT.borrow_mut() = location::Location::Deferred;
    } else if config.ask_location {
        location::ask();
    }
    let authorization = config.authorization();
    let tab = crate::queue::uuid_v4(random_bytes());
    sdk::install(Sdk {
        config,
        authorization,
        detected: detect(),
        tab,
    });
}

/// Forgets the visitor, for a logout on a shared computer: the next call starts a new
/// visitor, while calls made before it are still sent for the old one.
#[wasm_bindgen(js_name = coreReset)]
pub fn reset() {
    start();
    sdk::reset();
}

/// Returns the visitor's hgid, or `null` before the first answer or after `reset`.
#[wasm_bindgen(js_name = coreGetHgid)]
pub fn get_hgid() -> Option<String> {
    start();
    sdk::hgid()
}

/// Returns 16 random bytes from `crypto.getRandomValues`, or `Math.random` without it.
pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if !io::random_bytes(&mut bytes) {
        for byte in bytes.iter_mut() {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

/// Validates an `identify` call, read from `args` and `numbers` as js/read.js writes them, and
/// queues it, with `call` the `[resolve, reject, callback, dropped]` that settles it. Returns the
/// error when the arguments cannot be read as a call (the shim settles it from a later
/// microtask, so a callback never runs inside the page's own call). Otherwise returns the
/// values left out as JSON text (see [`report_dropped`]), or `undefined` when there are none.
#[wasm_bindgen(js_name = coreIdentify)]
pub fn identify(args: &str, numbers: &[f64], call: JsValue) -> JsValue {
    start();
    let values = crate::read::arguments(args, numbers);
    match args::shift(&values) {
        Ok(shifted) => {
            let mut request = Identify::build(&values, &shifted);
            let dropped = report_dropped(&request, &values, &shifted);
            request.dropped.clear();
            let call = Call {
                call,
                created: js_sys::Date::now(),
            };
            sdk::submit(request, call);
            dropped.map_or(JsValue::UNDEFINED, |text| JsValue::from_str(&text))
        }
        Err(error) => convert::error_to_js(&error),
    }
}

/// Lists the dropped values for the shim, which reports each with the page's own value and
/// warns once for the call. The JSON text is an array: the warning, then `[argument, entry,
/// field, reason]` per value, where `entry` is the value's position among the entries of the
/// argument's object, or -1 for the whole argument. Returns `None` when no value was dropped.
fn report_dropped(request: &Identify, values: &[Value], shifted: &args::Shifted) -> Option<String> {
    if request.dropped.is_empty() {
        return None;
    }
    let mut summary = String::new();
    let mut rows = String::new();
    // Each entry of an object drops at most one value, in entry order, so the search for a
    // section's next dropped key starts after the entry found last. Two keys can read alike,
    // as an unpaired surrogate reads as U+FFFD, and each still finds its own entry.
    let mut searched = [0usize; 2];
    for dropped in &request.dropped {
        let (index, section) = match dropped.section {
            Section::UserAttributes => (shifted.user_attributes, Some(0)),
            Section::Preferences => (shifted.preferences, Some(1)),
            Section::CustomAttributes => (shifted.custom_attributes, None),
        };
        let index = index.unwrap_or(0);
        let argument = values.get(index);
        let (entry, value) = match (argument, section) {
            (Some(Value::Object(entries)), Some(section)) => {
                let start = searched[section];
                let found = entries
                    .iter()
                    .skip(start)
                    .position(|(key, _)| *key == dropped.key)
                    .map(|offset| start + offset);
                if let Some(at) = found {
                    searched[section] = at + 1;
                }
                (found, found.and_then(|at| entries.get(at)).map(|(_, v)| v))
            }
            _ => (None, argument),
        };

        rows.push_str(",[");
        push_u32(&mut rows, index as u32);
        rows.push(',');
        match entry {
            Some(at) => push_u32(&mut rows, at as u32),
            None => rows.push_str("-1"),
        }
        rows.push(',');
        json::push_string(&mut rows, &dropped.field);
        rows.push(',');
        json::push_string(&mut rows, &dropped.reason);
        rows.push(']');

        summary.push_str(if summary.is_empty() { "" } else { "; " });
        summary.push_str(&dropped.field);
        // A text value is quoted, so a console that shows only the message still names it.
        // NOTE: a text with an unpaired surrogate reads as unsupported, so it is not quoted.
        if let Some(Value::String(text)) = value {
            push_quoted(&mut summary, text);
        }
        summary.push(' ');
        summary.push_str(&dropped.reason);
    }
    let mut text = String::from("[");
    json::push_string(
        &mut text,
        &[
            "identify left out invalid values and sent the rest: ",
            &summary,
        ]
        .concat(),
    );
    text.push_str(&rows);
    text.push(']');
    Some(text)
}

/// Maximum characters of a dropped text value that the console warning quotes.
const QUOTED_CHARS: usize = 40;

/// Appends a space and `text` as a JSON string to `out`, cut after [`QUOTED_CHARS`] characters
/// with `…`. JSON's escapes keep a quote or line break in the value from ending the quote.
fn push_quoted(out: &mut String, text: &str) {
    let cut = text.char_indices().nth(QUOTED_CHARS).map(|(at, _)| at);
    let mut excerpt = String::from(cut.and_then(|at| text.get(..at)).unwrap_or(text));
    if cut.is_some() {
        excerpt.push('…');
    }
    out.push(' ');
    json::push_string(out, &excerpt);
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
    let language = io::language();
    if let Some(language) = language {
        if let Ok(language) = fields::normalize_text(Field::Language, &language) {
            detected.push((Field::Language, language));
        }
    }
    detected
}
