//! The only place a raw client IP exists. It is read from the socket (or from `X-Forwarded-For`
//! when the socket peer is a configured trusted proxy), held in an opaque [`ClientAddr`] that
//! cannot be printed, and turned into its stored form by [`anonymize`]: a keyed hash, a
//! truncated prefix, or nothing. Addresses the old deployment stored raw come back through
//! [`StoredIp`] and [`anonymize_stored`], by the same rules. Pure: nothing here reads a request
//! or a database (the extractor and the salt lookup live in `http::visitors`), and nothing here
//! imports `store`, so the stores may use [`StoredIp`] without a dependency circle.

pub mod limit_key;
pub mod salts;
pub mod scheme;

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use hmac::Mac;
use ipnet::IpNet;
use serde::Deserialize;

use crate::domain::ingest::StoredVisitor;
pub use salts::{Salt, SaltBook, SaltTable};

/// How the client IP is stored. There is deliberately no mode that keeps it raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum IpMode {
    /// A daily-salted HMAC of (IP, user agent, site): counts visitors, identifies nobody.
    #[default]
    Hash,
    /// IPv4 cut to /24 and IPv6 to /48, stored in `ip_address`.
    Truncate,
    /// Nothing about the IP is kept.
    Drop,
}

impl std::str::FromStr for IpMode {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "hash" => Ok(IpMode::Hash),
            "truncate" => Ok(IpMode::Truncate),
            "drop" => Ok(IpMode::Drop),
            other => Err(format!(
                "unknown ip mode {other:?}: use hash, truncate or drop"
            )),
        }
    }
}

/// Networks whose `X-Forwarded-For` we believe.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// The client's address. Deliberately neither `Debug`-printable nor `Display`.
pub struct ClientAddr(IpAddr);

impl std::fmt::Debug for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientAddr(<redacted>)")
    }
}

impl ClientAddr {
    /// The socket peer itself, before any request says more (the connection caps count it).
    pub fn of_peer(peer: IpAddr) -> Self {
        ClientAddr(peer.to_canonical())
    }

    /// Walks `X-Forwarded-For` from the right while the hop that told us is trusted; the first
    /// address added by an untrusted hop (or the socket peer itself) is the client.
    pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> Self {
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|hop| !hop.is_empty())
            .collect();
        let mut client = peer.to_canonical();
        for hop in forwarded.iter().rev() {
            if !trusted.trusts(client) {
                break;
            }
            match parse_hop(hop) {
                Some(ip) => client = ip.to_canonical(),
                None => break,
            }
        }
        ClientAddr(client)
    }
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The stored form of the client.
pub fn anonymize(
    addr: ClientAddr,
    mode: IpMode,
    salt: &Salt,
    user_agent: &str,
    site: &str,
) -> StoredVisitor {
    match mode {
        IpMode::Hash => StoredVisitor {
            visitor_hash: Some(visitor_hash(salt, &IpText::of(addr.0), user_agent, site)),
            ip_address: None,
        },
        IpMode::Truncate => {
            let prefix = truncate(addr.0).to_string();
            StoredVisitor {
                visitor_hash: Some(visitor_hash(salt, &prefix, user_agent, site)),
                ip_address: Some(prefix),
            }
        }
        IpMode::Drop => StoredVisitor {
            visitor_hash: None,
            ip_address: None,
        },
    }
}

/// A raw address read back from a row of the old deployment. Like [`ClientAddr`] it cannot be
/// printed; only [`anonymize_stored`] looks inside.
pub struct StoredIp(String);

impl StoredIp {
    pub fn new(stored: String) -> Self {
        StoredIp(stored)
    }
}

impl std::fmt::Debug for StoredIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredIp(<redacted>)")
    }
}

/// The stored form of an address the old deployment kept raw (`usage-aggregator
/// adopt`), by the same rules as live traffic. A value that is not an address
/// (an empty string, "unknown") is dropped: nothing about it is worth keeping.
pub fn anonymize_stored(
    stored: StoredIp,
    mode: IpMode,
    salt: &Salt,
    user_agent: &str,
    site: &str,
) -> StoredVisitor {
    match parse_hop(stored.0.trim()) {
        Some(ip) => anonymize(ClientAddr(ip.to_canonical()), mode, salt, user_agent, site),
        None => StoredVisitor {
            visitor_hash: None,
            ip_address: None,
        },
    }
}

