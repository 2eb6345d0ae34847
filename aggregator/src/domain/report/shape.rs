//! Pure shaping of stored figures into what the stats API and the CLI show: gap-free series,
//! totals, rates, shares and run-time percentiles.

use std::collections::HashMap;

use super::dates::DateRange;
use super::filtered::FilteredTotals;
use super::model::*;

/// Rounded to 4 decimals so JSON stays readable; None when nothing ran.
pub fn success_rate(runs: u64, failed: u64) -> Option<f64> {
    (runs > 0).then(|| round4(runs.saturating_sub(failed) as f64 / runs as f64))
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The figures of a stored row (a day's, or the range's summed up).
fn figures(row: &DailyRow) -> Figures {
    Figures {
        avg_duration_seconds: row.avg_duration_seconds,
        avg_active_seconds: row.avg_active_seconds,
        programs_run: row.programs_run,
        program_errors: row.program_errors,
        success_rate: success_rate(row.programs_run, row.program_errors),
        lines_executed: row.lines_executed,
        feature_uses: row.feature_uses,
    }
}

/// One point per day of `range`, in order; days without a stored row are zeros.
pub fn series(range: &DateRange, rows: &[DailyRow]) -> Vec<DailyPoint> {
    let by_day: HashMap<_, _> = rows.iter().map(|r| (r.date, r)).collect();
    range
        .days()
        .map(|date| {
            let zero = DailyRow {
                date,
                ..DailyRow::default()
            };
            let row = by_day.get(&date).copied().unwrap_or(&zero);
            DailyPoint {
                date,
                unique_visitors: row.unique_visitors,
                sessions: row.sessions,
                figures: figures(row),
                filtered: FilteredTotals::default(),
            }
        })
        .collect()
}

/// Totals over the rows; averages are weighted by each day's sessions.
pub fn totals(rows: &[DailyRow]) -> Totals {
    let sum = |f: fn(&DailyRow) -> u64| rows.iter().map(f).sum::<u64>();
    let sessions = sum(|r| r.sessions);
    let weighted = |f: fn(&DailyRow) -> u64| {
        if sessions == 0 {
            return 0;
        }
        let total: u64 = rows.iter().map(|r| f(r) * r.sessions).sum();
        (total as f64 / sessions as f64).round() as u64
    };
    let all = DailyRow {
        sessions,
        unique_visitors: sum(|r| r.unique_visitors),
        avg_duration_seconds: weighted(|r| r.avg_duration_seconds),
        avg_active_seconds: weighted(|r| r.avg_active_seconds),
        programs_run: sum(|r| r.programs_run),
        program_errors: sum(|r| r.program_errors),
        lines_executed: sum(|r| r.lines_executed),
        feature_uses: sum(|r| r.feature_uses),
        ..DailyRow::default()
    };
    Totals {
        sessions,
        visitor_days: all.unique_visitors,
        figures: figures(&all),
    }
}

/// Features by uses, most used first (ties by name, so the order is stable).
pub fn features(mut counts: Vec<FeatureCount>) -> Vec<FeatureCount> {
    counts.sort_by(|a, b| b.uses.cmp(&a.uses).then_with(|| a.name.cmp(&b.name)));
    counts
}

/// Rows of (dimension, value, sessions) into the three breakdowns, each largest first.
pub fn clients(rows: Vec<(String, String, u64)>) -> Clients {
    let mut clients = Clients::default();
    for dimension in ["browser", "os", "device"] {
        let counts: Vec<(String, u64)> = rows
            .iter()
            .filter(|(d, _, _)| d == dimension)
            .map(|(_, value, n)| (value.clone(), *n))
            .collect();
        let all: u64 = counts.iter().map(|(_, n)| n).sum();
        let mut shaped: Vec<ClientCount> = counts
            .into_iter()
            .map(|(name, sessions)| ClientCount {
                name,
                sessions,
                share: if all == 0 {
                    0.0
                } else {
                    round4(sessions as f64 / all as f64)
                },
            })
            .collect();
        shaped.sort_by(|a, b| {
            b.sessions
                .cmp(&a.sessions)
                .then_with(|| a.name.cmp(&b.name))
        });
        match dimension {
            "browser" => clients.browsers = shaped,
            "os" => clients.os = shaped,
            _ => clients.devices = shaped,
        }
    }
    clients
}

/// As [`clients`], of a bounded read: per dimension its `limit` largest values (the "(other)"
/// rows left out), shares of the dimension's `totals` (all its sessions), and what the list
/// leaves out.
pub fn clients_top(
    rows: Vec<(String, String, u64)>,
    totals: &[(String, u64)],
    limit: usize,
) -> (Clients, ClientsOther) {
    let mut shaped = clients(
        rows.into_iter()
            .filter(|(_, value, _)| value != super::top::OTHER)
            .collect(),
    );
    let mut other = ClientsOther::default();
    for (dimension, list, left) in [
        ("browser", &mut shaped.browsers, &mut other.browsers),
        ("os", &mut shaped.os, &mut other.os),
        ("device", &mut shaped.devices, &mut other.devices),
    ] {
        let total = totals
            .iter()
            .find(|(d, _)| d == dimension)
            .map_or(0, |(_, n)| *n);
        list.truncate(limit);
        for c in list.iter_mut() {
            c.share = if total == 0 {
                0.0
            } else {
                round4(c.sessions as f64 / total as f64)
            };
        }
        *left = super::top::Other::of(total, list.iter().map(|c| c.sessions).sum());
    }
    (shaped, other)
}

/// Success rate over runs whose outcome is known; percentiles from the buckets.
pub fn programs(totals: &ProgramTotals) -> ProgramStats {
    let known = totals.runs - totals.unknown.min(totals.runs);
    let failed = totals.failed.min(known);
    let per_run =
        |x: u64| (totals.runs > 0).then(|| (x as f64 / totals.runs as f64).round() as u64);
    let mut buckets = totals.buckets.clone();
    buckets.sort();
    let max = (totals.runs > 0).then_some(totals.execution_ms_max);
    ProgramStats {
        runs: totals.runs,
        succeeded: known - failed,
        failed,
        unknown: totals.runs - known,
        success_rate: success_rate(known, failed),
        lines_executed: totals.lines_executed,
        avg_lines_executed: per_run(totals.lines_executed),
        execution_ms: ExecutionMs {
            avg: per_run(totals.execution_ms_total),
            p50: percentile(&buckets, 0.50).map(|p| p.min(totals.execution_ms_max)),
            p95: percentile(&buckets, 0.95).map(|p| p.min(totals.execution_ms_max)),
            max,
        },
        histogram: buckets
            .iter()
            .map(|&(b, runs)| HistogramBucket {
                below_ms: bucket_bound(b),
                runs,
            })
            .collect(),
    }
}

pub fn bucket_bound(bucket: u32) -> u64 {
    1u64.checked_shl(bucket + 1).unwrap_or(u64::MAX)
}

/// The upper bound of the bucket holding the q-quantile of the (sorted) buckets.
pub fn percentile(buckets: &[(u32, u64)], q: f64) -> Option<u64> {
    let all: u64 = buckets.iter().map(|(_, n)| n).sum();
    if all == 0 {
        return None;
    }
    let rank = ((all as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0;
    for &(bucket, runs) in buckets {
        seen += runs;
        if seen >= rank {
            return Some(bucket_bound(bucket));
        }
    }
    buckets.last().map(|&(b, _)| bucket_bound(b))
}

#[cfg(test)]
mod tests;
