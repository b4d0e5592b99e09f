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
