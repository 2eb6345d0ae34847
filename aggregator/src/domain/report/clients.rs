//! The clients report (`/api/v1/stats/clients`): sessions by browser, OS and device over the
//! range, each largest first ([`super::shape::clients_top`]), and what each leaves out; its CSV
//! table is one row per value, named by its dimension.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::csv::{self, Table, Text};
use super::dates::Span;
use super::model::{Clients, ClientsOther};

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientsAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries these figures are read from were last brought up to date
    /// (UTC): every stats range route reads summaries only, refreshed every
    /// `summary_refresh_secs`; activity after this time is not in the figures yet. Null before
    /// the first refresh.
    pub summaries_as_of: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub clients: Clients,
    /// Per breakdown, the sessions of the values not listed.
    pub other: ClientsOther,
    /// With `compare=previous` only: the same report over the period of the same length that
    /// ends the day before `from` (without a `previous` of its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub previous: Option<Box<ClientsAnswer>>,
}

/// A value of the CSV table (the columns in the order the export has always had).
#[derive(Serialize)]
struct Row<'a> {
    /// `browsers`, `os` or `devices`, as the JSON names the list.
    dimension: &'static str,
    name: Text<'a>,
    sessions: u64,
    share: f64,
}

impl Table for ClientsAnswer {
    fn file_name(&self) -> &str {
        "clients"
    }

    fn span(&self) -> Option<&Span> {
        Some(&self.span)
    }

    fn csv(&self) -> String {
        let c = &self.clients;
        let lists = [
            ("browsers", &c.browsers),
            ("os", &c.os),
            ("devices", &c.devices),
        ];
        csv::write(
            &["dimension", "name", "sessions", "share"],
            lists.into_iter().flat_map(|(dimension, list)| {
                list.iter().map(move |v| Row {
                    dimension,
                    name: Text(&v.name),
                    sessions: v.sessions,
                    share: v.share,
                })
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::shape;

    #[test]
    fn the_table_names_each_row_by_its_dimension() {
        let day = "2026-11-28".parse().unwrap();
        let rows = vec![
            ("browser".into(), "Firefox".into(), 3),
            ("browser".into(), "Chrome, new".into(), 1),
            ("os".into(), "Linux".into(), 4),
        ];
        let answer = ClientsAnswer {
            span: Span::of(
                &crate::domain::report::dates::DateRange { from: day, to: day },
                Default::default(),
            ),
            summaries_as_of: None,
            clients: shape::clients(rows),
            other: ClientsOther::default(),
            previous: None,
        };
        assert_eq!(
            answer.csv(),
            "dimension,name,sessions,share\r\n\
             browsers,Firefox,3,0.75\r\nbrowsers,\"Chrome, new\",1,0.25\r\nos,Linux,4,1.0\r\n"
        );
    }
}
