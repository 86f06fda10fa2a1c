//! Who is calling, and what they may do.
//!
//! A caller sends `authorization: Bearer <token>`. The [`TokenTable`] maps a token to a
//! [`Principal`]: one of the bureaus, the aggregator, or admin. Each service names its
//! owning bureau and its read-only methods in a [`ServiceSpec`]; the rule is the same
//! everywhere: the owner and admin may write; the owner, the aggregator and admin may read;
//! everyone else is refused with PERMISSION_DENIED.

use std::collections::HashMap;
use std::path::Path;

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A bureau whose system owns one service's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bureau {
    /// 扶贫办: the registry.
    PovertyOffice,
    /// 教育局: education.
    Education,
    /// 医保局: health insurance.
    MedicalSecurity,
    /// 易地扶贫搬迁办: relocation housing.
    Relocation,
    /// 水利局: drinking water.
    WaterResources,
}

/// An authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Principal {
    /// A bureau's system.
    Bureau(Bureau),
    /// The aggregator: reads every service, writes none.
    Aggregator,
    /// An operator: reads and writes everything.
    Admin,
}

impl Principal {
    /// Every principal, in a fixed order (tokens file, auth matrix tests).
    pub const ALL: [Principal; 7] = [
        Principal::Admin,
        Principal::Aggregator,
        Principal::Bureau(Bureau::PovertyOffice),
        Principal::Bureau(Bureau::Education),
        Principal::Bureau(Bureau::MedicalSecurity),
        Principal::Bureau(Bureau::Relocation),
        Principal::Bureau(Bureau::WaterResources),
    ];

    /// The principal's name in the tokens file, audit log and logs.
    pub fn name(self) -> &'static str {
        match self {
            Principal::Admin => "admin",
            Principal::Aggregator => "aggregator",
            Principal::Bureau(Bureau::PovertyOffice) => "poverty-office",
            Principal::Bureau(Bureau::Education) => "education",
            Principal::Bureau(Bureau::MedicalSecurity) => "medical-security",
            Principal::Bureau(Bureau::Relocation) => "relocation",
            Principal::Bureau(Bureau::WaterResources) => "water-resources",
        }
    }

    /// Parses a name as written by [`Principal::name`].
    pub fn from_name(s: &str) -> Option<Principal> {
        Principal::ALL.into_iter().find(|p| p.name() == s)
    }
}

/// What the runtime needs to know about a service to serve it.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    /// Short name: `registry`, `education`, … (CLI, data file names, logs).
    pub name: &'static str,
    /// Fully qualified gRPC service name, for routing, health and auth.
    pub grpc_name: &'static str,
    /// The bureau that may write; `None` for the read-only aggregator.
    pub owner: Option<Bureau>,
    /// Methods that only read. Every other method of the service is a write.
    pub read_methods: &'static [&'static str],
    /// Port from DESIGN.md used by `xiaokang up`.
    pub default_port: u16,
}

/// The verdict of [`ServiceSpec::authorize`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Go ahead.
    Allowed,
    /// The principal may not call this method.
    Denied,
}

impl ServiceSpec {
    /// Whether `principal` may call `method` of this service.
    pub fn authorize(&self, principal: Principal, method: &str) -> Access {
        let is_read = self.read_methods.contains(&method);
        let allowed = match principal {
            Principal::Admin => true,
            Principal::Aggregator => is_read,
            Principal::Bureau(b) => Some(b) == self.owner,
        };
        if allowed {
            Access::Allowed
        } else {
            Access::Denied
        }
    }
}

/// Tokens of the suite, held as SHA-256 digests so the table in memory does not hold
/// usable secrets and lookups do not compare secrets byte by byte.
#[derive(Debug, Clone, Default)]
pub struct TokenTable {
    /// digest(token) -> principal.
    by_digest: HashMap<[u8; 32], Principal>,
}

