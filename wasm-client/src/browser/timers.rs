//! The tracker's two timers: the heartbeat interval (runs only while the page is visible) and the
//! one-shot send timer (re-armed after every change for the next due send). Both call the shared
//! callback with their code (`io::EV_HEARTBEAT`, `io::EV_SEND`).

use super::io::{self, Callback, EV_HEARTBEAT, EV_SEND};

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
    pub fn start_heartbeat(&mut self, cb: &Callback, every_ms: u64) {
        if self.heartbeat.is_none() {
            self.heartbeat = io::timer(cb, EV_HEARTBEAT, ms(every_ms), true);
        }
    }

    pub fn stop_heartbeat(&mut self) {
        if let Some(h) = self.heartbeat.take() {
            io::clear_timer(h);
        }
    }

    /// Replaces any pending send timer; `None` just cancels it.
    pub fn arm_send(&mut self, cb: &Callback, in_ms: Option<u64>) {
        if let Some(h) = self.send.take() {
            io::clear_timer(h);
        }
        if let Some(d) = in_ms {
            self.send = io::timer(cb, EV_SEND, ms(d), false);
        }
    }

    /// The send timer ran: its handle is void (clearing it later could hit a reused id).
    pub fn send_fired(&mut self) {
        self.send = None;
    }

    pub fn clear(&mut self) {
        self.stop_heartbeat();
        if let Some(h) = self.send.take() {
            io::clear_timer(h);
        }
    }
}
