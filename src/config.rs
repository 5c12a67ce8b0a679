//! The two forms of `init` and the settings they give.

use alloc::string::{String, ToString};

use crate::error::{Error, ErrorCode};
use crate::value::Value;

/// The production Identify API.
pub const DEFAULT_API_URL: &str = "https://stream.herogi.com";

/// The SDK's settings after `init`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The app id, the user name of HTTP Basic authentication.
    pub app_id: String,
    /// The app secret, the password of HTTP Basic authentication. Never logged.
    pub app_secret: String,
    /// The API base, without a trailing slash.
    pub api_url: String,
    /// Whether `init` asks the Geolocation API for the visitor's position.
    pub ask_location: bool,
    /// Whether the SDK logs what it does to the console.
    pub debug: bool,
}

impl Config {
    /// Returns the `Authorization` header value: `Basic base64(appId:appSecret)` of the UTF-8
    /// bytes. Never log it.
    pub fn authorization(&self) -> String {
        let credentials = [self.app_id.as_str(), ":", self.app_secret.as_str()].concat();
        let mut header = String::from("Basic ");
        push_base64(&mut header, credentials.as_bytes());
        header
    }
}

/// Appends the standard base64 encoding of `bytes`, with padding.
fn push_base64(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

/// Reads `init`'s arguments in either form:
/// `init(appId, appSecret, askLocation, options)` or
/// `init({ appId, appSecret, apiUrl, ... }, { locationSubscribe })`.
///
/// # Errors
///
/// Returns [`ErrorCode::InvalidConfig`] naming the setting when the app id or secret is missing
/// or `apiUrl` is not an https URL (http is allowed for localhost only).
pub fn parse_init(args: &[Value]) -> Result<Config, Error> {
    let arg = |index: usize| args.get(index).unwrap_or(&Value::Undefined);
    let mut config = Config {
        app_id: String::new(),
        app_secret: String::new(),
        api_url: DEFAULT_API_URL.to_string(),
        ask_location: false,
        debug: false,
    };

    match arg(0) {
        Value::Object(_) => {
            config.app_id = required_text(arg(0).get("appId"), "appId")?;
            config.app_secret = required_text(arg(0).get("appSecret"), "appSecret")?;
            apply_options(&mut config, arg(0))?;
            apply_options(&mut config, arg(1))?;
        }
        Value::String(_) => {
            config.app_id = required_text(Some(arg(0)), "appId")?;
            config.app_secret = required_text(Some(arg(1)), "appSecret")?;
            config.ask_location = flag(arg(2), "askLocation")?.unwrap_or(false);
            apply_options(&mut config, arg(3))?;
        }
        other => {
            return Err(Error::invalid(
                ErrorCode::InvalidConfig,
                "appId",
                &[
                    "init expects (appId, appSecret, askLocation, options) or ({ appId, \
                     appSecret, apiUrl }); the first argument is ",
                    other.kind(),
                ],
            ))
        }
    }
    Ok(config)
}

/// Applies the optional settings of an options object; `null` and `undefined` are no options.
fn apply_options(config: &mut Config, options: &Value) -> Result<(), Error> {
    if options.is_nullish() {
        return Ok(());
    }
    if !matches!(options, Value::Object(_)) {
        return Err(Error::invalid(
            ErrorCode::InvalidConfig,
            "options",
            &["init options must be a plain object; got ", options.kind()],
        ));
    }
    for key in ["askLocation", "locationSubscribe"] {
        if let Some(ask) = flag(options.get(key).unwrap_or(&Value::Undefined), key)? {
            config.ask_location = ask;
        }
    }
    if let Some(debug) = flag(options.get("debug").unwrap_or(&Value::Undefined), "debug")? {
        config.debug = debug;
    }
    for key in ["proxyUrl", "apiUrl"] {
        match options.get(key) {
            None | Some(Value::Undefined | Value::Null) => {}
            Some(Value::String(url)) => config.api_url = api_url(url, key)?,
            Some(other) => {
                return Err(Error::invalid(
                    ErrorCode::InvalidConfig,
                    key,
                    &[key, " must be a string; got ", other.kind()],
                ))
            }
        }
    }
    Ok(())
}

fn required_text(value: Option<&Value>, name: &'static str) -> Result<String, Error> {
    match value {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        Some(Value::String(_)) => Err(Error::invalid(
            ErrorCode::InvalidConfig,
            name,
            &[name, " is empty; pass the value from the Herogi panel"],
        )),
        other => Err(Error::invalid(
            ErrorCode::InvalidConfig,
            name,
            &[
                name,
                " must be a string from the Herogi panel; got ",
                other.unwrap_or(&Value::Undefined).kind(),
            ],
        )),
    }
}

fn flag(value: &Value, name: &'static str) -> Result<Option<bool>, Error> {
    match value {
        Value::Undefined | Value::Null => Ok(None),
        Value::Bool(flag) => Ok(Some(*flag)),
        other => Err(Error::invalid(
            ErrorCode::InvalidConfig,
            name,
            &[name, " must be true or false; got ", other.kind()],
        )),
    }
}

/// Checks an API base URL: https anywhere, http only for loopback hosts so that the app secret
/// never travels in clear text, or a path on the page's own origin (`/herogi-proxy`).
fn api_url(url: &str, name: &'static str) -> Result<String, Error> {
    let url = url.trim().trim_end_matches('/');
    let host_start = if let Some(rest) = url.strip_prefix("https://") {
        Some(rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        if !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
            return Err(Error::invalid(
                ErrorCode::InvalidConfig,
                name,
                &[
                    name,
                    " \"",
                    url,
                    "\" uses http://, which would send the app secret in clear text; use \
                     https:// (http:// is allowed for localhost and 127.0.0.1 only)",
                ],
            ));
        }
        Some(rest)
    } else if url.starts_with('/') && !url.starts_with("//") {
        return Ok(url.to_string());
    } else {
        None
    };
    match host_start {
        Some(rest) if !rest.is_empty() && !url.chars().any(char::is_whitespace) => {
            Ok(url.to_string())
        }
        _ => Err(Error::invalid(
            ErrorCode::InvalidConfig,
            name,
            &[
                name,
                " \"",
                url,
                "\" is not a URL; expected https://host, http://localhost:PORT or a path \
                 such as /herogi-proxy",
            ],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(entries: &[(&str, Value)]) -> Value {
        Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn authorization_is_basic_base64() {
        let mut config = parse_init(&["app".into(), "secret".into()]).unwrap();
        assert_eq!(config.authorization(), "Basic YXBwOnNlY3JldA==");
        config.app_secret = "s3".into();
        assert_eq!(config.authorization(), "Basic YXBwOnMz");
        config.app_secret = "sé".into();
        assert_eq!(config.authorization(), "Basic YXBwOnPDqQ==");
    }

    #[test]
    fn positional_form() {
        let options = object(&[
            ("apiUrl", "http://127.0.0.1:8080/".into()),
            ("debug", true.into()),
        ]);
        let config = parse_init(&["app".into(), "secret".into(), true.into(), options]).unwrap();
        assert_eq!(config.app_id, "app");
        assert_eq!(config.app_secret, "secret");
        assert_eq!(config.api_url, "http://127.0.0.1:8080");
        assert!(config.ask_location);
        assert!(config.debug);
    }

    #[test]
    fn positional_form_defaults() {
        let config = parse_init(&["app".into(), "secret".into()]).unwrap();
        assert_eq!(config.api_url, DEFAULT_API_URL);
        assert!(!config.ask_location);
        assert!(!config.debug);
    }

    #[test]
    fn object_form_with_proxy_url_and_location_subscribe() {
        let settings = object(&[
            ("appId", "app".into()),
            ("appSecret", "secret".into()),
            ("proxyUrl", "https://proxy.example.com/hg/".into()),
            ("trackingDomain", "example.com".into()),
        ]);
        let second = object(&[("locationSubscribe", true.into())]);
        let config = parse_init(&[settings, second]).unwrap();
        assert_eq!(config.api_url, "https://proxy.example.com/hg");
        assert!(config.ask_location);
    }

    #[test]
    fn api_url_wins_over_proxy_url() {
        let settings = object(&[
            ("appId", "app".into()),
            ("appSecret", "secret".into()),
            ("proxyUrl", "https://proxy.example.com".into()),
            ("apiUrl", "/herogi".into()),
        ]);
        assert_eq!(parse_init(&[settings]).unwrap().api_url, "/herogi");
    }

    #[test]
    fn invalid_settings_name_the_setting() {
        let options = |url: &str| object(&[("apiUrl", url.into())]);
        let cases: Vec<(Vec<Value>, &str, &str)> = vec![
            (vec![], "appId", "undefined"),
            (vec![5.0.into()], "appId", "a number"),
            (vec!["app".into()], "appSecret", "undefined"),
            (vec![" ".into(), "s".into()], "appId", "empty"),
            (
                vec!["a".into(), "s".into(), "yes".into()],
                "askLocation",
                "true or false",
            ),
            (
                vec!["a".into(), "s".into(), false.into(), "x".into()],
                "options",
                "plain object",
            ),
            (
                vec![
                    "a".into(),
                    "s".into(),
                    false.into(),
                    options("http://api.example.com"),
                ],
                "apiUrl",
                "clear text",
            ),
            (
                vec!["a".into(), "s".into(), false.into(), options("ftp://x")],
                "apiUrl",
                "not a URL",
            ),
            (
                vec!["a".into(), "s".into(), false.into(), options("//cdn.x")],
                "apiUrl",
                "not a URL",
            ),
            (
                vec![object(&[("appId", "a".into())])],
                "appSecret",
                "undefined",
            ),
        ];
        for (args, field, phrase) in cases {
            let error = parse_init(&args).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidConfig, "{args:?}");
            assert_eq!(error.field, Some(field), "{args:?}");
            assert!(
                error.message.contains(phrase),
                "{args:?}: {}",
                error.message
            );
        }
    }

    #[test]
    fn http_is_allowed_for_loopback() {
        for url in [
            "http://localhost",
            "http://localhost:8080",
            "http://127.0.0.1:9/x",
            "http://[::1]:80",
        ] {
            let options = object(&[("apiUrl", url.into())]);
            let config = parse_init(&["a".into(), "s".into(), Value::Null, options]);
            assert!(config.is_ok(), "{url}");
        }
        let spoof = object(&[("apiUrl", "http://localhost.evil.com".into())]);
        assert!(parse_init(&["a".into(), "s".into(), Value::Null, spoof]).is_err());
    }
}
