//! `POST /v1/identify`: profile creation, updates and the externalUserId merge rules.

mod common;

use std::sync::{Arc, Barrier};
use std::thread;

use common::{basic, Client, Server, TempDb, APP_ID, APP_SECRET};
use serde_json::{json, Value};

/// Identify calls sent at the same time in the concurrency tests.
const CONCURRENT_CALLS: usize = 50;

fn is_uuid_v4(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| bytes[i] == b'-')
        && bytes[14] == b'4'
        && text.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

#[test]
fn create_without_hgid() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();

    let reply = client.identify(&json!({ "email": "ada@example.com", "city": "London" }));
    assert_eq!(reply.status, 200, "{}", reply.json);
    let hgid = reply.text("hgid").to_string();
    assert!(is_uuid_v4(&hgid), "{hgid}");
    assert!(is_uuid_v4(reply.text("deviceId")), "{}", reply.json);

    let profile = client.profile_ok(&hgid);
    assert_eq!(profile["hgid"], hgid.as_str());
    assert_eq!(profile["deviceId"], reply.json["deviceId"]);
    assert_eq!(profile["email"], "ada@example.com");
    assert_eq!(profile["city"], "London");
    assert!(profile.get("externalUserId").is_none(), "{profile}");
    assert!(profile.get("firstname").is_none(), "{profile}");
    assert_eq!(profile["customAttributes"], json!({}));
    assert!(
        profile["createdAt"].as_str().unwrap().ends_with('Z'),
        "{profile}"
    );
    assert!(profile["updatedAt"].is_string(), "{profile}");
}

#[test]
fn optins_default_to_optin() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();

    let hgid = client.identify_ok(&json!({ "smsOptin": "OPTOUT" }));
    let profile = client.profile_ok(&hgid);
    assert_eq!(profile["emailOptin"], "OPTIN");
    assert_eq!(profile["smsOptin"], "OPTOUT");
    assert_eq!(profile["pushOptin"], "OPTIN");
    assert_eq!(profile["webPushOptin"], "OPTIN");
    assert_eq!(profile["locationOptin"], "OPTIN");

    // An opt-in left out later keeps its stored value.
    client.identify_ok(&json!({ "hgid": hgid, "city": "Oslo" }));
    assert_eq!(client.profile_ok(&hgid)["smsOptin"], "OPTOUT");
}

#[test]
fn update_keeps_absent_fields() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let hgid = client.identify_ok(&json!({ "email": "ada@example.com", "city": "London" }));
    let created = client.profile_ok(&hgid);

    let again = client.identify_ok(&json!({ "hgid": hgid, "city": "Paris", "firstname": "Ada" }));
    assert_eq!(again, hgid);

    let profile = client.profile_ok(&hgid);
    assert_eq!(profile["email"], "ada@example.com");
    assert_eq!(profile["city"], "Paris");
    assert_eq!(profile["firstname"], "Ada");
    assert_eq!(profile["deviceId"], created["deviceId"]);
    assert_eq!(profile["createdAt"], created["createdAt"]);
}

#[test]
fn stored_values_are_normalised() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let hgid = client.identify_ok(&json!({
        "mobileNo": "+1 (415) 555-0123",
        "gender": "female",
        "language": "en-US",
        "country": "gb",
        "firstname": "  Ada  ",
        "emailOptin": "opt_out",
        "currentLocation": "{ \"longitude\": 100.31, \"latitude\": 12.12 }",
    }));

    let profile = client.profile_ok(&hgid);
    assert_eq!(profile["mobileNo"], "+14155550123");
    assert_eq!(profile["gender"], "FEMALE");
    assert_eq!(profile["language"], "EN");
    assert_eq!(profile["country"], "GB");
    assert_eq!(profile["firstname"], "Ada");
    assert_eq!(profile["emailOptin"], "OPTOUT");
    assert_eq!(
        profile["currentLocation"],
        "{\"latitude\":12.12,\"longitude\":100.31}"
    );
}

