//! Expiry of the free text of daily summaries (`summary_text_retention_days`): error groups and
//! examples (`daily_site_errors`) and feature data texts (`daily_site_feature_data`) can hold
//! what a person typed, so those of days before the boundary are folded into one `(expired)` row
//! per day and site (and feature) holding their counts: every total over those days stays what
//! it was. Written once for both stores: the reads, the deletes and the rows that replace them.

use chrono::NaiveDate;

use super::bounded::key_of;
use super::events::{ERROR_COLUMNS, EVENT_TABLES, FEATURE_DATA_COLUMNS};
use super::rollup::{Cell, TableRows};
use crate::store::reads::{Cells, Kind, Param};
use crate::store::StoreError;

/// The text that replaces expired error groups and examples.
pub const EXPIRED: &str = "(expired)";
/// The data that replaces expired feature data: an object, so the drill-down still counts its
/// events (it reads objects only), under a key that says why.
pub const EXPIRED_DATA: &str = r#"{"(expired)":"(expired)"}"#;

/// Groups folded per transaction: each round holds its locks briefly, and the first run on an
/// old database works through its years of days in many short rounds.
pub const GROUPS_PER_ROUND: u32 = 500;

/// Which summary table's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFold {
    /// `daily_site_errors`: one `(expired)` group per day and site.
    Errors,
    /// `daily_site_feature_data`: one `(expired)` text per day, site and feature.
    FeatureData,
}

/// Every table with free text, in the order the purge folds them.
pub const FOLDS: [TextFold; 2] = [TextFold::Errors, TextFold::FeatureData];

/// One round of a fold: the groups' rows to delete (each the parameters of
/// [`TextFold::delete`]) and the `(expired)` rows that replace them.
#[derive(Debug, Clone, PartialEq)]
pub struct Folded {
    pub deletes: Vec<Vec<Param>>,
    pub rows: TableRows,
}

