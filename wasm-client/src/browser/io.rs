//! Every browser call the tracker makes, through `web-sys` and `js-sys` (only the features used:
//! wasm-client/Cargo.toml). Every call that the browser or the host page may make throw is a
//! `catch` binding (a `Result`), and a failure reads as "not available" (no storage, no beacon,
//! ...), so no exception ever unwinds through the wasm. No decisions are made here.
//!
//! One callback serves every listener, timer and fetch: `(code, value)`, `code` one of the `EV_*`
//! constants below (defined here only), `value` the event, the fetch's `Response` or error, or
//! undefined. One `Closure` instead of one per use keeps the glue small: each closure type brings
//! its own wrappers into the JS and the wasm.

use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Function, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AddEventListenerOptions, EventTarget, RequestCredentials, RequestInit, Window};

/// The tracker's one entry point for browser events (see the module docs).
pub type Callback = Closure<dyn FnMut(u32, JsValue)>;

/// The heartbeat interval ran.
pub const EV_HEARTBEAT: u32 = 0;
/// The send timer ran.
pub const EV_SEND: u32 = 1;
/// `visibilitychange`, or `pageshow` (back from the back/forward cache).
pub const EV_VISIBILITY: u32 = 2;
pub const EV_PAGEHIDE: u32 = 3;
/// User input (any of [`INPUTS`]).
pub const EV_INPUT: u32 = 4;
/// A fetch was answered; the value is its `Response`.
pub const EV_ANSWER: u32 = 5;
/// A fetch got no answer (offline, DNS, CORS, aborted).
pub const EV_NETWORK_ERROR: u32 = 6;

/// What counts as the user being active: only what a person does. Not `scroll`: a page scrolls
/// itself (layout, focus, restoring a position), and the real IDE's textarea fired one trusted
/// scroll 1.6 s after every load, which made each page load 30 s of "active" time; a person's
/// scroll comes with a wheel, touch, key or pointer press, which count. Not `pointermove`: the
/// browser fires trusted moves under a still mouse when content scrolls or moves beneath it.
const INPUTS: [&str; 4] = ["keydown", "pointerdown", "wheel", "touchstart"];

#[wasm_bindgen]
extern "C" {
    // Two standard JS methods, bound here (views of js-sys's `Function` and `Promise`) rather
    // than taken from js-sys: its `Function::bind1` returns a differently typed `Function<...>`
    // that web-sys does not take, and its `Promise::then2` wants a `Closure` per outcome. These
    // let the one callback, bound to a code, serve every listener and both outcomes of a fetch.
    type Callable;
    /// `f.bind(null, code)`: a function calling `f(code, ...its arguments)`.
    #[wasm_bindgen(method, js_name = bind)]
    fn bind_code(this: &Callable, this_arg: &JsValue, code: u32) -> Function;
    type Thenable;
    #[wasm_bindgen(method, js_name = then)]
    fn then_both(this: &Thenable, ok: &Function, err: &Function);
    // web-sys binds `window.fetch` as never throwing (by the standard it reports every failure
    // through its promise), but a host page may have replaced it with something that throws;
    // without `catch` that exception would unwind through the wasm and leave the tracker stuck.
    type Fetcher;
    #[wasm_bindgen(method, catch, js_name = fetch)]
    fn fetch(this: &Fetcher, url: &str, init: &RequestInit) -> Result<Thenable, JsValue>;
}

/// `cb` bound to `code`.
fn bound(cb: &Callback, code: u32) -> Function {
    cb.as_ref()
        .unchecked_ref::<Callable>()
        .bind_code(&JsValue::NULL, code)
}

/// The global object as a `Window`. Only called once [`has_window`] said there is one (the
/// runtime is not created otherwise): `web_sys::window()` checks it on every call, with an
/// `instanceof` and an `Option` at each use, which costs ~1 KB of wasm and glue.
fn window() -> Window {
    js_sys::global().unchecked_into()
}

/// False outside a window (e.g. in a worker): the tracker then stays off.
pub fn has_window() -> bool {
    let g = js_sys::global();
    get(&g, "window").is_object() && get(&g, "document").is_object()
}

/// Epoch ms (Date.now).
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// Math.random: only for retry jitter.
pub fn random() -> f64 {
    js_sys::Math::random()
}

