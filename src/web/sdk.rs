//! The SDK's state and its call queue: calls wait for `init`, then go out one at a time in call
//! order, so a call made while another is in flight carries the hgid that one returns.

use super::global::Global;
use super::location::{self, Location};
use super::storage::Store;
use super::{console, convert, http};
use crate::config::Config;
use crate::error::Error;
use crate::fields::{self, Field};
use crate::payload::Identify;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use js_sys::{Array, Function, Object};
use wasm_bindgen::JsValue;

/// Settings and browser state after `init`.
pub struct Sdk {
    pub config: Config,
    pub authorization: String,
    pub store: Store,
    pub location: Rc<RefCell<Location>>,
    /// The time zone and language the browser reports, sent when a call gives none.
    pub detected: Vec<(Field, String)>,
}

/// One identify call waiting to be sent, and how to tell the page its outcome.
pub struct Call {
    pub request: Identify,
    /// The dropped values as the page sees them: `{ field, value, reason }` objects.
    pub dropped: Array,
    pub callback: Option<Function>,
    pub resolve: Function,
    pub reject: Function,
    /// When the call was made, in milliseconds since the epoch.
    pub created: f64,
}

struct State {
    sdk: Option<Rc<Sdk>>,
    queue: VecDeque<Call>,
    sending: bool,
}

static STATE: Global<RefCell<State>> = Global(RefCell::new(State {
    sdk: None,
    queue: VecDeque::new(),
    sending: false,
}));

/// Returns whether `init` has succeeded.
pub fn is_initialized() -> bool {
    STATE.borrow().sdk.is_some()
}

/// Installs the SDK after a valid `init` and sends the calls that waited for it.
pub fn install(sdk: Sdk) {
    STATE.borrow_mut().sdk = Some(Rc::new(sdk));
    start_sending();
}

/// Queues a call and starts sending when the SDK is ready.
pub fn enqueue(call: Call) {
    STATE.borrow_mut().queue.push_back(call);
    start_sending();
}

fn start_sending() {
    let start = {
        let mut state = STATE.borrow_mut();
        let start = state.sdk.is_some() && !state.sending && !state.queue.is_empty();
        if start {
            state.sending = true;
        }
        start
    };
    if start {
        wasm_bindgen_futures::spawn_local(send_all());
    }
}

/// Sends queued calls one at a time until the queue is empty.
async fn send_all() {
    loop {
        let next = {
            let mut state = STATE.borrow_mut();
            let next = state.sdk.clone().zip(state.queue.pop_front());
            if next.is_none() {
                state.sending = false;
            }
            next
        };
        let Some((sdk, mut call)) = next else { return };
        let outcome = deliver(&sdk, &mut call.request, call.created).await;
        settle(call, outcome);
    }
}

/// Adds what the browser knows, sends the call, and keeps the identity the server returns. A
/// 404 means the server does not know the stored hgid: it is dropped and the call sent again
/// once without it.
async fn deliver(sdk: &Sdk, request: &mut Identify, created: f64) -> Result<String, Error> {
    for (field, value) in &sdk.detected {
        if request.get(*field).is_none() {
            request.set(*field, value.clone());
        }
    }

    // Location: an OPTOUT, in this call or remembered from an earlier one, keeps it out.
    if let Some(optin) = request.get(Field::LocationOptin) {
        sdk.store
            .set_location_optout(optin == fields::optin_text(false));
    }
    if !sdk.store.location_optout() && request.get(Field::CurrentLocation).is_none() {
        location::wait(&sdk.location, created + location::MAX_WAIT_MS).await;
        if let Location::Known(text) = &*sdk.location.borrow() {
            request.set(Field::CurrentLocation, text.clone());
        }
    }

    let mut identity = sdk.store.identity();
    let external_id = request.external_id.clone();
    let sent = identity
        .hgid_for(external_id.as_deref())
        .map(str::to_string);
    let answer = send(sdk, request, sent.as_deref()).await;

    let (sent, hgid) = match answer {
        Err(error) if error.status == Some(404) && sent.is_some() => {
            console::debug(&[
                "the server does not know the stored hgid; identifying again without it",
            ]);
            identity.forget();
            sdk.store.save(&identity);
            (None, send(sdk, request, None).await?)
        }
        answer => (sent, answer?),
    };
    identity.on_success(sent.as_deref(), external_id.as_deref(), &hgid);
    sdk.store.save(&identity);
    Ok(hgid)
}

async fn send(sdk: &Sdk, request: &Identify, hgid: Option<&str>) -> Result<String, Error> {
    let body = request.body(hgid);
    console::debug(&["POST ", &sdk.config.api_url, "/v1/identify ", &body]);
    let answer = http::post_identify(&sdk.config.api_url, &sdk.authorization, &body).await;
    match &answer {
        Ok(hgid) => console::debug(&["identified as ", hgid]),
        Err(error) => console::debug(&["identify failed: ", &error.message]),
    }
    answer
}

/// Tells the page a call's outcome: the callback first, then the Promise.
pub fn settle(call: Call, outcome: Result<String, Error>) {
    match outcome {
        Ok(hgid) => {
            let result = Object::new();
            convert::set(&result, "hgid", &JsValue::from_str(&hgid));
            convert::set(&result, "dropped", &call.dropped);
            if let Some(callback) = &call.callback {
                report_throw(callback.call2(
                    &JsValue::NULL,
                    &JsValue::TRUE,
                    &JsValue::from_str(&hgid),
                ));
            }
            let _ = call.resolve.call1(&JsValue::UNDEFINED, &result);
        }
        Err(error) => {
            let js_error = convert::error_to_js(&error);
            convert::set(&js_error, "dropped", &call.dropped);
            if let Some(callback) = &call.callback {
                report_throw(callback.call2(&JsValue::NULL, &JsValue::FALSE, &js_error));
            }
            let _ = call.reject.call1(&JsValue::UNDEFINED, &js_error);
        }
    }
}

/// Reports an exception thrown by the page's callback without letting it reach the SDK.
fn report_throw(result: Result<JsValue, JsValue>) {
    if let Err(thrown) = result {
        console::warn_with(&["the identify callback threw: "], &thrown);
    }
}
