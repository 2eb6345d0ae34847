//! A day's journeys on SQLite: the day's runs and feature uses stepped through in session order
//! into the pure fold, whose rows the rollup writes beside the day's others.

use std::collections::BTreeMap;

use rusqlite::types::Value;
use rusqlite::Connection;

use super::time::parse_time;
use crate::domain::report::journey::fold::{Event, JourneyDay, SiteJourney};
use crate::domain::report::journey::steps::Funnel;
use crate::store::sql::journey as journey_sql;
use crate::store::StoreError;

/// The journeys of the day `[start, end)` (the day's session bounds, as stored text) per site
/// key; `sessions` are the day's sessions per stored site id.
pub fn read_journeys(
    conn: &Connection,
    (start, end): (String, String),
    funnel: &Funnel,
    sessions: Vec<(String, u64)>,
) -> Result<BTreeMap<String, SiteJourney>, StoreError> {
    let (sql, names) = journey_sql::day_events(funnel, "");
    let mut params = vec![Value::Text(start.clone()), Value::Text(end.clone())];
    if let Some(names) = names {
        params.extend([Value::Text(start), Value::Text(end)]);
        params.extend(names.into_iter().map(Value::Text));
    }
    let mut fold = JourneyDay::new(funnel.clone());
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query(rusqlite::params_from_iter(params))?;
    while let Some(r) = rows.next()? {
        let session: String = r.get(0)?;
        let site: String = r.get(1)?;
        let started = parse_time(&r.get::<_, String>(2)?)?;
        let at = parse_time(&r.get::<_, String>(3)?)?;
        let event = match (r.get::<_, i64>(4)?, r.get::<_, Option<String>>(6)?) {
            (1, Some(name)) => Event::Feature { at, name },
            _ => Event::Run {
                at,
                success: r.get::<_, Option<i64>>(5)?.map(|s| s != 0),
            },
        };
        fold.add(&session, &site, started, event);
    }
    Ok(fold.finish(sessions))
}
