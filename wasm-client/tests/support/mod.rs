//! Helpers for the browser tests: fake fetch/sendBeacon that record requests, visibility and GPC
//! overrides, storage inspection, and small accessors for parsed JSON.

pub use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(inline_js = r#"
export function install_fakes() {
  const u = { fetches: [], beacons: [], status: 200, retryAfter: null, fail: false,
              beaconOk: true, fetchThrows: false };
  window.__usageFake = u;
  window.fetch = (url, init) => {
    if (u.fetchThrows) throw new Error("fetch replaced by something that throws");
    u.fetches.push({ url: String(url), method: init.method, credentials: init.credentials,
                     keepalive: init.keepalive, bodyType: typeof init.body, body: init.body,
                     at: performance.now() });
    if (u.fail) return Promise.reject(new TypeError("Failed to fetch"));
    const headers = u.retryAfter ? { "Retry-After": u.retryAfter } : {};
    return Promise.resolve(new Response("{}", { status: u.status, headers }));
  };
  navigator.sendBeacon = (url, body) => {
    if (u.beaconOk) u.beacons.push({ url: String(url), body });
    return u.beaconOk;
  };
}
export function set_fake(key, value) { window.__usageFake[key] = value; }
export function throwing_fetch() { window.__usageFake.fetchThrows = true; }
function forSite(list, site) {
  return list.filter((r) => { try { return JSON.parse(r.body).site === site; } catch (e) { return false; } });
}
export function fetches(site) { return forSite(window.__usageFake.fetches, site); }
export function beacons(site) { return forSite(window.__usageFake.beacons, site); }
export function sleep_promise(ms) { return new Promise((r) => setTimeout(r, ms)); }
export function set_hidden(hidden) {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(document, "visibilityState", { configurable: true,
                        get: () => (hidden ? "hidden" : "visible") });
  document.dispatchEvent(new Event("visibilitychange"));
}
export function set_gpc(on) {
  if (on) Object.defineProperty(navigator, "globalPrivacyControl", { configurable: true, get: () => true });
  else delete navigator.globalPrivacyControl;
}
export function set_dnt(on) {
  if (on) Object.defineProperty(navigator, "doNotTrack", { configurable: true, get: () => "1" });
  else delete navigator.doNotTrack;
}
export function queue_text(site) {
  return Object.keys(localStorage).filter((k) => k.startsWith("usage-q:" + site + ":"))
    .map((k) => localStorage.getItem(k)).join("\n");
}
export function dispatch_pagehide() { window.dispatchEvent(new Event("pagehide")); }
export function queue_keys(site) {
  return Object.keys(localStorage).filter((k) => k.startsWith("usage-q:" + site + ":"));
}
export function storage_keys_containing(site) {
  return Object.keys(localStorage).concat(Object.keys(sessionStorage)).filter((k) => k.includes(site)).length;
}
export function remove_session_state(site) { sessionStorage.removeItem("usage-s:" + site); }
export function cyclic_object() { const o = { a: 1 }; o.self = o; return o; }
export function error_run(msg) { return { programLines: 2, linesExecuted: 1, error: new Error(msg) }; }
"#)]
extern "C" {
    pub fn install_fakes();
    pub fn set_fake(key: &str, value: JsValue);
    pub fn throwing_fetch();
    #[wasm_bindgen(js_name = fetches)]
    fn fetches_js(site: &str) -> js_sys::Array;
    #[wasm_bindgen(js_name = beacons)]
    fn beacons_js(site: &str) -> js_sys::Array;
    fn sleep_promise(ms: u32) -> js_sys::Promise;
    pub fn set_hidden(hidden: bool);
    pub fn set_gpc(on: bool);
    pub fn set_dnt(on: bool);
    pub fn queue_text(site: &str) -> String;
    pub fn dispatch_pagehide();
    #[wasm_bindgen(js_name = queue_keys)]
    fn queue_keys_js(site: &str) -> js_sys::Array;
    pub fn storage_keys_containing(site: &str) -> usize;
    pub fn remove_session_state(site: &str);
    pub fn cyclic_object() -> JsValue;
    pub fn error_run(msg: &str) -> JsValue;
}

pub fn tracker(options_json: &str) -> usage_client::UsageTracker {
    // Every test talks to the same fake collector; the site id keeps them apart.
    let opts = parse(options_json);
    if get(&opts, "endpoint").is_undefined() {
        let _ = js_sys::Reflect::set(&opts, &"endpoint".into(), &"http://collector.test".into());
    }
    usage_client::UsageTracker::new(opts)
}

pub async fn sleep(ms: u32) {
    let _ = JsFuture::from(sleep_promise(ms)).await;
}

pub fn fetches(site: &str) -> Vec<JsValue> {
    fetches_js(site).iter().collect()
}

pub fn beacons(site: &str) -> Vec<JsValue> {
    beacons_js(site).iter().collect()
}

pub fn queue_keys(site: &str) -> Vec<JsValue> {
    queue_keys_js(site).iter().collect()
}

pub fn parse(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("test JSON")
}

pub fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

pub fn s(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_default()
}

pub fn n(v: &JsValue, key: &str) -> f64 {
    get(v, key).as_f64().unwrap_or(f64::NAN)
}

/// The parsed body of a recorded request.
pub fn body(req: &JsValue) -> JsValue {
    parse(&s(req, "body"))
}

pub fn events(body: &JsValue) -> Vec<JsValue> {
    js_sys::Array::from(&get(body, "events")).iter().collect()
}

pub fn types(events: &[JsValue]) -> Vec<String> {
    events.iter().map(|e| s(e, "type")).collect()
}

fn is_hex_id(v: &str) -> bool {
    v.len() == 32
        && v.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The rules of docs/api.md that every batch must satisfy.
pub fn check_contract(body: &JsValue) {
    assert!(is_hex_id(&s(body, "session")));
    let sent = n(body, "sent");
    let ev = events(body);
    assert!(!ev.is_empty() && ev.len() <= 100);
    let mut ids: Vec<String> = Vec::new();
    let mut last_seq = -1.0;
    for e in &ev {
        let id = s(e, "id");
        assert!(is_hex_id(&id), "id {id}");
        assert!(!ids.contains(&id), "duplicate id");
        ids.push(id);
        let (seq, t) = (n(e, "seq"), n(e, "t"));
        assert!(seq > last_seq, "seq increases");
        last_seq = seq;
        assert!(t >= 0.0 && t <= sent, "t {t} within sent {sent}");
        if s(e, "type") == "heartbeat" {
            let (v, a) = (n(e, "visible_ms"), n(e, "active_ms"));
            assert!(a <= v && v <= t + 1000.0, "heartbeat counters {a} {v} {t}");
        }
    }
}
