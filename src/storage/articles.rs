//! Articles, found or created by canonical URL.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::article::ArticleUrl;

/// Finds the article with this canonical URL or creates it; keeps the latest title given.
pub async fn find_or_create(
    conn: &mut PgConnection,
    url: &ArticleUrl,
    title: Option<&str>,
) -> Result<Uuid, sqlx::Error> {
    // ON CONFLICT DO NOTHING avoids locking the row of a busy article for the whole intake
    // transaction. When another transaction inserts the same URL concurrently, this
    // statement's snapshot cannot see its row: the next attempt (a new snapshot) does.
    for _ in 0..3 {
        let found: Option<(Uuid, Option<String>)> = sqlx::query_as(
            "WITH created AS (
                 INSERT INTO articles (id, url, host, title) VALUES ($1, $2, $3, $4)
                 ON CONFLICT ON CONSTRAINT articles_url_key DO NOTHING
                 RETURNING id, title)
             SELECT id, title FROM created
             UNION ALL
             SELECT id, title FROM articles WHERE url = $2
             LIMIT 1",
        )
        .bind(Uuid::now_v7())
        .bind(url.as_str())
        .bind(url.host())
        .bind(title)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((id, stored_title)) = found {
            if title.is_some() && stored_title.as_deref() != title {
                sqlx::query("UPDATE articles SET title = $2, updated_at = now() WHERE id = $1")
                    .bind(id)
                    .bind(title)
                    .execute(&mut *conn)
                    .await?;
            }
            return Ok(id);
        }
    }
    Err(sqlx::Error::RowNotFound)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ArticleSummary {
    pub id: Uuid,
    pub url: String,
    pub title: Option<String>,
    pub inquiry_count: i64,
    pub last_inquiry_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(skip)]
    pub sort_key: i64,
}

/// Articles with their inquiry counts (spam not counted), by count or by the latest inquiry,
/// one page after `(sort_key, id)`.
pub async fn list(
    pool: &sqlx::PgPool,
    by_count: bool,
    after: Option<(i64, Uuid)>,
    limit: i64,
) -> Result<Vec<ArticleSummary>, sqlx::Error> {
    let sort_key = if by_count {
        "coalesce(c.inquiry_count, 0)"
    } else {
        "coalesce((extract(epoch FROM c.last_inquiry_at) * 1000000)::bigint, -9223372036854775808)"
    };
    let sql = format!(
        "SELECT * FROM (
             SELECT a.id, a.url, a.title, coalesce(c.inquiry_count, 0) AS inquiry_count,
                    c.last_inquiry_at, {sort_key} AS sort_key
               FROM articles a
               LEFT JOIN (SELECT article_id, count(*) AS inquiry_count, max(received_at) AS last_inquiry_at
                            FROM inquiries WHERE article_id IS NOT NULL AND status <> 'spam'
                           GROUP BY article_id) c ON c.article_id = a.id) s
          WHERE ($1::bigint IS NULL OR (s.sort_key, s.id) < ($1, $2))
          ORDER BY s.sort_key DESC, s.id DESC
          LIMIT $3"
    );
    sqlx::query_as(&sql)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(limit + 1)
        .fetch_all(pool)
        .await
}
