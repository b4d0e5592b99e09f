//! Inquiries: insert at intake, and the duplicate check that guards it.

use std::time::Duration;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::inquiry::NewInquiry;

/// What intake knows of the request besides the fields.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub client_ip: Option<std::net::IpAddr>,
    pub user_agent: Option<String>,
    pub privacy_notice_version: Option<String>,
}

/// Serialises intake on phone + article for the rest of the transaction, so two simultaneous
/// posts of the same lead (a double click) cannot both miss each other's row.
pub async fn lock_phone_on_article(
    conn: &mut PgConnection,
    phone: &str,
    article_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let key = format!(
        "inquiry|{phone}|{}",
        article_id.map(|id| id.to_string()).unwrap_or_default()
    );
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest inquiry from this phone on this article (or, both, without article) within the
/// window, not spam and not anonymised; locked for the update that follows.
pub async fn find_duplicate(
    conn: &mut PgConnection,
    phone: &str,
    article_id: Option<Uuid>,
    window: Duration,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM inquiries
          WHERE phone = $1
            AND article_id IS NOT DISTINCT FROM $2
            AND status <> 'spam'
            AND anonymised_at IS NULL
            AND received_at > now() - make_interval(secs => $3)
          ORDER BY received_at DESC
          LIMIT 1
          FOR UPDATE",
    )
    .bind(phone)
    .bind(article_id)
    .bind(window.as_secs_f64())
    .fetch_optional(conn)
    .await
}

/// Counts a repeat submission.
pub async fn bump_submission_count(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE inquiries
            SET submission_count = submission_count + 1, version = version + 1, updated_at = now()
          WHERE id = $1",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    inquiry: &NewInquiry,
    article_id: Option<Uuid>,
    meta: &RequestMeta,
    spam_reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    let status = if spam_reason.is_some() { "spam" } else { "new" };
    let a = &inquiry.attribution;
    sqlx::query(
        "INSERT INTO inquiries (
             id, status, need, use, tax, company, contact, phone, email, wechat, message,
             tax_cny_per_year, area_sqm, article_id,
             utm_source, utm_medium, utm_campaign, utm_term, utm_content,
             client_ip, user_agent, consent, privacy_notice_version, spam_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                 $15, $16, $17, $18, $19, $20::inet, $21, $22, $23, $24)",
    )
    .bind(id)
    .bind(status)
    .bind(&inquiry.need)
    .bind(&inquiry.use_)
    .bind(&inquiry.tax)
    .bind(&inquiry.company)
    .bind(&inquiry.contact)
    .bind(inquiry.phone.as_ref().map(|p| p.as_e164()))
    .bind(&inquiry.email)
    .bind(&inquiry.wechat)
    .bind(&inquiry.message)
    .bind(inquiry.tax_cny_per_year)
    .bind(inquiry.area_sqm)
    .bind(article_id)
    .bind(&a.utm_source)
    .bind(&a.utm_medium)
    .bind(&a.utm_campaign)
    .bind(&a.utm_term)
    .bind(&a.utm_content)
    .bind(meta.client_ip.map(|ip| ip.to_string()))
    .bind(&meta.user_agent)
    .bind(inquiry.consent)
    .bind(&meta.privacy_notice_version)
    .bind(spam_reason)
    .execute(conn)
    .await?;
    Ok(())
}
