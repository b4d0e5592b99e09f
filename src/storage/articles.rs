//! The `articles` table: articles with their inquiry counts (created at intake: the `intake_record`
//! function), their titles.

use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArticleSummary {
    pub id: Uuid,
    pub url: String,
    pub title: Option<String>,
    pub inquiry_count: i64,
    pub last_inquiry_at: Option<chrono::DateTime<chrono::Utc>>,
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

/// Sets (or with `None` clears) an article's title, as staff correct it; `None` when there is
/// no such article. Answers the article with its counts.
pub async fn set_title(
    pool: &sqlx::PgPool,
    id: Uuid,
    title: Option<&str>,
) -> Result<Option<ArticleSummary>, sqlx::Error> {
    sqlx::query_as(
        "WITH changed AS (
             UPDATE articles SET title = $2, updated_at = now() WHERE id = $1
             RETURNING id, url, title)
         SELECT c.id, c.url, c.title, count(i.id) AS inquiry_count,
                max(i.received_at) AS last_inquiry_at, 0::bigint AS sort_key
           FROM changed c
           LEFT JOIN inquiries i ON i.article_id = c.id AND i.status <> 'spam'
          GROUP BY c.id, c.url, c.title",
    )
    .bind(id)
    .bind(title)
    .fetch_optional(pool)
    .await
}

/// The id of the article with this canonical URL, created (without a title) when there is
/// none yet — for a lead rescued from spam, whose intake linked no new article.
pub async fn find_or_create(
    conn: &mut sqlx::PgConnection,
    url: &str,
    host: &str,
) -> Result<Uuid, sqlx::Error> {
    let created: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO articles (id, url, host) VALUES ($1, $2, $3)
         ON CONFLICT ON CONSTRAINT articles_url_key DO NOTHING RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(url)
    .bind(host)
    .fetch_optional(&mut *conn)
    .await?;
    match created {
        Some(id) => Ok(id),
        None => {
            sqlx::query_scalar("SELECT id FROM articles WHERE url = $1")
                .bind(url)
                .fetch_one(conn)
                .await
        }
    }
}
