//! Reduces a User-Agent header to the coarse form we store ("Firefox 128 / Linux / desktop"),
//! using woothee's maintained rule set. The full header is kept only when configured.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The stored form of a user agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub browser: String,
    pub os: String,
    pub device: &'static str,
    /// Browser family and major version, OS family and device class in one line.
    pub summary: String,
    pub is_crawler: bool,
}

/// Distinct user agents remembered by [`reduce_cached`]; the map starts afresh when full.
const CACHE_ENTRIES: usize = 4096;

/// [`reduce`], remembering recent answers: a handful of browser builds send nearly all traffic,
/// and woothee's rules took a tenth of a request's CPU. Holds user agents only, never addresses.
pub fn reduce_cached(user_agent: &str) -> Agent {
    static CACHE: OnceLock<Mutex<HashMap<String, Agent>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(agent) = cache.lock().ok().and_then(|c| c.get(user_agent).cloned()) {
        return agent;
    }
    let agent = reduce(user_agent);
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
    let browser = known_or(browser, "Other");
    let os = known_or(os, "Other");
    let device = match category {
        "pc" => "desktop",
        "smartphone" | "mobilephone" => "mobile",
        "crawler" => "bot",
        _ => "other",
    };
    let major = version
        .split('.')
        .next()
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()));
    let summary = match major {
        Some(major) => format!("{browser} {major} / {os} / {device}"),
        None => format!("{browser} / {os} / {device}"),
    };
    Agent {
        browser,
        os,
        device,
        summary,
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
        assert_eq!(firefox.summary, "Firefox 128 / Linux / desktop");
        assert_eq!(
            (
                firefox.browser.as_str(),
                firefox.os.as_str(),
                firefox.device
            ),
            ("Firefox", "Linux", "desktop")
        );
        let iphone = reduce("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1");
        assert_eq!(iphone.device, "mobile");
        assert_eq!(iphone.browser, "Safari");
    }

    #[test]
    fn flags_crawlers_and_survives_garbage() {
        assert!(
            reduce("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
                .is_crawler
        );
        let junk = reduce("");
        assert_eq!(junk.summary, "Other / Other / other");
        assert!(!junk.is_crawler);
    }

    #[test]
    fn headless_chrome_is_a_browser_not_a_crawler() {
        let headless = reduce("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36");
        assert!(!headless.is_crawler);
    }
}
