//! Identity storage, which js/store.js keeps: the visitor's hgid and the externalId it belongs
//! to, the visitor generation of each `reset`, the identities kept for calls of earlier
//! generations, and the location opt-out. They live in `localStorage` under namespaced keys, and
//! in memory when storage is missing or throws. The `_hgid` cookie of the old script is adopted
//! once. The queue's entries are stored through [`read`] and [`write`].

use alloc::string::String;
use alloc::vec::Vec;

use crate::identity::Identity;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/store.js")]
extern "C" {
    /// Opens storage and loads the identity, adopting the old script's cookie when storage has
    /// never had an hgid.
    #[wasm_bindgen(js_name = openStore)]
    pub fn open(debug: bool);

    /// Reads a key of `localStorage`; `None` when it is absent or storage does not work.
    pub fn read(key: &str) -> Option<String>;

    /// Writes or, for `None`, removes a key of `localStorage`. Returns whether it worked; a full
    /// quota or storage that throws warns once and never reaches the page.
    pub fn write(key: &str, value: Option<&str>) -> bool;

    /// Lists the keys of `localStorage` that start with `prefix`, one per line.
    #[wasm_bindgen(js_name = storedKeys)]
    fn stored_keys(prefix: &str) -> String;

    /// Returns the current visitor generation, read again from storage. When another tab has
    /// started a new one, an identity that only this tab's memory has is dropped.
    pub fn visitor() -> String;

    #[wasm_bindgen(js_name = identityOf)]
    fn identity_text(visitor: &str) -> String;

    #[wasm_bindgen(js_name = saveIdentityOf)]
    fn save_identity_parts(visitor: &str, hgid: Option<&str>, owner: Option<&str>);

    /// Starts a new visitor generation, keeps the current identity for the calls still queued,
    /// and clears the identity and the location opt-out. The old script's cookie is expired
    /// and never adopted again.
    #[wasm_bindgen(js_name = forgetVisitor)]
    pub fn forget_visitor(generation: &str);

    #[wasm_bindgen(js_name = pruneIdentities)]
    fn prune_identities_text(needed: &str);

    /// Returns whether the visitor's last `locationOptin` was `OPTOUT`, read again from storage
    /// so that another tab's choice is seen.
    #[wasm_bindgen(js_name = locationOptout)]
    pub fn location_optout() -> bool;

    /// Remembers the visitor's latest `locationOptin`.
    #[wasm_bindgen(js_name = setLocationOptout)]
    pub fn set_location_optout(optout: bool);
}

/// Returns the identity of the visitor generation `visitor`: the current identity, or the one a
/// `reset` kept for the calls of an earlier generation still queued.
pub fn identity_of(visitor: &str) -> Identity {
    let text = identity_text(visitor);
    let (hgid, owner) = crate::bytes::split_once(&text, b'\n').unwrap_or((&text, ""));
    let present = |part: &str| (!hgid.is_empty() && !part.is_empty()).then(|| String::from(part));
    Identity {
        hgid: present(hgid),
        owner: present(owner),
    }
}

/// Stores the identity of the visitor generation `visitor`, after a response to one of its
/// calls.
pub fn save_identity_of(visitor: &str, identity: &Identity) {
    save_identity_parts(visitor, identity.hgid.as_deref(), identity.owner.as_deref());
}

/// Forgets the identities kept for earlier generations that no queued call in `needed` uses.
pub fn prune_identities(needed: &[String]) {
    let mut text = String::from("[");
    for (index, visitor) in needed.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        crate::json::push_string(&mut text, visitor);
    }
    text.push(']');
    prune_identities_text(&text);
}

/// Returns the size of the values under the keys that start with `prefix`, in bytes.
pub fn bytes_under(prefix: &str) -> usize {
    keys(prefix)
        .iter()
        .filter_map(|key| read(key))
        .map(|value| value.len())
        .sum()
}