#[test]
fn unknown_hgid_is_404() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let reply = server
        .client()
        .identify(&json!({ "hgid": "no-such-visitor", "city": "Paris" }));
    assert_eq!(reply.status, 404, "{}", reply.json);
    assert_eq!(reply.json["code"], 404);
    assert!(reply
        .text("message")
        .starts_with("unknown hgid no-such-visitor"));
}

#[test]
fn unknown_profile_read_is_404() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let reply = server.client().profile("no-such-visitor");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json["code"], 404);
    assert!(reply.json["message"].is_string());
}

#[test]
fn external_user_id_merges_into_owner() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let owner = client.identify_ok(&json!({ "externalUserId": "user-1", "city": "London" }));
    let anonymous = client.identify_ok(&json!({ "city": "Paris" }));

    // The owner of the externalUserId wins over the hgid sent.
    let merged = client.identify_ok(&json!({
        "hgid": anonymous,
        "externalUserId": "user-1",
        "firstname": "Ada",
    }));
    assert_eq!(merged, owner);
    assert_eq!(client.profile_ok(&owner)["firstname"], "Ada");
    assert_eq!(client.profile_ok(&owner)["city"], "London");

    let untouched = client.profile_ok(&anonymous);
    assert!(untouched.get("externalUserId").is_none(), "{untouched}");
    assert!(untouched.get("firstname").is_none(), "{untouched}");

    // Without an hgid, and with one that no profile has, the owner still wins.
    let without_hgid = client.identify_ok(&json!({ "externalUserId": "user-1" }));
    assert_eq!(without_hgid, owner);
    let unknown_hgid = client.identify_ok(&json!({ "hgid": "gone", "externalUserId": "user-1" }));
    assert_eq!(unknown_hgid, owner);
}

#[test]
fn anonymous_profile_takes_first_external_user_id() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let hgid = client.identify_ok(&json!({ "city": "Paris" }));

    let logged_in = client.identify_ok(&json!({ "hgid": hgid, "externalUserId": "user-2" }));
    assert_eq!(logged_in, hgid);

    let profile = client.profile_ok(&hgid);
    assert_eq!(profile["externalUserId"], "user-2");
    assert_eq!(profile["city"], "Paris");
}

#[test]
fn second_external_user_id_gets_new_profile() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let first = client.identify_ok(&json!({ "externalUserId": "user-3", "city": "Paris" }));

    let second = client.identify_ok(&json!({ "hgid": first, "externalUserId": "user-4" }));
    assert_ne!(second, first);

    let first_profile = client.profile_ok(&first);
    assert_eq!(first_profile["externalUserId"], "user-3");
    let second_profile = client.profile_ok(&second);
    assert_eq!(second_profile["externalUserId"], "user-4");
    assert!(second_profile.get("city").is_none(), "{second_profile}");
}

#[test]
fn call_without_external_id_updates_logged_in_profile() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let hgid = client.identify_ok(&json!({ "externalUserId": "user-5" }));

    let again = client.identify_ok(&json!({ "hgid": hgid, "city": "Rome" }));
    assert_eq!(again, hgid);

    let profile = client.profile_ok(&hgid);
    assert_eq!(profile["externalUserId"], "user-5");
    assert_eq!(profile["city"], "Rome");
}

#[test]
fn custom_attributes_filtered_and_merged() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let first = json!({ "plan": "pro", "favoriteColor": "red", "undefinedKey": "dropped" });
    let hgid = client.identify_ok(&json!({ "customAttributes": first.to_string() }));
    assert_eq!(
        client.profile_ok(&hgid)["customAttributes"],
        json!({ "plan": "pro", "favoriteColor": "red" })
    );

    let second =
        json!({ "plan": "free", "loyaltyPoints": { "total": 5, "tiers": [1, null, true] } });
    client.identify_ok(&json!({ "hgid": hgid, "customAttributes": second.to_string() }));
    assert_eq!(
        client.profile_ok(&hgid)["customAttributes"],
        json!({
            "plan": "free",
            "favoriteColor": "red",
            "loyaltyPoints": { "total": 5, "tiers": [1, null, true] },
        })
    );
}

