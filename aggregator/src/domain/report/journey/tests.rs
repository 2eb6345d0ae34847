use super::*;
use crate::domain::report::dates::DateRange;
use crate::domain::zone::ReportZone;

#[test]
fn shares_percentiles_and_the_csv_row_from_totals() {
    let totals = JourneyTotals {
        sessions: 4,
        with_run: 3,
        with_success: 2,
        with_failure: 2,
        recovered: 1,
        failed_before_success: 3,
        succeeded_after_failure: 1,
        // 5 s, 40 s, 40 s: buckets 2 and 5.
        first_run: vec![(2, 1), (5, 2)],
        first_success: vec![(5, 2)],
    };
    let day = "2026-11-28".parse().unwrap();
    let answer = JourneyAnswer {
        span: Span::of(&DateRange { from: day, to: day }, ReportZone::UTC),
        summaries_as_of: None,
        journey: JourneyStats::from(&totals),
        previous: None,
    };
    let j = &answer.journey;
    assert_eq!((j.run_share, j.success_share), (Some(0.75), Some(0.5)));
    assert_eq!(j.recovered_share, Some(0.5));
    assert_eq!(j.avg_failed_before_success, Some(1.5));
    assert_eq!(
        (j.to_first_run.p50, j.to_first_run.p90),
        (Some(64), Some(64))
    );
    assert_eq!(j.first_run_histogram[0].below_seconds, 8);
    assert_eq!(
        answer.csv(),
        format!(
            "{}\r\n2026-11-28,2026-11-28,4,3,2,0.75,0.5,2,1,0.5,3,1.5,1,64,64,64,64\r\n",
            COLUMNS.join(",")
        )
    );
    let text = render(&answer);
    assert!(
        text.contains("with a run                         3 (75.0 %)"),
        "{text}"
    );
    let none = JourneyStats::from(&JourneyTotals::default());
    assert_eq!((none.run_share, none.to_first_run.p50), (None, None));
}

#[test]
fn totals_add_up_per_bucket() {
    let mut a = JourneyTotals {
        sessions: 1,
        first_run: vec![(0, 1)],
        ..JourneyTotals::default()
    };
    a.add(&JourneyTotals {
        sessions: 2,
        first_run: vec![(0, 1), (3, 1)],
        ..JourneyTotals::default()
    });
    a.add_times(FIRST_RUN, 3, 2);
    a.add_times("later_measure", 1, 9);
    assert_eq!((a.sessions, a.first_run), (3, vec![(0, 2), (3, 3)]));
    assert_eq!([0, 1, 2, 3, 64].map(bucket_of), [0, 0, 1, 1, 6]);
}
