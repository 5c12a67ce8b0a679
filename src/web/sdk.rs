//! The SDK's state and its delivery queue.
//!
//! Every call becomes a queue entry with its own request id, kept in `localStorage` where it
//! can be (memory otherwise) until the server has answered it. One tab at a time sends (see
//! `tabs`), one call at a time, in call order, so a call carries the hgid that the calls before
//! it established. A call that fails in a way that may pass (offline, 408, 429, 5xx) stays
//! queued and is sent again after a backoff or the server's `Retry-After`, or at once when the
//! browser is back online. Entries of a page that went away are sent by the next page that
//! sends, without a callback.

use super::global::Global;
use super::http::{Failure, Post};
use super::location::{self, Location};
use super::storage::Store;
use super::{console, convert, tabs, timer};
use crate::config::Config;
use crate::error::{Error, ErrorCode};
use crate::fields::{self, Field};
use crate::payload::Identify;
use crate::queue::{self, Entry};
use crate::retry;
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
    /// This page's id among the tabs that share the queue.
    pub tab: String,
}

/// How to tell the page the outcome of one identify call.
pub struct Call {
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
    /// Calls made before `init`, in call order; `None` stands for a `reset`.
    before_init: Vec<Option<(Identify, Call)>>,
    /// This page's queued calls, in call order.
    entries: Vec<Entry>,
    /// The page's calls that each entry settles, by request id; a merged entry settles several.
    calls: Vec<(String, Vec<Call>)>,
    /// Whether the send loop is running.
    sending: bool,
    /// The request id of the entry whose request is in flight.
    in_flight: Option<String>,
    /// Failed attempts of the entry at the head of the queue, for the backoff.
    failures: u32,
    /// Calls made by this page, for the order keys.
    counter: u32,
    /// The request id sent with keepalive as the page was last hidden, so that `pagehide`
    /// after `visibilitychange` does not send it twice.
    flushed: Option<String>,
}

static STATE: Global<RefCell<State>> = Global(RefCell::new(State {
    sdk: None,
    before_init: Vec::new(),
    entries: Vec::new(),
    calls: Vec::new(),
    sending: false,
    in_flight: None,
    failures: 0,
    counter: 0,
    flushed: None,
}));

/// Returns whether `init` has succeeded.
pub fn is_initialized() -> bool {
    STATE.borrow().sdk.is_some()
}

/// Installs the SDK after a valid `init`, queues the calls that waited for it, and sends what
/// earlier pages left in the queue.
pub fn install(sdk: Sdk) {
    let sdk = Rc::new(sdk);
    tabs::announce(&sdk.store, &sdk.tab);
    let waiting = {
        let mut state = STATE.borrow_mut();
        state.sdk = Some(sdk.clone());
        core::mem::take(&mut state.before_init)
    };
    for waiting in waiting {
        match waiting {
            Some((request, call)) => enqueue(&sdk, request, call),
            None => reset_identity(&sdk),
        }
    }
    if !sdk.store.keys(queue::KEY_PREFIX).is_empty() {
        start_sending();
    }
}

/// Queues a call, or keeps it until `init` when the SDK is not installed yet.
pub fn submit(request: Identify, call: Call) {
    let sdk = STATE.borrow().sdk.clone();
    match sdk {
        Some(sdk) => enqueue(&sdk, request, call),
        None => STATE.borrow_mut().before_init.push(Some((request, call))),
    }
}

/// Forgets the visitor, or does so at `init` when the SDK is not installed yet.
pub fn reset() {
    let sdk = STATE.borrow().sdk.clone();
    match sdk {
        Some(sdk) => reset_identity(&sdk),
        None => STATE.borrow_mut().before_init.push(None),
    }
}

/// Forgets the hgid, the externalId it belongs to and the location opt-out, so the next call
/// starts a new visitor. Calls still queued keep the hgid they would have had and are sent
/// with it, and their answers no longer change the stored identity.
fn reset_identity(sdk: &Sdk) {
    let old = sdk.store.identity();
    let detached: Vec<Entry> = {
        let mut state = STATE.borrow_mut();
        for entry in state
            .entries
            .iter_mut()
            .filter(|entry| entry.detached.is_none())
        {
            let hgid = old.hgid_for(entry.request.external_id.as_deref());
            entry.detached = Some(hgid.map(str::to_string));
        }
        state.entries.clone()
    };
    for entry in &detached {
        sdk.store.write(&entry.key(), Some(&entry.encode()));
    }
    sdk.store.save(&crate::identity::Identity::default());
    sdk.store.set_location_optout(false);
    console::debug(&["reset: the next call starts a new visitor"]);
}

