//! Small wrappers over browser facilities that must never throw into the host page: the clock,
//! crypto randomness, Web Storage (which throws when disabled or full), GPC and debug logging.

use crate::core::tracker::Entropy;
use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::JsValue;
pub use web_sys::Window;
use web_sys::{Crypto, Storage};

/// Epoch ms. Offsets are differences of this clock, persisted across reloads, which a monotonic
/// clock (performance.now restarts per page) could not do; the core guards against steps back.
pub fn now() -> u64 {
    let ms = js_sys::Date::now();
    if ms > 0.0 {
        ms as u64
    } else {
        0
    }
}

/// `navigator.globalPrivacyControl === true` (not in web-sys yet, so read as a property).
pub fn gpc_on(win: &web_sys::Window) -> bool {
    js_sys::Reflect::get(&win.navigator(), &JsValue::from_str("globalPrivacyControl"))
        .map(|v| v.as_bool() == Some(true))
        .unwrap_or(false)
}

/// Ids from crypto.getRandomValues; jitter from Math.random.
pub struct BrowserEntropy {
    crypto: Option<Crypto>,
}

impl BrowserEntropy {
    pub fn new(win: &web_sys::Window) -> Self {
        BrowserEntropy {
            crypto: win.crypto().ok(),
        }
    }
}

impl Entropy for BrowserEntropy {
    fn id_bytes(&mut self) -> [u8; 16] {
        let mut b = [0u8; 16];
        let ok = self
            .crypto
            .as_ref()
            .is_some_and(|c| c.get_random_values_with_u8_array(&mut b).is_ok());
        if !ok {
            // Only reachable without Web Crypto (very old browsers): ids stay unique enough for
            // deduplication, which is all the aggregator uses them for.
            for byte in b.iter_mut() {
                *byte = (js_sys::Math::random() * 256.0) as u8;
            }
        }
        b
    }

    fn unit(&mut self) -> f64 {
        js_sys::Math::random()
    }
}

/// A Web Storage area that swallows every error (private mode, quota, disabled storage): losing
/// persistence must not stop tracking, let alone the page.
pub struct Store(Option<Storage>);

impl Store {
    pub fn local(win: &web_sys::Window) -> Self {
        Store(win.local_storage().ok().flatten())
    }

    pub fn session(win: &web_sys::Window) -> Self {
        Store(win.session_storage().ok().flatten())
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.0.as_ref()?.get_item(key).ok().flatten()
    }

    /// Returns false if the browser refused the write (usually: storage full).
    pub fn set(&self, key: &str, value: &str) -> bool {
        self.0
            .as_ref()
            .is_some_and(|s| s.set_item(key, value).is_ok())
    }

    pub fn remove(&self, key: &str) {
        if let Some(s) = &self.0 {
            let _ = s.remove_item(key);
        }
    }

    /// All keys starting with `prefix`.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let Some(s) = &self.0 else {
            return Vec::new();
        };
        let n = s.length().unwrap_or(0);
        (0..n)
            .filter_map(|i| s.key(i).ok().flatten())
            .filter(|k| k.starts_with(prefix))
            .collect()
    }
}

/// `console.log("[usage]", msg, detail)`, only when the page asked for debug output.
pub fn log(debug: bool, msg: &str, detail: &JsValue) {
    if debug {
        web_sys::console::log_3(
            &JsValue::from_str("[usage]"),
            &JsValue::from_str(msg),
            detail,
        );
    }
}