#[test]
fn custom_attributes_follow_configured_keys() {
    let db = TempDb::new();
    let server = Server::start(
        &db,
        &["--custom-attribute", "tier", "--custom-attribute", "score"],
    );
    let client = server.client();
    let attributes = json!({ "tier": "gold", "score": 9.5, "plan": "pro" });
    let hgid = client.identify_ok(&json!({ "customAttributes": attributes.to_string() }));
    assert_eq!(
        client.profile_ok(&hgid)["customAttributes"],
        json!({ "tier": "gold", "score": 9.5 })
    );
}

#[test]
fn repeated_request_id_is_applied_once() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let body = json!({ "city": "Paris" }).to_string();
    let header = [("x-request-id", "req-7f3a")];

    let first = client.post_raw("/v1/identify", &body, &header);
    assert_eq!(first.status, 200, "{}", first.json);
    assert_eq!(first.header("x-request-id"), Some("req-7f3a"));
    let repeat = client.post_raw("/v1/identify", &body, &header);
    assert_eq!(repeat.status, 200, "{}", repeat.json);
    assert_eq!(repeat.json, first.json);

    let other = client.post_raw("/v1/identify", &body, &[("x-request-id", "req-8b1c")]);
    assert_ne!(other.json["hgid"], first.json["hgid"]);
}

/// Sends `bodies` as identify calls from one thread and one connection each, released together
/// by a barrier, and returns the `hgid` of every response in the order of `bodies`.
fn identify_all_at_once(server: &Server, bodies: Vec<Value>) -> Vec<String> {
    let barrier = Arc::new(Barrier::new(bodies.len()));
    let callers: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let client = Client::new(&server.url, Some(basic(APP_ID, APP_SECRET)));
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                client.identify_ok(&body)
            })
        })
        .collect();
    callers
        .into_iter()
        .map(|caller| caller.join().expect("the caller finished"))
        .collect()
}

/// Counts the stored profiles, all of them or those with this `externalUserId`.
fn count_profiles(db: &TempDb, external_user_id: Option<&str>) -> i64 {
    let connection = rusqlite::Connection::open(&db.path).unwrap();
    match external_user_id {
        Some(id) => connection.query_row(
            "SELECT count(*) FROM profiles WHERE external_user_id = ?1",
            [id],
            |row| row.get(0),
        ),
        None => connection.query_row("SELECT count(*) FROM profiles", [], |row| row.get(0)),
    }
    .unwrap()
}

#[test]
fn concurrent_new_external_id_makes_one_profile() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let bodies = (0..CONCURRENT_CALLS)
        .map(|i| json!({ "externalUserId": "racer", "city": format!("City {i}") }))
        .collect();

    let hgids = identify_all_at_once(&server, bodies);

    assert_eq!(hgids.len(), CONCURRENT_CALLS);
    for hgid in &hgids {
        assert_eq!(hgid, &hgids[0]);
    }
    assert_eq!(count_profiles(&db, Some("racer")), 1);
    assert_eq!(count_profiles(&db, None), 1);
    let profile = server.client().profile_ok(&hgids[0]);
    assert_eq!(profile["externalUserId"], "racer");
}

#[test]
fn concurrent_logins_share_one_profile() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let anonymous: Vec<String> = (0..CONCURRENT_CALLS)
        .map(|_| client.identify_ok(&json!({ "city": "Paris" })))
        .collect();
    let bodies = anonymous
        .iter()
        .map(|hgid| json!({ "hgid": hgid, "externalUserId": "shared-login" }))
        .collect();

    let hgids = identify_all_at_once(&server, bodies);

    // One anonymous profile took the externalUserId, and every other call merged into it.
    let owner = &hgids[0];
    for hgid in &hgids {
        assert_eq!(hgid, owner);
    }
    assert!(anonymous.contains(owner), "{owner} is a new profile");
    assert_eq!(count_profiles(&db, Some("shared-login")), 1);
    assert_eq!(count_profiles(&db, None), CONCURRENT_CALLS as i64);
}
