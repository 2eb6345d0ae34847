//! One tab's session: its random id, start time, event sequence, the offsets `t`, and the
//! cumulative visible/active time that heartbeats carry; plus the text form kept in
//! sessionStorage so a reload continues the session.

use super::json::{fields, is_hex_id, parse_u64, push_u64};
use super::queue::MAX_SESSION_AGE_MS;
use alloc::string::String;

/// Accumulates visible time and active time (visible with input in the last `window` ms).
/// Every state change first accounts for the time since the previous one, so the counters are
/// exact no matter how rarely heartbeats run.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    pub visible_ms: u64,
    pub active_ms: u64,
    at: u64,
    visible: bool,
    active_until: u64,
    window: u64,
}

impl Clock {
    pub fn new(now: u64, visible: bool, window: u64) -> Self {
        Clock {
            visible_ms: 0,
            active_ms: 0,
            at: now,
            visible,
            active_until: 0,
            window,
        }
    }

    /// Accounts for the time since the last call. A clock stepping back adds nothing.
    pub fn advance(&mut self, now: u64) {
        if now <= self.at {
            return;
        }
        if self.visible {
            self.visible_ms += now - self.at;
            let end = now.min(self.active_until);
            if end > self.at {
                self.active_ms += end - self.at;
            }
        }
        self.at = now;
    }

    pub fn set_visible(&mut self, now: u64, visible: bool) {
        self.advance(now);
        self.visible = visible;
    }

    pub fn is_visible(&self) -> bool {
        self.visible
    }

    /// Keyboard, pointer or API activity: counts as active for the next `window` ms.
    pub fn input(&mut self, now: u64) {
        self.advance(now);
        self.active_until = now.saturating_add(self.window);
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: String,
    /// Epoch ms (Date.now) at which the session started; `t` counts from here.
    pub start: u64,
    pub seq: u32,
    pub last_t: u64,
    /// Epoch ms of the last sign of the user (input, API call, tab shown or hidden).
    pub last_seen: u64,
    pub clock: Clock,
}

impl Session {
    pub fn new(id: String, now: u64, visible: bool, window: u64) -> Self {
        Session {
            id,
            start: now,
            seq: 0,
            last_t: 0,
            last_seen: now,
            clock: Clock::new(now, visible, window),
        }
    }

    /// The offset for a new event: ms since start, never going backwards.
    pub fn offset(&mut self, now: u64) -> u64 {
        let t = now.saturating_sub(self.start).max(self.last_t);
        self.last_t = t;
        t
    }

    pub fn next_seq(&mut self) -> u32 {
        let s = self.seq;
        self.seq = self.seq.saturating_add(1);
        s
    }

    /// Heartbeat counters, clamped to the API's rule `active <= visible <= t`.
    pub fn counters(&mut self, now: u64, t: u64) -> (u64, u64) {
        self.clock.advance(now);
        let visible = self.clock.visible_ms.min(t);
        (visible, self.clock.active_ms.min(visible))
    }

    /// True once the user has been away longer than `idle_ms`, or the session is about to exceed
    /// the 7 days the API accepts: the next sign of life starts a new session.
    pub fn expired(&self, now: u64, idle_ms: u64) -> bool {
        now.saturating_sub(self.last_seen) > idle_ms
            || now.saturating_sub(self.start) > MAX_SESSION_AGE_MS - 3_600_000
    }

    /// `id start seq last_t last_seen visible_ms active_ms`, for sessionStorage.
    pub fn serialize(&self) -> String {
        let mut s = String::with_capacity(96);
        s.push_str(&self.id);
        for v in [
            self.start,
            u64::from(self.seq),
            self.last_t,
            self.last_seen,
            self.clock.visible_ms,
            self.clock.active_ms,
        ] {
            s.push(' ');
            push_u64(&mut s, v);
        }
        s
    }

