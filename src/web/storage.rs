//! Identity storage: `localStorage` under namespaced keys, memory when storage is missing or
//! throws, and the `_hgid` cookie of the old script adopted on first load.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::console;
use crate::identity::Identity;
use core::cell::RefCell;
use wasm_bindgen::JsCast;
use web_sys::Storage;

const HGID_KEY: &str = "herogi:hgid";
const OWNER_KEY: &str = "herogi:externalUserId";
const LOCATION_OPTOUT_KEY: &str = "herogi:locationOptout";
const OLD_COOKIE: &str = "_hgid";

/// The stored identity, written through to `localStorage` when it works.
pub struct Store {
    local: Option<Storage>,
    memory: RefCell<Identity>,
    location_optout: RefCell<bool>,
}

impl Store {
    /// Opens storage and loads the identity, adopting the old script's cookie when storage has
    /// no hgid yet.
    pub fn open() -> Store {
        // Reading `window.localStorage` itself throws in sandboxed frames and with blocked
        // cookies, so each step that can throw falls back to memory.
        let local = web_sys::window().and_then(|window| window.local_storage().ok().flatten());
        if local.is_none() {
            warn_memory_only();
        }
        let store = Store {
            local,
            memory: RefCell::new(Identity::default()),
            location_optout: RefCell::new(false),
        };
        let mut identity = store.identity();
        if identity.hgid.is_none() {
            if let Some(hgid) = old_cookie_hgid() {
                console::debug(&["adopted the hgid of the _hgid cookie: ", &hgid]);
                identity.hgid = Some(hgid);
                store.save(&identity);
            }
        }
        *store.location_optout.borrow_mut() = store.read(LOCATION_OPTOUT_KEY).is_some();
        store
    }

    /// Returns the identity, read again from storage so that another tab's change is seen.
    pub fn identity(&self) -> Identity {
        if self.local.is_some() {
            let hgid = self.read(HGID_KEY);
            if hgid.is_some() || self.memory.borrow().hgid.is_none() {
                let owner = if hgid.is_some() {
                    self.read(OWNER_KEY)
                } else {
                    None
                };
                *self.memory.borrow_mut() = Identity { hgid, owner };
            }
        }
        self.memory.borrow().clone()
    }

    /// Stores the identity in memory and, when it works, in `localStorage`.
    pub fn save(&self, identity: &Identity) {
        *self.memory.borrow_mut() = identity.clone();
        self.write(HGID_KEY, identity.hgid.as_deref());
        self.write(OWNER_KEY, identity.owner.as_deref());
    }

    /// Returns whether the visitor's last `locationOptin` was `OPTOUT`.
    pub fn location_optout(&self) -> bool {
        *self.location_optout.borrow()
    }

    /// Remembers the visitor's latest `locationOptin`.
    pub fn set_location_optout(&self, optout: bool) {
        *self.location_optout.borrow_mut() = optout;
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

    /// Returns `localStorage` when it works.
    pub fn local(&self) -> Option<Storage> {
        self.local.clone()
    }

    /// Lists the keys of `localStorage` that start with `prefix`.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let Some(local) = &self.local else {
            return Vec::new();
        };
        let count = local.length().unwrap_or(0);
        (0..count)
            .filter_map(|index| local.key(index).ok().flatten())
            .filter(|key| key.starts_with(prefix))
            .collect()
    }
}

fn warn_memory_only() {
    console::warn_once(
        "storage",
        &["localStorage is unavailable or throws; the visitor's id is kept in memory for this page only"],
    );
}

/// Reads the hgid from the `_hgid` cookie that the old script set on the site's root domain.
fn old_cookie_hgid() -> Option<String> {
    let document = web_sys::window()?.document()?;
    let cookies = document
        .dyn_into::<web_sys::HtmlDocument>()
        .ok()?
        .cookie()
        .ok()?;
    let raw = cookies.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name.trim() == OLD_COOKIE).then(|| value.trim())
    })?;
    let decoded = js_sys::decode_uri_component(raw)
        .ok()
        .map(String::from)
        .unwrap_or_else(|| raw.into());
    let hgid = decoded.trim_matches('"').trim();
    (!hgid.is_empty()).then(|| hgid.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    fn local() -> Storage {
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
    }
}
