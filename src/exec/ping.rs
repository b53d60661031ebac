//! Healthchecks pings, sent by the runner itself (no `curl` on the host): `URL/start?rid=RID`
//! when the run starts, `URL/EXIT?rid=RID` when it ends (0 is success there, any other code a
//! failure), with the tail of the run's output as the body, so the alert shows why
//! (<https://healthchecks.io/docs/http_api/>: a ping body is kept up to 100 kB; `rid` is a UUID
//! pairing a start with its end).
//!
//! - The URL is used as given (no globbing, no variables), `/start` or `/EXIT` added to its path.
//! - No proxy from the environment: cron gives none, and `run-now` must reach the same server.
//! - https checks the server with the host's CA store (a private CA added with
//!   `update-ca-certificates` works), through rustls, no OpenSSL.
//! - Bounded: each try is cut after [`TRY_TIMEOUT`]; a timeout, 408, 429 or 5xx is tried again
//!   up to [`TRIES`] times in all; anything else fails at once. A ping never changes the job's
//!   exit code; the end ping's outcome is the end line's `ping=ok|failed`.

use std::time::Duration;

use crate::run_log::Ping;

/// The longest body healthchecks keeps.
pub(crate) const MAX_BODY: u64 = 100_000;

/// Each try's limit, and how many tries a ping gets: at most 5 s a ping (two tries of 2 s and
/// a 1 s pause), 10 s a run, as 0.2's `curl -m2 --retry 1` held a run: a hanging server must
/// never hold a `* * * * *` job into its next minute, which would then be skipped
/// (`tests/e2e/healthcheck.rs`, the hanging server).
const TRY_TIMEOUT: Duration = Duration::from_secs(2);
const TRIES: u32 = 2;
const BACKOFF: Duration = Duration::from_secs(1);

/// One run's pings.
pub(crate) struct Pinger {
    agent: ureq::Agent,
    url: String,
    rid: String,
}

impl Pinger {
    pub(crate) fn new(url: &str) -> Pinger {
        use ureq::tls::{RootCerts, TlsConfig};
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(TRY_TIMEOUT))
            .http_status_as_error(false)
            .proxy(None)
            .tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::PlatformVerifier)
                    .build(),
            )
            .user_agent(concat!("crontainer/", env!("CARGO_PKG_VERSION")))
            .build();
        Pinger {
            agent: config.into(),
            url: url.to_owned(),
            rid: rid(),
        }
    }

    /// `URL/start?rid=RID`, no body.
    pub(crate) fn start(&self) -> Ping {
        self.send("start", &[])
    }

    /// `URL/EXIT?rid=RID` with the output's tail.
    pub(crate) fn end(&self, exit: i32, output: &[u8]) -> Ping {
        self.send(&exit.to_string(), output)
    }

    fn send(&self, what: &str, body: &[u8]) -> Ping {
        let url = endpoint(&self.url, what, &self.rid);
        for attempt in 1..=TRIES {
            let again = match self.agent.post(&url).send(body) {
                Ok(response) => {
                    let code = response.status().as_u16();
                    if (200..300).contains(&code) {
                        return Ping::Ok;
                    }
                    code == 408 || code == 429 || code >= 500
                }
                Err(ureq::Error::Timeout(_)) => true,
                Err(_) => false,
            };
            if !again || attempt == TRIES {
                break;
            }
            std::thread::sleep(BACKOFF);
        }
        Ping::Failed
    }
}

/// `URL/what?rid=RID`, keeping a query the URL has.
pub(crate) fn endpoint(url: &str, what: &str, rid: &str) -> String {
    let (path, query) = match url.split_once('?') {
        Some((path, query)) => (path, format!("?{query}&")),
        None => (url, "?".to_owned()),
    };
    format!("{}/{what}{query}rid={rid}", path.trim_end_matches('/'))
}

/// A random UUID (version 4), the form healthchecks takes as `rid`.
fn rid() -> String {
    let mut bytes = [0u8; 16];
    if let Ok(mut random) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut random, &mut bytes);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_url_as_given() {
        let rid = "0b9a8c2e-1d3f-4e5a-8b6c-7d8e9f0a1b2c";
        for (url, what, expected) in [
            (
                "https://hc-ping.com/u",
                "start",
                "https://hc-ping.com/u/start?rid=R",
            ),
            (
                "https://hc-ping.com/u/",
                "0",
                "https://hc-ping.com/u/0?rid=R",
            ),
            (
                "http://127.0.0.1:8000/ping/k/{a,b}",
                "3",
                "http://127.0.0.1:8000/ping/k/{a,b}/3?rid=R",
            ),
            (
                "https://h/p/slug?create=1",
                "start",
                "https://h/p/slug/start?create=1&rid=R",
            ),
        ] {
            assert_eq!(
                endpoint(url, what, rid),
                expected.replace('R', rid),
                "{url}"
            );
        }
    }

    #[test]
    fn rids_are_version_4_uuids() {
        let (a, b) = (rid(), rid());
        assert_ne!(a, b);
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'));
        assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"));
    }
}
