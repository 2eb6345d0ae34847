use chrono::{NaiveDate, NaiveDateTime};

use super::*;

fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 27)
        .unwrap()
        .and_hms_opt(h, m, s)
        .unwrap()
}

fn run(t: NaiveDateTime, success: Option<bool>) -> Event {
    Event::Run { at: t, success }
}

fn feature(t: NaiveDateTime, name: &str) -> Event {
    Event::Feature {
        at: t,
        name: name.into(),
    }
}

fn journey(funnel: &Funnel, events: &[Event]) -> SessionJourney {
    let mut j = SessionJourney::opened(funnel);
    for e in events {
        j.add(funnel, at(10, 0, 0), e);
    }
    j
}

#[test]
fn first_run_first_success_and_failures_before_it() {
    let funnel = Funnel::default();
    let j = journey(
        &funnel,
        &[
            run(at(10, 0, 5), Some(false)),
            run(at(10, 0, 30), None),
            run(at(10, 1, 0), Some(false)),
            run(at(10, 2, 0), Some(true)),
            run(at(10, 3, 0), Some(false)),
        ],
    );
    assert_eq!(j.first_run, Some(5));
    assert_eq!(j.first_success, Some(120));
    assert_eq!(
        j.failed_before_success, 2,
        "the unknown outcome is no failure"
    );
    assert!(j.failed && j.recovered);
    assert_eq!(j.reached, 3, "opened, run, success; no feature");
}

#[test]
fn a_success_before_the_only_failure_is_no_recovery() {
    let funnel = Funnel::default();
    let j = journey(
        &funnel,
        &[
            run(at(10, 0, 1), Some(true)),
            run(at(10, 0, 2), Some(false)),
        ],
    );
    assert!(j.failed && !j.recovered);
    assert_eq!(j.failed_before_success, 0);
    let never = journey(&funnel, &[run(at(9, 59, 0), Some(false))]);
    assert_eq!(
        never.first_run,
        Some(0),
        "a run stamped before the start counts as 0 s"
    );
    assert_eq!(
        (never.first_success, never.failed_before_success),
        (None, 1)
    );
}

#[test]
fn funnel_steps_count_only_in_order() {
    let funnel = Funnel::parse(&["opened", "run", "feature:debugger", "feature:save"]).unwrap();
    // The save before the debugger does not count; the one after does.
    let in_order = journey(
        &funnel,
        &[
            feature(at(10, 0, 1), "save"),
            run(at(10, 0, 2), Some(false)),
            feature(at(10, 0, 3), "debugger"),
            feature(at(10, 0, 4), "save"),
        ],
    );
    assert_eq!(in_order.reached, 4);
    let out_of_order = journey(
        &funnel,
        &[
            feature(at(10, 0, 1), "debugger"),
            feature(at(10, 0, 2), "save"),
            run(at(10, 0, 3), Some(true)),
        ],
    );
    assert_eq!(
        out_of_order.reached, 2,
        "opened, run: the features came before it"
    );
    let without_opened = Funnel::parse(&["success", "feature"]).unwrap();
    assert_eq!(SessionJourney::opened(&without_opened).reached, 0);
    assert_eq!(
        journey(&without_opened, &[run(at(10, 0, 1), Some(true))]).reached,
        1
    );
}

/// Hand-computed: four sessions of "ide" (one without any event), one of a malformed site id.
#[test]
fn a_day_counts_sessions_funnel_steps_and_time_buckets_per_site() {
    let mut day = JourneyDay::new(Funnel::default());
    let start = at(10, 0, 0);
    // a: fails at 3 s, succeeds at 40 s (recovered), saves at 50 s: every step.
    day.add("a", "ide", start, run(at(10, 0, 3), Some(false)));
    day.add("a", "ide", start, run(at(10, 0, 40), Some(true)));
    day.add("a", "ide", start, feature(at(10, 0, 50), "save"));
    // b: a feature, then a failed run: opened, run.
    day.add("b", "ide", start, feature(at(10, 0, 1), "save"));
    day.add("b", "ide", start, run(at(10, 0, 9), Some(false)));
    // c: succeeds at once (0 s).
    day.add("c", "ide", start, run(start, Some(true)));
    day.add("d", "Bad Site", start, run(at(10, 0, 2), Some(true)));
    let sites = day.finish([("ide".to_string(), 4), ("Bad Site".to_string(), 1)]);
    let ide = &sites["ide"];
    assert_eq!(ide.funnel, vec![4, 3, 2, 1]);
    let t = &ide.totals;
    assert_eq!(
        (
            t.sessions,
            t.with_run,
            t.with_success,
            t.with_failure,
            t.recovered
        ),
        (4, 3, 2, 2, 1)
    );
    assert_eq!((t.failed_before_success, t.succeeded_after_failure), (1, 1));
    assert_eq!(t.first_run, vec![(0, 1), (1, 1), (3, 1)], "0 s, 3 s, 9 s");
    assert_eq!(t.first_success, vec![(0, 1), (5, 1)], "0 s, 40 s");
    let other = &sites[crate::domain::report::summary::day_events::OTHER_SITES];
    assert_eq!(other.funnel, vec![1, 1, 1, 0]);
}
