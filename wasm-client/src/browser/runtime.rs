//! The tracker living in a page: connects the core state machine to timers, page lifecycle and
//! input events, Web Storage and the network. Every entry point borrows the state with
//! `try_borrow_mut` and quietly does nothing on re-entry, so no path can panic into the page.

use super::env::{self, BrowserEntropy};
use super::io::{
    self, Callback, Listeners, EV_ANSWER, EV_HEARTBEAT, EV_INPUT, EV_NETWORK_ERROR, EV_PAGEHIDE,
    EV_SEND, EV_VISIBILITY,
};
use super::persist::Persistence;
use super::privacy;
use super::timers::Timers;
use super::transport;
use crate::core::backoff::{Outcome, Verdict};
use crate::core::config::{automation_signals, Config};
use crate::core::event::ProgramRun;
use crate::core::tracker::Tracker;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use core::cell::RefCell;
use wasm_bindgen::prelude::*;

/// Upper bound of beacons per hide; the browser's beacon budget (64 KiB) runs out before.
const MAX_BEACONS: usize = 8;

pub struct Runtime {
    state: RefCell<State>,
}

pub struct State {
    tracker: Tracker<BrowserEntropy>,
    url: String,
    store: Persistence,
    enabled: bool,
    /// Off for good (option, GPC, DNT, bad options): `optIn()` cannot turn it on.
    blocked: bool,
    /// `start()` was called (and not `stop()`): what `optIn()` resumes.
    wanted: bool,
    running: bool,
    timers: Timers,
    /// The one callback of every listener, timer and fetch; created at the first start.
    cb: Option<Callback>,
    /// Removes the page listeners, while they are on.
    unlisten: Option<Listeners>,
}

/// The shared callback: runs the event on the live state, if the runtime still exists and is not
/// already busy (re-entry is ignored rather than panicking).
fn callback(w: Weak<Runtime>) -> Callback {
    Closure::new(move |code: u32, val: JsValue| {
        if let Some(rt) = w.upgrade() {
            if let Ok(mut st) = rt.state.try_borrow_mut() {
                st.dispatch(code, &val);
            }
        }
    })
}

impl Runtime {
    /// Reads the options; `None` outside a window (e.g. in a worker).
    pub fn new(options: &JsValue) -> Option<Rc<Runtime>> {
        if !io::has_window() {
            return None;
        }
        let mut cfg: Config = super::options::parse(options, io::origin());
        if !cfg.allow_automation {
            cfg.automation = automation_signals(io::webdriver(), &io::user_agent());
        }
        // The signals first: with GPC or DNT on, not even localStorage is read.
        let fixed = privacy::fixed_reason(&cfg);
        let opted_out = fixed.is_none() && privacy::opted_out();
        let reason = fixed.or(opted_out.then_some("opted out in this browser (optIn() lifts it)"));
        if let Some(r) = reason {
            env::log(cfg.debug, r, &JsValue::UNDEFINED);
        }
        let state = State {
            url: cfg.events_url(),
            enabled: reason.is_none(),
            blocked: fixed.is_some(),
            wanted: false,
            store: Persistence::new(&cfg.site),
            tracker: Tracker::new(cfg, BrowserEntropy, !io::hidden()),
            running: false,
            timers: Timers::default(),
            cb: None,
            unlisten: None,
        };
        Some(Rc::new(Runtime {
            state: RefCell::new(state),
        }))
    }

    pub fn start(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        if let Ok(mut st) = self.state.try_borrow_mut() {
            st.wanted = true;
            if st.enabled && !st.running {
                if st.cb.is_none() {
                    st.cb = Some(callback(weak));
                }
                st.start();
            }
        }
    }

    /// Opts this browser out: stops, forgets the session and every unsent event, and remembers
    /// the choice in localStorage, so later page loads do nothing either.
    pub fn opt_out(&self) {
        if let Ok(mut st) = self.state.try_borrow_mut() {
            if st.blocked {
                return;
            }
            privacy::set_opted_out(true);
            st.stop();
            st.store.forget();
            let cfg = st.tracker.cfg.clone();
            st.tracker = Tracker::new(cfg, BrowserEntropy, !io::hidden());
            st.enabled = false;
            st.log("opted out", &JsValue::UNDEFINED);
        }
    }

