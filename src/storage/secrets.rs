//! Secrets the service generates once and keeps in the database (`app_secrets`), so that all
//! instances and restarts agree on them.

use sqlx::PgPool;

/// The form token's key: 32 random bytes, created by the first instance that asks, read by
/// every other. Two instances starting at once both insert; the primary key keeps the first,
/// and both read it back.
pub async fn form_token_key(pool: &PgPool) -> Result<Vec<u8>, sqlx::Error> {
    let mut candidate = vec![0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut candidate);
    sqlx::query(
        "INSERT INTO app_secrets (name, value) VALUES ('form_token', $1)
         ON CONFLICT ON CONSTRAINT app_secrets_pkey DO NOTHING",
    )
    .bind(&candidate)
    .execute(pool)
    .await?;
    // A statement of its own: its snapshot sees a row another instance committed meanwhile.
    sqlx::query_scalar("SELECT value FROM app_secrets WHERE name = 'form_token'")
        .fetch_one(pool)
        .await
}
