//! Authentication of staff API keys: their form, hashing, verification in constant time. Creating
//! and revoking keys is `crate::keys`.

pub mod throttle;

use sha2::{Digest, Sha256};
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::storage::api_keys;

/// Every key starts with this, so a leaked key is recognisable (secret scanners, logs).
pub const KEY_PREFIX: &str = "idk_";
/// 32 random bytes, hex-encoded.
pub const SECRET_HEX_CHARS: usize = 64;
/// The public part after `idk_` that finds the key's row.
const LOOKUP_HEX_CHARS: usize = 8;

pub use crate::domain::role::Role;

/// The authenticated caller of the staff API.
#[derive(Debug, Clone)]
pub struct Staff {
    pub key_id: Uuid,
    pub name: String,
    pub role: Role,
}

/// A key's SHA-256, as stored.
pub fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// The public prefix of a well-formed key (`idk_` + 8 hex), or `None`.
pub fn prefix_of(key: &str) -> Option<&str> {
    let secret = key.strip_prefix(KEY_PREFIX)?;
    let well_formed = secret.len() == SECRET_HEX_CHARS
        && secret
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    well_formed.then(|| &key[..KEY_PREFIX.len() + LOOKUP_HEX_CHARS])
}

/// The staff member a bearer key belongs to, if it is a valid, unrevoked key.
pub async fn authenticate(pool: &PgPool, key: &str) -> Result<Option<Staff>, sqlx::Error> {
    let Some(prefix) = prefix_of(key) else {
        return Ok(None);
    };
    let Some((id, name, role, stored)) = api_keys::find_active(pool, prefix).await? else {
        return Ok(None);
    };
    if !bool::from(hash(key).ct_eq(&stored)) {
        return Ok(None);
    }
    api_keys::touch(pool, id).await?;
    Ok(Some(Staff {
        key_id: id,
        name,
        role,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_keys_have_a_prefix() {
        let key = format!("idk_{}", "ab12".repeat(16));
        assert_eq!(prefix_of(&key), Some("idk_ab12ab12"));
        assert_eq!(prefix_of("idk_short"), None);
        assert_eq!(prefix_of(&key.to_uppercase()), None);
        assert_eq!(prefix_of(&format!("xyz_{}", "ab12".repeat(16))), None);
        assert_eq!(prefix_of(&format!("{key}0")), None);
    }
}
