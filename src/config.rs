//! The two forms of `init` and the settings they give.

use alloc::string::{String, ToString};

use crate::bytes;
use crate::error::{Error, ErrorCode};
use crate::value::Value;

/// The production Identify API.
pub const DEFAULT_API_URL: &str = "https://stream.herogi.com";

/// The page the SDK runs in, so that `apiUrl` is checked as `fetch` will resolve it.
pub trait Page {
    /// Resolves `url` against the page's base URL as `new URL(url, document.baseURI)` does, and
    /// returns its `href`, or `None` when it does not parse.
    fn resolve(&self, url: &str) -> Option<String>;

    /// Returns the page's origin as `location.origin` gives it, such as `https://shop.example`.
    fn origin(&self) -> String;
}

/// The SDK's settings after `init`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The app id, the user name of HTTP Basic authentication.
    pub app_id: String,
    /// The app secret, the password of HTTP Basic authentication. Never logged.
    pub app_secret: String,
    /// The API base as an absolute URL, resolved at `init`, without a trailing slash.
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
/// or `apiUrl`, resolved against `page`, is not a safe API base (see [`api_url`]).
pub fn parse_init(args: &[Value], page: &impl Page) -> Result<Config, Error> {
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
            apply_options(&mut config, arg(0), page)?;
            apply_options(&mut config, arg(1), page)?;
        }
        Value::String(_) => {
            config.app_id = required_text(Some(arg(0)), "appId")?;
            config.app_secret = required_text(Some(arg(1)), "appSecret")?;
            config.ask_location = flag(arg(2), "askLocation")?.unwrap_or(false);
            apply_options(&mut config, arg(3), page)?;
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
fn apply_options(config: &mut Config, options: &Value, page: &impl Page) -> Result<(), Error> {
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
            Some(Value::String(url)) => config.api_url = api_url(url, key, page)?,
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

/// Checks an API base URL and returns it resolved, without a trailing slash. The value must be
/// `https://...`, `http://` on a loopback host (either scheme in any case), or a path
/// (`/herogi-proxy`) on the page's own origin, so that the app secret never travels in clear
/// text or to another origin by accident.
///
/// The rules apply to the URL as the browser resolves it, because that is the URL `fetch` uses:
/// a path such as `/\host` resolves to another host. Keeping the resolved URL means that a
/// `<base>` element added later cannot move the calls either.
fn api_url(value: &str, name: &'static str, page: &impl Page) -> Result<String, Error> {
    let value = value.trim();
    let is_path = value.starts_with('/') && !value.starts_with("//");
    let is_absolute = match split_scheme(value) {
        None => false,
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http") =>
        {
            rest.starts_with("//")
        }
        Some(_) => return Err(invalid_url(name, &[NOT_HTTP, EXPECTED_URL], value)),
    };
    let is_clean = !value.chars().any(|c| c.is_whitespace() || c.is_control());
    let href = if (is_path || is_absolute) && is_clean {
        page.resolve(value)
    } else {
        None
    };
    let parts = href
        .as_deref()
        .and_then(|href| Some((href, split_href(href)?)));
    let Some((href, (scheme, authority))) = parts else {
        return Err(invalid_url(name, &["is not a URL", EXPECTED_URL], value));
    };

    if let Some((_, host)) = bytes::rsplit_once(authority, b'@') {
        // The user name and password are left out of the message, which the console shows.
        return Err(Error::invalid(
            ErrorCode::InvalidConfig,
            name,
            &[
                name,
                " contains a user name or password before ",
                host,
                "; remove them, because fetch rejects such a URL and the app secret belongs in \
                 appSecret",
            ],
        ));
    }
    let origin = [scheme, "://", authority].concat();
    if is_path && origin != page.origin() {
        return Err(invalid_url(
            name,
            &[
                "resolves to ",
                href,
                ", which is not on the page's origin ",
                &page.origin(),
                "; give a path on this origin, such as /herogi-proxy, or a full https:// URL",
            ],
            value,
        ));
    }

    // The SDK appends /v1/identify to the URL, which a query or fragment would swallow.
    if bytes::contains(href, b'?') || bytes::contains(href, b'#') {
        return Err(invalid_url(
            name,
            &["has a query or fragment; give the API's base URL without ? or #"],
            value,
        ));
    }

    let host = host_of(authority);
    match scheme {
        "https" => Ok(bytes::trim_end(href, b'/').to_string()),
        "http" if matches!(host, "localhost" | "127.0.0.1" | "[::1]") => {
            Ok(bytes::trim_end(href, b'/').to_string())
        }
        "http" => Err(invalid_url(
            name,
            &[
                "resolves to ",
                href,
                ", which uses http:// and would send the app secret in clear text; use \
                 https:// (http:// is allowed for localhost, 127.0.0.1 and [::1] only)",
            ],
            value,
        )),
        // A path on a page whose own URL is not http(s), such as a file: page in Chromium.
        _ => Err(invalid_url(
            name,
            &["resolves to ", href, ", which ", NOT_HTTP],
            value,
        )),
    }
}

/// The reason of an `apiUrl` whose scheme is neither `http:` nor `https:`.
const NOT_HTTP: &str = "is not an http:// or https:// URL";

/// The forms of `apiUrl` that [`api_url`] accepts, for the messages that reject one.
const EXPECTED_URL: &str =
    "; expected https://host, http://localhost:PORT or a path such as /herogi-proxy";

/// Splits `value` into the scheme it starts with and the text after the scheme's `:`, or returns
/// `None` when it has none. A scheme is what the URL standard reads as one: an ASCII letter, then
/// ASCII letters, digits, `+`, `-` or `.`, up to the first `:`. So `localhost:8080` has the
/// scheme `localhost`, as `new URL` reads it.
fn split_scheme(value: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = bytes::split_once(value, b':')?;
    let mut chars = scheme.chars();
    let starts_with_letter = chars.next()?.is_ascii_alphabetic();
    let rest_is_valid = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (starts_with_letter && rest_is_valid).then_some((scheme, rest))
}

/// Makes the error of an invalid `apiUrl`: the setting, its value quoted without a user name or
/// password, then `reason`.
fn invalid_url(name: &'static str, reason: &[&str], value: &str) -> Error {
    let quoted = without_userinfo(value);
    let mut parts = alloc::vec![name, " \"", &quoted, "\" "];
    parts.extend_from_slice(reason);
    Error::invalid(ErrorCode::InvalidConfig, name, &parts)
}

/// Returns `value` with the user name and password before the host, if any, replaced by `***`,
/// because a page may have put the app secret there and the console shows the message.
fn without_userinfo(value: &str) -> String {
    // The authority follows `//`, or starts the value when it has no `//` (`app:secret@host`).
    // Plain byte loops: `str::find` with a string or a set of characters brings several KiB of
    // search code into the wasm.
    let bytes = value.as_bytes();
    // The browser reads `\` as `/` in http(s) URLs, so either one starts or ends the authority.
    let slash = |byte: &u8| matches!(byte, b'/' | b'\\');
    let start = bytes
        .windows(2)
        .position(|pair| pair.iter().all(slash))
        .map_or(0, |at| at + 2);
    let end = bytes
        .iter()
        .skip(start)
        .position(|byte| slash(byte) || matches!(byte, b'?' | b'#'))
        .map_or(bytes.len(), |at| start + at);
    // `get` rather than indexing: a `str` index that can fail brings the formatting of its
    // panic message into the wasm. Both ends are at ASCII bytes, so `get` always succeeds.
    let at = bytes
        .get(start..end)
        .and_then(|authority| authority.iter().rposition(|byte| *byte == b'@'));
    match (
        at,
        value.get(..start),
        at.and_then(|at| value.get(start + at..)),
    ) {
        (Some(_), Some(scheme), Some(host)) => [scheme, "***", host].concat(),
        _ => value.to_string(),
    }
}

/// Splits an `href` into its scheme and its authority (`user:pw@host:port`), or returns `None`
/// when it has no `scheme://` part.
fn split_href(href: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = bytes::split_once(href, b':')?;
    let rest = rest.strip_prefix("//")?;
    let authority = bytes::split_once(rest, b'/').map_or(rest, |(authority, _)| authority);
    Some((scheme, authority))
}

/// Returns the host of an authority without userinfo: `[::1]` of `[::1]:8080`.
fn host_of(authority: &str) -> &str {
    match bytes::rsplit_once(authority, b':') {
        Some((host, port)) if !bytes::contains(port, b']') => host,
        _ => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page whose browser resolves URLs by the WHATWG URL standard. A path resolves against
    /// `base`, which differs from `origin` in a sandboxed frame, whose origin is `null`.
    struct FakePage {
        base: &'static str,
        origin: &'static str,
    }

    /// The `href` that `new URL(value, "https://shop.example/")` gives in Node 20 for the
    /// absolute and unusual values of these tests, and `None` where it throws.
    const HREFS: &[(&str, Option<&str>)] = &[
        ("http://127.0.0.1:8080/", Some("http://127.0.0.1:8080/")),
        ("http://127.0.0.1:9/x", Some("http://127.0.0.1:9/x")),
        ("http://127.1", Some("http://127.0.0.1/")),
        ("http://localhost", Some("http://localhost/")),
        ("http://localhost:8080", Some("http://localhost:8080/")),
        ("http://[::1]:80", Some("http://[::1]/")),
        ("http://[0:0::1]:8080", Some("http://[::1]:8080/")),
        (
            "http://localhost.evil.com",
            Some("http://localhost.evil.com/"),
        ),
        ("http://api.example.com", Some("http://api.example.com/")),
        (
            "https://api.example.com/?a=@b",
            Some("https://api.example.com/?a=@b"),
        ),
        (
            "https://api.example.com/hg#",
            Some("https://api.example.com/hg#"),
        ),
        (
            "https://proxy.example.com",
            Some("https://proxy.example.com/"),
        ),
        (
            "https://proxy.example.com/hg/",
            Some("https://proxy.example.com/hg/"),
        ),
        ("https://[zz", None),
        (
            "https://user:pw@evil.example",
            Some("https://user:pw@evil.example/"),
        ),
        (
            "HTTPS://Proxy.Example.com/hg/",
            Some("https://proxy.example.com/hg/"),
        ),
        ("HTTP://LOCALHOST:8080", Some("http://localhost:8080/")),
        ("/\\evil.example", Some("https://evil.example/")),
        ("/\\\\evil.example/x", Some("https://evil.example/x")),
    ];

    impl Page for FakePage {
        fn resolve(&self, url: &str) -> Option<String> {
            if let Some((_, href)) = HREFS.iter().find(|(value, _)| *value == url) {
                return href.map(str::to_string);
            }
            assert!(url.starts_with('/'), "no href listed for {url}");
            Some([self.base, url].concat())
        }

        fn origin(&self) -> String {
            self.origin.to_string()
        }
    }

    const PAGE: FakePage = page("https://shop.example");

    const fn page(origin: &'static str) -> FakePage {
        FakePage {
            base: origin,
            origin,
        }
    }

    fn init_with_api_url(url: &str, page: &FakePage) -> Result<Config, Error> {
        let options = object(&[("apiUrl", url.into())]);
        parse_init(&["a".into(), "s".into(), Value::Null, options], page)
    }

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
        let mut config = parse_init(&["app".into(), "secret".into()], &PAGE).unwrap();
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
        let config = parse_init(
            &["app".into(), "secret".into(), true.into(), options],
            &PAGE,
        )
        .unwrap();
        assert_eq!(config.app_id, "app");
        assert_eq!(config.app_secret, "secret");
        assert_eq!(config.api_url, "http://127.0.0.1:8080");
        assert!(config.ask_location);
        assert!(config.debug);
    }

    #[test]
    fn positional_form_defaults() {
        let config = parse_init(&["app".into(), "secret".into()], &PAGE).unwrap();
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
        let config = parse_init(&[settings, second], &PAGE).unwrap();
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
        let config = parse_init(&[settings], &PAGE).unwrap();
        assert_eq!(config.api_url, "https://shop.example/herogi");
    }

    #[test]
    fn invalid_api_url_hides_userinfo() {
        for url in [
            "ftp://app:secret@api.example",
            "https://app:secret@api.example/a b",
            "localhost:secret@api.example",
        ] {
            let options = object(&[("apiUrl", url.into())]);
            let error = parse_init(
                &["app".into(), "secret".into(), false.into(), options],
                &PAGE,
            )
            .unwrap_err();
            assert!(!error.message.contains("secret@"), "{}", error.message);
        }
        assert_eq!(
            without_userinfo("https://a:b@host/path@x"),
            "https://***@host/path@x"
        );
        assert_eq!(without_userinfo("/herogi-proxy"), "/herogi-proxy");
        assert_eq!(
            without_userinfo("http://evil.example\\@127.0.0.1:9"),
            "http://evil.example\\@127.0.0.1:9"
        );
        assert_eq!(without_userinfo("https:\\\\a:b@host"), "https:\\\\***@host");
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
                "is not an http:// or https:// URL",
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
            let error = parse_init(&args, &PAGE).unwrap_err();
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
    fn query_or_fragment_is_rejected() {
        for url in [
            "https://api.example.com/?a=@b",
            "https://api.example.com/hg#",
            "/hg?x",
        ] {
            let error = init_with_api_url(url, &PAGE).unwrap_err();
            assert_eq!(error.field, Some("apiUrl"), "{url}");
            assert!(
                error.message.contains("query or fragment"),
                "{url}: {}",
                error.message
            );
        }
    }

    #[test]
    fn http_is_allowed_for_loopback() {
        let cases = [
            ("http://localhost", "http://localhost"),
            ("http://localhost:8080", "http://localhost:8080"),
            ("http://127.0.0.1:9/x", "http://127.0.0.1:9/x"),
            ("http://127.1", "http://127.0.0.1"),
            ("http://[::1]:80", "http://[::1]"),
            ("http://[0:0::1]:8080", "http://[::1]:8080"),
            ("HTTP://LOCALHOST:8080", "http://localhost:8080"),
        ];
        for (url, resolved) in cases {
            let config = init_with_api_url(url, &PAGE);
            assert_eq!(config.map(|c| c.api_url), Ok(resolved.to_string()), "{url}");
        }
        let spoof = init_with_api_url("http://localhost.evil.com", &PAGE).unwrap_err();
        assert!(spoof.message.contains("clear text"), "{}", spoof.message);
    }

    #[test]
    fn scheme_matches_in_any_case() {
        let config = init_with_api_url("HTTPS://Proxy.Example.com/hg/", &PAGE);
        assert_eq!(
            config.map(|c| c.api_url),
            Ok("https://proxy.example.com/hg".to_string())
        );
    }

    #[test]
    fn other_schemes_are_rejected() {
        let expected = "; expected https://host, http://localhost:PORT or a path such as \
                        /herogi-proxy";
        for url in [
            "ftp://example.com",
            "FTP://example.com",
            "ws://127.0.0.1:8080",
            "file:///etc/hosts",
            "javascript:alert(1)",
            "localhost:8080",
        ] {
            let error = init_with_api_url(url, &PAGE).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidConfig, "{url}");
            assert_eq!(error.field, Some("apiUrl"), "{url}");
            let message = [
                "apiUrl \"",
                url,
                "\" is not an http:// or https:// URL",
                expected,
            ];
            assert_eq!(error.message, message.concat());
        }
    }

    #[test]
    fn values_without_scheme_or_slash_are_not_urls() {
        for url in [
            "example.com",
            "herogi",
            "https:proxy.example.com",
            "1http://x",
        ] {
            let error = init_with_api_url(url, &PAGE).unwrap_err();
            assert_eq!(error.field, Some("apiUrl"), "{url}");
            let message = [
                "apiUrl \"",
                url,
                "\" is not a URL; expected https://host, http://localhost:PORT or a path such \
                 as /herogi-proxy",
            ];
            assert_eq!(error.message, message.concat());
        }
    }

    #[test]
    fn path_on_file_page_is_rejected() {
        // Chromium gives a file: page the origin "file://", so a path resolves on that origin.
        let error = init_with_api_url("/herogi", &page("file://")).unwrap_err();
        assert_eq!(error.field, Some("apiUrl"));
        assert_eq!(
            error.message,
            "apiUrl \"/herogi\" resolves to file:///herogi, which is not an http:// or https:// \
             URL"
        );
    }

    #[test]
    fn path_resolves_on_page_origin() {
        let cases = [
            (
                "https://shop.example",
                "/herogi/",
                "https://shop.example/herogi",
            ),
            ("https://shop.example", "/", "https://shop.example"),
            ("http://127.0.0.1:8080", "/hg", "http://127.0.0.1:8080/hg"),
            ("http://localhost", " /hg ", "http://localhost/hg"),
        ];
        for (origin, url, resolved) in cases {
            let config = init_with_api_url(url, &page(origin));
            assert_eq!(
                config.map(|c| c.api_url),
                Ok(resolved.to_string()),
                "{url} on {origin}"
            );
        }
    }

    #[test]
    fn unsafe_api_urls_are_rejected() {
        let http_page = page("http://shop.example");
        let sandboxed = FakePage {
            base: "http://127.0.0.1:8080",
            origin: "null",
        };
        let cases: [(&str, &FakePage, &str); 8] = [
            ("https://[zz", &PAGE, "is not a URL"),
            (
                "https://user:pw@evil.example",
                &PAGE,
                "user name or password",
            ),
            ("/\\evil.example", &PAGE, "not on the page's origin"),
            ("/\\\\evil.example/x", &PAGE, "not on the page's origin"),
            ("/\t/evil.example", &PAGE, "is not a URL"),
            ("https://exa mple.com", &PAGE, "is not a URL"),
            ("/herogi", &http_page, "clear text"),
            ("/herogi", &sandboxed, "not on the page's origin"),
        ];
        for (url, page, phrase) in cases {
            let error = init_with_api_url(url, page).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidConfig, "{url:?}");
            assert_eq!(error.field, Some("apiUrl"), "{url:?}");
            assert!(error.message.contains(phrase), "{url:?}: {}", error.message);
            assert!(!error.message.contains("pw"), "{url:?}: {}", error.message);
        }
    }
}
