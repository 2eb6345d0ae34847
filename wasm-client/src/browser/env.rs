//! Small wrappers over the browser facilities of `io`: the clock, randomness for ids and jitter,
//! Web Storage areas and debug logging.

use super::io;
use crate::core::tracker::Entropy;
use alloc::string::String;
use wasm_bindgen::JsValue;

/// Epoch ms. Offsets are differences of this clock, persisted across reloads, which a monotonic
/// clock (performance.now restarts per page) could not do; the core guards against steps back.
pub fn now() -> u64 {
    let ms = io::now();
    if ms > 0.0 {
        ms as u64
    } else {
        0
    }
}

/// Ids from crypto.getRandomValues; jitter from Math.random.
pub struct BrowserEntropy;

impl Entropy for BrowserEntropy {
    fn id_bytes(&mut self) -> [u8; 16] {
        let mut v: u128 = 0;
        for _ in 0..4 {
            v = v << 32 | u128::from(io::random_u32());
        }
        v.to_le_bytes()
    }

    fn unit(&mut self) -> f64 {
        io::random()
    }
}

/// A Web Storage area. Every error (private mode, quota, disabled storage) is swallowed by `io`:
/// losing persistence must not stop tracking, let alone the page.
#[derive(Clone, Copy)]
pub struct Store {
    local: bool,
}

impl Store {
    pub const LOCAL: Store = Store { local: true };
    pub const SESSION: Store = Store { local: false };

    pub fn get(self, key: &str) -> Option<String> {
        io::store_get(self.local, key)
    }

    /// Returns false if the browser refused the write (usually: storage full).
    pub fn set(self, key: &str, value: &str) -> bool {
        io::store_set(self.local, key, value)
    }

    pub fn remove(self, key: &str) {
        io::store_remove(self.local, key);
    }

    /// All keys starting with `prefix`, one per line.
    pub fn keys(self, prefix: &str) -> String {
        io::store_keys(self.local, prefix)
    }
}

/// `console.log("[usage]", msg, detail)`, only when the page asked for debug output.
pub fn log(debug: bool, msg: &str, detail: &JsValue) {
    if debug {
        io::log(msg, detail);
    }
}
