use chrono::NaiveDate;

use super::*;

fn d(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn row(date: &str, sessions: u64, avg: u64, runs: u64, errors: u64) -> DailyRow {
    DailyRow {
        date: d(date),
        unique_visitors: sessions,
        sessions,
        programs_run: runs,
        program_errors: errors,
        avg_duration_seconds: avg,
        avg_active_seconds: avg / 2,
        ..DailyRow::default()
    }
}

#[test]
fn the_series_has_every_day_of_the_range_in_order() {
    let range = DateRange {
        from: d("2026-11-26"),
        to: d("2026-11-28"),
    };
    let points = series(
        &range,
        &[
            row("2026-11-28", 2, 60, 4, 1),
            row("2026-11-26", 1, 30, 0, 0),
        ],
    );
    let days: Vec<_> = points.iter().map(|p| p.date).collect();
    assert_eq!(
        days,
        vec![d("2026-11-26"), d("2026-11-27"), d("2026-11-28")]
    );
    assert_eq!(points[1].sessions, 0, "a day without a row is zeros");
    assert_eq!(points[0].figures.success_rate, None, "no runs: no rate");
    assert_eq!(points[2].figures.success_rate, Some(0.75));
}

#[test]
fn totals_weigh_averages_by_sessions() {
    let totals = totals(&[
        row("2026-11-27", 3, 100, 3, 0),
        row("2026-11-28", 1, 20, 1, 1),
    ]);
    assert_eq!(totals.sessions, 4);
    assert_eq!(
        totals.figures.avg_duration_seconds, 80,
        "(3*100 + 1*20) / 4"
    );
    assert_eq!(totals.figures.avg_active_seconds, 40);
    assert_eq!(totals.figures.success_rate, Some(0.75));
    assert_eq!(super::totals(&[]).figures.avg_duration_seconds, 0);
}

#[test]
fn breakdowns_are_sorted_with_shares() {
    let shaped = clients(vec![
        ("browser".into(), "Firefox".into(), 1),
        ("browser".into(), "Chrome".into(), 3),
        ("device".into(), "desktop".into(), 4),
    ]);
    assert_eq!(shaped.browsers[0].name, "Chrome");
    assert_eq!(shaped.browsers[0].share, 0.75);
    assert_eq!(shaped.devices[0].share, 1.0);
    assert!(shaped.os.is_empty());
    let top = features(vec![
        FeatureCount {
            name: "b".into(),
            uses: 2,
            sessions: 1,
        },
        FeatureCount {
            name: "a".into(),
            uses: 2,
            sessions: 2,
        },
        FeatureCount {
            name: "c".into(),
            uses: 9,
            sessions: 1,
        },
    ]);
    let names: Vec<_> = top.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["c", "a", "b"]);
}

#[test]
fn program_stats_count_unknown_outcomes_apart_and_bound_percentiles() {
    let stats = programs(&ProgramTotals {
        runs: 10,
        failed: 2,
        unknown: 2,
        lines_executed: 1000,
        execution_ms_total: 500,
        execution_ms_max: 300,
        // 8 runs under 2 ms, 1 in [16, 32), 1 in [256, 512)
        buckets: vec![(8, 1), (0, 8), (4, 1)],
    });
    assert_eq!((stats.succeeded, stats.failed, stats.unknown), (6, 2, 2));
    assert_eq!(stats.success_rate, Some(0.75), "6 of the 8 known");
    assert_eq!(stats.avg_lines_executed, Some(100));
    assert_eq!(stats.execution_ms.avg, Some(50));
    assert_eq!(stats.execution_ms.p50, Some(2));
    assert_eq!(
        stats.execution_ms.p95,
        Some(300),
        "bucket bound 512 capped at the max"
    );
    assert_eq!(
        stats.histogram[0],
        HistogramBucket {
            below_ms: 2,
            runs: 8
        }
    );
    let none = programs(&ProgramTotals::default());
    assert_eq!(
        (
            none.success_rate,
            none.execution_ms.max,
            none.execution_ms.p50
        ),
        (None, None, None)
    );
}
