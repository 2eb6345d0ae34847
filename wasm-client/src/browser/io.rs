//! The browser calls the tracker makes, imported from one small JS module (`io.js`, bundled into
//! the glue by the release build) instead of through web-sys: every web-sys binding adds its own
//! glue, and these few functions also catch whatever the browser or the host page throws, so no
//! exception ever unwinds through the wasm.

use alloc::string::String;
use wasm_bindgen::prelude::*;

/// The tracker's one entry point for browser events: `(code, number, value)`, codes `EV_*` of
/// `runtime.rs`. One closure for every listener, timer and fetch keeps the glue small.
pub type Callback = Closure<dyn FnMut(u32, f64, JsValue)>;

// Strings cross as JsValue and flags and codes as i32: wasm-bindgen then imports these functions
// from the module as they are, where `&str`, `String`, `bool` or `u32` parameters would each get a
// converting wrapper in the generated glue. The typed wrappers below convert on the Rust side.
#[wasm_bindgen(module = "/src/browser/io.js")]
extern "C" {
    /// False outside a window (e.g. in a worker): the tracker then stays off.
    pub fn has_window() -> bool;
    /// Epoch ms (Date.now).
    pub fn now() -> f64;
    /// Math.random: only for retry jitter.
    pub fn random() -> f64;
    /// 32 bits from crypto.getRandomValues, for ids.
    pub fn random_u32() -> u32;
    pub fn hidden() -> bool;
    /// `navigator.globalPrivacyControl === true`.
    pub fn gpc() -> bool;
    /// Do Not Track: `navigator.doNotTrack` (or the older `window.doNotTrack`) is "1".
    pub fn dnt() -> bool;
    #[wasm_bindgen(js_name = origin)]
    fn js_origin() -> JsValue;
    #[wasm_bindgen(js_name = store_get)]
    fn js_store_get(local: i32, key: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = store_set)]
    fn js_store_set(local: i32, key: &JsValue, value: &JsValue) -> bool;
    #[wasm_bindgen(js_name = store_remove)]
    fn js_store_remove(local: i32, key: &JsValue);
    #[wasm_bindgen(js_name = store_keys)]
    fn js_store_keys(local: i32, prefix: &JsValue) -> JsValue;
    /// Adds the page lifecycle and input listeners; returns the function that removes them.
    pub fn listen(cb: &JsValue) -> JsValue;
    pub fn unlisten(off: &JsValue);
    #[wasm_bindgen(js_name = timer)]
    fn js_timer(cb: &JsValue, code: i32, ms: i32, repeat: i32) -> i32;
    pub fn clear_timer(id: i32);
    #[wasm_bindgen(js_name = post)]
    fn js_post(url: &JsValue, body: &JsValue, cb: &JsValue) -> bool;
    #[wasm_bindgen(js_name = beacon)]
    fn js_beacon(url: &JsValue, body: &JsValue) -> bool;
    #[wasm_bindgen(js_name = log)]
    fn js_log(msg: &JsValue, detail: &JsValue);
    /// `o[key]`, or undefined if `o` is not an object.
    #[wasm_bindgen(js_name = get)]
    fn js_get(o: &JsValue, key: &JsValue) -> JsValue;
    /// A number, or a string converted by `Number()`; NaN for anything else.
    pub fn number(v: &JsValue) -> f64;
    /// 1 for true, "true", "1" or "", 0 for false, "false" or "0", -1 for anything else.
    pub fn flag(v: &JsValue) -> i32;
    /// JSON.stringify of a plain non-array object; undefined otherwise or if it throws.
    pub fn json_object(v: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = parse_date)]
    fn js_parse_date(s: &JsValue) -> f64;
}

fn js(s: &str) -> JsValue {
    JsValue::from_str(s)
}

/// The page origin.
pub fn origin() -> Option<String> {
    js_origin().as_string()
}

/// Web Storage; `local` picks localStorage, else sessionStorage.
pub fn store_get(local: bool, key: &str) -> Option<String> {
    js_store_get(local.into(), &js(key)).as_string()
}

/// False if the browser refused the write (usually: storage full).
pub fn store_set(local: bool, key: &str, value: &str) -> bool {
    js_store_set(local.into(), &js(key), &js(value))
}

pub fn store_remove(local: bool, key: &str) {
    js_store_remove(local.into(), &js(key));
}

/// The keys starting with `prefix`, one per line.
pub fn store_keys(local: bool, prefix: &str) -> String {
    js_store_keys(local.into(), &js(prefix))
        .as_string()
        .unwrap_or_default()
}

/// setInterval (`repeat`) or setTimeout calling `cb(code)`; returns the handle.
pub fn timer(cb: &JsValue, code: u32, ms: i32, repeat: bool) -> i32 {
    js_timer(cb, code as i32, ms, repeat.into())
}

/// Starts the POST of a batch; false if it could not start (then `cb` is never called).
pub fn post(url: &str, body: &str, cb: &JsValue) -> bool {
    js_post(&js(url), &js(body), cb)
}

/// navigator.sendBeacon; false if the browser refused it.
pub fn beacon(url: &str, body: &str) -> bool {
    js_beacon(&js(url), &js(body))
}

/// `console.log("[usage]", msg, detail)`.
pub fn log(msg: &str, detail: &JsValue) {
    js_log(&js(msg), detail);
}

/// `o[key]`, or undefined if `o` is not an object.
pub fn get(o: &JsValue, key: &str) -> JsValue {
    js_get(o, &js(key))
}

/// Date.parse.
pub fn parse_date(s: &str) -> f64 {
    js_parse_date(&js(s))
}
