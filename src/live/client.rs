//! A small Prometheus HTTP API client: instant queries, bearer or basic auth from the
//! environment (never printed), TLS, a timeout, and errors that say which of "unreachable",
//! "not Prometheus" and "the query failed" happened, with credentials kept out of them.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;

/// Environment variables the client reads.
pub(crate) const URL_ENV: &str = "SLOCC_PROMETHEUS_URL";
const TOKEN_ENV: &str = "SLOCC_PROMETHEUS_TOKEN";
const USER_ENV: &str = "SLOCC_PROMETHEUS_USER";
const PASSWORD_ENV: &str = "SLOCC_PROMETHEUS_PASSWORD";
/// The CA bundle to trust instead of the built-in roots, when `--ca-file` is not given (as
/// curl and OpenSSL read it).
const CA_ENV: &str = "SSL_CERT_FILE";

/// Why talking to Prometheus failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// No URL given.
    #[error("no Prometheus to ask: give `--prometheus URL` or set {URL_ENV}")]
    NoUrl,
    /// The CA file given (`--ca-file`, `SSL_CERT_FILE`) cannot be used.
    #[error("{0}")]
    Ca(String),
    /// The URL is not an http(s) URL.
    #[error("`{0}` is not an http:// or https:// URL")]
    BadUrl(String),
    /// Nothing answered.
    #[error("cannot reach Prometheus at {url}: {reason}")]
    Unreachable {
        /// The URL, without credentials.
        url: String,
        /// What failed.
        reason: String,
    },
    /// Something answered, but not the Prometheus API.
    #[error("{url} did not answer as the Prometheus API (HTTP {status}): {snippet}")]
    NotPrometheus {
        /// The URL, without credentials.
        url: String,
        /// HTTP status.
        status: u16,
        /// The start of the answer.
        snippet: String,
    },
    /// The answer is larger than slocc reads.
    #[error("{url} answered with more than {} MiB, the most slocc reads in one answer", ANSWER_LIMIT >> 20)]
    TooLarge {
        /// The URL, without credentials.
        url: String,
    },
    /// Prometheus refused the query.
    #[error("Prometheus refused the query `{query}`: {message}")]
    Query {
        /// The query.
        query: String,
        /// Prometheus's error.
        message: String,
    },
}

/// One series of an instant-vector answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    /// Its labels.
    pub(crate) labels: BTreeMap<String, String>,
    /// Its value.
    pub(crate) value: f64,
}

/// A Prometheus API at a base URL (a path prefix is kept: `https://mimir/prometheus`).
pub(crate) struct Prometheus {
    base: String,
    shown: String,
    authorization: Option<String>,
    agent: ureq::Agent,
    /// Queries sent and samples received, for reports of what a run cost.
    cost: std::cell::Cell<(u64, u64)>,
    /// Warnings of the answers since [`Prometheus::take_warnings`] (Thanos and Mimir say so
    /// when a store did not answer: the result is partial).
    warnings: std::cell::RefCell<Vec<String>>,
}

/// One series of a range answer: its labels and its (timestamp, value) points.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    /// Its labels.
    pub(crate) labels: BTreeMap<String, String>,
    /// Points, oldest first, seconds since the epoch.
    pub(crate) points: Vec<(i64, f64)>,
}

/// The most points Prometheus returns per series of a range query.
pub(crate) const MAX_POINTS: i64 = 11_000;

/// The URL as messages show it: without a `user:password@`.
fn redact(url: &str) -> String {
    split_credentials(url).0
}

/// The most one answer may hold: a 200,000-series instant answer is about 30 MiB.
const ANSWER_LIMIT: u64 = 128 << 20;

/// The certificates of a PEM file: the roots a private CA's Prometheus is trusted by.
fn certificates(path: &std::path::Path) -> Result<Vec<ureq::tls::Certificate<'static>>, Error> {
    let shown = crate::vocab::path::display(path);
    let pem = std::fs::read(path)
        .map_err(|e| Error::Ca(format!("cannot read the CA file `{shown}`: {e}")))?;
    let certificates: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(certificate)) => Some(certificate),
            _ => None,
        })
        .collect();
    if certificates.is_empty() {
        return Err(Error::Ca(format!(
            "the CA file `{shown}` holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)"
        )));
    }
    Ok(certificates)
}

/// `url` without its `user:password@`, and that user and password, percent-decoded (a `%40`
/// is an `@`). A raw `@` in the password still ends the credentials at the last `@` before
/// the host, so no part of a password ever stays in the URL.
fn split_credentials(url: &str) -> (String, Option<(String, String)>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_string(), None);
    };
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    };
    (
        format!("{scheme}://{host}{path}"),
        Some((decode(user), decode(password))),
    )
}