/// Lists the keys of `localStorage` that start with `prefix`. js/store.js filters them, so a
/// site with many keys of its own costs one call into JavaScript, not one per key.
pub fn keys(prefix: &str) -> Vec<String> {
    let keys = stored_keys(prefix);
    crate::bytes::split(&keys, b'\n')
        .filter(|key| !key.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    const HGID_KEY: &str = "herogi:hgid";
    const OWNER_KEY: &str = "herogi:externalUserId";
    const LOCATION_OPTOUT_KEY: &str = "herogi:locationOptout";
    const COOKIE_DONE_KEY: &str = "herogi:cookieAdopted";

    #[wasm_bindgen(module = "/js/store.js")]
    extern "C" {
        #[wasm_bindgen(js_name = validHgid)]
        fn js_valid_hgid(text: &str) -> bool;
    }

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

    fn identity() -> Identity {
        identity_of(&visitor())
    }

    fn save(identity: &Identity) {
        save_identity_of(&visitor(), identity);
    }

    fn identity_of_hgid(hgid: &str, owner: Option<&str>) -> Identity {
        Identity {
            hgid: Some(hgid.into()),
            owner: owner.map(String::from),
        }
    }

    #[wasm_bindgen_test]
    fn identity_round_trips_through_local_storage() {
        clear();
        open(false);
        assert_eq!(identity(), Identity::default());
        let alice = identity_of_hgid("h-1", Some("alice"));
        save(&alice);
        assert_eq!(local().get_item(HGID_KEY).unwrap().as_deref(), Some("h-1"));
        assert_eq!(
            local().get_item(OWNER_KEY).unwrap().as_deref(),
            Some("alice")
        );
        open(false);
        assert_eq!(identity(), alice);
        save(&identity_of_hgid("h-2", None));
        assert_eq!(local().get_item(OWNER_KEY).unwrap(), None);
        assert_eq!(identity(), identity_of_hgid("h-2", None));
    }

    #[wasm_bindgen_test]
    fn another_tabs_change_is_read_again() {
        clear();
        open(false);
        save(&identity_of_hgid("h-1", None));
        local().set_item(HGID_KEY, "h-2").unwrap();
        assert_eq!(identity().hgid.as_deref(), Some("h-2"));
    }

    #[wasm_bindgen_test]
    fn old_cookie_is_adopted_once() {
        clear();
        set_cookie("other=1; path=/");
        set_cookie("_hgid=%22old-hgid%22; path=/");
        open(false);
        assert_eq!(identity().hgid.as_deref(), Some("old-hgid"));
        assert_eq!(
            local().get_item(HGID_KEY).unwrap().as_deref(),
            Some("old-hgid")
        );

        local().set_item(HGID_KEY, "newer").unwrap();
        open(false);
        assert_eq!(identity().hgid.as_deref(), Some("newer"));

        // Once adopted, the cookie does not come back when the stored hgid goes.
        local().remove_item(HGID_KEY).unwrap();
        open(false);
        assert_eq!(identity().hgid, None);
        clear();
    }

    #[wasm_bindgen_test]
    fn reset_expires_the_cookie_and_starts_a_generation() {
        clear();
        set_cookie("_hgid=old-hgid; path=/");
        open(false);
        assert_eq!(visitor(), "");
        forget_visitor("g-2");
        assert_eq!(identity(), Identity::default());
        assert_eq!(visitor(), "g-2");
        // The calls of the first generation still find its identity.
        assert_eq!(identity_of("").hgid.as_deref(), Some("old-hgid"));
        local().remove_item(COOKIE_DONE_KEY).unwrap();
        open(false);
        assert_eq!(identity().hgid, None);
        assert_eq!(visitor(), "g-2");
        clear();
    }

    #[wasm_bindgen_test]
    fn kept_identities_are_pruned_when_no_call_needs_them() {
        clear();
        open(false);
        save(&identity_of_hgid("h-1", Some("alice")));
        forget_visitor("g-2");
        save(&identity_of_hgid("h-2", None));
        forget_visitor("g-3");
        assert_eq!(identity_of(""), identity_of_hgid("h-1", Some("alice")));
        assert_eq!(identity_of("g-2"), identity_of_hgid("h-2", None));

        prune_identities(&[String::new()]);
        assert_eq!(identity_of(""), identity_of_hgid("h-1", Some("alice")));
        assert_eq!(identity_of("g-2"), Identity::default());
        prune_identities(&[]);
        assert_eq!(identity_of(""), Identity::default());
        assert!(keys("herogi:visitor:").is_empty());
    }

    #[wasm_bindgen_test]
    fn hgid_breaking_the_rules_is_not_kept() {
        clear();
        open(false);
        save(&identity_of_hgid("h-1\nalice", Some("bob")));
        assert_eq!(identity(), Identity::default());
        assert_eq!(local().get_item(HGID_KEY).unwrap(), None);
    }

    #[wasm_bindgen_test]
    fn generation_with_a_line_break_keeps_its_identity() {
        clear();
        local().set_item("herogi:visitor", "g\n1").unwrap();
        open(false);
        save(&identity_of_hgid("h-1", None));
        forget_visitor("g-2");
        prune_identities(&["g\n1".into()]);
        assert_eq!(identity_of("g\n1"), identity_of_hgid("h-1", None));
        prune_identities(&["g".into(), "1".into()]);
        assert_eq!(identity_of("g\n1"), Identity::default());
    }

    #[wasm_bindgen_test]
    fn another_tabs_reset_is_seen() {
        clear();
        open(false);
        save(&identity_of_hgid("h-1", Some("alice")));
        local().remove_item(HGID_KEY).unwrap();
        local().remove_item(OWNER_KEY).unwrap();
        assert_eq!(identity(), Identity::default());
    }

    #[wasm_bindgen_test]
    fn damaged_hgid_is_dropped() {
        for damaged in ["", " h-1", "undefined", "a\u{1}b", &"x".repeat(300)] {
            clear();
            local().set_item(HGID_KEY, damaged).unwrap();
            local().set_item(OWNER_KEY, "alice").unwrap();
            open(false);
            assert_eq!(identity(), Identity::default(), "{damaged:?}");
            assert_eq!(local().get_item(HGID_KEY).unwrap(), None);
            assert_eq!(local().get_item(OWNER_KEY).unwrap(), None);
        }
        clear();
        set_cookie("_hgid=undefined; path=/");
        open(false);
        assert_eq!(identity().hgid, None);
        clear();
    }

    /// js/store.js checks stored hgids with its own copy of the field rules.
    #[wasm_bindgen_test]
    fn stored_hgid_check_agrees_with_the_field_rules() {
        let long = "é".repeat(255);
        let too_long = "é".repeat(256);
        let samples = [
            "h-1",
            "a b",
            "",
            " ",
            " h-1",
            "h-1 ",
            "h-1\u{a0}",
            "\u{3000}h-1",
            "\u{2028}h-1",
            "h-1\u{feff}",
            "\u{feff}h-1",
            "a\u{1}b",
            "a\u{7f}b",
            "a\u{85}b",
            "a\u{9f}b",
            "a\u{a0}b",
            "\u{85}h-1",
            "undefined",
            "NULL",
            "nullish",
            "\u{1f600}",
            &long,
            &too_long,
        ];
        for sample in samples {
            assert_eq!(
                js_valid_hgid(sample),
                fields::valid_hgid(sample),
                "{sample:?}"
            );
        }
    }

    #[wasm_bindgen_test]
    fn location_optout_is_remembered() {
        clear();
        open(false);
        assert!(!location_optout());
        set_location_optout(true);
        open(false);
        assert!(location_optout());
        set_location_optout(false);
        open(false);
        assert!(!location_optout());
        local().set_item(LOCATION_OPTOUT_KEY, "1").unwrap();
        assert!(location_optout());
    }
}
