//! A day's journeys on MySQL: the day's runs and feature uses streamed (never held as a list) in
//! session order into the pure fold, whose rows the rollup writes beside the day's others.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use mysql_async::prelude::Queryable;
use mysql_async::{from_row_opt, Value};

use crate::domain::report::journey::fold::{Event, JourneyDay, SiteJourney};
use crate::domain::report::journey::steps::Funnel;
use crate::store::sql::journey as journey_sql;
use crate::store::sql::rollup::MYSQL_BY_START;
use crate::store::StoreError;

type EventColumns = (
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    i64,
    Option<i64>,
    Option<String>,
    u64,
);

/// The journeys of the day `[start, end)` (the day's session bounds) per site key; `sessions`
/// are the day's sessions per stored site id.
pub async fn read_journeys<Q: Queryable>(
    conn: &mut Q,
    (start, end): (NaiveDateTime, NaiveDateTime),
    funnel: &Funnel,
    sessions: Vec<(String, u64)>,
) -> Result<BTreeMap<String, SiteJourney>, StoreError> {
    let (sql, names) = journey_sql::day_events(funnel, MYSQL_BY_START);
    let mut params: Vec<Value> = vec![start.into(), end.into()];
    if let Some(names) = names {
        params.extend([start.into(), end.into()]);
        params.extend(names.into_iter().map(Value::from));
    }
    let mut fold = JourneyDay::new(funnel.clone());
    let mut malformed = None;
    let mut rows = conn.exec_iter(sql, params).await?;
    rows.for_each(|row| match from_row_opt::<EventColumns>(row) {
        Ok((session, site, started, at, kind, success, name, _)) => {
            let event = match (kind, name) {
                (1, Some(name)) => Event::Feature { at, name },
                _ => Event::Run {
                    at,
                    success: success.map(|s| s != 0),
                },
            };
            fold.add(&session, &site, started, event);
        }
        Err(error) => {
            malformed.get_or_insert(error);
        }
    })
    .await?;
    drop(rows);
    if let Some(error) = malformed {
        return Err(StoreError::Decode(format!(
            "a run or feature row of the day from {start} does not read back: {error}"
        )));
    }
    Ok(fold.finish(sessions))
}
