//! Getting a batch to the aggregator: `fetch` with keepalive and a text/plain body while the page
//! lives (its answer decides retries), `navigator.sendBeacon` when the page is being hidden or
//! unloaded (fire and forget, but the browser delivers it after the page is gone). The requests
//! themselves are made by `io`; this module reads their answers.

use super::io::{self, Callback};
use crate::core::backoff::{retry_after_seconds, Outcome};
use wasm_bindgen::JsValue;

/// Starts a POST of `body` to `url`; `cb` is later called once with `io::EV_ANSWER` or
/// `io::EV_NETWORK_ERROR`. Returns false if the request could not even start (then it is not).
pub fn post(url: &str, body: &str, cb: &Callback) -> bool {
    io::post(url, body, cb)
}

/// Turns an answered fetch's `Response` into an [`Outcome`].
pub fn outcome(response: &JsValue, now_ms: f64) -> Outcome {
    let (status, retry_after) = io::answer(response);
    if !(100..=599).contains(&status) {
        return Outcome::NetworkError;
    }
    let retry_after = retry_after.and_then(|v| {
        retry_after_seconds(&v).or_else(|| {
            let at = io::parse_date(&v);
            (at.is_finite()).then(|| (at - now_ms).max(0.0))
        })
    });
    Outcome::Status(status, retry_after)
}

/// Queues `body` with `navigator.sendBeacon` (sent as text/plain). False if the browser refused
/// it (over its size budget, or no beacon support): the events then stay queued.
pub fn beacon(url: &str, body: &str) -> bool {
    io::beacon(url, body)
}
