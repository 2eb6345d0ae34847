//! Reads the options object a page passes to `new UsageTracker({...})` into a [`Config`]. Unknown
//! keys are ignored and wrongly typed values fall back to the defaults, never to an exception.

use super::io::{self, get};
use crate::core::config::Config;
use alloc::string::String;
use wasm_bindgen::JsValue;

/// A duration or count: a finite non-negative number (a numeric string, as HTML data attributes
/// give, is accepted too).
fn number(o: &JsValue, key: &str) -> Option<u64> {
    let n = io::number(&get(o, key));
    (n.is_finite() && n >= 0.0).then_some(n as u64)
}

/// Booleans also accept the strings "true"/"false"/"1"/"0" and "" (a bare data attribute).
fn flag(o: &JsValue, key: &str) -> Option<bool> {
    io::flag(&get(o, key))
}

/// Builds the tracker settings; `default_endpoint` (the page origin) applies when none is given.
pub fn parse(o: &JsValue, default_endpoint: Option<String>) -> Config {
    let mut c = Config::default();
    if let Some(e) = get(o, "endpoint").as_string().filter(|e| !e.is_empty()) {
        c.endpoint = e;
    } else if let Some(e) = default_endpoint {
        c.endpoint = e;
    }
    if let Some(s) = get(o, "site").as_string() {
        c.site = s;
    }
    let durations: [(&str, &mut u64); 7] = [
        ("heartbeatInterval", &mut c.heartbeat_ms),
        ("activeWindow", &mut c.active_window_ms),
        ("idleTimeout", &mut c.idle_timeout_ms),
        ("flushInterval", &mut c.flush_interval_ms),
        ("retryBase", &mut c.retry_base_ms),
        ("retryMax", &mut c.retry_max_ms),
        ("maxQueueAge", &mut c.max_queue_age_ms),
    ];
    for (key, slot) in durations {
        if let Some(v) = number(o, key) {
            *slot = v;
        }
    }
    let counts: [(&str, &mut usize); 3] = [
        ("batchSize", &mut c.batch_size),
        ("maxQueueEvents", &mut c.max_queue_events),
        ("maxQueueBytes", &mut c.max_queue_bytes),
    ];
    for (key, slot) in counts {
        if let Some(v) = number(o, key) {
            *slot = usize::try_from(v).unwrap_or(usize::MAX);
        }
    }
    if let Some(v) = flag(o, "honorGpc") {
        c.honor_gpc = v;
    }
    if let Some(v) = flag(o, "honorDnt") {
        c.honor_dnt = v;
    }
    c.debug = flag(o, "debug").unwrap_or(false);
    c.disabled = flag(o, "disabled").unwrap_or(false);
    // `data-automation="allow"` on the tag (or `automation: "allow"`): the only value there is.
    c.allow_automation = get(o, "automation").as_string().as_deref() == Some("allow");
    c.normalize();
    c
}
