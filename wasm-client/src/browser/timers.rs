//! The tracker's two timers: the heartbeat interval (runs only while the page is visible) and the
//! one-shot send timer (re-armed after every change for the next due send).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Window;

#[derive(Default)]
pub struct Timers {
    heartbeat: Option<i32>,
    send: Option<i32>,
}

fn ms(v: u64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

impl Timers {
    /// Starts the heartbeat interval unless it runs already.
    pub fn start_heartbeat(&mut self, win: &Window, f: &Closure<dyn FnMut()>, every_ms: u64) {
        if self.heartbeat.is_none() {
            self.heartbeat = win
                .set_interval_with_callback_and_timeout_and_arguments_0(
                    f.as_ref().unchecked_ref(),
                    ms(every_ms),
                )
                .ok();
        }
    }

    pub fn stop_heartbeat(&mut self, win: &Window) {
        if let Some(h) = self.heartbeat.take() {
            win.clear_interval_with_handle(h);
        }
    }

    /// Replaces any pending send timer; `None` just cancels it.
    pub fn arm_send(&mut self, win: &Window, f: &Closure<dyn FnMut()>, in_ms: Option<u64>) {
        if let Some(h) = self.send.take() {
            win.clear_timeout_with_handle(h);
        }
        if let Some(d) = in_ms {
            self.send = win
                .set_timeout_with_callback_and_timeout_and_arguments_0(
                    f.as_ref().unchecked_ref(),
                    ms(d),
                )
                .ok();
        }
    }

    /// The send timer ran: its handle is void (clearing it later could hit a reused id).
    pub fn send_fired(&mut self) {
        self.send = None;
    }

    pub fn clear(&mut self, win: &Window) {
        self.stop_heartbeat(win);
        if let Some(h) = self.send.take() {
            win.clear_timeout_with_handle(h);
        }
    }
}
