//! The traffic mix: which RPCs a load test calls and how often (pure).
//!
//! A mix is written `get=40,list=10,...`: each key names one operation ([`Op`]) and its
//! weight; [`Mix::pick`] turns a request's sequence number into an operation so that, over
//! many requests, each operation gets its share.

use std::fmt;

/// One kind of call the load test makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// registry GetHousehold (a read).
    Get,
    /// registry ListHouseholds, one page of a township (a read).
    List,
    /// aggregator GetSummary of the county by township (a read across every service).
    Summary,
    /// aggregator GetHouseholdFile (一户一档; a read across every service).
    File,
    /// registry ImportHouseholds: a small batch of new households (a bulk write).
    Import,
    /// registry RecordIncome on one household (a single update).
    Update,
    /// health SettleCase: one hospital stay settled through the four layers (a write).
    Settle,
    /// water RecordAssessment on one household (a write).
    Assess,
    /// education RecordVisit: one home-teaching visit (a write).
    Visit,
}

impl Op {
    /// Every operation, in the order reports list them.
    pub const ALL: [Op; 9] = [
        Op::Get,
        Op::List,
        Op::Summary,
        Op::File,
        Op::Import,
        Op::Update,
        Op::Settle,
        Op::Assess,
        Op::Visit,
    ];

    /// The key of the operation in a `--mix`.
    pub fn key(self) -> &'static str {
        match self {
            Op::Get => "get",
            Op::List => "list",
            Op::Summary => "summary",
            Op::File => "file",
            Op::Import => "import",
            Op::Update => "update",
            Op::Settle => "settle",
            Op::Assess => "assess",
            Op::Visit => "visit",
        }
    }

    /// The RPC it calls, as `service.Method`.
    pub fn rpc(self) -> &'static str {
        match self {
            Op::Get => "registry.GetHousehold",
            Op::List => "registry.ListHouseholds",
            Op::Summary => "aggregator.GetSummary",
            Op::File => "aggregator.GetHouseholdFile",
            Op::Import => "registry.ImportHouseholds",
            Op::Update => "registry.RecordIncome",
            Op::Settle => "health.SettleCase",
            Op::Assess => "water.RecordAssessment",
            Op::Visit => "education.RecordVisit",
        }
    }

    /// The service (suite name) that answers it.
    pub fn service(self) -> &'static str {
        self.rpc().split('.').next().unwrap_or_default()
    }

    /// Whether it writes (and so carries a fresh request id and a bureau's token).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Op::Import | Op::Update | Op::Settle | Op::Assess | Op::Visit
        )
    }

    /// The operation of a mix key.
    pub fn from_key(key: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.key() == key)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Why a `--mix` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MixError {
    /// An entry is not `key=weight`.
    #[error("mix entry {0:?} is not key=weight")]
    Malformed(String),
    /// A key names no operation.
    #[error(
        "unknown mix key {0:?} (known: get, list, summary, file, import, update, settle, assess, visit)"
    )]
    UnknownKey(String),
    /// A weight is not a whole number.
    #[error("weight of {key} is not a whole number: {weight:?}")]
    BadWeight {
        /// The key.
        key: String,
        /// What was written.
        weight: String,
    },
    /// A key appears twice.
    #[error("mix key {0} appears twice")]
    Duplicate(String),
    /// Every weight is zero.
    #[error("the mix has no operation with a weight above zero")]
    Empty,
}

/// The default mix: a realistic day of bureau writes and reads, by weight (sums to 100).
pub const DEFAULT_MIX: &str =
    "get=30,list=10,summary=5,file=10,import=5,update=10,settle=10,assess=10,visit=10";

/// Operations with weights; only weights above zero are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix {
    /// (operation, weight), in [`Op::ALL`] order, weights > 0.
    entries: Vec<(Op, u32)>,
    /// The sum of the weights (> 0).
    total: u64,
}

