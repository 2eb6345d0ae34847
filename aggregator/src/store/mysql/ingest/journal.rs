//! A flush's journaled session updates (`domain::journal`) as one row of `heartbeat_journal`,
//! written in the flush's own transaction; `super::super::fold` applies such rows later.

use super::literal::Literal;
use crate::domain::ingest::SessionUpdate;
use crate::domain::journal;

/// The INSERT of a flush's journaled updates as one row, if it has any.
pub fn journal_insert(updates: &[SessionUpdate]) -> Option<String> {
    if updates.is_empty() {
        return None;
    }
    let mut sql = String::from("INSERT INTO heartbeat_journal (body) VALUES (");
    journal::encode(updates).write_to(&mut sql);
    sql.push(')');
    Some(sql)
}
