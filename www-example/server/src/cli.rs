//! The command line, where every option can also come from an environment variable.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::Parser;

use crate::routes::cors;

/// The app secret used when none is configured. It is public: it only suits a local demo.
pub const DEMO_APP_SECRET: &str = "demo-secret";

/// The custom attributes an app defines when none is configured.
const DEMO_CUSTOM_ATTRIBUTES: [&str; 3] = ["plan", "favoriteColor", "loyaltyPoints"];

/// Local stand-in for the Herogi Identify API: `POST /v1/identify` and `GET /v1/users/{hgid}`,
/// stored in SQLite, plus static files for the example page.
#[derive(Clone, Debug, Parser)]
#[command(name = "herogi-server", version)]
pub struct Cli {
    /// Address and port to listen on. Port 0 picks a free port.
    #[arg(
        long,
        env = "HEROGI_LISTEN",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR:PORT"
    )]
    pub listen: String,

    /// SQLite database file, created when missing. `:memory:` keeps nothing after exit.
    #[arg(
        long,
        env = "HEROGI_DB",
        default_value = "herogi.db",
        value_name = "PATH"
    )]
    pub db: PathBuf,

    /// App id that clients send as the user name of HTTP Basic auth.
    #[arg(long, env = "HEROGI_APP_ID", default_value = "demo-app")]
    pub app_id: String,

    /// App secret that clients send as the password of HTTP Basic auth.
    #[arg(
        long,
        env = "HEROGI_APP_SECRET",
        default_value = DEMO_APP_SECRET,
        hide_env_values = true
    )]
    pub app_secret: String,

    /// Key that `customAttributes` may hold, and other keys are dropped. Repeat the option, or give
    /// a comma-separated list in the variable [default: plan, favoriteColor, loyaltyPoints].
    #[arg(
        long = "custom-attribute",
        env = "HEROGI_CUSTOM_ATTRIBUTES",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub custom_attributes: Vec<String>,

    /// Origin that may call the API from a browser, such as `http://localhost:3000`, or `null`
    /// for sandboxed frames. Repeat the option, or give a comma-separated list in the variable
    /// [default: any origin, `null` included].
    #[arg(
        long = "allow-origin",
        env = "HEROGI_ALLOW_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ',',
        value_parser = cors::parse_origin
    )]
    pub allow_origins: Vec<String>,

    /// Directory of static files served at `/`. Repeat the option, or give a comma-separated
    /// list in the variable. For each path, the first directory that has the file serves it.
    #[arg(
        long = "static",
        env = "HEROGI_STATIC",
        value_name = "DIR",
        value_delimiter = ','
    )]
    pub static_dirs: Vec<PathBuf>,
    /// Turn on the test switches for the SDK's delivery tests, never for real use. They need
    /// the app's credentials. `POST /admin/faults` with `{"status": 503, "count": 2,
    /// "retryAfter": "2", "delayMs": 0}` makes the next `count` identify requests wait
    /// `delayMs` and then fail with `status` (status 200 only delays them). `GET /admin/stats`
    /// returns the counts of identify requests received, applied, repeated and faulted, and
    /// `POST /admin/stats/reset` sets them to zero. Without this option, `/admin/` paths
    /// return 404.
    #[arg(
        long,
        env = "HEROGI_TEST_SWITCHES",
        value_parser = BoolishValueParser::new()
    )]
    pub test_switches: bool,
}

impl Cli {
    /// Returns whether the public demo secret is in use.
    pub fn uses_demo_secret(&self) -> bool {
        self.app_secret == DEMO_APP_SECRET
    }

    /// Returns the custom attribute keys the app defines: the configured names, trimmed, or the
    /// demo set when none is given.
    pub fn custom_attribute_names(&self) -> BTreeSet<String> {
        let configured: BTreeSet<String> = self
            .custom_attributes
            .iter()
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .collect();
        if configured.is_empty() {
            DEMO_CUSTOM_ATTRIBUTES
                .iter()
                .map(|name| name.to_string())
                .collect()
        } else {
            configured
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("herogi-server").chain(args.iter().copied()))
            .expect("arguments parse")
    }

    #[test]
    fn custom_attributes_default_to_demo_set() {
        let names = parse(&[]).custom_attribute_names();
        let expected: BTreeSet<String> = ["favoriteColor", "loyaltyPoints", "plan"]
            .map(String::from)
            .into();
        assert_eq!(names, expected);
    }

    #[test]
    fn custom_attributes_repeat_and_split() {
        let cli = parse(&["--custom-attribute", "tier", "--custom-attribute", "a, b"]);
        let expected: BTreeSet<String> = ["a", "b", "tier"].map(String::from).into();
        assert_eq!(cli.custom_attribute_names(), expected);
    }

    #[test]
    fn static_dirs_keep_their_order() {
        let cli = parse(&["--static", "first", "--static", "second,third"]);
        let names: Vec<&str> = cli
            .static_dirs
            .iter()
            .map(|p| p.to_str().unwrap())
            .collect();
        assert_eq!(names, ["first", "second", "third"]);
    }
}
