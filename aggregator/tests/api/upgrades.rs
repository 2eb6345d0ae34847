//! A release on a database that a newer release migrated (a rolling update in progress, or a
//! rollback of one release): it starts, is ready, stores, and names the newer migrations in a
//! warning; a migration of its own rewritten (same version, another name or text) still stops it.
//! The previous release built from its commit, beside this one under load: tests/rolling_upgrade.

use usage_aggregator::clock::ManualClock;
use usage_aggregator::config::Config;
use usage_aggregator::startup::Application;

use crate::helpers::{both_stores, run_command, SessionScript, StoreKind, TestApp, TestDb};

mod mysql_migrations {
    refinery::embed_migrations!("../sql/mysql");
}
mod sqlite_migrations {
    refinery::embed_migrations!("../sql/sqlite");
}

/// This build's migrations for `kind`, as the aggregator embeds them.
fn ours(kind: StoreKind) -> Vec<refinery::Migration> {
    match kind {
        StoreKind::MySql => mysql_migrations::migrations::runner(),
        StoreKind::Sqlite => sqlite_migrations::migrations::runner(),
    }
    .get_migrations()
    .clone()
}

/// An additive migration a later release could ship: a new table, a nullable column on each
/// table the ingest writes, and an index.
fn future_sql(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::MySql => {
            "CREATE TABLE future_release_notes (id BIGINT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(100) NULL);
             ALTER TABLE ide_sessions ADD COLUMN future_flag TINYINT NULL;
             ALTER TABLE program_executions ADD COLUMN future_flag TINYINT NULL;
             ALTER TABLE feature_usage ADD COLUMN future_flag TINYINT NULL DEFAULT 0;
             CREATE INDEX idx_future_flag ON ide_sessions (future_flag);"
        }
        StoreKind::Sqlite => {
            "CREATE TABLE future_release_notes (id INTEGER PRIMARY KEY, note TEXT);
             ALTER TABLE ide_sessions ADD COLUMN future_flag INTEGER;
             ALTER TABLE program_executions ADD COLUMN future_flag INTEGER;
             ALTER TABLE feature_usage ADD COLUMN future_flag INTEGER DEFAULT 0;
             CREATE INDEX idx_future_flag ON ide_sessions (future_flag);"
        }
    }
}

/// Migrates `db` the way a later release's refinery would: this build's migrations, then
/// `extra` (its own, above ours). Returns the extra migrations' names (`V9__name`).
async fn migrate_as_a_later_release(db: &TestDb, extra: Vec<refinery::Migration>) -> Vec<String> {
    let mut all = ours(db.kind());
    let names = extra.iter().map(ToString::to_string).collect();
    all.extend(extra);
    let runner = refinery::Runner::new(&all);
    match db.kind() {
        StoreKind::MySql => {
            let mut pool = db.pool().clone();
            runner
                .run_async(&mut pool)
                .await
                .expect("the later release migrates");
        }
        StoreKind::Sqlite => {
            // Created here, as the later release would create it.
            let mut conn = rusqlite::Connection::open(db.sqlite_path()).unwrap();
            runner.run(&mut conn).expect("the later release migrates");
        }
    }
    names
}

/// The next release's migration: one version above this build's newest.
fn next_release_migration(kind: StoreKind) -> refinery::Migration {
    let newest = ours(kind).iter().map(|m| m.version()).max().unwrap();
    refinery::Migration::unapplied(
        &format!("V{}__future_additive", newest + 1),
        future_sql(kind),
    )
    .unwrap()
}

both_stores!(a_release_serves_and_stores_on_a_database_a_later_release_migrated);
async fn a_release_serves_and_stores_on_a_database_a_later_release_migrated(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    let newer = migrate_as_a_later_release(&db, vec![next_release_migration(kind)]).await;
    let history = db.count("refinery_schema_history").await;

    // `migrate` applies nothing, succeeds, and names what it does not know.
    let (ok, output) = run_command(&db, &["migrate"], &[]);
    assert!(ok, "{output}");
    assert!(
        output.contains("WARN") && output.contains(&newer[0]),
        "{output}"
    );
    assert!(output.contains("applied migrations: []"), "{output}");

    let app = TestApp::spawn_on(db, |_| {}).await;
    assert_eq!(app.status_of("/readyz").await, 200);
    let mut script = SessionScript::new();
    let first = vec![
        script.start(1.0),
        script.heartbeat(10.0, 10.0, 5.0),
        script.run(10.0, 5, None),
        script.feature(10.0, "editor.run"),
    ];
    app.store(&script.batch(11.0, first)).await;
    let second = vec![
        script.heartbeat(20.0, 20.0, 10.0),
        script.run(20.0, 3, Some("NameError")),
        script.end(21.0),
    ];
    app.store(&script.batch(21.0, second)).await;
    let db = app.shutdown().await;

    assert_eq!(db.count("ide_sessions WHERE programs_run = 2").await, 1);
    assert_eq!(db.count("program_executions").await, 2);
    assert_eq!(db.count("feature_usage WHERE future_flag = 0").await, 1);
    assert_eq!(db.count("ide_sessions WHERE future_flag IS NULL").await, 1);
    assert_eq!(
        db.count("refinery_schema_history").await,
        history,
        "the newer migration stays recorded, nothing is added"
    );
}

/// The configuration the in-process app gets, on `db`.
fn config_on(db: &TestDb) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: Some(db.url().into()),
        rollup_at_start: false,
        ..Config::default()
    }
}

both_stores!(a_migration_of_this_release_rewritten_in_the_database_stops_the_start);
async fn a_migration_of_this_release_rewritten_in_the_database_stops_the_start(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    migrate_as_a_later_release(&db, vec![next_release_migration(kind)]).await;
    let newest = ours(kind).iter().map(|m| m.version()).max().unwrap();
    // Another lineage's migration of the same version: another name (and so checksum).
    db.execute(&format!(
        "UPDATE refinery_schema_history SET name = 'another_lineage' WHERE version = {newest}"
    ))
    .await;

    let (ok, output) = run_command(&db, &["migrate"], &[]);
    assert!(!ok, "{output}");
    assert!(
        output.contains(&format!("V{newest}__another_lineage")) && output.contains("differs"),
        "{output}"
    );
    let built = Application::build(
        &config_on(&db),
        ManualClock::new(crate::helpers::server::noon()),
    )
    .await;
    let why = format!("{:#}", built.err().expect("the start stops"));
    assert!(why.contains("another_lineage"), "{why}");
}

both_stores!(a_migration_unknown_to_this_release_among_its_own_stops_the_start);
async fn a_migration_unknown_to_this_release_among_its_own_stops_the_start(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    migrate_as_a_later_release(&db, vec![]).await;
    // A version this release skipped, recorded as another lineage's refinery would.
    db.execute(
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) \
         VALUES (0, 'another_lineage', '2026-01-01T00:00:00Z', '1')",
    )
    .await;
    let (ok, output) = run_command(&db, &["migrate"], &[]);
    assert!(!ok, "{output}");
    assert!(output.contains("V0__another_lineage"), "{output}");
}
