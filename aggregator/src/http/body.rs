//! Reading a request body within its limits: a `Content-Length` over the limit is answered 413
//! before any of the body is read, and a body that does not arrive within the deadline 408. A
//! body refused unread (413, or a 403, 415 or 429 decided from the headers) lingers: see
//! [`linger`].

use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::http::{header, HeaderMap};
use http_body_util::BodyExt;

use super::ApiError;

/// After a 413, what the client still sends is read and dropped, up to this much and this long,
/// so that closing does not reset the connection before the client has read the answer (the
/// lingering close of nginx). Beyond it the connection is closed as it is.
const LINGER_BYTES: usize = 1 << 20;
const LINGER_TIME: Duration = Duration::from_secs(5);

pub async fn read_within(
    headers: &HeaderMap,
    body: Body,
    max: usize,
    deadline: Duration,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        // A client that waits for `100 Continue` never gets it and sends nothing more.
        let waits = headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if !waits {
            linger(body);
        }
        return Err(ApiError::TooLarge(max));
    }
    match tokio::time::timeout(deadline, to_bytes(body, max)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(ApiError::TooLarge(max)),
        Err(_) => Err(ApiError::BodyTimeout(deadline.as_secs())),
    }
}

/// Reads and drops what the client still sends of `body`, within the bounds above, so that the
/// answer given before the body is read can be read by the client (and a keep-alive connection
/// goes on with the next request once the body is through).
pub fn linger(mut body: Body) {
    tokio::spawn(async move {
        let mut read = 0;
        let _ = tokio::time::timeout(LINGER_TIME, async {
            while let Some(Ok(frame)) = body.frame().await {
                read += frame.data_ref().map_or(0, |d| d.len());
                if read > LINGER_BYTES {
                    break;
                }
            }
        })
        .await;
    });
}
