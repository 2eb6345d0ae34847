//! Tracker settings with their defaults and the clamping that keeps host-supplied values sane.

use super::event::is_valid_name;
use alloc::string::String;

/// `navigator.webdriver` is true: any browser driven through WebDriver (Selenium, chromedriver,
/// geckodriver, Playwright's and Puppeteer's defaults).
pub const WEBDRIVER: u8 = 1;
/// The User-Agent says `HeadlessChrome`: headless Chrome and Chromium, which AI crawlers and
/// uptime checkers run.
pub const HEADLESS: u8 = 2;

/// The automation signals of a browser ([`WEBDRIVER`], [`HEADLESS`]). Cheap, read once; a
/// browser that hides both is counted as a person.
pub fn automation_signals(webdriver: bool, user_agent: &str) -> u8 {
    // Byte windows, not `str::contains`: its two-way searcher costs the wasm more (a plain byte
    // loop measured 78 B larger raw, the same compressed).
    let headless = user_agent
        .as_bytes()
        .windows(14)
        .any(|w| w == b"HeadlessChrome");
    (u8::from(webdriver) * WEBDRIVER) | (u8::from(headless) * HEADLESS)
}

/// The batch field naming `signals`, as it goes first in a batch body; None without any.
pub fn automation_field(signals: u8) -> Option<&'static str> {
    match signals & (WEBDRIVER | HEADLESS) {
        0 => None,
        WEBDRIVER => Some(r#""automation":["webdriver"],"#),
        HEADLESS => Some(r#""automation":["headless"],"#),
        _ => Some(r#""automation":["webdriver","headless"],"#),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Base URL of the aggregator; batches go to `{endpoint}/api/v1/events`.
    pub endpoint: String,
    pub site: String,
    pub heartbeat_ms: u64,
    /// Input this recent makes the visible time count as active.
    pub active_window_ms: u64,
    /// Away for longer than this: the next sign of life starts a new session.
    pub idle_timeout_ms: u64,
    /// Send once this many events wait...
    pub batch_size: usize,
    /// ...or once the oldest waiting event is this old.
    pub flush_interval_ms: u64,
    /// Bounds of the unsent queue kept in localStorage.
    pub max_queue_events: usize,
    pub max_queue_bytes: usize,
    /// An unsent event older than this is dropped from the queue and from localStorage.
    pub max_queue_age_ms: u64,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    pub honor_gpc: bool,
    /// Track nothing when the browser sends Do Not Track.
    pub honor_dnt: bool,
    pub debug: bool,
    pub disabled: bool,
    /// The tag allows automation (`data-automation="allow"`): the page's own browser tests and
    /// uptime checks, counted deliberately. The signals are then not read, nor sent.
    pub allow_automation: bool,
    /// The browser automation signals the page read ([`WEBDRIVER`], [`HEADLESS`]), sent with
    /// every batch (`automation`); the aggregator filters the session when any is. 0 for a
    /// person's browser.
    pub automation: u8,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoint: String::new(),
            site: String::new(),
            heartbeat_ms: 15_000,
            active_window_ms: 30_000,
            idle_timeout_ms: 30 * 60_000,
            batch_size: 20,
            flush_interval_ms: 20_000,
            max_queue_events: 500,
            max_queue_bytes: 256 * 1024,
            max_queue_age_ms: super::queue::MAX_SESSION_AGE_MS,
            retry_base_ms: 1_000,
            retry_max_ms: 300_000,
            honor_gpc: true,
            honor_dnt: true,
            debug: false,
            disabled: false,
            allow_automation: false,
            automation: 0,
        }
    }
}

impl Config {
    /// Brings every number into a workable range (a 0 ms heartbeat would spin; a batch size over
    /// 100 breaks the API) and drops a trailing `/` from the endpoint.
    pub fn normalize(&mut self) {
        fn clamp(v: u64, lo: u64, hi: u64) -> u64 {
            v.max(lo).min(hi)
        }
        self.heartbeat_ms = clamp(self.heartbeat_ms, 20, 3_600_000);
        self.active_window_ms = clamp(self.active_window_ms, 1_000, 3_600_000);
        self.idle_timeout_ms = clamp(self.idle_timeout_ms, 1_000, 24 * 3_600_000);
        self.flush_interval_ms = clamp(self.flush_interval_ms, 0, 3_600_000);
        self.batch_size = self.batch_size.clamp(1, super::queue::MAX_BATCH_EVENTS);
        self.max_queue_events = self.max_queue_events.clamp(10, 10_000);
        self.max_queue_bytes = self.max_queue_bytes.clamp(16 * 1024, 4 * 1024 * 1024);
        // Never longer than the API takes a session's events (7 days); at least a minute, so a
        // short outage loses nothing.
        self.max_queue_age_ms = clamp(
            self.max_queue_age_ms,
            60_000,
            super::queue::MAX_SESSION_AGE_MS,
        );
        self.retry_base_ms = clamp(self.retry_base_ms, 10, 600_000);
        self.retry_max_ms = clamp(self.retry_max_ms, self.retry_base_ms, 3_600_000);
        // Byte comparisons here and below: a `char` pattern links a UTF-8 encoder into the wasm.
        while self.endpoint.as_bytes().last() == Some(&b'/') {
            self.endpoint.pop();
        }
    }

    /// Why the tracker cannot run with these settings, if it cannot.
    pub fn problem(&self) -> Option<&'static str> {
        if !is_valid_name(&self.site) {
            Some("site must match [a-z0-9_.:-]{1,64} and not be only dots")
        } else if !(self.endpoint.starts_with("https://") || self.endpoint.starts_with("http://")) {
            Some("endpoint must be an http(s) URL")
        } else {
            None
        }
    }

    pub fn events_url(&self) -> String {
        let mut u = self.endpoint.clone();
        u.push_str("/api/v1/events");
        u
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_clamps_and_trims() {
        let mut c = Config {
            endpoint: "https://h.example/".into(),
            heartbeat_ms: 0,
            batch_size: 1000,
            retry_base_ms: 5_000,
            retry_max_ms: 1,
            ..Config::default()
        };
        c.normalize();
        assert_eq!(c.max_queue_age_ms, super::super::queue::MAX_SESSION_AGE_MS);
        assert_eq!(c.heartbeat_ms, 20);
        assert_eq!(c.batch_size, 100);
        assert_eq!(c.retry_max_ms, 5_000);
        assert_eq!(c.events_url(), "https://h.example/api/v1/events");
    }

    #[test]
    fn the_queue_age_stays_within_the_apis_bound() {
        let week = super::super::queue::MAX_SESSION_AGE_MS;
        for (asked, kept) in [(u64::MAX, week), (0, 60_000), (3_600_000, 3_600_000)] {
            let mut c = Config {
                max_queue_age_ms: asked,
                ..Config::default()
            };
            c.normalize();
            assert_eq!(c.max_queue_age_ms, kept, "{asked}");
        }
    }

    #[test]
    fn automation_signals_name_webdriver_and_headless_chrome() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ";
        let headless = alloc::format!("{chrome}HeadlessChrome/131.0.0.0 Safari/537.36");
        let normal = alloc::format!("{chrome}Chrome/131.0.0.0 Safari/537.36");
        let field = |webdriver, ua: &str| automation_field(automation_signals(webdriver, ua));
        assert_eq!(field(false, &normal), None);
        assert_eq!(field(false, ""), None);
        assert_eq!(field(true, &normal), Some(r#""automation":["webdriver"],"#));
        assert_eq!(
            field(false, &headless),
            Some(r#""automation":["headless"],"#)
        );
        let both = Some(r#""automation":["webdriver","headless"],"#);
        assert_eq!(field(true, &headless), both);
    }

    #[test]
    fn reports_unusable_settings() {
        let ok = Config {
            endpoint: "http://127.0.0.1:8080".into(),
            site: "ide".into(),
            ..Config::default()
        };
        assert_eq!(ok.problem(), None);
        let bad_site = Config {
            site: "My IDE".into(),
            ..ok.clone()
        };
        assert!(bad_site.problem().is_some());
        let bad_url = Config {
            endpoint: "javascript:alert(1)".into(),
            ..ok
        };
        assert!(bad_url.problem().is_some());
    }
}
