//! Identity storage: `localStorage` under namespaced keys, memory when storage is missing or
//! throws, and the `_hgid` cookie of the old script adopted once.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::console;
use super::io::{self, Storage};
use crate::fields::{self, Field};
use crate::identity::Identity;
use core::cell::{Cell, RefCell};

const HGID_KEY: &str = "herogi:hgid";
const OWNER_KEY: &str = "herogi:externalUserId";
const LOCATION_OPTOUT_KEY: &str = "herogi:locationOptout";
/// The visitor generation, a new random id at every `reset`; absent until the first one.
const VISITOR_KEY: &str = "herogi:visitor";
/// Prefix of the identity that a `reset` keeps for each earlier visitor generation, followed
/// by the generation, while calls of that generation are queued.
const ARCHIVE_PREFIX: &str = "herogi:visitor:";
/// Set once the `_hgid` cookie has been adopted or a `reset` has forgotten it.
const COOKIE_DONE_KEY: &str = "herogi:cookieAdopted";
const OLD_COOKIE: &str = "_hgid";

/// The stored identity, written through to `localStorage` when it works.
pub struct Store {
    local: Option<Storage>,
    memory: RefCell<Identity>,
    visitor: RefCell<String>,
    /// Whether the last write of the visitor generation failed, so that memory has a newer
    /// one than storage.
    visitor_newer: Cell<bool>,
    /// The identities of earlier generations, for when storage cannot hold them.
    archives: RefCell<Vec<(String, Identity)>>,
    location_optout: Cell<bool>,
    /// Whether the last write of the identity failed, so that memory has a newer identity
    /// than storage.
    memory_newer: Cell<bool>,
}

impl Store {
    /// Opens storage and loads the identity, adopting the old script's cookie when storage has
    /// never had an hgid.
    pub fn open() -> Store {
        // Reading `window.localStorage` itself throws in sandboxed frames and with blocked
        // cookies, so each step that can throw falls back to memory.
        let local = io::local_store();
        if local.is_none() {
            warn_memory_only();
        }
        let store = Store {
            local,
            memory: RefCell::new(Identity::default()),
            visitor: RefCell::new(String::new()),
            visitor_newer: Cell::new(false),
            archives: RefCell::new(Vec::new()),
            location_optout: Cell::new(false),
            memory_newer: Cell::new(false),
        };
        let mut identity = store.identity();
        if identity.hgid.is_none() && store.read(COOKIE_DONE_KEY).is_none() {
            if let Some(hgid) = old_cookie_hgid() {
                console::debug(&["adopted the hgid of the _hgid cookie: ", &hgid]);
                identity.hgid = Some(hgid);
                store.save(&identity);
                store.write(COOKIE_DONE_KEY, Some("1"));
            }
        }
        store.location_optout();
        store
    }

    /// Returns the identity, read again from storage so that another tab's change, a `reset`
    /// included, is seen. A stored hgid that breaks the field rules is dropped.
    pub fn identity(&self) -> Identity {
        // A reset in another tab replaces an identity that only this tab's memory has.
        self.visitor();
        if let (Some(local), false) = (&self.local, self.memory_newer.get()) {
            match local.get_item(HGID_KEY) {
                Ok(stored) => {
                    let hgid = stored.clone().and_then(valid_hgid);
                    if stored.is_some() && hgid.is_none() {
                        console::debug(&["dropped a stored hgid that is not valid"]);
                        self.write(HGID_KEY, None);
                        self.write(OWNER_KEY, None);
                    }
                    let owner = hgid.as_ref().and_then(|_| self.read(OWNER_KEY));
                    *self.memory.borrow_mut() = Identity { hgid, owner };
                }
                Err(_) => warn_memory_only(),
            }
        }
        self.memory.borrow().clone()
    }

    /// Stores the identity in memory and, when it works, in `localStorage`.
    pub fn save(&self, identity: &Identity) {
        *self.memory.borrow_mut() = identity.clone();
        let written = self.write(HGID_KEY, identity.hgid.as_deref())
            & self.write(OWNER_KEY, identity.owner.as_deref());
        // Storage that ignores writes without throwing counts as failing.
        let persisted = written && self.read(HGID_KEY) == identity.hgid;
        self.memory_newer.set(self.local.is_some() && !persisted);
    }