/// What can go wrong loading tokens.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read or written.
    #[error("tokens file {path}: {source}")]
    Io {
        /// Which file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not `name = "token"` TOML with known names.
    #[error("tokens file {path}: {reason}")]
    Format {
        /// Which file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl TokenTable {
    /// Adds a principal's token.
    pub fn insert(&mut self, principal: Principal, token: &str) {
        self.by_digest.insert(digest(token), principal);
    }

    /// The principal a bearer token belongs to.
    pub fn lookup(&self, token: &str) -> Option<Principal> {
        self.by_digest.get(&digest(token)).copied()
    }

    /// Parses `principal-name = "token"` lines.
    pub fn from_toml(text: &str, path: &str) -> Result<TokenTable, TokenError> {
        let fmt = |reason: String| TokenError::Format {
            path: path.to_string(),
            reason,
        };
        let map: HashMap<String, String> =
            toml::from_str(text).map_err(|e| fmt(e.message().to_string()))?;
        let mut table = TokenTable::default();
        for (name, token) in map {
            let p = Principal::from_name(&name)
                .ok_or_else(|| fmt(format!("unknown principal {name:?}")))?;
            if token.len() < 16 {
                return Err(fmt(format!(
                    "token of {name} is shorter than 16 characters"
                )));
            }
            table.insert(p, &token);
        }
        Ok(table)
    }

    /// Loads the tokens file.
    pub fn load(path: &Path) -> Result<TokenTable, TokenError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokenError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Loads the tokens file, creating it first (mode 0600) with a fresh random token per
    /// principal if it does not exist. `admin_override` (from `XK_ADMIN_TOKEN`) replaces
    /// the admin token in the table and in a newly written file.
    pub fn load_or_create(
        path: &Path,
        admin_override: Option<&str>,
    ) -> Result<(TokenTable, HashMap<Principal, String>), TokenError> {
        let io = |source| TokenError::Io {
            path: path.display().to_string(),
            source,
        };
        if !path.exists() {
            let mut lines = String::from(
                "# Bearer tokens of the xiaokang suite, one per principal. Keep this file secret.\n",
            );
            for p in Principal::ALL {
                let token = match (p, admin_override) {
                    (Principal::Admin, Some(t)) => t.to_string(),
                    _ => random_token(),
                };
                lines.push_str(&format!("{} = \"{}\"\n", p.name(), token));
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            write_private(path, &lines).map_err(io)?;
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let mut table = Self::from_toml(&text, &path.display().to_string())?;
        let map: HashMap<String, String> =
            toml::from_str(&text).map_err(|e| TokenError::Format {
                path: path.display().to_string(),
                reason: e.message().to_string(),
            })?;
        let mut tokens: HashMap<Principal, String> = map
            .into_iter()
            .filter_map(|(k, v)| Principal::from_name(&k).map(|p| (p, v)))
            .collect();
        if let Some(t) = admin_override {
            table.insert(Principal::Admin, t);
            tokens.insert(Principal::Admin, t.to_string());
        }
        Ok((table, tokens))
    }
}

/// A 32-byte random token, hex encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: ServiceSpec = ServiceSpec {
        name: "registry",
        grpc_name: "xiaokang.registry.v1.RegistryService",
        owner: Some(Bureau::PovertyOffice),
        read_methods: &["GetHousehold"],
        default_port: 0,
    };

    #[test]
    fn owner_and_admin_write_aggregator_reads_others_refused() {
        let owner = Principal::Bureau(Bureau::PovertyOffice);
        let other = Principal::Bureau(Bureau::Education);
        assert_eq!(SPEC.authorize(owner, "CreateHousehold"), Access::Allowed);
        assert_eq!(
            SPEC.authorize(Principal::Admin, "CreateHousehold"),
            Access::Allowed
        );
        assert_eq!(
            SPEC.authorize(Principal::Aggregator, "CreateHousehold"),
            Access::Denied
        );
        assert_eq!(
            SPEC.authorize(Principal::Aggregator, "GetHousehold"),
            Access::Allowed
        );
        assert_eq!(SPEC.authorize(other, "GetHousehold"), Access::Denied);
        assert_eq!(SPEC.authorize(other, "CreateHousehold"), Access::Denied);
    }

    #[test]
    fn names_round_trip() {
        for p in Principal::ALL {
            assert_eq!(Principal::from_name(p.name()), Some(p));
        }
        assert_eq!(Principal::from_name("mayor"), None);
    }

    #[test]
    fn tokens_file_is_created_private_and_admin_override_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.toml");
        let (table, tokens) =
            TokenTable::load_or_create(&path, Some("operator-chosen-admin-token")).unwrap();
        assert_eq!(tokens.len(), Principal::ALL.len());
        assert_eq!(
            table.lookup("operator-chosen-admin-token"),
            Some(Principal::Admin)
        );
        let water = &tokens[&Principal::Bureau(Bureau::WaterResources)];
        assert_eq!(
            table.lookup(water),
            Some(Principal::Bureau(Bureau::WaterResources))
        );
        assert_eq!(table.lookup("not-a-token"), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A second start reads the same tokens back.
        let (_, again) = TokenTable::load_or_create(&path, None).unwrap();
        assert_eq!(
            again[&Principal::Aggregator],
            tokens[&Principal::Aggregator]
        );
    }

    #[test]
    fn rejects_unknown_principals_and_short_tokens() {
        assert!(TokenTable::from_toml("mayor = \"0123456789abcdef\"", "t").is_err());
        assert!(TokenTable::from_toml("admin = \"short\"", "t").is_err());
    }
}