/// Returns the stored hgid, if the SDK is installed and has one.
pub fn hgid() -> Option<String> {
    let sdk = STATE.borrow().sdk.clone()?;
    sdk.store.identity().hgid
}

fn enqueue(sdk: &Sdk, mut request: Identify, call: Call) {
    for (field, value) in &sdk.detected {
        if request.get(*field).is_none() {
            request.set(*field, value.clone());
        }
    }
    // An OPTOUT of location, in this call or remembered from an earlier one, keeps it out.
    if let Some(optin) = request.get(Field::LocationOptin) {
        sdk.store
            .set_location_optout(optin == fields::optin_text(false));
    }

    let entry = {
        let mut state = STATE.borrow_mut();
        state.counter += 1;
        let order = queue::order_key(js_sys::Date::now(), state.counter, &sdk.tab);
        Entry {
            id: new_request_id(),
            order,
            tab: sdk.tab.clone(),
            request,
            detached: None,
        }
    };
    make_room(sdk, &entry);
    if !sdk.store.write(&entry.key(), Some(&entry.encode())) {
        console::debug(&["call ", &entry.id, " is queued in memory only"]);
    }
    {
        let mut state = STATE.borrow_mut();
        state.calls.push((entry.id.clone(), Vec::from([call])));
        state.entries.push(entry);
    }
    start_sending();
}

/// Keeps the queue within its bounds before `incoming` joins it: merges consecutive calls for
/// the same visitor, then drops the oldest, and tells the page once.
fn make_room(sdk: &Sdk, incoming: &Entry) {
    let (room, merged_entries, dropped_calls) = {
        let mut state = STATE.borrow_mut();
        let busy = state.in_flight.clone();
        let room = queue::make_room(&mut state.entries, incoming, busy.as_deref());
        let mut dropped_calls = Vec::new();
        for (absorbed, into) in &room.merged {
            let moved = take_calls(&mut state, absorbed);
            match state.calls.iter_mut().find(|(id, _)| id == into) {
                Some((_, calls)) => calls.extend(moved),
                None => state.calls.push((into.clone(), moved)),
            }
        }
        for id in &room.dropped {
            dropped_calls.extend(take_calls(&mut state, id));
        }
        let merged_entries: Vec<Entry> = room
            .merged
            .iter()
            .filter_map(|(_, into)| state.entries.iter().find(|e| &e.id == into).cloned())
            .collect();
        (room, merged_entries, dropped_calls)
    };

    for (absorbed, _) in &room.merged {
        sdk.store
            .write(&[queue::KEY_PREFIX, absorbed].concat(), None);
    }
    for entry in merged_entries {
        sdk.store.write(&entry.key(), Some(&entry.encode()));
    }
    for id in &room.dropped {
        sdk.store.write(&[queue::KEY_PREFIX, id].concat(), None);
    }
    if !room.merged.is_empty() || !room.dropped.is_empty() {
        console::warn_once(
            "queue-full",
            &[
                "the queue of undelivered calls is full; consecutive calls for the same visitor \
               were merged and, where that was not enough, the oldest calls were dropped",
            ],
        );
    }
    for call in dropped_calls {
        let error = Error::new(
            ErrorCode::QueueFull,
            "the call was dropped because the queue of undelivered calls is full".to_string(),
        );
        settle(call, Err(error));
    }
}

fn take_calls(state: &mut State, id: &str) -> Vec<Call> {
    match state.calls.iter().position(|(call_id, _)| call_id == id) {
        Some(index) => state.calls.remove(index).1,
        None => Vec::new(),
    }
}

fn new_request_id() -> String {
    queue::uuid_v4(super::exports::random_bytes())
}

