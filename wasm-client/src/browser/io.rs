//! The browser calls the tracker makes, imported from one small JS module (`io.js`, bundled into
//! the glue by the release build) instead of through web-sys: every web-sys binding adds its own
//! glue, and these few functions also catch whatever the browser or the host page throws, so no
//! exception ever unwinds through the wasm.

use alloc::string::String;
use wasm_bindgen::prelude::*;

/// The tracker's one entry point for browser events: `(code, number, value)`, codes `EV_*` of
/// `runtime.rs`. One closure for every listener, timer and fetch keeps the glue small.
pub type Callback = Closure<dyn FnMut(u32, f64, JsValue)>;

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
    /// The page origin.
    pub fn origin() -> Option<String>;
    /// Web Storage; `local` picks localStorage, else sessionStorage.
    pub fn store_get(local: bool, key: &str) -> Option<String>;
    /// False if the browser refused the write (usually: storage full).
    pub fn store_set(local: bool, key: &str, value: &str) -> bool;
    pub fn store_remove(local: bool, key: &str);
    /// The keys starting with `prefix`, one per line.
    pub fn store_keys(local: bool, prefix: &str) -> String;
    /// Adds the page lifecycle and input listeners; returns the function that removes them.
    pub fn listen(cb: &JsValue) -> JsValue;
    pub fn unlisten(off: &JsValue);
    /// setInterval (`repeat`) or setTimeout calling `cb(code)`; returns the handle.
    pub fn timer(cb: &JsValue, code: u32, ms: i32, repeat: bool) -> i32;
    pub fn clear_timer(id: i32);
    /// Starts the POST of a batch; false if it could not start (then `cb` is never called).
    pub fn post(url: &str, body: &str, cb: &JsValue) -> bool;
    /// navigator.sendBeacon; false if the browser refused it.
    pub fn beacon(url: &str, body: &str) -> bool;
    /// `console.log("[usage]", msg, detail)`.
    pub fn log(msg: &str, detail: &JsValue);
    /// `o[key]`, or undefined if `o` is not an object.
    pub fn get(o: &JsValue, key: &str) -> JsValue;
    /// `Number(s)`.
    pub fn number(s: &str) -> f64;
    /// JSON.stringify of a plain non-array object; None otherwise or if it throws.
    pub fn json_object(v: &JsValue) -> Option<String>;
    /// Date.parse.
    pub fn parse_date(s: &str) -> f64;
}
