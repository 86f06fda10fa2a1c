//! Household records kept in memory for GetHousehold, in the embedded (SQLite) mode only.
//!
//! With SQLite this process is the only writer of the file, so it can keep records it has
//! read and publish every record it writes. Each entry carries the record's version
//! (etag); an entry is replaced only by a newer version, so a read that fetched version n
//! just before a write committed n+1 cannot overwrite the newer entry. Misses are not
//! cached. With PostgreSQL several replicas write the same database, so no cache is used.
//!
//! The cache is never a way to write: every change is made in a write transaction (which
//! also brings the per-village rollups up to date before it commits) and offered here only
//! after that commit, so what the summaries count never depends on it.

use std::collections::HashMap;
use std::sync::RwLock;

use xk_contracts::pb::registry::v1::Household;

/// The cache.
#[derive(Debug)]
pub struct RecordCache {
    /// household id -> (version, record).
    map: RwLock<HashMap<String, (i64, Household)>>,
    /// Most entries kept; beyond it new records are simply not cached (a county's
    /// archive fits many times over).
    capacity: usize,
}

impl RecordCache {
    /// An empty cache holding at most `capacity` records.
    pub fn new(capacity: usize) -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
            capacity,
        }
    }

    /// The cached record, if any.
    pub fn get(&self, id: &str) -> Option<Household> {
        let map = self.map.read().ok()?;
        map.get(id).map(|(_, h)| h.clone())
    }

    /// Offers a record just read or written; kept if newer than what is cached.
    pub fn offer(&self, h: &Household) {
        let Ok(version) = h.etag.parse::<i64>() else {
            return;
        };
        let Ok(mut map) = self.map.write() else {
            return;
        };
        let len = map.len();
        match map.get_mut(&h.household_id) {
            Some(entry) if entry.0 >= version => {}
            Some(entry) => *entry = (version, h.clone()),
            None if len < self.capacity => {
                map.insert(h.household_id.clone(), (version, h.clone()));
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, etag: &str, village: &str) -> Household {
        Household {
            household_id: id.into(),
            etag: etag.into(),
            village_code: village.into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_older_read_never_replaces_a_newer_write() {
        let c = RecordCache::new(10);
        c.offer(&rec("H", "2", "new"));
        c.offer(&rec("H", "1", "old"));
        assert_eq!(c.get("H").unwrap().village_code, "new");
        c.offer(&rec("H", "3", "newer"));
        assert_eq!(c.get("H").unwrap().etag, "3");
    }

    #[test]
    fn capacity_bounds_new_entries_but_updates_still_apply() {
        let c = RecordCache::new(1);
        c.offer(&rec("A", "1", "a"));
        c.offer(&rec("B", "1", "b"));
        assert!(c.get("B").is_none());
        c.offer(&rec("A", "2", "a2"));
        assert_eq!(c.get("A").unwrap().village_code, "a2");
    }
}