/// Starts the send loop unless it runs.
pub fn start_sending() {
    let start = {
        let mut state = STATE.borrow_mut();
        let start = state.sdk.is_some() && !state.sending;
        state.sending |= start;
        start
    };
    if start {
        wasm_bindgen_futures::spawn_local(send_loop());
    }
}

/// Sends until the queue is empty: takes the send lock, adopts the entries of pages that went
/// away, sends one entry at a time, and on a failure that may pass releases the lock and waits.
async fn send_loop() {
    let Some(sdk) = STATE.borrow().sdk.clone() else {
        return;
    };
    loop {
        let lock = tabs::SendLock::acquire(&sdk.store, &sdk.tab).await;
        adopt_orphans(&sdk).await;
        let wait = send_entries(&sdk, &lock).await;
        drop(lock);

        match wait {
            Some(delay) => {
                console::debug(&["waiting before the next attempt"]);
                timer::sleep(delay).await;
            }
            None => {
                let mut state = STATE.borrow_mut();
                if state.entries.is_empty() {
                    state.sending = false;
                    return;
                }
            }
        }
    }
}

/// Takes over the stored entries of tabs that are no longer alive.
async fn adopt_orphans(sdk: &Sdk) {
    let keys = sdk.store.keys(queue::KEY_PREFIX);
    let own: Vec<String> = STATE.borrow().entries.iter().map(Entry::key).collect();
    let foreign: Vec<Entry> = keys
        .iter()
        .filter(|key| !own.contains(key))
        .filter_map(
            |key| match sdk.store.read(key).as_deref().and_then(Entry::decode) {
                Some(entry) => Some(entry),
                None => {
                    sdk.store.write(key, None);
                    None
                }
            },
        )
        .collect();
    if foreign.is_empty() {
        return;
    }
    let alive = tabs::alive(&sdk.store).await;
    for mut entry in foreign {
        if entry.tab == sdk.tab || alive.contains(&entry.tab) {
            continue;
        }
        console::debug(&["sending call ", &entry.id, " left by a page that went away"]);
        entry.tab = sdk.tab.clone();
        make_room(sdk, &entry);
        sdk.store.write(&entry.key(), Some(&entry.encode()));
        let mut state = STATE.borrow_mut();
        let at = state
            .entries
            .iter()
            .position(|e| e.order > entry.order)
            .unwrap_or(state.entries.len());
        state.entries.insert(at, entry);
    }
}

/// The outcome of one attempt at the head of the queue.
enum Attempt {
    /// Delivered or finally failed, so the entry leaves the queue.
    Done(Result<String, Error>),
    /// Failed in a way that may pass; send again after the delay, in milliseconds.
    Retry(f64),
}

/// Sends entries in order while this tab holds the lock. Returns the delay to wait before the
/// next attempt, or `None` when the queue is empty.
async fn send_entries(sdk: &Sdk, lock: &tabs::SendLock) -> Option<f64> {
    loop {
        let head = STATE.borrow().entries.first().cloned()?;
        lock.renew();
        match attempt(sdk, head.clone()).await {
            Attempt::Done(outcome) => finish(sdk, &head.id, outcome),
            Attempt::Retry(delay) => return Some(delay),
        }
    }
}

