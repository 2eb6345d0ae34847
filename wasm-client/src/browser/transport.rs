//! Getting a batch to the aggregator: `fetch` with keepalive and a text/plain body while the page
//! lives (its answer decides retries), `navigator.sendBeacon` when the page is being hidden or
//! unloaded (fire and forget, but the browser delivers it after the page is gone). The requests
//! themselves are made by `io.js`; this module reads their answers.

use super::io;
use crate::core::backoff::{retry_after_seconds, Outcome};
use wasm_bindgen::JsValue;

/// Callback code of an answered fetch: `(EV_ANSWER, status, Retry-After header or null)`.
pub const EV_ANSWER: u32 = 5;
/// Callback code of a fetch that got no answer (offline, DNS, CORS, aborted).
pub const EV_NETWORK_ERROR: u32 = 6;

/// Starts a POST of `body` to `url`; `cb` is later called once with [`EV_ANSWER`] or
/// [`EV_NETWORK_ERROR`]. Returns false if the request could not even start (then it is not).
pub fn post(url: &str, body: &str, cb: &JsValue) -> bool {
    io::post(url, body, cb)
}

/// Turns an answer's status and `Retry-After` header into an [`Outcome`].
pub fn outcome(status: f64, retry_after: &JsValue, now_ms: f64) -> Outcome {
    if !(100.0..=599.0).contains(&status) {
        return Outcome::NetworkError;
    }
    // Without Access-Control-Expose-Headers the header is unreadable cross-origin: plain backoff.
    let retry_after = retry_after.as_string().and_then(|v| {
        retry_after_seconds(&v).or_else(|| {
            let at = io::parse_date(&v);
            (at.is_finite()).then(|| (at - now_ms).max(0.0))
        })
    });
    Outcome::Status(status as u16, retry_after)
}

/// Queues `body` with `navigator.sendBeacon` (sent as text/plain). False if the browser refused
/// it (over its size budget, or no beacon support): the events then stay queued.
pub fn beacon(url: &str, body: &str) -> bool {
    io::beacon(url, body)
}