impl Mix {
    /// Parses `key=weight,key=weight,...` (spaces allowed around entries).
    pub fn parse(text: &str) -> Result<Mix, MixError> {
        let mut weights: Vec<(Op, u32)> = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (key, weight) = entry
                .split_once('=')
                .ok_or_else(|| MixError::Malformed(entry.to_string()))?;
            let (key, weight) = (key.trim(), weight.trim());
            let op = Op::from_key(key).ok_or_else(|| MixError::UnknownKey(key.to_string()))?;
            let w: u32 = weight.parse().map_err(|_| MixError::BadWeight {
                key: key.to_string(),
                weight: weight.to_string(),
            })?;
            if weights.iter().any(|(o, _)| *o == op) {
                return Err(MixError::Duplicate(key.to_string()));
            }
            weights.push((op, w));
        }
        weights.retain(|(_, w)| *w > 0);
        weights.sort_by_key(|(o, _)| *o);
        let total: u64 = weights.iter().map(|(_, w)| u64::from(*w)).sum();
        if total == 0 {
            return Err(MixError::Empty);
        }
        Ok(Mix {
            entries: weights,
            total,
        })
    }

    /// The operations with a weight above zero.
    pub fn ops(&self) -> impl Iterator<Item = Op> + '_ {
        self.entries.iter().map(|(o, _)| *o)
    }

    /// Whether `op` is in the mix.
    pub fn has(&self, op: Op) -> bool {
        self.ops().any(|o| o == op)
    }

    /// The operation of request `n`: a hash of `n` lands in the weight ranges, so the
    /// operations interleave instead of coming in runs.
    pub fn pick(&self, n: u64) -> Op {
        let mut x = splitmix64(n) % self.total;
        for (op, w) in &self.entries {
            let w = u64::from(*w);
            if x < w {
                return *op;
            }
            x -= w;
        }
        // Unreachable while total is the sum of the weights; the last entry is a safe answer.
        self.entries.last().map(|(o, _)| *o).unwrap_or(Op::Get)
    }
}

impl Default for Mix {
    fn default() -> Self {
        Mix::parse(DEFAULT_MIX).unwrap_or(Mix {
            entries: vec![(Op::Get, 1)],
            total: 1,
        })
    }
}

impl std::str::FromStr for Mix {
    type Err = MixError;
    fn from_str(s: &str) -> Result<Mix, MixError> {
        Mix::parse(s)
    }
}

/// A well-mixing 64-bit hash (SplitMix64's finaliser).
fn splitmix64(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_weights() {
        let m = Mix::parse("get=3, settle=1,list=0").unwrap();
        assert_eq!(m.ops().collect::<Vec<_>>(), vec![Op::Get, Op::Settle]);
        assert!(!m.has(Op::List));
    }

    #[test]
    fn refuses_bad_mixes() {
        assert_eq!(Mix::parse("get"), Err(MixError::Malformed("get".into())));
        assert_eq!(
            Mix::parse("fetch=1"),
            Err(MixError::UnknownKey("fetch".into()))
        );
        assert!(matches!(
            Mix::parse("get=-1"),
            Err(MixError::BadWeight { .. })
        ));
        assert_eq!(
            Mix::parse("get=1,get=2"),
            Err(MixError::Duplicate("get".into()))
        );
        assert_eq!(Mix::parse("get=0"), Err(MixError::Empty));
        assert_eq!(Mix::parse(""), Err(MixError::Empty));
    }

    #[test]
    fn default_mix_has_every_operation() {
        let m = Mix::default();
        assert_eq!(m.ops().count(), Op::ALL.len());
        assert_eq!(m.total, 100);
    }

    #[test]
    fn picks_follow_the_weights() {
        let m = Mix::parse("get=6,list=3,import=1").unwrap();
        let n = 100_000u64;
        let mut counts = std::collections::HashMap::new();
        for i in 0..n {
            *counts.entry(m.pick(i)).or_insert(0u64) += 1;
        }
        let share = |o| counts.get(&o).copied().unwrap_or(0) as f64 / n as f64;
        assert!((share(Op::Get) - 0.6).abs() < 0.01, "{}", share(Op::Get));
        assert!((share(Op::List) - 0.3).abs() < 0.01, "{}", share(Op::List));
        assert!(
            (share(Op::Import) - 0.1).abs() < 0.01,
            "{}",
            share(Op::Import)
        );
        assert_eq!(counts.len(), 3);
    }

    #[test]
    fn ops_know_their_service_and_kind() {
        assert_eq!(Op::Settle.service(), "health");
        assert_eq!(Op::Summary.service(), "aggregator");
        assert!(Op::Assess.is_write() && !Op::File.is_write());
        for op in Op::ALL {
            assert_eq!(Op::from_key(op.key()), Some(op));
        }
    }
}