/// Fills `out` from crypto.getRandomValues; false if Web Crypto is unavailable.
pub fn random_bytes(out: &mut [u8]) -> bool {
    window()
        .crypto()
        .is_ok_and(|c| c.get_random_values_with_u8_array(out).is_ok())
}

pub fn hidden() -> bool {
    window().document().is_some_and(|d| d.hidden())
}

/// `o[key] === true`; false if reading it throws (a page may have replaced the property).
fn prop_is(o: &JsValue, key: &str, want: &JsValue) -> bool {
    Reflect::get(o, &JsValue::from_str(key)).is_ok_and(|v| v == *want)
}

/// `navigator.globalPrivacyControl === true`. Not in web-sys (not in every browser's IDL yet),
/// so read as a plain property.
pub fn gpc() -> bool {
    prop_is(
        &window().navigator(),
        "globalPrivacyControl",
        &JsValue::TRUE,
    )
}

/// Do Not Track: "1" when on; Safari and old Edge put it on window instead of navigator, which
/// web-sys does not describe, so both are read as plain properties.
pub fn dnt() -> bool {
    let on = JsValue::from_str("1");
    let w = window();
    prop_is(&w.navigator(), "doNotTrack", &on) || prop_is(&w, "doNotTrack", &on)
}

/// `navigator.webdriver === true`: the browser is driven through WebDriver (or says so).
pub fn webdriver() -> bool {
    prop_is(&window().navigator(), "webdriver", &JsValue::TRUE)
}

