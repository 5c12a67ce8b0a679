//! The SDK's state and its delivery queue.
//!
//! Every call becomes a queue entry with its own request id, kept in `localStorage` where it
//! can be (memory otherwise) until the server has responded to it. The send loop of js/io.js
//! holds the lock and does the waiting, and this module decides what to send and what each
//! response means. One tab at a time sends, one call at a time, in call order, so a call carries
//! the hgid that the calls before it established. A call that fails in a way that may pass (offline, 408, 429, 5xx) stays
//! queued and is sent again after a backoff or the server's `Retry-After`, or at once when the
//! browser is back online. Entries of a page that went away are sent by the next page that
//! sends, without a callback.

use super::global::Global;
use super::location::{self, Location};
use super::storage;
use super::{console, convert, http, io};
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
use core::mem::take;
use js_sys::Array;
use wasm_bindgen::prelude::*;

/// Settings and browser state after `init`.
pub struct Sdk {
    pub config: Config,
    pub authorization: String,
    /// The time zone and language the browser reports, sent when a call gives none.
    pub detected: Vec<(Field, String)>,
    /// This page's id among the tabs that share the queue.
    pub tab: String,
}

/// How to tell the page the outcome of one identify call.
pub struct Call {
    /// The call as js/io.js settles it: `[resolve, reject, callback, dropped]`, with the dropped
    /// values as `{ field, value, reason }` objects that hold the page's own values.
    pub call: JsValue,
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
    /// The request id of the entry being sent (waiting for location or in flight), which the
    /// queue bounds must not merge or drop.
    busy: Option<String>,
    /// The entry being sent, as it was when its attempt began.
    attempt: Option<Entry>,
    /// The hgid sent with the entry's last request.
    sent: Option<String>,
    /// The hgid that a 404 showed the server does not know, while the entry is sent again
    /// without it.
    unknown: Option<String>,
    /// Whether a request of the send loop is in flight, with the bytes of its body when it went
    /// with `keepalive` (0 otherwise), which count against the browser's keepalive limit.
    in_flight: Option<usize>,
    /// Failed attempts of the entry at the head of the queue, for the backoff.
    failures: u32,
    /// Times the head of the queue gave way to an older call of another tab.
    yields: u32,
    /// When the bytes of all tabs' stored calls were last counted, and that count plus what
    /// this page stored since.
    stored: (f64, usize),
    /// Calls made by this page, for the order keys.
    counter: u32,
    /// The request ids sent with keepalive as the page was last hidden, so that `pagehide`
    /// after `visibilitychange` does not send them twice.
    flushed: Vec<String>,
    /// The bytes of the bodies in `flushed`, which may still be in flight.
    flushed_bytes: usize,
    /// The request ids of this page's entries that are in storage.
    saved: Vec<String>,
    /// The request ids of entries to write to storage when the current task ends (see
    /// [`save_queue`]).
    unsaved: Vec<String>,
    /// Whether [`save_queue`] is to run when the current task ends.
    save_scheduled: bool,
}

static STATE: Global<RefCell<State>> = Global(RefCell::new(State {
    sdk: None,
    before_init: Vec::new(),
    entries: Vec::new(),
    calls: Vec::new(),
    busy: None,
    attempt: None,
    sent: None,
    unknown: None,
    in_flight: None,
    failures: 0,
    yields: 0,
    stored: (f64::NEG_INFINITY, 0),
    counter: 0,
    flushed: Vec::new(),
    flushed_bytes: 0,
    saved: Vec::new(),
    unsaved: Vec::new(),
    save_scheduled: false,
}));

/// Returns whether `init` has succeeded.
pub fn is_initialized() -> bool {
    STATE.borrow().sdk.is_some()
}

/// Returns whether calls or a `reset` made before `init` wait for the SDK to be installed.
pub fn has_waiting_calls() -> bool {
    !STATE.borrow().before_init.is_empty()
}

