//! The live figures' reads (`report::live`), written once for both stores: open sessions and
//! recent program runs per site, from the raw rows at recent times (indexed reads), bounded.

use chrono::NaiveDateTime;

use super::reads::{Cells, Kind, Param};
use super::{sql, Store, StoreError};
use crate::domain::report::model::LiveSite;
use crate::domain::report::site::Site;
use crate::domain::report::top;
use crate::domain::session::minute_of;

impl Store {
    /// Per site: open sessions seen from `seen_since` to `now`, program runs and failed runs from
    /// `runs_5m` and from `runs_30m` to `now` (raw rows, recent times: indexed reads). Rows stamped
    /// after `now` (another replica's clock ahead of this one's) are not counted. Bounded: the
    /// sites with the most sessions and those with the most runs, at most
    /// [`top::LIVE_SITES`] × [`top::READ_MARGIN`] of each ([`Store::live_totals`] has the totals).
    pub async fn live_sites(
        &self,
        seen_since: NaiveDateTime,
        runs_5m: NaiveDateTime,
        runs_30m: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<Vec<LiveSite>, StoreError> {
        self.live_sites_of([seen_since, runs_5m, runs_30m, now], None)
            .await
    }

    /// As [`Store::live_sites`] (the same four times), of one site or all.
    pub async fn live_sites_of(
        &self,
        times: [NaiveDateTime; 4],
        site: Option<&Site>,
    ) -> Result<Vec<LiveSite>, StoreError> {
        let limit = top::LIVE_SITES * top::READ_MARGIN;
        let (sessions, runs) = self.live_reads(times, Some((limit, site))).await?;
        Ok(LiveSite::merge(sessions, runs))
    }

    /// As [`Store::live_sites`], every site together (site '').
    pub async fn live_totals(
        &self,
        seen_since: NaiveDateTime,
        runs_5m: NaiveDateTime,
        runs_30m: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<LiveSite, StoreError> {
        let (sessions, runs) = self
            .live_reads([seen_since, runs_5m, runs_30m, now], None)
            .await?;
        let sessions = sessions.into_iter().map(|(_, n)| n).sum();
        let runs = runs.into_iter().next().unwrap_or(LiveSite {
            site: String::new(),
            sessions: 0,
            runs_5m: 0,
            errors_5m: 0,
            runs_30m: 0,
            errors_30m: 0,
        });
        Ok(LiveSite { sessions, ..runs })
    }

    /// The live reads' two statements (sessions, runs) with their parameters: per site, the
    /// `limit` largest, or (`None`) every site together under the site id ''.
    async fn live_reads(
        &self,
        [seen_since, runs_5m, runs_30m, now]: [NaiveDateTime; 4],
        per_site: Option<(usize, Option<&Site>)>,
    ) -> Result<(Vec<(String, u64)>, Vec<LiveSite>), StoreError> {
        use Kind::{Text, U64};
        let seen = vec![
            Param::Int(minute_of(seen_since.and_utc())),
            Param::Time(seen_since),
            Param::Time(now),
        ];
        let (sessions, runs_sql) = match per_site {
            None => {
                let n = self.one_number(sql::live_sessions_total(), seen).await?;
                (vec![(String::new(), n)], sql::live_runs_total())
            }
            Some((limit, site)) => {
                let each = |r: &mut Cells| Ok((r.text()?, r.u64()?));
                let sessions = self
                    .read(sql::live_sessions(limit, site), seen, &[Text, U64], each)
                    .await?;
                (sessions, sql::live_runs(limit, site))
            }
        };
        let cutoffs = [runs_5m, runs_5m, runs_30m, now].map(Param::Time).to_vec();
        let runs = self
            .read(runs_sql, cutoffs, &[Text, U64, U64, U64, U64], |r| {
                Ok(LiveSite {
                    site: r.text()?,
                    sessions: 0,
                    runs_5m: r.u64()?,
                    errors_5m: r.u64()?,
                    runs_30m: r.u64()?,
                    errors_30m: r.u64()?,
                })
            })
            .await?;
        Ok((sessions, runs))
    }
}