impl TextFold {
    /// Groups (of days before `?`) holding any text but the marker (`?`, its key), at most `?`,
    /// with their summed counts. A group already folded holds only the marker and is left out,
    /// so a second purge finds nothing. (The casts turn MySQL's DECIMAL sums into integers.)
    pub fn select(self) -> &'static str {
        match self {
            TextFold::Errors => {
                "SELECT date, site_id, CAST(SUM(runs) AS UNSIGNED), CAST(SUM(sessions) AS UNSIGNED), \
                 MAX(last_seen) FROM daily_site_errors WHERE date < ? GROUP BY date, site_id \
                 HAVING SUM(CASE WHEN group_key = ? THEN 0 ELSE 1 END) > 0 \
                 ORDER BY date, site_id LIMIT ?"
            }
            TextFold::FeatureData => {
                "SELECT date, site_id, feature_name, CAST(SUM(events) AS UNSIGNED) \
                 FROM daily_site_feature_data WHERE date < ? GROUP BY date, site_id, feature_name \
                 HAVING SUM(CASE WHEN data_key = ? THEN 0 ELSE 1 END) > 0 \
                 ORDER BY date, site_id, feature_name LIMIT ?"
            }
        }
    }

    pub fn columns(self) -> &'static [Kind] {
        use Kind::{Date, Text, Time, U64};
        match self {
            TextFold::Errors => &[Date, Text, U64, U64, Time],
            TextFold::FeatureData => &[Date, Text, Text, U64],
        }
    }

    /// The text that replaces this table's expired ones.
    pub fn marker(self) -> &'static str {
        match self {
            TextFold::Errors => EXPIRED,
            TextFold::FeatureData => EXPIRED_DATA,
        }
    }

    /// The parameters of [`TextFold::select`] for days before `before`.
    pub fn params(self, before: NaiveDate) -> Vec<Param> {
        vec![
            Param::Date(before),
            Param::Text(key_of(self.marker())),
            Param::Int(GROUPS_PER_ROUND.into()),
        ]
    }

    /// Deletes one group's rows (parameters: its key columns but the text's key).
    pub fn delete(self) -> &'static str {
        match self {
            TextFold::Errors => "DELETE FROM daily_site_errors WHERE date = ? AND site_id = ?",
            TextFold::FeatureData => {
                "DELETE FROM daily_site_feature_data WHERE date = ? AND site_id = ? \
                 AND feature_name = ?"
            }
        }
    }

    /// The deletes and `(expired)` rows of the groups [`TextFold::select`] read.
    pub fn fold(self, groups: Vec<Vec<crate::store::Cell>>) -> Result<Folded, StoreError> {
        let (table, columns, key) = match self {
            TextFold::Errors => (EVENT_TABLES[2], ERROR_COLUMNS, 3),
            TextFold::FeatureData => (EVENT_TABLES[3], FEATURE_DATA_COLUMNS, 4),
        };
        let mut folded = Folded {
            deletes: Vec::with_capacity(groups.len()),
            rows: TableRows {
                table,
                columns,
                key,
                rows: Vec::with_capacity(groups.len()),
            },
        };
        let marker = || Cell::Text(self.marker().to_string());
        let marker_key = || Cell::Text(key_of(self.marker()));
        for group in groups {
            let r = &mut Cells(group.into_iter());
            let (date, site) = (r.date()?, r.text()?);
            let mut delete = vec![Param::Date(date), Param::Text(site.clone())];
            let mut row = vec![Cell::Date(date), Cell::Text(site)];
            match self {
                // The sessions of the folded groups add up: a session that hit two groups of
                // the day counts twice in `(expired)`, an upper bound (its raw rows are gone).
                TextFold::Errors => row.extend([
                    marker_key(),
                    marker(),
                    Cell::Number(r.u64()?),
                    Cell::Number(r.u64()?),
                    Cell::Time(r.time()?),
                    marker(),
                ]),
                TextFold::FeatureData => {
                    let name = r.text()?;
                    delete.push(Param::Text(name.clone()));
                    row.extend([
                        Cell::Text(name),
                        marker_key(),
                        marker(),
                        Cell::Number(r.u64()?),
                    ]);
                }
            }
            folded.deletes.push(delete);
            folded.rows.rows.push(row);
        }
        Ok(folded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Cell as Read;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 10, 1).unwrap()
    }

    #[test]
    fn error_groups_fold_into_one_expired_row_per_day_and_site_with_their_counts() {
        let last = day().and_hms_opt(17, 5, 0).unwrap();
        let groups = vec![vec![
            Read::Date(day()),
            Read::Text("ide".into()),
            Read::U64(7),
            Read::U64(3),
            Read::Time(last),
        ]];
        let folded = TextFold::Errors.fold(groups).unwrap();
        assert_eq!(
            folded.deletes,
            vec![vec![Param::Date(day()), Param::Text("ide".into())]]
        );
        let row = &folded.rows.rows[0];
        assert_eq!(row.len(), ERROR_COLUMNS.len());
        assert_eq!(
            row[3..].to_vec(),
            vec![
                Cell::Text(EXPIRED.into()),
                Cell::Number(7),
                Cell::Number(3),
                Cell::Time(last),
                Cell::Text(EXPIRED.into()),
            ]
        );
        assert_eq!(row[2], Cell::Text(key_of(EXPIRED)));
        assert_eq!(folded.rows.table, "daily_site_errors");
    }

    #[test]
    fn feature_texts_fold_per_feature_and_keep_the_name() {
        let groups = vec![vec![
            Read::Date(day()),
            Read::Text("ide".into()),
            Read::Text("save".into()),
            Read::U64(12),
        ]];
        let folded = TextFold::FeatureData.fold(groups).unwrap();
        assert_eq!(folded.deletes[0].len(), 3, "date, site and feature");
        assert_eq!(
            folded.rows.rows[0][2..].to_vec(),
            vec![
                Cell::Text("save".into()),
                Cell::Text(key_of(EXPIRED_DATA)),
                Cell::Text(EXPIRED_DATA.into()),
                Cell::Number(12),
            ]
        );
    }

    #[test]
    fn a_row_of_the_wrong_shape_is_an_error_not_a_panic() {
        let groups = vec![vec![Read::Text("ide".into())]];
        assert!(TextFold::FeatureData.fold(groups).is_err());
    }

    #[test]
    fn the_selects_take_the_boundary_the_marker_and_a_limit() {
        for fold in FOLDS {
            assert_eq!(fold.select().matches('?').count(), fold.params(day()).len());
            assert!(fold.select().contains(" LIMIT ?"));
        }
    }

    #[test]
    fn the_expired_feature_data_is_an_object_the_drill_down_counts() {
        let shown = crate::domain::report::feature_data::summarize(&[(EXPIRED_DATA.into(), 5)]);
        assert_eq!((shown.events, shown.keys[0].key.as_str()), (5, EXPIRED));
    }
}