    /// Continues a stored session after a reload, unless it is malformed or expired.
    pub fn restore(
        stored: &str,
        now: u64,
        idle_ms: u64,
        visible: bool,
        window: u64,
    ) -> Option<Self> {
        let mut f = fields(stored, b' ');
        let id = f.next().filter(|id| is_hex_id(id))?;
        let mut n = [0u64; 6];
        for v in n.iter_mut() {
            *v = parse_u64(f.next()?)?;
        }
        let [start, seq, last_t, last_seen, visible_ms, active_ms] = n;
        let mut clock = Clock::new(now, visible, window);
        clock.visible_ms = visible_ms;
        clock.active_ms = active_ms;
        let s = Session {
            id: String::from(id),
            start,
            seq: u32::try_from(seq).ok()?,
            last_t,
            last_seen,
            clock,
        };
        if f.next().is_some() || s.expired(now, idle_ms) {
            return None;
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "abcdefabcdefabcdefabcdefabcdef01";

    #[test]
    fn clock_counts_visible_and_recently_active_time() {
        let mut c = Clock::new(0, true, 30_000);
        c.input(10_000);
        c.advance(60_000);
        assert_eq!((c.visible_ms, c.active_ms), (60_000, 30_000));
        // Input inside the window extends it without double counting.
        c.input(70_000);
        c.input(80_000);
        c.advance(200_000);
        assert_eq!((c.visible_ms, c.active_ms), (200_000, 70_000));
    }

    #[test]
    fn clock_pauses_while_hidden() {
        let mut c = Clock::new(0, true, 30_000);
        c.input(0);
        c.set_visible(10_000, false);
        c.advance(500_000);
        assert_eq!((c.visible_ms, c.active_ms), (10_000, 10_000));
        c.set_visible(600_000, true);
        assert!(c.is_visible());
        c.advance(605_000);
        // The old window expired while hidden: visible but not active.
        assert_eq!((c.visible_ms, c.active_ms), (15_000, 10_000));
        // A clock stepping back changes nothing.
        c.advance(1_000);
        assert_eq!(c.visible_ms, 15_000);
    }

    #[test]
    fn offsets_are_monotonic_and_counters_clamped() {
        let mut s = Session::new(ID.into(), 1_000_000, true, 30_000);
        assert_eq!(s.offset(1_005_000), 5_000);
        assert_eq!(s.offset(1_002_000), 5_000);
        assert_eq!((s.next_seq(), s.next_seq()), (0, 1));
        s.clock.input(1_000_000);
        // Timer slack can make visible time run ahead of t: clamp both.
        let (v, a) = s.counters(1_020_000, 19_000);
        assert_eq!((v, a), (19_000, 19_000));
    }

    #[test]
    fn round_trips_through_session_storage() {
        let mut s = Session::new(ID.into(), 1_000_000, true, 30_000);
        s.offset(1_050_000);
        s.next_seq();
        s.clock.input(1_000_000);
        s.clock.advance(1_050_000);
        s.last_seen = 1_040_000;
        let text = s.serialize();
        assert_eq!(
            text,
            "abcdefabcdefabcdefabcdefabcdef01 1000000 1 50000 1040000 50000 30000"
        );
        let r = Session::restore(&text, 1_060_000, 1_800_000, true, 30_000).expect("restored");
        assert_eq!(
            (r.id.as_str(), r.start, r.seq, r.last_t),
            (ID, 1_000_000, 1, 50_000)
        );
        assert_eq!((r.clock.visible_ms, r.clock.active_ms), (50_000, 30_000));
    }

    #[test]
    fn restore_refuses_idle_stale_or_broken_state() {
        let s = Session::new(ID.into(), 1_000_000, true, 30_000).serialize();
        assert!(Session::restore(&s, 1_000_000 + 1_800_000, 1_800_000, true, 1).is_some());
        assert!(Session::restore(&s, 1_000_001 + 1_800_000, 1_800_000, true, 1).is_none());
        assert!(Session::restore("nothex 1 2 3 4 5 6", 1_000_000, 1_800_000, true, 1).is_none());
        assert!(Session::restore(&(s.clone() + " 9"), 1_000_000, 1_800_000, true, 1).is_none());
        let short = "abcdefabcdefabcdefabcdefabcdef01 1 2";
        assert!(Session::restore(short, 1_000_000, 1_800_000, true, 1).is_none());
        let mut old = Session::new(ID.into(), 0, true, 1);
        old.last_seen = MAX_SESSION_AGE_MS;
        assert!(old.expired(MAX_SESSION_AGE_MS, 1_800_000));
    }
}
