//! The key rate limiters count a client by: a keyed hash of its address, so that no limiter, log
//! line or metric holds a raw IP. The key is random per process and never stored; an IPv6 client
//! is counted by its /64, the block one subscriber gets, so rotating addresses within it gains
//! nothing.

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::ClientAddr;

/// A client as the rate limiters see it; its `Display` (hex) is what a log line may show.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey([u8; 16]);

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientKey({self})")
    }
}

pub struct LimitKeyer([u8; 32]);

impl Default for LimitKeyer {
    fn default() -> Self {
        LimitKeyer(rand::random())
    }
}

impl LimitKeyer {
    pub fn key(&self, client: &ClientAddr) -> ClientKey {
        let counted: Vec<u8> = match client.0 {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets()[..8].to_vec(),
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(&counted);
        let digest = mac.finalize().into_bytes();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        ClientKey(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> ClientAddr {
        ClientAddr(text.parse().unwrap())
    }

    #[test]
    fn keys_hide_the_address_and_group_an_ipv6_block() {
        let keyer = LimitKeyer::default();
        let key = keyer.key(&addr("203.0.113.7"));
        assert_eq!(key, keyer.key(&addr("203.0.113.7")));
        assert_ne!(key, keyer.key(&addr("203.0.113.8")));
        // Neither the address's text nor its octets in hex (cb007107): a random 32-digit hex
        // text holds "203" by chance about once in 140 draws, an 8-digit run almost never.
        let shown = format!("{key} {key:?}");
        assert!(!shown.contains("203.0.113.7") && !shown.contains("cb007107"));
        assert_eq!(
            keyer.key(&addr("2001:db8:1:2::1")),
            keyer.key(&addr("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            keyer.key(&addr("2001:db8:1:2::1")),
            keyer.key(&addr("2001:db8:1:3::1"))
        );
        assert_ne!(key, LimitKeyer::default().key(&addr("203.0.113.7")));
    }
}
