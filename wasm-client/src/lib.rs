//! usage-client: the browser half of the usage tracker. This file is the exported `UsageTracker`
//! class only; the logic lives in `core` (plain Rust, natively tested) and the browser plumbing
//! in `browser`. No method throws or panics into the host page.
#![cfg_attr(feature = "tiny", no_std)]

extern crate alloc;

pub mod browser;
pub mod core;
#[cfg(all(feature = "tiny", target_arch = "wasm32"))]
mod tiny;

use alloc::rc::Rc;
use alloc::string::String;
use browser::{args, env, runtime::Runtime};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options of `new UsageTracker(...)`; durations in milliseconds. */
export interface UsageOptions {
  /** Aggregator base URL; batches go to `${endpoint}/api/v1/events`. Default: the page origin. */
  endpoint?: string;
  /** Site id, `[a-z0-9_.:-]{1,64}`. */
  site: string;
  /** Heartbeat period while the page is visible (default 15000). */
  heartbeatInterval?: number;
  /** Input at most this old makes visible time count as active (default 30000). */
  activeWindow?: number;
  /** Away longer than this starts a new session (default 1800000). */
  idleTimeout?: number;
  /** Send when this many events wait (default 20, at most 100)... */
  batchSize?: number;
  /** ...or when the oldest waiting event is this old (default 20000). */
  flushInterval?: number;
  /** Bounds of the unsent queue in localStorage (default 500 events, 262144 bytes). */
  maxQueueEvents?: number;
  maxQueueBytes?: number;
  /** An unsent event older than this is dropped, from memory and localStorage (default and
   * most 604800000: 7 days, the longest the aggregator takes; least 60000). */
  maxQueueAge?: number;
  /** Retry backoff: first delay and cap (default 1000 and 300000). */
  retryBase?: number;
  retryMax?: number;
  /** Track nothing when navigator.globalPrivacyControl is on (default true). */
  honorGpc?: boolean;
  /** Track nothing when the browser sends Do Not Track (default true). */
  honorDnt?: boolean;
  /** Log to the console (default false: the tracker is silent). */
  debug?: boolean;
  /** Do nothing at all. */
  disabled?: boolean;
  /** "allow": do not report browser automation (`navigator.webdriver`, headless Chrome), so a
   * page's own browser tests are counted; otherwise the aggregator filters such sessions. */
  automation?: "allow";
}

/** One program execution, for `programRun`. */
export interface ProgramRunInfo {
  programLines: number;
  executionTimeMs: number;
  linesExecuted: number;
  /** Default: true unless `error` is given. */
  success?: boolean;
  /** Error message (or Error object); cut to 500 characters. */
  error?: string | Error;
}
"#;

/// Tracks one page's usage session and reports it to the aggregator.
#[wasm_bindgen]
pub struct UsageTracker {
    rt: Option<Rc<Runtime>>,
}

#[wasm_bindgen]
impl UsageTracker {
    /// Reads the options. Tracking is off (every method a no-op) if they are unusable, if
    /// `disabled` is set, or if Global Privacy Control is on and honoured.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "UsageOptions")] options: JsValue) -> Self {
        UsageTracker {
            rt: Runtime::new(&options),
        }
    }

    /// Starts (or continues, after a reload) the session: listeners, heartbeats, sending.
    pub fn start(&self) {
        if let Some(rt) = &self.rt {
            rt.start();
        }
    }

    /// Stops listening and sending; unsent events stay stored for the next page load.
    pub fn stop(&self) {
        if let Some(rt) = &self.rt {
            rt.stop();
        }
    }

    /// Records use of a feature, with an optional JSON object of at most 2 KiB.
    pub fn feature(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Record<string, unknown>")] data: JsValue,
    ) {
        self.call(|st| {
            let Some(name) = args::feature_name(&name) else {
                env::log(st.debug(), "feature name unusable, ignored", &name);
                return;
            };
            let json = match args::feature_data(&data) {
                args::Data::Json(j) => Some(j),
                args::Data::Absent => None,
                args::Data::Unusable => {
                    let why = "feature data is not a JSON object <= 2 KiB, left out";
                    env::log(st.debug(), why, &data);
                    None
                }
            };
            st.feature(&name, json.as_deref());
        });
    }

    /// Records one program execution.
    #[wasm_bindgen(js_name = programRun)]
    pub fn program_run(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ProgramRunInfo")] run: JsValue,
    ) {
        self.call(|st| match args::program_run(&run) {
            Some(r) => st.program_run(&r),
            None => env::log(st.debug(), "programRun needs an object, ignored", &run),
        });
    }

    /// Ends the session now (and sends it); later activity starts a new session.
    pub fn end(&self) {
        self.call(|st| st.end());
    }

    /// Sends queued events now instead of waiting for the batch to fill.
    pub fn flush(&self) {
        self.call(|st| st.flush());
    }

    /// Opts this browser out (kept in localStorage): stops, forgets the session and unsent
    /// events; later page loads track nothing until `optIn()`.
    #[wasm_bindgen(js_name = optOut)]
    pub fn opt_out(&self) {
        if let Some(rt) = &self.rt {
            rt.opt_out();
        }
    }

    /// Lifts `optOut()`; tracking resumes at once if nothing else keeps it off (GPC, DNT, ...).
    #[wasm_bindgen(js_name = optIn)]
    pub fn opt_in(&self) {
        if let Some(rt) = &self.rt {
            rt.opt_in();
        }
    }

    /// False if tracking is off (GPC, DNT, opted out, `disabled`, unusable options).
    #[wasm_bindgen(getter)]
    pub fn enabled(&self) -> bool {
        self.rt.as_ref().is_some_and(|rt| rt.is_enabled())
    }

    /// The current session id (random, per tab), if a session is running. Returned as a JS value
    /// (a string or undefined): an `Option<String>` return costs a multi-value shim in the wasm
    /// and a copy-and-free in the glue.
    #[wasm_bindgen(getter, js_name = sessionId, unchecked_return_type = "string | undefined")]
    pub fn session_id_js(&self) -> JsValue {
        self.rt
            .as_ref()
            .map_or(JsValue::UNDEFINED, |rt| rt.session_js())
    }
}

impl UsageTracker {
    /// The current session id, for Rust callers (the tests).
    pub fn session_id(&self) -> Option<String> {
        self.rt.as_ref()?.session_id()
    }

    fn call(&self, f: impl FnOnce(&mut browser::runtime::State)) {
        if let Some(rt) = &self.rt {
            rt.call(f);
        }
    }
}