/// The `Authorization` header: a bearer token from the environment, else a user and password
/// from the environment, else the URL's own.
fn authorization(from_url: Option<(String, String)>) -> Option<String> {
    let basic = |user: &str, password: &str| {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        format!("Basic {encoded}")
    };
    match (std::env::var(TOKEN_ENV), std::env::var(USER_ENV)) {
        (Ok(token), _) => Some(format!("Bearer {token}")),
        (_, Ok(user)) => Some(basic(
            &user,
            &std::env::var(PASSWORD_ENV).unwrap_or_default(),
        )),
        _ => from_url.map(|(user, password)| basic(&user, &password)),
    }
}

impl Prometheus {
    /// The client for `url` (or `SLOCC_PROMETHEUS_URL`), with credentials from the
    /// environment: a bearer token, or a user and password for basic auth.
    pub(crate) fn from_env(
        url: Option<&str>,
        timeout: Duration,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Self, Error> {
        let url = match url {
            Some(u) => u.to_string(),
            None => std::env::var(URL_ENV).map_err(|_| Error::NoUrl)?,
        };
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Error::BadUrl(redact(&url)));
        }
        let (bare, credentials) = split_credentials(url.trim_end_matches('/'));
        let authorization = authorization(credentials);
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false);
        let ca_file = ca_file
            .map(std::path::Path::to_path_buf)
            .or_else(|| std::env::var_os(CA_ENV).map(std::path::PathBuf::from));
        if let Some(path) = ca_file {
            let roots = ureq::tls::RootCerts::Specific(std::sync::Arc::new(certificates(&path)?));
            config = config.tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
        }
        let agent = config.build().into();
        Ok(Self {
            shown: bare.clone(),
            base: bare,
            authorization,
            agent,
            cost: std::cell::Cell::new((0, 0)),
            warnings: std::cell::RefCell::default(),
        })
    }

    /// Queries sent and samples received so far.
    pub(crate) fn cost(&self) -> (u64, u64) {
        self.cost.get()
    }

    /// A client for one worker: the same server, credentials and connection pool, with its own
    /// cost and warnings (so a warning is the SLO's whose query drew it). Its cost is added
    /// back with [`Prometheus::absorb`].
    pub(crate) fn fork(&self) -> Self {
        Self {
            base: self.base.clone(),
            shown: self.shown.clone(),
            authorization: self.authorization.clone(),
            agent: self.agent.clone(),
            cost: std::cell::Cell::new((0, 0)),
            warnings: std::cell::RefCell::default(),
        }
    }

    /// Adds what a fork spent to this client's cost.
    pub(crate) fn absorb(&self, fork: &Self) {
        let ((q, s), (fq, fs)) = (self.cost.get(), fork.cost.get());
        self.cost.set((q + fq, s + fs));
    }

    /// The warnings of the answers since the last call, deduplicated, in order.
    pub(crate) fn take_warnings(&self) -> Vec<String> {
        let mut taken = self.warnings.take();
        let mut seen = std::collections::BTreeSet::new();
        taken.retain(|w| seen.insert(w.clone()));
        taken
    }

    fn count(&self, samples: usize) {
        let (q, s) = self.cost.get();
        self.cost.set((q + 1, s + samples as u64));
    }

    /// An instant query at the server's current time.
    pub(crate) fn query(&self, query: &str) -> Result<Vec<Sample>, Error> {
        self.query_at(query, None)
    }

    /// An instant query at `time` (seconds since the epoch), or now.
    pub(crate) fn query_at(&self, query: &str, time: Option<i64>) -> Result<Vec<Sample>, Error> {
        let mut params = vec![("query", query.to_string())];
        params.extend(time.map(|t| ("time", t.to_string())));
        let body = self.get("query", &params)?;
        let data = self.data(query, &body, "vector")?;
        let samples: Vec<Sample> = serde_json::from_value::<Vec<Entry>>(data)
            .map_err(|_| self.foreign(body.0, &body.1))?
            .into_iter()
            .filter_map(Entry::sample)
            .collect();
        self.count(samples.len());
        Ok(samples)
    }

    /// A range query from `start` to `end` every `step` seconds (the caller keeps it under
    /// [`MAX_POINTS`] points).
    pub(crate) fn query_range(
        &self,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Vec<Series>, Error> {
        let params = [
            ("query", query.to_string()),
            ("start", start.to_string()),
            ("end", end.to_string()),
            ("step", step.to_string()),
        ];
        let body = self.get("query_range", &params)?;
        let data = self.data(query, &body, "matrix")?;
        let ranges: Vec<RangeEntry> =
            serde_json::from_value(data).map_err(|_| self.foreign(body.0, &body.1))?;
        let series: Vec<Series> = ranges.into_iter().map(RangeEntry::series).collect();
        self.count(series.iter().map(|s| s.points.len()).sum());
        Ok(series)
    }

    /// GETs `api/v1/<endpoint>`: the HTTP status and the body.
    fn get(&self, endpoint: &str, params: &[(&str, String)]) -> Result<(u16, String), Error> {
        let mut request = self.agent.get(format!("{}/api/v1/{endpoint}", self.base));
        for (k, v) in params {
            request = request.query(*k, v);
        }
        if let Some(auth) = &self.authorization {
            request = request.header("Authorization", auth);
        }
        let mut response = request.call().map_err(|e| Error::Unreachable {
            url: self.shown.clone(),
            reason: with_ca_hint(describe(&e)),
        })?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(ANSWER_LIMIT)
            .read_to_string()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => Error::TooLarge {
                    url: self.shown.clone(),
                },
                other => Error::Unreachable {
                    url: self.shown.clone(),
                    reason: describe(&other),
                },
            })?;
        Ok((status, body))
    }

    fn foreign(&self, status: u16, body: &str) -> Error {
        Error::NotPrometheus {
            url: self.shown.clone(),
            status,
            snippet: printable(&body.chars().take(80).collect::<String>().replace('\n', " ")),
        }
    }

    /// The `data.result` of an answer of `result_type`, or the error it is.
    fn data(
        &self,
        query: &str,
        (status, body): &(u16, String),
        result_type: &str,
    ) -> Result<serde_json::Value, Error> {
        let answer: Answer = serde_json::from_str(body).map_err(|_| self.foreign(*status, body))?;
        let warnings = answer.warnings.iter().map(|w| printable(w));
        self.warnings.borrow_mut().extend(warnings);
        match (answer.status.as_str(), answer.data, answer.error) {
            ("success", Some(data), _) if data.result_type == result_type => Ok(data.result),
            ("error", _, Some(message)) => Err(Error::Query {
                query: query.to_string(),
                message: printable(&message),
            }),
            _ => Err(self.foreign(*status, body)),
        }
    }
}

