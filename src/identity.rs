//! Which hgid a call sends and what the SDK stores after an answer.
//!
//! The SDK remembers which externalUserId its hgid belongs to, so two people who share a
//! browser never share a profile, while an anonymous visitor who logs in keeps theirs.

use alloc::string::{String, ToString};

/// The stored identity of this browser.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// The platform's id of this visitor.
    pub hgid: Option<String>,
    /// The externalUserId the hgid belongs to; `None` while the visitor is anonymous.
    pub owner: Option<String>,
}

impl Identity {
    /// Returns the hgid to send with a call: none when the call names another user than the
    /// one the hgid belongs to.
    pub fn hgid_for(&self, external_id: Option<&str>) -> Option<&str> {
        match (external_id, self.owner.as_deref()) {
            (Some(id), Some(owner)) if id != owner => None,
            _ => self.hgid.as_deref(),
        }
    }

    /// Records a successful answer to a call that sent `sent` and named `external_id`.
    pub fn on_success(&mut self, sent: Option<&str>, external_id: Option<&str>, returned: &str) {
        if sent != Some(returned) {
            self.owner = None;
        }
        if let Some(id) = external_id {
            self.owner = Some(id.to_string());
        }
        self.hgid = Some(returned.to_string());
    }

    /// Forgets the hgid after the server answered that it does not know it.
    pub fn forget(&mut self) {
        self.hgid = None;
        self.owner = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(hgid: &str, owner: Option<&str>) -> Identity {
        Identity {
            hgid: Some(hgid.into()),
            owner: owner.map(str::to_string),
        }
    }

    #[test]
    fn hgid_sent_per_owner() {
        let anonymous = identity("h1", None);
        assert_eq!(anonymous.hgid_for(None), Some("h1"));
        assert_eq!(anonymous.hgid_for(Some("alice")), Some("h1"));

        let alice = identity("h1", Some("alice"));
        assert_eq!(alice.hgid_for(None), Some("h1"));
        assert_eq!(alice.hgid_for(Some("alice")), Some("h1"));
        assert_eq!(alice.hgid_for(Some("bob")), None);

        assert_eq!(Identity::default().hgid_for(Some("alice")), None);
    }

    #[test]
    fn success_records_owner() {
        let mut state = identity("h1", None);
        state.on_success(Some("h1"), Some("alice"), "h1");
        assert_eq!(state, identity("h1", Some("alice")));

        state.on_success(Some("h1"), None, "h1");
        assert_eq!(state, identity("h1", Some("alice")));

        state.on_success(None, Some("bob"), "h2");
        assert_eq!(state, identity("h2", Some("bob")));

        state.on_success(Some("h2"), None, "h3");
        assert_eq!(state, identity("h3", None));
    }

    #[test]
    fn merge_into_existing_profile_switches_hgid() {
        let mut state = identity("anon", None);
        state.on_success(Some("anon"), Some("carol"), "carols-profile");
        assert_eq!(state, identity("carols-profile", Some("carol")));
    }
}
