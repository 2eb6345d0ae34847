//! `POST /api/v1/events`: read, check, anonymize, hand to the writer, answer after the commit.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Duration;
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

use super::error::{refusals, Responses, RETRY_AFTER};
use super::{origin, ApiError, AppState};
use crate::domain::flush::Request as WriterRequest;
use crate::domain::{agent, event, filter, ingest, widths};
use crate::visitor::{scheme, ClientAddr};

pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every event of the batch is committed (copies of stored events count as stored).
#[derive(Debug, Serialize, ToSchema)]
pub struct Stored {
    pub stored: usize,
}

/// Nothing was stored, by choice: `gpc` or `dnt` (the browser's privacy signal), or the session
/// was filtered: `crawler` (its User-Agent) or `automation` (the page reported browser
/// automation; docs/reports.md, "Filtered traffic").
#[derive(Debug, Serialize, ToSchema)]
pub struct Dropped {
    pub dropped: &'static str,
}

/// One batch of one session's events; answered once they are committed.
#[utoipa::path(
    post,
    path = "/api/v1/events",
    tag = "ingest",
    request_body(
        description = "a batch of 1 to 100 events of one session, at most 64 KiB; text/plain is \
                       what navigator.sendBeacon sends (the same JSON, no CORS preflight)",
        content(
            (event::WireBatch = "application/json"),
            (String = "text/plain"),
        )
    ),
    responses(
        (status = 200, description = "every event of the batch is committed", body = Stored),
        (status = 202, description = "nothing stored: a privacy signal (`Sec-GPC: 1`, `DNT: 1`), \
                                      a known crawler or a browser reporting automation \
                                      (counted as filtered)", body = Dropped),
        IngestRefusals,
    )
)]
pub async fn ingest(
    State(app): State<AppState>,
    client: ClientAddr,
    peer: ConnectInfo<SocketAddr>,
    request: Request,
) -> Result<Response, ApiError> {
    // The request's own headers, not axum's `HeaderMap` extractor: that one clones them all.
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let scheme = scheme::request_scheme(Some(&peer), headers, &app.trusted_proxies);
    let limits = app.rate_limits.as_deref();
    // Counted before the body is read: a flood costs the least it can. The body is still read
    // and dropped (bounded) while the refusal is answered, so that the client reads its 403 or
    // 429 and may send its next request on the same keep-alive connection, where closing with
    // the body unread would reset the connection before the client read the answer.
    let early = origin::check(headers, scheme, &app.rules.allowed_origins)
        .and_then(|()| limits.map_or(Ok(()), |l| l.ingest_from(&client)));
    if let Err(refused) = early {
        super::body::linger(body);
        return Err(refused);
    }
    let bytes = read_body(headers, body, app.rules.body_timeout).await?;
    if let Some(signal) = opt_out_signal(headers).filter(|_| app.rules.honor_privacy_signals) {
        return Ok(dropped(signal));
    }
    let batch = event::parse(&bytes)?;
    limits.map_or(Ok(()), |l| l.ingest_for(&batch.site))?;
    if !app.rules.sites.is_empty() && !app.rules.sites.contains(&batch.site) {
        return Err(ApiError::OutOfRange {
            field: "site".into(),
            reason: "unknown site".into(),
        });
    }
    let now = app.clock.now();
    app.new_sites.check(&batch.site, now)?;
    let client = match batch.source {
        // A server reports for a browser's session: its address and User-Agent are not the
        // visitor's, so they are neither hashed nor stored (docs/api.md, server batches). Nor is
        // it automation: a server's batches are never filtered.
        event::Source::Server => None,
        event::Source::Browser => {
            let user_agent = user_agent_of(headers);
            let agent = agent::reduce_cached(user_agent);
            let filter = app.rules.filter_automation;
            if let Some(reason) = filter::reason(agent.is_crawler, &batch, filter) {
                return filtered(&app, &batch, reason, now).await;
            }
            Some(browser_client(&app, client, user_agent, agent, &batch, now).await?)
        }
    };
    let events = batch.events.len();
    let rows = ingest::rows_of(batch, client, now);
    let (programs, features) = (rows.programs.len(), rows.features.len());
    app.writer
        .store(rows)
        .await
        .map_err(|e| ApiError::from_not_stored(e, app.rules.retry_after_secs))?;
    crate::metrics::accepted(programs, features);
    Ok(stored(events))
}

/// Headers an ingest answer carries once the layers have added theirs: its content type, the
/// four security headers, `Vary` and `Access-Control-Expose-Headers` (and room for CORS's
/// `Access-Control-Allow-Origin`).
const ANSWER_HEADERS: usize = 8;

