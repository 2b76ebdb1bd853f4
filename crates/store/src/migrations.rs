//! The shape of a schema migration, shared by the adapters. Each adapter embeds its own
//! numbered SQL files and applies them; the checksum lets it refuse to start on a database
//! whose applied migration was edited after it landed.

#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// FNV-1a 64 of the SQL text: stable across releases and platforms (a hash from std is
    /// not), and enough to notice an edited file.
    pub fn checksum(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.sql.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

/// Checks an applied migration against the one this binary carries.
pub fn verify_applied(
    known: &[Migration],
    version: i64,
    checksum: &str,
) -> Result<(), crate::StoreError> {
    match known.iter().find(|m| m.version == version) {
        Some(m) if m.checksum() == checksum => Ok(()),
        Some(m) => Err(crate::StoreError::Internal(format!(
            "migration {version} ({}) differs from the one applied to this database; \
             landed migrations must never be edited",
            m.name
        ))),
        None => Err(crate::StoreError::Internal(format!(
            "the database has migration {version}, which this version of Bluelamp does not \
             know: it was migrated by a newer release"
        ))),
    }
}