    /// Lifts the opt-out; tracking starts now if the page started the tracker.
    pub fn opt_in(self: &Rc<Self>) {
        let resume = match self.state.try_borrow_mut() {
            Ok(mut st) if !st.blocked => {
                privacy::set_opted_out(false);
                st.enabled = true;
                st.wanted
            }
            _ => false,
        };
        if resume {
            self.start();
        }
    }

    /// Runs `f` on the state of a started tracker (API calls before `start` are ignored).
    pub fn call(&self, f: impl FnOnce(&mut State)) {
        if let Ok(mut st) = self.state.try_borrow_mut() {
            if st.running {
                f(&mut st);
            }
        }
    }

    pub fn stop(&self) {
        if let Ok(mut st) = self.state.try_borrow_mut() {
            st.wanted = false;
            st.stop();
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.state.try_borrow().is_ok_and(|st| st.enabled)
    }

    pub fn session_id(&self) -> Option<String> {
        let st = self.state.try_borrow().ok()?;
        st.tracker.session_id().map(String::from)
    }

    /// The session id as a JS string, or undefined.
    pub fn session_js(&self) -> JsValue {
        self.state
            .try_borrow()
            .map_or(JsValue::UNDEFINED, |st| st.session_js())
    }
}

impl State {
    fn dispatch(&mut self, code: u32, val: &JsValue) {
        match code {
            EV_HEARTBEAT => self.on_heartbeat(),
            EV_SEND => self.on_send_timer(),
            EV_VISIBILITY => self.sync_visibility(),
            EV_PAGEHIDE => self.on_pagehide(),
            EV_INPUT => self.on_input(),
            EV_ANSWER => self.settle(transport::outcome(val, io::now())),
            EV_NETWORK_ERROR => self.settle(Outcome::NetworkError),
            _ => {}
        }
    }

    fn start(&mut self) {
        self.running = true;
        let now = env::now();
        let stored = self.store.load(&mut self.tracker, now);
        // Visibility may have changed since the constructor ran (or since a stop()).
        let visible = !io::hidden();
        self.tracker.set_visible(now, visible);
        self.tracker.resume(stored.as_deref(), now);
        self.listen(true);
        if visible {
            self.start_heartbeat();
        }
        self.log("started, session", &self.session_js());
        self.after();
    }

    fn stop(&mut self) {
        if !self.running {
            return;
        }
        self.listen(false);
        self.timers.clear();
        self.persist();
        self.running = false;
    }

    /// Adds (`on`) or removes the page lifecycle and input listeners.
    fn listen(&mut self, on: bool) {
        if !on {
            if let Some(off) = self.unlisten.take() {
                io::unlisten(off);
            }
        } else if let (None, Some(cb)) = (&self.unlisten, &self.cb) {
            self.unlisten = Some(io::listen(cb));
        }
    }

    fn start_heartbeat(&mut self) {
        if let Some(cb) = &self.cb {
            let every = self.tracker.cfg.heartbeat_ms;
            self.timers.start_heartbeat(cb, every);
        }
    }

    fn on_heartbeat(&mut self) {
        self.tracker.heartbeat(env::now());
        self.after();
    }

    fn on_send_timer(&mut self) {
        self.timers.send_fired();
        self.after();
    }

    fn on_input(&mut self) {
        self.tracker.input(env::now());
        // Only a session change (after a long absence) queues events; plain input does not.
        if self.tracker.is_dirty() {
            self.after();
        }
    }

    /// visibilitychange / pageshow: pause or resume heartbeats; flush by beacon when hidden,
    /// since a hidden tab may be discarded without any further event.
    fn sync_visibility(&mut self) {
        let visible = !io::hidden();
        let now = env::now();
        self.tracker.set_visible(now, visible);
        if visible {
            self.start_heartbeat();
        } else {
            self.timers.stop_heartbeat();
            self.beacon_all(now);
        }
        self.after();
    }