    /// Returns the identity of the visitor generation `visitor`: the current identity, or the
    /// one a `reset` kept for the calls of an earlier generation still queued.
    pub fn identity_of(&self, visitor: &str) -> Identity {
        if visitor == self.visitor() {
            let identity = self.identity();
            // A `reset` in another tab may have started a new generation meanwhile and cleared
            // the identity. That reset keeps the old identity first, so it is read below.
            if visitor == self.visitor() {
                return identity;
            }
        }
        let key = [ARCHIVE_PREFIX, visitor].concat();
        if let Some(text) = self.read(&key) {
            let (hgid, owner) = crate::bytes::split_once(&text, b'\n').unwrap_or((&text, ""));
            let hgid = valid_hgid(hgid.to_string());
            let owner = (hgid.is_some() && !owner.is_empty()).then(|| owner.to_string());
            return Identity { hgid, owner };
        }
        let archives = self.archives.borrow();
        let kept = archives
            .iter()
            .find(|(generation, _)| generation == visitor);
        kept.map(|(_, identity)| identity.clone())
            .unwrap_or_default()
    }

    /// Stores the identity of the visitor generation `visitor`, after a response to one of its
    /// calls.
    pub fn save_identity_of(&self, visitor: &str, identity: &Identity) {
        if visitor == self.visitor() {
            return self.save(identity);
        }
        self.keep(visitor, identity);
    }

    /// Keeps the identity of the earlier visitor generation `visitor`, in storage and memory.
    fn keep(&self, visitor: &str, identity: &Identity) {
        let text = [
            identity.hgid.as_deref().unwrap_or(""),
            "\n",
            identity.owner.as_deref().unwrap_or(""),
        ]
        .concat();
        self.write(&[ARCHIVE_PREFIX, visitor].concat(), Some(&text));
        let mut archives = self.archives.borrow_mut();
        archives.retain(|(generation, _)| generation != visitor);
        archives.push((visitor.to_string(), identity.clone()));
    }

    /// Forgets the kept identities of earlier generations that no queued call in `needed` uses.
    pub fn prune_identities(&self, needed: &[String]) {
        for key in self.keys(ARCHIVE_PREFIX) {
            let generation = key.get(ARCHIVE_PREFIX.len()..).unwrap_or("");
            if !needed.iter().any(|visitor| visitor == generation) {
                self.write(&key, None);
            }
        }
        self.archives
            .borrow_mut()
            .retain(|(generation, _)| needed.contains(generation));
    }

    /// Returns the current visitor generation, read again from storage. When another tab has
    /// started a new one, an identity that only this tab's memory has is dropped.
    pub fn visitor(&self) -> String {
        // A generation that storage could not take is written again, so that storage leads
        // again once it works.
        if self.visitor_newer.get() {
            let generation = self.visitor.borrow().clone();
            self.visitor_newer
                .set(!self.write(VISITOR_KEY, Some(&generation)));
        }
        if let (Some(local), false) = (&self.local, self.visitor_newer.get()) {
            if let Ok(stored) = local.get_item(VISITOR_KEY) {
                let stored = stored.unwrap_or_default();
                if *self.visitor.borrow() != stored {
                    *self.visitor.borrow_mut() = stored;
                    if self.memory_newer.replace(false) {
                        *self.memory.borrow_mut() = Identity::default();
                    }
                }
            }
        }
        self.visitor.borrow().clone()
    }

    /// Starts a new visitor generation, keeps the current identity for the calls still queued,
    /// and forgets the identity and the location opt-out. The old script's cookie is expired
    /// and never adopted again.
    pub fn forget_visitor(&self, generation: &str) {
        let old_visitor = self.visitor();
        let old = self.identity();
        // The old identity is kept before the new generation is stored and the identity
        // cleared, so that another tab sending a call of the old generation finds it in one
        // place or the other at every moment.
        self.keep(&old_visitor, &old);
        *self.visitor.borrow_mut() = generation.to_string();
        self.visitor_newer
            .set(self.local.is_some() && !self.write(VISITOR_KEY, Some(generation)));
        self.save(&Identity::default());
        self.set_location_optout(false);
        self.write(COOKIE_DONE_KEY, Some("1"));
        expire_old_cookie();
    }

