//! A stored profile: its columns, the queries that read and write it, and its JSON form.

use herogi::fields::Field;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row, ToSql};
use serde_json::{Map, Value as Json};

use crate::db::NOW;
use crate::identify::IdentifyRequest;

/// The body fields that a profile stores, each with its column. The `hgid` and
/// `customAttributes` columns are handled apart.
pub const COLUMNS: [(Field, &str); 19] = [
    (Field::ExternalUserId, "external_user_id"),
    (Field::Email, "email"),
    (Field::MobileNo, "mobile_no"),
    (Field::Firstname, "firstname"),
    (Field::Lastname, "lastname"),
    (Field::City, "city"),
    (Field::Gender, "gender"),
    (Field::Language, "language"),
    (Field::Country, "country"),
    (Field::Timezone, "timezone"),
    (Field::CurrentLocation, "current_location"),
    (Field::FacebookId, "facebook_id"),
    (Field::TwitterId, "twitter_id"),
    (Field::LineId, "line_id"),
    (Field::EmailOptin, "email_optin"),
    (Field::SmsOptin, "sms_optin"),
    (Field::PushOptin, "push_optin"),
    (Field::WebPushOptin, "web_push_optin"),
    (Field::LocationOptin, "location_optin"),
];

/// One visitor's stored profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// The platform's id of the visitor.
    pub hgid: String,
    /// A stable id of the profile, returned as `deviceId`.
    pub device_id: String,
    /// The stored fields that are set, in the order of [`COLUMNS`].
    pub fields: Vec<(Field, String)>,
    /// The custom attributes, merged key by key over every request.
    pub custom_attributes: Map<String, Json>,
    /// When the profile was created, in UTC (RFC 3339).
    pub created_at: String,
    /// When a request last changed the profile, in UTC (RFC 3339).
    pub updated_at: String,
}

impl Profile {
    /// Returns the stored `externalUserId`, if the profile has one.
    pub fn external_user_id(&self) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| *field == Field::ExternalUserId)
            .map(|(_, value)| value.as_str())
    }

    /// Builds the JSON response of `GET /v1/users/{hgid}`: the ids, every field that is set, the
    /// custom attributes as an object, and the timestamps.
    pub fn to_json(&self) -> Json {
        let mut object = Map::new();
        object.insert("hgid".into(), self.hgid.clone().into());
        object.insert("deviceId".into(), self.device_id.clone().into());
        for (field, value) in &self.fields {
            object.insert(field.name().into(), value.clone().into());
        }
        object.insert(
            "customAttributes".into(),
            Json::Object(self.custom_attributes.clone()),
        );
        object.insert("createdAt".into(), self.created_at.clone().into());
        object.insert("updatedAt".into(), self.updated_at.clone().into());
        Json::Object(object)
    }
}

/// Finds the profile with this `hgid`.
///
/// # Errors
///
/// Returns the SQLite error when the query fails.
pub fn find_by_hgid(connection: &Connection, hgid: &str) -> rusqlite::Result<Option<Profile>> {
    find_where(connection, "hgid", hgid)
}

/// Finds the profile that has this `externalUserId`.
///
/// # Errors
///
/// Returns the SQLite error when the query fails.
pub fn find_by_external_user_id(
    connection: &Connection,
    external_user_id: &str,
) -> rusqlite::Result<Option<Profile>> {
    find_where(connection, "external_user_id", external_user_id)
}

/// Inserts a profile with the request's fields and `custom_attributes` (the JSON text of an
/// object). The opt-ins the request does not give become `OPTIN`.
///
/// # Errors
///
/// Returns the SQLite error when the insert fails.
pub fn insert(
    connection: &Connection,
    hgid: &str,
    device_id: &str,
    request: &IdentifyRequest,
    custom_attributes: &str,
) -> rusqlite::Result<()> {
    let mut columns = vec!["hgid", "device_id", "custom_attributes"];
    let mut values: Vec<&dyn ToSql> = vec![&hgid, &device_id, &custom_attributes];
    for (field, value) in &request.fields {
        columns.push(column(*field));
        values.push(value);
    }
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();

    let sql = format!(
        "INSERT INTO profiles ({}, created_at, updated_at) VALUES ({}, {NOW}, {NOW})",
        columns.join(", "),
        placeholders.join(", ")
    );
    connection.execute(&sql, params_from_iter(values))?;
    Ok(())
}

/// Returns the JSON text of the custom attributes a profile keeps after the request: the stored
/// ones, if any, with the request's merged over them key by key.
pub fn merged_custom_attributes(profile: Option<&Profile>, request: &IdentifyRequest) -> String {
    let mut custom_attributes = profile
        .map(|stored| stored.custom_attributes.clone())
        .unwrap_or_default();
    if let Some(given) = &request.custom_attributes {
        custom_attributes.extend(given.clone());
    }
    Json::Object(custom_attributes).to_string()
}

/// Updates a stored profile: a field the request gives overwrites the stored one, a field it
/// leaves out keeps its value, and `custom_attributes` (the JSON text of
/// [`merged_custom_attributes`]) replaces the stored custom attributes.
///
/// # Errors
///
/// Returns the SQLite error when the update fails.
pub fn update(
    connection: &Connection,
    profile: &Profile,
    request: &IdentifyRequest,
    custom_attributes: &str,
) -> rusqlite::Result<()> {
    let mut assignments = vec!["custom_attributes = ?1".to_string()];
    let mut values: Vec<&dyn ToSql> = vec![&custom_attributes];
    for (field, value) in &request.fields {
        values.push(value);
        assignments.push(format!("{} = ?{}", column(*field), values.len()));
    }
    values.push(&profile.hgid);

    let sql = format!(
        "UPDATE profiles SET {}, updated_at = {NOW} WHERE hgid = ?{}",
        assignments.join(", "),
        values.len()
    );
    connection.execute(&sql, params_from_iter(values))?;
    Ok(())
}

