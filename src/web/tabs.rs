//! Tabs of one site share `localStorage`, so they share the queue: this module tells which tabs
//! are alive and gives one tab at a time the right to send. It uses the Web Locks API where the
//! browser has it, and a lease in storage where it does not.

use super::storage::Store;
use super::timer;
use crate::error::push_u64;
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Storage;

const SEND_LOCK: &str = "herogi:send";
/// Prefix of each tab's lock name (Web Locks) or heartbeat key (lease), followed by its id.
const TAB_PREFIX: &str = "herogi:tab:";
const LEASE_KEY: &str = "herogi:lease";
/// How long a lease or a heartbeat lasts without renewal, in milliseconds.
const LEASE_MS: f64 = 10_000.0;

/// How often a lease or a heartbeat is renewed, in milliseconds.
pub const RENEW_MS: f64 = LEASE_MS / 3.0;

#[wasm_bindgen]
extern "C" {
    /// The browser's `navigator.locks`.
    type LockManager;

    #[wasm_bindgen(method, catch)]
    fn request(this: &LockManager, name: &str, callback: &JsValue) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn query(this: &LockManager) -> Result<Promise, JsValue>;
}

fn locks() -> Option<LockManager> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    (!locks.is_undefined() && !locks.is_null()).then(|| locks.unchecked_into())
}

/// Makes a Promise and the function that resolves it.
fn deferred() -> (Promise, Function) {
    let mut slot = None;
    let promise = Promise::new(&mut |resolve, _| slot = Some(resolve));
    let resolve = slot.unwrap_or_else(|| Function::from(JsValue::UNDEFINED));
    (promise, resolve)
}

/// Marks this tab alive for the page's life: a lock held until the page goes away or, without
/// Web Locks, a heartbeat in storage renewed every third of its lifetime.
pub fn announce(store: &Store, tab: &str) {
    if let Some(locks) = locks() {
        // The callback's Promise never settles, so the lock is held until the page closes.
        let hold = Closure::once_into_js(|_: JsValue| -> JsValue { deferred().0.into() });
        if let Ok(requested) = locks.request(&[TAB_PREFIX, tab].concat(), &hold) {
            let ignore = super::exports::ignore_rejection();
            let _ = requested.then2(ignore, ignore);
        }
        return;
    }
    let (Some(local), Some(window)) = (store.local(), web_sys::window()) else {
        return;
    };
    let key = [TAB_PREFIX, tab].concat();
    let tab = String::from(tab);
    let beat = move || {
        let _ = local.set_item(&key, &expiry_text(&tab));
    };
    beat();
    let beat = Closure::<dyn FnMut()>::new(beat);
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
        beat.as_ref().unchecked_ref(),
        RENEW_MS as i32,
    );
    // The heartbeat lasts as long as the page.
    beat.forget();
}

/// Removes the heartbeat and the lease of a page that goes away, so other tabs take over its
/// calls at once.
/// A page that comes back from the back-forward cache writes it again at its next beat.
pub fn retire(store: &Store, tab: &str) {
    store.write(&[TAB_PREFIX, tab].concat(), None);
    if let Some(local) = store.local() {
        if lease_holder(&local).as_deref() == Some(tab) {
            let _ = local.remove_item(LEASE_KEY);
        }
    }
}

/// Lists the ids of the tabs that are alive.
pub async fn alive(store: &Store) -> Vec<String> {
    if let Some(locks) = locks() {
        let Ok(query) = locks.query() else {
            return Vec::new();
        };
        let Ok(snapshot) = JsFuture::from(query).await else {
            return Vec::new();
        };
        let held = Reflect::get(&snapshot, &JsValue::from_str("held")).unwrap_or_default();
        let held: js_sys::Array = held.dyn_into().unwrap_or_default();
        return held
            .iter()
            .filter_map(|lock| {
                Reflect::get(&lock, &JsValue::from_str("name"))
                    .ok()?
                    .as_string()
            })
            .filter_map(|name| name.strip_prefix(TAB_PREFIX).map(String::from))
            .collect();
    }
    let now = js_sys::Date::now();
    let mut tabs = Vec::new();
    for key in store.keys(TAB_PREFIX) {
        match store.read(&key).as_deref().and_then(parse_lease) {
            Some((tab, expiry)) if expiry > now => tabs.push(String::from(tab)),
            _ => {
                store.write(&key, None);
            }
        }
    }
    tabs
}

/// The right to send the queue, held until dropped.
pub enum SendLock {
    /// A Web Lock; calling the function releases it.
    Web(Function),
    /// A lease in `localStorage`, renewed by an interval timer while it is held, so that a
    /// request slower than the lease's lifetime keeps it.
    Lease {
        local: Storage,
        tab: String,
        renewal: Option<(i32, Closure<dyn FnMut()>)>,
    },
    /// No lock: storage does not work, so no other tab shares this queue.
    Alone,
}

