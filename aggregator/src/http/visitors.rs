//! The edge of the visitor rules: the extractor that reads the client address from the socket
//! and trusted proxies' `X-Forwarded-For`, and the lookup of the day's salt (database I/O) that
//! the pure [`crate::visitor::anonymize`] needs.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::{request::Parts, StatusCode};
use chrono::{DateTime, Utc};

use crate::domain::ingest::StoredVisitor;
use crate::domain::site_zones::Zones;
use crate::store::{Store, StoreError};
use crate::visitor::{self, salts, ClientAddr, IpMode, SaltBook, TrustedProxies};

impl<S> FromRequestParts<S> for ClientAddr
where
    TrustedProxies: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or((StatusCode::INTERNAL_SERVER_ERROR, "no peer address"))?;
        Ok(ClientAddr::resolve(
            peer.ip(),
            &parts.headers,
            &TrustedProxies::from_ref(state),
        ))
    }
}

/// Anonymizes senders with the configured mode and the daily salts of the report zone's days.
pub struct Visitors {
    pub mode: IpMode,
    pub salts: Arc<SaltBook<Store>>,
    /// A session is hashed with the salt of its day in its site's zone (`Zones::of`), the day
    /// its site's figures count it on.
    pub zones: Zones,
}

impl Visitors {
    /// The stored form of the sender of a session that started at `session_start`.
    pub async fn identify(
        &self,
        addr: ClientAddr,
        user_agent: &str,
        site: &str,
        session_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<StoredVisitor, StoreError> {
        if self.mode == IpMode::Drop {
            return Ok(StoredVisitor {
                visitor_hash: None,
                ip_address: None,
            });
        }
        let salt = self
            .salts
            .salt_for(salts::salt_day(
                self.zones.of(Some(site)),
                session_start,
                now,
            ))
            .await?;
        Ok(visitor::anonymize(addr, self.mode, &salt, user_agent, site))
    }
}
