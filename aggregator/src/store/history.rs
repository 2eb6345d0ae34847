//! The database's migration history judged against this build's migrations, before refinery
//! runs: in a rolling update (or a rollback of one release) a release meets a database that a
//! newer release already migrated. Newer migrations are only additive (README "Upgrading"), so it
//! starts and serves on them, saying which they are; anything else it does not recognize (a
//! migration of the same version but another name or text, an unknown one among its own, one of
//! its own left out) is another lineage of the schema and stops the start.

use refinery::Migration;

/// refinery's history table (its default name, which both stores use).
pub(crate) const HISTORY_TABLE: &str = "refinery_schema_history";

/// What a database's history means for this build.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Every applied migration is one of this build's: refinery applies the pending ones.
    Ours,
    /// Every migration of this build is applied, and so are these newer ones (`V9__name`) that a
    /// later release added: nothing to apply, and the schema is a superset of what this build
    /// reads and writes.
    Newer(Vec<String>),
}

/// Judges `applied` (the database's history) against `known` (this build's migrations).
pub(crate) fn judge(known: &[Migration], applied: &[Migration]) -> Result<Verdict, String> {
    let newest_known = known.iter().map(Migration::version).max().unwrap_or(0);
    let mut newer = Vec::new();
    for migration in applied {
        match known.iter().find(|k| k.version() == migration.version()) {
            // Version, name and checksum (refinery's equality): the same file.
            Some(ours) if ours == migration => {}
            Some(ours) => {
                return Err(format!(
                    "the database's migration {migration} (checksum {}) differs from this build's {ours} \
                     (checksum {}): it was migrated by another version of the schema; restore it or \
                     run the release that wrote it",
                    migration.checksum(),
                    ours.checksum()
                ))
            }
            None if migration.version() > newest_known => newer.push(migration.to_string()),
            None => {
                return Err(format!(
                    "the database carries migration {migration}, which this build does not know although \
                     it is older than this build's newest (V{newest_known}): it was migrated by another \
                     version of the schema"
                ))
            }
        }
    }
    if newer.is_empty() {
        return Ok(Verdict::Ours);
    }
    // A newer release applies every older migration first, so all of ours must be there: one
    // missing would never be applied (refinery applies only what is above the newest applied).
    let missing: Vec<String> = known
        .iter()
        .filter(|k| !applied.iter().any(|a| a.version() == k.version()))
        .map(ToString::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the database carries migrations newer than this build ({}) but not this build's {}: \
             its history has a gap that no release fills",
            newer.join(", "),
            missing.join(", ")
        ));
    }
    Ok(Verdict::Newer(newer))
}

/// Whether refinery should run after judging `applied`; logs the newer migrations when there
/// are (a rolling update in progress, or a rollback of one release).
pub(crate) fn before_running(known: &[Migration], applied: &[Migration]) -> Result<bool, String> {
    match judge(known, applied)? {
        Verdict::Ours => Ok(true),
        Verdict::Newer(newer) => {
            tracing::warn!(
                newer = %newer.join(", "),
                "the database carries migrations newer than this release (a newer release migrated it): \
                 serving on them, as they only add to the schema"
            );
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use refinery::Migration;

    use super::{judge, Verdict};

    fn migration(name: &str, sql: &str) -> Migration {
        Migration::unapplied(name, sql).unwrap()
    }

    fn ours() -> Vec<Migration> {
        vec![
            migration("V1__first", "CREATE TABLE a (x INT);"),
            migration("V2__second", "CREATE TABLE b (x INT);"),
            migration("V3__third", "ALTER TABLE a ADD y INT;"),
        ]
    }

    #[test]
    fn an_empty_or_partial_history_of_our_own_is_ours() {
        let known = ours();
        assert_eq!(judge(&known, &[]), Ok(Verdict::Ours));
        assert_eq!(judge(&known, &known[..2]), Ok(Verdict::Ours));
        assert_eq!(judge(&known, &known), Ok(Verdict::Ours));
    }

    #[test]
    fn newer_migrations_above_all_of_ours_are_named_and_tolerated() {
        let known = ours();
        let mut applied = known.clone();
        applied.push(migration("V4__future_table", "CREATE TABLE c (x INT);"));
        applied.push(migration(
            "V6__future_column",
            "ALTER TABLE c ADD y INT NULL;",
        ));
        assert_eq!(
            judge(&known, &applied),
            Ok(Verdict::Newer(vec![
                "V4__future_table".into(),
                "V6__future_column".into()
            ]))
        );
    }

    #[test]
    fn a_migration_of_ours_with_another_name_or_text_is_fatal() {
        let known = ours();
        for other in [
            migration("V2__renamed", "CREATE TABLE b (x INT);"),
            migration("V2__second", "CREATE TABLE b (x BIGINT);"),
        ] {
            let applied = vec![known[0].clone(), other, known[2].clone()];
            let why = judge(&known, &applied).unwrap_err();
            assert!(why.contains("V2__") && why.contains("differs"), "{why}");
        }
        // Also when newer migrations are there too.
        let applied = vec![
            known[0].clone(),
            migration("V2__renamed", "CREATE TABLE b (x INT);"),
            known[2].clone(),
            migration("V4__future", "CREATE TABLE c (x INT);"),
        ];
        assert!(judge(&known, &applied).is_err());
    }

    #[test]
    fn an_unknown_migration_among_ours_is_fatal() {
        let known = vec![ours()[0].clone(), ours()[2].clone()];
        let applied = ours();
        let why = judge(&known, &applied).unwrap_err();
        assert!(why.contains("V2__second") && why.contains("V3"), "{why}");
    }

    #[test]
    fn newer_migrations_with_one_of_ours_missing_are_fatal() {
        let known = ours();
        let applied = vec![
            known[0].clone(),
            known[2].clone(),
            migration("V4__future", "CREATE TABLE c (x INT);"),
        ];
        let why = judge(&known, &applied).unwrap_err();
        assert!(
            why.contains("V2__second") && why.contains("V4__future"),
            "{why}"
        );
    }
}
