//! One day's journeys: the day's runs and feature uses, streamed by the store ordered by session
//! then time (one read per day, `store::sql::journey`), folded one session at a time into per-site
//! counts, time distributions and funnel counts. Nothing about a session outlives its fold: the
//! stored figures carry no identifier beyond the session, and only counts.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::steps::{Funnel, Step};
use super::JourneyTotals;
use crate::domain::report::summary::day_events::site_key;

/// A run or a feature use of a session, as the day's read gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `success`: `None` where the old deployment recorded no outcome (neither a success nor a
    /// failure).
    Run {
        at: NaiveDateTime,
        success: Option<bool>,
    },
    Feature {
        at: NaiveDateTime,
        name: String,
    },
}

impl Event {
    fn at(&self) -> NaiveDateTime {
        match self {
            Event::Run { at, .. } | Event::Feature { at, .. } => *at,
        }
    }

    fn reaches(&self, step: &Step) -> bool {
        match (step, self) {
            (Step::Opened, _) => true,
            (Step::Run, Event::Run { .. }) => true,
            (Step::Success, Event::Run { success, .. }) => *success == Some(true),
            (Step::Failure, Event::Run { success, .. }) => *success == Some(false),
            (Step::AnyFeature, Event::Feature { .. }) => true,
            (Step::Feature(want), Event::Feature { name, .. }) => want == name,
            _ => false,
        }
    }
}

/// What one session did, from its events in time order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionJourney {
    /// Seconds from the session's start to its first run (0 if the run's time is earlier).
    pub first_run: Option<u64>,
    pub first_success: Option<u64>,
    /// Failed runs before the first success (all of them if none succeeded).
    pub failed_before_success: u64,
    pub failed: bool,
    /// A failed run, then a successful one.
    pub recovered: bool,
    /// Funnel steps reached in order.
    pub reached: usize,
}

impl SessionJourney {
    /// A session that has not done anything yet: it reached the steps an opening reaches.
    pub fn opened(funnel: &Funnel) -> SessionJourney {
        let mut journey = SessionJourney::default();
        journey.advance(funnel, None);
        journey
    }

    /// The next event of the session, which started at `start`. One event may reach several
    /// steps in a row (a successful run is a run and a success); taking each step at the first
    /// event that reaches it is what finds the ordered steps whenever they are there.
    pub fn add(&mut self, funnel: &Funnel, start: NaiveDateTime, event: &Event) {
        let since = (event.at() - start).num_seconds().max(0) as u64;
        if let Event::Run { success, .. } = event {
            self.first_run.get_or_insert(since);
            match success {
                Some(true) => {
                    self.recovered |= self.failed;
                    self.first_success.get_or_insert(since);
                }
                Some(false) => {
                    self.failed = true;
                    if self.first_success.is_none() {
                        self.failed_before_success += 1;
                    }
                }
                None => {}
            }
        }
        self.advance(funnel, Some(event));
    }

    fn advance(&mut self, funnel: &Funnel, event: Option<&Event>) {
        while let Some(step) = funnel.steps().get(self.reached) {
            let reached = match event {
                Some(event) => event.reaches(step),
                None => *step == Step::Opened,
            };
            if !reached {
                break;
            }
            self.reached += 1;
        }
    }
}

/// One site's journeys of the day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteJourney {
    pub totals: JourneyTotals,
    /// Sessions that reached each step (in order), one entry per step.
    pub funnel: Vec<u64>,
}

/// The day's journeys being folded, per site key ([`site_key`]).
#[derive(Debug)]
pub struct JourneyDay {
    funnel: Funnel,
    sites: BTreeMap<String, SiteJourney>,
    /// Sessions with events, per site key, counted as their fold ends.
    with_events: BTreeMap<String, u64>,
    /// The session being folded: its id, site key, start and journey so far.
    current: Option<(String, String, NaiveDateTime, SessionJourney)>,
}

impl JourneyDay {
    pub fn new(funnel: Funnel) -> JourneyDay {
        JourneyDay {
            funnel,
            sites: BTreeMap::new(),
            with_events: BTreeMap::new(),
            current: None,
        }
    }

    /// The next event of the read: of the session being folded, or the first of the next one
    /// (the read is ordered by session, then time).
    pub fn add(&mut self, session: &str, site: &str, start: NaiveDateTime, event: Event) {
        if self.current.as_ref().is_some_and(|c| c.0 != session) {
            self.end_session();
        }
        let funnel = &self.funnel;
        let (_, _, start, journey) = self.current.get_or_insert_with(|| {
            let journey = SessionJourney::opened(funnel);
            (session.to_string(), site_key(site), start, journey)
        });
        journey.add(funnel, *start, &event);
    }

    fn end_session(&mut self) {
        let Some((_, site, _, journey)) = self.current.take() else {
            return;
        };
        *self.with_events.entry(site.clone()).or_default() += 1;
        let day = self.site(&site);
        day.totals.add_session(&journey);
        for count in &mut day.funnel[..journey.reached] {
            *count += 1;
        }
    }

    fn site(&mut self, key: &str) -> &mut SiteJourney {
        let steps = self.funnel.steps().len();
        self.sites
            .entry(key.to_string())
            .or_insert_with(|| SiteJourney {
                funnel: vec![0; steps],
                ..SiteJourney::default()
            })
    }

    /// Every site's journeys; `sessions` gives the day's sessions per stored site id (from the
    /// day's session read), so that the sessions without any run or feature count too.
    pub fn finish(
        mut self,
        sessions: impl IntoIterator<Item = (String, u64)>,
    ) -> BTreeMap<String, SiteJourney> {
        self.end_session();
        let mut per_key = BTreeMap::<String, u64>::new();
        for (site, n) in sessions {
            *per_key.entry(site_key(&site)).or_default() += n;
        }
        let opened = SessionJourney::opened(&self.funnel).reached;
        for (key, n) in per_key {
            let quiet = n.saturating_sub(self.with_events.get(&key).copied().unwrap_or(0));
            let day = self.site(&key);
            day.totals.sessions += quiet;
            for count in &mut day.funnel[..opened] {
                *count += quiet;
            }
        }
        self.sites
    }
}

#[cfg(test)]
mod tests;
