//! Open connections per client: at most `limits.max_connections_per_client` from one address,
//! counted by its keyed hash as the rate limits count it (never the address itself), so that one
//! client cannot hold the whole connection cap and lock everyone else out. A trusted proxy's
//! connections are not counted per client: each carries requests of many clients, whose
//! addresses only the requests' `X-Forwarded-For` tells (the proxy limits them, e.g. nginx's
//! `limit_conn`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::visitor::limit_key::{ClientKey, LimitKeyer};
use crate::visitor::{ClientAddr, TrustedProxies};

pub struct ClientConns {
    keyer: LimitKeyer,
    max: usize,
    trusted: TrustedProxies,
    /// Open connections by client; a client leaves the map with its last connection, so it
    /// holds at most one entry per open connection.
    open: Mutex<HashMap<ClientKey, usize>>,
}

/// The client already holds `max_connections_per_client` connections.
#[derive(Debug, PartialEq, Eq)]
pub struct TooMany;

/// One open connection of a counted client; dropping it (the connection closed) frees it.
pub struct ClientSlot {
    conns: Arc<ClientConns>,
    key: ClientKey,
}

impl ClientConns {
    pub fn new(max: usize, trusted: TrustedProxies) -> Arc<ClientConns> {
        Arc::new(ClientConns {
            keyer: LimitKeyer::default(),
            max,
            trusted,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// Counts a new connection from the socket peer `peer`: its slot, None for a trusted proxy
    /// (not counted), or [`TooMany`].
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Option<ClientSlot>, TooMany> {
        if self.trusted.trusts(peer.to_canonical()) {
            return Ok(None);
        }
        let key = self.keyer.key(&ClientAddr::of_peer(peer));
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(key).or_insert(0);
        if *count >= self.max {
            return Err(TooMany);
        }
        *count += 1;
        Ok(Some(ClientSlot {
            conns: self.clone(),
            key,
        }))
    }

    /// Clients holding a connection now.
    #[cfg(test)]
    fn clients(&self) -> usize {
        self.open.lock().map_or(0, |open| open.len())
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.conns.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn one_client_holds_at_most_its_share_and_frees_it_on_close() {
        let conns = ClientConns::new(2, TrustedProxies::default());
        let first = conns.admit(ip("203.0.113.7")).unwrap();
        let second = conns.admit(ip("203.0.113.7")).unwrap();
        assert_eq!(conns.admit(ip("203.0.113.7")).err(), Some(TooMany));
        // The same client written as an IPv4-mapped IPv6 address is the same client.
        assert_eq!(conns.admit(ip("::ffff:203.0.113.7")).err(), Some(TooMany));
        let other = conns.admit(ip("198.51.100.1")).unwrap();
        assert!(other.is_some(), "another client is not held back");
        drop(first);
        let again = conns.admit(ip("203.0.113.7")).unwrap();
        assert!(again.is_some(), "a closed connection frees its place");
        drop((second, again, other));
        assert_eq!(conns.clients(), 0, "nothing is kept of closed connections");
    }

    #[test]
    fn a_trusted_proxy_is_not_counted_per_client() {
        let trusted = TrustedProxies(vec!["10.0.0.0/8".parse().unwrap()]);
        let conns = ClientConns::new(1, trusted);
        let held: Vec<_> = (0..5)
            .map(|_| conns.admit(ip("10.1.2.3")).unwrap())
            .collect();
        assert!(held.iter().all(Option::is_none));
        assert_eq!(conns.clients(), 0);
        let _one = conns.admit(ip("203.0.113.7")).unwrap();
        assert_eq!(conns.admit(ip("203.0.113.7")).err(), Some(TooMany));
    }
}
