//! Where the tracker's state survives the page: the tab's session in sessionStorage (so a reload
//! continues it) and the unsent events in localStorage (so the next page load sends them).
//! Nothing else is stored, and nothing that identifies a person; no unsent event is kept past
//! its max age (`maxQueueAge`, at most 7 days), of this site or another of the origin.

use super::env::Store;
use crate::core::json::is_hex_id;
use crate::core::queue::Queue;
use crate::core::tracker::{Entropy, Tracker};
use alloc::string::String;

/// localStorage: `usage-q:{site}:{session id}` holds the unsent events of the tab that owns
/// that session. sessionStorage: `usage-s:{site}` holds the tab's session state.
const QUEUE_PREFIX: &str = "usage-q:";
const SESSION_PREFIX: &str = "usage-s:";

pub struct Persistence {
    local: Store,
    session: Store,
    queue_prefix: String,
    session_key: String,
    /// Session id under which the queue was last written.
    stored_owner: String,
}

impl Persistence {
    pub fn new(site: &str) -> Self {
        let mut queue_prefix = String::from(QUEUE_PREFIX);
        queue_prefix.push_str(site);
        queue_prefix.push(':');
        let mut session_key = String::from(SESSION_PREFIX);
        session_key.push_str(site);
        Persistence {
            local: Store::LOCAL,
            session: Store::SESSION,
            queue_prefix,
            session_key,
            stored_owner: String::new(),
        }
    }

    /// At start: takes over every stored queue of this site (this tab's before a reload, or a
    /// closed tab's) and returns the tab's stored session state. Another live tab may lose its
    /// copy; it rewrites it on its next change, and a duplicate delivery is harmless since the
    /// aggregator ignores repeated event ids.
    pub fn load<E: Entropy>(&mut self, tracker: &mut Tracker<E>, now: u64) -> Option<String> {
        for key in self.local.keys(&self.queue_prefix) {
            let id = key.get(self.queue_prefix.len()..);
            if id.is_some_and(is_hex_id) {
                if let Some(text) = self.local.get(&key) {
                    tracker.load_queue(&text, now);
                }
                self.local.remove(&key);
            }
        }
        self.drop_stale_queues(now);
        self.session.get(&self.session_key)
    }

    /// Removes the queues of other site ids of this origin that hold nothing the API would
    /// still take (their pages may never load again to do it): no unsent event outlives
    /// [`crate::core::queue::MAX_SESSION_AGE_MS`] in this browser, whichever site left it.
    fn drop_stale_queues(&self, now: u64) {
        for key in self.local.keys(QUEUE_PREFIX) {
            let stale = match self.local.get(&key) {
                Some(text) => Queue::new(usize::MAX, usize::MAX).load(&text, now) == 0,
                None => false,
            };
            if stale {
                self.local.remove(&key);
            }
        }
    }

    /// Removes everything the tracker stored for this site: every queue and the tab's session.
    pub fn forget(&mut self) {
        for key in self.local.keys(&self.queue_prefix) {
            self.local.remove(&key);
        }
        self.session.remove(&self.session_key);
        self.stored_owner.clear();
    }

    /// Writes what changed since the last call. False if localStorage refused the queue
    /// (usually full: the events then live in memory only).
    pub fn save<E: Entropy>(&mut self, tracker: &mut Tracker<E>) -> bool {
        let (session_dirty, queue_dirty) = tracker.take_dirty();
        if session_dirty {
            match tracker.session_state() {
                Some(s) => {
                    self.session.set(&self.session_key, &s);
                }
                None => self.session.remove(&self.session_key),
            }
        }
        if !queue_dirty {
            return true;
        }
        let owner = tracker.owner();
        if !self.stored_owner.is_empty() && self.stored_owner != owner {
            self.local
                .remove(&(self.queue_prefix.clone() + &self.stored_owner));
        }
        self.stored_owner = String::from(owner);
        let key = self.queue_prefix.clone() + owner;
        if tracker.queue.is_empty() {
            self.local.remove(&key);
            true
        } else {
            self.local.set(&key, &tracker.queue.serialize())
        }
    }
}