/// `navigator.userAgent`, read as a plain property (no web-sys binding for one string); empty
/// if reading it throws.
pub fn user_agent() -> String {
    Reflect::get(&window().navigator(), &JsValue::from_str("userAgent"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// The page origin.
pub fn origin() -> Option<String> {
    window().location().origin().ok()
}

/// Web Storage; `local` picks localStorage, else sessionStorage. Merely touching localStorage
/// throws when storage is disabled, and writes throw when it is full.
fn area(local: bool) -> Option<web_sys::Storage> {
    let w = window();
    let s = if local {
        w.local_storage()
    } else {
        w.session_storage()
    };
    s.ok().flatten()
}

pub fn store_get(local: bool, key: &str) -> Option<String> {
    area(local)?.get_item(key).ok().flatten()
}

/// False if the browser refused the write (usually: storage full).
pub fn store_set(local: bool, key: &str, value: &str) -> bool {
    area(local).is_some_and(|s| s.set_item(key, value).is_ok())
}

pub fn store_remove(local: bool, key: &str) {
    if let Some(s) = area(local) {
        let _ = s.remove_item(key);
    }
}

/// The keys starting with `prefix`.
pub fn store_keys(local: bool, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = area(local) {
        for i in 0..s.length().unwrap_or(0) {
            if let Ok(Some(k)) = s.key(i) {
                if k.starts_with(prefix) {
                    out.push(k);
                }
            }
        }
    }
    out
}

/// The page listeners while they are on: what [`unlisten`] removes.
pub struct Listeners(Vec<(EventTarget, &'static str, Function)>);

/// Adds the page lifecycle and input listeners, each calling `cb` with its code. On window
/// (document for visibilitychange), capturing and passive: the page's own handlers and
/// stopPropagation are unaffected, and scrolling is never delayed.
pub fn listen(cb: &Callback) -> Listeners {
    let mut hooks = Vec::new();
    let w = window();
    let opts = AddEventListenerOptions::new();
    opts.set_capture(true);
    opts.set_passive(true);
    let mut add = |target: EventTarget, name: &'static str, code: u32| {
        let f = bound(cb, code);
        if target
            .add_event_listener_with_callback_and_add_event_listener_options(name, &f, &opts)
            .is_ok()
        {
            hooks.push((target, name, f));
        }
    };
    if let Some(d) = w.document() {
        add(d.unchecked_into(), "visibilitychange", EV_VISIBILITY);
    }
    let wt: &EventTarget = w.as_ref();
    add(wt.clone(), "pageshow", EV_VISIBILITY);
    add(wt.clone(), "pagehide", EV_PAGEHIDE);
    for name in INPUTS {
        add(wt.clone(), name, EV_INPUT);
    }
    Listeners(hooks)
}

pub fn unlisten(l: Listeners) {
    for (target, name, f) in l.0 {
        let _ = target.remove_event_listener_with_callback_and_bool(name, &f, true);
    }
}

/// setInterval (`repeat`) or setTimeout calling `cb(code)`; returns the handle for
/// [`clear_timer`], or None if the browser refused.
pub fn timer(cb: &Callback, code: u32, ms: i32, repeat: bool) -> Option<i32> {
    let w = window();
    let (f, code) = (cb.as_ref().unchecked_ref(), JsValue::from(code));
    if repeat {
        w.set_interval_with_callback_and_timeout_and_arguments_1(f, ms, &code)
    } else {
        w.set_timeout_with_callback_and_timeout_and_arguments_1(f, ms, &code)
    }
    .ok()
}

/// Interval and timeout handles share one pool, so clearTimeout clears either.
pub fn clear_timer(id: i32) {
    window().clear_timeout_with_handle(id);
}

/// POSTs `body` as text/plain (a string body: a "simple" request, no CORS preflight), without
/// cookies or HTTP auth, with keepalive so a send started just before unload completes. `mode`
/// is left at fetch's default for a URL string, "cors". Later calls `cb(EV_ANSWER, response)` or
/// `cb(EV_NETWORK_ERROR, error)`. Returns false if the request could not even start (the page
/// may have replaced fetch with something that throws).
pub fn post(url: &str, body: &str, cb: &Callback) -> bool {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    init.set_credentials(RequestCredentials::Omit);
    // RequestInit.keepalive is not in web-sys 0.3: set as a plain property.
    let _ = Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    let w = window();
    match w.unchecked_ref::<Fetcher>().fetch(url, &init) {
        Ok(answer) => {
            answer.then_both(&bound(cb, EV_ANSWER), &bound(cb, EV_NETWORK_ERROR));
            true
        }
        Err(_) => false,
    }
}

/// The status and `Retry-After` header (None if absent or unreadable: cross-origin, it is
/// readable only if the server lists it in Access-Control-Expose-Headers) of an answered fetch.
pub fn answer(response: &JsValue) -> (u16, Option<String>) {
    let r: &web_sys::Response = response.unchecked_ref();
    let retry = r.headers().get("retry-after").ok().flatten();
    (r.status(), retry)
}

/// navigator.sendBeacon (sent as text/plain); false if the browser refused it (over its budget).
pub fn beacon(url: &str, body: &str) -> bool {
    window()
        .navigator()
        .send_beacon_with_opt_str(url, Some(body))
        .unwrap_or(false)
}

/// `console.log("[usage]", msg, detail)`, or without `detail` when it is undefined (a message
/// with nothing to add printed a trailing "undefined").
pub fn log(msg: &str, detail: &JsValue) {
    let tag = JsValue::from_str("[usage]");
    let msg = JsValue::from_str(msg);
    if detail.is_undefined() {
        web_sys::console::log_2(&tag, &msg);
    } else {
        web_sys::console::log_3(&tag, &msg, detail);
    }
}

/// `o[key]` for option and argument objects; undefined if `o` is not an object or a getter throws.
pub fn get(o: &JsValue, key: &str) -> JsValue {
    if !o.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A number as is, or a string converted (HTML data attributes give numbers as strings, and
/// JS's `+s` is `Number(s)`); NaN for anything else or a string that is not numeric.
pub fn number(v: &JsValue) -> f64 {
    match v.as_f64() {
        Some(n) => n,
        None if v.is_string() => v.unchecked_into_f64(),
        None => f64::NAN,
    }
}

/// A boolean option: true also for "true", "1" and "" (a bare HTML data attribute), false also
/// for "false" and "0", None for anything else.
pub fn flag(v: &JsValue) -> Option<bool> {
    if let Some(b) = v.as_bool() {
        return Some(b);
    }
    match v.as_string()?.as_str() {
        "true" | "1" | "" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// JSON of a plain (non-array) object; None for anything else or if JSON.stringify throws
/// (cycles, BigInt).
pub fn json_object(v: &JsValue) -> Option<String> {
    if !v.is_object() || Array::is_array(v) {
        return None;
    }
    JSON::stringify(v).ok()?.as_string()
}

/// Epoch ms of an HTTP date (Retry-After's other form), NaN if it is none.
pub fn parse_date(s: &str) -> f64 {
    js_sys::Date::parse(s)
}