/// Returns the column of a stored field.
///
/// # Panics
///
/// Panics for `hgid` and `customAttributes`, which the request keeps apart from its fields.
fn column(field: Field) -> &'static str {
    COLUMNS
        .iter()
        .find(|(stored, _)| *stored == field)
        .map(|(_, column)| *column)
        .unwrap_or_else(|| panic!("{} is not a stored field", field.name()))
}

/// Finds the profile whose `key_column` equals `key`. The column name comes from this module,
/// never from a request.
fn find_where(
    connection: &Connection,
    key_column: &str,
    key: &str,
) -> rusqlite::Result<Option<Profile>> {
    let field_columns: Vec<&str> = COLUMNS.iter().map(|(_, column)| *column).collect();
    let sql = format!(
        "SELECT hgid, device_id, custom_attributes, created_at, updated_at, {} \
         FROM profiles WHERE {key_column} = ?1",
        field_columns.join(", ")
    );
    connection.query_row(&sql, [key], read_profile).optional()
}

/// Reads a row of the `SELECT` in [`find_where`].
fn read_profile(row: &Row) -> rusqlite::Result<Profile> {
    let mut fields = Vec::new();
    for (index, (field, _)) in COLUMNS.iter().enumerate() {
        if let Some(value) = row.get::<_, Option<String>>(5 + index)? {
            fields.push((*field, value));
        }
    }

    let custom_attributes_text: String = row.get(2)?;
    let custom_attributes = match serde_json::from_str(&custom_attributes_text) {
        Ok(Json::Object(entries)) => entries,
        Ok(_) | Err(_) => {
            let error = "the column does not contain the JSON text of an object";
            return Err(rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Text,
                error.into(),
            ));
        }
    };

    Ok(Profile {
        hgid: row.get(0)?,
        device_id: row.get(1)?,
        fields,
        custom_attributes,
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::create_tables;
    use herogi::fields::ALL;

    fn connection() -> Connection {
        let connection = Connection::open_in_memory().unwrap();
        create_tables(&connection).unwrap();
        connection
    }

    fn request(fields: &[(Field, &str)]) -> IdentifyRequest {
        IdentifyRequest {
            hgid: None,
            fields: fields
                .iter()
                .map(|(field, value)| (*field, value.to_string()))
                .collect(),
            custom_attributes: None,
        }
    }

    #[test]
    fn every_body_field_is_stored() {
        for field in ALL {
            let apart = matches!(field, Field::Hgid | Field::CustomAttributes);
            let stored = COLUMNS
                .iter()
                .any(|(column_field, _)| *column_field == field);
            assert_eq!(stored, !apart, "{}", field.name());
        }
    }

    #[test]
    fn every_column_round_trips() {
        let connection = connection();
        let all: Vec<(Field, String)> = COLUMNS
            .iter()
            .map(|(field, column)| (*field, format!("value of {column}")))
            .collect();
        let given = IdentifyRequest {
            fields: all.clone(),
            ..IdentifyRequest::default()
        };
        insert(&connection, "h1", "d1", &given, "{}").unwrap();

        let stored = find_by_hgid(&connection, "h1").unwrap().unwrap();
        assert_eq!(stored.fields, all);
        assert_eq!(stored.device_id, "d1");
        let by_external = find_by_external_user_id(&connection, "value of external_user_id");
        assert_eq!(by_external.unwrap().unwrap().hgid, "h1");
    }

    #[test]
    fn update_overwrites_only_given_fields() {
        let connection = connection();
        let created = request(&[(Field::City, "Paris"), (Field::Email, "a@b.co")]);
        insert(&connection, "h1", "d1", &created, "{}").unwrap();
        let stored = find_by_hgid(&connection, "h1").unwrap().unwrap();

        let change = request(&[(Field::City, "Rome")]);
        let custom_attributes = merged_custom_attributes(Some(&stored), &change);
        update(&connection, &stored, &change, &custom_attributes).unwrap();
        let updated = find_by_hgid(&connection, "h1").unwrap().unwrap();
        let value = |field: Field| {
            let found = updated.fields.iter().find(|(f, _)| *f == field);
            found.map(|(_, value)| value.as_str())
        };
        assert_eq!(value(Field::City), Some("Rome"));
        assert_eq!(value(Field::Email), Some("a@b.co"));
        assert_eq!(value(Field::EmailOptin), Some("OPTIN"));
        assert_eq!(value(Field::Firstname), None);
    }

    #[test]
    fn external_user_id_is_unique() {
        let connection = connection();
        let owner = request(&[(Field::ExternalUserId, "user-1")]);
        insert(&connection, "h1", "d1", &owner, "{}").unwrap();
        let result = insert(&connection, "h2", "d2", &owner, "{}");
        assert!(
            result.is_err(),
            "a second profile took the same externalUserId"
        );
    }

    #[test]
    fn unknown_hgid_finds_nothing() {
        let connection = connection();
        assert_eq!(find_by_hgid(&connection, "missing").unwrap(), None);
    }
}
