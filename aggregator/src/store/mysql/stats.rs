//! The stats reads on MySQL: running one of their statements (the store's `stats.rs` writes
//! them once for both stores; `select` runs them).

use async_trait::async_trait;

use super::select::select_on;
use super::MySqlStore;
use crate::store::StoreError;
use crate::store::{Cell, Kind, Param, Reads};

#[async_trait]
impl Reads for MySqlStore {
    async fn select(
        &self,
        sql: String,
        params: Vec<Param>,
        columns: &'static [Kind],
    ) -> Result<Vec<Vec<Cell>>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        select_on(&mut conn, sql, params, columns).await
    }

    fn indexed(&self, table: &str, index: &str) -> String {
        format!("{table} FORCE INDEX ({index})")
    }
}