    /// Returns whether the visitor's last `locationOptin` was `OPTOUT`, read again from storage
    /// so that another tab's choice is seen.
    pub fn location_optout(&self) -> bool {
        if let Some(local) = &self.local {
            if let Ok(stored) = local.get_item(LOCATION_OPTOUT_KEY) {
                self.location_optout.set(stored.is_some());
            }
        }
        self.location_optout.get()
    }

    /// Remembers the visitor's latest `locationOptin`.
    pub fn set_location_optout(&self, optout: bool) {
        self.location_optout.set(optout);
        self.write(LOCATION_OPTOUT_KEY, optout.then_some("1"));
    }

    /// Reads a key of `localStorage`; `None` when it is absent or storage does not work.
    pub fn read(&self, key: &str) -> Option<String> {
        let local = self.local.as_ref()?;
        match local.get_item(key) {
            Ok(value) => value,
            Err(_) => {
                warn_memory_only();
                None
            }
        }
    }

    /// Writes or, for `None`, removes a key of `localStorage`. Returns whether it worked; a
    /// full quota or storage that throws warns once and never reaches the page.
    pub fn write(&self, key: &str, value: Option<&str>) -> bool {
        let Some(local) = &self.local else {
            return false;
        };
        let written = match value {
            Some(value) => local.set_item(key, value),
            None => local.remove_item(key),
        };
        if written.is_err() {
            warn_memory_only();
        }
        written.is_ok()
    }

    /// Returns the size of the values under the keys that start with `prefix`, in bytes.
    pub fn bytes_under(&self, prefix: &str) -> usize {
        let keys = self.keys(prefix);
        keys.iter()
            .filter_map(|key| self.read(key))
            .map(|value| value.len())
            .sum()
    }

    /// Lists the keys of `localStorage` that start with `prefix`. js/io.js filters them, so a
    /// site with many keys of its own costs one call into JavaScript, not one per key.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        if self.local.is_none() {
            return Vec::new();
        }
        let keys = io::stored_keys(prefix);
        crate::bytes::split(&keys, b'\n')
            .filter(|key| !key.is_empty())
            .map(String::from)
            .collect()
    }
}

/// Returns the hgid when it keeps the field rules unchanged, so that a damaged value in storage
/// or the cookie cannot make every call fail.
fn valid_hgid(hgid: String) -> Option<String> {
    let normalized = fields::normalize_text(Field::Hgid, &hgid).ok()?;
    (normalized == hgid).then_some(hgid)
}

fn warn_memory_only() {
    console::warn_once(
        "storage",
        &["localStorage is unavailable or throws; the visitor's id is kept in memory for this page only"],
    );
}

/// Reads the hgid from the `_hgid` cookie that the old script set on the site's root domain.
/// The first valid one wins, because a page can also see an empty `_hgid` of a narrower path.
fn old_cookie_hgid() -> Option<String> {
    let cookies = io::cookies()?;
    let hgid = crate::bytes::split(&cookies, b';').find_map(|pair| {
        let (name, value) = crate::bytes::split_once(pair, b'=')?;
        if name.trim() != OLD_COOKIE {
            return None;
        }
        let raw = value.trim();
        let decoded = js_sys::decode_uri_component(raw)
            .ok()
            .map(String::from)
            .unwrap_or_else(|| raw.into());
        valid_hgid(crate::bytes::trim(&decoded, b'"').trim().to_string())
    });
    hgid
}

