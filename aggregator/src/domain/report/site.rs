//! `?site=`: one site's reports. A [`Site`] is only made from a valid site id (the ingest rule:
//! `[a-z0-9_.:-]{1,64}`, or the empty id of pages that name none), so the stores may write it into
//! SQL text as a literal.

use super::dates::BadRange;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site(String);

impl Site {
    /// The `site` query parameter.
    pub fn parse(text: &str) -> Result<Site, BadRange> {
        Site::from_stored(text).ok_or_else(|| BadRange {
            field: "site",
            reason: "site must match [a-z0-9_.:-]{1,64}, or be empty for pages that name no site"
                .into(),
        })
    }

    /// A stored `site_id`; `None` for one that breaks the rule (never written by this
    /// aggregator).
    pub fn from_stored(text: &str) -> Option<Site> {
        (text.is_empty() || crate::domain::event::is_stored_name(text))
            .then(|| Site(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// ` AND <column> = '<site>'`, or nothing without a site.
    pub fn clause(site: Option<&Site>, column: &str) -> String {
        site.map_or_else(String::new, |s| format!(" AND {column} = '{}'", s.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_valid_site_ids_become_sites() {
        assert_eq!(Site::parse("ide").unwrap().as_str(), "ide");
        assert!(Site::parse("").is_ok(), "pages that name no site");
        assert!(Site::parse("IDE").is_err());
        assert!(Site::parse("a' OR '1'='1").is_err());
        assert!(Site::parse(&"x".repeat(65)).is_err());
        let site = Site::parse("docs").unwrap();
        assert_eq!(
            Site::clause(Some(&site), "s.site_id"),
            " AND s.site_id = 'docs'"
        );
        assert_eq!(Site::clause(None, "site_id"), "");
    }
}
