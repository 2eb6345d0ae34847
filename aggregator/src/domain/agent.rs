//! Reduces a User-Agent header to the coarse form we store ("Firefox 128 / Linux / desktop"),
//! using woothee's maintained rule set. The full header is kept only when configured.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::widths::{fit, BROWSER_CHARS, OS_CHARS, USER_AGENT_CHARS};

/// The stored form of a user agent. Its texts are shared: a cached agent's clone for a request
/// (and the session identity it goes into) copies no string (4 heap allocations a heartbeat
/// fewer, scripts/count-per-request.sh).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub browser: Arc<str>,
    pub os: Arc<str>,
    pub device: Arc<str>,
    /// Browser family and major version, OS family and device class in one line.
    pub summary: Arc<str>,
    pub is_crawler: bool,
}

/// Distinct user agents remembered by [`reduce_cached`]; the map starts afresh when full.
const CACHE_ENTRIES: usize = 4096;
/// Longer headers are reduced but never remembered, so the cache holds at most about
/// 4096 × 512 bytes of keys whatever arrives (real browsers send 100 to 300 bytes).
pub const CACHE_MAX_BYTES: usize = 512;

/// [`reduce`], remembering recent answers: a handful of browser builds send nearly all traffic,
/// and woothee's rules took a tenth of a request's CPU. Holds user agents only, never addresses.
static CACHE: OnceLock<Mutex<HashMap<String, Agent>>> = OnceLock::new();

pub fn reduce_cached(user_agent: &str) -> Agent {
    let cache = CACHE.get_or_init(Default::default);
    if let Some(agent) = cache.lock().ok().and_then(|c| c.get(user_agent).cloned()) {
        return agent;
    }
    let agent = reduce(user_agent);
    if user_agent.len() > CACHE_MAX_BYTES {
        return agent;
    }
    if let Ok(mut cache) = cache.lock() {
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(user_agent.to_string(), agent.clone());
    }
    agent
}

pub fn reduce(user_agent: &str) -> Agent {
    let parsed = woothee::parser::Parser::new().parse(user_agent);
    let (browser, os, category, version) = match &parsed {
        Some(p) => (p.name, p.os, p.category, p.version),
        None => ("UNKNOWN", "UNKNOWN", "UNKNOWN", ""),
    };
    let browser = fit(&known_or(browser, "Other"), BROWSER_CHARS);
    let os = fit(&known_or(os, "Other"), OS_CHARS);
    let device = match category {
        "pc" => "desktop",
        "smartphone" | "mobilephone" => "mobile",
        "crawler" => "bot",
        _ => "other",
    };
    let major = version
        .split('.')
        .next()
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
        // No browser has a major version of more than a few digits: a longer one is a forgery.
        .map(|m| &m[..m.len().min(8)]);
    let summary = match major {
        Some(major) => format!("{browser} {major} / {os} / {device}"),
        None => format!("{browser} / {os} / {device}"),
    };
    Agent {
        browser: browser.into(),
        os: os.into(),
        device: device.into(),
        summary: fit(&summary, USER_AGENT_CHARS).into(),
        is_crawler: category == "crawler",
    }
}

fn known_or(value: &str, fallback: &str) -> String {
    if value.is_empty() || value == "UNKNOWN" {
        fallback
    } else {
        value
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_answers_as_the_rules_do() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        for ua in [firefox, bot, firefox, bot, ""] {
            assert_eq!(reduce_cached(ua), reduce(ua));
        }
    }

    #[test]
    fn reduces_common_browsers() {
        let firefox =
            reduce("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
        assert_eq!(&*firefox.summary, "Firefox 128 / Linux / desktop");
        assert_eq!(
            (&*firefox.browser, &*firefox.os, &*firefox.device),
            ("Firefox", "Linux", "desktop")
        );
        let iphone = reduce("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1");
        assert_eq!(&*iphone.device, "mobile");
        assert_eq!(&*iphone.browser, "Safari");
    }

    #[test]
    fn flags_crawlers_and_survives_garbage() {
        assert!(
            reduce("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
                .is_crawler
        );
        let junk = reduce("");
        assert_eq!(&*junk.summary, "Other / Other / other");
        assert!(!junk.is_crawler);
    }

    #[test]
    fn every_part_fits_its_column_whatever_the_header() {
        let forged = format!(
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/{}",
            "9".repeat(5000)
        );
        for ua in [forged.as_str(), &"x".repeat(100_000), &"é".repeat(2000)] {
            let agent = reduce(ua);
            assert!(agent.browser.chars().count() <= BROWSER_CHARS);
            assert!(agent.os.chars().count() <= OS_CHARS);
            assert!(agent.device.chars().count() <= super::super::widths::DEVICE_CHARS);
            assert!(
                agent.summary.chars().count() <= USER_AGENT_CHARS,
                "{}",
                agent.summary.len()
            );
        }
        assert_eq!(
            &*reduce(&forged).summary,
            "Firefox 99999999 / Linux / desktop"
        );
    }

    #[test]
    fn long_headers_are_answered_but_not_remembered() {
        let long = format!("{} {}", "Mozilla/5.0", "y".repeat(CACHE_MAX_BYTES));
        assert_eq!(reduce_cached(&long), reduce(&long));
        let cache = CACHE.get().expect("the cache exists after a call");
        assert!(!cache.lock().unwrap().contains_key(&long));
    }

    #[test]
    fn headless_chrome_is_a_browser_not_a_crawler() {
        let headless = reduce("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36");
        assert!(!headless.is_crawler);
    }
}