impl SendLock {
    /// Waits until this tab may send.
    pub async fn acquire(store: &Store, tab: &str) -> SendLock {
        if let Some(locks) = locks() {
            let (acquired, on_acquired) = deferred();
            let (released, release) = deferred();
            let callback = Closure::once_into_js(move |_: JsValue| -> JsValue {
                let _ = on_acquired.call1(&JsValue::UNDEFINED, &JsValue::TRUE);
                released.into()
            });
            if let Ok(requested) = locks.request(SEND_LOCK, &callback) {
                // Opaque origins (sandboxed frames) have `navigator.locks` but reject every
                // request, which rejects the race; the lease below takes over then.
                let race = Promise::race(&js_sys::Array::of2(&acquired, &requested));
                if JsFuture::from(race).await.ok().and_then(|v| v.as_bool()) == Some(true) {
                    return SendLock::Web(release);
                }
            }
        }
        match store.local() {
            Some(local) if acquire_lease(&local, tab).await => SendLock::Lease {
                renewal: renew_every(&local, tab),
                local,
                tab: String::from(tab),
            },
            _ => SendLock::Alone,
        }
    }

    /// Extends a lease before a long step; a Web Lock needs nothing.
    pub fn renew(&self) {
        if let SendLock::Lease { local, tab, .. } = self {
            let _ = local.set_item(LEASE_KEY, &expiry_text(tab));
        }
    }
}

impl Drop for SendLock {
    fn drop(&mut self) {
        match self {
            SendLock::Web(release) => {
                let _ = release.call0(&JsValue::UNDEFINED);
            }
            SendLock::Lease {
                local,
                tab,
                renewal,
            } => {
                if let (Some((id, _)), Some(window)) = (renewal.take(), web_sys::window()) {
                    window.clear_interval_with_handle(id);
                }
                if lease_holder(local).as_deref() == Some(tab.as_str()) {
                    let _ = local.remove_item(LEASE_KEY);
                }
            }
            SendLock::Alone => {}
        }
    }
}

/// Starts renewing the lease of `tab` every [`RENEW_MS`]; returns the timer and its callback.
fn renew_every(local: &Storage, tab: &str) -> Option<(i32, Closure<dyn FnMut()>)> {
    let (local, tab) = (local.clone(), String::from(tab));
    let renew = Closure::<dyn FnMut()>::new(move || {
        let _ = local.set_item(LEASE_KEY, &expiry_text(&tab));
    });
    let id = web_sys::window()?
        .set_interval_with_callback_and_timeout_and_arguments_0(
            renew.as_ref().unchecked_ref(),
            RENEW_MS as i32,
        )
        .ok()?;
    Some((id, renew))
}

/// Returns the tab that holds an unexpired lease.
fn lease_holder(local: &Storage) -> Option<String> {
    let text = local.get_item(LEASE_KEY).ok()??;
    let (holder, expiry) = parse_lease(&text)?;
    (expiry > js_sys::Date::now()).then(|| String::from(holder))
}

/// Takes the lease: waits while another tab holds an unexpired one, writes ours, and checks a
/// moment later that no other tab wrote over it. Returns false when storage cannot be written.
async fn acquire_lease(local: &Storage, tab: &str) -> bool {
    loop {
        if lease_holder(local).is_some_and(|holder| holder != tab) {
            timer::delay(200.0).await;
            continue;
        }
        if local.set_item(LEASE_KEY, &expiry_text(tab)).is_err() {
            return false;
        }
        // Storage that ignores writes (a consent tool's stub) keeps no lease at all.
        if lease_holder(local).is_none() {
            return false;
        }
        timer::delay(30.0).await;
        if lease_holder(local).as_deref() == Some(tab) {
            return true;
        }
    }
}

/// Writes `"<tab> <expiry in ms>"`.
fn expiry_text(tab: &str) -> String {
    let mut text = String::from(tab);
    text.push(' ');
    push_u64(&mut text, (js_sys::Date::now() + LEASE_MS) as u64);
    text
}

/// Reads `"<tab> <expiry in ms>"`. An expiry further ahead than a fresh lease would be cannot
/// come from a live tab (a wrong clock or a damaged value) and reads as expired.
fn parse_lease(text: &str) -> Option<(&str, f64)> {
    let (tab, expiry) = text.split_once(' ')?;
    let mut millis = 0u64;
    for digit in expiry.bytes() {
        if !digit.is_ascii_digit() {
            return None;
        }
        millis = millis
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'));
    }
    let expiry = millis as f64;
    let latest = js_sys::Date::now() + LEASE_MS;
    Some((tab, if expiry > latest { 0.0 } else { expiry }))
}
