//! Getting a batch to the aggregator: `fetch` with keepalive and a text/plain body while the page
//! lives (its answer decides retries), `navigator.sendBeacon` when the page is being hidden or
//! unloaded (fire and forget, but the browser delivers it after the page is gone).

use crate::core::backoff::{retry_after_seconds, Outcome};
use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{RequestCredentials, RequestInit, RequestMode, Response, Window};

/// The fetch callbacks: created once and reused, since at most one fetch is in flight.
pub type Callback = Closure<dyn FnMut(JsValue)>;

#[wasm_bindgen]
extern "C" {
    /// web-sys declares `fetch` as never throwing, but a page (or an extension) may have replaced
    /// it with something that does; `catch` turns that into an `Err` instead of an exception
    /// unwinding through our frames.
    /// The global `fetch`, looked up at each call.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch_catching(url: &str, init: &RequestInit) -> Result<Promise, JsValue>;
}

/// Starts a POST of `body` to `url`; exactly one of `on_answer`/`on_error` is called later.
/// Returns false if the request could not even start (then neither is called).
pub fn post(url: &str, body: &str, on_answer: &Callback, on_error: &Callback) -> bool {
    let init = RequestInit::new();
    init.set_method("POST");
    // A string body is sent as text/plain;charset=UTF-8: a "simple" request, so no CORS preflight.
    init.set_body(&JsValue::from_str(body));
    init.set_mode(RequestMode::Cors);
    // Never send cookies or HTTP auth: the aggregator must not be able to tie events to a person.
    init.set_credentials(RequestCredentials::Omit);
    // keepalive lets a send that started just before the page unloads complete.
    let _ = Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    match fetch_catching(url, &init) {
        Ok(p) => {
            // `then` on a thenable the page substituted could be anything; ignore its result.
            let _ = p.then2(on_answer, on_error);
            true
        }
        Err(_) => false,
    }
}

/// Turns the value a fetch resolved with into an [`Outcome`].
pub fn outcome(resp: &JsValue, now_ms: f64) -> Outcome {
    let resp: &Response = resp.unchecked_ref();
    let status = Reflect::get(resp, &JsValue::from_str("status"))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    if !(100.0..=599.0).contains(&status) {
        return Outcome::NetworkError;
    }
    // Cross-origin, the header is only readable if the server lists it in
    // Access-Control-Expose-Headers; without it the plain backoff applies.
    let retry_after = Reflect::get(resp, &JsValue::from_str("headers"))
        .ok()
        .filter(|h| h.is_object())
        .and_then(|h| {
            h.unchecked_into::<web_sys::Headers>()
                .get("retry-after")
                .ok()
        })
        .flatten()
        .and_then(|v| {
            retry_after_seconds(&v).or_else(|| {
                let at = js_sys::Date::parse(&v);
                (at.is_finite()).then(|| (at - now_ms).max(0.0))
            })
        });
    Outcome::Status(status as u16, retry_after)
}

/// Queues `body` with `navigator.sendBeacon` (sent as text/plain). False if the browser refused
/// it (over its size budget, or no beacon support): the events then stay queued.
pub fn beacon(win: &Window, url: &str, body: &str) -> bool {
    win.navigator()
        .send_beacon_with_opt_str(url, Some(body))
        .unwrap_or(false)
}
