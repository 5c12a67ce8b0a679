//! The identity rules of `POST /v1/identify`: which profile a request updates, or whether it
//! creates one. The lookup and the write run in one SQLite transaction.

use rusqlite::{Connection, TransactionBehavior};
use uuid::Uuid;

use crate::error::ApiError;
use crate::identify::{IdentifyRequest, MAX_CUSTOM_ATTRIBUTES_BYTES};
use crate::profile::{self, Profile};
use crate::repeats;

/// The effect of an identify call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It created a profile.
    Created,
    /// It updated an existing profile.
    Updated,
    /// It repeated an earlier call's request id, so it changed nothing.
    Repeated,
}

impl Outcome {
    /// Returns the outcome's name in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Repeated => "repeated",
        }
    }
}

/// The result of an identify call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identified {
    /// The `hgid` of the profile the call wrote, which the client must keep.
    pub hgid: String,
    /// The profile's device id.
    pub device_id: String,
    /// The effect of the call.
    pub outcome: Outcome,
}

/// The profile a request writes to.
enum Target {
    Existing(Profile),
    New,
}

/// Applies an identify request. A `request_id` that an earlier successful call carried returns
/// that call's result and changes nothing.
///
/// # Errors
///
/// Returns a 404 error when the request names an `hgid` that no profile has and gives no
/// `externalUserId` that a profile already has. Returns a 400 error when the profile's custom
/// attributes would grow over `MAX_CUSTOM_ATTRIBUTES_BYTES`, and an internal error when SQLite
/// fails.
pub fn identify(
    connection: &mut Connection,
    request: &IdentifyRequest,
    request_id: Option<&str>,
) -> Result<Identified, ApiError> {
    // An immediate transaction takes the write lock before the lookup, so no other writer of
    // the same file can slip a profile in between the lookup and the write.
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;

    if let Some(id) = request_id {
        if let Some((hgid, device_id)) = repeats::find(&transaction, id)? {
            return Ok(Identified {
                hgid,
                device_id,
                outcome: Outcome::Repeated,
            });
        }
    }

    let target = choose_target(&transaction, request)?;
    let stored = match &target {
        Target::Existing(stored) => Some(stored),
        Target::New => None,
    };
    let custom_attributes = profile::merged_custom_attributes(stored, request);
    check_custom_attributes_size(&custom_attributes)?;

    let identified = match target {
        Target::Existing(stored) => {
            profile::update(&transaction, &stored, request, &custom_attributes)?;
            Identified {
                hgid: stored.hgid,
                device_id: stored.device_id,
                outcome: Outcome::Updated,
            }
        }
        Target::New => {
            let hgid = Uuid::new_v4().to_string();
            let device_id = Uuid::new_v4().to_string();
            profile::insert(&transaction, &hgid, &device_id, request, &custom_attributes)?;
            Identified {
                hgid,
                device_id,
                outcome: Outcome::Created,
            }
        }
    };

    if let Some(id) = request_id {
        repeats::record(&transaction, id, &identified.hgid, &identified.device_id)?;
    }
    transaction.commit()?;
    Ok(identified)
}

/// Chooses the profile a request writes to.
fn choose_target(connection: &Connection, request: &IdentifyRequest) -> Result<Target, ApiError> {
    // An externalUserId that a profile already has wins, whatever hgid came with it.
    if let Some(external_user_id) = request.external_user_id() {
        if let Some(owner) = profile::find_by_external_user_id(connection, external_user_id)? {
            return Ok(Target::Existing(owner));
        }
    }

    let Some(hgid) = request.hgid.as_deref() else {
        return Ok(Target::New);
    };
    let named =
        profile::find_by_hgid(connection, hgid)?.ok_or_else(|| ApiError::unknown_hgid(hgid))?;

    // The named profile takes a first externalUserId, but one that already has another is
    // never given a second: the request starts a profile of its own instead.
    if named.external_user_id().is_some() && request.external_user_id().is_some() {
        Ok(Target::New)
    } else {
        Ok(Target::Existing(named))
    }
}

/// Rejects a merge that would make a profile's custom attributes larger than the limit. The
/// transaction is then dropped, so nothing of the request is stored.
fn check_custom_attributes_size(merged: &str) -> Result<(), ApiError> {
    if merged.len() <= MAX_CUSTOM_ATTRIBUTES_BYTES {
        return Ok(());
    }
    let mut error = ApiError::bad_request(format!(
        "customAttributes would make the stored custom attributes {} bytes, more than the \
         {MAX_CUSTOM_ATTRIBUTES_BYTES} bytes a profile may keep: send shorter values",
        merged.len()
    ));
    error.field = Some("customAttributes".to_string());
    Err(error)
}