fn truncate(ip: IpAddr) -> IpAddr {
    let prefix = if ip.is_ipv4() { 24 } else { 48 };
    IpNet::new(ip, prefix)
        .map(|net| net.network())
        .unwrap_or(ip)
}

/// An address's text on the stack: `to_string` cost every request two heap allocations (the
/// string grown twice; scripts/count-per-request.sh) for a text hashed and dropped at once.
struct IpText {
    bytes: [u8; 45],
    len: usize,
}

impl IpText {
    fn of(ip: IpAddr) -> IpText {
        use std::io::Write;
        // 45 bytes hold the longest address text (IPv6 with an embedded IPv4 address).
        let mut bytes = [0u8; 45];
        let mut cursor = std::io::Cursor::new(&mut bytes[..]);
        let _ = write!(cursor, "{ip}");
        let len = cursor.position() as usize;
        IpText { bytes, len }
    }
}

impl std::ops::Deref for IpText {
    type Target = str;
    fn deref(&self) -> &str {
        // Display of an address writes ASCII only.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// HMAC-SHA256 keyed by the day's salt over length-prefixed fields, so that no two different
/// (ip, agent, site) triples can be made to produce the same input. 128 bits, hex.
fn visitor_hash(salt: &Salt, ip: &str, user_agent: &str, site: &str) -> String {
    let mut mac = salt.mac();
    for field in [ip, user_agent, site] {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field.as_bytes());
    }
    hex::encode(&mac.finalize().into_bytes()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_text_on_the_stack_is_its_display() {
        for ip in [
            "1.2.3.4",
            "255.255.255.255",
            "::1",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "::ffff:255.255.255.255",
            "1234:5678:9abc:def0:1234:5678:255.255.255.255",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(&*IpText::of(ip), ip.to_string());
        }
    }

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in xff {
            map.append("x-forwarded-for", value.parse().unwrap());
        }
        map
    }

    fn trusted(nets: &[&str]) -> TrustedProxies {
        TrustedProxies(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn resolved(peer: &str, xff: &[&str], nets: &[&str]) -> IpAddr {
        ClientAddr::resolve(peer.parse().unwrap(), &headers(xff), &trusted(nets)).0
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            resolved("10.0.0.5", &["203.0.113.77"], &["10.0.0.0/8"]),
            ip("203.0.113.77")
        );
        assert_eq!(
            resolved("198.51.100.9", &["203.0.113.77"], &["10.0.0.0/8"]),
            ip("198.51.100.9"),
            "spoofed"
        );
        // A client-supplied first entry is ignored: only what the trusted hop appended counts.
        assert_eq!(
            resolved("10.0.0.5", &["1.2.3.4, 203.0.113.77"], &["10.0.0.0/8"]),
            ip("203.0.113.77")
        );
        assert_eq!(
            resolved(
                "10.0.0.5",
                &["1.2.3.4", "203.0.113.77, 10.0.0.9"],
                &["10.0.0.0/8"]
            ),
            ip("203.0.113.77")
        );
        assert_eq!(
            resolved("10.0.0.5", &["[2001:db8::1]:443"], &["10.0.0.0/8"]),
            ip("2001:db8::1")
        );
        assert_eq!(
            resolved("10.0.0.5", &["garbage"], &["10.0.0.0/8"]),
            ip("10.0.0.5")
        );
        assert_eq!(
            resolved("::ffff:10.0.0.5", &["203.0.113.77"], &["10.0.0.0/8"]),
            ip("203.0.113.77")
        );
    }

    const MODES: [IpMode; 3] = [IpMode::Hash, IpMode::Truncate, IpMode::Drop];

    /// What `mode` stores of a request from `ip` now (agent "ua", site "ide").
    fn live(ip: &str, mode: IpMode) -> StoredVisitor {
        let salt = Salt::from_bytes([9; 32]);
        anonymize(ClientAddr(ip.parse().unwrap()), mode, &salt, "ua", "ide")
    }

    /// What `mode` stores of an address the old deployment kept as `stored`.
    fn adopted(stored: &str, mode: IpMode) -> StoredVisitor {
        let salt = Salt::from_bytes([9; 32]);
        anonymize_stored(StoredIp::new(stored.into()), mode, &salt, "ua", "ide")
    }

    #[test]
    fn each_mode_hides_the_address() {
        let hashed = live("203.0.113.77", IpMode::Hash);
        assert_eq!(hashed.ip_address, None);
        assert_eq!(hashed.visitor_hash.as_ref().unwrap().len(), 32);
        let cut = live("203.0.113.77", IpMode::Truncate);
        assert_eq!(cut.ip_address.as_deref(), Some("203.0.113.0"));
        let v6 = live("2001:db8:abcd:12::1", IpMode::Truncate);
        assert_eq!(v6.ip_address.as_deref(), Some("2001:db8:abcd::"));
        assert_eq!(
            live("203.0.113.77", IpMode::Drop),
            StoredVisitor {
                visitor_hash: None,
                ip_address: None
            }
        );
        let addr = ClientAddr("203.0.113.77".parse().unwrap());
        assert_eq!(format!("{addr:?}"), "ClientAddr(<redacted>)");
    }

    #[test]
    fn stored_addresses_follow_the_live_rules() {
        // (as stored, as a request would bring it)
        let addresses = [
            (" 203.0.113.77", "203.0.113.77"),
            ("::ffff:198.51.100.23", "198.51.100.23"),
            ("2001:db8:abcd:12::1", "2001:db8:abcd:12::1"),
        ];
        for ((stored, request), mode) in addresses.iter().flat_map(|a| MODES.map(|m| (a, m))) {
            assert_eq!(
                adopted(stored, mode),
                live(request, mode),
                "{stored:?} in {mode:?}: the same visitor as if the request came in now"
            );
        }
        let mapped = adopted("::ffff:198.51.100.23", IpMode::Truncate);
        assert_eq!(mapped.ip_address.as_deref(), Some("198.51.100.0"));
        for mode in MODES {
            let garbage = adopted("unknown", mode);
            assert_eq!((garbage.visitor_hash, garbage.ip_address), (None, None));
        }
        assert_eq!(
            format!("{:?}", StoredIp::new("203.0.113.77".into())),
            "StoredIp(<redacted>)"
        );
    }

    /// The keyed state kept in [`Salt`] gives the hash that keying afresh gave, byte for byte:
    /// the stored hashes of a day stay comparable across this change and across replicas.
    #[test]
    fn the_kept_keyed_state_hashes_as_keying_afresh_did() {
        use hmac::Hmac;
        use sha2::Sha256;
        fn keyed_afresh(salt: &[u8; 32], fields: [&str; 3]) -> String {
            let mut mac = Hmac::<Sha256>::new_from_slice(salt).unwrap();
            for field in fields {
                mac.update(&(field.len() as u64).to_be_bytes());
                mac.update(field.as_bytes());
            }
            hex::encode(&mac.finalize().into_bytes()[..16])
        }
        let salt = Salt::from_bytes([1; 32]);
        let fields = ["203.0.113.77", "Mozilla/5.0 (X11; Linux x86_64)", "ide"];
        let kept = visitor_hash(&salt, fields[0], fields[1], fields[2]);
        assert_eq!(kept, keyed_afresh(&[1; 32], fields));
        // Pinned from an independent implementation (Python's hmac module).
        assert_eq!(kept, "52835f4987d920529f961fccaa9a4147");
        // The same salt used many times (cloned state) never carries one message into the next.
        for _ in 0..3 {
            assert_eq!(visitor_hash(&salt, fields[0], fields[1], fields[2]), kept);
            assert_ne!(visitor_hash(&salt, "198.51.100.1", "ua", ""), kept);
        }
        let long_agent = "A".repeat(300);
        assert_eq!(
            visitor_hash(&salt.clone(), "2001:db8::1", &long_agent, "site"),
            keyed_afresh(&[1; 32], ["2001:db8::1", &long_agent, "site"])
        );
    }

    #[test]
    fn the_hash_depends_on_salt_and_every_field_unambiguously() {
        let salt = Salt::from_bytes([1; 32]);
        let base = visitor_hash(&salt, "203.0.113.77", "ua", "ide");
        assert_eq!(base, visitor_hash(&salt, "203.0.113.77", "ua", "ide"));
        assert_ne!(
            base,
            visitor_hash(&Salt::from_bytes([2; 32]), "203.0.113.77", "ua", "ide")
        );
        assert_ne!(base, visitor_hash(&salt, "203.0.113.78", "ua", "ide"));
        assert_ne!(base, visitor_hash(&salt, "203.0.113.77", "ua2", "ide"));
        // Without length prefixes these two would hash the same bytes.
        assert_ne!(
            visitor_hash(&salt, "1.2.3.4", "ab", "c"),
            visitor_hash(&salt, "1.2.3.4", "a", "bc")
        );
    }
}