/// Text from the server as a terminal may show it: control characters (an escape sequence
/// that would repaint the screen) replaced.
pub(crate) fn printable(text: &str) -> String {
    let shown = |c: char| if c.is_control() { '\u{fffd}' } else { c };
    text.chars().map(shown).collect()
}

/// A certificate no trusted root signed: say how to trust a private CA.
fn with_ca_hint(reason: String) -> String {
    if reason.contains("UnknownIssuer") {
        format!("{reason} (a private CA? give its certificate with `--ca-file` or {CA_ENV})")
    } else {
        reason
    }
}

/// A transport error in words, without the URL (which may carry credentials).
fn describe(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Timeout(_) => "timed out".into(),
        ureq::Error::Io(e) => e.to_string(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        other => {
            let text = other.to_string();
            // Keep only the reason: ureq's texts name the URL.
            text.rsplit(": ")
                .next()
                .unwrap_or("request failed")
                .to_string()
        }
    }
}

#[derive(serde::Deserialize)]
struct Answer {
    status: String,
    data: Option<Data>,
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(serde::Deserialize)]
struct RangeEntry {
    metric: BTreeMap<String, String>,
    values: Vec<(f64, String)>,
}

impl RangeEntry {
    fn series(self) -> Series {
        Series {
            labels: self.metric,
            points: self
                .values
                .into_iter()
                .filter_map(|(t, v)| Some((t as i64, v.parse::<f64>().ok()?)))
                .collect(),
        }
    }
}

#[derive(serde::Deserialize)]
struct Entry {
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

impl Entry {
    fn sample(self) -> Option<Sample> {
        let value = self.value.1.parse::<f64>().ok()?;
        Some(Sample {
            labels: self.metric,
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_messages() {
        assert_eq!(
            redact("https://user:s3cret@prom.example.com/prefix"),
            "https://prom.example.com/prefix"
        );
        assert_eq!(redact("http://127.0.0.1:9090"), "http://127.0.0.1:9090");
        // A raw `@` in the password: the host is after the last one.
        assert_eq!(
            redact("https://user:p@ss@prom.example.com/a@b"),
            "https://prom.example.com/a@b"
        );
    }

    #[test]
    fn credentials_in_the_url_are_percent_decoded() {
        let (url, credentials) = split_credentials("http://me%3Aus:p%40ss%3Aw@h:9090/x?q=@");
        assert_eq!(url, "http://h:9090/x?q=@");
        assert_eq!(credentials, Some(("me:us".into(), "p@ss:w".into())));
        let (url, credentials) = split_credentials("http://user:p@ss:word@h");
        assert_eq!(url, "http://h");
        assert_eq!(credentials, Some(("user".into(), "p@ss:word".into())));
        assert_eq!(
            split_credentials("http://h/a@b"),
            ("http://h/a@b".into(), None)
        );
    }
}
