//! The daily table `usage-aggregator stats` prints: right-aligned columns sized to their widest
//! cell, a totals line under a rule.

use crate::domain::report::model::{DailyPoint, Figures, Totals};

const HEADERS: [&str; 9] = [
    "date",
    "visitors",
    "sessions",
    "avg dur",
    "avg active",
    "programs",
    "success",
    "lines",
    "features",
];

fn duration(seconds: u64) -> String {
    format!("{}m{:02}s", seconds / 60, seconds % 60)
}

fn rate(rate: Option<f64>) -> String {
    rate.map_or("-".into(), |r| format!("{:.1}%", r * 100.0))
}

/// A line of the table: its first cell, then the figures.
fn cells(first: String, visitors: u64, sessions: u64, f: &Figures) -> [String; 9] {
    [
        first,
        visitors.to_string(),
        sessions.to_string(),
        duration(f.avg_duration_seconds),
        duration(f.avg_active_seconds),
        f.programs_run.to_string(),
        rate(f.success_rate),
        f.lines_executed.to_string(),
        f.feature_uses.to_string(),
    ]
}

pub fn render(points: &[DailyPoint], totals: &Totals) -> String {
    let mut rows: Vec<[String; 9]> = points
        .iter()
        .map(|p| {
            cells(
                p.date.to_string(),
                p.unique_visitors,
                p.sessions,
                &p.figures,
            )
        })
        .collect();
    rows.push(cells(
        "total".into(),
        totals.visitor_days,
        totals.sessions,
        &totals.figures,
    ));
    let mut widths = HEADERS.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, w))| {
                if i == 0 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = String::new();
    out.push_str(&line(&HEADERS.map(String::from)));
    out.push('\n');
    let (body, total) = rows.split_at(rows.len() - 1);
    for row in body {
        out.push_str(&line(row));
        out.push('\n');
    }
    let rule: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    out.push_str(&"-".repeat(rule));
    out.push('\n');
    out.push_str(&line(&total[0]));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::model::DailyRow;
    use crate::domain::report::{dates::DateRange, shape};

    #[test]
    fn columns_line_up_and_the_total_is_last() {
        let range = DateRange {
            from: "2026-11-27".parse().unwrap(),
            to: "2026-11-28".parse().unwrap(),
        };
        let rows = [DailyRow {
            date: range.to,
            unique_visitors: 12,
            sessions: 15,
            programs_run: 1234,
            program_errors: 10,
            avg_duration_seconds: 754,
            ..DailyRow::default()
        }];
        let text = render(&shape::series(&range, &rows), &shape::totals(&rows));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[0].starts_with("date"));
        assert!(
            lines[2].contains("12m34s") && lines[2].contains("99.2%"),
            "{text}"
        );
        assert!(
            lines[1].ends_with('0') && lines[1].contains("-  "),
            "no runs: no rate"
        );
        assert!(lines[4].starts_with("total"));
        // Right-aligned: every data line ends at the same column as the header.
        let width = lines[0].len();
        assert!(lines.iter().all(|l| l.len() == width), "{text}");
    }
}
