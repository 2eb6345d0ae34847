//! Turns one validated batch into the rows it contributes: the session's facts and identity, one
//! row per program run and per feature event.

use chrono::{DateTime, Duration, Utc};

use super::agent::Agent;
use super::event::{Batch, EventKind, Id128, ProgramRun};
use super::session::SessionFacts;

/// How a session is described in its row: fixed by the first batch that creates the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionIdentity {
    pub site: String,
    pub visitor_hash: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: String,
    pub browser: String,
    pub os: String,
    pub device: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUpdate {
    pub session_id: String,
    pub identity: SessionIdentity,
    pub facts: SessionFacts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramRow {
    pub event_id: Id128,
    pub session_id: String,
    pub seq: u32,
    pub timestamp: DateTime<Utc>,
    pub run: ProgramRun,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureRow {
    pub event_id: Id128,
    pub session_id: String,
    pub seq: u32,
    pub timestamp: DateTime<Utc>,
    pub name: String,
    pub data: Option<String>,
}

/// Everything one accepted request asks the store to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRows {
    pub session: SessionUpdate,
    pub programs: Vec<ProgramRow>,
    pub features: Vec<FeatureRow>,
}

impl BatchRows {
    pub fn event_count(&self) -> usize {
        self.programs.len() + self.features.len()
    }
}

/// The anonymized description of who sent a batch, as the visitor module produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVisitor {
    pub visitor_hash: Option<String>,
    pub ip_address: Option<String>,
}

pub fn rows_of(
    batch: Batch,
    visitor: StoredVisitor,
    agent: Agent,
    full_user_agent: Option<String>,
    received: DateTime<Utc>,
) -> BatchRows {
    let session_id = batch.session.to_hex();
    let facts = SessionFacts::from_batch(&batch, received);
    // An event happened (sent − t) before the batch left the client, by the client's own clock.
    let when = |t_ms: u64| {
        received - Duration::milliseconds((batch.sent_ms - t_ms.min(batch.sent_ms)) as i64)
    };
    let mut programs = Vec::new();
    let mut features = Vec::new();
    for event in batch.events {
        let (event_id, seq, timestamp) = (event.id, event.seq, when(event.t_ms));
        let session_id = session_id.clone();
        match event.kind {
            EventKind::ProgramRun(run) => programs.push(ProgramRow {
                event_id,
                session_id,
                seq,
                timestamp,
                run,
            }),
            EventKind::Feature { name, data } => features.push(FeatureRow {
                event_id,
                session_id,
                seq,
                timestamp,
                name,
                data,
            }),
            EventKind::Start | EventKind::Heartbeat { .. } | EventKind::End => {}
        }
    }
    let identity = SessionIdentity {
        site: batch.site,
        visitor_hash: visitor.visitor_hash,
        ip_address: visitor.ip_address,
        user_agent: full_user_agent.unwrap_or(agent.summary),
        browser: agent.browser,
        os: agent.os,
        device: agent.device.to_string(),
    };
    BatchRows {
        session: SessionUpdate {
            session_id,
            identity,
            facts,
        },
        programs,
        features,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{agent, event};
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn splits_a_batch_into_rows_timed_by_the_server_clock() {
        let body = json!({"site": "ide", "session": "8f14e45fceea167a5a36dedd4bea2543", "sent": 10000, "events": [
            {"id": "00000000000000000000000000000001", "seq": 0, "t": 0, "type": "start"},
            {"id": "00000000000000000000000000000002", "seq": 1, "t": 4000, "type": "program_run",
             "program_lines": 3, "execution_time_ms": 5, "lines_executed": 9, "success": true},
            {"id": "00000000000000000000000000000003", "seq": 2, "t": 7500, "type": "feature", "name": "save"}
        ]});
        let batch = event::parse(body.to_string().as_bytes()).unwrap();
        let received = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 10).unwrap();
        let visitor = StoredVisitor {
            visitor_hash: Some("ab".into()),
            ip_address: None,
        };
        let rows = rows_of(
            batch,
            visitor,
            agent::reduce("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
            None,
            received,
        );
        assert_eq!(rows.programs.len(), 1);
        assert_eq!(rows.features.len(), 1);
        assert_eq!(rows.event_count(), 2);
        assert_eq!(
            rows.programs[0].timestamp,
            Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 4).unwrap()
        );
        assert_eq!(
            rows.features[0].timestamp.timestamp_millis(),
            received.timestamp_millis() - 2500
        );
        assert_eq!(
            rows.session.identity.user_agent,
            "Firefox 128 / Linux / desktop"
        );
        assert_eq!(
            rows.session.facts.start_estimate,
            Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap()
        );
    }
}