    /// Page unload (or entry into the back/forward cache). Browsers fire pagehide before the
    /// final visibilitychange, so the page counts as hidden from here: its last heartbeat goes
    /// before `end`, keeping `end` the session's latest event.
    fn on_pagehide(&mut self) {
        let now = env::now();
        self.tracker.set_visible(now, false);
        self.timers.stop_heartbeat();
        self.tracker.end(now, false);
        self.beacon_all(now);
        self.after();
    }

    /// Sends everything queued by beacon, whatever the backoff: the tab may be closing. The
    /// events stay stored until a fetch confirms them (see `Tracker::beacon_sent`).
    fn beacon_all(&mut self, now: u64) {
        for _ in 0..MAX_BEACONS {
            let Some(b) = self.tracker.beacon_batch(now) else {
                break;
            };
            if !transport::beacon(&self.url, &b.body) {
                self.log("beacon refused; events stay queued", &JsValue::UNDEFINED);
                break;
            }
            self.log("beacon sent", &JsValue::from(b.keys.len() as u32));
            self.tracker.beacon_sent(now, &b.keys);
        }
    }

    /// A fetch answered (or failed): let the core decide, then carry on.
    fn settle(&mut self, out: Outcome) {
        match self.tracker.finish_send(env::now(), out) {
            Verdict::Done => self.log("batch delivered", &JsValue::UNDEFINED),
            Verdict::Reject => self.log("batch rejected, dropped", &status_js(out)),
            Verdict::Retry(ms) => self.log("send failed, retrying in ms", &JsValue::from(ms)),
        }
        self.after();
    }

    /// After every change: persist what changed, start a fetch if one is due, and arm the timer
    /// for the next one.
    fn after(&mut self) {
        self.persist();
        if !self.running {
            return;
        }
        let now = env::now();
        if let Some(batch) = self.tracker.begin_send(now) {
            let started = self
                .cb
                .as_ref()
                .is_some_and(|cb| transport::post(&self.url, &batch.body, cb));
            if !started {
                self.tracker.finish_send(now, Outcome::NetworkError);
            }
        }
        if let Some(cb) = &self.cb {
            let due = self.tracker.next_send_at().map(|at| at.saturating_sub(now));
            self.timers.arm_send(cb, due);
        }
    }

    fn persist(&mut self) {
        if !self.store.save(&mut self.tracker) {
            self.log("localStorage refused the queue", &JsValue::UNDEFINED);
        }
    }

    fn log(&self, msg: &str, detail: &JsValue) {
        env::log(self.tracker.cfg.debug, msg, detail);
    }

    fn session_js(&self) -> JsValue {
        self.tracker
            .session_id()
            .map_or(JsValue::UNDEFINED, JsValue::from_str)
    }

    pub fn feature(&mut self, name: &str, data: Option<&str>) {
        self.tracker.feature(env::now(), name, data);
        self.after();
    }

    pub fn program_run(&mut self, run: &ProgramRun) {
        self.tracker.program_run(env::now(), run);
        self.after();
    }

    /// Ends the session now and sends what is queued.
    pub fn end(&mut self) {
        self.tracker.end(env::now(), true);
        self.after();
    }

    pub fn flush(&mut self) {
        self.tracker.request_flush();
        self.after();
    }

    pub fn debug(&self) -> bool {
        self.tracker.cfg.debug
    }
}

fn status_js(out: Outcome) -> JsValue {
    match out {
        Outcome::Status(s, _) => JsValue::from(s),
        Outcome::NetworkError => JsValue::UNDEFINED,
    }
}

impl Drop for State {
    fn drop(&mut self) {
        self.stop();
        if let Some(cb) = self.cb.take() {
            // A fetch may still resolve after the tracker is freed, and calling a dropped closure
            // would throw in the page: the one small closure is leaked instead (its Weak then
            // finds no tracker, so it does nothing).
            cb.forget();
        }
    }
}