/// Installs the SDK after a valid `init`, queues the calls that waited for it, and sends what
/// earlier pages left in the queue.
pub fn install(sdk: Sdk) {
    let sdk = Rc::new(sdk);
    let url = [&*sdk.config.api_url, "/v1/identify"].concat();
    io::start(&url, &sdk.authorization, &sdk.tab, sdk.config.debug);
    let waiting = {
        let mut state = STATE.borrow_mut();
        state.sdk = Some(sdk.clone());
        take(&mut state.before_init)
    };
    for waiting in waiting {
        match waiting {
            Some((request, call)) => enqueue(&sdk, request, call),
            None => reset_identity(),
        }
    }
    if !storage::keys(queue::KEY_PREFIX).is_empty() {
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
    if is_initialized() {
        reset_identity();
    } else {
        STATE.borrow_mut().before_init.push(None);
    }
}

/// Forgets the hgid, the externalId it belongs to and the location opt-out, and starts a new
/// visitor generation, so the next call starts a new visitor. The old identity is kept for the
/// calls still queued, in this page or left in storage by others: they are sent for the old
/// visitor, and their responses change only that kept identity.
fn reset_identity() {
    storage::forget_visitor(&new_request_id());
    prune_identities();
    console::debug(&["reset: the next call starts a new visitor"]);
}

/// Drops the identities kept for earlier visitors that no queued call belongs to, in this page
/// or in storage, so that a visitor who logged out leaves no id behind once their calls are sent.
fn prune_identities() {
    let mut needed: Vec<String> = STATE
        .borrow()
        .entries
        .iter()
        .map(|entry| entry.visitor.clone())
        .collect();
    for key in storage::keys(queue::KEY_PREFIX) {
        if let Some(entry) = storage::read(&key).as_deref().and_then(Entry::decode) {
            needed.push(entry.visitor);
        }
    }
    storage::prune_identities(&needed);
}

/// Returns the stored hgid, if the SDK is installed and has one.
pub fn hgid() -> Option<String> {
    STATE.borrow().sdk.as_ref()?;
    storage::identity_of(&storage::visitor()).hgid
}

fn enqueue(sdk: &Sdk, mut request: Identify, call: Call) {
    for (field, value) in &sdk.detected {
        if request.get(*field).is_none() {
            request.set(*field, value.clone());
        }
    }
    // An OPTOUT of location, in this call or remembered from an earlier one, keeps it out of
    // this call, whatever later calls choose.
    let optout = match request.get(Field::LocationOptin) {
        Some(optin) => {
            let optout = optin == fields::optin_text(false);
            storage::set_location_optout(optout);
            optout
        }
        None => storage::location_optout(),
    };
    if !optout && matches!(&*location::CURRENT.borrow(), Location::Deferred) {
        location::ask();
    }

    let entry = {
        let mut state = STATE.borrow_mut();
        state.counter += 1;
        // The time the call was made, which its `Call` already holds. A call made before
        // init is ordered by when it was made, not by when init came.
        let order = queue::order_key(call.created, state.counter, &sdk.tab);
        Entry {
            id: new_request_id(),
            order,
            tab: sdk.tab.clone(),
            request,
            visitor: storage::visitor(),
            share_location: !optout,
        }
    };
    make_room(&entry);
    mark_unsaved(&entry.id, true);
    {
        let mut state = STATE.borrow_mut();
        state.calls.push((entry.id.clone(), Vec::from([call])));
        state.entries.push(entry);
    }
    start_sending();
}

/// Marks an entry to be written to storage when the current task ends. A burst of calls in one
/// task is then written once, after its merges, instead of once per call and merge. Nothing can
/// end the page between a call and the end of its task, so no call is lost meanwhile. A `new`
/// entry's id cannot be marked yet, so it is not looked for: in a burst of calls, that search
/// grew with each call.
fn mark_unsaved(id: &str, new: bool) {
    {
        let mut state = STATE.borrow_mut();
        if new || !state.unsaved.iter().any(|unsaved| unsaved == id) {
            state.unsaved.push(id.to_string());
        }
    }
    schedule_save();
}

/// Runs [`save_queue`] when the current task ends, unless that is already planned.
fn schedule_save() {
    let scheduled = core::mem::replace(&mut STATE.borrow_mut().save_scheduled, true);
    if !scheduled {
        io::later();
    }
}

/// Runs the write that [`schedule_save`] planned.
#[wasm_bindgen(js_name = coreSave)]
pub fn save_planned() {
    STATE.borrow_mut().save_scheduled = false;
    if is_initialized() {
        save_queue();
    }
}

/// Brings storage up to date with this page's queue: removes the stored entries that left it
/// (delivered, failed, merged away or dropped) and writes the entries marked unsaved.
fn save_queue() {
    let (saved, unsaved) = {
        let mut state = STATE.borrow_mut();
        (take(&mut state.saved), take(&mut state.unsaved))
    };
    for id in saved {
        // An entry whose removal failed stays listed, so the next save removes it.
        let queued = queued(&id, |_| ()).is_some();
        if queued || !storage::write(&[queue::KEY_PREFIX, &id].concat(), None) {
            STATE.borrow_mut().saved.push(id);
        }
    }
    for id in unsaved {
        let Some((text, bytes)) = queued(&id, |entry| (entry.encode(), entry.stored_bytes()))
        else {
            continue;
        };
        let saved = STATE.borrow().saved.contains(&id);
        // The bound of each tab's queue does not bound the site's storage when many tabs queue,
        // so a call over the bound of all stored calls stays in this page's memory.
        let fits = saved || stored_bytes() + bytes <= queue::MAX_STORED_BYTES;
        if fits && storage::write(&[queue::KEY_PREFIX, &id].concat(), Some(&text)) {
            if !saved {
                let mut state = STATE.borrow_mut();
                state.stored.1 += bytes;
                state.saved.push(id);
            }
        } else if !saved {
            console::debug(&["call ", &id, " is queued in memory only"]);
        }
    }
}

/// Applies `read` to this page's queued entry `id`. Returns `None` when the queue has no such entry.
fn queued<T>(id: &str, read: impl FnOnce(&Entry) -> T) -> Option<T> {
    STATE
        .borrow()
        .entries
        .iter()
        .find(|entry| entry.id == id)
        .map(read)
}

/// How long a count of the stored calls' bytes is used, in milliseconds, so that a burst of
/// calls reads storage once rather than once per call.
const STORED_COUNT_MS: f64 = 1_000.0;

/// Returns the bytes of all tabs' stored calls: counted at most once per [`STORED_COUNT_MS`],
/// plus what this page stored since.
fn stored_bytes() -> usize {
    let now = js_sys::Date::now();
    let (counted_at, bytes) = STATE.borrow().stored;
    if now - counted_at < STORED_COUNT_MS {
        return bytes;
    }
    let bytes = storage::bytes_under(queue::KEY_PREFIX);
    STATE.borrow_mut().stored = (now, bytes);
    bytes
}

/// Keeps the queue within its bounds before `incoming` joins it: merges consecutive calls for
/// the same visitor, then drops the oldest, and tells the page once.
fn make_room(incoming: &Entry) {
    let room = {
        let mut state = STATE.borrow_mut();
        let busy = state.busy.clone();
        queue::make_room(&mut state.entries, incoming, busy.as_deref())
    };
    apply_merges(&room.merged);
    let dropped_calls: Vec<Call> = {
        let mut state = STATE.borrow_mut();
        room.dropped
            .iter()
            .flat_map(|id| take_calls(&mut state, id))
            .collect()
    };
    if !room.dropped.is_empty() {
        schedule_save();
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

/// Records merges made in the page's queue: the merged entry settles the calls of the entries
/// it absorbed, and storage keeps it in their place.
fn apply_merges(merges: &[(String, String)]) {
    for (absorbed, into) in merges {
        {
            let mut state = STATE.borrow_mut();
            let moved = take_calls(&mut state, absorbed);
            match state.calls.iter_mut().find(|(id, _)| id == into) {
                Some((_, calls)) => calls.extend(moved),
                None => state.calls.push((into.clone(), moved)),
            }
        }
        mark_unsaved(into, false);
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

/// Starts the send loop of js/io.js unless it runs.
pub fn start_sending() {
    io::send();
}

/// How many times in a row the head of the queue gives way to older calls of other tabs before
/// it goes anyway, so that a tab that never sends cannot hold this one up.
const MAX_YIELDS: u32 = 10;

/// The result of [`head`] when the queue is empty.
const EMPTY: f64 = -1.0;
/// The result of [`head`] when another tab has an older call in storage.
const YIELD: f64 = -2.0;
/// The result of [`answer`] when the entry has left the queue, delivered or finally failed.
const DONE: f64 = -1.0;
/// The result of [`answer`] when the entry is to be sent again at once (without the hgid).
const AGAIN: f64 = -2.0;

/// Returns whether storage contains a call of another tab made before `head`.
fn older_call_elsewhere(sdk: &Sdk, head: &Entry) -> bool {
    storage::keys(queue::KEY_PREFIX).iter().any(|key| {
        let text = storage::read(key).unwrap_or_default();
        queue::order_and_tab(&text)
            .is_some_and(|(order, tab)| tab != sdk.tab && order < head.order.as_str())
    })
}

/// The age, in milliseconds, that another tab's call must reach before this tab may take it
/// over.
const FRESH_MS: f64 = 2_000.0;

/// Takes over the stored entries of tabs that are no longer alive, with `alive` the ids of the
/// tabs that are, separated by spaces. Returns 2 when storage contains entries of other tabs and
/// `alive` is not given, so that the send loop requests the list of live tabs from the browser.
/// Otherwise returns 1 when storage contains entries of other tabs that are alive, and 0.
#[wasm_bindgen(js_name = coreAdopt)]
pub fn adopt_orphans(alive: Option<String>) -> u8 {
    let Some(sdk) = STATE.borrow().sdk.clone() else {
        return 0;
    };
    // Entries this page merged away or dropped leave storage first, so none looks foreign.
    save_queue();
    let keys = storage::keys(queue::KEY_PREFIX);
    let own: Vec<String> = STATE.borrow().entries.iter().map(Entry::key).collect();
    let foreign: Vec<Entry> = keys
        .iter()
        .filter(|key| !own.contains(key))
        .filter_map(|key| {
            let entry = storage::read(key).as_deref().and_then(Entry::decode);
            // An entry is stored under its own request id; one found under another key moves.
            if entry.as_ref().is_none_or(|entry| entry.key() != *key) {
                storage::write(key, None);
            }
            entry.filter(|entry| !own.contains(&entry.key()))
        })
        .collect();
    if foreign.is_empty() {
        return 0;
    }
    let Some(alive) = alive else {
        return 2;
    };
    let mut others = 0;
    let now = js_sys::Date::now();
    for mut entry in foreign {
        // A new tab's own lock or heartbeat may not be visible yet, so its fresh calls wait. A
        // call made "later" than now comes from before the clock was set back, so it is not.
        let fresh = queue::order_time(&entry.order)
            .is_some_and(|made| (0.0..FRESH_MS).contains(&(now - made)));
        if entry.tab == sdk.tab
            || crate::bytes::split(&alive, b' ').any(|tab| tab == entry.tab)
            || fresh
        {
            others = 1;
            continue;
        }
        console::debug(&["sending call ", &entry.id, " left by a page that went away"]);
        entry.tab = sdk.tab.clone();
        make_room(&entry);
        {
            let mut state = STATE.borrow_mut();
            let at = state
                .entries
                .iter()
                .position(|e| e.order > entry.order)
                .unwrap_or(state.entries.len());
            state.saved.push(entry.id.clone());
            state.entries.insert(at, entry.clone());
        }
        mark_unsaved(&entry.id, false);
        // Rewritten at once with this tab's id, so that no other tab takes it over as well.
        save_queue();
    }
    others
}

/// Makes the head of the queue the entry being sent. Returns [`EMPTY`], [`YIELD`] when another
/// tab has an older call, or else when to stop waiting for a pending position (milliseconds
/// since the epoch), 0 for no wait.
#[wasm_bindgen(js_name = coreHead)]
pub fn head() -> f64 {
    let Some(sdk) = STATE.borrow().sdk.clone() else {
        return EMPTY;
    };
    let Some(head) = STATE.borrow().entries.first().cloned() else {
        return EMPTY;
    };
    if STATE.borrow().yields < MAX_YIELDS && older_call_elsewhere(&sdk, &head) {
        STATE.borrow_mut().yields += 1;
        return YIELD;
    }
    let mut state = STATE.borrow_mut();
    let created = state
        .calls
        .iter()
        .find(|(id, _)| *id == head.id)
        .and_then(|(_, calls)| calls.first().map(|call| call.created));
    let pending = matches!(&*location::CURRENT.borrow(), Location::Pending);
    let wait = head.share_location && head.request.get(Field::CurrentLocation).is_none() && pending;
    state.busy = Some(head.id.clone());
    state.sent = None;
    state.unknown = None;
    state.attempt = Some(head);
    match created {
        Some(created) if wait => created + location::MAX_WAIT_MS,
        _ => 0.0,
    }
}

/// Returns the hgid to send with `entry`: the one its visitor generation holds for its
/// externalId. A call made before a `reset` uses the identity kept for the old visitor.
fn sending_hgid(entry: &Entry) -> Option<String> {
    let identity = storage::identity_of(&entry.visitor);
    let hgid = identity.hgid_for(entry.request.external_id.as_deref());
    hgid.map(str::to_string)
}

/// Returns the request of `entry` with the browser's location added when the call allows it and
/// it is known.
fn with_location(entry: &Entry) -> Identify {
    let mut request = entry.request.clone();
    if entry.share_location && request.get(Field::CurrentLocation).is_none() {
        if let Location::Known(text) = &*location::CURRENT.borrow() {
            request.set(Field::CurrentLocation, text.clone());
        }
    }
    request
}

/// Writes the request of the entry being sent: `[request id, body, keepalive]`. It carries the
/// hgid the SDK holds for its visitor, except when it is sent again after a 404.
#[wasm_bindgen(js_name = coreRequest)]
pub fn request() -> Array {
    let (Some(entry), again) = ({
        let state = STATE.borrow();
        (state.attempt.clone(), state.unknown.is_some())
    }) else {
        return Array::new();
    };
    let hgid = if again { None } else { sending_hgid(&entry) };
    let body = with_location(&entry).body(hgid.as_deref());
    let keepalive = body.len() <= http::MAX_KEEPALIVE_BODY;
    {
        let mut state = STATE.borrow_mut();
        state.sent = hgid;
        state.in_flight = Some(if keepalive { body.len() } else { 0 });
    }
    Array::of3(
        &JsValue::from_str(&entry.id),
        &JsValue::from_str(&body),
        &JsValue::from_bool(keepalive),
    )
}

/// Takes the response to the request of the entry being sent: its HTTP status or one of the
/// failures without one (see `http::outcome`), the hgid or the server's message, and the
/// `Retry-After` header. A 404 means the server does not know the hgid sent: it is forgotten
/// and the entry sent again at once without it. Returns [`DONE`], [`AGAIN`], or the delay in
/// milliseconds before the entry is sent again after a failure that may pass.
#[wasm_bindgen(js_name = coreAnswer)]
pub fn answer(status: f64, value: Option<String>, retry_after: Option<String>) -> f64 {
    let Some(entry) = ({
        let mut state = STATE.borrow_mut();
        state.in_flight = None;
        state.attempt.clone()
    }) else {
        return DONE;
    };
    let answer = http::outcome(status, value, retry_after);
    let not_found = matches!(&answer, Err(failure) if failure.error.status == Some(404));
    let (sent, unknown) = {
        let mut state = STATE.borrow_mut();
        if not_found && state.sent.is_some() && state.unknown.is_none() {
            console::debug(&[
                "the server does not know the stored hgid; identifying again without it",
            ]);
            state.unknown = state.sent.take();
            return AGAIN;
        }
        (state.sent.take(), state.unknown.take())
    };
    // A second 404 means a wrong apiUrl rather than an unknown hgid, so the hgid is kept.
    if unknown.is_some() && !not_found {
        let mut identity = storage::identity_of(&entry.visitor);
        if identity.hgid == unknown {
            identity.forget();
            storage::save_identity_of(&entry.visitor, &identity);
        }
    }
    {
        let mut state = STATE.borrow_mut();
        state.busy = None;
        state.attempt = None;
    }

    match answer {
        Ok(hgid) => {
            // After a `reset` during the request, in this page or another, this updates the
            // identity kept for the old visitor.
            let mut identity = storage::identity_of(&entry.visitor);
            let external_id = entry.request.external_id.as_deref();
            identity.on_success(sent.as_deref(), external_id, &hgid);
            storage::save_identity_of(&entry.visitor, &identity);
            finish(&entry.id, Ok(hgid));
            DONE
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
            delay
        }
        Err(failure) => {
            finish(&entry.id, Err(failure.error));
            DONE
        }
    }
}

/// Ends a pass of the send loop. Returns -1 when the queue has entries, so the loop goes on.
/// Otherwise drops the identities no queued call needs, and returns 1 when storage still
/// contains entries this page failed to remove, so the loop runs again later, or 0.
#[wasm_bindgen(js_name = coreIdle)]
pub fn idle() -> i32 {
    if !is_initialized() {
        return 0;
    }
    if !STATE.borrow().entries.is_empty() {
        return -1;
    }
    prune_identities();
    i32::from(!STATE.borrow().saved.is_empty())
}

/// Removes a delivered or finally failed entry and tells the page.
fn finish(id: &str, outcome: Result<String, Error>) {
    let calls = {
        let mut state = STATE.borrow_mut();
        state.entries.retain(|entry| entry.id != id);
        state.failures = 0;
        state.yields = 0;
        take_calls(&mut state, id)
    };
    save_queue();
    match &outcome {
        Ok(hgid) => console::debug(&["call ", id, " delivered: hgid ", hgid]),
        Err(error) => console::debug(&["call ", id, " failed: ", &error.message]),
    }
    for call in calls {
        settle(call, outcome.clone());
    }
}

/// Sends the queue with `keepalive` as the page goes away, so that it is not lost with the
/// page. Calls in storage are left to a later page, except the head of the queue when no
/// request is in flight. Calls only in memory all go, within the keepalive limit, and those for
/// the same visitor are merged into one request. The entries stay queued: if the page
/// lives on, or the response is lost, they are sent again with the same request ids, which the
/// server recognises.
#[wasm_bindgen(js_name = coreFlush)]
pub fn flush_on_exit() {
    let Some(sdk) = STATE.borrow().sdk.clone() else {
        return;
    };
    save_queue();
    let (in_flight, in_flight_bytes, flushed_bytes, retrying) = {
        let state = STATE.borrow();
        let bytes = state.in_flight.unwrap_or(0);
        (
            state.in_flight.is_some(),
            bytes,
            state.flushed_bytes,
            state.failures > 0,
        )
    };
    // The browser's keepalive limit counts the requests still in flight: the send loop's, and
    // those sent as the page was hidden before.
    let mut budget = http::MAX_KEEPALIVE_BODY.saturating_sub(in_flight_bytes + flushed_bytes);
    let stored = |entry: &Entry| storage::read(&entry.key()).is_some();
    // A stored head waits while another tab has an older call, so that call goes first, and
    // while it waits to be retried, as the server may have asked with Retry-After. Storage keeps
    // it for a later page.
    let due = |index: usize, entry: &Entry| {
        let head = index == 0 && !in_flight && !retrying && !older_call_elsewhere(&sdk, entry);
        head || !stored(entry)
    };

    let merges = {
        let mut state = STATE.borrow_mut();
        let busy = state.busy.clone();
        let first = state
            .entries
            .iter()
            .enumerate()
            .position(|(index, entry)| due(index, entry));
        match first {
            Some(at) if !stored(&state.entries[at]) => {
                // The margin leaves room for the hgid and the location, which the stored text
                // lacks.
                let max = budget.saturating_sub(1024);
                queue::merge_from(&mut state.entries, at, max, busy.as_deref())
            }
            _ => Vec::new(),
        }
    };
    apply_merges(&merges);
    save_queue();

    let (entries, busy) = {
        let state = STATE.borrow();
        (state.entries.clone(), state.busy.clone())
    };
    for (index, entry) in entries.iter().enumerate() {
        // A request in flight with keepalive outlives the page already.
        let going = in_flight_bytes > 0 && busy.as_deref() == Some(entry.id.as_str());
        if going || !due(index, entry) || STATE.borrow().flushed.contains(&entry.id) {
            continue;
        }
        let hgid = sending_hgid(entry);
        let body = with_location(entry).body(hgid.as_deref());
        if body.len() > budget {
            break;
        }
        budget -= body.len();
        {
            let mut state = STATE.borrow_mut();
            state.flushed.push(entry.id.clone());
            state.flushed_bytes += body.len();
        }
        console::debug(&[
            "page is going away; sending call ",
            &entry.id,
            " with keepalive",
        ]);
        io::post_now(&entry.id, &body, true);
    }
}

/// Forgets what was sent as the page was hidden, once it is visible again.
#[wasm_bindgen(js_name = coreVisible)]
pub fn page_visible() {
    let mut state = STATE.borrow_mut();
    state.flushed.clear();
    state.flushed_bytes = 0;
}

/// Tells the page a call's outcome: the callback first, then the Promise.
pub fn settle(call: Call, outcome: Result<String, Error>) {
    let (ok, value) = match outcome {
        Ok(hgid) => (true, JsValue::from_str(&hgid)),
        Err(error) => (false, convert::error_to_js(&error)),
    };
    io::settle(&call.call, ok, &value);
}