/// Expires the `_hgid` cookie on this host and on each parent domain, one of which is where the
/// old script set it.
fn expire_old_cookie() {
    let host = io::location_part("hostname");
    let expired = [
        OLD_COOKIE,
        "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/",
    ]
    .concat();
    io::set_cookie(&expired);
    let mut domain = host.as_str();
    while let Some((_, parent)) = crate::bytes::split_once(domain, b'.') {
        io::set_cookie(&[&expired, "; domain=", domain].concat());
        domain = parent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    fn local() -> web_sys::Storage {
        web_sys::window().unwrap().local_storage().unwrap().unwrap()
    }

    fn set_cookie(value: &str) {
        let document = web_sys::window().unwrap().document().unwrap();
        document
            .dyn_into::<web_sys::HtmlDocument>()
            .unwrap()
            .set_cookie(value)
            .unwrap();
    }

    fn clear() {
        local().clear().unwrap();
        set_cookie("_hgid=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/");
    }

    #[wasm_bindgen_test]
    fn identity_round_trips_through_local_storage() {
        clear();
        let store = Store::open();
        assert_eq!(store.identity(), Identity::default());
        let alice = Identity {
            hgid: Some("h-1".into()),
            owner: Some("alice".into()),
        };
        store.save(&alice);
        assert_eq!(local().get_item(HGID_KEY).unwrap().as_deref(), Some("h-1"));
        assert_eq!(
            local().get_item(OWNER_KEY).unwrap().as_deref(),
            Some("alice")
        );
        assert_eq!(Store::open().identity(), alice);
    }

    #[wasm_bindgen_test]
    fn another_tabs_change_is_read_again() {
        clear();
        let store = Store::open();
        store.save(&Identity {
            hgid: Some("h-1".into()),
            owner: None,
        });
        local().set_item(HGID_KEY, "h-2").unwrap();
        assert_eq!(store.identity().hgid.as_deref(), Some("h-2"));
    }

    #[wasm_bindgen_test]
    fn old_cookie_is_adopted_once() {
        clear();
        set_cookie("other=1; path=/");
        set_cookie("_hgid=%22old-hgid%22; path=/");
        let store = Store::open();
        assert_eq!(store.identity().hgid.as_deref(), Some("old-hgid"));
        assert_eq!(
            local().get_item(HGID_KEY).unwrap().as_deref(),
            Some("old-hgid")
        );

        local().set_item(HGID_KEY, "newer").unwrap();
        assert_eq!(Store::open().identity().hgid.as_deref(), Some("newer"));

        // Once adopted, the cookie does not come back when the stored hgid goes.
        local().remove_item(HGID_KEY).unwrap();
        assert_eq!(Store::open().identity().hgid, None);
        clear();
    }

    #[wasm_bindgen_test]
    fn reset_expires_the_cookie_and_starts_a_generation() {
        clear();
        set_cookie("_hgid=old-hgid; path=/");
        let store = Store::open();
        assert_eq!(store.visitor(), "");
        store.forget_visitor("g-2");
        assert_eq!(store.identity(), Identity::default());
        assert_eq!(store.visitor(), "g-2");
        local().remove_item(COOKIE_DONE_KEY).unwrap();
        let reopened = Store::open();
        assert_eq!(reopened.identity().hgid, None);
        assert_eq!(reopened.visitor(), "g-2");
        clear();
    }

    #[wasm_bindgen_test]
    fn another_tabs_reset_is_seen() {
        clear();
        let store = Store::open();
        store.save(&Identity {
            hgid: Some("h-1".into()),
            owner: Some("alice".into()),
        });
        local().remove_item(HGID_KEY).unwrap();
        local().remove_item(OWNER_KEY).unwrap();
        assert_eq!(store.identity(), Identity::default());
    }

    #[wasm_bindgen_test]
    fn damaged_hgid_is_dropped() {
        for damaged in ["", " h-1", "undefined", "a\u{1}b", &"x".repeat(300)] {
            clear();
            local().set_item(HGID_KEY, damaged).unwrap();
            local().set_item(OWNER_KEY, "alice").unwrap();
            assert_eq!(Store::open().identity(), Identity::default(), "{damaged:?}");
            assert_eq!(local().get_item(HGID_KEY).unwrap(), None);
            assert_eq!(local().get_item(OWNER_KEY).unwrap(), None);
        }
        clear();
        set_cookie("_hgid=undefined; path=/");
        assert_eq!(Store::open().identity().hgid, None);
        clear();
    }

    #[wasm_bindgen_test]
    fn location_optout_is_remembered() {
        clear();
        let store = Store::open();
        assert!(!store.location_optout());
        store.set_location_optout(true);
        assert!(Store::open().location_optout());
        store.set_location_optout(false);
        assert!(!Store::open().location_optout());
        local().set_item(LOCATION_OPTOUT_KEY, "1").unwrap();
        assert!(store.location_optout());
    }
}
