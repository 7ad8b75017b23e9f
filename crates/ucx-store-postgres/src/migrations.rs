//! The schema, versioned in the crate: each migration runs once, in order, recorded with its
//! SHA-384 checksum in `_sqlx_migrations` (sqlx's migrator), so a database whose applied
//! migration was edited since is refused rather than silently diverging. The migrator takes
//! an advisory lock, so workers starting together migrate once.

use std::borrow::Cow;

use futures::future::BoxFuture;
use sqlx_core::error::BoxDynError;
use sqlx_core::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx_core::sql_str::SqlStr;

/// The migrations, oldest first. Append only: a released migration never changes.
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "users snapshots runs",
    include_str!("../migrations/0001_users_snapshots_runs.sql"),
)];

/// The schema version this build migrates databases to.
pub const SCHEMA_VERSION: i64 = 1;

/// The migrations compiled into the crate, for sqlx's migrator.
#[derive(Debug)]
struct Embedded;

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        SqlStr::from_static(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The migrator of this crate's schema.
pub(crate) async fn migrator() -> Result<Migrator, sqlx_core::migrate::MigrateError> {
    Migrator::new(Embedded).await
}
