//! Small wrappers over the browser calls of `io`: the clock, randomness for ids and jitter,
//! Web Storage areas and debug logging.

use super::io;
use crate::core::tracker::Entropy;
use alloc::string::String;
use alloc::vec::Vec;
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

/// Ids from crypto.getRandomValues (Math.random in very old browsers without Web Crypto);
/// jitter from Math.random.
pub struct BrowserEntropy;

impl Entropy for BrowserEntropy {
    fn id_bytes(&mut self) -> [u8; 16] {
        let mut b = [0u8; 16];
        if !io::random_bytes(&mut b) {
            for x in &mut b {
                *x = (io::random() * 256.0) as u8;
            }
        }
        b
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

    /// All keys starting with `prefix`.
    pub fn keys(self, prefix: &str) -> Vec<String> {
        io::store_keys(self.local, prefix)
    }
}

/// `console.log("[usage]", msg, detail)`, only when the page asked for debug output.
pub fn log(debug: bool, msg: &str, detail: &JsValue) {
    if debug {
        io::log(msg, detail);
    }
}