/// The 200 of a stored batch (what `Json` answers), its header map allocated once at the size
/// the layers fill: `Json`'s starts small and is allocated anew when the security and CORS
/// headers join it, 2 of a heartbeat's heap allocations (scripts/count-per-request.sh).
fn stored(events: usize) -> Response {
    // Serializing a struct of one number cannot fail.
    let body = serde_json::to_vec(&Stored { stored: events }).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.reserve(ANSWER_HEADERS);
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

fn user_agent_of(headers: &HeaderMap) -> &str {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Answers a filtered session's batch 202 `{"dropped": reason}`, storing nothing of it; the batch
/// that opens the session is counted per day, site and reason first, in the writer's group
/// commit (so the answer waits for it, and a 503 makes the client send it again).
async fn filtered(
    app: &AppState,
    batch: &event::Batch,
    reason: filter::Reason,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Response, ApiError> {
    // Counted on the day of the site's zone, where its figures show it.
    let zone = app.retention.zones().of(Some(batch.site.as_str()));
    if let Some(session) = filter::FilteredSession::opened_by(batch, reason, now, zone) {
        app.writer
            .store(WriterRequest::Filtered(session))
            .await
            .map_err(|e| ApiError::from_not_stored(e, app.rules.retry_after_secs))?;
    }
    Ok(dropped(reason.as_str()))
}

/// The anonymized visitor and reduced User-Agent of a browser's batch.
async fn browser_client(
    app: &AppState,
    client: ClientAddr,
    user_agent: &str,
    agent: agent::Agent,
    batch: &event::Batch,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ingest::BrowserClient, ApiError> {
    let session_start = now - Duration::milliseconds(batch.sent_ms as i64);
    let visitor = app
        .visitors
        .identify(client, user_agent, &batch.site, session_start, now)
        .await
        .map_err(|e| ApiError::unavailable(e, app.rules.retry_after_secs))?;
    let full_user_agent = app
        .rules
        .store_full_user_agent
        .then(|| widths::fit(user_agent, widths::USER_AGENT_CHARS));
    Ok(ingest::BrowserClient {
        visitor,
        agent,
        full_user_agent,
    })
}

/// `text/plain` (what sendBeacon sends, no CORS preflight) or `application/json`, at most 64 KiB.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    deadline: std::time::Duration,
) -> Result<axum::body::Bytes, ApiError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim());
    let accepted = essence.is_some_and(|e| {
        e.eq_ignore_ascii_case("text/plain") || e.eq_ignore_ascii_case("application/json")
    });
    if !accepted {
        super::body::linger(body);
        return Err(ApiError::UnsupportedMediaType);
    }
    super::body::read_within(headers, body, MAX_BODY_BYTES, deadline).await
}

/// Global Privacy Control or Do Not Track, as sent by the browser.
fn opt_out_signal(headers: &HeaderMap) -> Option<&'static str> {
    let on = |name: &str| {
        headers
            .get(name)
            .is_some_and(|v| v.as_bytes().trim_ascii() == b"1")
    };
    if on("sec-gpc") {
        Some("gpc")
    } else if on("dnt") {
        Some("dnt")
    } else {
        None
    }
}

fn dropped(reason: &'static str) -> Response {
    crate::metrics::rejected(reason);
    (StatusCode::ACCEPTED, Json(Dropped { dropped: reason })).into_response()
}

/// The refusals of `POST /api/v1/events` (docs/api.md, "Answers").
pub struct IngestRefusals;

impl IntoResponses for IngestRefusals {
    fn responses() -> Responses {
        refusals(&[
            (
                "400",
                "the body is not JSON of the batch's shape; `field` says where",
                &[],
            ),
            (
                "403",
                "an `Origin` that is neither allowed nor the aggregator's own",
                &[],
            ),
            (
                "408",
                "the body did not arrive within `limits.body_timeout_secs`",
                &[],
            ),
            ("413", "a body over 64 KiB", &[]),
            (
                "415",
                "a content type other than text/plain or application/json",
                &[],
            ),
            (
                "422",
                "well-formed but out of range (`field` names it), or a value the database \
                 refused (`field` is `database`): never accepted, do not retry",
                &[],
            ),
            (
                "429",
                "over a per-client or per-site rate limit; nothing stored",
                &[RETRY_AFTER],
            ),
            (
                "503",
                "the write queue is full or the database is unavailable; nothing acknowledged, \
                 retry the batch unchanged",
                &[RETRY_AFTER],
            ),
        ])
    }
}