/// Sends the head entry once, with the hgid the SDK holds for its visitor. A 404 means the
/// server does not know that hgid: it is dropped and the call sent again at once without it.
async fn attempt(sdk: &Sdk, mut entry: Entry) -> Attempt {
    let created = STATE
        .borrow()
        .calls
        .iter()
        .find(|(id, _)| *id == entry.id)
        .and_then(|(_, calls)| calls.first().map(|call| call.created));
    if !sdk.store.location_optout() && entry.request.get(Field::CurrentLocation).is_none() {
        if let Some(created) = created {
            location::wait(&sdk.location, created + location::MAX_WAIT_MS).await;
        }
        if let Location::Known(text) = &*sdk.location.borrow() {
            entry.request.set(Field::CurrentLocation, text.clone());
        }
    }

    let mut identity = sdk.store.identity();
    let external_id = entry.request.external_id.clone();
    let mut sent = match &entry.detached {
        Some(hgid) => hgid.clone(),
        None => identity
            .hgid_for(external_id.as_deref())
            .map(str::to_string),
    };
    let mut answer = post(sdk, &entry, sent.as_deref()).await;
    if matches!(&answer, Err(failure) if failure.error.status == Some(404)) && sent.is_some() {
        console::debug(&["the server does not know the stored hgid; identifying again without it"]);
        if entry.detached.is_none() {
            identity.forget();
            sdk.store.save(&identity);
        }
        sent = None;
        answer = post(sdk, &entry, None).await;
    }

    match answer {
        Ok(hgid) => {
            if entry.detached.is_none() {
                identity.on_success(sent.as_deref(), external_id.as_deref(), &hgid);
                sdk.store.save(&identity);
            }
            Attempt::Done(Ok(hgid))
        }
        Err(failure) if failure.error.is_retryable() => {
            let failures = {
                let mut state = STATE.borrow_mut();
                state.failures += 1;
                state.failures
            };
            let now = js_sys::Date::now();
            let parse_date = |text: &str| Some(js_sys::Date::parse(text));
            let delay = failure
                .retry_after
                .as_deref()
                .and_then(|header| retry::retry_after_ms(header, now, parse_date))
                .unwrap_or_else(|| retry::backoff_ms(failures - 1, js_sys::Math::random()));
            console::debug(&[
                "call ",
                &entry.id,
                " will be sent again: ",
                &failure.error.message,
            ]);
            Attempt::Retry(delay)
        }
        Err(failure) => Attempt::Done(Err(failure.error)),
    }
}

async fn post(sdk: &Sdk, entry: &Entry, hgid: Option<&str>) -> Result<String, Failure> {
    let body = entry.request.body(hgid);
    console::debug(&[
        "POST ",
        &sdk.config.api_url,
        "/v1/identify ",
        &entry.id,
        " ",
        &body,
    ]);
    STATE.borrow_mut().in_flight = Some(entry.id.clone());
    let request = Post {
        api_url: &sdk.config.api_url,
        authorization: &sdk.authorization,
        request_id: &entry.id,
        body: &body,
    };
    let answer = request.send().await;
    STATE.borrow_mut().in_flight = None;
    answer
}

/// Removes a delivered or finally failed entry and tells the page.
fn finish(sdk: &Sdk, id: &str, outcome: Result<String, Error>) {
    sdk.store.write(&[queue::KEY_PREFIX, id].concat(), None);
    let calls = {
        let mut state = STATE.borrow_mut();
        state.entries.retain(|entry| entry.id != id);
        state.failures = 0;
        take_calls(&mut state, id)
    };
    match &outcome {
        Ok(hgid) => console::debug(&["call ", id, " delivered: hgid ", hgid]),
        Err(error) => console::debug(&["call ", id, " failed: ", &error.message]),
    }
    for call in calls {
        settle(call, outcome.clone());
    }
}

/// Sends the head of the queue with `keepalive` as the page goes away, so that it is not lost
/// with the page. Nothing is sent while a request is in flight (it is a keepalive request
/// already) or when the body is over the keepalive limit. The entry stays queued: if the page
/// lives on, or the answer is lost, it is sent again with the same request id, which the server
/// recognises.
pub fn flush_on_exit() {
    let (sdk, head) = {
        let mut state = STATE.borrow_mut();
        if state.in_flight.is_some() {
            return;
        }
        let (Some(sdk), Some(head)) = (state.sdk.clone(), state.entries.first().cloned()) else {
            return;
        };
        if state.flushed.as_ref() == Some(&head.id) {
            return;
        }
        state.flushed = Some(head.id.clone());
        (sdk, head)
    };
    let identity = sdk.store.identity();
    let body = head
        .request
        .body(identity.hgid_for(head.request.external_id.as_deref()));
    if body.len() > super::http::MAX_KEEPALIVE_BODY {
        return;
    }
    console::debug(&[
        "page is going away; sending call ",
        &head.id,
        " with keepalive",
    ]);
    let request = Post {
        api_url: &sdk.config.api_url,
        authorization: &sdk.authorization,
        request_id: &head.id,
        body: &body,
    };
    if let Ok(started) = request.start() {
        let _ = started.catch(super::exports::ignore_rejection());
    }
}

/// Forgets what was sent as the page was hidden, once it is visible again.
pub fn page_visible() {
    STATE.borrow_mut().flushed = None;
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
